"""What the pages show: answers as rows, choices as labels, the result as visits (no Flask here)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from guide import flow
from knowledge.schema import LifeEvent, Question
from rules.vocabulary import UNKNOWN, FactDef
from rules.wareki import format_date, to_wareki

UI = {
    "yes": {"ja": "はい", "en": "Yes"},
    "no": {"ja": "いいえ", "en": "No"},
    "unknown": {"ja": "わからない", "en": "I don't know"},
    "not_answered": {"ja": "未回答", "en": "Not answered"},
    "people": {"ja": "{n}人", "en": "{n}"},
    "age": {"ja": "{n}歳", "en": "{n} years old"},
    "person": {"ja": "{n}人目", "en": "Person {n}"},
    "date_unknown": {"ja": "わからない（空欄）", "en": "Not known (left empty)"},
}


def _t(key: str, locale: str, **kw: Any) -> str:
    return UI[key]["en" if locale == "en" else "ja"].format(**kw)


def choice_items(question: Question, fact: FactDef | None, locale: str, allowed: list[str]) -> list[dict[str, str]]:
    lang = "en" if locale == "en" else "ja"
    labels: dict[str, str] = {}
    if question.choices:
        for c in question.choices:
            labels[flow.YES if c.value is True else flow.NO if c.value is False else str(c.value)] = c.label.get(lang)
    elif fact is not None and fact.type == "bool":
        labels = {flow.YES: _t("yes", lang), flow.NO: _t("no", lang)}
    elif fact is not None:
        labels = {v: words[lang] for v, words in fact.values.items()}
    labels[UNKNOWN] = _t("unknown", lang)
    return [{"value": v, "label": labels[v]} for v in allowed if v in labels]


def display_value(question: Question, fact: FactDef | None, raw: str | None, locale: str) -> str:
    if raw is None or raw == "":
        return _t("not_answered", locale)
    if question.fact == "event_date" or (fact is not None and fact.type == "date"):
        if raw == UNKNOWN:
            return _t("date_unknown", locale)
        return format_date(dt.date.fromisoformat(raw), "en" if locale == "en" else "ja")
    if question.fact == "members":
        return _t("people", locale, n=raw)
    if fact is not None and fact.type == "int":
        return _t("age", locale, n=raw)
    from guide.answers import allowed_values  # local: answers imports flow, which is fine either way
    items = choice_items(question, fact, locale, allowed_values(question, fact))
    return next((i["label"] for i in items if i["value"] == raw), raw)


def answer_rows(book, event: LifeEvent, answers: dict[str, str], steps: list[flow.Step], locale: str,
                change_url: Callable[[str], str]) -> list[dict[str, Any]]:
    """Check-your-answers rows; each 「変更」 link names what it changes (for screen readers)."""
    rows: list[dict[str, Any]] = []
    lang = "en" if locale == "en" else "ja"
    for step in steps:
        if step.kind in ("person", "person_more"):
            questions = flow.person_questions(book.kb, book.vocab, event, answers, step)
            who = _t("person", locale, n=(step.person or 0) + 1)
            for q in questions:
                key = flow.key_for(q, step.person)
                fact = flow.fact_def(book.vocab, q)
                label = f"{who}：{q.text.get(lang)}" if lang == "ja" else f"{who}: {q.text.get(lang)}"
                rows.append({"key": label, "value": display_value(q, fact, answers.get(key), locale),
                             "change_href": change_url(step.key), "change_hidden": label})
            continue
        q = step.question
        assert q is not None
        key = flow.key_for(q)
        text = event.date_label.get(lang) if step.kind == "date" else q.text.get(lang)
        rows.append({"key": text, "value": display_value(q, flow.fact_def(book.vocab, q), answers.get(key), locale),
                     "change_href": change_url(step.key), "change_hidden": text})
    return rows


def _person_words(i: int, answers: dict[str, str], book, locale: str) -> str:
    who = _t("person", locale, n=i + 1)
    bits = []
    rel = answers.get(f"m{i}.relation")
    if rel and rel in book.vocab.member["relation"].values:
        bits.append(book.vocab.member["relation"].values[rel]["en" if locale == "en" else "ja"])
    if answers.get(f"m{i}.age"):
        bits.append(_t("age", locale, n=answers[f"m{i}.age"]))
    return f"{who}（{'・'.join(bits)}）" if bits and locale != "en" else (f"{who} ({', '.join(bits)})" if bits else who)


def present_result(book, event: LifeEvent, data: dict[str, Any], answers: dict[str, str], locale: str) -> dict[str, Any]:
    """Visits in order, each with its procedures ready to show (dates in 西暦 and 和暦)."""
    by_id = {p["id"]: p for p in data["procedures"]}
    visits = []
    for n, visit in enumerate(data["visit_plan"], start=1):
        procs = []
        for pid in visit["procedures"]:
            p = dict(by_id[pid])
            if p.get("due_date"):
                day = dt.date.fromisoformat(p["due_date"])
                p["due_display"] = format_date(day, "en" if locale == "en" else "ja")
                p["due_wareki"] = to_wareki(day)
            p["member_words"] = [_person_words(i, answers, book, locale) for i in p["members"]]
            procs.append(p)
        visits.append({"number": n, "counter": visit["counter"], "department": visit["department"],
                       "procedures": procs,
                       "reserve_ids": ",".join(p["id"] for p in procs if p["reserve"]["available"])})
    required = sum(1 for p in data["procedures"] if p["status"] == "required")
    event_date = data.get("event_date")
    return {"visits": visits, "required": required,
            "event_date_display": format_date(dt.date.fromisoformat(event_date), "en" if locale == "en" else "ja")
            if event_date else None,
            "conditional": len(data["procedures"]) - required,
            "checklist": data["checklist"]}
