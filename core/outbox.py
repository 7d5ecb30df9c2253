"""Transactional outbox: every outgoing e-mail (and webhook POST, ``enqueue_webhook``) is a row
written in the same transaction as the change that causes it; ``flask worker`` delivers the rows
over SMTP (webhooks over HTTP) with retries and back-off.

Use::

    from core.outbox import enqueue_mail

    application.status = "received"
    mail = render_mail("application_status", locale, **context)   # core.mail_templates
    enqueue_mail(address, mail.subject, mail.text, html=mail.html, dedupe_key=f"received:{application.id}")
    db.session.commit()          # the mail exists if and only if the change does

- ``enqueue_mail`` adds to the CURRENT ``db.session`` and never commits: a rollback drops the mail
  with the change. With a ``dedupe_key`` the same logical mail is stored once, however often it is
  enqueued (``INSERT … ON CONFLICT DO NOTHING``, so a duplicate never breaks the caller's commit).
- Recipient, subject and body are personal data: encrypted at rest (``core.encrypted``).
- ``flask worker`` (a long-running process; ``--once`` for one pass) claims due rows one at a time
  and sends them. Claiming is a conditional UPDATE (``attempts + 1``, ``next_attempt_at`` pushed
  forward by a lease) committed before sending; on PostgreSQL the candidate row is selected with
  ``FOR UPDATE SKIP LOCKED`` so workers never wait on each other. Two workers never send the same
  row; a worker killed while sending leaves the row to be retried when its lease ends (delivery is
  at least once; the Message-ID is stable per row so such a rare duplicate is recognisable).
- A failure (mail server down, 4xx) is retried after 1 min × 2^(attempts−1) (``OUTBOX_RETRY_SECONDS``
  sets the 1 min), at most 6 h apart;
  after ``MAX_ATTEMPTS`` tries, or at once on a permanent refusal (5xx), the row is ``failed`` and
  a security alert tells the administrators. ``last_error`` holds the error class and SMTP code
  only, never an address or text from the server (which may quote one).
- ``flask outbox status`` counts rows per status; ``flask outbox retry --failed`` (or ``--id N``)
  puts failed rows back in the queue; ``flask outbox purge [--days N]`` deletes sent rows older
  than ``OUTBOX_RETENTION_DAYS`` (default 30; the worker does it daily). Settings read with
  defaults: ``SMTP_TIMEOUT`` (30 s), ``OUTBOX_RETENTION_DAYS`` (30), ``AUDIT_CHECK_SECONDS`` (300:
  the worker also verifies the audit chain that often, see ``core.monitoring``).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import signal
import smtplib
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app
from sqlalchemy import DateTime, Index, Integer, String, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import alerts, mailer
from core.city import mail_from
from core.db import aware, db
from core.encrypted import EncryptedText
from core.mail_templates import sender_name
from core.words import N_, Message

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
# a packed body: JSON {"text", "html" (optional), "attachments": [{filename, content_type, data}]}
ATTACHMENTS_KIND = "mail+attachments"
# a webhook: recipient = the URL, subject = JSON of the request headers, body = the request body
WEBHOOK_KIND = "webhook"
WEBHOOK_TIMEOUT = 10.0  # seconds for one POST
MAX_ATTEMPTS = 10
BASE_DELAY = dt.timedelta(minutes=1)
MAX_DELAY = dt.timedelta(hours=6)
LEASE = dt.timedelta(minutes=10)  # a claimed row is not due again for this long (the worker is sending it)
CLAIM_TRIES = 5  # candidate rows tried per claim when other workers win the race


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OutboxMessage(db.Model):
    """One outgoing message (e-mail). Recipient, subject and body are encrypted at rest."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(String(32), default="mail")
    recipient: Mapped[str] = mapped_column(EncryptedText())
    subject: Mapped[str] = mapped_column(EncryptedText())
    body: Mapped[str] = mapped_column(EncryptedText())
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)  # class and code only
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)

    def __repr__(self) -> str:  # never the recipient or the text
        return f"<OutboxMessage {self.id} {self.kind} {self.status} attempts={self.attempts}>"


# --- enqueue ------------------------------------------------------------------------------------

def insert_once(session: Session, model: type, values: dict[str, Any], *, key: str = "dedupe_key") -> int | None:
    """INSERT ``values`` unless a row with the same ``values[key]`` exists (it may be uncommitted in
    this very transaction, or committed by another). Returns the new id, or None for a duplicate.
    Never raises IntegrityError for the duplicate, so the caller's transaction stays usable."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=[key]).returning(model.id)
        return session.execute(stmt).scalar()
    column = getattr(model, key)
    if session.scalar(select(model.id).where(column == values[key])) is not None:
        return None
    row = model(**values)
    session.add(row)
    session.flush()
    return row.id


def _check_header(name: str, value: str) -> None:
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        raise ValueError(f"{name} must be one line of text")


def enqueue_mail(to: str, subject: str, body: str, *, dedupe_key: str | None = None,
                 session: Session | None = None, html: str | None = None,
                 attachments: list[tuple[str, str, bytes]] | None = None) -> OutboxMessage | None:
    """Queue one e-mail in the current ``db.session`` (or ``session``) without committing.

    Returns the new row, or None when a mail with ``dedupe_key`` is already queued (or sent).
    ``dedupe_key`` must not contain personal data (use ids: ``"received:1234"``).
    ``html``: a ``text/html`` alternative of ``body``. ``attachments``: (filename, content type,
    bytes). With either, the row is of kind ``mail+attachments`` and its (encrypted) body holds
    the text, the HTML and the files as JSON (no schema change)."""
    _check_header("to", to)
    _check_header("subject", subject)
    if not to.strip():
        raise ValueError("to must not be empty")
    if not isinstance(body, str):
        raise ValueError("body must be text")
    session = session if session is not None else db.session
    now = utcnow()
    kind = "mail"
    if attachments or html is not None:
        packed: dict[str, Any] = {"text": body, "attachments": [
            {"filename": name, "content_type": ctype, "data": base64.b64encode(data).decode("ascii")}
            for name, ctype, data in attachments or ()]}
        if html is not None:
            packed["html"] = html
        kind, body = ATTACHMENTS_KIND, json.dumps(packed, ensure_ascii=False)
    values = {"created_at": now, "kind": kind, "recipient": to.strip(), "subject": subject, "body": body,
              "status": PENDING, "attempts": 0, "next_attempt_at": now, "dedupe_key": dedupe_key}
    if dedupe_key is None:
        row = OutboxMessage(**values)
        session.add(row)
        return row
    new_id = insert_once(session, OutboxMessage, values)
    return None if new_id is None else session.get(OutboxMessage, new_id)


def enqueue_webhook(url: str, body: str, headers: dict[str, str], *, dedupe_key: str,
                    session: Session | None = None) -> OutboxMessage | None:
    """Queue one webhook POST (kind ``webhook``) in the current session without committing; None
    when one with ``dedupe_key`` is queued already. The worker POSTs ``body`` with ``headers`` to
    ``url`` (no redirects followed); any answer but 2xx is retried like a mail."""
    for name, value in headers.items():
        _check_header(name, value)
    if not url.startswith(("https://", "http://")):
        raise ValueError("a webhook URL is http(s)")
    session = session if session is not None else db.session
    now = utcnow()
    values = {"created_at": now, "kind": WEBHOOK_KIND, "recipient": url, "subject": json.dumps(headers),
              "body": body, "status": PENDING, "attempts": 0, "next_attempt_at": now, "dedupe_key": dedupe_key}
    new_id = insert_once(session, OutboxMessage, values)
    return None if new_id is None else session.get(OutboxMessage, new_id)


class WebhookRefused(Exception):
    """The receiver answered, but not 2xx."""

    def __init__(self, status: int):
        self.status = status
        super().__init__(f"HTTP {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # a 3xx is an answer, not a new address
        return None


def _webhook_request(message: OutboxMessage) -> urllib.request.Request:
    if not message.recipient.startswith(("https://", "http://")):  # urlopen below: no file:// or other schemes
        raise ValueError("a webhook URL is http(s)")
    return urllib.request.Request(message.recipient, data=message.body.encode("utf-8"),  # noqa: S310  # nosec B310
                                  headers=json.loads(message.subject), method="POST")


def _post(request: urllib.request.Request) -> None:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=WEBHOOK_TIMEOUT) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if not 200 <= status < 300:
        raise WebhookRefused(status)


# --- delivery -----------------------------------------------------------------------------------

def backoff(attempts: int, base: dt.timedelta = BASE_DELAY) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4, … minutes (``base`` doubling), at
    most 6 hours."""
    return min(base * 2 ** min(max(attempts - 1, 0), 20), MAX_DELAY)


def retry_base() -> dt.timedelta:
    """OUTBOX_RETRY_SECONDS: the first wait after a failed try (a minute unless set)."""
    return dt.timedelta(seconds=float(current_app.config.get("OUTBOX_RETRY_SECONDS", BASE_DELAY.total_seconds())))


@dataclass
class PassReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    server_down: bool = False

    def __str__(self) -> str:
        text = f"sent {self.sent}, retried {self.retried}, failed {self.failed}"
        return text + (" (mail server unreachable: pass ended early)" if self.server_down else "")


_UNREACHABLE = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError)


def describe_error(exc: BaseException) -> str:
    """The error class and SMTP code: never the server's text (it may quote an address)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, mailer.PermanentMailError):
        return f"permanent: {exc}"[:200]  # built from codes only (core.mailer)
    if isinstance(exc, WebhookRefused):
        return f"webhook HTTP {exc.status}"
    if isinstance(exc, urllib.error.URLError):
        return f"webhook {type(exc.reason).__name__ if isinstance(exc.reason, BaseException) else 'URLError'}"[:200]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({c for c, _ in exc.recipients.values()})
        return f"SMTPRecipientsRefused {','.join(map(str, codes))}"[:200]
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:200]


def _claim(session: Session, now: dt.datetime) -> tuple[int, int] | None:
    """Take the next due row for this worker: (id, attempts including this one), or None.
    Committed before anything is sent."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(CLAIM_TRIES):
        query = (select(OutboxMessage.id)
                 .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
        if postgres:
            query = query.with_for_update(skip_locked=True)
        message_id = session.scalar(query)
        if message_id is None:
            session.rollback()
            return None
        attempts = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING,
                   OutboxMessage.next_attempt_at <= now)
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
            .returning(OutboxMessage.attempts)
            .execution_options(synchronize_session=False)).scalar()
        session.commit()
        if attempts is not None:
            return message_id, attempts
    return None


def _build(message: OutboxMessage) -> Any:
    created = aware(message.created_at) or utcnow()
    sender = mail_from()  # MAIL_FROM, else the pack's sender
    message_id = mailer.message_id_for(f"outbox.{message.id}.{int(created.timestamp())}", sender)
    body, html, attachments = message.body, None, []
    if message.kind == ATTACHMENTS_KIND:
        packed = json.loads(message.body)
        body, html = packed["text"], packed.get("html")
        attachments = [(a["filename"], a["content_type"], base64.b64decode(a["data"])) for a in packed["attachments"]]
    return mailer.build_message(message.recipient, message.subject, body, sender=sender,
                                sender_name=sender_name(), html=html, message_id=message_id,
                                attachments=attachments)


def _send(mail: Any) -> None:
    config = current_app.config
    mailer.send(mail, host=config["SMTP_HOST"], port=int(config["SMTP_PORT"]),
                timeout=float(config.get("SMTP_TIMEOUT", mailer.DEFAULT_TIMEOUT)))


WEBHOOK_FAILED = N_("連携システムへの通知（送信キュー番号 %(number)s）を送れず、送信を打ち切りました（%(attempts)d回試行、"
                    "最後のエラー: %(error)s）。通知先のURLと相手のシステムの状態を確認してください。")
MAIL_FAILED = N_("メール（送信キュー番号 %(number)s）を送信できず、送信を打ち切りました（%(attempts)d回試行、最後のエラー: "
                 "%(error)s）。メールサーバーの状態と宛先を確認してください。")


def _alert_failed(message_id: int, attempts: int, error: str, webhook: bool = False) -> None:
    try:
        if webhook:
            alerts.raise_alert("webhook_failed", Message(WEBHOOK_FAILED, number=message_id, attempts=attempts,
                                                         error=error))
            return
        alerts.raise_alert("mail_failed", Message(MAIL_FAILED, number=message_id, attempts=attempts, error=error))
    except Exception:  # an alert must never stop the worker
        log.exception("could not raise the mail_failed alert")


def deliver_due(limit: int = 100) -> PassReport:
    """One pass: send up to ``limit`` due messages. Needs an app context; uses its own session
    (nothing of the caller's ``db.session`` is committed or rolled back)."""
    with Session(db.engine) as session:
        return _deliver(session, limit)


def _deliver(session: Session, limit: int) -> PassReport:
    report = PassReport()
    for _ in range(limit):
        claimed = _claim(session, utcnow())
        if claimed is None:
            break
        message_id, attempts = claimed
        permanent, error, webhook = False, None, False
        try:
            message = session.get(OutboxMessage, message_id)  # decrypts: may fail for a broken row
            webhook = message is not None and message.kind == WEBHOOK_KIND
            request = _webhook_request(message) if webhook and message is not None else None
            mail = _build(message) if message is not None and not webhook else None
            session.rollback()  # no transaction stays open while we talk to the mail server
            if request is not None:
                try:
                    _post(request)
                except (WebhookRefused, OSError) as exc:  # URLError too: one receiver down stops nothing else
                    error = describe_error(exc)
            if mail is not None:
                _send(mail)
        except mailer.PermanentMailError as exc:
            permanent, error = True, describe_error(exc)
        except _UNREACHABLE as exc:
            error, report.server_down = describe_error(exc), True
        except Exception as exc:  # a broken row (undecryptable, bad header) must not stop the others
            error = describe_error(exc)
            log.warning("outbox message could not be built", extra={"outbox_id": message_id, "error": error})
        session.rollback()  # nothing of the load stays in the identity map
        now = utcnow()
        if error is None:
            values = {"status": SENT, "sent_at": now, "last_error": None}
            report.sent += 1
        elif permanent or attempts >= MAX_ATTEMPTS:
            values = {"status": FAILED, "last_error": error}
            report.failed += 1
        else:
            values = {"next_attempt_at": now + backoff(attempts, retry_base()), "last_error": error}
            report.retried += 1
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
                        .execution_options(synchronize_session=False))
        session.commit()
        if error is not None:
            log.warning("outbox delivery failed", extra={"outbox_id": message_id, "attempts": attempts,
                                                         "error": error, "permanent": permanent})
        if error is not None and (permanent or attempts >= MAX_ATTEMPTS):
            _alert_failed(message_id, attempts, error, webhook)
        if report.server_down:
            break  # the others wait for the next pass; no point knocking on a closed door
    return report


def counts() -> dict[str, int]:
    """Rows per status (``pending`` is the backlog)."""
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    result = {PENDING: 0, SENT: 0, FAILED: 0}
    result.update({status: n for status, n in rows})
    return result


def pending_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == PENDING)) or 0)


def purge_sent(days: int | None = None) -> int:
    """Delete sent messages older than ``days`` (default ``OUTBOX_RETENTION_DAYS``, 30): their
    personal data has no use once delivered. Failed ones stay for ``flask outbox retry``. Commits."""
    days = int(current_app.config.get("OUTBOX_RETENTION_DAYS", 30) if days is None else days)
    cutoff = utcnow() - dt.timedelta(days=days)
    deleted = db.session.execute(delete(OutboxMessage).where(OutboxMessage.status == SENT,
                                                             OutboxMessage.sent_at < cutoff)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return deleted


def requeue(*, message_id: int | None = None, all_failed: bool = False) -> int:
    """Put failed rows back in the queue (attempts from 0). Commits. Returns how many."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == FAILED)
    if message_id is not None:
        stmt = stmt.where(OutboxMessage.id == message_id)
    elif not all_failed:
        return 0
    changed = db.session.execute(stmt.values(status=PENDING, attempts=0, next_attempt_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return changed


# --- the worker process -------------------------------------------------------------------------

def run_worker(*, once: bool = False, interval: float = 5.0, batch: int = 100,
               stop: threading.Event | None = None) -> PassReport:
    """Deliver until ``stop`` is set (SIGTERM/SIGINT in ``flask worker``); ``once``: a single pass."""
    stop = stop or threading.Event()
    total = PassReport()
    audit_every = float(current_app.config.get("AUDIT_CHECK_SECONDS", 300))
    next_audit_check = next_purge = 0.0
    while True:
        try:
            report = deliver_due(batch)
        except Exception:
            if once:
                raise
            log.exception("outbox pass failed (database unreachable?); trying again")
            report = PassReport()
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        total.server_down = total.server_down or report.server_down
        if report.sent or report.retried or report.failed:
            log.info("outbox pass", extra={"sent": report.sent, "retried": report.retried, "failed": report.failed})
        if once:
            return total
        if time.monotonic() >= next_purge:
            next_purge = time.monotonic() + 24 * 3600
            try:
                purged = purge_sent()
                if purged:
                    log.info("outbox: sent messages past retention deleted", extra={"deleted": purged})
            except Exception:
                log.exception("outbox purge failed")
                db.session.rollback()
        if audit_every > 0 and time.monotonic() >= next_audit_check:
            next_audit_check = time.monotonic() + audit_every
            try:
                from core.monitoring import check_audit_chain  # cycle: core.monitoring imports this module
                check_audit_chain()
            except Exception:
                log.exception("audit chain check failed")
            finally:
                db.session.remove()
        busy = report.sent + report.retried + report.failed >= batch and not report.server_down
        if stop.wait(0 if busy else interval):
            return total


def init_outbox(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="One pass over the due messages, then exit (tests, cron).")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between passes when idle.")
    @click.option("--batch", default=100, show_default=True, help="Messages at most per pass.")
    def worker(once: bool, interval: float, batch: int) -> None:
        """Deliver queued e-mail over SMTP (SMTP_HOST:SMTP_PORT), with retries and back-off."""
        stop = threading.Event()
        if not once:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            click.echo(f"outbox worker: SMTP {app.config['SMTP_HOST']}:{app.config['SMTP_PORT']}, "
                       f"every {interval:g} s (Ctrl+C to stop)")
        report = run_worker(once=once, interval=interval, batch=batch, stop=stop)
        click.echo(str(report))

    @app.cli.group("outbox")
    def outbox_cli() -> None:
        """The e-mail outbox."""

    @outbox_cli.command("status")
    def status() -> None:
        """Messages per status (pending is the backlog)."""
        for name, n in counts().items():
            click.echo(f"{name}: {n}")

    @outbox_cli.command("purge")
    @click.option("--days", type=int, default=None,
                  help="Keep sent messages this many days (default OUTBOX_RETENTION_DAYS, 30).")
    def purge(days: int | None) -> None:
        """Delete sent messages past retention (the worker does this daily too)."""
        click.echo(f"deleted {purge_sent(days)}")

    @outbox_cli.command("retry")
    @click.option("--id", "message_id", type=int, help="One failed message.")
    @click.option("--failed", "all_failed", is_flag=True, help="Every failed message.")
    def retry(message_id: int | None, all_failed: bool) -> None:
        """Put failed messages back in the queue (after fixing the mail server or the address)."""
        if message_id is None and not all_failed:
            raise click.UsageError("give --id N or --failed")
        click.echo(f"requeued {requeue(message_id=message_id, all_failed=all_failed)}")
