"""Every staff page a role can reach, found the way a person finds them (the route walk of
tests/web/test_staff_route_walk.py: links, GET forms, script endpoints from the console home),
opened in Chromium and checked with axe-core (WCAG 2.1 A/AA) at 375 and at 1280 px. Pages
already checked for an earlier role are not opened again (paths, not query variants).

It runs on an app and database of its own with a known day's work in it (applications, bookings),
not on the session's shared database: that one grows with every test before it, and axe on a
print run of a hundred applications measures the test order, not the page."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from core import policy
from core.security import limiter
from tests.browser.test_staff_accessibility import log_in, new_page, violations
from tests.conftest import make_staff, staff_login
from tests.web.staff_reservations_helpers import add_booking
from tests.web.test_staff_applications import ADDRESS, NAME, submitted
from tests.web.test_staff_route_walk import DEPARTMENTS, crawl

pytestmark = pytest.mark.browser

ORDER = [policy.DEPARTMENT, policy.COUNTER, policy.ADMIN, policy.AUDITOR, policy.CURATOR]
SIZES = ({"width": 375, "height": 812}, {"width": 1280, "height": 900})


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture(scope="module")
def console(tmp_path_factory, forms, ca, card_key):
    """(app, base URL): a fresh SQLite database with three applications of 市民課 and two of
    today's bookings at its counter, served on a loopback port."""
    from flask_migrate import upgrade

    from app import create_app
    from core.db import db
    from staff import content

    instance = tmp_path_factory.mktemp("every-page")
    app = create_app({
        "TESTING": True, "DATABASE_URL": f"sqlite:///{instance / 'console.db'}", "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-only-not-secret", "GUIDE_CACHE_SIZE": 0, "USAGE_FLUSH_SECONDS": 0, "REDIS_URL": "",
        "JPKI_TRUST_ANCHORS": str(ca.directory / "trust-anchors.pem"),
        "JPKI_CRL_SOURCES": f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}",
        "JPKI_INTERMEDIATES": str(ca.directory / "intermediate.pem"),
    })
    with app.app_context():
        upgrade()
    content.record_first_version(app)  # as the next start after `flask db upgrade` does (app.py)
    cert = ca.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", key=card_key, write=False)
    for _ in range(3):
        submitted(app, forms, ca, cert)
    add_booking(app)
    add_booking(app, status="checked_in")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # links for residents
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_every_staff_page_of_every_role_has_no_axe_violation_at_375_and_1280_px(console, browser, axe):
    app, base = console
    checked: set[str] = set()
    found: list[str] = []
    for role in ORDER:
        client = app.test_client()
        login_id, secret = make_staff(app, role, departments=DEPARTMENTS[role])
        assert staff_login(client, login_id, secret).status_code == 302
        kinds: dict[str, str] = {}
        statuses, _posts = crawl(client, kinds=kinds)
        pages = []
        for url, status in statuses.items():
            path = urlsplit(url).path
            if kinds.get(url) == "text/html" and status not in (301, 302, 303) and path not in checked:
                checked.add(path)
                pages.append(url)

        login_id, secret = make_staff(app, role, departments=DEPARTMENTS[role])  # a code is used once
        with app.app_context():
            limiter.reset()  # five logins in a row from one address: not what the login limit is for
        context, page = new_page(browser)
        log_in(page, base, login_id, secret)
        for url in pages:
            page.goto(base + url)
            for size in SIZES:
                page.set_viewport_size(size)
                found += [f"{role} {url} at {size['width']}px: {v}" for v in violations(axe, page)]
        context.close()
    assert len(checked) >= 20 and {"/staff/applications/", "/staff/reservations/", "/staff/users"} <= checked, sorted(checked)
    assert found == [], "\n".join(found)
