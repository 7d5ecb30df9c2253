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
