"""Booking a counter visit: hold a place, confirm it with the person's details, cancel or move
it, and read what is left — for every channel (resident pages, JSON API, staff).

Never overbook: places are claimed as rows of ``seat_claim`` whose (counter, unit_start, seat)
is unique, each insert in its own savepoint; a seat someone else took (even a moment ago, on
another worker) fails that insert and the next seat is tried; when none is left the whole
booking is refused (``SlotFull``) and the caller rolls back. Units are claimed in time order, so
two bookings never wait for each other in a cycle.

Functions change ``db.session`` and leave the commit to the caller.
"""
from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.db import aware, db
from core.encrypted import blind_index
from core.errors import AppError
from core.japan_time import JST
from reservations import models as m
from reservations import overrides
from reservations.loader import Catalog
from reservations.slots import Slot, bookable_reason, day_slots, find_slot, to_jst, visit_minutes, visit_services

NUMBER_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B: read aloud at a counter
CHANNEL_SEATS = ("web", "phone")  # channels with a quota; "staff" may use any seat


class BookingError(AppError):
    """A refused booking: ``status`` 409 (taken, duplicate) or 422 (against the booking rules)."""

    status = 409


class SlotFull(BookingError):
    """Told apart by callers: the page offers other times."""

    def __init__(self) -> None:
        super().__init__("slot_full", _l("この時間はいっぱいになりました。別の時間を選んでください。"))


RULE_MESSAGES = {
    "too_soon": _l("この時間は予約の受付を締め切りました。もっと後の時間を選んでください。"),
    "too_far": _l("この日はまだ予約できません。近い日を選んでください。"),
    "past": _l("過ぎた時間は予約できません。"),
    "closed": _l("この日は休みです。別の日を選んでください。"),
    "no_slot": _l("この時間は予約できません。表示された時間から選んでください。"),
}


HOLD_EXPIRED = _l("時間が過ぎたため、仮押さえが取り消されました。もう一度時間を選んでください。")


def hold_not_found() -> BookingError:
    return BookingError("not_found", _l("仮押さえが見つかりません。"), status=404)


def rule_error(code: str) -> BookingError:
    return BookingError(code, RULE_MESSAGES[code], status=422)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


# --- seats ------------------------------------------------------------------------------------

def seat_range(slot: Slot, channel: str) -> list[int]:
    """The seats a channel may take in one base slot: web first, then phone; staff anything
    (from the top, leaving the channels' seats for them as long as possible)."""
    cap = slot.capacity
    web = min(slot.quotas.get("web", 0), cap)
    phone = min(slot.quotas.get("phone", 0), cap - web)
    if channel == "web":
        return list(range(0, web))
    if channel == "phone":
        return list(range(web, web + phone))
    return list(range(cap - 1, -1, -1))


def release_expired(counter_id: str, units: Iterable[dt.datetime], now: dt.datetime) -> None:
    """Holds past their time give their seats back (lazily, when someone wants them)."""
    expired = select(m.Reservation.id).where(
        m.Reservation.counter_id == counter_id, m.Reservation.status == m.HELD,
        m.Reservation.hold_expires_at < utc(now))
    ids = list(db.session.scalars(expired))
    if not ids:
        return
    # Only the rows this statement really moved from held to expired give their seats back: a hold
    # being confirmed at this moment keeps its row lock and its status, and so its seats.
    released = list(db.session.scalars(
        update(m.Reservation).where(m.Reservation.id.in_(ids), m.Reservation.status == m.HELD,
                                    m.Reservation.hold_expires_at < utc(now))
        .values(status=m.EXPIRED).returning(m.Reservation.id).execution_options(synchronize_session=False)))
    if released:
        db.session.execute(delete(m.SeatClaim).where(m.SeatClaim.reservation_id.in_(released)))


def _claim(reservation: m.Reservation, slot: Slot, channel: str) -> None:
    for unit in slot.units:  # time order: no cycles between two bookings
        for seat in seat_range(slot, channel):
            try:
                with db.session.begin_nested():
                    db.session.add(m.SeatClaim(reservation_id=reservation.id, counter_id=slot.counter_id,
                                               unit_start=utc(unit), seat=seat))
                break
            except IntegrityError:
                continue
        else:
            raise SlotFull()


def _release(reservation: m.Reservation) -> None:
    db.session.execute(delete(m.SeatClaim).where(m.SeatClaim.reservation_id == reservation.id))


# --- availability -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Availability:
    slot: Slot
    remaining: int  # places this channel can still book
    bookable: bool  # lead time and horizon allow it now


def taken_seats(counter_id: str, units: list[dt.datetime], now: dt.datetime) -> dict[dt.datetime, list[int]]:
    """Seats in use per base slot (expired holds count as free)."""
    if not units:
        return {}
    live = or_(m.Reservation.status.in_((m.CONFIRMED, m.CHECKED_IN)),
               and_(m.Reservation.status == m.HELD, m.Reservation.hold_expires_at >= utc(now)))
    rows = db.session.execute(
        select(m.SeatClaim.unit_start, m.SeatClaim.seat).join(m.Reservation, m.Reservation.id == m.SeatClaim.reservation_id)
        .where(m.SeatClaim.counter_id == counter_id, m.SeatClaim.unit_start >= utc(min(units)),
               m.SeatClaim.unit_start <= utc(max(units)), live))
    out: dict[dt.datetime, list[int]] = {}
    for unit_start, seat in rows:
        out.setdefault(utc(aware(unit_start)), []).append(seat)
    return out


def visit_length(catalog: Catalog, service_id: str, site_id: str, procedures: Iterable[str] = ()) -> int:
    """Minutes of one visit: the service, plus the other services the guide's procedures need at
    the same counter of this site (one booking, the durations added)."""
    return visit_minutes(catalog, visit_services(catalog, service_id, site_id, tuple(procedures)))


def availability(catalog: Catalog, service_id: str, site_id: str, day: dt.date, *, channel: str = "web",
                 now: dt.datetime | None = None, slots: list[Slot] | None = None,
                 procedures: Iterable[str] = ()) -> list[Availability]:
    now = utc(now or now_utc())  # stored and compared in UTC (SQLite keeps no offset)
    if slots is None:
        slots = day_slots(overrides.for_day(catalog, site_id, day), service_id, site_id, day,  # staff edits of the day
                          visit_length(catalog, service_id, site_id, procedures))
    if not slots:
        return []
    all_units = sorted({utc(u) for s in slots for u in s.units})
    taken = taken_seats(slots[0].counter_id, all_units, now)
    out = []
    for slot in slots:
        allowed = set(seat_range(slot, channel))
        remaining = min(len(allowed - set(taken.get(utc(u), []))) for u in slot.units)
        out.append(Availability(slot, remaining, bookable_reason(catalog, slot, now) is None))
    return out


# --- booking ----------------------------------------------------------------------------------

def new_number() -> str:
    for _ in range(20):
        number = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
        if db.session.scalar(select(m.Reservation.id).where(m.Reservation.number == number)) is None:
            return number
    raise RuntimeError("no free reservation number")


def hold(catalog: Catalog, service_id: str, site_id: str, start: dt.datetime, *, channel: str = "web",
         procedures: Iterable[str] = (), locale: str = "ja", now: dt.datetime | None = None,
         hold_key: str | None = None) -> m.Reservation:
    """Keep a place for ``rules.hold_minutes`` while the person's details are entered."""
    now = utc(now or now_utc())  # stored and compared in UTC (SQLite keeps no offset)
    if hold_key:
        existing = db.session.scalar(select(m.Reservation).where(m.Reservation.hold_key == hold_key))
        if existing is not None and existing.status in m.ACTIVE:
            return existing
    catalog = overrides.for_day(catalog, site_id, to_jst(start).date())  # staff edits of the day
    procedures = tuple(procedures)
    slot = find_slot(catalog, service_id, site_id, start, visit_length(catalog, service_id, site_id, procedures))
    if slot is None:
        raise rule_error("no_slot")
    reason = bookable_reason(catalog, slot, now)
    if reason:
        raise rule_error(reason)
    release_expired(slot.counter_id, slot.units, now)
    reservation = m.Reservation(
        number=new_number(), service_id=service_id, site_id=site_id, counter_id=slot.counter_id,
        procedures=",".join(procedures), start=utc(slot.start), end=utc(slot.end), day=slot.start.astimezone(JST).date(),
        channel=channel, status=m.HELD, locale=locale, created_at=now,
        hold_expires_at=now + dt.timedelta(minutes=catalog.rules.hold_minutes), hold_key=hold_key)
    db.session.add(reservation)
    db.session.flush()
    _claim(reservation, slot, channel)
    return reservation


def extend_hold(catalog: Catalog, reservation: m.Reservation, *, now: dt.datetime | None = None) -> m.Reservation:
    """Keep a hold ``rules.hold_minutes`` longer from now (WCAG 2.2.1), at most
    ``rules.hold_extensions`` times. Only a hold still running: one whose time is past may already
    have given its seats to someone else (``hold_expired``). Its own seats are kept, none claimed:
    the count of places never changes."""
    now = utc(now or now_utc())  # stored and compared in UTC (SQLite keeps no offset)
    rules = catalog.rules
    if reservation.status != m.HELD or reservation.hold_expires_at is None or aware(reservation.hold_expires_at) < now:
        raise BookingError("hold_expired", HOLD_EXPIRED, status=410)
    if reservation.hold_extensions >= rules.hold_extensions:
        raise BookingError("hold_extension_limit",
                           _l("仮押さえは、これ以上延ばせません。%(n)s回まで延ばせます。", n=rules.hold_extensions))
    new_end = now + dt.timedelta(minutes=rules.hold_minutes)
    # Conditional, like release_expired and confirm: a hold that ran out, was confirmed or was
    # extended by another request in the meantime is not moved (0 rows).
    moved = db.session.execute(update(m.Reservation).where(
        m.Reservation.id == reservation.id, m.Reservation.status == m.HELD,
        m.Reservation.hold_expires_at >= now, m.Reservation.hold_extensions == reservation.hold_extensions)
        .values(hold_expires_at=new_end, hold_extensions=reservation.hold_extensions + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(reservation)
    if moved.rowcount != 1 and not (reservation.status == m.HELD and aware(reservation.hold_expires_at) >= now):
        raise BookingError("hold_expired", HOLD_EXPIRED, status=410)
    return reservation  # extended (by this request, or by a double click's other one)


def normalise_phone(raw: str | None) -> str | None:
    digits = "".join(c for c in unicodedata.normalize("NFKC", raw or "") if c.isdigit())
    return digits or None


def normalise_email(raw: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", raw or "").strip()
    return text or None


def _person_filter(email: str | None, phone: str | None):
    keys = []
    if email:
        keys.append(m.Reservation.email_index == blind_index(email, "email"))
    if phone:
        keys.append(m.Reservation.phone_index == blind_index(phone, "phone"))
    return or_(*keys) if keys else None


def check_person_limits(catalog: Catalog, reservation: m.Reservation, email: str | None, phone: str | None) -> None:
    """One active booking per person per service per day, and a daily cap per person. The other
    stops of the same visit (まとめて予約) are not counted, and another visit counts as one."""
    who = _person_filter(email, phone)
    if who is None:
        return
    same_day = [r for r in db.session.scalars(select(m.Reservation).where(
        who, m.Reservation.day == reservation.day, m.Reservation.id != reservation.id,
        m.Reservation.status.in_((m.CONFIRMED, m.CHECKED_IN))))
        if reservation.visit_id is None or r.visit_id != reservation.visit_id]
    per_service = Tally(r.service_id for r in same_day)
    rules = catalog.rules
    if per_service[reservation.service_id] >= rules.per_person_per_service_per_day:
        raise BookingError("duplicate_booking", _l("この日には、同じ手続きの予約がすでにあります。予約の変更は、予約確認のページからできます。"))
    if len({("visit", r.visit_id) if r.visit_id is not None else ("one", r.id) for r in same_day}) >= rules.per_person_per_day:
        raise BookingError("daily_limit", _l("1日に予約できるのは%(most)s件までです。", most=rules.per_person_per_day))


def confirm(catalog: Catalog, reservation: m.Reservation, *, name: str, name_kana: str,
            email: str | None, phone: str | None, now: dt.datetime | None = None) -> m.Reservation:
    """Turn a hold into a booking. A hold whose time ran out is confirmed only if its seats
    are still there (nobody needed them); otherwise ``hold_expired``."""
    now = utc(now or now_utc())  # stored and compared in UTC (SQLite keeps no offset)
    if reservation.status == m.CONFIRMED:
        return reservation
    if reservation.status != m.HELD:
        raise BookingError("hold_expired", HOLD_EXPIRED, status=409)
    email, phone = normalise_email(email), normalise_phone(phone)
    check_person_limits(catalog, reservation, email, phone)
    # Claim the row first (held → confirmed, conditionally): a concurrent release_expired either
    # moved it already (0 rows: expired) or now waits for this transaction and leaves it alone.
    moved = db.session.execute(update(m.Reservation).where(m.Reservation.id == reservation.id,
                                                           m.Reservation.status == m.HELD)
                               .values(status=m.CONFIRMED).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise BookingError("hold_expired", HOLD_EXPIRED, status=409)
    still = db.session.scalar(select(func.count()).select_from(m.SeatClaim).where(
        m.SeatClaim.reservation_id == reservation.id))
    day_catalog = overrides.for_day(catalog, reservation.site_id, reservation.day)
    minutes = int((aware(reservation.end) - aware(reservation.start)).total_seconds() // 60)
    slot = find_slot(day_catalog, reservation.service_id, reservation.site_id, aware(reservation.start), minutes)
    if slot is None or still != len(slot.units):
        raise BookingError("hold_expired", HOLD_EXPIRED, status=409)
    reservation.name, reservation.name_kana = name, name_kana
    reservation.email, reservation.phone = email, phone
    reservation.email_index = blind_index(email, "email") if email else None
    reservation.phone_index = blind_index(phone, "phone") if phone else None
    reservation.status, reservation.confirmed_at, reservation.hold_expires_at = m.CONFIRMED, now, None
    return reservation


def book(catalog: Catalog, service_id: str, site_id: str, start: dt.datetime, *, name: str, name_kana: str,
         email: str | None, phone: str | None, channel: str = "web", procedures: Iterable[str] = (),
         locale: str = "ja", now: dt.datetime | None = None) -> m.Reservation:
    """Hold and confirm in one go (the JSON API, staff taking a phone booking)."""
    reservation = hold(catalog, service_id, site_id, start, channel=channel, procedures=procedures,
                       locale=locale, now=now)
    return confirm(catalog, reservation, name=name, name_kana=name_kana, email=email, phone=phone, now=now)


def cancel(catalog: Catalog, reservation: m.Reservation, *, by_staff: bool = False,
           now: dt.datetime | None = None) -> None:
    now = utc(now or now_utc())  # stored and compared in UTC (SQLite keeps no offset)
    if reservation.status not in (m.HELD, m.CONFIRMED):
        raise BookingError("not_cancellable", _l("この予約は取り消せません。"))
    if not by_staff and aware(reservation.start) - now < dt.timedelta(minutes=catalog.rules.cancel_until_minutes):
        raise BookingError("too_late_to_change", _l("予約の時間が近いため、ここでは取り消せません。窓口に電話してください。"), status=422)
    _release(reservation)
    reservation.status, reservation.cancelled_at = m.CANCELLED, now


def move(catalog: Catalog, reservation: m.Reservation, start: dt.datetime, *, site_id: str | None = None,
         now: dt.datetime | None = None) -> m.Reservation:
    """A new booking at ``start`` replacing this one; the old place is given back only when the
    new one is held (one transaction: nothing is lost if the new time is full)."""
    now = utc(now or now_utc())  # stored and compared in UTC (SQLite keeps no offset)
    if reservation.status != m.CONFIRMED:
        raise BookingError("not_movable", _l("この予約は変更できません。"))
    if aware(reservation.start) - now < dt.timedelta(minutes=catalog.rules.cancel_until_minutes):
        raise BookingError("too_late_to_change", _l("予約の時間が近いため、ここでは変更できません。窓口に電話してください。"), status=422)
    new = hold(catalog, reservation.service_id, site_id or reservation.site_id, start, channel=reservation.channel,
               procedures=[p for p in reservation.procedures.split(",") if p], locale=reservation.locale, now=now)
    new.moved_from = reservation.number
    _release(reservation)
    reservation.status, reservation.cancelled_at = m.CANCELLED, now
    db.session.flush()
    return confirm(catalog, new, name=reservation.name or "", name_kana=reservation.name_kana or "",
                   email=reservation.email, phone=reservation.phone, now=now)


def by_number(number: str) -> m.Reservation | None:
    cleaned = unicodedata.normalize("NFKC", number or "").strip().upper().replace("-", "")
    return db.session.scalar(select(m.Reservation).where(m.Reservation.number == cleaned))
