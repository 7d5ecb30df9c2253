"""Tests for rules.calendar; the first table is deadlines.md's example table, verbatim."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.calendar import (
    due_date,
    is_open_day,
    last_open_day_of_month,
    next_open_day,
    period_end,
)

D = date.fromisoformat

# procedure → (kind, amount), as the knowledge pack declares them
PROCEDURES = {
    "shussei_todoke": ("koseki_days", 14),
    "tennyu_todoke": ("days", 14),
    "shibo_todoke": ("koseki_days", 7),
    "jido_teate_nintei": ("child_allowance", None),
}


@pytest.mark.parametrize(
    ("event_date", "procedure", "expected"),
    [
        ("2026-04-01", "shussei_todoke", "2026-04-14"),
        ("2026-04-27", "shussei_todoke", "2026-05-11"),  # 5/10 is a Sunday
        ("2026-04-01", "tennyu_todoke", "2026-04-15"),
        ("2026-12-20", "tennyu_todoke", "2027-01-04"),  # 1/3 is in the year-end closure
        ("2026-04-01", "shibo_todoke", "2026-04-07"),
        ("2026-04-01", "jido_teate_nintei", "2026-04-30"),  # month's last open day > 4/16
        ("2026-04-27", "jido_teate_nintei", "2026-05-12"),  # 4/27 + 15 days > 4/30
    ],
)
def test_deadlines_md_examples(event_date: str, procedure: str, expected: str) -> None:
    kind, amount = PROCEDURES[procedure]
    assert due_date(kind, amount, D(event_date)) == D(expected)


@pytest.mark.parametrize(
    ("d", "is_open"),
    [
        ("2026-04-15", True),  # Wednesday
        ("2026-04-18", False),  # Saturday
        ("2026-04-19", False),  # Sunday
        ("2026-04-29", False),  # 昭和の日
        ("2026-04-30", True),
        # Golden Week 2026: 5/3 憲法記念日 (Sun), 5/4, 5/5, 5/6 振替休日
        ("2026-05-01", True),
        ("2026-05-03", False),
        ("2026-05-04", False),
        ("2026-05-05", False),
        ("2026-05-06", False),
        ("2026-05-07", True),
        # シルバーウィーク 2026: 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日
        ("2026-09-21", False),
        ("2026-09-22", False),
        ("2026-09-23", False),
        ("2026-09-24", True),
        ("2026-02-23", False),  # 天皇誕生日
        ("2027-03-22", False),  # 振替休日 (春分の日 3/21 is a Sunday)
        # Year-end closure 12/29–1/3, even on weekdays
        ("2026-12-28", True),
        ("2026-12-29", False),
        ("2026-12-30", False),
        ("2026-12-31", False),
        ("2027-01-01", False),
        ("2027-01-02", False),
        ("2027-01-03", False),
        ("2027-01-04", True),
        ("2025-12-29", False),  # a Monday
        ("2026-01-02", False),  # a Friday
    ],
)
def test_is_open_day(d: str, is_open: bool) -> None:
    assert is_open_day(D(d)) is is_open


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        ("2026-04-15", "2026-04-15"),  # open: itself
        ("2026-04-18", "2026-04-20"),  # Saturday
        ("2026-05-02", "2026-05-07"),  # Golden Week
        ("2026-09-19", "2026-09-24"),  # weekend + 敬老の日 + 国民の休日 + 秋分の日
        ("2025-12-27", "2026-01-05"),  # weekend + year-end closure + Sunday 1/4
    ],
)
def test_next_open_day(d: str, expected: str) -> None:
    assert next_open_day(D(d)) == D(expected)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        ("2026-04-01", "2026-04-30"),
        ("2026-05-15", "2026-05-29"),  # 5/30, 5/31 weekend
        ("2026-12-01", "2026-12-28"),  # year-end closure
        ("2027-12-10", "2027-12-28"),
        ("2028-12-10", "2028-12-28"),
        ("2025-12-01", "2025-12-26"),  # 12/27–28 weekend, then closure
        ("2026-02-10", "2026-02-27"),  # 2/28 Saturday
        ("2028-02-10", "2028-02-29"),  # leap year
        ("2026-01-05", "2026-01-30"),  # 1/31 Saturday
    ],
)
def test_last_open_day_of_month(d: str, expected: str) -> None:
    assert last_open_day_of_month(D(d)) == D(expected)


@pytest.mark.parametrize(
    ("kind", "amount", "start", "end", "due"),
    [
        # 民法140条 (初日不算入) / 戸籍法43条 (初日算入)
        ("days", 14, "2026-04-01", "2026-04-15", "2026-04-15"),
        ("koseki_days", 14, "2026-04-01", "2026-04-14", "2026-04-14"),
        ("days", 1, "2026-04-01", "2026-04-02", "2026-04-02"),
        ("koseki_days", 1, "2026-04-01", "2026-04-01", "2026-04-01"),
        ("days", 14, "2028-02-20", "2028-03-05", "2028-03-06"),  # leap year, 3/5 Sunday
        ("days", 14, "2026-04-20", "2026-05-04", "2026-05-07"),  # into Golden Week
        ("koseki_days", 14, "2026-09-09", "2026-09-22", "2026-09-24"),  # 国民の休日
        ("koseki_days", 10, "2026-04-27", "2026-05-06", "2026-05-07"),  # 振替休日
        # 民法143条, first day not counted: 起算日 is the next day
        ("months", 3, "2026-04-01", "2026-07-01", "2026-07-01"),
        ("months", 1, "2026-04-30", "2026-05-31", "2026-06-01"),  # 起算日 5/1 → whole May
        ("months", 1, "2026-03-31", "2026-04-30", "2026-04-30"),
        ("months", 3, "2026-11-30", "2027-02-28", "2027-03-01"),  # 起算日 12/1; 2/28 Sunday
        ("months", 1, "2026-01-28", "2026-02-28", "2026-03-02"),  # no 2/29 → month end
        ("months", 1, "2028-01-28", "2028-02-28", "2028-02-28"),  # 2/29 exists → day before
        ("months", 1, "2028-01-30", "2028-02-29", "2028-02-29"),  # no 2/31 → month end
        ("months", 24, "2026-04-01", "2028-04-01", "2028-04-03"),  # 2年
        ("months", 12, "2027-02-28", "2028-02-29", "2028-02-29"),  # 起算日 2/29 in a leap year
        ("months", 12, "2028-02-28", "2029-02-28", "2029-02-28"),  # 起算日 2/29, none in 2029
        ("months", 2, "2026-10-28", "2026-12-28", "2026-12-28"),
        ("months", 2, "2026-10-29", "2026-12-29", "2027-01-04"),  # year-end closure
        # 戸籍法43条 + 民法143条: counted from the start day itself
        ("koseki_months", 3, "2026-04-01", "2026-06-30", "2026-06-30"),  # deadlines.md rule 4
        ("koseki_months", 1, "2027-01-31", "2027-02-28", "2027-03-01"),  # 2/28 Sunday
        ("koseki_months", 1, "2028-01-31", "2028-02-29", "2028-02-29"),
        ("koseki_months", 1, "2028-01-29", "2028-02-28", "2028-02-28"),
        ("koseki_months", 1, "2026-03-31", "2026-04-30", "2026-04-30"),
        ("koseki_months", 1, "2026-05-01", "2026-05-31", "2026-06-01"),  # 5/31 Sunday
        ("koseki_months", 3, "2026-10-01", "2026-12-31", "2027-01-04"),
        ("koseki_months", 12, "2028-02-29", "2029-02-28", "2029-02-28"),
        # 児童手当 (rule 3): start + 15 days vs the month's last open day
        ("child_allowance", None, "2026-04-15", "2026-04-30", "2026-04-30"),
        ("child_allowance", None, "2026-04-16", "2026-05-01", "2026-05-01"),
        ("child_allowance", None, "2026-04-18", "2026-05-03", "2026-05-07"),  # Golden Week
        ("child_allowance", None, "2026-12-01", "2026-12-16", "2026-12-28"),
        ("child_allowance", None, "2026-12-17", "2027-01-01", "2027-01-04"),
        ("child_allowance", None, "2026-12-31", "2027-01-15", "2027-01-15"),
    ],
)
def test_period_end_and_due_date(kind: str, amount: int | None, start: str, end: str, due: str) -> None:
    assert period_end(kind, amount, D(start)) == D(end)
    assert due_date(kind, amount, D(start)) == D(due)


def test_none_has_no_due_date() -> None:
    assert due_date("none", None, D("2026-04-01")) is None


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        ("weeks", 2),
        ("", None),
        ("days", None),
        ("koseki_days", None),
        ("months", None),
        ("koseki_months", None),
        ("days", 0),
        ("koseki_months", -1),
        ("days", True),
        ("none", 3),
        ("child_allowance", 15),
    ],
)
def test_invalid_kind_or_amount(kind: str, amount: int | None) -> None:
    with pytest.raises(ValueError):
        due_date(kind, amount, D("2026-04-01"))


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


@given(
    kind=st.sampled_from(["days", "koseki_days", "months", "koseki_months"]),
    amount=st.integers(min_value=1, max_value=400),
    start=dates,
)
def test_due_date_is_open_and_not_before_start(kind: str, amount: int, start: date) -> None:
    due = due_date(kind, amount, start)
    assert due is not None
    assert is_open_day(due)
    assert due >= start
    end = period_end(kind, amount, start)
    assert end is not None and end <= due
    assert all(not is_open_day(end + timedelta(days=i)) for i in range((due - end).days))


@given(start=dates)
def test_child_allowance_is_open_and_after_both_bounds(start: date) -> None:
    due = due_date("child_allowance", None, start)
    assert due is not None and is_open_day(due)
    assert due >= start + timedelta(days=15)
    assert due >= last_open_day_of_month(start)


@given(start=dates, amount=st.integers(min_value=1, max_value=120))
def test_months_differ_from_koseki_months_by_one_day_of_start(start: date, amount: int) -> None:
    # 初日不算入 of start is 初日算入 of the next day (民法140条 vs 戸籍法43条)
    assert period_end("months", amount, start) == period_end("koseki_months", amount, start + timedelta(days=1))
    assert period_end("days", amount, start) == period_end("koseki_days", amount, start + timedelta(days=1))


@given(start=dates, amount=st.integers(min_value=1, max_value=120))
def test_month_periods_are_monotonic(start: date, amount: int) -> None:
    later = start + timedelta(days=1)
    assert period_end("koseki_months", amount, start) <= period_end("koseki_months", amount, later)
    assert period_end("koseki_months", amount, start) < period_end("koseki_months", amount + 1, start)


def test_holidays_read_by_month_are_jpholidays_days():
    """The month-at-a-time memo answers as jpholiday does, day by day (振替休日, 国民の休日 too)."""
    import datetime as _dt

    import jpholiday

    from rules import calendar as cal

    day = _dt.date(2019, 1, 1)
    while day.year < 2031:
        assert cal._is_holiday(day) == jpholiday.is_holiday(day), day
        assert cal.closed_day_kind(day) == (
            "year_end" if (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)
            else "holiday" if jpholiday.is_holiday(day) else "weekend" if day.weekday() >= 5 else None), day
        day += _dt.timedelta(days=1)


def test_periods_and_due_dates_are_worked_out_once_per_start_day():
    """Every answer asks for the same few periods again (issue 10): the second ask is a lookup,
    and a wrong ask still raises each time."""
    from rules import calendar as cal

    start = date(2026, 12, 28)
    assert cal.due_date("days", 14, start) is cal.due_date("days", 14, start)
    assert cal.period_end("months", 3, start) is cal.period_end("months", 3, start)
    assert cal.due_date("days", 14, start) == date(2027, 1, 12)  # 1/11 成人の日 is closed
    cal.due_date("days", 1, start)
    for _ in range(2):
        with pytest.raises(ValueError):
            cal.due_date("days", None, start)
        with pytest.raises(ValueError):  # True == 1, but it is not an amount (typed memo)
            cal.due_date("days", True, start)
