"""Issue 5 in a real browser on a phone-sized screen (375 px): the guide's result for 転入 →
「窓口を予約」 → place → day (the month calendar) → time (held) → name and contact (once with
errors) → 確認 → 予約番号 with the QR code; then the e-mailed manage link and cancelling.
axe-core (WCAG 2.1 A/AA) finds nothing on any page of the way, and no page scrolls sideways."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.both_engines]  # a resident's journey, on both engines

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
FAMILY = ("date=2026-04-01&n=2&m0.relation=self&m0.age=35&m0.insurance=kokuho&m0.mynumber_card=yes"
          "&m1.relation=child&m1.age=8&m1.school=elementary&m1.public_school=yes&f.dog=yes")


@pytest.fixture(scope="module")
def axe():
    return Axe()


def check(axe, page, label: str) -> None:
    results = axe.run(page, options=WCAG)
    found = [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes'][:3]]})" for v in results.response["violations"]]
    assert found == [], f"{label}: {found}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{label} scrolls sideways"


def test_moving_in_from_the_guide_to_a_booking_with_its_qr_code(phone, live_server, axe):
    page = phone
    page.goto(live_server + "/guide/moving_in/result?" + FAMILY)
    link = page.locator("a[href*='/reserve?procedures='][href*='tennyu_todoke']").first
    expect(link).to_have_text("窓口を予約")
    link.click()

    expect(page.locator("h1")).to_contain_text("行く場所を選んでください")
    check(axe, page, "site")
    page.get_by_label("加古川市役所（本庁舎）").check()
    page.get_by_role("button", name="次へ").click()

    expect(page.locator("caption")).to_be_visible()
    check(axe, page, "calendar")
    page.locator("a.reserve-calendar__link").first.click()

    expect(page.locator("h1")).to_contain_text("時間を選んでください")
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
    page.get_by_label("メールアドレス").fill("taro.browser@example.jp")
    page.get_by_role("button", name="確認へ進む").click()

    expect(page.locator("h1")).to_contain_text("予約の内容を確認してください")
    expect(page.locator("main")).to_contain_text("カコガワ タロウ")
    check(axe, page, "confirm")
    page.get_by_role("button", name="予約する").click()

    expect(page.locator("h1")).to_contain_text("予約が完了しました")
    number = page.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", number)
    qr = page.locator("svg.reserve-qr__image")
    expect(qr).to_be_visible()
    assert qr.get_attribute("aria-label") == f"予約番号 {number} のQRコード"
    expect(page.locator("main")).to_contain_text("転出証明書")  # what to bring for 転入
    check(axe, page, "done")

    page.get_by_role("link", name="予約を確認・変更する").click()
    expect(page.locator("h1")).to_contain_text("予約の確認")
    check(axe, page, "manage")
    page.get_by_role("link", name="予約を取り消す").click()
    check(axe, page, "cancel")
    page.get_by_role("button", name="予約を取り消す").click()
    expect(page.locator("h1")).to_contain_text("予約を取り消しました")
    check(axe, page, "cancelled")


def test_two_minutes_before_the_hold_ends_a_warning_extends_it_in_place(phone, live_server, axe, app):
    """WCAG 2.2.1: the warning is an alert with its button focused; the button extends the hold
    without leaving the page, so what was typed stays in the form."""
    from core.db import db
    from reservations import booking
    from tests.api.reserving import free_slot

    page = phone
    slot = free_slot(app)
    page.goto(f"{live_server}/reserve/tenshutsu/shiyakusho/{slot.start.date().isoformat()}")
    page.locator(f"input[name=start][value='{slot.start.isoformat()}']").check()
    page.get_by_role("button", name="この時間で予約する").click()
    expect(page.locator("h1")).to_contain_text("予約する方の情報を入力してください")
    warning = page.get_by_role("alert")
    expect(warning).to_be_hidden()
    number = page.url.split("/")[-2]
    with app.app_context():  # 2 minutes and 3 seconds left: the warning comes in 3 seconds
        r = booking.by_number(number)
        r.hold_expires_at = booking.now_utc() + booking.dt.timedelta(seconds=123)
        db.session.commit()
    page.reload()
    page.get_by_label("お名前").fill("加古川 太郎")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=15000)
    expect(warning).to_contain_text("もうすぐ終わります")
    button = warning.get_by_role("button", name="仮押さえを延ばす")
    expect(button).to_be_focused()
    check(axe, page, "details with the time warning")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("仮押さえを延ばしました。")
    expect(warning).to_be_hidden()
    with app.app_context():
        r = booking.by_number(number)
        ends = booking.aware(r.hold_expires_at).astimezone(booking.JST)
        assert r.hold_extensions == 1 and r.status == "held"
    expect(page.locator(".reserve-hold__until [data-hold-time]")).to_have_text(f"{ends.hour}:{ends.minute:02d}")
    expect(page.get_by_label("お名前")).to_have_value("加古川 太郎")  # nothing typed is lost
    expect(page.get_by_label("お名前")).to_be_focused()  # back where the resident was
