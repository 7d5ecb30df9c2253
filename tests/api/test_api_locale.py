"""One locale choice for every API (docs/api-conventions.md): the body's ``locale``, then
``?lang=``, then the ``lang`` cookie, then Accept-Language, then Japanese. Each step is shown to
win over every later one, on three APIs (guidance, reservations, online applications), through
the message of a refusal and of its fields."""
from __future__ import annotations

import pytest

from tests.conftest import fresh_client

JA, EN = "入力内容を確認してください。", "Check the request."

# (path, a body refused with "invalid request", its field whose message must follow the choice)
APIS = {
    "guide": ("/api/v1/guide/evaluate", {"event": "no_such_event"}, None),
    "reservations": ("/api/v1/reservations", {"service_id": "no_such_service"}, ("service_id", "この手続きは予約できません。",
                                                                                  "No such service.")),
    "applications": ("/api/v1/applications", {"procedure_id": "no_such_procedure"},
                     ("procedure_id", "オンラインで申請できる手続きを指定してください。",
                      "Give a procedure that can be applied for online.")),
}


def _ask(app, api: str, *, body_locale=None, lang=None, cookie=None, accept=None):
    path, body, _field = APIS[api]
    client = fresh_client(app)
    if cookie:
        client.set_cookie("lang", cookie)
    if body_locale:
        body = {**body, "locale": body_locale}
    query = f"?lang={lang}" if lang else ""
    headers = {"Accept-Language": accept} if accept else {}
    r = client.post(path + query, json=body, headers=headers)
    assert r.status_code == 400, r.get_data(as_text=True)
    return r.get_json()["error"]


def _is(error: dict, api: str, locale: str) -> None:
    assert error["message"] == (EN if locale == "en" else JA)
    field = APIS[api][2]
    if field is not None:
        name, ja, en = field
        assert error["fields"][name] == (en if locale == "en" else ja)


@pytest.mark.parametrize("api", sorted(APIS))
def test_the_body_locale_comes_first(app, api):
    _is(_ask(app, api, body_locale="en", lang="ja", cookie="ja", accept="ja"), api, "en")
    _is(_ask(app, api, body_locale="ja", lang="en", cookie="en", accept="en"), api, "ja")


@pytest.mark.parametrize("api", sorted(APIS))
def test_then_the_lang_parameter(app, api):
    _is(_ask(app, api, lang="en", cookie="ja", accept="ja"), api, "en")
    _is(_ask(app, api, lang="ja", cookie="en", accept="en"), api, "ja")


@pytest.mark.parametrize("api", sorted(APIS))
def test_then_the_cookie(app, api):
    _is(_ask(app, api, cookie="en", accept="ja"), api, "en")
    _is(_ask(app, api, cookie="ja", accept="en"), api, "ja")


@pytest.mark.parametrize("api", sorted(APIS))
def test_then_accept_language_then_japanese(app, api):
    _is(_ask(app, api, accept="en-GB,en;q=0.9"), api, "en")
    _is(_ask(app, api), api, "ja")


@pytest.mark.parametrize("api", sorted(APIS))
def test_values_of_no_language_we_speak_are_passed_over(app, api):
    _is(_ask(app, api, body_locale="fr", lang="de", cookie="es", accept="en"), api, "en")


def test_a_get_api_follows_the_same_choice(app):
    """GETs have no body: ?lang= (kept in the cookie), the cookie, Accept-Language decide."""
    client = fresh_client(app)
    assert client.get("/api/v1/procedures/no_such").get_json()["error"] == {
        "code": "not_found", "message": "その手続きは見つかりません。"}
    assert client.get("/api/v1/procedures/no_such?lang=en").get_json()["error"]["message"] == "No such procedure."
    assert client.get("/api/v1/procedures/no_such").get_json()["error"]["message"] == "No such procedure."  # cookie
    services = fresh_client(app).get("/api/v1/reservations/services",
                                     headers={"Accept-Language": "en"}).get_json()["services"]
    assert services[0]["name"].startswith("Moving")  # the reservations API once read ?lang= only


BAD_BODIES = [
    {"event": "moving_in", "event_date": "2026-13-01"},
    {"event": "moving_in", "event_date": "2026-04-01", "members": [{"relation": "self", "age": "forty"}]},
    {"event": "no_such_event"},
    {"event": ["moving_in"]},  # not a string: once a TypeError (500)
    {"event": {"a": 1}},
]


@pytest.mark.parametrize("locale", ["ja", "easy", "en", "zh", "ko", "vi", "pt"])
@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_bad_request_is_refused_in_every_language_never_a_500(client, locale, body):
    response = client.post("/api/v1/guide/evaluate", json={**body, "locale": locale})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and error["fields"]


# a field's message from rules/request.py, in every language the site speaks (the Babel catalogs)
FIELD_WORDS = {
    "ja": "日付は 2026-04-01 の形で入力してください。",
    "easy": "ひづけは 2026-04-01 の かたちで いれて ください。",
    "en": "Give the date as YYYY-MM-DD, e.g. 2026-04-01.",
    "zh": "请按 2026-04-01 的格式输入日期。",
    "ko": "날짜는 2026-04-01 형식으로 입력하십시오.",
    "vi": "Vui lòng nhập ngày theo dạng YYYY-MM-DD, ví dụ 2026-04-01.",
    "pt": "Informe a data no formato AAAA-MM-DD, por exemplo 2026-04-01.",
}


@pytest.mark.parametrize("locale", sorted(FIELD_WORDS))
def test_a_fields_message_is_in_the_requested_language_not_only_ja_or_en(client, locale):
    response = client.post("/api/v1/guide/evaluate",
                           json={"event": "moving_in", "event_date": "2026-13-01", "locale": locale})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["event_date"] == FIELD_WORDS[locale]


@pytest.mark.parametrize("locale", ["ja", "easy", "en", "zh", "ko", "vi", "pt"])
def test_a_numbers_range_and_a_list_of_choices_keep_their_values_in_every_language(client, locale):
    fields = client.post("/api/v1/guide/evaluate", json={
        "event": "moving_in", "locale": locale, "members": [{"relation": "cousin", "age": 1000}],
    }).get_json()["error"]["fields"]
    assert "0" in fields["members[0].age"] and "130" in fields["members[0].age"]  # the vocabulary's range
    assert "self, spouse, child, parent, other, unknown" in fields["members[0].relation"]
    assert len({fields["members[0].age"], fields["members[0].relation"]}) == 2


# a warning of rules/answer_checks.py (a date more than 5 years back), in every language
WARNING_WORDS = {
    "ja": "日付が5年以上前です。",
    "easy": "ひづけが 5ねんいじょう まえです。",
    "en": "The date is more than 5 years ago.",
    "zh": "该日期在5年以前。",
    "ko": "날짜가 5년 이상 전입니다.",
    "vi": "Ngày này cách đây hơn 5 năm.",
    "pt": "A data é de mais de 5 anos atrás.",
}


@pytest.mark.parametrize("locale", sorted(WARNING_WORDS))
def test_an_answer_check_warning_is_in_the_requested_language(client, locale):
    response = client.post("/api/v1/guide/evaluate", json={
        "event": "moving_in", "event_date": "2001-04-01", "as_of": "2026-12-02", "locale": locale})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    warnings = {w["code"]: w["message"] for w in response.get_json()["warnings"]}
    assert warnings["date_far_past"].startswith(WARNING_WORDS[locale])
