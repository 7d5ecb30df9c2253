"""Staff changes to one day of the calendar, on top of the knowledge file: the windows of a
counter, the hours of a site, or a closure of a site (``CalendarOverride`` rows).

They reach availability and booking through ``for_day``: the catalogue as it is that day, with
the overrides written in — a closure becomes a city closure of that site, changed hours replace
that weekday's hours (and the season's) and open the site even on a holiday, changed windows
replace the counter's (and the season's) capacity. Everything downstream (calendar.day_plan,
slots.day_slots, booking) then works unchanged. The latest active override per (kind, target,
day) wins; a closure wins over changed hours. Quotas per channel stay as curated (clamped to
the windows): extra windows serve phone, staff and walk-ins.

Bookings already made are never cancelled by an override; ``affected`` counts them so that
the console can say so. Functions change ``db.session`` and leave the commit to the caller.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.db import db
from core.errors import AppError
from knowledge.schema import Text
from reservations import models as m
from reservations.calendar import day_plan, hours_on, is_closed
from reservations.catalog import WEEKDAYS, Closure, Interval
from reservations.loader import Catalog

WINDOWS, HOURS, CLOSURE = "windows", "hours", "closure"
KINDS = (WINDOWS, HOURS, CLOSURE)
MAX_WINDOWS = 50
MAX_REASON = 200
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


class OverrideError(AppError):
    """Bad input for an override: ``field`` names the form field the message is shown beside."""

    def __init__(self, field: str, message: Any):
        super().__init__("invalid_override", message, 400, fields={field: message})
        self.field = field


# --- reading ----------------------------------------------------------------------------------

def active_on(day: dt.date) -> list[m.CalendarOverride]:
    return list(db.session.scalars(select(m.CalendarOverride).where(
        m.CalendarOverride.day == day, m.CalendarOverride.active.is_(True)).order_by(m.CalendarOverride.id)))


def listed(start: dt.date, limit: int = 200) -> list[m.CalendarOverride]:
    """Active overrides from ``start`` on (the console's list), by day."""
    return list(db.session.scalars(select(m.CalendarOverride).where(
        m.CalendarOverride.day >= start, m.CalendarOverride.active.is_(True))
        .order_by(m.CalendarOverride.day, m.CalendarOverride.id).limit(limit)))


def latest(overrides: list[m.CalendarOverride]) -> dict[tuple[str, str], m.CalendarOverride]:
    """(kind, target) → the newest active override among ``overrides`` (one day's)."""
    out: dict[tuple[str, str], m.CalendarOverride] = {}
    for o in sorted(overrides, key=lambda o: o.id):
        if o.active:
            out[(o.kind, o.target)] = o
    return out


def intervals_of(o: m.CalendarOverride) -> list[Interval]:
    return [Interval(start=a, end=b) for a, b in json.loads(o.intervals or "[]")]


# --- applying ---------------------------------------------------------------------------------

def apply(catalog: Catalog, overrides: list[m.CalendarOverride], site_id: str, day: dt.date) -> Catalog:
    """``catalog`` as it is at ``site_id`` on ``day`` with ``overrides`` (that day's) written in."""
    if site_id not in catalog.sites:
        return catalog
    chosen = latest([o for o in overrides if o.day == day])
    counters_here = {cid for cid, c in catalog.counters.items() if c.site == site_id}
    closure = chosen.get((CLOSURE, site_id))
    hours = chosen.get((HOURS, site_id))
    windows = {cid: o.windows for (kind, cid), o in chosen.items()
               if kind == WINDOWS and cid in counters_here and o.windows}
    if closure is None and hours is None and not windows:
        return catalog
    changes: dict = {}
    if closure is not None:
        reason = closure.reason or "臨時休業"
        changes["closures"] = [*catalog.closures, Closure(
            start=day, end=day, sites=[site_id], reason=Text(ja=reason, en=reason))]
    seasons = list(catalog.seasons)
    if hours is not None and closure is None:
        site = catalog.sites[site_id]
        weekday = WEEKDAYS[day.weekday()]
        changes["sites"] = {**catalog.sites, site_id: site.model_copy(update={
            "hours": {**site.hours, weekday: intervals_of(hours)},
            "open_on_holidays": True, "open_year_end": True})}  # staff said: open these hours that day
        seasons = [s.model_copy(update={"hours": {k: v for k, v in s.hours.items() if k != site_id}})
                   for s in seasons]
    if windows:
        changes["counters"] = {cid: (c.model_copy(update={"windows": windows[cid]}) if cid in windows else c)
                               for cid, c in catalog.counters.items()}
        seasons = [s.model_copy(update={"windows": {k: v for k, v in s.windows.items() if k not in windows}})
                   for s in seasons]
    changes["seasons"] = seasons
    return dataclasses.replace(catalog, **changes)


def for_day(catalog: Catalog, site_id: str, day: dt.date) -> Catalog:
    """The catalogue with this day's active overrides applied (unchanged when there are none)."""
    found = active_on(day)
    return apply(catalog, found, site_id, day) if found else catalog


# --- what a day looks like (for the console) -------------------------------------------------

@dataclass(frozen=True)
class DayState:
    closed: str | None  # calendar reason, or None when open
    intervals: list[tuple[str, str]]
    windows: dict[str, int]  # counter id → windows


def state(catalog: Catalog, site_id: str, day: dt.date) -> DayState:
    closed = is_closed(catalog, site_id, day)
    plan = day_plan(catalog, site_id, day)
    intervals = [(i.start, i.end) for i in hours_on(catalog, site_id, day)] if plan else []
    windows = {cid: cp.windows for cid, cp in plan.counters.items()} if plan else {}
    return DayState(closed, intervals, windows)


def state_dict(s: DayState) -> dict:
    return {"closed": s.closed, "hours": [f"{a}-{b}" for a, b in s.intervals], "windows": s.windows}


def affected(site_id: str, day: dt.date, counter_id: str | None = None) -> int:
    """Bookings of that day (and counter) still to come: an override does not cancel them."""
    stmt = select(func.count()).select_from(m.Reservation).where(
        m.Reservation.site_id == site_id, m.Reservation.day == day, m.Reservation.status == m.CONFIRMED)
    if counter_id:
        stmt = stmt.where(m.Reservation.counter_id == counter_id)
    return db.session.scalar(stmt) or 0


# --- input ------------------------------------------------------------------------------------

def _clean(raw: str | None) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip()


def parse_windows(raw: str | None) -> int:
    text = _clean(raw)
    if not text.isdigit() or not 1 <= int(text) <= MAX_WINDOWS:
        raise OverrideError("windows", _l("窓口の数は1から%(most)sまでの数字で入力してください（例：4）。", most=MAX_WINDOWS))
    return int(text)


def parse_intervals(raw: str | None) -> list[tuple[str, str]]:
    """「9:00-12:00、13:00-17:15」 (full-width too, 〜 or - between) → [("09:00","12:00"), …]."""
    text = _clean(raw).replace("〜", "-").replace("~", "-").replace("－", "-").replace("–", "-")
    parts = [p.strip() for p in re.split(r"[,、\s]+", text.replace(" - ", "-")) if p.strip()]
    bad = OverrideError("hours", _l("時間は「9:00-12:00, 13:00-17:15」のように、開始と終了を24時間制で入力してください。"))
    if not parts:
        raise bad
    out: list[tuple[str, str]] = []
    for part in parts:
        ends = part.split("-")
        if len(ends) != 2 or not all(_TIME.match(e) for e in ends):
            raise bad
        a, b = (f"{int(e.split(':')[0]):02d}:{e.split(':')[1]}" for e in ends)
        if b <= a:
            raise OverrideError("hours", _l("終了の時刻は開始の時刻より後にしてください。"))
        out.append((a, b))
    out.sort()
    for (_a, b), (c, _d) in pairwise(out):
        if c < b:
            raise OverrideError("hours", _l("時間帯が重なっています。重ならないように入力してください。"))
    return out


def clean_reason(raw: str | None) -> str:
    return " ".join(_clean(raw).split())[:MAX_REASON]


# --- writing ----------------------------------------------------------------------------------

def create(catalog: Catalog, kind: str, target: str, day: dt.date, *, windows: int | None = None,
           intervals: list[tuple[str, str]] | None = None, reason: str = "", actor: str,
           now: dt.datetime | None = None) -> tuple[m.CalendarOverride, dict, dict]:
    """A new override (the earlier one of the same kind, target and day is deactivated).
    Returns it with the day's state before and after, for the audit record."""
    now = now or dt.datetime.now(dt.UTC)
    if kind not in KINDS:
        raise OverrideError("kind", _l("変更の種類を選んでください。"))
    if kind == WINDOWS:
        counter = catalog.counters.get(target)
        if counter is None:
            raise OverrideError("counter", _l("窓口を選んでください。"))
        site_id = counter.site
        if windows is None:
            raise OverrideError("windows", _l("窓口の数を入力してください。"))
    else:
        if target not in catalog.sites:
            raise OverrideError("site", _l("庁舎を選んでください。"))
        site_id = target
        if kind == HOURS and not intervals:
            raise OverrideError("hours", _l("受付時間を入力してください。"))
    before = state_dict(state(for_day(catalog, site_id, day), site_id, day))
    for old in db.session.scalars(select(m.CalendarOverride).where(
            m.CalendarOverride.kind == kind, m.CalendarOverride.target == target,
            m.CalendarOverride.day == day, m.CalendarOverride.active.is_(True))):
        old.active = False
    override = m.CalendarOverride(
        kind=kind, target=target, day=day, windows=windows if kind == WINDOWS else None,
        intervals=json.dumps([list(i) for i in intervals]) if kind == HOURS and intervals else None,
        reason=reason[:MAX_REASON], created_by=actor[:80], created_at=now, active=True)
    db.session.add(override)
    db.session.flush()
    after = state_dict(state(for_day(catalog, site_id, day), site_id, day))
    return override, before, after


def site_of(catalog: Catalog, o: m.CalendarOverride) -> str | None:
    if o.kind == WINDOWS:
        counter = catalog.counters.get(o.target)
        return counter.site if counter else None
    return o.target if o.target in catalog.sites else None


def deactivate(catalog: Catalog, o: m.CalendarOverride) -> tuple[dict, dict]:
    """Back to the knowledge file for that day; the day's (before, after) states."""
    site_id = site_of(catalog, o)
    before = state_dict(state(for_day(catalog, site_id, o.day), site_id, o.day)) if site_id else {}
    o.active = False
    db.session.flush()
    after = state_dict(state(for_day(catalog, site_id, o.day), site_id, o.day)) if site_id else {}
    return before, after
