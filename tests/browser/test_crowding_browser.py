"""混雑状況 in Chromium: the pages and the widget axe-clean (WCAG 2.1 A/AA) in ja, en and やさしい日本語,
at 375 px and 1280 px without sideways scrolling (the day table scrolls in its own box), with
people waiting at a counter; and the "now" part refreshed in place by its script."""
from __future__ import annotations

import pytest

from core.db import db
from reservations import crowding
from reservations import queue as walkin
from tests.browser.axe_check import check_at_width

pytestmark = pytest.mark.browser

# the centre is open every day but holidays and the year end: browser tests keep the real clock
SITE, COUNTER = "kakogawa_center", "kakogawa_center_madoguchi"
PAGES = ["/crowding", f"/crowding/{SITE}", f"/embed/crowding/{SITE}", "/crowding/shiyakusho"]


@pytest.fixture(scope="module", autouse=True)
def _waiting(app):
    with app.app_context():
        for _ in range(3):
            walkin.issue(SITE, COUNTER, walkin.today())
        db.session.commit()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["ja", "en", "easy"])
@pytest.mark.parametrize("width", [375, 1280])
def test_no_axe_violations_and_no_sideways_scroll(browser, live_server, axe, path, lang, width):
    found, fits = check_at_width(browser, axe, f"{live_server}{path}?lang={lang}", width)
    assert found == []
    assert fits


def test_the_live_part_is_refreshed_in_place(app, phone, live_server):
    phone.clock.install()
    phone.goto(f"{live_server}/crowding/{SITE}?lang=ja")
    live = phone.locator("#crowding-live")
    assert "3人" in live.inner_text()
    with app.app_context():
        walkin.issue(SITE, COUNTER, walkin.today())
        db.session.commit()
    phone.clock.run_for(61_000)
    live.get_by_text("4人").wait_for(timeout=5000)


@pytest.fixture(scope="module")
def homepage(app, live_server):
    """A page of the city's homepage on another site (127.0.0.2) with the crowding snippet."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    html = (f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>市のホームページ</title></head>'
            f'<body><main><h1>市のホームページ</h1><div id="holder"><script src="{live_server}/embed.js" '
            f'data-widget="crowding" data-site="{SITE}" data-lang="en" async></script></div></main></body></html>'
            ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    origin = f"http://127.0.0.2:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    before = app.config["EMBED_ALLOWED_ORIGINS"]
    app.config["EMBED_ALLOWED_ORIGINS"] = origin
    yield origin + "/"
    app.config["EMBED_ALLOWED_ORIGINS"] = before
    server.shutdown()
    server.server_close()


def test_the_widget_embeds_on_the_homepage_sized_and_axe_clean(app, phone, homepage, axe):
    from tests.browser.axe_check import violations
    phone.goto(homepage)
    iframe = phone.locator("#holder iframe")
    iframe.wait_for()
    assert iframe.get_attribute("title") == "How busy the counters are"
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector("#crowding-live")
    assert frame.evaluate("document.documentElement.lang") == "en"
    with app.app_context():  # the tickets of this module (the refresh test adds one), and any other test's
        waiting = walkin.waiting_count(COUNTER, walkin.today()) + crowding.checked_in_waiting(
            [COUNTER], walkin.today()).get(COUNTER, 0)
    assert waiting >= 3 and f"{waiting} people" in frame.locator("#crowding-live").inner_text()
    for _ in range(40):  # embed.js follows the content's height
        content = frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        if abs(int(iframe.get_attribute("height") or 0) - content) <= 2:
            break
        phone.wait_for_timeout(250)
    assert abs(int(iframe.get_attribute("height")) - content) <= 2
    assert violations(axe, frame) == []
