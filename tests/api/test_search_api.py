"""GET /api/v1/search (guide/search_views.py): ranked results of every kind, names and refusals in
the asked language, the OpenAPI part, and which searches are counted as finding nothing."""
import datetime as dt

from sqlalchemy import select

from core.db import db
from guide.search_misses import SearchMiss


def misses(app) -> dict[str, int]:
    with app.app_context():
        return {m.words: m.count for m in db.session.scalars(select(SearchMiss))}


def test_results_are_ranked_with_id_name_score_url_and_kind(client):
    r = client.get("/api/v1/search", query_string={"q": "かりなんばー"})
    assert r.status_code == 200
    results = r.get_json()["results"]
    assert results[0] == {"id": "rinji_unko", "name": "自動車臨時運行許可申請", "score": 100,
                          "url": "/procedures/rinji_unko", "kind": "procedure"}
    assert results[1]["kind"] == "form" and results[1]["url"] == "/apply/rinji_unko"
    scores = [x["score"] for x in results]
    assert scores == sorted(scores, reverse=True)
    assert len(results) <= 10


def test_life_events_are_results_with_their_guide_link(client):
    results = client.get("/api/v1/search", query_string={"q": "おくやみ"}).get_json()["results"]
    assert results[0]["kind"] == "event" and results[0]["url"] == "/guide/death"
    assert client.get(results[0]["url"]).status_code == 200


def test_lang_gives_names_and_links_in_that_language(client):
    results = client.get("/api/v1/search", query_string={"q": "ハンコ", "lang": "en"}).get_json()["results"]
    assert results[0]["name"] == "Seal registration"
    assert results[0]["url"] == "/procedures/inkan_toroku?lang=en"


def test_empty_too_long_and_control_characters_are_refused_in_the_users_language(client):
    for q in ("", "   "):
        r = client.get("/api/v1/search", query_string={"q": q})
        assert r.status_code == 400
        assert r.get_json()["error"] == {"code": "invalid_query", "message": "検索する言葉を入力してください。",
                                         "fields": {"q": "検索する言葉を入力してください。"}}
    assert client.get("/api/v1/search").status_code == 400
    r = client.get("/api/v1/search", query_string={"q": "あ" * 101, "lang": "en"})
    assert r.status_code == 400
    assert r.get_json()["error"]["message"] == "Please enter at most 100 characters to search for."
    assert client.get("/api/v1/search", query_string={"q": "あ" * 100}).status_code == 200
    r = client.get("/api/v1/search", query_string={"q": "a\x01b", "lang": "en"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_query"

def test_a_nul_is_refused_before_the_view_in_the_users_language(app):
    from tests.conftest import fresh_client
    r = fresh_client(app).get("/api/v1/search?q=a%00b", headers={"Accept-Language": "en"})  # the input guard
    assert r.status_code == 400
    assert r.get_json()["error"]["message"].startswith("What was sent contains characters")
    r = fresh_client(app).get("/api/v1/search?q=a%00b", headers={"Accept-Language": "ja"})
    assert r.status_code == 400 and r.get_json()["error"]["message"].startswith("送られた内容に")


def test_a_search_without_a_good_result_is_counted_by_its_words_only(app, client):
    client.get("/api/v1/search", query_string={"q": "ＱＺＸ ｑｚｘ"})
    client.get("/api/v1/search", query_string={"q": "qzx  QZX"})
    client.get("/api/v1/search", query_string={"q": "住民票"})  # found: not counted
    assert misses(app) == {"qzx qzx": 2}


def test_suggestions_while_typing_are_never_counted(app, client):
    r = client.get("/api/v1/search", query_string={"q": "qzxq", "suggest": "1"})
    assert r.status_code == 200
    assert misses(app) == {}
    many = client.get("/api/v1/search", query_string={"q": "手続き", "suggest": "1"}).get_json()["results"]
    assert len(many) <= 6


def test_personal_data_is_never_counted(app, client):
    for q in ("090-1234-5678", "taro@example.jp", "1234 5678 9012", "０７９－４２１－２０００", "https://example.com/x"):
        client.get("/api/v1/search", query_string={"q": q})
    assert misses(app) == {}


def test_the_miss_is_counted_on_the_day_in_japan(app, client, clock):
    clock.move_to(dt.datetime(2026, 4, 1, 15, 30, tzinfo=dt.UTC))  # 00:30 on 2 April in Japan
    client.get("/api/v1/search", query_string={"q": "qzxqzx"})
    with app.app_context():
        assert db.session.scalars(select(SearchMiss.day)).one() == dt.date(2026, 4, 2)


def test_search_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/search"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"q", "lang", "suggest"}
    assert set(op["responses"]) >= {"200", "400"}
    item = doc["components"]["schemas"]["SearchResults"]["properties"]["results"]["items"]
    assert item["required"] == ["id", "name", "score", "url", "kind"]
