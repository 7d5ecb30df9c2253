"""Usage statistics: counts only. No personal data, no IP addresses, no answers, no sessions.

One table, ``usage_count``: (day, service, metric, dimension) → count, where ``day`` is the date in
Japan (Asia/Tokyo), ``service`` a service id ("guide"), ``metric`` what was counted
("session_started") and ``dimension`` an id that splits it (a life-event id, a procedure id) or "".
Ids are checked against a strict pattern, so no free text can ever end up in the table.

Writing: ``record(service, metric, dimension="", n=1)`` adds ``n`` with one atomic UPSERT
(``INSERT … ON CONFLICT DO UPDATE SET count = count + n``, SQLite ≥ 3.24 and PostgreSQL) in its own
short transaction on its own connection: it never touches the request's session and never raises
(a failure is logged and the page is served anyway).

What the guide records (wired in ``init_usage`` by an ``after_request`` hook, 200 responses only):

| metric              | dimension     | when                                                      |
|---------------------|---------------|-----------------------------------------------------------|
| ``session_started`` | life event id | the event's intro page ``guide.intro`` (GET)               |
| ``session_finished``| life event id | the result page ``guide.result`` (GET)                     |
| ``api_evaluate``    | life event id | ``POST /api/v1/guide/evaluate`` (``api.evaluate_guide``)   |
| ``procedures_listed``| procedure id | each procedure a view passed to ``note_procedures(ids)``   |
| ``search``          | ""            | ``record("guide", "search")`` from the search view (later) |
| ``feedback``        | life event id | 「この一覧は役に立ちましたか」 answered (``guide.feedback``)  |

Reading (the staff console): ``service_totals``, ``daily_totals``, ``dimension_totals``, ``rows``.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable

from flask import Flask, current_app, g, request
from sqlalchemy import Date, Integer, Text, UniqueConstraint, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.japan_time import JST

log = logging.getLogger(__name__)
SERVICE_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DIMENSION = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$|^$")
NOTED = "usage_noted_procedures"  # the flask.g attribute note_procedures() fills

# endpoint → metric, counted on a 200 response (the dimension is the life event)
PAGE_METRICS = {"guide.intro": "session_started", "guide.result": "session_finished"}
API_METRICS = {"api.evaluate_guide": "api_evaluate"}


class UsageCount(db.Model):
    """How many times ``metric`` of ``service`` happened on ``day`` (Japan time), per ``dimension``."""

    __tablename__ = "usage_count"
    __table_args__ = (UniqueConstraint("day", "service", "metric", "dimension"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    service: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(Text)
    dimension: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)


def today(now: dt.datetime | None = None) -> dt.date:
    """The date in Japan (the day a count belongs to) now, or at the aware instant ``now``."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(JST).date()


# --- writing ------------------------------------------------------------------------------

def _valid(service: str, metric: str, dimension: str) -> bool:
    return bool(SERVICE_METRIC.match(service) and SERVICE_METRIC.match(metric)
                and isinstance(dimension, str) and DIMENSION.match(dimension))


def _upsert(engine: Engine, rows: list[dict]) -> None:
    """One transaction: INSERT … ON CONFLICT (day, service, metric, dimension) DO UPDATE count + n."""
    if engine.dialect.name == "postgresql":
        insert = postgresql.insert
    elif engine.dialect.name == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(f"usage counts need SQLite or PostgreSQL, not {engine.dialect.name}")
    table = UsageCount.__table__
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.day, table.c.service, table.c.metric, table.c.dimension],
        set_={"count": table.c["count"] + stmt.excluded["count"]},
    )
    # a fixed order of keys: two transactions adding the same rows cannot deadlock on PostgreSQL
    rows = sorted(rows, key=lambda r: (r["day"], r["service"], r["metric"], r["dimension"]))
    with engine.begin() as conn:
        conn.execute(stmt, rows)


def add(counts: Iterable[tuple[str, str, str, int]], *, day: dt.date | None = None) -> bool:
    """Add several ``(service, metric, dimension, n)`` in one short transaction.

    Invalid ids are dropped (logged); nothing is raised. Returns True when the counts were written.
    Needs an application context."""
    when = day or today()
    merged: Counter[tuple[str, str, str]] = Counter()
    for service, metric, dimension, n in counts:
        if not _valid(service, metric, dimension) or not isinstance(n, int) or n <= 0:
            log.warning("usage count ignored", extra={"service": str(service)[:40], "metric": str(metric)[:40]})
            continue
        merged[(service, metric, dimension)] += n
    if not merged:
        return False
    rows = [{"day": when, "service": s, "metric": m, "dimension": d, "count": n} for (s, m, d), n in merged.items()]
    try:
        _upsert(db.engine, rows)
    except Exception:  # statistics must never break a page
        log.warning("usage count not written", exc_info=True)
        return False
    return True


def record(service: str, metric: str, dimension: str = "", n: int = 1, *, day: dt.date | None = None) -> bool:
    """Add ``n`` to today's (Japan) count of ``metric`` for ``service`` and ``dimension``.

    Atomic (concurrent calls never lose an increment), in its own transaction, never raises.
    ``service``/``metric``: ``[a-z][a-z0-9_]*``; ``dimension``: an id (``[a-z0-9][a-z0-9_.-]*``) or "".
    E.g. ``record("guide", "search")`` from the search view."""
    return add([(service, metric, dimension, n)], day=day)


def note_procedures(ids: Iterable[str], service: str = "guide") -> None:
    """Called by a view that lists procedures: the ids it showed (one per listed procedure).

    Stored on ``flask.g``; the after_request hook counts each under ``procedures_listed`` when the
    response is a 200, so a view that fails afterwards counts nothing. Calling it twice in one
    request adds to the list. E.g. in guide/views.py ``result``::

        note_procedures(p["id"] for p in data["procedures"])
    """
    noted: list[tuple[str, str]] = g.setdefault(NOTED, [])
    noted.extend((service, str(pid)) for pid in ids)


def _request_counts(status: int) -> list[tuple[str, str, str, int]]:
    """What this request adds (empty for anything but a 200)."""
    if status != 200:
        return []
    counts: list[tuple[str, str, str, int]] = []
    endpoint = request.endpoint or ""
    if endpoint in PAGE_METRICS and request.method == "GET":
        event = (request.view_args or {}).get("event_id", "")
        counts.append(("guide", PAGE_METRICS[endpoint], str(event), 1))
    elif endpoint in API_METRICS:
        body = request.get_json(silent=True)
        event = body.get("event") if isinstance(body, dict) else None
        counts.append(("guide", API_METRICS[endpoint], event if isinstance(event, str) else "", 1))
    for (service, pid), n in Counter(g.get(NOTED, [])).items():
        counts.append((service, "procedures_listed", pid, n))
    return counts


# --- reading ------------------------------------------------------------------------------

def _period(stmt, start: dt.date, end: dt.date, service: str | None):
    stmt = stmt.where(UsageCount.day >= start, UsageCount.day <= end)
    return stmt.where(UsageCount.service == service) if service else stmt


def service_totals(start: dt.date, end: dt.date) -> dict[tuple[str, str], int]:
    """(service, metric) → total from ``start`` to ``end`` (both included)."""
    stmt = _period(select(UsageCount.service, UsageCount.metric, func.sum(UsageCount.count)), start, end, None)
    stmt = stmt.group_by(UsageCount.service, UsageCount.metric)
    return {(s, m): int(n) for s, m, n in db.session.execute(stmt)}


def daily_totals(start: dt.date, end: dt.date, service: str) -> dict[tuple[dt.date, str], int]:
    """(day, metric) → total of ``service`` per day (all dimensions together)."""
    stmt = _period(select(UsageCount.day, UsageCount.metric, func.sum(UsageCount.count)), start, end, service)
    stmt = stmt.group_by(UsageCount.day, UsageCount.metric)
    return {(d, m): int(n) for d, m, n in db.session.execute(stmt)}


def dimension_totals(start: dt.date, end: dt.date, service: str) -> dict[tuple[str, str], int]:
    """(metric, dimension) → total of ``service`` over the period."""
    stmt = _period(select(UsageCount.metric, UsageCount.dimension, func.sum(UsageCount.count)), start, end, service)
    stmt = stmt.group_by(UsageCount.metric, UsageCount.dimension)
    return {(m, d): int(n) for m, d, n in db.session.execute(stmt)}


def rows(start: dt.date, end: dt.date, service: str | None = None) -> list[tuple[dt.date, str, str, str, int]]:
    """Every stored count in the period: (day, service, metric, dimension, count), in that order."""
    stmt = _period(select(UsageCount.day, UsageCount.service, UsageCount.metric, UsageCount.dimension,
                          UsageCount.count), start, end, service)
    stmt = stmt.order_by(UsageCount.day, UsageCount.service, UsageCount.metric, UsageCount.dimension)
    return [tuple(r) for r in db.session.execute(stmt)]  # type: ignore[misc]


def services() -> list[str]:
    """Every service that has a count."""
    return list(db.session.scalars(select(UsageCount.service).distinct().order_by(UsageCount.service)))


# --- wiring -------------------------------------------------------------------------------

class _Buffer:
    """Counts of requests, kept in the worker and written together every few seconds.

    A database write per request would cost more than the request itself (and serialise the
    workers on SQLite); statistics can wait a few seconds. At most USAGE_FLUSH_SECONDS of counts
    are lost if a worker dies; a worker that stops normally writes what it has (atexit)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: Counter[tuple[dt.date, str, str, str]] = Counter()
        self.flushed_at = time.monotonic()

    def take(self, counts: list[tuple[str, str, str, int]], every: float) -> dict[dt.date, list] | None:
        """Add ``counts``; when it is time to write, hand back everything pending (by day)."""
        day = today()
        with self.lock:
            for service, metric, dimension, n in counts:
                self.pending[(day, service, metric, dimension)] += n
            if time.monotonic() - self.flushed_at < every and len(self.pending) < 1000:
                return None
            taken, self.pending = self.pending, Counter()
            self.flushed_at = time.monotonic()
        by_day: dict[dt.date, list] = {}
        for (d, service, metric, dimension), n in taken.items():
            by_day.setdefault(d, []).append((service, metric, dimension, n))
        return by_day


def _write(by_day: dict[dt.date, list] | None) -> None:
    for day, counts in (by_day or {}).items():
        add(counts, day=day)


# The apps whose counts are written when the process ends. Weakly held: an app made and dropped
# (a test, a CLI command) must not be kept alive, with all it holds, by an exit hook.
_STOPPING_APPS: weakref.WeakSet[Flask] = weakref.WeakSet()


def _flush_at_exit() -> None:
    for app in list(_STOPPING_APPS):
        due = app.extensions["usage_buffer"].take([], every=0)
        if not due:
            continue
        try:  # logging may already be shut down: write quietly or not at all
            with app.app_context():
                for day, counts in due.items():
                    _upsert(db.engine, [{"day": day, "service": s, "metric": m, "dimension": d, "count": n}
                                        for s, m, d, n in counts])
        except Exception:  # noqa: S110  # nosec - the process is ending; nothing left to tell
            pass


atexit.register(_flush_at_exit)


def init_usage(app: Flask) -> None:
    """Count guide use after each request and register the staff statistics pages.

    ``USAGE_STATISTICS = False`` in the configuration turns counting off (the pages stay)."""
    app.config.setdefault("USAGE_STATISTICS", True)
    app.config.setdefault("USAGE_FLUSH_SECONDS", 10.0)
    buffer = _Buffer()
    app.extensions["usage_buffer"] = buffer

    @app.after_request
    def _count_usage(response):
        if current_app.config["USAGE_STATISTICS"]:
            try:
                counts = _request_counts(response.status_code)
            except Exception:  # never break a page
                log.warning("usage count skipped", exc_info=True)
                counts = []
            due = buffer.take(counts, current_app.config["USAGE_FLUSH_SECONDS"])
            if due:
                _write(due)
        return response

    _STOPPING_APPS.add(app)
