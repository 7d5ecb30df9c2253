"""Tests for rules.wareki."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.wareki import ERAS, WarekiError, format_date, parse_wareki, to_wareki

D = date.fromisoformat


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        ("2026-04-15", "令和8年4月15日（水）"),
        ("2019-05-01", "令和元年5月1日（水）"),
        ("2020-01-01", "令和2年1月1日（水）"),
        ("2019-04-30", "平成31年4月30日（火）"),
        ("1989-01-08", "平成元年1月8日（日）"),
        ("1989-01-07", "昭和64年1月7日（土）"),
        ("1926-12-25", "昭和元年12月25日（土）"),
        ("1926-12-24", "大正15年12月24日（金）"),
        ("1912-07-30", "大正元年7月30日（火）"),
        ("1912-07-29", "明治45年7月29日（月）"),
        ("1868-01-25", "明治元年1月25日（土）"),
        ("1900-02-28", "明治33年2月28日（水）"),
    ],
)
def test_to_wareki(d: str, expected: str) -> None:
    assert to_wareki(D(d)) == expected
    assert to_wareki(D(d), with_weekday=False) == expected.split("（")[0]


def test_to_wareki_before_meiji() -> None:
    with pytest.raises(ValueError):
        to_wareki(D("1868-01-24"))


@pytest.mark.parametrize(
    ("d", "locale", "expected"),
    [
        ("2026-04-15", "ja", "2026年4月15日（水）"),
        ("2026-04-15", "en", "Wed 15 April 2026"),
        ("2026-01-04", "ja", "2026年1月4日（日）"),
        ("2026-01-04", "en", "Sun 4 January 2026"),
        ("2026-12-31", "en-GB", "Thu 31 December 2026"),
        ("2026-12-31", "ja_JP", "2026年12月31日（木）"),
    ],
)
def test_format_date(d: str, locale: str, expected: str) -> None:
    assert format_date(D(d), locale) == expected


def test_format_date_unknown_locale() -> None:
    with pytest.raises(ValueError):
        format_date(D("2026-04-15"), "fr")


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "expected"),
    [
        ("令和", 8, 4, 15, "2026-04-15"),
        ("令和", "元", 5, 1, "2019-05-01"),
        ("令和", 1, 5, 1, "2019-05-01"),
        ("令和", "1", "5", "1", "2019-05-01"),
        ("令和", "元年", "5月", "1日", "2019-05-01"),
        ("R", 8, 4, 15, "2026-04-15"),
        ("r", "８", "４", "１５", "2026-04-15"),  # full-width digits
        ("Ｒ", 8, 4, 15, "2026-04-15"),  # full-width letter
        ("平成", 31, 4, 30, "2019-04-30"),
        ("h", "元", 1, 8, "1989-01-08"),
        ("H", 12, 2, 29, "2000-02-29"),
        ("昭和", 64, 1, 7, "1989-01-07"),
        ("S", 1, 12, 25, "1926-12-25"),
        ("大正", 15, 12, 24, "1926-12-24"),
        ("t", 1, 7, 30, "1912-07-30"),
        ("明治", 45, 7, 29, "1912-07-29"),
        ("M", "元", 1, 25, "1868-01-25"),
        (" 令和 ", 8, 4, 15, "2026-04-15"),
    ],
)
def test_parse_wareki(era: str, year: int | str, month: int | str, day: int | str, expected: str) -> None:
    assert parse_wareki(era, year, month, day) == D(expected)


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "message"),
    [
        ("平成", 31, 5, 1, "平成31年5月1日はありません。2019年5月1日からは令和です（令和元年5月1日）。"),
        ("H", 35, 4, 1, "平成35年4月1日はありません。2019年5月1日からは令和です（令和5年4月1日）。"),
        ("昭和", 64, 1, 8, "昭和64年1月8日はありません。1989年1月8日からは平成です（平成元年1月8日）。"),
        ("昭和", 70, 1, 1, "昭和70年1月1日はありません。1989年1月8日からは平成です（平成7年1月1日）。"),
        ("大正", 15, 12, 25, "大正15年12月25日はありません。1926年12月25日からは昭和です（昭和元年12月25日）。"),
        ("明治", 45, 7, 30, "明治45年7月30日はありません。1912年7月30日からは大正です（大正元年7月30日）。"),
        ("令和", 1, 4, 30, "令和元年4月30日はありません。令和は2019年5月1日からです（平成31年4月30日）。"),
        ("平成", "元", 1, 7, "平成元年1月7日はありません。平成は1989年1月8日からです（昭和64年1月7日）。"),
        ("明治", 1, 1, 1, "明治元年1月1日はありません。明治は1868年1月25日からです。"),
        ("令和", 8, 2, 30, "2月30日はありません。"),
        ("令和", 8, 4, 31, "4月31日はありません。"),
        ("令和", 8, 1, 32, "1月32日はありません。"),
        ("令和", 8, 1, 0, "1月0日はありません。"),
        ("令和", 8, 13, 1, "13月はありません。"),
        ("令和", 8, 0, 1, "0月はありません。"),
        ("令和", 0, 1, 1, "令和0年はありません。"),
        ("令和", 3, 2, 29, "令和3年2月29日はありません（2021年はうるう年ではありません）。"),
        ("慶応", 3, 1, 1, "「慶応」という元号はありません。令和・平成・昭和・大正・明治のどれかを選んでください。"),
        ("X", 3, 1, 1, "「X」という元号はありません。令和・平成・昭和・大正・明治のどれかを選んでください。"),
        ("令和", "八", 1, 1, "年を数字で入力してください。"),
        ("令和", 8, "", 1, "月を数字で入力してください。"),
        ("令和", 8, 1, "-1", "日を数字で入力してください。"),
    ],
)
def test_parse_wareki_errors(era: str, year: int | str, month: int | str, day: int | str, message: str) -> None:
    with pytest.raises(WarekiError) as info:
        parse_wareki(era, year, month, day)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


@given(st.dates(min_value=ERAS[-1].start, max_value=date(2200, 12, 31)))
def test_round_trip(d: date) -> None:
    text = to_wareki(d, with_weekday=False)
    era, rest = text[:2], text[2:]
    year, rest = rest.split("年")
    month, rest = rest.split("月")
    assert parse_wareki(era, year, month, rest.removesuffix("日")) == d


@pytest.mark.parametrize(("parts", "ja", "en"), [
    (("平成", "32", "4", "1"), "平成32年4月1日はありません。2019年5月1日からは令和です（令和2年4月1日）。",
     "There is no 平成32年4月1日: from 2019年5月1日 the era is 令和 (令和2年4月1日)."),
    (("令和", "3", "2", "29"), "令和3年2月29日はありません（2021年はうるう年ではありません）。",
     "There is no 令和3年2月29日 (2021 is not a leap year)."),
    (("大化", "1", "1", "1"), "「大化」という元号はありません。", "There is no era called “大化”."),
    (("令和", "x", "1", "1"), "年を数字で入力してください。", "Enter the year in numbers."),
])
def test_an_impossible_date_is_said_in_the_readers_language(parts, ja, en):
    """str() stays Japanese (logs, the staff date fields); text(locale) is the catalog's words."""
    with pytest.raises(WarekiError) as info:
        parse_wareki(*parts)
    assert str(info.value).startswith(ja) and info.value.text("ja").startswith(ja)
    assert info.value.text("en").startswith(en)
