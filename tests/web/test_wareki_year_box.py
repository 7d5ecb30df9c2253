"""A 和暦 year typed in the year box (「令和5」「R5」): the guide's questionnaire date and an online
application's date fields take it; a year the era does not have (平成32) is said clearly, in the
page's language, and everything else typed stays on the page."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from markupsafe import escape

from tests.web.apply_helpers import APPLICANT, app_id_of, forms_of, path_of, post_section, section_inputs, start

HEISEI_32 = "平成32年4月1日はありません。2019年5月1日からは令和です（令和2年4月1日）。"


def _guide_date(client, lang: str, year: str, month: str = "4", day: str = "1"):
    """The guide's event date page submitted like a browser without JavaScript (GET)."""
    return client.get("/guide/birth/date", query_string={"lang": lang, "date-year": year, "date-month": month,
                                                          "date-day": day, "submit": "1"})


@pytest.mark.parametrize("year", ["令和5", "R5", "r5", "Ｒ５", "令和5年"])
def test_the_guide_date_takes_a_wareki_year(client, year):
    r = _guide_date(client, "ja", year)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert dict(parse_qsl(urlsplit(r.location).query))["date"] == "2023-04-01"


def test_the_guide_date_says_heisei_32_does_not_exist_and_keeps_what_was_typed(client):
    r = _guide_date(client, "ja", "平成32", "4", "1")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "<title>エラー：" in html and 'href="#date-year"' in html
    assert html.count(HEISEI_32) == 2  # the error summary and the field say the same
    for kept in ('id="date-year" name="date-year" type="text" inputmode="numeric" spellcheck="false" value="平成32"',
                 'name="date-month" type="text" inputmode="numeric" spellcheck="false" value="4"',
                 'name="date-day" type="text" inputmode="numeric" spellcheck="false" value="1"'):
        assert kept in html, kept
    english = _guide_date(client, "en", "H32").get_data(as_text=True)
    assert str(escape("There is no 平成32年4月1日: from 2019年5月1日 the era is 令和 (令和2年4月1日).")) in english


def test_a_plain_western_year_in_the_guide_is_unchanged(client):
    assert "date=2023-04-01" in _guide_date(client, "ja", "2023").location
    assert "年は西暦4桁で入力してください" in _guide_date(client, "ja", "23").get_data(as_text=True)


# --- an online application: 原付の登録 (acquired_on: a date field, 年/月/日 only) ---------------------

ACQUIRED = {"acquired_on-month": "4", "acquired_on-day": "1", "acquired_by": "transferred"}


def _acquisition_page(client) -> str:
    """The 原付 form's sections filled in until its 「持った理由と書類」 page; returns its path."""
    form = forms_of()["gentsuki_toroku"]
    path = start(client, "gentsuki_toroku")
    while not path.endswith("/acquisition"):
        r = post_section(client, path, section_inputs(form, path.rsplit("/", 1)[1], {"chassis_number": "AF68-1234567"}))
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]
        path = path_of(r.location)
    return path


def _acquisition(client, path: str, year: str):
    data = section_inputs(forms_of()["gentsuki_toroku"], "acquisition", ACQUIRED | {"acquired_on-year": year})
    return post_section(client, path, data)


def _stored(app, path: str) -> dict:
    from core.db import db
    from intake import applications
    from intake.models import Application
    with app.app_context():
        return applications.values(db.session.get(Application, app_id_of(path)))


@pytest.mark.parametrize("year", ["令和5", "R5", "ｒ５"])
def test_an_application_date_field_takes_a_wareki_year(app, client, year):
    path = _acquisition_page(client)
    r = _acquisition(client, path, year)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    assert _stored(app, path)["acquired_on"] == "2023-04-01"


def test_an_application_date_field_says_heisei_32_and_keeps_everything_typed(client):
    path = _acquisition_page(client)
    r = _acquisition(client, path, "平成32")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert f"持った日：{HEISEI_32}" in html and 'href="#acquired_on-year"' in html
    for kept in ('value="平成32"', 'name="acquired_on-month" type="text" inputmode="numeric" spellcheck="false" value="4"',
                 'name="acquired_on-day" type="text" inputmode="numeric" spellcheck="false" value="1"'):
        assert kept in html, kept
    assert 'value="transferred" checked' in html  # the other answers on the page stay


# --- the birth date with its era select (wareki_date) ---------------------------------------------

def _birth(year: str, era: str) -> dict:
    return APPLICANT | {"applicant_birth_date-era": era, "applicant_birth_date-year": year,
                        "applicant_birth_date-month": "4", "applicant_birth_date-day": "1"}


def test_the_typed_era_wins_over_the_select_left_at_seireki_or_saying_the_same(app, client):
    first = start(client, "juminhyo_utsushi")
    assert post_section(client, first, _birth("R5", "seireki")).status_code == 302
    assert _stored(app, first)["applicant_birth_date"] == "2023-04-01"
    assert post_section(client, first, _birth("Ｈ３０", "平成")).status_code == 302
    assert _stored(app, first)["applicant_birth_date"] == "2018-04-01"


def test_an_era_select_saying_another_era_is_a_clear_error_that_keeps_what_was_typed(client):
    first = start(client, "juminhyo_utsushi")
    r = post_section(client, first, _birth("平成30", "昭和"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "元号で「昭和」を選び、年に「平成30」と入力しています。どちらの元号か分かりません。" in html
    assert 'value="昭和" selected' in html and 'value="平成30"' in html and 'value="加古川"' in html
