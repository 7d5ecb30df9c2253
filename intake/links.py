"""Secret links for residents: the status page (lasting) and the draft to resume (expiring).

Nothing is stored: a link carries the application id signed with the app's secret key (a
different salt per purpose), so any worker can check it. Absolute links use PUBLIC_BASE_URL
only (``core.public_url``), never the request's Host: a mail sent from the staff host, a payment
webhook or a request with a forged Host still points residents at the public site.
"""
from __future__ import annotations

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
