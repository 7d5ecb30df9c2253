"""What the back-office API (intake/backoffice.py) does that changes something or is refused: a
call without a valid token, a token asked for, a status changed. Each function makes the change
and commits — or rolls back — and writes its audit record (actor ``backoffice:<client_id>``, role
``backoffice``), like :mod:`intake.resident_actions` for the resident API, so the endpoint only
parses the request and answers.

The records of what a client *reads* (a list, an application, an attachment, the statuses) stay
with the endpoints, where the reading happens (tests/unit/test_views_stay_thin.py).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import aware, db
from intake import applications, backoffice_auth, workflow
from intake.backoffice_models import BackofficeAck, BackofficeClient, BackofficeIdempotency
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


def stored_answer(client: BackofficeClient, key: str) -> BackofficeIdempotency | None:
    """The answer kept for this client's ``Idempotency-Key`` (None: none, or expired)."""
    row = db.session.scalar(select(BackofficeIdempotency).where(BackofficeIdempotency.client_pk == client.id,
                                                                BackofficeIdempotency.key == key))
    if row is None or aware(row.expires_at) <= backoffice_auth.utcnow():
        return None
    return row


def replayed(client: BackofficeClient, application: Application, key_row: BackofficeIdempotency) -> None:
    """The same request again with the same key: nothing changes; the record says so."""
    audit.record("backoffice.status_change", target=f"application:{application.id}", actor=actor(client), role=ROLE,
                 details={"idempotent_replay": True, "status": application.status})


def key_reused(client: BackofficeClient, application: Application) -> None:
    audit.record("backoffice.status_change", target=f"application:{application.id}", result="denied",
                 actor=actor(client), role=ROLE, details={"code": "idempotency_key_reused"})


def _keep_answer(client: BackofficeClient, key: str, request_hash: str, answer: dict[str, Any],
                 keep: dt.timedelta) -> None:
    now = backoffice_auth.utcnow()
    db.session.execute(delete(BackofficeIdempotency).where(BackofficeIdempotency.client_pk == client.id,
                                                           BackofficeIdempotency.expires_at <= now))
    db.session.add(BackofficeIdempotency(client_pk=client.id, key=key, request_hash=request_hash, status_code=200,
                                         response_json=json.dumps(answer, ensure_ascii=False), created_at=now,
                                         expires_at=now + keep))


def acknowledge(client: BackofficeClient, application: Application) -> BackofficeAck:
    """取込済: the client took this revision of the application in (the latest acknowledgement
    is kept, one per client), committed and audited. Staff see it on the application and the inbox."""
    ack = db.session.scalar(select(BackofficeAck).where(BackofficeAck.application_id == application.id,
                                                        BackofficeAck.client_pk == client.id))
    now = backoffice_auth.utcnow().replace(microsecond=0)
    if ack is None:
        ack = BackofficeAck(application_id=application.id, client_pk=client.id, revision=application.revision,
                            acked_at=now)
        db.session.add(ack)
    else:
        ack.revision, ack.acked_at = application.revision, now
    try:
        db.session.commit()
    except IntegrityError:  # the same client acknowledged at the same moment: theirs stands
        db.session.rollback()
        ack = db.session.scalar(select(BackofficeAck).where(BackofficeAck.application_id == application.id,
                                                            BackofficeAck.client_pk == client.id))
    audit.record("backoffice.ack", target=f"application:{application.id}", actor=actor(client), role=ROLE,
                 details={"receipt": application.receipt_number, "revision": application.revision})
    return ack


def acknowledgements(application_ids: list[str]) -> dict[str, list[tuple[BackofficeAck, BackofficeClient]]]:
    """application id -> its acknowledgements with their clients (for the staff console)."""
    if not application_ids:
        return {}
    rows = db.session.execute(select(BackofficeAck, BackofficeClient)
                              .join(BackofficeClient, BackofficeClient.id == BackofficeAck.client_pk)
                              .where(BackofficeAck.application_id.in_(application_ids))
                              .order_by(BackofficeAck.acked_at)).all()
    found: dict[str, list[tuple[BackofficeAck, BackofficeClient]]] = {}
    for ack, client in rows:
        found.setdefault(ack.application_id, []).append((ack, client))
    return found


def change_status(client: BackofficeClient, application: Application, status: str, *, note: str,
                  field_comments: dict[str, Any] | None, needs_second_approver: bool,
                  idempotency: tuple[str, str, dt.timedelta] | None = None,
                  answer: Callable[[Application, ApplicationEvent], dict[str, Any]] | None = None,
                  ) -> tuple[ApplicationEvent, dict[str, Any]] | None:
    """The status changed as staff would (the resident gets the e-mail), committed and audited;
    refused (rolled back, audited as denied) with ApplicationError. Returns the event and the
    answer (``answer(application, event)``); with ``idempotency`` (key, request hash, how long to
    keep it) the answer is kept in the same transaction as the change, so a retry finds it. None:
    the same key was used by a request committed at the same moment (read its answer)."""
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
    body = answer(application, event) if answer is not None else {}
    event_id = event.id
    if idempotency is not None:
        key, request_hash, keep = idempotency
        _keep_answer(client, key, request_hash, body, keep)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    audit.record("backoffice.status_change", target=target, actor=who, role=ROLE,
                 details={"from": before, "to": application.status, "event": event_id})
    return event, body
