"""intake.processing_time counts open days from each year's running totals; the count must be the
one a clerk gets by walking the calendar day by day, across years and closures."""
from __future__ import annotations

import datetime as dt
import random

from intake import processing_time
from rules.calendar import is_open_day


def _walked(start: dt.date, end: dt.date) -> int:
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        days += is_open_day(day)
    return days


def test_open_days_are_the_days_walked_one_by_one():
    picks = random.Random(20261204)
    for _ in range(1500):
        start = dt.date(2019, 1, 1) + dt.timedelta(days=picks.randint(0, 3000))
        end = start + dt.timedelta(days=picks.randint(-20, 800))
        assert processing_time.open_days_between(start, end) == _walked(start, end), (start, end)


def test_edges_of_a_year_and_of_the_closures():
    assert processing_time.open_days_between(dt.date(2026, 12, 28), dt.date(2027, 1, 4)) == 1  # 年末年始
    assert processing_time.open_days_between(dt.date(2026, 12, 31), dt.date(2027, 1, 1)) == 0
    assert processing_time.open_days_between(dt.date(2026, 4, 28), dt.date(2026, 5, 7)) == 3  # GW
    assert processing_time.open_days_between(dt.date(2024, 2, 28), dt.date(2024, 3, 1)) == 2  # 2/29 (Thu), 3/1
    assert processing_time.open_days_between(dt.date(2026, 6, 1), dt.date(2026, 6, 1)) == 0
    assert processing_time.open_days_between(dt.date(2026, 6, 2), dt.date(2026, 6, 1)) == 0


def test_a_timing_a_year_old_is_overdue():
    submitted = dt.datetime(2025, 12, 1, 1, tzinfo=dt.UTC)
    timing = processing_time.timing("submitted", submitted, 5, dt.date(2026, 12, 4))
    assert timing.marker == processing_time.OVERDUE and timing.elapsed == _walked(dt.date(2025, 12, 1), dt.date(2026, 12, 4))
