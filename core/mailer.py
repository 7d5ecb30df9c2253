"""One e-mail, built and sent over SMTP (plain Python: no Flask, no database).

Only the outbox worker (``core.outbox``) calls :func:`send`; everything else enqueues mail with
``core.outbox.enqueue_mail`` so that it is written in the same transaction as its cause.

Japanese text: the subject is an RFC 2047 encoded word (``=?utf-8?b?...?=``), the body is
``text/plain; charset="utf-8"`` in base64 (with a ``text/html`` alternative when given), so no
relay on the way has to pass 8-bit data. Display names (the sender's) go through
``email.headerregistry.Address``: quoted or encoded as RFC 5322 wants, so a name with ``"``, ``,``
or ``<x@y>`` in it stays one name and never becomes another address.
"""
from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

DEFAULT_TIMEOUT = 30.0  # seconds for connecting and for each SMTP command


class PermanentMailError(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


def _domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"


def _one_line(text: str) -> str:
    return " ".join(text.split())  # no CR/LF or control whitespace can reach a header


def mailbox(address: str, display_name: str = "") -> Address:
    """One mailbox with its display name quoted/encoded by the email package (never pasted into
    the header as text). ``address`` may already read ``Name <addr>``: its own name then wins."""
    addr = address.strip()
    if "<" in addr and addr.endswith(">"):
        own, _, addr = addr[:-1].rpartition("<")
        display_name = own.strip().strip('"') or display_name
    return Address(display_name=_one_line(display_name), addr_spec=addr.strip())


def build_message(to: str, subject: str, body: str, *, sender: str, sender_name: str = "",
                  html: str | None = None, message_id: str | None = None,
                  attachments: Sequence[tuple[str, str, bytes]] = ()) -> EmailMessage:
    """A ``text/plain`` UTF-8 message with proper MIME headers for Japanese; ``html`` adds a
    ``text/html`` alternative; ``attachments`` (filename, content type, bytes) make it
    ``multipart/mixed`` (e.g. a booking's ``.ics``). ``sender_name`` is the From display name."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = mailbox(sender, sender_name)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id or make_msgid(domain=_domain(sender))
    msg["MIME-Version"] = "1.0"
    msg.set_content(body, charset="utf-8", cte="base64")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg


def message_id_for(key: str, sender: str) -> str:
    """A stable Message-ID for one outbox row: a retransmission after a crash carries the same id."""
    return f"<{key}@{_domain(sender)}>"


def send(msg: EmailMessage, *, host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Deliver ``msg`` to the SMTP server at ``host:port``.

    Raises :class:`PermanentMailError` when the server answers 5xx to the sender, a recipient or
    the data; any other exception (``OSError``, ``smtplib.SMTPException``) is temporary.
    """
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        smtp.ehlo_or_helo_if_needed()
        try:
            refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentMailError(f"recipient refused ({', '.join(map(str, sorted(set(codes))))})") from None
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentMailError(f"{type(exc).__name__} {exc.smtp_code}") from None
            raise
        except smtplib.SMTPNotSupportedError:
            raise PermanentMailError("SMTPNotSupportedError") from None
        if refused:  # only for several recipients; one outbox message has one
            raise PermanentMailError("recipient refused")
