"""Slots: starts on base-slot boundaries, whole visits inside one opening interval, units of a
long visit, lookup by time in any timezone, and the lead-time / horizon / past rules."""
import dataclasses
import datetime as dt
import itertools

import pytest

from reservations.slots import JST, Slot, bookable_reason, day_slots, find_slot, unit_starts
from tests.unit.test_reservations_calendar import make_catalog

D = dt.date.fromisoformat
UTC = dt.UTC
MONDAY = D("2026-11-30")


def at(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=JST)


@pytest.fixture(scope="module")
def catalog():
    from reservations.loader import load_catalog
    return load_catalog("kakogawa")


def test_a_45_minute_visit_takes_three_15_minute_units(catalog):
    slots = day_slots(catalog, "tennyu", "shiyakusho", MONDAY)
    first, last = slots[0], slots[-1]
    assert first.start == at(MONDAY, "08:30") and first.start.utcoffset() == dt.timedelta(hours=9)
    assert first.end == at(MONDAY, "09:15")
    assert first.units == (at(MONDAY, "08:30"), at(MONDAY, "08:45"), at(MONDAY, "09:00"))
    assert first.counter_id == "shimin_ido"
    assert (first.capacity, first.quotas) == (6, {"web": 3, "phone": 1})
    # the last start still ends by closing time (17:15)
    assert last.start == at(MONDAY, "16:30") and last.end == at(MONDAY, "17:15")
    assert len(slots) == 33
    assert all(b.start - a.start == dt.timedelta(minutes=15) for a, b in itertools.pairwise(slots))


def test_a_15_minute_visit_may_start_at_17_00(catalog):
    slots = day_slots(catalog, "shomeisho", "shiyakusho", MONDAY)
    assert slots[-1].start == at(MONDAY, "17:00") and len(slots) == 35
    assert all(len(s.units) == 1 for s in slots)
    assert slots[0].counter_id == "shimin_shomei" and slots[0].capacity == 4


def test_the_peak_season_gives_longer_days_and_more_windows(catalog):
    day = D("2026-03-19")
    slots = day_slots(catalog, "tennyu", "shiyakusho", day)
    assert slots[-1].start == at(day, "18:15") and slots[-1].end == at(day, "19:00")
    assert (slots[0].capacity, slots[0].quotas) == (10, {"web": 5, "phone": 2})


def test_weekend_slots_only_where_open(catalog):
    saturday = D("2026-11-28")
    assert day_slots(catalog, "tennyu", "shiyakusho", saturday) == []
    slots = day_slots(catalog, "tennyu", "higashi_plaza", saturday)
    assert slots[0].start == at(saturday, "09:00") and slots[-1].end == at(saturday, "19:00")
    assert slots[0].counter_id == "higashi_plaza_madoguchi"


def test_no_slots_on_closed_days_or_where_not_offered(catalog):
    assert day_slots(catalog, "tennyu", "shiyakusho", D("2026-05-06")) == []  # 振替休日
    assert day_slots(catalog, "tennyu", "higashi_plaza", D("2026-12-31")) == []
    assert day_slots(catalog, "koseki_todoke", "higashi_plaza", MONDAY) == []
    assert day_slots(catalog, "nope", "shiyakusho", MONDAY) == []
    assert day_slots(catalog, "tennyu", "nowhere", MONDAY) == []


def test_visits_never_run_over_lunch():
    cat = make_catalog()
    starts = [s.start.time().isoformat("minutes") for s in day_slots(cat, "tetsuzuki", "honcho", MONDAY)]
    assert "11:15" in starts and "11:30" not in starts and "11:45" not in starts and "12:00" not in starts
    assert starts[starts.index("11:15") + 1] == "13:00"
    assert starts[0] == "09:00" and starts[-1] == "16:15"
    assert len(starts) == 10 + 14


def test_minutes_not_a_multiple_of_the_slot():
    service = {"id": "tetsuzuki", "name": {"ja": "手続き", "en": "Procedure"}, "procedures": ["x"],
               "minutes": 20, "counters": ["madoguchi"]}
    cat = make_catalog(services=[service])
    slots = day_slots(cat, "tetsuzuki", "honcho", MONDAY)
    assert slots[0].units == (at(MONDAY, "09:00"), at(MONDAY, "09:15"))
    assert slots[0].end == at(MONDAY, "09:20")
    morning = [s for s in slots if s.start < at(MONDAY, "12:00")]
    assert morning[-1].start == at(MONDAY, "11:30")  # 11:30–11:50 fits; 11:45–12:05 does not
    assert slots[-1].start == at(MONDAY, "16:30")


def test_unit_starts(catalog):
    counter = catalog.counters["shimin_ido"]
    start = at(MONDAY, "10:00")
    assert unit_starts(counter, start, 15) == (start,)
    assert unit_starts(counter, start, 16) == (start, at(MONDAY, "10:15"))
    assert len(unit_starts(counter, start, 60)) == 4


def test_find_slot_in_any_timezone(catalog):
    utc = dt.datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # = 2026-11-30 08:30 JST
    slot = find_slot(catalog, "tennyu", "shiyakusho", utc)
    assert slot is not None and slot.start == at(MONDAY, "08:30") and slot.start.tzinfo == JST
    assert find_slot(catalog, "tennyu", "shiyakusho", dt.datetime(2026, 11, 30, 10, 15)) == \
        find_slot(catalog, "tennyu", "shiyakusho", at(MONDAY, "10:15"))  # naive: JST
    assert find_slot(catalog, "tennyu", "shiyakusho", at(MONDAY, "08:40")) is None  # not on a boundary
    assert find_slot(catalog, "tennyu", "shiyakusho", at(MONDAY, "16:45")) is None  # would end after 17:15
    assert find_slot(catalog, "tennyu", "shiyakusho", at(MONDAY, "08:15")) is None  # before opening
    assert find_slot(catalog, "tennyu", "shiyakusho", dt.datetime(2026, 11, 30, 8, 30, tzinfo=UTC)) is None  # 17:30 JST
    assert find_slot(catalog, "tennyu", "shiyakusho", at(D("2026-11-28"), "09:00")) is None  # Saturday
    assert find_slot(catalog, "koseki_todoke", "higashi_plaza", at(MONDAY, "09:00")) is None


def test_bookable_reason_lead_time_and_past(catalog):
    slot = find_slot(catalog, "tennyu", "shiyakusho", at(MONDAY, "10:00"))
    assert bookable_reason(catalog, slot, at(MONDAY, "08:00")) is None
    assert bookable_reason(catalog, slot, at(MONDAY, "09:00")) is None  # exactly the lead time
    assert bookable_reason(catalog, slot, at(MONDAY, "09:01")) == "too_soon"
    assert bookable_reason(catalog, slot, at(MONDAY, "10:00")) == "past"
    assert bookable_reason(catalog, slot, at(MONDAY, "12:00")) == "past"
    assert bookable_reason(catalog, slot, dt.datetime(2026, 11, 30, 0, 30, tzinfo=UTC)) == "too_soon"  # 09:30 JST


def test_bookable_reason_horizon_counts_days_in_jst(catalog):
    now = at(D("2026-11-27"), "10:00")
    last = find_slot(catalog, "shomeisho", "higashi_plaza", at(D("2026-12-27"), "18:45"))  # today + 30 days
    beyond = find_slot(catalog, "shomeisho", "higashi_plaza", at(D("2026-12-28"), "09:00"))
    assert bookable_reason(catalog, last, now) is None
    assert bookable_reason(catalog, beyond, now) == "too_far"
    # 2026-11-27 16:00 UTC is already 11-28 in Kakogawa: 12-28 is within the horizon then
    assert bookable_reason(catalog, beyond, dt.datetime(2026, 11, 27, 16, 0, tzinfo=UTC)) is None
    assert bookable_reason(catalog, beyond, dt.datetime(2026, 11, 27, 14, 59, tzinfo=UTC)) == "too_far"


def test_slots_are_frozen(catalog):
    slot = day_slots(catalog, "tennyu", "shiyakusho", MONDAY)[0]
    assert isinstance(slot, Slot)
    with pytest.raises(dataclasses.FrozenInstanceError):
        slot.capacity = 99
