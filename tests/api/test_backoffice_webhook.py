"""The signed webhook: a client that registers a URL gets a small POST (受付番号, event id, event
type; HMAC-SHA256 of the body with its own secret) through the outbox when an application it sees
moves; a receiver that is down is retried and stops no mail."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from tests.api import applying
from tests.api.applying import bearer, new_client, submitted
from tests.conftest import fresh_client

ca, trusted = applying.ca, applying.trusted  # fixtures


@pytest.fixture
def receiver():
    """A local HTTP server that records what it is sent; ``answer`` sets its status code."""
    got: list[tuple[dict, bytes]] = []
    state = {"answer": 204}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state["answer"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks", got, state
    server.shutdown()
    server.server_close()


def _register(app, cid: str, url: str | None) -> str | None:
    args = ["backoffice", "webhook", cid] + (["--url", url] if url else ["--clear"])
    out = app.test_cli_runner().invoke(args=args)
    assert out.exit_code == 0, out.output
    lines = dict(line.split(":", 1) for line in out.output.splitlines() if line.startswith("webhook_secret"))
    return lines["webhook_secret"].strip() if lines else None


def _webhooks(app) -> list:
    from core.db import db
    from core.outbox import WEBHOOK_KIND, OutboxMessage
    with app.app_context():
        return [(m.recipient, json.loads(m.body), m.status, m.attempts) for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == WEBHOOK_KIND).order_by(OutboxMessage.id))]


def _deliver(app):
    from core.outbox import deliver_due
    with app.app_context():
        return deliver_due(200)


def _flush_mail(app, webhooks: bool = True):
    """Mail would wait on an SMTP server that is not there: mark it sent (and, at the start of a
    test, earlier tests' webhooks failed)."""
    from sqlalchemy import update

    from core.db import db
    from core.outbox import WEBHOOK_KIND, OutboxMessage
    with app.app_context():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.kind != WEBHOOK_KIND).values(status="sent"))
        if webhooks:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.kind == WEBHOOK_KIND).values(status="failed"))
        db.session.commit()


def test_a_registered_url_gets_signed_notices_with_only_the_receipt_event_id_and_type(app, trusted, receiver):
    url, got, _state = receiver
    _flush_mail(app)
    cid, secret = new_client(app)
    hook_secret = _register(app, cid, url)
    other, _ = new_client(app, ("kenchiku",))  # another department's client: nothing for it
    _register(app, other, url + "/other")
    http = fresh_client(app)
    made = submitted(http, trusted)
    headers = bearer(http, cid, secret)
    assert http.post(f"/api/v1/backoffice/applications/{made['receipt_number']}/status", headers=headers,
                     json={"status": "reviewing"}).status_code == 200
    queued = [(u, b) for u, b, _s, _a in _webhooks(app) if b["receipt_number"] == made["receipt_number"]]
    assert [u for u, _b in queued] == [url, url]
    assert [b["event_type"] for _u, b in queued] == ["application.submitted", "application.status_changed"]
    _flush_mail(app, webhooks=False)
    report = _deliver(app)
    mine = [(h, b) for h, b in got if json.loads(b)["receipt_number"] == made["receipt_number"]]
    assert len(mine) == 2, report
    for headers_seen, body in mine:
        assert set(json.loads(body)) == {"event_id", "event_type", "receipt_number"}
        expected = "sha256=" + hmac.new(hook_secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers_seen["x-backoffice-signature"] == expected
        assert headers_seen["content-type"] == "application/json"
    assert json.loads(mine[1][1])["event_id"] > json.loads(mine[0][1])["event_id"]


def test_a_receiver_that_refuses_is_retried_and_cleared_clients_get_nothing(app, trusted, receiver):
    url, _got, state = receiver
    _flush_mail(app)
    cid, _secret = new_client(app)
    _register(app, cid, url)
    state["answer"] = 500
    http = fresh_client(app)
    made = submitted(http, trusted)
    _flush_mail(app, webhooks=False)
    _deliver(app)
    (row,) = [r for r in _webhooks(app) if r[1]["receipt_number"] == made["receipt_number"]]
    assert row[2] == "pending" and row[3] == 1  # to be tried again later
    _register(app, cid, None)
    again = submitted(http, trusted)
    assert not [r for r in _webhooks(app) if r[1]["receipt_number"] == again["receipt_number"]]


def test_the_cli_refuses_a_url_that_is_not_http(app):
    cid, _secret = new_client(app)
    out = app.test_cli_runner().invoke(args=["backoffice", "webhook", cid, "--url", "file:///etc/passwd"])
    assert out.exit_code != 0
