"""What a resident does to a whole visit (まとめて予約) on its pages (reservations/visit_views.py):
hold a time, give their details, extend the hold, confirm, cancel, move. Each function makes the
change through reservations/visit.py and visit_notify.py and commits, or rolls back and raises the
domain's error (BookingError; IntegrityError for a race), as one unit, like
:mod:`reservations.resident_actions` for single bookings, so no view can forget either.

Plain Python with SQLAlchemy (no Flask): the callers parse the request and pass what it said.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.db import commit_keeping_values, db
from knowledge.loader import KnowledgeBase
from reservations import booking, visit, visit_notify
from reservations import models as m
from reservations.booking import BookingError
from reservations.loader import Catalog
from reservations.person import Person


def _drop_earlier_holds(numbers: Iterable[str]) -> None:
    """The browser picked another time: its earlier visits still on hold give their places back."""
    for number in numbers:
        old = visit.by_number(number)
        if old is not None and old.status == m.HELD:
            for r in visit.stops(old):
                if r.status == m.HELD:
                    booking._release(r)
                    r.status = m.EXPIRED
            old.status = m.EXPIRED


def hold(catalog: Catalog, itin: visit.Itinerary, start: dt.datetime, *, locale: str, result_path: str | None,
         hold_key: str | None, earlier: Iterable[str] = ()) -> m.Visit:
    """Every stop held at once, or nothing (BookingError / IntegrityError, rolled back)."""
    try:
        _drop_earlier_holds(earlier)
        v = visit.hold(catalog, itin, start, locale=locale, result_path=result_path, hold_key=hold_key)
        db.session.commit()
        return v
    except Exception:
        db.session.rollback()
        raise


def settle(v: m.Visit) -> str:
    """The visit's status after its holds were looked at (a held visit whose stops ran out is
    expired), saved."""
    status = visit.refresh_status(v)
    db.session.commit()
    return status


def give_details(v: m.Visit, person: Person) -> None:
    visit.give_details(v, name=person.name, name_kana=person.name_kana, email=person.email, phone=person.phone)
    db.session.commit()


def extend_hold(catalog: Catalog, v: m.Visit) -> None:
    try:
        visit.extend_hold(catalog, v)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def confirm(catalog: Catalog, v: m.Visit, kb: KnowledgeBase) -> None:
    """Confirmed with the details given, and the confirmation mail queued in the same transaction.
    A hold that ran out meanwhile: the visit is given up (unless a double submit confirmed it) and
    BookingError("hold_expired") raised."""
    first = visit.stops(v)[0]
    try:
        visit.confirm(catalog, v, name=first.name, name_kana=first.name_kana or "", email=first.email,
                      phone=first.phone)
        visit_notify.send_confirmation(catalog, v, visit.stops(v), kb)
        commit_keeping_values()
    except BookingError as exc:
        db.session.rollback()
        if exc.code == "hold_expired":
            again = visit.by_number(v.number)
            if again is not None:
                visit.give_up_hold(again)  # confirmed meanwhile by a double submit: kept, never expired
                db.session.commit()
        raise
    except Exception:
        db.session.rollback()
        raise


def cancel(catalog: Catalog, v: m.Visit, kb: KnowledgeBase) -> None:
    try:
        visit.cancel(catalog, v)
        visit_notify.send_cancelled(catalog, v, visit.stops(v), kb)
        commit_keeping_values()
    except Exception:
        db.session.rollback()
        raise


def move(catalog: Catalog, v: m.Visit, start: dt.datetime, kb: KnowledgeBase) -> None:
    try:
        before = visit_notify.describe_visit(catalog, v, visit.shown_stops(v), v.locale)
        visit.move(catalog, v, start)
        visit_notify.send_moved(catalog, v, visit.stops(v), before, kb)
        commit_keeping_values()
    except Exception:
        db.session.rollback()
        raise
