"""A restarted PostgreSQL costs no request an error: pooled connections are pinged before use
(pool_pre_ping), so one the server dropped is replaced instead of failing the next request."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from core.config import normalise_database_url
from tests.conftest import postgres_url, scratch_database


@pytest.fixture
def pg_app(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from core.db import db
    postgres_url()  # skipped without PostgreSQL
    with scratch_database("postgresql", tmp_path) as url:
        application = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-only-not-secret",
                                  "INSTANCE_PATH": str(tmp_path), "REDIS_URL": "", "USAGE_FLUSH_SECONDS": 0})
        with application.app_context():
            upgrade()
        yield application, url.rsplit("/", 1)[1]
        with application.app_context():
            db.engine.dispose()


def _terminate_backends(database: str) -> int:
    admin = create_engine(normalise_database_url(postgres_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": database}).all())
    finally:
        admin.dispose()


def test_a_request_after_the_servers_connections_were_killed_succeeds(pg_app):
    app, database = pg_app
    client = app.test_client()
    assert client.get("/readyz").status_code == 200  # a connection now waits in the pool
    assert _terminate_backends(database) >= 1
    r = client.get("/readyz")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert client.get("/reserve").status_code == 200
