"""The restore drill: a backup (core/backup.py) restored into a FRESH database and proved usable.

Steps, each timed and printed as it ends (``flask backup drill``; docs/ops/backup.md):

1. checksums — every file of the backup against its manifest;
2. restore — a new database (PostgreSQL: ``<database>_drill_<random>`` on the same server, created
   and dropped by the drill; SQLite: a new file in a scratch folder) and the uploaded files;
3. row counts — every table against the manifest;
4. audit chain — the restored chain verified with the audit key of the keys backup, against the
   anchors copied into the backup;
5. decrypt sample — some values of every encrypted column, and some uploaded files, decrypted
   with the data keys of the keys backup (without them this step fails and says why: the data
   backup alone is unreadable by design);
6. boot and smoke — the app created on the restored database, then GET /healthz, /readyz, a
   guide result page and the staff login page;
7. clean up — the drill's database dropped and its scratch folder deleted (unless ``keep``).

The app factory is handed in (``factory``): core never imports the app (app.py wires this).
"""
from __future__ import annotations

import base64
import datetime as dt
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select, text, type_coerce
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.types import Text

from core import backup
from core.audit import verify_database
from core.audit_chain import parse_anchors
from core.config import normalise_database_url
from core.crypto import encrypted_models
from core.db import db
from core.encrypted import encrypted_columns, process_keyring, set_keyring
from core.keyring import KeyringError
from core.pack import rulebook

SMOKE_PATHS = ("/healthz", "/readyz", "guide result", "/staff/login")


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    message: str


@dataclass
class DrillReport:
    backup: Path
    target: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


class StepFailed(Exception):
    pass


def _drill_database_name(source: str) -> str:
    base = (source or "eservice")[:40]
    return f"{base}_drill_{secrets.token_hex(4)}"


class _Target:
    """The fresh database of the drill: created, then dropped."""

    def __init__(self, dialect: str, source_url: str, workdir: Path):
        self.dialect = dialect
        self.workdir = workdir
        self._admin: Engine | None = None
        if dialect == "postgresql":
            source = make_url(normalise_database_url(source_url))
            if source.get_backend_name() != "postgresql":
                raise StepFailed("a PostgreSQL backup is restored on a PostgreSQL server: DATABASE_URL is not one")
            self.name = _drill_database_name(source.database or "")
            self.url = source.set(database=self.name).render_as_string(hide_password=False)
            self._admin = create_engine(source.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                                        poolclass=NullPool)
        else:
            self.name = str(workdir / "restored.sqlite3")
            self.url = f"sqlite:///{self.name}"

    def create(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))  # our own generated name

    def drop(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self._admin.dispose()

    def display(self) -> str:
        return f"PostgreSQL database {self.name}" if self.dialect == "postgresql" else f"SQLite file {self.name}"


def _restored_engine(url: str) -> Engine:
    return create_engine(normalise_database_url(url), poolclass=NullPool)


def _decrypt_sample(engine: Engine, keys: backup.KeysBackup | None, uploads: Path, sample: int) -> str:
    columns = []
    with engine.connect() as conn:
        present = set(backup.table_names(conn))
        for table, cols in encrypted_columns(encrypted_models()):
            if table.name not in present:
                continue
            for column in cols:
                values = conn.execute(select(type_coerce(column, Text())).where(column.is_not(None))
                                      .limit(sample)).scalars().all()
                if values:
                    columns.append((column.type.context, values))
    files = sorted(p for p in uploads.glob("*") if p.is_file())[:sample]
    values_total = sum(len(v) for _, v in columns)
    if keys is None:
        raise StepFailed(
            f"no keys backup given (--keys): {values_total} sampled value(s) of {len(columns)} encrypted column(s) "
            f"and {len(files)} uploaded file(s) cannot be read. The data backup alone is unreadable by design: "
            "fetch the keys backup (`flask backup keys`) from its separate storage and run the drill with --keys FILE")
    try:
        keyring = keys.keyring()
    except KeyringError as exc:
        raise StepFailed(f"the keys backup does not load: {exc}") from None
    try:
        for context, values in columns:
            for value in values:
                keyring.decrypt(value, context)
        for path in files:
            keyring.decrypt(path.read_text(encoding="ascii"), f"upload.{path.name}")
    except KeyringError as exc:
        raise StepFailed(f"{exc} — this keys backup does not belong to this data backup") from None
    return f"{values_total} value(s) of {len(columns)} column(s) and {len(files)} uploaded file(s) decrypted"


def _smoke(factory: Callable[[dict[str, Any]], Any], config: dict[str, Any]) -> str:
    previous = process_keyring()
    app = factory(config)
    try:
        results = []
        with app.app_context():
            events = list(rulebook().kb.events)
        today = dt.date.today().isoformat()
        https = "https" if app.config.get("FORCE_HTTPS") else "http"
        public = f"{https}://localhost"
        staff = f"{https}://{app.config.get('STAFF_HOST') or 'localhost'}"
        client = app.test_client()
        for path in SMOKE_PATHS:
            base = staff if path.startswith("/staff") else public
            if path == "guide result":
                if not events:
                    raise StepFailed("the restored app's pack has no life event to ask for")
                path = f"/guide/{events[0]}/result?date={today}&n=1&m0.relation=self"
            response = client.get(path, base_url=base)
            results.append(f"{path.split('?')[0]} {response.status_code}")
            if response.status_code != 200:
                raise StepFailed(f"GET {path}: {response.status_code} (" + ", ".join(results) + ")")
        return ", ".join(results)
    finally:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        set_keyring(previous)  # creating an app made its keyring the process-wide one


def run_drill(backup_path: Path, *, keys_path: Path | None, source_config: Mapping[str, Any],
              factory: Callable[[dict[str, Any]], Any], echo: Callable[[str], None] = print,
              sample: int = 20, keep: bool = False, workdir: Path | None = None) -> DrillReport:
    """Run every step (a failed step does not stop the later ones that can still run); see the module."""
    report = DrillReport(backup=backup_path)
    scratch = Path(tempfile.mkdtemp(prefix="drill-", dir=workdir))
    state: dict[str, Any] = {}
    total = 7

    def step(number: int, name: str, work: Callable[[], str], needs: tuple[str, ...] = ()) -> None:
        started = time.perf_counter()
        missing = [n for n in needs if not state.get(n)]
        if missing:
            result = Step(name, False, 0.0, f"not run: needs {', '.join(missing)}")
        else:
            try:
                result = Step(name, True, 0.0, work())
                state[name] = True
            except (StepFailed, backup.BackupError) as exc:
                result = Step(name, False, 0.0, str(exc))
            except Exception as exc:  # the drill reports every failure, whatever its kind
                result = Step(name, False, 0.0, f"{type(exc).__name__}: {exc}")
        result.seconds = time.perf_counter() - started
        report.steps.append(result)
        echo(f"[{number}/{total}] {name:<15} {'OK' if result.ok else 'FAILED':<6} {result.seconds:7.2f} s  "
             f"{result.message}")

    manifest: dict[str, Any] = {}
    target: _Target | None = None
    keys: backup.KeysBackup | None = None

    def checksums() -> str:
        manifest.update(backup.read_manifest(backup_path))
        problems = backup.verify_backup(backup_path)
        if problems:
            raise StepFailed("; ".join(problems[:5]) + (f" (+{len(problems) - 5})" if len(problems) > 5 else ""))
        return (f"{len(manifest['files'])} file(s) match manifest.json (backup of {manifest['created_at_jst']}, "
                f"revision {manifest['alembic_revision']})")

    def restore() -> str:
        nonlocal target, keys
        if keys_path is not None:
            keys = backup.read_keys_backup(keys_path)
        target = _Target(manifest["database"]["dialect"], str(source_config["SQLALCHEMY_DATABASE_URI"]), scratch)
        report.target = target.display()
        target.create()
        backup.restore_database(backup_path, manifest, target.url)
        uploads = backup.restore_uploads(backup_path, scratch / "uploads")
        if (backup_path / backup.ANCHORS).exists():
            shutil.copy2(backup_path / backup.ANCHORS, scratch / backup.ANCHORS)
        return f"{target.display()}, {uploads} uploaded file(s)"

    def counts() -> str:
        assert target is not None
        engine = _restored_engine(target.url)
        try:
            with engine.connect() as conn:
                found = backup.row_counts(conn)
        finally:
            engine.dispose()
        expected = manifest["row_counts"]
        wrong = [f"{t}: {found.get(t)} (manifest {n})" for t, n in expected.items() if found.get(t) != n]
        if wrong:
            raise StepFailed("row counts differ: " + "; ".join(wrong))
        return f"{len(expected)} table(s), {sum(expected.values())} row(s) as in the manifest"

    def chain() -> str:
        assert target is not None
        if keys is None:
            raise StepFailed("no keys backup given (--keys): the audit key that verifies the chain is in it")
        anchors_file = scratch / backup.ANCHORS
        anchors = parse_anchors(anchors_file.read_text(encoding="utf-8"))[0] if anchors_file.exists() else []
        engine = _restored_engine(target.url)
        try:
            result = verify_database(engine, keys.audit_hmac_key.encode("utf-8"), anchors)
        finally:
            engine.dispose()
        if not result.ok:
            raise StepFailed(f"the audit chain does not verify: {result.problem}")
        return f"{result.count} record(s), {result.anchors_checked} anchor(s) checked, last hash {result.last_hash[:16]}…"

    def decrypt() -> str:
        assert target is not None
        engine = _restored_engine(target.url)
        try:
            return _decrypt_sample(engine, keys, scratch / "uploads", sample)
        finally:
            engine.dispose()

    def smoke() -> str:
        assert target is not None
        config: dict[str, Any] = {
            "DATABASE_URL": target.url, "INSTANCE_PATH": str(scratch / "instance"),
            "UPLOAD_DIR": str(scratch / "uploads"), "AUDIT_ANCHOR_PATH": str(scratch / "drill-anchors.log"),
            "BACKUP_DIR": str(scratch / "backups"), "AUDIT_ANCHOR_SYSLOG": False, "AUDIT_CHECK_SECONDS": 0,
            "RULES_RELOAD_SECONDS": 0, "SECRET_KEY": secrets.token_hex(32),
            "MUNICIPALITY": manifest.get("municipality") or source_config.get("MUNICIPALITY"),
        }
        if keys is not None:
            config.update(keys.settings())
            note = ""
        else:  # the pages still answer with a throwaway key; nothing personal is read
            config["DATA_KEYS"] = "drill:" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
            config["AUDIT_HMAC_KEY"] = secrets.token_hex(32)
            note = " (with a throwaway key: no keys backup given)"
        return _smoke(factory, config) + note

    def clean() -> str:
        if keep:
            return f"kept: {report.target}, {scratch}"
        if target is not None:
            target.drop()
        shutil.rmtree(scratch, ignore_errors=True)
        return f"dropped {report.target or 'nothing'}; scratch folder deleted"

    echo(f"Restore drill of {backup_path} (keys: {keys_path or 'NONE'})")
    try:
        step(1, "checksums", checksums)
        step(2, "restore", restore, needs=("checksums",))
        step(3, "row counts", counts, needs=("restore",))
        step(4, "audit chain", chain, needs=("restore",))
        step(5, "decrypt sample", decrypt, needs=("restore",))
        step(6, "boot and smoke", smoke, needs=("restore",))
    finally:
        step(7, "clean up", clean)
    echo(f"{'PASSED' if report.ok else 'FAILED'}: {sum(s.ok for s in report.steps)}/{len(report.steps)} step(s) "
         f"in {report.total_seconds:.2f} s")
    return report
