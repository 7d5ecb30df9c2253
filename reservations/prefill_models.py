"""The household a resident fills in before a visit (事前入力), one row per visit, encrypted.

``household`` is the JSON document of the issue-14 contract (members, previous and new address,
move date, phone) exactly as the resident gave it; ``corrections`` holds what counter staff
changed from the documents shown (``{path: {"value", "by", "at"}}``), kept beside the resident's
value. Both are ``EncryptedText``: the database holds ``v1.<kid>.<base64>`` only. The row (and
so the data) is deleted after the visit is done or cancelled, or 30 days after it was made
(reservations/prefill.py ``purge``)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.encrypted import EncryptedText


class VisitPrefill(db.Model):
    __tablename__ = "visit_prefill"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # draft, shared (sent to the counters)
    household: Mapped[str] = mapped_column(EncryptedText())  # JSON, the resident's values
    corrections: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)  # JSON, staff's
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    shared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
