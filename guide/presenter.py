"""What the pages show: answers as rows, choices as labels, the result as visits (no Flask here)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from guide import flow
from knowledge.schema import LifeEvent, Question
from rules.vocabulary import UNKNOWN, FactDef
from rules.wareki import format_date, to_wareki

_WINDOW = re.compile(r"(\d+)\s*番窓口")

UI = {
    "yes": {"ja": "はい", "en": "Yes"},
    "no": {"ja": "いいえ", "en": "No"},
    "unknown": {"ja": "わからない", "en": "I don't know"},
    "not_answered": {"ja": "未回答", "en": "Not answered"},
    "people": {"ja": "{n}人", "en": "{n}"},
    "age": {"ja": "{n}歳", "en": "{n} years old"},
    "person": {"ja": "{n}人目", "en": "Person {n}"},
    "newborn": {"ja": "生まれた子", "en": "The newborn child", "easy": "うまれた こども"},
    "date_unknown": {"ja": "わからない（空欄）", "en": "Not known (left empty)"},
    "yen": {"ja": "{amount}円（{unit}）", "en": "¥{amount} ({unit})", "easy": "{amount}えん（{unit}）"},
    "free": {"ja": "無料", "en": "Free", "easy": "おかねは かかりません"},
    "channel_counter": {"ja": "窓口", "en": "at the counter", "easy": "まどぐち"},
    "channel_online": {"ja": "オンライン", "en": "online", "easy": "いんたーねっと"},
    "floor": {"ja": "{floor}", "en": "floor {floor}", "easy": "{floor}"},
    # 「市で確認中」: only what a curator has not confirmed, named
    "unconfirmed_procedure": {"ja": "この手続きの内容は市で確認中です。窓口でご確認ください。",
                              "en": "The city is still checking the details of this procedure. Please confirm at the counter.",
                              "easy": "この てつづきの ないようは、いま しが たしかめて います。まどぐちで きいて ください。"},
    "unconfirmed_place": {"ja": "窓口の場所・受付時間は市で確認中です。電話でご確認ください。",
                          "en": "The city is still checking the place and opening hours. Please call to confirm.",
                          "easy": "まどぐちの ばしょと じかんは、いま しが たしかめて います。でんわで きいて ください。"},
    "unconfirmed_office": {"ja": "この機関の所在地・受付時間は市で確認中です。行く前に電話でご確認ください。",
                           "en": "The city is still checking this office's address and opening hours. Please call before you go.",
                           "easy": "この やくしょの ばしょと じかんは、いま しが たしかめて います。いく まえに でんわで きいて ください。"},
    "closed_event_date": {"ja": "{date}は市役所の休みの日（{kind}）です。",
                          "en": "{date} is a day the City Hall is closed ({kind}).",
                          "easy": "{date}は しやくしょが やすみの ひ（{kind}）です。"},
    "closed_due": {"ja": "「{name}」の期限の日（{date}）は休みの日（{kind}）のため、次の開庁日まで延びています。",
                   "en": "The last day for “{name}” ({date}) is a closed day ({kind}), so it moves to the next open day.",
                   "easy": "「{name}」の きげんの ひ（{date}）は やすみの ひ（{kind}）です。つぎに しやくしょが あいて いる ひまで だいじょうぶです。"},
    "open_day": {"ja": "{date}は開いています。", "en": "Open on {date}.", "easy": "{date}は あいて います。"},
    "open_day_other": {"ja": "{date}は開く予定です（下の休みの日もご確認ください）。",
                       "en": "Expected to be open on {date} (see its other closed days below).",
                       "easy": "{date}は あく よていです（したの やすみの ひも みて ください）。"},
    "shut_day": {"ja": "{date}は休みです。", "en": "Closed on {date}.", "easy": "{date}は やすみです。"},
    "kind_weekend": {"ja": "土曜日・日曜日", "en": "weekend", "easy": "どようび・にちようび"},
    "kind_holiday": {"ja": "祝日", "en": "public holiday", "easy": "しゅくじつ"},
    "kind_year_end": {"ja": "年末年始", "en": "New Year holidays", "easy": "ねんまつ ねんし"},
}


def _lang(locale: str) -> str:
    return locale if locale in ("en", "easy") else "ja"


def _t(key: str, locale: str, **kw: Any) -> str:
    words = UI[key]
    lang = _lang(locale)
    return (words.get(lang) or words["ja"]).format(**kw)


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


def fee_lines(fees: list[dict[str, Any]], locale: str) -> list[str]:
    """Each fee in force as one line: amount and unit, and where it applies (counter / online)."""
    lines = []
    for f in fees:
        amount = f"{f['amount_yen']:,}"
        words = _t("yen", locale, amount=amount, unit=f["unit"]) if f["amount_yen"] else _t("free", locale)
        if f["channel"] in ("counter", "online"):
            where = _t(f"channel_{f['channel']}", locale)
            words = f"{where}：{words}" if _lang(locale) != "en" else f"{words} {where}"
        lines.append(words)
    return lines


def window_words(window: str | None, locale: str) -> str | None:
    """A counter's window in the reader's language: the pack writes 「31番窓口」; in English
    that is "Window 31" (any other wording is shown as written)."""
    if not window or _lang(locale) != "en":
        return window
    m = _WINDOW.fullmatch(window.strip())
    return f"Window {m.group(1)}" if m else window


def brackets(text: str, locale: str) -> str:
    """「（…）」 in Japanese, " (…)" in English."""
    return f" ({text})" if _lang(locale) == "en" else f"（{text}）"


def _place_lines(place: dict[str, Any], locale: str) -> dict[str, Any]:
    """Building, floor and window on one line; the rest as they are (for the card and print)."""
    window = window_words(place.get("window"), locale)
    bits = [b for b in (place.get("building"), place.get("floor"), window) if b]
    sep = " " if _lang(locale) != "en" else ", "
    return {**place, "where": sep.join(bits) if bits else None,
            "tel_href": "tel:" + place["phone"].replace("-", "") if place.get("phone") else None}


def _card(p: dict[str, Any], answers: dict[str, str], book, locale: str) -> dict[str, Any]:
    p = _dated(p, locale)
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
    return p


def closed_day_view(data: dict[str, Any], locale: str) -> dict[str, Any] | None:
    closed = data.get("closed_days")
    if not closed:
        return None
    lang = "en" if locale == "en" else "ja"
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
    lang = _lang(locale)
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
            label = words.get(lang) or words.get("ja") or base["fact"]
        if lang == "en":
            label = label[:1].upper() + label[1:]
        seen[base["fact"]] = {"label": label,
                              "date": format_date(dt.date.fromisoformat(base["date"]), "en" if lang == "en" else "ja")}
    return list(seen.values())


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
    return {"visits": visits, "offices": offices, "required": required,
            "event_date_display": format_date(dt.date.fromisoformat(event_date), "en" if locale == "en" else "ja")
            if event_date else None,
            "conditional": len(data["procedures"]) - required,
            "checklist": [c for c in checklist if c.get("kind", "document") == "document"],
            "todo": [c for c in checklist if c.get("kind") == "action"],
            "at_new_city": [_dated(p, locale) for p in data.get("at_new_city") or []],
            "due_bases": due_bases(book, event, data, locale),
            "closed_days": closed_day_view(data, locale)}


def _dated(p: dict[str, Any], locale: str) -> dict[str, Any]:
    """A due date ready to show (西暦 and 和暦), as on a card."""
    p = dict(p)
    if p.get("due_date"):
        day = dt.date.fromisoformat(p["due_date"])
        p["due_display"] = format_date(day, "en" if locale == "en" else "ja")
        p["due_wareki"] = to_wareki(day)
    return p
