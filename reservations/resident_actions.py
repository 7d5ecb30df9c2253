"""What a resident does to a booking, on the pages (reservations/views.py) or through the API
(reservations/api.py): hold a time, give their details, confirm, book at once, cancel, move. Each
function makes the change through the domain modules (booking, notify), commits — or rolls back
and raises the domain's error (BookingError, an AppError; IntegrityError for a race) — as one unit,
like :mod:`reservations.staff_actions`, so no view or endpoint can forget either.

Plain Python with SQLAlchemy (no Flask): the callers parse the request and pass what it said;
the person's details are checked beforehand by reservations/person.check_person, the one
validator the resident's and the staff's bookings share.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.db import commit_keeping_values, db
from knowledge.loader import KnowledgeBase
from reservations import booking, links, notify
from reservations import models as m
from reservations.booking import BookingError
from reservations.loader import Catalog
from reservations.person import Person


def _drop_hold(r: m.Reservation) -> None:
    """The browser picked another time: the old hold gives its place back at once."""
    db.session.execute(delete(m.SeatClaim).where(m.SeatClaim.reservation_id == r.id))
    r.status = m.EXPIRED


def hold(catalog: Catalog, service_id: str, site_id: str, start: dt.datetime, *, procedures: Sequence[str],
         locale: str, hold_key: str, earlier: Iterable[str] = (), previous: m.Reservation | None = None
         ) -> m.Reservation | None:
    """A hold on a time (one per browser: its ``earlier`` holds under another key give their place
    back). The details typed for an earlier time (``previous``) are not lost. BookingError keeps
    nothing; the same hold key twice at once (a double click): the first one wins, and is returned
    (None if it is gone)."""
    try:
        for number in earlier:
            old = booking.by_number(number)
            if old is not None and old.status == m.HELD and old.hold_key != hold_key:
                _drop_hold(old)
        r = booking.hold(catalog, service_id, site_id, start, channel="web", procedures=list(procedures),
                         locale=locale, hold_key=hold_key)
        if previous is not None and not r.name:
            r.name, r.name_kana, r.email, r.phone = previous.name, previous.name_kana, previous.email, previous.phone
        db.session.commit()
    except BookingError:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(m.Reservation).where(m.Reservation.hold_key == hold_key))
    return r


def extend_hold(catalog: Catalog, number: str, *, owned: Iterable[str]) -> m.Reservation:
    """仮押さえを延ばす (WCAG 2.2.1): only a hold this browser started (``owned``: its numbers;
    anyone else's is ``not_found``, no hint that it exists), still running, not past the rules'
    count of extensions; it keeps its own seats, so no place is ever counted twice. Holds are not
    audited (no personal data is decided here), and neither is their extension."""
    r = booking.by_number(number) if number in set(owned) else None
    if r is None or r.channel != "web":
        raise booking.hold_not_found()
    try:
        booking.extend_hold(catalog, r)
    except BookingError:
        db.session.rollback()
        raise
    db.session.commit()
    return r


def keep_typed(r: m.Reservation, typed: Mapping[str, str]) -> None:
    """What was typed on a hold that ran out, kept on it (encrypted, like any details) so the next
    hold of this browser starts with it (``hold``'s ``previous``); checked again there before use."""
    if r.status == m.HELD:  # its time is past (refused an extension): give its place back now
        booking.release_expired(r.counter_id, (), booking.now_utc())
        db.session.refresh(r)
    if r.status != m.EXPIRED or not any(typed.values()):
        db.session.commit()
        return
    r.name, r.name_kana = typed.get("name") or None, typed.get("name_kana") or None
    r.email, r.phone = typed.get("email") or None, typed.get("phone") or None
    db.session.commit()


def give_details(r: m.Reservation, person: Person) -> None:
    """The person's details on a hold (checked by check_person)."""
    r.name, r.name_kana, r.email, r.phone = person.name, person.name_kana, person.email, person.phone
    db.session.commit()


def confirm(catalog: Catalog, r: m.Reservation, kb: KnowledgeBase | None) -> None:
    """確定: the hold becomes a booking and the confirmation is mailed."""
    try:
        booking.confirm(catalog, r, name=r.name, name_kana=r.name_kana or "", email=r.email, phone=r.phone)
        notify.send_confirmation(catalog, r, links.manage_url(r.number), kb)
    except BookingError:
        db.session.rollback()
        raise
    commit_keeping_values()


def book(catalog: Catalog, service_id: str, site_id: str, start: dt.datetime, person: Person, *,
         procedures: Sequence[str], locale: str, kb: KnowledgeBase | None) -> m.Reservation:
    """A booking at once (the API), its confirmation mailed."""
    try:
        r = booking.book(catalog, service_id, site_id, start, name=person.name, name_kana=person.name_kana,
                         email=person.email, phone=person.phone, channel="web", procedures=list(procedures),
                         locale=locale)
        notify.send_confirmation(catalog, r, links.manage_url(r.number), kb)
    except (BookingError, IntegrityError):
        db.session.rollback()
        raise
    commit_keeping_values()
    return r


def cancel(catalog: Catalog, r: m.Reservation, kb: KnowledgeBase | None) -> None:
    """キャンセル by the resident; the notice is mailed."""
    try:
        booking.cancel(catalog, r)
        notify.send_cancelled(catalog, r, kb)
    except BookingError:
        db.session.rollback()
        raise
    commit_keeping_values()


def move(catalog: Catalog, r: m.Reservation, start: dt.datetime, kb: KnowledgeBase | None, *,
         site_id: str | None = None) -> m.Reservation:
    """変更: a new booking for ``start`` (at ``site_id``), the old one cancelled; the notice is
    mailed. On a refusal the old booking stays as it was."""
    try:
        new = booking.move(catalog, r, start, site_id=site_id)
        notify.send_moved(catalog, r, new, links.manage_url(new.number), kb)
    except (BookingError, IntegrityError):
        db.session.rollback()
        raise
    commit_keeping_values()
    return new
