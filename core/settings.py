"""Every setting the application reads from the environment: name, type, default and check, in
one place (pydantic-settings). ``core.config.load_config`` turns them into ``app.config``;
``docs/configuration.md`` is generated from this class (``python -m core.settings``) and a test
keeps the two equal.

A production start (``ENV=production``, or ``FORCE_HTTPS`` unless ``ENV=development``) refuses settings
that are only safe on a developer's machine: :func:`production_problems` lists every one at once.
"""
from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"
MIN_SECRET_KEY = 32  # characters of a production SECRET_KEY
SIGNER_PLACEHOLDERS = ("fetch_url", "key", "signature_url", "return_url")
UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file", "blob"}
DEV_KEY_FILE_NAME = "data-keys"  # the development key file core.crypto generates under the instance folder


class SettingsError(ValueError):
    """Settings that cannot be used; the message names every problem, one per line."""

    def __init__(self, problems: list[str], heading: str):
        self.problems = problems
        super().__init__(heading + "\n" + "\n".join(f"  - {p}" for p in problems))


def _cidr_list(value: str) -> str:
    for part in value.split(","):
        if part.strip():
            ipaddress.ip_network(part.strip(), strict=False)  # ValueError names the bad network
    return value


class Settings(BaseSettings):
    """The environment variables, each with its type, default and meaning (the description is the
    documentation). Empty variables count as unset."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore",
                                      coerce_numbers_to_str=True, validate_default=True)

    # --- where it runs ---------------------------------------------------------------------
    ENV: str = Field("", description="`production` turns on the production checks, `development` turns them off; "
                     "otherwise `FORCE_HTTPS=1` does.")
    INSTANCE_PATH: str = Field(str(DEFAULT_INSTANCE), description="Folder for local state: the SQLite database, "
                               "generated development keys, uploads, the audit anchor file.")
    DATABASE_URL: str = Field("", description="SQLAlchemy URL (`postgresql://` uses psycopg 3). Production: the app "
                              "role of `flask audit roles` (INSERT and SELECT only on the audit table). "
                              "Empty: SQLite `INSTANCE_PATH/<MUNICIPALITY>.db` (each pack its own file).")
    DB_CONNECT_WAIT_SECONDS: float = Field(10, ge=0, description="While PostgreSQL restarts, a request waits up to "
                                           "this long for a new connection before it fails (0: fails at once). "
                                           "`/readyz` never waits.")
    AUDIT_PURGE_DATABASE_URL: str = Field("", description="URL of the purge role `flask audit purge` connects as "
                                          "(the app role cannot delete audit records). Empty: DATABASE_URL.")
    SECRET_KEY: str = Field("", description="Signs sessions and CSRF tokens. Production: required, at least "
                            f"{MIN_SECRET_KEY} characters. Empty (development): generated once under INSTANCE_PATH.")
    FORCE_HTTPS: bool = Field(False, description="Redirect to HTTPS, HSTS, secure cookies; the production signal "
                              "when ENV is unset.")
    PUBLIC_BASE_URL: str = Field("", description="Where residents reach the service (links in e-mails sent from "
                                 "staff pages or webhooks), e.g. `https://guide.example.lg.jp`. Production: required.")
    MUNICIPALITY: str = Field("", description="The knowledge pack served (`knowledge/packs/<name>`). Empty: the "
                              "product's default pack (`knowledge/loader.py` DEFAULT_PACK), filled in by the app factory.")
    # --- the guide -------------------------------------------------------------------------
    GUIDE_CACHE_SIZE: int = Field(4096, ge=0, description="Results kept per worker for repeated answers "
                                  "(0 turns the cache off).")
    RULES_RELOAD_SECONDS: float = Field(10, ge=0, description="How often a worker looks for a newly "
                                        "published version of the pack (or, before any, for edited knowledge "
                                        "files); 0: only at start.")
    GUIDE_SAMPLE_EVERY: int = Field(20, ge=0, description="Keep the answers (never names or addresses: the guide "
                                    "asks for none) of one questionnaire in this many, for the curators' impact "
                                    "preview (0: none).")
    EMBED_ALLOWED_ORIGINS: str = Field("", description="Comma-separated origins that may frame the guide (CSP "
                                       "frame-ancestors). Empty: the origin of the pack's city homepage.")
    # --- networks and limits ---------------------------------------------------------------
    STAFF_NETWORKS: str = Field("127.0.0.0/8,::1/128", description="Comma-separated networks (LGWAN ranges) "
                                "the staff console answers.")
    METRICS_NETWORKS: str = Field("127.0.0.0/8,::1/128", description="Comma-separated networks that may read "
                                  "/metrics.")
    TRUSTED_PROXY_COUNT: int = Field(0, ge=0, description="Reverse proxies in front whose X-Forwarded-* "
                                     "headers are believed.")
    STAFF_HOST: str = Field("", description="Serve /staff only on this host name (and nothing else on it, except "
                            "the back-office API when BACKOFFICE_HOST is empty).")
    BACKOFFICE_HOST: str = Field("", description="The host name the back-office API (`/api/v1/backoffice`) answers "
                                 "on, e.g. the LGWAN name of the 申請管理システム's side; every other host answers "
                                 "404, and this host serves nothing else (the OpenAPI document and health checks "
                                 "aside). Empty: STAFF_HOST when set (the API then leaves the internet host), "
                                 "otherwise every host.")
    BACKOFFICE_NETWORKS: str = Field("", description="Comma-separated networks (the 申請管理システム's addresses) "
                                     "the back-office API answers; other addresses get 404. The client address is "
                                     "the one TRUSTED_PROXY_COUNT determines. Empty: every address (the client "
                                     "credentials still apply).")
    REDIS_URL: str = Field("", description="Redis for rate limits and alert counters shared across workers "
                           "(empty: per worker memory).")
    STAFF_LOGIN_LIMIT_PER_ADDRESS: str = Field("10 per minute;100 per hour", description="Staff login attempts "
                                               "(password and code steps) per client address.")
    STAFF_LOGIN_LIMIT_PER_ACCOUNT: str = Field("10 per minute;30 per hour", description="Staff login attempts "
                                               "per login id, from any address (known or not).")
    BACKOFFICE_RATE_LIMIT: str = Field("600 per minute", description="Back-office API calls per client.")
    BACKOFFICE_SETTLE_SECONDS: float = Field(2, ge=0, description="How old a change must be before the "
                                             "back-office cursor passes it.")
    BACKOFFICE_IDEMPOTENCY_HOURS: float = Field(24, gt=0, description="How long the answer to a back-office "
                                                "status change with an `Idempotency-Key` is kept: the same key and "
                                                "body again within it get the same answer and change nothing.")
    # --- staff sessions --------------------------------------------------------------------
    SESSION_IDLE_MINUTES: int = Field(30, ge=1, description="A staff session ends after this long without activity.")
    SESSION_ABSOLUTE_HOURS: int = Field(12, ge=1, description="A staff session ends this long after the login.")
    # --- audit -----------------------------------------------------------------------------
    AUDIT_HMAC_KEY: str = Field("", description="Key of the audit log's HMAC chain (empty: `INSTANCE_PATH/audit-key`, "
                                "generated once).")
    AUDIT_ANCHOR_PATH: str = Field("", description="File the chain's anchors are appended to; keep a copy "
                                   "elsewhere (syslog). Empty: `INSTANCE_PATH/audit-anchor.log`.")
    AUDIT_ANCHOR_SYSLOG: bool = Field(True, description="Also send each anchor to syslog (/dev/log) when there is one.")
    AUDIT_ANCHOR_EVERY: int = Field(1, ge=1, description="An anchor after every this many audit records (1: every "
                                    "record, so deleting any of the newest records is caught by `flask audit verify`).")
    AUDIT_RETENTION_DAYS: int = Field(365 * 5, ge=1, description="`flask audit purge` deletes records older than this.")
    AUDIT_CHECK_SECONDS: int = Field(300, ge=0, description="How often the audit chain is re-verified in the "
                                     "background (0: never).")
    # --- encryption ------------------------------------------------------------------------
    DATA_KEYS: str = Field("", description="Data keys `kid:base64key,kid2:base64key` (newest last). Production: "
                           "this or a DATA_KEY_FILE outside the instance folder.")
    DATA_KEY_FILE: str = Field("", description="A key file, one `kid:base64key` per line, outside the repository. "
                               f"Empty: the development file `INSTANCE_PATH/{DEV_KEY_FILE_NAME}` (refused in production).")
    BLIND_INDEX_KEY: str = Field("", description="Key of lookup indexes (never rotates; empty: from the key file).")
    # --- mail ------------------------------------------------------------------------------
    SMTP_HOST: str = Field("127.0.0.1", description="SMTP relay.")
    SMTP_PORT: int = Field(25, ge=1, le=65535, description="SMTP port.")
    SMTP_TIMEOUT: float = Field(30, gt=0, description="Seconds before an SMTP connection gives up.")
    MAIL_FROM: str = Field("", description="Sender address of every e-mail. Empty: the pack's `mail_from`.")
    MAIL_FROM_NAME: str = Field("", description="The From display name of e-mails (empty: the pack's city name).")
    ADMIN_EMAILS: str = Field("", description="Comma-separated addresses that receive security alerts.")
    OUTBOX_RETENTION_DAYS: int = Field(30, ge=1, description="Sent mail is kept this long.")
    OUTBOX_RETRY_SECONDS: float = Field(60, gt=0, description="The wait after a first failed delivery; it "
                                        "doubles with each further try (at most 6 hours).")
    # --- usage statistics ------------------------------------------------------------------
    USAGE_STATISTICS: bool = Field(True, description="Count anonymous usage (the statistics pages stay either way).")
    USAGE_FLUSH_SECONDS: float = Field(10, ge=0, description="Usage counts are written this often (0: at once).")
    FEEDBACK_RETENTION_DAYS: int = Field(730, ge=1, description="Residents' answers on result pages "
                                         "(「この一覧は役に立ちましたか」) are kept this many days "
                                         "(`flask feedback purge`, run daily).")
    # --- online applications ---------------------------------------------------------------
    JPKI_TRUST_ANCHORS: str = Field("", description="PEM bundle of the JPKI trust anchors.")
    JPKI_CRL_SOURCES: str = Field("", description="Comma-separated CRL paths.")
    JPKI_INTERMEDIATES: str = Field("", description="Comma-separated PEM paths of CAs between the anchors and "
                                    "signing certificates (for the re-check at approval).")
    JPKI_DEV_SIGNER: str = Field("0", description="Development only: `1` shows a button that signs with the dev "
                                 "CA's test card (`INSTANCE_PATH/dev-ca`), or the dev CA's directory.")
    SIGNER_APP_URL_TEMPLATE: str = Field("", description="The link (and QR code) of the signing step that opens "
                                         "the residents' signer app: a URL or an app's own scheme with the "
                                         "placeholders `{fetch_url}` (GET: what to sign), `{key}` (the one-time key, "
                                         "sent as X-Application-Key), `{signature_url}` (POST: the signature) and "
                                         "`{return_url}` (back to the application), each percent-encoded; e.g. "
                                         "`signer-app://sign?fetch={fetch_url}&key={key}&return={return_url}`. "
                                         "Empty: with JPKI_DEV_SIGNER on, the development signer "
                                         "`/dev/signer?fetch_url={fetch_url}&key={key}&return_url={return_url}`; "
                                         "otherwise no link (the page shows the values to copy).")
    SIGNER_APP_NAME: str = Field("", description="The signer app's name as residents know it, shown on the signing "
                                 "step (e.g. the vendor's app name). Empty: 「署名アプリ」 in the page's language.")
    SIGNING_KEY_MINUTES: int = Field(30, ge=1, le=1440, description="How long the one-time key of the signing "
                                     "step's link opens the application for the signer app.")
    DRAFT_LINK_DAYS: int = Field(30, ge=1, description="A resumable draft link lives this many days.")
    UPLOAD_DIR: str = Field("", description="Where attachments are stored (empty: `INSTANCE_PATH/uploads`).")
    UPLOAD_RETENTION_HOURS: int = Field(6, ge=1, description="Uploads no application claimed are deleted after "
                                        "this many hours (`flask applications purge`, run hourly).")
    UPLOAD_MIB_PER_ADDRESS: str = Field("200 per hour;1000 per day", min_length=1, description="What one address "
                                        "may upload anonymously, in MiB (limits syntax; API and pages share it).")
    UPLOAD_FILES_PER_DRAFT: int = Field(20, ge=1, description="How many files one draft may hold.")
    UPLOAD_MIB_PER_DRAFT: int = Field(50, ge=1, description="How many MiB of files one draft may hold.")
    # --- counter forms (printed from the household's 事前入力) ------------------------------
    PDF_FONT_PATH: str = Field("", description="The Japanese TrueType font embedded in the printed counter forms "
                               "(e.g. `/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf`). Empty: the first IPA "
                               "Gothic font found in the usual Debian places (`core/pdf.py` FONT_CANDIDATES). No "
                               "font: printing answers 503 with a message, the rest of the service works.")
    # --- batch export for the 申請管理 system (docs/backoffice-export.md) --------------------
    BACKOFFICE_EXPORT_DIR: str = Field("", description="Where `flask backoffice export` writes one ZIP and its "
                                       "`.done` marker per application (the folder the file transfer across the "
                                       "network layers picks up). Empty: the command needs `--dir`.")
    BACKOFFICE_EXPORT_ENCODING: Literal["utf-8-sig", "cp932"] = Field(
        "utf-8-sig", description="The fields CSV in the export: `utf-8-sig` (UTF-8 with BOM) or `cp932` "
        "(Shift_JIS; an application holding a character cp932 cannot encode is refused and reported).")
    BACKOFFICE_EXPORT_FORMATS: str = Field("json,csv,pdf", description="Comma-separated exporters run for each "
                                           "application (`json`, `csv`, `pdf`); attachments, signature evidence "
                                           "and the manifest are always written.")
    BACKOFFICE_EXPORT_BASE_URL: str = Field("", description="Base URL written into the exported application JSON's "
                                            "attachment links (e.g. the back-office API's LGWAN host). Empty: "
                                            "`http://localhost`.")
    # --- backups and hand-over ------------------------------------------------------------
    BACKUP_DIR: str = Field("", description="Where `flask backup` writes its backups (a folder per backup with its "
                            "manifest; mount other storage here). Never the keys: `flask backup keys --out` writes "
                            "them apart. Empty: `INSTANCE_PATH/backups`.")
    BACKUP_KEEP: int = Field(14, ge=1, description="How many backups `flask backup` keeps in BACKUP_DIR (older ones "
                             "are deleted after a new one is complete; daily backups: two weeks).")
    # --- fees ------------------------------------------------------------------------------
    PAYMENT_PROVIDER: str = Field("sandbox", min_length=1, description="The payment company: one of the providers "
                                  "`intake/payments` registers (another name is refused at start); `sandbox` (a "
                                  "test checkout that marks fees paid) is refused in production.")
    SANDBOX_WEBHOOK_SECRET: str = Field("", description="The sandbox's webhook key (empty: derived from "
                                        "SECRET_KEY, refused in production).")
    PAYMENT_WEBHOOK_TOLERANCE_SECONDS: int = Field(300, ge=1, description="How old a signed webhook may be.")
    PAYMENT_RECONCILE_MINUTES: int = Field(15, ge=1, description="How long a payment may stay open before "
                                           "`flask payments reconcile` asks about it.")

    @model_validator(mode="before")
    @classmethod
    def _paths_as_text(cls, data: Any) -> Any:
        """Paths given in code (tests, scripts) are stored as text like the environment's."""
        if isinstance(data, dict):
            return {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in data.items()}
        return data

    @field_validator("STAFF_NETWORKS", "METRICS_NETWORKS", "BACKOFFICE_NETWORKS")
    @classmethod
    def _networks(cls, value: str) -> str:
        return _cidr_list(value)

    @field_validator("PUBLIC_BASE_URL")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("must be an http(s) URL such as https://guide.example.lg.jp")
        return value.rstrip("/")

    @field_validator("SIGNER_APP_URL_TEMPLATE")
    @classmethod
    def _signer_template(cls, value: str) -> str:
        if value:
            scheme = value.split(":", 1)[0].lower() if ":" in value else ""
            if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) or scheme in UNSAFE_SCHEMES:
                raise ValueError("must start with a scheme such as https:// or the app's own (not javascript:, data:)")
            if "{fetch_url}" not in value:
                raise ValueError("must contain {fetch_url}")
            unknown = set(re.findall(r"\{([^{}]*)\}", value)) - set(SIGNER_PLACEHOLDERS)
            if unknown:
                raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; known: {list(SIGNER_PLACEHOLDERS)}")
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _instance_defaults(self) -> Settings:
        """Defaults that live under INSTANCE_PATH."""
        instance = Path(self.INSTANCE_PATH)
        if not self.DATABASE_URL:
            self.DATABASE_URL = f"sqlite:///{instance / ((self.MUNICIPALITY or 'guide') + '.db')}"
        if not self.AUDIT_ANCHOR_PATH:
            self.AUDIT_ANCHOR_PATH = str(instance / "audit-anchor.log")
        if not self.BACKUP_DIR:
            self.BACKUP_DIR = str(instance / "backups")
        if not self.DATA_KEY_FILE:
            self.DATA_KEY_FILE = str(instance / DEV_KEY_FILE_NAME)
        return self

    @property
    def is_production(self) -> bool:
        # any other ENV (POSIX shells use the name for a start-up file) leaves FORCE_HTTPS to decide
        return self.ENV == "production" or (self.FORCE_HTTPS and self.ENV != "development")


def read_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The environment, with ``overrides`` (settings given in code) winning; SettingsError lists
    every invalid variable at once."""
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()]
        raise SettingsError(problems, "invalid settings:") from None


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unsafe for production (empty when they are fine)."""
    problems = []
    if not settings.SECRET_KEY:
        problems.append("SECRET_KEY is not set (a key generated on this machine would sign sessions)")
    elif len(settings.SECRET_KEY) < MIN_SECRET_KEY:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY} characters")
    if settings.PAYMENT_PROVIDER == "sandbox":
        problems.append("PAYMENT_PROVIDER is the sandbox (a test checkout marks fees paid): set a real provider")
    if settings.PAYMENT_PROVIDER == "sandbox" and not settings.SANDBOX_WEBHOOK_SECRET:
        problems.append("SANDBOX_WEBHOOK_SECRET is not set: the webhook secret would be derived from SECRET_KEY")
    dev_file = Path(settings.INSTANCE_PATH) / DEV_KEY_FILE_NAME
    if not settings.DATA_KEYS and Path(settings.DATA_KEY_FILE).resolve() == dev_file.resolve():
        problems.append(f"DATA_KEYS is not set and DATA_KEY_FILE is the development key file {dev_file}")
    if not settings.PUBLIC_BASE_URL:
        problems.append("PUBLIC_BASE_URL is not set: links in e-mails would follow the request's Host header")
    if settings.JPKI_DEV_SIGNER.strip().lower() not in ("", "0", "false", "no", "off"):
        problems.append("JPKI_DEV_SIGNER is on: the development signer (test cards) is for development only")
    return problems


def check_production(settings: Settings) -> None:
    """Refuse (SettingsError) a production start with unsafe settings; nothing outside production."""
    if settings.is_production:
        problems = production_problems(settings)
        if problems:
            raise SettingsError(problems, "refusing to start in production with unsafe settings:")


# --- the documentation ------------------------------------------------------------------------

def _type_name(annotation: Any) -> str:
    if getattr(annotation, "__origin__", None) is Literal:
        return " \\| ".join(f"`{a}`" if a else "(unset)" for a in annotation.__args__)
    return getattr(annotation, "__name__", str(annotation))


def markdown() -> str:
    """docs/configuration.md: one row per variable, from the class above."""
    lines = [
        "# Configuration",
        "",
        "Generated from `core/settings.py` by `python -m core.settings > docs/configuration.md`; "
        "a test keeps them equal.",
        "Every setting is an environment variable (empty counts as unset). "
        "A production start (`ENV=production`, or `FORCE_HTTPS=1` unless `ENV=development`) refuses: "
        "SECRET_KEY missing or short, the sandbox payment provider, a webhook secret derived from "
        "SECRET_KEY, the development data-key file, a missing PUBLIC_BASE_URL, the development signer on. "
        "The message lists every problem at once.",
        "",
        "`PROMETHEUS_MULTIPROC_DIR` is read by prometheus_client and `gunicorn.conf.py` themselves "
        "(several workers, see core/monitoring.py).",
        "",
        "| variable | type | default | what |",
        "|---|---|---|---|",
    ]
    for name, info in Settings.model_fields.items():
        default = info.default
        shown = "(empty)" if default == "" else f"`{default}`"
        if name == "INSTANCE_PATH":
            shown = "`instance/` in the repository"
        lines.append(f"| `{name}` | {_type_name(info.annotation)} | {shown} | {info.description or ''} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
