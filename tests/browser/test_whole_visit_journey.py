"""Issue 14's proof, in a real browser: a family of four moving in (転入, two children) on a 375 px
phone answers the guide's questionnaire → result → 「まとめて予約」 (市民課 住民異動, 国保, こども医療,
児童手当: the itinerary the guide gives for this household) → a day and a time → name and contact →
done → fills the household at home (事前入力: four members with names, kana, birth dates, 続柄;
the previous and the new address through the postcode lookup) → 「窓口に送る」 → QR code and
number. On the day of the visit, staff at the 市民課 counter (a counter account in another
browser) scan the QR code, see the household and the itinerary, print the 住民異動届 filled in
(the PDF holds the family's names) and mark the stop done; the 国保 counter sees the family
coming next, prints its form and marks its stop done; the resident's progress page shows each
step. axe-core (WCAG 2.1 A/AA) finds nothing on any resident page (375 px, no sideways scrolling)
nor on any staff page (375 and 1280 px).

Fields typed by staff in the walk: 0. Counted in the browser: every field of the counter pages
(/staff/visits…) that receives typed input. The only one is the number box, and the counter's QR
reader types it from the resident's code (keys, not a person: counted apart, 1); printing,
済みにする and the family's row under 「次に来る方」 are clicks. Logging in is not counted (the staff's
day, not this family's visit). Without a reader the number is the one field typed by hand: 1.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import segno
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from core import policy
from core.db import db
from core.japan_time import JST
from reservations import models as m
from tests.browser.test_household_walks import answer_page
from tests.browser.test_reserve_journey import check
from tests.browser.test_staff_accessibility import assert_accessible, log_in, new_page
from tests.conftest import make_staff

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}

# the family: (family, given, family kana, given kana, age on the day they moved, sex, 続柄 code)
FAMILY = [
    ("播磨", "一郎", "ハリマ", "イチロウ", 38, "male", "head"),
    ("播磨", "春子", "ハリマ", "ハルコ", 36, "female", "spouse"),
    ("播磨", "大翔", "はりま", "ひろと", 8, "male", "child"),  # kana typed in hiragana
    ("播磨", "結衣", "はりま", "ゆい", 3, "female", "child"),
]
# the counters this household's itinerary passes, in the guide's order
STOPS = ["市民課 住民異動", "国民健康保険課", "医療助成年金課 医療助成係", "家庭支援課 手当給付係"]
# every typed input on the counter pages, reported by the staff browsers: (path, field, by the reader)
WATCH_TYPING = """document.addEventListener('input', e => {
  if (location.pathname.startsWith('/staff/visits') && e.isTrusted && e.target.name)
    window.__typed(location.pathname, e.target.name, !!window.__reader);
}, true);"""


@pytest.fixture(scope="module")
def axe():
    return Axe()


def born(age: int, moved: dt.date) -> dt.date:
    """A birth date ``age`` years before ``moved`` (the last day of the month before, so the
    birthday of that year has passed): the same ages whatever day the test runs."""
    return dt.date(moved.year - age, moved.month, 1) - dt.timedelta(days=1)


def guide_answers(moved: dt.date) -> dict[str, str]:
    """What this family answers, page by page (test_household_walks.answer_page fails on a question
    it does not know, so a new question of the guide is seen here)."""
    answers = {"date": moved.isoformat(), "f.from_abroad": "no", "n": "4", "f.special_moveout": "no",
               "f.moveout_planned_date": (moved - dt.timedelta(days=1)).isoformat(),
               "f.seal_registration_wanted": "no", "f.dog": "no", "f.moped": "no"}
    relations = {"head": "self", "spouse": "spouse", "child": "child"}
    for i, (_f, _g, _fk, _gk, age, _sex, relationship) in enumerate(FAMILY):
        answers |= {f"m{i}.relation": relations[relationship], f"m{i}.age": str(age),
                    f"m{i}.nationality": "japanese", f"m{i}.insurance": "kokuho", f"m{i}.mynumber_card": "yes",
                    f"m{i}.disability_certificate": "no", f"m{i}.disability_medical_aid": "no"}
    answers |= {"m2.school": "elementary", "m2.public_school": "yes",  # 8: a city 小学校
                "m3.school": "preschool", "m3.daycare": "no"}  # 3: 幼稚園
    return answers


def the_day_of_the_visit_comes(app, number: str) -> None:
    """The counters list the visits of today: the booked day (a later one) becomes today, each stop
    keeping its time of day."""
    today = dt.datetime.now(JST).date()
    with app.app_context():
        visit = db.session.scalar(select(m.Visit).where(m.Visit.number == number))
        shift = today - visit.day
        visit.day, visit.start, visit.end = today, visit.start + shift, visit.end + shift
        for stop in db.session.scalars(select(m.Reservation).where(m.Reservation.visit_id == visit.id)):
            stop.day, stop.start, stop.end = today, stop.start + shift, stop.end + shift
        db.session.commit()


def qr_holds(page, content: str) -> bool:
    """Whether the page's QR code is the code of ``content`` (its modules drawn as one SVG path)."""
    drawn = page.locator("svg.reserve-qr__image path.qrline").get_attribute("d")
    expected = re.search(r'class="qrline"[^>]* d="([^"]+)"', segno.make(content, error="m").svg_inline(scale=5, border=2))
    return expected is not None and drawn == expected.group(1)


def staff_browser(browser, typed: list[tuple[str, str, bool]]):
    context, page = new_page(browser, DESKTOP)
    context.expose_binding("__typed", lambda _source, path, name, reader: typed.append((path, name, reader)))
    context.add_init_script(WATCH_TYPING)
    return context, page


def scan(page, content: str) -> None:
    """The counter's QR reader: a keyboard that types what the code holds, then Enter, into the
    field that has the focus (the number box is focused when the page opens)."""
    assert page.evaluate("document.activeElement && document.activeElement.id") == "number"
    page.evaluate("window.__reader = true")
    page.keyboard.type(content)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def pdf_text(body: bytes) -> str:
    return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)


def print_forms(page, counter: str) -> str:
    """「書類を印刷」 of ``counter``'s stop: the PDF it serves to this staff session, as text."""
    link = page.get_by_role("link", name=re.compile(rf"書類を印刷\s*：\s*{re.escape(counter)}"))
    assert link.get_attribute("target") == "_blank" and "新しいタブで開きます" in link.inner_text()  # 済みにする stays
    response = page.context.request.get(link.evaluate("a => a.href"))
    assert response.status == 200, response.status
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body[:5] == b"%PDF-"
    return pdf_text(body)


def progress_states(page) -> list[tuple[str, str]]:
    rows = page.locator("main table tbody tr")
    return [(rows.nth(i).locator("td").nth(2).inner_text(), rows.nth(i).locator("td").nth(3).inner_text())
            for i in range(rows.count())]


def test_a_family_moving_in_books_fills_at_home_and_staff_type_nothing(phone, browser, live_server, app, axe):
    resident = phone
    moved = dt.datetime.now(JST).date() - dt.timedelta(days=2)

    # --- the guide, answered page by page --------------------------------------------------------
    resident.goto(f"{live_server}/guide/moving_in")
    check(axe, resident, "guide intro")
    with resident.expect_navigation():
        resident.locator('a[href*="/guide/moving_in/date"]').first.click()
    answers = guide_answers(moved)
    for _ in range(40):
        if "/check" in resident.url:
            break
        check(axe, resident, f"question {resident.url.split('?')[0].rsplit('/', 1)[-1]}")
        answer_page(resident, answers)
    else:
        raise AssertionError("the questionnaire never reached the check page")
    check(axe, resident, "guide check")
    with resident.expect_navigation():
        resident.locator('a[href*="/guide/moving_in/result"]').first.click()
    check(axe, resident, "guide result")
    result = resident.locator("main").inner_text()
    for name in ("転入届", "国民健康保険の加入", "乳幼児等・こども医療費助成の申請", "児童手当 認定請求"):
        assert name in result, name

    # --- one booking for the visit ---------------------------------------------------------------
    resident.get_by_role("link", name="まとめて予約").click()
    expect(resident.locator("h1")).to_have_text("まとめて予約")
    stops = [s.split("\n")[0] for s in resident.locator("ol.visit-stops > li strong").all_inner_texts()]
    assert len(stops) == len(STOPS) and all(s.startswith(e) for s, e in zip(stops, STOPS, strict=True)), stops
    not_booked = resident.locator("main").inner_text().split("予約できない手続き", 1)
    assert len(not_booked) == 2 and "小・中学校の転入学手続" in not_booked[1]  # listed, with where to go
    check(axe, resident, "itinerary")
    resident.get_by_role("link", name="日にちを選ぶ").click()
    expect(resident.locator("caption")).to_be_visible()
    check(axe, resident, "days")
    resident.locator("a.reserve-calendar__link").first.click()
    expect(resident.locator("h1")).to_contain_text("時間を選んでください")
    check(axe, resident, "times")
    resident.locator("input[name=start]").first.check()
    resident.get_by_role("button", name="この時間で予約する").click()
    expect(resident.locator("h1")).to_contain_text("予約する方の情報を入力してください")
    check(axe, resident, "details")
    resident.get_by_label("お名前").fill("播磨 一郎")
    resident.get_by_label("フリガナ").fill("はりま いちろう")
    resident.get_by_label("メールアドレス").fill("harima.family@example.jp")
    resident.get_by_role("button", name="確認へ進む").click()
    expect(resident.locator("h1")).to_contain_text("予約の内容を確認してください")
    check(axe, resident, "confirm")
    resident.get_by_role("button", name="予約する").click()
    expect(resident.locator("h1")).to_contain_text("予約が完了しました")
    number = resident.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"V[0-9A-Z]{4,11}", number), number
    check(axe, resident, "booking done")

    # --- the household, filled at home -----------------------------------------------------------
    resident.get_by_role("link", name="入力を始める").click()
    expect(resident.locator("h1")).to_have_text("窓口で書く書類を、前もって入力する")
    check(axe, resident, "prefill start")
    resident.get_by_role("link", name="入力を始める").click()
    expect(resident.locator("h1")).to_have_text("引っ越す人を入力してください")
    check(axe, resident, "members")
    for _ in range(len(FAMILY) - 1):
        with resident.expect_navigation():
            resident.get_by_role("button", name="人を追加する").click()
    for i, (family, given, family_kana, given_kana, age, sex, relationship) in enumerate(FAMILY):
        birth = born(age, moved)
        resident.fill(f"#m{i}-family_name", family)
        resident.fill(f"#m{i}-given_name", given)
        resident.fill(f"#m{i}-family_kana", family_kana)
        resident.fill(f"#m{i}-given_kana", given_kana)
        resident.fill(f"#m{i}-birth-year", str(birth.year))
        resident.fill(f"#m{i}-birth-month", str(birth.month))
        resident.fill(f"#m{i}-birth-day", str(birth.day))
        resident.check(f"input[name=m{i}-sex][value={sex}]")
        resident.select_option(f"#m{i}-relationship", relationship)
    check(axe, resident, "members filled")
    with resident.expect_navigation():
        resident.locator("main button[value=continue]").click()
    expect(resident.locator("h1")).to_have_text("前の住所と新しい住所を入力してください")
    check(axe, resident, "addresses")
    resident.fill("#previous-postcode", "100-0001")
    with resident.expect_navigation():
        resident.locator("button[value=lookup-previous]").click()
    assert resident.input_value("#previous-address") == "東京都千代田区千代田"
    check(axe, resident, "addresses after a lookup")
    resident.fill("#previous-address", "東京都千代田区千代田1-1")
    resident.fill("#new-postcode", "6750031")
    with resident.expect_navigation():
        resident.locator("button[value=lookup-new]").click()
    new_address = resident.input_value("#new-address")
    assert new_address.startswith("兵庫県"), new_address
    resident.fill("#new-address", new_address + "2000")
    resident.fill("#new-building", "ハイツ播磨101")
    with resident.expect_navigation():
        resident.locator("main button.button--solid[value=continue]").click()
    expect(resident.locator("h1")).to_have_text("引っ越しの日と電話番号を入力してください")
    check(axe, resident, "move date and phone")
    resident.fill("#move_date-year", str(moved.year))
    resident.fill("#move_date-month", str(moved.month))
    resident.fill("#move_date-day", str(moved.day))
    resident.fill("#phone", "090-1234-5678")
    with resident.expect_navigation():
        resident.locator("main button[type=submit]").click()
    expect(resident.locator("h1")).to_have_text("入力した内容を確認してください")
    summary = resident.locator("main").inner_text()
    for family, given, *_rest in FAMILY:
        assert f"{family} {given}" in summary
    assert "ハリマ ヒロト" in summary  # hiragana kept as katakana
    assert "〒100-0001" in summary and "ハイツ播磨101" in summary
    check(axe, resident, "check the household")
    with resident.expect_navigation():
        resident.get_by_role("button", name="窓口に送る").click()
    expect(resident.locator("h1")).to_have_text("窓口に送りました")
    assert resident.locator(".receipt-number").inner_text().strip() == number
    check(axe, resident, "QR code and number")
    qr_content = f"{live_server}/staff/visits/{number}"
    assert qr_holds(resident, qr_content), "the QR code does not hold the counter's link to the visit"
    progress_url = resident.get_by_role("link", name="来庁の進み具合を見る").evaluate("a => a.href")

    # --- the day of the visit: 市民課 ------------------------------------------------------------
    the_day_of_the_visit_comes(app, number)
    shimin_login, shimin_secret = make_staff(app, policy.COUNTER, departments="shimin")
    kokuho_login, kokuho_secret = make_staff(app, policy.COUNTER, departments="kokuho")
    typed: list[tuple[str, str, bool]] = []  # (path, field, by the reader) of each keystroke on counter pages
    shimin_context, shimin = staff_browser(browser, typed)
    log_in(shimin, live_server, shimin_login, shimin_secret)
    shimin.goto(f"{live_server}/staff/visits/")
    assert_accessible(axe, shimin, "counter: number box")
    scan(shimin, qr_content)
    expect(shimin.locator("h1")).to_have_text(f"受付番号 {number}")
    assert_accessible(axe, shimin, "counter: the visit at 市民課")
    itinerary = shimin.locator("main table").first.inner_text()
    for stop in STOPS:
        assert stop in itinerary, stop
    household = shimin.locator("main table").nth(1).inner_text()
    for family, given, *_rest in FAMILY:
        assert family in household and given in household
    assert "ハイツ播磨101" in household and "子" in household
    printed = print_forms(shimin, "市民課")
    assert "住民異動届" in printed
    for family, given, *_rest in FAMILY:
        assert family in printed and given in printed, given
    assert "千代田" in printed and "妻" in printed  # 続柄 spouse printed from her sex
    with shimin.expect_navigation():
        shimin.get_by_role("button", name=re.compile(r"済みにする\s*：\s*市民課")).click()
    expect(shimin.locator(".notification")).to_contain_text("この窓口の手続きを済みにしました")
    assert_accessible(axe, shimin, "counter: 市民課 done")
    shimin_context.close()

    resident.goto(progress_url)
    states = progress_states(resident)
    assert [s for _c, s in states] == ["済み", "次はここです", "まだ", "まだ"], states
    check(axe, resident, "progress after 市民課")

    # --- 国保: the family is coming next -----------------------------------------------------------
    kokuho_context, kokuho = staff_browser(browser, typed)
    log_in(kokuho, live_server, kokuho_login, kokuho_secret)
    kokuho.goto(f"{live_server}/staff/visits/")
    coming = kokuho.locator("main table#coming-kokuho")
    expect(coming).to_contain_text(number)
    expect(coming).to_contain_text("播磨 一郎")  # the household's name beside the number
    assert_accessible(axe, kokuho, "counter: coming next at 国保")
    with kokuho.expect_navigation():
        coming.get_by_role("link", name=number).click()
    expect(kokuho.locator("h1")).to_have_text(f"受付番号 {number}")
    printed = print_forms(kokuho, "国民健康保険課")
    assert "国民健康保険異動届" in printed
    for family, given, *_rest in FAMILY:
        assert given in printed, given
    with kokuho.expect_navigation():
        kokuho.get_by_role("button", name=re.compile(r"済みにする\s*：\s*国民健康保険課")).click()
    expect(kokuho.locator(".notification")).to_contain_text("この窓口の手続きを済みにしました")
    assert_accessible(axe, kokuho, "counter: 国保 done")
    kokuho_context.close()

    resident.goto(progress_url)
    states = progress_states(resident)
    assert [s for _c, s in states] == ["済み", "済み", "次はここです", "まだ"], states
    check(axe, resident, "progress after 国保")

    by_hand = {(path, name) for path, name, reader in typed if not reader}
    by_reader = {(path, name) for path, name, reader in typed if reader}
    print(f"\nfields typed by staff in the walk: {len(by_hand)} (by the QR reader: {len(by_reader)})")
    assert by_hand == set()
    assert by_reader == {("/staff/visits/", "number")}
