"""The month a calendar page shows (reservations/month.py): one rule for the residents' single
booking, their whole-visit booking and the staff's phone booking."""
from __future__ import annotations

import datetime as dt

import pytest

from reservations.month import Shown, shift_month, shown_month

FIRST, LAST = dt.date(2026, 12, 2), dt.date(2027, 2, 28)  # today … today + horizon


@pytest.mark.parametrize(("text", "expected"), [
    (None, Shown(dt.date(2026, 12, 1), None, dt.date(2027, 1, 1))),
    ("2027-01", Shown(dt.date(2027, 1, 1), dt.date(2026, 12, 1), dt.date(2027, 2, 1))),
    ("２０２７-１", Shown(dt.date(2027, 1, 1), dt.date(2026, 12, 1), dt.date(2027, 2, 1))),  # typed full-width
    ("2027-02", Shown(dt.date(2027, 2, 1), dt.date(2027, 1, 1), None)),
    ("2030-05", Shown(dt.date(2027, 2, 1), dt.date(2027, 1, 1), None)),  # after the period: its last month
    ("1999-05", Shown(dt.date(2026, 12, 1), None, dt.date(2027, 1, 1))),  # before it: its first month
    ("2027-13", Shown(dt.date(2026, 12, 1), None, dt.date(2027, 1, 1))),
    ("2027-01-05", Shown(dt.date(2026, 12, 1), None, dt.date(2027, 1, 1))),
    ("x" * 300, Shown(dt.date(2026, 12, 1), None, dt.date(2027, 1, 1))),
])
def test_the_shown_month_stays_in_the_booking_period(text, expected):
    assert shown_month(text, FIRST, LAST) == expected


def test_one_month_period_has_no_neighbours():
    assert shown_month("2026-12", FIRST, dt.date(2026, 12, 31)) == Shown(dt.date(2026, 12, 1), None, None)


def test_shift_month_crosses_years():
    assert shift_month(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 1)
    assert shift_month(dt.date(2027, 1, 31), -1) == dt.date(2026, 12, 1)
    assert shift_month(dt.date(2027, 1, 31), -13) == dt.date(2025, 12, 1)
