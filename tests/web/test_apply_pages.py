"""Section pages of an online application: errors in Japanese that lose nothing, カナ, 和暦,
files, repeat rows, the postcode button, conditional fields, the list of online procedures."""
from __future__ import annotations

import io
import re

import pytest
from markupsafe import escape

from knowledge.loader import load_pack
from tests.web.apply_helpers import (
    APPLICANT,
    PNG,
    app_id_of,
    forms_of,
    page_csrf,
    path_of,
    post_section,
    section_inputs,
    start,
    walk,
)


def _values(app, app_id):
    from core.db import db
    from intake import applications
    from intake.models import Application
    with app.app_context():
        return applications.values(db.session.get(Application, app_id))


def test_missing_required_field_keeps_everything_else(client):
    first = start(client, "juminhyo_utsushi")
    data = dict(APPLICANT)
    del data["applicant_given_name"]
    r = post_section(client, first, data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "エラー：" in html.split("</title>")[0]
    assert 'class="error-summary"' in html and '<a href="#applicant_given_name">名を入力してください。</a>' in html
    for kept in ('value="加古川"', 'value="かこがわ"', 'value="1985"', 'value="675-8501"', 'value="加古川町北在家2000"',
                 'value="079-421-2000"'):
        assert kept in html, kept
    assert 'value="self" checked' in html


def test_kana_is_normalised_and_non_kana_is_refused(app, client):
    first = start(client, "juminhyo_utsushi")
    r = post_section(client, first, APPLICANT | {"applicant_family_kana": "加古川"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "姓（フリガナ）はカタカナで入力してください" in html
    assert 'value="加古川"' in html
    r = post_section(client, first, APPLICANT)
    assert r.status_code == 302
    values = _values(app, app_id_of(first))
    assert values["applicant_family_kana"] == "カコガワ" and values["applicant_given_kana"] == "ハナコ"
    assert values["applicant_family_name"] == "加古川"  # kanji as typed
    assert values["applicant_phone"] == "0794212000" and values["applicant_address"]["postal_code"] == "6758501"


def test_wareki_birth_dates_are_accepted(app, client):
    first = start(client, "juminhyo_utsushi")
    chosen = {"applicant_birth_date-era": "令和", "applicant_birth_date-year": "5",
              "applicant_birth_date-month": "4", "applicant_birth_date-day": "1"}
    assert post_section(client, first, APPLICANT | chosen).status_code == 302
    assert _values(app, app_id_of(first))["applicant_birth_date"] == "2023-04-01"
    typed = {"applicant_birth_date-era": "seireki", "applicant_birth_date-year": "令和5年4月1日",
             "applicant_birth_date-month": "", "applicant_birth_date-day": ""}
    assert post_section(client, first, APPLICANT | typed).status_code == 302
    assert _values(app, app_id_of(first))["applicant_birth_date"] == "2023-04-01"
    showa = {"applicant_birth_date-year": "S60", "applicant_birth_date-month": "4", "applicant_birth_date-day": "1"}
    assert post_section(client, first, APPLICANT | showa).status_code == 302
    assert _values(app, app_id_of(first))["applicant_birth_date"] == "1985-04-01"


def test_impossible_wareki_dates_name_the_right_era(client):
    first = start(client, "juminhyo_utsushi")
    bad = {"applicant_birth_date-era": "平成", "applicant_birth_date-year": "31",
           "applicant_birth_date-month": "5", "applicant_birth_date-day": "1"}
    r = post_section(client, first, APPLICANT | bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "令和" in html and "平成31年5月1日はありません" in html
    future = {"applicant_birth_date-year": "2999", "applicant_birth_date-month": "1", "applicant_birth_date-day": "1"}
    assert "以前の日付にしてください" in post_section(client, first, APPLICANT | future).get_data(as_text=True)


def _to_principal(client):
    """A proxy's 住民票 request: the 委任状 page (a file field) comes second."""
    first = start(client, "juminhyo_utsushi")
    r = post_section(client, first, APPLICANT | {"applicant_role": "proxy"})
    assert r.status_code == 302 and r.location.endswith("/principal")
    return first, path_of(r.location)


def _principal_inputs(form):
    data = section_inputs(form, "principal")
    data.pop("proxy_letter")
    return data


def test_file_of_the_wrong_type_is_refused_and_a_good_one_is_kept(app, client):
    form = forms_of()["juminhyo_utsushi"]
    first, principal = _to_principal(client)
    r = post_section(client, principal, _principal_inputs(form) | {
        "proxy_letter": (io.BytesIO(b"MZ\x90\x00 not a picture"), "letter.exe")})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "このファイルの形式は受け付けていません" in html
    assert 'value="テスト"' in html  # the rest stays
    # a good file with another field missing: the file is kept on the page
    data = _principal_inputs(form) | {"proxy_letter": (io.BytesIO(PNG), "委任状.png")}
    del data["principal_given_name"]
    r = post_section(client, principal, data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "委任状.png" in html
    keep = re.search(r'name="proxy_letter-keep" value="([0-9a-f]+)"', html).group(1)
    r = post_section(client, principal, _principal_inputs(form) | {"proxy_letter-keep": keep})
    assert r.status_code == 302
    stored = _values(app, app_id_of(first))["proxy_letter"]
    assert stored[0]["name"] == keep and stored[0]["kind"] == "png"
    # 外す: the page comes back without it
    r = post_section(client, principal, _principal_inputs(form) | {"proxy_letter-keep": keep},
                     action=f"unfile:proxy_letter:{keep}")
    assert r.status_code == 200 and "委任状.png" not in r.get_data(as_text=True)


def test_page_uploads_are_capped_per_application_and_bound_to_it(app, client):
    """Files chosen on an application's pages belong to that application: its caps count them,
    and another application's page cannot keep them by name."""
    form = forms_of()["juminhyo_utsushi"]
    _first, principal = _to_principal(client)
    app.config["UPLOAD_FILES_PER_DRAFT"] = 1
    try:
        data = _principal_inputs(form) | {"proxy_letter": (io.BytesIO(PNG), "委任状.png")}
        del data["principal_given_name"]
        html = post_section(client, principal, data).get_data(as_text=True)
        keep = re.search(r'name="proxy_letter-keep" value="([0-9a-f]+)"', html).group(1)
        r = post_section(client, principal, _principal_inputs(form) | {
            "proxy_letter-keep": keep, "proxy_letter": (io.BytesIO(PNG), "二通目.png")})
        assert r.status_code == 400 and "ひとつの申請に付けられるファイルは1件までです" in r.get_data(as_text=True)
    finally:
        app.config["UPLOAD_FILES_PER_DRAFT"] = 20
    _, other_principal = _to_principal(client)
    r = post_section(client, other_principal, _principal_inputs(form) | {"proxy_letter-keep": keep})
    assert r.status_code == 400 and "委任状.png" not in r.get_data(as_text=True)


def test_a_required_file_missing_is_an_error(client):
    form = forms_of()["juminhyo_utsushi"]
    _first, principal = _to_principal(client)
    r = post_section(client, principal, _principal_inputs(form))
    assert r.status_code == 400 and "委任状のファイルを選んでください" in r.get_data(as_text=True)


def test_hidden_sections_and_values_are_dropped(app, client):
    form = forms_of()["juminhyo_utsushi"]
    first, principal = _to_principal(client)
    r = post_section(client, principal, _principal_inputs(form) | {"proxy_letter": (io.BytesIO(PNG), "a.png")})
    assert r.status_code == 302
    assert "principal_family_name" in _values(app, app_id_of(first))
    r = post_section(client, first, APPLICANT | {"applicant_role": "self"})
    assert r.location.endswith("/persons")  # the 委任者 page is skipped now
    values = _values(app, app_id_of(first))
    assert "principal_family_name" not in values and "proxy_letter" not in values


def test_repeat_rows_add_and_remove_and_conditional_required(app, client):
    first = start(client, "juminhyo_utsushi")
    r = post_section(client, first, APPLICANT)
    persons = path_of(r.location)
    html, _token = page_csrf(client, persons)
    assert "「住民票に載せる人」で「世帯の一部の人」を選んだときに入力してください。" in html
    # the names are required only for 世帯の一部の人
    r = post_section(client, persons, {"whose": "household_some"})
    assert r.status_code == 400 and "1件目：姓を入力してください。" in r.get_data(as_text=True)
    rows = {"whose": "household_some", "persons-0-family_name": "加古川", "persons-0-given_name": "一郎"}
    r = post_section(client, persons, rows, action="add:persons")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="persons-1-family_name"' in html and 'value="一郎"' in html
    rows |= {"persons-1-family_name": "加古川", "persons-1-given_name": "二郎"}
    r = post_section(client, persons, rows, action="remove:persons:0")
    html = r.get_data(as_text=True)
    assert 'value="一郎"' not in html and 'value="二郎"' in html
    r = post_section(client, persons, rows)
    assert r.status_code == 302
    assert _values(app, app_id_of(first))["persons"] == [
        {"family_name": "加古川", "given_name": "一郎"}, {"family_name": "加古川", "given_name": "二郎"}]
    r = post_section(client, persons, rows | {"whose": "self"})
    assert "persons" not in _values(app, app_id_of(first))  # hidden now: dropped


def test_postcode_button_fills_only_empty_boxes_without_javascript(client):
    first = start(client, "juminhyo_utsushi")
    data = {"applicant_address-postal_code": "〒６７５－００６６", "applicant_address-city": "自分で書いた市"}
    r = post_section(client, first, data, action="postcode:applicant_address")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'class="error-summary"' not in html
    assert '<option value="兵庫県" selected>' in html
    assert 'value="加古川町寺家町"' in html and 'value="自分で書いた市"' in html
    r = post_section(client, first, {"applicant_address-postal_code": "0000000"}, action="postcode:applicant_address")
    assert "この郵便番号の住所が見つかりませんでした" in r.get_data(as_text=True)


def test_postcode_api(client):
    r = client.get("/api/v1/postcodes/6758501")
    assert r.status_code == 200 and r.get_json() == {"prefecture": "兵庫県", "city": "加古川市", "town": "加古川町北在家"}
    assert client.get("/api/v1/postcodes/0000000").status_code == 404
    assert client.get("/api/v1/postcodes/675").status_code == 404


def test_start_page_explains_and_asks_for_an_email(client):
    html = client.get("/apply/juminhyo_utsushi").get_data(as_text=True)
    assert "マイナンバーカード" in html and "6〜16" in html and "300円" in html
    assert "委任状" in html
    _html, token = page_csrf(client, "/apply/juminhyo_utsushi")
    r = client.post("/apply/juminhyo_utsushi", data={"email": "not-an-address", "csrf_token": token})
    assert r.status_code == 400 and "メールアドレスを正しく入力してください" in r.get_data(as_text=True)
    assert 'value="not-an-address"' in r.get_data(as_text=True)
    after_review = client.get("/apply/joseki_tohon").get_data(as_text=True)
    assert "金額は審査のあとでお知らせします" in after_review


def test_procedures_not_online_keep_the_counter_page_and_unknown_ones_404(client):
    html = client.get("/apply/tennyu_todoke").get_data(as_text=True)
    assert "オンラインでは申請できません" in html and "窓口" in html
    assert client.get("/apply/no_such_procedure").status_code == 404


def test_the_list_of_online_procedures_with_search(client):
    html = client.get("/apply").get_data(as_text=True)
    online = [p for p in load_pack("kakogawa").procedures.values() if p.online]
    assert len(online) >= 42 and html.count('class="card"') == len(online)
    found = client.get("/apply?q=住民票").get_data(as_text=True)
    assert "住民票の写し" in found and "建築" not in found
    assert "見つかりませんでした" in client.get("/apply?q=zzzzqqq").get_data(as_text=True)


def test_review_before_all_sections_are_done_goes_back_with_errors(client):
    first = start(client, "juminhyo_utsushi")
    app_id = app_id_of(first)
    _html, token = page_csrf(client, f"/apply/d/{app_id}/review")
    r = client.post(f"/apply/d/{app_id}/review", data={"csrf_token": token})
    assert r.status_code == 302 and "/applicant?check=1" in r.location
    assert 'class="error-summary"' in client.get(path_of(r.location)).get_data(as_text=True)


def test_big_bodies_are_refused_outside_section_pages(client):
    r = client.post("/apply/juminhyo_utsushi", data={"email": "a@b.jp", "pad": "x" * (2 * 1024 * 1024)})
    assert r.status_code == 413


KURASHI_FORMS = ("inu_toroku", "inu_henko", "inu_shibo_or_owner", "gentsuki_toroku", "gentsuki_haisha",
                 "kotei_shisan_sozokunin", "nozei_kanrinin", "sodai_gomi", "risai_shomei", "juminhyo_kisai_shomei")


@pytest.mark.parametrize("pid", KURASHI_FORMS)
def test_the_kurashi_forms_open_in_every_language_and_walk_to_their_review(client, pid):
    """Issue 15's くらし・税 forms: the start page in the seven languages, then every section with
    valid inputs up to the review page (a fee only where the pack has one: 犬の登録 3,000円)."""
    form = forms_of()[pid]
    review = walk(client, form, start(client, pid), {"chassis_number": "AF68-1234567"})
    html = client.get(review).get_data(as_text=True)
    assert form.title.get("ja") in html
    assert ("3,000円" in html) is (pid == "inu_toroku")
    for lang in ("easy", "en", "zh", "ko", "vi", "pt", "ja"):
        page = client.get(f"/apply/{pid}?lang={lang}")
        assert page.status_code == 200 and str(escape(form.procedure.name.get(lang))) in page.get_data(as_text=True), lang
