"""The resident's secret link to view, cancel or move a booking.

Nothing is stored: the link carries the 予約番号 signed with the app's secret key under a salt of
its own (a status link of an application never opens a booking, nor the other way round). The
number alone is not secret — it is read aloud at the counter — the signature is what opens the
page. Absolute URLs use PUBLIC_BASE_URL like ``intake.links``, so the e-mailed link points at the
public site whichever host sent it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from core.links import external_url

MANAGE_SALT = "reservation-manage"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=MANAGE_SALT)


def manage_token(number: str) -> str:
    return _serializer().dumps(number)


def read_manage_token(token: str) -> str | None:
    """The 予約番号 a token carries, or None for anything not signed by us."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def manage_url(number: str) -> str:
    return external_url("reservations.manage", token=manage_token(number))


def manage_api_url(number: str) -> str:
    return external_url("reservations_api.get_reservation", token=manage_token(number))


def safe_back(raw: str | None) -> str | None:
    """``back``: a same-site relative path to a guide result (``/guide/<event>/result?…``) that the
    booking pages lead back to; None for anything else (another site, a staff page, a trick)."""
    if not raw or len(raw) > 1800 or any(c in raw for c in "\\\r\n\t") or not raw.startswith("/guide/"):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or raw.startswith("//") or ".." in parts.path:
        return None
    return raw
