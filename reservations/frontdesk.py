"""The counter's side of a booking: the day's list, check-in by 予約番号 (typed or scanned from
the QR code), and no-show marking. Plain domain code: the console calls it through
reservations/staff_actions.py, which commits and audits.

A scanner types the number like a keyboard; people type it with lower case, full-width
characters, hyphens or spaces. ``booking.by_number`` normalises (NFKC, upper case, no hyphens);
spaces are dropped here too. Someone marked as a no-show who turns up late that day is still
checked in.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.db import db
from core.errors import AppError
from reservations import booking, visit
from reservations import models as m

LISTED = (m.CONFIRMED, m.CHECKED_IN, m.NO_SHOW, m.CANCELLED)  # holds and expired holds are not bookings


REFUSALS = {  # code -> (HTTP status, what the counter is told)
    "empty": (400, _l("予約番号を入力するか、QRコードを読み取ってください。")),
    "unknown": (404, _l("この予約番号の予約は見つかりません。番号を確かめてください（例：ACD34679）。")),
    "other_counter": (409, _l("この予約は、ほかの窓口の予約です。")),
    "not_booked": (409, _l("この予約は確定していません（仮押さえのまま期限が切れました）。")),
    "cancelled": (409, _l("この予約は取り消されています。")),
    "wrong_day": (422, _l("今日の予約ではありません。")),
    "already": (409, _l("この予約は受付済みです。")),
    "not_open": (409, _l("この予約は来庁なしにできません。")),
    "too_early": (409, _l("予約の時間になる前は、来庁なしにできません。")),
}


class FrontDeskError(AppError):
    """A refused check-in or no-show; the reservation (when one was found) lets the page say
    which day or counter it is for."""

    def __init__(self, code: str, reservation: m.Reservation | None = None):
        status, message = REFUSALS[code]
        super().__init__(code, message, status)
        self.reservation = reservation


def clean_number(raw: str | None) -> str:
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper().replace("-", "")


def find(raw: str | None) -> m.Reservation | None:
    number = clean_number(raw)
    return booking.by_number(number) if number else None


def check_in(raw: str | None, *, today: dt.date, now: dt.datetime, counters: Iterable[str] | None = None,
             at: str | None = None) -> m.Reservation:
    """Mark the booking with this number as arrived (``checked_in``), or say why not:
    empty, unknown, other_counter, not_booked (a hold, never confirmed), cancelled, wrong_day,
    already (checked in before: the reservation is on the error).

    The 受付番号 of a visit (まとめて予約, in its QR code and mails) checks in the visit's stop at
    the counter the desk has chosen (``at``), or without one the first stop not yet checked in at
    these ``counters``: each counter of the itinerary scans the same code when the household
    reaches it, and a second scan at a chosen counter is "already", never the next counter's stop."""
    if not clean_number(raw):
        raise FrontDeskError("empty")
    v = find_visit(raw)
    if v is not None:
        return _check_in_visit(v, today=today, now=now, counters=counters, at=at)
    r = find(raw)
    if r is None:
        raise FrontDeskError("unknown")
    if counters is not None and r.counter_id not in set(counters):
        raise FrontDeskError("other_counter", r)
    if r.status in (m.HELD, m.EXPIRED):
        raise FrontDeskError("not_booked", r)
    if r.status == m.CANCELLED:
        raise FrontDeskError("cancelled", r)
    if r.day != today:
        raise FrontDeskError("wrong_day", r)
    if r.status == m.CHECKED_IN:
        raise FrontDeskError("already", r)
    r.status, r.checked_in_at = m.CHECKED_IN, now
    return r


def find_visit(raw: str | None) -> m.Visit | None:
    """The visit whose 受付番号 this is (V + 8 characters; a booking's number has 8)."""
    number = clean_number(raw)
    return visit.by_number(number) if len(number) == 9 and number.startswith("V") else None


def _check_in_visit(v: m.Visit, *, today: dt.date, now: dt.datetime, counters: Iterable[str] | None,
                    at: str | None) -> m.Reservation:
    every = visit.stops(v)
    first = every[0] if every else None
    if v.status in (m.HELD, m.EXPIRED) or first is None:
        raise FrontDeskError("not_booked", first)
    if v.status == m.CANCELLED:
        raise FrontDeskError("cancelled", first)
    if v.day != today:
        raise FrontDeskError("wrong_day", first)
    live = visit.open_stops(v)
    scope = None if counters is None else set(counters)
    here = [r for r in live if (scope is None or r.counter_id in scope) and (at is None or r.counter_id == at)]
    if not here:  # the household is at the wrong counter: name the next one they are expected at
        ahead = [r for r in live if r.status in (m.CONFIRMED, m.NO_SHOW)]
        raise FrontDeskError("other_counter", (ahead or live or every)[0])
    waiting = sorted((r for r in here if r.status in (m.CONFIRMED, m.NO_SHOW)), key=lambda r: r.stop_order or 0)
    if not waiting:
        raise FrontDeskError("already", max(here, key=lambda r: booking.aware(r.checked_in_at) or now))
    r = waiting[0]
    r.status, r.checked_in_at = m.CHECKED_IN, now
    return r


def visits_of(reservations: Iterable[m.Reservation]) -> dict[int, tuple[m.Visit, list[m.Reservation]]]:
    """The visits (まとめて予約) these bookings are stops of, with every stop of each, in order."""
    out: dict[int, tuple[m.Visit, list[m.Reservation]]] = {}
    for r in reservations:
        if r.visit_id is not None and r.visit_id not in out and (v := db.session.get(m.Visit, r.visit_id)):
            out[r.visit_id] = (v, visit.stops(v))
    return out


def stop_position(r: m.Reservation, visits: dict[int, tuple[m.Visit, list[m.Reservation]]]
                  ) -> tuple[str, int, int] | None:
    """(受付番号 of the visit, n, m): this booking is stop n of the visit's m open stops; None for a
    booking of its own."""
    if r.visit_id is None or r.visit_id not in visits:
        return None
    v, every = visits[r.visit_id]
    live = [s for s in every if s.status != m.CANCELLED] or every
    order = [s.id for s in live]
    n = order.index(r.id) + 1 if r.id in order else r.stop_order or 0
    return v.number, n, len(live)


def mark_no_show(r: m.Reservation, now: dt.datetime) -> None:
    """Only a confirmed booking whose time has come."""
    if r.status != m.CONFIRMED:
        raise FrontDeskError("not_open", r)
    if booking.aware(r.start) > now:
        raise FrontDeskError("too_early", r)
    r.status = m.NO_SHOW


def day_list(counters: Iterable[str], day: dt.date) -> list[m.Reservation]:
    """The bookings of these counters on ``day``, in time order (then by number)."""
    ids = list(counters)
    if not ids:
        return []
    return list(db.session.scalars(select(m.Reservation).where(
        m.Reservation.counter_id.in_(ids), m.Reservation.day == day, m.Reservation.status.in_(LISTED))
        .order_by(m.Reservation.start, m.Reservation.number)))
