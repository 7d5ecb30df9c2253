"""郵送済: the issued document was posted to the resident.

The workflow has one status for both (発行済・郵送済, ``workflow.ISSUED``); when the document goes
by post, staff also record the day it was posted: a ``dispatch`` event in the history (not a new
status: nothing else changes, 完了 follows as before). The resident gets an e-mail and their
status page says 「郵送しました」 with the date. Only for an issued application that is not picked
up at a counter, and once. Plain Python: the caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.db import db
from core.i18n import lazy_message
from core.mail_templates import locale_of, render_mail
from core.outbox import enqueue_mail
from core.words import N_, Message
from intake import applications, links, workflow
from intake.applications import ApplicationError
from intake.models import Application, ApplicationEvent

DISPATCH = "dispatch"
LABEL = Message(N_("郵送しました"))
RESIDENT_TEXT = Message(N_("発行したものを郵送しました。数日で届きます。1週間たっても届かないときは、担当課に連絡してください。"))


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
        issued = lazy_message(workflow.LABELS[workflow.ISSUED])
        raise ApplicationError("not_issued", _l("「%(status)s」の申請だけ郵送済にできます。先に発行済にしてください。", status=issued))
    delivery = applications.values(app).get("delivery")
    if delivery not in (None, "", "mail"):
        raise ApplicationError("not_by_post", _l("窓口で受け取る申請です。郵送済にはできません。"))
    if dispatch_event(app) is not None:
        raise ApplicationError("already_posted", _l("すでに郵送済です。"))
    event = applications.record_event(app, DISPATCH, actor)
    applications.touch(app)
    _notify(app, event)
    return event


def _notify(app: Application, event: ApplicationEvent) -> None:

    locale = locale_of(app.locale)
    mail = render_mail("application_posted", locale, number=app.receipt_number or "",
                       resident_text=RESIDENT_TEXT[locale], status_url=links.status_url(app.id))
    enqueue_mail(app.email, mail.subject, mail.text, html=mail.html, dedupe_key=f"application-event:{event.id}")
