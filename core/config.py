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
        # online applications take attachments (forms_schema.MAX_UPLOAD_BYTES is 20 MB); the
        # intake pages without files lower it per request, and form fields stay small
        # (Flask's MAX_FORM_MEMORY_SIZE, 500 kB)
        "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
    env = os.environ.get
    config.update({
        # staff console: only these networks (LGWAN ranges), seen through TRUSTED_PROXY_COUNT proxies
        "STAFF_NETWORKS": env("STAFF_NETWORKS", "127.0.0.0/8,::1/128"),
        "METRICS_NETWORKS": env("METRICS_NETWORKS", "127.0.0.0/8,::1/128"),
        "TRUSTED_PROXY_COUNT": int(env("TRUSTED_PROXY_COUNT", "0")),
        "STAFF_HOST": env("STAFF_HOST", ""),  # serve /staff only on this host name when set
        "REDIS_URL": env("REDIS_URL", ""),  # shared rate limits across workers when set
        "AUDIT_ANCHOR_PATH": env("AUDIT_ANCHOR_PATH", str(instance / "audit-anchor.log")),
        "AUDIT_HMAC_KEY": env("AUDIT_HMAC_KEY", ""),
        "AUDIT_RETENTION_DAYS": int(env("AUDIT_RETENTION_DAYS", str(365 * 5))),
        "DATA_KEYS": env("DATA_KEYS", ""),  # "kid:base64key,kid2:base64key" (newest last)
        "DATA_KEY_FILE": env("DATA_KEY_FILE", str(instance / "data-keys")),
        "SMTP_HOST": env("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": int(env("SMTP_PORT", "25")),
        "SMTP_TIMEOUT": float(env("SMTP_TIMEOUT", "30")),
        "OUTBOX_RETENTION_DAYS": int(env("OUTBOX_RETENTION_DAYS", "30")),  # sent mail kept this long
        "USAGE_FLUSH_SECONDS": float(env("USAGE_FLUSH_SECONDS", "10")),  # usage counts written this often
        "AUDIT_CHECK_SECONDS": int(env("AUDIT_CHECK_SECONDS", "300")),  # audit chain re-verified this often
        "BLIND_INDEX_KEY": env("BLIND_INDEX_KEY", ""),  # key of lookup indexes (never rotates)
        "MAIL_FROM": env("MAIL_FROM", "noreply@guide.city.kakogawa.lg.jp"),
        "ADMIN_EMAILS": env("ADMIN_EMAILS", ""),
        "EMBED_ALLOWED_ORIGINS": env("EMBED_ALLOWED_ORIGINS", "https://www.city.kakogawa.lg.jp"),
        # JPKI: trust anchors (PEM bundle path) and CRLs (comma-separated paths); the development CA
        # is trusted only when these point at it
        "JPKI_TRUST_ANCHORS": env("JPKI_TRUST_ANCHORS", ""),
        "JPKI_CRL_SOURCES": env("JPKI_CRL_SOURCES", ""),
        # development only: "1" shows a button that signs with the dev CA's test card (instance/dev-ca,
        # or the dev CA directory given here); the signature is still verified as above
        "JPKI_DEV_SIGNER": env("JPKI_DEV_SIGNER", "0"),
        # CA certificates between the anchors and the signing certificates (PEM paths), for the re-check
        # at approval (the signer app's chain is not kept); empty where the anchors issue directly
        "JPKI_INTERMEDIATES": env("JPKI_INTERMEDIATES", ""),
        # where residents reach the service (links in e-mails sent from staff or webhook requests)
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", ""),
        # online applications: a resumable draft link lives this many days
        "DRAFT_LINK_DAYS": int(env("DRAFT_LINK_DAYS", "30")),
        # fees: the payment company (only the built-in "sandbox" so far); the sandbox's webhook key
        # (derived from SECRET_KEY for this one purpose when unset); how old a signed webhook may
        # be; how long a payment may stay open before `flask payments reconcile` asks about it
        "PAYMENT_PROVIDER": env("PAYMENT_PROVIDER", "sandbox"),
        "SANDBOX_WEBHOOK_SECRET": env("SANDBOX_WEBHOOK_SECRET", ""),
        "PAYMENT_WEBHOOK_TOLERANCE_SECONDS": int(env("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", "300")),
        "PAYMENT_RECONCILE_MINUTES": int(env("PAYMENT_RECONCILE_MINUTES", "15")),
        # back-office API: calls per client, and how old a change must be before the cursor passes it
        "BACKOFFICE_RATE_LIMIT": env("BACKOFFICE_RATE_LIMIT", "600 per minute"),
        "BACKOFFICE_SETTLE_SECONDS": float(env("BACKOFFICE_SETTLE_SECONDS", "2")),
        # uploads no application claimed (an abandoned page) are deleted after this many hours
        "UPLOAD_RETENTION_HOURS": int(env("UPLOAD_RETENTION_HOURS", "24")),
        "FORCE_HTTPS": env("FORCE_HTTPS", "0") == "1",
        "SESSION_IDLE_MINUTES": int(env("SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(env("SESSION_ABSOLUTE_HOURS", "12")),
    })
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["DATABASE_URL"])
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance)
    return config
