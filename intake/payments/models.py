"""Payments of application fees, the provider events seen (for dedupe and ordering), refunds,
and the state of the built-in sandbox provider (which plays an external payment company)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.encrypted import EncryptedText


class Payment(db.Model):
    __tablename__ = "payment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # our id (UUID), sent to the provider
    application_id: Mapped[str] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)  # the provider's checkout id
    amount: Mapped[int] = mapped_column(Integer)  # yen
    status: Mapped[str] = mapped_column(String(24))  # created, pending, paid, failed, canceled, refunded, partially_refunded
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_event_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # provider time
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)  # 領収書番号


class PaymentEvent(db.Model):
    """A webhook (or a reconciliation finding) applied once: (provider, event_id) is unique."""

    __tablename__ = "payment_event"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(80))
    payment_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    applied: Mapped[bool] = mapped_column(Boolean, default=False)  # False: older than what we knew


class PaymentRefund(db.Model):
    __tablename__ = "payment_refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(EncryptedText())
    actor: Mapped[str] = mapped_column(String(80))
    provider_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SandboxCharge(db.Model):
    """The sandbox provider's own books (what an external company would keep on its side)."""

    __tablename__ = "sandbox_charge"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "cs_…"
    reference: Mapped[str] = mapped_column(String(36), index=True)  # our Payment.id
    amount: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24))  # open, paid, canceled, expired
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    return_url: Mapped[str] = mapped_column(Text)
    cancel_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
