"""Words for conditions, built from the facts vocabulary (never hand-written per rule).

``why`` lists what held (「65歳以上の方がいるため」), a conditional procedure says on what it
depends (「65歳以上の方がいる場合」), and a not-applicable one says what failed.
"""
from __future__ import annotations

from typing import Any

from rules.conditions import Atom

_JA_ORDER = {"gte": "以上", "gt": "を超える", "lte": "以下", "lt": "未満", "eq": ""}
_EN_ORDER = {"gte": "{n} or over", "gt": "over {n}", "lte": "{n} or under", "lt": "under {n}", "eq": "{n}"}


def _lang(locale: str) -> str:
    return "en" if locale == "en" else "ja"


def atom_phrase(atom: Atom, locale: str) -> str:
    """A plain statement of the atom: 犬を飼っている / 65歳以上 / 健康保険が…ではない."""
    lang = _lang(locale)
    fact, op, x = atom.fact, atom.op, atom.value
    if fact.type == "bool":
        wanted = x if op == "eq" else not x
        return fact.phrases[wanted][lang]
    if fact.type == "int":
        if op == "ne":
            base = fact.unit[lang].format(n=x)
            return f"{base}ではない" if lang == "ja" else f"not {base}"
        if lang == "ja":
            return fact.unit["ja"].format(n=x) + _JA_ORDER[op]
        return fact.unit["en"].format(n=_EN_ORDER[op].format(n=x))
    # enum
    choices = x if op in ("in", "not_in") else (x,)
    words = [fact.values[v][lang] for v in choices]
    joined = "、または".join(words) if lang == "ja" else " or ".join(words)
    if op in ("eq", "in"):
        return joined
    return f"「{joined}」に当てはまらない" if lang == "ja" else f"not ({joined})"


def value_phrase(atom: Atom, value: Any, locale: str) -> str | None:
    """Words for the answer actually given (used to say why something does not apply)."""
    lang = _lang(locale)
    if atom.fact.type == "bool":
        return atom.fact.phrases[bool(value)][lang]
    if atom.fact.type == "enum" and value in atom.fact.values:
        return atom.fact.values[value][lang]
    return None


def _person(desc: str) -> str:
    """「…している方」 after a verb or adjective, 「65歳以上の方」 after a noun."""
    return f"{desc}方" if desc[-1:] in "るいたうくすつぬむぶぐ" else f"{desc}の方"


def member_phrase(atoms: list[Atom], locale: str, at_least: int = 1) -> str:
    """「65歳以上、国民健康保険に加入している方がいる」 / someone aged 65 or over …"""
    lang = _lang(locale)
    if lang == "ja":
        desc = "、".join(atom_phrase(a, locale) for a in atoms)
        count = f"が{at_least}人以上" if at_least > 1 else "が"
        return f"{_person(desc)}{count}いる"
    desc = ", ".join(atom_phrase(a, locale) for a in atoms)
    who = f"at least {at_least} people" if at_least > 1 else "someone"
    return f"{who} {desc} is concerned" if at_least == 1 else f"{who} {desc} are concerned"


def member_absent_phrase(atoms: list[Atom], locale: str, at_least: int = 1) -> str:
    lang = _lang(locale)
    if lang == "ja":
        desc = _person("、".join(atom_phrase(a, locale) for a in atoms))
        return f"{desc}が{at_least}人以上いない" if at_least > 1 else f"{desc}がいない"
    desc = ", ".join(atom_phrase(a, locale) for a in atoms)
    return f"fewer than {at_least} people {desc}" if at_least > 1 else f"nobody {desc}"


def because(statement: str, locale: str) -> str:
    return f"{statement}ため" if _lang(locale) == "ja" else _capitalise(statement)


def if_(statement: str, locale: str) -> str:
    return f"{statement}場合" if _lang(locale) == "ja" else f"If {statement}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def counted_from_event_date(fact: Any, event_date_label: Any, locale: str) -> str:
    """The note when a deadline's own start date was not given (転出予定日, 死亡日 …)."""
    lang = _lang(locale)
    label = (fact.label or {}).get(lang) or ("date" if lang == "en" else "日付")
    since = event_date_label.get(locale)
    if lang == "en":
        return f"Counted from the {since[:1].lower() + since[1:]}, as the {label} was not given."
    return f"{label}が分からないため、{since}から計算しています。"
