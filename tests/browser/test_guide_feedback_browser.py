"""The feedback under a result, in Chromium without and with the page's own scripts: いいえ, then
an empty choice (the error summary, focused, linking to the field), then a procedure; each step
free of axe violations, on a phone and in English; the resident stays on the same result.
Chromium's own headers keep the form out of another site's frame."""
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.browser.axe_check import violations

pytestmark = pytest.mark.browser

RESULT = "/guide/death/result?date=2026-04-01&d.age=80&d.insurance=kouki&n=2"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_answering_the_feedback_on_a_phone(app, phone, live_server, axe, lang):
    from core.db import db
    from guide.feedback import GuideFeedback

    phone.goto(f"{live_server}{RESULT}&lang={lang}")
    assert violations(axe, phone) == []
    phone.locator('button[name="helpful"][value="no"]').click()
    phone.wait_for_url(re.compile(r"feedback=thanks"))
    assert phone.locator("#missing").is_visible()
    assert violations(axe, phone) == []
    phone.locator("#feedback button[type=submit]:not([name])").click()  # nothing chosen
    assert phone.locator("#error-summary").is_visible()
    # the summary takes the focus when the page's script runs, which may be after it shows
    phone.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=5000)
    assert violations(axe, phone) == []
    value = phone.locator("#missing option").nth(1).get_attribute("value")
    phone.select_option("#missing", value)
    phone.locator("#feedback button[type=submit]:not([name])").click()
    phone.wait_for_url(re.compile(r"feedback=done"))
    assert "date=2026-04-01" in phone.url and "d.age=80" in phone.url
    assert violations(axe, phone) == []
    with app.app_context():
        rows = [(r.helpful, r.missing, r.language) for r in db.session.scalars(
            select(GuideFeedback).where(GuideFeedback.language == lang).order_by(GuideFeedback.id))]
        db.session.remove()
    assert rows == [(False, None, lang), (None, value, lang)]


def test_the_form_is_not_printed(desktop, live_server):
    desktop.goto(live_server + RESULT)
    desktop.emulate_media(media="print")
    assert not desktop.locator("#feedback").is_visible()


def test_a_result_framed_by_another_site_leaves_the_form_out(app, phone, live_server):
    """127.0.0.2 is another site than the app's 127.0.0.1: the city's homepage frames the guide's
    answers, and the feedback is asked on the guide's own pages (the widget stays short)."""
    html = f'<!DOCTYPE html><html lang="ja"><title>city</title><iframe src="{live_server}{RESULT}"></iframe>'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    before = app.config["EMBED_ALLOWED_ORIGINS"]
    app.config["EMBED_ALLOWED_ORIGINS"] = f"http://127.0.0.2:{server.server_port}"
    try:
        phone.goto(f"http://127.0.0.2:{server.server_port}/")
        frame = phone.locator("iframe").element_handle().content_frame()
        frame.wait_for_selector(".procedure-card")
        assert frame.locator("#feedback").count() == 0
        phone.goto(live_server + RESULT)  # the same page on the guide's own site asks
        assert phone.locator("#feedback").count() == 1
    finally:
        app.config["EMBED_ALLOWED_ORIGINS"] = before
        server.shutdown()
        server.server_close()
