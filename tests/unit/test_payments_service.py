"""Payments service (both databases): checkouts reused, events applied once and never backwards,
reconciliation of lost webhooks, refunds with a reason, the pay-after-review flow.

The helpers at the top build applications straight through intake.applications (signature fields
set by hand: these tests are about money, not signatures) and signed sandbox events; the web and
API payment tests import them."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from functools import lru_cache

import pytest
from sqlalchemy import func, select, update

from core.db import db
from intake import applications, workflow
from intake.applications import ApplicationError
from intake.forms import load_forms
from intake.models import Application
from intake.payments import sandbox as sb
from intake.payments import service
from intake.payments.models import Payment, PaymentEvent, PaymentRefund, SandboxCharge

FIELDS = {
    "applicant_family_name": "加古川", "applicant_given_name": "花子",
    "applicant_family_kana": "カコガワ", "applicant_given_kana": "ハナコ",
    "applicant_birth_date": "1985-04-01", "applicant_phone": "0794213000",
    "applicant_address": {"postal_code": "6750064", "prefecture": "兵庫県", "city": "加古川市",
                          "street": "加古川町北在家2000"},
    "applicant_role": "self", "whose": "self", "householder_relation": "omit", "honseki": "omit",
    "mynumber": "omit", "juminhyo_code": "omit", "style": "household_list", "copies": 2,
    "purpose": "work", "delivery": "mail",
}
JOSEKI_FIELDS = {
    "applicant_family_name": "加古川", "applicant_given_name": "花子",
    "honseki": "加古川市加古川町北在家2000番地", "hittosha_family_name": "加古川", "hittosha_given_name": "太郎",
    "kinds": ["joseki"], "scope": "tohon", "copies": 1,
}
RETURN, CANCEL = "http://localhost/apply/return", "http://localhost/apply/cancel"


@lru_cache(maxsize=1)
def forms():
    return load_forms("kakogawa")


@contextlib.contextmanager
def request_context(app):
    """A request context (checkout and e-mail links are absolute URLs)."""
    with app.test_request_context("/", base_url="http://localhost"):
        yield app
        db.session.rollback()


@pytest.fixture
def ctx(app):
    with request_context(app):
        yield app


def signed_application(copies: int = 2) -> Application:
    """A signed 住民票の写し request (pay at submission), committed."""
    form = forms()["juminhyo_utsushi"]
    app = applications.new_application(form, {**FIELDS, "copies": copies}, "hanako@example.jp")
    applications.prepare_signing(app, form)
    app.signature_b64, app.certificate_pem, app.status = "c2lnbmF0dXJl", "-----BEGIN CERTIFICATE-----", workflow.SIGNED
    db.session.commit()
    return app


def submitted_after_review() -> Application:
    """A sent 除籍謄本 request whose fee staff confirm later, committed."""
    form = forms()["joseki_tohon"]
    app = applications.new_application(form, JOSEKI_FIELDS, "hanako@example.jp")
    assert app.payment_timing == "after_review"
    applications.prepare_signing(app, form)
    app.signature_b64, app.certificate_pem, app.status = "c2lnbmF0dXJl", "-----BEGIN CERTIFICATE-----", workflow.SIGNED
    assert applications.submit(app, key=f"test:{app.id}")
    db.session.commit()
    return app


def checkout(app: Application) -> tuple[Payment, SandboxCharge]:
    url = service.start_checkout(app, RETURN, CANCEL)
    payment = service.latest_payment(app)
    charge = db.session.get(SandboxCharge, payment.provider_ref)
    assert url.endswith(f"/pay/sandbox/{charge.id}")
    return payment, charge


def event(charge: SandboxCharge, kind: str, *, refunded: int = 0, event_id: str | None = None,
          created: int | None = None, amount: int | None = None, stamp: int | None = None,
          secret: bytes | None = None) -> tuple[dict[str, str], bytes]:
    """A signed sandbox webhook saying ``kind`` about ``charge`` (whatever the charge really is)."""
    body = json.dumps({"id": event_id or f"evt_{kind}_{charge.id}_{refunded}", "type": f"charge.{kind}",
                       "created": created or int(time.time()),
                       "data": {"charge": charge.id, "reference": charge.reference,
                                "amount": charge.amount if amount is None else amount, "refunded": refunded}}).encode()
    header = sb.sign(secret or service.sandbox_secret(), body, stamp or int(time.time()))
    return {"Content-Type": "application/json", sb.HEADER: header}, body


def deliver(kind: str, charge: SandboxCharge, **kw) -> tuple[int, dict]:
    headers, body = event(charge, kind, **kw)
    return service.handle_webhook("sandbox", headers, body)


def pay(charge: SandboxCharge) -> None:
    """The resident pays on the sandbox page (its books, then its webhook)."""
    sandbox = service.provider("sandbox")
    assert sandbox.pay(charge)
    db.session.commit()
    assert service.deliver_sandbox_event(sandbox, charge) == 200


def fresh(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


# --- checkout -------------------------------------------------------------------------------------

def test_a_checkout_is_for_the_fee_and_is_reused_not_duplicated(ctx):
    app = signed_application(copies=2)
    assert app.fee_amount == 600
    payment, charge = checkout(app)
    assert (payment.amount, payment.status, charge.amount, charge.reference) == (600, "pending", 600, payment.id)
    again = service.start_checkout(app, RETURN, CANCEL)
    assert again.endswith(charge.id)
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.application_id == app.id)) == 1
    assert service.awaiting_confirmation(app)


def test_nothing_to_pay_before_signing_or_after_paying(ctx):
    form = forms()["juminhyo_utsushi"]
    draft = applications.new_application(form, FIELDS, "hanako@example.jp")
    applications.prepare_signing(draft, form)
    db.session.commit()
    with pytest.raises(ApplicationError) as err:
        service.start_checkout(draft, RETURN, CANCEL)
    assert err.value.code == "not_signed"
    app = signed_application()
    _, charge = checkout(app)
    pay(charge)
    with pytest.raises(ApplicationError) as err:
        service.start_checkout(fresh(Application, app.id), RETURN, CANCEL)
    assert err.value.code == "nothing_to_pay"


# --- events ---------------------------------------------------------------------------------------

def test_paying_submits_a_signed_application_with_a_receipt_number(ctx):
    app = signed_application()
    payment, charge = checkout(app)
    pay(charge)
    app, payment = fresh(Application, app.id), fresh(Payment, payment.id)
    assert (payment.status, app.payment_state, app.status) == ("paid", "paid", workflow.SUBMITTED)
    assert app.receipt_number and app.submit_key == f"payment:{payment.id}"
    assert payment.receipt_number.startswith("R") and payment.paid_at is not None
    kinds = [(e.kind, e.actor, e.note, e.to_status) for e in applications.events(app)]
    assert ("payment", "system", "paid", None) in kinds and ("status", "system", None, "submitted") in kinds
    assert not service.awaiting_confirmation(app)


def test_the_same_webhook_twice_changes_nothing(ctx):
    app = signed_application()
    payment, charge = checkout(app)
    assert deliver("paid", charge, event_id="evt_once")[0] == 200
    first = fresh(Payment, payment.id)
    receipt, updated = first.receipt_number, first.updated_at
    status, body = deliver("paid", charge, event_id="evt_once")
    assert (status, body["result"]) == (200, "duplicate")
    again = fresh(Payment, payment.id)
    assert (again.receipt_number, again.updated_at) == (receipt, updated)
    notes = [e.note for e in applications.events(fresh(Application, app.id)) if e.kind == "payment"]
    assert notes == ["paid"]
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)
                             .where(PaymentEvent.event_id == "evt_once")) == 1


def test_events_out_of_order_never_move_a_payment_backwards(ctx):
    app = signed_application()
    payment, charge = checkout(app)
    assert deliver("paid", charge)[1]["result"] == "applied"
    assert deliver("pending", charge)[1]["result"] == "stale"
    assert deliver("canceled", charge)[1]["result"] == "stale"
    assert fresh(Payment, payment.id).status == "paid"
    stale = db.session.scalar(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id,
                                                         PaymentEvent.kind == "pending"))
    assert stale.applied is False


def test_a_paid_event_after_the_refund_changes_nothing(ctx):
    app = signed_application()
    payment, charge = checkout(app)
    # the refund's webhook overtakes the payment's: money was taken, then all of it given back
    assert deliver("refunded", charge, refunded=600)[1]["result"] == "applied"
    assert deliver("paid", charge)[1]["result"] == "stale"
    payment, app = fresh(Payment, payment.id), fresh(Application, app.id)
    assert (payment.status, payment.refunded_amount, app.payment_state) == ("refunded", 600, "refunded")
    assert payment.receipt_number  # it was paid: the receipt shows the refund
    assert app.status == workflow.SIGNED  # all the money went back: nothing is sent on its strength


def test_a_paid_event_for_another_amount_is_not_applied(ctx):
    app = signed_application()
    payment, charge = checkout(app)
    assert deliver("paid", charge, amount=1)[1]["result"] == "mismatch"
    assert fresh(Payment, payment.id).status == "pending"
    assert fresh(Application, app.id).status == workflow.SIGNED


def test_a_canceled_checkout_is_canceled_and_a_new_one_can_start(ctx):
    app = signed_application()
    payment, charge = checkout(app)
    sandbox = service.provider("sandbox")
    assert service.sandbox_settle(sandbox, charge, "cancel")  # its books, then its webhook
    assert fresh(Payment, payment.id).status == "canceled"
    _, second = checkout(fresh(Application, app.id))
    assert second.id != charge.id


# --- reconciliation -------------------------------------------------------------------------------

def test_a_lost_webhook_is_settled_by_flask_payments_reconcile(ctx, app):
    application = signed_application()
    payment, charge = checkout(application)
    service.provider("sandbox").pay(charge)  # paid at the company; the webhook never arrives
    db.session.execute(update(Payment).where(Payment.id == payment.id)
                       .values(created_at=payment.created_at - dt.timedelta(hours=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--older-than", "15"])
    assert result.exit_code == 0, result.output
    assert "settled 1" in result.output
    payment, application = fresh(Payment, payment.id), fresh(Application, application.id)
    assert (payment.status, application.payment_state, application.status) == ("paid", "paid", workflow.SUBMITTED)
    assert db.session.scalar(select(PaymentEvent.event_id).where(PaymentEvent.payment_id == payment.id)) \
        == f"reconcile:{charge.id}:paid"
    # the webhook turns up after all: nothing changes
    assert deliver("paid", charge)[1]["result"] == "stale"
    again = app.test_cli_runner().invoke(args=["payments", "reconcile", "--older-than", "0"])
    assert "settled 0" in again.output


def test_reconcile_leaves_young_and_still_open_payments(ctx, app):
    application = signed_application()
    payment, _ = checkout(application)
    counts = service.reconcile(older_than_minutes=15)
    assert fresh(Payment, payment.id).status == "pending" and counts["settled"] == 0
    counts = service.reconcile(older_than_minutes=0)
    assert counts["still_open"] >= 1 and fresh(Payment, payment.id).status == "pending"


def test_an_expired_checkout_is_closed_by_reconciliation(ctx):
    application = signed_application()
    payment, charge = checkout(application)
    db.session.execute(update(SandboxCharge).where(SandboxCharge.id == charge.id)
                       .values(created_at=charge.created_at - dt.timedelta(days=2)))
    db.session.commit()
    service.reconcile(older_than_minutes=0)
    assert fresh(Payment, payment.id).status == "canceled"
    assert fresh(SandboxCharge, charge.id).status == "expired"


# --- refunds --------------------------------------------------------------------------------------

def _paid_application() -> tuple[Application, Payment]:
    app = signed_application(copies=2)
    payment, charge = checkout(app)
    pay(charge)
    return fresh(Application, app.id), fresh(Payment, payment.id)


def test_refund_partial_then_full_with_reasons(ctx):
    app, payment = _paid_application()
    row = service.refund(app, 300, "1通分が不要になったため", actor="staff:tanaka")
    payment = fresh(Payment, payment.id)
    assert (payment.status, payment.refunded_amount, fresh(Application, app.id).payment_state) \
        == ("partially_refunded", 300, "paid")
    assert fresh(PaymentRefund, row.id).reason == "1通分が不要になったため"
    service.refund(fresh(Application, app.id), 300, "申請が取り下げられたため", actor="staff:tanaka")
    payment, app = fresh(Payment, payment.id), fresh(Application, app.id)
    assert (payment.status, payment.refunded_amount, app.payment_state) == ("refunded", 600, "refunded")
    assert fresh(SandboxCharge, payment.provider_ref).refunded_amount == 600
    notes = [e.note for e in applications.events(app) if e.kind == "payment"]
    assert notes == ["paid", "refunded:300", "refunded:300"]
    from core.outbox import OutboxMessage
    mails = [m.subject for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key.like("payment-refund:%")))]
    assert sum("返金" in s for s in mails) >= 2
    from core.audit import AuditRecord
    assert db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "payment.refund", AuditRecord.target == f"application:{app.id}")) == 2


@pytest.mark.parametrize("amount, reason, code", [
    (700, "多すぎる", "refund_too_much"),
    (100, "  ", "refund_reason_required"),
    (0, "理由", "refund_amount_invalid"),
    ("100", "理由", "refund_amount_invalid"),
])
def test_refunds_that_are_refused_move_nothing(ctx, amount, reason, code):
    app, payment = _paid_application()
    with pytest.raises(ApplicationError) as err:
        service.refund(app, amount, reason, actor="staff:tanaka")
    assert err.value.code == code and err.value.text()
    payment = fresh(Payment, payment.id)
    assert (payment.status, payment.refunded_amount) == ("paid", 0)
    assert fresh(SandboxCharge, payment.provider_ref).refunded_amount == 0


def test_nothing_to_refund_before_payment(ctx):
    app = signed_application()
    with pytest.raises(ApplicationError) as err:
        service.refund(app, 100, "理由", actor="staff:tanaka")
    assert err.value.code == "not_paid"


# --- pay after review -----------------------------------------------------------------------------

def test_after_review_staff_confirm_the_fee_then_the_resident_pays(ctx):
    app = submitted_after_review()
    with pytest.raises(ApplicationError) as err:
        service.start_checkout(app, RETURN, CANCEL)
    assert err.value.code == "fee_not_confirmed"
    applications.confirm_fee(app, 1500, actor="staff:tanaka")
    db.session.commit()
    payment, charge = checkout(app)
    assert payment.amount == 1500
    pay(charge)
    app, payment = fresh(Application, app.id), fresh(Payment, payment.id)
    assert (payment.status, app.payment_state, app.status) == ("paid", "paid", workflow.SUBMITTED)
    assert [e.note for e in applications.events(app) if e.kind == "payment"] == ["fee_confirmed:1500", "paid"]


def test_statistics_count_payments_and_refunds(ctx):
    from core.usage import UsageCount

    def count(metric):
        return db.session.scalar(select(func.coalesce(func.sum(UsageCount.count), 0)).where(
            UsageCount.service == "payments", UsageCount.metric == metric,
            UsageCount.dimension == "juminhyo_utsushi")) or 0

    paid, refunded = count("paid"), count("refunded")
    app, _ = _paid_application()
    service.refund(app, 600, "取下げ", actor="staff:tanaka")
    db.session.expire_all()
    assert (count("paid"), count("refunded")) == (paid + 1, refunded + 1)
