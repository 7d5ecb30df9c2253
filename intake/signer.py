"""The signer app's side of the signing step: the link that opens the app (SIGNER_APP_URL_TEMPLATE),
what the app fetches (GET /api/v1/applications/<id>/signing) and the signature it posts back
(POST …/signature). One home for the checks, so the API, the signing page and the development
signer (intake/dev_signer_views.py) answer alike.

The key in the link is one-time: it opens this application's signing for these bytes only
(``links.signing_key``), until they are signed or SIGNING_KEY_MINUTES pass. The draft's lasting
API key (``links.api_key``, for clients of POST /api/v1/applications) opens it too.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from core.db import db
from core.errors import AppError
from core.i18n import lazy_message
from core.links import external_url
from core.public_url import public_base_url
from intake import applications, jpki, links, resident_actions, workflow
from intake.models import Application
from intake.signature_check import read_files

KEY_HEADER = "X-Application-Key"
DEV_SIGNER_TEMPLATE = "/dev/signer?fetch_url={fetch_url}&key={key}&return_url={return_url}"
NO_APPLICATION = _l("申請が見つかりません。")
ALREADY_SIGNED = _l("この申請には、すでに署名があります。")
KEY_EXPIRED = _l("署名用のリンクの有効期限が切れました。申請のページに戻り、新しいリンクから署名してください。")
KEY_REPLACED = _l("申請の内容が変わったため、このリンクでは署名できません。申請のページに戻り、新しいリンクから署名してください。")
NOT_READY = _l("申請内容の確認がまだです。確認のページで「署名へ進む」を押してください。")


def authorize(app_id: str, key: str | None) -> Application:
    """The application, for a caller holding its key; a clear refusal otherwise: 404 (no such
    application, or not its key: whether it exists is not said), 410 (the link's key expired), 409
    (signed already: a replay; or the key was made for bytes the answers have since replaced)."""
    application = db.session.get(Application, app_id) if isinstance(app_id, str) and len(app_id) <= 64 else None
    if application is None:
        raise AppError("not_found", NO_APPLICATION, 404)
    if links.holds_api_key(app_id, key):
        return application
    state = links.read_signing_key(app_id, key, application.payload)
    if state == "bad":
        raise AppError("not_found", NO_APPLICATION, 404)
    if state == "expired":
        raise AppError("signing_key_expired", KEY_EXPIRED, 410)
    if not signable(application):
        raise AppError("already_signed", ALREADY_SIGNED, 409)
    if state == "replaced":
        raise AppError("signing_key_replaced", KEY_REPLACED, 409)
    return application


def signable(application: Application) -> bool:
    return application.status in (workflow.DRAFT, workflow.CORRECTION) and not applications.is_signed(application)


def signing_task(application: Application, title: str | None = None) -> dict[str, Any]:
    """What the signer app fetches: the bytes to sign, their DigestInfo and SHA-256, where to post
    the signature and where to send the resident back."""
    if not signable(application):
        raise AppError("already_signed", ALREADY_SIGNED, 409)
    if not application.payload:
        raise AppError("not_ready", NOT_READY, 409)
    payload = application.payload.encode("utf-8")
    return {"id": application.id, "status": application.status,
            "procedure": {"id": application.procedure_id, "name": title or application.procedure_id},
            "signing": {"payload": base64.b64encode(payload).decode(),
                        "digest_info": base64.b64encode(jpki.digest_info(payload)).decode(),
                        "sha256": hashlib.sha256(payload).hexdigest()},
            "signature_url": external_url("intake_api.sign_application", app_id=application.id),
            "return_url": return_url(application)}


def return_url(application: Application) -> str:
    """Back to the application's signing step in the resident's browser (it then shows the result)."""
    return external_url("intake.sign", app_id=application.id)


@dataclass(frozen=True)
class Signed:
    signer: dict[str, str] | None
    identity: dict[str, bool | None] | None


def accept(application: Application, body: object, items: Sequence[str] | None = None) -> Signed:
    """Verify a posted signature (RSA over the payload, the certificate path against the trust
    anchors with revocation) and record it, passed or not. AppError: 400 malformed, 409 signed
    already, 422 refused by the check, 503 no trust anchors. ``items``: the 基本4情報 the form
    compares with the certificate (``Form.signature_items``; None: all it asks)."""
    if not signable(application):
        raise AppError("already_signed", ALREADY_SIGNED, 409)
    if not application.payload:
        raise AppError("not_ready", NOT_READY, 409)
    if not isinstance(body, dict) or not isinstance(body.get("certificate"), str) \
            or not isinstance(body.get("signature"), str):
        raise AppError("invalid_request", _l("署名と証明書を送ってください。"),
                       fields={"certificate": _l("PEM 形式の証明書を送ってください。"),
                               "signature": _l("Base64 の署名を送ってください。")})
    try:
        signature = base64.b64decode(body["signature"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AppError("invalid_request", _l("署名の形式が正しくありません。"),
                       fields={"signature": _l("Base64 で送ってください。")}) from exc
    chain = [c for c in body.get("chain") or [] if isinstance(c, str)] if isinstance(body.get("chain"), list) else []
    anchors = read_files("JPKI_TRUST_ANCHORS")
    if not anchors:
        raise AppError("signature_unavailable", _l("いまは電子署名を確認できません。時間をおいてお試しください。"), 503)
    now = dt.datetime.now(dt.UTC)
    result = jpki.verify_signature(application.payload.encode("utf-8"), signature, body["certificate"], chain,
                                   trust_roots=anchors, crls=read_files("JPKI_CRL_SOURCES"), moment=now)
    resident_actions.record_signature(application, result, body["certificate"], body["signature"], now, chain, items)
    if not result.ok:  # read in the request's language
        raise AppError(result.code or "signature_invalid",
                       lazy_message(result.message) if result.message else _l("署名を確認できませんでした。"), 422)
    return Signed(result.signer, applications.identity(application))


# --- the link of the signing page -----------------------------------------------------------------

def dev_signer_on() -> bool:
    """The development signer: JPKI_DEV_SIGNER on, and never in production (the start refuses it
    there too: core.settings.production_problems)."""
    value = str(current_app.config.get("JPKI_DEV_SIGNER") or "0").strip().lower()
    return value not in ("", "0", "false", "no", "off") and not current_app.config.get("IS_PRODUCTION", True)


def dev_ca_dir() -> Path | None:
    """JPKI_DEV_SIGNER: "0" (off), "1" (the CA in INSTANCE_PATH/dev-ca) or the directory of a dev
    CA; None when off or in production."""
    if not dev_signer_on():
        return None
    value = str(current_app.config.get("JPKI_DEV_SIGNER")).strip()
    if value.lower() in ("1", "true", "yes", "on"):
        return Path(current_app.instance_path) / "dev-ca"
    return Path(value)


def template() -> str:
    """SIGNER_APP_URL_TEMPLATE, or the development signer's when that is on, or "" (no app link)."""
    configured = current_app.config.get("SIGNER_APP_URL_TEMPLATE") or ""
    if configured:
        return configured
    # relative: the development signer is this site, whatever host the developer serves it on
    return DEV_SIGNER_TEMPLATE if dev_signer_on() else ""


def fill(template_text: str, values: dict[str, str]) -> str:
    """The placeholders replaced by their values, percent-encoded (no format(): the template is text)."""
    out = template_text
    for name, value in values.items():
        out = out.replace("{" + name + "}", quote(value, safe=""))
    return out


@dataclass(frozen=True)
class SigningLink:
    fetch_url: str
    key: str
    signature_url: str
    return_url: str
    app_url: str  # "" when no signer app link is configured
    minutes: int

    @property
    def qr_url(self) -> str:
        """What the QR code holds: the link, absolute (a camera knows no site to be relative to)."""
        return self.app_url if ":" in self.app_url.split("?", 1)[0] else public_base_url() + self.app_url


def link(application: Application) -> SigningLink:
    """The values the signing page hands to the signer app (as a link, a QR code and to copy)."""
    values = {"fetch_url": external_url("intake_api.signing", app_id=application.id),
              "key": links.signing_key(application.id, application.payload or ""),
              "signature_url": external_url("intake_api.sign_application", app_id=application.id),
              "return_url": return_url(application)}
    chosen = template()
    return SigningLink(**values, app_url=fill(chosen, values) if chosen else "",
                       minutes=int(current_app.config.get("SIGNING_KEY_MINUTES", 30)))


def app_id_of_fetch_url(fetch_url: str) -> str | None:
    """The application a fetch URL of this site names (None: another site or path)."""
    base = public_base_url()
    if not fetch_url.startswith(base + "/"):
        return None
    path = fetch_url[len(base):]
    for candidate in (path.split("/")[4:5] or [""]):
        if candidate and url_for("intake_api.signing", app_id=candidate) == path:
            return candidate
    return None


def is_return_url(url: str, application: Application) -> bool:
    """Only the application's own page is a place to send the resident back to (no open redirect)."""
    return url == return_url(application)
