"""Staff access controls (OWASP ASVS L2 items): each test would fail without its control."""
import re
from urllib.parse import quote

import pyotp
import pytest
import time_machine

from core import policy
from tests.conftest import STAFF_PASSWORD, csrf_from, fresh_client, make_staff, redis_url_for_tests, staff_login


def _cookie(client, name):
    return next((c for c in client._cookies.values() if c.key == name), None)


def test_create_admin_cli_then_login_with_totp(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "create-admin", "--login-id", "admin.first", "--name", "加古川 太郎",
                                 "--password", "first-admin-pass-2026"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"secret: ([A-Z2-7]+)", result.output).group(1)
    assert "otpauth://totp/" in result.output
    client = fresh_client(app)
    assert staff_login(client, "admin.first", secret, "first-admin-pass-2026").status_code == 302
    assert "加古川 太郎" in client.get("/staff/").get_data(as_text=True)


def test_weak_admin_password_is_refused(app):
    result = app.test_cli_runner().invoke(args=["staff", "create-admin", "--login-id", "weak", "--name", "x",
                                                "--password", "short1"])
    assert result.exit_code != 0 and "12文字以上" in result.output


def test_password_alone_is_not_enough(app):
    login_id, _secret = make_staff(app, policy.ADMIN)
    client = fresh_client(app)
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"login_id": login_id, "password": STAFF_PASSWORD, "csrf_token": csrf_from(page)})
    assert client.get("/staff/").status_code == 302  # still sent to the login: no session before the code


def test_a_totp_code_is_accepted_once(app):
    login_id, secret = make_staff(app, policy.AUDITOR)
    code = pyotp.TOTP(secret).now()
    first, second = fresh_client(app), fresh_client(app)
    for client in (first, second):
        page = client.get("/staff/login").get_data(as_text=True)
        client.post("/staff/login", data={"login_id": login_id, "password": STAFF_PASSWORD, "csrf_token": csrf_from(page)})
    page = first.get("/staff/login/code").get_data(as_text=True)
    assert first.post("/staff/login/code", data={"code": code, "csrf_token": csrf_from(page)}).status_code == 302
    page = second.get("/staff/login/code").get_data(as_text=True)
    assert second.post("/staff/login/code", data={"code": code, "csrf_token": csrf_from(page)}).status_code == 400


def test_new_session_id_at_login_and_logout_kills_it_server_side(app, staff_client):
    client = staff_client(policy.ADMIN)
    token = _cookie(client, "staff_session").value
    assert client.get("/staff/").status_code == 200
    page = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    replay = fresh_client(app)
    replay.set_cookie("staff_session", token)
    assert replay.get("/staff/").status_code == 302  # the old cookie is refused
    other = staff_client(policy.ADMIN)
    assert _cookie(other, "staff_session").value != token


def test_cookie_attributes(app):
    login_id, secret = make_staff(app, policy.ADMIN)
    client = fresh_client(app)
    page = client.get("/staff/login", base_url="https://localhost").get_data(as_text=True)
    referer = {"Referer": "https://localhost/staff/login"}  # Flask-WTF checks it over HTTPS
    client.post("/staff/login", base_url="https://localhost", headers=referer,
                data={"login_id": login_id, "password": STAFF_PASSWORD, "csrf_token": csrf_from(page)})
    page = client.get("/staff/login/code", base_url="https://localhost").get_data(as_text=True)
    r = client.post("/staff/login/code", base_url="https://localhost", headers=referer,
                    data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("__Host-staff="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_idle_timeout_after_30_minutes_and_absolute_limit_after_12_hours(app):
    login_id, secret = make_staff(app, policy.ADMIN)
    with time_machine.travel("2026-11-27 09:00 +0900", tick=False) as clock:
        client = fresh_client(app)
        assert staff_login(client, login_id, secret).status_code == 302
        clock.shift(29 * 60)
        assert client.get("/staff/").status_code == 200  # activity extends
        for _ in range(24):  # active all day, every 29 minutes
            clock.shift(29 * 60)
            status = client.get("/staff/").status_code
        assert status == 302  # 12 hours after login: out, however active
    login_id, secret = make_staff(app, policy.ADMIN)
    with time_machine.travel("2026-11-28 09:00 +0900", tick=False) as clock:
        client = fresh_client(app)
        staff_login(client, login_id, secret)
        clock.shift(31 * 60)
        assert client.get("/staff/").status_code == 302


def test_keepalive_extends_and_the_page_warns_before_timeout(staff_client):
    client = staff_client(policy.AUDITOR)
    html = client.get("/staff/").get_data(as_text=True)
    assert "自動でログアウトします" in html and "ログインを延長する" in html
    r = client.post("/staff/keepalive", data={"csrf_token": csrf_from(html)}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and "idle_deadline" in r.get_json()


def test_lockout_after_five_failures_even_with_the_right_password(app):
    login_id, secret = make_staff(app, policy.COUNTER)
    with time_machine.travel("2026-11-27 10:00 +0900", tick=False) as clock:
        client = fresh_client(app)
        for _ in range(5):
            page = client.get("/staff/login").get_data(as_text=True)
            r = client.post("/staff/login", data={"login_id": login_id, "password": "wrong-wrong-123",
                                                  "csrf_token": csrf_from(page)})
            assert r.status_code == 400
        r = staff_login(client, login_id, secret)
        assert r.status_code == 400 and "ロックされています" in r.get_data(as_text=True)
        clock.shift(16 * 60)  # the lock lasts 15 minutes
        assert staff_login(fresh_client(app), login_id, secret).status_code == 302


def test_login_is_rate_limited_per_ip(app):
    client = fresh_client(app)
    address = "127.0.0.2"
    statuses = []
    for n in range(12):
        page = client.get("/staff/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
        r = client.post("/staff/login", environ_base={"REMOTE_ADDR": address},
                        data={"login_id": f"nobody.{n}",  # new ids: only the address repeats
                              "password": "x" * 12, "csrf_token": csrf_from(page)})
        statuses.append(r.status_code)
    assert statuses[-1] == 429 and 429 not in statuses[:10]
    assert "Retry-After" in r.headers


def test_temporary_password_must_be_changed_first(app):
    login_id, secret = make_staff(app, policy.CURATOR, must_change=True)
    client = fresh_client(app)
    staff_login(client, login_id, secret)
    assert client.get("/staff/").location.endswith("/staff/password")
    page = client.get("/staff/password").get_data(as_text=True)
    r = client.post("/staff/password", data={"current": STAFF_PASSWORD, "new": "short", "confirm": "short",
                                             "csrf_token": csrf_from(page)})
    assert r.status_code == 400 and "12文字以上" in r.get_data(as_text=True)
    r = client.post("/staff/password", data={"current": STAFF_PASSWORD, "new": "a-brand-new-pass-7",
                                             "confirm": "a-brand-new-pass-7", "csrf_token": csrf_from(page)})
    assert r.status_code == 302 and client.get("/staff/").status_code == 200


def test_admin_creates_a_department_user_who_can_log_in(app, staff_client):
    admin = staff_client(policy.ADMIN)
    page = admin.get("/staff/users/new").get_data(as_text=True)
    r = admin.post("/staff/users/new", data={"login_id": "kokuho.tanaka", "display_name": "田中 花子",
                                             "role": policy.DEPARTMENT, "departments": "kokuho",
                                             "csrf_token": csrf_from(page)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "仮のパスワード" in html and "<svg" in html
    temp = re.search(r"仮のパスワード</dt><dd class=\"summary-list__value\"><code>([^<]+)</code>", html).group(1)
    secret = re.search(r"確認コードの設定キー</dt><dd class=\"summary-list__value\"><code>([A-Z2-7]+)</code>", html).group(1)
    user = fresh_client(app)
    assert staff_login(user, "kokuho.tanaka", secret, temp).status_code == 302
    assert user.get("/staff/").location.endswith("/staff/password")  # the temporary password goes first


def test_password_reset_is_for_administrators_only(staff_client):
    auditor = staff_client(policy.AUDITOR)
    page = auditor.get("/staff/").get_data(as_text=True)
    r = auditor.post(f"/staff/users/{auditor.login_id}/reset", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 403


def test_post_without_csrf_token_is_400(staff_client):
    client = staff_client(policy.ADMIN)
    assert client.post("/staff/logout").status_code == 400


@pytest.fixture
def lgwan_app(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "STAFF_NETWORKS": "10.20.0.0/16", "TRUSTED_PROXY_COUNT": 1})
    with app.app_context():
        upgrade()
    return app


def test_console_only_from_configured_networks_through_the_trusted_proxy(lgwan_app):
    client = lgwan_app.test_client()
    assert client.get("/staff/login", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 404
    # the proxy (the direct peer) says who the client is; one trusted hop
    inside = client.get("/staff/login", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                        headers={"X-Forwarded-For": "10.20.3.4"})
    assert inside.status_code == 200
    spoofed = client.get("/staff/login", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                         headers={"X-Forwarded-For": "10.20.3.4, 203.0.113.5"})
    assert spoofed.status_code == 404  # only the last hop, added by our proxy, is believed
    assert client.get("/guide/", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200


def test_staff_host_serves_only_the_console(tmp_path):
    from app import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "STAFF_HOST": "staff.lgwan.example"})
    client = fresh_client(app)
    assert client.get("/staff/login", base_url="http://www.example").status_code == 404
    assert client.get("/staff/login", base_url="http://staff.lgwan.example").status_code == 200
    assert client.get("/guide/", base_url="http://staff.lgwan.example").status_code == 404


def test_every_staff_route_is_in_the_policy_table_and_roles_are_enforced(app, staff_client):
    endpoints = {r.endpoint: r for r in app.url_map.iter_rules() if r.rule.startswith("/staff")}
    missing = sorted(e for e in endpoints if e not in policy.POLICY)
    assert missing == [], f"staff routes missing from core/policy.py: {missing}"
    for role in policy.ROLES:
        client = staff_client(role)
        for endpoint, rule in endpoints.items():
            if policy.is_public(endpoint) or "GET" not in rule.methods or rule.arguments:
                continue
            status = client.get(rule.rule).status_code
            if policy.allowed(endpoint, role):
                assert status != 403, f"{role} should reach {endpoint}"
            else:
                assert status == 403, f"{role} must not reach {endpoint} (got {status})"


def test_department_records_of_others_answer_404(app):
    from werkzeug.exceptions import NotFound

    from core.auth import require_department
    from core.staff_models import StaffUser
    with app.test_request_context("/staff/x"):
        from flask import g
        g.staff = StaffUser(login_id="d", role=policy.DEPARTMENT, departments="kokuho")
        require_department("kokuho")
        with pytest.raises(NotFound):
            require_department("shimin")
        g.staff = StaffUser(login_id="a", role=policy.ADMIN, departments="")
        require_department("shimin")


def test_staff_names_and_totp_secrets_are_encrypted_at_rest(app):
    from sqlalchemy import text

    from core.db import db
    login_id, secret = make_staff(app, policy.AUDITOR)
    with app.app_context():
        raw = db.session.execute(text("SELECT * FROM staff_user WHERE login_id = :l"), {"l": login_id}).one()
    flat = " ".join(str(v) for v in raw)
    assert secret not in flat and "テスト" not in flat and "v1." in flat


def test_login_rate_limit_is_shared_by_workers_through_redis(tmp_path):
    """Two app instances (two workers, or two hosts) count one address's attempts together."""
    import os

    import redis

    from app import create_app
    from core.security import limiter
    url = redis_url_for_tests()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    workers = [create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "SECRET_KEY": "x",
                           "INSTANCE_PATH": str(tmp_path), "REDIS_URL": url, "WTF_CSRF_ENABLED": False})
               for _ in range(2)]
    with workers[0].app_context():
        limiter.reset()  # the counts of an earlier run are in Redis still
    address = "127.0.0.3"
    statuses = []
    for i in range(12):
        client = workers[i % 2].test_client()
        r = client.post("/staff/login", environ_base={"REMOTE_ADDR": address},
                        data={"login_id": f"nobody.{i}", "password": "x" * 12})
        statuses.append(r.status_code)
    assert statuses[:10].count(429) == 0 and statuses[10] == 429 and statuses[11] == 429


@pytest.mark.parametrize("hostile", [
    "https://evil.example/staff/", "//evil.example/staff/", "/\\evil.example", "/staff\\..\\evil", "\\\\evil.example",
    "/staff/\r\nLocation: https://evil.example", "/staff/\t//evil.example", "https:/staff/", "/guide/birth/result",
    "/staffroom", "javascript:alert(1)", "/staff/" + "a" * 3000, "",
])
def test_the_keepalive_follows_only_a_path_of_the_console(staff_client, hostile):
    """The session-timeout form's hidden ``next`` (staff/base.html) goes back only to a path of the
    console: a hostile value sends the member of staff to the console's home instead."""
    client = staff_client(policy.AUDITOR)
    html = client.get("/staff/").get_data(as_text=True)
    r = client.post("/staff/keepalive", data={"csrf_token": csrf_from(html), "next": hostile})
    assert r.status_code == 302 and r.headers["Location"] == "/staff/"


def test_the_keepalive_goes_back_to_the_page_with_its_query(staff_client):
    client = staff_client(policy.ADMIN)
    html = client.get("/staff/?view=counts&page=1").get_data(as_text=True)
    assert 'name="next" value="/staff/?view=counts&amp;page=1"' in html
    r = client.post("/staff/keepalive", data={"csrf_token": csrf_from(html),
                                              "next": "/staff/audit/?action=staff.view&page=1#top"})
    assert r.status_code == 302 and r.headers["Location"] == "/staff/audit/?action=staff.view&page=1"


def test_the_login_follows_only_a_path_of_the_console(app):
    """``/staff/login?next=…`` (set by the guard) is checked the same way before the TOTP step."""
    for target, expected in (("https://evil.example/", "/staff/"), ("/staff/stats/?from=2026-04-01", "/staff/stats/?from=2026-04-01")):
        login_id, secret = make_staff(app, policy.AUDITOR)  # one account each: a TOTP code is used once
        client = fresh_client(app)
        page = client.get("/staff/login").get_data(as_text=True)
        r = client.post(f"/staff/login?next={quote(target, safe='')}", data={
            "login_id": login_id, "password": STAFF_PASSWORD, "csrf_token": csrf_from(page)})
        assert r.status_code == 302
        page = client.get("/staff/login/code").get_data(as_text=True)
        r = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})
        assert r.status_code == 302 and r.headers["Location"] == expected
