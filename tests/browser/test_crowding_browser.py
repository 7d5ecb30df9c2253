"""混雑状況 in Chromium: the pages and the widget axe-clean (WCAG 2.1 A/AA) in ja, en and やさしい日本語,
at 375 px and 1280 px without sideways scrolling (the day table scrolls in its own box), with
people waiting at a counter; and the "now" part refreshed in place by its script."""
from __future__ import annotations

import pytest

from core.db import db
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
