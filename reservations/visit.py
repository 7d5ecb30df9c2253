"""One booking for the visit (まとめて予約): every city-hall procedure of a guide result as one
visit across counters, in the guide's order.

- ``itinerary``: the stops — the procedures some bookable service covers, grouped so that the
  procedures done at one counter are one stop — with each stop's counter and minutes, at one site
  (the first site where every stop is possible, unless another is asked for: ``sites_for``).
- ``offered``: the start times of a day. The stops run back to back (stop n+1 starts when stop n
  ends, rounded up to its counter's slot grid), every stop's slot has a web place left and may be
  booked now; the starts offered never overlap (the next start is after the previous visit's end),
  split into morning and afternoon.
- ``hold`` / ``confirm`` / ``cancel`` / ``move``: a ``Visit`` row and one ``Reservation`` per stop,
  each claiming its own seats through :mod:`reservations.booking` (the unique seat claim is what
  keeps every counter within its capacity). All in the caller's transaction: one stop full and the
  whole visit fails (``SlotFull``), the caller rolls back and nothing is kept.

Plain Python with SQLAlchemy (no Flask); functions change ``db.session`` and leave the commit to
the caller (``reservations.visit_actions`` style callers: the pages commit or roll back).
"""
from __future__ import annotations

import datetime as dt
import math
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.db import aware, db
from core.japan_time import JST
from reservations import booking, overrides
from reservations import models as m
from reservations.booking import BookingError, seat_range, utc
from reservations.loader import Catalog
from reservations.slots import Slot, bookable_reason, day_slots, to_jst, visit_minutes, visit_services

NOON = dt.time(12, 0)
MAX_PROCEDURES = 30


@dataclass(frozen=True)
class Stop:
    order: int  # 1, 2, … in the guide's order
    counter_id: str
    service_id: str  # the stop's first service (the one its Reservation row names)
    service_ids: tuple[str, ...]  # every service done at this counter
    procedures: tuple[str, ...]  # the guide's procedures done here
    minutes: int


@dataclass(frozen=True)
class Itinerary:
    site_id: str
    stops: tuple[Stop, ...]
    procedures: tuple[str, ...]  # the reservable procedures, in the guide's order

    @property
    def total_minutes(self) -> int:
        return sum(s.minutes for s in self.stops)


@dataclass(frozen=True)
class Offer:
    start: dt.datetime  # JST
    end: dt.datetime  # the last stop's end
    slots: tuple[Slot, ...]  # one per stop
    remaining: int  # the fewest web places left among the stops

    @property
    def morning(self) -> bool:
        return self.start.timetz().replace(tzinfo=None) < NOON


def clean_procedures(procedure_ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(p for p in procedure_ids if p))[:MAX_PROCEDURES]


def reservable(catalog: Catalog, procedure_ids: Iterable[str]) -> list[str]:
    """The procedures some bookable service covers, in the given order."""
    return [p for p in clean_procedures(procedure_ids) if any(p in s.procedures for s in catalog.services.values())]


@dataclass(frozen=True)
class Unbookable:
    """A procedure of the visit no booking covers: where to go for it, to wait there in turn."""
    procedure_id: str
    name: str
    department: str
    counter: str
    floor: str | None
    window: str | None

    @property
    def place(self) -> str:
        """The counter as a resident looks for it (「学務課 窓口」, not 「学務課 学務課 窓口」)."""
        if not self.counter or self.counter == self.department:
            return self.department
        return self.counter if self.counter.startswith(self.department) else f"{self.department} {self.counter}"


def unbookable(kb, procedure_ids: Iterable[str], itin: Itinerary | None, locale: str) -> list[Unbookable]:
    """The procedures (the guide's result's city-hall visits) the itinerary does not book, in the
    given order, each with its department and counter from the knowledge base (the itinerary
    page lists them under 「予約できない手続き」 instead of dropping them)."""
    booked = set(itin.procedures) if itin is not None else set()
    out = []
    for pid in clean_procedures(procedure_ids):
        proc = kb.procedures.get(pid)
        if proc is None or pid in booked:
            continue
        department, counter = kb.counters.get(proc.counter, (kb.departments.get(proc.department), None))
        out.append(Unbookable(pid, proc.name.get(locale), department.name.get(locale) if department else "",
                              counter.name.get(locale) if counter else "", counter.floor if counter else None,
                              counter.window if counter else None))
    return out


def sites_for(catalog: Catalog, procedure_ids: Iterable[str]) -> list[str]:
    """The sites where every service these procedures need can be done, in file order."""
    services = catalog.services_for_procedures(reservable(catalog, procedure_ids))
    if not services:
        return []
    return [site_id for site_id in catalog.sites
            if all(catalog.counter_for(s.id, site_id) is not None for s in services)]


def itinerary(catalog: Catalog, procedure_ids: Iterable[str], site_id: str | None = None) -> Itinerary | None:
    """The stops of the visit at ``site_id`` (default: the first possible site), or None when
    nothing is reservable or the site cannot do every stop."""
    wanted = reservable(catalog, procedure_ids)
    services = catalog.services_for_procedures(wanted)
    possible = sites_for(catalog, wanted)
    if not services or not possible:
        return None
    site_id = site_id or possible[0]
    if site_id not in possible:
        return None
    by_counter: dict[str, list[str]] = {}  # counter → procedures, in the guide's order of first appearance
    for p in wanted:
        service = next(s for s in services if p in s.procedures)
        counter = catalog.counter_for(service.id, site_id)
        by_counter.setdefault(counter.id, []).append(p)
    stops = []
    for order, (counter_id, procs) in enumerate(by_counter.items(), start=1):
        first = next(s.id for s in services if catalog.counter_for(s.id, site_id).id == counter_id
                     and set(procs) & set(s.procedures))
        ids = tuple(visit_services(catalog, first, site_id, tuple(procs)))
        stops.append(Stop(order, counter_id, first, ids, tuple(procs), visit_minutes(catalog, list(ids))))
    return Itinerary(site_id, tuple(stops), tuple(wanted))


# --- times --------------------------------------------------------------------------------------

def _round_up(moment: dt.datetime, slots: dict[dt.datetime, Slot], step: dt.timedelta) -> Slot | None:
    """The stop's slot starting at ``moment`` or at the next point of its counter's grid (less than
    one slot later); None if there is none there (lunch, closing time)."""
    for start in sorted(slots):
        if start >= moment:
            return slots[start] if start - moment < step else None
    return None


StopSlots = tuple[dt.timedelta, dict[dt.datetime, Slot]]  # the counter's grid step, its slots by start


def _day_slots(catalog: Catalog, itin: Itinerary, day: dt.date) -> list[StopSlots]:
    day_catalog = overrides.for_day(catalog, itin.site_id, day)  # staff edits of the day
    return [(dt.timedelta(minutes=day_catalog.counters[stop.counter_id].slot_minutes),
             {s.start: s for s in day_slots(day_catalog, stop.service_id, itin.site_id, day, stop.minutes)})
            for stop in itin.stops]


def chain(catalog: Catalog, itin: Itinerary, start: dt.datetime,
          per_stop: list[StopSlots] | None = None) -> tuple[Slot, ...] | None:
    """Every stop's slot for a visit starting at ``start``, back to back; None if it does not fit."""
    start = to_jst(start)
    per_stop = per_stop if per_stop is not None else _day_slots(catalog, itin, start.date())
    if not per_stop or start not in per_stop[0][1]:
        return None
    out = [per_stop[0][1][start]]
    for step, slots in per_stop[1:]:
        nxt = _round_up(out[-1].end, slots, step)
        if nxt is None:
            return None
        out.append(nxt)
    return tuple(out)


def offered(catalog: Catalog, itin: Itinerary, day: dt.date, *, now: dt.datetime | None = None,
            channel: str = "web") -> list[Offer]:
    """Non-overlapping starts of the whole visit on ``day`` with a place at every stop."""
    now = utc(now or booking.now_utc())
    per_stop = _day_slots(catalog, itin, day)
    if not per_stop or not per_stop[0][1]:
        return []
    day_catalog = overrides.for_day(catalog, itin.site_id, day)
    taken: dict[str, dict[dt.datetime, list[int]]] = {}
    for stop, (_, slots) in zip(itin.stops, per_stop, strict=True):
        units = sorted({utc(u) for s in slots.values() for u in s.units})
        taken[stop.counter_id] = booking.taken_seats(stop.counter_id, units, now)

    def left(slot: Slot) -> int:
        allowed = set(seat_range(slot, channel))
        return min(len(allowed - set(taken[slot.counter_id].get(utc(u), []))) for u in slot.units)

    out: list[Offer] = []
    free_from: dt.datetime | None = None
    for start in sorted(per_stop[0][1]):
        if free_from is not None and start < free_from:
            continue
        slots = chain(catalog, itin, start, per_stop)
        if slots is None or bookable_reason(day_catalog, slots[0], now) is not None:
            continue
        remaining = min(left(s) for s in slots)
        if remaining <= 0:
            continue
        out.append(Offer(start, slots[-1].end, slots, remaining))
        free_from = slots[-1].end
    return out


def split_day(offers: list[Offer]) -> tuple[list[Offer], list[Offer]]:
    """(午前, 午後)."""
    return [o for o in offers if o.morning], [o for o in offers if not o.morning]


def day_load(catalog: Catalog, itin: Itinerary, day: dt.date, now: dt.datetime | None = None) -> float:
    """How full the stops' counters are on ``day`` (0 … 1): web seats taken over web seats, the
    busiest stop's counter counting."""
    now = utc(now or booking.now_utc())
    per_stop = _day_slots(catalog, itin, day)
    worst = 0.0
    for stop, (_, slots) in zip(itin.stops, per_stop, strict=True):
        grid: dict[dt.datetime, set[int]] = {}  # unit → web seats of that unit
        for s in slots.values():
            for u in s.units:
                grid[utc(u)] = set(seat_range(s, "web"))
        if not grid:
            continue
        taken = booking.taken_seats(stop.counter_id, sorted(grid), now)
        places = sum(len(v) for v in grid.values())
        used = sum(len(grid[u] & set(seats)) for u, seats in taken.items() if u in grid)
        worst = max(worst, used / places if places else 0.0)
    return worst


# --- holding, confirming, cancelling, moving ------------------------------------------------------

def new_number() -> str:
    for _ in range(20):
        number = "V" + "".join(secrets.choice(booking.NUMBER_ALPHABET) for _ in range(8))
        if db.session.scalar(select(m.Visit.id).where(m.Visit.number == number)) is None:
            return number
    raise RuntimeError("no free visit number")


def _first_key(hold_key: str) -> str:
    return f"{hold_key}:1"  # the visit's first stop carries the form's key (unique: a double submit fails)


def by_hold_key(hold_key: str | None) -> m.Visit | None:
    """The visit a time form (its one-off key) already held: a double click or a resubmitted form
    finds it instead of holding a second visit."""
    if not hold_key:
        return None
    first = db.session.scalar(select(m.Reservation).where(m.Reservation.hold_key == _first_key(hold_key)))
    v = of_stop(first) if first is not None else None
    return v if v is not None and v.status in (m.HELD, m.CONFIRMED) else None


def _hold_stops(catalog: Catalog, visit: m.Visit, itin: Itinerary, start: dt.datetime, channel: str,
                now: dt.datetime, hold_key: str | None = None) -> list[m.Reservation]:
    slots = chain(catalog, itin, start)
    if slots is None:
        raise booking.rule_error("no_slot")
    out = []
    for stop, slot in zip(itin.stops, slots, strict=True):
        key = _first_key(hold_key) if hold_key and stop.order == 1 else None
        r = booking.hold(catalog, stop.service_id, itin.site_id, slot.start, channel=channel,
                         procedures=stop.procedures, locale=visit.locale, now=now, hold_key=key)  # SlotFull: rolled back
        r.visit_id, r.stop_order = visit.id, stop.order
        out.append(r)
    visit.start, visit.end = utc(slots[0].start), utc(slots[-1].end)
    visit.day = slots[0].start.date()
    db.session.flush()
    return out


def hold(catalog: Catalog, itin: Itinerary, start: dt.datetime, *, channel: str = "web", locale: str = "ja",
         result_path: str | None = None, now: dt.datetime | None = None, hold_key: str | None = None) -> m.Visit:
    """Keep a place at every stop (``rules.hold_minutes``); any stop full → SlotFull, and the
    caller's rollback leaves nothing behind. ``hold_key``: the time form's one-off key — the same
    key again (a double submit) gives the visit already held, never a second one; two at once:
    the loser's IntegrityError, and the caller finds the winner with :func:`by_hold_key`."""
    now = utc(now or booking.now_utc())
    if (existing := by_hold_key(hold_key)) is not None:
        return existing
    start = to_jst(start)
    visit = m.Visit(number=new_number(), site_id=itin.site_id, day=start.date(), start=utc(start), end=utc(start),
                    status=m.HELD, locale=locale, procedures=",".join(itin.procedures), result_path=result_path,
                    created_at=now)
    db.session.add(visit)
    db.session.flush()
    _hold_stops(catalog, visit, itin, start, channel, now, hold_key)
    return visit


def stops(visit: m.Visit) -> list[m.Reservation]:
    """The visit's stops, in order (after a move: the new ones)."""
    return list(db.session.scalars(select(m.Reservation).where(m.Reservation.visit_id == visit.id)
                                   .order_by(m.Reservation.stop_order, m.Reservation.id)))


def open_stops(visit: m.Visit) -> list[m.Reservation]:
    """The stops still to be done (not cancelled): a stop the counter cancelled at the resident's
    request is no longer part of the visit's itinerary (mails, pages, moves)."""
    return [r for r in stops(visit) if r.status != m.CANCELLED]


def shown_stops(visit: m.Visit) -> list[m.Reservation]:
    """What the resident's pages and mails list: the open stops, or every stop of a cancelled visit."""
    return open_stops(visit) or stops(visit)


def of_stop(stop: m.Reservation) -> m.Visit | None:
    return db.session.get(m.Visit, stop.visit_id) if stop.visit_id is not None else None


def by_number(number: str) -> m.Visit | None:
    cleaned = unicodedata.normalize("NFKC", number or "").strip().upper().replace("-", "")
    if not cleaned or len(cleaned) > 12:
        return None
    return db.session.scalar(select(m.Visit).where(m.Visit.number == cleaned))


def give_up_hold(visit: m.Visit) -> str:
    """A refused confirmation (``hold_expired``): the visit, read again, is expired only if it is
    still a hold — a double submit whose other request confirmed it keeps it confirmed."""
    db.session.refresh(visit)
    if visit.status == m.HELD:
        visit.status = m.EXPIRED
    return visit.status


def expire_stale(now: dt.datetime | None = None) -> int:
    """Held visits with no stop held any more (each stop expired or given back) are expired."""
    held = list(db.session.scalars(select(m.Visit).where(m.Visit.status == m.HELD)))
    gone = [v for v in held if all(r.status != m.HELD for r in stops(v))]
    for v in gone:
        v.status = m.EXPIRED
    return len(gone)


def refresh_status(visit: m.Visit) -> str:
    """A held visit whose stops ran out (a stop released by someone needing its seat) is expired."""
    if visit.status == m.HELD and any(r.status != m.HELD for r in stops(visit)):
        visit.status = m.EXPIRED
    return visit.status


def give_details(visit: m.Visit, *, name: str, name_kana: str, email: str | None, phone: str | None) -> None:
    for r in stops(visit):
        r.name, r.name_kana, r.email, r.phone = name, name_kana, email, phone


def check_visit_limits(catalog: Catalog, visit: m.Visit, email: str | None, phone: str | None) -> None:
    """One active visit per person per day."""
    who = booking._person_filter(booking.normalise_email(email), booking.normalise_phone(phone))
    if who is None:
        return
    other = db.session.scalar(select(m.Reservation.visit_id).where(
        who, m.Reservation.day == visit.day, m.Reservation.visit_id.is_not(None),
        m.Reservation.visit_id != visit.id, m.Reservation.status.in_((m.CONFIRMED, m.CHECKED_IN))).limit(1))
    if other is not None:
        error = BookingError("duplicate_booking",
                             _l("この日には、まとめて予約がすでにあります。予約の変更は、予約確認のページからできます。"))
        found = db.session.get(m.Visit, other)
        error.other_number = found.number if found is not None else None  # type: ignore[attr-defined]
        raise error


def active_on(numbers: Iterable[str], day: dt.date, *, except_id: int | None = None) -> m.Visit | None:
    """A visit of ``numbers`` (the ones this browser booked) still ahead on ``day``: a second
    one that day is refused when the day is chosen, not only at 予約する (check_visit_limits)."""
    wanted = [n for n in numbers if isinstance(n, str)][:20]
    if not wanted:
        return None
    return db.session.scalar(select(m.Visit).where(
        m.Visit.number.in_(wanted), m.Visit.day == day, m.Visit.status.in_((m.CONFIRMED, m.CHECKED_IN)),
        m.Visit.cancelled_at.is_(None), m.Visit.id != (except_id or -1)).order_by(m.Visit.start).limit(1))


def confirm(catalog: Catalog, visit: m.Visit, *, name: str, name_kana: str, email: str | None, phone: str | None,
            now: dt.datetime | None = None) -> m.Visit:
    """Every stop's hold becomes a booking (each checked as a single booking is); one refused and
    the caller rolls back the whole visit."""
    now = utc(now or booking.now_utc())
    if visit.status == m.CONFIRMED:
        return visit
    if visit.status != m.HELD:
        raise BookingError("hold_expired", booking.HOLD_EXPIRED, status=409)
    check_visit_limits(catalog, visit, email, phone)
    for r in stops(visit):
        booking.confirm(catalog, r, name=name, name_kana=name_kana, email=email, phone=phone, now=now)
    visit.status = m.CONFIRMED
    return visit


def cancel(catalog: Catalog, visit: m.Visit, *, by_staff: bool = False, now: dt.datetime | None = None) -> None:
    """The whole visit: every stop still open gives its seats back (a stop already checked in or
    done stays as it was)."""
    now = utc(now or booking.now_utc())
    if visit.status not in (m.HELD, m.CONFIRMED):
        raise BookingError("not_cancellable", _l("この予約は取り消せません。"))
    for r in stops(visit):
        if r.status in (m.HELD, m.CONFIRMED):
            booking.cancel(catalog, r, by_staff=by_staff, now=now)
    visit.status, visit.cancelled_at = m.CANCELLED, now


def cancel_stop(catalog: Catalog, stop: m.Reservation, *, now: dt.datetime | None = None) -> m.Visit:
    """The counter cancels one stop of a visit at the resident's request (「国保はもういい」): its
    seats are given back, its procedures leave the visit (a later move books the other counters
    only), the visit's times are those of the stops left; the last open stop cancelled, the whole
    visit is cancelled. Staff only (no lead-time limit, as a staff cancellation of a booking)."""
    now = utc(now or booking.now_utc())
    visit = of_stop(stop)
    if visit is None:
        raise BookingError("not_in_visit", _l("この予約は、まとめて予約の窓口ではありません。"), status=422)
    if visit.status != m.CONFIRMED or stop.status != m.CONFIRMED:
        raise BookingError("not_cancellable", _l("この予約は取り消せません。"))
    booking.cancel(catalog, stop, by_staff=True, now=now)
    db.session.flush()
    left = open_stops(visit)
    if not left:
        visit.status, visit.cancelled_at = m.CANCELLED, now
        return visit
    gone = set(p for p in stop.procedures.split(",") if p)
    kept = {p for r in left for p in r.procedures.split(",") if p}
    visit.procedures = ",".join(p for p in visit.procedures.split(",") if p and (p not in gone or p in kept))
    visit.start, visit.end = min(aware(r.start) for r in left), max(aware(r.end) for r in left)
    return visit


def move(catalog: Catalog, visit: m.Visit, start: dt.datetime, *, now: dt.datetime | None = None) -> m.Visit:
    """The whole visit at ``start`` (same number, same stops): the new places are held first, the
    old ones given back only then (one transaction: a full stop leaves the visit as it was)."""
    now = utc(now or booking.now_utc())
    if visit.status != m.CONFIRMED:
        raise BookingError("not_movable", _l("この予約は変更できません。"))
    if aware(visit.start) - now < dt.timedelta(minutes=catalog.rules.cancel_until_minutes):
        raise BookingError("too_late_to_change", _l("予約の時間が近いため、ここでは変更できません。窓口に電話してください。"),
                           status=422)
    old = stops(visit)
    live = [r for r in old if r.status != m.CANCELLED]
    itin = itinerary(catalog, [p for p in visit.procedures.split(",") if p], visit.site_id)
    if itin is None or not live:
        raise BookingError("not_movable", _l("この予約は変更できません。"))
    person = live[0]
    for r in old:  # detached first: the new stops take their place in the visit
        r.visit_id = None
    db.session.flush()
    new = _hold_stops(catalog, visit, itin, start, live[0].channel, now)
    replaced = {r.counter_id: r for r in live}  # each new stop replaces the old one at its counter
    for r in new:
        if (before := replaced.get(r.counter_id)) is not None:
            r.moved_from = before.number
    for r in live:
        booking._release(r)
        r.status, r.cancelled_at = m.CANCELLED, now
    db.session.flush()
    for r in new:
        booking.confirm(catalog, r, name=person.name or "", name_kana=person.name_kana or "", email=person.email,
                        phone=person.phone, now=now)
    return visit


def mark_stop_done(stop: m.Reservation, now: dt.datetime | None = None) -> bool:
    """The counter finished this stop's procedures; the visit is done when every stop is (and its
    household goes at the next purge). False when the stop was done already (a second click)."""
    if stop.visit_id is None or stop.status not in (m.CONFIRMED, m.CHECKED_IN):
        raise BookingError("not_in_visit", _l("この予約は、まとめて予約の窓口ではありません。"), status=422)
    if stop.done_at is not None:
        return False
    stop.done_at = utc(now or booking.now_utc())
    visit = db.session.get(m.Visit, stop.visit_id)
    db.session.flush()
    if visit is not None and all(r.done_at is not None for r in open_stops(visit)):
        visit.status = m.VISIT_DONE
    return True

def extend_hold(catalog: Catalog, visit: m.Visit, now: dt.datetime | None = None) -> None:
    """仮押さえを延ばす (WCAG 2.2.1): every stop's hold, as a single booking's (its own seats kept,
    none claimed); one stop refused (ran out, extended too often) and the caller rolls back."""
    for r in stops(visit):
        booking.extend_hold(catalog, r, now=now)


def hold_minutes_left(visit: m.Visit, now: dt.datetime | None = None) -> int:
    now = utc(now or booking.now_utc())
    ends = [aware(r.hold_expires_at) for r in stops(visit) if r.hold_expires_at]
    return max(math.floor((min(ends) - now).total_seconds() / 60), 0) if ends else 0


def day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(JST).date()
