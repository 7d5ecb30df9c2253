"""The second city's pack (MUNICIPALITY=minato) in a real browser: the guide from its start page
to both results, the accessibility statement, the online form and a counter booking to its number.
Every page names みなと市 and nothing of the first city, in Japanese and in English."""
from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import app_on

pytestmark = [pytest.mark.browser, pytest.mark.second_pack]
FIRST_CITY = re.compile(r"加古川|かこがわ|カコガワ|kakogawa|079-421|675-8501", re.IGNORECASE)  # its name, its phone, its postcode
MOVING_IN = ("date=2026-04-01&f.from_abroad=no&n=2&m0.relation=self&m0.age=35&m0.insurance=kokuho"
             "&m0.mynumber_card=yes&m1.relation=child&m1.age=8&m1.insurance=kokuho&f.seal_registration_wanted=yes")
MOVING_OUT = "date=2026-04-01&n=1&m0.relation=self&m0.age=40&m0.insurance=kokuho&m0.seal_registered=yes&f.to_abroad=no"


@pytest.fixture(scope="module")
def minato_server(tmp_path_factory):
    with app_on("sqlite", tmp_path_factory.mktemp("minato-browser"), "minato") as application:
        server = make_server("127.0.0.1", 0, application, threaded=True)
        application.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # links for residents
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()


def shows_only_minato(page) -> None:
    html = page.content()
    found = FIRST_CITY.search(html)
    assert found is None, f"{page.url}: {html[max(0, found.start() - 120):found.end() + 120]!r}"
    expect(page).to_have_title(re.compile("みなと市 手続きガイド|Minato City procedure guide"))


def test_the_second_city_from_the_start_page_to_a_booking(phone, minato_server):
    page = phone
    page.goto(minato_server + "/")
    shows_only_minato(page)
    expect(page.locator(".site-header__name")).to_have_text("みなと市 手続きガイド")
    page.locator("a[href='/guide/moving_in']").first.click()
    shows_only_minato(page)

    page.goto(minato_server + "/guide/moving_in/result?" + MOVING_IN)
    shows_only_minato(page)
    expect(page.locator("main")).to_contain_text("転入届")
    expect(page.locator("main")).to_contain_text("国民健康保険")
    page.goto(minato_server + "/guide/moving_out/result?" + MOVING_OUT)
    shows_only_minato(page)
    expect(page.locator("main")).to_contain_text("転出届")

    for path in ("/accessibility", "/apply/tenshutsu_todoke", "/guide/?lang=en", "/accessibility?lang=en", "/guide/?lang=ja"):
        page.goto(minato_server + path)
        shows_only_minato(page)

    page.goto(minato_server + "/guide/moving_in/result?" + MOVING_IN)
    page.locator("a[href*='/reserve?procedures='][href*='tennyu_todoke']").first.click()
    shows_only_minato(page)
    site = page.get_by_label("みなと市役所")
    if site.count():  # one place only: the page may go straight to the calendar
        site.check()
        page.get_by_role("button", name="次へ").click()
    page.locator("a.reserve-calendar__link").first.click()
    shows_only_minato(page)
    page.locator("input[name=start]").first.check()
    page.get_by_role("button", name="この時間で予約する").click()
    shows_only_minato(page)
    page.get_by_label("お名前").fill("港 花子")
    page.get_by_label("フリガナ").fill("みなと はなこ")
    page.get_by_label("メールアドレス").fill("hanako.browser@example.jp")
    page.get_by_role("button", name="確認へ進む").click()
    shows_only_minato(page)
    page.get_by_role("button", name="予約する").click()
    expect(page.locator("h1")).to_contain_text("予約が完了しました")
    expect(page.locator("main")).to_contain_text("みなと市役所")
    shows_only_minato(page)
