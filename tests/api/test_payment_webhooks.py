"""POST /api/v1/payments/webhooks/<provider> over HTTP (both databases): signed events applied once,
bad ones answered 400 (never 5xx), duplicates and stale events answered 200 without a change."""
from __future__ import annotations

import json
import time

import pytest

from core.db import db
from intake import workflow
from intake.models import Application
from intake.payments import sandbox as sb
from intake.payments.models import Payment
from tests.unit.test_payments_service import checkout, event, fresh, request_context, signed_application

URL = "/api/v1/payments/webhooks/sandbox"

@pytest.fixture
def ctx(app):
    with request_context(app):
        yield app


def _post(client, headers, body):
    return client.post(URL, data=body, headers=headers)


def test_a_signed_paid_event_is_applied_and_submits_the_application(ctx, client):
    app = signed_application()
    payment, charge = checkout(app)
    r = _post(client, *event(charge, "paid"))
    assert r.status_code == 200 and r.get_json() == {"received": True, "result": "applied"}
    app = fresh(Application, app.id)
    assert (fresh(Payment, payment.id).status, app.payment_state, app.status) == ("paid", "paid", workflow.SUBMITTED)


def test_the_same_webhook_twice_is_200_and_changes_nothing(ctx, client):
    app = signed_application()
    payment, charge = checkout(app)
    headers, body = event(charge, "paid", event_id="evt_twice")
    assert _post(client, headers, body).get_json()["result"] == "applied"
    before = fresh(Payment, payment.id)
    snapshot = (before.status, before.receipt_number, before.updated_at, before.paid_at)
    again = _post(client, headers, body)
    assert again.status_code == 200 and again.get_json() == {"received": True, "result": "duplicate"}
    after = fresh(Payment, payment.id)
    assert (after.status, after.receipt_number, after.updated_at, after.paid_at) == snapshot


def test_out_of_order_events_never_move_backwards(ctx, client):
    app = signed_application()
    payment, charge = checkout(app)
    assert _post(client, *event(charge, "paid")).get_json()["result"] == "applied"
    late = _post(client, *event(charge, "pending"))
    assert late.status_code == 200 and late.get_json()["result"] == "stale"
    assert fresh(Payment, payment.id).status == "paid"

    other = signed_application()
    payment, charge = checkout(other)
    assert _post(client, *event(charge, "refunded", refunded=charge.amount)).get_json()["result"] == "applied"
    assert _post(client, *event(charge, "paid")).get_json()["result"] == "stale"
    assert fresh(Payment, payment.id).status == "refunded"
    assert fresh(Application, other.id).payment_state == "refunded"


def _rejected(r, code):
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.get_json()["error"]["code"] == code and r.get_json()["error"]["message"]


def test_bad_missing_and_stale_signatures_are_400(ctx, client):
    app = signed_application()
    payment, charge = checkout(app)
    headers, body = event(charge, "paid")
    _rejected(_post(client, {"Content-Type": "application/json"}, body), "signature_missing")
    _rejected(_post(client, *event(charge, "paid", secret=b"guessed")), "signature_invalid")
    _rejected(_post(client, headers, body.replace(b'"amount": ', b'"amount": 1')), "signature_invalid")
    _rejected(_post(client, *event(charge, "paid", stamp=int(time.time()) - 3600)), "timestamp_out_of_tolerance")
    _rejected(_post(client, {sb.HEADER: "t=1"}, body), "signature_malformed")
    _rejected(_post(client, {sb.HEADER: "t=1,v1=é"}, body), "signature_malformed")  # not hex: never compared
    assert fresh(Payment, payment.id).status == "pending"


def test_malformed_bodies_are_400_never_500(ctx, client):
    from intake.payments import service
    for body in (b"", b"\xff\xfe", b"null", json.dumps({"id": 1}).encode(), b"{" * 5000, b"[" * 100_000):
        headers = {sb.HEADER: sb.sign(service.sandbox_secret(), body, int(time.time()))}
        _rejected(_post(client, headers, body), "malformed")


def test_an_event_for_an_unknown_payment_is_acknowledged(ctx, client):
    app = signed_application()
    _, charge = checkout(app)
    charge.id, charge.reference = "cs_nobody", "no-such-payment"
    r = _post(client, *event(charge, "paid"))
    db.session.rollback()
    assert r.status_code == 200 and r.get_json()["result"] == "unknown_payment"


def test_an_unknown_provider_is_404(client):
    r = client.post("/api/v1/payments/webhooks/stripe", data=b"{}")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_provider"
