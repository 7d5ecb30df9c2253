"""Wires the platform into the app: security, staff access, audit, encryption, mail, monitoring,
statistics. Each part lives in its own module with one ``init_*`` function."""
from __future__ import annotations

from flask import Flask

from core import audit, auth, crypto, monitoring, outbox, security, usage


def init_platform(app: Flask) -> None:

    security.init_security(app)  # headers, CSP nonces, CSRF, rate limits, request ids, logs
    crypto.init_crypto(app)  # keyring for personal data
    audit.init_audit(app)  # tamper-evident audit log + CLI
    auth.init_auth(app)  # staff accounts, sessions, roles, /staff login
    outbox.init_outbox(app)  # transactional outbox + `flask worker`
    monitoring.init_monitoring(app)  # /healthz /readyz /metrics, security monitor
    usage.init_usage(app)  # usage statistics (counts only)
