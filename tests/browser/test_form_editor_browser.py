"""A curator builds a new online form entirely on the console (a procedure that had none: pages,
fields from the palette, a condition, fee and review settings), sees it in the phone-sized
preview, and publishes it with a reason; the form is then served to residents. axe-core (WCAG
2.1 A/AA) on the editor's pages."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from core import policy
from core.security import limiter
from tests.browser.test_staff_accessibility import log_in, new_page, violations
from tests.conftest import make_staff

pytestmark = pytest.mark.browser
DESK = {"width": 1280, "height": 900}
PROCEDURE = "gentsuki_toroku"


def _checked(page, axe, found: list[str]) -> None:
    found += [f"{page.url}: {v}" for v in violations(axe, page)]


def _add_field(page, kind: str, field_id: str, section: str | None = None) -> None:
    form = page.locator("form", has=page.locator("#field_id"))
    if section:
        form.get_by_label("追加する区分").select_option(section)
    form.get_by_label(kind, exact=True).check()
    form.locator("#field_id").fill(field_id)
    form.get_by_role("button", name="追加する", exact=True).click()
    expect(page.locator(f"#field-{field_id}")).to_be_visible()


def test_a_form_built_on_the_console_is_published_and_served(app, live_server, browser):
    axe = Axe()
    found: list[str] = []
    curator, secret = make_staff(app, policy.CURATOR)
    with app.app_context():
        limiter.reset()
    context, page = new_page(browser, DESK)
    log_in(page, live_server, curator, secret)
    page.goto(live_server + "/staff/content/")
    page.get_by_role("button", name="新しい下書きを作る").click()
    expect(page).to_have_url(re.compile(r"/staff/content/drafts/\d+$"))
    draft_url = page.url

    page.get_by_role("link", name="申請フォームを作る・変える").click()
    _checked(page, axe, found)
    page.get_by_label("手続き").select_option(PROCEDURE)
    page.get_by_role("button", name="フォームを作る").click()
    expect(page.locator(".notification")).to_contain_text("フォームを作りました")
    _checked(page, axe, found)

    _add_field(page, "数・通数", "copies")
    _add_field(page, "選択肢（ひとつ選ぶ）", "how")
    panel = page.locator("#edit")
    panel.locator("#label-ja").fill("受け取り方")
    panel.locator("#label-en").fill("How to receive")
    panel.locator("#choices").fill("mail | 郵送 | By post\ncounter | 窓口 | At the counter")
    panel.get_by_role("button", name="項目を保存する").click()
    expect(page.locator("#field-how")).to_contain_text("受け取り方")
    _checked(page, axe, found)

    add = page.locator("form", has=page.locator("#new_section"))
    add.locator("#new_section").fill("papers")
    add.locator("#new_title-ja").fill("書類")
    add.locator("#new_title-en").fill("Documents")
    add.get_by_label("最初の項目の部品").select_option("attachment")
    add.get_by_role("button", name="区分を追加する").click()
    expect(page.locator("#section-papers")).to_be_visible()
    page.locator("#edit").get_by_label("表示する条件").select_option("how=mail")
    page.locator("#edit").get_by_role("button", name="条件を保存する").click()
    expect(page.locator("#section-papers")).to_contain_text("how = mail")

    fee = page.locator("form", has=page.locator("#copies_field"))
    fee.get_by_label("通数の項目").select_option("copies")
    fee.get_by_label("審査のあと（職員が金額を確かめてから）").check()
    fee.get_by_role("button", name="手数料の設定を保存する").click()
    expect(page.locator(".notification")).to_contain_text("フォームを保存しました")
    review = page.locator("form", has=page.locator("#standard_processing_days"))
    review.get_by_label("ほかの職員の一次承認を必要にする").check()
    review.get_by_label("標準処理期間（開庁日）").fill("5")
    review.get_by_role("button", name="審査の設定を保存する").click()
    expect(page.locator("#standard_processing_days")).to_have_value("5")
    _checked(page, axe, found)

    preview = page.frame_locator("iframe.form-editor__phone")
    expect(preview.locator("main")).to_contain_text("受け取り方")
    expect(preview.locator("main")).to_contain_text("郵送")
    expect(preview.locator("main")).to_contain_text("書類")
    width = page.locator("iframe.form-editor__phone").evaluate("f => f.getBoundingClientRect().width")
    assert 370 <= width <= 380

    page.goto(draft_url)
    expect(page.locator("main")).to_contain_text(f"forms/{PROCEDURE}.yaml")
    page.fill("#reason", "原付の登録をオンラインで受け付ける")
    page.get_by_role("button", name="公開の内容を確かめる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("公開の確認")
    page.get_by_role("button", name="公開する", exact=True).click()
    expect(page.locator("main")).to_contain_text("v2")
    page.goto(live_server + "/staff/content/history")
    expect(page.locator("main")).to_contain_text("原付の登録をオンラインで受け付ける")
    context.close()

    resident, page = new_page(browser, {"width": 375, "height": 812})
    page.goto(live_server + f"/apply/{PROCEDURE}")
    expect(page.locator("main")).to_contain_text("オンライン申請：原動機付自転車の登録")  # the new form, not 「準備中」
    expect(page.locator("main")).to_contain_text("入力します（3ページ）")  # 申請する人, 申請の内容, 書類
    resident.close()
    assert found == [], "\n".join(found)
