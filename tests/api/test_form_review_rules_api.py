"""The form's review rules through the API (issue 15): ``signature.match`` narrows what the
signature's answer compares, ``review.department`` is the department the back-office API reports
and scopes by."""
from __future__ import annotations

import pytest

from tests.api import applying
from tests.api.applying import bearer, draft, honnin_fields, new_client, sign, submit
from tests.conftest import fresh_client

ca, trusted = applying.ca, applying.trusted  # fixtures


@pytest.fixture
def honnin_with(monkeypatch):
    """honnin_with(review=…, signature=…): the API serves 本人通知 with these settings."""
    from intake import api
    from intake.forms import build_form
    from knowledge.loader import load_pack

    def use(app, **update):
        with app.test_request_context("/"):
            base = api.current_form("honnin_tsuchi").definition
        changes = {key: getattr(base, key).model_copy(update=value) for key, value in update.items()}
        form = build_form(base.model_copy(update=changes), load_pack("kakogawa"))
        original = api._form
        monkeypatch.setattr(api, "_form", lambda pid: form if pid == "honnin_tsuchi" else original(pid))
        return form
    return use


def test_the_signature_answer_compares_only_what_the_form_names(app, trusted, honnin_with):
    honnin_with(app, signature={"match": ["name", "address"]})
    http = fresh_client(app)
    body = draft(http, "honnin_tsuchi", {**honnin_fields(), "applicant_birth_date": "1990-01-01"})
    assert sign(http, trusted, body).get_json()["identity"] == {"name": True, "address": True}


def test_the_back_office_api_reports_and_scopes_by_the_reviewing_department(app, trusted, honnin_with):
    assert honnin_with(app, review={"department": "kokuho"}).department == "kokuho"
    http = fresh_client(app)
    body = draft(http, "honnin_tsuchi", honnin_fields())
    sign(http, trusted, body)
    number = submit(http, body["id"]).get_json()["receipt_number"]
    kokuho = bearer(http, *new_client(app, ("kokuho",)))
    got = http.get(f"/api/v1/backoffice/applications/{number}", headers=kokuho)
    assert got.status_code == 200 and got.get_json()["department_id"] == "kokuho"
    shimin = bearer(http, *new_client(app, ("shimin",)))
    assert http.get(f"/api/v1/backoffice/applications/{number}", headers=shimin).status_code == 404
