"""The sandbox's hosted checkout page (pay, cancel) and the 領収書 page (both databases)."""
from __future__ import annotations

import pytest

from core.db import db
from intake import links, workflow
from intake.models import Application
from intake.payments import service
from intake.payments.models import Payment, SandboxCharge
from tests.conftest import csrf_from
from tests.unit.test_payments_service import CANCEL, RETURN, checkout, fresh, pay, request_context, signed_application


@pytest.fixture
def ctx(app):
    with request_context(app):
        yield app


def _page(client, charge):
    r = client.get(f"/pay/sandbox/{charge.id}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_checkout_page_is_plainly_a_test_and_shows_the_amount(ctx, client):
    app = signed_application(copies=2)
    _, charge = checkout(app)
    html = _page(client, charge)
    assert "テスト決済" in html and "実際のお金は動きません" in html
    assert "600円" in html and "住民票" in html
    assert ">支払う</button>" in html and ">キャンセル</button>" in html
    assert client.get("/pay/sandbox/cs_unknown").status_code == 404
    assert client.get("/pay/sandbox/whatever").status_code == 404


def test_paying_on_the_checkout_page_settles_and_returns(ctx, client):
    app = signed_application()
    payment, charge = checkout(app)
    token = csrf_from(_page(client, charge))
    r = client.post(f"/pay/sandbox/{charge.id}", data={"action": "pay", "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == RETURN
    payment, app = fresh(Payment, payment.id), fresh(Application, app.id)
    assert (payment.status, app.payment_state, app.status) == ("paid", "paid", workflow.SUBMITTED)
    # pressing 支払う again (another tab) takes no second payment
    again = client.post(f"/pay/sandbox/{charge.id}", data={"action": "pay", "csrf_token": token})
    assert again.status_code == 200 and "支払い済みです" in again.get_data(as_text=True)
    assert fresh(SandboxCharge, charge.id).status == "paid"


def test_canceling_on_the_checkout_page_returns_to_the_cancel_address(ctx, client):
    app = signed_application()
    payment, charge = checkout(app)
    token = csrf_from(_page(client, charge))
    r = client.post(f"/pay/sandbox/{charge.id}", data={"action": "cancel", "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == CANCEL
    assert fresh(Payment, payment.id).status == "canceled"
    assert fresh(Application, app.id).status == workflow.SIGNED
    assert "この決済は終了しています" in _page(client, charge)


def test_the_checkout_form_needs_its_csrf_token(ctx, client):
    app = signed_application()
    _, charge = checkout(app)
    r = client.post(f"/pay/sandbox/{charge.id}", data={"action": "pay"})
    assert r.status_code == 400
    assert fresh(SandboxCharge, charge.id).status == "open"


def test_the_receipt_shows_numbers_amount_breakdown_and_refunds(ctx, client):
    app = signed_application(copies=2)
    payment, charge = checkout(app)
    pay(charge)
    app, payment = fresh(Application, app.id), fresh(Payment, payment.id)
    url = f"/apply/status/{links.status_token(app.id)}/receipt"
    r = client.get(url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert "領収書" in html and payment.receipt_number in html and app.receipt_number in html
    assert "金額 600円" in html and "内訳" in html and "300円" in html
    assert "令和" in html and "加古川市" in html and "手数料として" in html
    assert "加古川 花子 様" in html and "data-print" in html and "js/print.js" in html
    assert "テスト決済" in html  # a sandbox payment never passes for a real one
    service.refund(app, 300, "1通分が不要になったため", actor="staff:tanaka")
    html = client.get(url).get_data(as_text=True)
    assert "返金" in html and "300円" in html and "差し引きの領収額は 300円" in html


def test_the_receipt_waits_for_the_payment_and_404s_for_a_bad_token(ctx, client):
    app = signed_application()
    checkout(app)
    html = client.get(f"/apply/status/{links.status_token(app.id)}/receipt").get_data(as_text=True)
    assert "お支払いを確認しています" in html
    assert client.get("/apply/status/not-a-token/receipt").status_code == 404
    assert client.get(f"/apply/status/{links.status_token('no-such-application')}/receipt").status_code == 404
    db.session.rollback()


def test_sandbox_deliver_posts_a_real_signed_webhook_over_http(ctx, app):
    import threading

    from werkzeug.serving import make_server

    application = signed_application()
    payment, charge = checkout(application)
    service.provider("sandbox").pay(charge)  # paid at the company; its in-process webhook was lost
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/v1/payments/webhooks/sandbox"
        runner = app.test_cli_runner()
        first = runner.invoke(args=["payments", "sandbox-deliver", charge.id, "--url", url])
        assert first.exit_code == 0 and first.output.startswith("200") and '"applied"' in first.output, first.output
        again = runner.invoke(args=["payments", "sandbox-deliver", charge.id, "--url", url])
        assert again.exit_code == 0 and '"duplicate"' in again.output  # the same event, recognised
    finally:
        server.shutdown()
    assert fresh(Payment, payment.id).status == "paid"
    status = app.test_cli_runner().invoke(args=["payments", "status"])
    assert "paid\t" in status.output
