"""reservations.booking on both databases: seats never exceed the channel's quota, holds run
out, per-person rules, cancel and move. Times are passed in (no sleeping)."""
import datetime as dt
import os

import pytest
from sqlalchemy import func, select

from core.db import db
from reservations import booking as b
from reservations import models as m
from reservations.loader import load_catalog
from reservations.slots import JST

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST)  # a Tuesday
MONDAY_10 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=JST)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog("kakogawa")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()
        db.session.execute(m.SeatClaim.__table__.delete())
        db.session.execute(m.Reservation.__table__.delete())
        db.session.commit()


_emails: dict[str, int] = {}  # test → people who booked in it


def _next_email() -> str:
    """Another person each booking: the test's first, second … (its bookings are cleared after it)."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    n = _emails[test] = _emails.get(test, 0) + 1
    return f"resident{n}@example.jp"


def _book(catalog, start=MONDAY_10, email=None, service="tennyu", channel="web", now=NOW):
    return b.book(catalog, service, "shiyakusho", start, name="加古川 花子", name_kana="カコガワ ハナコ",
                  email=email or _next_email(), phone=None,
                  channel=channel, now=now)


def _remaining(catalog, start=MONDAY_10, channel="web", now=NOW, service="tennyu"):
    day = b.availability(catalog, service, "shiyakusho", start.date(), channel=channel, now=now)
    return next(a.remaining for a in day if a.slot.start == start)


def test_a_booking_claims_one_seat_per_unit(ctx, catalog):
    slot = b.find_slot(catalog, "tennyu", "shiyakusho", MONDAY_10)
    before = _remaining(catalog)
    r = _book(catalog)
    db.session.commit()
    claims = db.session.scalar(select(func.count()).select_from(m.SeatClaim).where(m.SeatClaim.reservation_id == r.id))
    assert claims == len(slot.units) and r.status == m.CONFIRMED and len(r.number) == 8
    assert _remaining(catalog) == before - 1


def test_the_web_quota_is_never_exceeded_but_staff_can_still_book(ctx, catalog):
    slot = b.find_slot(catalog, "tennyu", "shiyakusho", MONDAY_10)
    web = slot.quotas["web"]
    for _ in range(web):
        _book(catalog)
        db.session.commit()
    with pytest.raises(b.SlotFull) as full:
        _book(catalog)
    assert full.value.code == "slot_full" and full.value.status == 409
    db.session.rollback()
    assert _remaining(catalog) == 0
    _book(catalog, channel="staff")  # the windows beyond the web quota
    db.session.commit()
    total = db.session.scalar(select(func.count(func.distinct(m.SeatClaim.seat))).where(
        m.SeatClaim.unit_start == MONDAY_10.astimezone(dt.UTC)))
    assert total == web + 1 <= slot.capacity


def test_a_hold_runs_out_and_gives_its_place_back(ctx, catalog):
    web = b.find_slot(catalog, "tennyu", "shiyakusho", MONDAY_10).quotas["web"]
    holds = [b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=NOW) for _ in range(web)]
    db.session.commit()
    assert _remaining(catalog, now=NOW) == 0
    later = NOW + dt.timedelta(minutes=catalog.rules.hold_minutes + 1)
    assert _remaining(catalog, now=later) == web  # expired holds count as free
    taker = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=later)  # releases them
    db.session.commit()
    with pytest.raises(b.BookingError) as gone:
        b.confirm(catalog, holds[0], name="a", name_kana="ア", email="x@example.jp", phone=None, now=later)
    assert gone.value.code == "hold_expired"
    db.session.rollback()
    assert taker.status == m.HELD


def test_the_same_hold_key_holds_once(ctx, catalog):
    one = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=NOW, hold_key="page-123")
    two = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=NOW, hold_key="page-123")
    assert one.id == two.id


def test_one_booking_per_person_per_service_per_day_and_a_daily_cap(ctx, catalog):
    _book(catalog, email="hanako@example.jp")
    db.session.commit()
    with pytest.raises(b.BookingError) as twice:
        _book(catalog, start=MONDAY_10 + dt.timedelta(hours=2), email="HANAKO@example.jp")
    assert twice.value.code == "duplicate_booking"
    db.session.rollback()
    others = [s for s in ("tenkyo", "inkan", "shomeisho", "kokuho") if b.find_slot(
        catalog, s, "shiyakusho", MONDAY_10 + dt.timedelta(hours=3))]
    assert len(others) >= catalog.rules.per_person_per_day
    for i, service in enumerate(others[:catalog.rules.per_person_per_day - 1]):
        _book(catalog, start=MONDAY_10 + dt.timedelta(hours=3, minutes=0), email="hanako@example.jp", service=service)
        db.session.commit()
        assert i < catalog.rules.per_person_per_day
    with pytest.raises(b.BookingError) as cap:
        _book(catalog, start=MONDAY_10 + dt.timedelta(hours=3), email="hanako@example.jp",
              service=others[catalog.rules.per_person_per_day - 1])
    assert cap.value.code == "daily_limit"


@pytest.mark.parametrize(("start", "code"), [
    (NOW + dt.timedelta(minutes=30), "too_soon"),
    (dt.datetime(2027, 2, 1, 10, 0, tzinfo=JST), "too_far"),
    (dt.datetime(2026, 12, 7, 10, 5, tzinfo=JST), "no_slot"),  # not on a slot boundary
    (dt.datetime(2026, 12, 6, 10, 0, tzinfo=JST), "no_slot"),  # Sunday: 市役所 closed
])
def test_rules_refuse_with_their_own_code(ctx, catalog, start, code):
    with pytest.raises(b.BookingError) as refused:
        b.hold(catalog, "tennyu", "shiyakusho", start, now=NOW)
    assert refused.value.code == code and refused.value.status == 422 and refused.value.text()


def test_cancel_gives_the_place_back_and_residents_cannot_cancel_at_the_last_minute(ctx, catalog):
    r = _book(catalog)
    db.session.commit()
    before = _remaining(catalog)
    with pytest.raises(b.BookingError) as late:
        b.cancel(catalog, r, now=MONDAY_10 - dt.timedelta(minutes=5))
    assert late.value.code == "too_late_to_change"
    b.cancel(catalog, r, now=NOW)
    db.session.commit()
    assert r.status == m.CANCELLED and _remaining(catalog) == before + 1


def test_moving_to_a_full_time_keeps_the_old_booking(ctx, catalog):
    full = MONDAY_10 + dt.timedelta(hours=1)
    web = b.find_slot(catalog, "tennyu", "shiyakusho", full).quotas["web"]
    for _ in range(web):
        _book(catalog, start=full)
    mine = _book(catalog, email="move@example.jp")
    db.session.commit()
    with pytest.raises(b.SlotFull):
        b.move(catalog, mine, full, now=NOW)
    db.session.rollback()
    db.session.refresh(mine)
    assert mine.status == m.CONFIRMED
    free = MONDAY_10 + dt.timedelta(hours=2)
    moved = b.move(catalog, mine, free, now=NOW)
    db.session.commit()
    assert moved.moved_from == mine.number and mine.status == m.CANCELLED and moved.status == m.CONFIRMED


def test_a_visit_for_several_services_at_one_counter_adds_their_minutes(ctx, catalog):
    procedures = ["tennyu_todoke", "setainushi_henko"]
    r = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, procedures=procedures, now=NOW)
    minutes = catalog.services["tennyu"].minutes + catalog.services["setainushi"].minutes
    assert b.aware(r.end) - b.aware(r.start) == dt.timedelta(minutes=minutes)
    claims = db.session.scalar(select(func.count()).select_from(m.SeatClaim).where(m.SeatClaim.reservation_id == r.id))
    assert claims == minutes // catalog.counters["shimin_ido"].slot_minutes
    b.confirm(catalog, r, name="加古川 花子", name_kana="カコガワ ハナコ", email="visit@example.jp", phone=None, now=NOW)
    db.session.commit()
    assert r.status == m.CONFIRMED
    longer = b.availability(catalog, "tennyu", "shiyakusho", MONDAY_10.date(), now=NOW, procedures=procedures)
    single = b.availability(catalog, "tennyu", "shiyakusho", MONDAY_10.date(), now=NOW)
    assert len(longer) < len(single)


# --- extending a hold (WCAG 2.2.1) -------------------------------------------------------------

def test_a_hold_is_extended_from_now_up_to_the_rules_count_and_no_further(ctx, catalog):
    held = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=NOW)
    db.session.commit()
    minutes = dt.timedelta(minutes=catalog.rules.hold_minutes)
    at = NOW
    for n in range(1, catalog.rules.hold_extensions + 1):
        at += minutes - dt.timedelta(minutes=1)  # a minute before each end
        b.extend_hold(catalog, held, now=at)
        db.session.commit()
        assert held.hold_extensions == n and b.aware(held.hold_expires_at) == at + minutes
    assert catalog.rules.hold_extensions >= 10  # WCAG 2.2.1: at least ten times
    with pytest.raises(b.BookingError) as most:
        b.extend_hold(catalog, held, now=at + dt.timedelta(minutes=1))
    assert most.value.code == "hold_extension_limit" and most.value.status == 409
    db.session.rollback()
    assert b.aware(held.hold_expires_at) == at + minutes  # unchanged by the refusal
    # still confirmable after all that time, with the one seat it always had
    b.confirm(catalog, held, name="a", name_kana="ア", email=_next_email(), phone=None, now=at + minutes)
    assert held.status == m.CONFIRMED


def test_an_extended_hold_keeps_its_seat_and_never_adds_one(ctx, catalog):
    web = b.find_slot(catalog, "tennyu", "shiyakusho", MONDAY_10).quotas["web"]
    holds = [b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=NOW) for _ in range(web)]
    db.session.commit()
    later = NOW + dt.timedelta(minutes=catalog.rules.hold_minutes - 1)
    for h in holds:
        b.extend_hold(catalog, h, now=later)
    db.session.commit()
    past_first_end = NOW + dt.timedelta(minutes=catalog.rules.hold_minutes + 1)
    assert _remaining(catalog, now=past_first_end) == 0  # extended holds are still counted
    with pytest.raises(b.SlotFull):
        b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=past_first_end)
    db.session.rollback()
    claims = db.session.scalar(select(func.count()).select_from(m.SeatClaim).where(
        m.SeatClaim.unit_start == MONDAY_10.astimezone(dt.UTC)))
    assert claims == web


def test_a_hold_past_its_time_is_not_extended_even_before_its_seat_is_taken(ctx, catalog):
    held = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=NOW)
    db.session.commit()
    later = NOW + dt.timedelta(minutes=catalog.rules.hold_minutes + 1)
    with pytest.raises(b.BookingError) as late:
        b.extend_hold(catalog, held, now=later)  # still "held" in the table: its seat may go any moment
    assert late.value.code == "hold_expired" and late.value.status == 410
    db.session.rollback()
    taker = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10, now=later)  # releases the old hold
    db.session.commit()
    db.session.refresh(held)
    with pytest.raises(b.BookingError) as gone:
        b.extend_hold(catalog, held, now=later)
    assert gone.value.code == "hold_expired" and held.status == m.EXPIRED and taker.status == m.HELD


def test_only_the_browser_that_holds_it_extends_it(ctx, catalog):
    from reservations import resident_actions
    held = b.hold(catalog, "tennyu", "shiyakusho", MONDAY_10)
    db.session.commit()
    before = b.aware(held.hold_expires_at)
    with pytest.raises(b.BookingError) as other:
        resident_actions.extend_hold(catalog, held.number, owned=["SOMEONEELSE"])
    assert other.value.code == "not_found" and other.value.status == 404
    db.session.refresh(held)
    assert held.hold_extensions == 0 and b.aware(held.hold_expires_at) == before
    confirmed = _book(catalog, start=MONDAY_10 + dt.timedelta(hours=1), now=b.now_utc())
    db.session.commit()
    with pytest.raises(b.BookingError) as booked:  # a booking already made is no hold
        resident_actions.extend_hold(catalog, confirmed.number, owned=[confirmed.number])
    assert booked.value.code == "hold_expired"
    extended = resident_actions.extend_hold(catalog, held.number, owned=[held.number])
    assert extended.hold_extensions == 1 and b.aware(extended.hold_expires_at) >= before
