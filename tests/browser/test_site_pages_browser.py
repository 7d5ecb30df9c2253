"""The home page and a procedure's page in Chromium: zero axe-core violations (WCAG 2.1 A/AA) at
375 px and 1280 px in Japanese and English, no sideways scrolling, and the header's menu reaches
the services with the keyboard alone."""
import pytest

from tests.browser.axe_check import check_at_width

pytestmark = pytest.mark.browser

PAGES = ["/", "/procedures/juminhyo_utsushi", "/procedures/tennyu_todoke", "/procedures/",
         "/guide/moving_in"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("width", [375, 1280])
def test_no_axe_violations_and_no_sideways_scroll(browser, live_server, axe, path, lang, width):
    sep = "&" if "?" in path else "?"
    found, fits = check_at_width(browser, axe, f"{live_server}{path}{sep}lang={lang}", width)
    assert found == []
    assert fits


def test_the_menu_reaches_online_applications_by_keyboard(phone, live_server):
    phone.goto(f"{live_server}/procedures/juminhyo_utsushi")
    for _ in range(12):
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.matches('.site-menu__link[href=\"/apply\"]')"):
            break
    else:
        raise AssertionError("Tab never reached the menu's link to /apply")
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"{live_server}/apply")
    assert phone.locator("h1").inner_text() == "オンラインで申請できる手続き"

