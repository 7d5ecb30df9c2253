"""混雑状況 (reservations/crowding.py) on both databases: the people waiting now (walk-in tickets
and bookings checked in) and their wait; the expected level of each coming day from the seats
already booked and the visits of the same weekday in past weeks, with the thresholds and the
season's raise read from the pack (changing the pack's figures changes the level)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import delete

from core.db import db
from core.japan_time import JST
from reservations import crowding
from reservations import models as m
from reservations import queue as walkin
from reservations.loader import load_catalog

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=JST)  # a Wednesday, City Hall open
TODAY = NOW.date()
NEXT_WED = TODAY + dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def _clean(app):
    def wipe():
        with app.app_context():
            for model in (m.SeatClaim, m.Reservation, m.WalkInTicket):
                db.session.execute(delete(model))
            db.session.commit()
    wipe()
    yield
    wipe()


@pytest.fixture(scope="module")
def cat():
    return load_catalog("kakogawa")


def _tickets(day: dt.date, n: int, counter: str = "shimin_ido") -> None:
    at = dt.datetime.combine(day, dt.time(9), tzinfo=JST)
    for i in range(n):
        walkin.issue("shiyakusho", counter, day, at + dt.timedelta(minutes=i))
    db.session.commit()


_seq = iter(range(1, 10**6))


def _booking(day: dt.date, *, counter: str = "shimin_ido", status: str = m.CONFIRMED, checked_in: bool = False,
             seats: int = 0) -> m.Reservation:
    """A booking of ``day`` holding ``seats`` seats (one per base slot from 8:30, then the next window)."""
    start = dt.datetime.combine(day, dt.time(8, 30), tzinfo=JST).astimezone(dt.UTC)  # stored in UTC, as booking does
    r = m.Reservation(number=f"T{next(_seq):07d}", service_id="tennyu", site_id="shiyakusho", counter_id=counter,
                      start=start, end=start + dt.timedelta(minutes=15), day=day, channel="web", status=status,
                      created_at=NOW, checked_in_at=NOW if checked_in else None)
    db.session.add(r)
    db.session.flush()
    for k in range(seats):
        unit, seat = divmod(k, 6)
        db.session.add(m.SeatClaim(reservation_id=r.id, counter_id=counter,
                                   unit_start=start + dt.timedelta(minutes=15 * unit), seat=seat))
    db.session.commit()
    return r


def _day(days: list[crowding.DayAhead], day: dt.date) -> crowding.DayAhead:
    return next(d for d in days if d.day == day)


def test_the_levels_and_thresholds_come_from_the_pack(cat):
    levels = cat.crowding.levels
    assert [lv.id for lv in levels] == ["quiet", "normal", "busy"]
    assert levels[0].name.ja == "空いている" and levels[2].name.ja == "混んでいる"
    assert crowding.level_index(levels, 0, 0) == 0
    assert crowding.level_index(levels, levels[1].fill_percent, 0) == 1
    assert crowding.level_index(levels, 0, levels[2].visits_per_window) == 2
    assert crowding.level_index(levels, levels[1].fill_percent - 1, levels[1].visits_per_window - 0.1) == 0


def test_past_days_are_the_same_weekday_before_today():
    assert crowding.past_days(TODAY, TODAY.weekday(), 3) == [TODAY - dt.timedelta(weeks=k) for k in (1, 2, 3)]
    monday = crowding.past_days(TODAY, 0, 1)[0]
    assert monday.weekday() == 0 and 0 < (TODAY - monday).days < 7


def test_now_counts_walk_ins_and_bookings_checked_in(app, cat):
    with app.app_context():
        quiet = crowding.site_now(cat, "shiyakusho", NOW)
        assert quiet.closed is None and all(c.waiting == 0 and c.minutes == 0 for c in quiet.counters)
        _tickets(TODAY, 3)
        _booking(TODAY, status=m.CHECKED_IN, checked_in=True)
        _booking(TODAY)  # booked, not arrived: not waiting
        here = next(c for c in crowding.site_now(cat, "shiyakusho", NOW).counters if c.counter_id == "shimin_ido")
        assert (here.walk_ins, here.checked_in, here.waiting) == (3, 1, 4)
        per_person = walkin.fallback_minutes(cat, "shimin_ido")  # nobody served yet today
        assert here.minutes == walkin.estimated_wait("shimin_ido", TODAY, per_person, ahead=4, now=NOW).minutes > 0
        other = next(c for c in crowding.site_now(cat, "shiyakusho", NOW).counters if c.counter_id == "kokuho")
        assert other.waiting == 0


def test_the_hall_display_shows_the_same_figures(app, cat):
    from reservations.display_views import board
    with app.test_request_context("/display/shiyakusho"):
        _tickets(TODAY, 2)
        _booking(TODAY, status=m.CHECKED_IN, checked_in=True)
        queues = board(cat, "shiyakusho", NOW)["queues"]
        assert [q["waiting"] for q in queues] == [3]


def test_a_closed_day_and_a_weekend_are_closed(app, cat):
    with app.app_context():
        days = crowding.ahead(cat, "shiyakusho", TODAY, 7, now=NOW)
        saturday = next(d for d in days if d.day.weekday() == 5)
        assert saturday.closed == "weekday" and saturday.counters == {}
        assert _day(days, TODAY).closed is None and set(_day(days, TODAY).counters) == set(
            crowding.site_counters(cat, "shiyakusho"))


def test_the_level_rises_with_past_visits_of_the_same_weekday(app, cat):
    with app.app_context():
        assert _day(crowding.ahead(cat, "shiyakusho", TODAY, 9, now=NOW), NEXT_WED).counters["shimin_ido"].level.id \
            == "quiet"
        normal = cat.crowding.levels[1].visits_per_window
        # every past Wednesday of the window: enough visits per window (6 windows) for ふつう
        per_day = int(normal * 6) + 1
        for past in crowding.past_days(TODAY, TODAY.weekday(), cat.crowding.weeks_back):
            _tickets(past, per_day - 1)
            _booking(past, status=m.CHECKED_IN, checked_in=True)  # a booking checked in is a visit too
        days = crowding.ahead(cat, "shiyakusho", TODAY, 9, now=NOW)
        cell = _day(days, NEXT_WED).counters["shimin_ido"]
        assert cell.level.id == "normal" and cell.visits_per_window >= normal
        assert _day(days, NEXT_WED).counters["kokuho"].level.id == "quiet"  # another counter
        thursday = NEXT_WED + dt.timedelta(days=1)
        assert _day(days, thursday).counters["shimin_ido"].level.id == "quiet"  # another weekday


def test_the_level_rises_with_the_seats_already_booked(app, cat):
    with app.app_context():
        seats_of_day = 6 * 35  # 6 windows × 35 slots of 15 minutes (8:30–17:15)
        busy = cat.crowding.levels[2].fill_percent
        _booking(NEXT_WED, seats=seats_of_day * busy // 100 + 1)
        cell = _day(crowding.ahead(cat, "shiyakusho", TODAY, 9, now=NOW), NEXT_WED).counters["shimin_ido"]
        assert cell.level.id == "busy" and cell.fill_percent >= busy
        # a cancelled booking gives its seats back
        db.session.execute(delete(m.SeatClaim))
        db.session.commit()
        assert _day(crowding.ahead(cat, "shiyakusho", TODAY, 9, now=NOW), NEXT_WED).counters["shimin_ido"].fill_percent == 0


def test_other_thresholds_in_the_pack_give_other_levels(app, cat):
    with app.app_context():
        _booking(NEXT_WED, seats=10)  # 10 of 210 seats: about 5 %
        assert _day(crowding.ahead(cat, "shiyakusho", TODAY, 9, now=NOW), NEXT_WED).counters["shimin_ido"].level.id \
            == "quiet"
        levels = cat.crowding.levels
        lower = levels[1].model_copy(update={"fill_percent": 4})  # ふつう from 4 % of the seats
        edited = dataclasses.replace(cat, crowding=cat.crowding.model_copy(update={"levels": [levels[0], lower, levels[2]]}))
        assert _day(crowding.ahead(edited, "shiyakusho", TODAY, 9, now=NOW), NEXT_WED).counters["shimin_ido"].level.id \
            == "normal"


def test_the_busy_season_raises_the_level(app, cat):
    with app.app_context():
        in_season = dt.date(2027, 3, 17)  # 繁忙期 03-15 → 04-15 (a Wednesday)
        days = crowding.ahead(cat, "shiyakusho", in_season, 1, now=NOW)
        cell = days[0].counters["shimin_ido"]
        assert days[0].season == "hankaki" and cell.raised_by == cat.crowding.seasons["hankaki"] == 1
        assert cell.level.id == "normal"
        no_raise = dataclasses.replace(cat, crowding=cat.crowding.model_copy(update={"seasons": {}}))
        assert crowding.ahead(no_raise, "shiyakusho", in_season, 1, now=NOW)[0].counters["shimin_ido"].level.id == "quiet"


def test_a_pack_without_crowding_shows_nothing_ahead(app, cat):
    with app.app_context():
        assert crowding.ahead(dataclasses.replace(cat, crowding=None), "shiyakusho", TODAY, now=NOW) == []


def test_the_pack_check_refuses_unknown_seasons_and_falling_thresholds(pack):
    from knowledge.yamlfile import KnowledgeError
    path = pack / "reservations.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    hankaki: 1\n", "    nosuch: 1\n"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown season 'nosuch'"):
        load_catalog(pack.name, pack.parent)
    path.write_text(text.replace("    fill_percent: 75\n", "    fill_percent: 30\n"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="higher thresholds"):
        load_catalog(pack.name, pack.parent)
