"""Platform tables."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, func
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


class PackBlob(db.Model):
    """One pack file's bytes, stored once however many versions hold it (keyed by their SHA-256)."""

    __tablename__ = "pack_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class PackVersion(db.Model):
    """A version of a city's pack: a curator's draft, or a published version (never changed again).

    The files in the repository are the first version; every later one is written on the console
    and published with a reason, at once or from a date (``effective_from``). The version served
    at a moment is the published one with the latest ``effective_from`` not after it."""

    __tablename__ = "pack_version"
    __table_args__ = (UniqueConstraint("municipality", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int | None] = mapped_column(Integer)  # v1, v2 … given when published
    state: Mapped[str] = mapped_column(String(16), index=True)  # draft | published | withdrawn
    author: Mapped[str] = mapped_column(String(64))  # staff login id (or "system")
    base_number: Mapped[int | None] = mapped_column(Integer)  # the version a draft started from
    restores_number: Mapped[int | None] = mapped_column(Integer)  # a rollback: the version copied
    reason: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64), default="")  # the files' digest; ruleset version once checked
    ruleset_version: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(64))
    effective_from: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class PackVersionFile(db.Model):
    """Which file, with which bytes, a version holds (path relative to the pack's folder)."""

    __tablename__ = "pack_version_file"

    version_id: Mapped[int] = mapped_column(ForeignKey("pack_version.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("pack_blob.sha256"))


class GuideAnswerSample(db.Model):
    """A sample of the questionnaires residents answered: the answers only (the guide asks for no
    name, address or number), re-run against a curator's draft to show what it would change."""

    __tablename__ = "guide_answer_sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    request_json: Mapped[str] = mapped_column(Text)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
