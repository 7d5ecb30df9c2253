"""The online-application API: form schemas, drafts with the bytes to sign, JPKI signatures."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import unicodedata
from functools import lru_cache

import jsonschema_rs
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from core.db import db
from core.security import limiter
from guide import rulebook
from intake import applications, jpki, links, workflow
from intake.forms import Form, load_forms, to_json_schema
from intake.models import Application
from intake.signature_check import read_files

bp = Blueprint("intake_api", __name__, url_prefix="/api/v1")
JST = dt.timezone(dt.timedelta(hours=9))
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,64}$")  # visible ASCII, stored as the application's submit key
MESSAGES = {  # jsonschema error kind -> what the resident should do
    "Required": "入力してください。",
    "Enum": "選択肢の中から選んでください。",
    "Pattern": "形式が正しくありません。説明の例のとおりに入力してください。",
    "Format": "形式が正しくありません。説明の例のとおりに入力してください。",
    "MaxLength": "文字数が多すぎます。短くしてください。",
    "MinLength": "入力してください。",
    "Type": "形式が正しくありません。",
    "Minimum": "数が小さすぎます。",
    "Maximum": "数が大きすぎます。",
    "AdditionalProperties": "この項目はありません。",
}


def _error(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    body: dict = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


@lru_cache(maxsize=4)
def _forms(version: str) -> dict[str, Form]:
    """Form definitions of the current knowledge generation (reloaded with it)."""
    return load_forms(current_app.config["MUNICIPALITY"], kb=rulebook().kb)


def _form(procedure_id: str) -> Form | None:
    return _forms(rulebook().version).get(procedure_id)


def current_form(procedure_id: str) -> Form | None:
    """The form of an online procedure in the current knowledge generation (None: not online)."""
    return _form(procedure_id)


def _today() -> dt.date:
    return dt.datetime.now(JST).date()


@bp.get("/procedures/<pid>/form-schema")
def form_schema(pid: str):
    form = _form(pid)
    if form is None:
        return _error(404, "not_found", "この手続きはオンラインで申請できません。")
    return jsonify(to_json_schema(form, "ja", _today()))


def _field_errors(form: Form, fields: object) -> dict[str, str]:
    validator = jsonschema_rs.validator_for(to_json_schema(form, "ja", _today()))
    problems: dict[str, str] = {}
    for err in validator.iter_errors(fields):
        kind = type(err.kind).__name__
        path = [str(p) for p in err.instance_path]
        if kind == "Required":
            path.append(str(err.kind.property))
        elif kind == "AdditionalProperties":
            for name in err.kind.unexpected:
                problems.setdefault(".".join([*path, str(name)]), MESSAGES[kind])
            continue
        problems.setdefault(".".join(path) or "fields", MESSAGES.get(kind, "入力内容を確認してください。"))
    return problems


@bp.post("/applications")
def create_application():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "JSON オブジェクトを送ってください。")
    pid = body.get("procedure_id")
    form = _form(pid) if isinstance(pid, str) else None
    if form is None:
        return _error(400, "invalid_request", "入力内容を確認してください。",
                      {"procedure_id": "オンラインで申請できる手続きを指定してください。"})
    email = unicodedata.normalize("NFKC", body.get("email") or "").strip() if isinstance(body.get("email"), str) else ""
    problems = {f"fields.{k}" if k != "fields" else k: v for k, v in _field_errors(form, body.get("fields")).items()}
    if not EMAIL.match(email) or len(email) > 254:
        problems["email"] = "メールアドレスを入力してください（例：taro@example.jp）。"
    if problems:
        return _error(400, "invalid_request", "入力内容を確認してください。", problems)
    try:
        application = applications.new_application(form, body["fields"], email, channel="api")
        payload = applications.prepare_signing(application, form)
    except applications.ApplicationError as exc:
        db.session.rollback()
        return _error(exc.status, exc.code, exc.message_ja)
    db.session.commit()
    return jsonify({"id": application.id, "key": links.api_key(application.id), "status": "draft", "signing": {
        "payload": base64.b64encode(payload).decode(),
        "digest_info": base64.b64encode(jpki.digest_info(payload)).decode()}}), 201


def _keyed(app_id: str) -> Application | None:
    """The application, only for a caller holding its key (X-Application-Key); otherwise None
    (answered 404: whether the id exists is not said)."""
    if not links.holds_api_key(app_id, request.headers.get("X-Application-Key")):
        return None
    return db.session.get(Application, app_id)


@bp.get("/applications/<app_id>/signing")
def signing(app_id: str):
    """What the signer app fetches for a draft made on the web (the id is in the page's app link):
    the bytes to sign and their DigestInfo, once the resident has confirmed the review page."""
    application = _keyed(app_id)
    if application is None:
        return _error(404, "not_found", "申請が見つかりません。")
    if applications.is_signed(application) or application.status not in (workflow.DRAFT, workflow.CORRECTION):
        return _error(409, "already_signed", "この申請には、すでに署名があります。")
    if not application.payload:
        return _error(409, "not_ready", "申請内容の確認がまだです。確認のページで「署名へ進む」を押してください。")
    payload = application.payload.encode("utf-8")
    return jsonify({"id": application.id, "status": application.status, "signing": {
        "payload": base64.b64encode(payload).decode(),
        "digest_info": base64.b64encode(jpki.digest_info(payload)).decode()}})


@bp.post("/applications/<app_id>/signature")
def sign_application(app_id: str):
    application = _keyed(app_id)
    if application is None:
        return _error(404, "not_found", "申請が見つかりません。")
    if application.status not in (workflow.DRAFT, workflow.CORRECTION) or applications.is_signed(application):
        return _error(409, "already_signed", "この申請には、すでに署名があります。")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("certificate"), str) \
            or not isinstance(body.get("signature"), str):
        return _error(400, "invalid_request", "署名と証明書を送ってください。",
                      {"certificate": "PEM 形式の証明書を送ってください。", "signature": "Base64 の署名を送ってください。"})
    try:
        signature = base64.b64decode(body["signature"], validate=True)
    except (binascii.Error, ValueError):
        return _error(400, "invalid_request", "署名の形式が正しくありません。", {"signature": "Base64 で送ってください。"})
    chain = [c for c in body.get("chain") or [] if isinstance(c, str)]
    anchors = read_files("JPKI_TRUST_ANCHORS")
    if not anchors:
        return _error(503, "signature_unavailable", "いまは電子署名を確認できません。時間をおいてお試しください。")
    now = dt.datetime.now(dt.UTC)
    result = jpki.verify_signature(application.payload.encode("utf-8"), signature, body["certificate"], chain,
                                   trust_roots=anchors, crls=read_files("JPKI_CRL_SOURCES"), moment=now)
    applications.record_signature(application, result, body["certificate"], body["signature"], now, chain)
    db.session.commit()
    if not result.ok:
        return _error(422, result.code or "signature_invalid", result.message_ja or "署名を確認できませんでした。")
    return jsonify({"status": "signed", "signer": result.signer, "identity": applications.identity(application)})


# --- attachments, submit, status (API clients) ----------------------------------------------------

def _iso(moment: dt.datetime | None) -> str | None:
    return applications.aware(moment).isoformat() if moment is not None else None


def _too_large():
    mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 2**20
    return _error(413, "file_too_large", f"ファイルが大きすぎます。{mb:g}MBより小さくして、もう一度送ってください。",
                  {"file": f"{mb:g}MBより小さいファイルにしてください。"})


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(_exc):
    return _too_large()


@bp.errorhandler(429)
def _too_many(_exc):
    return _error(429, "rate_limited", "短い間に何度も送られました。少し待ってから、もう一度お試しください。")


@bp.post("/uploads")
@limiter.limit("60 per minute")
def upload_attachment():
    """One file for a ``file`` field, checked against the field's rules; its values go into that
    field of POST /applications, which claims it (so its SHA-256 is in the signed payload)."""
    try:
        pid, field_id, file = request.form.get("procedure_id"), request.form.get("field_id"), request.files.get("file")
    except RequestEntityTooLarge:
        return _too_large()
    form = _form(pid) if pid else None
    if form is None:
        return _error(400, "invalid_request", "入力内容を確認してください。",
                      {"procedure_id": "オンラインで申請できる手続きを指定してください。"})
    if file is None:
        return _error(400, "invalid_request", "ファイルを選んでください。", {"file": "ファイルを選んでください。"})
    try:
        attachment = applications.store_upload(form, field_id or "", file.filename or "", file.stream.read())
    except RequestEntityTooLarge:
        return _too_large()
    except applications.ApplicationError as exc:
        db.session.rollback()
        where = "field_id" if exc.code == "unknown_field" else "file"
        return _error(exc.status, exc.code, exc.message_ja, {where: exc.message_ja})
    db.session.commit()
    return jsonify(applications.file_value(attachment)), 201


def _submitted(application: Application):
    """The answer to a submit, the same however often the same key is sent."""
    return jsonify({"status": "submitted", "receipt_number": application.receipt_number,
                    "status_url": links.status_url(application.id)})


def _payment_url(application: Application) -> str | None:
    """A checkout for the fee, when the payment service is there (imported lazily: optional).
    After paying, the resident lands on the status page."""
    try:
        from intake.payments.service import start_checkout
    except ImportError:
        return None
    back = links.status_url(application.id)
    try:
        return start_checkout(application, back, back)
    except applications.ApplicationError:  # e.g. the provider is unreachable: the 402 still stands
        db.session.rollback()
        return None


@bp.post("/applications/<app_id>/submit")
@limiter.limit("60 per minute")
def submit_application(app_id: str):
    application = _keyed(app_id)
    if application is None:
        return _error(404, "not_found", "申請が見つかりません。")
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        return _error(400, "invalid_request", "Idempotency-Key ヘッダーを指定してください。",
                      {"Idempotency-Key": "8〜64文字の英数字・記号で、送信ごとに新しい値を指定してください。"})
    if application.submit_key == key:  # a retry: the same answer, nothing sent twice
        return _submitted(application)
    reused = "idempotency_key_reused", "この Idempotency-Key は別の申請で使われています。新しい値を指定してください。"
    if db.session.scalar(select(Application.id).where(Application.submit_key == key)) is not None:
        return _error(409, *reused)
    try:
        sent = applications.submit(application, key)
    except applications.ApplicationError as exc:
        db.session.rollback()
        if exc.code == "payment_required":
            body: dict = {"error": {"code": exc.code, "message": exc.message_ja}}
            url = _payment_url(application)
            if url:
                body["payment_url"] = url
            return jsonify(body), 402
        return _error(exc.status, exc.code, exc.message_ja)
    except IntegrityError:  # the same key, for another application, at the same moment
        db.session.rollback()
        return _error(409, *reused)
    if not sent:  # sent before (with another key), or by a racing request
        db.session.rollback()
        application = db.session.get(Application, app_id)
        if application is not None and application.submit_key == key:
            return _submitted(application)
        return _error(409, "already_submitted", "この申請は、すでに送られています。状態はメールのリンクから確認できます。")
    db.session.commit()
    return _submitted(application)


@bp.get("/applications/<app_id>/status")
def application_status(app_id: str):
    """What the resident's status page shows, for an app holding the secret status link's token."""
    application = None
    if links.read_status_token(request.args.get("token", "")) == app_id:
        application = db.session.get(Application, app_id)
    if application is None:
        return _error(404, "not_found", "申請が見つかりません。リンクをもう一度確認してください。")
    return jsonify({
        "id": application.id, "procedure_id": application.procedure_id, "status": application.status,
        "label": {"ja": workflow.label(application.status, "ja"), "en": workflow.label(application.status, "en")},
        "receipt_number": application.receipt_number, "revision": application.revision,
        "submitted_at": _iso(application.submitted_at), "updated_at": _iso(application.updated_at),
        "fee": {"amount": application.fee_amount, "timing": application.payment_timing,
                "state": application.payment_state},
        "withdrawable": workflow.resident_may_withdraw(application.status),
    })
