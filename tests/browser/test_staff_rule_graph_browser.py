"""The rules' drawings (/staff/rule-graph) in a browser, as a curator: zero axe-core violations
(WCAG 2.1 A/AA) at 375 px and 1280 px on the index and on the largest event's page (離婚: 23
questions, 40 rules), in Japanese and in English; on a phone the drawing scrolls inside its own
focusable box, never the whole page."""
from __future__ import annotations

import pytest

from tests.browser.test_staff_accessibility import OVERFLOWING, assert_accessible, log_in, new_page
from tests.conftest import make_staff

pytestmark = pytest.mark.browser


def test_the_index_and_an_event_page_are_axe_clean(browser, live_server, app, axe):
    login_id, secret = make_staff(app, "curator")
    context, page = new_page(browser)
    log_in(page, live_server, login_id, secret)
    with page.expect_navigation():
        page.click("main a[href='/staff/rule-graph/']")
    assert page.locator("h1").inner_text() == "ルールの関係図"
    assert_accessible(axe, page, "rule graph index")
    with page.expect_navigation():
        page.click("main a[href='/staff/rule-graph/divorce']")
    svg = page.locator("svg.rule-graph")
    assert svg.get_attribute("role") == "img"
    assert svg.locator("rect").count() == 23 + 40 + 23
    assert_accessible(axe, page, "rule graph of divorce")
    # 375 px: the drawing keeps its size and scrolls in its box; the page itself does not
    assert page.evaluate(OVERFLOWING) == []
    box = page.locator(".rule-graph[role=region]")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    page.goto(live_server + "/staff/rule-graph/divorce?lang=en")
    assert "how questions, rules and procedures connect" in page.locator("h1").inner_text()
    assert_accessible(axe, page, "rule graph of divorce in English")
    context.close()
