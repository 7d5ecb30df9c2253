"""Online applications: the draft, the bytes the resident signs, and the signature evidence."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.encrypted import BLIND_INDEX_LENGTH, EncryptedText


class Application(db.Model):
    __tablename__ = "application"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a random UUID
    procedure_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # draft, signed
    fields_json: Mapped[str] = mapped_column(EncryptedText())  # personal data
    email: Mapped[str] = mapped_column(EncryptedText())
    email_index: Mapped[str] = mapped_column(String(BLIND_INDEX_LENGTH), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[str] = mapped_column(EncryptedText())  # RFC 8785 JSON: exactly what is signed
    signature_b64: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    certificate_pem: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)  # holds the 基本4情報
    signer_json: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    cert_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cert_issuer: Mapped[str | None] = mapped_column(Text, nullable=True)
    revocation_evidence: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, no personal data
    signature_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_signature_error: Mapped[str | None] = mapped_column(String(32), nullable=True)
    identity_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # which 基本4情報 match (booleans)
