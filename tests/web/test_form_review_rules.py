"""What a form file says about its review (issue 15): ``review.department`` decides which
department's staff see and decide its applications (inbox, detail page, the procedure filter),
and ``signature.match`` which of the 基本4情報 the signing certificate is compared with. The
console is served the changed form, as it would be after a curator published it."""
# ruff: noqa: F811  (the fixtures of test_staff_applications.py are imported by name)
from __future__ import annotations

import json

import pytest

from core.db import db
from intake.forms import build_form
from intake.models import Application
from knowledge.loader import load_pack
from tests.web.test_staff_applications import (  # noqa: F401  (fixtures)
    FIELDS,
    _cert,
    staff,
    submitted,
)


def _with(forms, pid: str, **review_and_signature) -> dict:
    """The pack's forms with one form's definition changed (``review=…``, ``signature=…``)."""
    base = forms[pid].definition
    update = {}
    if "review" in review_and_signature:
        update["review"] = base.review.model_copy(update=review_and_signature["review"])
    if "signature" in review_and_signature:
        update["signature"] = base.signature.model_copy(update=review_and_signature["signature"])
    changed = build_form(base.model_copy(update=update), load_pack("kakogawa"))
    return {**forms, pid: changed}


@pytest.fixture
def serve(monkeypatch):
    """serve(forms): the staff console reads these forms."""
    from staff import applications_common

    def use(forms):
        monkeypatch.setattr(applications_common, "forms_of_generation", lambda: forms)
    return use


def _inbox(client) -> str:
    r = client.get("/staff/applications/?status=all")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_form_review_department_decides_who_sees_and_decides_its_applications(app, forms, trusted, card_key,
                                                                               staff, serve):
    moved = _with(forms, "juminhyo_utsushi", review={"department": "kokuho"})
    assert forms["juminhyo_utsushi"].department == "shimin"  # by default: the procedure's own department
    assert moved["juminhyo_utsushi"].department == "kokuho"
    serve(moved)
    number = submitted(app, moved, trusted, _cert(trusted, card_key))
    with app.app_context():
        assert db.session.query(Application).filter_by(receipt_number=number).one().department_id == "kokuho"
    kokuho, shimin = staff(departments="kokuho"), staff(departments="shimin")
    assert number in _inbox(kokuho)
    assert kokuho.get(f"/staff/applications/{number}").status_code == 200
    assert 'value="juminhyo_utsushi"' in _inbox(kokuho)  # the procedure filter offers it to them
    assert number not in _inbox(shimin)
    assert shimin.get(f"/staff/applications/{number}").status_code == 404
    assert 'value="juminhyo_utsushi"' not in _inbox(shimin)
    # the procedure's department still reviews an application of a form that does not say
    serve(forms)
    usual = submitted(app, forms, trusted, _cert(trusted, card_key))
    assert shimin.get(f"/staff/applications/{usual}").status_code == 200
    assert kokuho.get(f"/staff/applications/{usual}").status_code == 404


def _identity(app, number) -> dict:
    with app.app_context():
        return json.loads(db.session.query(Application).filter_by(receipt_number=number).one().identity_json)


def test_signature_match_compares_only_the_items_the_form_names(app, forms, trusted, card_key, staff, serve):
    narrow = _with(forms, "juminhyo_utsushi", signature={"match": ["name", "birth_date"]})
    serve(narrow)
    elsewhere = {**FIELDS["applicant_address"], "street": "平岡町新在家1-1"}  # not the certificate's address
    number = submitted(app, narrow, trusted, _cert(trusted, card_key), fields={**FIELDS, "applicant_address": elsewhere})
    assert _identity(app, number) == {"name": True, "birth_date": True}
    html = staff().get(f"/staff/applications/{number}").get_data(as_text=True)
    assert "氏名：電子証明書と一致" in html and "生年月日：電子証明書と一致" in html
    assert "住所：電子証明書と" not in html and '<th scope="row">住所</th><td><span class="identity' not in html
    # a name that differs reads as today
    number = submitted(app, narrow, trusted, _cert(trusted, card_key),
                       fields={**FIELDS, "applicant_given_name": "花江"})
    assert _identity(app, number) == {"name": False, "birth_date": True}
    html = staff().get(f"/staff/applications/{number}").get_data(as_text=True)
    assert "氏名：電子証明書と不一致" in html and "（証明書では「加古川 花子」）" in html
    # without signature.match: every item the form asks, as before (the address differs and says so)
    serve(forms)
    number = submitted(app, forms, trusted, _cert(trusted, card_key), fields={**FIELDS, "applicant_address": elsewhere})
    assert _identity(app, number) == {"name": True, "birth_date": True, "sex": None, "address": False}
    assert "住所：電子証明書と不一致" in staff().get(f"/staff/applications/{number}").get_data(as_text=True)
