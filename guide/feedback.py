"""Residents' feedback on a result page, for curators: 「この一覧は役に立ちましたか」 (yes / no) and
「足りない手続きはありましたか」 (a procedure of the pack the result did not list, or a few words).

One table, ``guide_feedback``; a row is one answer, never linked to another or to a person:

| column     | what                                                                            |
|------------|---------------------------------------------------------------------------------|
| ``day``    | the date in Japan (no time of day)                                              |
| ``event``  | the life event of the result                                                    |
| ``version``| the ruleset version the result was worked out with (``Rulebook.version``)       |
| ``listed`` | the procedure ids the result listed, in its order, space-separated              |
| ``helpful``| True / False for 「役に立ちましたか」; None on a row that answers the second question |
| ``missing``| the procedure id a resident said was missing, or None                           |
| ``note``   | the resident's own words (at most ``MAX_NOTE`` characters), or None             |
| ``language``| the page's language code                                                       |

No address, no cookie, no session, no answers of the questionnaire. The resident's words are
refused (not stored) when they may reach a person (``may_reach_a_person``: e-mail and web
addresses, 4 digits or more in a row: phone numbers, postcodes, マイナンバー), and the form asks
for no personal data. Each answer is its own row: the second question is not tied to the first.

Rows older than ``FEEDBACK_RETENTION_DAYS`` are deleted by ``flask feedback purge`` (``purge``).
Plain Python with SQLAlchemy; the pages are guide/views.py and staff/search_views.py.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Boolean, Date, Integer, Text, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.usage import today
from core.words import N_, Message
from guide.search_misses import may_reach_a_person

MAX_NOTE = 200  # characters of the resident's own words
OTHER = "other"  # the choice 「その他」: the resident writes the name
HELPFUL = {"yes": True, "no": False}
_SPACES = re.compile(r"\s+")
_UNREADABLE = re.compile("[\ufffd\ud800-\udfff]")


class GuideFeedback(db.Model):
    """One answer on a result page (see the module's table); nothing that names a person."""

    __tablename__ = "guide_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    event: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(Text)
    listed: Mapped[str] = mapped_column(Text)
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    missing: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str] = mapped_column(Text)


class FeedbackInvalid(ValueError):
    """An answer that cannot be kept; ``messages``: field id → ``core.words.Message``."""

    def __init__(self, messages: dict[str, Message]):
        super().__init__(", ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Missing:
    """What a resident said was missing: a procedure id, or their own words."""

    procedure: str | None = None
    note: str | None = None


def clean_note(raw: str) -> str:
    """The resident's words as kept: NFKC, control characters dropped, spaces made one, trimmed."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" or c in "\t\n")
    return _SPACES.sub(" ", text).strip()


def read_missing(form: Mapping[str, str], choices: Iterable[str]) -> Missing:
    """The second question's answer from ``form`` (``missing``: one of ``choices`` or ``other``;
    ``missing-note``: the words for 「その他」). Raises FeedbackInvalid with what to do."""
    choice = (form.get("missing") or "").strip()
    raw = form.get("missing-note") or ""
    note = clean_note(raw)
    if not choice:
        raise FeedbackInvalid({"missing": Message(N_("足りなかった手続きを選んでください。"))})
    if choice != OTHER:
        if choice not in set(choices):
            raise FeedbackInvalid({"missing": Message(N_("一覧にある手続きから選んでください。"))})
        return Missing(procedure=choice)
    if not note:
        raise FeedbackInvalid({"missing-note": Message(N_("足りなかった手続きの名前を書いてください。"))})
    if _UNREADABLE.search(note):  # bytes that were no text (U+FFFD where the browser's were broken)
        raise FeedbackInvalid({"missing-note": Message(N_("使えない文字が含まれています。書き直してください。"))})
    if len(note) > MAX_NOTE:
        raise FeedbackInvalid({"missing-note": Message(N_("%(n)s文字以内で書いてください。"), n=MAX_NOTE)})
    if may_reach_a_person(note):
        raise FeedbackInvalid({"missing-note": Message(
            N_("電話番号、メールアドレス、4桁以上の数字は書かないでください。手続きの名前だけを書いてください。"))})
    return Missing(note=note)


def read_helpful(value: str | None) -> bool | None:
    """``yes`` / ``no`` of the buttons as True / False; None for anything else (no person sends it)."""
    return HELPFUL.get(value or "")


def record(*, event: str, version: str, listed: Iterable[str], language: str, helpful: bool | None = None,
           missing: Missing | None = None, day: dt.date | None = None) -> GuideFeedback:
    """Keep one answer (today in Japan). Commits."""
    row = GuideFeedback(day=day or today(), event=event, version=version, listed=" ".join(listed),
                        helpful=helpful, missing=missing.procedure if missing else None,
                        note=missing.note if missing else None, language=language)
    db.session.add(row)
    db.session.commit()
    return row


def purge(before: dt.date) -> int:
    """Delete the answers of days before ``before``; how many. Commits."""
    deleted = db.session.execute(delete(GuideFeedback).where(GuideFeedback.day < before)).rowcount
    db.session.commit()
    return int(deleted or 0)


# --- for curators ---------------------------------------------------------------------------

MAX_NOTES = 200  # the newest words shown on the page
MAX_ROWS = 50_000  # answers read for the per-procedure counts (a period of a city's residents)


@dataclass
class Summary:
    """The answers of a period: per event, per procedure listed, what was missing, the words."""

    events: dict[str, list[int]] = field(default_factory=dict)  # event → [yes, no]
    procedures: dict[str, list[int]] = field(default_factory=dict)  # procedure listed → [yes, no]
    missing: list[tuple[str, str, int]] = field(default_factory=list)  # (procedure, event, count), most first
    notes: list[tuple[dt.date, str, str, str]] = field(default_factory=list)  # (day, event, language, words)


def summary(start: dt.date, end: dt.date) -> Summary:
    """What curators read for the days ``start`` to ``end`` (both included)."""
    period = (GuideFeedback.day >= start, GuideFeedback.day <= end)
    out = Summary()
    answers = db.session.execute(
        select(GuideFeedback.event, GuideFeedback.listed, GuideFeedback.helpful)
        .where(*period, GuideFeedback.helpful.is_not(None)).order_by(GuideFeedback.id.desc()).limit(MAX_ROWS))
    for event, listed, helpful in answers:
        column = 0 if helpful else 1
        out.events.setdefault(event, [0, 0])[column] += 1
        for pid in set(listed.split()):
            out.procedures.setdefault(pid, [0, 0])[column] += 1
    count = func.count()
    rows = db.session.execute(
        select(GuideFeedback.missing, GuideFeedback.event, count)
        .where(*period, GuideFeedback.missing.is_not(None))
        .group_by(GuideFeedback.missing, GuideFeedback.event).order_by(count.desc(), GuideFeedback.missing))
    out.missing = [(pid, event, int(n)) for pid, event, n in rows]
    notes = db.session.execute(
        select(GuideFeedback.day, GuideFeedback.event, GuideFeedback.language, GuideFeedback.note)
        .where(*period, GuideFeedback.note.is_not(None)).order_by(GuideFeedback.day.desc(), GuideFeedback.id.desc())
        .limit(MAX_NOTES))
    out.notes = [tuple(r) for r in notes]  # type: ignore[misc]
    return out


def ranked(counts: Mapping[str, list[int]]) -> list[tuple[str, int, int]]:
    """(id, yes, no), most 「いいえ」 first, then most answers."""
    return sorted(((k, yes, no) for k, (yes, no) in counts.items()), key=lambda r: (-r[2], -(r[1] + r[2]), r[0]))

