"""How crowded the counters are: now (the people waiting at each counter and the wait of someone
who comes now) and ahead (an expected level per counter for each of the coming days), so that
residents come at quiet times (issue 14). Numbers only: nothing here names anyone.

Now: the walk-in tickets still waiting plus the bookings checked in and not yet finished are the
people waiting; the wait is ``queue.estimated_wait`` with them all ahead (today's measured
minutes per person, else the counter's services' minutes). The hall display shows the same
figures (display_views.board reads them from here).

Ahead: the thresholds are the pack's (``crowding:`` in reservations.yaml; schema
``reservations.catalog.Crowding``), never figures in code. A day reaches a level when the seats
already booked at the counter (``booking.taken_seats``) reach its ``fill_percent`` of the day's
seats (windows × base slots, after the season and staff overrides), or when the average visits of
the same weekday over the past ``weeks_back`` weeks (walk-in tickets plus bookings checked in, on
the days the site was open) reach its ``visits_per_window`` per window open that day. The busiest
level reached counts; a season listed under ``crowding.seasons`` (繁忙期) raises it.

Plain Python over ``db.session`` (read only): no Flask request, no templates.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from dataclasses import dataclass

from sqlalchemy import func, select

from core.db import db
from core.japan_time import JST
from reservations import booking, overrides
from reservations import models as m
from reservations import queue as walkin
from reservations.calendar import day_plan, is_closed
from reservations.catalog import CrowdingLevel
from reservations.loader import Catalog

# --- now --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CounterNow:
    counter_id: str
    walk_ins: int  # walk-in tickets waiting
    checked_in: int  # bookings checked in and not finished
    minutes: int  # the estimated wait of someone who comes now (rounded up)
    measured: bool  # from today's served tickets (not the services' minutes)
    issued: int  # walk-in tickets issued today (0 and nobody waiting: a quiet counter)

    @property
    def waiting(self) -> int:
        return self.walk_ins + self.checked_in


@dataclass(frozen=True)
class SiteNow:
    site_id: str
    day: dt.date
    at: dt.datetime  # when it was read (JST)
    closed: str | None  # why the site is closed today (calendar.CLOSED_REASONS), None when open
    counters: list[CounterNow]


def checked_in_waiting(counter_ids: list[str], day: dt.date) -> dict[str, int]:
    """Bookings checked in today and not finished yet, per counter."""
    if not counter_ids:
        return {}
    rows = db.session.execute(select(m.Reservation.counter_id, func.count()).where(
        m.Reservation.counter_id.in_(counter_ids), m.Reservation.day == day,
        m.Reservation.status == m.CHECKED_IN, m.Reservation.done_at.is_(None))
        .group_by(m.Reservation.counter_id)).all()
    return {cid: n for cid, n in rows}


def counter_now(catalog: Catalog, counter_id: str, day: dt.date, now: dt.datetime,
                checked_in: int = 0) -> CounterNow:
    ahead = walkin.waiting_count(counter_id, day)
    wait = walkin.estimated_wait(counter_id, day, walkin.fallback_minutes(catalog, counter_id),
                                 ahead=ahead + checked_in, now=now)
    return CounterNow(counter_id, ahead, checked_in, wait.minutes, wait.measured,
                      len(walkin.tickets([counter_id], day)))


def site_counters(catalog: Catalog, site_id: str) -> list[str]:
    return [cid for cid, c in catalog.counters.items() if c.site == site_id]


def site_now(catalog: Catalog, site_id: str, now: dt.datetime | None = None) -> SiteNow:
    """Every counter of ``site_id`` now, in the file's order."""
    now = now or walkin.now_utc()
    today = walkin.today(now)
    counters = site_counters(catalog, site_id)
    checked = checked_in_waiting(counters, today)
    closed = is_closed(overrides.for_day(catalog, site_id, today), site_id, today)
    return SiteNow(site_id, today, now.astimezone(JST), closed,
                   [counter_now(catalog, cid, today, now, checked.get(cid, 0)) for cid in counters])


# --- ahead ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CounterDay:
    counter_id: str
    level: CrowdingLevel
    index: int  # 0 = the quietest level
    fill_percent: int  # seats of the day booked already
    visits_per_window: float  # past visits of this weekday, per window open that day
    raised_by: int  # levels added by the season


@dataclass(frozen=True)
class DayAhead:
    day: dt.date
    closed: str | None  # why the site is closed (then ``counters`` is empty)
    season: str | None  # the season's id when it raised the day
    counters: dict[str, CounterDay]


def past_days(today: dt.date, weekday: int, weeks: int) -> list[dt.date]:
    """The ``weeks`` most recent days before ``today`` falling on ``weekday`` (0 = Monday)."""
    back = (today.weekday() - weekday) % 7 or 7
    first = today - dt.timedelta(days=back)
    return [first - dt.timedelta(weeks=k) for k in range(weeks)]


def past_visits(counter_ids: list[str], start: dt.date, end: dt.date) -> Tally:
    """Visits per (counter, day) from ``start`` to ``end`` included: walk-in tickets taken plus
    bookings checked in."""
    out: Tally = Tally()
    if not counter_ids:
        return out
    for cid, day, n in db.session.execute(select(m.WalkInTicket.counter_id, m.WalkInTicket.day, func.count()).where(
            m.WalkInTicket.counter_id.in_(counter_ids), m.WalkInTicket.day >= start, m.WalkInTicket.day <= end)
            .group_by(m.WalkInTicket.counter_id, m.WalkInTicket.day)):
        out[(cid, day)] += n
    for cid, day, n in db.session.execute(select(m.Reservation.counter_id, m.Reservation.day, func.count()).where(
            m.Reservation.counter_id.in_(counter_ids), m.Reservation.day >= start, m.Reservation.day <= end,
            m.Reservation.checked_in_at.is_not(None)).group_by(m.Reservation.counter_id, m.Reservation.day)):
        out[(cid, day)] += n
    return out


def level_index(levels: list[CrowdingLevel], fill_percent: float, visits_per_window: float) -> int:
    """The busiest level reached by either measure (the first level needs nothing)."""
    reached = 0
    for i, level in enumerate(levels[1:], start=1):
        if fill_percent >= level.fill_percent or visits_per_window >= level.visits_per_window:
            reached = i
    return reached


def _base_slots(intervals: list[tuple[dt.time, dt.time]], slot_minutes: int) -> list[tuple[dt.time, int]]:
    """(opening, number of base slots) per interval."""
    out = []
    for opens, closes in intervals:
        minutes = (dt.datetime.combine(dt.date.min, closes) - dt.datetime.combine(dt.date.min, opens)).seconds // 60
        out.append((opens, minutes // slot_minutes))
    return out


def ahead(catalog: Catalog, site_id: str, start: dt.date | None = None, days: int | None = None,
          now: dt.datetime | None = None) -> list[DayAhead]:
    """The expected level of each counter of ``site_id`` for ``days`` days from ``start`` (today
    by default); [] when the pack has no ``crowding:``."""
    config = catalog.crowding
    if config is None:
        return []
    now = now or walkin.now_utc()
    today = walkin.today(now)
    start = start or today
    days = days or config.days_ahead
    counters = site_counters(catalog, site_id)
    # the past: one query for every weekday's weeks
    earliest = today - dt.timedelta(weeks=config.weeks_back)
    visits = past_visits(counters, earliest, today - dt.timedelta(days=1))
    open_past: dict[int, list[dt.date]] = {}
    for weekday in range(7):
        open_past[weekday] = [d for d in past_days(today, weekday, config.weeks_back)
                              if is_closed(overrides.for_day(catalog, site_id, d), site_id, d) is None]
    # the plans of the coming days, and the base slots each counter has in them
    plans = {}
    for i in range(days):
        day = start + dt.timedelta(days=i)
        plans[day] = day_plan(overrides.for_day(catalog, site_id, day), site_id, day)
    units: dict[str, list[dt.datetime]] = {cid: [] for cid in counters}
    for day, plan in plans.items():
        if plan is None:
            continue
        for cid in counters:
            counter = plan.counters[cid].counter
            step = dt.timedelta(minutes=counter.slot_minutes)
            for opens, count in _base_slots(plan.intervals, counter.slot_minutes):
                first = dt.datetime.combine(day, opens, tzinfo=JST)
                units[cid].extend(first + k * step for k in range(count))
    taken: dict[str, Tally] = {}
    for cid in counters:
        per_day: Tally = Tally()
        for unit, seats in booking.taken_seats(cid, units[cid], now).items():
            per_day[unit.astimezone(JST).date()] += len(seats)
        taken[cid] = per_day
    out: list[DayAhead] = []
    for day, plan in plans.items():
        if plan is None:
            closed = is_closed(overrides.for_day(catalog, site_id, day), site_id, day)
            out.append(DayAhead(day, closed or "weekday", None, {}))
            continue
        raise_by = config.seasons.get(plan.season.id, 0) if plan.season is not None else 0
        cells = {}
        for cid in counters:
            cp = plan.counters[cid]
            seats = cp.windows * sum(n for _, n in _base_slots(plan.intervals, cp.counter.slot_minutes))
            fill = 100 * taken[cid][day] / seats if seats else 0.0
            past = open_past[day.weekday()]
            average = sum(visits[(cid, d)] for d in past) / len(past) if past else 0.0
            per_window = average / cp.windows if cp.windows else 0.0
            index = level_index(config.levels, fill, per_window)
            raised = min(index + raise_by, len(config.levels) - 1)
            cells[cid] = CounterDay(cid, config.levels[raised], raised, round(fill), round(per_window, 1),
                                    raised - index)
        out.append(DayAhead(day, None, plan.season.id if raise_by and plan.season is not None else None, cells))
    return out
