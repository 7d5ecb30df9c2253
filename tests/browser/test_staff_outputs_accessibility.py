"""What leaves the console, in a real browser: the paper forms (one application and the filtered
list), the 郵送 labels and the 発送一覧, the 交付一覧 (also with a date error), the Shift_JIS refusal
page, and the audit search showing details in words: zero axe-core violations (WCAG 2.1 A/AA) at
375 px and at 1280 px, and printed as A4 with one application per page."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from core.db import db
from intake.models import Application
from tests.browser.test_staff_accessibility import assert_accessible, log_in, new_page
from tests.conftest import make_staff
from tests.web import test_staff_applications as base

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


WRAPPED_HEADERS = """[...document.querySelectorAll('main thead th')].filter(th => {
  const r = document.createRange(); r.selectNodeContents(th);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return tops.size > 1;
}).map(th => th.textContent.trim())"""


def wrapped_headers(page) -> list[str]:
    page.set_viewport_size({"width": 1280, "height": 900})
    found = page.evaluate(WRAPPED_HEADERS)
    page.set_viewport_size({"width": 375, "height": 812})
    return found


def test_print_labels_lists_and_refusal_pages_have_no_axe_violations(
        browser, live_server, app, axe, forms, trusted, card_key):
    cert = base._cert(trusted, card_key)
    by_post = base.submitted(app, forms, trusted, cert)
    odd = base.submitted(app, forms, trusted, cert, fields={**base.FIELDS, "applicant_family_name": "𠮷田"})
    day = dt.date(2001, 4, 2)  # long before anything the module's pages make: only these two were decided then
    noon = dt.datetime.combine(day, dt.time(12), dt.timezone(dt.timedelta(hours=9)))
    with app.app_context():
        db.session.execute(update(Application).where(Application.receipt_number.in_([by_post, odd])).values(
            status="approved", decided_at=noon.astimezone(dt.UTC)))
        db.session.commit()
    login_id, secret = make_staff(app, "department", departments="shimin")
    context, page = new_page(browser)
    try:
        log_in(page, live_server, login_id, secret)
        for status, path in [
            (200, f"/staff/applications/{by_post}/print"),
            (200, f"/staff/applications/print?status=all&q={by_post}"),
            (200, "/staff/applications/labels?status=all"),
            (200, "/staff/applications/dispatch?status=all"),
            (200, f"/staff/applications/issue-list?day={day.isoformat()}"),
            (400, "/staff/applications/issue-list?day=2026-02-30"),
            (422, f"/staff/applications/issue-list.csv?day={day.isoformat()}&encoding=shift_jis"),
        ]:
            response = page.goto(live_server + path)
            assert response.status == status, (path, response.status)
            assert_accessible(axe, page, path)
            assert wrapped_headers(page) == [], path
        # the paper form prints on A4, one application per sheet
        page.goto(live_server + f"/staff/applications/print?status=all&q={by_post}")
        assert page.pdf(format="A4").startswith(b"%PDF")
        page.emulate_media(media="print")
        assert page.locator(".site-header").is_hidden() and page.locator("h1.no-print").is_hidden()
        assert page.evaluate("getComputedStyle(document.querySelector('.paper')).breakInside") == "avoid"
        page.emulate_media(media="screen")
    finally:
        context.close()

    admin_id, admin_secret = make_staff(app, "admin")
    context, page = new_page(browser)
    try:
        log_in(page, live_server, admin_id, admin_secret)
        response = page.goto(live_server + "/staff/audit/?action=application.*")
        assert response.status == 200
        assert page.locator(".audit-details").count() >= 1
        assert "{\"" not in page.locator("main").inner_text()
        assert_accessible(axe, page, "audit search with details")
        assert wrapped_headers(page) == []
        page.goto(live_server + "/staff/audit/?action=application.*&lang=en")
        assert_accessible(axe, page, "audit search with details (English)")
        page.goto(live_server + "/staff/audit/?lang=ja")
    finally:
        context.close()
