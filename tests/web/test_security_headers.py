"""HTTP hardening: headers, CSP nonces, framing, HTTPS, request ids, logs without secrets."""
import logging
import re

from tests.conftest import csrf_from, make_staff


def test_security_headers_on_every_page(client):
    r = client.get("/guide/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in r.headers["Permissions-Policy"]
    assert "Server" not in r.headers
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-ID"])


def test_a_fresh_nonce_per_response(client):
    a = client.get("/guide/").headers["Content-Security-Policy"]
    b = client.get("/guide/").headers["Content-Security-Policy"]
    assert re.search(r"nonce-([^']+)", a).group(1) != re.search(r"nonce-([^']+)", b).group(1)


def test_only_the_guide_can_be_framed_by_the_city_homepage(client):
    guide = client.get("/guide/moving_in").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.city.kakogawa.lg.jp" in guide
    api = client.get("/api/v1/events")
    assert "frame-ancestors 'none'" in api.headers["Content-Security-Policy"]
    assert api.headers["X-Frame-Options"] == "DENY"
    staff = client.get("/staff/login")
    assert "frame-ancestors 'none'" in staff.headers["Content-Security-Policy"]


def test_staff_pages_are_not_cached(client):
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"


def test_no_inline_scripts_or_styles_in_pages(client):
    for path in ("/guide/", "/guide/moving_in/result?date=2026-04-01", "/staff/login", "/accessibility"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path


def test_https_is_forced_with_hsts(tmp_path):
    from app import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "FORCE_HTTPS": True, "ENV": "development",  # HTTPS without the production refusals
                      "PUBLIC_BASE_URL": "https://guide.example.jp"})
    client = app.test_client()
    r = client.get("/guide/?lang=ja", base_url="http://localhost")
    assert r.status_code == 301 and r.location.startswith("https://")
    secure = client.get("/guide/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_incoming_request_id_is_kept_when_sane(client):
    assert client.get("/guide/", headers={"X-Request-ID": "abc-123-def"}).headers["X-Request-ID"] == "abc-123-def"
    assert client.get("/guide/", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"] != "<script>"


def test_no_password_token_or_personal_data_in_log_lines(app, caplog):
    login_id, _secret = make_staff(app, "admin")
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        page = client.get("/staff/login").get_data(as_text=True)
        client.post("/staff/login", data={"login_id": login_id, "password": "a-secret-password-99",
                                          "csrf_token": csrf_from(page)})
        client.get("/guide/moving_in/result?date=2026-04-01&n=1&m0.age=35")
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "a-secret-password-99" not in text
    assert "m0.age=35" not in text  # no query strings
    assert "csrf_token" not in text


def test_error_page_has_an_incident_id_and_nothing_internal(tmp_path):
    from app import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("database password is hunter2")

    r = app.test_client().get("/boom-for-test")
    html = r.get_data(as_text=True)
    assert r.status_code == 500 and "システムで問題が起きました" in html
    assert re.search(r"[0-9a-f]{12}", html) and "hunter2" not in html and "Traceback" not in html


def test_gunicorn_config_names_no_version_in_the_server_header():
    import runpy
    from pathlib import Path

    import gunicorn.http.wsgi
    before = gunicorn.http.wsgi.SERVER
    try:
        runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
        assert not re.search(r"\d", gunicorn.http.wsgi.SERVER)
    finally:
        gunicorn.http.wsgi.SERVER = before
