"""Accounts, counter pages, the lobby display, date fields and the console's width in a real
browser (issue #9): zero axe-core violations at 375 and 1280 px on the users list, new and edit
forms, the reset confirmation, the hall display, the phone booking (calendar and times) and the
day view; at 1280 px no header cell of the staff tables wraps; at 375 px the counter day view
does not scroll sideways; the 和暦 follows the date picker; the display's numbers are ≥ 8vw."""
from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from core import policy
from tests.browser.test_staff_accessibility import DESKTOP, PHONE, assert_accessible, log_in, new_page
from tests.conftest import make_staff
from tests.web.staff_reservations_helpers import add_booking, clean, open_day, today

pytestmark = pytest.mark.browser

# how many lines each header cell of the page's tables takes (text rectangles with distinct tops)
TH_LINES = """[...document.querySelectorAll('main table th[scope=col]')].map(th => {
  const range = document.createRange(); range.selectNodeContents(th);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  return [th.textContent.trim(), tops.size];
}).filter(([, lines]) => lines > 1)"""
# what sticks out to the right of the window (not counting the insides of a scrolling table box)
OVERFLOWING = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
               && !(e.closest('.table-scroll') && e.closest('.table-scroll') !== e))
  .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture(scope="module")
def admin(browser, live_server, app):
    clean(app)
    login_id, secret = make_staff(app, policy.ADMIN)
    context, page = new_page(browser)
    log_in(page, live_server, login_id, secret)
    page.login_id = login_id
    yield page
    context.close()
    clean(app)


def test_account_pages_are_accessible(axe, admin, live_server, app):
    page = admin
    other, _secret = make_staff(app, policy.DEPARTMENT, departments="shimin,kokuho")
    page.goto(live_server + "/staff/users")
    assert "市民課" in page.locator("main").inner_text()
    assert_accessible(axe, page, "users list")
    page.goto(live_server + "/staff/users/new")
    assert_accessible(axe, page, "new account")
    page.fill("#login_id", "a11y.dept")
    page.fill("#display_name", "担当課 なし")
    page.check("input[name=role][value=department]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#display_name").input_value() == "担当課 なし"  # kept
    assert_accessible(axe, page, "new account, department missing")
    page.goto(live_server + f"/staff/users/{other}/edit")
    assert page.locator("input[name=departments][value=kokuho]").is_checked()
    assert_accessible(axe, page, "edit account")
    page.goto(live_server + f"/staff/users/{other}/reset")
    assert "さんのパスワードを再発行しますか" in page.locator("h1").inner_text()
    assert_accessible(axe, page, "reset confirmation")
    page.goto(live_server + f"/staff/users/{page.login_id}/reset")  # own row: refused with a message
    assert "自分のパスワードは" in page.locator("main").inner_text()
    assert_accessible(axe, page, "own reset refused")


def test_console_404_is_accessible(axe, admin, live_server):
    response = admin.goto(live_server + "/staff/no-such-page")
    assert response.status == 404 and admin.locator(".staff-nav").count() == 1
    assert_accessible(axe, admin, "console 404")


def test_counter_pages_are_accessible_and_fit(axe, admin, live_server, app):
    page = admin
    add_booking(app, start=dt.datetime.combine(today(), dt.time(9, 0), dt.timezone(dt.timedelta(hours=9))))
    page.goto(live_server + "/staff/reservations/?site=shiyakusho")
    assert_accessible(axe, page, "day view")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375, page.evaluate(OVERFLOWING)

    page.goto(live_server + "/staff/reservations/phone?service=tenshutsu&site=shiyakusho")
    assert page.locator(".reserve-calendar__table").count() == 1
    assert_accessible(axe, page, "phone booking: calendar")
    day = open_day("shiyakusho")
    if page.locator(f"a[href*='day={day.isoformat()}']").count() == 0:
        page.goto(live_server + f"/staff/reservations/phone?service=tenshutsu&site=shiyakusho&month={day:%Y-%m}")
    with page.expect_navigation():
        page.click(f"a[href*='day={day.isoformat()}']")
    assert page.locator("input[name=start][type=radio]").count() > 0
    assert_accessible(axe, page, "phone booking: times")


def test_date_picker_shows_the_wareki(admin, live_server):
    page = admin
    page.goto(live_server + "/staff/reservations/?site=shiyakusho")
    page.fill("#day", "2019-05-01")
    page.dispatch_event("#day", "change")
    assert page.locator("#day-wareki").inner_text() == "和暦：令和元年5月1日（水）"


def test_no_wrapped_table_headers_at_1280(admin, live_server, app):
    page = admin
    add_booking(app)
    page.set_viewport_size(DESKTOP)
    for path in ["/staff/reservations/?site=shiyakusho", "/staff/users",
                 "/staff/audit/?from=2000-01-01&to=2100-12-31", "/staff/stats/", "/staff/reservations/stats"]:
        assert page.goto(live_server + path).ok, path
        assert page.locator("main table th[scope=col]").count() > 0, path
        assert page.evaluate(TH_LINES) == [], f"wrapped headers on {path}"
    page.set_viewport_size(PHONE)


def test_hall_display_is_a_lobby_screen(axe, admin, browser, live_server, app):
    clean(app)
    page = admin
    page.goto(live_server + "/staff/reservations/queue?counter=shimin_ido")
    with page.expect_navigation():
        page.click("text=番号札を発行する")
    page.goto(live_server + "/staff/reservations/queue?counter=shimin_ido")
    page.fill("#window", "4")
    with page.expect_navigation():
        page.click("text=次の方を呼ぶ")
    context, hall = new_page(browser, DESKTOP)
    try:
        hall.goto(live_server + "/display/shiyakusho")
        assert hall.locator(".site-header").count() == 0 and hall.locator(".site-footer").count() == 0
        size = hall.evaluate("parseFloat(getComputedStyle(document.querySelector('.display-call__number')).fontSize)")
        assert size >= 0.08 * 1280
        assert hall.locator("[data-fullscreen]").is_visible()
        chime = hall.locator("[data-chime]")
        assert chime.get_attribute("aria-pressed") == "false"
        chime.click()
        assert chime.get_attribute("aria-pressed") == "true" and chime.inner_text() == "チャイム：オン"
        assert_accessible(axe, hall, "hall display")
        hall.set_viewport_size(PHONE)
        assert hall.evaluate("document.scrollingElement.scrollWidth") <= 375
    finally:
        context.close()
        clean(app)
