"""What the counter's staff do to bookings, the walk-in queue and the calendar of a day (the
console): check-in, no-show, cancellation on request, a booking taken on the phone, the queue's
tickets, and the windows, hours and closures of a day. Each function makes the change through the
domain modules (frontdesk, booking, queue, overrides), commits, then writes its audit record — one
unit, like ``intake.staff_actions``, so no view can forget either. A refusal rolls back, raises the
domain's error (an AppError) and commits nothing; a refused check-in is audited too, as it was.

The walk-in queue holds no personal data and its moves are not audited (as before); only the
commit is the service's. The caller passes in who acts where the record keeps it (``actor``);
the audit record takes the member of staff from the request, as every record does.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core import audit
from core.db import db
from knowledge.loader import KnowledgeBase
from reservations import booking, frontdesk, links, notify, overrides, visit, visit_notify
from reservations import models as m
from reservations import queue as walkin
from reservations.loader import Catalog


def check_in(raw: str | None, *, today: dt.date, now: dt.datetime, counters: Iterable[str] | None = None,
             at: str | None = None) -> m.Reservation:
    """The booking with this number (typed or scanned) arrives; a refusal is audited as failed
    and raised (:class:`reservations.frontdesk.FrontDeskError`). A visit's 受付番号 checks in its
    stop at the desk's counter (``at``), or its first stop not yet checked in at these counters
    (the record names the visit too)."""
    try:
        r = frontdesk.check_in(raw, today=today, now=now, counters=counters, at=at)
    except frontdesk.FrontDeskError as exc:
        db.session.rollback()
        audit.record("reservation.checkin", target=frontdesk.clean_number(raw)[:20], result="failed",
                     details={"reason": exc.code})
        raise
    v = visit.of_stop(r)
    db.session.commit()
    details = {"counter": r.counter_id}
    if v is not None:
        details |= {"visit": v.number, "stop": r.stop_order}
    audit.record("reservation.checkin", target=r.number, details=details)
    return r


def mark_no_show(r: m.Reservation, now: dt.datetime) -> None:
    """来庁なし: only a confirmed booking whose time has come."""
    try:
        frontdesk.mark_no_show(r, now)
    except frontdesk.FrontDeskError:
        db.session.rollback()
        raise
    db.session.commit()
    audit.record("reservation.no_show", target=r.number, details={"counter": r.counter_id})


STOP, WHOLE_VISIT = "stop", "whole_visit"  # what a cancellation of a visit's stop takes away


def cancel(catalog: Catalog, r: m.Reservation, kb: KnowledgeBase | None, now: dt.datetime,
           scope: str = STOP) -> None:
    """Cancel on the resident's request (phone or counter); the resident's e-mail, if there is
    one, goes out with the change (the outbox is in the same transaction).

    A stop of a visit (まとめて予約): ``scope`` STOP cancels this counter only — the mail names the
    visit's 受付番号, the counter taken away and the itinerary left; the last open stop cancels the
    visit — and WHOLE_VISIT cancels every open stop (the visit's cancellation mail). The resident
    never sees a stop's own number."""
    v = visit.of_stop(r)
    try:
        if v is None:
            booking.cancel(catalog, r, by_staff=True, now=now)
            notify.send_cancelled(catalog, r, kb)
        elif scope == WHOLE_VISIT:
            taken = [s.number for s in visit.open_stops(v) if s.status == m.CONFIRMED]
            visit.cancel(catalog, v, by_staff=True, now=now)
            visit_notify.send_cancelled(catalog, v, visit.stops(v), kb)
        else:
            taken = [r.number]
            visit.cancel_stop(catalog, r, now=now)
            if v.status == m.CANCELLED:
                visit_notify.send_cancelled(catalog, v, visit.stops(v), kb)
            else:
                visit_notify.send_stop_cancelled(catalog, v, visit.open_stops(v), r, kb)
    except booking.BookingError:
        db.session.rollback()
        raise
    db.session.commit()
    if v is None:
        audit.record("reservation.cancel", target=r.number, details={"by": "staff", "counter": r.counter_id})
        return
    for number in taken:  # one record per booking given back, each naming the visit
        stop = booking.by_number(number)
        audit.record("reservation.cancel", target=number, details={
            "by": "staff", "counter": stop.counter_id if stop else "", "visit": v.number,
            "scope": scope, "visit_cancelled": v.status == m.CANCELLED})


def book_by_phone(catalog: Catalog, service_id: str, site_id: str, start: dt.datetime, *, name: str,
                  name_kana: str, email: str | None, phone: str | None, kb: KnowledgeBase | None,
                  now: dt.datetime) -> m.Reservation:
    """A booking taken on the phone (the seats kept for the phone); the confirmation is mailed
    when an e-mail address was given."""
    try:
        r = booking.book(catalog, service_id, site_id, start, name=name, name_kana=name_kana, email=email,
                         phone=phone, channel="phone", locale="ja", now=now)
        notify.send_confirmation(catalog, r, links.manage_url(r.number), kb)
    except booking.BookingError:
        db.session.rollback()
        raise
    db.session.commit()
    audit.record("reservation.create", target=r.number, details={
        "channel": "phone", "service": service_id, "site": site_id, "start": start.isoformat()})
    return r


def set_override(catalog: Catalog, kind: str, target: str, day: dt.date, *, windows: int | None = None,
                 intervals: list[tuple[str, str]] | None = None, reason: str = "", actor: str,
                 now: dt.datetime) -> m.CalendarOverride:
    """A change of a day's windows, hours or closure, audited with the day before and after."""
    o, before, after = overrides.create(catalog, kind, target, day, windows=windows, intervals=intervals,
                                        reason=reason, actor=actor, now=now)
    db.session.commit()
    audit.record("reservation.calendar", target=f"{kind}:{target}:{day.isoformat()}", details={
        "change": "set", "override": o.id, "reason": reason, "before": before, "after": after})
    return o


def remove_override(catalog: Catalog, o: m.CalendarOverride) -> None:
    before, after = overrides.deactivate(catalog, o)
    db.session.commit()
    audit.record("reservation.calendar", target=f"{o.kind}:{o.target}:{o.day.isoformat()}", details={
        "change": "removed", "override": o.id, "before": before, "after": after})


# --- the walk-in queue (no personal data; not audited) ---------------------------------------------

def issue_ticket(site_id: str, counter_id: str, day: dt.date, now: dt.datetime) -> m.WalkInTicket:
    ticket = walkin.issue(site_id, counter_id, day, now)
    db.session.commit()
    return ticket


def call_next(counter_id: str, day: dt.date, window: str, now: dt.datetime) -> m.WalkInTicket | None:
    """The next number to this window (the one served there before is done); None: nobody waits."""
    ticket = walkin.call_next(counter_id, day, window, now)
    db.session.commit()
    return ticket


def finish_ticket(ticket: m.WalkInTicket, now: dt.datetime) -> bool:
    """済み; False when someone acted first (nothing changed)."""
    return _ticket_move(walkin.finish, ticket, now)


def ticket_no_show(ticket: m.WalkInTicket, now: dt.datetime) -> bool:
    """不在; False when someone acted first (nothing changed)."""
    return _ticket_move(walkin.no_show, ticket, now)


def _ticket_move(action, ticket: m.WalkInTicket, now: dt.datetime) -> bool:
    try:
        action(ticket, now)
    except walkin.QueueError:
        db.session.rollback()
        return False
    db.session.commit()
    return True
