"""Backups and the restore drill on SQLite and PostgreSQL (TEST_DATABASE_URL): `flask backup` writes the
database, the uploaded files and a manifest but never the keys; `flask backup keys` writes them apart;
`flask backup drill` restores into a fresh database (its own name, dropped after) and passes every step
with the keys, and fails the decryption step, saying why, without them or with keys of another install."""
from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.datastructures import FileStorage

from core.config import normalise_database_url
from tests.conftest import make_staff, upgraded_app

PDF = b"%PDF-1.7 scanned residence certificate of a test resident"


@pytest.fixture(params=["sqlite", "postgresql"])
def small(request, tmp_path):
    """An app of its own (its instance, backups and keys under tmp_path) with a little of everything:
    staff accounts (encrypted fields), audit records, an uploaded file."""
    with upgraded_app(request.param, tmp_path / "instance", AUDIT_ANCHOR_SYSLOG=False) as (application, _snapshot):
        from core import audit, uploads
        make_staff(application, "admin", login_id="admin.one")
        make_staff(application, "counter", login_id="counter.two")
        with application.test_request_context("/"):
            uploads.store(FileStorage(io.BytesIO(PDF), filename="住民票.pdf"), ("pdf",), 10_000)
            audit.record("config.change", target="data_keys", actor="system", details={"change": "test"})
        yield application


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def _key_material(app) -> list[bytes]:
    spec = Path(app.config["DATA_KEY_FILE"]).read_text(encoding="utf-8")
    return [base64.b64decode(line.split(":", 1)[1]) for line in spec.splitlines()
            if line and not line.startswith("#")]


def test_backup_keys_apart_and_the_drill(small, tmp_path):
    app = small
    made = _run(app, "backup")
    assert made.exit_code == 0, made.output
    assert "The keys are NOT in it" in made.output
    folder = next(p for p in (tmp_path / "instance" / "backups").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["row_counts"]["staff_user"] == 2 and manifest["uploads"] == 1
    assert manifest["alembic_revision"] and manifest["key_ids"] == ["dev1"]
    assert set(manifest["files"]) >= {manifest["database"]["file"], "audit-anchor.log"}
    assert all(len(info["sha256"]) == 64 for info in manifest["files"].values())
    # no key and no plaintext in the data backup
    blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    for key in _key_material(app):
        assert key not in blob and base64.b64encode(key) not in blob
    assert PDF not in blob and "テスト admin".encode() not in blob

    refused = _run(app, "backup", "keys", "--out", str(folder.parent / "keys.json"))
    assert refused.exit_code == 1 and "stored apart" in refused.output
    keys = tmp_path / "elsewhere" / "keys.json"
    written = _run(app, "backup", "keys", "--out", str(keys))
    assert written.exit_code == 0, written.output
    assert keys.stat().st_mode & 0o077 == 0
    assert _run(app, "backup", "keys", "--out", str(keys)).exit_code == 1  # never overwritten

    assert _run(app, "backup", "verify").exit_code == 0

    drill = _run(app, "backup", "drill", "--keys", str(keys))
    assert drill.exit_code == 0, drill.output
    for step in ("checksums", "restore", "row counts", "audit chain", "decrypt sample", "boot and smoke", "clean up"):
        assert re.search(rf"\] {step} +OK +\d+\.\d\d s", drill.output), (step, drill.output)
    assert "/healthz 200, /readyz 200, /guide/" in drill.output and "/staff/login 200" in drill.output
    assert "PASSED: 7/7" in drill.output
    _no_drill_database_left(app)

    # the data backup alone: the decryption step fails and says what is missing
    alone = _run(app, "backup", "drill")
    assert alone.exit_code == 1
    line = next(x for x in alone.output.splitlines() if "decrypt sample" in x)
    assert "FAILED" in line and "no keys backup given (--keys)" in line and "unreadable by design" in line
    assert re.search(r"\] restore +OK", alone.output) and re.search(r"\] row counts +OK", alone.output)
    _no_drill_database_left(app)

    # keys of another installation (same key id, other key): refused, naming the mismatch
    other = json.loads(keys.read_text(encoding="utf-8"))
    other["data_keys"] = "dev1:" + base64.b64encode(b"\x07" * 32).decode()
    wrong = tmp_path / "elsewhere" / "other-keys.json"
    wrong.write_text(json.dumps(other), encoding="utf-8")
    mismatch = _run(app, "backup", "drill", "--keys", str(wrong))
    line = next(x for x in mismatch.output.splitlines() if "decrypt sample" in x)
    assert mismatch.exit_code == 1 and "FAILED" in line and "does not belong to this data backup" in line

    # a damaged backup is caught first, and nothing is restored from it
    (folder / manifest["database"]["file"]).write_bytes(b"damaged")
    damaged = _run(app, "backup", "drill", "--keys", str(keys))
    assert damaged.exit_code == 1 and "SHA-256 differs from the manifest" in damaged.output
    assert re.search(r"\] restore +FAILED +0\.00 s  not run", damaged.output)


def test_backups_beyond_the_kept_number_are_deleted(small):
    app = small
    app.config["BACKUP_KEEP"] = 2
    for _ in range(3):
        assert _run(app, "backup", "create").exit_code == 0
    listed = _run(app, "backup", "list").output.strip().splitlines()
    assert len(listed) == 2


def _no_drill_database_left(app) -> None:
    if app.config["DATABASE_URL"].startswith("postgres"):
        engine = create_engine(normalise_database_url(app.config["DATABASE_URL"]))
        with engine.connect() as conn:
            names = conn.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE '%\\_drill\\_%'")).all()
        engine.dispose()
        source = app.config["DATABASE_URL"].rsplit("/", 1)[1]
        assert [n for n in names if n.startswith(source)] == []
