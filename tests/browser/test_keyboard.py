"""One full questionnaire done with the keyboard alone, on a phone-sized screen."""
import re

import pytest

pytestmark = pytest.mark.browser


def focus_next(page, selector, limit=60):
    """Press Tab until the focused element matches ``selector`` (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def choose(page, name, value):
    """Focus a radio group with Tab, then move to the wanted option with the arrow keys."""
    focus_next(page, f'input[type=radio][name="{name}"]')
    for _ in range(12):
        if page.evaluate("(v) => document.activeElement.value === v", value):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.evaluate("(v) => document.activeElement.checked && document.activeElement.value === v", value)


def type_into(page, selector, text):
    focus_next(page, selector)
    page.keyboard.type(text)


def submit(page):
    focus_next(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_moving_in_for_a_family_of_four_with_a_dog_by_keyboard(phone, live_server):
    page = phone
    page.goto(live_server + "/guide/")
    focus_next(page, 'a[href="/guide/moving_in"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_next(page, 'a[href*="/guide/moving_in/date"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")

    type_into(page, "#date-year", "2026")
    type_into(page, "#date-month", "4")
    type_into(page, "#date-day", "1")
    submit(page)
    choose(page, "f.from_abroad", "no")  # asked before the people pages (issue 10 walk)
    submit(page)
    type_into(page, "#n", "4")
    submit(page)
    people = [("self", "35", None), ("spouse", "33", None), ("child", "8", "elementary"), ("child", "3", "preschool")]
    for i, (relation, age, school) in enumerate(people):
        choose(page, f"m{i}.relation", relation)
        type_into(page, f'[id="m{i}.age"]', age)
        submit(page)
        assert re.search(rf"person-{i + 1}-more", page.url)
        choose(page, f"m{i}.nationality", "japanese")
        choose(page, f"m{i}.insurance", "kokuho")
        choose(page, f"m{i}.mynumber_card", "yes")
        if school:
            choose(page, f"m{i}.school", school)
        if school == "elementary":
            choose(page, f"m{i}.public_school", "yes")
        if school == "preschool":
            choose(page, f"m{i}.daycare", "no")  # a kindergarten, not a nursery
        choose(page, f"m{i}.disability_certificate", "no")
        submit(page)
    answers = {"from_abroad": "no", "special_moveout": "no", "seal_registration_wanted": "no", "dog": "yes",
               "moped": "no"}
    while "/check" not in page.url:
        key = re.search(r"/q-([a-z_0-9]+)", page.url).group(1)
        if key == "moveout_planned_date":
            type_into(page, '[id="f.moveout_planned_date-year"]', "2026")
            type_into(page, '[id="f.moveout_planned_date-month"]', "3")
            type_into(page, '[id="f.moveout_planned_date-day"]', "31")
        else:
            choose(page, f"f.{key}", answers[key])
        submit(page)
    assert page.locator("h1").inner_text() == "回答を確認してください"
    focus_next(page, 'a[href*="/guide/moving_in/result"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    text = page.locator("main").inner_text()
    for name in ("転入届", "国民健康保険の加入", "児童手当 認定請求", "小・中学校の転入学手続", "犬の登録事項変更"):
        assert name in text
    assert "×4" in text
    # every interactive element shows a visible focus indicator
    focus_next(page, "a.button, a[href*='reserve']")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
