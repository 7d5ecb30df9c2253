"""Personal data nobody will use: uploads no application claimed (a page abandoned after
choosing a file) and drafts never sent whose resume link has expired. Plain functions; the
`flask applications purge` command calls them (from cron, hourly: docs/deployment.md)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, select

from core.db import db
from intake import workflow
from intake.models import Application, ApplicationAttachment, ApplicationEvent
from intake.payments.models import Payment


def unclaimed_uploads(before: dt.datetime):
    return select(ApplicationAttachment.id).where(ApplicationAttachment.application_id.is_(None),
                                                  ApplicationAttachment.created_at < before)


def abandoned_drafts(before: dt.datetime):
    """Never sent, untouched since ``before``, and no payment ever started (money needs a trail)."""
    touched = db.func.coalesce(Application.updated_at, Application.created_at)
    return select(Application.id).where(
        Application.status.in_(sorted(workflow.BEFORE_SUBMISSION)), Application.receipt_number.is_(None),
        touched < before, ~exists().where(Payment.application_id == Application.id))


def purge(*, uploads_before: dt.datetime, drafts_before: dt.datetime, dry_run: bool = False) -> tuple[int, int]:
    """(uploads, drafts) deleted — or that would be, with ``dry_run``. Commits."""
    upload_ids = list(db.session.scalars(unclaimed_uploads(uploads_before)))
    draft_ids = list(db.session.scalars(abandoned_drafts(drafts_before)))
    if not dry_run:
        if upload_ids:
            db.session.execute(delete(ApplicationAttachment).where(ApplicationAttachment.id.in_(upload_ids)))
        if draft_ids:  # attachments and events go with them (ON DELETE CASCADE; SQLite: explicitly)
            db.session.execute(delete(ApplicationAttachment).where(ApplicationAttachment.application_id.in_(draft_ids)))
            db.session.execute(delete(ApplicationEvent).where(ApplicationEvent.application_id.in_(draft_ids)))
            db.session.execute(delete(Application).where(Application.id.in_(draft_ids)))
        db.session.commit()
    return len(upload_ids), len(draft_ids)
