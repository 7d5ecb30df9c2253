"""Statistics of online applications, from the application table (no personal data is read):
applications per procedure and status, and processing times per procedure.

The cohort is the applications *received* (受付) in the period, Japan time; drafts and signed
but unsent applications never count. Processing times run from receipt to the decision
(承認・却下: ``decided_at``) and to the end (完了・却下・取下げ: ``closed_at``) for those of the
cohort that got there; the median and the 90th percentile (nearest rank: the time within which
90 % were done) are in hours.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import false, select

from core.db import db
from core.japan_time import JST
from core.words import N_
from core.words import text as translate
from intake import workflow
from intake.models import Application

STATUSES = tuple(s for s in workflow.STATUSES if s not in workflow.BEFORE_SUBMISSION)


@dataclass(frozen=True)
class Times:
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass
class ApplicationStats:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # procedure → status → n
    to_decision: dict[str, Times] = field(default_factory=dict)
    to_close: dict[str, Times] = field(default_factory=dict)

    @property
    def procedures(self) -> list[str]:
        return sorted(self.counts)

    def total(self, procedure: str) -> int:
        return sum(self.counts.get(procedure, {}).values())


def nearest_rank(values: Sequence[float], pct: float) -> float | None:
    """The smallest value with at least ``pct`` % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def times(hours: Sequence[float]) -> Times:
    if not hours:
        return Times(0, None, None)
    return Times(len(hours), round(statistics.median(hours), 1), round(nearest_rank(hours, 90), 1))


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite: stored as UTC
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _hours(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    start, end = _utc(start), _utc(end)
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() / 3600)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), JST).astimezone(dt.UTC)


def collect(start: dt.date, end: dt.date, departments: list[str] | None = None) -> ApplicationStats:
    """The numbers for applications received from ``start`` to ``end`` (days in Japan, inclusive).
    ``departments``: only theirs (None: every department)."""
    t = Application
    stmt = (select(t.procedure_id, t.status, t.submitted_at, t.decided_at, t.closed_at)
            .where(t.receipt_number.is_not(None), t.status.in_(STATUSES),
                   t.submitted_at >= _midnight(start), t.submitted_at < _midnight(end + dt.timedelta(days=1))))
    if departments is not None:
        stmt = stmt.where(t.department_id.in_(departments) if departments else false())
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    decided: dict[str, list[float]] = defaultdict(list)
    closed: dict[str, list[float]] = defaultdict(list)
    for pid, status, submitted, decided_at, closed_at in db.session.execute(stmt):
        counts[pid][status] += 1
        if (h := _hours(submitted, decided_at)) is not None:
            decided[pid].append(h)
        if (h := _hours(submitted, closed_at)) is not None:
            closed[pid].append(h)
    out = ApplicationStats(counts={p: dict(c) for p, c in counts.items()})
    out.to_decision = {p: times(decided.get(p, [])) for p in out.counts}
    out.to_close = {p: times(closed.get(p, [])) for p in out.counts}
    return out


def duration_text(hours: float | None, locale: str = "ja") -> str:
    """48.0 → 「2.0日」, 5.5 → 「5.5時間」; "" when there is nothing to say."""
    if hours is None:
        return ""
    if hours >= 24:
        return translate(locale, N_("%(days).1f日"), days=hours / 24)
    return translate(locale, N_("%(hours).1f時間"), hours=hours)
