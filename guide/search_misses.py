"""Searches with no good result, counted for curators: the words only, folded, never a person.

One table, ``search_miss``: (day in Japan, words) → count. ``words`` is the query folded as search
folds it (core/japanese_text.fold_text: NFKC, lower case, ひらがな, punctuation as spaces), so
「カリナンバー」 and 「かりなんばー」 count together. What may be personal data is never stored:
anything with an @ (e-mail), with 4 digits or more in a row once spaces and hyphens are dropped
(phone numbers, マイナンバー, postcodes, card and application numbers), or a web address.
Nothing about who searched (no IP address, no session, no time of day).

``record_miss`` adds one with an atomic UPSERT in its own short transaction and never raises
(as core/usage.py does: a page must not fail for a statistic).
"""
from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import Date, Integer, Text, UniqueConstraint, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.japanese_text import fold_text, nfkc_text, normalize_digits
from core.usage import today

log = logging.getLogger(__name__)
MAX_WORDS = 100
_DIGITS = re.compile(r"\d{4,}")
_ADDRESS = re.compile(r"@|https?:|www\.|\.(com|jp|net|org)\b", re.IGNORECASE)
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")  # 〇九〇… is a phone number too


class SearchMiss(db.Model):
    """How many searches for ``words`` found nothing good on ``day`` (Japan time)."""

    __tablename__ = "search_miss"
    __table_args__ = (UniqueConstraint("day", "words"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    words: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)


def miss_words(query: str) -> str | None:
    """The words of ``query`` as they are counted, or None when they must not be kept (they may
    name or reach a person: an e-mail address, a phone or My Number, a web address) or are empty."""
    typed = nfkc_text(query)
    words = fold_text(typed)[:MAX_WORDS].strip()
    if not words or may_reach_a_person(typed):
        return None
    return words


def may_reach_a_person(text: str) -> bool:
    """Could ``text`` name or reach a person? An e-mail or web address, or 4 digits or more in a
    row once spaces, hyphens and brackets are dropped (phone numbers, マイナンバー, postcodes, card
    and application numbers; 〇九〇… in kanji too). Also read by guide/feedback.py for the residents' own words."""
    typed = nfkc_text(text)
    if _ADDRESS.search(typed):
        return True
    digits = normalize_digits(typed.translate(_KANJI_DIGITS))
    return bool(_DIGITS.search(digits) or _DIGITS.search(fold_text(typed).replace(" ", "")))


def record_miss(query: str, *, day: dt.date | None = None) -> bool:
    """Count one search without a good result (today in Japan); False when nothing was written
    (words that must not be kept, or a database failure, which is logged)."""
    words = miss_words(query)
    if words is None:
        return False
    engine = db.engine
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    table = SearchMiss.__table__
    stmt = insert(table).values(day=day or today(), words=words, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.day, table.c.words],
                                      set_={"count": table.c["count"] + 1})
    try:
        with engine.begin() as conn:
            conn.execute(stmt)
    except Exception:  # a statistic never breaks a search
        log.warning("search miss not counted", exc_info=True)
        return False
    return True


def top_misses(start: dt.date, end: dt.date, limit: int = 200) -> list[tuple[str, int, dt.date]]:
    """(words, count, last day) over the period, most frequent first."""
    total = func.sum(SearchMiss.count)
    stmt = (select(SearchMiss.words, total, func.max(SearchMiss.day))
            .where(SearchMiss.day >= start, SearchMiss.day <= end)
            .group_by(SearchMiss.words).order_by(total.desc(), SearchMiss.words).limit(limit))
    return [(w, int(n), d) for w, n, d in db.session.execute(stmt)]
