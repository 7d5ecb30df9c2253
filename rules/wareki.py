"""和暦 (Japanese era) formatting and parsing.

Eras are counted from their first day in the Gregorian calendar. Japan used the lunisolar
calendar until 明治5年12月2日 (1872); dates before 1873 are shown proleptically.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import NamedTuple

from babel import dates as babel_dates

from core.japan_time import japanese_date
from core.languages import babel_locale, normalise
from core.words import N_, Message

__all__ = ["ERAS", "WarekiError", "format_date", "parse_wareki", "to_wareki", "wareki_year", "ymd_with_wareki"]


class Era(NamedTuple):
    name: str
    letter: str
    start: date


# Newest first.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("明治", "M", date(1868, 1, 25)),
)
_BY_KEY = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}

WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


class WarekiError(ValueError):
    """A 和暦 date that does not exist, naming the right era: ``str()`` is the Japanese message,
    ``text(locale)`` the same in the reader's language (a catalog word, core.words)."""

    def __init__(self, msgid: str, **variables: object) -> None:
        self.message = Message(msgid, **variables)
        super().__init__(self.message.text("ja"))

    def text(self, locale: str) -> str:
        return self.message.text(locale)


_DIGITS = {"年": N_("年を数字で入力してください。"), "月": N_("月を数字で入力してください。"),
           "日": N_("日を数字で入力してください。")}


def _era_of(d: date) -> Era:
    for era in ERAS:
        if d >= era.start:
            return era
    raise WarekiError(N_("%(date)sは明治より前の日付です。"), date=_ymd(d))


def _era_year(n: int) -> str:
    return "元" if n == 1 else str(n)


def _ymd(d: date) -> str:
    return japanese_date(d)


def to_wareki(d: date, with_weekday: bool = True) -> str:
    """date(2026, 4, 15) → 「令和8年4月15日（水）」; year 1 is 元年."""
    era = _era_of(d)
    text = f"{era.name}{_era_year(d.year - era.start.year + 1)}年{d.month}月{d.day}日"
    return f"{text}（{WEEKDAYS_JA[d.weekday()]}）" if with_weekday else text


def ymd_with_wareki(d: date) -> str:
    """date(2026, 4, 1) → 「2026年4月1日（令和8年4月1日）」; before 明治 the 西暦 alone."""
    return f"{_ymd(d)}（{to_wareki(d, with_weekday=False)}）" if d >= ERAS[-1].start else _ymd(d)


def wareki_year(year: int) -> str:
    """2026 → 「令和8年」: the era in force on the year's last day (2019 → 令和元年)."""
    era = _era_of(date(year, 12, 31))
    return f"{era.name}{_era_year(year - era.start.year + 1)}年"


def format_date(d: date, locale: str, *, with_weekday: bool = True) -> str:
    """ja and easy → 「2026年4月15日（水）」, en → "Wed 15 April 2026" (locales like "en-GB"
    accepted), zh, ko, vi, pt → CLDR's full date in that language (「2026年4月15日星期三」,
    "2026년 4월 15일 수요일", "Thứ Tư, 15 tháng 4, 2026", "quarta-feira, 15 de abril de 2026").
    ``with_weekday=False``: 「2026年4月15日」, "15 April 2026", CLDR's long date."""
    code = normalise(locale) or normalise(locale.replace("_", "-").split("-")[0])
    if code in ("ja", "easy"):
        return f"{_ymd(d)}（{WEEKDAYS_JA[d.weekday()]}）" if with_weekday else _ymd(d)
    if code == "en":
        day = f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
        return f"{_WEEKDAYS_EN[d.weekday()]} {day}" if with_weekday else day
    if code is None:
        raise ValueError(f"unsupported locale: {locale!r}")
    return babel_dates.format_date(d, "full" if with_weekday else "long", locale=babel_locale(code))


def _number(value: int | str, what: str) -> int:
    if isinstance(value, bool):
        raise WarekiError(_DIGITS[what])
    if isinstance(value, int):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if what == "年" and text in ("元", "元年"):
        return 1
    text = text.removesuffix(what)
    if not text.isdigit():  # NFKC has turned full-width digits into ASCII
        raise WarekiError(_DIGITS[what])
    return int(text)


def parse_wareki(era: str, year: int | str, month: int | str, day: int | str) -> date:
    """(「平成」 or "H"/"h", 「元」 or 1, 月, 日) → date; raises WarekiError for impossible dates."""
    key = unicodedata.normalize("NFKC", str(era)).strip()
    found = _BY_KEY.get(key) or _BY_KEY.get(key.upper())
    if found is None:
        names = "・".join(e.name for e in ERAS)
        raise WarekiError(N_("「%(era)s」という元号はありません。%(names)sのどれかを選んでください。"), era=era, names=names)
    y, m, d = _number(year, "年"), _number(month, "月"), _number(day, "日")
    if y < 1:
        raise WarekiError(N_("%(era)s%(year)s年はありません。"), era=found.name, year=y)
    if not 1 <= m <= 12:
        raise WarekiError(N_("%(month)s月はありません。"), month=m)
    label = f"{found.name}{_era_year(y)}年{m}月{d}日"
    if not 1 <= d <= 31 or (m == 2 and d > 29) or (m in (4, 6, 9, 11) and d > 30):
        raise WarekiError(N_("%(month)s月%(day)s日はありません。"), month=m, day=d)
    gregorian_year = found.start.year + y - 1
    try:
        result = date(gregorian_year, m, d)
    except ValueError:  # 2月29日 in a common year
        raise WarekiError(N_("%(date)sはありません（%(year)s年はうるう年ではありません）。"),
                          date=label, year=gregorian_year) from None

    if result < found.start:
        hint = f"（{to_wareki(result, with_weekday=False)}）" if result >= ERAS[-1].start else ""
        raise WarekiError(N_("%(date)sはありません。%(era)sは%(start)sからです%(hint)s。"),
                          date=label, era=found.name, start=_ymd(found.start), hint=hint)
    actual = _era_of(result)
    if actual is not found:
        raise WarekiError(N_("%(date)sはありません。%(start)sからは%(era)sです（%(wareki)s）。"),
                          date=label, start=_ymd(actual.start), era=actual.name,
                          wareki=to_wareki(result, with_weekday=False))
    return result
