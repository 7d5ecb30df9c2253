"""The resident's online application, walked through the pages as a browser would: start →
every section → 確認 → 署名 (the development signer, verified like the API) → 支払い → 申請 →
受付番号 → the status page; resume links, withdrawal, corrections, double submits."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake import devca
from tests.conftest import clear_outbox_and_alerts, csrf_from
from tests.web.apply_helpers import app_id_of, forms_of, page_csrf, path_of, start, walk

JUMINHYO = {"applicant_role": "self", "whose": "self", "copies": "2", "delivery": "mail", "purpose": "work"}


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("apply-devca"))


@pytest.fixture
def dev_signer(app, ca):
    """Trust the development CA and show the development signer, for this test only."""
    keys = ("JPKI_TRUST_ANCHORS", "JPKI_CRL_SOURCES", "JPKI_DEV_SIGNER")
    old = {k: app.config.get(k) for k in keys}
    app.config.update({
        "JPKI_TRUST_ANCHORS": str(ca.directory / "trust-anchors.pem"),
        "JPKI_CRL_SOURCES": f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}",
        "JPKI_DEV_SIGNER": str(ca.directory),
    })
    yield ca
    app.config.update(old)


def _application(app, app_id):
    from core.db import db
    from intake.models import Application
    with app.app_context():
        found = db.session.get(Application, app_id)
        db.session.expunge(found)
        return found


def _mails(app, to: str = "hanako@example.jp"):
    from core.db import db
    from core.outbox import OutboxMessage
    with app.app_context():
        return [(m.subject, m.body) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                if m.recipient == to]


def _sign_and_review(client, review_path: str):
    html, token = page_csrf(client, review_path)
    r = client.post(review_path, data={"csrf_token": token})
    assert r.status_code == 302 and r.location.endswith("/sign"), r.get_data(as_text=True)[:500]
    sign_path = path_of(r.location)
    html, token = page_csrf(client, sign_path)
    assert "署名が済んだら「確認する」を押してください" in html
    return sign_path, html, token


def _dev_sign(client, sign_path: str, token: str):
    return client.post(sign_path + "/dev", data={"csrf_token": token})


def _submit(client, app_id: str):
    html, token = page_csrf(client, f"/apply/d/{app_id}/submit")
    key = __import__("re").search(r'name="submit_key" value="([^"]+)"', html).group(1)
    return key, token


def test_juminhyo_two_copies_by_mail_from_start_to_receipt(app, client, dev_signer):
    pytest.importorskip("intake.payments.service")
    clear_outbox_and_alerts(app)
    form = forms_of()["juminhyo_utsushi"]
    first = start(client, "juminhyo_utsushi")
    app_id = app_id_of(first)
    review = walk(client, form, first, JUMINHYO)

    html = client.get(review).get_data(as_text=True)
    assert "入力内容の確認" in html and "2通" in html and "郵送" in html
    assert "1985年4月1日（昭和60年4月1日）" in html and "カコガワ" in html and "ハナコ" in html
    assert "600円" in html  # 300円 × 2 copies (at submission)
    assert html.count(">変更<") >= 10

    sign_path, html, token = _sign_and_review(client, review)
    assert "開発用の署名（テスト用カード）で署名する" in html
    r = _dev_sign(client, sign_path, token)
    # the fee is paid before submitting: to the (sandbox) checkout
    assert r.status_code == 302 and "/pay/" in r.location, r.get_data(as_text=True)[:500]
    stored = _application(app, app_id)
    assert stored.status == "signed" and stored.fee_amount == 600 and stored.cert_serial
    assert '"name": true' in stored.identity_json  # the test card carries the form's 基本4情報

    checkout = path_of(r.location)
    page = client.get(checkout).get_data(as_text=True)
    r = client.post(checkout, data={"action": "pay", "csrf_token": csrf_from(page)})
    assert r.status_code == 303
    r = client.get(path_of(r.location))
    if r.status_code == 200:  # paid but not yet sent by the payment webhook: the resident sends it
        key, token = _submit(client, app_id)
        r = client.post(f"/apply/d/{app_id}/submit", data={"submit_key": key, "csrf_token": token})
    assert r.status_code == 302 and r.location.endswith("/done")
    done = client.get(path_of(r.location)).get_data(as_text=True)
    stored = _application(app, app_id)
    assert stored.status == "submitted" and stored.payment_state == "paid"
    assert "申請が完了しました" in done and stored.receipt_number in done
    assert any(stored.receipt_number in subject for subject, _body in _mails(app))

    status_url = __import__("re").search(r'href="(http[^"]+/apply/status/[^"]+)"', done).group(1)
    status = client.get(path_of(status_url)).get_data(as_text=True)
    assert stored.receipt_number in status and "住民票の写し" in status and "受付" in status
    assert "支払い済み" in status


def test_a_procedure_without_fee_goes_from_signature_to_submit(app, client, dev_signer):
    form = forms_of()["honnin_tsuchi"]
    assert not any(f.amount_yen for f in form.procedure.fees)
    first = start(client, "honnin_tsuchi")
    app_id = app_id_of(first)
    review = walk(client, form, first)
    assert "手数料はかかりません" in client.get(review).get_data(as_text=True)
    sign_path, _html, token = _sign_and_review(client, review)
    r = _dev_sign(client, sign_path, token)
    assert r.status_code == 302 and r.location.endswith(f"/apply/d/{app_id}/submit")
    key, token = _submit(client, app_id)
    r = client.post(f"/apply/d/{app_id}/submit", data={"submit_key": key, "csrf_token": token})
    assert r.location.endswith("/done")
    assert _application(app, app_id).status == "submitted"


def _submitted(app, client, dev_signer, pid="honnin_tsuchi"):
    form = forms_of()[pid]
    first = start(client, pid)
    app_id = app_id_of(first)
    sign_path, _html, token = _sign_and_review(client, walk(client, form, first))
    _dev_sign(client, sign_path, token)
    key, token = _submit(client, app_id)
    r = client.post(f"/apply/d/{app_id}/submit", data={"submit_key": key, "csrf_token": token})
    assert r.location.endswith("/done")
    return app_id, key, token


def test_double_submit_makes_one_application(app, client, dev_signer):
    from core.db import db
    from intake.models import Application, ApplicationEvent
    app_id, key, token = _submitted(app, client, dev_signer)
    number = _application(app, app_id).receipt_number
    again = client.post(f"/apply/d/{app_id}/submit", data={"submit_key": key, "csrf_token": token})
    assert again.status_code == 302 and again.location.endswith("/done")
    assert number in client.get(path_of(again.location)).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application).where(
            Application.receipt_number == number)) == 1
        sent = db.session.scalar(select(func.count()).select_from(ApplicationEvent).where(
            ApplicationEvent.application_id == app_id, ApplicationEvent.to_status == "submitted"))
    assert sent == 1
    # a second tab with its own key: still the same receipt, nothing sent twice
    other = client.post(f"/apply/d/{app_id}/submit", data={"submit_key": "k" * 32, "csrf_token": token})
    assert other.location.endswith("/done") and _application(app, app_id).status == "submitted"


def test_withdraw_from_the_status_page_with_a_confirmation(app, client, dev_signer):
    from intake import links
    app_id, _key, _token = _submitted(app, client, dev_signer)
    with app.test_request_context():
        status = path_of(links.status_url(app_id))
    html = client.get(status).get_data(as_text=True)
    assert "申請を取り下げる" in html
    confirm = client.get(status + "/withdraw").get_data(as_text=True)
    assert "申請を取り下げますか" in confirm
    r = client.post(status + "/withdraw", data={"csrf_token": csrf_from(confirm)})
    assert r.status_code == 302
    assert _application(app, app_id).status == "withdrawn"
    html = client.get(status).get_data(as_text=True)
    assert "取下げ" in html and "申請を取り下げる" not in html
    # without the CSRF token nothing happens
    assert client.post(status + "/withdraw").status_code in (302, 400)


def test_a_correction_is_edited_signed_again_and_resubmitted(app, client, dev_signer):
    from core.db import db
    from intake import applications, links
    from intake.models import Application
    app_id, _key, _token = _submitted(app, client, dev_signer)
    with app.test_request_context():
        application = db.session.get(Application, app_id)
        applications.change_status(application, "reviewing", who="staff", actor="staff:test")
        applications.change_status(application, "correction", who="staff", actor="staff:test",
                                   note="お知らせの送り先を確かめてください。",
                                   field_comments={"applicant_phone": "電話番号がつながりません。"})
        db.session.commit()
        status = path_of(links.status_url(app_id))
    fresh = app.test_client()  # the status link works in any browser
    html = fresh.get(status).get_data(as_text=True)
    assert "電話番号がつながりません。" in html and "お知らせの送り先を確かめてください。" in html
    r = fresh.post(status + "/correct", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302 and r.location.endswith("/applicant")
    form = forms_of()["honnin_tsuchi"]
    review = walk(fresh, form, path_of(r.location), {"applicant_phone": "0794212001"})
    sign_path, _html, token = _sign_and_review(fresh, review)
    assert _application(app, app_id).signature_b64 is None  # the old signature is gone
    _dev_sign(fresh, sign_path, token)
    key, token = _submit(fresh, app_id)
    r = fresh.post(f"/apply/d/{app_id}/submit", data={"submit_key": key, "csrf_token": token})
    stored = _application(app, app_id)
    assert r.location.endswith("/done") and stored.status == "submitted" and stored.revision == 2


def test_status_page_with_a_bad_token_is_404(client):
    assert client.get("/apply/status/not-a-token").status_code == 404
    assert client.get("/apply/resume/not-a-token").status_code == 404


def test_drafts_open_only_in_the_browser_that_started_them(app, client):
    first = start(client, "juminhyo_utsushi")
    assert app.test_client().get(first).status_code == 404


def test_resume_link_restores_the_draft_at_the_first_unfinished_section(app, client):
    clear_outbox_and_alerts(app)
    form = forms_of()["juminhyo_utsushi"]
    first = start(client, "juminhyo_utsushi")
    from tests.web.apply_helpers import post_section, section_inputs
    r = post_section(client, first, section_inputs(form, "applicant", JUMINHYO))
    second = path_of(r.location)
    assert second.endswith("/persons")
    r = post_section(client, second, {"whose": "household_some"}, action="save")
    assert r.status_code == 200 and "下書きを保存しました" in r.get_data(as_text=True)
    subject, body = _mails(app)[-1]
    assert "下書き" in subject
    link = __import__("re").search(r"(http\S+/apply/resume/\S+)", body).group(1)
    other = app.test_client()
    r = other.get(path_of(link))
    assert r.status_code == 302 and r.location.endswith("/persons")
    html = other.get(path_of(r.location)).get_data(as_text=True)
    assert 'value="household_some" checked' in html  # what was saved comes back


def test_an_expired_resume_link_offers_to_start_again(app, client):
    from itsdangerous import URLSafeTimedSerializer

    from intake import links
    first = start(client, "juminhyo_utsushi")
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=links.RESUME_SALT)
    import time
    token = old.dumps(app_id_of(first))
    real = time.time
    try:
        time.time = lambda: real() + (app.config["DRAFT_LINK_DAYS"] + 1) * 86400
        r = client.get(f"/apply/resume/{token}")
    finally:
        time.time = real
    assert r.status_code == 410 and "申請をはじめからやり直す" in r.get_data(as_text=True)


def test_usage_counts_started_and_submitted(app, client, dev_signer):
    from core import usage
    from core.db import db
    with app.app_context():
        before = {m: db.session.scalar(select(func.coalesce(func.sum(usage.UsageCount.count), 0)).where(
            usage.UsageCount.service == "apply", usage.UsageCount.metric == m,
            usage.UsageCount.dimension == "honnin_tsuchi")) for m in ("started", "submitted")}
    _submitted(app, client, dev_signer)
    with app.app_context():
        after = {m: db.session.scalar(select(func.coalesce(func.sum(usage.UsageCount.count), 0)).where(
            usage.UsageCount.service == "apply", usage.UsageCount.metric == m,
            usage.UsageCount.dimension == "honnin_tsuchi")) for m in ("started", "submitted")}
    assert after["started"] == before["started"] + 1 and after["submitted"] == before["submitted"] + 1


def test_the_dev_signer_never_bypasses_verification(app, client, dev_signer, tmp_path):
    """A dev CA the server does not trust: the same verification refuses the signature."""
    other = devca.make_dev_ca(tmp_path / "other")
    app.config["JPKI_TRUST_ANCHORS"] = str(other.directory / "trust-anchors.pem")
    form = forms_of()["honnin_tsuchi"]
    first = start(client, "honnin_tsuchi")
    app_id = app_id_of(first)
    sign_path, _html, token = _sign_and_review(client, walk(client, form, first))
    r = _dev_sign(client, sign_path, token)
    assert r.status_code == 302 and r.location.endswith("/sign")
    html = client.get(path_of(r.location)).get_data(as_text=True)
    assert "署名を受け付けられませんでした" in html and "署名用電子証明書として確認できませんでした" in html
    english = client.get(path_of(r.location) + "?lang=en").get_data(as_text=True)
    assert "could not be confirmed as the signing certificate" in english  # the reason in the page's language
    assert "署名用電子証明書として確認できませんでした" not in english
    stored = _application(app, app_id)
    assert stored.status == "draft" and stored.last_signature_error == "certificate_untrusted"


def test_without_the_dev_signer_setting_there_is_no_dev_button(app, client):
    assert app.config["JPKI_DEV_SIGNER"] in ("0", "", None)
    form = forms_of()["honnin_tsuchi"]
    first = start(client, "honnin_tsuchi")
    review = walk(client, form, first)
    _html, token = page_csrf(client, review)
    r = client.post(review, data={"csrf_token": token})
    html = client.get(path_of(r.location)).get_data(as_text=True)
    assert "確認する" in html and "開発用の署名" not in html
    assert _dev_sign(client, path_of(r.location), token).status_code == 404
