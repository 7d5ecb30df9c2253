"""Secret links for residents: the status page (lasting) and the draft to resume (expiring).

Nothing is stored: a link carries the application id signed with the app's secret key (a
different salt per purpose), so any worker can check it. Absolute links use PUBLIC_BASE_URL
only (``core.public_url``), never the request's Host: a mail sent from the staff host, a payment
webhook or a request with a forged Host still points residents at the public site.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from core.links import external_url

STATUS_SALT = "application-status"
API_SALT = "application-api"  # the key an app (the signer app, an API client) holds for one draft
RESUME_SALT = "application-resume"


def status_token(application_id: str) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=STATUS_SALT).dumps(application_id)


def read_status_token(token: str) -> str | None:
    try:
        value = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=STATUS_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def api_key(application_id: str) -> str:
    """What the JSON API asks for besides the id (X-Application-Key): the id alone is shown on
    pages and is no credential."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=API_SALT).dumps(application_id)


def holds_api_key(application_id: str, key: str | None) -> bool:
    if not key or len(key) > 200:
        return False
    try:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=API_SALT).loads(key) == application_id
    except BadSignature:
        return False


def resume_token(application_id: str) -> str:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESUME_SALT).dumps(application_id)


def read_resume_token(token: str) -> tuple[str | None, bool]:
    """(application id, expired?)."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESUME_SALT)
    try:
        value = serializer.loads(token, max_age=current_app.config["DRAFT_LINK_DAYS"] * 86400)
    except SignatureExpired:
        return None, True
    except BadSignature:
        return None, False
    return (value if isinstance(value, str) else None), False


def status_url(application_id: str) -> str:
    return external_url("intake.status", token=status_token(application_id))


def resume_url(application_id: str) -> str:
    return external_url("intake.resume", token=resume_token(application_id))


UPLOAD_DRAFT_SALT = "upload-draft"  # the draft an API client uploads files for, before the application exists


def upload_draft_token(draft: str, procedure_id: str) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UPLOAD_DRAFT_SALT).dumps([draft, procedure_id])


def read_upload_draft_token(token: object, procedure_id: str) -> str | None:
    """The draft key the token was issued for, if it was issued for this procedure (else None)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    try:
        value = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UPLOAD_DRAFT_SALT).loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and value[1] == procedure_id and isinstance(value[0], str)):
        return None
    return value[0]


SIGNING_SALT = "application-signing"  # the one-time key of the signing step's link (signer app)


def _signing_serializer(application_id: str) -> URLSafeTimedSerializer:
    # the id is in the salt: a key opens one application only, and stays short for the QR code
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"{SIGNING_SALT}:{application_id}")


def _payload_tag(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def signing_key(application_id: str, payload: str) -> str:
    """The key the signing step's link hands to the signer app: it opens this application's
    signing for these bytes only, until it is signed or SIGNING_KEY_MINUTES have passed."""
    return _signing_serializer(application_id).dumps(_payload_tag(payload))


def read_signing_key(application_id: str, key: str | None, payload: str | None) -> str:
    """"ok", "expired", "replaced" (made for other bytes: the answers changed since) or "bad"."""
    if not key or len(key) > 200 or not payload:
        return "bad"
    serializer = _signing_serializer(application_id)
    try:
        tag = serializer.loads(key, max_age=current_app.config.get("SIGNING_KEY_MINUTES", 30) * 60)
    except SignatureExpired:
        return "expired"
    except BadSignature:
        return "bad"
    return "ok" if tag == _payload_tag(payload) else "replaced"
