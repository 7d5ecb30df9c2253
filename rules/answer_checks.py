"""The guidance contract's safety net: answers that contradict each other or are implausible,
due dates already past, and facts that do not belong to the life event.

Plain Python, no Flask. Everything is computed from the request alone (``Situation.today``
stands for "today"), so the response stays a pure function of the request. The sentences are
product wording, not city content (no office, fee or procedure is named), so they are marked
here and translated in the Babel catalogs like every other word; what a person's age makes
impossible is data (``constraints`` in knowledge/facts.yaml) and each constraint's ``code`` has
its sentence below.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from core.words import N_, text
from rules.conditions import Constraint, atoms_of, constraints, violations
from rules.request import Situation

# A date further back than this is taken for a typing error: the longest time limit a result
# can name is 5 years (未支給年金・年金の時効, 国民年金法102条; 葬祭費 and 死亡一時金 are 2 years).
PAST_LIMIT_YEARS = 5
# A date further ahead than this is taken for a typing error: notifications are given days or
# weeks around the event (転出届 about 14 days before, 婚姻届 on the chosen day); a year leaves
# room for planning a wedding or a move, 2150 does not.
FUTURE_LIMIT_YEARS = 1
MARRIAGE_MIN_AGE = 18  # 民法731条 (from 2022-04-01, for both)

# code -> its sentence (a msgid of the Babel catalogs, read in the request's language by
# core.words.text); %(…)s slots are filled per warning
MESSAGES: dict[str, str] = {
    "due_date_past": N_("期限を過ぎている手続きがあります。早めに手続きしてください。"),
    "date_far_past": N_("日付が%(years)s年以上前です。入力した日付を確かめてください。"),
    "date_far_future": N_("日付が%(years)s年以上先です。入力した日付を確かめてください。"),
    "event_date_in_future": N_("まだ来ていない日付です。生まれた日・亡くなった日は、その日の後に届け出ます。日付を確かめてください。"),
    "under_marriage_age": N_("結婚できるのは%(age)s歳からです（民法731条）。年齢を確かめてください。"),
    "kouki_under_65": N_("後期高齢者医療に入るのは75歳から（障害の認定を受けた方は65歳から）です。健康保険か年齢の答えを確かめてください。"),
    "care_under_40": N_("要介護・要支援の認定を受けられるのは40歳からです（介護保険）。認定か年齢の答えを確かめてください。"),
    "pension_first_age": N_("国民年金の第1号被保険者は20歳から59歳まで（任意加入は64歳まで）です。年金の種別か年齢の答えを確かめてください。"),
    "pension_third_age": N_("国民年金の第3号被保険者は20歳から59歳までです。年金の種別か年齢の答えを確かめてください。"),
    "abroad_with_special_moveout": N_("国外からの転入では、マイナポータルでの転出届（特例転出）はできません。答えを確かめてください。"),
    "child_not_younger": N_("子どもの年齢が、あなたと同じか上になっています。続柄か年齢の答えを確かめてください。"),
    "parent_not_older": N_("親の年齢が、あなたと同じか下になっています。続柄か年齢の答えを確かめてください。"),
    "death_after_learned": N_("亡くなった日が、亡くなったことを知った日より後になっています。日付を確かめてください。"),
    "ignored_facts": N_("この手続きの判定に関係しない答えがあったため、使わずに判定しました。"),
}
OVERDUE_NOTE = N_("期限を過ぎています。早めに手続きしてください。")


def _text(msgid: str, locale: str, **slots: Any) -> str:
    return text(locale, msgid, **slots)


def warning(code: str, locale: str, fields: list[str], **slots: Any) -> dict[str, Any]:
    return {"code": code, "message": _text(MESSAGES[code], locale, **slots), "fields": fields}


def overdue_note(locale: str) -> str:
    return _text(OVERDUE_NOTE, locale)


# --- facts that do not belong to the event ------------------------------------------------

def belonging_facts(questions: list[str], read: set[str]) -> set[str]:
    """Paths a request may give for an event: asked by a question (``facts.x``, ``member.age``) or
    read by a rule of it. ``read`` is rules.check's set (``facts.x``, ``member.age``)."""
    return set(questions) | read


def without_foreign_facts(situation: Situation, belongs: set[str], member_facts: dict[str, Any]
                          ) -> tuple[Situation, list[str]]:
    """``situation`` without the facts that do not belong (``belongs``), and their request paths.

    A member field equal to its vocabulary default (``member_facts[k].default``) was filled in
    by the request reader, not given, so it is dropped quietly.
    """
    ignored: list[str] = []
    values = {}
    for path, v in situation.values.items():
        if path == "event" or path in belongs:
            values[path] = v
        else:
            ignored.append(path)
    members = situation.members
    if members is not None:
        kept = []
        for i, m in enumerate(members):
            one = {}
            for key, v in m.items():
                if f"member.{key}" in belongs:
                    one[key] = v
                elif not (member_facts[key].default is not None and v == member_facts[key].default):
                    ignored.append(f"members[{i}].{key}")
            kept.append(one)
        members = tuple(kept)
    if not ignored:
        return situation, []
    return dataclasses.replace(situation, values=values, members=members), ignored


# --- answers that contradict each other or the law -----------------------------------------

def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_warnings(situation: Situation, date_paths: list[str]) -> list[dict[str, Any]]:
    """Dates implausibly far from ``today`` (event_date and date facts), and births or deaths
    dated after today. Nothing without ``today``."""
    today, loc = situation.today, situation.locale
    if today is None:
        return []
    dates = [("event_date", situation.event_date)] + [(p, situation.values.get(p)) for p in date_paths]
    out: list[dict[str, Any]] = []
    far_past = [p for p, d in dates if d and d < _add_years(today, -PAST_LIMIT_YEARS)]
    far_future = [p for p, d in dates if d and d > _add_years(today, FUTURE_LIMIT_YEARS)]
    if far_past:
        out.append(warning("date_far_past", loc, far_past, years=PAST_LIMIT_YEARS))
    if far_future:
        out.append(warning("date_far_future", loc, far_future, years=FUTURE_LIMIT_YEARS))
    elif situation.event in ("birth", "death") and situation.event_date and situation.event_date > today:
        out.append(warning("event_date_in_future", loc, ["event_date"]))
    return out


def _constraint_warnings(situation: Situation, table: tuple[Constraint, ...]) -> list[dict[str, Any]]:
    loc = situation.locale
    out: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}

    def add(c: Constraint, fields: list[str]) -> None:
        if c.code in seen:  # one warning per kind, naming every answer concerned
            seen[c.code]["fields"] += [f for f in fields if f not in seen[c.code]["fields"]]
            return
        seen[c.code] = warning(c.code, loc, fields)
        out.append(seen[c.code])

    for c in violations(situation.values, "household", table):
        add(c, [c.fact.path, *sorted({a.fact.path for a in _atoms(c)})])
    for i, m in enumerate(situation.members or ()):
        for c in violations(m, "member", table):
            add(c, [f"members[{i}].{c.fact.path}", *sorted(f"members[{i}].{a.fact.path}" for a in _atoms(c))])
    return out


def _atoms(c: Constraint):
    return {a.fact.path: a for a in atoms_of(c.requires)}.values()


def _people_warnings(situation: Situation) -> list[dict[str, Any]]:
    loc = situation.locale
    out: list[dict[str, Any]] = []
    members = list(situation.members or ())
    if situation.event == "marriage":
        young = [f"members[{i}].age" for i, m in enumerate(members)
                 if m.get("relation") in ("self", "spouse") and m.get("age") is not None
                 and m["age"] < MARRIAGE_MIN_AGE]
        if young:
            out.append(warning("under_marriage_age", loc, young, age=MARRIAGE_MIN_AGE))
    own = next((m.get("age") for m in members if m.get("relation") == "self" and m.get("age") is not None), None)
    if own is not None:
        for code, relation, wrong in (("child_not_younger", "child", lambda a: a >= own),
                                      ("parent_not_older", "parent", lambda a: a <= own)):
            fields = [f"members[{i}].age" for i, m in enumerate(members)
                      if m.get("relation") == relation and m.get("age") is not None and wrong(m["age"])]
            if fields:
                out.append(warning(code, loc, fields))
    death = situation.values.get("deceased.death_date")
    if situation.event == "death" and death and situation.event_date and death > situation.event_date:
        out.append(warning("death_after_learned", loc, ["deceased.death_date", "event_date"]))
    if situation.values.get("facts.from_abroad") is True and situation.values.get("facts.special_moveout") is True:
        out.append(warning("abroad_with_special_moveout", loc, ["facts.from_abroad", "facts.special_moveout"]))
    return out


def answer_warnings(situation: Situation, vocab, date_paths: list[str]) -> list[dict[str, Any]]:
    """Everything implausible or contradictory in the answers (before any is ignored)."""
    return (date_warnings(situation, date_paths) + _constraint_warnings(situation, constraints(vocab))
            + _people_warnings(situation))


def past_due_warning(situation: Situation, procedures: list[dict[str, Any]],
                     at_new_city: list[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Marks each listed procedure (and each of ``at_new_city[]``) ``overdue`` (due before today)
    and says so once above the list."""
    late = []
    for key, listed in (("procedures", procedures), ("at_new_city", at_new_city)):
        for p in listed:
            due = p.get("due_date")
            p["overdue"] = bool(situation.today and due and dt.date.fromisoformat(due) < situation.today)
            if p["overdue"]:
                p["deadline_notes"] = [overdue_note(situation.locale), *p.get("deadline_notes", [])]
                late.append(f"{key}[{p['id']}].due_date")
    return [warning("due_date_past", situation.locale, ["event_date", *late])] if late else []
