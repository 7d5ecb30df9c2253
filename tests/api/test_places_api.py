"""The guidance API says where and when (place, fees, offices, closed days) in Japanese and English,
and its answers match the OpenAPI document's schema."""
import jsonschema_rs

BIRTH_SATURDAY = {"event": "birth", "event_date": "2026-12-05",
                  "members": [{"relation": "self", "age": 31}, {"relation": "spouse", "age": 30}]}
DEATH = {"event": "death", "event_date": "2026-04-01",
         "deceased": {"age": 80, "insurance": "kouki", "pension_recipient": True, "pension": "none"},
         "members": [{"relation": "spouse", "age": 78, "insurance": "kouki", "pension": "none"}]}


def evaluate(client, body):
    r = client.post("/api/v1/guide/evaluate", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def _response_schema(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/guide/evaluate"]["post"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return {**schema, "components": doc.get("components", {})}


def test_place_fees_and_online_on_every_procedure(client):
    body = evaluate(client, BIRTH_SATURDAY)
    for p in body["procedures"]:
        assert {"place", "fees", "fee_date", "online"} <= set(p)
        assert {"address", "hours", "phone", "map_url", "building", "floor", "window", "offsite",
                "verified"} <= set(p["place"])
    first = body["procedures"][0]
    assert first["place"]["address"].startswith("〒675-8501")
    assert first["fee_date"] == first["due_date"]


def test_closed_days_in_the_api(client):
    body = evaluate(client, BIRTH_SATURDAY)
    closed = body["closed_days"]
    assert closed["dates"][0] == {"date": "2026-12-05", "kind": "weekend", "of": "event_date"}
    night = next(c for c in closed["counters"] if c["counter_id"] == "shimin_yakan")
    assert "shussei_todoke" in night["procedures"] and night["floor"] == "1F"
    en = evaluate(client, {**BIRTH_SATURDAY, "locale": "en"})
    assert en["closed_days"]["counters"][0]["hours"].startswith("Weekends and holidays")


def test_offices_in_the_api_and_not_in_the_visit_plan(client):
    body = evaluate(client, DEATH)
    office_ids = [pid for o in body["offices"] for pid in o["procedures"]]
    assert "nenkin_mishikyu" in office_ids
    planned = [pid for v in body["visit_plan"] for pid in v["procedures"]]
    assert not set(planned) & set(office_ids)
    assert [p["id"] for p in body["procedures"]] == planned + office_ids


def test_bring_kinds_in_the_api(client):
    body = evaluate(client, DEATH)
    kinds = {c["id"]: c["kind"] for c in body["checklist"]}
    assert kinds.get("kaso_reservation") == "action" and kinds["id_document"] == "document"


def test_responses_match_the_openapi_schema(client):
    validator = jsonschema_rs.Draft202012Validator(_response_schema(client))
    for body in (BIRTH_SATURDAY, DEATH, {**DEATH, "locale": "en"}):
        errors = [str(e) for e in validator.iter_errors(evaluate(client, body))]
        assert errors == [], errors[:3]


def test_easy_japanese_words_for_the_closed_day_counters(client):
    body = evaluate(client, {**BIRTH_SATURDAY, "locale": "easy"})
    night = next(c for c in body["closed_days"]["counters"] if c["counter_id"] == "shimin_yakan")
    assert night["what"].startswith("戸籍（こせき）の とどけ") and "しやくしょ" in night["hours"]  # JSON: readings in brackets


def test_deadlines_after_an_event_at_the_end_of_2199_match_the_schema(client):
    """A due date (and the fee date, a closed day) in 2200 is still a date of the response."""
    validator = jsonschema_rs.Draft202012Validator(_response_schema(client))
    body = evaluate(client, {"event": "birth", "event_date": "2199-12-31"})
    assert any((p["due_date"] or "").startswith("2200") for p in body["procedures"])
    assert [str(e) for e in validator.iter_errors(body)] == []
