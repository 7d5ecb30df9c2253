"""事前入力 in a real browser: the resident's pages (with errors, at 375 px and 1280 px) and the
counter's pages have zero axe-core violations; the resident fills the household with the
keyboard and mouse as a phone user would, without any script of ours."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_staff_accessibility import assert_accessible, log_in, new_page
from tests.conftest import make_staff
from tests.web.prefill_helpers import make_visit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def axe():
    return Axe()


def test_the_residents_pages_and_the_counters_are_accessible(axe, browser, live_server, app):
    number, token = make_visit(app)
    context, page = new_page(browser)
    base = f"{live_server}/reserve/visit/{token}/prefill"
    page.goto(base)
    assert_accessible(axe, page, "prefill start")
    page.goto(base + "/members")
    with page.expect_navigation():
        page.click("button[value=add]")
    with page.expect_navigation():
        page.click("button[value=continue]")
    assert "入力内容を確認してください" in page.content()
    assert_accessible(axe, page, "members with errors")
    for i in (0, 1):
        page.fill(f"#m{i}-family_name", "山田")
        page.fill(f"#m{i}-given_name", "太郎" if i == 0 else "花子")
        page.fill(f"#m{i}-family_kana", "やまだ")
        page.fill(f"#m{i}-given_kana", "たろう" if i == 0 else "はなこ")
        page.fill(f"#m{i}-birth-year", "昭和60" if i == 0 else "1987")
        page.fill(f"#m{i}-birth-month", "4")
        page.fill(f"#m{i}-birth-day", "1")
        page.check(f"input[name=m{i}-sex][value={'male' if i == 0 else 'none'}]")  # asked, no default
        page.select_option(f"#m{i}-relationship", "head" if i == 0 else "spouse")
    with page.expect_navigation():
        page.click("button[value=continue]")
    assert page.url.endswith("/addresses"), page.url
    page.fill("#previous-postcode", "1000001")
    with page.expect_navigation():
        page.click("button[value=lookup-previous]")
    assert page.input_value("#previous-address") == "東京都千代田区千代田"
    assert_accessible(axe, page, "addresses after the lookup")
    page.fill("#previous-address", "東京都千代田区千代田1-1")
    page.fill("#new-postcode", "6750000")
    page.fill("#new-address", "兵庫県テスト市1-2-3")
    with page.expect_navigation():
        page.click("main button.button--solid[value=continue]")
    assert page.url.endswith("/details"), page.url
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert_accessible(axe, page, "details with errors")
    page.fill("#move_date-year", "令和8")
    page.fill("#move_date-month", "11")
    page.fill("#move_date-day", "28")
    page.fill("#phone", "090-1234-5678")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert_accessible(axe, page, "check answers")
    with page.expect_navigation():
        page.click("text=窓口に送る >> nth=-1")
    assert number in page.content()
    assert_accessible(axe, page, "QR code and number")
    page.goto(f"{live_server}/reserve/visit/{token}/progress")
    assert_accessible(axe, page, "progress")
    context.close()

    login_id, secret = make_staff(app, "counter")
    context, page = new_page(browser)
    log_in(page, live_server, login_id, secret)
    page.goto(live_server + "/staff/visits/")
    page.fill("#number", f"{live_server}/staff/visits/{number}")
    with page.expect_navigation():
        page.press("#number", "Enter")
    assert "ヤマダ" in page.content()
    assert_accessible(axe, page, "the visit at the counter")
    page.goto(live_server + "/staff/visits/?number=V0000")
    assert_accessible(axe, page, "counter index with an unknown number")
    context.close()
