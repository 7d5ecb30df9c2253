"""The search page in a browser: suggestions as you type (an ARIA combobox: arrow keys move
aria-activedescendant, Enter opens the chosen one), the same search without JavaScript, and zero
axe-core violations (WCAG 2.1 A/AA) at 375 px and 1280 px, in Japanese and English."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe_check import check_at_width, violations

pytestmark = pytest.mark.browser


def test_suggestions_as_you_type_by_keyboard(phone, live_server, axe):
    page = phone
    page.goto(live_server + "/guide/")
    with page.expect_navigation():
        page.click("header a[href='/search']")
    box = page.locator("#search-q")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    box.focus()
    page.keyboard.type("かりなんばー")
    page.wait_for_selector("#search-suggestions [role=option]")
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == "search-suggestions"
    first = page.locator("#search-suggestions [role=option]").first
    assert first.inner_text() == "自動車臨時運行許可申請"
    page.wait_for_function("document.getElementById('search-status').textContent.includes('候補が')")
    assert violations(axe, page) == []  # with the list open
    listed, button = page.locator("#search-suggestions").bounding_box(), page.locator(".search-form button").bounding_box()
    assert button["y"] >= listed["y"] + listed["height"] or button["x"] >= listed["x"] + listed["width"]  # never under the list
    # the box answers each key in a moment (and a late answer to the typing may still arrive):
    # Playwright's expect() waits for the state instead of reading it at once
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "search-option-0")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "search-option-1")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    page.keyboard.press("ArrowDown")  # opens the list again on the first
    expect(box).to_have_attribute("aria-activedescendant", "search-option-0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/procedures/rinji_unko?lang=ja")  # the page's language goes along


def test_enter_without_choosing_searches_on_the_results_page(desktop, live_server):
    page = desktop
    page.goto(live_server + "/search?lang=en")
    page.fill("#search-q", "hanko")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/search?q=hanko" in page.url
    assert page.locator(".search-results__link").first.inner_text() == "Seal registration"


def test_the_search_works_without_javascript(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    page.goto(live_server + "/search")
    page.fill("#search-q", "じゅうみんひょう")
    with page.expect_navigation():
        page.click("button[type=submit]")
    links = page.locator(".search-results__link")
    assert links.first.inner_text() == "住民票の写し"
    assert links.first.get_attribute("href") == "/procedures/juminhyo_utsushi"
    assert page.locator("#search-q").get_attribute("role") is None  # no combobox without its script
    context.close()


@pytest.mark.parametrize("path, lang, width", [
    ("/search", "ja", 375), ("/search?q=%E4%BD%8F%E6%B0%91%E7%A5%A8", "ja", 375), ("/search?q=qzxqzx", "en", 375),
    ("/search?q=" + "a" * 101, "ja", 375), ("/search?q=hanko", "en", 1280), ("/search?q=" + "a" * 101, "en", 1280),
])
def test_no_axeviolations(browser, live_server, axe, path, lang, width):
    sep = "&" if "?" in path else "?"
    found, fits = check_at_width(browser, axe, f"{live_server}{path}{sep}lang={lang}", width)
    assert found == []
    assert fits


def test_curators_page_is_axe_clean(browser, live_server, axe, app):
    from tests.conftest import STAFF_PASSWORD, make_staff
    login_id, secret = make_staff(app, "curator")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    import pyotp
    page.goto(live_server + "/staff/login")
    page.fill("#login_id", login_id)
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.fill("#code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(live_server + "/staff/search-misses/")
    assert page.locator("h1").inner_text() == "見つからなかった検索語"
    assert violations(axe, page) == []
    context.close()

