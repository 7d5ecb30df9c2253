"""The result page on a 375 px phone: checklist ticks kept on the device across a reload, 44 px
targets, axe-core clean with places, offices and the closed-day notice, and its print layout."""
import math
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.axe_check import violations

pytestmark = pytest.mark.browser

SATURDAY_BIRTH = "/guide/birth/result?date=2026-12-05&n=2&m0.relation=self&m0.age=31&m1.relation=spouse&m1.age=30"
DEATH = ("/guide/death/result?date=2026-04-01&n=1&m0.relation=spouse&m0.age=78&m0.insurance=kouki"
         "&m0.pension=none&d.age=80&d.insurance=kouki&d.householder=yes&d.pension_recipient=yes"
         "&d.pension=none&f.dog=no&d.died_abroad=no")


def test_a_ticked_checklist_box_is_still_ticked_after_a_reload(phone, live_server):
    phone.goto(live_server + SATURDAY_BIRTH)
    box = phone.locator("#have-boshi_techo")
    assert not box.is_checked()
    phone.locator('label[for="have-boshi_techo"]').click()  # a tap on the label ticks the box
    assert box.is_checked()
    size = box.bounding_box()
    assert size["width"] >= 44 and size["height"] >= 44
    phone.reload()
    assert phone.locator("#have-boshi_techo").is_checked()
    assert not phone.locator("#have-id_document").is_checked()
    # a new tab on the same device (no form state to restore): the tick comes from the device
    tab = phone.context.new_page()
    tab.goto(live_server + SATURDAY_BIRTH)
    assert tab.locator("#have-boshi_techo").is_checked()
    tab.close()
    assert phone.locator("[data-checklist-note]").is_visible()
    # the same result opened with other answers has its own ticks
    phone.goto(live_server + SATURDAY_BIRTH.replace("date=2026-12-05", "date=2026-12-06"))
    assert not phone.locator("#have-boshi_techo").is_checked()
    phone.goto(live_server + SATURDAY_BIRTH)
    phone.locator('label[for="have-boshi_techo"]').click()  # untick
    phone.reload()
    assert not phone.locator("#have-boshi_techo").is_checked()


@pytest.mark.parametrize("path", [SATURDAY_BIRTH, DEATH])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_result_page_is_axe_clean_on_a_phone(phone, live_server, path, lang):
    phone.goto(f"{live_server}{path}&lang={lang}")
    assert violations(Axe(), phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_print_layout_on_a_phone(phone, live_server):
    phone.goto(live_server + DEATH)
    assert not phone.locator(".qr__image--print").is_visible()  # on screen: the big QR at the end
    phone.emulate_media(media="print")
    qr = phone.locator(".qr__image--print")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert 120 <= box["width"] <= 140  # 35 mm: small beside the heading, scannable from paper
    assert not phone.locator("section.qr").is_visible()
    style = phone.evaluate("""() => {
        const h = getComputedStyle(document.querySelector('.visit__title'));
        const d = getComputedStyle(document.querySelector('.visit__department'));
        const card = getComputedStyle(document.querySelector('.procedure-card'));
        return [h.breakAfter, d.breakAfter, card.breakInside];
    }""")
    assert style == ["avoid", "avoid", "auto"]  # a heading stays with its card; a long card may break
    # the map link is for screens: on paper the printed address is the place, not a long URL
    assert phone.locator(".procedure-card__place a[href*='google']").count() > 0
    assert not phone.locator(".procedure-card__place a[href*='google']").first.is_visible()
    after = phone.evaluate("""() => getComputedStyle(
        document.querySelector('.procedure-card__actions a.print-url[href^="http"]'), '::after').content""")
    assert "http" in after or "attr(href)" in after  # links print with their address
    assert phone.locator(".procedure-card__place a[href^='tel:']").first.is_visible()  # the number is the text
    pdf = phone.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


WALK_BIRTH = ("/guide/birth/result?date=2026-11-28&f.birth_direct_payment=full&f.born_abroad=no&f.child_allowance=no"
              "&f.first_child=yes&f.mother_insurance=kokuho&f.parent_japanese=yes&f.single_parent=no"
              "&m0.insurance=kokuho&m0.relation=self&m1.insurance=kokuho&m1.relation=spouse&m2.insurance=kokuho"
              "&m2.relation=child&n=3")
WALK_DEATH = ("/guide/death/result?d.age=45&d.care_certified=no&d.death_date=2026-11-19&d.died_abroad=no"
              "&d.householder=yes&d.insurance=shaho&d.owned_property=no&d.pension=second&d.pension_recipient=no"
              "&d.seal_registered=yes&date=2026-11-20&f.child_allowance_recipient_is_deceased=yes&f.dog=no"
              "&f.single_parent=yes&m0.age=42&m0.dependant_of_deceased=yes&m0.insurance=shaho&m0.pension=third"
              "&m0.relation=spouse&m1.age=12&m1.dependant_of_deceased=yes&m1.insurance=shaho&m1.relation=child"
              "&m2.age=9&m2.dependant_of_deceased=yes&m2.insurance=shaho&m2.relation=child&n=3")


def pdf_pages(pdf: bytes) -> int:
    """Pages of a Chromium PDF: its page objects (not the /Pages tree nodes)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@pytest.mark.parametrize("path", [WALK_BIRTH, WALK_DEATH])
def test_the_printed_result_has_no_half_empty_pages(phone, live_server, path):
    """Before: 4 birth procedures took 6 A4 pages (a heading alone on a ¾-empty page), 10 death
    procedures 11. Cards may break between rows; so about two cards a page after the first."""
    phone.goto(live_server + path)
    cards = phone.locator(".procedure-card").count()
    pages = pdf_pages(phone.pdf(format="A4"))
    assert pages >= 1
    bound = 3 if cards <= 4 else 1 + math.ceil(cards / 2)
    assert pages <= bound, (cards, pages)


def test_an_overdue_card_shows_a_warning_not_grey_hint_text(phone, live_server):
    phone.goto(live_server + DEATH + "&lang=ja")  # 2026-04-01: every due date has passed
    note = phone.locator("#proc-shibo_todoke").locator("xpath=ancestor::article").locator(".overdue-note")
    assert note.is_visible()
    style = note.evaluate("""e => { const s = getComputedStyle(e);
        return [s.fontWeight, s.color, s.borderLeftStyle, getComputedStyle(e.querySelector('svg')).display]; }""")
    assert style[0] == "700" and style[1] == "rgb(26, 26, 26)" and style[2] == "solid" and style[3] != "none"
    # the banner names the late procedures; its link takes the reader to the card
    link = phone.locator("#result-warnings-title").locator("xpath=..").locator('a[href="#proc-shibo_todoke"]')
    assert link.is_visible()
    link.click()
    assert phone.evaluate("location.hash") == "#proc-shibo_todoke"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_saturday_birth_says_the_centres_are_open_that_day(phone, live_server):
    phone.goto(live_server + WALK_BIRTH + "&lang=ja")
    lines = phone.locator(".closed-days__open").all_inner_texts()
    assert len(lines) >= 3 and all(line.startswith("2026年11月28日（土）は開") for line in lines)
