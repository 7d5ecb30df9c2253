"""Knowledge as JSON for the API and the pages (no Flask here)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from knowledge.loader import KnowledgeBase
from knowledge.schema import Fee, Procedure


def fees_on(proc: Procedure, day: dt.date) -> list[Fee]:
    """The fees in force on ``day`` (fees are effective-dated data, never constants)."""
    return [f for f in proc.fees if f.valid_from <= day and (f.valid_to is None or day <= f.valid_to)]


def procedure_summary(kb: KnowledgeBase, proc: Procedure, locale: str) -> dict[str, Any]:
    dept, counter = kb.counters[proc.counter]
    return {
        "id": proc.id,
        "name": proc.name.get(locale),
        "department": dept.name.get(locale),
        "counter": counter.name.get(locale),
        "online": proc.online,
        "reservable": proc.reservable,
        "standalone": proc.standalone,
        "url": f"/api/v1/procedures/{proc.id}",
    }


def procedure_detail(kb: KnowledgeBase, proc: Procedure, locale: str, day: dt.date) -> dict[str, Any]:
    dept, counter = kb.counters[proc.counter]
    return {
        **procedure_summary(kb, proc, locale),
        "names": proc.name.model_dump(),
        "description": proc.description.get(locale),
        "counter_detail": {
            "id": counter.id, "name": counter.name.get(locale),
            "building": counter.building.get(locale) if counter.building else None,
            "floor": counter.floor, "window": counter.window,
            "phone": dept.phone,
        },
        "deadline": {"kind": proc.deadline.kind, "amount": proc.deadline.amount,
                     "text": proc.deadline.text.get(locale)},
        "bring": [{"id": b.item, "name": kb.items[b.item].name.get(locale), "per": b.per,
                   "conditional": b.when is not None or b.member is not None,
                   "note": b.note.get(locale) if b.note else None} for b in proc.bring],
        "fees": [{"amount_yen": f.amount_yen, "unit": f.unit.get(locale), "channel": f.channel,
                  "valid_from": f.valid_from.isoformat(),
                  "valid_to": f.valid_to.isoformat() if f.valid_to else None} for f in fees_on(proc, day)],
        "fees_on": day.isoformat(),
        "legal_basis": proc.legal_basis.get(locale) if proc.legal_basis else None,
        "requires": list(proc.requires),
        "source_url": str(proc.source_url),
        "verified_on": proc.verified_on.isoformat(),
        "verified": proc.verified,
        "apply_url": f"/apply/{proc.id}" if proc.online else None,
        "reserve_url": f"/reserve?procedures={proc.id}" if proc.reservable else None,
    }


def event_summary(kb: KnowledgeBase, event_id: str, locale: str) -> dict[str, Any]:
    event = kb.events[event_id]
    return {"id": event.id, "name": event.name.get(locale), "description": event.description.get(locale),
            "url": f"/guide/{event.id}"}
