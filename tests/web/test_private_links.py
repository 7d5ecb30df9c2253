"""Secret links and personal pages: never cached, never in the access log; odd times and
signature headers are refused with 400, never a 500."""
import logging

from tests.conftest import fresh_client


def test_pages_with_personal_data_are_not_stored(client):
    for path in ("/apply/juminhyo_utsushi", "/apply/status/not-a-token", "/reserve/manage/not-a-token"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    assert client.get("/guide/").headers.get("Cache-Control") != "no-store"  # public pages may be cached


def test_the_access_log_has_route_patterns_not_tokens(app, caplog):
    client = fresh_client(app)
    secret = "SECRETTOKEN1234567890abcdef"
    with caplog.at_level(logging.INFO):
        client.get(f"/apply/status/{secret}")
        client.get(f"/reserve/manage/{secret}")
        client.get(f"/api/v1/applications/{secret}/signing")
    lines = [r for r in caplog.records if r.getMessage() == "request"]
    assert lines and all(secret not in str(r.__dict__) for r in caplog.records)
    assert {"/apply/status/<token>", "/reserve/manage/<token>"} <= {getattr(r, "path", "") for r in lines}


def test_impossible_times_are_bad_input(app):
    client = fresh_client(app)
    for start in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "1900-01-01T10:00:00+09:00"):
        r = client.post("/api/v1/reservations", json={"service_id": "tennyu", "site_id": "shiyakusho", "start": start,
                                                      "name": "加古川 太郎", "name_kana": "カコガワ タロウ",
                                                      "email": "t@example.jp", "phone": ""})
        assert r.status_code == 400, (start, r.status_code)
