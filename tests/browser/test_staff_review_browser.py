"""The review screen in a real browser, as a 市民課 clerk on a 1280×900 office screen and on a
phone: the decision content and the action panel are on the first screen (and the panel stays in
view while the content scrolls), no axe-core violation (WCAG 2.1 A/AA) on the review screen, the
done state and the 定型文 page at 375 and 1280 px, a 定型文 inserted by the script, and a clerk
approving an application and moving to the next one with the keyboard alone."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import update

from core.db import db
from intake import applications as svc
from intake import workflow
from intake.models import Application
from tests.browser.test_staff_accessibility import DESKTOP, PHONE, focus_next, log_in, violations
from tests.conftest import make_staff
from tests.web.test_staff_applications import _cert, submitted

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


_QUEUES = itertools.count(1)  # the module's database is shared by its tests: a department per queue


@pytest.fixture
def queue(app, forms, trusted, card_key):
    """Two applications under review in a department of their own (the clerk's whole queue),
    the older first; returns (department, [older, newer])."""
    department = f"h1b{next(_QUEUES)}"
    cert = _cert(trusted, card_key)
    numbers = [submitted(app, forms, trusted, cert) for _ in range(2)]
    base = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    with app.test_request_context("/"):
        for i, number in enumerate(numbers):
            db.session.execute(update(Application).where(Application.receipt_number == number).values(
                department_id=department, submitted_at=base + dt.timedelta(minutes=i)))
            application = db.session.scalar(db.select(Application).where(Application.receipt_number == number))
            svc.change_status(application, workflow.REVIEWING, who=workflow.STAFF, actor="staff:test")
        db.session.commit()
    return department, numbers


def _clerk(browser, live_server, app, department, size):
    login_id, secret = make_staff(app, "department", departments=f"{department},shimin")
    context = browser.new_context(viewport=size, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    log_in(page, live_server, login_id, secret)
    return context, page


def _box(page, selector):
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def test_the_first_screen_at_1280_holds_the_decision_and_the_page_is_accessible(browser, live_server, app, queue,
                                                                                axe):
    department, (older, _newer) = queue
    context, page = _clerk(browser, live_server, app, department, DESKTOP)
    try:
        page.goto(f"{live_server}/staff/applications/{older}")
        fold = DESKTOP["height"]
        panel, content = _box(page, "[data-review-panel]"), _box(page, "[data-review-content]")
        assert panel["x"] > content["x"] + content["width"] - 1  # side by side: the actions on the right
        for selector in ("[data-review-panel] h2", 'input[name="to"][value="approved"]',
                         "[data-status-form] button[type=submit]", "#row-applicant_family_name", "#row-applicant_birth_date", "#row-applicant_address"):
            box = _box(page, selector)
            assert 0 <= box["y"] and box["y"] + box["height"] <= fold, f"{selector} is below the first screen: {box}"
        assert page.locator("#row-applicant_family_name .identity-check").inner_text().startswith("✓")
        # the panel stays in view while the content scrolls; what is lower in it scrolls inside it
        page.evaluate("document.getElementById('signature-title').scrollIntoView()")
        assert page.evaluate("window.scrollY") > fold / 2
        panel = _box(page, "[data-review-panel]")
        assert 0 <= panel["y"] < fold and panel["y"] + panel["height"] <= fold
        page.locator("button[form=correction-form]").scroll_into_view_if_needed()
        box = _box(page, "button[form=correction-form]")
        assert 0 <= box["y"] and box["y"] + box["height"] <= fold
        page.evaluate("window.scrollTo(0, 0)")
        # no wrapped table headers at 1280 px
        wrapped = page.evaluate("""[...document.querySelectorAll('main th')].filter(th => {
            const style = getComputedStyle(th); const line = parseFloat(style.lineHeight) || 27;
            return th.getBoundingClientRect().height > line * 1.6 + parseFloat(style.paddingTop)
                   + parseFloat(style.paddingBottom) && th.scope === 'col'; }).map(th => th.textContent)""")
        assert wrapped == []
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            assert violations(axe, page) == [], f"review screen at {size['width']}px"
        # a 定型文 with the script: inserted into the comment at once, the select back to empty
        page.set_viewport_size(DESKTOP)
        page.click("#row-copies summary")
        page.select_option("#phrase-copies", index=1)
        assert page.input_value("#comment-copies") != "" and page.input_value("#phrase-copies") == ""
        # errors keep everything typed (no message for the resident)
        with page.expect_navigation():
            page.click("button[form=correction-form]")
        assert page.locator(".error-summary").count() == 1 and page.input_value("#comment-copies") != ""
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            assert violations(axe, page) == [], f"review screen with errors at {size['width']}px"
        page.goto(f"{live_server}/staff/applications/phrases")
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            assert violations(axe, page) == [], f"phrases page at {size['width']}px"
    finally:
        context.close()


def test_keyboard_only_approve_then_the_next_application(browser, live_server, app, queue, axe):
    department, (older, newer) = queue
    context, page = _clerk(browser, live_server, app, department, DESKTOP)
    try:
        page.goto(f"{live_server}/staff/applications/{older}")
        # Tab to the status choices, Space on 承認 (the first choice), Tab to the button, Enter
        focus_next(page, 'input[name="to"]', limit=250)
        assert page.evaluate("document.activeElement.value") == workflow.APPROVED
        page.keyboard.press("Space")
        focus_next(page, "[data-status-form] button[type=submit]", limit=5)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "done=status" in page.url, page.url
        assert "状態を「承認」に変更しました。" in page.inner_text("main")
        assert page.evaluate("document.activeElement.id") == "review-done"  # the banner has the focus
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            assert violations(axe, page) == [], f"done state at {size['width']}px"
        page.set_viewport_size(DESKTOP)
        focus_next(page, 'a[data-shortcut="next"]', limit=3)  # the banner's 「次の申請へ」
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith(f"/staff/applications/{newer}"), page.url
        # the shortcut (Alt+Shift+A) chooses the step forward and moves to the button; nothing is sent
        page.keyboard.press("Alt+Shift+KeyA")
        assert page.evaluate("document.activeElement.matches('[data-status-form] button[type=submit]')")
        assert page.locator(".shortcut-help summary").inner_text() == "キーボード操作"
        assert page.is_checked('input[name="to"][value="approved"]')
        assert page.url.endswith(f"/staff/applications/{newer}")
        page.keyboard.press("Alt+Shift+KeyM")
        assert page.evaluate("document.activeElement.id") == "internal_note"
        # 補正: C goes to the next field's comment after the focus (from the note below: the top
        # field), again to the one after it; S to the message, again to the send button
        focused = "document.activeElement.getAttribute('name') || document.activeElement.id"
        page.keyboard.press("Alt+Shift+KeyC")
        first = page.evaluate(focused)
        page.keyboard.press("Alt+Shift+KeyC")
        second = page.evaluate(focused)
        assert first.startswith("comment-") and second.startswith("comment-") and first != second, (first, second)
        page.keyboard.press("Alt+Shift+KeyS")
        assert page.evaluate("document.activeElement.id") == "correction-note"
        page.keyboard.press("Alt+Shift+KeyS")
        assert page.evaluate("document.activeElement.matches('button[form=correction-form]')")
        # and they can be turned off (kept in this browser)
        page.click(".shortcut-help summary")
        page.uncheck("#shortcuts-on")
        page.reload()
        assert not page.is_checked("#shortcuts-on")
        page.focus("#assignee")
        page.keyboard.press("Alt+Shift+KeyM")
        assert page.evaluate("document.activeElement.id") == "assignee"
    finally:
        context.close()
    with app.app_context():
        status = db.session.scalar(db.select(Application.status).where(Application.receipt_number == older))
        assert status == workflow.APPROVED


def test_the_review_screen_on_a_phone_has_no_sideways_scrolling(browser, live_server, app, queue):
    department, (older, _newer) = queue
    context, page = _clerk(browser, live_server, app, department, PHONE)
    try:
        page.goto(f"{live_server}/staff/applications/{older}")
        if __import__("os").environ.get("H1_SHOT"):
            page.screenshot(path=__import__("os").environ["H1_SHOT"], full_page=True)
        for width in (375, 320):
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), width
        # one column: the actions follow the content
        assert _box(page, "[data-review-panel]")["y"] > _box(page, "[data-review-content]")["y"]
    finally:
        context.close()
