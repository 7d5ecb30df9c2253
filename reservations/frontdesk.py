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
from reservations import booking
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


def check_in(raw: str | None, *, today: dt.date, now: dt.datetime, counters: Iterable[str] | None = None
             ) -> m.Reservation:
    """Mark the booking with this number as arrived (``checked_in``), or say why not:
    empty, unknown, other_counter, not_booked (a hold, never confirmed), cancelled, wrong_day,
    already (checked in before: the reservation is on the error)."""
    if not clean_number(raw):
        raise FrontDeskError("empty")
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
