"""The back-office API (申請管理システム): client-credential tokens, the change cursor, one application
by 受付番号 with attachments and signature evidence, statuses, status changes, scope, audit, limits."""
import base64
import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import func, select, update

from tests.api import applying
from tests.api.applying import (
    NAME,
    PDF,
    bearer,
    draft,
    kenchiku_fields,
    new_client,
    outbox_to,
    sign,
    submit,
    submitted,
    upload,
)
from tests.conftest import fresh_client

ca, trusted = applying.ca, applying.trusted  # fixtures


@pytest.fixture
def settled(app):
    """No hold-back of fresh events (the cursor tests read changes they have just made)."""
    app.config["BACKOFFICE_SETTLE_SECONDS"] = 0
    yield
    app.config.pop("BACKOFFICE_SETTLE_SECONDS", None)


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _audit(app, actor: str) -> list[tuple[str, str, str]]:
    from core.audit import AuditRecord
    from core.db import db
    with app.app_context():
        return [(r.action, r.target, r.result) for r in db.session.scalars(
            select(AuditRecord).where(AuditRecord.actor == actor).order_by(AuditRecord.id))]


def _last_event_id(app) -> int:
    from core.db import db
    from intake.models import ApplicationEvent
    with app.app_context():
        return db.session.scalar(select(func.max(ApplicationEvent.id))) or 0


# --- tokens ---------------------------------------------------------------------------------------

def test_a_token_is_issued_for_basic_or_form_credentials(app):
    http = fresh_client(app)
    cid, secret = new_client(app)
    r = http.post("/api/v1/backoffice/token", data={"grant_type": "client_credentials"}, headers=_basic(cid, secret))
    body = r.get_json()
    assert r.status_code == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert r.headers["Cache-Control"] == "no-store"
    r = http.post("/api/v1/backoffice/token", data={"grant_type": "client_credentials", "client_id": cid,
                                                    "client_secret": secret})
    assert r.status_code == 200 and r.get_json()["access_token"] != body["access_token"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert http.get("/api/v1/backoffice/statuses", headers=headers).status_code == 200
    from core.db import db
    from intake.backoffice_models import BackofficeToken
    with app.app_context():  # only the SHA-256 of the token is kept
        stored = set(db.session.scalars(select(BackofficeToken.token_hash)))
    assert hashlib.sha256(body["access_token"].encode()).hexdigest() in stored
    assert body["access_token"] not in stored
    assert ("backoffice.token", cid, "ok") in _audit(app, f"backoffice:{cid}")


@pytest.mark.parametrize("case", ["wrong_secret", "unknown_client", "no_credentials"])
def test_bad_credentials_get_401_with_www_authenticate(app, case):
    http = fresh_client(app)
    cid, secret = new_client(app)
    headers = {"wrong_secret": _basic(cid, secret + "x"), "unknown_client": _basic("bo-nobody", secret),
               "no_credentials": {}}[case]
    r = http.post("/api/v1/backoffice/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
    assert r.get_json()["error"]["code"] == "invalid_client" and "シークレット" in r.get_json()["error"]["message"]
    if case == "wrong_secret":
        assert ("backoffice.token", cid, "failed") in _audit(app, "anonymous")


def test_other_grant_types_are_refused(app):
    cid, secret = new_client(app)
    r = fresh_client(app).post("/api/v1/backoffice/token", data={"grant_type": "password"}, headers=_basic(cid, secret))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "unsupported_grant_type"


def test_calls_need_a_valid_unexpired_token(app):
    http = fresh_client(app)
    r = http.get("/api/v1/backoffice/statuses")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert http.get("/api/v1/backoffice/statuses", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    cid, secret = new_client(app)
    headers = bearer(http, cid, secret)
    assert http.get("/api/v1/backoffice/statuses", headers=headers).status_code == 200
    from core.db import db
    from intake import backoffice_auth
    from intake.backoffice_models import BackofficeToken
    token = headers["Authorization"].split()[1]
    with app.app_context():
        db.session.execute(update(BackofficeToken).where(BackofficeToken.token_hash == backoffice_auth.token_hash(token))
                           .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.session.commit()
    r = http.get("/api/v1/backoffice/statuses", headers=headers)
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "invalid_token"


def test_the_cli_creates_lists_and_disables_clients(app):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["backoffice", "create-client", "--name", "申請管理システム", "--department", "shimin"])
    assert out.exit_code == 0, out.output
    lines = dict(line.split(":", 1) for line in out.output.splitlines() if line.startswith("client_"))
    cid, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    http = fresh_client(app)
    headers = bearer(http, cid, secret)
    listed = runner.invoke(args=["backoffice", "list"])
    assert cid in listed.output and "shimin" in listed.output
    bad = runner.invoke(args=["backoffice", "create-client", "--name", "x", "--department", "nowhere"])
    assert bad.exit_code != 0 and "nowhere" in bad.output
    assert runner.invoke(args=["backoffice", "disable", cid]).exit_code == 0
    assert http.get("/api/v1/backoffice/statuses", headers=headers).status_code == 401  # its tokens end at once
    r = http.post("/api/v1/backoffice/token", data={"grant_type": "client_credentials"}, headers=_basic(cid, secret))
    assert r.status_code == 401
    assert "disabled" in runner.invoke(args=["backoffice", "list"]).output


def test_token_requests_are_rate_limited_per_address(app):
    http = fresh_client(app)
    codes = [http.post("/api/v1/backoffice/token", headers=_basic("bo-nobody", "x")).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    r = http.post("/api/v1/backoffice/token", headers=_basic("bo-nobody", "x"))
    assert r.get_json()["error"]["code"] == "rate_limited" and "Retry-After" in r.headers


def test_calls_are_rate_limited_per_client(app):
    """600 a minute per client (here 30, to keep the test short), whatever the address: the next
    call gets 429; other clients go on."""
    from intake.backoffice import CALLS_PER_CLIENT
    assert CALLS_PER_CLIENT == "600 per minute"
    http = fresh_client(app)
    headers = bearer(http, *new_client(app))
    app.config["BACKOFFICE_RATE_LIMIT"] = "30 per minute"
    try:
        codes = [http.get("/api/v1/backoffice/statuses", headers=headers).status_code for _ in range(30)]
        r = fresh_client(app).get("/api/v1/backoffice/statuses", headers=headers)  # another address, same client
        other = fresh_client(app)
        fine = other.get("/api/v1/backoffice/statuses", headers=bearer(other, *new_client(app))).status_code
    finally:
        app.config.pop("BACKOFFICE_RATE_LIMIT", None)
    assert set(codes) == {200} and fine == 200
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"


# --- reading --------------------------------------------------------------------------------------

def _walk(http, headers, since: int, limit: int) -> tuple[list[dict], list[int]]:
    seen, cursors = [], []
    while True:
        r = http.get("/api/v1/backoffice/applications", headers=headers, query_string={"since": since, "limit": limit})
        assert r.status_code == 200, r.get_json()
        page = r.get_json()
        assert len(page["applications"]) <= limit
        if not page["applications"]:
            assert page["next_cursor"] == since
            return seen, cursors
        seen += page["applications"]
        since = page["next_cursor"]
        cursors.append(since)


def test_the_cursor_walks_every_change_once(app, trusted, settled):
    http = fresh_client(app)
    start = _last_event_id(app)
    made = [submitted(http, trusted) for _ in range(3)]
    draft(http, "honnin_tsuchi", applying.honnin_fields())  # drafts are never listed
    headers = bearer(http, *new_client(app))
    seen, cursors = _walk(http, headers, start, 2)
    assert [a["receipt_number"] for a in seen] == [m["receipt_number"] for m in made]
    assert cursors == sorted(cursors) and len(cursors) == 2
    assert all(a["status"] == "submitted" and a["department_id"] == "shimin" and a["submitted_at"] for a in seen)
    # a status change brings the application back, once, with its new status
    r = http.post(f"/api/v1/backoffice/applications/{made[0]['receipt_number']}/status", headers=headers,
                  json={"status": "reviewing"})
    assert r.status_code == 200, r.get_json()
    again, _ = _walk(http, headers, cursors[-1], 50)
    assert [(a["receipt_number"], a["status"]) for a in again] == [(made[0]["receipt_number"], "reviewing")]


def test_fresh_changes_are_held_back_until_they_settle(app, trusted):
    http = fresh_client(app)
    start = _last_event_id(app)
    made = submitted(http, trusted)
    headers = bearer(http, *new_client(app))
    app.config["BACKOFFICE_SETTLE_SECONDS"] = 3600
    try:
        page = http.get("/api/v1/backoffice/applications", headers=headers, query_string={"since": start}).get_json()
    finally:
        app.config.pop("BACKOFFICE_SETTLE_SECONDS", None)
    assert made["receipt_number"] not in [a["receipt_number"] for a in page["applications"]]
    assert page["next_cursor"] == start


@pytest.mark.parametrize("query", [{"since": "-1"}, {"since": "abc"}, {"limit": "0"}, {"limit": "201"}])
def test_bad_cursor_or_limit_is_400(app, query):
    http = fresh_client(app)
    r = http.get("/api/v1/backoffice/applications", headers=bearer(http, *new_client(app)), query_string=query)
    assert r.status_code == 400 and set(r.get_json()["error"]["fields"]) <= {"since", "limit"}


def test_a_client_sees_only_its_departments(app, trusted, settled):
    http = fresh_client(app)
    start = _last_event_id(app)
    shimin = submitted(http, trusted)
    kenchiku = submitted(http, trusted, "kenchiku_shinchiku")
    headers = bearer(http, *new_client(app, ("kenchiku",)))
    seen, _ = _walk(http, headers, start, 200)
    assert [a["receipt_number"] for a in seen] == [kenchiku["receipt_number"]]
    url = f"/api/v1/backoffice/applications/{shimin['receipt_number']}"
    assert http.get(url, headers=headers).status_code == 404
    assert http.post(f"{url}/status", headers=headers, json={"status": "reviewing"}).status_code == 404
    assert http.get(f"/api/v1/backoffice/applications/{kenchiku['receipt_number']}", headers=headers).status_code == 200


def test_one_application_with_attachments_and_signature_evidence(app, trusted):
    http = fresh_client(app)
    plan = upload(http, "kenchiku_shinchiku", "site_map", PDF, "配置図.pdf").get_json()
    body = draft(http, "kenchiku_shinchiku", kenchiku_fields([plan]), email="kenchiku@example.jp")
    sign(http, trusted, body)
    receipt = submit(http, body["id"]).get_json()["receipt_number"]
    cid, secret = new_client(app)
    headers = bearer(http, cid, secret)
    r = http.get(f"/api/v1/backoffice/applications/{receipt}", headers=headers)
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert got["id"] == body["id"] and got["status"] == "submitted" and got["status_label"]["ja"] == "受付"
    assert got["email"] == "kenchiku@example.jp" and got["fields"]["applicant_given_name"] == "花子"
    assert got["fee"] == {"amount": None, "timing": "none", "state": "none", "payments": []} \
        or got["fee"]["state"] == "none"
    assert [e["to_status"] for e in got["events"] if e["kind"] == "status"] == ["draft", "signed", "submitted"]
    (att,) = got["attachments"]
    assert (att["field_id"], att["kind"], att["size"], att["sha256"], att["filename"]) == \
        ("site_map", "pdf", len(PDF), hashlib.sha256(PDF).hexdigest(), "配置図.pdf")
    evidence = got["signature"]
    payload = base64.b64decode(evidence["payload"])
    assert json.loads(payload)["application_id"] == body["id"] and att["sha256"] in payload.decode()
    assert evidence["certificate"].startswith("-----BEGIN CERTIFICATE-----") and evidence["serial"]
    assert evidence["issuer"] and evidence["checked_at"] and evidence["revocation_evidence"]
    assert evidence["signer"]["name"] == NAME and evidence["identity"]["name"] is True
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.hashes import SHA256
    cert = x509.load_pem_x509_certificate(evidence["certificate"].encode())
    cert.public_key().verify(base64.b64decode(evidence["signature"]), payload, padding.PKCS1v15(), SHA256())
    # the file, byte for byte, as an attachment, with its digest
    file = http.get(att["download_url"].split("localhost", 1)[-1], headers=headers)
    assert file.status_code == 200 and file.data == PDF and file.mimetype == "application/octet-stream"
    assert file.headers["Content-Disposition"].startswith("attachment;")
    assert file.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(PDF).digest()).decode()}:"
    assert http.get(f"/api/v1/backoffice/applications/{receipt}/attachments/{'0' * 32}", headers=headers).status_code == 404
    assert http.get("/api/v1/backoffice/applications/000000-000000", headers=headers).status_code == 404
    actions = [a for a, _t, _r in _audit(app, f"backoffice:{cid}")]
    assert {"backoffice.token", "backoffice.view", "backoffice.download"} <= set(actions)


def test_an_altered_attachment_is_not_served(app, trusted):
    http = fresh_client(app)
    plan = upload(http, "kenchiku_shinchiku", "site_map", PDF).get_json()
    body = draft(http, "kenchiku_shinchiku", kenchiku_fields([plan]))
    sign(http, trusted, body)
    receipt = submit(http, body["id"]).get_json()["receipt_number"]
    from core.db import db
    from intake.models import ApplicationAttachment
    with app.app_context():
        att = db.session.scalar(select(ApplicationAttachment).where(ApplicationAttachment.name == plan["name"]))
        att.data = PDF + b"% changed\n"
        db.session.commit()
    r = http.get(f"/api/v1/backoffice/applications/{receipt}/attachments/{plan['name']}", headers=bearer(http, *new_client(app)))
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "attachment_corrupt"


def test_statuses_list_labels_and_staff_transitions(app):
    http = fresh_client(app)
    statuses = {s["id"]: s for s in http.get("/api/v1/backoffice/statuses",
                                             headers=bearer(http, *new_client(app))).get_json()["statuses"]}
    assert statuses["submitted"]["label"] == {"ja": "受付", "en": "Received"}
    assert statuses["submitted"]["transitions"] == ["reviewing", "rejected", "withdrawn"]
    assert statuses["completed"]["closed"] is True and statuses["completed"]["transitions"] == []


# --- changing a status ----------------------------------------------------------------------------

def test_status_changes_allowed_refused_and_the_resident_is_told(app, trusted):
    http = fresh_client(app)
    made = submitted(http, trusted, email="status@example.jp")
    cid, secret = new_client(app)
    headers = bearer(http, cid, secret)
    url = f"/api/v1/backoffice/applications/{made['receipt_number']}/status"
    refused = http.post(url, headers=headers, json={"status": "approved"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "transition_not_allowed"
    assert "「受付」から「承認」には変更できません" in refused.get_json()["error"]["message"]
    ok = http.post(url, headers=headers, json={"status": "reviewing"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "reviewing" and ok.get_json()["label"]["ja"] == "審査中"
    no_reason = http.post(url, headers=headers, json={"status": "correction"})
    assert no_reason.status_code == 409 and no_reason.get_json()["error"]["code"] == "reason_required"
    bad = http.post(url, headers=headers, json={"status": "correction", "note": "x", "field_comments": {"nope": "x"}})
    assert bad.status_code == 400 and "field_comments" in bad.get_json()["error"]["fields"]
    assert http.post(url, headers=headers, json={"status": "lost"}).status_code == 400
    assert http.post(url, headers=headers, data="not json").status_code == 400
    corr = http.post(url, headers=headers, json={"status": "correction", "note": "電話番号を確認してください。",
                                                 "field_comments": {"applicant_phone": "つながりませんでした。"}})
    assert corr.status_code == 200, corr.get_json()
    mails = outbox_to(app, "status@example.jp")
    subjects = [s for s, _b in mails]
    assert any("審査中" in s for s in subjects) and any("補正依頼" in s for s in subjects)
    assert any("電話番号を確認してください。" in b for _s, b in mails)
    detail = http.get(f"/api/v1/backoffice/applications/{made['receipt_number']}", headers=headers).get_json()
    last = detail["events"][-1]
    assert last["actor"] == f"backoffice:{cid}" and last["field_comments"] == {"applicant_phone": "つながりませんでした。"}
    audited = _audit(app, f"backoffice:{cid}")
    assert ("backoffice.status_change", f"application:{made['id']}", "ok") in audited
    assert ("backoffice.status_change", f"application:{made['id']}", "denied") in audited


def test_an_approval_needing_two_people_waits_for_a_first_approval(app, trusted):
    from intake.forms_schema import FormFile
    if "review" not in FormFile.model_fields:
        pytest.skip("forms have no review options here")
    http = fresh_client(app)
    made = submitted(http, trusted, "kenchiku_shinchiku")
    headers = bearer(http, *new_client(app))
    url = f"/api/v1/backoffice/applications/{made['receipt_number']}/status"
    assert http.post(url, headers=headers, json={"status": "reviewing"}).status_code == 200
    r = http.post(url, headers=headers, json={"status": "approved"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "first_approval_missing"


def test_a_back_office_approval_checks_revocation_again(app, trusted):
    """The back-office system cannot approve past a certificate revoked after signing (the same
    re-check as the staff console), and approves once the certificate still holds."""
    http = fresh_client(app)
    headers = bearer(http, *new_client(app))
    made = [submitted(http, trusted) for _ in range(2)]
    for one in made:
        url = f"/api/v1/backoffice/applications/{one['receipt_number']}/status"
        assert http.post(url, headers=headers, json={"status": "reviewing"}).status_code == 200
    detail = http.get(f"/api/v1/backoffice/applications/{made[0]['receipt_number']}", headers=headers).get_json()
    trusted.revoke(int(detail["signature"]["serial"], 16))  # the resident moved after signing
    refused = http.post(f"/api/v1/backoffice/applications/{made[0]['receipt_number']}/status",
                        headers=headers, json={"status": "approved"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "certificate_revoked"
    assert "失効" in refused.get_json()["error"]["message"]
    kept = http.get(f"/api/v1/backoffice/applications/{made[0]['receipt_number']}", headers=headers).get_json()
    assert kept["status"] == "reviewing" and kept["events"][-1]["kind"] == "signature_check"
    ok = http.post(f"/api/v1/backoffice/applications/{made[1]['receipt_number']}/status",
                   headers=headers, json={"status": "approved"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "approved"


def test_the_signer_app_fetches_the_bytes_of_a_web_draft(app, trusted):
    http = fresh_client(app)
    body = applying.draft(http, "honnin_tsuchi", applying.honnin_fields())
    keyed = {"X-Application-Key": body["key"]}
    assert http.get(f"/api/v1/applications/{body['id']}/signing").status_code == 404  # the id alone opens nothing
    other = applying.draft(http, "honnin_tsuchi", applying.honnin_fields())
    assert http.get(f"/api/v1/applications/{body['id']}/signing",
                    headers={"X-Application-Key": other["key"]}).status_code == 404  # nor another draft's key
    got = http.get(f"/api/v1/applications/{body['id']}/signing", headers=keyed)
    assert got.status_code == 200
    signing = got.get_json()["signing"]  # the draft's bytes, and their SHA-256 for the signer app to show
    assert {k: signing[k] for k in ("payload", "digest_info")} == {k: body["signing"][k] for k in ("payload", "digest_info")}
    assert signing["sha256"] == hashlib.sha256(base64.b64decode(signing["payload"])).hexdigest()
    applying.sign(http, trusted, body)
    again = http.get(f"/api/v1/applications/{body['id']}/signing", headers=keyed)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_signed"
    assert http.get("/api/v1/applications/00000000-0000-0000-0000-000000000000/signing", headers=keyed).status_code == 404
