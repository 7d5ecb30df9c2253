"""Online applications: the record, its attachments, and its history of events.

Personal data (field values, e-mail, file names and bytes, the certificate with the 基本4情報,
staff comments) is encrypted at rest; ids, statuses, digests and times are not, so staff lists,
statistics and the back-office cursor work without decrypting anything.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.encrypted import BLIND_INDEX_LENGTH, EncryptedBytes, EncryptedText


class Application(db.Model):
    __tablename__ = "application"
    # the staff inbox's open statuses, in the order it lists them (migration 0020)
    __table_args__ = (Index("ix_application_status_submitted_at", "status", "submitted_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a random UUID
    procedure_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # intake.workflow.STATUSES
    fields_json: Mapped[str] = mapped_column(EncryptedText())  # personal data
    email: Mapped[str] = mapped_column(EncryptedText())
    email_index: Mapped[str] = mapped_column(String(BLIND_INDEX_LENGTH), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[str] = mapped_column(EncryptedText())  # RFC 8785 JSON: exactly what is signed ("" until complete)
    signature_b64: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    certificate_pem: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)  # holds the 基本4情報
    chain_pem: Mapped[str | None] = mapped_column(Text, nullable=True)  # intermediates sent with it (CA certs)
    signer_json: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    cert_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cert_issuer: Mapped[str | None] = mapped_column(Text, nullable=True)
    revocation_evidence: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, no personal data
    signature_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_signature_error: Mapped[str | None] = mapped_column(String(32), nullable=True)
    identity_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # which 基本4情報 match (booleans)
    # --- lifecycle (migration 0007) ---
    department_id: Mapped[str] = mapped_column(String(64), index=True, default="")
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    channel: Mapped[str] = mapped_column(String(8), default="web")  # web, api
    receipt_number: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)  # 受付番号
    submit_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # one submit only
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # 承認/却下
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # 完了/却下/取下げ
    assignee_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # staff_user.id
    first_approver_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 一次承認 (second approver flow)
    fee_amount: Mapped[int | None] = mapped_column(Integer, nullable=True)  # yen; None until known
    payment_timing: Mapped[str] = mapped_column(String(16), default="none")  # none, at_submission, after_review
    payment_state: Mapped[str] = mapped_column(String(16), default="none")  # none, due, paid, refunded
    revision: Mapped[int] = mapped_column(Integer, default=1)  # +1 at each resubmission after 補正
    # the form definition the answers were entered with (intake.forms.form_version; migration 0025)
    form_version: Mapped[str | None] = mapped_column(String(80), nullable=True)


class ApplicationAttachment(db.Model):
    """One uploaded file of a ``file`` field; the bytes are encrypted, the SHA-256 is signed.

    Uploaded before the application exists (API) or while it is a draft (web): ``name`` (random)
    is what the field value refers to; ``application_id`` is set when an application claims it.
    ``draft`` is what it was uploaded for (``a:<application id>`` on the web, ``u:<random>`` for an
    API upload draft): only that draft may claim it, and the per-draft caps count by it."""

    __tablename__ = "application_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)  # random hex, never the file's own name
    application_id: Mapped[str | None] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"),
                                                       index=True, nullable=True)
    draft: Mapped[str | None] = mapped_column(String(48), index=True, nullable=True)
    field_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(EncryptedText())
    kind: Mapped[str] = mapped_column(String(8))  # pdf, jpeg, png, heic (sniffed from the bytes)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(EncryptedBytes())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ApplicationEvent(db.Model):
    """History: status changes, comments, assignment, payment. The id is the back-office cursor."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))  # status, comment, assign, payment, first_approval
    actor: Mapped[str] = mapped_column(String(80))  # "resident", "staff:<login>", "backoffice:<client>", "system"
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)  # may hold personal data
    field_comments_json: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)  # 補正: field id -> text
