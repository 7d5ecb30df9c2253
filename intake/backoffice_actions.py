"""What the back-office API (intake/backoffice.py) does that changes something or is refused: a
call without a valid token, a token asked for, a status changed. Each function makes the change
and commits — or rolls back — and writes its audit record (actor ``backoffice:<client_id>``, role
``backoffice``), like :mod:`intake.resident_actions` for the resident API, so the endpoint only
parses the request and answers.

The records of what a client *reads* (a list, an application, an attachment, the statuses) stay
with the endpoints, where the reading happens (tests/unit/test_views_stay_thin.py).
"""
from __future__ import annotations

from typing import Any

from core import audit
from core.db import db
from intake import applications, backoffice_auth, workflow
from intake.backoffice_models import BackofficeClient
from intake.models import Application, ApplicationEvent

ROLE = "backoffice"


def actor(client: BackofficeClient) -> str:
    return f"backoffice:{client.client_id}"


def record_read(client: BackofficeClient, action: str, *, target: str = "", result: str = "ok",
                details: dict[str, Any] | None = None) -> None:
    """The audit record of what ``client`` read (written by the endpoint that reads it)."""
    audit.record(action, target=target, result=result, details=details, actor=actor(client), role=ROLE)


def authenticate(authorization: str, path: str) -> BackofficeClient | None:
    """The client of the ``Authorization: Bearer …`` header; None (recorded as a denied call)
    when there is no token, or it is unknown, expired or its client disabled."""
    scheme, _, value = authorization.partition(" ")
    client = backoffice_auth.client_for_token(value.strip()) if scheme.lower() == "bearer" else None
    if client is None:
        audit.record("backoffice.call", target=path, result="denied", actor="anonymous", role=ROLE,
                     details={"reason": "missing" if not value else "invalid_or_expired"})
    return client


def issue_token(client_id: str, secret: str) -> str | None:
    """A new bearer token for the client whose secret this is (committed, audited); None (audited
    as failed) when the credentials are wrong."""
    client = backoffice_auth.check_credentials(client_id, secret) if client_id or secret else None
    if client is None:
        audit.record("backoffice.token", target=client_id[:64], result="failed", actor="anonymous", role=ROLE)
        return None
    issued = backoffice_auth.issue_token(client)
    cid = client.client_id
    db.session.commit()
    audit.record("backoffice.token", target=cid, actor=f"backoffice:{cid}", role=ROLE)
    return issued


def status_change_not_found(client: BackofficeClient, receipt_number: str) -> None:
    """A status change asked for an application the client cannot see (none, or out of scope)."""
    audit.record("backoffice.status_change", target=f"receipt:{receipt_number[:40]}", result="denied",
                 actor=actor(client), role=ROLE)


def change_status(client: BackofficeClient, application: Application, status: str, *, note: str,
                  field_comments: dict[str, Any] | None, needs_second_approver: bool) -> ApplicationEvent:
    """The status changed as staff would (the resident gets the e-mail), committed and audited;
    refused (rolled back, audited as denied) with ApplicationError."""
    who = actor(client)
    before = application.status
    target = f"application:{application.id}"
    try:
        event = applications.change_status(
            application, status, who=workflow.STAFF, actor=who, note=note, field_comments=field_comments,
            needs_second_approver=needs_second_approver)
    except applications.ApplicationError as exc:
        db.session.rollback()
        audit.record("backoffice.status_change", target=target, result="denied", actor=who, role=ROLE,
                     details={"from": before, "to": status, "code": exc.code})
        raise
    db.session.commit()
    audit.record("backoffice.status_change", target=target, actor=who, role=ROLE,
                 details={"from": before, "to": application.status, "event": event.id})
    return event
