"""Signing on a phone (issue 14), in a real browser at 375 px: a resident starts an application,
reaches the signing step, follows its link to the development signer (playing the signer app as
a separate page on the same phone), signs, comes back by the return URL and sees the signature
confirmed; meanwhile a second tab left on the signing step (a PC with the QR code) notices by
itself. axe-core finds nothing on the signing step or the development signer; nothing scrolls
sideways."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from intake import devca
from tests.browser.test_apply_journey import assert_no_violations, button, click, fill_applicant, no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("signing-phone-devca"))


@pytest.fixture
def dev_signer(app, ca):
    keys = ("JPKI_TRUST_ANCHORS", "JPKI_CRL_SOURCES", "JPKI_DEV_SIGNER")
    old = {k: app.config.get(k) for k in keys}
    app.config.update({
        "JPKI_TRUST_ANCHORS": str(ca.directory / "trust-anchors.pem"),
        "JPKI_CRL_SOURCES": f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}",
        "JPKI_DEV_SIGNER": str(ca.directory),
    })
    yield ca
    app.config.update(old)


def test_sign_on_a_phone_with_the_development_signer_and_come_back(phone, live_server, dev_signer, axe):
    seen: list[str] = []
    page = phone
    page.goto(live_server + "/apply/honnin_tsuchi")
    page.fill("#email", "hanako.phone@example.jp")
    button(page, "申請を始める")
    app_id = re.search(r"/apply/d/([0-9a-f-]{36})/", page.url).group(1)
    fill_applicant(page)
    button(page, "次へ進む")
    page.check("input[name=basis][value=juminhyo]")
    button(page, "次へ進む")
    button(page, "次へ進む")  # the notices go to the registered address (the default)
    assert page.url.endswith("/review"), page.url
    button(page, "署名へ進む")
    assert page.url.endswith(f"/apply/d/{app_id}/sign")

    # the signing step: the app's link and QR code, the values with working copy buttons
    assert page.locator("main h1").inner_text() == "マイナンバーカードで署名する"
    expect(page.get_by_role("img", name="開発用の署名アプリを開くQRコード")).to_be_visible()
    expect(page.locator("[data-copy=signing-key]")).to_be_visible()  # shown by the script (Clipboard API)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.locator("[data-copy=signing-key]").click()
    expect(page.locator(".signing-copied")).to_have_text("コピーしました。")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#signing-key").inner_text().strip()
    assert no_sideways_scroll(page)
    assert_no_violations(axe, page, "signing step", seen)

    # a second tab on the signing step (as a PC showing the QR code would be) waits for the signature
    other = page.context.new_page()
    other.goto(page.url)

    click(page, "main a.button--solid")  # 「開発用の署名アプリを開く」
    assert "/dev/signer?" in page.url
    assert page.locator("main h1").inner_text() == "開発用の署名アプリ"
    assert re.search(r"[0-9a-f]{64}", page.locator("main").inner_text())  # what is signed, shown
    assert no_sideways_scroll(page)
    assert_no_violations(axe, page, "development signer", seen)
    button(page, "テスト用カードで署名する")

    # back by the return URL: the application shows the signature confirmed
    assert page.url.endswith(f"/apply/d/{app_id}/submit"), page.url
    expect(page.locator("main")).to_contain_text("署名を確認しました")
    assert_no_violations(axe, page, "signed", seen)

    expect(other.locator(".signing-state")).to_contain_text("署名を確認しました", timeout=15000)
    click(other, ".signing-state a")
    assert other.url.endswith(f"/apply/d/{app_id}/submit")
    assert seen == ["signing step", "development signer", "signed"]
