"""The signature must hold *today*: before an approval the stored signature is verified again
with the current CRLs (a card's signing certificate is revoked when its holder moves or changes
name). ``applications.change_status`` calls :func:`recheck` for every move to 承認, whoever asks,
so no caller can approve past a revoked certificate."""
from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import db
from intake import applications, jpki
from intake.applications import ApplicationError
from intake.models import Application

NOT_CONFIGURED, NOT_SIGNED = "not_configured", "not_signed"
RECHECK_MESSAGES = {  # what staff should do when the signature does not hold any more at approval
    jpki.CERTIFICATE_REVOKED: _l("署名に使われた電子証明書が、署名のあとに失効しています（転居や氏名の変更などで失効します）。"
                              "このままでは承認できません。補正依頼で新しい電子証明書による署名をお願いするか、却下してください。"),
    jpki.REVOCATION_UNAVAILABLE: _l("電子証明書が失効していないかを確認できなかったため、承認できません。"
                                 "失効リスト（CRL）が新しいかをシステム管理者に確かめてもらい、もう一度承認してください。"),
    jpki.CERTIFICATE_EXPIRED: _l("署名に使われた電子証明書の有効期間が過ぎています。"
                              "補正依頼で新しい電子証明書による署名をお願いしてください。"),
    jpki.CERTIFICATE_UNTRUSTED: _l("電子証明書の発行元を確認できなかったため、承認できません。"
                                "トラストアンカーと中間証明書の設定をシステム管理者に確かめてもらってください。"),
    jpki.SIGNATURE_INVALID: _l("保存されている電子署名が申請内容と一致しないため、承認できません。システム管理者に連絡してください。"),
    NOT_CONFIGURED: _l("電子署名を確認する設定（トラストアンカー）がないため、承認できません。システム管理者に連絡してください。"),
    NOT_SIGNED: _l("この申請には電子署名がないため、承認できません。"),
}


def read_files(setting: str) -> list[bytes]:
    """The files a comma-separated setting names (trust anchors, CRLs, intermediates)."""
    return [Path(p.strip()).read_bytes() for p in (current_app.config.get(setting) or "").split(",") if p.strip()]


def recheck(app: Application, actor: str) -> None:
    """Verify the stored signature again now. The outcome goes into the history and the audit
    log; a failure is committed (so it stays) and raised as an ApplicationError."""
    now = dt.datetime.now(dt.UTC)
    result: jpki.Verification | None = None
    try:
        anchors = read_files("JPKI_TRUST_ANCHORS")
        if not anchors:
            code: str | None = NOT_CONFIGURED
        elif not applications.is_signed(app) or not app.certificate_pem:
            code = NOT_SIGNED
        else:
            chain = [*([app.chain_pem] if app.chain_pem else []), *read_files("JPKI_INTERMEDIATES")]
            result = jpki.verify_signature(app.payload.encode("utf-8"), base64.b64decode(app.signature_b64 or ""),
                                           app.certificate_pem, chain, trust_roots=anchors,
                                           crls=read_files("JPKI_CRL_SOURCES"), moment=now)
            code = None if result.ok else (result.code or jpki.SIGNATURE_INVALID)
    except (OSError, ValueError):  # a configured file missing or unreadable: revocation cannot be known
        code = jpki.REVOCATION_UNAVAILABLE
    evidence = result.revocation_evidence if result else []
    serial = result.serial if result else app.cert_serial
    applications.record_event(app, "signature_check", actor, note=json.dumps({
        "ok": code is None, "code": code, "serial": serial,
        "checked_at": now.isoformat(timespec="seconds"), "evidence": [e.get("sha256") for e in evidence]}))
    audit.record("application.signature_check", target=app.receipt_number or "", result="ok" if code is None else "failed",
                 details={"code": code, "serial": serial})
    if code is None:
        app.revocation_evidence = json.dumps(evidence, ensure_ascii=False, default=str)
        app.signature_checked_at = now
        return
    db.session.commit()  # the failed check stays in the history
    raise ApplicationError(code, RECHECK_MESSAGES.get(code, RECHECK_MESSAGES[jpki.SIGNATURE_INVALID]))

