"""The guidance API's safety net: warnings[] in the request's locale, ignored_facts, overdue
flags against as_of (or today in Japan), and no 5xx for odd dates."""
import datetime as dt

from core.japan_time import today_in_japan


def evaluate(client, body):
    r = client.post("/api/v1/guide/evaluate", json=body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def codes(body):
    return [w["code"] for w in body["warnings"]]


def test_past_due_dates_are_flagged_against_as_of(client):
    body = evaluate(client, {"event": "death", "event_date": "2026-04-01", "as_of": "2026-04-20",
                             "deceased": {"age": 80, "insurance": "kouki"}})
    shibo = next(p for p in body["procedures"] if p["id"] == "shibo_todoke")
    assert shibo["due_date"] == "2026-04-07" and shibo["overdue"] is True
    assert shibo["deadline_notes"][0] == "期限を過ぎています。早めに手続きしてください。"
    assert body["as_of"] == "2026-04-20" and "due_date_past" in codes(body)
    late = next(w for w in body["warnings"] if w["code"] == "due_date_past")
    assert "procedures[shibo_todoke].due_date" in late["fields"]
    early = evaluate(client, {"event": "death", "event_date": "2026-04-01", "as_of": "2026-04-02",
                              "deceased": {"age": 80, "insurance": "kouki"}})
    assert not any(p["overdue"] for p in early["procedures"]) and early["warnings"] == []


def test_without_as_of_today_in_japan_is_used(client):
    long_ago = (today_in_japan() - dt.timedelta(days=60)).isoformat()
    body = evaluate(client, {"event": "death", "event_date": long_ago, "deceased": {"age": 80}})
    assert body["as_of"] == today_in_japan().isoformat()
    assert next(p for p in body["procedures"] if p["id"] == "shibo_todoke")["overdue"] is True


def test_the_cache_keeps_days_apart(client):
    req = {"event": "death", "event_date": "2026-04-01", "deceased": {"age": 80}}
    first = evaluate(client, {**req, "as_of": "2026-04-02"})
    second = evaluate(client, {**req, "as_of": "2026-05-02"})
    assert codes(first) == [] and codes(second) == ["due_date_past"]


def test_warnings_come_in_the_request_locale(client):
    bride = {"event": "marriage", "event_date": "2026-04-01", "as_of": "2026-04-01",
             "facts": {"move": "none"}, "members": [{"relation": "self", "age": 16}]}
    ja = evaluate(client, bride)["warnings"]
    en = evaluate(client, {**bride, "locale": "en"})["warnings"]
    easy = evaluate(client, {**bride, "locale": "easy"})["warnings"]
    assert [w["code"] for w in ja] == ["under_marriage_age"] and ja[0]["fields"] == ["members[0].age"]
    assert "18歳" in ja[0]["message"] and "18" in en[0]["message"] and "Civil Code" in en[0]["message"]
    assert "けっこん" in easy[0]["message"]


def test_implausible_dates_warn_and_never_fail(client):
    far = evaluate(client, {"event": "moving_in", "event_date": "2150-01-01", "as_of": "2026-04-01"})
    assert codes(far) == ["date_far_future"] and far["warnings"][0]["fields"] == ["event_date"]
    old = evaluate(client, {"event": "moving_in", "event_date": "1990-01-01", "as_of": "2026-04-01"})
    assert "date_far_past" in codes(old)
    unborn = evaluate(client, {"event": "birth", "event_date": "2026-05-01", "as_of": "2026-04-01"})
    assert codes(unborn) == ["event_date_in_future"]
    bad = client.post("/api/v1/guide/evaluate", json={"event": "birth", "as_of": "2026-13-01"})
    assert bad.status_code == 400 and "as_of" in bad.get_json()["error"]["fields"]


def test_contradicting_answers_are_named_with_their_fields(client):
    body = evaluate(client, {"event": "death", "event_date": "2026-04-01", "as_of": "2026-04-01",
                             "deceased": {"age": 50, "insurance": "kouki"},
                             "members": [{"relation": "self", "age": 40},
                                         {"relation": "spouse", "age": 61, "pension": "third"},
                                         {"relation": "child", "age": 45},
                                         {"relation": "child", "age": 10, "care_certified": True}]})
    by_code = {w["code"]: w["fields"] for w in body["warnings"]}
    assert by_code["kouki_under_65"] == ["deceased.insurance", "deceased.age"]
    assert by_code["pension_third_age"] == ["members[1].pension", "members[1].age"]
    assert by_code["child_not_younger"] == ["members[2].age"]
    assert "kouki_soshitsu" not in {p["id"] for p in body["procedures"]}
    moving = evaluate(client, {"event": "moving_in", "event_date": "2026-04-01", "as_of": "2026-04-01",
                               "facts": {"from_abroad": True, "special_moveout": True},
                               "members": [{"relation": "self", "age": 30, "care_certified": True}]})
    assert {"abroad_with_special_moveout", "care_under_40"} <= set(codes(moving))


def test_facts_that_do_not_belong_to_the_event_are_ignored_and_listed(client):
    base = {"event": "birth", "event_date": "2026-04-01", "as_of": "2026-04-01", "facts": {"first_child": True},
            "members": [{"relation": "self", "insurance": "kokuho"}]}
    plain = evaluate(client, base)
    odd = evaluate(client, {**base, "facts": {"first_child": True, "dog": True}, "deceased": {"age": 80},
                            "members": [{"relation": "self", "insurance": "kokuho", "school": "elementary"}]})
    assert sorted(odd["ignored_facts"]) == ["deceased.age", "facts.dog", "members[0].school"]
    assert codes(odd) == ["ignored_facts"] and odd["warnings"][0]["fields"] == odd["ignored_facts"]
    assert [p["id"] for p in odd["procedures"]] == [p["id"] for p in plain["procedures"]]
    assert plain["ignored_facts"] == [] and plain["warnings"] == []


def test_openapi_documents_the_new_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "as_of" in doc["EvaluateRequest"]["properties"]
    resp = doc["EvaluateResponse"]
    assert {"warnings", "ignored_facts"} <= set(resp["required"])
    assert "overdue" in resp["properties"]["procedures"]["items"]["properties"]
