"""郵送済: the issued document was posted to the resident.

The workflow has one status for both (発行済・郵送済, ``workflow.ISSUED``); when the document goes
by post, staff also record the day it was posted: a ``dispatch`` event in the history (not a new
status: nothing else changes, 完了 follows as before). The resident gets an e-mail and their
status page says 「郵送しました」 with the date. Only for an issued application that is not picked
up at a counter, and once. Plain Python: the caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.db import db
from core.outbox import enqueue_mail
from intake import applications, workflow
from intake.applications import ApplicationError
from intake.models import Application, ApplicationEvent

DISPATCH = "dispatch"
LABEL = {"ja": "郵送しました", "en": "Posted"}
RESIDENT_TEXT = {"ja": "発行したものを郵送しました。数日で届きます。1週間たっても届かないときは、担当課に連絡してください。",
                 "en": "We have posted what was issued. It arrives in a few days. If it has not arrived after a week, "
                       "contact the department."}


def dispatch_event(app: Application) -> ApplicationEvent | None:
    return db.session.scalars(select(ApplicationEvent).where(
        ApplicationEvent.application_id == app.id, ApplicationEvent.kind == DISPATCH)
        .order_by(ApplicationEvent.id).limit(1)).first()


def dispatched(ids: Iterable[str]) -> set[str]:
    """Which of these applications have been posted (one query, for a page of the inbox)."""
    wanted = list(ids)
    if not wanted:
        return set()
    return set(db.session.scalars(select(ApplicationEvent.application_id).where(
        ApplicationEvent.application_id.in_(wanted), ApplicationEvent.kind == DISPATCH)))


def record_dispatch(app: Application, actor: str) -> ApplicationEvent:
    if app.status != workflow.ISSUED:
        raise ApplicationError("not_issued", f"「{workflow.label(workflow.ISSUED)}」の申請だけ郵送済にできます。先に発行済にしてください。",
                               f"Only an application marked “{workflow.label(workflow.ISSUED, 'en')}” can be marked as posted.")
    delivery = applications.values(app).get("delivery")
    if delivery not in (None, "", "mail"):
        raise ApplicationError("not_by_post", "窓口で受け取る申請です。郵送済にはできません。",
                               "This application is picked up at a counter: it cannot be marked as posted.")
    if dispatch_event(app) is not None:
        raise ApplicationError("already_posted", "すでに郵送済です。", "Already marked as posted.")
    event = applications.record_event(app, DISPATCH, actor)
    applications.touch(app)
    _notify(app, event)
    return event


def _notify(app: Application, event: ApplicationEvent) -> None:
    from intake import links  # Flask-side: absolute URLs

    number = app.receipt_number or ""
    if app.locale == "en":
        subject = f"[Kakogawa City] Application {number}: posted"
        body = (f"{RESIDENT_TEXT['en']}\n\nReceipt number: {number}\nStatus page (keep this link private):\n"
                f"{links.status_url(app.id)}\n\nThis e-mail was sent automatically. Please do not reply.")
    else:
        subject = f"【加古川市】申請 {number}：郵送しました"
        body = (f"{RESIDENT_TEXT['ja']}\n\n受付番号：{number}\n申請の状態（このリンクは他の人に教えないでください）：\n"
                f"{links.status_url(app.id)}\n\nこのメールは送信専用です。返信はできません。")
    enqueue_mail(app.email, subject, body, dedupe_key=f"application-event:{event.id}")
