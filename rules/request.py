"""Reading a guidance request (docs/guidance-api.md, docs/facts.md) into a situation the engine can decide.

Validation is driven by the facts vocabulary, so a new fact needs no code here. Every problem
is reported per field as a ``core.words.Message`` (a msgid of the Babel catalogs, read in any of
the site's languages by whoever answers); nothing raises past ``InvalidRequest``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.languages import CODES
from core.words import N_, Message
from rules.vocabulary import UNKNOWN, FactDef, Vocabulary

LOCALES = CODES
MAX_MEMBERS = 20


class InvalidRequest(ValueError):
    def __init__(self, errors: dict[str, Message]):
        super().__init__("; ".join(f"{k}: {v.text('en')}" for k, v in errors.items()))
        self.errors = errors  # field -> its Message (message.text(locale))


@dataclass(frozen=True)
class Situation:
    event: str
    event_date: dt.date | None
    values: dict[str, Any]  # household facts by path ("event", "facts.dog", "deceased.age"); absent = unanswered
    members: tuple[dict[str, Any], ...] | None  # None: the members were not given at all
    locale: str = "ja"
    explain: bool = False
    # the day the guidance is for ("today"): overdue flags and date warnings are computed against
    # it, so the result stays a pure function of the request. None: no such checks.
    today: dt.date | None = None

    def cache_key(self, version: str) -> tuple:
        """Everything the result depends on, in a canonical (order-free) form."""
        members = None if self.members is None else tuple(tuple(sorted(m.items())) for m in self.members)
        return (version, self.event, self.event_date, tuple(sorted(self.values.items(), key=lambda kv: kv[0])),
                members, self.locale, self.explain, self.today)

    @property
    def start_for_child_allowance(self) -> dt.date | None:
        return self.values.get("facts.moveout_planned_date") or self.event_date


DATE_FORMAT = N_("日付は 2026-04-01 の形で入力してください。")
NO_SUCH_FIELD = N_("この項目はありません。項目名を確かめてください。")
ONE_OF = N_("次のどれかで指定してください：%(choices)s")


def _top_level_date(body: dict[str, Any], key: str, errors: dict[str, Any]) -> dt.date | None:
    """``body[key]`` as a date of 1900–2199, or None (with the error noted when it was given)."""
    if body.get(key) is None:
        return None
    day = _parse_date(body[key])
    if day is None or not (1900 <= day.year <= 2199):
        errors[key] = Message(DATE_FORMAT)
        return None
    return day


def _parse_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str) or len(raw) != 10:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _value(fact: FactDef, raw: Any, name: str, errors: dict[str, Message]) -> Any:
    """The validated value, or None for unanswered; records an error otherwise."""
    if raw is None or (raw == UNKNOWN and fact.type in ("bool", "enum")):
        return None
    if fact.type == "date":
        d = _parse_date(raw)
        if d is None or not (1900 <= d.year <= 2199):
            errors[name] = Message(DATE_FORMAT)
        return d
    if fact.type == "int":
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # JSON Schema counts 76.0 as an integer
        if not isinstance(raw, int) or isinstance(raw, bool):
            errors[name] = Message(N_("数字（整数）で入力してください。"))
            return None
        lo, hi = fact.min if fact.min is not None else 0, fact.max if fact.max is not None else 10**6
        if not lo <= raw <= hi:
            errors[name] = Message(N_("%(lo)sから%(hi)sまでの数字で入力してください。"), lo=lo, hi=hi)
            return None
        return raw
    if fact.type == "bool":
        if not isinstance(raw, bool):
            errors[name] = Message(N_('true、false、"unknown" のどれかで指定してください。'))
            return None
        return raw
    allowed = list(fact.values) + [UNKNOWN]
    if not isinstance(raw, str) or raw not in fact.values:
        errors[name] = Message(ONE_OF, choices=", ".join(allowed))
        return None
    return raw


def _mapping(raw: Any, name: str, errors: dict[str, Message]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors[name] = Message(N_("オブジェクト（{…}）で指定してください。"))
        return {}
    return raw


def _unknown_key(name: str, errors: dict[str, Message]) -> None:
    errors[name] = Message(NO_SUCH_FIELD)


def read_request(body: Any, vocab: Vocabulary, events: set[str], today: dt.date | None = None) -> Situation:
    """The situation of ``body``; ``today`` (the caller's clock) unless the body gives ``as_of``."""
    errors: dict[str, Message] = {}
    if not isinstance(body, dict):
        raise InvalidRequest({"(body)": Message(N_("JSON オブジェクトを送ってください。"))})
    known = {"event", "event_date", "facts", "members", "deceased", "locale", "explain", "as_of"}
    for key in body:
        if key not in known:
            _unknown_key(key, errors)

    event = body.get("event")
    if not isinstance(event, str) or event not in events:  # a list or a mapping is no event (and no set key)
        errors["event"] = Message(ONE_OF, choices=", ".join(sorted(events)))
    event_date = _top_level_date(body, "event_date", errors)
    if body.get("as_of") is not None:
        today = _top_level_date(body, "as_of", errors)

    values: dict[str, Any] = {"event": event}
    for group in ("facts", "deceased"):
        for key, raw in _mapping(body.get(group), group, errors).items():
            path = f"{group}.{key}"
            if path not in vocab.household:
                _unknown_key(path, errors)
                continue
            v = _value(vocab.household[path], raw, path, errors)
            if v is not None:
                values[path] = v

    members: tuple[dict[str, Any], ...] | None = None
    raw_members = body.get("members")
    if raw_members is not None:
        if not isinstance(raw_members, list) or len(raw_members) > MAX_MEMBERS:
            errors["members"] = Message(N_("人の一覧（%(most)s人まで）で指定してください。"), most=MAX_MEMBERS)
        else:
            members = tuple(_member(m, i, vocab, errors) for i, m in enumerate(raw_members))

    locale = body.get("locale", "ja")
    if locale not in LOCALES:
        errors["locale"] = Message(ONE_OF, choices=", ".join(LOCALES))
    explain = body.get("explain", False)
    if not isinstance(explain, bool):
        errors["explain"] = Message(N_("true か false で指定してください。"))
    if errors:
        raise InvalidRequest(errors)
    return Situation(event=event, event_date=event_date, values=values, members=members,
                     locale=locale, explain=explain, today=today)


def _member(raw: Any, i: int, vocab: Vocabulary, errors: dict[str, Message]) -> dict[str, Any]:
    name = f"members[{i}]"
    member: dict[str, Any] = {}
    for key, value in _mapping(raw, name, errors).items():
        if key not in vocab.member:
            _unknown_key(f"{name}.{key}", errors)
            continue
        v = _value(vocab.member[key], value, f"{name}.{key}", errors)
        if v is not None:
            member[key] = v
    for key, fact in vocab.member.items():
        if fact.default is not None and key not in member:
            member[key] = fact.default
    return member
