"""`flask applications purge`: unclaimed uploads and expired drafts go; anything sent, claimed,
recent or with a payment stays."""
import datetime as dt

import pytest
from sqlalchemy import update

from core.db import db
from core.uploads import DraftCaps
from intake import applications as svc
from intake.forms import load_forms
from intake.models import Application, ApplicationAttachment
from intake.payments.models import Payment

PDF = b"%PDF-1.4\n" + b"0" * 100
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def form():
    return load_forms("kakogawa")["juminhyo_utsushi"]


def _age(model, ident, column="created_at"):
    db.session.execute(update(model).where(model.id == ident).values({column: LONG_AGO}))


def test_purge_deletes_only_what_nobody_will_use(app, form):
    with app.test_request_context("/"):
        caps = DraftCaps(files=20, bytes=50 * 2**20)
        old_upload = svc.store_upload(form, "proxy_letter", "a.pdf", PDF, draft="u:old", caps=caps)
        new_upload = svc.store_upload(form, "proxy_letter", "b.pdf", PDF, draft="u:new", caps=caps)
        _age(ApplicationAttachment, old_upload.id)
        old_draft = svc.new_application(form, {}, "old@example.jp")
        paid_draft = svc.new_application(form, {}, "paid@example.jp")
        recent_draft = svc.new_application(form, {}, "new@example.jp")
        sent = svc.new_application(form, {}, "sent@example.jp")
        sent.status, sent.receipt_number = "submitted", "201231-000001"
        db.session.add(Payment(id="p-1", application_id=paid_draft.id, provider="sandbox", amount=300, status="pending",
                               created_at=LONG_AGO, updated_at=LONG_AGO))
        db.session.flush()
        for one in (old_draft, paid_draft, sent):
            _age(Application, one.id, "updated_at")
        db.session.commit()
        ids = {"old": old_draft.id, "paid": paid_draft.id, "recent": recent_draft.id, "sent": sent.id}
        upload_ids = (old_upload.id, new_upload.id)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["applications", "purge", "--dry-run"])
    assert "would delete" in dry.output and dry.exit_code == 0
    result = runner.invoke(args=["applications", "purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(ApplicationAttachment, upload_ids[0]) is None
        assert db.session.get(ApplicationAttachment, upload_ids[1]) is not None
        assert db.session.get(Application, ids["old"]) is None
        for kept in ("paid", "recent", "sent"):
            assert db.session.get(Application, ids[kept]) is not None, kept


def test_unclaimed_bytes_go_after_the_retention_and_claimed_ones_stay(app, form):
    """Default retention: 6 hours (the purge runs hourly). A pending upload older than that goes,
    a newer one and a claimed one stay."""
    assert app.config["UPLOAD_RETENTION_HOURS"] == 6
    seven_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=7)
    caps = DraftCaps(files=20, bytes=50 * 2**20)
    with app.test_request_context("/"):
        owner = svc.new_application(form, {}, "owner@example.jp")
        draft = svc.web_upload_draft(owner)
        stale = svc.store_upload(form, "proxy_letter", "a.pdf", PDF, draft=draft, caps=caps)
        fresh = svc.store_upload(form, "proxy_letter", "b.pdf", PDF, draft=draft, caps=caps)
        claimed = svc.store_upload(form, "proxy_letter", "c.pdf", PDF, draft=draft, caps=caps)
        claimed.application_id = owner.id
        db.session.flush()
        for one in (stale, claimed):
            db.session.execute(update(ApplicationAttachment).where(ApplicationAttachment.id == one.id)
                               .values(created_at=seven_hours_ago))
        db.session.commit()
        ids = stale.id, fresh.id, claimed.id
    result = app.test_cli_runner().invoke(args=["applications", "purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(ApplicationAttachment, ids[0]) is None
        assert db.session.get(ApplicationAttachment, ids[1]) is not None
        assert db.session.get(ApplicationAttachment, ids[2]).data == PDF
