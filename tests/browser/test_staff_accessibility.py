"""The staff console in a real browser: logging in (also by keyboard alone, on a phone-sized
screen), zero axe-core violations (WCAG 2.1 A/AA) on every page an administrator, an auditor and
counter staff (the 403 page) can open, at 375 px and at 1280 px, no page-level sideways scrolling
at 320 px on the audit and statistics pages, and the session-timeout notice."""
from __future__ import annotations

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.axe_check import violations
from tests.conftest import STAFF_PASSWORD, make_staff

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 800}

AUDIT_FILTERED = "/staff/audit/?from=2026-01-01&to=2100-12-31&actor=&action=login.*&target=&ip=127.*&result=ok"
STATS_BAD_DATE = "/staff/stats/?from-year=2026&from-month=2&from-day=30&to-year=2026&to-month=4&to-day=1"
# pages opened with GET (status, path) by both administrators and auditors
SHARED_PAGES = [
    (200, "/staff/"),
    (200, "/staff/password"),
    (200, "/staff/audit/"),
    (200, AUDIT_FILTERED),
    (400, "/staff/audit/?from=2026-13-01"),
    (200, "/staff/audit/totals"),
    (200, "/staff/audit/totals?action=login.*"),
    (200, "/staff/audit/print"),
    (200, "/staff/audit/print?action=login.*"),
    (200, "/staff/stats/"),
    (400, STATS_BAD_DATE),
    (200, "/staff/monitor/alerts"),
    (200, "/staff/help/staff"),  # the staff manual rendered from Markdown
]
ADMIN_PAGES = SHARED_PAGES + [(200, "/staff/users"), (200, "/staff/users/new")]


@pytest.fixture(scope="module")
def axe():
    return Axe()


def assert_accessible(axe, page, label: str) -> None:
    """Zero violations at 375 px and at 1280 px (the same page, resized)."""
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        found = violations(axe, page)
        assert found == [], f"{label} at {size['width']}px: {found}"
    page.set_viewport_size(PHONE)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


OVERFLOWING = """[...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
               && !(e.closest('.table-scroll') && e.closest('.table-scroll') !== e))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def focus_next(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def new_page(browser, size=PHONE):
    context = browser.new_context(viewport=size, device_scale_factor=1, locale="ja-JP")
    return context, context.new_page()


def log_in(page, live_server: str, login_id: str, secret: str) -> None:
    """The real two pages, with the mouse (fill and click)."""
    page.goto(live_server + "/staff/login")
    page.fill("#login_id", login_id)
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/staff/login/code"), page.url
    page.fill("#code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/staff/"), page.url


@pytest.fixture(scope="module")
def admin_page(browser, live_server, app):
    login_id, secret = make_staff(app, "admin")
    context, page = new_page(browser)
    log_in(page, live_server, login_id, secret)
    yield page
    context.close()


@pytest.fixture(scope="module")
def auditor_page(browser, live_server, app):
    login_id, secret = make_staff(app, "auditor")
    context, page = new_page(browser)
    log_in(page, live_server, login_id, secret)
    yield page
    context.close()


# --- logging in -------------------------------------------------------------------------------

def test_an_administrator_logs_in_with_the_keyboard_alone_at_375_px(browser, live_server, app):
    login_id, secret = make_staff(app, "admin")
    context, page = new_page(browser)
    try:
        page.goto(live_server + "/staff/login")
        focus_next(page, "#login_id")
        page.keyboard.type(login_id)
        focus_next(page, "#password")
        page.keyboard.type(STAFF_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/staff/login/code"), page.url
        focus_next(page, "#code")
        page.keyboard.type(pyotp.TOTP(secret).now())
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/staff/"), page.url
        assert page.locator("h1").inner_text() == "職員ポータル"
        assert no_sideways_scroll(page)
    finally:
        context.close()


def test_login_pages_with_and_without_errors(browser, live_server, app, axe):
    login_id, secret = make_staff(app, "admin")
    context, page = new_page(browser)
    try:
        page.goto(live_server + "/staff/login")
        assert_accessible(axe, page, "login")

        page.fill("#login_id", "nobody.a11y")
        page.fill("#password", "wrong-password-1234")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator("#error-summary").is_visible()
        assert page.title().startswith("エラー：")
        assert_accessible(axe, page, "login with an error")

        page.fill("#login_id", login_id)
        page.fill("#password", STAFF_PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.url.endswith("/staff/login/code"), page.url
        assert_accessible(axe, page, "code page")

        right = pyotp.TOTP(secret).now()
        page.fill("#code", "000000" if right != "000000" else "111111")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator("#error-summary").is_visible()
        assert_accessible(axe, page, "code page with an error")
    finally:
        context.close()


# --- every page, per role ---------------------------------------------------------------------

def test_every_administrator_page_has_no_axe_violations(admin_page, live_server, axe):
    page = admin_page
    for status, path in ADMIN_PAGES:
        response = page.goto(live_server + path)
        assert response.status == status, (path, response.status)
        assert page.url.startswith(live_server + path.split("?")[0]), (path, page.url)
        assert_accessible(axe, page, path)


def test_new_account_form_with_errors_and_the_created_account_page(admin_page, live_server, axe):
    page = admin_page
    page.goto(live_server + "/staff/users/new")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#login_id").get_attribute("aria-invalid") == "true"
    assert_accessible(axe, page, "new account with errors")

    new_id = "a11y.auditor"  # the module's one new account
    page.fill("#login_id", new_id)
    page.fill("#display_name", "アクセシビリティ 確認")
    page.check("input[name=role][value=auditor]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("h1").inner_text() == "アカウントを追加しました"
    assert page.locator(".qr__image svg").count() == 1
    assert new_id in page.locator("main").inner_text()
    assert_accessible(axe, page, "account created (QR and temporary password)")


def test_every_auditor_page_has_no_axe_violations(auditor_page, live_server, axe):
    page = auditor_page
    for status, path in SHARED_PAGES:
        response = page.goto(live_server + path)
        assert response.status == status, (path, response.status)
        assert_accessible(axe, page, path)
    assert page.goto(live_server + "/staff/monitor/alerts").ok
    assert page.locator("text=確認済みにする").count() == 0  # auditors only read


def test_the_403_page_for_counter_staff(browser, live_server, app, axe):
    login_id, secret = make_staff(app, "counter")
    context, page = new_page(browser)
    try:
        log_in(page, live_server, login_id, secret)
        response = page.goto(live_server + "/staff/users")
        assert response.status == 403
        assert page.locator("h1").inner_text() == "この画面は使えません"
        assert_accessible(axe, page, "403")
    finally:
        context.close()


# --- narrow screens ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff/audit/", AUDIT_FILTERED, "/staff/audit/totals", "/staff/stats/",
                                  STATS_BAD_DATE])
def test_no_sideways_scrolling_at_320_px(admin_page, live_server, path):
    page = admin_page
    page.set_viewport_size(NARROW)
    try:
        page.goto(live_server + path)
        assert no_sideways_scroll(page), page.evaluate(OVERFLOWING)
    finally:
        page.set_viewport_size(PHONE)


# --- the session-timeout warning (WCAG 2.2.1) -------------------------------------------------

def test_the_session_timeout_notice_and_the_extend_button_by_keyboard(admin_page, live_server):
    page = admin_page
    page.goto(live_server + "/staff/")
    notice = page.locator(".session-timeout p").filter(has_text="自動でログアウトします").first
    assert notice.is_visible()
    page.locator("body").focus()
    focus_next(page, ".session-timeout button[type=submit]", limit=120)
    assert page.evaluate("document.activeElement.textContent.trim()") == "ログインを延長する"
    with page.expect_response(lambda r: r.url.endswith("/staff/keepalive")) as extended:
        page.keyboard.press("Enter")
    assert extended.value.ok
    assert page.url.endswith("/staff/")  # extended in place (JSON), the page stays
