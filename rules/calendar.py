"""Open days and due dates, following docs/deadlines.md (its rule numbers are cited below).

Pure functions: no Flask, no database. Holidays come from the maintained
``jpholiday`` package (国民の祝日, 振替休日, 国民の休日).
"""

from __future__ import annotations

import calendar as _cal
import functools
from datetime import date, timedelta

import jpholiday

__all__ = ["KINDS", "closed_day_kind", "due_date", "is_open_day", "last_open_day_of_month", "next_open_day", "period_end",
           "warm_holidays"]

KINDS = ("days", "koseki_days", "months", "koseki_months", "child_allowance", "on_day", "none")
_WITH_AMOUNT = ("days", "koseki_days", "months", "koseki_months")
_CHILD_ALLOWANCE_DAYS = 15  # 児童手当法8条の「15日特例」 (deadlines.md rule 3)
_ONE_DAY = timedelta(days=1)


@functools.lru_cache(maxsize=1024)  # pure; a month's holidays at once (jpholiday checks a day at a time)
def _month_holidays(year: int, month: int) -> frozenset[date]:
    return frozenset(d for d, _ in jpholiday.month_holidays(year, month))


def warm_holidays(first_year: int, last_year: int) -> None:
    """Read the holidays of these years now (about 10 ms a month in jpholiday), so no request
    pays for them: a server calls this once per worker, before serving."""
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            _month_holidays(year, month)


def _is_holiday(d: date) -> bool:
    """``jpholiday.is_holiday``, read from the month's holidays."""
    return d in _month_holidays(d.year, d.month)


@functools.lru_cache(maxsize=8192)  # pure; every due date asks for the same few weeks again
def is_open_day(d: date) -> bool:
    """False on Saturdays, Sundays, national holidays and the 12/29–1/3 closure.

    行政機関の休日に関する法律1条 / 地方自治法4条の2 (and the municipal 休日条例).
    """
    if d.weekday() >= 5:
        return False
    if (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3):
        return False
    return not _is_holiday(d)


def closed_day_kind(d: date) -> str | None:
    """Why ``d`` is closed: "year_end" (12/29–1/3), "holiday", "weekend"; None on an open day."""
    if (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3):
        return "year_end"
    if _is_holiday(d):
        return "holiday"
    if d.weekday() >= 5:
        return "weekend"
    return None


def next_open_day(d: date) -> date:
    """``d`` itself when open, else the first open day after it."""
    while not is_open_day(d):
        d += _ONE_DAY
    return d


def last_open_day_of_month(d: date) -> date:
    """The last open day of ``d``'s month (e.g. 12/28 or earlier in December)."""
    day = date(d.year, d.month, _cal.monthrange(d.year, d.month)[1])
    while not is_open_day(day):
        day -= _ONE_DAY
    return day


def _end_of_months(first_day: date, months: int) -> date:
    """民法143条: the last day of a period of ``months`` months whose first day is ``first_day``.

    143条2項: it ends on the day before the day of the last month that corresponds to the
    起算日; where the last month has no such day, on that month's last day. (When the
    起算日 is the 1st, 143条1項 gives the same result: the end of the previous month.)
    """
    y, m0 = divmod(first_day.year * 12 + first_day.month - 1 + months, 12)
    m = m0 + 1
    days_in_month = _cal.monthrange(y, m)[1]
    if first_day.day > days_in_month:
        return date(y, m, days_in_month)
    return date(y, m, first_day.day) - _ONE_DAY


@functools.lru_cache(maxsize=8192, typed=True)  # pure; typed: an amount of True is refused, not read as 1
def period_end(kind: str, amount: int | None, start: date) -> date | None:
    """The last day of the period by the calendar, before moving off closed days."""
    if kind not in KINDS:
        raise ValueError(f"unknown deadline kind: {kind!r}")
    if kind in ("none", "child_allowance", "on_day"):
        if amount is not None:
            raise ValueError(f"deadline kind {kind!r} takes no amount")
        if kind == "none":  # 「速やかに」など: no fixed day (rule 6)
            return None
        if kind == "on_day":  # by the start day itself (e.g. 国外転出: by the departure day)
            return start
        return start + timedelta(days=_CHILD_ALLOWANCE_DAYS)
    if amount is None:
        raise ValueError(f"deadline kind {kind!r} needs an amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValueError(f"deadline amount must be a positive integer, got {amount!r}")
    if kind == "days":  # 民法140条: 初日不算入, the period starts the next day
        return start + timedelta(days=amount)
    if kind == "koseki_days":  # 戸籍法43条1項: 届出事件発生の日から起算 (初日算入)
        return start + timedelta(days=amount - 1)
    if kind == "months":  # 民法140条 + 143条: 起算日 is the next day
        return _end_of_months(start + _ONE_DAY, amount)
    return _end_of_months(start, amount)  # koseki_months: 戸籍法43条 + 民法143条


@functools.lru_cache(maxsize=8192, typed=True)  # pure (is_open_day's holidays are fixed per process)
def due_date(kind: str, amount: int | None, start: date) -> date | None:
    """The due date shown on the checklist, or None for deadlines without a fixed day."""
    end = period_end(kind, amount, start)
    if end is None:
        return None
    if kind == "on_day":
        # a "by this day" deadline (before leaving): never moved to a later day
        return end
    if kind == "child_allowance":
        # deadlines.md rule 3: the later of start + 15 days (moved off closed days)
        # and the last open day of the start date's month.
        return max(next_open_day(end), last_open_day_of_month(start))
    # Rule 5: a last day that is a closed day moves to the next open day
    # (民法142条, 行政機関の休日に関する法律2条, 地方自治法4条の2第4項).
    return next_open_day(end)
