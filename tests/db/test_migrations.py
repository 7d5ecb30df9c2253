"""Alembic: `flask db upgrade` on an empty database gives the current schema, on SQLite and on
PostgreSQL, and the models and the migrations agree (no autogenerate diff)."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.db import db
from tests.conftest import scratch_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    with scratch_database(request.param, tmp_path) as url:
        yield url


def test_upgrade_from_empty_gives_the_models_schema(database_url, tmp_path):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade()
        engine = db.engine
        tables = set(inspect(engine).get_table_names())
        assert {"alembic_version", "ruleset_generation"} <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        engine.dispose()


def test_single_migration_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    here = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(here, "migrations"))
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


def test_0014_keeps_the_text_of_older_security_alerts(database_url, tmp_path):
    """Alerts written before msgids were stored keep their Japanese text and read it in every
    language; the new columns take the msgid and its variables; downgrading gives text back."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app import create_app
    from core import alerts
    from core.words import Message

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0013")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO security_alert (kind, message, dedupe_key) "
                              "VALUES ('server_error', 'サーバーエラーが5分間に10回発生しました。', 'old')"))
        upgrade()
        old = db.session.scalars(db.select(alerts.SecurityAlert)).one()
        assert (old.message_id, old.message_vars) == (None, None)
        assert old.message_in("en") == "サーバーエラーが5分間に10回発生しました。"
        assert alerts.raise_alert("server_error", Message(alerts._MESSAGES["server_error"], minutes=5, count=11),
                                  dedupe_key="new") is not None
        db.session.remove()
        downgrade(revision="0013")
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT dedupe_key, message FROM security_alert")).all())
        assert rows == {"old": "サーバーエラーが5分間に10回発生しました。", "new": alerts._MESSAGES["server_error"]}
        db.engine.dispose()
