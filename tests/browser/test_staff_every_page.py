"""Every staff page a role can reach, found the way a person finds them (the route walk of
tests/web/test_staff_route_walk.py: links, GET forms, script endpoints from the console home),
opened in Chromium and checked with axe-core (WCAG 2.1 A/AA) at 375 and at 1280 px. Pages
already checked for an earlier role are not opened again (paths, not query variants)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from core import policy
from tests.browser.test_staff_accessibility import log_in, new_page, violations
from tests.conftest import make_staff
from tests.web.staff_reservations_helpers import add_booking, clean
from tests.web.test_staff_applications import ADDRESS, NAME, submitted
from tests.web.test_staff_route_walk import DEPARTMENTS, crawl

pytestmark = pytest.mark.browser

ORDER = [policy.DEPARTMENT, policy.COUNTER, policy.ADMIN, policy.AUDITOR, policy.CURATOR]
# Print runs of whole lists (up to 100 sheets or 2,000 audit rows: as large as the test database has
# grown) have tests of their own on known data (test_staff_outputs_accessibility.py,
# test_staff_accessibility.py); here they would only make axe slow.
BULK_PRINTS = ("/staff/applications/print", "/staff/applications/labels", "/staff/applications/dispatch",
               "/staff/audit/print")
SIZES = ({"width": 375, "height": 812}, {"width": 1280, "height": 900})
_checked: set[tuple[int, str]] = set()  # (app, path) already opened


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture
def rows(app, forms, trusted, card_key):
    cert = trusted.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", key=card_key, write=False)
    submitted(app, forms, trusted, cert)
    add_booking(app)
    yield
    clean(app)


@pytest.mark.parametrize("role", ORDER)
def test_every_page_of_the_role_has_no_axe_violation_at_375_and_1280_px(app, browser, live_server, axe, rows,
                                                                          staff_client, role):
    kinds: dict[str, str] = {}
    statuses, _posts = crawl(staff_client(role, DEPARTMENTS[role]), kinds=kinds)
    pages = []
    for url, status in statuses.items():
        path = urlsplit(url).path
        if kinds.get(url) != "text/html" or status in (301, 302, 303) or (id(app), path) in _checked \
                or path in BULK_PRINTS:
            continue
        _checked.add((id(app), path))
        pages.append(url)
    assert "/staff/" in pages or (id(app), "/staff/") in _checked

    from core.security import limiter
    with app.app_context():
        limiter.reset()  # one login per role from one address: not what the login limit is for
    login_id, secret = make_staff(app, role, departments=DEPARTMENTS[role])
    context, page = new_page(browser)
    log_in(page, live_server, login_id, secret)
    found = []
    for url in pages:
        page.goto(live_server + url)
        for size in SIZES:
            page.set_viewport_size(size)
            found += [f"{url} at {size['width']}px: {v}" for v in violations(axe, page)]
    context.close()
    assert found == [], "\n".join(found)
