"""Absolute links for residents (in e-mails, QR codes, payment return URLs), built one way by every service.

Only PUBLIC_BASE_URL (``core.public_url``), never the request's Host header: a mail sent from the
staff host, a payment webhook or a request with a forged Host still points residents at the
public site.
"""
from __future__ import annotations

from flask import url_for

from core.public_url import public_base_url


def external_url(endpoint: str, **values: object) -> str:
    """An absolute URL for residents: PUBLIC_BASE_URL (the local default in development) and the path."""
    return public_base_url() + url_for(endpoint, **values)
