"""Where a procedure is done and what it costs: the counter's place (building, floor, window,
hours, phone, map), the fee in force on a day, the offices outside the city hall, and the
counters still open when the event or a deadline falls on a closed day. Plain Python over the
pack's departments and counters (knowledge/packs/<city>/departments.yaml)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from knowledge.schema import Procedure
from rules import calendar
from rules.memo import Memo
from rules.request import Situation
from rules.ruleset import Rulebook

_PLACES: Memo[dict[str, Any]] = Memo(4096)  # (rulebook, procedure, locale) -> its place


def place_of(rulebook: Rulebook, proc: Procedure, loc: str) -> dict[str, Any]:
    """``_build_place``, built once per (rulebook, procedure, locale) and copied for each answer."""
    return copy_place(_PLACES.get((id(rulebook), proc.id, loc), rulebook, lambda: _build_place(rulebook, proc, loc)))


def copy_place(place: dict[str, Any]) -> dict[str, Any]:
    """An answer's own copy of a place ``place_of`` built (nothing of it is shared)."""
    return {**place, "closed_days": [dict(c) for c in place["closed_days"]]}


def _build_place(rulebook: Rulebook, proc: Procedure, loc: str) -> dict[str, Any]:
    """Where the procedure is done: the counter's fields, else its department's, else the city
    hall's (for departments inside it). ``verified`` is False when a curator has not confirmed
    the counter or the address and hours."""
    kb = rulebook.kb
    dept, counter = kb.counters[proc.counter]
    hall = None if dept.offsite else kb.city_hall

    def pick(field: str):
        for src in (counter, dept, hall):
            v = getattr(src, field, None) if src is not None else None
            if v is not None:
                return v, src
        return None, None

    address, addr_src = pick("address")
    hours, _ = pick("hours")
    map_url, _ = pick("map_url")
    phone, phone_src = pick("phone")
    if addr_src is None:
        place_ok = False
    elif addr_src is hall:
        place_ok = hall.verified
    else:
        place_ok = dept.place_verified
    building = counter.building.get(loc) if counter.building else \
        (hall.name.get(loc) if hall is not None and addr_src is hall else None)
    return {
        "department_id": dept.id,
        "building": building,
        "floor": counter.floor,
        "window": counter.window,
        "address": address.get(loc) if address else None,
        "hours": hours.get(loc) if hours else None,
        "map_url": str(map_url) if map_url else None,
        "phone": phone,
        "phone_is_main": phone_src is hall and hall is not None,  # the city hall's 代表 number
        "offsite": dept.offsite,
        "verified": bool(dept.verified and place_ok and counter.verified is not False),
        "source_url": str(dept.source_url) if dept.source_url else None,
        "closed_days": [{"counter_id": cid, "name": c.name.get(loc), "hours": c.closed_days.hours.get(loc)}
                        for cid, c in _closed_day_counters(rulebook).get(proc.id, [])],
    }


def _closed_day_counters(rulebook: Rulebook) -> dict[str, list[tuple[str, Any]]]:
    """procedure id -> the counters that take it on closed days (weekend centres, 夜間休日窓口)."""
    found = rulebook.__dict__.get("_closed_day_counters")  # per rulebook: the pack does not change
    if found is None:
        found = {}
        for cid, (_, counter) in rulebook.kb.counters.items():
            for pid in counter.closed_days.procedures if counter.closed_days else []:
                found.setdefault(pid, []).append((cid, counter))
        rulebook.__dict__["_closed_day_counters"] = found
    return found


def fees_on(proc: Procedure, day, loc: str) -> list[dict[str, Any]]:
    """The fees in force on ``day`` (valid_from <= day <= valid_to), counter/online/any; without a
    day, the fees that have no end date (the current ones)."""
    out = []
    for fee in proc.fees:
        if day is None:
            if fee.valid_to is not None:
                continue
        elif fee.valid_from > day or (fee.valid_to is not None and fee.valid_to < day):
            continue
        out.append({"amount_yen": fee.amount_yen, "unit": fee.unit.get(loc), "channel": fee.channel,
                    "valid_from": fee.valid_from.isoformat(),
                    "valid_to": fee.valid_to.isoformat() if fee.valid_to else None})
    return out


def offices(rulebook: Rulebook, ordered: list[dict[str, Any]], loc: str) -> list[dict[str, Any]]:
    """The offices outside the city hall, in the order their procedures come in ``ordered``."""
    offices: dict[str, dict[str, Any]] = {}
    for p in ordered:
        place = p["place"]
        if not place["offsite"]:
            continue
        dept = rulebook.kb.departments[place["department_id"]]
        office = offices.setdefault(dept.id, {
            "department_id": dept.id, "department": dept.name.get(loc),
            "address": place["address"], "hours": place["hours"], "phone": place["phone"],
            "map_url": place["map_url"], "verified": place["verified"], "source_url": place["source_url"],
            "procedures": []})
        office["procedures"].append(p["id"])
    return list(offices.values())


def _closed_kind(day) -> str | None:
    return calendar.closed_day_kind(day) if day is not None else None


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def opens_on(opening: Any, day: dt.date, kind: str) -> bool:
    """Whether a counter that takes procedures on closed days (pack: ``closed_days``) opens on
    ``day``, a closed day of ``kind``: not when it does not open on that kind (年末年始), nor on one
    of its own regular closed days (毎月第2・第4日曜日 …). Closures no rule computes
    (``other_closures``) are said in its ``closes`` words beside the answer."""
    if kind not in opening.open_on:
        return False
    nth = (day.day - 1) // 7 + 1
    for rule in opening.closed_on:
        if (_WEEKDAYS[day.weekday()] == rule.weekday and (not rule.nth or nth in rule.nth)
                and (not rule.months or day.month in rule.months)):
            return False
    return True


def closed_days(rulebook: Rulebook, situation: Situation, ordered: list[dict[str, Any]],
                deadline_of: Callable[[str], Any]) -> dict[str, Any] | None:
    """When the event date or a deadline's last day is a closed day: the counters that still
    open on such a day (pack: counters' ``closed_days``), each with what it takes from this list.
    ``deadline_of(procedure id)`` is the deadline (variant) chosen for this household."""
    loc = situation.locale
    days: list[dict[str, Any]] = []
    kind = _closed_kind(situation.event_date)
    if kind:
        days.append({"date": situation.event_date.isoformat(), "kind": kind, "of": "event_date"})
    # a deadline's last day on a closed day matters where some counter takes the procedure that day
    takeable = rulebook.takeable_on_closed_days
    for p in ordered:
        if p["id"] not in takeable:
            continue
        chosen = deadline_of(p["id"])
        start = situation.event_date
        if chosen.start != "event_date":
            start = situation.values.get(chosen.start) or situation.event_date
        if start and chosen.start_offset_days:
            start += dt.timedelta(days=chosen.start_offset_days)
        end = calendar.period_end(chosen.kind, chosen.amount, start) if start else None
        kind = _closed_kind(end)
        if kind and not any(d["date"] == end.isoformat() for d in days):
            days.append({"date": end.isoformat(), "kind": kind, "of": p["id"]})
    if not days:
        return None
    kinds = {d["kind"] for d in days}
    listed = [p["id"] for p in ordered]
    counters = []
    for cid, (dept, counter) in rulebook.kb.counters.items():
        cd = counter.closed_days
        if cd is None or not kinds & set(cd.open_on):
            continue
        hall = None if dept.offsite else rulebook.kb.city_hall
        address = counter.address or dept.address or (hall.address if hall and counter.building else None)
        counters.append({
            "counter_id": cid, "name": counter.name.get(loc), "open_on": list(cd.open_on),
            "building": counter.building.get(loc) if counter.building else None, "floor": counter.floor,
            "hours": cd.hours.get(loc), "closes": cd.closes.get(loc) if cd.closes else None,
            "what": cd.what.get(loc), "address": address.get(loc) if address else None,
            "phone": counter.phone, "map_url": str(counter.map_url) if counter.map_url else None,
            "procedures": [pid for pid in listed if pid in cd.procedures],
            "source_url": str(cd.source_url),
            # on each closed day of this result: open or not (its regular closed days as rules)
            "open_days": [{"date": d["date"], "open": opens_on(cd, dt.date.fromisoformat(d["date"]), d["kind"])}
                          for d in days],
            "other_closures": cd.other_closures,
        })
    # the counters that take something of this result first
    counters.sort(key=lambda c: (not c["procedures"], rulebook.counter_rank[c["counter_id"]]))
    return {"dates": days, "counters": counters}
