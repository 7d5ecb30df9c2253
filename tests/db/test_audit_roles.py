"""PostgreSQL roles (`flask audit roles`): the app role can only INSERT and SELECT audit records,
even with the purge switch set, and cannot disable the triggers; `flask audit purge` works only
as the purge role (AUDIT_PURGE_DATABASE_URL). Skipped without PostgreSQL."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from core import audit
from core.config import normalise_database_url
from core.db import db
from tests.conftest import postgres_url, scratch_database


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def roles(tmp_path_factory):
    """A scratch database upgraded by its owner, and fresh app and purge roles (dropped afterwards)."""
    from flask_migrate import upgrade

    from app import create_app

    base = postgres_url()
    suffix = uuid.uuid4().hex[:8]  # roles are the whole server's, shared with any other run on it: kept apart
    app_role, purge_role = f"t_app_{suffix}", f"t_purge_{suffix}"
    instance = tmp_path_factory.mktemp("audit-roles")
    try:
        with scratch_database("postgresql", instance) as owner_url:
            owner_app = create_app({"TESTING": True, "DATABASE_URL": owner_url, "SECRET_KEY": "test",
                                    "INSTANCE_PATH": str(instance), "GUIDE_CACHE_SIZE": 0})
            with owner_app.app_context():
                upgrade()
            result = owner_app.test_cli_runner().invoke(args=["audit", "roles", "--app-role", app_role,
                                                              "--purge-role", purge_role])
            assert result.exit_code == 0, result.output
            again = owner_app.test_cli_runner().invoke(args=["audit", "roles", "--app-role", app_role,
                                                             "--purge-role", purge_role])
            assert again.exit_code == 0, again.output  # idempotent: run after every upgrade
            with owner_app.app_context():
                db.engine.dispose()
            yield {"owner": owner_url, "app": _as(owner_url, app_role), "purge": _as(owner_url, purge_role),
                   "instance": instance}
    finally:
        admin = create_engine(normalise_database_url(base), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for role in (app_role, purge_role):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


@pytest.fixture(scope="module")
def app_as_app_role(roles):
    from app import create_app

    application = create_app({"TESTING": True, "DATABASE_URL": roles["app"], "SECRET_KEY": "test",
                              "INSTANCE_PATH": str(roles["instance"]), "GUIDE_CACHE_SIZE": 0})
    yield application
    with application.app_context():
        db.engine.dispose()


def _refused(url: str, *statements: str) -> None:
    engine = create_engine(normalise_database_url(url))
    try:
        for statement in statements:
            with engine.connect() as conn, pytest.raises(ProgrammingError, match=r"permission denied|must be owner"):
                conn.execute(text("SELECT set_config('app.audit_purge', 'on', false)"))
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_app_role_writes_and_reads_audit_records_but_cannot_change_them(app_as_app_role, roles):
    with app_as_app_role.app_context():
        for i in range(3):
            audit.record("staff.view", target=f"application:{i}")
        assert audit.verify_chain().ok
        assert db.session.scalar(text("SELECT count(*) FROM audit_record")) == 3
    _refused(roles["app"],
             "UPDATE audit_record SET target = 'x'",
             "DELETE FROM audit_record",  # even with the purge switch the trigger honours
             "TRUNCATE audit_record",
             "DELETE FROM audit_chain_start",
             "ALTER TABLE audit_record DISABLE TRIGGER USER")


def test_the_app_role_works_on_the_applications_tables(app_as_app_role):
    engine = create_engine(normalise_database_url(app_as_app_role.config["DATABASE_URL"]))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ruleset_generation (version, municipality, procedures, rules, host, "
                              "loaded_at) VALUES ('v-role', 'x', 0, 0, 'h', now())"))
            conn.execute(text("UPDATE ruleset_generation SET host = 'h2' WHERE version = 'v-role'"))
            conn.execute(text("DELETE FROM ruleset_generation WHERE version = 'v-role'"))
    finally:
        engine.dispose()


def test_purge_runs_only_as_the_purge_role(app_as_app_role, roles, monkeypatch):
    with app_as_app_role.app_context():
        monkeypatch.setattr(audit, "_now", lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=365 * 6))
        audit.record("staff.view", target="application:old")
        monkeypatch.undo()
    runner = app_as_app_role.test_cli_runner()
    refused = runner.invoke(args=["audit", "purge"])
    assert refused.exit_code == 1 and "run it as the purge role (AUDIT_PURGE_DATABASE_URL" in refused.output
    monkeypatch.setitem(app_as_app_role.config, "AUDIT_PURGE_DATABASE_URL", roles["purge"])
    done = runner.invoke(args=["audit", "purge"])
    assert done.exit_code == 0 and "purged" in done.output, done.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_role_names_are_checked_before_they_reach_sql():
    from core import audit_roles

    with pytest.raises(audit_roles.RoleNameError):
        audit_roles.create_statements(set(), 'app"; DROP TABLE audit_record; --', "purge")
    assert audit_roles.create_statements({"guide_app"}, "guide_app", "guide_purge") == ['CREATE ROLE "guide_purge" LOGIN']
    grants = audit_roles.grant_statements("guide", "owner", "guide_app", "guide_purge")
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_record, audit_chain_start FROM "guide_app"' in grants


def test_roles_need_postgresql(tmp_path):
    from app import create_app

    sqlite_app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "SECRET_KEY": "test",
                             "INSTANCE_PATH": str(tmp_path)})
    result = sqlite_app.test_cli_runner().invoke(args=["audit", "roles", "--app-role", "a", "--purge-role", "p"])
    assert result.exit_code == 1 and "need PostgreSQL" in result.output
