"""Configuration from the environment, with safe defaults for a bare machine."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
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
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("INSTANCE_PATH", os.environ.get("INSTANCE_PATH", DEFAULT_INSTANCE)))
    url = overrides.get("DATABASE_URL") or os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'kakogawa.db'}"
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "MUNICIPALITY": os.environ.get("MUNICIPALITY", "kakogawa"),
        # results kept per worker for repeated answers (0 turns the cache off)
        "GUIDE_CACHE_SIZE": int(os.environ.get("GUIDE_CACHE_SIZE", "4096")),
        # how often a worker looks for edited knowledge files (0: only at start)
        "RULES_RELOAD_SECONDS": float(os.environ.get("RULES_RELOAD_SECONDS", "10")),
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "JSON_AS_ASCII": False,
        "MAX_CONTENT_LENGTH": 1 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["DATABASE_URL"])
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance)
    return config
