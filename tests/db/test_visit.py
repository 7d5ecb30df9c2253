"""reservations.visit on both databases: the itinerary, the offered times (back to back, never
overlapping, morning / afternoon), the all-or-nothing hold, confirm, cancel and move. Times are
passed in (no sleeping)."""
import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from core.db import db
from reservations import booking as b
from reservations import models as m
from reservations import visit as v
from reservations.loader import load_catalog
from reservations.slots import JST

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST)  # a Tuesday
MONDAY = dt.date(2026, 12, 7)
MOVING_IN = ["tennyu_todoke", "kokuho_kanyu", "jido_teate_nintei", "mynumber_card_address", "hoikuen_nyuen"]


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
        db.session.execute(m.Visit.__table__.delete())
        db.session.commit()


def at(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST)


def test_the_itinerary_groups_procedures_of_one_counter_in_the_guides_order(catalog):
    itin = v.itinerary(catalog, MOVING_IN)
    assert itin.site_id == "shiyakusho"  # the first site able to do every stop
    assert [s.counter_id for s in itin.stops] == ["shimin_ido", "kokuho", "kodomo_teate"]
    assert itin.stops[0].procedures == ("tennyu_todoke", "mynumber_card_address")  # one stop, one counter
    assert [s.minutes for s in itin.stops] == [45, 30, 30] and itin.total_minutes == 105
    assert "hoikuen_nyuen" not in itin.procedures  # not bookable: left out
    reordered = v.itinerary(catalog, ["kokuho_kanyu", "tennyu_todoke"])
    assert [s.counter_id for s in reordered.stops] == ["kokuho", "shimin_ido"]


def test_sites_are_those_where_every_stop_is_possible(catalog):
    assert v.sites_for(catalog, ["tennyu_todoke", "inkan_toroku"])[0] == "shiyakusho"
    assert len(v.sites_for(catalog, ["tennyu_todoke", "inkan_toroku"])) > 1
    assert v.sites_for(catalog, MOVING_IN) == ["shiyakusho"]  # 国保 only at City Hall
    assert v.itinerary(catalog, MOVING_IN, "kakogawa_center") is None
    assert v.itinerary(catalog, ["nothing_like_this"]) is None


def test_offered_starts_never_overlap_and_are_split_by_noon(ctx, catalog):
    itin = v.itinerary(catalog, MOVING_IN)
    offers = v.offered(catalog, itin, MONDAY, now=NOW)
    assert offers
    for a, c in itertools.pairwise(offers):
        assert c.start >= a.end  # the next start after the whole visit's end
    for o in offers:
        assert o.end - o.start >= dt.timedelta(minutes=itin.total_minutes)
        for s1, s2 in zip(o.slots, o.slots[1:]):  # the seams: back to back on the next counter's grid
            assert dt.timedelta(0) <= s2.start - s1.end < dt.timedelta(minutes=15)
            assert s2.start.date() == s1.start.date()
    morning, afternoon = v.split_day(offers)
    assert morning and afternoon and all(o.start.hour < 12 for o in morning)
    assert all(o.start.hour >= 12 for o in afternoon)
    assert v.offered(catalog, itin, dt.date(2026, 12, 6), now=NOW) == []  # a Sunday: closed


def test_a_full_stop_is_skipped_in_the_offer(ctx, catalog):
    itin = v.itinerary(catalog, ["tennyu_todoke", "kokuho_kanyu"])
    first = v.offered(catalog, itin, MONDAY, now=NOW)[0]
    kokuho_slot = first.slots[1]
    for n in range(len(b.seat_range(kokuho_slot, "web"))):  # 国保 taken by single bookings at that time
        b.book(catalog, "kokuho", "shiyakusho", kokuho_slot.start, name="加古川 花子", name_kana="カコガワ ハナコ",
               email=f"single{n}@example.jp", phone=None, now=NOW)
    db.session.commit()
    again = v.offered(catalog, itin, MONDAY, now=NOW)
    assert again[0].start != first.start
    assert all(s.start != kokuho_slot.start for o in again for s in o.slots[1:])


def _hold(catalog, itin, start, email="family@example.jp"):
    visit = v.hold(catalog, itin, start, result_path="/guide/result?a=1", now=NOW)
    v.give_details(visit, name="加古川 花子", name_kana="カコガワ ハナコ", email=email, phone=None)
    return visit


def test_hold_and_confirm_claim_every_stops_seats(ctx, catalog):
    itin = v.itinerary(catalog, MOVING_IN)
    offer = v.offered(catalog, itin, MONDAY, now=NOW)[0]
    visit = _hold(catalog, itin, offer.start)
    db.session.commit()
    stops = v.stops(visit)
    assert [(r.counter_id, r.stop_order) for r in stops] == [("shimin_ido", 1), ("kokuho", 2), ("kodomo_teate", 3)]
    assert [b.aware(r.start) for r in stops] == [s.start for s in offer.slots]
    v.confirm(catalog, visit, name="加古川 花子", name_kana="カコガワ ハナコ", email="family@example.jp", phone=None,
              now=NOW)  # 3 stops + the per-person daily cap of 3: the visit counts as one
    db.session.commit()
    assert visit.status == m.CONFIRMED and all(r.status == m.CONFIRMED for r in v.stops(visit))
    claims = db.session.scalar(select(func.count()).select_from(m.SeatClaim))
    assert claims == sum(len(s.units) for s in offer.slots)
    assert v.by_number(visit.number.lower()) is visit


def test_one_full_stop_and_nothing_is_kept(ctx, catalog):
    itin = v.itinerary(catalog, ["tennyu_todoke", "jido_teate_nintei"])
    offer = v.offered(catalog, itin, MONDAY, now=NOW)[0]
    teate = offer.slots[1]
    for n in range(len(b.seat_range(teate, "web"))):
        b.book(catalog, "jido_teate", "shiyakusho", teate.start, name="加古川 花子", name_kana="カコガワ ハナコ",
               email=f"other{n}@example.jp", phone=None, now=NOW)
    db.session.commit()
    before = (db.session.scalar(select(func.count()).select_from(m.SeatClaim)),
              db.session.scalar(select(func.count()).select_from(m.Reservation)))
    with pytest.raises(b.SlotFull):
        v.hold(catalog, itin, offer.start, now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(m.Visit)) == 0
    assert (db.session.scalar(select(func.count()).select_from(m.SeatClaim)),
            db.session.scalar(select(func.count()).select_from(m.Reservation))) == before


def test_a_start_that_does_not_chain_is_refused(ctx, catalog):
    itin = v.itinerary(catalog, MOVING_IN)
    with pytest.raises(b.BookingError) as refused:
        v.hold(catalog, itin, at(16, 45), now=NOW)  # the last stops would run past closing time
    assert refused.value.code == "no_slot"
    db.session.rollback()


def test_cancel_gives_back_every_stop_and_move_keeps_the_number(ctx, catalog):
    itin = v.itinerary(catalog, MOVING_IN)
    offers = v.offered(catalog, itin, MONDAY, now=NOW)
    visit = _hold(catalog, itin, offers[0].start)
    v.confirm(catalog, visit, name="加古川 花子", name_kana="カコガワ ハナコ", email="family@example.jp", phone=None, now=NOW)
    db.session.commit()
    old_numbers = [r.number for r in v.stops(visit)]
    v.move(catalog, visit, offers[1].start, now=NOW)
    db.session.commit()
    moved = v.stops(visit)
    assert visit.status == m.CONFIRMED and b.aware(visit.start) == offers[1].start
    assert [r.moved_from for r in moved] == old_numbers and all(r.status == m.CONFIRMED for r in moved)
    assert all(b.by_number(n).status == m.CANCELLED for n in old_numbers)
    assert db.session.scalar(select(func.count()).select_from(m.SeatClaim)) == sum(len(s.units) for s in offers[1].slots)
    v.cancel(catalog, visit, now=NOW)
    db.session.commit()
    assert visit.status == m.CANCELLED and all(r.status == m.CANCELLED for r in v.stops(visit))
    assert db.session.scalar(select(func.count()).select_from(m.SeatClaim)) == 0


def test_a_move_to_a_full_time_keeps_the_visit(ctx, catalog):
    itin = v.itinerary(catalog, ["tennyu_todoke", "jido_teate_nintei"])
    offers = v.offered(catalog, itin, MONDAY, now=NOW)
    visit = _hold(catalog, itin, offers[0].start)
    v.confirm(catalog, visit, name="加古川 花子", name_kana="カコガワ ハナコ", email="family@example.jp", phone=None, now=NOW)
    db.session.commit()
    teate = offers[1].slots[1]
    for n in range(len(b.seat_range(teate, "web"))):
        b.book(catalog, "jido_teate", "shiyakusho", teate.start, name="加古川 花子", name_kana="カコガワ ハナコ",
               email=f"other{n}@example.jp", phone=None, now=NOW)
    db.session.commit()
    with pytest.raises(b.SlotFull):
        v.move(catalog, visit, offers[1].start, now=NOW)
    db.session.rollback()
    assert [r.status for r in v.stops(visit)] == [m.CONFIRMED, m.CONFIRMED]
    assert b.aware(visit.start) == offers[0].start


def test_a_second_visit_the_same_day_is_refused_and_stops_are_marked_done(ctx, catalog):
    itin = v.itinerary(catalog, ["tennyu_todoke", "kokuho_kanyu"])
    offers = v.offered(catalog, itin, MONDAY, now=NOW)
    first = _hold(catalog, itin, offers[0].start)
    v.confirm(catalog, first, name="加古川 花子", name_kana="カコガワ ハナコ", email="family@example.jp", phone=None, now=NOW)
    db.session.commit()
    second = _hold(catalog, itin, offers[1].start)
    with pytest.raises(b.BookingError) as twice:
        v.confirm(catalog, second, name="加古川 花子", name_kana="カコガワ ハナコ", email="family@example.jp", phone=None,
                  now=NOW)
    assert twice.value.code == "duplicate_booking"
    db.session.rollback()
    one, two = v.stops(first)
    v.mark_stop_done(one, NOW)
    assert first.status == m.CONFIRMED and one.done_at is not None
    v.mark_stop_done(two, NOW)
    assert first.status == "done"
    db.session.commit()


def test_the_busiest_days_show_the_counters_load(ctx, catalog):
    itin = v.itinerary(catalog, ["tennyu_todoke", "kokuho_kanyu"])
    assert v.day_load(catalog, itin, MONDAY, NOW) == 0.0
    offer = v.offered(catalog, itin, MONDAY, now=NOW)[0]
    _hold(catalog, itin, offer.start)
    db.session.commit()
    assert 0 < v.day_load(catalog, itin, MONDAY, NOW) < 1
