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
import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.db import db
from core.errors import AppError, refusal_response
from core.japan_time import JST
from core.security import client_ip, limiter
from intake import applications, backoffice_actions, backoffice_auth, backoffice_status_map, workflow
from intake.api import current_form
from intake.backoffice_models import BackofficeAck, BackofficeClient
from intake.forms import Form, choices_of
from intake.forms_schema import Field
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
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,64}$")
IDEMPOTENCY_HOURS = 24
MEDIA_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}


def _client() -> BackofficeClient:
    return g.backoffice_client


def _status_map() -> backoffice_status_map.StatusMap | None:
    """The client's status map (None: our codes). A map stored broken reads as none (the CLI
    refuses to store one)."""
    if "backoffice_status_map" not in g:
        try:
            g.backoffice_status_map = backoffice_status_map.parse(_client().status_map)
        except backoffice_status_map.StatusMapError:
            log.error("unusable status map", extra={"client": _client().client_id})
            g.backoffice_status_map = None
    return g.backoffice_status_map


def _out(status: str | None) -> str | None:
    """Our status as this client reads it."""
    mapping = _status_map()
    return mapping.external(status) if mapping is not None else status


def _status_fields(status: str) -> dict[str, Any]:
    """``status`` in the client's codes, with ours beside it when they differ."""
    fields: dict[str, Any] = {"status": _out(status)}
    if _status_map() is not None:
        fields["status_internal"] = status
    return fields


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


def _day(raw: str | None) -> dt.date | bool | None:
    """A query date (YYYY-MM-DD): None when absent, False when malformed."""
    if raw is None or raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else False
    except ValueError:
        return False


def _jst_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=JST).astimezone(dt.UTC)


def _list_filters() -> tuple[dict[str, Any], dict[str, object]]:
    """procedure, status (in the client's codes), submitted_from / submitted_to (dates in Japan
    time, both included): the filters of the listing, or the problems with them."""
    problems: dict[str, object] = {}
    wanted: dict[str, Any] = {}
    procedure = request.args.get("procedure")
    if procedure:
        if len(procedure) > 64 or current_form(procedure) is None:
            problems["procedure"] = _l("この手続きはオンラインで申請できません。")
        wanted["procedure"] = procedure
    status = request.args.get("status")
    if status:
        mapping = _status_map()
        ours = mapping.internal(status) if mapping is not None else (status if status in workflow.STATUSES else None)
        if ours is None:
            problems["status"] = _l("状態を GET /api/v1/backoffice/statuses の id で指定してください。")
        wanted["status"] = ours
    start, end = _day(request.args.get("submitted_from")), _day(request.args.get("submitted_to"))
    for name, day in (("submitted_from", start), ("submitted_to", end)):
        if day is False:
            problems[name] = _l("日付は 2026-04-01 の形で指定してください。")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        problems["submitted_to"] = _l("受付日（まで）は、受付日（から）と同じ日か、それより後の日にしてください。")
    if isinstance(start, dt.date):
        wanted["from"] = _jst_midnight(start)
    if isinstance(end, dt.date):
        wanted["until"] = _jst_midnight(end + dt.timedelta(days=1))
    return wanted, problems


def _acked(application_ids: list[str]) -> dict[str, BackofficeAck]:
    """This client's acknowledgements of these applications."""
    if not application_ids:
        return {}
    return {a.application_id: a for a in db.session.scalars(select(BackofficeAck).where(
        BackofficeAck.client_pk == _client().id, BackofficeAck.application_id.in_(application_ids)))}


def _acknowledged_at(ack: BackofficeAck | None, revision: int) -> str | None:
    """When this revision was acknowledged (a resubmission after 補正 is not, until acknowledged again)."""
    return _iso(ack.acked_at) if ack is not None and ack.revision == revision else None


@bp.get("/applications")
@per_client
def list_applications():
    """Applications changed after the cursor (an ApplicationEvent id), each once, oldest change first."""
    since = _int_arg("since", 0, 0, MAX_CURSOR)
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    wanted, problems = _list_filters()
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
    if "procedure" in wanted:
        changed = changed.where(Application.procedure_id == wanted["procedure"])
    if "status" in wanted:
        changed = changed.where(Application.status == wanted["status"])
    if "from" in wanted:
        changed = changed.where(Application.submitted_at >= wanted["from"])
    if "until" in wanted:
        changed = changed.where(Application.submitted_at < wanted["until"])
    page = changed.group_by(ApplicationEvent.application_id).order_by(latest).limit(limit).subquery()
    rows = db.session.execute(
        select(page.c.event_id, Application.id, Application.receipt_number, Application.procedure_id,
               Application.department_id, Application.status, Application.updated_at, Application.submitted_at,
               Application.revision)
        .join(Application, Application.id == page.c.application_id).order_by(page.c.event_id)).all()
    acks = _acked([r.id for r in rows])
    items = [{"receipt_number": r.receipt_number, "id": r.id, "procedure_id": r.procedure_id,
              "department_id": r.department_id, **_status_fields(r.status), "updated_at": _iso(r.updated_at),
              "submitted_at": _iso(r.submitted_at), "event_id": r.event_id,
              "acknowledged_at": _acknowledged_at(acks.get(r.id), r.revision)} for r in rows]
    cursor = max((r.event_id for r in rows), default=since)
    details: dict[str, Any] = {"returned": len(items), "next_cursor": cursor}
    shown = {k: v for k, v in request.args.items() if k in ("procedure", "status", "submitted_from", "submitted_to")}
    if shown:
        details["filters"] = shown
    _audit("backoffice.list", target=f"cursor:{since}", details=details)
    return jsonify({"applications": items, "next_cursor": cursor})


def _payments(application: Application) -> list[dict]:

    rows = db.session.scalars(select(Payment).where(Payment.application_id == application.id).order_by(Payment.created_at))
    return [{"id": p.id, "provider": p.provider, "amount": p.amount, "status": p.status,
             "refunded_amount": p.refunded_amount, "paid_at": _iso(p.paid_at), "receipt_number": p.receipt_number}
            for p in rows]


def _event(event: ApplicationEvent) -> dict:
    return {"id": event.id, "at": _iso(event.at), "kind": event.kind, "actor": event.actor,
            "from_status": _out(event.from_status), "to_status": _out(event.to_status), "note": event.note,
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


def _label(text: Any) -> dict[str, str]:
    """A pack text (or built-in label) in the two languages of the API's labels."""
    return {lang: text.get(lang) for lang in ("ja", "en")}


def _choice_labels(fld: Field, value: Any) -> Any:
    """The label(s) of a choice value (a list for several): {ja, en}; None when not a choice."""
    if fld.type not in ("select", "radio", "checkbox") or fld.is_boolean:
        return None
    labels = {c.value: _label(c.label) for c in choices_of(fld, applications.today_jst())}
    if isinstance(value, list):
        return [labels.get(str(v)) for v in value]
    return labels.get(str(value)) if value is not None else None


def _item(fld: Field, value: Any, section: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": fld.id, "label": _label(fld.label), "type": fld.type, "maps_to": fld.maps_to,
                            "value": value}
    if section is not None:
        item["section"] = section
    labels = _choice_labels(fld, value)
    if labels is not None:
        item["value_label"] = labels
    if fld.type == "repeat" and fld.fields:
        subs = {f.id: f for f in fld.fields}
        item["value"] = [[_item(subs[k], v, None) for k, v in record.items() if k in subs]
                         for record in value or [] if isinstance(record, dict)]
    return item


def _items(form: Form | None, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Each answered field in form order: label, type, standard data item, value and (choices)
    the label beside the code. Values of fields the form no longer has follow with their id only."""
    if form is None:
        return [{"id": k, "label": None, "type": None, "maps_to": None, "value": v} for k, v in values.items()]
    known = [_item(fld, values[fid], form.section_of.get(fid)) for fid, fld in form.fields.items() if fid in values]
    gone = [{"id": k, "label": None, "type": None, "maps_to": None, "value": v}
            for k, v in values.items() if k not in form.fields]
    return known + gone


@bp.get("/applications/<receipt_number>")
@per_client
def get_application(receipt_number: str):
    application = _scoped(receipt_number)
    if application is None:
        _audit("backoffice.view", target=f"receipt:{receipt_number[:40]}", result="denied")
        raise AppError("not_found", NO_RECEIPT, 404)
    form = current_form(application.procedure_id)
    values = applications.values(application)
    ack = _acked([application.id]).get(application.id)
    body = {
        "receipt_number": application.receipt_number, "id": application.id,
        "procedure_id": application.procedure_id, "department_id": application.department_id,
        **_status_fields(application.status),
        "status_label": {"ja": workflow.label(application.status, "ja"), "en": workflow.label(application.status, "en")},
        "form_version": application.form_version,
        "form_version_current": form.version if form is not None else None,
        "acknowledged_at": _acknowledged_at(ack, application.revision),
        "channel": application.channel, "locale": application.locale, "revision": application.revision,
        "created_at": _iso(application.created_at), "updated_at": _iso(application.updated_at),
        "submitted_at": _iso(application.submitted_at), "decided_at": _iso(application.decided_at),
        "closed_at": _iso(application.closed_at),
        "email": application.email, "fields": values, "items": _items(form, values),
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
    mapping = _status_map()

    def _one(s: str) -> dict[str, Any]:
        out = {"id": s, "label": {"ja": workflow.label(s, "ja"), "en": workflow.label(s, "en")},
               "transitions": workflow.next_statuses(s, workflow.STAFF), "closed": s in workflow.CLOSED,
               "before_submission": s in workflow.BEFORE_SUBMISSION}
        if mapping is not None:
            out["external_code"] = mapping.external(s)
            out["transitions_external"] = [mapping.external(t) for t in out["transitions"]]
        return out

    return jsonify({"statuses": [_one(s) for s in workflow.STATUSES]})


# --- acknowledging a pull -------------------------------------------------------------------------

@bp.post("/applications/<receipt_number>/ack")
@per_client
def acknowledge(receipt_number: str):
    """取込済: the client took the application in; staff see it on the application and the inbox.
    Sending it again updates the time (a resubmission after 補正 needs its own acknowledgement)."""
    application = _scoped(receipt_number)
    if application is None:
        _audit("backoffice.ack", target=f"receipt:{receipt_number[:40]}", result="denied")
        raise AppError("not_found", NO_RECEIPT, 404)
    ack = backoffice_actions.acknowledge(_client(), application)
    return jsonify({"receipt_number": application.receipt_number, "revision": ack.revision,
                    "acknowledged_at": _iso(ack.acked_at), "client_id": _client().client_id})


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
    mapping = _status_map()
    status = body.get("status")
    if mapping is not None and isinstance(status, str) and status:
        status = mapping.internal(status)
        if status is None:  # a code this client's map does not have
            raise AppError("unknown_status_code", _l("入力内容を確認してください。"), 422, fields={
                "status": _l("状態を GET /api/v1/backoffice/statuses の id で指定してください。")})
    if status not in workflow.STATUSES:
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
    return {"status": status, "note": note.strip(), "field_comments": comments or None}, {}


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise AppError("invalid_request", _l("Idempotency-Key ヘッダーを指定してください。"),
                       fields={"Idempotency-Key": _l("8〜64文字の英数字・記号で、送信ごとに新しい値を指定してください。")})
    return key


def _request_hash() -> str:
    """The request as the key promises it: the path and the JSON body (keys sorted, spacing ignored)."""
    body = request.get_json(silent=True)
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if body is not None \
        else request.get_data(as_text=True)
    return hashlib.sha256(f"{request.path}\n{text}".encode()).hexdigest()


def _replay(application: Application, key: str, request_hash: str) -> Response | None:
    """The answer kept for this key: the same again, or 409 for another request."""
    kept = backoffice_actions.stored_answer(_client(), key)
    if kept is None:
        return None
    if kept.request_hash != request_hash:
        backoffice_actions.key_reused(_client(), application)
        raise AppError("idempotency_key_reused",
                       _l("この Idempotency-Key は、別の内容の要求に使われています。新しい値を指定してください。"), 409)
    backoffice_actions.replayed(_client(), application, kept)
    response = jsonify(json.loads(kept.response_json))
    response.status_code = kept.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _changed(application: Application, event: ApplicationEvent) -> dict[str, Any]:
    return {"receipt_number": application.receipt_number, **_status_fields(application.status),
            "label": {"ja": workflow.label(application.status, "ja"), "en": workflow.label(application.status, "en")},
            "event_id": event.id, "updated_at": _iso(application.updated_at)}


@bp.post("/applications/<receipt_number>/status")
@per_client
def change_status(receipt_number: str):
    application = _scoped(receipt_number)
    if application is None:
        backoffice_actions.status_change_not_found(_client(), receipt_number)
        raise AppError("not_found", NO_RECEIPT, 404)
    key = _idempotency_key()
    request_hash = _request_hash()
    if key is not None:
        replay = _replay(application, key, request_hash)
        if replay is not None:
            return replay
    wanted, problems = _status_request(application)
    if wanted is None:
        raise AppError("invalid_request", _l("入力内容を確認してください。"), fields=problems)
    keep = dt.timedelta(hours=float(current_app.config.get("BACKOFFICE_IDEMPOTENCY_HOURS", IDEMPOTENCY_HOURS)))
    done = backoffice_actions.change_status(
        _client(), application, wanted["status"], note=wanted["note"], field_comments=wanted["field_comments"],
        needs_second_approver=_needs_second_approver(application.procedure_id),
        idempotency=(key, request_hash, keep) if key is not None else None, answer=_changed)
    if done is None:  # the same key committed by a parallel request a moment ago
        assert key is not None
        replay = _replay(application, key, request_hash)
        if replay is None:
            raise AppError("idempotency_key_reused",
                           _l("この Idempotency-Key は、別の内容の要求に使われています。新しい値を指定してください。"), 409)
        return replay
    return jsonify(done[1])
