"""A curator changes the 住民票 fee from a future date on the console, checks the draft, reads
its impact and publishes it with a reason; a resident sees the old fee today and the new fee on
a result dated after it; an auditor finds the publish in the audit log. axe-core (WCAG 2.1 A/AA)
on every curator page of the walk, on a phone and on a desk."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from bench.guide import result_paths
from core import policy
from core.security import limiter
from tests.browser.test_staff_accessibility import log_in, new_page, violations
from tests.conftest import make_staff

pytestmark = pytest.mark.browser
DESK = {"width": 1280, "height": 900}
FEE_FILE = "procedures/juminhyo_utsushi.yaml"


def _checked(page, axe, found: list[str]) -> None:
    for size in ({"width": 375, "height": 812}, DESK):
        page.set_viewport_size(size)
        found += [f"{page.url} at {size['width']}px: {v}" for v in violations(axe, page)]
    page.set_viewport_size(DESK)


def _move_in_result(event_date: str) -> str:
    """The result page of the pack's first 転入 scenario, dated ``event_date``."""
    path = Path(__file__).resolve().parents[2] / "knowledge/packs/kakogawa/scenarios/moving_in.yaml"
    request = dict(yaml.safe_load(path.read_text(encoding="utf-8"))[0]["request"], event_date=event_date, locale="ja")
    return result_paths([request])[0]


def _often_needed_fee(page) -> str:
    block = page.locator("section.often-needed li", has_text="住民票の写し")
    return block.inner_text()


def test_a_fee_from_a_date_is_published_checked_and_seen_by_residents_and_auditors(app, live_server, browser):
    axe = Axe()
    found: list[str] = []
    curator, curator_secret = make_staff(app, policy.CURATOR)
    auditor, auditor_secret = make_staff(app, policy.AUDITOR)
    with app.app_context():
        limiter.reset()

    context, page = new_page(browser, DESK)
    log_in(page, live_server, curator, curator_secret)
    page.goto(live_server + "/staff/content/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _checked(page, axe, found)
    page.get_by_role("button", name="新しい下書きを作る").click()
    expect(page).to_have_url(re.compile(r"/staff/content/drafts/\d+$"))
    draft_url = page.url
    _checked(page, axe, found)

    page.goto(f"{draft_url}/file/{FEE_FILE}")
    _checked(page, axe, found)
    page.fill("#amount_yen", "350")
    page.fill("#unit_ja", "1通")
    page.fill("#unit_en", "per copy")
    page.fill("#valid_from", "2027-04-01")
    page.fill("#source_url", "https://www.city.kakogawa.lg.jp/")
    page.get_by_role("button", name="手数料を追加する").click()
    expect(page.locator("#content")).to_contain_text("amount_yen: 350")
    expect(page.locator("#content")).to_contain_text("valid_to: 2027-03-31")
    _checked(page, axe, found)

    page.goto(draft_url)
    page.get_by_role("button", name="確認する").click()
    expect(page.locator("main")).to_contain_text("シナリオ")  # the checks ran: scenarios held, impact listed
    expect(page.locator("main")).not_to_contain_text("次の問題を直すと公開できます")
    _checked(page, axe, found)

    page.goto(draft_url)
    page.fill("#reason", "住民票の写しの手数料を2027年4月1日から350円に改定")
    page.get_by_role("button", name="公開の内容を確かめる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("公開の確認")  # nothing published in one click
    _checked(page, axe, found)
    page.get_by_role("button", name="公開する", exact=True).click()
    expect(page.locator("main")).to_contain_text("v2")
    _checked(page, axe, found)
    page.goto(live_server + "/staff/content/history")
    expect(page.locator("main")).to_contain_text("住民票の写しの手数料を2027年4月1日から350円に改定")
    _checked(page, axe, found)
    context.close()

    resident, page = new_page(browser)
    page.goto(live_server + "/procedures/juminhyo_utsushi")
    expect(page.locator("main")).to_contain_text("300円")  # today (2026-12-02): the fee in force
    page.goto(live_server + _move_in_result("2026-12-01"))
    assert "300円" in _often_needed_fee(page) and "350円" not in _often_needed_fee(page)
    page.goto(live_server + _move_in_result("2027-04-05"))
    assert "350円" in _often_needed_fee(page)
    resident.close()

    with app.app_context():
        limiter.reset()
    context, page = new_page(browser, DESK)
    log_in(page, live_server, auditor, auditor_secret)
    page.goto(live_server + "/staff/audit/?action=content.publish")
    expect(page.locator("main")).to_contain_text("content.publish")
    expect(page.locator("main")).to_contain_text(curator)
    context.close()
    assert found == [], "\n".join(found)


def test_the_editor_numbers_and_colours_lines_and_keeps_unsaved_text_over_a_new_login(app, live_server, browser):
    """static/js/content-editor.js over the textarea: line numbers and YAML colours (aria-hidden
    drawings; axe clean), the textarea still the labelled control; text typed before the session
    ended comes back after logging in again, and can be dropped."""
    import datetime as dt
    import time

    import pyotp
    from sqlalchemy import select

    from core.db import db
    from core.staff_models import StaffSession
    from tests.conftest import STAFF_PASSWORD

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
    editor_url = f"{page.url}/file/{FEE_FILE}"
    page.goto(editor_url)
    expect(page.locator(".code-editor__gutter")).to_contain_text("28")
    assert page.locator(".code-editor__layer .yaml-key", has_text="amount_yen").count() >= 1
    expect(page.get_by_label("中身（YAML）")).to_be_editable()
    _checked(page, axe, found)

    area = page.locator("#content")
    area.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# 書きかけ\n")
    expect(page.locator(".code-editor__layer")).to_contain_text("# 書きかけ")
    with app.app_context():
        for s in db.session.scalars(select(StaffSession)):
            s.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.session.commit()
        limiter.reset()
    page.get_by_role("button", name="保存する", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/login"))
    page.fill("#login_id", curator)  # logs in again (the next code: the last one is spent) …
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == editor_url  # … and is back on the editor
    expect(page.locator("[data-editor-restored]")).to_be_visible()
    assert "# 書きかけ" in area.input_value()
    _checked(page, axe, found)
    page.get_by_role("button", name="戻した変更を捨てる").click()
    assert "# 書きかけ" not in area.input_value()

    page.goto(editor_url.split("/file/")[0] + "/counters?counter=shimin_madoguchi")  # the counter form
    expect(page.get_by_label("窓口の名前（日本語）")).to_have_value("市民課 窓口")
    _checked(page, axe, found)
    context.close()
    assert found == [], "\n".join(found)
