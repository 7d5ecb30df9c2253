"""Every staff page a role can reach, found the way a person finds them (the route walk of
tests/web/test_staff_route_walk.py: links, GET forms, script endpoints from the console home),
opened in Chromium and checked with axe-core (WCAG 2.1 A/AA) at 375 and at 1280 px. Pages
already checked for an earlier role are not opened again (paths, not query variants).

The pages are dealt into SHARDS parts, one test file each (test_staff_every_page_<n>.py), so the
two test workers share them (pytest-xdist hands out whole files): in one file this was the
suite's longest test by far (~10 minutes on its own at the end of a run).

Each part runs on an app and database of its own with a known day's work in it (applications,
bookings), not on the session's shared database: that one grows with every test before it, and
axe on a print run of a hundred applications measures the test order, not the page."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from core import policy
from core.db import db
from core.security import limiter
from tests.browser.axe_check import violations
from tests.browser.test_staff_accessibility import log_in, new_page
from tests.conftest import make_staff, staff_login
from tests.web.staff_reservations_helpers import add_booking
from tests.web.test_staff_applications import ADDRESS, NAME, submitted
from tests.web.test_staff_route_walk import DEPARTMENTS, crawl

ORDER = [policy.DEPARTMENT, policy.COUNTER, policy.ADMIN, policy.AUDITOR, policy.CURATOR]
SIZES = ({"width": 375, "height": 812}, {"width": 1280, "height": 900})
SHARDS = 2


def serve_console(instance, forms, ca, card_key):
    """(app, base URL, server): a fresh SQLite database with three applications of 市民課 and two
    of today's bookings at its counter, served on a loopback port."""
    from flask_migrate import upgrade

    from app import create_app
    from staff import content

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
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, f"http://127.0.0.1:{server.server_port}", server


# Pages drawn by one view with one template, told apart only by a record or file in the path, are
# checked VARIANTS times: the content viewer shows ~150 pack files in the same <pre> layout, and a
# POST-only address opened with GET answers the same 405 page (21 of them). Views whose argument
# chooses a different template or document are checked for every argument.
VARIANTS = 3
EVERY_ARGUMENT = {"staff_mail.preview", "staff_help.manual", "staff_rule_graph.event"}


def _view_of(adapter, path: str, status: int) -> str:
    try:
        endpoint, _args = adapter.match(path, method="GET")
    except HTTPException:
        return f"error {status}"
    return path if endpoint in EVERY_ARGUMENT else f"{endpoint} {status}"


@pytest.fixture(scope="module")
def console(tmp_path_factory, forms, ca, card_key):
    """(app, base URL) of the part's own console; a test file imports this fixture, so each part
    (module) has its own."""
    app, base, server = serve_console(tmp_path_factory.mktemp("every-page"), forms, ca, card_key)
    yield app, base
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def pages_by_role(app) -> list[tuple[str, str]]:
    """(role, url) for every HTML page each role reaches, a path only under the first role that
    reaches it (ORDER), and at most VARIANTS pages of one view."""
    checked: set[str] = set()
    per_view: dict[str, int] = {}
    adapter = app.url_map.bind("localhost")
    pages: list[tuple[str, str]] = []
    for role in ORDER:
        client = app.test_client()
        login_id, secret = make_staff(app, role, departments=DEPARTMENTS[role])
        assert staff_login(client, login_id, secret).status_code == 302
        kinds: dict[str, str] = {}
        statuses, _posts = crawl(client, kinds=kinds)
        for url, status in statuses.items():
            path = urlsplit(url).path
            if kinds.get(url) != "text/html" or status in (301, 302, 303) or path in checked:
                continue
            checked.add(path)
            view = _view_of(adapter, path, status)
            per_view[view] = per_view.get(view, 0) + 1
            if per_view[view] <= VARIANTS:
                pages.append((role, url))
    return pages


def check_shard(app, base: str, browser, axe, shard: int) -> None:
    """axe over this shard's part of every role's pages, at both widths: no violation."""
    pages = pages_by_role(app)
    paths = {urlsplit(url).path for _role, url in pages}
    assert len(paths) >= 60 and {"/staff/applications/", "/staff/reservations/", "/staff/users"} <= paths, sorted(paths)
    mine = pages[shard::SHARDS]
    assert mine, f"shard {shard} of {SHARDS} has no page"
    found: list[str] = []
    for role in ORDER:
        urls = [url for who, url in mine if who == role]
        if not urls:
            continue
        login_id, secret = make_staff(app, role, departments=DEPARTMENTS[role])  # a code is used once
        with app.app_context():
            limiter.reset()  # many logins in a row from one address: not what the login limit is for
        context, page = new_page(browser)
        log_in(page, base, login_id, secret)
        for url in urls:
            page.goto(base + url)
            for size in SIZES:
                page.set_viewport_size(size)
                found += [f"{role} {url} at {size['width']}px: {v}" for v in violations(axe, page)]
        context.close()
    assert found == [], "\n".join(found)
