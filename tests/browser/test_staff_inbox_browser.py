"""The inbox with a day's worth of applications (65) and the console home of each role, in a
real browser: zero axe-core violations (WCAG 2.1 A/AA) at 375 px and 1280 px (the list, a
sorted list, the bulk-action result, a bulk form error), table headers on one line and the
table inside the screen at 1280 px, the opt-in Alt shortcuts, and each role's home page."""
from __future__ import annotations

import random

import pytest
from axe_playwright_python.sync_playwright import Axe

from core import policy
from intake import workflow
from tests.browser.test_staff_accessibility import DESKTOP, PHONE, assert_accessible, log_in, new_page
from tests.conftest import make_staff
from tests.web.inbox_helpers import open_days_ago, seed, unique_family

pytestmark = pytest.mark.browser

STATUSES = [workflow.SUBMITTED] * 4 + [workflow.REVIEWING] * 3 + [workflow.APPROVED, workflow.CORRECTION,
                                                                    workflow.ISSUED]
PROCEDURES = ["juminhyo_utsushi", "koseki_tohon", "inkan_shomei"]

HEADERS_ON_ONE_LINE = """() => [...document.querySelectorAll('.inbox-table thead th')].map(th => {
  const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
  const tops = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden')) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
  }
  tops.sort((a, b) => a - b);
  const lines = tops.filter((t, i) => i === 0 || t - tops[i - 1] > 12).length;
  return [th.innerText.trim(), lines];
}).filter(([, lines]) => lines > 1)"""
TABLE_FITS = """() => { const box = document.querySelector('.inbox-table').closest('.table-scroll');
  return box.scrollWidth <= box.clientWidth + 1; }"""


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture(scope="module", autouse=True)
def login_limits_left_as_found(app):
    """This module logs in seven times a database from 127.0.0.1; the per-address login limit
    (10 a minute, tested in tests/web/test_staff_auth.py) is emptied after it, so the browser
    tests that follow are not refused for logins they did not make."""
    from core.security import limiter

    yield
    with app.app_context():
        limiter.reset()


@pytest.fixture(scope="module")
def day_of_applications(app):
    """65 applications of 市民課 over the last two weeks, some overdue, some assigned."""
    family, kana = unique_family()
    rng = random.Random(7)
    for i in range(65):
        seed(app, procedure=PROCEDURES[i % 3], status=STATUSES[i % len(STATUSES)], family=family,
             given=rng.choice(["花子", "太郎", "葵", "翔"]), family_kana=kana,
             submitted_at=open_days_ago(rng.randint(0, 9)))
    return family


def _login(browser, live_server, app, role, departments=""):
    from core.security import limiter

    with app.app_context():
        limiter.reset()  # seven logins in a row from one address: not what the login limit is for
    login_id, secret = make_staff(app, role, departments=departments)
    context, page = new_page(browser, DESKTOP)
    log_in(page, live_server, login_id, secret)
    return context, page


def test_inbox_with_65_applications_is_accessible_and_fits_1280_px(browser, live_server, app, axe, day_of_applications):
    context, page = _login(browser, live_server, app, policy.DEPARTMENT, "shimin")
    try:
        page.goto(live_server + "/staff/applications/")
        assert page.locator("[data-inbox-row]").count() == 50  # one page of 50
        assert page.locator(".due-tag--overdue").count() > 0
        page.set_viewport_size(DESKTOP)
        assert page.evaluate(HEADERS_ON_ONE_LINE) == []
        assert page.evaluate(TABLE_FITS), "the inbox table scrolls sideways at 1280 px"
        assert_accessible(axe, page, "inbox")
        # sorted by 経過・期限 with a click on its header (a link: no script needed)
        page.set_viewport_size(DESKTOP)
        with page.expect_navigation():
            page.click("th[aria-sort] a:has-text('経過・期限')")
        assert page.locator("th:has-text('経過・期限')").get_attribute("aria-sort") == "ascending"
        assert_accessible(axe, page, "inbox sorted by deadline")
        # filtered by name (kana typed in hiragana)
        page.goto(live_server + "/staff/applications/?name=" + day_of_applications + "&status=all")
        assert page.locator("[data-inbox-row]").count() == 50
    finally:
        context.close()


def test_bulk_action_result_and_error_are_accessible_and_shortcuts_are_opt_in(browser, live_server, app, axe,
                                                                           day_of_applications):
    context, page = _login(browser, live_server, app, policy.DEPARTMENT, "shimin")
    try:
        page.goto(live_server + f"/staff/applications/?name={day_of_applications}")
        # shortcuts are off: Alt+J does nothing
        page.locator("h1").click()
        page.keyboard.press("Alt+j")
        assert page.locator("tr.is-current").count() == 0
        page.locator("#shortcut-help summary").click()
        page.check("#shortcuts-on")
        page.locator("h1").click()
        page.keyboard.press("Alt+j")
        page.keyboard.press("Alt+j")
        page.keyboard.press("Alt+x")
        second = page.locator("[data-inbox-row]").nth(1)
        assert "is-current" in second.get_attribute("class")
        assert second.locator("input[type=checkbox]").is_checked()
        page.locator("[data-inbox-row]").nth(2).locator("input[type=checkbox]").check()
        page.keyboard.press("Alt+b")
        assert page.evaluate("document.activeElement.id") == "action"
        page.select_option("#action", "assign_me")
        with page.expect_navigation():
            page.click("#inbox-bulk button[type=submit]")
        assert page.locator(".bulk-outcome").is_visible()
        assert "2件できました" in page.locator(".bulk-outcome h2").inner_text()
        assert_accessible(axe, page, "bulk result")
        # nothing ticked: the error summary, the choice kept
        page.goto(live_server + f"/staff/applications/?name={day_of_applications}")
        page.select_option("#action", "issued")
        with page.expect_navigation():
            page.click("#inbox-bulk button[type=submit]")
        assert page.locator("#error-summary").is_visible()
        assert page.locator("#action").input_value() == "issued"
        assert_accessible(axe, page, "bulk form error")
    finally:
        context.close()


@pytest.mark.parametrize("role,departments", [(policy.DEPARTMENT, "shimin"), (policy.COUNTER, ""),
                                              (policy.ADMIN, ""), (policy.AUDITOR, ""), (policy.CURATOR, "")])
def test_the_home_page_of_each_role_is_accessible(browser, live_server, app, axe, role, departments,
                                                  day_of_applications):
    context, page = _login(browser, live_server, app, role, departments)
    try:
        page.goto(live_server + "/staff/")
        assert page.locator("h1").inner_text() == "職員ポータル"
        assert_accessible(axe, page, f"home ({role})")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()
