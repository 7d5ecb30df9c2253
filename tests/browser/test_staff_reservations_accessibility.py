"""Counter reservations in a real browser: zero axe-core violations (WCAG 2.1 A/AA) at 375 px and
1280 px on every new console page (with data, and with errors) and on the public hall display;
and the counter's flow by keyboard alone — the number typed into the focused check-in field and
Enter, then 「次の方を呼ぶ」 — with the hall display showing the call."""
from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_staff_accessibility import assert_accessible, log_in, new_page
from tests.conftest import make_staff
from tests.web.staff_reservations_helpers import add_booking, clean, open_day, reservation, today

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture(scope="module")
def admin(browser, live_server, app):
    clean(app)
    login_id, secret = make_staff(app, "admin")
    context, page = new_page(browser)
    log_in(page, live_server, login_id, secret)
    yield page
    context.close()
    clean(app)


def test_every_reservation_page_is_accessible(axe, admin, live_server, app, browser):
    page = admin
    number, _name = add_booking(app, start=dt.datetime.combine(today(), dt.time(9, 0), dt.timezone(dt.timedelta(hours=9))))
    add_booking(app)
    day = open_day("shiyakusho")

    page.goto(live_server + "/staff/reservations/?site=shiyakusho")
    assert_accessible(axe, page, "day view")
    page.fill("#number", "NOSUCH99")
    with page.expect_navigation():
        page.click(".checkin-form button[type=submit]")
    assert "見つかりません" in page.content()
    assert_accessible(axe, page, "day view with a refused check-in")
    page.goto(live_server + f"/staff/reservations/?site=shiyakusho&day={today().isoformat()}x")
    assert_accessible(axe, page, "day view with a bad day")
    page.goto(live_server + f"/staff/reservations/{number}/cancel")
    assert_accessible(axe, page, "cancel confirmation")

    page.goto(live_server + f"/staff/reservations/phone?service=tenshutsu&site=shiyakusho&day={day.isoformat()}")
    assert_accessible(axe, page, "phone booking with times")
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    assert_accessible(axe, page, "phone booking with errors")

    page.goto(live_server + "/staff/reservations/overrides")
    page.check("#kind-2")
    page.fill("#day", day.isoformat())
    page.select_option("#site", "shiyakusho")
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    assert_accessible(axe, page, "overrides with errors")
    page.fill("#reason", "点検のため")
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    assert "点検のため" in page.content()
    assert_accessible(axe, page, "overrides with a closure listed")

    page.goto(live_server + "/staff/reservations/queue?counter=shimin_ido")
    with page.expect_navigation():
        page.click("text=番号札を発行する")
    assert "A-001" in page.content()
    assert_accessible(axe, page, "walk-in ticket")
    page.goto(live_server + "/staff/reservations/queue?counter=shimin_ido")
    with page.expect_navigation():
        page.click("text=番号札を発行する")
    page.goto(live_server + "/staff/reservations/queue?counter=shimin_ido")
    page.fill("#window", "2")
    with page.expect_navigation():
        page.click("text=次の方を呼ぶ")
    assert_accessible(axe, page, "queue with a call")

    page.goto(live_server + "/staff/reservations/stats")
    assert_accessible(axe, page, "statistics")
    page.goto(live_server + "/staff/reservations/stats?from-year=2026&from-month=2&from-day=30")
    assert_accessible(axe, page, "statistics with a bad date")

    context, hall = new_page(browser)
    try:
        hall.goto(live_server + "/display/shiyakusho")
        assert "A-001" in hall.content()
        assert_accessible(axe, hall, "hall display")
        hall.goto(live_server + "/display/")
        assert_accessible(axe, hall, "display list")
    finally:
        context.close()
    clean(app)


def test_check_in_by_keyboard_then_call_the_next_number_onto_the_display(admin, live_server, app, browser):
    clean(app)
    page = admin
    number, name = add_booking(app)
    context, hall = new_page(browser)
    try:
        hall.goto(live_server + "/display/shiyakusho")
        page.goto(live_server + "/staff/reservations/queue?counter=shimin_ido")
        with page.expect_navigation():
            page.click("text=番号札を発行する")

        page.goto(live_server + "/staff/reservations/?site=shiyakusho")
        assert page.evaluate("document.activeElement.id") == "number"  # the scanner types straight in
        with page.expect_navigation():
            page.keyboard.type(number.lower())
            page.keyboard.press("Enter")
        assert "受付しました" in page.content() and name in page.content()
        assert reservation(app, number).status == "checked_in"
        assert page.evaluate("document.activeElement.id") == "number"  # ready for the next one

        page.goto(live_server + "/staff/reservations/queue?counter=shimin_ido")
        page.fill("#window", "5")
        with page.expect_navigation():
            page.click("text=次の方を呼ぶ")
        assert "A-001 番 → 5番窓口" in page.content()
        # the display refreshes itself (every 10 s) without reloading
        hall.locator(".display-call--latest", has_text="5番窓口").wait_for(timeout=15000)
        assert "A-001" in hall.locator(".display-call--latest").inner_text()
        assert name not in hall.content()
    finally:
        context.close()
        clean(app)
