"""intake.web_forms: WTForms forms built from the form definitions (no database, no requests)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from core.errors import AppError
from intake import web_forms
from intake.forms import load_forms
from rules.wareki import WarekiError

TODAY = dt.date(2026, 5, 1)


@pytest.fixture(scope="module")
def forms():
    return load_forms("kakogawa")


@pytest.mark.parametrize("parts, expected", [
    (("seireki", "1985", "4", "1"), "1985-04-01"),
    (("昭和", "60", "4", "1"), "1985-04-01"),
    (("seireki", "昭和60", "4", "1"), "1985-04-01"),
    (("seireki", "S60", "４", "１"), "1985-04-01"),
    (("平成", "元", "1", "8"), "1989-01-08"),
    (("seireki", "令和5年4月1日", "", ""), "2023-04-01"),
    (("seireki", "2023-04-01", "", ""), "2023-04-01"),
    (("seireki", "H1.1.8", "", ""), "1989-01-08"),
    (("", "", "", ""), None),
    (("", "ｒ５", "4", "1"), "2023-04-01"),  # a date field without the era select
    (("seireki", "令和元", "5", "1"), "2019-05-01"),  # the select left at 西暦: the typed era wins
    (("平成", "H30", "4", "1"), "2018-04-01"),  # the select agrees
    (("昭和", "1985-04-01", "", ""), "1985-04-01"),  # a whole western date in the year box, as before
])
def test_dates_in_western_or_japanese_years(parts, expected):
    found = web_forms.parse_date_parts(*parts)
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize("parts, words", [
    (("平成", "31", "5", "1"), "令和"),
    (("seireki", "2023", "2", "30"), "その日付はありません"),
    (("seireki", "85", "4", "1"), "西暦4桁"),
    (("seireki", "1985", "4", ""), "年・月・日をすべて"),
    (("seireki", "1985", "four", "1"), "数字で"),
    (("seireki", "平成32", "4", "1"), "平成32年4月1日はありません。2019年5月1日からは令和です"),
    (("昭和", "平成30", "4", "1"), "元号で「昭和」を選び、年に「平成30」と入力しています。どちらの元号か分かりません。"),
    (("令和", "h30年", "4", "1"), "元号で「令和」を選び、年に「h30年」と入力しています。"),
])
def test_impossible_dates_say_what_to_do(parts, words):
    with pytest.raises(ValueError) as err:
        web_forms.parse_date_parts(*parts)
    assert words in str(err.value)
    if "元号" in words or "令和" in words:
        assert isinstance(err.value, WarekiError)


def _page(form, sid, data, store=None):
    return web_forms.section_form(form, sid, MultiDict(data), today=TODAY, store=store)


APPLICANT = {
    "applicant_family_name": " 髙橋 ", "applicant_given_name": "﨑子", "applicant_family_kana": "たかはし",
    "applicant_given_kana": "ｻｷｺ", "applicant_birth_date-era": "昭和", "applicant_birth_date-year": "60",
    "applicant_birth_date-month": "4", "applicant_birth_date-day": "1",
    "applicant_address-postal_code": "６７５ー８５０１", "applicant_address-prefecture": "兵庫県",
    "applicant_address-city": "加古川市", "applicant_address-street": "加古川町北在家2000",
    "applicant_phone": "（079）421‐2000", "applicant_role": "self",
}


def test_a_section_normalises_kana_digits_and_keeps_kanji_as_typed(forms):
    page = _page(forms["juminhyo_utsushi"], "applicant", APPLICANT)
    assert page.validate({})
    values = page.values()
    assert values["applicant_family_name"] == "髙橋" and values["applicant_given_name"] == "﨑子"
    assert values["applicant_family_kana"] == "タカハシ" and values["applicant_given_kana"] == "サキコ"
    assert values["applicant_birth_date"] == "1985-04-01" and values["applicant_phone"] == "0794212000"
    assert values["applicant_address"]["postal_code"] == "6758501"


def test_errors_are_per_field_in_japanese_and_keep_what_was_typed(forms):
    data = APPLICANT | {"applicant_given_name": "", "applicant_family_kana": "Takahashi", "applicant_phone": "12"}
    page = _page(forms["juminhyo_utsushi"], "applicant", data)
    assert not page.validate({})
    messages = {e["field_id"]: e["message"] for e in page.summary()}
    assert messages["applicant_given_name"] == "名を入力してください。"
    assert "カタカナ" in messages["applicant_family_kana"]
    assert "市外局番から" in messages["applicant_phone"]
    assert page["applicant_family_kana"].raw == "Takahashi"


def test_show_if_on_the_same_page_decides_what_is_required(forms):
    form = forms["juminhyo_utsushi"]
    assert _page(form, "persons", {"whose": "self"}).validate({})
    page = _page(form, "persons", {"whose": "household_some"})
    assert not page.validate({})
    assert page.summary()[0] == {"field_id": "persons-0-family_name", "message": "1件目：姓を入力してください。"}


def test_answers_of_earlier_pages_hide_fields(forms):
    form = forms["juminhyo_utsushi"]
    data = {"householder_relation": "omit", "honseki": "omit", "style": "household_list", "copies": "1"}
    page = _page(form, "contents", data)
    assert not page.validate({"applicant_role": "self"})  # マイナンバー and 住民票コード are asked
    assert page.validate({"applicant_role": "proxy"})  # a proxy is not asked them
    cleaned = web_forms.clean_answers(form, {"applicant_role": "proxy", "mynumber": "include", "copies": 1, "x": 1})
    assert cleaned == {"applicant_role": "proxy", "copies": 1}


def test_number_limits(forms):
    form = forms["juminhyo_utsushi"]
    base = {"householder_relation": "omit", "honseki": "omit", "style": "household_list", "mynumber": "omit",
            "juminhyo_code": "omit"}
    for copies, words in (("0", "1通以上"), ("11", "10通以下"), ("two", "数字")):
        page = _page(form, "contents", base | {"copies": copies})
        assert not page.validate({"applicant_role": "self"})
        assert words in page["copies"].errors[0]
    page = _page(form, "contents", base | {"copies": "２"})
    assert page.validate({"applicant_role": "self"}) and page.values()["copies"] == 2


def test_stored_values_round_trip_through_the_page(forms):
    form = forms["juminhyo_utsushi"]
    page = _page(form, "applicant", APPLICANT)
    assert page.validate({})
    stored = {k: v for k, v in page.values().items() if v is not None}
    again = _page(form, "applicant", web_forms.to_formdata(form, "applicant", stored))
    assert again.validate({}) and {k: v for k, v in again.values().items() if v is not None} == stored
    defaults = web_forms.to_formdata(form, "contents", {})
    assert defaults["copies"] == "1" and defaults["style"] == "household_list"


def test_uploads_go_through_the_store_and_its_refusals_are_field_errors(forms):
    form = forms["juminhyo_utsushi"]

    def store(field_id, filename, data):
        if data.startswith(b"MZ"):
            raise AppError("file_type", "このファイルの形式は受け付けていません。")
        return SimpleNamespace(name="ab" * 16, kind="png", size=len(data), sha256="0" * 64, filename=filename)

    upload = SimpleNamespace(filename="a.png", read=lambda: b"\x89PNG....")
    data = {"principal_family_name": "加古川"}
    page = web_forms.section_form(form, "principal", MultiDict(data | {"proxy_letter": upload}), today=TODAY, store=store)
    page.store_uploads()
    assert page["proxy_letter"].keep == ["ab" * 16]
    page.resolve_files({"ab" * 16: store("proxy_letter", "a.png", b"x")})
    assert page.values()["proxy_letter"][0]["kind"] == "png"
    bad = SimpleNamespace(filename="a.exe", read=lambda: b"MZ....")
    page = web_forms.section_form(form, "principal", MultiDict(data | {"proxy_letter": bad}), today=TODAY, store=store)
    page.store_uploads()
    page.resolve_files({})
    page.validate({"applicant_role": "proxy"})
    assert "形式" in page["proxy_letter"].errors[0]


def test_condition_notes_and_display(forms):
    form = forms["juminhyo_utsushi"]
    note = web_forms.condition_note(form, form.fields["persons"], "persons", "ja")
    assert note == "「住民票に載せる人」で「世帯の一部の人」を選んだときに入力してください。"
    assert web_forms.condition_note(form, form.fields["mynumber"], "contents", "ja") is None  # asked earlier
    assert web_forms.display(form.fields["applicant_birth_date"], "1985-04-01", "ja") == ["1985年4月1日（昭和60年4月1日）"]
    assert web_forms.display(form.fields["copies"], 2, "ja") == ["2通"]
    assert web_forms.display(form.fields["whose"], "self", "ja") == ["本人だけ"]
    address = {"postal_code": "6758501", "prefecture": "兵庫県", "city": "加古川市", "street": "北在家2000", "building": "3F"}
    assert web_forms.display(form.fields["applicant_address"], address, "ja") == ["〒675-8501", "兵庫県加古川市北在家2000", "3F"]


def test_a_wareki_mistake_is_said_in_the_forms_language(forms):
    """An English form gets the era mistake in English (the message once came in Japanese only)."""
    data = APPLICANT | {"applicant_birth_date-era": "平成", "applicant_birth_date-year": "32"}
    for locale, words in (("en", "There is no 平成32年4月1日"), ("ja", "平成32年4月1日はありません。")):
        page = web_forms.section_form(forms["juminhyo_utsushi"], "applicant", MultiDict(data), locale=locale, today=TODAY)
        assert not page.validate({})
        said = {e["field_id"]: e["message"] for e in page.summary()}
        assert words in said["applicant_birth_date-era"], said
