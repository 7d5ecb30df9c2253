"""Hostile input answers 400, never 500: JSON nested 100 000 deep or over a megabyte, NUL bytes
and lone surrogates in a JSON body, NUL in the query, a form field or the path — on the guide
API, the applications API, the reservations API and pages, and the staff audit search. The
answer is in the user's language: JSON under /api/, the error page elsewhere."""
from __future__ import annotations

import json

import pytest

from core.input_guard import MAX_JSON_BYTES, json_depth
from tests.api.reserving import booking_body, free_slot
from tests.conftest import csrf_from

DEEP = "[" * 100_000
HUGE = json.dumps({"event": "birth", "padding": "x" * (MAX_JSON_BYTES + 10)})
NUL_VALUE = '{"event": "birth", "locale": "ja", "note": "a\\u0000b"}'
SURROGATE_VALUE = '{"event": "birth", "note": "\\ud800"}'
SURROGATE_KEY = '{"\\udfff": 1}'
JA = "受け付けられない文字や形"
EN = "characters or structures"

JSON_ENDPOINTS = ["/api/v1/guide/evaluate", "/api/v1/applications", "/api/v1/reservations",
                  "/api/v1/reservations/manage/x/move"]
BODIES = {"deep": DEEP, "huge": HUGE, "nul": NUL_VALUE, "surrogate": SURROGATE_VALUE, "surrogate_key": SURROGATE_KEY}


def _refused_as_json(r, words=JA):
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    error = r.get_json()["error"]
    assert words in error["message"]


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_hostile_json_bodies_are_400_in_japanese(client, path, kind):
    _refused_as_json(client.post(path, data=BODIES[kind], content_type="application/json"))


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_the_refusal_follows_the_users_language(client, path):
    r = client.post(path, data=DEEP, content_type="application/json", headers={"Accept-Language": "en"})
    _refused_as_json(r, EN)


@pytest.mark.parametrize("path", ["/api/v1/reservations/availability?service_id=tenshutsu%00&site_id=shiyakusho",
                                  "/api/v1/applications/ab%00cd/status", "/api/v1/reservations/manage/t%00k",
                                  "/api/v1/procedures/x%00/form-schema", "/api/v1/guide/evaluate?lang=%00"])
def test_nul_in_the_query_or_path_of_an_api_is_400(client, path):
    r = client.post(path, json={"event": "birth"}) if "evaluate" in path else client.get(path)
    _refused_as_json(r)


def test_nul_in_an_upload_form_field_is_400(client):
    import io
    r = client.post("/api/v1/uploads", data={"procedure_id": "honnin_tsuchi", "field_id": "a\x00b",
                                             "file": (io.BytesIO(b"%PDF-1.4"), "plan.pdf")},
                    content_type="multipart/form-data")
    _refused_as_json(r)


def test_ordinary_json_still_reaches_the_views(client):
    r = client.post("/api/v1/guide/evaluate", json={"event": "birth", "facts": {}, "x": "改行\nと「[ ] { }」"})
    assert r.get_json().get("error", {}).get("code") != "bad_request"  # the guard let it through
    r = client.post("/api/v1/guide/evaluate", data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_json"  # the view's own answer


@pytest.mark.parametrize("path", ["/reserve?x=%00", "/reserve/tenshutsu%00", "/reserve/manage/t%00k",
                                  "/apply/status/ab%00cd", "/guide/?q=%00"])
def test_nul_in_a_page_address_gets_the_error_page(client, path):
    r = client.get(path)
    assert r.status_code == 400
    assert "入力内容を読み取れませんでした" in r.get_data(as_text=True)
    r = client.get(path, headers={"Accept-Language": "en"})
    assert r.status_code == 400 and "<html lang=\"en\"" in r.get_data(as_text=True)


def test_nul_in_a_booking_form_field_gets_the_error_page(app):
    slot = free_slot(app)
    client = app.test_client()
    body = booking_body(slot)
    r = client.post("/api/v1/reservations", json=body)  # a real booking path: the pages then refuse a NUL name
    assert r.status_code == 201, r.get_data(as_text=True)
    day = slot.start.date().isoformat()
    page = client.get(f"/reserve/tenshutsu/shiyakusho/{day}")
    assert page.status_code == 200
    r = client.post(f"/reserve/tenshutsu/shiyakusho/{day}",
                    data={"csrf_token": csrf_from(page.get_data(as_text=True)), "start": "x\x00"})
    assert r.status_code == 400 and "入力内容を読み取れませんでした" in r.get_data(as_text=True)


@pytest.mark.parametrize("query", ["actor=a%00b", "target=%00", "from=2026-01-01%00", "page=%00",
                                   "a%00=1", "actor=%ED%A0%80", "page=abc"])
def test_the_staff_audit_search_never_500s(staff_client, query):
    client = staff_client("auditor")
    r = client.get(f"/staff/audit/?{query}")
    assert r.status_code in (200, 400), r.status_code
    if "%00" in query:
        assert r.status_code == 400


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[[["}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(DEEP.encode()) == 100_000
