"""Every app counts its rate limits in a limiter of its own (core/security.py): building an app
whose Redis is down (tests/web/test_redis_down.py) changes no other app's storage, fallback state
or counts, as it did when one module-level Flask-Limiter was rebound by every ``create_app``."""
from __future__ import annotations

from tests.conftest import TEST_CONFIG

CLOSED = "redis://127.0.0.1:6390/0"


def test_two_apps_keep_their_own_limiter_storage(tmp_path):
    from flask_migrate import upgrade
    from limits.storage import MemoryStorage, RedisStorage

    from app import create_app
    from core.security import limiter
    settings = {**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}", "INSTANCE_PATH": str(tmp_path)}
    first = create_app(settings)
    with first.app_context():
        upgrade()
    down = create_app({**settings, "REDIS_URL": CLOSED})  # built after `first`: it must not rebind first's limiter
    second = create_app(settings)

    assert isinstance(limiter.for_app(first).storage, MemoryStorage)
    assert isinstance(limiter.for_app(second).storage, MemoryStorage)
    assert limiter.for_app(first).storage is not limiter.for_app(second).storage
    assert isinstance(limiter.for_app(down).storage, RedisStorage)
    assert "6390" in str(limiter.for_app(down).storage.storage.connection_pool)
    with first.app_context():
        limiter.reset()  # what every test's setup does: on the dead Redis it raised

    # the dead Redis sends `down` to its in-memory fallback, and only `down`
    assert down.test_client().post("/api/v1/reservations", json={}).status_code == 400
    assert limiter.for_app(down)._storage_dead
    assert not limiter.for_app(first)._storage_dead and not limiter.for_app(second)._storage_dead

    # counts are the app's own: first's exhausted limit is not second's
    statuses = [first.test_client().post("/api/v1/reservations", json={}).status_code for _ in range(21)]
    assert statuses[-1] == 429 and 429 not in statuses[:20]
    assert second.test_client().post("/api/v1/reservations", json={}).status_code != 429
