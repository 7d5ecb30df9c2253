"""What a resident does to their application, on the pages (intake/views.py) or through the API
(intake/api.py): start it, save answers, sign, pay, send, withdraw. Each function makes the
change and commits — or rolls back and raises ApplicationError — as one unit, like
:mod:`intake.staff_actions`, so no view or endpoint can forget either.

Plain Python with SQLAlchemy (no Flask): the callers parse the request and pass what it said.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from core.db import db
from core.uploads import DraftCaps
from intake import applications, jpki
from intake.forms import Form
from intake.models import Application, ApplicationAttachment
from intake.payments.service import start_checkout


def start(form: Form, email: str, *, locale: str = "ja", channel: str = "web") -> Application:
    """A new draft with no answers yet (the web's first page)."""
    app = applications.new_application(form, {}, email, locale=locale, channel=channel)
    db.session.commit()
    return app


def create_for_signing(form: Form, fields: Mapping[str, Any], email: str, upload_draft) -> tuple[Application, bytes]:
    """A draft with every answer (the API), ready for signing: the application and the bytes to sign."""
    app = applications.new_application(form, fields, email, channel="api", upload_draft=upload_draft)
    payload = applications.prepare_signing(app, form)
    db.session.commit()
    return app, payload


def keep_uploads() -> None:
    """The files stored while a page was being filled in are kept, whatever the page says next."""
    db.session.commit()


def save_answers(app: Application, form: Form, answers: Mapping[str, Any]) -> None:
    """The page's answers, merged with the stored ones; nothing is kept on ApplicationError."""
    try:
        applications.save_fields(app, form, answers)
    except applications.ApplicationError:
        db.session.rollback()
        raise
    db.session.commit()


def save_draft(app: Application, form: Form, answers: Mapping[str, Any]) -> None:
    """下書きを保存: the answers if they can be kept (else the ones stored before), and the link mailed."""
    try:
        applications.save_fields(app, form, answers)
    except applications.ApplicationError:
        db.session.rollback()
    applications.send_resume_link(app)
    db.session.commit()


def to_signing(app: Application, form: Form, today: dt.date | None = None, *, sign_again: bool = False) -> bytes:
    """確認 done: the bytes to sign are fixed. ``sign_again``: a correction is signed anew (the old
    signature goes, kept in the history)."""
    if sign_again:
        applications.save_fields(app, form, applications.values(app))
    payload = applications.prepare_signing(app, form, today)
    db.session.commit()
    return payload


def record_signature(app: Application, result: jpki.Verification, certificate: str, signature_b64: str, moment: dt.datetime,
                     chain: list[str], items: Sequence[str] | None = None) -> None:
    """A checked signature, kept whether it passed or not (a failed check stays in the history).
    ``items``: the 基本4情報 the form compares with the certificate (``Form.signature_items``)."""
    applications.record_signature(app, result, certificate, signature_b64, moment, chain, items)
    db.session.commit()


def store_upload(form: Form, field_id: str, filename: str, data: bytes, *, draft: str, caps: DraftCaps) -> ApplicationAttachment:
    """One file for an upload draft (the API); ApplicationError (or RequestEntityTooLarge) keeps nothing."""
    try:
        attachment = applications.store_upload(form, field_id, filename, data, draft=draft, caps=caps)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return attachment


def checkout(app: Application, return_url: str, cancel_url: str) -> str:
    """The provider's checkout address for the fee; ApplicationError (nothing kept) when there is none."""
    try:
        url = start_checkout(app, return_url, cancel_url)
    except applications.ApplicationError:
        db.session.rollback()
        raise
    db.session.commit()
    return url


def checkout_after_refusal(app: Application, back: str) -> str | None:
    """Where a fee refused at submission can be paid, or None (e.g. the provider is unreachable)."""
    try:
        return start_checkout(app, back, back)
    except applications.ApplicationError:
        db.session.rollback()
        return None


class KeyReused(Exception):
    """The Idempotency-Key was claimed by another application at the same moment."""


def submit(app: Application, key: str) -> bool:
    """送信 (see :func:`intake.applications.submit`): True when sent now, False when it had been sent
    before (nothing changes). ApplicationError and KeyReused keep nothing."""
    try:
        sent = applications.submit(app, key)
    except applications.ApplicationError:
        db.session.rollback()
        raise
    except IntegrityError as exc:
        db.session.rollback()
        raise KeyReused() from exc
    if not sent:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def withdraw(app: Application) -> None:
    """取り下げ by the resident."""
    applications.withdraw(app)
    db.session.commit()
