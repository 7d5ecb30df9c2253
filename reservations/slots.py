"""The times a service can start at a site on a day, and whether one can be booked now.

A counter's day is cut into base slots of ``slot_minutes`` from the start of each opening
interval; a visit starts on a base slot and occupies ceil(minutes / slot_minutes) of them, all
inside one interval (a visit never runs over lunch or closing time). The booking code claims a
seat in each unit, so that a 45-minute 転入 and three 15-minute certificates compete fairly for
the same windows. Plain Python: times are aware datetimes in JST.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from core.japan_time import JST
from reservations.calendar import day_plan
from reservations.catalog import Counter
from reservations.loader import Catalog


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # aware, JST (+09:00)
    end: dt.datetime  # start + service minutes
    counter_id: str
    units: tuple[dt.datetime, ...]  # the base slot starts this visit occupies
    capacity: int  # the counter's windows that day
    quotas: dict[str, int]  # {"web": n, "phone": m} that day


def to_jst(moment: dt.datetime) -> dt.datetime:
    """``moment`` in JST; a naive datetime is taken as JST already (the city's wall clock)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=JST)
    return moment.astimezone(JST)


def unit_starts(counter: Counter, start: dt.datetime, minutes: int) -> tuple[dt.datetime, ...]:
    step = dt.timedelta(minutes=counter.slot_minutes)
    return tuple(start + i * step for i in range(math.ceil(minutes / counter.slot_minutes)))


def day_slots(catalog: Catalog, service_id: str, site_id: str, day: dt.date,
              minutes: int | None = None) -> list[Slot]:
    """Every start where the whole visit fits in one opening interval; [] when closed or not offered.
    ``minutes`` replaces the service's own length (a visit doing several services at one counter)."""
    service = catalog.services.get(service_id)
    counter = catalog.counter_for(service_id, site_id)
    if service is None or counter is None:
        return []
    minutes = minutes or service.minutes
    plan = day_plan(catalog, site_id, day)
    if plan is None:
        return []
    cp = plan.counters[counter.id]
    quotas = {"web": cp.quotas.web, "phone": cp.quotas.phone}
    length = dt.timedelta(minutes=minutes)
    step = dt.timedelta(minutes=counter.slot_minutes)
    slots: list[Slot] = []
    for opens, closes in plan.intervals:
        start = dt.datetime.combine(day, opens, tzinfo=JST)
        end_of_interval = dt.datetime.combine(day, closes, tzinfo=JST)
        while start + length <= end_of_interval:
            slots.append(Slot(start=start, end=start + length, counter_id=counter.id,
                              units=unit_starts(counter, start, minutes),
                              capacity=cp.windows, quotas=dict(quotas)))
            start += step
    return slots


def find_slot(catalog: Catalog, service_id: str, site_id: str, start: dt.datetime,
              minutes: int | None = None) -> Slot | None:
    """The slot starting exactly at ``start`` (any timezone; naive means JST), or None."""
    start = to_jst(start)
    for slot in day_slots(catalog, service_id, site_id, start.date(), minutes):
        if slot.start == start:
            return slot
    return None


def bookable_reason(catalog: Catalog, slot: Slot, now: dt.datetime) -> str | None:
    """None when ``slot`` may be booked at ``now``; else "past", "too_soon" or "too_far"."""
    now = to_jst(now)
    rules = catalog.rules
    if slot.start <= now:
        return "past"
    if slot.start < now + dt.timedelta(minutes=rules.lead_minutes):
        return "too_soon"
    if slot.start.astimezone(JST).date() > now.date() + dt.timedelta(days=rules.horizon_days):
        return "too_far"
    return None


def visit_services(catalog: Catalog, service_id: str, site_id: str, procedures: list[str] | tuple[str, ...]) -> list[str]:
    """The services one visit does: ``service_id`` and, of the services the guide's procedures
    need, those done at the same counter of this site (one queue, one window, the minutes added)."""
    counter = catalog.counter_for(service_id, site_id)
    out = [service_id]
    if counter is None or not procedures:
        return out
    for other in catalog.services_for_procedures(list(procedures)):
        if other.id not in out and (c := catalog.counter_for(other.id, site_id)) is not None and c.id == counter.id:
            out.append(other.id)
    return out


def visit_minutes(catalog: Catalog, service_ids: list[str]) -> int:
    return sum(catalog.services[s].minutes for s in service_ids if s in catalog.services)
