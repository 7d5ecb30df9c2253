"""Tamper-evident audit log: ``record`` is the one entry point.

Who did what, to which target, when, from where, with which result: ``record("staff.view",
target="application:123")``. The actor, role, IP and request id come from the request (``g.staff``,
``g.request_id``); outside a request the actor is ``system``.

- Each record is written in a short transaction of its own (its own connection), so it survives
  a rollback of the request's work and a failing request is still audited. Writing fails closed:
  if the record cannot be written, ``record`` raises and the action does not go on unaudited.
- Records form an HMAC chain (core/audit_chain.py). Writers are serialised so the chain never
  forks: ``pg_advisory_xact_lock`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite; ids are assigned
  as last id + 1 under that lock (no gaps), and the primary key stops a fork even without it.
- Every AUDIT_ANCHOR_EVERY records (1 by default: every record, so deleting any of the newest
  records is caught) and with ``flask audit anchor``, the latest (count, last id, last hash) is
  appended to AUDIT_ANCHOR_PATH and, where /dev/log exists, to syslog.
- The database refuses UPDATE and DELETE of audit rows (triggers from migration 0003); only
  ``flask audit purge`` lifts that, inside its own transaction. On PostgreSQL, ``flask audit
  roles`` (core/audit_roles.py) makes an app role that may only INSERT and SELECT audit rows and a
  purge role that ``flask audit purge`` connects as (AUDIT_PURGE_DATABASE_URL).

CLI: ``flask audit verify`` / ``flask audit anchor`` / ``flask audit purge`` / ``flask audit roles``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import logging.handlers
import os
import re
import secrets
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, g, has_request_context
from flask.cli import AppGroup
from sqlalchemy import DateTime, Engine, Index, Integer, String, Text, create_engine, delete, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import NullPool

from core import audit_roles
from core.audit_chain import (
    GENESIS,
    Anchor,
    ChainStart,
    VerifyResult,
    format_anchor,
    iso_utc,
    parse_anchors,
    record_hash,
    start_mac,
    verify,
)
from core.config import normalise_database_url
from core.db import db
from core.japan_time import JST
from core.security import client_ip

log = logging.getLogger(__name__)

RESULTS = ("ok", "denied", "failed")
PG_LOCK_ID = 0x6175646974  # "audit": the advisory lock every audit writer takes
MAX_DETAILS = 8000  # characters of JSON; larger details are replaced by a note

# Keys that never reach the log, at any depth of ``details``: secrets, and personal data.
_SENSITIVE_FRAGMENTS = ("password", "passwd", "passphrase", "token", "secret", "totp", "csrf", "cookie",
                        "authorization", "apikey", "api_key", "private_key", "credential", "session_id",
                        "signature", "email", "e_mail", "phone", "address", "birth", "mynumber", "my_number",
                        "kana")
_SENSITIVE_WORDS = frozenset({"otp", "pin", "tel", "name", "fullname", "surname"})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_KEY_PARTS = re.compile(r"[^a-z0-9]+")


class AuditRecord(db.Model):
    """One audited event. Rows are only ever inserted (the database refuses UPDATE and DELETE)."""

    __tablename__ = "audit_record"
    # the search's filters (staff/audit_views.py) over millions of rows, on PostgreSQL: prefixes of
    # ip and action (``10.1.*``) by pattern-ops indexes, the target's substring by trigrams (0019)
    __table_args__ = (
        Index("ix_audit_record_ip", "ip", postgresql_ops={"ip": "varchar_pattern_ops"}),
        Index("ix_audit_record_action", "action", postgresql_ops={"action": "varchar_pattern_ops"}),
        Index("ix_audit_record_target_trgm", "target", postgresql_using="gin",
              postgresql_ops={"target": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)  # login id, "anonymous" or "system"
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))  # login.success, staff.view, …
    target: Mapped[str] = mapped_column(String(255), index=True)
    result: Mapped[str] = mapped_column(String(16), index=True)  # ok | denied | failed
    ip: Mapped[str] = mapped_column(String(45))
    request_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)  # JSON, without secrets or personal data
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainStart(db.Model):
    """A purge point: the chain starts after ``last_id`` from ``last_hash`` (the latest row wins)."""

    __tablename__ = "audit_chain_start"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    purged: Mapped[int] = mapped_column(Integer)
    mac: Mapped[str] = mapped_column(String(64))  # HMAC with the audit key: a forged start is caught


class AuditError(RuntimeError):
    """The audit log could not be written (or verified before a purge)."""


# SQLite guards, exactly as migration 0003 creates them: purge drops and recreates the delete
# guard inside its own transaction (SQLite DDL is transactional, so nobody sees it missing).
SQLITE_DELETE_GUARD = (
    "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record "
    "BEGIN SELECT RAISE(ABORT, 'audit records cannot be deleted'); END"
)


# --- the key ----------------------------------------------------------------------------------

def audit_key(app: Flask | None = None) -> bytes:
    """AUDIT_HMAC_KEY, else ``instance/audit-key`` generated once (0600)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("audit_key")
    if cached:
        return cached
    configured = app.config.get("AUDIT_HMAC_KEY") or ""  # from the environment through core/settings.py
    key = configured.encode("utf-8") if configured else _key_file(Path(app.config["INSTANCE_PATH"]) / "audit-key")
    app.extensions["audit_key"] = key
    return key


def _key_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: two workers starting together end up with one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise AuditError(f"the audit key file {path} is empty")
    return key.encode("utf-8")


# --- what goes into a record ------------------------------------------------------------------

def _sensitive(key: str) -> bool:
    """``newPassword``, ``access_token``, ``totp_code``, ``birth_date``, ``display_name``, ``otp``…"""
    words = [w for w in _KEY_PARTS.split(_CAMEL.sub(r"\1_\2", key).lower()) if w]
    joined = "_".join(words)
    return any(f in joined for f in _SENSITIVE_FRAGMENTS) or any(w in _SENSITIVE_WORDS for w in words)


def clean_details(value: Any) -> Any:
    """Details without keys that could hold secrets or personal data (at any depth)."""
    if isinstance(value, Mapping):
        return {str(k): clean_details(v) for k, v in value.items() if not _sensitive(str(k))}
    if isinstance(value, list | tuple | set | frozenset):
        return [clean_details(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def details_json(details: Mapping[str, Any] | None) -> str:
    if not details:
        return "{}"
    text_ = json.dumps(clean_details(details), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    if len(text_) > MAX_DETAILS:
        text_ = json.dumps({"truncated": True, "size": len(text_)})
    return text_


def _context(actor: str | None, role: str | None) -> dict[str, str]:
    staff = getattr(g, "staff", None)
    if actor is None:
        actor = getattr(staff, "login_id", None) or ("anonymous" if has_request_context() else "system")
    if role is None:
        role = getattr(staff, "role", None) or ""
    ip = ""
    if has_request_context():
        ip = client_ip()
    return {"actor": str(actor)[:64], "role": str(role)[:32], "ip": ip[:45],
            "request_id": str(getattr(g, "request_id", "") or "")[:64]}


# --- writing ----------------------------------------------------------------------------------

@contextlib.contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A short write transaction on a connection of its own, holding the audit writers' lock."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # the driver's own transaction handling would BEGIN DEFERRED; take the write lock now
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
            return
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_ID})
            yield conn


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction that sees one consistent state (for verify and the purge check)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.exec_driver_sql("ROLLBACK")
            return
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as trans:
            yield conn
            trans.rollback()


def _chain_start(conn: Connection) -> ChainStart | None:
    t = AuditChainStart.__table__
    row = conn.execute(select(t).order_by(t.c.id.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    return ChainStart(last_id=row["last_id"], last_hash=row["last_hash"], at=iso_utc(row["at"]),
                      purged=row["purged"], mac=row["mac"])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _append(conn: Connection, key: bytes, entry: Mapping[str, str], anchor_every: int = 1
            ) -> tuple[int, str, Anchor | None]:
    """Insert one record after the last one; the caller holds the lock. The anchor, when due
    (every ``anchor_every`` ids)."""
    t = AuditRecord.__table__
    last = conn.execute(select(t.c.id, t.c.hash).order_by(t.c.id.desc()).limit(1)).first()
    if last is None:
        start = _chain_start(conn)
        prev_id, prev_hash = (start.last_id, start.last_hash) if start else (0, GENESIS)
    else:
        prev_id, prev_hash = last.id, last.hash
    now = _now()
    fields = {**entry, "id": prev_id + 1, "at": now}
    digest = record_hash(key, prev_hash, fields)
    conn.execute(insert(t).values(**fields, prev_hash=prev_hash, hash=digest))
    anchor = None
    if fields["id"] % anchor_every == 0:
        start = _chain_start(conn)
        count = fields["id"] - (start.last_id if start else 0)  # ids have no gaps after the purge point
        anchor = Anchor(count=count, last_id=fields["id"], last_hash=digest, at=iso_utc(now))
    return fields["id"], digest, anchor


def _entry(action: str, target: str, result: str, details: Mapping[str, Any] | None,
           actor: str | None, role: str | None) -> dict[str, str]:
    if not action:
        raise ValueError("an audit record needs an action")
    if result not in RESULTS:
        raise ValueError(f"audit result must be one of {RESULTS}, not {result!r}")
    return {**_context(actor, role), "action": action[:64], "target": str(target or "")[:255],
            "result": result, "details": details_json(details)}


def _write(entry: Mapping[str, str]) -> int:
    key = audit_key()
    try:
        with _locked(db.engine) as conn:
            new_id, _digest, anchor = _append(conn, key, entry, current_app.config["AUDIT_ANCHOR_EVERY"])
    except Exception as exc:
        log.error("audit record could not be written: %s %s", entry.get("action"), type(exc).__name__)
        raise AuditError(f"the audit record {entry.get('action')!r} could not be written") from exc
    if anchor is not None:
        write_anchor(anchor)
    return new_id


def _session_holds_sqlite_write_lock() -> bool:
    """Would our own write wait for the request's own uncommitted SQLite write (a deadlock)?"""
    if db.engine.dialect.name != "sqlite":
        return False
    session = db.session()
    if not session.in_transaction():
        return False
    try:
        driver = session.connection().connection.driver_connection
    except Exception:  # the session is in a failed state: it holds nothing we would wait for
        return False
    return bool(getattr(driver, "in_transaction", False))


def record(action: str, *, target: str = "", result: str = "ok", details: dict[str, Any] | None = None,
           actor: str | None = None, role: str | None = None) -> None:
    """Append one audit record (actor, role, IP and request id come from the request context).

    Raises AuditError when the record cannot be written (fail closed). On SQLite, while the
    request's own session holds an uncommitted write, the record is written when the app
    context ends instead (after that session is closed), so the two never wait for each other.
    """
    entry = _entry(action, target, result, details, actor, role)
    if _session_holds_sqlite_write_lock():
        g.setdefault("_audit_pending", []).append(entry)
        return
    _write(entry)


def _flush_pending(exc: BaseException | None = None) -> None:
    pending = g.pop("_audit_pending", None)
    if not pending:
        return
    db.session.remove()  # ends the request's transaction (what Flask-SQLAlchemy does next anyway)
    for entry in pending:
        try:
            _write(entry)
        except AuditError:
            log.critical("deferred audit record lost: %s", entry.get("action"))


# --- anchors ----------------------------------------------------------------------------------

_syslog_lock = threading.Lock()
_syslog: logging.Logger | None = None


def _syslog_logger() -> logging.Logger | None:
    global _syslog
    with _syslog_lock:
        if _syslog is None and os.path.exists("/dev/log"):
            try:
                handler = logging.handlers.SysLogHandler(
                    address="/dev/log", facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
            except OSError:
                return None
            handler.setFormatter(logging.Formatter("guide-audit-anchor: %(message)s"))
            logger = logging.getLogger("guide.audit.anchor")
            logger.propagate = False
            logger.setLevel(logging.INFO)
            logger.addHandler(handler)
            _syslog = logger
        return _syslog


def write_anchor(anchor: Anchor) -> bool:
    """Append the anchor to AUDIT_ANCHOR_PATH (and syslog when there is one). Never raises."""
    line = format_anchor(anchor)
    written = True
    path = Path(current_app.config["AUDIT_ANCHOR_PATH"])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError as exc:
        written = False
        log.error("audit anchor could not be written to %s: %s", path, exc.strerror or exc)
    if current_app.config.get("AUDIT_ANCHOR_SYSLOG", True):
        try:
            logger = _syslog_logger()
            if logger is not None:
                logger.info(line)
        except Exception:  # syslog is a second copy: never fail for it
            log.warning("audit anchor could not be sent to syslog")
    return written


def current_anchor() -> Anchor:
    """The chain's latest state, as an anchor."""
    t = AuditRecord.__table__
    with _snapshot(db.engine) as conn:
        last = conn.execute(select(t.c.id, t.c.hash).order_by(t.c.id.desc()).limit(1)).first()
        count = conn.scalar(select(func.count()).select_from(t)) or 0
        start = _chain_start(conn) if last is None else None
    now = iso_utc(dt.datetime.now(dt.UTC))
    if last is None:
        return Anchor(count=0, last_id=start.last_id if start else 0,
                      last_hash=start.last_hash if start else GENESIS, at=now)
    return Anchor(count=count, last_id=last.id, last_hash=last.hash, at=now)


def read_anchors(path: str | os.PathLike[str] | None = None) -> tuple[list[Anchor], list[int], bool]:
    """Anchors in the file, unreadable line numbers, and whether the file exists."""
    path = Path(path or current_app.config["AUDIT_ANCHOR_PATH"])
    if not path.exists():
        return [], [], False
    anchors, bad = parse_anchors(path.read_text(encoding="utf-8", errors="replace"))
    return anchors, bad, True


# --- verification and purge -------------------------------------------------------------------

_RECORD_COLUMNS = ("id", "at", "actor", "role", "action", "target", "result", "ip", "request_id", "details",
                   "prev_hash", "hash")


def verify_database(engine: Engine, key: bytes, anchors: list[Anchor]) -> VerifyResult:
    """Walk the chain of the database behind ``engine`` with ``key`` (a restored copy too: the
    restore drill of core/backup_drill.py)."""
    t = AuditRecord.__table__
    with _snapshot(engine) as conn:
        start = _chain_start(conn)
        rows = conn.execution_options(yield_per=2000).execute(
            select(*[t.c[name] for name in _RECORD_COLUMNS]).order_by(t.c.id))
        try:
            return verify(rows.mappings(), key, start=start, anchors=anchors)
        finally:
            rows.close()  # the server-side cursor, when verify stopped at a problem


def verify_chain(anchor_path: str | os.PathLike[str] | None = None) -> VerifyResult:
    """Walk the whole chain and compare with the anchor file (read first: all it names is committed)."""
    anchors, bad, exists = read_anchors(anchor_path)
    result = verify_database(db.engine, audit_key(), anchors)
    if not exists:
        result.warnings.append("no anchor file yet: truncation of the newest records cannot be checked")
    if bad:
        result.warnings.append(f"unreadable anchor line(s): {', '.join(map(str, bad[:10]))}")
    return result


def purge(before: dt.datetime) -> tuple[int, int | None]:
    """Delete the records older than ``before`` (a prefix of the chain, cut by id), keep the chain
    verifiable from the purge point, and audit the purge. Returns (count, last purged id).

    Refuses (AuditError) when the chain does not verify: a purge must not launder tampering.
    """
    check = verify_chain()
    if not check.ok:
        raise AuditError(f"the audit chain does not verify, nothing purged: {check.problem}")
    before = before.astimezone(dt.UTC)  # SQLite compares the stored UTC text
    key = audit_key()
    t = AuditRecord.__table__
    entry = _entry("audit.purge", "audit_record", "ok", None, None, None)
    try:
        with _purge_engine() as engine, _locked(engine) as conn:
            last = conn.execute(select(t.c.id, t.c.hash).where(t.c.at < before)
                                .order_by(t.c.id.desc()).limit(1)).first()
            count, last_id = 0, None
            if last is not None:
                last_id = last.id
                count = conn.scalar(select(func.count()).select_from(t).where(t.c.id <= last_id)) or 0
                start = ChainStart(last_id=last_id, last_hash=last.hash,
                                   at=iso_utc(dt.datetime.now(dt.UTC)), purged=count)
                start = dataclasses.replace(start, mac=start_mac(key, start))
                conn.execute(insert(AuditChainStart.__table__).values(
                    at=dt.datetime.fromisoformat(start.at.replace("Z", "+00:00")), last_id=start.last_id,
                    last_hash=start.last_hash, purged=start.purged, mac=start.mac))
                _allow_purge(conn, True)
                conn.execute(delete(t).where(t.c.id <= last_id))
                _allow_purge(conn, False)
            entry = {**entry, "details": details_json({"count": count, "before": iso_utc(before), "last_id": last_id})}
            _append(conn, key, entry)
    except SQLAlchemyError as exc:  # e.g. the app role, which may not delete audit records
        cause = type(getattr(exc, "orig", None) or exc).__name__
        raise AuditError(f"the database refused the purge ({cause}): run it as the purge role "
                         "(AUDIT_PURGE_DATABASE_URL, see `flask audit roles`)") from exc
    write_anchor(current_anchor())
    return count, last_id


@contextlib.contextmanager
def _purge_engine() -> Iterator[Engine]:
    """The purge role's connection (AUDIT_PURGE_DATABASE_URL), else the app's own: in production
    the app role may not delete audit records at all (``flask audit roles``)."""
    url = current_app.config.get("AUDIT_PURGE_DATABASE_URL") or ""
    if not url:
        yield db.engine
        return
    engine = create_engine(normalise_database_url(url), poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def _allow_purge(conn: Connection, on: bool) -> None:
    """Lift the delete guard for this transaction only (see migration 0003)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT set_config('app.audit_purge', :v, true)"), {"v": "on" if on else "off"})
    elif conn.dialect.name == "sqlite":
        if on:
            conn.exec_driver_sql("DROP TRIGGER audit_record_no_delete")
        else:
            conn.exec_driver_sql(SQLITE_DELETE_GUARD)


# --- CLI --------------------------------------------------------------------------------------

audit_cli = AppGroup("audit", help="The tamper-evident audit log: verify, anchor, purge, roles.")


@audit_cli.command("verify")
@click.option("--anchor", "anchor_path", type=click.Path(dir_okay=False),
              help="An anchor file to compare with (default: AUDIT_ANCHOR_PATH), e.g. a copy from syslog.")
def verify_command(anchor_path: str | None) -> None:
    """Walk the chain; report the first altered or missing record (exit 1)."""
    result = verify_chain(anchor_path)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not result.ok:
        click.echo(f"FAILED: {result.problem}")
        click.echo(f"({result.count} record(s) verified before the problem)")
        from core.monitoring import check_audit_chain  # cycle: core.monitoring imports this module
        check_audit_chain()  # the console's security alert and the administrators' e-mail
        sys.exit(1)
    span = f"ids {result.first_id}–{result.last_id}" if result.count else "no records"
    click.echo(f"OK: {result.count} record(s) ({span}), last hash {result.last_hash}; "
               f"{result.anchors_checked} anchor(s) checked"
               + (f", {result.anchors_before_start} before the purge point" if result.anchors_before_start else ""))


@audit_cli.command("anchor")
def anchor_command() -> None:
    """Append the latest (count, last id, last hash) to the anchor file (and syslog)."""
    anchor = current_anchor()
    if not write_anchor(anchor):
        click.echo(f"FAILED: could not write {current_app.config['AUDIT_ANCHOR_PATH']}", err=True)
        sys.exit(1)
    click.echo(f"anchored: {anchor.count} record(s), last id {anchor.last_id}, last hash {anchor.last_hash}")


@audit_cli.command("purge")
@click.option("--before", "before_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Delete records before this day (Japan time). Default: AUDIT_RETENTION_DAYS ago.")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_command(before_date: dt.datetime | None, dry_run: bool) -> None:
    """Delete records older than the retention period; the chain stays verifiable; audited."""
    if before_date is not None:
        before = before_date.replace(tzinfo=JST)
    else:
        before = dt.datetime.now(dt.UTC) - dt.timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"])
    if dry_run:
        t = AuditRecord.__table__
        with _snapshot(db.engine) as conn:
            n = conn.scalar(select(func.count()).select_from(t)
                            .where(t.c.at < before.astimezone(dt.UTC))) or 0
        click.echo(f"would purge {n} record(s) before {before.isoformat()}")
        return
    try:
        count, last_id = purge(before)
    except AuditError as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(1)
    click.echo(f"purged {count} record(s) before {before.isoformat()}"
               + (f" (ids up to {last_id}); the chain now starts after id {last_id}" if last_id else ""))


@audit_cli.command("roles")
@click.option("--app-role", required=True, help="The role the application connects as (DATABASE_URL).")
@click.option("--purge-role", required=True, help="The role `flask audit purge` connects as (AUDIT_PURGE_DATABASE_URL).")
def roles_command(app_role: str, purge_role: str) -> None:
    """PostgreSQL: make (or update) the app role, which may only INSERT and SELECT audit records,
    and the purge role. Run as the tables' owner after each `flask db upgrade`."""
    if db.engine.dialect.name != "postgresql":
        click.echo("FAILED: database roles need PostgreSQL (SQLite has none; its triggers are the guard)", err=True)
        sys.exit(1)
    try:
        with db.engine.begin() as conn:
            existing = set(conn.scalars(text("SELECT rolname FROM pg_roles WHERE rolname IN (:a, :p)"),
                                        {"a": app_role, "p": purge_role}))
            database, owner = conn.execute(text("SELECT current_database(), current_user")).one()
            for statement in (audit_roles.create_statements(existing, app_role, purge_role)
                              + audit_roles.grant_statements(database, owner, app_role, purge_role)):
                conn.exec_driver_sql(statement)
    except audit_roles.RoleNameError as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(1)
    click.echo(f"app role {app_role}: SELECT and INSERT only on {', '.join(audit_roles.AUDIT_TABLES)}; "
               f"purge role {purge_role}: may delete audit records. Set DATABASE_URL and AUDIT_PURGE_DATABASE_URL "
               "to connect as them.")


def init_audit(app: Flask) -> None:
    app.teardown_appcontext(_flush_pending)  # audit_cli is registered by the app factory (app.py)
