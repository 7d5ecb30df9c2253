"""The widgets on the city's homepage, in a browser: the demo page (/embed/demo) is served from
ANOTHER site on loopback (127.0.0.2, so the app's cookies are third-party there) with
EMBED_ALLOWED_ORIGINS naming it, and every widget must render, size its iframe to its content
(and then stay put: no endless growth), navigate inside its frame, keep its language and be
axe-clean (WCAG 2.1 A/AA) inside the frame, at 375 px and 1280 px."""
from __future__ import annotations

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.axe_check import violations

pytestmark = pytest.mark.browser
HOMEPAGE_HOST = "127.0.0.2"  # another site than the app's 127.0.0.1: a real third-party frame


@pytest.fixture(scope="module")
def homepage(app, live_server):
    """The city's homepage: the app's demo page, served as a static file from another origin."""
    with urllib.request.urlopen(live_server + "/embed/demo") as response:
        html = response.read()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((HOMEPAGE_HOST, 0), Handler)
    origin = f"http://{HOMEPAGE_HOST}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    before = app.config["EMBED_ALLOWED_ORIGINS"]
    app.config["EMBED_ALLOWED_ORIGINS"] = origin
    yield origin + "/"
    app.config["EMBED_ALLOWED_ORIGINS"] = before
    server.shutdown()
    server.server_close()


def _frame(page, holder: str):
    """The iframe embed.js put after the snippet in ``holder``, and its content frame."""
    iframe = page.locator(f"#{holder} iframe")
    iframe.wait_for()
    return iframe, iframe.element_handle().content_frame()


def _open_settled(page, homepage) -> None:
    """Open the homepage and wait until every widget's iframe has followed its content: until
    then the frames above one another still move (a tap aimed at one lands elsewhere)."""
    page.goto(homepage)
    frames = [_frame(page, holder) for holder in ("demo-events", "demo-search", "demo-guide")]
    for iframe, frame in frames:
        frame.wait_for_load_state("networkidle")
        _settled_height(page, iframe, frame)
    # settled one after another is not enough: a frame above may have grown meanwhile (its
    # script loaded late) and pushed the others down, so a tap lands between them. Wait
    # until one pass finds every frame where the pass before left it.
    last = None
    for _ in range(40):
        now = [iframe.bounding_box() for iframe, _frame_ in frames]
        if now == last:
            return
        last = now
        page.wait_for_timeout(250)
    raise AssertionError(f"the widgets kept moving: {last}")


def _settled_height(page, iframe, frame=None) -> int:
    """The iframe's height once it has followed its content (and stayed the same for a while).
    Before embed.js hears from the frame the attribute may be missing or the browser's default;
    with ``frame``, it must also have reached the content's height."""
    last = None
    for _ in range(60):
        attribute = iframe.get_attribute("height")
        height = int(attribute) if attribute and attribute.isdigit() else None
        content = frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)") if frame else None
        if height is not None and height == last and (content is None or abs(height - content) <= 2):
            return height
        last = height
        page.wait_for_timeout(250)
    raise AssertionError(f"the iframe's height did not settle on its content ({last}, content {content})")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_every_widget_renders_sized_to_its_content_and_axe_clean(request, device, homepage, axe):
    page = request.getfixturevalue(device)
    page.goto(homepage)
    for holder, heading in (("demo-events", "できごとを選んでください"), ("demo-search", "手続きを探す"),
                            ("demo-guide", None)):
        iframe, frame = _frame(page, holder)
        frame.wait_for_load_state()
        frame.wait_for_selector("h1")
        if heading:
            assert frame.locator("h1").inner_text() == heading
        assert iframe.get_attribute("title")
        assert iframe.evaluate("f => getComputedStyle(f).borderTopWidth") == "0px"
        height = _settled_height(page, iframe, frame)
        content = frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        assert abs(height - content) <= 2, (holder, height, content)  # sized to the content, no scrollbar
        page.wait_for_timeout(600)
        assert int(iframe.get_attribute("height")) == height  # and not growing on its own
        assert violations(axe, frame) == [], holder
    # the plain iframe (no script) shows the launcher too
    fallback = page.locator("#demo-fallback iframe").element_handle().content_frame()
    fallback.wait_for_selector(".event-list__link")


def test_the_launcher_leads_to_the_questionnaire_inside_its_frame(phone, homepage, live_server, axe):
    page = phone
    _open_settled(page, homepage)
    iframe, frame = _frame(page, "demo-events")
    frame.wait_for_selector(".event-list__link")
    launcher_height = _settled_height(page, iframe, frame)
    frame.locator(".event-list__link").first.click()
    frame.wait_for_url("**/embed/guide/*?lang=ja")
    frame.locator("a.button").click()
    frame.wait_for_url("**/guide/*/*lang=ja*")
    assert page.url == homepage  # the homepage stays; only the frame moved
    frame.wait_for_selector("form")
    assert frame.evaluate("document.documentElement.lang") == "ja"
    height = _settled_height(page, iframe, frame)
    assert height != launcher_height  # the questionnaire sized the frame too
    assert abs(height - frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")) <= 2
    assert violations(axe, frame) == []
    # leaving the guide (here the site's home) opens in the whole window, never a refused frame
    with page.expect_navigation():
        frame.locator("a.site-header__name").click()
    assert page.url == live_server + "/"


def test_an_english_widget_stays_english_through_the_questionnaire(desktop, homepage):
    page = desktop
    _open_settled(page, homepage)
    _iframe, frame = _frame(page, "demo-guide")
    frame.wait_for_selector("a.button")
    assert frame.evaluate("document.documentElement.lang") == "en"
    assert frame.locator("a.button").inner_text() == "Start now"
    # by keyboard: a mouse click aims at a point, and a frame above that grows late (its script
    # loaded last) can move another frame under that point (seen once: the launcher got the click)
    frame.locator("a.button").focus()
    page.keyboard.press("Enter")
    frame.wait_for_url("**/guide/moving_in/**lang=en*")
    frame.wait_for_selector("form")
    assert frame.evaluate("document.documentElement.lang") == "en"  # no cookie across sites: the link kept it
    # answer the date: the next page is still English
    frame.fill("[name=date-year]", "2026")
    frame.fill("[name=date-month]", "12")
    frame.fill("[name=date-day]", "1")
    with frame.expect_navigation():
        frame.locator("button[type=submit]").first.click()
    assert "lang=en" in frame.url and frame.evaluate("document.documentElement.lang") == "en"


def test_the_search_widget_suggests_and_opens_the_page_in_the_whole_window(phone, homepage):
    page = phone
    _open_settled(page, homepage)
    _iframe, frame = _frame(page, "demo-search")
    frame.wait_for_selector("#search-q")
    frame.locator("#search-q").press_sequentially("かりなんばー")  # focuses the box itself, then types
    frame.wait_for_selector("#search-suggestions [role=option]")
    with page.expect_navigation():
        frame.locator("#search-suggestions [role=option]").first.click()
    assert page.url.endswith("/procedures/rinji_unko?lang=ja")  # the whole window, in the widget's language


def test_messages_from_elsewhere_do_not_size_the_frame(desktop, homepage):
    page = desktop
    page.goto(homepage)
    iframe, frame = _frame(page, "demo-events")
    frame.wait_for_selector(".event-list__link")
    height = _settled_height(page, iframe, frame)
    # the homepage itself (another origin than the widget's) posts a height: ignored
    page.evaluate("window.postMessage({type: 'guide-widget:height', height: 50}, '*')")
    # the widget's origin, but another frame's window (the fallback iframe): ignored too
    fallback = page.locator("#demo-fallback iframe").element_handle().content_frame()
    fallback.wait_for_selector(".event-list__link")
    fallback.evaluate("window.parent.postMessage({type: 'guide-widget:height', height: 77}, '*')")
    page.wait_for_timeout(400)
    assert int(iframe.get_attribute("height")) == height
    # a huge height from the right frame is capped
    frame.evaluate("window.parent.postMessage({type: 'guide-widget:height', height: 1e9}, '*')")
    page.wait_for_function(
        "document.querySelector('#demo-events iframe').getAttribute('height') === '6000'")
