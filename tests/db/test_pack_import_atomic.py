"""A refused import or upload leaves nothing behind (staff/content.py): no half-made draft, no
files, no blobs; the version in force stays."""
from __future__ import annotations

import io
import shutil

import pytest
from sqlalchemy import func, select

from core import pack_versions as store
from core import policy
from core.db import db
from core.models import PackBlob, PackVersion, PackVersionFile
from knowledge.loader import PACKS_DIR
from staff import content
from tests.conftest import csrf_from

FEE_FILE = "procedures/tenshutsu_todoke.yaml"


def _rows(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (PackVersion, PackVersionFile, PackBlob))


@pytest.fixture
def repository(monkeypatch, tmp_path):
    """A copy of the repository's pack for content.import_repository to read."""
    copy = tmp_path / "packs"
    shutil.copytree(PACKS_DIR / "kakogawa", copy / "kakogawa")
    monkeypatch.setattr(content, "PACKS_DIR", copy)
    return copy / "kakogawa"


def _change(repository, old: str, new: str, path: str = FEE_FILE) -> None:
    text = (repository / path).read_text(encoding="utf-8")
    (repository / path).write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_import_that_fails_the_checks_leaves_no_draft(app, repository):
    before = _rows(app)
    _change(repository, "amount_yen: 0", "amount_yen: [")
    (repository / "procedures" / "zz_new.yaml").write_text("id: zz_new\n", encoding="utf-8")  # a new blob too
    with app.test_request_context():
        with pytest.raises(store.VersionError) as refused:
            content.import_repository("system", "cli", "broken release")
        assert refused.value.code == "pack_checks_failed"
        assert any("tenshutsu_todoke.yaml" in p for p in refused.value.problems)
    assert _rows(app) == before
    with app.app_context():
        assert store.drafts("kakogawa") == [] and store.current("kakogawa").number == 1


def test_an_import_refused_half_way_leaves_no_draft(app, repository):
    """A file put_file refuses (not UTF-8) after others were already put in the draft."""
    before = _rows(app)
    _change(repository, "amount_yen: 0", "amount_yen: 20")
    (repository / "procedures" / "zz_latin1.yaml").write_bytes("id: caf\xe9\n".encode("latin-1"))
    with app.test_request_context():
        with pytest.raises(store.VersionError) as refused:
            content.import_repository("system", "cli", "half a release")
        assert refused.value.status == 400
    assert _rows(app) == before


def test_the_cli_shows_the_problems_of_a_refused_import(app, repository):
    _change(repository, "amount_yen: 0", "amount_yen: [")
    before = _rows(app)
    refused = app.test_cli_runner().invoke(args=["content", "import", "--reason", "broken"])
    assert refused.exit_code != 0 and "tenshutsu_todoke.yaml" in refused.output
    assert _rows(app) == before


def test_a_refused_upload_leaves_the_draft_as_it_was(app, staff_client):
    client = staff_client(policy.CURATOR)
    page = client.get("/staff/content/")
    token = csrf_from(page.get_data(as_text=True))
    r = client.post("/staff/content/drafts", data={"csrf_token": token})
    draft_id = int(r.location.rsplit("/", 1)[-1])
    with app.app_context():
        d = db.session.get(PackVersion, draft_id)
        digest, updated, files = d.digest, d.updated_at, store.shas_of(d)
    before = _rows(app)
    r = client.post(f"/staff/content/drafts/{draft_id}/upload", data={
        "csrf_token": token, "folder": "procedures",
        "file": (io.BytesIO("id: caf\xe9\n".encode("latin-1")), "zz.yaml")}, content_type="multipart/form-data")
    assert r.status_code == 400 and "UTF-8" in r.get_data(as_text=True)
    assert _rows(app) == before
    with app.app_context():
        d = db.session.get(PackVersion, draft_id)
        assert (d.digest, d.updated_at, store.shas_of(d)) == (digest, updated, files)
