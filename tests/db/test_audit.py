"""The audit log in the database, on SQLite and PostgreSQL: records carry who/where from the
request and survive its rollback; the database refuses UPDATE and DELETE; concurrent writers
never fork the chain; verify names tampering; anchors catch truncation; purge keeps the chain
verifiable and is itself audited."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core import audit
from core.audit import AuditChainStart, AuditRecord
from core.db import db
from core.models import RulesetGeneration
from tests.conftest import scratch_database

GUARDED = ("audit_record", "audit_chain_start")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def audit_app(request, tmp_path_factory):
    """An app of its own (the tests below tamper with and purge its audit log)."""
    from flask_migrate import upgrade

    from app import create_app

    instance = tmp_path_factory.mktemp(f"audit-{request.param}")
    with scratch_database(request.param, instance) as url:
        application = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "INSTANCE_PATH": str(instance),
                                  "GUIDE_CACHE_SIZE": 0,
                                  "AUDIT_ANCHOR_EVERY": 50})  # sparse anchors, to see what each one catches

        @application.get("/_audit_test/fails")
        def _fails():
            """A request that changes something, audits it, then fails."""
            g.staff = SimpleNamespace(login_id="clerk.fail", role="counter")
            db.session.add(RulesetGeneration(version="rolled-back", municipality="x", procedures=0, rules=0, host="h"))
            db.session.flush()
            audit.record("staff.edit", target="application:fail")
            raise RuntimeError("the request fails after auditing")

        with application.app_context():
            upgrade()
        yield application
        with application.app_context():
            db.engine.dispose()


@contextlib.contextmanager
def unguarded(app):
    """What an attacker with the table owner's rights (or a DBA) could do: the guards lifted."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            for table in GUARDED:
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            conn.commit()
            try:
                yield conn
                conn.commit()
            finally:
                for table in GUARDED:
                    conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                conn.commit()
        else:
            saved = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
            for name, _sql in saved:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            conn.commit()
            try:
                yield conn
                conn.commit()
            finally:
                for _name, sql in saved:
                    conn.exec_driver_sql(sql)
                conn.commit()


@pytest.fixture
def app(audit_app):
    """Each test starts with an empty audit log and no anchor file."""
    with unguarded(audit_app) as conn:
        conn.exec_driver_sql("DELETE FROM audit_record")
        conn.exec_driver_sql("DELETE FROM audit_chain_start")
    Path(audit_app.config["AUDIT_ANCHOR_PATH"]).unlink(missing_ok=True)
    return audit_app


def rows(app) -> list[AuditRecord]:
    with app.app_context():
        return list(db.session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def write(app, n: int, **kwargs) -> None:
    with app.app_context():
        for i in range(n):
            audit.record(kwargs.get("action", "staff.view"), target=f"{kwargs.get('target', 'application')}:{i}")


def write_at(app, monkeypatch, moment: dt.datetime, n: int, target: str) -> None:
    monkeypatch.setattr(audit, "_now", lambda: moment)
    write(app, n, target=target)
    monkeypatch.undo()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


# --- what a record holds --------------------------------------------------------------------

def test_record_takes_actor_role_ip_and_request_id_from_the_request(app):
    with app.test_request_context("/staff/x", environ_base={"REMOTE_ADDR": "10.20.30.40"}):
        g.staff = SimpleNamespace(login_id="auditor.sato", role="auditor")
        g.request_id = "req-1234567890"
        audit.record("staff.view", target="application:42", details={"password": "hunter2", "tab": "files"})
    with app.test_request_context("/staff/login"):
        audit.record("login.failure", target="nobody", result="failed")
    with app.app_context():
        audit.record("rules.reload", details={"version": "abc"})
    first, second, third = rows(app)
    assert (first.actor, first.role, first.ip, first.request_id) == ("auditor.sato", "auditor", "10.20.30.40",
                                                                     "req-1234567890")
    assert (first.action, first.target, first.result) == ("staff.view", "application:42", "ok")
    assert json.loads(first.details) == {"tab": "files"}  # never the password
    assert (second.actor, second.result) == ("anonymous", "failed")
    assert (third.actor, third.ip) == ("system", "")
    assert first.at.tzinfo is not None or app.config["DATABASE_URL"].startswith("sqlite")
    assert second.prev_hash == first.hash and third.prev_hash == second.hash


def test_explicit_actor_and_role_win(app):
    with app.test_request_context("/"):
        g.staff = SimpleNamespace(login_id="a", role="admin")
        audit.record("config.change", actor="b", role="curator")
    (r,) = rows(app)
    assert (r.actor, r.role) == ("b", "curator")


def test_bad_calls_are_refused(app):
    with app.app_context():
        with pytest.raises(ValueError):
            audit.record("staff.view", result="maybe")
        with pytest.raises(ValueError):
            audit.record("")


def test_a_record_survives_the_rollback_of_the_requests_work(app):
    with app.test_request_context("/"):
        db.session.add(RulesetGeneration(version="never-committed", municipality="x", procedures=0, rules=0, host="h"))
        db.session.flush()  # the request holds an uncommitted write
        audit.record("staff.edit", target="application:7")
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(RulesetGeneration).where(RulesetGeneration.version == "never-committed")) is None
    assert [r.target for r in rows(app)] == ["application:7"]


def test_a_failing_request_is_still_audited(app):
    client = app.test_client()
    try:
        response = client.get("/_audit_test/fails")
    except RuntimeError:
        pass
    else:
        assert response.status_code == 500
    assert [(r.actor, r.action, r.target) for r in rows(app)] == [("clerk.fail", "staff.edit", "application:fail")]
    with app.app_context():
        assert db.session.scalar(select(RulesetGeneration).where(RulesetGeneration.version == "rolled-back")) is None


# --- the database refuses changes -------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_record SET target = 'changed' WHERE id = (SELECT max(id) FROM audit_record)",
    "UPDATE audit_record SET hash = prev_hash",
    "DELETE FROM audit_record WHERE id = (SELECT max(id) FROM audit_record)",
    "DELETE FROM audit_record",
    "UPDATE audit_chain_start SET last_id = 0",
    "DELETE FROM audit_chain_start",
])
def test_the_apps_connection_cannot_update_or_delete_audit_rows(app, monkeypatch, statement):
    write_at(app, monkeypatch, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), 2, "old")
    with app.app_context():
        audit.purge(dt.datetime(2021, 1, 1, tzinfo=dt.UTC))  # leaves a purge point row
    write(app, 2)
    with app.app_context():
        with pytest.raises(DBAPIError, match=r"append-only|cannot be"):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditChainStart)) == 1
    assert len(rows(app)) == 3
    assert cli(app, "verify").exit_code == 0


@pytest.mark.postgres  # TRUNCATE is PostgreSQL's
def test_truncate_is_refused_on_postgresql(app):
    write(app, 2)
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("TRUNCATE audit_record"))
        db.session.rollback()
    assert len(rows(app)) == 2


@pytest.mark.postgres  # privileges are PostgreSQL's
def test_postgresql_revokes_update_and_delete_from_public(app):
    write(app, 2)
    with app.app_context():
        granted = db.session.execute(text(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = 'audit_record' AND grantee = 'PUBLIC'")).scalars().all()
        assert not {"UPDATE", "DELETE", "TRUNCATE"} & set(granted)
        # the purge switch lets DELETE through only, and only in its own transaction
        db.session.execute(text("SELECT set_config('app.audit_purge', 'on', true)"))
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("UPDATE audit_record SET target = 'x'"))
        db.session.rollback()
        assert db.session.scalar(text("SELECT coalesce(current_setting('app.audit_purge', true), '')")) in ("", "off")


# --- concurrency ------------------------------------------------------------------------------

def test_two_writers_at_once_do_not_fork_the_chain(app):
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(50):
                    audit.record("staff.view", target=f"{name}:{i}", actor=name)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("worker-a", "worker-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    records = rows(app)
    assert [r.id for r in records] == list(range(1, 101))
    assert {r.actor for r in records} == {"worker-a", "worker-b"}
    with app.app_context():
        result = audit.verify_chain()
    assert result.ok and result.count == 100, result.problem
    assert result.anchors_checked == 2  # at 50 and 100


# --- verify and anchors -----------------------------------------------------------------------

def test_verify_reports_ok_with_count_and_last_hash(app):
    write(app, 7)
    result = cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert f"OK: 7 record(s) (ids 1–7), last hash {rows(app)[-1].hash}" in result.output


def test_verify_names_an_altered_record(app):
    write(app, 12)
    with unguarded(app) as conn:
        conn.exec_driver_sql("UPDATE audit_record SET target = 'application:other' WHERE id = 5")
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert "FAILED: record 5 was altered" in result.output


def test_verify_names_a_deleted_record(app):
    write(app, 12)
    with unguarded(app) as conn:
        conn.exec_driver_sql("DELETE FROM audit_record WHERE id = 8")
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert "FAILED: record 8 missing" in result.output


def test_an_anchor_is_written_every_50_records_and_catches_a_truncated_tail(app):
    write(app, 120)
    lines = Path(app.config["AUDIT_ANCHOR_PATH"]).read_text().splitlines()
    assert [json.loads(line)["last_id"] for line in lines] == [50, 100]
    assert stat.S_IMODE(os.stat(app.config["AUDIT_ANCHOR_PATH"]).st_mode) == 0o600
    with unguarded(app) as conn:
        conn.exec_driver_sql("DELETE FROM audit_record WHERE id > 80")
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert "records after id 80 are missing: the anchor says 100 records" in result.output


def test_by_default_every_record_is_anchored_so_deleting_the_newest_records_is_caught(app, monkeypatch):
    from core.config import load_config

    assert load_config({"INSTANCE_PATH": app.config["INSTANCE_PATH"]})["AUDIT_ANCHOR_EVERY"] == 1
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_EVERY", 1)
    write(app, 7)
    assert cli(app, "verify").exit_code == 0
    with unguarded(app) as conn:
        conn.exec_driver_sql("DELETE FROM audit_record WHERE id > 5")  # the two newest
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert "records after id 5 are missing: the anchor says 7 records (last id 7" in result.output
    with unguarded(app) as conn:
        conn.exec_driver_sql("DELETE FROM audit_record WHERE id = 5")  # and just the newest one
    assert "records after id 4 are missing" in cli(app, "verify").output


def test_an_anchor_counts_the_records_after_the_purge_point(app, monkeypatch):
    now = dt.datetime.now(dt.UTC)
    write_at(app, monkeypatch, now - dt.timedelta(days=365 * 6), 4, "old")
    assert "purged 4 record(s)" in cli(app, "purge").output  # leaves ids 5 (its own record) onwards
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_EVERY", 1)
    write(app, 2)
    last = json.loads(Path(app.config["AUDIT_ANCHOR_PATH"]).read_text().splitlines()[-1])
    assert (last["last_id"], last["count"]) == (7, 3) == (rows(app)[-1].id, len(rows(app)))


def test_flask_audit_anchor_appends_the_current_state(app):
    write(app, 3)
    result = cli(app, "anchor")
    assert result.exit_code == 0 and "anchored: 3 record(s), last id 3" in result.output
    (line,) = Path(app.config["AUDIT_ANCHOR_PATH"]).read_text().splitlines()
    assert json.loads(line)["last_hash"] == rows(app)[-1].hash
    with unguarded(app) as conn:
        conn.exec_driver_sql("DELETE FROM audit_record WHERE id = 3")
    assert "records after id 2 are missing" in cli(app, "verify").output


def test_anchors_never_fail_a_write_without_syslog_or_a_writable_file(app, monkeypatch, tmp_path):
    def broken_syslog():
        raise OSError("no syslog here")

    monkeypatch.setattr(audit, "_syslog_logger", broken_syslog)
    write(app, 50)  # the 50th record writes an anchor: syslog fails, the file still gets it
    assert len(Path(app.config["AUDIT_ANCHOR_PATH"]).read_text().splitlines()) == 1
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_PATH", str(tmp_path))  # a directory: cannot be written
    write(app, 50)
    assert [r.id for r in rows(app)][-1] == 100
    result = cli(app, "anchor")
    assert result.exit_code == 1 and "could not write" in result.output


def test_verify_without_an_anchor_file_warns(app):
    write(app, 2)
    result = cli(app, "verify")
    assert result.exit_code == 0 and "no anchor file yet" in result.output


def test_the_key_file_is_generated_once_with_mode_0600(app, tmp_path):
    path = Path(app.config["INSTANCE_PATH"]) / "audit-key"
    write(app, 1)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    from app import create_app
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x",
                        "INSTANCE_PATH": app.config["INSTANCE_PATH"], "TESTING": True})
    with other.app_context():
        assert audit.audit_key() == path.read_text().strip().encode()
        assert audit.verify_chain().ok  # another worker uses the same key
        db.engine.dispose()
    configured = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x",
                             "INSTANCE_PATH": str(tmp_path), "TESTING": True, "AUDIT_HMAC_KEY": "from-config"})
    with configured.app_context():
        assert audit.audit_key() == b"from-config"
        assert not audit.verify_chain().ok  # the wrong key: nothing verifies
        db.engine.dispose()
    assert not (tmp_path / "audit-key").exists()


# --- purge ------------------------------------------------------------------------------------

def test_purge_deletes_old_records_keeps_the_chain_verifiable_and_is_audited(app, monkeypatch):
    now = dt.datetime.now(dt.UTC)
    write_at(app, monkeypatch, now - dt.timedelta(days=365 * 6), 60, "old")
    write_at(app, monkeypatch, now - dt.timedelta(days=365 * 5 - 3), 30, "kept")  # within 5 years
    write(app, 5, target="new")
    sqlite_triggers = None
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sqlite_triggers = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                                      "ORDER BY name")).all()
    result = cli(app, "purge")  # AUDIT_RETENTION_DAYS: 5 years by default
    assert result.exit_code == 0, result.output
    assert "purged 60 record(s)" in result.output and "the chain now starts after id 60" in result.output
    records = rows(app)
    assert records[0].id == 61 and all(not r.target.startswith("old") for r in records)
    purge_record = records[-1]
    assert (purge_record.action, purge_record.actor) == ("audit.purge", "system")
    assert json.loads(purge_record.details)["count"] == 60
    verified = cli(app, "verify")
    assert verified.exit_code == 0, verified.output
    assert "OK: 36 record(s) (ids 61–96)" in verified.output
    assert "1 anchor(s) checked, 1 before the purge point" in verified.output  # 50 (purged), 96 (after the purge)
    with app.app_context():
        start = db.session.scalars(select(AuditChainStart)).one()
        assert (start.last_id, start.purged) == (60, 60)
        if sqlite_triggers is not None:  # the delete guard is back, exactly as the migration made it
            assert db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                           "ORDER BY name")).all() == sqlite_triggers
        with pytest.raises(DBAPIError):
            db.session.execute(text("DELETE FROM audit_record"))
        db.session.rollback()

    # records removed right after the purge point are still caught
    with unguarded(app) as conn:
        conn.exec_driver_sql("DELETE FROM audit_record WHERE id = 61")
    assert "record 61 missing" in cli(app, "verify").output


def test_purge_before_a_date_and_twice(app, monkeypatch):
    write_at(app, monkeypatch, dt.datetime(2026, 3, 31, 14, 59, tzinfo=dt.UTC), 4, "march")  # 23:59 JST
    write_at(app, monkeypatch, dt.datetime(2026, 3, 31, 15, 0, tzinfo=dt.UTC), 3, "april")  # 00:00 JST
    dry = cli(app, "purge", "--before", "2026-04-01", "--dry-run")
    assert "would purge 4 record(s)" in dry.output and len(rows(app)) == 7
    assert "purged 4 record(s)" in cli(app, "purge", "--before", "2026-04-01").output
    assert "purged 0 record(s)" in cli(app, "purge", "--before", "2026-04-01").output
    records = rows(app)
    assert [r.target.split(":")[0] for r in records[:3]] == ["april"] * 3
    assert [json.loads(r.details)["count"] for r in records if r.action == "audit.purge"] == [4, 0]
    assert cli(app, "verify").exit_code == 0


def test_purging_everything_then_writing_continues_the_chain(app, monkeypatch):
    write_at(app, monkeypatch, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), 5, "old")
    with app.app_context():
        assert audit.purge(dt.datetime(2021, 1, 1, tzinfo=dt.UTC)) == (5, 5)
    write(app, 2)
    assert [r.id for r in rows(app)] == [6, 7, 8]
    assert cli(app, "verify").exit_code == 0


def test_purge_refuses_when_the_chain_does_not_verify(app, monkeypatch):
    write_at(app, monkeypatch, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), 5, "old")
    with unguarded(app) as conn:
        conn.exec_driver_sql("UPDATE audit_record SET actor = 'someone' WHERE id = 2")
    result = cli(app, "purge")
    assert result.exit_code == 1 and "nothing purged" in result.output
    assert len(rows(app)) == 5


def test_a_forged_purge_point_is_caught(app):
    write(app, 5)
    with unguarded(app) as conn:  # hide the first three records behind an invented purge point
        last_hash = conn.exec_driver_sql("SELECT hash FROM audit_record WHERE id = 3").scalar()
        conn.exec_driver_sql("DELETE FROM audit_record WHERE id <= 3")
        conn.execute(text("INSERT INTO audit_chain_start (at, last_id, last_hash, purged, mac) "
                          "VALUES (:at, 3, :h, 3, :mac)"),
                     {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "h": last_hash, "mac": "0" * 64})
    result = cli(app, "verify")
    assert result.exit_code == 1 and "purge point" in result.output
