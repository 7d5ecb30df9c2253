"""app.config from the typed settings (core/settings.py), with the Flask settings that are not
the environment's to change."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from core.settings import DEFAULT_INSTANCE, ROOT, Settings, check_production, read_settings

__all__ = ["DEFAULT_INSTANCE", "ROOT", "load_config", "normalise_database_url"]

FLASK_SETTINGS: dict[str, Any] = {
    "BABEL_DEFAULT_LOCALE": "ja",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
    "JSON_AS_ASCII": False,
    # online applications take attachments (forms_schema.MAX_UPLOAD_BYTES is 20 MB); the
    # intake pages without files lower it per request, and form fields stay small
    # (Flask's MAX_FORM_MEMORY_SIZE, 500 kB)
    "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}


def _generated_secret_key(instance: Path) -> str:
    """Development: a SECRET_KEY generated once and kept under instance/ (production refuses this)."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def normalise_database_url(url: str) -> str:
    """postgresql:// and postgres:// URLs use the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings (environment, then ``overrides`` for the variables it names), checked, plus
    the fixed Flask settings and any other key of ``overrides`` (e.g. TESTING) as given.
    SettingsError when a value is invalid or production settings are unsafe."""
    overrides = dict(overrides or {})
    known = {k: overrides.pop(k) for k in list(overrides) if k in Settings.model_fields}
    settings = read_settings(known)
    check_production(settings)
    config: dict[str, Any] = {**FLASK_SETTINGS, **settings.model_dump()}
    config["IS_PRODUCTION"] = settings.is_production  # derived, read by pages shown only outside production
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["DATABASE_URL"])
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _generated_secret_key(Path(config["INSTANCE_PATH"]))
    return config
