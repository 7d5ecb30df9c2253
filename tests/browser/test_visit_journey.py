"""まとめて予約 (issue 14) in a real browser on a phone-sized screen (375 px): the guide's result for a
family moving in → 「まとめて予約」 → itinerary → day (due date marked) → time (午前 / 午後) → name and
contact (once with errors) → 確認 → 受付番号 with the QR code → manage → cancel → back to the
result. axe-core (WCAG 2.1 A/AA) finds nothing on any page, and no page scrolls sideways."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_reserve_journey import FAMILY, check

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def axe():
    return Axe()


def test_a_family_books_the_whole_visit_and_comes_back_to_the_result(phone, live_server, axe):
    page = phone
    page.goto(live_server + "/guide/moving_in/result?" + FAMILY)
    check(axe, page, "result")
    page.get_by_role("link", name="まとめて予約").click()

    expect(page.locator("h1")).to_have_text("まとめて予約")
    expect(page.locator("main")).to_contain_text("国民健康保険課")
    check(axe, page, "itinerary")
    page.get_by_role("link", name="日にちを選ぶ").click()

    expect(page.locator("caption")).to_be_visible()
    check(axe, page, "calendar")
    page.locator("a.reserve-calendar__link").first.click()

    expect(page.locator("h1")).to_contain_text("時間を選んでください")
    expect(page.locator("legend").nth(1)).to_have_text(re.compile("午前|午後"))
    check(axe, page, "times")
    page.locator("input[name=start]").first.check()
    page.get_by_role("button", name="この時間で予約する").click()

    expect(page.locator("h1")).to_contain_text("予約する方の情報を入力してください")
    check(axe, page, "details")
    page.get_by_label("フリガナ").fill("kakogawa")
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.locator(".error-summary")).to_contain_text("お名前を入力してください。")
    check(axe, page, "details with errors")
    page.get_by_label("お名前").fill("加古川 太郎")
    page.get_by_label("フリガナ").fill("かこがわ たろう")
    page.get_by_label("メールアドレス").fill("visit.browser@example.jp")
    page.get_by_role("button", name="確認へ進む").click()

    expect(page.locator("h1")).to_contain_text("予約の内容を確認してください")
    check(axe, page, "confirm")
    page.get_by_role("button", name="予約する").click()

    expect(page.locator("h1")).to_contain_text("予約が完了しました")
    expect(page.locator("svg.reserve-qr__image")).to_be_visible()
    check(axe, page, "done")
    page.get_by_role("link", name="予約を確認・変更する").click()
    expect(page.locator("h1")).to_contain_text("予約の確認")
    check(axe, page, "manage")
    page.get_by_role("link", name="予約を取り消す").click()
    check(axe, page, "cancel")
    page.get_by_role("button", name="予約を取り消す").click()
    expect(page.locator("h1")).to_contain_text("予約を取り消しました")
    check(axe, page, "cancelled")
    page.get_by_role("link", name="手続きガイドの結果にもどる").click()
    expect(page).to_have_url(re.compile(r"/guide/moving_in/result\?"))
