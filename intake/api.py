"""The online-application API: form schemas, drafts with the bytes to sign, JPKI signatures."""
from __future__ import annotations

import base64
import datetime as dt
import re
import unicodedata

import jsonschema_rs
from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from core.db import db
from core.errors import AppError, refusal_response
from core.japan_time import JST
from core.security import limiter
from core.uploads import draft_caps, upload_limit
from intake import applications, jpki, links, resident_actions, signer, workflow
from intake.forms import Form, to_json_schema
from intake.forms_current import current_forms
from intake.models import Application

bp = Blueprint("intake_api", __name__, url_prefix="/api/v1")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,64}$")  # visible ASCII, stored as the application's submit key
MESSAGES = {  # jsonschema error kind -> what the resident should do
    "Required": _l("入力してください。"),
    "Enum": _l("選択肢の中から選んでください。"),
    "Pattern": _l("形式が正しくありません。説明の例のとおりに入力してください。"),
    "Format": _l("形式が正しくありません。説明の例のとおりに入力してください。"),
    "MaxLength": _l("文字数が多すぎます。短くしてください。"),
    "MinLength": _l("入力してください。"),
    "Type": _l("形式が正しくありません。"),
    "Minimum": _l("数が小さすぎます。"),
    "Maximum": _l("数が大きすぎます。"),
    "AdditionalProperties": _l("この項目はありません。"),
}
CHECK_INPUT = _l("入力内容を確認してください。")
NO_APPLICATION = _l("申請が見つかりません。")
ONLINE_PROCEDURE = {"procedure_id": _l("オンラインで申請できる手続きを指定してください。")}


def _forms() -> dict[str, Form]:
    """Form definitions of the current pack generation (reloaded with it)."""
    return current_forms()


def _form(procedure_id: str) -> Form | None:
    return _forms().get(procedure_id)


def current_form(procedure_id: str) -> Form | None:
    """The form of an online procedure in the current knowledge generation (None: not online)."""
    return _form(procedure_id)


def _today() -> dt.date:
    return dt.datetime.now(JST).date()


@bp.get("/procedures/<pid>/form-schema")
def form_schema(pid: str):
    form = _form(pid)
    if form is None:
        raise AppError("not_found", _l("この手続きはオンラインで申請できません。"), 404)
    return jsonify(to_json_schema(form, "ja", _today()))


def _field_errors(form: Form, fields: object) -> dict[str, object]:
    validator = jsonschema_rs.validator_for(to_json_schema(form, "ja", _today()))
    problems: dict[str, object] = {}
    for err in validator.iter_errors(fields):
        kind = type(err.kind).__name__
        path = [str(p) for p in err.instance_path]
        if kind == "Required":
            path.append(str(err.kind.property))
        elif kind == "AdditionalProperties":
            for name in err.kind.unexpected:
                problems.setdefault(".".join([*path, str(name)]), MESSAGES[kind])
            continue
        problems.setdefault(".".join(path) or "fields", MESSAGES.get(kind, CHECK_INPUT))
    return problems


@bp.post("/applications")
def create_application():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AppError("invalid_json", _l("JSON オブジェクトを送ってください。"))
    pid = body.get("procedure_id")
    form = _form(pid) if isinstance(pid, str) else None
    if form is None:
        raise AppError("invalid_request", CHECK_INPUT, fields=ONLINE_PROCEDURE)
    email = unicodedata.normalize("NFKC", body.get("email") or "").strip() if isinstance(body.get("email"), str) else ""
    problems = {f"fields.{k}" if k != "fields" else k: v for k, v in _field_errors(form, body.get("fields")).items()}
    if not EMAIL.match(email) or len(email) > 254:
        problems["email"] = _l("メールアドレスを入力してください（例：taro@example.jp）。")
    upload_draft = None
    if body.get("draft") is not None:
        upload_draft = links.read_upload_draft_token(body["draft"], form.id)
        if upload_draft is None:
            problems["draft"] = _l("POST /api/v1/upload-drafts で受け取った、この手続きの draft を送ってください。")
    if problems:
        raise AppError("invalid_request", CHECK_INPUT, fields=problems)
    application, payload = resident_actions.create_for_signing(form, body["fields"], email, upload_draft)
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
    """What the signer app fetches (the fetch URL of the signing step's link, its one-time key in
    X-Application-Key; or the draft's key): the bytes to sign, their DigestInfo and SHA-256, where
    to post the signature and where the resident goes back to."""
    application = signer.authorize(app_id, request.headers.get(signer.KEY_HEADER))
    form = _form(application.procedure_id)
    locale = getattr(g, "locale", "ja")
    return jsonify(signer.signing_task(application, form.procedure.name.get(locale) if form else None))


@bp.post("/applications/<app_id>/signature")
def sign_application(app_id: str):
    application = signer.authorize(app_id, request.headers.get(signer.KEY_HEADER))
    form = _form(application.procedure_id)
    signed = signer.accept(application, request.get_json(silent=True), form.signature_items if form else None)
    return jsonify({"status": "signed", "signer": signed.signer, "identity": signed.identity,
                    "return_url": signer.return_url(application)})


# --- attachments, submit, status (API clients) ----------------------------------------------------

def _iso(moment: dt.datetime | None) -> str | None:
    return applications.aware(moment).isoformat() if moment is not None else None


def _too_large() -> AppError:
    mb = f"{(current_app.config.get('MAX_CONTENT_LENGTH') or 0) / 2**20:g}"
    return AppError("file_too_large", _l("ファイルが大きすぎます。%(mb)sMBより小さくして、もう一度送ってください。", mb=mb),
                    413, fields={"file": _l("%(mb)sMBより小さいファイルにしてください。", mb=mb)})


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(_exc):
    return refusal_response(_too_large())


@bp.errorhandler(429)
def _too_many(_exc):
    return refusal_response(AppError(
        "rate_limited", _l("短い間に何度も送られました。少し待ってから、もう一度お試しください。"), 429))


NO_DRAFT_CODE = "upload_draft_required"
NO_DRAFT = _l("先に POST /api/v1/upload-drafts でアップロード用の下書きを作り、その draft を送ってください。")


@bp.post("/upload-drafts")
@limiter.limit("30 per minute")
def new_upload_draft():
    """A draft to upload files for, before the application exists: every upload names it, and
    only POST /applications with the same draft claims them (caps per draft: UPLOAD_FILES_PER_DRAFT,
    UPLOAD_MIB_PER_DRAFT)."""
    body = request.get_json(silent=True)
    pid = body.get("procedure_id") if isinstance(body, dict) else None
    if not isinstance(pid, str) or _form(pid) is None:
        raise AppError("invalid_request", CHECK_INPUT, fields=ONLINE_PROCEDURE)
    caps = draft_caps()
    return jsonify({"draft": links.upload_draft_token(applications.api_upload_draft(), pid),
                    "max_files": caps.files, "max_bytes": caps.bytes}), 201


@bp.post("/uploads")
@limiter.limit("60 per minute")
@upload_limit()
def upload_attachment():
    """One file for a ``file`` field of an upload draft, checked against the field's rules and the
    draft's caps; its values go into that field of POST /applications with the same draft, which
    claims it (so its SHA-256 is in the signed payload)."""
    try:
        pid, field_id, file = request.form.get("procedure_id"), request.form.get("field_id"), request.files.get("file")
        token = request.form.get("draft")
    except RequestEntityTooLarge as exc:
        raise _too_large() from exc
    form = _form(pid) if pid else None
    if form is None:
        raise AppError("invalid_request", CHECK_INPUT, fields=ONLINE_PROCEDURE)
    upload_draft = links.read_upload_draft_token(token, form.id)
    if upload_draft is None:
        raise AppError(NO_DRAFT_CODE, NO_DRAFT, fields={"draft": NO_DRAFT})
    if file is None:
        choose = _l("ファイルを選んでください。")
        raise AppError("invalid_request", choose, fields={"file": choose})
    try:
        attachment = resident_actions.store_upload(form, field_id or "", file.filename or "", file.stream.read(),
                                                   draft=upload_draft, caps=draft_caps())
    except RequestEntityTooLarge as exc:
        raise _too_large() from exc
    except applications.ApplicationError as exc:
        exc.fields.setdefault("field_id" if exc.code == "unknown_field" else "file", exc.message)
        raise
    return jsonify(applications.file_value(attachment)), 201


def _submitted(application: Application):
    """The answer to a submit, the same however often the same key is sent."""
    return jsonify({"status": "submitted", "receipt_number": application.receipt_number,
                    "status_url": links.status_url(application.id)})


def _payment_url(application: Application) -> str | None:
    """A checkout for the fee. After paying, the resident lands on the status page."""
    return resident_actions.checkout_after_refusal(application, links.status_url(application.id))


@bp.post("/applications/<app_id>/submit")
@limiter.limit("60 per minute")
def submit_application(app_id: str):
    application = _keyed(app_id)
    if application is None:
        raise AppError("not_found", NO_APPLICATION, 404)
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise AppError("invalid_request", _l("Idempotency-Key ヘッダーを指定してください。"),
                       fields={"Idempotency-Key": _l("8〜64文字の英数字・記号で、送信ごとに新しい値を指定してください。")})
    if application.submit_key == key:  # a retry: the same answer, nothing sent twice
        return _submitted(application)
    reused = AppError("idempotency_key_reused",
                      _l("この Idempotency-Key は別の申請で使われています。新しい値を指定してください。"), 409)
    if db.session.scalar(select(Application.id).where(Application.submit_key == key)) is not None:
        raise reused
    try:
        sent = resident_actions.submit(application, key)
    except applications.ApplicationError as exc:
        url = _payment_url(application) if exc.code == "payment_required" else None
        if url:
            exc.extra["payment_url"] = url  # beside "error": where the fee can be paid
        raise
    except resident_actions.KeyReused as exc:  # the same key, for another application, at the same moment
        raise reused from exc
    if not sent:  # sent before (with another key), or by a racing request
        application = db.session.get(Application, app_id)
        if application is not None and application.submit_key == key:
            return _submitted(application)
        raise AppError("already_submitted",
                       _l("この申請は、すでに送られています。状態はメールのリンクから確認できます。"), 409)
    return _submitted(application)


@bp.get("/applications/<app_id>/status")
def application_status(app_id: str):
    """What the resident's status page shows, for an app holding the secret status link's token."""
    application = None
    if links.read_status_token(request.args.get("token", "")) == app_id:
        application = db.session.get(Application, app_id)
    if application is None:
        raise AppError("not_found", _l("申請が見つかりません。リンクをもう一度確認してください。"), 404)
    return jsonify({
        "id": application.id, "procedure_id": application.procedure_id, "status": application.status,
        "label": {"ja": workflow.label(application.status, "ja"), "en": workflow.label(application.status, "en")},
        "receipt_number": application.receipt_number, "revision": application.revision,
        "submitted_at": _iso(application.submitted_at), "updated_at": _iso(application.updated_at),
        "fee": {"amount": application.fee_amount, "timing": application.payment_timing,
                "state": application.payment_state},
        "withdrawable": workflow.resident_may_withdraw(application.status),
    })
