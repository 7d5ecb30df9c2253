"""A visit (まとめて予約) on the staff side, in the service (SQLite and PostgreSQL): one stop cancelled
at the resident's request leaves a consistent visit (its procedures, times and later moves without
that counter; the last stop cancels the visit), the mails name the visit and never a stop's own
number, a visit's 受付番号 checks in at the front desk, the statistics count a visit once, and the
new code paths' traps (double submits, a confirmed visit expired by its twin request, a move back
to an earlier time) stay closed. Times are passed in."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import db
from core.outbox import OutboxMessage
from reservations import booking as b
from reservations import frontdesk, staff_actions, visit_notify
from reservations import models as m
from reservations import visit as v
from reservations.current import catalog as current_catalog
from reservations.slots import JST
from staff import reservation_stats as rstats

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST)
MONDAY = dt.date(2026, 12, 7)
PROCS = ["tennyu_todoke", "kokuho_kanyu", "jido_teate_nintei"]


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield current_catalog()
        db.session.rollback()
        for table in (OutboxMessage, m.SeatClaim, m.Reservation, m.Visit):
            db.session.execute(table.__table__.delete())
        db.session.commit()


def _visit(catalog, offer_index=0, email="family@example.jp", key=None):
    itin = v.itinerary(catalog, PROCS)
    offer = v.offered(catalog, itin, MONDAY, now=NOW)[offer_index]
    visit = v.hold(catalog, itin, offer.start, result_path="/guide/tennyu/result?a=1", now=NOW, hold_key=key)
    v.confirm(catalog, visit, name="加古川 花子", name_kana="カコガワ ハナコ", email=email, phone=None, now=NOW)
    db.session.commit()
    return visit


def _keys() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.dedupe_key).order_by(OutboxMessage.id)))


def _claims() -> int:
    return db.session.scalar(select(func.count()).select_from(m.SeatClaim))


def test_staff_cancel_one_stop_keeps_the_visit_and_mails_its_number(ctx):
    catalog = ctx
    visit = _visit(catalog)
    one, two, three = v.stops(visit)
    before = _claims()
    held_by_two = db.session.scalar(select(func.count()).select_from(m.SeatClaim)
                                    .where(m.SeatClaim.reservation_id == two.id))
    staff_actions.cancel(catalog, two, None, NOW, scope=staff_actions.STOP)
    assert two.status == m.CANCELLED and visit.status == m.CONFIRMED
    assert [r.status for r in (one, three)] == [m.CONFIRMED, m.CONFIRMED]
    assert held_by_two > 0 and _claims() == before - held_by_two  # only 国保's seats given back
    assert visit.procedures.split(",") == ["tennyu_todoke", "jido_teate_nintei"]  # 国保 left the visit
    assert v.open_stops(visit) == [one, three]
    keys = _keys()
    assert keys == [f"visit-changed:{visit.number}:{two.number}"]  # one mail, naming the visit
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == keys[-1]))
    assert visit.number in mail.subject and two.number not in mail.subject  # never the stop's own number
    # the resident moves what is left: two counters, each new stop naming the one it replaced
    itin = v.itinerary(catalog, visit.procedures.split(","))
    later = v.offered(catalog, itin, MONDAY + dt.timedelta(days=1), now=NOW)[0]
    v.move(catalog, visit, later.start, now=NOW)
    db.session.commit()
    moved = v.stops(visit)
    assert [r.counter_id for r in moved] == ["shimin_ido", "kodomo_teate"]
    assert [r.moved_from for r in moved] == [one.number, three.number]
    assert [r.stop_order for r in moved] == [1, 2]


def test_the_last_open_stop_cancelled_cancels_the_visit(ctx):
    catalog = ctx
    visit = _visit(catalog)
    first, *rest = v.stops(visit)
    for r in rest:
        staff_actions.cancel(catalog, r, None, NOW)
    assert visit.status == m.CONFIRMED
    staff_actions.cancel(catalog, first, None, NOW)
    assert visit.status == m.CANCELLED and visit.cancelled_at is not None
    assert _keys()[-1] == f"visit-cancelled:{visit.number}"
    assert not any(k.startswith("reservation-") for k in _keys())  # no single booking's mail
    with pytest.raises(b.BookingError):
        staff_actions.cancel(catalog, first, None, NOW, scope=staff_actions.WHOLE_VISIT)


def test_staff_cancel_of_the_whole_visit_from_one_stop(ctx):
    catalog = ctx
    visit = _visit(catalog)
    stop = v.stops(visit)[1]
    staff_actions.cancel(catalog, stop, None, NOW, scope=staff_actions.WHOLE_VISIT)
    assert visit.status == m.CANCELLED and all(r.status == m.CANCELLED for r in v.stops(visit))
    assert _claims() == 0 and _keys()[-1] == f"visit-cancelled:{visit.number}"


def test_a_stop_done_is_the_visit_done_without_its_cancelled_stop(ctx):
    catalog = ctx
    visit = _visit(catalog)
    one, two, three = v.stops(visit)
    staff_actions.cancel(catalog, three, None, NOW)
    v.mark_stop_done(one, NOW)
    v.mark_stop_done(two, NOW)
    assert visit.status == "done"


def test_the_visit_number_checks_in_at_each_counter_in_turn(ctx):
    catalog = ctx
    visit = _visit(catalog)
    one, two, three = v.stops(visit)
    at_nine = dt.datetime.combine(MONDAY, dt.time(9), tzinfo=JST)
    r = frontdesk.check_in(visit.number.lower(), today=MONDAY, now=at_nine)
    assert r is one and one.status == m.CHECKED_IN
    with pytest.raises(frontdesk.FrontDeskError) as twice:  # scanned again at 市民課: never 国保's stop
        frontdesk.check_in(visit.number, today=MONDAY, now=at_nine, at="shimin_ido")
    assert twice.value.code == "already"
    assert frontdesk.check_in(visit.number, today=MONDAY, now=at_nine, counters=["kokuho"]) is two
    with pytest.raises(frontdesk.FrontDeskError) as elsewhere:  # a counter not on the itinerary
        frontdesk.check_in(visit.number, today=MONDAY, now=at_nine, counters=["shimin_shomei"])
    assert elsewhere.value.code == "other_counter" and elsewhere.value.reservation is three
    with pytest.raises(frontdesk.FrontDeskError) as early:
        frontdesk.check_in(visit.number, today=MONDAY - dt.timedelta(days=1), now=at_nine)
    assert early.value.code == "wrong_day"
    assert frontdesk.stop_position(three, frontdesk.visits_of([three])) == (visit.number, 3, 3)
    v.cancel(catalog, visit, by_staff=True, now=NOW)
    with pytest.raises(frontdesk.FrontDeskError) as gone:
        frontdesk.check_in(visit.number, today=MONDAY, now=at_nine)
    assert gone.value.code == "cancelled"


def test_statistics_count_a_visit_once_and_each_counter_it_passes(ctx):
    catalog = ctx
    visit = _visit(catalog)
    b.book(catalog, "tenshutsu", "shiyakusho", dt.datetime.combine(MONDAY, dt.time(14), tzinfo=JST),
           name="加古川 太郎", name_kana="カコガワ タロウ", email="single@example.jp", phone=None, now=NOW)
    v.stops(visit)[0].status = m.CHECKED_IN
    db.session.commit()
    s = rstats.collect(MONDAY, MONDAY)
    assert rstats.bookings(s.totals()) == 2  # the visit once, the single booking once
    assert s.totals()[m.CHECKED_IN] == 1 and s.totals()[m.CONFIRMED] == 1
    assert rstats.bookings(s.counter_totals()) == 4  # three counters' load + the single booking
    assert rstats.bookings(s.visits) == 1 and rstats.bookings(s.per_channel["web"]) == 2
    assert rstats.bookings(s.per_counter["kokuho"]) == 1
    # moved to the next day: the old day's counters keep the old stops; the visit counts once, on its day
    itin = v.itinerary(catalog, PROCS)
    v.stops(visit)[0].status = m.CONFIRMED
    later = v.offered(catalog, itin, MONDAY + dt.timedelta(days=1), now=NOW)[0]
    v.move(catalog, visit, later.start, now=NOW)
    db.session.commit()
    week = rstats.collect(MONDAY, MONDAY + dt.timedelta(days=1))
    assert rstats.bookings(week.totals()) == 2 and rstats.bookings(week.visits) == 1
    assert week.per_counter["kokuho"][m.CANCELLED] == 1 and week.per_counter["kokuho"][m.CONFIRMED] == 1


def test_a_visit_form_sent_twice_holds_one_visit(ctx):
    catalog = ctx
    itin = v.itinerary(catalog, PROCS)
    offers = v.offered(catalog, itin, MONDAY, now=NOW)
    first = v.hold(catalog, itin, offers[0].start, now=NOW, hold_key="k" * 22)
    db.session.commit()
    claims = _claims()
    again = v.hold(catalog, itin, offers[1].start, now=NOW, hold_key="k" * 22)
    assert again is first and _claims() == claims
    assert db.session.scalar(select(func.count()).select_from(m.Visit)) == 1
    assert v.by_hold_key("k" * 22) is first and v.by_hold_key("x" * 22) is None and v.by_hold_key(None) is None


def test_a_refused_twin_confirmation_never_expires_a_confirmed_visit(ctx):
    catalog = ctx
    visit = _visit(catalog)
    assert v.give_up_hold(visit) == m.CONFIRMED and visit.status == m.CONFIRMED
    itin = v.itinerary(catalog, PROCS)
    held = v.hold(catalog, itin, v.offered(catalog, itin, MONDAY, now=NOW)[1].start, now=NOW)
    db.session.commit()
    assert v.give_up_hold(held) == m.EXPIRED


def test_stale_held_visits_expire_with_their_stops(ctx):
    from reservations.cli import expire_holds
    catalog = ctx
    itin = v.itinerary(catalog, PROCS)
    held = v.hold(catalog, itin, v.offered(catalog, itin, MONDAY, now=NOW)[0].start, now=NOW)
    db.session.commit()
    assert expire_holds(NOW + dt.timedelta(hours=1)) == 3
    db.session.refresh(held)
    assert held.status == m.EXPIRED and _claims() == 0


def test_a_move_back_to_an_earlier_time_is_mailed_again_with_a_newer_calendar_file(ctx):
    catalog = ctx
    visit = _visit(catalog)
    itin = v.itinerary(catalog, PROCS)
    offers = v.offered(catalog, itin, MONDAY, now=NOW)
    for start, when in ((offers[1].start, NOW + dt.timedelta(hours=1)), (offers[0].start, NOW + dt.timedelta(hours=2))):
        before = visit_notify.describe_visit(catalog, visit, v.shown_stops(visit))
        v.move(catalog, visit, start, now=when)
        visit_notify.send_moved(catalog, visit, v.stops(visit), before)
        db.session.commit()
    moves = [k for k in _keys() if k.startswith("visit-moved:")]
    assert len(moves) == 2  # A → B → A: two mails
    last = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == moves[-1]))
    assert b"SEQUENCE:" in _ics(last)


def _ics(row) -> bytes:
    from core.outbox import _build
    mail = _build(row)
    return next(p.get_payload(decode=True) for p in mail.iter_attachments() if p.get_content_type() == "text/calendar")
