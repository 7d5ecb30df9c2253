"""A curator builds a new online form entirely on the console (a procedure that had none: pages,
fields from the palette, a condition, fee and review settings), sees it in the phone-sized
preview, and publishes it with a reason; the form is then served to residents. A resident then
applies with it on a phone (375 px), signing with the development signer, and gets a receipt
number; two members of the reviewing department take it in the inbox: one takes it on, moves it
to 審査中 and gives the 一次承認 the published form asks for (承認 alone is refused), the other
approves it, and the resident's status page says 承認. axe-core (WCAG 2.1 A/AA) on the editor's
pages and on each page of the application and of its review."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from core import policy
from core.security import limiter
from tests.browser.test_apply_journey import _status_of, button, ca, click, dev_signer  # noqa: F401 (fixtures)
from tests.browser.test_staff_accessibility import log_in, new_page, violations
from tests.conftest import make_staff
from tests.web.apply_helpers import PNG

pytestmark = pytest.mark.browser
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
PROCEDURE = "setainushi_henko"  # 世帯主変更届: a procedure of the pack with no online form (yet)
DEPARTMENT = "shimin"  # the procedure's department: its staff review the applications


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


@pytest.mark.usefixtures("dev_signer")  # the development CA is trusted, its signer shown
def test_a_form_built_on_the_console_is_published_served_applied_with_and_approved(app, live_server, browser):
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
    expect(preview.locator("main")).to_contain_text("受け取り方", timeout=15000)
    expect(preview.locator("main")).to_contain_text("郵送")
    expect(preview.locator("main")).to_contain_text("書類")
    width = page.locator("iframe.form-editor__phone").evaluate("f => f.getBoundingClientRect().width")
    assert 370 <= width <= 380

    page.goto(draft_url)
    expect(page.locator("main")).to_contain_text(f"forms/{PROCEDURE}.yaml")
    page.fill("#reason", "世帯主変更届をオンラインで受け付ける")
    page.get_by_role("button", name="公開の内容を確かめる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("公開の確認")
    page.get_by_role("button", name="公開する", exact=True).click()
    expect(page.locator("main")).to_contain_text("v2")
    page.goto(live_server + "/staff/content/history")
    expect(page.locator("main")).to_contain_text("世帯主変更届をオンラインで受け付ける")
    context.close()

    resident, page = new_page(browser, PHONE)
    page.goto(live_server + f"/apply/{PROCEDURE}")
    expect(page.locator("main")).to_contain_text("オンライン申請：世帯主変更届")  # the new form, not 「準備中」
    expect(page.locator("main")).to_contain_text("入力します（3ページ）")  # 申請する人, 申請の内容, 書類
    number, status_url = _apply_with_the_new_form(page, live_server, axe, found)
    _review_in_the_inbox(app, browser, live_server, number, axe, found)
    page.goto(status_url)
    assert _status_of(page) == "承認"
    _checked(page, axe, found)
    resident.close()
    assert found == [], "\n".join(found)


def _apply_with_the_new_form(page, live_server: str, axe, found: list[str]) -> tuple[str, str]:
    """A resident on a phone: the new form's pages (the 書類 page because 郵送 is chosen), 確認,
    the development signer, 申請; returns the 受付番号 and the status page's URL."""
    _checked(page, axe, found)
    page.fill("#email", "hanako.newform@example.jp")
    button(page, "申請を始める")
    assert re.search(r"/apply/d/[0-9a-f-]{36}/applicant$", page.url), page.url
    _checked(page, axe, found)
    page.fill("#applicant_family_name", "加古川")
    page.fill("#applicant_given_name", "花子")
    page.fill("#applicant_family_kana", "かこがわ")
    page.fill("#applicant_given_kana", "ハナコ")
    page.select_option("#applicant_birth_date-era", "昭和")
    page.fill("#applicant_birth_date-year", "60")
    page.fill("#applicant_birth_date-month", "4")
    page.fill("#applicant_birth_date-day", "1")
    page.fill("#applicant_address-postal_code", "675-8501")
    page.select_option("#applicant_address-prefecture", "兵庫県")
    page.fill("#applicant_address-city", "加古川市")
    page.fill("#applicant_address-street", "加古川町北在家2000")
    page.fill("#applicant_phone", "079-421-2000")
    button(page, "次へ進む")

    assert page.url.endswith("/details"), page.url  # the new form's page, with the fields added on the console
    expect(page.locator("main")).to_contain_text("受け取り方")
    _checked(page, axe, found)
    page.fill("#details_text", "父から母に世帯主を変えます")
    page.fill("#copies", "2")
    page.get_by_label("郵送", exact=True).check()
    button(page, "次へ進む")

    assert page.url.endswith("/papers"), page.url  # shown because 郵送 was chosen
    expect(page.get_by_role("heading", level=1)).to_contain_text("書類")
    _checked(page, axe, found)
    page.locator("input[type=file]").set_input_files({"name": "moushitate.png", "mimeType": "image/png",
                                                      "buffer": PNG})
    button(page, "次へ進む")

    assert page.url.endswith("/review"), page.url
    main = page.locator("main")
    for seen in ("加古川", "花子", "1985年4月1日", "父から母に世帯主を変えます", "受け取り方", "郵送", "moushitate.png"):
        expect(main).to_contain_text(seen)
    _checked(page, axe, found)
    button(page, "署名へ進む")
    assert page.url.endswith("/sign"), page.url
    _checked(page, axe, found)
    button(page, "開発用の署名（テスト用カード）で署名する")  # no fee yet: staff confirm it after review
    if page.url.endswith("/submit"):
        expect(page.locator("main")).to_contain_text("署名を確認しました")
        _checked(page, axe, found)
        button(page, "申請する")
    assert page.url.endswith("/done"), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("申請が完了しました")
    number = page.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{6,}", number), number
    _checked(page, axe, found)
    status_link = page.locator("main a", has_text="申請の状態を見る")
    status_url = status_link.get_attribute("href")
    click(page, 'main a:has-text("申請の状態を見る")')
    expect(page.locator("main")).to_contain_text(number)
    expect(page.locator("main")).to_contain_text("世帯主変更届")
    assert _status_of(page) == "受付"
    _checked(page, axe, found)
    return number, status_url


def _review_in_the_inbox(app, browser, live_server: str, number: str, axe, found: list[str]) -> None:
    """Two members of the department on office screens: the first finds the application in the
    inbox, sees the resident's answers, takes it on, moves it to 審査中, is refused 承認 (the form
    asks for two people) and gives the 一次承認; the second approves it."""
    first, first_secret = make_staff(app, policy.DEPARTMENT, departments=DEPARTMENT)
    second, second_secret = make_staff(app, policy.DEPARTMENT, departments=DEPARTMENT)
    with app.app_context():
        limiter.reset()
    context, staff = new_page(browser, DESK)
    log_in(staff, live_server, first, first_secret)
    click(staff, 'main a[href="/staff/applications/"]')
    staff.fill("#q", number)
    button(staff, "絞り込む")
    expect(staff.locator("main .inbox-table tbody tr")).to_have_count(1)
    _checked(staff, axe, found)
    click(staff, f'main table a:text-is("{number}")')
    assert staff.url.endswith(f"/staff/applications/{number}"), staff.url
    expect(staff.get_by_role("heading", level=1)).to_contain_text("世帯主変更届")
    expect(staff.locator("main .status-tag").first).to_have_text("受付")
    for field, answer in (("applicant_family_name", "加古川"), ("details_text", "父から母に世帯主を変えます"),
                          ("copies", "2"), ("how", "郵送"), ("attachment", "moushitate.png")):
        expect(staff.locator(f"#row-{field}")).to_contain_text(answer)
    _checked(staff, axe, found)

    button(staff, "自分が担当する")
    expect(staff.locator("#assignee option:checked")).to_contain_text(first)
    staff.check("input[name=to][value=reviewing]")
    button(staff, "状態を変更する")
    expect(staff.locator("main")).to_contain_text("状態を「審査中」に変更しました。")
    expect(staff.locator("main .status-tag").first).to_have_text("審査中")
    staff.check("input[name=to][value=approved]")
    button(staff, "状態を変更する")  # the published form asks for a 一次承認 first
    expect(staff.locator("#error-summary")).to_contain_text("先に一次承認をしてください")
    _checked(staff, axe, found)
    button(staff, "一次承認をする")
    expect(staff.locator("main")).to_contain_text("一次承認をしました。承認は別の職員がします。")
    _checked(staff, axe, found)
    context.close()

    context, staff = new_page(browser, DESK)
    log_in(staff, live_server, second, second_secret)
    staff.goto(f"{live_server}/staff/applications/?q={number}")
    click(staff, f'main table a:text-is("{number}")')
    expect(staff.locator("main .status-tag").first).to_have_text("審査中")
    staff.check("input[name=to][value=approved]")
    button(staff, "状態を変更する")
    expect(staff.locator("main")).to_contain_text("状態を「承認」に変更しました。")
    expect(staff.locator("main .status-tag").first).to_have_text("承認")
    _checked(staff, axe, found)
    context.close()
