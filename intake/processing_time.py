"""Days elapsed since 受付 and the standard processing time (標準処理期間) of each procedure.

Both are counted in 開庁日 (the city's open days: not Saturdays, Sundays, national holidays or
12/29–1/3, see rules.calendar.is_open_day), the way 標準処理期間 are set: the day of 受付 is
day 0, the next open day is day 1. The figure per procedure is data of the knowledge pack
(``review.standard_processing_days`` in forms/*.yaml), not code.

Markers (for open applications only; an application waiting for the resident's 補正 and one
already issued have none): ``overdue`` (期限超過) when more open days have passed than the
standard, ``due_soon`` (期限間近) on the last ``DUE_SOON`` open day(s) before it. Plain Python.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from core.japan_time import JST
from intake import workflow
from rules.calendar import is_open_day

DUE_SOON = 1  # 期限間近: the deadline is today or the next open day
CLOCK_RUNS = frozenset({workflow.SUBMITTED, workflow.REVIEWING, workflow.APPROVED})
OVERDUE, DUE_SOON_MARK = "overdue", "due_soon"


@dataclass(frozen=True)
class Timing:
    elapsed: int | None  # open days since 受付
    standard: int | None  # the procedure's 標準処理期間 (open days), None if the pack has none
    remaining: int | None  # standard − elapsed (negative: overdue)
    marker: str | None  # "overdue", "due_soon" or None


def open_days_between(start: dt.date, end: dt.date) -> int:
    """Open days after ``start`` up to and including ``end`` (0 when end <= start).

    Counted from each year's running totals (computed once per year), not day by day: the
    inbox's workload asks this for every open application on every view."""
    if end <= start:
        return 0
    days = sum(_running(year)[-1] for year in range(start.year, end.year))
    return days + _running(end.year)[_index(end)] - _running(start.year)[_index(start)]


def _index(day: dt.date) -> int:
    return day.toordinal() - dt.date(day.year, 1, 1).toordinal()


@functools.lru_cache(maxsize=64)
def _running(year: int) -> tuple[int, ...]:
    """Open days from 1 January of ``year`` up to and including each day of it."""
    counts, total, day = [], 0, dt.date(year, 1, 1)
    while day.year == year:
        total += is_open_day(day)
        counts.append(total)
        day += dt.timedelta(days=1)
    return tuple(counts)


def jst_day(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:  # SQLite gives naive UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST).date()


def timing(status: str, submitted_at: dt.datetime | None, standard_days: int | None, today: dt.date) -> Timing:
    return timing_from_day(status, submitted_at and jst_day(submitted_at), standard_days, today)


def timing_from_day(status: str, submitted_on: dt.date | None, standard_days: int | None, today: dt.date) -> Timing:
    """``timing`` from the day (in Japan) the application was submitted: all it depends on."""
    if submitted_on is None:
        return Timing(None, standard_days, None, None)
    elapsed = open_days_between(submitted_on, today)
    if standard_days is None:
        return Timing(elapsed, None, None, None)
    remaining = standard_days - elapsed
    marker = None
    if status in CLOCK_RUNS:
        marker = OVERDUE if remaining < 0 else DUE_SOON_MARK if remaining <= DUE_SOON else None
    return Timing(elapsed, standard_days, remaining, marker)


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()
