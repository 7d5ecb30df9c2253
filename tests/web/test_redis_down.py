"""Redis down (REDIS_URL pointing at a closed port): residents' pages and bookings keep working,
their limits counted per process; the staff login answers 503 with a message, never a 500."""
from __future__ import annotations

import pytest

from tests.api.reserving import booking_body, free_slot
from tests.conftest import csrf_from

CLOSED = "redis://127.0.0.1:6390/0"


@pytest.fixture(scope="module")
def app_without_redis(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    instance = tmp_path_factory.mktemp("redis-down")
    application = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{instance / 'r.db'}",
                              "SECRET_KEY": "test-only-not-secret", "INSTANCE_PATH": str(instance),
                              "REDIS_URL": CLOSED, "GUIDE_CACHE_SIZE": 0, "USAGE_FLUSH_SECONDS": 0})
    with application.app_context():
        upgrade()
    return application  # its limiter is its own (core/security.py): no other app inherits the dead storage


def test_resident_pages_and_a_booking_work_with_limits_per_process(app_without_redis):
    client = app_without_redis.test_client()
    assert client.get("/guide/").status_code == 200
    assert client.get("/reserve").status_code == 200
    r = client.post("/api/v1/guide/evaluate", json={"event": "birth", "facts": {}})
    assert r.status_code == 200
    slot = free_slot(app_without_redis)
    r = client.post("/api/v1/reservations", json=booking_body(slot))
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.headers.get("X-RateLimit-Limit")  # the limit still applies, counted in this process
    statuses = [client.post("/api/v1/reservations", json={}).status_code for _ in range(25)]
    assert 429 in statuses and 500 not in statuses


def test_staff_login_answers_503_with_a_message(app_without_redis):
    client = app_without_redis.test_client()
    page = client.get("/staff/login")
    assert page.status_code == 200
    r = client.post("/staff/login", data={"login_id": "someone", "password": "x" * 12,
                                          "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 503
    assert "ログイン試行の回数を数える仕組みに接続できない" in r.get_data(as_text=True)
    r = client.post("/staff/login", headers={"Accept-Language": "en"},
                    data={"login_id": "someone", "password": "x" * 12,
                          "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 503 and "Sign-in is unavailable" in r.get_data(as_text=True)
