"""intake.applications: one service for every channel. Submit once however often it is sent,
attachments that belong to the application, signatures dropped when the content changes, and
a history whose ids only grow (the back-office cursor)."""
import datetime as dt
import re
import threading
import uuid

import pytest
from sqlalchemy import func, select

from core.db import db
from core.outbox import OutboxMessage
from core.uploads import DraftCaps
from intake import applications as svc
from intake import jpki, workflow
from intake.forms import load_forms
from intake.models import Application, ApplicationEvent

PDF = b"%PDF-1.4\n" + b"0" * 2000
CAPS = DraftCaps(files=20, bytes=50 * 2**20)
FIELDS = {
    "applicant_family_name": "加古川", "applicant_given_name": "花子",
    "applicant_family_kana": "カコガワ", "applicant_given_kana": "ハナコ",
    "applicant_birth_date": "1985-04-01", "applicant_phone": "0794213000",
    "applicant_address": {"postal_code": "6750064", "prefecture": "兵庫県", "city": "加古川市",
                          "street": "加古川町北在家2000"},
    "applicant_role": "self", "whose": "self", "householder_relation": "omit", "honseki": "omit",
    "mynumber": "omit", "juminhyo_code": "omit", "style": "household_list", "copies": 2,
    "purpose": "work", "delivery": "mail",
}


@pytest.fixture(scope="module")
def forms():
    return load_forms("kakogawa")


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield
        db.session.rollback()


def _signed(form, fields=FIELDS, email="hanako@example.jp") -> Application:
    app = svc.new_application(form, fields, email)
    svc.prepare_signing(app, form)
    verification = jpki.Verification(ok=True, code=None, message=None,
                                     signer={"name": "加古川 花子", "address": "兵庫県加古川市加古川町北在家2000",
                                             "birth_date": "S19850401", "sex": "2"},
                                     serial="0A1B", issuer="CN=dev")
    svc.record_signature(app, verification, "-----BEGIN CERTIFICATE-----", "c2ln", dt.datetime.now(dt.UTC))
    return app


def _pay(app: Application) -> None:
    """The fee collected, as the payment webhook would leave it."""
    from intake.payments.models import Payment
    now = dt.datetime.now(dt.UTC)
    db.session.add(Payment(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"payment:{app.id}")), application_id=app.id, provider="sandbox", amount=app.fee_amount or 0,
                           status="paid", refunded_amount=0, created_at=now, updated_at=now, paid_at=now))
    app.payment_state = "paid"


def _mails_for(app_id: str) -> int:
    ids = [e.id for e in db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == app_id))]
    keys = [f"application-event:{i}" for i in ids]
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key.in_(keys)))


def test_signing_fixes_the_payload_and_the_fee(ctx, forms):
    form = forms["juminhyo_utsushi"]
    app = _signed(form)
    assert app.status == workflow.SIGNED and app.department_id == form.procedure.department
    assert app.fee_amount == 600 and app.payment_timing == "at_submission"  # 300 yen × 2 copies
    assert b'"copies":2' in app.payload.encode()


def test_submit_needs_the_fee_paid_then_gives_one_receipt_number(ctx, forms):
    app = _signed(forms["juminhyo_utsushi"])
    with pytest.raises(svc.ApplicationError) as refused:
        svc.submit(app, "k1")
    assert refused.value.code == "payment_required" and refused.value.status == 402
    _pay(app)
    assert svc.submit(app, "k1") is True
    number = app.receipt_number
    assert re.fullmatch(r"\d{6}-\d{6}", number) and app.status == workflow.SUBMITTED
    assert svc.submit(app, "k1") is False and svc.submit(app, "k2") is False  # double click, retry
    assert app.receipt_number == number and _mails_for(app.id) == 1


@pytest.mark.postgres  # row locks: PostgreSQL (SQLite serialises writers anyway)
def test_two_workers_submitting_at_once_send_it_once(app, forms):
    with app.test_request_context("/"):
        application = _signed(forms["juminhyo_utsushi"])
        _pay(application)
        db.session.commit()
        app_id = application.id
    results, barrier = [], threading.Barrier(2)

    def send(key):
        with app.test_request_context("/"):
            mine = db.session.get(Application, app_id)
            barrier.wait()
            results.append(svc.submit(mine, key))
            db.session.commit()
    threads = [threading.Thread(target=send, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    with app.test_request_context("/"):
        assert _mails_for(app_id) == 1


def test_changing_the_content_drops_the_signature(ctx, forms):
    form = forms["juminhyo_utsushi"]
    app = _signed(form)
    svc.save_fields(app, form, {**FIELDS, "copies": 3})
    assert app.status == workflow.DRAFT and app.signature_b64 is None and app.payload == ""
    assert any(e.kind == "signature" and "superseded" in e.note for e in svc.events(app))


def test_attachments_are_claimed_and_their_digest_is_signed(ctx, forms):
    form = forms["juminhyo_utsushi"]
    upload = svc.store_upload(form, "proxy_letter", "委任状.pdf", PDF, draft="u:one", caps=CAPS)
    fields = {**FIELDS, "applicant_role": "proxy", "proxy_letter": [svc.file_value(upload)]}
    app = svc.new_application(form, fields, "a@example.jp", upload_draft="u:one")
    assert upload.application_id == app.id
    svc.prepare_signing(app, form)
    assert upload.sha256 in app.payload
    other = svc.new_application(form, {}, "b@example.jp")
    with pytest.raises(svc.ApplicationError) as taken:  # someone else's upload cannot be taken over
        svc.save_fields(other, form, fields)
    assert taken.value.code == "attachment_unknown"
    svc.save_fields(app, form, {**FIELDS, "applicant_role": "self"})  # no longer a proxy: the letter goes
    assert svc.attachments(app) == []


def test_only_the_files_the_answers_refer_to_are_signed(ctx, forms):
    """A file of this application that no answer refers to (replaced, or its field now hidden)
    is no part of the signed payload, even while it is still stored."""
    form = forms["juminhyo_utsushi"]
    app = svc.new_application(form, {}, "a@example.jp")
    draft = svc.web_upload_draft(app)
    kept = svc.store_upload(form, "proxy_letter", "委任状.pdf", PDF, draft=draft, caps=CAPS)
    extra = svc.store_upload(form, "proxy_letter", "別.pdf", PDF + b"other", draft=draft, caps=CAPS)
    svc.save_fields(app, form, {**FIELDS, "applicant_role": "proxy", "proxy_letter": [svc.file_value(kept)]})
    assert extra.application_id is None  # pending: uploaded, never referred to
    extra.application_id = app.id  # even if it were this application's
    db.session.flush()
    payload = svc.prepare_signing(app, form).decode()
    assert kept.sha256 in payload and extra.sha256 not in payload and extra.name not in payload


def test_a_page_upload_is_claimed_only_by_the_application_it_was_made_on(ctx, forms):
    form = forms["juminhyo_utsushi"]
    mine, theirs = svc.new_application(form, {}, "a@example.jp"), svc.new_application(form, {}, "b@example.jp")
    upload = svc.store_upload(form, "proxy_letter", "委任状.pdf", PDF, draft=svc.web_upload_draft(mine), caps=CAPS)
    fields = {**FIELDS, "applicant_role": "proxy", "proxy_letter": [svc.file_value(upload)]}
    with pytest.raises(svc.ApplicationError) as taken:
        svc.save_fields(theirs, form, fields)
    assert taken.value.code == "attachment_unknown" and taken.value.status == 400
    svc.save_fields(mine, form, fields)
    assert upload.application_id == mine.id


def test_a_draft_holds_a_capped_number_of_files_and_bytes(ctx, forms):
    form = forms["juminhyo_utsushi"]
    caps = DraftCaps(files=2, bytes=len(PDF) * 3)
    for _ in range(2):
        svc.store_upload(form, "proxy_letter", "a.pdf", PDF, draft="u:full", caps=caps)
    with pytest.raises(svc.ApplicationError) as count:
        svc.store_upload(form, "proxy_letter", "a.pdf", PDF, draft="u:full", caps=caps)
    assert count.value.code == "draft_file_count" and "2件" in count.value.text_in("ja") \
        and "2 files" in count.value.text_in("en")
    svc.store_upload(form, "proxy_letter", "a.pdf", PDF * 2, draft="u:big", caps=caps)
    with pytest.raises(svc.ApplicationError) as size:
        svc.store_upload(form, "proxy_letter", "a.pdf", PDF * 2, draft="u:big", caps=caps)
    assert size.value.code == "draft_too_large" and size.value.status == 400
    svc.store_upload(form, "proxy_letter", "a.pdf", PDF, draft="u:other", caps=caps)  # another draft: its own caps


def test_uploads_are_checked_against_the_field_rules(ctx, forms):
    form = next(f for f in forms.values() if "proxy_letter" in f.fields)
    with pytest.raises(svc.ApplicationError) as wrong:
        svc.store_upload(form, "proxy_letter", "a.txt", b"hello world, not a pdf", draft="u:x", caps=CAPS)
    assert wrong.value.code == "file_type" and "PDF" in wrong.value.text()
    with pytest.raises(svc.ApplicationError) as unknown:
        svc.store_upload(form, "applicant_phone", "a.pdf", PDF, draft="u:x", caps=CAPS)
    assert unknown.value.code == "unknown_field"


def test_correction_then_resubmission_counts_a_revision(ctx, forms):
    form = forms["juminhyo_utsushi"]
    app = _signed(form)
    _pay(app)
    svc.submit(app, "first")
    svc.change_status(app, workflow.REVIEWING, who="staff", actor="staff:t")
    svc.change_status(app, workflow.CORRECTION, who="staff", actor="staff:t", note="通数を確認してください。",
                      field_comments={"copies": "2通でよいですか。"})
    assert svc.latest_correction(app).field_comments_json
    svc.save_fields(app, form, {**FIELDS, "copies": 1})
    assert app.status == workflow.CORRECTION and not svc.is_signed(app)
    with pytest.raises(svc.ApplicationError):
        svc.submit(app, "second")  # not signed again yet
    app2 = app
    svc.prepare_signing(app2, form)
    svc.record_signature(app2, jpki.Verification(ok=True, code=None, message=None, signer={}, serial="1",
                                                 issuer="CN=dev"), "pem", "c2ln", dt.datetime.now(dt.UTC))
    assert svc.submit(app2, "second") is True and app2.revision == 2 and app2.status == workflow.SUBMITTED


def test_residents_withdraw_until_processing_starts(ctx, forms):
    app = _signed(forms["juminhyo_utsushi"])
    _pay(app)
    svc.submit(app, "k")
    svc.change_status(app, workflow.REVIEWING, who="staff", actor="staff:t")
    with pytest.raises(svc.ApplicationError) as late:
        svc.withdraw(app)
    assert late.value.code == "withdraw_not_allowed"
    other = _signed(forms["juminhyo_utsushi"])
    svc.withdraw(other)
    assert other.status == workflow.WITHDRAWN and other.closed_at is not None


def test_event_ids_only_grow(ctx, forms):
    app = _signed(forms["juminhyo_utsushi"])
    ids = [e.id for e in svc.events(app)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_fee_after_review(ctx, forms):
    form = next((f for f in forms.values() if f.definition.fee and f.definition.fee.payment == "after_review"), None)
    if form is None:
        pytest.skip("no pay-after-review form in the pack")
    app = svc.new_application(form, {}, "c@example.jp")
    app.status, app.receipt_number = workflow.SUBMITTED, "261127-000001"
    svc.confirm_fee(app, 900, "staff:t")
    assert app.payment_state == "due" and app.fee_amount == 900
    with pytest.raises(svc.ApplicationError):
        svc.confirm_fee(app, -1, "staff:t")


def test_a_correction_that_raises_the_fee_asks_for_the_difference(ctx, forms):
    form = forms["juminhyo_utsushi"]
    app = _signed(form)  # 2 copies: 600 yen
    _pay(app)
    svc.submit(app, "k")
    svc.change_status(app, workflow.REVIEWING, who="staff", actor="staff:t")
    svc.change_status(app, workflow.CORRECTION, who="staff", actor="staff:t", note="通数を確認してください。")
    svc.save_fields(app, form, {**FIELDS, "copies": 5})
    svc.prepare_signing(app, form)
    assert app.fee_amount == 1500 and svc.amount_collected(app) == 600
    assert app.payment_state == "due" and svc.payment_needed_before_submit(app)
    fewer = _signed(form)
    _pay(fewer)
    svc.save_fields(fewer, form, {**FIELDS, "copies": 1})
    svc.prepare_signing(fewer, form)
    assert not svc.payment_needed_before_submit(fewer)
    assert any(e.note == "overpaid:300" for e in svc.events(fewer))  # staff see the refund to make
