"""Clients of the back-office API (a 申請管理システム), the short-lived tokens they hold, the
acknowledgements of what they took in (取込済), and the answers kept for an ``Idempotency-Key``."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.encrypted import EncryptedText


class BackofficeClient(db.Model):
    __tablename__ = "backoffice_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))  # argon2id, like staff passwords
    name: Mapped[str] = mapped_column(String(200))
    departments: Mapped[str] = mapped_column(String(512), default="")  # comma-separated; "" = every department
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # --- migration 0025 ---
    status_map: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON {external code: our status}
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)  # HMAC key, needed in clear

    @property
    def department_ids(self) -> list[str]:
        return [d for d in self.departments.split(",") if d]


class BackofficeToken(db.Model):
    __tablename__ = "backoffice_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the bearer token
    client_pk: Mapped[int] = mapped_column(ForeignKey("backoffice_client.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BackofficeAck(db.Model):
    """取込済: a client took the application in (POST …/ack); one row per application and client,
    the latest acknowledgement (and the revision it was of: a resubmission after 補正 is new)."""

    __tablename__ = "backoffice_ack"
    __table_args__ = (UniqueConstraint("application_id", "client_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("backoffice_client.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    acked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BackofficeIdempotency(db.Model):
    """The answer given to a client's write with an ``Idempotency-Key`` (no personal data in it),
    kept until ``expires_at`` so the same request again gets the same answer and changes nothing."""

    __tablename__ = "backoffice_idempotency"
    __table_args__ = (UniqueConstraint("client_pk", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("backoffice_client.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the path and the canonical JSON body
    status_code: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
