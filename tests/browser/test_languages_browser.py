"""Every page of the guide in every language the site speaks: axe-clean (WCAG 2.1 A/AA) at 375 px
and at 1280 px, no sideways scrolling on the phone, the page's language in <html lang>. The other
languages' pages are the same templates, so the ja/en module (test_accessibility.py) keeps its
error-page and zoom cases; this one walks the pages once per language on one database (the words
differ per language, the database does not). And the new user's walk of issue 12 on a phone."""
from __future__ import annotations

import pytest

from core.languages import LANGUAGES
from tests.browser.axe_check import violations
from tests.browser.test_accessibility import FAMILY
from tests.browser.test_accessibility import PAGES as GUIDE_PAGES
from tests.browser.test_site_pages_browser import PAGES as SITE_PAGES

PAGES = GUIDE_PAGES + [page for page in SITE_PAGES if page not in GUIDE_PAGES] + ["/search?q=jumin"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["sqlite"])
def app(request, tmp_path_factory):
    """One engine is enough here: what is checked is words and layout, not storage."""
    from tests.conftest import upgraded_app
    with upgraded_app(request.param, tmp_path_factory.mktemp("instance-languages")) as made:
        yield made[0]


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda x: x.code)
def test_every_page_is_axe_clean_on_a_phone_and_a_desktop_in_every_language(browser, live_server, axe, language):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="ja-JP")
    page = context.new_page()
    problems = []
    try:
        for path in PAGES:
            sep = "&" if "?" in path else "?"
            page.set_viewport_size({"width": 375, "height": 812})
            page.goto(f"{live_server}{path}{sep}lang={language.code}")
            if page.evaluate("document.documentElement.lang") != language.html:
                problems.append(f"{path}: lang is not {language.html}")
            if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"):
                problems.append(f"{path}: sideways scrolling at 375 px")
            problems += [f"{path} @375: {v}" for v in violations(axe, page)]
            page.set_viewport_size({"width": 1280, "height": 900})
            problems += [f"{path} @1280: {v}" for v in violations(axe, page)]
    finally:
        context.close()
    assert problems == []


def test_a_new_users_walk_on_a_phone(phone, live_server):
    """Type かりなんばー, reach 臨時運行許可; switch to Tiếng Việt and back; from a 転入 result reach
    the 住民票 application. (The same search typed in the homepage's widget: test_embed_widgets.)"""
    page = phone
    page.goto(live_server + "/")
    page.locator("a.site-header__search").click()
    page.wait_for_url("**/search")
    page.wait_for_load_state("load")  # search.js listens from here: keys typed before are never suggested on
    page.locator("#search-q").press_sequentially("かりなんばー")
    page.wait_for_selector("#search-suggestions [role=option]")
    with page.expect_navigation():
        page.locator("#search-suggestions [role=option]").first.click()
    assert "/procedures/rinji_unko" in page.url
    assert "自動車臨時運行許可申請" in page.locator("h1").inner_text()

    with page.expect_navigation():
        page.locator(".lang-switch a[hreflang=vi]").click()
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "tạm thời" in page.locator("h1").inner_text()
    assert "自動車臨時運行許可申請" in page.locator("main").inner_text()  # the official name stays beside
    page.goto(live_server + "/guide/")  # remembered on the next page
    assert page.evaluate("document.documentElement.lang") == "vi"
    with page.expect_navigation():
        page.locator(".lang-switch a[hreflang=ja]").first.click()
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert "Tiếng" not in page.locator("main").inner_text()

    page.goto(f"{live_server}/guide/moving_in/result?{FAMILY}")
    with page.expect_navigation():
        page.locator(".often-needed a[href*='/apply/juminhyo_utsushi']").click()
    assert "/apply/juminhyo_utsushi" in page.url
    assert page.locator("h1").count() == 1
