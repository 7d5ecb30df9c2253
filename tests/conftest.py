"""Shared fixtures: one app per test session on a fresh SQLite database (upgraded by Alembic)."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from core.config import normalise_database_url
from knowledge.loader import load_pack
from rules.ruleset import build_rulebook

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "domain"


@pytest.fixture(scope="session")
def rulebook():
    return build_rulebook(load_pack("kakogawa"))


def postgres_url() -> str:
    """TEST_DATABASE_URL, or a skip (a failure where CI requires PostgreSQL)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not a PostgreSQL URL")
        pytest.skip("TEST_DATABASE_URL (PostgreSQL) is not set")
    return url


@contextlib.contextmanager
def scratch_database(kind: str, directory: Path):
    """A new empty database of ``kind`` for one test session, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'test.db'}"
        return
    base = postgres_url()
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_database_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    """The app on a fresh database upgraded by Alembic: every test using it runs on both engines."""
    from flask_migrate import upgrade

    from app import create_app
    from core.db import db

    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    with scratch_database(request.param, instance) as url:
        application = create_app({
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-only-not-secret",
            "INSTANCE_PATH": str(instance),
            "GUIDE_CACHE_SIZE": 0,  # every request really evaluates (purity is tested, not the cache)
        })
        with application.app_context():
            upgrade()
        yield application
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def shared_scenarios() -> list[dict]:
    path = SHARED / "scenarios.yaml"
    if not path.exists():
        pytest.skip(f"{path} is not here (shared/ sits beside the project root)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))
