"""The online-application API: form schemas, drafts with the bytes to sign, JPKI signatures."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
from flask import Blueprint, current_app, jsonify, request

from core.db import db
from guide import rulebook
from intake import applications, jpki, workflow
from intake.forms import Form, load_forms, to_json_schema
from intake.models import Application

bp = Blueprint("intake_api", __name__, url_prefix="/api/v1")
JST = dt.timezone(dt.timedelta(hours=9))
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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
    return jsonify({"id": application.id, "status": "draft", "signing": {
        "payload": base64.b64encode(payload).decode(),
        "digest_info": base64.b64encode(jpki.digest_info(payload)).decode()}}), 201


def _read_files(setting: str) -> list[bytes]:
    return [Path(p.strip()).read_bytes() for p in current_app.config[setting].split(",") if p.strip()]


@bp.post("/applications/<app_id>/signature")
def sign_application(app_id: str):
    application = db.session.get(Application, app_id)
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
    anchors = _read_files("JPKI_TRUST_ANCHORS")
    if not anchors:
        return _error(503, "signature_unavailable", "いまは電子署名を確認できません。時間をおいてお試しください。")
    now = dt.datetime.now(dt.UTC)
    result = jpki.verify_signature(application.payload.encode("utf-8"), signature, body["certificate"], chain,
                                   trust_roots=anchors, crls=_read_files("JPKI_CRL_SOURCES"), moment=now)
    applications.record_signature(application, result, body["certificate"], body["signature"], now)
    db.session.commit()
    if not result.ok:
        return _error(422, result.code or "signature_invalid", result.message_ja or "署名を確認できませんでした。")
    return jsonify({"status": "signed", "signer": result.signer, "identity": applications.identity(application)})
