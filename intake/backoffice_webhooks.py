"""A signed webhook for back-office clients that register a URL: a small POST when an application's
status moves (sent, resubmitted, changed), so the 申請管理システム knows to pull it. Pulling stays
the main way (GET /api/v1/backoffice/applications?since=…); a webhook only says "look again".

The body is only the 受付番号, an event id and the event type (no personal data)::

    {"event_id": 4711, "event_type": "application.status_changed", "receipt_number": "260401-000123"}

signed with the client's own secret: header ``X-Backoffice-Signature: sha256=<hex HMAC-SHA256 of the
body bytes>``. The event id is the ApplicationEvent id (the back-office cursor); a receiver
ignores an id it has seen (a retry may repeat a delivery). Deliveries go through the outbox
(core.outbox, kind ``webhook``): written in the same transaction as the change, retried with
back-off, an alert after the last try. Plain Python (no Flask request needed).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select

from core.db import db
from core.outbox import enqueue_webhook
from intake import workflow
from intake.backoffice_models import BackofficeClient
from intake.models import Application, ApplicationEvent

SIGNATURE_HEADER = "X-Backoffice-Signature"
SUBMITTED, RESUBMITTED, CHANGED = "application.submitted", "application.resubmitted", "application.status_changed"
EVENT_TYPES = (SUBMITTED, RESUBMITTED, CHANGED)
MAX_URL = 2000


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def url_problem(url: str) -> str | None:
    """Why this URL cannot take webhooks (None: it can)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an http(s) URL such as https://shinsei.example.lg.jp/hooks/guide"
    if len(url) > MAX_URL or parts.username or parts.password:
        return f"at most {MAX_URL} characters, no user or password in it"
    return None


def register(client: BackofficeClient, url: str | None) -> str | None:
    """Set (a new secret, returned once) or clear (None) the client's webhook. The caller commits."""
    if url is None:
        client.webhook_url = client.webhook_secret = None
        return None
    client.webhook_url = url
    client.webhook_secret = secrets.token_urlsafe(32)
    return client.webhook_secret


def event_type(event: ApplicationEvent) -> str | None:
    if event.kind != "status" or event.to_status in workflow.BEFORE_SUBMISSION or event.to_status is None:
        return None
    if event.to_status == workflow.SUBMITTED:
        return RESUBMITTED if event.from_status == workflow.CORRECTION else SUBMITTED
    return CHANGED


def enqueue(application: Application, event: ApplicationEvent) -> int:
    """Queue the webhook of this event for every active client with a URL that sees the
    application (its departments). Adds to the session, never commits. Returns how many."""
    kind = event_type(event)
    if kind is None or not application.receipt_number:
        return 0
    clients = db.session.scalars(select(BackofficeClient).where(BackofficeClient.active.is_(True),
                                                                BackofficeClient.webhook_url.is_not(None)))
    queued = 0
    for client in clients:
        if client.department_ids and application.department_id not in client.department_ids:
            continue
        if not client.webhook_secret or not client.webhook_url:
            continue
        body = json.dumps({"event_id": event.id, "event_type": kind, "receipt_number": application.receipt_number},
                          ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(client.webhook_secret, body.encode()),
                   "X-Backoffice-Event": kind, "X-Backoffice-Event-Id": str(event.id)}
        if enqueue_webhook(client.webhook_url, body, headers, dedupe_key=f"webhook:{client.id}:{event.id}"):
            queued += 1
    return queued
