"""What a member of staff does to a sent application besides moving it (the console): a note,
an assignment, the fee, a refund. Each function makes the change, commits, then writes its audit
record — one unit, like :func:`intake.applications.staff_decision`, so no view can forget either.
Refusals roll back and raise ApplicationError with nothing committed (a refund at the provider excepted: it
keeps what the provider answered, see ``intake.payments.service.refund``)."""
from __future__ import annotations

from core import audit
from core.db import db
from intake import applications
from intake.models import Application, ApplicationEvent
from intake.payments import service as payments

INTERNAL_NOTE = "internal_note"  # an ApplicationEvent kind: staff only, never the resident


def add_note(app: Application, text: str, actor: str) -> ApplicationEvent:
    """職員メモ, kept in the history (encrypted like every note); the audit keeps its length only."""
    event = applications.record_event(app, INTERNAL_NOTE, actor, note=text)
    db.session.commit()
    audit.record("application.note", target=app.receipt_number or "", details={"length": len(text)})
    return event


def assign(app: Application, assignee_id: int | None, assignee_login: str | None, actor: str) -> ApplicationEvent:
    """担当者 (None: nobody)."""
    app.assignee_id = assignee_id
    event = applications.record_event(app, "assign", actor, note=assignee_login or "-")
    applications.touch(app)
    db.session.commit()
    audit.record("application.assign", target=app.receipt_number or "", details={"assignee": assignee_login})
    return event


def confirm_fee(app: Application, amount: int, actor: str) -> None:
    """The fee staff fixed after reading the application (see :func:`intake.applications.confirm_fee`)."""
    try:
        applications.confirm_fee(app, amount, actor)
    except applications.ApplicationError:
        db.session.rollback()
        raise
    db.session.commit()
    audit.record("application.fee", target=app.receipt_number or "", details={"amount": amount})


def refund(app: Application, amount: int, reason: str, actor: str):
    """Give back ``amount`` yen through the payments service; the refund it made is returned."""
    try:
        made = payments.refund(app, amount, reason, actor)
    except applications.ApplicationError:
        db.session.rollback()  # what the provider answered is already committed
        raise
    db.session.commit()
    audit.record("application.refund", target=app.receipt_number or "", details={"amount": amount})
    return made
