"""/healthz, /readyz and /metrics (core/monitoring.py), their network restriction, the 5xx hook
of the security monitor, and the console's security-alert page (staff/monitor_views.py)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from core import alerts, policy
from core.db import db
from core.outbox import OutboxMessage, enqueue_mail
from core.words import Message
from tests.conftest import clear_outbox_and_alerts, csrf_from, scratch_database

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}  # not in METRICS_NETWORKS (127.0.0.0/8, ::1)
ROOT = Path(__file__).resolve().parent.parent.parent


def samples(text: str) -> list[tuple[str, dict, float]]:
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels) -> float:
    found = [v for n, ls, v in samples(text) if n == name and all(ls.get(k) == w for k, w in labels.items())]
    return sum(found)


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


@pytest.fixture
def clean(app):
    clear_outbox_and_alerts(app)
    yield app
    alerts.reset_counters()


def test_healthz_answers_everyone(client):
    for environ in ({}, OUTSIDE):
        response = client.get("/healthz", environ_base=environ)
        assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_and_metrics_only_inside_the_metrics_networks(client):
    assert client.get("/readyz", environ_base=OUTSIDE).status_code == 404
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok"}}


def test_readyz_reports_redis_when_configured(client, app, monkeypatch):
    from tests.conftest import redis_url_for_tests
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url_for_tests())
    try:
        import redis
        redis.Redis.from_url(redis_url_for_tests(), socket_connect_timeout=0.5).ping()
    except Exception:
        pytest.skip("Redis is not reachable")
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "redis": "ok"}
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_readyz_is_503_when_the_database_is_unreachable(kind, tmp_path):
    from app import create_app

    url = (f"sqlite:///{tmp_path}/no/such/dir/x.db" if kind == "sqlite"
           else "postgresql://postgres@127.0.0.1:1/nothing")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "unavailable"}}
    body = response.get_data(as_text=True)
    assert "Error" not in body and "127.0.0.1" not in body and "sqlite" not in body  # nothing internal
    assert app.test_client().get("/healthz").status_code == 200  # the process itself is alive


def test_requests_are_counted_per_url_rule_not_per_path(client):
    before = scrape(client)
    assert client.get("/guide/moving_in").status_code == 200
    assert client.get("/guide/birth").status_code == 200
    assert client.get("/no/such/page/taro-yamada").status_code == 404
    after = scrape(client)
    rule = "/guide/<event_id>"
    assert value(after, "http_requests_total", route=rule, method="GET", status="200") - \
        value(before, "http_requests_total", route=rule, method="GET", status="200") == 2
    assert value(after, "http_request_duration_seconds_count", route=rule, method="GET") - \
        value(before, "http_request_duration_seconds_count", route=rule, method="GET") == 2
    assert value(after, "http_requests_total", route="(unmatched)", status="404") - \
        value(before, "http_requests_total", route="(unmatched)", status="404") == 1
    routes = {ls.get("route") for _, ls, _ in samples(after)}
    assert "/guide/moving_in" not in routes and not any("taro" in (r or "") for r in routes)


def test_logins_lockouts_and_alert_metrics_are_exposed(client, clean):
    from core.monitoring import LOCKOUTS, LOGINS

    before = scrape(client)
    LOGINS.labels(result="success").inc()
    LOGINS.labels(result="failure").inc(2)
    LOCKOUTS.inc()
    after = scrape(client)
    assert value(after, "staff_logins_total", result="success") - value(before, "staff_logins_total", result="success") == 1
    assert value(after, "staff_logins_total", result="failure") - value(before, "staff_logins_total", result="failure") == 2
    assert value(after, "staff_lockouts_total") - value(before, "staff_lockouts_total") == 1
    for name in ("audit_chain_ok", "outbox_backlog", "outbox_failed", "security_alerts_active"):
        assert any(n == name for n, _, _ in samples(after)), name


def test_a_failed_staff_login_counts(client, app, clean):
    before = value(scrape(client), "staff_logins_total", result="failure")
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"login_id": "nobody", "password": "wrong-password-123",
                                      "csrf_token": csrf_from(page)})
    assert value(scrape(client), "staff_logins_total", result="failure") - before == 1


def test_outbox_backlog_and_audit_chain_are_read_at_scrape(client, app, clean):
    with app.app_context():
        for i in range(3):
            enqueue_mail(f"r{i}@example.jp", "件名", "本文")
        db.session.commit()
    text = scrape(client)
    assert value(text, "outbox_backlog") == 3
    assert value(text, "audit_chain_ok") == 1  # the test database's chain verifies


@pytest.fixture(params=["sqlite", "postgresql"])
def failing_app(request, tmp_path):
    """A fresh app with a route that always fails (routes cannot be added to the shared app)."""
    from flask_migrate import upgrade

    from app import create_app

    with scratch_database(request.param, tmp_path) as url:
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                          "ADMIN_EMAILS": "admin@city.example.jp"})

        @app.get("/_probe/boom")
        def boom():
            db.session.add(alerts.SecurityAlert(kind="probe", message="uncommitted work of the failing request"))
            db.session.flush()  # holds the SQLite write lock when the exception hits
            raise RuntimeError("internal detail 4711")

        with app.app_context():
            upgrade()
        alerts.reset_counters()
        yield app
        alerts.reset_counters()
        with app.app_context():
            db.engine.dispose()


def test_a_spike_of_server_errors_raises_one_alert(failing_app):
    client = failing_app.test_client()
    before = value(scrape(client), "http_server_errors_total", route="/_probe/boom")
    for _ in range(12):
        response = client.get("/_probe/boom")
        assert response.status_code == 500
        assert "internal detail 4711" not in response.get_data(as_text=True)
    assert value(scrape(client), "http_server_errors_total", route="/_probe/boom") - before == 12
    with failing_app.app_context():
        found = db.session.execute(select(alerts.SecurityAlert.kind)).scalars().all()
        assert found == ["server_error"]  # the failed requests' own work was rolled back
        [mail] = db.session.scalars(select(OutboxMessage)).all()
        assert mail.recipient == "admin@city.example.jp" and "サーバーエラー" in mail.subject


def test_metrics_in_multiprocess_mode(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (several gunicorn workers) the values live in that directory."""
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    script = textwrap.dedent(f"""
        from app import create_app
        app = create_app({{"TESTING": True, "DATABASE_URL": "sqlite:///{tmp_path}/m.db", "SECRET_KEY": "x",
                          "INSTANCE_PATH": "{tmp_path}"}})
        client = app.test_client()
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
        print(client.get("/metrics").get_data(as_text=True))
    """)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert value(result.stdout, "http_requests_total", route="/healthz", status="200") == 3
    assert list(metrics_dir.glob("*.db"))  # the per-process files the collector sums up


# --- the console page --------------------------------------------------------------------------

def test_alert_page_roles_and_acknowledge(app, clean, staff_client):
    with app.app_context():
        alert_id = alerts.raise_alert("login_failure", Message(alerts._MESSAGES["login_failure"], minutes=5, count=12))
    admin = staff_client(policy.ADMIN)
    home = admin.get("/staff/").get_data(as_text=True)
    assert "職員ログインの失敗が5分間に12回ありました" in home  # the banner on every console page
    english = admin.get("/staff/?lang=en").get_data(as_text=True)
    assert "12 failed staff logins in 5 minutes" in english and "職員ログインの失敗" not in english
    admin.get("/staff/?lang=ja")  # back to Japanese (the choice is kept in a cookie)
    page = admin.get("/staff/monitor/alerts")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ログイン失敗の急増" in html and "確認済みにする" in html

    auditor = staff_client(policy.AUDITOR)
    html = auditor.get("/staff/monitor/alerts").get_data(as_text=True)
    assert "ログイン失敗の急増" in html and "確認済みにする" not in html  # auditors read only
    denied = auditor.post(f"/staff/monitor/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf_from(html)})
    assert denied.status_code == 403

    counter = staff_client(policy.COUNTER)
    assert counter.get("/staff/monitor/alerts").status_code == 403

    assert admin.post(f"/staff/monitor/alerts/{alert_id}/acknowledge").status_code == 400  # no CSRF token
    token = csrf_from(admin.get("/staff/monitor/alerts").get_data(as_text=True))
    response = admin.post(f"/staff/monitor/alerts/{alert_id}/acknowledge", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        alert = db.session.get(alerts.SecurityAlert, alert_id)
        assert alert.acknowledged_by == admin.login_id and alert.acknowledged_at is not None
    assert "職員ログインの失敗が5分間に12回ありました。" not in admin.get("/staff/").get_data(as_text=True)
    html = admin.get("/staff/monitor/alerts").get_data(as_text=True)
    assert "未確認の警告はありません。" in html and admin.login_id in html
    assert admin.post("/staff/monitor/alerts/999999/acknowledge",
                      data={"csrf_token": csrf_from(html)}).status_code == 404
