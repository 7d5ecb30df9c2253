"""Issue 4 in a real browser: a resident applies for 住民票の写し (2 copies, by mail) on a
phone-sized screen — the /apply search, the start page, every section, 確認, the development
signer, the sandbox checkout, 申請, 受付番号, the status page — and a 市民課 staff user on a desktop
moves it 受付 → 審査中 → 承認 (the approval re-checks the signature against the dev CA's CRLs);
the resident's status page then says 承認. axe-core (WCAG 2.1 A/AA) finds nothing on any page
of the way. Also: no sideways scrolling at 320 px on the resident's pages, and the start page
and a section page done with the keyboard alone.

No life-event result of the guide lists 住民票の写し (it is a standalone procedure), so the
journey starts from the /apply search, as a resident who knows what they need would."""
from __future__ import annotations

import re

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from intake import devca
from tests.browser.axe_check import violations
from tests.conftest import STAFF_PASSWORD, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.both_engines]  # a resident's journey, on both engines

NARROW = {"width": 320, "height": 800}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
SQUEEZED = """[...document.querySelectorAll('main .table-scroll th, main .table-scroll td')].filter(c => {
  const range = document.createRange(); range.selectNodeContents(c);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  return lines > 3 && c.textContent.trim().length / lines < 4;  // under 4 characters a line
}).map(c => c.textContent.trim().slice(0, 30))"""
OVERFLOWING = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
               && !(e.closest('.table-scroll') && e.closest('.table-scroll') !== e))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
SHIMIN = "shimin"  # department of knowledge/packs/kakogawa/procedures/juminhyo_utsushi.yaml


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("journey-devca"))


@pytest.fixture
def dev_signer(app, ca):
    """The live app trusts the development CA and shows the development signer, for this test
    only (the app fixture is shared by the whole session)."""
    keys = ("JPKI_TRUST_ANCHORS", "JPKI_CRL_SOURCES", "JPKI_DEV_SIGNER")
    old = {k: app.config.get(k) for k in keys}
    app.config.update({
        "JPKI_TRUST_ANCHORS": str(ca.directory / "trust-anchors.pem"),
        "JPKI_CRL_SOURCES": f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}",
        "JPKI_DEV_SIGNER": str(ca.directory),
    })
    yield ca
    app.config.update(old)


def assert_no_violations(axe, page, label: str, seen: list[str]) -> None:
    """Zero violations at the page's own size and at the other one (phone ⇄ desktop)."""
    own = page.viewport_size
    for size in (own, DESKTOP if own["width"] < 1000 else PHONE):
        page.set_viewport_size(size)
        found = violations(axe, page)
        assert found == [], f"{label} at {size['width']}px ({page.url}): {found}"
    page.set_viewport_size(own)
    seen.append(label)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def button(page, text: str) -> None:
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=text, exact=True).click()


def step_of(page) -> str:
    return page.url.rsplit("/", 1)[1].split("?")[0]


# --- the resident's pages, filled as a resident would ------------------------------------------

def fill_applicant(page) -> None:
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
    page.check("input[name=applicant_role][value=self]")


def fill_section(page, sid: str) -> None:
    if sid == "applicant":
        fill_applicant(page)
    elif sid == "persons":
        page.check("input[name=whose][value=self]")
    elif sid == "contents":  # the defaults (載せない, 世帯連記式) are what most people need
        assert page.is_checked("input[name=honseki][value=omit]")
        page.fill("#copies", "2")
    elif sid == "finish":
        page.select_option("#purpose", "work")
        page.check("input[name=delivery][value=mail]")
    else:
        raise AssertionError(f"unexpected section {sid} ({page.url})")


def apply_as_resident(page, live_server: str, on_page) -> tuple[str, str, str]:
    """/apply → search 「住民票」 → 住民票の写し → start (a mistyped e-mail first) → every
    section (the first one sent empty once) → 確認 → 署名 → テスト決済 (canceled once) → 申請
    → 受付番号 → the status page → 領収書. ``on_page(label)`` runs on every page. Returns
    (application id, 受付番号, status URL)."""
    page.goto(live_server + "/apply")
    on_page("apply index")
    page.fill("#q", "住民票")
    button(page, "探す")
    assert "q=" in page.url
    on_page("apply search results")
    click(page, 'main a[href="/apply/juminhyo_utsushi"]')
    assert page.locator("h1").inner_text() == "オンライン申請：住民票の写し"
    on_page("start")

    page.fill("#email", "hanako.journey@example")
    button(page, "申請を始める")
    assert page.locator("#error-summary").is_visible() and page.title().startswith("エラー：")
    assert page.input_value("#email") == "hanako.journey@example"  # nothing typed is lost
    on_page("start with an error")
    page.fill("#email", "hanako.journey@example.jp")
    button(page, "申請を始める")
    assert re.search(r"/apply/d/[0-9a-f-]{36}/applicant$", page.url), page.url
    app_id = page.url.split("/")[-2]

    button(page, "次へ進む")  # nothing filled in yet
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#applicant_family_name").get_attribute("aria-invalid") == "true"
    on_page("section applicant with errors")
    for _ in range(8):
        sid = step_of(page)
        if sid == "review":
            break
        assert "ステップ" in page.locator("main .text-support").first.inner_text()
        on_page(f"section {sid}")
        fill_section(page, sid)
        button(page, "次へ進む")
        assert page.locator("#error-summary").count() == 0, (sid, page.locator("main").inner_text()[:800])
    assert step_of(page) == "review", page.url
    assert page.locator("h1").inner_text() == "入力内容の確認"
    main = page.locator("main").inner_text()
    for expected in ("加古川", "花子", "ハナコ", "1985年4月1日", "2通", "郵送", "600円", "就職・勤務先に出す"):
        assert expected in main, expected
    on_page("review")

    button(page, "署名へ進む")
    assert page.url.endswith(f"/apply/d/{app_id}/sign")
    on_page("sign")
    button(page, "開発用の署名（テスト用カード）で署名する")
    assert "/pay/sandbox/" in page.url, page.url  # 300円 × 2 is paid before submitting
    assert "600円" in page.locator("main").inner_text()
    on_page("sandbox checkout")

    button(page, "キャンセル")  # second thoughts: back to the application, then pay after all
    assert page.url.endswith(f"/apply/d/{app_id}/submit"), page.url
    assert "申請の前に、手数料600円を支払ってください。" in page.locator("main").inner_text()
    on_page("submit (to pay)")
    button(page, "支払う")
    assert "/pay/sandbox/" in page.url, page.url
    button(page, "支払う")
    if page.url.endswith("/submit"):  # paid, but not sent by the payment's webhook: the resident sends it
        assert "手数料600円は支払い済みです。" in page.locator("main").inner_text()
        on_page("submit")
        button(page, "申請する")
    assert page.url.endswith(f"/apply/d/{app_id}/done"), page.url
    assert page.locator("h1").inner_text() == "申請が完了しました"
    number = page.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{6,}", number), number
    on_page("done")

    status_link = page.locator("main a", has_text="申請の状態を見る")
    status_url = status_link.get_attribute("href")
    assert "/apply/status/" in status_url
    with page.expect_navigation():
        status_link.click()
    main = page.locator("main").inner_text()
    assert number in main and "住民票の写し" in main and "支払い済み" in main
    assert _status_of(page) == "受付"
    on_page("status (受付)")
    with page.expect_navigation():
        page.locator("main a", has_text="領収書を見る").click()
    assert "600" in page.locator("main").inner_text()
    on_page("receipt")
    return app_id, number, status_url


def approve_as_staff(browser, live_server: str, app, number: str, on_page) -> None:
    """A 市民課 user logs in on a desktop, finds the application in the inbox and moves it
    受付 → 審査中 → 承認."""
    login_id, secret = make_staff(app, "department", departments=SHIMIN)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    staff = context.new_page()
    try:
        staff.goto(live_server + "/staff/login")
        on_page(staff, "staff login")
        staff.fill("#login_id", login_id)
        staff.fill("#password", STAFF_PASSWORD)
        click(staff, "main button[type=submit]")
        assert staff.url.endswith("/staff/login/code"), staff.url
        on_page(staff, "staff login code")
        staff.fill("#code", pyotp.TOTP(secret).now())
        click(staff, "main button[type=submit]")
        assert staff.url.endswith("/staff/"), staff.url
        on_page(staff, "staff portal")

        click(staff, 'main a[href="/staff/applications/"]')
        assert staff.locator("h1").inner_text() == "オンライン申請"
        on_page(staff, "inbox")
        staff.fill("#q", number)
        button(staff, "絞り込む")
        assert staff.locator("main .inbox-table tbody tr").count() == 1  # (the workload table follows it)
        on_page(staff, "inbox filtered by the receipt number")
        click(staff, f'main table a:text-is("{number}")')
        assert staff.url.endswith(f"/staff/applications/{number}")
        assert "住民票の写し" in staff.locator("h1").inner_text()
        assert staff.locator("main .status-tag").first.inner_text() == "受付"
        on_page(staff, "detail (受付)")

        for to, label in (("reviewing", "審査中"), ("approved", "承認")):
            staff.check(f"input[name=to][value={to}]")
            button(staff, "状態を変更する")
            assert staff.locator("#error-summary").count() == 0, staff.locator("main").inner_text()[:1500]
            assert f"状態を「{label}」に変更しました。" in staff.locator("main").inner_text()
            assert staff.locator("main .status-tag").first.inner_text() == label
            on_page(staff, f"detail ({label})")
        # on a phone the history and the revocation evidence scroll in their own regions
        # rather than squeezing a column to a character a line
        staff.set_viewport_size(PHONE)
        assert staff.evaluate(SQUEEZED) == []
        assert no_sideways_scroll(staff)
    finally:
        context.close()


def test_juminhyo_from_search_to_approval_on_a_phone_and_the_staff_console(
        browser, phone, live_server, app, axe, dev_signer):
    from core.db import db
    from intake.models import Application

    seen: list[str] = []
    app_id, number, status_url = apply_as_resident(
        phone, live_server, lambda label: assert_no_violations(axe, phone, label, seen))
    approve_as_staff(browser, live_server, app, number,
                     lambda page, label: assert_no_violations(axe, page, label, seen))

    phone.goto(status_url)
    assert _status_of(phone) == "承認"
    assert_no_violations(axe, phone, "status (承認)", seen)
    assert len(seen) >= 24, seen

    with app.app_context():
        stored = db.session.get(Application, app_id)
        assert stored.receipt_number == number and stored.status == "approved"
        assert stored.payment_state == "paid" and stored.fee_amount == 600
        assert stored.signature_checked_at is not None  # re-checked at approval with the dev CA's CRLs
        assert stored.revocation_evidence and stored.revocation_evidence != "[]"


def test_no_sideways_scrolling_on_the_residents_pages_at_320_px(browser, live_server, app, dev_signer):
    context = browser.new_context(viewport=NARROW, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    wide: list[str] = []

    def check(label: str) -> None:
        if not no_sideways_scroll(page):
            wide.append(f"{label}: {page.evaluate(OVERFLOWING)}")
        if label == "section applicant":  # 「元号」 on one line beside its select
            era = page.locator('label[for="applicant_birth_date-era"]')
            year = page.locator('label[for="applicant_birth_date-year"]')
            assert era.bounding_box()["height"] < 1.5 * year.bounding_box()["height"]

    try:
        _app_id, _number, status_url = apply_as_resident(page, live_server, check)
        page.goto(status_url + "/withdraw")
        check("withdraw")
    finally:
        context.close()
    assert wide == []


def _status_of(page) -> str:
    row = page.locator("main .summary-list__row", has=page.locator("dt", has_text="状態")).first
    return row.locator("dd").first.inner_text().strip()


# --- the keyboard alone --------------------------------------------------------------------------

def focus_next(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page, selector: str, text: str) -> None:
    focus_next(page, selector)
    page.keyboard.type(text)


def pick(page, selector: str, value: str) -> None:
    """A closed <select>: focus it with Tab, then the arrow keys until ``value`` is chosen."""
    focus_next(page, selector)
    for _ in range(60):
        if page.evaluate("(v) => document.activeElement.value === v", value):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{selector} never showed {value}")


def visible_focus(page) -> bool:
    return page.evaluate("getComputedStyle(document.activeElement).outlineStyle !== 'none'"
                         " || getComputedStyle(document.activeElement).boxShadow !== 'none'")


def test_the_start_page_and_the_first_section_with_the_keyboard_alone(phone, live_server):
    page = phone
    page.goto(live_server + "/apply/juminhyo_utsushi")
    type_into(page, "#email", "keyboard.hanako@example.jp")
    focus_next(page, "main button[type=submit]")
    assert visible_focus(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/applicant"), page.url

    type_into(page, "#applicant_family_name", "加古川")
    type_into(page, "#applicant_given_name", "花子")
    type_into(page, "#applicant_family_kana", "かこがわ")
    type_into(page, "#applicant_given_kana", "はなこ")
    pick(page, "#applicant_birth_date-era", "昭和")
    type_into(page, "#applicant_birth_date-year", "60")
    type_into(page, "#applicant_birth_date-month", "4")
    type_into(page, "#applicant_birth_date-day", "1")
    type_into(page, "#applicant_address-postal_code", "6758501")
    focus_next(page, "button[data-postcode-for=applicant_address]")
    assert visible_focus(page)
    page.keyboard.press("Enter")  # 住所を検索: fills the empty boxes in place
    expect(page.locator("#applicant_address-city")).to_have_value("加古川市")  # (a CSP without eval: no wait_for_function)
    assert page.input_value("#applicant_address-prefecture") == "兵庫県"
    assert page.input_value("#applicant_address-street") == "加古川町北在家"
    focus_next(page, "#applicant_address-street")
    page.keyboard.press("End")
    page.keyboard.type("2000")
    type_into(page, "#applicant_phone", "0794212000")
    focus_next(page, "input[name=applicant_role]")
    if not page.evaluate("document.activeElement.checked"):
        page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked && document.activeElement.value === 'self'")
    focus_next(page, "main button[type=submit][value=continue]:not(.visually-hidden)")
    assert visible_focus(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/persons"), (page.url, page.locator("main").inner_text()[:800])


def test_a_guide_result_leads_into_the_online_application(phone, live_server, axe):
    """From a guide result (転出, one adult) 「オンラインで申請」 opens the application's start page."""
    seen: list[str] = []
    phone.goto(f"{live_server}/guide/moving_out/result?date=2026-12-20&n=1&m0.age=35")
    assert_no_violations(axe, phone, "guide result", seen)
    phone.get_by_role("link", name="オンラインで申請").first.click()
    expect(phone).to_have_url(re.compile(r"/apply/tenshutsu_todoke$"))
    expect(phone.locator("h1")).to_contain_text("転出")
    assert phone.locator("input[type=email]").count() == 1  # the start page asks for the e-mail
    assert_no_violations(axe, phone, "start page from the guide", seen)
