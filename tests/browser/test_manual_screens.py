"""The manuals' screenshots (docs/manual/screens/*.png) are taken from the screens themselves:
one short walk of the residents' pages at 375 px and of the console at 1280 px. Each run writes
them into a temporary folder and checks that the walk makes exactly the images the manuals show
(a manual naming a picture nobody takes, or a picture no manual shows, fails). With
UPDATE_MANUAL_SCREENS=1 (``make manual-screens``) they are written into docs/manual/screens/,
to be committed with the change of screen."""
from __future__ import annotations

import datetime as dt
import os
import struct
from pathlib import Path

import pytest

from core import manuals
from tests.browser.test_apply_journey import button, fill_applicant
from tests.browser.test_staff_accessibility import log_in
from tests.conftest import make_staff
from tests.web.test_staff_applications import _cert, submitted

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}  # the residents' screens
OFFICE = {"width": 1280, "height": 800}  # the console's


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One database (SQLite) is enough: the pictures are of the screens, not of a database."""
    from tests.conftest import upgraded_app

    with upgraded_app("sqlite", tmp_path_factory.mktemp("manual-screens")) as (application, _snapshot):
        yield application


@pytest.fixture
def out(tmp_path) -> Path:
    if os.environ.get("UPDATE_MANUAL_SCREENS") == "1":
        manuals.SCREENS.mkdir(parents=True, exist_ok=True)
        return manuals.SCREENS
    return tmp_path


def _shot(page, out: Path, name: str) -> None:
    """The console: the first screen, menu and all. A resident's page: from its main content down,
    one phone screen high (the header and the language switch are the same on every page)."""
    page.wait_for_load_state("networkidle")
    options = {"path": str(out / f"{name}.png"), "animations": "disabled", "caret": "hide"}
    if name.startswith("resident-"):
        box = page.locator("main").bounding_box()
        assert box is not None, name
        options.update(full_page=True, clip={"x": 0, "y": box["y"], "width": PHONE["width"],
                                             "height": min(box["height"], PHONE["height"])})
    page.screenshot(**options)


def _width(png: Path) -> int:
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", png
    return struct.unpack(">I", header[16:20])[0]


def _residents_walk(browser, live_server: str, out: Path) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        _shot(page, out, "resident-home")
        page.goto(live_server + "/guide/moving_in")
        _shot(page, out, "resident-guide-intro")
        today = dt.date.today().isoformat()
        page.goto(f"{live_server}/guide/moving_in/result?date={today}&n=2&m0.relation=self&m0.age=35"
                  "&m0.insurance=kokuho&m0.mynumber_card=yes&m1.relation=child&m1.age=8")
        _shot(page, out, "resident-guide-result")
        page.locator("a[href*='/reserve?procedures=']").first.click()
        page.locator("h1").filter(has_text="行く場所を選んでください").wait_for()
        _shot(page, out, "resident-reserve-site")
        page.locator("input[type=radio]").first.check()
        page.get_by_role("button", name="次へ").click()
        page.locator("a.reserve-calendar__link").first.wait_for()
        _shot(page, out, "resident-reserve-calendar")
        page.locator("a.reserve-calendar__link").first.click()
        page.locator("input[name=start]").first.wait_for()
        _shot(page, out, "resident-reserve-times")
        page.goto(live_server + "/apply")
        _shot(page, out, "resident-apply-list")
        page.goto(live_server + "/apply/juminhyo_utsushi")
        _shot(page, out, "resident-apply-start")
    finally:
        context.close()


def _visit_walk(browser, live_server: str, out: Path) -> None:
    """まとめて予約 from the guide's result: the stops, the day, the time, the number and QR code."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    try:
        today = dt.date.today().isoformat()
        page.goto(f"{live_server}/guide/moving_in/result?date={today}&n=2&m0.relation=self&m0.age=35"
                  "&m0.insurance=kokuho&m0.mynumber_card=yes&m1.relation=child&m1.age=8")
        page.get_by_role("link", name="まとめて予約").click()
        page.locator("h1").filter(has_text="まとめて予約").wait_for()
        _shot(page, out, "resident-visit-start")
        page.get_by_role("link", name="日にちを選ぶ").click()
        page.locator("a.reserve-calendar__link").first.wait_for()
        _shot(page, out, "resident-visit-days")
        page.locator("a.reserve-calendar__link").first.click()
        page.locator("input[name=start]").first.wait_for()
        _shot(page, out, "resident-visit-times")
        page.locator("input[name=start]").first.check()
        page.get_by_role("button", name="この時間で予約する").click()
        page.get_by_label("お名前").fill("加古川 花子")
        page.get_by_label("フリガナ").fill("カコガワ ハナコ")
        page.get_by_label("メールアドレス").fill("manual.visit@example.jp")
        page.get_by_role("button", name="確認へ進む").click()
        page.get_by_role("button", name="予約する").click()
        page.locator("svg.reserve-qr__image").wait_for()
        _shot(page, out, "resident-visit-done")
    finally:
        context.close()


def _crowding_walk(browser, live_server: str, app, out: Path) -> None:
    """混雑状況: the page of the first site open today (now and the coming days), with people
    waiting at a counter (a day every site is closed: the first site's page says so)."""
    from core.db import db
    from reservations import crowding
    from reservations import queue as walkin
    from reservations.current import catalog

    with app.test_request_context():
        cat = catalog()
        site = next((s for s in cat.sites if not crowding.site_now(cat, s).closed), next(iter(cat.sites)))
        counter = next(c.id for c in cat.counters.values() if c.site == site)
        for _ in range(3):
            walkin.issue(site, counter, walkin.today())
        db.session.commit()
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/crowding/{site}")
        page.locator("#crowding-live").wait_for()
        _shot(page, out, "resident-crowding")
    finally:
        context.close()


def _signing_walk(browser, live_server: str, app, out: Path) -> None:
    """The signing step on a phone: the signer app's button, as a city's configured app shows it."""
    before = app.config.get("SIGNER_APP_URL_TEMPLATE")
    app.config["SIGNER_APP_URL_TEMPLATE"] = ("https://signer.example.jp/sign?fetch={fetch_url}&key={key}"
                                             "&signature={signature_url}&return={return_url}")
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(live_server + "/apply/honnin_tsuchi")
        page.fill("#email", "manual.sign@example.jp")
        button(page, "申請を始める")
        fill_applicant(page)
        button(page, "次へ進む")
        page.check("input[name=basis][value=juminhyo]")
        button(page, "次へ進む")
        button(page, "次へ進む")
        button(page, "署名へ進む")
        page.locator("main h1").filter(has_text="マイナンバーカードで署名する").wait_for()
        _shot(page, out, "resident-apply-sign")
    finally:
        context.close()
        app.config["SIGNER_APP_URL_TEMPLATE"] = before


def _staff_walk(browser, live_server: str, app, number: str, out: Path) -> None:
    login_id, secret = make_staff(app, "admin", login_id="manual.admin")
    context = browser.new_context(viewport=OFFICE, device_scale_factor=1, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(live_server + "/staff/login")
        _shot(page, out, "staff-login")
        log_in(page, live_server, login_id, secret)
        _shot(page, out, "staff-portal")
        for name, path in (("staff-inbox", "/staff/applications/"),
                           ("staff-review", f"/staff/applications/{number}"),
                           ("staff-reservations-day", "/staff/reservations/"),
                           ("staff-queue", "/staff/reservations/queue"),
                           ("staff-content", "/staff/content/"),
                           ("staff-rule-graph", "/staff/rule-graph/moving_in"),
                           ("staff-audit", "/staff/audit/"),
                           ("staff-incidents", "/staff/incidents/")):
            response = page.goto(live_server + path)
            assert response is not None and response.status == 200, (path, response and response.status)
            _shot(page, out, name)
    finally:
        context.close()


def test_the_walk_makes_exactly_the_screenshots_the_manuals_show(browser, live_server, app, forms, trusted,
                                                                 card_key, out):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    _residents_walk(browser, live_server, out)
    _visit_walk(browser, live_server, out)
    _crowding_walk(browser, live_server, app, out)
    _signing_walk(browser, live_server, app, out)
    _staff_walk(browser, live_server, app, number, out)

    made = {p.name for p in out.glob("*.png")}
    shown = {image.removeprefix("screens/") for name in manuals.MANUALS
             for image in manuals.images(manuals.source(name))}
    assert shown - made == set(), "a manual shows a picture the walk does not take"
    assert made - shown == set(), "the walk takes a picture no manual shows"
    for name in made:
        expected = PHONE["width"] if name.startswith("resident-") else OFFICE["width"]
        assert _width(out / name) == expected, name
        assert (out / name).stat().st_size < 400_000, f"{name} is too large for the repository"
