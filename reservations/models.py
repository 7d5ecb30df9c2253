"""Bookings, the seats they hold, walk-in tickets and staff overrides of the calendar.

Never overbook: a booking holds one ``SeatClaim`` per base slot it covers, and (counter,
unit_start, seat) is unique in the database. Seats run from 0 to the slot's capacity − 1, so
no more than ``capacity`` claims can exist for one base slot whatever the number of workers,
hosts or concurrent requests: the loser of a race gets an IntegrityError, never a second seat.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.encrypted import BLIND_INDEX_LENGTH, EncryptedText

HELD, CONFIRMED, CANCELLED, EXPIRED, CHECKED_IN, NO_SHOW = (
    "held", "confirmed", "cancelled", "expired", "checked_in", "no_show")
ACTIVE = (HELD, CONFIRMED, CHECKED_IN)
VISIT_DONE = "done"  # a visit whose every stop the counters finished


class Visit(db.Model):
    """One visit for a whole life event (まとめて予約): several counters in the guide's order,
    each stop a ``Reservation`` holding its own seats (so no counter is ever overbooked), booked,
    moved and cancelled together. ``result_path`` leads every page of the visit back to the
    guide's result it came from."""

    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # 受付番号 of the visit (in its QR code)
    site_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date, index=True)  # the local (JST) day
    start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # the first stop's start
    end: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # the last stop's end
    status: Mapped[str] = mapped_column(String(12), index=True)  # as Reservation.status, plus done
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    procedures: Mapped[str] = mapped_column(String(1024), default="")  # comma-separated guide ids
    result_path: Mapped[str | None] = mapped_column(String(2000), nullable=True)  # /guide/… result to go back to
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Reservation(db.Model):
    __tablename__ = "reservation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # 予約番号 (not secret; the manage link is)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    counter_id: Mapped[str] = mapped_column(String(64), index=True)
    procedures: Mapped[str] = mapped_column(String(512), default="")  # comma-separated ids from the guide
    start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    end: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[dt.date] = mapped_column(Date, index=True)  # the local (JST) day of start
    channel: Mapped[str] = mapped_column(String(8))  # web, phone, staff
    status: Mapped[str] = mapped_column(String(12), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    name: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    name_kana: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    email: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    email_index: Mapped[str | None] = mapped_column(String(BLIND_INDEX_LENGTH), index=True, nullable=True)
    phone_index: Mapped[str | None] = mapped_column(String(BLIND_INDEX_LENGTH), index=True, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    hold_extensions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # times the hold was extended
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    moved_from: Mapped[str | None] = mapped_column(String(12), nullable=True)  # the number it replaced
    hold_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # idempotent holds
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True, nullable=True)
    stop_order: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1, 2, … within the visit
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # the counter finished


class SeatClaim(db.Model):
    __tablename__ = "seat_claim"
    __table_args__ = (UniqueConstraint("counter_id", "unit_start", "seat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id", ondelete="CASCADE"), index=True)
    counter_id: Mapped[str] = mapped_column(String(64))
    unit_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seat: Mapped[int] = mapped_column(Integer)


class WalkInTicket(db.Model):
    """呼び出し番号 for people who come without a booking (A-001 …, per counter and day)."""

    __tablename__ = "walk_in_ticket"
    __table_args__ = (UniqueConstraint("counter_id", "day", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64))
    counter_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # waiting, called, done, no_show
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    window: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 窓口 number called to


class CalendarOverride(db.Model):
    """Staff changes on top of the knowledge file for one day: windows of a counter, hours of a
    site, or a closure. Audited; the latest per (kind, target, day) wins."""

    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))  # windows, hours, closure
    target: Mapped[str] = mapped_column(String(64))  # counter id (windows) or site id (hours, closure)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    windows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    intervals: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON [["09:00","12:00"], …]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(default=True)
