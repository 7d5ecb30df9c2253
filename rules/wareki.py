"""和暦 (Japanese era) formatting and parsing.

Eras are counted from their first day in the Gregorian calendar. Japan used the lunisolar
calendar until 明治5年12月2日 (1872); dates before 1873 are shown proleptically.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import NamedTuple

from babel import dates as babel_dates

from core.japan_time import japanese_date
from core.languages import babel_locale, normalise
from core.words import N_, Message

__all__ = ["ERAS", "WarekiError", "YearBox", "choose_era", "format_date", "parse_wareki", "read_year_box", "to_wareki",
           "wareki_year", "ymd_with_wareki"]


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
# What a resident writes for an era in a year box (after NFKC, either case): its name or letter, from ERAS.
_ERA_WORD = "|".join([e.name for e in ERAS] + [e.letter for e in ERAS])
_ERA_YEAR = r"(元|\d{1,3})"  # 3 digits at most: 平成100 is still said to be no year of 平成
_YEAR_WITH_ERA = re.compile(rf"^({_ERA_WORD})\s*{_ERA_YEAR}\s*年?$", re.IGNORECASE | re.ASCII)
_DATE_IN_YEAR = re.compile(rf"^(?:({_ERA_WORD})\s*{_ERA_YEAR}|(\d{{4}}))\s*[年./\-]\s*(\d{{1,2}})\s*[月./\-]\s*"
                           r"(\d{1,2})\s*日?$", re.IGNORECASE | re.ASCII)

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
    if gregorian_year > date.max.year:  # 平成99999: no calendar date, and no year of 平成
        raise WarekiError(N_("%(era)s%(year)s年はありません。"), era=found.name, year=y)
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


# --- the year box of a date (three boxes 年/月/日): a 和暦 year typed in it -------------------------

class YearBox(NamedTuple):
    """The three boxes of a date as read: NFKC, trimmed, the era taken out of the year box."""

    era: str  # the era's name (令和 …) when one was written in the year box, "" for none (西暦)
    year: str  # the era's year (「5」, 「元」) or the western year, as typed
    month: str
    day: str
    whole: bool = False  # the whole date was typed in the year box

    def is_empty(self) -> bool:
        return not (self.era or self.year or self.month or self.day)


def read_year_box(year: str | None, month: str | None = "", day: str | None = "") -> YearBox:
    """What a resident wrote in a date's boxes, with a 和暦 year in the year box understood: the
    era by name or letter (令和 R r Ｒ, 平成 H, 昭和 S, 大正 T, 明治 M), 元 for year 1, full-width digits,
    an optional 年 (「令和5」「R5」「ｒ５」「令和元年」「平成 30 年」 → 令和/5, 令和/元, 平成/30). A whole
    date typed in the year box alone is read too (「令和5年4月1日」, 「S60.4.1」, 「1985-04-01」).
    A plain western year is left as it is (era ""): each form checks it as before. The date is
    then ``parse_wareki(box.era, box.year, box.month, box.day)``, which says when the era has no
    such year or day (平成32年4月1日, 令和元年4月30日)."""
    y, m, d = (unicodedata.normalize("NFKC", x or "").strip() for x in (year, month, day))
    if y and not m and not d:
        whole = _DATE_IN_YEAR.match(y)
        if whole:
            era, era_year, western, m, d = whole.groups()
            return YearBox(_era_name(era), era_year or western, m, d, whole=True)
    typed = _YEAR_WITH_ERA.match(y)
    if typed:
        return YearBox(_era_name(typed.group(1)), typed.group(2), m, d)
    return YearBox("", y, m, d)


def _era_name(key: str | None) -> str:
    return (_BY_KEY.get(key) or _BY_KEY[key.upper()]).name if key else ""


def choose_era(typed: str, chosen: str, year_text: str = "") -> str:
    """The era of a date whose year box says ``typed`` (read_year_box; "" for none) beside an era
    select set to ``chosen`` ("" when the select says 西暦, its first choice, or there is none).
    The era written in the year box wins when it is unambiguous: the select agrees, or still says
    西暦. A different era in the select is a WarekiError naming both (``year_text``: the year box
    as typed), so the resident says which one they meant."""
    if not typed or not chosen:
        return typed or chosen
    key = unicodedata.normalize("NFKC", chosen).strip()
    picked = _BY_KEY.get(key) or _BY_KEY.get(key.upper())
    if picked is not None and picked.name == typed:
        return typed
    raise WarekiError(N_("元号で「%(chosen)s」を選び、年に「%(typed)s」と入力しています。どちらの元号か分かりません。"
                         "元号を選び直すか、年を数字だけにしてください。"), chosen=chosen, typed=year_text or typed)
