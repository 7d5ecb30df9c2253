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
