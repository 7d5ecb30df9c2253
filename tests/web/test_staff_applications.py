"""Staff review of online applications on the LGWAN console (/staff/applications): department
scope, inbox filters, allowed transitions, 補正 with comments per field and the resident's
re-signed resubmission, the second approver, approval refused for a certificate revoked after
signing, the fee, exports (CSV UTF-8 BOM and Shift_JIS, JSON), downloads and audit records.

Applications are made with intake.applications directly and signed for real with the
development CA (the stand-in for J-LIS)."""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import re
import uuid

import pytest
from sqlalchemy import func, select, update

from core import policy
from core.audit import AuditRecord
from core.db import db
from core.uploads import draft_caps
from intake import applications as svc
from intake import devca, jpki, workflow
from intake.models import Application, ApplicationAttachment
from tests.conftest import csrf_from

NAME, ADDRESS = "加古川 花子", "兵庫県加古川市加古川町北在家2000"
PDF = b"%PDF-1.4\n" + b"0" * 1500
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
APPLICANT = {k: v for k, v in FIELDS.items() if k.startswith("applicant_")}


def _sign(application, form, ca, cert) -> None:
    payload = svc.prepare_signing(application, form)
    signature = devca.sign(payload, cert.key)
    now = dt.datetime.now(dt.UTC)
    result = jpki.verify_signature(payload, signature, cert.pem, ca.chain_pems, trust_roots=ca.trust_roots,
                                   crls=ca.crls(), moment=now)
    assert result.ok, result.detail
    svc.record_signature(application, result, cert.pem, base64.b64encode(signature).decode(), now,
                         items=form.signature_items)


def submitted(app, forms, ca, cert, pid="juminhyo_utsushi", fields=None, *, paid=True, attach=False) -> str:
    """A signed and sent application; returns its receipt number. ``paid``: the fee at
    submission was paid (what the payment service records)."""
    form = forms[pid]
    fields = dict(fields or (FIELDS if pid == "juminhyo_utsushi" else APPLICANT))
    with app.test_request_context("/"):
        upload_draft = f"u:draft-{db.session.scalar(select(func.count()).select_from(Application)) + 1}"
        if attach:
            upload = svc.store_upload(form, "proxy_letter", "委任状.pdf", PDF, draft=upload_draft,
                                      caps=draft_caps())
            fields.update(applicant_role="proxy", proxy_letter=[svc.file_value(upload)])
        application = svc.new_application(form, fields, "hanako@example.jp", upload_draft=upload_draft)
        _sign(application, form, ca, cert)
        if paid and svc.payment_needed_before_submit(application):  # the fee collected, as a webhook leaves it
            from intake.payments.models import Payment
            now = dt.datetime.now(dt.UTC)
            db.session.add(Payment(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"payment:{application.id}")),
                                   application_id=application.id, provider="sandbox",
                                   amount=application.fee_amount, status="paid", refunded_amount=0,
                                   created_at=now, updated_at=now, paid_at=now))
            application.payment_state = "paid"
        assert svc.submit(application, f"key-{application.id}")
        db.session.commit()
        return application.receipt_number


def _get(app, number) -> Application:
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.receipt_number == number))
        db.session.expunge(application)
        return application


def _cert(ca, card_key, **kw):
    return ca.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", key=card_key, write=False, **kw)


@pytest.fixture
def staff(staff_client):
    """staff(role, departments) -> a logged-in client (one per role and departments in a test)."""
    clients = {}

    def get(role=policy.DEPARTMENT, departments="shimin", name=""):
        key = (role, departments, name)
        if key not in clients:
            clients[key] = staff_client(role, departments)
        return clients[key]
    return get


def _post(client, number, path, data, page=None):
    html = client.get(page or f"/staff/applications/{number}").get_data(as_text=True)
    return client.post(f"/staff/applications/{number}{path}", data={"csrf_token": csrf_from(html), **data})


def _move(client, number, to, note="", expected=None):
    data = {"to": to, "note": note}
    if expected:
        data["expected"] = expected
    return _post(client, number, "/status", data)


def _audited(app, action, target) -> int:
    with app.app_context():
        return len(db.session.scalars(select(AuditRecord).where(
            AuditRecord.action == action, AuditRecord.target == target)).all())


# --- scope and inbox ----------------------------------------------------------------------------

def test_department_scope_other_departments_answer_404(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    shimin, kenchiku = staff(departments="shimin"), staff(departments="kenchiku")
    assert shimin.get(f"/staff/applications/{number}").status_code == 200
    assert kenchiku.get(f"/staff/applications/{number}").status_code == 404
    assert kenchiku.get(f"/staff/applications/{number}/print").status_code == 404
    assert kenchiku.get(f"/staff/applications/{number}/export.json").status_code == 404
    assert number not in kenchiku.get("/staff/applications/?status=all").get_data(as_text=True)
    assert number in staff(policy.ADMIN, "").get(f"/staff/applications/?q={number}").get_data(as_text=True)
    for role in (policy.AUDITOR, policy.COUNTER, policy.CURATOR):
        assert staff(role, "shimin").get(f"/staff/applications/{number}").status_code == 403
    assert app.test_client().get("/staff/applications/").status_code == 302  # to the login


def test_drafts_and_unsent_applications_are_never_listed(app, forms, trusted, card_key, staff):
    form = forms["juminhyo_utsushi"]
    with app.test_request_context("/"):
        draft = svc.new_application(form, FIELDS, "a@example.jp")
        signed = svc.new_application(form, FIELDS, "b@example.jp")
        _sign(signed, form, trusted, _cert(trusted, card_key))
        db.session.commit()
        assert signed.status == workflow.SIGNED and draft.receipt_number is None
    html = staff(policy.ADMIN, "").get("/staff/applications/?status=all").get_data(as_text=True)
    r = staff(policy.ADMIN, "").get("/staff/applications/?status=draft")
    assert r.status_code == 400 and "状態を選んでください。" in r.get_data(as_text=True)
    assert draft.id not in html and signed.id not in html


def test_inbox_filters_status_procedure_assignee_number_and_dates(app, forms, trusted, card_key, staff):
    cert = _cert(trusted, card_key)
    first, second = submitted(app, forms, trusted, cert), submitted(app, forms, trusted, cert)
    koseki = submitted(app, forms, trusted, cert, "koseki_tohon", {**APPLICANT}, paid=True)
    # A past day, a minute apart (the first one first): the three are that day's only applications.
    day = dt.date(2020, 6, 1)
    nine = dt.datetime.combine(day, dt.time(9), dt.timezone(dt.timedelta(hours=9)))
    with app.app_context():
        for i, number in enumerate((first, second, koseki)):
            db.session.execute(update(Application).where(Application.receipt_number == number).values(
                submitted_at=(nine + dt.timedelta(minutes=i)).astimezone(dt.UTC)))
        db.session.commit()
    client = staff()
    that_day = {"from": day.isoformat(), "to": day.isoformat()}

    def listed(**query):
        r = client.get("/staff/applications/", query_string=query)
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        return re.findall(r'href="/staff/applications/(\d{6}-\d{6})"', r.get_data(as_text=True))

    assert {first, second, koseki} <= set(listed(q=first[:6], **that_day))
    assert listed(q=first) == [first]
    assert listed(q=first.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))) == [first]  # typed full-width
    assert koseki not in listed(procedure="juminhyo_utsushi", **that_day)
    assert listed(procedure="koseki_tohon", q=koseki) == [koseki]
    # oldest first
    assert listed(procedure="juminhyo_utsushi", **that_day) == [first, second]
    # assignment: to me, then only "me" lists it
    r = _post(client, first, "/assign", {"assignee": "me"})
    assert r.status_code == 302
    assert listed(assignee="me", **that_day) == [first]
    assert first not in listed(assignee="unassigned", **that_day)
    # status
    assert _move(client, second, workflow.REVIEWING).status_code == 302
    assert second in listed(status=workflow.REVIEWING, q=second)
    assert second not in listed(status=workflow.SUBMITTED, q=second)
    # dates (Japan time)
    assert first in listed(**that_day, q=first)
    assert listed(**{"from": (day + dt.timedelta(days=1)).isoformat(), "q": first}) == []
    r = client.get("/staff/applications/", query_string={"from": "2026-13-40"})
    assert r.status_code == 400 and "年-月-日で入力してください" in r.get_data(as_text=True)
    # closed ones leave the default (open) list
    assert _move(client, second, workflow.REJECTED, note="必要な書類がありません。").status_code == 302
    assert second not in listed(q=second)
    assert second in listed(status="all", q=second)


# --- transitions ---------------------------------------------------------------------------------

def test_only_allowed_transitions_and_japanese_errors_keep_what_was_typed(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    client = staff()
    html = client.get(f"/staff/applications/{number}").get_data(as_text=True)
    offered = set(re.findall(r'name="to" value="(\w+)"', html))
    assert offered == {workflow.REVIEWING, workflow.REJECTED, workflow.WITHDRAWN}
    r = _move(client, number, workflow.APPROVED)  # not from 受付
    assert r.status_code == 400 and "変更後の状態を選んでください。" in r.get_data(as_text=True)
    r = _move(client, number, workflow.REJECTED, note="")  # 却下 needs a reason
    body = r.get_data(as_text=True)
    assert r.status_code == 409 and "理由を書いてください" in body and 'class="error-summary"' in body
    assert _get(app, number).status == workflow.SUBMITTED
    r = _move(client, number, workflow.REVIEWING, expected=workflow.SUBMITTED)
    assert r.status_code == 302 and "done=status" in r.location
    r = _move(client, number, workflow.REJECTED, note="理由のメモ", expected=workflow.SUBMITTED)  # stale form
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "審査中" in body and "理由のメモ" in body  # nothing typed is lost
    assert _get(app, number).status == workflow.REVIEWING
    assert _audited(app, "application.status", number) == 1


def test_correction_with_comments_per_field_then_the_resident_resubmits(app, forms, trusted, card_key, staff):
    cert = _cert(trusted, card_key)
    number = submitted(app, forms, trusted, cert)
    client = staff()
    _move(client, number, workflow.REVIEWING)
    page = f"/staff/applications/{number}"  # 補正 is inline on the review screen
    html = client.get(page).get_data(as_text=True)
    assert 'name="comment-copies"' in html and 'name="comment-applicant_family_name"' in html
    r = _post(client, number, "/correction", {"note": "直してください。"}, page=page)
    assert r.status_code == 400 and "少なくとも1つコメント" in r.get_data(as_text=True)
    assert "直してください。" in r.get_data(as_text=True)
    r = _post(client, number, "/correction", {"comment-copies": "通数は1通にしてください。", "note": ""}, page=page)
    assert r.status_code == 400 and "申請者へのお知らせを書いてください" in r.get_data(as_text=True)
    assert "通数は1通にしてください。" in r.get_data(as_text=True)
    r = _post(client, number, "/correction", {"comment-copies": "通数は1通にしてください。",
                                              "note": "通数を直して、もう一度送ってください。"}, page=page)
    assert r.status_code == 302
    application = _get(app, number)
    assert application.status == workflow.CORRECTION
    with app.test_request_context("/"):
        application = db.session.get(Application, application.id)
        event = svc.latest_correction(application)
        assert json.loads(event.field_comments_json) == {"copies": "通数は1通にしてください。"}
        # the resident corrects, signs again and sends
        form = forms["juminhyo_utsushi"]
        svc.save_fields(application, form, {**FIELDS, "copies": 1})
        _sign(application, form, trusted, cert)
        assert svc.submit(application, f"key-{application.id}-again")
        db.session.commit()
    application = _get(app, number)
    assert application.status == workflow.SUBMITTED and application.revision == 2
    html = client.get(f"/staff/applications/{number}").get_data(as_text=True)
    assert "通数は1通にしてください。" in html and "補正して再提出" in html and "2回目の提出" in html


def test_second_approver_must_be_someone_else(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key), "kenchiku_shinchiku")
    one, two = staff(departments="kenchiku", name="one"), staff(departments="kenchiku", name="two")
    _move(one, number, workflow.REVIEWING)
    html = one.get(f"/staff/applications/{number}").get_data(as_text=True)
    assert "一次承認をする" in html
    r = _move(one, number, workflow.APPROVED)
    assert r.status_code == 409 and "先に一次承認をしてください" in r.get_data(as_text=True)
    assert _post(one, number, "/first-approval", {"expected": workflow.REVIEWING}).status_code == 302
    r = _move(one, number, workflow.APPROVED)
    assert r.status_code == 409 and "一次承認をした人とは別の職員" in r.get_data(as_text=True)
    assert _get(app, number).status == workflow.REVIEWING
    r = _move(two, number, workflow.APPROVED)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    application = _get(app, number)
    assert application.status == workflow.APPROVED and application.decided_at is not None
    assert _audited(app, "application.first_approval", number) == 1


def test_approval_rechecks_revocation_and_refuses_a_certificate_revoked_since(app, forms, trusted, staff):
    cert = trusted.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", write=False)
    number = submitted(app, forms, trusted, cert)
    client = staff()
    _move(client, number, workflow.REVIEWING)
    trusted.revoke(cert.serial)  # the resident moved after signing: J-LIS revoked the certificate
    r = _move(client, number, workflow.APPROVED)
    body = r.get_data(as_text=True)
    assert r.status_code == 409 and "失効しています" in body
    application = _get(app, number)
    assert application.status == workflow.REVIEWING and application.decided_at is None
    assert "電子署名の再確認" in body and "certificate_revoked" in body  # in the history
    assert _audited(app, "application.signature_check", number) == 1


@pytest.mark.parametrize("caller", ["change_status", "staff_decision"])
def test_no_caller_of_the_service_approves_past_a_revoked_certificate(app, forms, trusted, caller):
    """The re-check lives in the service itself: calling it straight (a script, a new view, the
    bulk inbox) refuses a certificate revoked since signing as the console does."""
    from intake.applications import ApplicationError
    cert = trusted.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", write=False)
    number = submitted(app, forms, trusted, cert)
    trusted.revoke(cert.serial)
    with app.test_request_context("/"):
        application = db.session.scalar(select(Application).where(Application.receipt_number == number))
        svc.change_status(application, workflow.REVIEWING, who=workflow.STAFF, actor="staff:t")
        db.session.commit()
        with pytest.raises(ApplicationError) as refused:
            if caller == "change_status":
                svc.change_status(application, workflow.APPROVED, who=workflow.STAFF, actor="staff:t", staff_id=1)
            else:
                svc.staff_decision(application, workflow.APPROVED, actor="staff:t", staff_id=1)
        assert refused.value.code == jpki.CERTIFICATE_REVOKED
        db.session.rollback()
    assert _get(app, number).status == workflow.REVIEWING
    assert _audited(app, "application.signature_check", number) == 1
    assert _audited(app, "application.status", number) == 0


def test_a_staff_decision_commits_and_is_audited_by_the_service(app, forms, trusted, card_key):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    with app.test_request_context("/"):
        application = db.session.scalar(select(Application).where(Application.receipt_number == number))
        svc.staff_decision(application, workflow.REVIEWING, actor="staff:t", staff_id=1)
        db.session.rollback()  # nothing left to lose: the service committed
    assert _get(app, number).status == workflow.REVIEWING
    assert _audited(app, "application.status", number) == 1


def test_approval_stores_fresh_revocation_evidence(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    before = _get(app, number)
    client = staff()
    _move(client, number, workflow.REVIEWING)
    assert _move(client, number, workflow.APPROVED).status_code == 302
    after = _get(app, number)
    assert after.status == workflow.APPROVED
    assert after.signature_checked_at >= before.signature_checked_at
    evidence = json.loads(after.revocation_evidence)
    assert {e["type"] for e in evidence} == {"crl"} and len(evidence) == 2
    html = client.get(f"/staff/applications/{number}").get_data(as_text=True)
    assert "有効（失効していません）" in html


def test_approval_without_revocation_information_is_refused(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    client = staff()
    _move(client, number, workflow.REVIEWING)
    app.config["JPKI_CRL_SOURCES"] = str(trusted.directory / "root-crl.pem")  # the issuing CA's CRL is missing
    r = _move(client, number, workflow.APPROVED)
    assert r.status_code == 409 and "確認できなかった" in r.get_data(as_text=True)
    assert _get(app, number).status == workflow.REVIEWING


# --- the detail page, fee, downloads, exports -----------------------------------------------------

def test_detail_shows_fields_signature_identity_and_history(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    client = staff()
    r = client.get(f"/staff/applications/{number}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for text in ("住民票の写し", "加古川", "カコガワ", "〒675-0064 兵庫県加古川市加古川町北在家2000",
                 "1985年4月1日（昭和60年4月1日）", "署名した人の氏名", NAME, "一致", "証明書のシリアル番号",
                 "失効の確認に使った情報", "CRL", "支払い済み", "受付"):
        assert text in html, text
    assert '<th scope="col">' in html and "<caption" in html
    # fields in form order: the applicant's section comes first
    assert html.index("加古川") < html.index("カコガワ") < html.index(">2通<" if ">2通<" in html else "2通")
    assert _audited(app, "application.view", number) >= 1


def test_attachments_download_as_attachments_and_are_audited(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key), attach=True)
    client = staff()
    html = client.get(f"/staff/applications/{number}").get_data(as_text=True)
    link = re.search(r'href="(/staff/applications/[^"]+/attachments/[0-9a-f]{32})"', html).group(1)
    r = client.get(link)
    assert r.status_code == 200 and r.get_data() == PDF
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.mimetype == "application/octet-stream" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert _audited(app, "application.download", number) == 1
    assert staff(departments="kenchiku").get(link).status_code == 404
    assert client.get(f"/staff/applications/{number}/attachments/{'0' * 32}").status_code == 404
    with app.app_context():  # only this application's files
        other = db.session.scalar(select(ApplicationAttachment).where(ApplicationAttachment.name != link[-32:]))
    if other is not None:
        assert client.get(f"/staff/applications/{number}/attachments/{other.name}").status_code == 404


def test_confirm_fee_for_pay_after_review(app, forms, trusted, card_key, staff):
    fields = {**APPLICANT, "copies": 2}
    number = submitted(app, forms, trusted, _cert(trusted, card_key), "joseki_tohon", fields)
    client = staff()
    html = client.get(f"/staff/applications/{number}").get_data(as_text=True)
    assert 'name="amount"' in html and "単価" in html
    r = _post(client, number, "/fee", {"amount": "千円"})
    assert r.status_code == 400 and "整数で入力してください" in r.get_data(as_text=True)
    assert 'value="千円"' in r.get_data(as_text=True)
    r = _post(client, number, "/fee", {"amount": "１,５００円"})
    assert r.status_code == 302
    application = _get(app, number)
    assert application.fee_amount == 1500 and application.payment_state == "due"
    html = client.get(f"/staff/applications/{number}").get_data(as_text=True)
    assert "手数料を1,500円に確定" in html and "支払い待ち" in html
    # approval waits for the payment
    _move(client, number, workflow.REVIEWING)
    r = _move(client, number, workflow.APPROVED)
    assert r.status_code == 409 and "お支払いが済んでから" in r.get_data(as_text=True)
    assert _audited(app, "application.fee", number) == 1


def test_a_paid_at_submission_application_has_no_fee_form(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    html = staff().get(f"/staff/applications/{number}").get_data(as_text=True)
    assert 'name="amount"' not in html
    assert _post(staff(), number, "/fee", {"amount": "300"}).status_code == 409


def test_list_exports_csv_utf8_bom_shift_jis_and_json_without_personal_fields(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    client = staff()
    r = client.get("/staff/applications/export.csv", query_string={"q": number})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="applications-')
    data = r.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["受付番号", "手続き", "状態", "受付日時", "更新日時", "担当者", "手数料（円）", "支払い"]
    assert rows[1][0] == number and rows[1][1] == "住民票の写し" and rows[1][2] == "受付" and rows[1][7] == "支払い済み"
    assert len(rows) == 2
    assert "花子" not in data.decode("utf-8-sig")
    r = client.get("/staff/applications/export.csv", query_string={"q": number, "encoding": "shift_jis"})
    assert r.mimetype_params["charset"] == "shift_jis"
    assert not r.get_data().startswith(b"\xef\xbb\xbf")
    sjis = list(csv.reader(io.StringIO(r.get_data().decode("cp932"), newline="")))
    assert sjis == rows
    r = client.get("/staff/applications/export.json", query_string={"q": number})
    body = json.loads(r.get_data())
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert body["count"] == 1 and body["applications"][0]["receipt_number"] == number
    assert body["applications"][0]["status_label"] == "受付" and "fields" not in body["applications"][0]
    with app.app_context():
        exports = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "application.export",
                                                                AuditRecord.target == "inbox")).all()
    formats = [json.loads(e.details)["format"] for e in exports if number in e.details]
    assert sorted(formats) == ["csv", "csv-shift_jis", "json"]


def test_one_application_as_json_and_print_view_are_audited(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    client = staff()
    r = client.get(f"/staff/applications/{number}/export.json")
    body = json.loads(r.get_data())
    assert r.headers["Content-Disposition"] == f'attachment; filename="application-{number}.json"'
    assert body["fields"]["applicant_given_name"] == "花子" and body["signature"]["signer"]["name"] == NAME
    assert body["signature"]["identity"] == {"name": True, "birth_date": True, "sex": None, "address": True}  # 性別: not on this form
    assert [h["to_status"] for h in body["history"] if h["kind"] == "status"][-1] == workflow.SUBMITTED
    assert _audited(app, "application.export", number) == 1
    r = client.get(f"/staff/applications/{number}/print")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'class="paper"' in html and "staff-nav" not in html
    assert _audited(app, "application.print", number) == 1
    r = client.get("/staff/applications/print", query_string={"q": number})
    assert r.get_data(as_text=True).count('class="paper"') == 1


def test_views_are_audited_with_the_receipt_number(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    client = staff()
    client.get(f"/staff/applications/{number}")
    client.get(f"/staff/applications/{number}")
    assert _audited(app, "application.view", number) == 2
    client.get("/staff/applications/", query_string={"q": number})
    with app.app_context():
        listing = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "application.list")).all()
    assert any(number in (r.details or "") for r in listing)


def test_refund_form_only_when_the_payments_service_exists(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    html = staff().get(f"/staff/applications/{number}").get_data(as_text=True)
    try:
        from intake.payments.service import refund  # noqa: F401
    except ImportError:
        assert 'name="reason"' not in html
        return
    assert 'name="reason"' in html
    r = _post(staff(), number, "/refund", {"refund_amount": "100", "reason": ""})
    assert r.status_code == 400 and "返金の理由を書いてください。" in r.get_data(as_text=True)


# --- statistics ------------------------------------------------------------------------------------

def test_statistics_per_procedure_status_and_processing_times(app, forms, trusted, card_key, staff):
    cert = _cert(trusted, card_key)
    numbers = [submitted(app, forms, trusted, cert) for _ in range(3)]
    kenchiku = submitted(app, forms, trusted, cert, "kenchiku_shinchiku")
    base = dt.datetime(2003, 3, 3, 0, 0, tzinfo=dt.UTC)  # a past month no other test writes to
    with app.app_context():
        plan = {numbers[0]: ("approved", 24, None), numbers[1]: ("completed", 48, 96),
                numbers[2]: ("reviewing", None, None), kenchiku: ("rejected", 10, 10)}
        for number, (status, decided, closed) in plan.items():
            db.session.execute(update(Application).where(Application.receipt_number == number).values(
                status=status, submitted_at=base,
                decided_at=base + dt.timedelta(hours=decided) if decided is not None else None,
                closed_at=base + dt.timedelta(hours=closed) if closed is not None else None))
        db.session.commit()
    query = {"from": "2003-03-01", "to": "2003-03-31"}
    r = staff(policy.AUDITOR, "").get("/staff/stats/applications", query_string=query)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    counts = _cells(html, "手続き別・状態別の申請件数（2003年3月1日〜2003年3月31日）")
    header = counts[0]
    assert header[0] == "手続き" and header[-1] == "合計" and "審査中" in header
    juminhyo = next(row for row in counts if row[0] == "住民票の写し")
    col = {name: i for i, name in enumerate(header)}
    assert juminhyo[col["承認"]] == "1" and juminhyo[col["完了"]] == "1" and juminhyo[col["審査中"]] == "1"
    assert juminhyo[col["合計"]] == "3" and counts[-1][col["合計"]] == "4"
    times = _cells(html, "手続き別の処理日数（2003年3月1日〜2003年3月31日）")
    row = next(r for r in times if r[0] == "住民票の写し")
    assert row[1:] == ["2", "1.5日", "2.0日", "1", "4.0日", "4.0日"]
    row = next(r for r in times if r[0].startswith("建築物"))
    assert row[1:] == ["1", "10.0時間", "10.0時間", "1", "10.0時間", "10.0時間"]
    # department staff see their departments only
    html = staff(departments="kenchiku").get("/staff/stats/applications", query_string=query).get_data(as_text=True)
    assert "住民票の写し" not in html and "建築物" in html
    # the CSV export (UTF-8 BOM and Shift_JIS)
    r = staff(policy.AUDITOR, "").get("/staff/stats/applications.csv", query_string=query)
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"), newline="")))
    assert ["2003-03-01", "2003-03-31", "受付から決定までの時間", "juminhyo_utsushi", "住民票の写し", "", "", "2", "36.0", "48.0"] in rows
    assert ["2003-03-01", "2003-03-31", "件数", "juminhyo_utsushi", "住民票の写し", "approved", "承認", "1", "", ""] in rows
    sjis = staff(policy.AUDITOR, "").get("/staff/stats/applications.csv", query_string={**query, "encoding": "shift_jis"})
    assert list(csv.reader(io.StringIO(sjis.get_data().decode("cp932"), newline=""))) == rows
    assert staff(policy.COUNTER, "").get("/staff/stats/applications").status_code == 403


def _cells(html: str, caption: str) -> list[list[str]]:
    table = re.search(r"<caption[^>]*>" + re.escape(caption) + r"</caption>.*?</table>", html, re.S)
    assert table, f"no table captioned {caption!r}"
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)]
