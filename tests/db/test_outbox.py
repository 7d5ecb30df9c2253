"""The transactional outbox (core/outbox.py) and the mail worker, against a REAL local SMTP server
(aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL: a rolled-back change sends nothing, a
committed one is delivered exactly once, a down mail server loses nothing, two workers never
send the same message, Japanese mail has proper MIME headers, personal data is encrypted."""
import datetime as dt
import email
import email.policy
import socket
import threading
import time

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core import alerts, outbox
from core.db import db
from core.outbox import OutboxMessage, enqueue_mail
from tests.conftest import clear_outbox_and_alerts

SUBJECT = "【加古川市】転入届の受付について"
BODY = "山田 太郎 様\n\n転入届を受け付けました。\n窓口: 市民課（1階 2番窓口）\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps what it receives; refuses recipients starting with "refused"."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 <" + address + ">: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((envelope.rcpt_tos[:], envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in self.received]


class SmtpServer:
    def __init__(self, port: int):
        self.port, self.inbox, self.controller = port, Inbox(), None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail_app(app, monkeypatch):
    """The session app with an empty outbox, pointed at a free local port (no server yet)."""
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    monkeypatch.setitem(app.config, "ADMIN_EMAILS", "")
    clear_outbox_and_alerts(app)
    yield app
    alerts.reset_counters()


@pytest.fixture
def smtp(mail_app):
    server = SmtpServer(mail_app.config["SMTP_PORT"])
    server.start()
    yield server
    server.stop()


def rows(app):
    with app.app_context():
        return db.session.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts,
                                         OutboxMessage.next_attempt_at, OutboxMessage.last_error,
                                         OutboxMessage.dedupe_key).order_by(OutboxMessage.id)).all()


def run_worker(app):
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def test_a_rolled_back_change_sends_nothing(mail_app, smtp):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        db.session.rollback()  # the change that caused the mail failed
    run_worker(mail_app)
    assert rows(mail_app) == []
    assert smtp.inbox.received == []


def test_committed_mail_is_delivered_once_even_when_the_worker_runs_twice(mail_app, smtp):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # in this transaction
        db.session.commit()
    assert "sent 1" in run_worker(mail_app)
    assert "sent 0" in run_worker(mail_app)
    assert len(smtp.inbox.received) == 1
    [(_id, status, attempts, _next, last_error, _key)] = rows(mail_app)
    assert (status, attempts, last_error) == ("sent", 1, None)

    rcpts, raw = smtp.inbox.received[0]
    assert rcpts == ["taro@example.jp"]
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()  # Japanese only as RFC 2047 encoded words / base64 body
    assert b"=?utf-8?b?" in header_block.lower()
    message = smtp.inbox.messages()[0]
    assert message["Subject"] == SUBJECT
    # MAIL_FROM is not set: the sender is the pack's own (pack.yaml mail_from), named by the city
    assert not mail_app.config["MAIL_FROM"]
    [sender] = message["From"].addresses  # the city's name as an RFC 2047 display name
    assert sender.addr_spec == mail_app.extensions["rulebook"].current.kb.pack.mail_from
    assert sender.display_name == "加古川市"
    assert message["To"] == "taro@example.jp"
    assert message["Message-ID"].startswith("<outbox.") and message["Date"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "base64"
    assert message.get_content().replace("\r\n", "\n") == BODY  # canonical CRLF lines inside base64


def test_the_same_logical_mail_is_stored_once(mail_app, smtp):
    with mail_app.app_context():
        first = enqueue_mail("taro@example.jp", SUBJECT, BODY, dedupe_key="received:1")
        again = enqueue_mail("taro@example.jp", SUBJECT, BODY, dedupe_key="received:1")  # same transaction
        assert first is not None and again is None
        db.session.commit()
    with mail_app.app_context():
        assert enqueue_mail("taro@example.jp", SUBJECT, BODY, dedupe_key="received:1") is None  # later one
        enqueue_mail("hanako@example.jp", SUBJECT, BODY, dedupe_key="received:2")
        db.session.commit()  # the duplicate did not break the caller's transaction
    run_worker(mail_app)
    with mail_app.app_context():  # and after it was sent, it is still not queued again
        assert enqueue_mail("taro@example.jp", SUBJECT, BODY, dedupe_key="received:1") is None
        db.session.commit()
    assert [r.dedupe_key for r in rows(mail_app)] == ["received:1", "received:2"]
    assert sorted(r for r, _ in smtp.inbox.received) == [["hanako@example.jp"], ["taro@example.jp"]]


def test_a_down_mail_server_loses_nothing(mail_app):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        db.session.commit()
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=True) as traveller:
        run_worker(mail_app)  # nobody listens on the port
        [(_id, status, attempts, next_at, last_error, _)] = rows(mail_app)
        assert (status, attempts) == ("pending", 1)
        assert aware(next_at) > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=50)  # 1 minute back-off
        assert last_error == "ConnectionRefusedError" and "@" not in last_error

        run_worker(mail_app)  # not due yet: not even tried
        assert rows(mail_app)[0].attempts == 1

        traveller.shift(dt.timedelta(minutes=1, seconds=5))
        run_worker(mail_app)
        [(_id, status, attempts, next_at, _err, _)] = rows(mail_app)
        assert (status, attempts) == ("pending", 2)
        assert aware(next_at) > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=110)  # now 2 minutes

        server = SmtpServer(mail_app.config["SMTP_PORT"])
        server.start()
        try:
            run_worker(mail_app)  # up again, but the message is not due yet
            assert server.inbox.received == []
            traveller.shift(dt.timedelta(minutes=2, seconds=5))
            run_worker(mail_app)
            assert len(server.inbox.received) == 1
            assert server.inbox.messages()[0]["Subject"] == SUBJECT
        finally:
            server.stop()
    [(_id, status, attempts, _next, last_error, _)] = rows(mail_app)
    assert (status, attempts, last_error) == ("sent", 3, None)


def test_back_off_doubles_and_is_capped():
    minutes = [outbox.backoff(n).total_seconds() / 60 for n in range(1, 12)]
    assert minutes[:9] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert minutes[9:] == [360, 360]  # at most 6 hours apart
    assert outbox.backoff(1000) == dt.timedelta(hours=6)
    # OUTBOX_RETRY_SECONDS moves the start, not the doubling or the cap
    assert [outbox.backoff(n, dt.timedelta(seconds=2)).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert outbox.backoff(1000, dt.timedelta(seconds=2)) == dt.timedelta(hours=6)


def test_two_workers_never_send_the_same_message(mail_app, smtp):
    with mail_app.app_context():
        for i in range(24):
            enqueue_mail(f"resident{i}@example.jp", f"{SUBJECT} {i}", BODY)
        db.session.commit()
    reports, errors = [], []
    barrier = threading.Barrier(3)

    def work():
        try:
            with mail_app.app_context():
                barrier.wait()
                reports.append(outbox.deliver_due(100))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in reports) == 24
    recipients = sorted(r[0] for r, _ in smtp.inbox.received)
    assert recipients == sorted(f"resident{i}@example.jp" for i in range(24))  # each exactly once
    assert {r.status for r in rows(mail_app)} == {"sent"}
    assert {r.attempts for r in rows(mail_app)} == {1}


def test_a_claim_is_exclusive_and_a_crashed_worker_only_delays(mail_app, smtp):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        db.session.commit()
        with Session(db.engine) as first, Session(db.engine) as second:
            now = dt.datetime.now(dt.UTC)
            claimed = outbox._claim(first, now)
            assert claimed is not None and claimed[1] == 1
            assert outbox._claim(second, now) is None  # the other worker finds nothing due
        # the first worker dies here, before sending: the row is not lost, only leased
    run_worker(mail_app)
    assert smtp.inbox.received == []
    with time_machine.travel(dt.datetime.now(dt.UTC) + outbox.LEASE + dt.timedelta(seconds=5), tick=True):
        run_worker(mail_app)
    assert len(smtp.inbox.received) == 1
    assert rows(mail_app)[0].status == "sent"


def test_a_permanent_refusal_fails_at_once_and_alerts_the_administrators(mail_app, smtp, monkeypatch):
    monkeypatch.setitem(mail_app.config, "ADMIN_EMAILS", "admin@city.example.jp")
    with mail_app.app_context():
        enqueue_mail("refused.taro@example.jp", SUBJECT, BODY)
        db.session.commit()
    output = run_worker(mail_app)
    assert "failed 1" in output
    failed = rows(mail_app)[0]
    assert failed.status == "failed" and failed.attempts == 1
    assert "550" in failed.last_error and "taro" not in failed.last_error  # no address in the error
    with mail_app.app_context():
        [alert] = db.session.scalars(select(alerts.SecurityAlert)).all()
        message = alert.message_in("ja")
        assert alert.kind == "mail_failed" and f"{failed.id}" in message and "taro" not in message
        assert f"outbox number {failed.id}" in alert.message_in("en")
        alert_mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id != failed.id)).one()
        assert alert_mail.recipient == "admin@city.example.jp" and alert_mail.status == "sent"  # same pass
    assert [r for r, _ in smtp.inbox.received] == [["admin@city.example.jp"]]
    assert "メール送信の失敗" in smtp.inbox.messages()[0]["Subject"]


def test_after_ten_attempts_the_message_fails_and_an_alert_is_raised(mail_app):
    with mail_app.app_context():
        message = enqueue_mail("taro@example.jp", SUBJECT, BODY)
        db.session.flush()
        message.attempts = outbox.MAX_ATTEMPTS - 1
        db.session.commit()
    assert "failed 1" in run_worker(mail_app)  # the server is down for the 10th try too
    [(_id, status, attempts, _next, last_error, _)] = rows(mail_app)
    assert (status, attempts, last_error) == ("failed", 10, "ConnectionRefusedError")
    with mail_app.app_context():
        assert [a.kind for a in alerts.active_alerts()] == ["mail_failed"]
    result = mail_app.test_cli_runner().invoke(args=["outbox", "retry", "--failed"])
    assert "requeued 1" in result.output
    assert (rows(mail_app)[0].status, rows(mail_app)[0].attempts) == ("pending", 0)
    status = mail_app.test_cli_runner().invoke(args=["outbox", "status"])
    assert "pending: 1" in status.output


def test_personal_data_is_encrypted_at_rest(mail_app):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        db.session.commit()
        raw = db.session.execute(text("SELECT recipient, subject, body FROM outbox_message")).one()
        for value, plain in zip(raw, ("taro@example.jp", SUBJECT, BODY), strict=True):
            assert value.startswith("v1.") and plain not in value and "山田" not in value
        assert db.session.scalar(select(OutboxMessage.recipient)) == "taro@example.jp"


def test_header_injection_is_refused_at_enqueue(mail_app):
    with mail_app.app_context():
        for to, subject in [("taro@example.jp\r\nBcc: x@evil.example", SUBJECT), ("taro@example.jp", "件名\nBcc: x"),
                            ("", SUBJECT)]:
            with pytest.raises(ValueError):
                enqueue_mail(to, subject, BODY)
        db.session.rollback()


def test_a_broken_row_does_not_stop_the_others(mail_app, smtp):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        enqueue_mail("hanako@example.jp", SUBJECT, BODY)
        db.session.commit()
        first_id = db.session.scalar(select(func.min(OutboxMessage.id)))
        db.session.execute(text("UPDATE outbox_message SET body = 'v1.nokey.AAAA' WHERE id = :id"),
                           {"id": first_id})  # undecryptable
        db.session.commit()
    run_worker(mail_app)
    states = {r.id: (r.status, r.last_error) for r in rows(mail_app)}
    assert states[first_id][0] == "pending" and states[first_id][1]
    assert [r for r, _ in smtp.inbox.received] == [["hanako@example.jp"]]


def test_the_worker_loop_stops_on_request(mail_app, smtp):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        db.session.commit()
    stop = threading.Event()
    done = []

    def loop():
        with mail_app.app_context():
            done.append(outbox.run_worker(interval=0.05, stop=stop))

    thread = threading.Thread(target=loop)
    thread.start()
    deadline = time.monotonic() + 10
    while not smtp.inbox.received and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert done and done[0].sent == 1


def test_sent_messages_are_purged_after_retention(mail_app, smtp):
    with mail_app.app_context():
        enqueue_mail("taro@example.jp", SUBJECT, BODY)
        db.session.commit()
    run_worker(mail_app)
    with mail_app.app_context():
        enqueue_mail("hanako@example.jp", SUBJECT, BODY)  # still pending: never purged
        db.session.commit()
    result = mail_app.test_cli_runner().invoke(args=["outbox", "purge"])
    assert "deleted 0" in result.output  # sent today
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31), tick=True):
        result = mail_app.test_cli_runner().invoke(args=["outbox", "purge"])
    assert "deleted 1" in result.output
    assert [r.status for r in rows(mail_app)] == ["pending"]
