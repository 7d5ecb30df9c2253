"""One procedure as its own page shows it (no Flask here).

Everything comes from the pack: the procedure file (what, when, what to bring, fees, legal basis,
source and the day it was checked, ``often_needed``), its counter in departments.yaml (where:
rules.places, as on a result card) and the rules of the life events (who: the same words a result
uses when nothing is answered yet, 「65歳以上の方がいる場合」).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from core.words import N_
from core.words import text as translate
from guide.presenter import fee_lines, window_words
from knowledge.schema import Procedure
from rules import places
from rules.evaluate import evaluate
from rules.memo import Memo
from rules.request import read_request
from rules.ruleset import Rulebook
from rules.wareki import format_date

_LISTED: Memo[dict[str, dict[str, Any]]] = Memo(64)  # (rulebook, locale) -> procedure id -> per event

UI = {
    "place_sep": N_(" "),
}


def _t(key: str, locale: str, **kw: Any) -> str:
    return translate(locale, UI[key], **kw)


def _listed_by_event(book: Rulebook, loc: str) -> dict[str, dict[str, Any]]:
    """procedure id -> {event id: what a result says of it when nothing is answered yet}: its
    status, reasons (「〜の場合」) and deadline notes. One person of unknown answers, so rules about
    the people are read as 「〜の方がいる場合」. Built once per rulebook and locale."""
    def build() -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for event_id in book.kb.events:
            situation = read_request({"event": event_id, "locale": loc, "members": [{}]}, book.vocab,
                                     set(book.events), today=dt.date(2000, 1, 1))
            for p in evaluate(book, situation)["procedures"]:
                found.setdefault(p["id"], {})[event_id] = {
                    "status": p["status"], "why": p["why"], "deadline_notes": p["deadline_notes"]}
        return found
    return _LISTED.get((id(book), loc), book, build)


def _bring(book: Rulebook, proc: Procedure, loc: str) -> list[dict[str, Any]]:
    """The procedure's things to bring as the pack lists them (those with a condition marked), the
    filer's identity document first unless the procedure is an exception (bring.yaml)."""
    kb = book.kb
    items: list[dict[str, Any]] = []
    for b in proc.bring:
        item = kb.items[b.item]
        entry = {"id": b.item, "name": item.name.get(loc), "kind": item.kind,
                 "conditional": b.when is not None or b.member is not None,
                 "per_person": b.per == "member", "note": b.note.get(loc) if b.note else None}
        same = next((e for e in items if e["id"] == b.item), None)
        if same is None:
            items.append(entry)
        elif same["conditional"] and not entry["conditional"]:
            same.update(entry)
    fid = kb.filer_identity
    if fid is not None and proc.id not in fid.exceptions and not any(
            e["id"] in (fid.item, *fid.equivalents) and not e["conditional"] for e in items):
        item = kb.items[fid.item]
        items = [{"id": fid.item, "name": item.name.get(loc), "kind": item.kind, "conditional": False,
                  "per_person": False, "note": None}, *(e for e in items if e["id"] != fid.item)]
    return items


def _place(book: Rulebook, proc: Procedure, loc: str) -> dict[str, Any]:
    place = places.place_of(book, proc, loc)
    bits = [b for b in (place.get("building"), place.get("floor"), window_words(place.get("window"), loc)) if b]
    dept, counter = book.kb.counters[proc.counter]
    return {**place, "where": _t("place_sep", loc).join(bits) if bits else None,
            "department": dept.name.get(loc), "counter": counter.name.get(loc),
            "tel_href": "tel:" + place["phone"].replace("-", "") if place.get("phone") else None}


def procedure_view(book: Rulebook, proc: Procedure, locale: str, today: dt.date) -> dict[str, Any]:
    """What the procedure's page shows, in ``locale`` (ja or en; pack texts fall back to ja)."""
    loc = locale  # pack texts and catalog words follow each language's fallback themselves
    kb = book.kb
    listed = _listed_by_event(book, loc).get(proc.id, {})
    events = [{"id": eid, "name": kb.events[eid].name.get(loc), **listed[eid]}
              for eid in kb.events if eid in listed]
    notes: list[str] = []
    for e in events:
        notes += [n for n in e["deadline_notes"] if n not in notes]
    fees = places.fees_on(proc, today, loc)
    return {
        "id": proc.id,
        "name": proc.name.get(loc),
        # the counter's own name, shown beside a translated one (None when the page is Japanese)
        "official_name": proc.name.ja if proc.name.get(loc) != proc.name.ja else None,
        "description": proc.description.get(loc),
        "events": events,
        "deadline": proc.deadline.text.get(loc),
        "deadline_notes": notes,
        "place": _place(book, proc, loc),
        "bring": [b for b in _bring(book, proc, loc) if b["kind"] == "document"],
        "actions": [b for b in _bring(book, proc, loc) if b["kind"] == "action"],
        "fee_lines": fee_lines(fees, loc),
        # fees already decided that start later (a new fee from 4月1日): shown with their first day
        "upcoming_fees": [{"from": format_date(start, loc), "lines": fee_lines(places.fees_on(proc, start, loc), loc)}
                          for start in sorted({f.valid_from for f in proc.fees if f.valid_from > today})],
        "online": proc.online,
        "reservable": proc.reservable,
        "legal_basis": proc.legal_basis.get(loc) if proc.legal_basis else None,
        "requires": [{"id": r, "name": kb.procedures[r].name.get(loc)} for r in proc.requires],
        "often_needed": [_needed(book, n.procedure, n.why.get(loc), loc) for n in proc.often_needed],
        "source_url": str(proc.source_url),
        "verified": proc.verified,
        "verified_on": format_date(proc.verified_on, loc),
        "verified_on_iso": proc.verified_on.isoformat(),
        "standalone": proc.standalone,
    }


def _needed(book: Rulebook, pid: str, why: str, loc: str) -> dict[str, Any]:
    proc = book.kb.procedures[pid]
    return {"id": pid, "name": proc.name.get(loc), "why": [why], "online": proc.online}


def procedure_index(book: Rulebook, locale: str) -> list[dict[str, Any]]:
    """Every procedure, grouped by department in the pack's order (departments.yaml)."""
    loc = locale  # pack texts and catalog words follow each language's fallback themselves
    groups: dict[str, dict[str, Any]] = {}
    for dept_id, dept in book.kb.departments.items():
        groups[dept_id] = {"id": dept_id, "name": dept.name.get(loc), "procedures": []}
    for proc in book.kb.procedures.values():
        groups[proc.department]["procedures"].append(
            {"id": proc.id, "name": proc.name.get(loc), "description": proc.description.get(loc),
             "online": proc.online, "reservable": proc.reservable})
    for g in groups.values():
        g["procedures"].sort(key=lambda p: p["name"])
    return [g for g in groups.values() if g["procedures"]]
