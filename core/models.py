"""Platform tables."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class RulesetGeneration(db.Model):
    """Every knowledge/rules generation a worker loaded: which version answered when (audit trail)."""

    __tablename__ = "ruleset_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64), index=True)
    municipality: Mapped[str] = mapped_column(String(64))
    procedures: Mapped[int] = mapped_column(Integer)
    rules: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
