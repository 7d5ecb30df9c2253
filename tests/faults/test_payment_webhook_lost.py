"""Fault: a payment webhook that never arrives. The resident paid at the (sandbox) company, but
its webhook was lost on the way: `flask payments reconcile` — the cron job — asks the company and
settles the payment, the paid application goes out, the receipt mail is delivered once; the
webhook turning up late afterwards changes nothing and sends no second mail."""
from __future__ import annotations

import json
import time

import pytest

from core.db import db
from intake import workflow
from intake.models import Application
from intake.payments import service
from intake.payments.models import Payment
from tests.faults.conftest import make_stack
from tests.faults.servers import post, wait_for
from tests.unit.test_payments_service import checkout, fresh, signed_application

pytestmark = [pytest.mark.real_clock, pytest.mark.faults]


def _app_on(stack):
    from app import create_app
    env = stack.env
    return create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"], "REDIS_URL": "",
                       "INSTANCE_PATH": env["INSTANCE_PATH"], "MUNICIPALITY": "kakogawa",
                       "PUBLIC_BASE_URL": env["PUBLIC_BASE_URL"], "USAGE_FLUSH_SECONDS": 0})


def test_a_lost_webhook_is_settled_by_reconcile_and_mailed_once(tmp_path, postgres, smtp):
    stack = make_stack(tmp_path, postgres, smtp=smtp)
    app = _app_on(stack)
    try:
        stack.start_web()
        stack.start_mailer(interval=0.5)
        with app.test_request_context("/", base_url=stack.env["PUBLIC_BASE_URL"]):
            application = signed_application()
            payment, charge = checkout(application)
            assert service.provider("sandbox").pay(charge)  # the company's books: paid
            db.session.commit()  # … and its webhook never comes
            application_id, payment_id, charge_id = application.id, payment.id, charge.id
            assert fresh(Payment, payment_id).status == "pending"
        started = time.monotonic()
        done = stack.flask("payments", "reconcile", "--older-than", "0")
        assert done.returncode == 0 and "settled 1" in done.stdout, done.stdout + done.stderr
        with app.app_context():
            payment, application = fresh(Payment, payment_id), fresh(Application, application_id)
            assert (payment.status, application.payment_state, application.status) == ("paid", "paid", workflow.SUBMITTED)
            assert payment.receipt_number
        receipts = lambda: [m for m in smtp.received() if "hanako@example.jp" in m["to"] and "お支払いを確認" in m["subject"]]  # noqa: E731
        wait_for(receipts, 20, "the payment mail was not delivered", step=0.3)
        settled_in = time.monotonic() - started
        mails_then = len(smtp.received())

        # the webhook turns up after all, over HTTP, signed as the company signs it (what
        # `flask payments sandbox-deliver` sends; in this process, a CLI start costs seconds)
        with app.test_request_context("/", base_url=stack.env["PUBLIC_BASE_URL"]):
            sandbox = service.provider("sandbox")
            headers, body = sandbox.event_for(sandbox.charge(charge_id))
            status, answer = post(stack.port, "/api/v1/payments/webhooks/sandbox", body, headers)
            assert (status, json.loads(answer)["result"]) == (200, "stale"), answer
            assert service.reconcile(older_than_minutes=0)["checked"] == 0  # nothing open is left
        time.sleep(2)  # a few passes of the mail worker: nothing more to send
        print(f"webhook lost: settled and the receipt delivered {settled_in:.1f} s after `flask payments reconcile`; "
              f"late webhook: {status} {answer.decode()}")
        assert len(receipts()) == 1 and len(smtp.received()) == mails_then
    finally:
        stack.stop()
        with app.app_context():
            db.engine.dispose()
