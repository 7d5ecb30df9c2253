"""Every page of the guide: zero axe-core violations for WCAG 2.1 A/AA, usable at 375 px and at
200 % zoom (no sideways scrolling), in Japanese and English."""
import pytest

from tests.browser.axe_check import violations

pytestmark = pytest.mark.browser

FAMILY = ("date=2026-04-01&n=2&m0.relation=self&m0.age=35&m0.insurance=kokuho&m0.mynumber_card=yes"
          "&m1.relation=child&m1.age=8&m1.school=elementary&m1.public_school=yes&f.dog=yes")
PAGES = [
    "/guide/",
    "/guide/moving_in",
    "/guide/death",
    "/guide/moving_in/date",
    "/guide/moving_in/date?submit=1&date-year=2026&date-month=2&date-day=30",  # with an error
    "/guide/moving_in/people?date=2026-04-01",
    "/guide/moving_in/person-1?date=2026-04-01&n=2",
    "/guide/moving_in/person-1?date=2026-04-01&n=2&submit=1&m0.age=abc",  # two errors
    "/guide/moving_in/person-2-more?date=2026-04-01&n=2&m0.relation=self&m0.age=35&m1.relation=child&m1.age=8",
    "/guide/moving_in/q-dog?" + FAMILY,
    "/guide/moving_in/q-moveout_planned_date?" + FAMILY,
    "/guide/moving_in/check?" + FAMILY,
    "/guide/moving_in/result?" + FAMILY,
    "/guide/death/result?date=2026-04-01&d.age=80&d.insurance=kouki&n=2",
    "/apply/juminhyo_utsushi",
    "/reserve?procedures=tennyu_todoke",
    "/accessibility",
    "/help/",
    "/help/resident",  # a manual rendered from Markdown, with its pictures and tables
    "/no-such-page",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_axe_violations_on_a_phone(phone, live_server, axe, path, lang):
    sep = "&" if "?" in path else "?"
    phone.goto(f"{live_server}{path}{sep}lang={lang}")
    assert violations(axe, phone) == []
    assert phone.evaluate("document.documentElement.lang") == lang


def _no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("path", ["/guide/", "/guide/moving_in/person-1?date=2026-04-01&n=2",
                                  "/guide/moving_in/check?" + FAMILY, "/guide/moving_in/result?" + FAMILY])
def test_usable_at_320_px_and_at_200_percent_zoom(browser, live_server, path, axe):
    # 200 % zoom of a 1280 px window is a 640 px CSS viewport at twice the pixel density
    for width, scale in ((320, 1), (640, 2)):
        context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=scale)
        page = context.new_page()
        page.goto(live_server + path)
        assert _no_sideways_scroll(page), f"horizontal scrolling at {width}px"
        assert violations(axe, page) == []
        context.close()


def test_text_grows_with_the_browser_font_size(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/guide/")
    base = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    bigger = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert bigger >= base * 1.9  # sizes are in rem
    assert _no_sideways_scroll(page)
    context.close()

