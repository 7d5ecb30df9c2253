"""Backups: the data (database and uploaded files) with a manifest, and the keys apart.

A backup is a folder ``BACKUP_DIR/<UTC time>/`` written under a hidden name and renamed when complete:

- ``database.dump`` (PostgreSQL: ``pg_dump`` custom format, on a snapshot exported from a
  REPEATABLE READ transaction, so the row counts of the manifest are those of the dump), or
  ``database.sqlite3`` (SQLite: the online backup API, a consistent copy while the app runs);
- ``uploads/``: the uploaded files exactly as stored (still encrypted);
- ``audit-anchor.log``: a copy of the audit chain's anchors, taken BEFORE the snapshot (everything
  it names is in the dump), so a restored chain can be checked against it;
- ``manifest.json``: time, municipality, app version, Alembic revision, row counts per table, the
  key ids the data needs (names only), the audit chain's head, and the SHA-256 and size of every file.

The keys (data keys, blind-index key, audit HMAC key) are never in a data backup:
``flask backup keys --out FILE`` writes them to a file of their own (0600), refused inside
BACKUP_DIR. A data backup without its keys is unreadable by design; keys without a data backup hold
no data. Store them apart (docs/ops/backup.md).

CLI: ``flask backup`` (create), ``flask backup keys``, ``flask backup list``, ``flask backup verify``,
``flask backup drill`` (the restore drill, core/backup_drill.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump and pg_restore with fixed argument lists and never a shell
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from core.config import ROOT
from core.japan_time import JST
from core.keyring import Keyring, decode_key, parse_key_spec
from core.uploads import folder as upload_folder

FORMAT = "eservice-backup/1"
KEYS_FORMAT = "eservice-keys/1"
MANIFEST = "manifest.json"
PG_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
UPLOADS = "uploads"
ANCHORS = "audit-anchor.log"
DUMP_TIMEOUT = 6 * 3600  # seconds: a dump that takes longer than this has a problem worth a failure


class BackupError(RuntimeError):
    """A backup, a keys backup or a restore could not be done; the message says why."""


# --- small helpers ------------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def app_version() -> str:
    """The version of pyproject.toml."""
    try:
        return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def table_names(conn: Connection) -> list[str]:
    return sorted(inspect(conn).get_table_names())


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows of every table of the database (the tables the database has, not only the models')."""
    return {name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0) for name in table_names(conn)}


def alembic_revision(conn: Connection) -> str:
    if "alembic_version" not in inspect(conn).get_table_names():
        return ""
    return str(conn.scalar(text("SELECT version_num FROM alembic_version")) or "")


def audit_head(conn: Connection) -> dict[str, Any]:
    """The chain's last record (id, hash) and count, as the manifest and the certificate show them."""
    if "audit_record" not in inspect(conn).get_table_names():
        return {"count": 0, "last_id": None, "last_hash": None}
    last = conn.execute(text("SELECT id, hash FROM audit_record ORDER BY id DESC LIMIT 1")).first()
    count = conn.scalar(text("SELECT count(*) FROM audit_record")) or 0
    return {"count": int(count), "last_id": last[0] if last else None, "last_hash": last[1] if last else None}


def libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments of pg_dump / pg_restore for a SQLAlchemy URL; the password goes in the
    environment (PGPASSWORD), never on the command line where ``ps`` shows it."""
    parsed = make_url(url)
    args = []
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    sslmode = parsed.query.get("sslmode")
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    return [*args, "--no-password", "--dbname", str(parsed.database or "")], env


def pg_tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if not found:
        raise BackupError(f"{name} is not installed (the PostgreSQL client tools, same major version as the server)")
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    # a fixed argument list (the tool's absolute path, our own options, the database name from the
    # settings' URL), no shell, the password in the environment
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT,  # noqa: S603
                          check=False)  # nosec B603 - a fixed argument list and no shell
    if done.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


# --- the data backup ----------------------------------------------------------------------------

@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    pruned: list[str]


def _dump_postgresql(engine: Engine, out: Path) -> tuple[dict[str, int], str, dict[str, Any]]:
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            counts = row_counts(conn)
            revision = alembic_revision(conn)
            head = audit_head(conn)
            args, env = libpq(engine.url.render_as_string(hide_password=False))
            _run([pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--file", str(out), *args], env)
    return counts, revision, head


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _dump_sqlite(engine: Engine, out: Path) -> tuple[dict[str, int], str, dict[str, Any]]:
    source = sqlite3.connect(_sqlite_path(engine))
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # the online backup API: a consistent copy while others write
    finally:
        source.close()
        target.close()
    copy = create_engine(f"sqlite:///{out}", poolclass=NullPool)
    try:
        with copy.connect() as conn:
            return row_counts(conn), alembic_revision(conn), audit_head(conn)
    finally:
        copy.dispose()


def _files_of(root: Path) -> dict[str, dict[str, Any]]:
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel != MANIFEST:
            files[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return files


def _copy_uploads(source: Path, target: Path) -> int:
    target.mkdir(mode=0o700)
    count = 0
    if source.is_dir():
        for path in sorted(source.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                shutil.copy2(path, target / path.name)
                count += 1
    return count


def create_backup(engine: Engine, config: Mapping[str, Any], key_ids: tuple[str, ...] = ()) -> BackupResult:
    """One complete backup in BACKUP_DIR (see the module docstring); older ones beyond BACKUP_KEEP pruned."""
    root = Path(config["BACKUP_DIR"])
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = dt.datetime.now(dt.UTC)
    name = now.strftime("%Y%m%dT%H%M%SZ")
    if (root / name).exists():
        name += f"-{secrets.token_hex(2)}"
    partial = root / f".partial-{name}"
    partial.mkdir(mode=0o700)
    try:
        anchors = Path(config["AUDIT_ANCHOR_PATH"])
        if anchors.exists():  # first: every anchor in the copy names a record the snapshot holds
            shutil.copy2(anchors, partial / ANCHORS)
        dialect = engine.dialect.name
        if dialect == "postgresql":
            database = PG_FILE
            counts, revision, head = _dump_postgresql(engine, partial / database)
        elif dialect == "sqlite":
            database = SQLITE_FILE
            counts, revision, head = _dump_sqlite(engine, partial / database)
        else:
            raise BackupError(f"no backup method for {dialect}")
        uploads = _copy_uploads(upload_folder(config), partial / UPLOADS)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(timespec="seconds"),
            "created_at_jst": now.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST"),
            "municipality": config.get("MUNICIPALITY", ""),
            "app_version": app_version(),
            "alembic_revision": revision,
            "database": {"dialect": dialect, "file": database,
                         "method": "pg_dump --format=custom (exported snapshot)" if dialect == "postgresql"
                         else "sqlite3 online backup API"},
            "row_counts": counts,
            "uploads": uploads,
            "key_ids": list(key_ids),
            "keys": "not included: restore them from the separate keys backup (flask backup keys)",
            "audit": head,
            "files": _files_of(partial),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        partial.rename(root / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupResult(root / name, manifest, prune(root, int(config.get("BACKUP_KEEP") or 14)))


def list_backups(root: Path) -> list[Path]:
    """The complete backups in ``root``, oldest first (the folders with a manifest)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists())


def prune(root: Path, keep: int) -> list[str]:
    """Delete the oldest complete backups beyond ``keep``; their names."""
    backups = list_backups(root)
    gone = backups[:-keep] if keep > 0 else []
    for path in gone:
        shutil.rmtree(path)
    return [p.name for p in gone]


def read_manifest(backup: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup}: no readable {MANIFEST} ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{backup}: not a backup of this service (format {manifest.get('format')!r})")
    return manifest


def verify_backup(backup: Path) -> list[str]:
    """The problems of a backup folder against its manifest (empty: every file is as written)."""
    manifest = read_manifest(backup)
    problems = []
    listed = manifest.get("files", {})
    for rel, info in listed.items():
        path = backup / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.stat().st_size != info["bytes"] or sha256_file(path) != info["sha256"]:
            problems.append(f"{rel}: SHA-256 differs from the manifest (altered or damaged)")
    for path in backup.rglob("*"):
        rel = path.relative_to(backup).as_posix()
        if path.is_file() and rel != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not in the manifest")
    return problems


def restore_database(backup: Path, manifest: Mapping[str, Any], target_url: str) -> None:
    """Restore the backup's database into ``target_url``, an EMPTY database (PostgreSQL) or a new
    SQLite file (its path must not exist yet)."""
    dialect = manifest["database"]["dialect"]
    source = backup / manifest["database"]["file"]
    if dialect == "postgresql":
        args, env = libpq(target_url)
        _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", *args, str(source)], env)
    elif dialect == "sqlite":
        target = Path(make_url(target_url).database or "")
        if target.exists():
            raise BackupError(f"{target} exists: a restore goes into a new file")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    else:
        raise BackupError(f"no restore method for {dialect}")


def restore_uploads(backup: Path, target: Path) -> int:
    """The backup's uploaded files (as stored, encrypted) into ``target``."""
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    count = 0
    for path in sorted((backup / UPLOADS).glob("*")):
        if path.is_file():
            shutil.copy2(path, target / path.name)
            count += 1
    return count


# --- the keys, apart ----------------------------------------------------------------------------

@dataclass(frozen=True)
class KeysBackup:
    data_keys: str
    blind_index_key: str
    audit_hmac_key: str
    key_ids: tuple[str, ...]
    created_at: str

    def keyring(self) -> Keyring:
        blind = decode_key(self.blind_index_key, "BLIND_INDEX_KEY", exact=False) if self.blind_index_key else None
        return Keyring.from_spec(self.data_keys, blind)

    def settings(self) -> dict[str, str]:
        """The settings an app restored with these keys runs with."""
        values = {"DATA_KEYS": self.data_keys, "AUDIT_HMAC_KEY": self.audit_hmac_key}
        if self.blind_index_key:
            values["BLIND_INDEX_KEY"] = self.blind_index_key
        return values


def write_keys_backup(out: Path, material: Mapping[str, str], audit_key: bytes, config: Mapping[str, Any]) -> KeysBackup:
    """Write the keys to ``out`` (a new file, 0600), never inside BACKUP_DIR or the upload folder."""
    for name, place in (("BACKUP_DIR", Path(config["BACKUP_DIR"])), ("the upload folder", upload_folder(config))):
        if out.resolve().is_relative_to(place.resolve()):
            raise BackupError(f"{out} is inside {name}: the keys must be stored apart from the data")
    keys, _blind = parse_key_spec(material["data_keys"])
    backup = KeysBackup(data_keys=material["data_keys"], blind_index_key=material["blind_index_key"],
                        audit_hmac_key=audit_key.decode("utf-8"), key_ids=tuple(k for k, _ in keys),
                        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    payload = {"format": KEYS_FORMAT, "created_at": backup.created_at, "municipality": config.get("MUNICIPALITY", ""),
               "warning": "Secret keys. Store apart from the data backups (another place, another person).",
               "key_ids": list(backup.key_ids), "data_keys": backup.data_keys,
               "blind_index_key": backup.blind_index_key, "audit_hmac_key": backup.audit_hmac_key}
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{out} exists: a keys backup is never overwritten (choose a new name)") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return backup


def is_keys_backup(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("format") == KEYS_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def read_keys_backup(path: Path) -> KeysBackup:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path}: not a readable keys backup ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != KEYS_FORMAT:
        raise BackupError(f"{path}: not a keys backup of this service")
    return KeysBackup(data_keys=data["data_keys"], blind_index_key=data.get("blind_index_key", ""),
                      audit_hmac_key=data["audit_hmac_key"], key_ids=tuple(data.get("key_ids", ())),
                      created_at=data.get("created_at", ""))
