"""Four households walked as a new user would, on a 375 px phone (issue 10): the death of a 社保
earner with two children, a foreign resident moving in from abroad, a divorce with a move to
姫路, a birth on a Saturday. Each answer is given through the questionnaire's own pages; each
result must be complete, ordered (the city's counters first, offices elsewhere after them) and
printable."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

TODAY = "2026-12-02"  # the walks answer as of this day (dates of the events below are before it)


def answer_page(page, spec: dict[str, str]) -> None:
    """Fill every control of the current question page from ``spec`` (name → value), then go on.
    A control the spec does not know fails the test with its name, so a new question is seen."""
    form = page.locator("form.question-form")
    radios = form.locator("input[type=radio]")
    names = []
    for i in range(radios.count()):
        n = radios.nth(i).get_attribute("name")
        if n not in names:
            names.append(n)
    for name in names:
        assert name in spec, f"unexpected question {name} on {page.url}"
        form.locator(f'input[type=radio][name="{name}"][value="{spec[name]}"]').check()
    texts = form.locator("input[type=text], input:not([type])")
    for i in range(texts.count()):
        el = texts.nth(i)
        name = el.get_attribute("name")
        base, _, part = name.rpartition("-")
        if part in ("year", "month", "day") and base in spec:
            y, m, d = spec[base].split("-")
            el.fill({"year": y, "month": str(int(m)), "day": str(int(d))}[part])
        else:
            assert name in spec, f"unexpected input {name} on {page.url}"
            el.fill(spec[name])
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "error" not in (page.locator("main").get_attribute("class") or ""), page.url


def walk(page, live_server, event: str, spec: dict[str, str]) -> str:
    page.goto(f"{live_server}/guide/{event}")
    with page.expect_navigation():
        page.locator(f'a[href*="/guide/{event}/date"]').first.click()
    shown = []
    for _ in range(80):
        if "/check" in page.url:
            break
        shown.append(int(page.locator(".step-indicator__count").inner_text().split("/")[0]))
        answer_page(page, spec)
        assert page.locator(".error-summary").count() == 0, page.locator("main").inner_text()[:500]
    else:
        raise AssertionError("the questionnaire never reached the check page")
    assert shown == list(range(1, len(shown) + 1)), shown  # the step counter counts the pages shown
    with page.expect_navigation():
        page.locator(f'a[href*="/guide/{event}/result"]').first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the result scrolls sideways on a phone"
    return page.locator("main").inner_text()


def in_order(text: str, names: list[str]) -> None:
    text = text[max(text.find("手続きをする順番"), 0):]  # the cards, not the notices above them
    where = [text.find(n) for n in names]
    assert all(w >= 0 for w in where), [n for n, w in zip(names, where, strict=True) if w < 0]
    assert where == sorted(where), list(zip(names, where, strict=True))


def printable(page) -> None:
    page.emulate_media(media="print")
    # nothing interactive is left to print, and every link in the procedures prints its target
    assert page.locator("nav:visible, form:visible button:visible").count() == 0
    pdf = page.pdf(width="210mm", height="297mm")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    page.emulate_media(media="screen")


def test_death_of_a_company_employee_with_two_children(phone, live_server):
    spec = {
        "date": "2026-11-20", "d.death_date": "2026-11-19", "n": "3",
        "d.age": "45", "d.insurance": "shaho", "d.householder": "yes", "d.care_certified": "no",
        "d.seal_registered": "yes", "d.pension_recipient": "no", "d.pension": "second",
        "d.owned_property": "no", "d.died_abroad": "no",
        "m0.relation": "spouse", "m0.age": "42", "m0.insurance": "shaho", "m0.pension": "third",
        "m0.dependant_of_deceased": "yes",
        "m1.relation": "child", "m1.age": "12", "m1.insurance": "shaho", "m1.dependant_of_deceased": "yes",
        "m1.medical_aid": "yes",
        "m2.relation": "child", "m2.age": "9", "m2.insurance": "shaho", "m2.dependant_of_deceased": "yes",
        "m2.medical_aid": "yes",
        "f.child_allowance_recipient_is_deceased": "yes", "f.single_parent": "yes", "f.dog": "no",
    }
    text = walk(phone, live_server, "death", spec)
    for name in ("死亡届", "火葬許可", "国民健康保険の加入", "国民年金の種別変更", "印鑑登録証の返却",
                 "児童手当 認定請求", "児童扶養手当", "遺族厚生年金", "埋葬料",
                 "乳幼児等・こども医療 変更届", "母子・父子家庭等医療費助成"):
        assert name in text, name
    assert "後期高齢者医療" not in text and "遺族基礎年金・死亡一時金・寡婦年金の請求" not in text
    # 戸籍 first, then 保険・年金, then 手当; the 年金事務所 after every city counter
    in_order(text, ["死亡届", "国民健康保険の加入", "児童手当 認定請求", "遺族厚生年金"])
    # 国保: one マイナンバー proof for each of the three people joining, on the card and in the list
    kokuho = phone.locator("article:has(#proc-kokuho_kanyu)").inner_text()
    assert re.search(r"マイナンバーが分かるもの ×3\b", kokuho), kokuho
    assert "×1" not in re.findall(r"マイナンバーが分かるもの (×\d+)", kokuho)
    listed = phone.locator("section.checklist li", has_text="マイナンバーが分かるもの").inner_text()
    assert re.search(r"×3\b", listed), listed
    # each counter once, 国民年金 at 医療助成年金課 (年金係) before its 医療助成係 and the 家庭支援課
    titles = [t.split("：", 1)[1] for t in phone.locator("h3.visit__title").all_inner_texts() if "：" in t]
    assert len(titles) == len(set(titles)), titles
    assert titles.index("医療助成年金課 年金係") < titles.index("医療助成年金課 医療助成係") \
        < titles.index("家庭支援課 手当給付係"), titles
    # 国保 and 種別変更 count 14 days from the day after the death (11/20 + 14 = 12/4)
    assert "2026年12月4日" in text
    printable(phone)


def test_foreign_resident_moving_in_from_abroad(phone, live_server):
    spec = {
        "date": "2026-11-25", "n": "1",
        "m0.relation": "self", "m0.age": "28", "m0.nationality": "foreign", "m0.insurance": "kokuho",
        "m0.mynumber_card": "no", "m0.care_certified": "no", "m0.disability_certificate": "no",
        "m0.disability_medical_aid": "no",
        "f.from_abroad": "yes", "f.seal_registration_wanted": "no", "f.dog": "no", "f.moped": "no",
    }
    text = walk(phone, live_server, "moving_in", spec)
    for name in ("転入届", "国民健康保険の加入", "国民年金の加入", "在留カード"):
        assert name in text, name
    in_order(text, ["転入届", "国民健康保険の加入"])
    printable(phone)


def test_divorce_with_a_move_to_himeji(phone, live_server):
    spec = {
        "date": "2026-11-16", "f.divorce_type": "agreement", "f.surname_change": "yes",
        "f.keep_married_surname": "no", "f.move": "out_of_city", "f.move_date": "2026-11-28",
        "f.insurance_after": "kokuho", "f.single_parent": "yes", "n": "2",
        "m0.relation": "self", "m0.age": "34", "m0.nationality": "japanese", "m0.insurance": "shaho",
        "m0.pension": "third", "m1.nationality": "japanese", "f.child_surname_change": "no",
        "m0.mynumber_card": "yes", "m0.seal_registered": "yes", "m0.disability_certificate": "no",
        "m1.disability_certificate": "no",
        "m1.relation": "child", "m1.age": "6", "m1.insurance": "shaho", "m1.medical_aid": "yes",
        "m1.mynumber_card": "yes", "m1.seal_registered": "no",
        "m1.before_first_march31_after_18": "no",
        "f.to_hyogo": "yes", "f.child_allowance_recipient": "other_parent", "f.insured_through_ex_spouse": "yes",
    }
    text = walk(phone, live_server, "divorce", spec)
    for name in ("離婚届", "転出届", "印鑑登録証の返却"):
        assert name in text, name
    assert "入籍届" not in text  # the child keeps her surname: asked, answered no
    in_order(text, ["離婚届", "転出届"])
    # what the new city does is said apart, never at a Kakogawa counter
    new_city = phone.locator("section.new-city")
    assert new_city.count() == 1
    assert "国民健康保険の加入" in new_city.inner_text() and "転入届" in new_city.inner_text()
    printable(phone)


def test_birth_on_a_saturday(phone, live_server):
    spec = {
        "date": "2026-11-28", "n": "2",  # 土曜日; the parents only (the baby is not counted)
        "m0.relation": "self", "m0.insurance": "kokuho", "m1.relation": "spouse", "m1.insurance": "kokuho",
        "f.born_abroad": "no", "f.parent_japanese": "yes", "f.single_parent": "no", "f.first_child": "yes",
        "f.child_allowance": "no", "f.mother_insurance": "kokuho", "f.birth_direct_payment": "full",
    }
    text = walk(phone, live_server, "birth", spec)
    for name in ("出生届", "国民健康保険の加入", "児童手当 認定請求", "乳幼児等・こども医療費助成"):
        assert name in text, name
    in_order(text, ["出生届", "国民健康保険の加入", "児童手当 認定請求"])
    # born on a Saturday: where the 出生届 can be handed in on a closed day
    assert "夜間休日窓口" in text
    assert re.search(r"2026年12月11日|12月11日", text)  # 14 days counting the day of birth
    printable(phone)
