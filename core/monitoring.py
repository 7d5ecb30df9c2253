"""Health, readiness and Prometheus metrics; wires the security monitor (core.alerts).

- ``GET /healthz``: the process answers (200 JSON), for the load balancer; open to everyone.
- ``GET /readyz``: the database answers ``SELECT 1`` (and Redis ``PING`` when ``REDIS_URL`` is
  set): 200, else 503, JSON either way (no internal detail in it; the cause is logged).
- ``GET /metrics``: Prometheus text format.

``/readyz`` and ``/metrics`` answer 404 outside ``METRICS_NETWORKS`` (CIDRs, seen through
``TRUSTED_PROXY_COUNT`` proxies).

Metrics::

    http_requests_total{method,route,status}       route = the URL rule ("/guide/<event>"), never the path
    http_request_duration_seconds{method,route}    histogram
    http_server_errors_total{route}                5xx answers
    staff_logins_total{result="success|failure"}   LOGINS   (core.auth increments it)
    staff_lockouts_total                           LOCKOUTS (core.auth increments it)
    audit_chain_ok                                 1 verified, 0 broken, NaN not checked (yet)
    outbox_backlog / outbox_failed                 pending / failed outbox messages (at scrape)
    security_alerts_total{kind} / security_alerts_active

Several gunicorn workers (multiprocess mode): set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory writable by the workers, in the environment of gunicorn itself (prometheus-client
reads it at import), empty it before each start, and mark dead workers in ``gunicorn.conf.py``::

    def child_exit(server, worker):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)

``/metrics`` then sums every worker's counters and histograms; gauges report the most recent value
of the live workers. Without the variable each process has its own simple registry (fine for one
process, e.g. ``flask run``).
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

import redis
from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text

from core import alerts, audit
from core.audit_chain import VerifyResult
from core.db import db, without_connect_wait
from core.outbox import counts as outbox_counts
from core.security import client_ip, in_networks
from core.words import N_, Message

log = logging.getLogger(__name__)

REQUESTS = Counter("http_requests", "HTTP requests by route (URL rule), method and status",
                   ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Time to answer, by route (URL rule) and method",
                    ["method", "route"])
ERRORS = Counter("http_server_errors", "Answers with a 5xx status, by route (URL rule)", ["route"])
LOGINS = Counter("staff_logins", "Staff login attempts by result (success, failure)", ["result"])
LOCKOUTS = Counter("staff_lockouts", "Staff accounts locked after repeated failures")
AUDIT_CHAIN_OK = Gauge("audit_chain_ok", "Audit log chain verified (1), broken (0), not checked (NaN)",
                       multiprocess_mode="livemostrecent")
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox messages waiting to be sent (pending)",
                       multiprocess_mode="livemostrecent")
OUTBOX_FAILED = Gauge("outbox_failed", "Outbox messages given up on (failed)", multiprocess_mode="livemostrecent")
SECURITY_ALERTS = Counter("security_alerts", "Security alerts raised, by kind", ["kind"])
ACTIVE_ALERTS = Gauge("security_alerts_active", "Security alerts not yet acknowledged",
                      multiprocess_mode="livemostrecent")
for _result in ("success", "failure"):
    LOGINS.labels(result=_result)
AUDIT_CHAIN_OK.set(math.nan)

UNMATCHED = "(unmatched)"  # 404s: never the raw path as a label (cardinality, personal data)
_audit_lock = threading.Lock()
_audit_checked: dict[str, float] = {}  # database → monotonic time of the last check

bp = Blueprint("monitoring", __name__)


def metrics_allowed() -> bool:
    return in_networks(client_ip(), current_app.config["METRICS_NETWORKS"])


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    if not metrics_allowed():
        abort(404)
    checks: dict[str, str] = {}
    try:
        with without_connect_wait(), db.engine.connect() as conn:  # the balancer must hear "not ready" now
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("readiness: database unreachable", extra={"error": type(exc).__name__})
        checks["database"] = "unavailable"
    if current_app.config.get("REDIS_URL"):
        try:
            client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=1.0,
                                          socket_connect_timeout=1.0)
            try:
                client.ping()
            finally:
                client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            log.warning("readiness: Redis unreachable", extra={"error": type(exc).__name__})
            checks["redis"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ready" if ready else "unavailable", "checks": checks}), 200 if ready else 503


def _registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _scrape_gauges() -> None:
    """Values read from the database at scrape time; a database problem leaves them as they were."""
    try:
        by_status = outbox_counts()
        OUTBOX_BACKLOG.set(by_status.get("pending", 0))
        OUTBOX_FAILED.set(by_status.get("failed", 0))
        ACTIVE_ALERTS.set(len(alerts.active_alerts(limit=1000)))
    except Exception as exc:
        log.warning("metrics: database unreachable", extra={"error": type(exc).__name__})
        db.session.rollback()
    every = float(current_app.config.get("AUDIT_CHECK_SECONDS", 300))
    database = str(current_app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    with _audit_lock:
        last = _audit_checked.get(database)
        due = every >= 0 and (last is None or time.monotonic() - last >= every)
        if due:
            _audit_checked[database] = time.monotonic()
    if due:
        try:
            check_audit_chain()
        except Exception:
            log.exception("audit chain check failed")
            db.session.rollback()


@bp.get("/metrics")
def metrics():
    if not metrics_allowed():
        abort(404)
    _scrape_gauges()
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


# --- the audit chain --------------------------------------------------------------------------

_PROBLEMS = {"altered": N_("記録の改ざん"), "missing": N_("記録の欠落"), "truncated": N_("末尾の記録の削除"),
             "anchor": N_("外部に書き出した値（アンカー）との不一致"), "start": N_("削除起点の改ざん")}
_FAILED = N_("監査ログの改ざん検知（ハッシュチェーンの検証）に失敗しました。`flask audit verify` で詳細を確認してください。")
_FAILED_WITH = N_("監査ログの改ざん検知（ハッシュチェーンの検証）に失敗しました（%(detail)s）。"
                  "`flask audit verify` で詳細を確認してください。")
_AT_RECORD = N_("%(problem)s、記録番号 %(record)s")


def _outcome(result: VerifyResult) -> tuple[bool, Message, str]:
    """(ok, the alert's words, dedupe fingerprint) of a chain verification."""
    problem: Message | str = Message(_PROBLEMS[result.kind]) if result.kind in _PROBLEMS else (result.kind or "")
    if result.record_id is not None:
        detail: Message | str = (Message(_AT_RECORD, problem=problem, record=result.record_id) if problem
                                 else Message(N_("記録番号 %(record)s"), record=result.record_id))
    else:
        detail = problem
    message = Message(_FAILED_WITH, detail=detail) if detail else Message(_FAILED)
    return result.ok, message, f"{result.kind}:{result.record_id}"


def check_audit_chain() -> bool:
    """Verify the audit chain (core.audit), set ``AUDIT_CHAIN_OK`` and raise an ``audit_chain``
    alert when it fails (once per distinct problem)."""
    ok, message, fingerprint = _outcome(audit.verify_chain())
    AUDIT_CHAIN_OK.set(1 if ok else 0)
    if not ok:
        alerts.raise_soon("audit_chain", message, dedupe_key=f"audit_chain:{fingerprint}"[:200])
    return ok


# --- per-request metrics and 5xx --------------------------------------------------------------

def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _before() -> None:
    g._metrics_started = time.perf_counter()


def _after(response: Response) -> Response:
    try:
        route, method, status = _route(), request.method, response.status_code
        REQUESTS.labels(method=method, route=route, status=str(status)).inc()
        started = g.get("_metrics_started") or g.get("started")
        if started is not None:
            LATENCY.labels(method=method, route=route).observe(max(time.perf_counter() - started, 0.0))
        if status >= 500:
            ERRORS.labels(route=route).inc()
            if request.endpoint != "monitoring.readyz":  # "not ready" is reported, not an error spike
                alerts.note("server_error")
    except Exception:  # metrics must never break an answer
        log.exception("metrics: could not record the request")
    return response


def init_monitoring(app: Flask) -> None:
    app.before_request(_before)  # the blueprint bp is registered by the app factory (app.py)
    app.after_request(_after)
    alerts.init_alerts(app)
