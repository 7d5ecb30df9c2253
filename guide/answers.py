"""Reading what a resident typed on one page into answers, with messages that say what to do."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from core.japanese_text import nfkc_text
from core.words import N_, Message
from guide.flow import MAX_PEOPLE, NO, YES, AnswerError
from knowledge.schema import Question
from rules.vocabulary import UNKNOWN, FactDef
from rules.wareki import WarekiError, parse_wareki, read_year_box

MIN_YEAR, MAX_YEAR = 1900, 2100


def _msg(msgid: str, **variables: object) -> Message:
    """What to do, translated when the page shows it (``message[locale]``)."""
    return Message(msgid, **variables)


def read_date(form: Mapping[str, str], field: str, required: bool) -> str:
    """Three boxes 年/月/日 → 'YYYY-MM-DD'; '' when left empty and not required. The year box also
    takes a 和暦 year (令和8, R8, ｒ８, 平成元: rules.wareki.read_year_box); a year the era does not
    have (平成32) is said in the era's own words."""
    box = read_year_box(*(form.get(f"{field}-{part}") for part in ("year", "month", "day")))
    if box.is_empty():
        if required:
            raise AnswerError({f"{field}-year": _msg(N_("日付を入力してください。"))})
        return ""
    y, m, d = box.year, box.month, box.day
    if not ((y.isdigit() or (box.era and y == "元")) and m.isdigit() and d.isdigit()):
        raise AnswerError({f"{field}-year": _msg(N_("年・月・日をすべて数字で入力してください（例：2026年4月1日）。"))})
    if box.era:
        try:
            found = parse_wareki(box.era, y, m, d)
        except WarekiError as exc:  # 平成32年4月1日はありません。2019年5月1日からは令和です（令和2年4月1日）。
            raise AnswerError({f"{field}-year": exc.message}) from None
        if not MIN_YEAR <= found.year <= MAX_YEAR:
            raise _out_of_range(field)
        return found.isoformat()
    year, month, day = int(y), int(m), int(d)
    if len(y) != 4:
        raise AnswerError({f"{field}-year": _msg(N_("年は西暦4桁で入力してください（例：2026）。"))})
    if not MIN_YEAR <= year <= MAX_YEAR:  # 4 digits, but out of range (2150): say the range
        raise _out_of_range(field)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise AnswerError({f"{field}-day": _msg(N_("%(month)s月%(day)s日はありません。日付を確かめてください。"),
                                                month=month, day=day)}) from None


def _out_of_range(field: str) -> AnswerError:
    return AnswerError({f"{field}-year": _msg(N_("年は%(low)s年から%(high)s年までの西暦で入力してください（例：2026）。"),
                                              low=MIN_YEAR, high=MAX_YEAR)})


def read_count(form: Mapping[str, str], field: str, minimum: int) -> str:
    raw = nfkc_text(form.get(field))
    if not raw.isdigit() or not minimum <= int(raw) <= MAX_PEOPLE:
        raise AnswerError({field: _msg(N_("人数を%(low)sから%(high)sまでの数字で入力してください。"),
                                       low=minimum, high=MAX_PEOPLE)})
    return str(int(raw))


def read_choice(form: Mapping[str, str], field: str, question: Question, fact: FactDef) -> str:
    raw = form.get(field, "")
    allowed = allowed_values(question, fact)
    if raw not in allowed:
        raise AnswerError({field: _msg(N_("どれか1つを選んでください。"))})
    return raw


def read_age(form: Mapping[str, str], field: str, fact: FactDef) -> str:
    raw = nfkc_text(form.get(field))
    lo, hi = fact.min or 0, fact.max or 130
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise AnswerError({field: _msg(N_("年齢を%(low)sから%(high)sまでの数字で入力してください（例：35）。"),
                                       low=lo, high=hi)})
    return str(int(raw))


def allowed_values(question: Question, fact: FactDef) -> list[str]:
    if question.choices:
        values = [encode(c.value) for c in question.choices]
    elif fact.type == "bool":
        values = [YES, NO]
    else:
        values = list(fact.values)
    if question.unknown_allowed:
        values.append(UNKNOWN)
    return values


def encode(value: str | bool) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    return value


def read_question(form: Mapping[str, str], field: str, question: Question, fact: FactDef | None) -> str:
    """One answer for a question of any type."""
    assert fact is not None
    if fact.type == "date":
        value = read_date(form, field, required=not question.unknown_allowed)
        return value or UNKNOWN
    if fact.type == "int":
        return read_age(form, field, fact)
    return read_choice(form, field, question, fact)


def merge_errors(*errors: AnswerError) -> AnswerError:
    messages: dict[str, Message] = {}
    for e in errors:
        messages.update(e.messages)
    return AnswerError(messages)
