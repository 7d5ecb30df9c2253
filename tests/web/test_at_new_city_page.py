"""The result page shows what is done at the new municipality after a move out (issue 10), apart
from the visits at Kakogawa's counters, in Japanese and English."""


def _page(client, lang=""):
    url = ("/guide/divorce/result?date=2026-04-01&n=2&m0.relation=self&m0.age=36&m0.insurance=kokuho"
           "&m1.relation=child&m1.age=6&f.move=out_of_city&f.insurance_after=kokuho"
           "&f.child_allowance_recipient=other_parent" + lang)
    r = client.get(url)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_result_page_lists_the_new_city_apart_from_the_visits(client):
    html = _page(client)
    assert "引越し先の市区町村でする手続き" in html
    visits, new_city = html.split('id="new-city-title"')
    new_city = new_city.split('id="qr-title"')[0]
    assert "転入届" in new_city and "国民健康保険の加入" in new_city and "児童手当 認定請求" in new_city
    assert "国民健康保険の加入" not in visits  # not at a Kakogawa counter
    assert "転出届" in visits


def test_result_page_new_city_in_english(client):
    html = _page(client, "&lang=en")
    assert "Procedures at your new municipality" in html


def test_no_new_city_section_without_a_move_out(client):
    r = client.get("/guide/divorce/result?date=2026-04-01&n=1&m0.relation=self&f.move=within")
    assert r.status_code == 200 and 'id="new-city-title"' not in r.get_data(as_text=True)


# --- the questionnaire asks the new questions where they matter (walked as a browser does) ---
from tests.web.test_additions_questionnaire import DATE, walk  # noqa: E402


def test_divorce_asks_the_move_date_who_receives_the_allowance_and_the_former_dependants(client):
    people = {"n": "2", "m0.relation": "self", "m0.age": "35", "m0.insurance": "shaho", "m1.relation": "child",
              "m1.age": "7", "m1.insurance": "shaho"}
    answers = {**DATE, **people, "f.move": "within", "f.move_date-year": "2026", "f.move_date-month": "4",
               "f.move_date-day": "25", "f.child_allowance_recipient": "other_parent",
               "f.insured_through_ex_spouse": "yes", "f.insurance_after": "kokuho"}
    result, visited, _ = walk(client, "divorce", answers)
    for q in ("move_date", "child_allowance_recipient", "insured_through_ex_spouse"):
        assert f"/guide/divorce/q-{q}" in visited
    assert "児童手当 認定請求" in result and "国民健康保険の加入" in result
    assert "2026年5月11日" in result  # 転居届: 4/25 + 14 = 5/9 (土) → 5/11


def test_marriage_asks_the_partners_nationality_and_no_move_date_without_a_move(client):
    answers = {**DATE, "n": "1", "m0.relation": "self", "m0.age": "30", "f.move": "none",
               "f.partner_nationality": "foreign"}
    result, visited, _ = walk(client, "marriage", answers)
    assert "/guide/marriage/q-partner_nationality" in visited and "/guide/marriage/q-move_date" not in visited
    assert "婚姻要件具備証明書" in result


def test_moving_abroad_asks_about_the_pension_and_the_residents_tax(client):
    people = {"n": "1", "m0.relation": "self", "m0.age": "40", "m0.nationality": "japanese"}
    result, visited, _ = walk(client, "moving_out", {**DATE, **people, "f.to_abroad": "yes",
                                                     "f.pension_voluntary": "yes", "f.resident_tax_due": "yes"})
    assert {"/guide/moving_out/q-pension_voluntary", "/guide/moving_out/q-resident_tax_due"} <= set(visited)
    assert "国民年金の任意加入" in result and "納税管理人の申告" in result
    domestic, visited, _ = walk(client, "moving_out", {**DATE, **people, "f.to_abroad": "no"})
    assert "/guide/moving_out/q-pension_voluntary" not in visited and "納税管理人" not in domestic
