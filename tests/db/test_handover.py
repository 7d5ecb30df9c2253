"""The hand-over at the end of the contract, on SQLite and PostgreSQL: `flask export-all` writes every table
(JSON Lines and CSV, personal fields decrypted), the uploaded files as uploaded, the pack and its versions,
with manifest.json and SHA256SUMS, and is audited; `flask erase-all` refuses without confirmation, then
erases the tables, the files, the backups and the keys and writes a データ消去証明書 naming them."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests.conftest import make_staff, upgraded_app

PDF = b"%PDF-1.7 scanned residence certificate of a test resident"


@pytest.fixture(params=["sqlite", "postgresql"])
def small(request, tmp_path):
    with upgraded_app(request.param, tmp_path / "instance", AUDIT_ANCHOR_SYSLOG=False) as (application, _snapshot):
        from core import pack_versions, uploads
        from core.db import db
        from knowledge.loader import PACKS_DIR
        make_staff(application, "admin", login_id="admin.one")
        with application.test_request_context("/"):
            uploads.store(FileStorage(io.BytesIO(PDF), filename="住民票.pdf"), ("pdf",), 10_000)
        with application.app_context():
            pack_versions.ensure_first_version("kakogawa", PACKS_DIR / "kakogawa")
            db.session.commit()
        yield application


def _run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False, **kwargs)


def test_export_all_then_erase_all(small, tmp_path):
    app = small
    assert _run(app, "backup").exit_code == 0
    keys = tmp_path / "vault" / "keys.json"
    assert _run(app, "backup", "keys", "--out", str(keys)).exit_code == 0

    out = tmp_path / "handover"
    exported = _run(app, "export-all", "--out", str(out), "--operator", "vendor.a")
    assert exported.exit_code == 0, exported.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # the staff account's encrypted name, decrypted, in both formats
    rows = [json.loads(line) for line in (out / "tables" / "staff_user.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["display_name"] == "テスト admin" and rows[0]["login_id"] == "admin.one"
    with (out / "tables" / "staff_user.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.DictReader(fh))["display_name"] == "テスト admin"
    assert manifest["tables"]["staff_user"]["decrypted_columns"] == ["display_name", "totp_secret"]
    assert {"alembic_version", "audit_record", "pack_version", "pack_blob"} <= set(manifest["tables"])
    # the upload as uploaded, the pack's files and its first version
    assert [p.read_bytes() for p in (out / "uploads").iterdir()] == [PDF]
    assert (out / "pack" / "files" / "pack.yaml").is_file()
    assert (out / "pack" / "versions" / "kakogawa" / "v1" / "pack.yaml").is_file()
    blobs = json.loads((out / "tables" / "pack_blob.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert (out / blobs["content"]).is_file()  # binary cells name their file
    # every file summed, and sha256sum agrees
    assert manifest["files"]["tables/staff_user.csv"]["sha256"] == hashlib.sha256(
        (out / "tables" / "staff_user.csv").read_bytes()).hexdigest()
    check = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    manifest_sha = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert manifest_sha in exported.output
    with app.app_context():
        from core.audit import AuditRecord
        from core.db import db
        record = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "data.export_all")).one()
        assert json.loads(record.details)["sha256"] == manifest_sha and record.actor == "vendor.a"
    assert _run(app, "export-all", "--out", str(out)).exit_code == 1  # never over an export

    # erasure: confirmation first
    wrong = _run(app, "erase-all", "--operator", "山田 太郎", input="minato\n")
    assert wrong.exit_code == 1 and "nothing was erased" in wrong.output
    assert _run(app, "erase-all", "--operator", "x", "--confirm", "nope").exit_code == 1
    with app.app_context():
        from core.staff_models import StaffUser
        assert db.session.scalar(select(StaffUser.login_id)) == "admin.one"

    certificates = tmp_path / "certificates"
    erased = _run(app, "erase-all", "--operator", "山田 太郎", "--certificate-dir", str(certificates),
                  input="kakogawa\n")
    assert erased.exit_code == 0, erased.output
    instance = tmp_path / "instance"
    assert not keys.exists() and not (instance / "data-keys").exists() and not (instance / "audit-key").exists()
    assert list((instance / "backups").iterdir()) == [] and list((instance / "uploads").iterdir()) == []
    assert not (instance / "audit-anchor.log").exists()
    with app.app_context():
        from core.backup import row_counts
        with db.engine.connect() as conn:
            counts = row_counts(conn)
        db.session.remove()
    assert counts.pop("alembic_version") == 1 and set(counts.values()) == {0}

    html_path = next(certificates.glob("erasure-certificate-kakogawa-*.html"))
    html = html_path.read_text(encoding="utf-8")
    facts = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert "データ消去証明書" in html and "山田 太郎" in html and "JST" in html
    assert manifest_sha in html and facts["export"]["verified"] is True
    assert facts["tables"]["staff_user"] == 1 and facts["after"]["staff_user"] == 0
    assert "<code>staff_user</code>" in html
    uploads = next(f for f in facts["files"] if f["what"] == "アップロードされたファイル")
    assert uploads["files"] == 1 and uploads["bytes"] > len(PDF)
    assert {k["what"] for k in facts["keys"] if k["state"] == "erased"} >= {
        "データ鍵ファイル", "監査ログの鍵ファイル", "鍵のバックアップ（flask backup keys）"}
    assert facts["audit"]["verified"] is True and facts["audit"]["last_id"] == facts["tables"]["audit_record"]
    assert "HTML only" in erased.output


def test_erase_all_wants_an_export_first(small):
    refused = _run(small, "erase-all", "--operator", "x", "--confirm", "kakogawa")
    assert refused.exit_code == 1 and "no export found" in refused.output
    with small.app_context():
        from core.db import db
        from core.staff_models import StaffUser
        assert db.session.scalar(select(StaffUser.login_id)) == "admin.one"
