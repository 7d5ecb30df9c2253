"""Where residents reach the service: the one base of every absolute link we hand out (e-mails,
their ``.ics`` files, API answers).

Only ``PUBLIC_BASE_URL``, never the request's Host header: a booking posted with
``Host: evil.example`` would otherwise mail its victim a link to that host. In development
(``FORCE_HTTPS`` off) a missing value falls back to :data:`DEVELOPMENT_BASE_URL`; outside
development the app refuses to start without a sound one (:func:`check`, called by ``create_app``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

DEVELOPMENT_BASE_URL = "http://localhost:5000"


def problem(config: Mapping[str, Any]) -> str | None:
    """What is wrong with ``PUBLIC_BASE_URL`` for this configuration, or None."""
    value = (config.get("PUBLIC_BASE_URL") or "").strip()
    production = bool(config.get("FORCE_HTTPS"))
    if not value:
        return ("PUBLIC_BASE_URL must be set when FORCE_HTTPS=1: links in e-mails are built from it, "
                "never from the request's Host header") if production else None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or "@" in parts.netloc:
        return f"PUBLIC_BASE_URL must read like https://host[/path] (got {value!r})"
    if production and parts.scheme != "https":
        return "PUBLIC_BASE_URL must be https:// when FORCE_HTTPS=1"
    return None


def check(config: Mapping[str, Any]) -> None:
    """Refuse to start with a missing (outside development) or malformed PUBLIC_BASE_URL."""
    message = problem(config)
    if message:
        raise RuntimeError(message)


def public_base_url(config: Mapping[str, Any] | None = None) -> str:
    """``PUBLIC_BASE_URL`` without its trailing slash; in development, the local default."""
    config = current_app.config if config is None else config
    value = (config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if value:
        return value
    if config.get("FORCE_HTTPS"):  # create_app refuses this; a hand-made config must not fall back
        raise RuntimeError(problem(config))
    return DEVELOPMENT_BASE_URL
