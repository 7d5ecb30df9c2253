"""補正の定型文 a department keeps: the starters from the knowledge pack
(knowledge/packs/<pack>/correction_phrases.yaml) and the department's own phrases, added, edited
and removed by its staff on the console (staff/correction_phrase_views.py).

Plain Python with SQLAlchemy (no Flask): the views hand in who acts. ``add``, ``edit`` and
``remove`` are the checked steps (flushed, not committed); ``save_new``, ``save_edit`` and
``delete`` are what the console calls: the step, committed, then its audit record — or, refused,
rolled back — so no view can forget either.
A phrase is the department's wording, not personal data: stored as plain text.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import db
from core.errors import AppError
from knowledge.correction_phrases import MAX_PHRASE, PhrasesFile

MAX_PER_DEPARTMENT = 100


class CorrectionPhrase(db.Model):
    """One department's own 定型文 (migration 0012)."""

    __tablename__ = "correction_phrase"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    department_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(String(MAX_PHRASE))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Choice:
    """A phrase offered on the review screen: ``key`` is what the form posts."""

    key: str  # "pack:<id>" or "db:<id>"
    text: str
    own: bool  # the department's own (editable) or a starter from the pack


class PhraseError(AppError):
    """A refused correction phrase (the page shows it beside the field)."""


def clean(raw: str | None) -> str:
    """One line or two of text: newlines kept, spaces at the ends and control characters dropped."""
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    return text.strip()


def check(text: str) -> None:
    if not text:
        raise PhraseError("empty", _l("定型文を入力してください。"))
    if len(text) > MAX_PHRASE:
        raise PhraseError("too_long", _l("定型文は%(most)s文字以内にしてください（今：%(now)s文字）。",
                                         most=MAX_PHRASE, now=len(text)))


def own_phrases(department_id: str) -> list[CorrectionPhrase]:
    return list(db.session.scalars(select(CorrectionPhrase).where(
        CorrectionPhrase.department_id == department_id).order_by(CorrectionPhrase.id)))


def choices(department_id: str, starters: PhrasesFile) -> list[Choice]:
    """What the review screen offers for an application of this department: its own phrases
    first (newest wording the department chose), then the pack's starters."""
    own = [Choice(f"db:{p.id}", p.text, True) for p in own_phrases(department_id)]
    pack = [Choice(f"pack:{p.id}", p.text, False) for p in starters.for_department(department_id)]
    return own + pack


def add(department_id: str, raw: str, actor: str, now: dt.datetime) -> CorrectionPhrase:
    text = clean(raw)
    check(text)
    if len(own_phrases(department_id)) >= MAX_PER_DEPARTMENT:
        raise PhraseError("too_many", _l("定型文は1つの課に%(most)s件までです。使わないものを削除してください。",
                                         most=MAX_PER_DEPARTMENT))
    phrase = CorrectionPhrase(department_id=department_id, text=text, created_by=actor[:80],
                              created_at=now, updated_at=now)
    db.session.add(phrase)
    db.session.flush()
    return phrase


def get(phrase_id: int, departments: list[str] | None) -> CorrectionPhrase | None:
    """The phrase if it belongs to one of ``departments`` (None: every department)."""
    phrase = db.session.get(CorrectionPhrase, phrase_id)
    if phrase is None or (departments is not None and phrase.department_id not in departments):
        return None
    return phrase


def edit(phrase: CorrectionPhrase, raw: str, now: dt.datetime) -> None:
    text = clean(raw)
    check(text)
    phrase.text = text
    phrase.updated_at = now


def remove(phrase: CorrectionPhrase) -> None:
    db.session.delete(phrase)
    db.session.flush()


def save_new(department_id: str, raw: str, actor: str, now: dt.datetime) -> CorrectionPhrase:
    try:
        phrase = add(department_id, raw, actor, now)
    except PhraseError:
        db.session.rollback()
        raise
    db.session.commit()
    audit.record("correction_phrase.add", target=f"phrase:{phrase.id}", details={"department": department_id})
    return phrase


def save_edit(phrase: CorrectionPhrase, raw: str, now: dt.datetime) -> None:
    try:
        edit(phrase, raw, now)
    except PhraseError:
        db.session.rollback()
        raise
    db.session.commit()
    audit.record("correction_phrase.edit", target=f"phrase:{phrase.id}", details={"department": phrase.department_id})


def delete(phrase: CorrectionPhrase) -> None:
    phrase_id, department = phrase.id, phrase.department_id
    remove(phrase)
    db.session.commit()
    audit.record("correction_phrase.delete", target=f"phrase:{phrase_id}", details={"department": department})


def with_phrase(comment: str, phrase: str) -> str:
    """The comment with the chosen phrase appended (once: not again when it is already there).
    Not cut to any length: the caller refuses what is too long, so nothing is lost."""
    if not phrase or phrase in comment:
        return comment
    return f"{comment}\n{phrase}" if comment else phrase
