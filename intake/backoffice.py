"""The back-office API for a 申請管理システム (like ぴったりサービスの受取API): a client-credentials
token, applications changed since a cursor, one application by 受付番号 with its attachments and
signature evidence, the statuses, and status changes (the resident gets the e-mail).

Every call is audited with the actor ``backoffice:<client_id>`` and rate-limited per client; a
client scoped to departments sees only their applications (others answer 404, like staff). What
changes something (a token, a status) is done, committed and audited in intake/backoffice_actions.py;
the records of what a client reads are written here, where the reading happens.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.db import db
from core.errors import AppError, refusal_response
from core.security import client_ip, limiter
from intake import applications, backoffice_actions, backoffice_auth, workflow
from intake.api import current_form
from intake.backoffice_models import BackofficeClient
from intake.models import Application, ApplicationAttachment, ApplicationEvent
from intake.payments.models import Payment

bp = Blueprint("backoffice_api", __name__, url_prefix="/api/v1/backoffice")
log = logging.getLogger(__name__)
MAX_CURSOR = 2**31 - 1  # event ids are 32-bit integers
MAX_LIMIT, DEFAULT_LIMIT = 200, 100
MAX_NOTE = 4000
# Events younger than this are held back one poll: on PostgreSQL an event id is taken before its
# transaction commits, so a slower transaction can make a lower id visible after a higher one.
SETTLE_SECONDS = 2
NO_RECEIPT = _l("この受付番号の申請はありません。")
MEDIA_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}


def _client() -> BackofficeClient:
    return g.backoffice_client


def _audit(action: str, target: str = "", result: str = "ok", details: dict | None = None) -> None:
    """The record of a read (a list, an application, an attachment, the statuses)."""
    backoffice_actions.record_read(_client(), action, target=target, result=result, details=details)


def _iso(moment: dt.datetime | None) -> str | None:
    return applications.aware(moment).isoformat() if moment is not None else None


# --- authentication -------------------------------------------------------------------------------

@bp.before_request
def _authenticate():
    if request.endpoint == "backoffice_api.token":
        return None
    client = backoffice_actions.authenticate(request.headers.get("Authorization", ""), request.path)
    if client is None:
        raise AppError("invalid_token", _l("アクセストークンがないか、有効期限が切れています。トークンを取り直してください。"),
                       401, headers={"WWW-Authenticate": 'Bearer realm="backoffice", error="invalid_token"'})
    g.backoffice_client = client
    return None


def _client_key() -> str:
    client = getattr(g, "backoffice_client", None)
    return f"backoffice:{client.client_id}" if client is not None else f"ip:{client_ip()}"


CALLS_PER_CLIENT = "600 per minute"


def _calls_per_client() -> str:
    return current_app.config.get("BACKOFFICE_RATE_LIMIT", CALLS_PER_CLIENT)


per_client = limiter.shared_limit(_calls_per_client, scope="backoffice", key_func=_client_key)


@bp.errorhandler(429)
def _too_many(_exc):
    return refusal_response(AppError("rate_limited", _l("リクエストが多すぎます。少し待ってから、もう一度お試しください。"), 429))


@bp.post("/token")
@limiter.limit("10 per minute")  # per client address
def token():
    """OAuth2 client credentials: HTTP Basic (client_id:secret) or the form fields."""
    grant = request.form.get("grant_type")
    if grant is not None and grant != "client_credentials":
        raise AppError("unsupported_grant_type", _l("grant_type には client_credentials を指定してください。"),
                       fields={"grant_type": _l("client_credentials を指定してください。")})
    basic = request.authorization
    if basic is not None and basic.type == "basic":
        client_id, secret = basic.username or "", basic.password or ""
    else:
        client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
        if (client_id or secret) and grant is None:
            raise AppError("invalid_request", _l("grant_type=client_credentials を指定してください。"),
                           fields={"grant_type": _l("client_credentials を指定してください。")})
    issued = backoffice_actions.issue_token(client_id, secret)
    if issued is None:
        raise AppError("invalid_client", _l("クライアントIDまたはシークレットが違います。"), 401,
                       headers={"WWW-Authenticate": 'Basic realm="backoffice", charset="UTF-8"'})
    return jsonify({"access_token": issued, "token_type": "Bearer", "expires_in": backoffice_auth.TOKEN_SECONDS}), \
        200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


# --- reading --------------------------------------------------------------------------------------

def _int_arg(name: str, default: int, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not low <= int(raw) <= high:
        return None
    return int(raw)


def _in_scope(department_id: str) -> bool:
    scope = _client().department_ids
    return not scope or department_id in scope


def _scoped(receipt_number: str) -> Application | None:
    application = db.session.scalar(select(Application).where(Application.receipt_number == receipt_number[:20]))
    if application is None or not _in_scope(application.department_id):
        return None
    return application


@bp.get("/applications")
@per_client
def list_applications():
    """Applications changed after the cursor (an ApplicationEvent id), each once, oldest change first."""
    since = _int_arg("since", 0, 0, MAX_CURSOR)
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    problems = {}
    if since is None:
        problems["since"] = _l("0 以上の整数（前回の next_cursor）を指定してください。")
    if limit is None:
        problems["limit"] = _l("1 から %(most)s までの整数を指定してください。", most=MAX_LIMIT)
    if problems:
        raise AppError("invalid_request", _l("指定を確認してください。"), fields=problems)
    latest = func.max(ApplicationEvent.id).label("event_id")
    changed = (select(ApplicationEvent.application_id, latest)
               .join(Application, Application.id == ApplicationEvent.application_id)
               .where(ApplicationEvent.id > since, Application.receipt_number.is_not(None)))
    settle = current_app.config.get("BACKOFFICE_SETTLE_SECONDS", SETTLE_SECONDS)
    if settle:
        changed = changed.where(ApplicationEvent.at <= applications.now_utc() - dt.timedelta(seconds=settle))
    if _client().department_ids:
        changed = changed.where(Application.department_id.in_(_client().department_ids))
    page = changed.group_by(ApplicationEvent.application_id).order_by(latest).limit(limit).subquery()
    rows = db.session.execute(
        select(page.c.event_id, Application.id, Application.receipt_number, Application.procedure_id,
               Application.department_id, Application.status, Application.updated_at, Application.submitted_at)
        .join(Application, Application.id == page.c.application_id).order_by(page.c.event_id)).all()
    items = [{"receipt_number": r.receipt_number, "id": r.id, "procedure_id": r.procedure_id,
              "department_id": r.department_id, "status": r.status, "updated_at": _iso(r.updated_at),
              "submitted_at": _iso(r.submitted_at), "event_id": r.event_id} for r in rows]
    cursor = max((r.event_id for r in rows), default=since)
    _audit("backoffice.list", target=f"cursor:{since}", details={"returned": len(items), "next_cursor": cursor})
    return jsonify({"applications": items, "next_cursor": cursor})


def _payments(application: Application) -> list[dict]:

    rows = db.session.scalars(select(Payment).where(Payment.application_id == application.id).order_by(Payment.created_at))
    return [{"id": p.id, "provider": p.provider, "amount": p.amount, "status": p.status,
             "refunded_amount": p.refunded_amount, "paid_at": _iso(p.paid_at), "receipt_number": p.receipt_number}
            for p in rows]


def _event(event: ApplicationEvent) -> dict:
    return {"id": event.id, "at": _iso(event.at), "kind": event.kind, "actor": event.actor,
            "from_status": event.from_status, "to_status": event.to_status, "note": event.note,
            "field_comments": json.loads(event.field_comments_json) if event.field_comments_json else None}


def _attachment(application: Application, att: ApplicationAttachment) -> dict:
    return {"name": att.name, "field_id": att.field_id, "kind": att.kind, "media_type": MEDIA_TYPES.get(att.kind),
            "size": att.size, "sha256": att.sha256, "filename": att.filename,
            "download_url": url_for("backoffice_api.download_attachment", receipt_number=application.receipt_number,
                                    name=att.name, _external=True)}


def _signature(application: Application) -> dict | None:
    if not applications.is_signed(application):
        return None
    return {"payload": base64.b64encode(application.payload.encode("utf-8")).decode(),
            "signature": application.signature_b64, "certificate": application.certificate_pem,
            "serial": application.cert_serial, "issuer": application.cert_issuer,
            "checked_at": _iso(application.signature_checked_at),
            "revocation_evidence": json.loads(application.revocation_evidence) if application.revocation_evidence else [],
            "signer": applications.signer(application), "identity": applications.identity(application)}


@bp.get("/applications/<receipt_number>")
@per_client
def get_application(receipt_number: str):
    application = _scoped(receipt_number)
    if application is None:
        _audit("backoffice.view", target=f"receipt:{receipt_number[:40]}", result="denied")
        raise AppError("not_found", NO_RECEIPT, 404)
    body = {
        "receipt_number": application.receipt_number, "id": application.id,
        "procedure_id": application.procedure_id, "department_id": application.department_id,
        "status": application.status,
        "status_label": {"ja": workflow.label(application.status, "ja"), "en": workflow.label(application.status, "en")},
        "channel": application.channel, "locale": application.locale, "revision": application.revision,
        "created_at": _iso(application.created_at), "updated_at": _iso(application.updated_at),
        "submitted_at": _iso(application.submitted_at), "decided_at": _iso(application.decided_at),
        "closed_at": _iso(application.closed_at),
        "email": application.email, "fields": applications.values(application),
        "fee": {"amount": application.fee_amount, "timing": application.payment_timing,
                "state": application.payment_state, "payments": _payments(application)},
        "events": [_event(e) for e in applications.events(application)],
        "attachments": [_attachment(application, a) for a in applications.attachments(application)],
        "signature": _signature(application),
    }
    _audit("backoffice.view", target=f"application:{application.id}", details={"receipt": application.receipt_number})
    return jsonify(body)


@bp.get("/applications/<receipt_number>/attachments/<name>")
@per_client
def download_attachment(receipt_number: str, name: str):
    application = _scoped(receipt_number)
    att = None
    if application is not None:
        att = db.session.scalar(select(ApplicationAttachment).where(
            ApplicationAttachment.name == name[:32], ApplicationAttachment.application_id == application.id))
    if att is None:
        _audit("backoffice.download", target=f"receipt:{receipt_number[:40]}", result="denied")
        raise AppError("not_found", _l("この添付ファイルはありません。"), 404)
    data = att.data
    digest = hashlib.sha256(data).digest()
    if digest.hex() != att.sha256:  # what is served must be what was signed
        log.error("attachment digest mismatch", extra={"attachment": att.name})
        _audit("backoffice.download", target=f"attachment:{att.name}", result="failed", details={"reason": "digest"})
        raise AppError("attachment_corrupt", _l("添付ファイルが壊れています。システム管理者に連絡してください。"), 500)
    _audit("backoffice.download", target=f"attachment:{att.name}", details={"application": application.id})
    response = Response(data, mimetype="application/octet-stream")
    extension = {"jpeg": "jpg"}.get(att.kind, att.kind)
    filename = att.filename if att.filename.lower().endswith(f".{extension}") else f"{att.name}.{extension}"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(digest).decode()}:"  # RFC 9530
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.get("/statuses")
@per_client
def statuses():
    _audit("backoffice.statuses")
    return jsonify({"statuses": [
        {"id": s, "label": {"ja": workflow.label(s, "ja"), "en": workflow.label(s, "en")},
         "transitions": workflow.next_statuses(s, workflow.STAFF), "closed": s in workflow.CLOSED,
         "before_submission": s in workflow.BEFORE_SUBMISSION}
        for s in workflow.STATUSES]})


# --- changing a status ----------------------------------------------------------------------------

def _field_ids(procedure_id: str) -> set[str] | None:
    form = current_form(procedure_id)
    return set(form.fields) if form is not None else None


def _needs_second_approver(procedure_id: str) -> bool:
    """As in the staff console: such a 承認 needs a staff member's 一次承認 first."""
    form = current_form(procedure_id)
    review = getattr(form.definition, "review", None) if form is not None else None
    return bool(getattr(review, "second_approver", False))


def _status_request(application: Application) -> tuple[dict | None, dict[str, object]]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, {"body": _l("JSON オブジェクトを送ってください。")}
    problems: dict[str, object] = {}
    if body.get("status") not in workflow.STATUSES:
        problems["status"] = _l("状態を GET /api/v1/backoffice/statuses の id で指定してください。")
    note = body.get("note", "")
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        problems["note"] = _l("%(most)s文字までの文字列で指定してください。", most=MAX_NOTE)
    comments = body.get("field_comments") or {}
    if not isinstance(comments, dict) or not all(isinstance(v, str) and len(v) <= MAX_NOTE for v in comments.values()):
        problems["field_comments"] = _l("項目IDと文字列の組（オブジェクト）で指定してください。")
    elif comments:
        known = _field_ids(application.procedure_id)
        unknown = [k for k in comments if known is not None and k not in known]
        if unknown:
            problems["field_comments"] = _l("この手続きにない項目です：%(ids)s", ids=", ".join(sorted(unknown))[:200])
    if problems:
        return None, problems
    return {"status": body["status"], "note": note.strip(), "field_comments": comments or None}, {}


@bp.post("/applications/<receipt_number>/status")
@per_client
def change_status(receipt_number: str):
    application = _scoped(receipt_number)
    if application is None:
        backoffice_actions.status_change_not_found(_client(), receipt_number)
        raise AppError("not_found", NO_RECEIPT, 404)
    wanted, problems = _status_request(application)
    if wanted is None:
        raise AppError("invalid_request", _l("入力内容を確認してください。"), fields=problems)
    event = backoffice_actions.change_status(
        _client(), application, wanted["status"], note=wanted["note"], field_comments=wanted["field_comments"],
        needs_second_approver=_needs_second_approver(application.procedure_id))
    return jsonify({"receipt_number": application.receipt_number, "status": application.status,
                    "label": {"ja": workflow.label(application.status, "ja"),
                              "en": workflow.label(application.status, "en")},
                    "event_id": event.id, "updated_at": _iso(application.updated_at)})
