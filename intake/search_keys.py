"""Search keys of an application: blind indexes (HMAC) of the names it holds, so staff can find
an application by 氏名 or フリガナ without decrypting any row.

Names are encrypted at rest (``Application.fields_json``). When an application is sent (受付) and
again when it is re-sent after 補正, :func:`index` rewrites its keys: for each person named in
the form (the applicant, the person who asked a proxy, 筆頭者, …: every ``<prefix>_family_name`` /
``<prefix>_given_name`` pair and their ``_kana`` forms) the 姓, the 名 and 姓名 together, each
normalised by :func:`normalise` (NFKC, so half-width カナ become full-width; ひらがな → カタカナ;
every space removed; Latin letters lower-cased). A search computes the same HMAC of what the
clerk typed and looks it up: an exact key matches, part of a name does not (a blind index
cannot do prefix search, by design). The kanji names themselves are stored as typed; only these
one-way keys are normalised.

    index(app)                # after submit() and after a resubmission
    matching(query)           # -> the blind indexes to look up
    reindex_all()             # flask applications reindex-search (re-run safe)
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.encrypted import BLIND_INDEX_LENGTH, blind_index
from core.japanese_text import normalize_kana
from intake import workflow
from intake.models import Application

PURPOSE = "application-name"
_NAME_FIELD = re.compile(r"^(?P<prefix>[a-z0-9_]*?)_?(?P<part>family|given)_(?P<kind>name|kana)$")
_SPACES = re.compile(r"\s+")


class ApplicationSearchKey(db.Model):
    """One blind index of one name (or name part) of one application (migration 0011)."""

    __tablename__ = "application_search_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(BLIND_INDEX_LENGTH), index=True)


def normalise(text: str) -> str:
    """What a name key is made of: NFKC (ｶﾅ → カナ, full-width Latin → ASCII), ひらがな → カタカナ,
    no spaces at all, Latin lower-cased. 「やまだ　はなこ」 and 「ﾔﾏﾀﾞ ﾊﾅｺ」 both give ヤマダハナコ."""
    return _SPACES.sub("", normalize_kana(text or "")).lower()


def name_texts(fields: Mapping[str, Any]) -> set[str]:
    """The normalised name keys of one application's field values (top level only)."""
    people: dict[tuple[str, str], dict[str, str]] = {}
    for fid, value in fields.items():
        match = _NAME_FIELD.match(fid)
        if match and isinstance(value, str) and value.strip():
            people.setdefault((match["prefix"], match["kind"]), {})[match["part"]] = normalise(value)
    out: set[str] = set()
    for parts in people.values():
        family, given = parts.get("family", ""), parts.get("given", "")
        out.update(p for p in (family, given, family + given) if p)
    return out


def index(app: Application) -> int:
    """(Re)write the keys of one application; returns how many. The caller commits."""
    db.session.execute(delete(ApplicationSearchKey).where(ApplicationSearchKey.application_id == app.id))
    texts = name_texts(json.loads(app.fields_json or "{}"))
    for text in sorted(texts):
        db.session.add(ApplicationSearchKey(application_id=app.id, digest=blind_index(text, PURPOSE)))
    db.session.flush()
    return len(texts)


def matching(query: str) -> str | None:
    """The blind index to look up for what a clerk typed (None when nothing is left to search)."""
    text = normalise(query)
    return blind_index(text, PURPOSE) if text else None


def reindex_all(batch: int = 200) -> int:
    """Rewrite the keys of every sent application (those with a 受付番号); re-run safe. Commits
    per batch; returns the number of applications indexed."""
    done = 0
    last = ""
    while True:
        apps = db.session.scalars(select(Application).where(
            Application.receipt_number.is_not(None), Application.status.not_in(sorted(workflow.BEFORE_SUBMISSION)),
            Application.id > last).order_by(Application.id).limit(batch)).all()
        if not apps:
            return done
        for app in apps:
            index(app)
        done += len(apps)
        last = apps[-1].id
        db.session.commit()
