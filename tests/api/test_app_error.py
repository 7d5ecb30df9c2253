"""The one error family (core.errors.AppError): the JSON body on /api/ paths, the error page
elsewhere, messages read in the request's language when the answer is written, and the
services' refusals as members of the family with their codes and statuses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import AppError, refusal_response
from core.i18n import force_locale
from intake.applications import ApplicationError
from intake.payments.provider import ProviderError
from reservations.booking import BookingError, SlotFull, rule_error
from reservations.frontdesk import FrontDeskError
from reservations.overrides import OverrideError
from reservations.queue import QueueError
from staff.accounts import AccountProblem
from staff.correction_phrases import PhraseError


def _refused():
    return AppError("invalid_request", _l("入力内容を確認してください。"), 400,
                    {"on": _l("日付は 2026-04-01 の形で指定してください。")})


def test_the_message_is_read_when_the_answer_is_written(app):
    exc = _refused()  # made once, outside any request
    assert exc.text() == "入力内容を確認してください。" and str(exc) == "invalid_request"
    with app.test_request_context("/api/v1/x?lang=en"):
        assert exc.body() == {"error": {"code": "invalid_request", "message": "Check the request.",
                                        "fields": {"on": "Give the date as YYYY-MM-DD, e.g. 2026-04-01."}}}
    with app.test_request_context("/api/v1/x"):
        assert exc.body()["error"]["fields"] == {"on": "日付は 2026-04-01 の形で指定してください。"}
        assert exc.text_in("en") == "Check the request." and exc.text() == "入力内容を確認してください。"


def test_api_paths_get_the_json_body_with_status_headers_and_extra_members(app):
    exc = AppError("payment_required", _l("手数料を支払ってから送ってください。"), 402,
                   headers={"X-Test": "1"}, extra={"payment_url": "https://pay.example/1"})
    with app.test_request_context("/api/v1/applications/1/submit", headers={"Accept-Language": "en"}):
        body, status, headers = refusal_response(exc)
        assert status == 402 and headers == {"X-Test": "1"}
        assert body.get_json() == {"error": {"code": "payment_required", "message": "Pay the fee before sending."},
                                   "payment_url": "https://pay.example/1"}


def test_pages_get_the_error_page_with_the_message(app):
    for lang, message, title in (("ja", "入力内容を確認してください。", "お手続きを進められませんでした"),
                                 ("en", "Check the request.", "This could not be done")):
        with app.test_request_context(f"/apply/x?lang={lang}"):
            app.preprocess_request()
            html, status, _headers = refusal_response(_refused())
        assert status == 400 and message in html and title in html and "<html" in html


def test_the_handler_answers_a_refusal_raised_in_an_api_view(client):
    r = client.get("/api/v1/procedures/no_such_procedure")
    assert r.status_code == 404 and r.get_json() == {"error": {"code": "not_found", "message": "その手続きは見つかりません。"}}
    r = client.get("/api/v1/procedures/dokushin_shomei?on=2026-13-01&lang=en")
    assert r.status_code == 400 and r.get_json()["error"] == {
        "code": "invalid_request", "message": "Give the date as YYYY-MM-DD, e.g. 2026-04-01.",
        "fields": {"on": "Give the date as YYYY-MM-DD, e.g. 2026-04-01."}}
    r = client.put("/api/v1/events?lang=en")
    assert r.status_code == 405 and r.get_json()["error"] == {"code": "method_not_allowed",
                                                              "message": "This method is not allowed here."}


def test_the_services_refusals_are_one_family_with_their_codes_and_statuses(app):
    refusals = [
        (ApplicationError("not_editable", _l("この申請は、もう変更できません。")), 409,
         "This application can no longer be changed."),
        (BookingError("daily_limit", _l("1日に予約できるのは%(most)s件までです。", most=2)), 409,
         "You can make at most 2 bookings a day."),
        (SlotFull(), 409, "This time has just been taken. Please choose another time."),
        (rule_error("past"), 422, "This time has passed."),
        (QueueError("closed", _l("この番号はもう終わっています。")), 409, "This number is already finished."),
        (FrontDeskError("unknown"), 404, None),
        (FrontDeskError("wrong_day"), 422, "This booking is not for today."),
        (OverrideError("hours", _l("受付時間を入力してください。")), 400, "Enter the opening hours."),
        (PhraseError("too_long", _l("定型文は%(most)s文字以内にしてください（今：%(now)s文字）。", most=200, now=201)), 400,
         "Keep the phrase to 200 characters (now 201)."),
        (AccountProblem("missing"), 400, None),
        (ProviderError("not_paid", _l("支払われていない決済は返金できません。")), 502,
         "A payment that was not made cannot be refunded."),
    ]
    with app.app_context():
        for exc, status, english in refusals:
            assert isinstance(exc, AppError) and exc.status == status, exc.code
            with force_locale("en"):
                text = exc.text()
            assert text and text != exc.text_in("ja"), exc.code  # both languages, from the catalog
            if english:
                assert text == english
    assert OverrideError("hours", "x").fields == {"hours": "x"} and OverrideError("hours", "x").field == "hours"
    assert AccountProblem("unknown").fields["departments"] == AccountProblem.MESSAGES["unknown"]


def test_a_405_keeps_the_allow_header_the_routing_gives(client):
    """Method Not Allowed names the methods that work (RFC 9110 §15.5.6): the JSON body and the
    page both carry werkzeug's ``Allow``."""
    r = client.put("/api/v1/events")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert r.headers["Content-Type"].startswith("application/json")
    r = client.get("/api/v1/guide/evaluate")
    assert r.status_code == 405 and {m.strip() for m in r.headers["Allow"].split(",")} == {"POST", "OPTIONS"}
    page = client.get("/apply/status/no-such-token/pay")
    assert page.status_code == 405 and "<html" in page.get_data(as_text=True)
    assert {m.strip() for m in page.headers["Allow"].split(",")} == {"POST", "OPTIONS"}
    assert page.headers["Content-Type"].startswith("text/html")
