"""Which application (and which revision of it: a resubmission after 補正 is exported again) has
been exported, so a scheduled run does not export it twice."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class ApplicationExport(db.Model):
    __tablename__ = "application_export"
    __table_args__ = (UniqueConstraint("application_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    receipt_number: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))  # of the ZIP
    exported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
