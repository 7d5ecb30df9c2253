"""intake.staff_actions: note, assignment, fee and refund each commit and write their audit
record in the service (called here directly, no view), so no caller can forget either."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.audit import AuditRecord
from core.db import db
from intake import applications as svc
from intake import staff_actions, workflow
from intake.models import Application, ApplicationEvent
from tests.unit.test_payments_service import checkout, fresh, pay, request_context, signed_application


@pytest.fixture
def ctx(app):
    with request_context(app):
        yield app


def _submitted(copies: int = 2, paid: bool = True) -> Application:
    app = signed_application(copies=copies)
    if paid:
        _, charge = checkout(app)
        pay(charge)
        app = fresh(Application, app.id)
    if app.receipt_number is None:  # paying sends it already
        assert svc.submit(app, f"key-{app.id}")
        db.session.commit()
    assert app.receipt_number
    return app


def _audits(action: str, target: str) -> list[AuditRecord]:
    return list(db.session.scalars(select(AuditRecord).where(AuditRecord.action == action,
                                                            AuditRecord.target == target)))


def _committed(app_id: str) -> Application:
    db.session.rollback()  # what the service left uncommitted would go here
    return fresh(Application, app_id)


def test_a_note_is_committed_and_audited_by_the_service(ctx):
    app = _submitted()
    staff_actions.add_note(app, "電話で確認済み", "staff:tanaka")
    app = _committed(app.id)
    notes = db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id,
                                                              ApplicationEvent.kind == staff_actions.INTERNAL_NOTE))
    assert [n.note for n in notes] == ["電話で確認済み"]
    records = _audits("application.note", app.receipt_number)
    assert len(records) == 1 and "電話" not in str(records[0].details)  # its length, not its words


def test_an_assignment_is_committed_and_audited_by_the_service(ctx):
    app = _submitted()
    staff_actions.assign(app, 7, "tanaka", "staff:sato")
    app = _committed(app.id)
    assert app.assignee_id == 7
    assert len(_audits("application.assign", app.receipt_number)) == 1
    staff_actions.assign(app, None, None, "staff:sato")
    assert _committed(app.id).assignee_id is None and len(_audits("application.assign", app.receipt_number)) == 2


def test_a_fee_is_committed_and_audited_by_the_service(ctx):
    from intake.forms import load_forms
    form = load_forms("kakogawa")["joseki_tohon"]
    from tests.db.test_application_service import FIELDS
    app = svc.new_application(form, {k: FIELDS[k] for k in FIELDS if k.startswith("applicant_")} | {"copies": 2},
                              "a@example.jp")
    app.status, app.receipt_number = workflow.SUBMITTED, "261202-900001"
    db.session.commit()
    if app.payment_timing != "after_review":
        pytest.skip("joseki_tohon's fee is no longer fixed after review")
    staff_actions.confirm_fee(app, 1500, "staff:tanaka")
    app = _committed(app.id)
    assert app.fee_amount == 1500 and app.payment_state == "due"
    assert len(_audits("application.fee", "261202-900001")) == 1


def test_a_refused_fee_commits_nothing_and_writes_no_audit(ctx):
    app = _submitted()  # paid at submission: no fee to fix
    with pytest.raises(svc.ApplicationError):
        staff_actions.confirm_fee(app, 1500, "staff:tanaka")
    assert _audits("application.fee", app.receipt_number) == []


def test_a_refund_is_committed_and_audited_by_the_service(ctx):
    app = _submitted(copies=2)
    staff_actions.refund(app, 300, "1通分が不要になったため", "staff:tanaka")
    app = _committed(app.id)
    assert svc.amount_collected(app) == app.fee_amount - 300
    records = _audits("application.refund", app.receipt_number)
    assert len(records) == 1 and json.loads(records[0].details)["amount"] == 300
