"""What the pages show: answers as rows, choices as labels, the result as visits (no Flask here)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from core.words import N_, lang_of
from core.words import text as translate
from guide import flow
from guide.answers import allowed_values
from knowledge.schema import LifeEvent, Question
from rules.memo import Memo
from rules.places import fees_on
from rules.vocabulary import UNKNOWN, FactDef
from rules.wareki import format_date, to_wareki

_WINDOW = re.compile(r"(\d+)\s*番窓口")

# the presenter's own words: Japanese msgids, translated from the catalogs (en, easy)
UI = {
    "yes": N_("はい"),
    "no": N_("いいえ"),
    "unknown": N_("わからない"),
    "not_answered": N_("未回答"),
    "people": N_("%(count)s人"),
    "age": N_("%(n)s歳"),
    "person": N_("%(n)s人目"),
    "newborn": N_("生まれた子"),
    "date_unknown": N_("わからない（空欄）"),
    "yen": N_("%(amount)s円（%(unit)s）"),
    "free": N_("無料"),
    "fee_counter": N_("窓口：%(fee)s"),
    "fee_online": N_("オンライン：%(fee)s"),
    # 「市で確認中」: only what a curator has not confirmed, named
    "unconfirmed_procedure": N_("この手続きの内容は市で確認中です。窓口でご確認ください。"),
    "unconfirmed_place": N_("窓口の場所・受付時間は市で確認中です。電話でご確認ください。"),
    "unconfirmed_office": N_("この機関の所在地・受付時間は市で確認中です。行く前に電話でご確認ください。"),
    "closed_event_date": N_("%(date)sは市役所の休みの日（%(kind)s）です。"),
    "closed_due": N_("「%(name)s」の期限の日（%(date)s）は休みの日（%(kind)s）のため、次の開庁日まで延びています。"),
    "open_day": N_("%(date)sは開いています。"),
    "open_day_other": N_("%(date)sは開く予定です（下の休みの日もご確認ください）。"),
    "shut_day": N_("%(date)sは休みです。"),
    "kind_weekend": N_("土曜日・日曜日"),
    "kind_holiday": N_("祝日"),
    "kind_year_end": N_("年末年始"),
    # how the parts of a line are put together (the order and punctuation differ by language)
    "answer_row": N_("%(who)s：%(question)s"),
    "person_with": N_("%(who)s（%(bits)s）"),
    "list_sep": N_("・"),
    "window": N_("%(number)s番窓口"),
    "brackets": N_("（%(text)s）"),
    "named": N_("（%(name)s）"),  # after a link's words, for screen readers: which procedure or counter
    "place_sep": N_(" "),
}


Translated = Mapping[str, Mapping[str, str]]  # a pack's translated texts: {code: {ja: words}}


def fact_words(translated: Translated | None, words: Mapping[str, str], locale: str) -> str:
    """A fact's words (knowledge/facts.yaml writes ja, en and easy) in ``locale``: its own; else
    the pack's translation of its Japanese (translations/<code>.yaml ``texts``); else the
    language's fallback's."""
    if words.get(locale):
        return words[locale]
    found = translated.get(locale, {}).get(words.get("ja", "")) if translated else None
    return found or words.get(lang_of(locale, tuple(words))) or words.get("ja", "")


_WORDS: Memo[str] = Memo(8192)  # the presenter's words per (word, locale, variables): ~55 per page, the same few


def _t(key: str, locale: str, **kw: Any) -> str:
    try:
        return _WORDS.get((key, locale, *kw.items()), None, lambda: translate(locale, UI[key], **kw))
    except TypeError:  # a variable that is no key (not hashable): translated each time
        return translate(locale, UI[key], **kw)


def choice_items(question: Question, fact: FactDef | None, locale: str, allowed: list[str],
                 translated: Translated | None = None) -> list[dict[str, str]]:
    """The choices of a question; ``translated`` (the pack's ``translated_texts``) translates the facts' own words into the
    languages facts.yaml does not write."""
    lang = locale  # pack texts and catalog words follow each language's fallback themselves
    labels: dict[str, str] = {}
    if question.choices:
        for c in question.choices:
            labels[flow.YES if c.value is True else flow.NO if c.value is False else str(c.value)] = c.label.get(lang)
    elif fact is not None and fact.type == "bool":
        labels = {flow.YES: _t("yes", lang), flow.NO: _t("no", lang)}
    elif fact is not None:
        labels = {v: fact_words(translated, words, locale) for v, words in fact.values.items()}
    labels[UNKNOWN] = _t("unknown", lang)
    return [{"value": v, "label": labels[v]} for v in allowed if v in labels]


def display_value(question: Question, fact: FactDef | None, raw: str | None, locale: str,
                  translated: Translated | None = None) -> str:
    if raw is None or raw == "":
        return _t("not_answered", locale)
    if question.fact == "event_date" or (fact is not None and fact.type == "date"):
        if raw == UNKNOWN:
            return _t("date_unknown", locale)
        return format_date(dt.date.fromisoformat(raw), locale)
    if question.fact == "members":
        return _t("people", locale, count=raw)
    if fact is not None and fact.type == "int":
        return _t("age", locale, n=raw)
    items = choice_items(question, fact, locale, allowed_values(question, fact), translated)
    return next((i["label"] for i in items if i["value"] == raw), raw)


def answer_rows(book, event: LifeEvent, answers: dict[str, str], steps: list[flow.Step], locale: str,
                change_url: Callable[[str], str]) -> list[dict[str, Any]]:
    """Check-your-answers rows; each 「変更」 link names what it changes (for screen readers)."""
    rows: list[dict[str, Any]] = []
    lang = locale
    for step in steps:
        if step.kind in ("person", "person_more"):
            questions = flow.person_questions(book.kb, book.vocab, event, answers, step)
            who = _t("person", locale, n=(step.person or 0) + 1)
            for q in questions:
                key = flow.key_for(q, step.person)
                fact = flow.fact_def(book.vocab, q)
                label = _t("answer_row", locale, who=who, question=q.text.get(lang))
                rows.append({"key": label, "value": display_value(q, fact, answers.get(key), locale, book.kb.translated_texts),
                             "change_href": change_url(step.key), "change_hidden": label})
            continue
        q = step.question
        assert q is not None
        key = flow.key_for(q)
        text = event.date_label.get(lang) if step.kind == "date" else q.text.get(lang)
        rows.append({"key": text, "value": display_value(q, flow.fact_def(book.vocab, q), answers.get(key), locale,
                                                                    book.kb.translated_texts),
                     "change_href": change_url(step.key), "change_hidden": text})
    return rows


def _person_words(i: int, answers: dict[str, str], book, locale: str) -> str:
    who = _t("person", locale, n=i + 1)
    bits = []
    rel = answers.get(f"m{i}.relation")
    if rel and rel in book.vocab.member["relation"].values:
        bits.append(fact_words(book.kb.translated_texts, book.vocab.member["relation"].values[rel], locale))
    if answers.get(f"m{i}.age"):
        bits.append(_t("age", locale, n=answers[f"m{i}.age"]))
    return _t("person_with", locale, who=who, bits=_t("list_sep", locale).join(bits)) if bits else who


def fee_lines(fees: list[dict[str, Any]], locale: str) -> list[str]:
    """Each fee in force as one line: amount and unit, and where it applies (counter / online)."""
    lines = []
    for f in fees:
        amount = f"{f['amount_yen']:,}"
        words = _t("yen", locale, amount=amount, unit=f["unit"]) if f["amount_yen"] else _t("free", locale)
        if f["channel"] in ("counter", "online"):
            words = _t(f"fee_{f['channel']}", locale, fee=words)
        lines.append(words)
    return lines


def window_words(window: str | None, locale: str) -> str | None:
    """A counter's window in the reader's language: the pack writes 「31番窓口」; in English
    that is "Window 31" (any other wording is shown as written)."""
    m = _WINDOW.fullmatch(window.strip()) if window else None
    if m is None:
        return window
    shown = _t("window", locale, number=m.group(1))
    return window if shown == _t("window", "ja", number=m.group(1)) else shown  # as written when untranslated


def brackets(text: str, locale: str) -> str:
    """「（…）」 in Japanese, " (…)" in English."""
    return _t("brackets", locale, text=text)


def _place_lines(place: dict[str, Any], locale: str) -> dict[str, Any]:
    """Building, floor and window on one line; the rest as they are (for the card and print)."""
    window = window_words(place.get("window"), locale)
    bits = [b for b in (place.get("building"), place.get("floor"), window) if b]
    sep = _t("place_sep", locale)
    return {**place, "where": sep.join(bits) if bits else None,
            "tel_href": "tel:" + place["phone"].replace("-", "") if place.get("phone") else None}


def _card(p: dict[str, Any], answers: dict[str, str], book, locale: str) -> dict[str, Any]:
    p = _dated(p, locale)
    # the name the counter uses, beside a translated one (None when the card reads it already)
    proc = book.kb.procedures.get(p["id"])
    p["official_name"] = proc.name.ja if proc is not None and proc.name.ja not in p["name"] else None
    p["member_words"] = [_person_words(i, answers, book, locale) for i in p["members"]]
    if p.get("newborn"):  # the child a birth brings: not one of the answered persons
        p["member_words"].append(_t("newborn", locale))
    p["fee_lines"] = fee_lines(p.get("fees") or [], locale)
    place = _place_lines(p["place"], locale)
    p["place"] = place
    p["documents"] = [b for b in p["bring"] if b.get("kind", "document") == "document"]
    p["actions"] = [b for b in p["bring"] if b.get("kind") == "action"]
    notes = []
    if not p.get("verified", True):
        notes.append(_t("unconfirmed_procedure", locale))
    if not place.get("verified", True):
        notes.append(_t("unconfirmed_office" if place.get("offsite") else "unconfirmed_place", locale))
    p["unconfirmed"] = notes
    # the hidden words after the card's links (the catalog's brackets hold no markup: the page
    # escapes the whole text as the template's _() escaped the name)
    p["counter_named"] = _t("named", locale, name=p["counter"])
    p["name_named"] = _t("named", locale, name=p["name"])
    return p


def closed_day_view(data: dict[str, Any], locale: str) -> dict[str, Any] | None:
    closed = data.get("closed_days")
    if not closed:
        return None
    lang = locale
    names = {p["id"]: p["name"] for p in data["procedures"]}
    lines = []
    for d in closed["dates"]:
        day = format_date(dt.date.fromisoformat(d["date"]), lang)
        kind = _t(f"kind_{d['kind']}", locale)
        if d["of"] == "event_date":
            lines.append(_t("closed_event_date", locale, date=day, kind=kind))
        else:
            lines.append(_t("closed_due", locale, date=day, kind=kind, name=names.get(d["of"], d["of"])))
    counters = []
    for c in closed["counters"]:
        days = []
        for od in c.get("open_days") or []:
            day = format_date(dt.date.fromisoformat(od["date"]), lang)
            key = ("open_day_other" if c.get("other_closures") else "open_day") if od["open"] else "shut_day"
            days.append(_t(key, locale, date=day))
        counters.append({**c, "open_lines": days,
                         "procedure_names": [names[pid] for pid in c["procedures"] if pid in names],
                         "tel_href": "tel:" + c["phone"].replace("-", "") if c.get("phone") else None})
    return {"lines": lines, "counters": counters}


def due_bases(book, event: LifeEvent, data: dict[str, Any], locale: str) -> list[dict[str, str]]:
    """The dates the due dates count from, each with its label (「亡くなった日」, the event's date
    label), in the order the procedures use them: one line on the result page names them all."""
    lang = locale
    seen: dict[str, dict[str, str]] = {}
    for p in data["procedures"]:
        base = p.get("due_from")
        if not base or base["fact"] in seen:
            continue
        if base["fact"] == "event_date":
            label = event.date_label.get(lang)
        else:
            fact = book.vocab.household.get(base["fact"])
            words = fact.label if fact is not None else {}
            label = fact_words(book.kb.translated_texts, words, locale) if words else base["fact"]
        label = label[:1].upper() + label[1:]  # "Date of death" in English; Japanese has no capitals
        seen[base["fact"]] = {"label": label,
                              "date": format_date(dt.date.fromisoformat(base["date"]), locale)}
    return list(seen.values())


def often_needed(book, data: dict[str, Any], locale: str) -> list[dict[str, Any]]:
    """The certificates a result implies (pack: ``often_needed`` of the procedures it lists), each
    once, in the order of the result, with what it is needed for and its fee on the day of the
    event (a fee that changes on 4月1日 shows the new one on a result dated after it); none the
    result lists itself."""
    lang = locale
    listed = [p["id"] for p in data["procedures"]]
    fee_day = dt.date.fromisoformat(data["event_date"]) if data.get("event_date") else None
    out: dict[str, dict[str, Any]] = {}
    for pid in listed:
        for needed in book.kb.procedures[pid].often_needed:
            if needed.procedure in listed:
                continue
            why = needed.why.get(lang)
            entry = out.get(needed.procedure)
            if entry is None:
                proc = book.kb.procedures[needed.procedure]
                out[needed.procedure] = {"id": proc.id, "name": proc.name.get(lang), "online": proc.online,
                                         "why": [why], "fee_lines": fee_lines(fees_on(proc, fee_day, lang), lang)}
            elif why not in entry["why"]:
                entry["why"].append(why)
    return list(out.values())


def present_result(book, event: LifeEvent, data: dict[str, Any], answers: dict[str, str], locale: str) -> dict[str, Any]:
    """Visits in order, each with its procedures ready to show (dates in 西暦 and 和暦); then the
    offices outside the city hall; the checklist as documents and things to do first."""
    by_id = {p["id"]: p for p in data["procedures"]}
    cards = {pid: _card(p, answers, book, locale) for pid, p in by_id.items()}
    visits = []
    for n, visit in enumerate(data["visit_plan"], start=1):
        procs = [cards[pid] for pid in visit["procedures"]]
        first = procs[0]["place"]
        visits.append({"number": n, "counter": visit["counter"], "department": visit["department"],
                       "department_line": visit["department"] + (brackets(first["where"], locale) if first.get("where") else ""),
                       "place": first, "procedures": procs,
                       "reserve_ids": ",".join(p["id"] for p in procs if p["reserve"]["available"])})
    offices = []
    for n, office in enumerate(data.get("offices") or [], start=len(visits) + 1):
        procs = [cards[pid] for pid in office["procedures"]]
        offices.append({**office, "number": n, "place": procs[0]["place"], "procedures": procs})
    required = sum(1 for p in data["procedures"] if p["status"] == "required")
    event_date = data.get("event_date")
    checklist = data["checklist"]
    return {"visits": visits, "offices": offices, "required": required, "visit_booking": visit_booking(visits),
            "event_date_display": format_date(dt.date.fromisoformat(event_date), locale)
            if event_date else None,
            "conditional": len(data["procedures"]) - required,
            "checklist": [c for c in checklist if c.get("kind", "document") == "document"],
            "todo": [c for c in checklist if c.get("kind") == "action"],
            "at_new_city": [_dated(p, locale) for p in data.get("at_new_city") or []],
            "due_bases": due_bases(book, event, data, locale),
            "closed_days": closed_day_view(data, locale),
            "often_needed": often_needed(book, data, locale)}


def visit_booking(visits: list[dict[str, Any]]) -> dict[str, str] | None:
    """「まとめて予約」: the city-hall procedures that can be booked, in visit order, the earliest
    due date among them, and the city-hall procedures that cannot (``others``: the itinerary page
    lists them with their counter) (for /reserve/visit); None below two bookable procedures."""
    procs = [p for v in visits for p in v["procedures"] if p["reserve"]["available"]]
    if len(procs) < 2:
        return None
    dues = sorted(p["due_date"] for p in procs if p.get("due_date"))
    others = [p["id"] for v in visits for p in v["procedures"] if not p["reserve"]["available"]]
    return {"procedures": ",".join(p["id"] for p in procs), "due": dues[0] if dues else "",
            "others": ",".join(others)}


def _dated(p: dict[str, Any], locale: str) -> dict[str, Any]:
    """A due date ready to show (西暦 and 和暦), as on a card."""
    p = dict(p)
    if p.get("due_date"):
        day = dt.date.fromisoformat(p["due_date"])
        p["due_display"] = format_date(day, locale)
        p["due_wareki"] = to_wareki(day)
    return p
