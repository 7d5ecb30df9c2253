"""The resident's secret link to view, cancel or move a booking.

Nothing is stored: the link carries the 予約番号 signed with the app's secret key under a salt of
its own (a status link of an application never opens a booking, nor the other way round). The
number alone is not secret — it is read aloud at the counter — the signature is what opens the
page. Absolute URLs use PUBLIC_BASE_URL like ``intake.links``, so the e-mailed link points at the
public site whichever host sent it.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from core.links import external_url
from core.public_url import public_base_url

MANAGE_SALT = "reservation-manage"
VISIT_MANAGE_SALT = "visit-manage"  # a visit's link (まとめて予約) never opens a single booking, nor the other way round
RESULT_PATH = re.compile(r"/guide/[a-z][a-z0-9_]*/result")  # guide.result: /guide/<event>/result (an id of the pack)


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


def visit_manage_token(number: str) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=VISIT_MANAGE_SALT).dumps(number)


def read_visit_manage_token(token: str) -> str | None:
    """The visit's 受付番号 a token carries, or None for anything not signed by us for a visit."""
    try:
        value = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=VISIT_MANAGE_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def visit_manage_url(number: str) -> str:
    return external_url("reservations_visit.manage", token=visit_manage_token(number))


def visit_counter_url(number: str) -> str:
    """What a visit's QR code holds, on every page that shows one (done, manage, 事前入力 ready):
    the counter page of the visit (the number in it is not secret; the staff console asks for a
    login). The counter's scanner types it into the number box, which takes it as the number."""
    return external_url("staff_visits.visit", number=number)


def result_url(result_path: str | None) -> str | None:
    """The guide result a visit was booked from, as an absolute link for e-mails (only a path
    ``safe_back`` accepts; anything else gives no link)."""
    path = safe_back(result_path)
    return public_base_url() + path if path else None


def manage_api_url(number: str) -> str:
    return external_url("reservations_api.get_reservation", token=manage_token(number))


def safe_back(raw: str | None) -> str | None:
    """``back``: a same-site relative path to a guide result (``/guide/<event>/result?…``) that the
    booking pages (single and まとめて予約) lead back to; None for anything else (another site, a
    staff page, another guide page, a trick). The query is the result's own: its answers."""
    if not raw or len(raw) > 1800 or any(c in raw for c in "\\\r\n\t") or not raw.startswith("/guide/"):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.fragment or not RESULT_PATH.fullmatch(parts.path):
        return None
    return raw
