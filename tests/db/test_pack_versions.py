"""Versions of the pack in the database (core/pack_versions.py, staff/content.py, core/pack.py):
the repository's files are v1; a curator's draft is published only when it passes the checks;
the served version switches without a restart, from a date when scheduled; a rollback is a new
version; drafts are per curator; every step is audited. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import select

from core import pack_versions as store
from core.audit import AuditRecord
from core.db import db
from knowledge.loader import PACKS_DIR
from staff import content

FEE_FILE = "procedures/tenshutsu_todoke.yaml"  # listed on every move out; a fee of 0 yen
MOVE_OUT = {"event": "moving_out", "event_date": "2026-11-20", "locale": "ja",
            "facts": {"to_abroad": False, "to_hyogo": False, "child_allowance": False, "moped": False, "dog": False},
            "members": [{"relation": "self", "age": 40, "insurance": "shaho", "pension": "second",
                         "mynumber_card": True, "seal_registered": False, "care_certified": False}]}


@pytest.fixture
def versions_app(app):
    """The session's app (SQLite and PostgreSQL); its database and served pack are put back after
    each test (tests/conftest.py: fresh_state, reset_process_state)."""
    return app


def _fee_of(app, pid: str = "tenshutsu_todoke", event_date: str = "2026-11-20") -> list[int]:
    body = app.test_client().post("/api/v1/guide/evaluate", json=dict(MOVE_OUT, event_date=event_date)).get_json()
    listed = {p["id"]: p for p in body["procedures"]}
    return [f["amount_yen"] for f in (listed[pid]["fees"] or [])] if pid in listed else []


def _served(app) -> str:
    return app.test_client().post("/api/v1/guide/evaluate", json=MOVE_OUT).get_json()["ruleset_version"]


def _edit(draft, path: str, old: str, new: str) -> None:
    text = content.read_file(draft, path)
    assert old in text, (path, old)
    content.save_file(draft, path, text.replace(old, new, 1).encode())


def test_the_repository_is_the_first_version(versions_app):
    with versions_app.test_request_context():
        v1 = content.in_force()
        assert (v1.number, v1.state, v1.author) == (1, "published", "system")
        assert store.files_of(v1) == store.repository_files(PACKS_DIR / "kakogawa")
        assert content.in_force().id == v1.id  # once only
        assert v1.ruleset_version == _served(versions_app)


def test_a_checked_draft_is_published_and_served_at_once(versions_app):
    before = _served(versions_app)
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        _edit(draft, FEE_FILE, "amount_yen: 0", "amount_yen: 350")
        assert content.check(draft).ok
        compared, changes, _, _ = content.impact(draft, today=dt.date(2026, 12, 2))
        assert compared > 100
        fee_changes = [c for c in changes if any(pid == "tenshutsu_todoke" and what == "fees" for pid, what, _, _ in c.details)]
        assert fee_changes and "0円" in fee_changes[0].summary() and "350円" in fee_changes[0].summary()
        version = content.publish(draft, "curator.a", "curator", "条例改正で手数料が変わるため", None)
        assert version.number == 2 and version.base_number == 1
        assert [c.path for c in content.changes_of(version)] == [FEE_FILE]
    assert _fee_of(versions_app) == [350]
    assert _served(versions_app) == version.ruleset_version != before
    with versions_app.app_context():
        record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "content.publish"))
        assert record.target == "v2" and record.actor == "curator.a"


def test_a_draft_that_fails_a_check_is_never_published(versions_app):
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        _edit(draft, FEE_FILE, "amount_yen: 0", "amount_yen: [300")
        result = content.check(draft)
        assert not result.ok
        assert any(re.search(r"kakogawa/procedures/tenshutsu_todoke\.yaml:\d+: \(syntax\)", p) for p in result.problems)
        with pytest.raises(store.VersionError) as refused:
            content.publish(draft, "curator.a", "curator", "test", None)
        assert refused.value.status == 409
        assert [v.number for v in content.history()] == [1]
        assert db.session.get(type(draft), draft.id).state == "draft"  # kept, to be mended
        refusal = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "content.publish"))
        assert refusal.result == "denied"
        _edit(draft, FEE_FILE, "amount_yen: [300", "amount_yen: 0")
        assert content.check(draft).ok  # mended: it may go


def test_a_version_scheduled_for_a_date_takes_effect_on_that_date(versions_app):
    start = dt.datetime(2027, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=9)))  # 4月1日 00:00 JST
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        _edit(draft, FEE_FILE, "amount_yen: 0", "amount_yen: 400")
        scheduled = content.publish(draft, "curator.a", "curator", "4月1日から", start)
        assert [v.number for v in store.scheduled("kakogawa")] == [2]
        assert content.in_force().number == 1
    assert _fee_of(versions_app) == [0]
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        with versions_app.app_context():
            versions_app.extensions["rulebook"].refresh()
            assert store.current("kakogawa").number == 2
        assert _fee_of(versions_app) == [400]
    assert scheduled.number == 2


def test_a_scheduled_version_can_be_withdrawn_before_its_day(versions_app):
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        _edit(draft, FEE_FILE, "amount_yen: 0", "amount_yen: 400")
        content.publish(draft, "curator.a", "curator", "来年から", store.now_utc() + dt.timedelta(days=30))
        content.withdraw(2, "curator.a", "curator")
        assert store.scheduled("kakogawa") == []
        assert [(v.number, v.state) for v in content.history()] == [(2, "withdrawn"), (1, "published")]
        with pytest.raises(store.VersionError):
            content.withdraw(1, "curator.a", "curator")  # in force: roll back instead


def test_rollback_is_a_new_version_with_the_old_files(versions_app):
    first = _served(versions_app)
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        _edit(draft, FEE_FILE, "amount_yen: 0", "amount_yen: 350")
        content.publish(draft, "curator.a", "curator", "値上げ", None)
    assert _fee_of(versions_app) == [350]
    with versions_app.test_request_context():
        back = content.rollback(1, "curator.b", "curator")
        assert (back.number, back.restores_number, back.reason) == (3, 1, "v1 に戻す")
        assert store.files_of(back) == store.files_of(store.by_number("kakogawa", 1))
        assert db.session.scalar(select(AuditRecord).where(AuditRecord.action == "content.rollback")).target == "v3"
    assert _fee_of(versions_app) == [0]
    assert _served(versions_app) == first


def test_drafts_are_per_curator_and_published_versions_never_change(versions_app):
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        with pytest.raises(store.VersionError) as other:
            content.draft(draft.id, "curator.b")
        assert other.value.status == 404
        assert [d.id for d in store.drafts("kakogawa", "curator.a")] == [draft.id]
        v1 = content.in_force()
        with pytest.raises(store.VersionError):
            store.put_file(v1, FEE_FILE, b"x: 1")
        with pytest.raises(store.VersionError) as big:
            store.put_file(draft, FEE_FILE, b"#" * (store.MAX_FILE_BYTES + 1))
        assert big.value.status == 413
        with pytest.raises(store.VersionError):
            store.put_file(draft, FEE_FILE, "住民票".encode("shift_jis"))
        content.discard(draft)
        assert store.drafts("kakogawa", "curator.a") == []


@pytest.mark.parametrize("path", ["../app.py", "/etc/passwd", "procedures/Bad Name.yaml", "procedures/../../x.yaml", "core/x.yaml",
                                  "procedures/a/b.yaml", ".hidden.yaml", "procedures/x.py", "", "procedures/"])
def test_only_pack_files_can_be_written(path):
    with pytest.raises(store.VersionError) as refused:
        store.check_path(path)
    assert refused.value.status == 400


def test_materialised_versions_are_written_once_and_whole(tmp_path):
    files = {"pack.yaml": b"a: 1\n", "procedures/x.yaml": b"id: x\n"}
    first = store.materialise(tmp_path, "city", files)
    assert (first / "city" / "procedures" / "x.yaml").read_bytes() == b"id: x\n"
    assert store.materialise(tmp_path, "city", files) == first
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no half-written folder left


def test_flask_content_import_publishes_changed_repository_files_only(versions_app, monkeypatch, tmp_path):
    import shutil

    from staff import content as service
    runner = versions_app.test_cli_runner()
    unchanged = runner.invoke(args=["content", "import", "--reason", "release 1.1"])
    assert unchanged.exit_code == 0 and "nothing published" in unchanged.output
    copy = tmp_path / "packs"
    shutil.copytree(PACKS_DIR / "kakogawa", copy / "kakogawa")
    text = (copy / "kakogawa" / FEE_FILE).read_text(encoding="utf-8")
    (copy / "kakogawa" / FEE_FILE).write_text(text.replace("amount_yen: 0", "amount_yen: 10", 1), encoding="utf-8")
    monkeypatch.setattr(service, "PACKS_DIR", copy)
    published = runner.invoke(args=["content", "import", "--reason", "release 1.2"])
    assert published.exit_code == 0, published.output
    assert "v2 published" in published.output
    assert _fee_of(versions_app) == [10]
    (copy / "kakogawa" / FEE_FILE).write_text(text.replace("amount_yen: 0", "amount_yen: [", 1), encoding="utf-8")
    refused = runner.invoke(args=["content", "import", "--reason", "broken"])
    assert refused.exit_code != 0 and "tenshutsu_todoke.yaml" in refused.output


def test_a_fee_from_a_date_shows_from_that_date_on_pages_and_results(versions_app):
    from bench.guide import result_paths
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        text = content.read_file(draft, "procedures/juminhyo_utsushi.yaml")
        added = text.replace("  valid_from: 2000-04-01\n", "  valid_from: 2000-04-01\n  valid_to: 2027-03-31\n", 1) \
            .replace("online: true", "- amount_yen: 350\n  unit:\n    ja: 1通\n    en: per copy\n  channel: any\n"
                     "  valid_from: 2027-04-01\n  source_url: https://www.city.kakogawa.lg.jp/\nonline: true", 1)
        assert added.count("valid_from") == text.count("valid_from") + 1
        content.save_file(draft, "procedures/juminhyo_utsushi.yaml", added.encode())
        assert content.check(draft).ok, content.check(draft).problems[:3]
        content.publish(draft, "curator.a", "curator", "4月1日から350円", None)
    client = versions_app.test_client()
    page = client.get("/procedures/juminhyo_utsushi").get_data(as_text=True)
    assert "300円" in page and "2027年4月1日" in page and "350円" in page  # today's fee, and the coming one
    scenario = {"event": "moving_in", "locale": "ja", "facts": {"from_abroad": False},
                "members": [{"relation": "self", "age": 40, "insurance": "shaho", "mynumber_card": True}]}
    before = client.get(result_paths([dict(scenario, event_date="2026-12-01")])[0]).get_data(as_text=True)
    after = client.get(result_paths([dict(scenario, event_date="2027-04-05")])[0]).get_data(as_text=True)
    needed = re.compile(r'<section aria-labelledby="often-needed-title".*?</section>', re.S)
    assert "300円" in needed.search(before).group(0) and "350円" not in needed.search(before).group(0)
    assert "350円" in needed.search(after).group(0)


def test_a_discarded_draft_leaves_nothing_behind(versions_app):
    """SQLite enforces no ON DELETE CASCADE and reuses the newest id: a discarded draft's files
    once made every later draft and rollback fail (found by a curator's walk)."""
    with versions_app.test_request_context():
        first = content.new_draft("curator.a")
        content.discard(first)
        again = content.new_draft("curator.a")
        assert content.file_list(again) == content.file_list(content.in_force())
        content.discard(again)
        assert content.rollback(1, "curator.a", "curator").number == 2


def test_a_broken_scenario_file_is_a_problem_to_show_never_a_crash(versions_app):
    with versions_app.test_request_context():
        draft = content.new_draft("curator.a")
        content.save_file(draft, "scenarios/moving_within.yaml", b"- name: x\n  request: {event: [moving_within\n")
        result = content.check(draft)
        assert not result.ok
        assert any(re.search(r"kakogawa/scenarios/moving_within\.yaml:\d+: \(syntax\)", p) for p in result.problems)
        assert content.impact(draft, today=dt.date(2026, 12, 2))[0] > 0  # the other files still compared
        content.save_file(draft, "scenarios/moving_within.yaml", b"name: not a list\n")
        assert any("a list of scenarios" in p for p in content.check(draft).problems)
        with pytest.raises(store.VersionError):
            content.publish(draft, "curator.a", "curator", "test", None)
