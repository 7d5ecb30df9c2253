"""Clients of the back-office API (a 申請管理システム) and the short-lived tokens they hold."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


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

    @property
    def department_ids(self) -> list[str]:
        return [d for d in self.departments.split(",") if d]


class BackofficeToken(db.Model):
    __tablename__ = "backoffice_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the bearer token
    client_pk: Mapped[int] = mapped_column(ForeignKey("backoffice_client.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
