"""API clients: attachments (POST /api/v1/uploads) claimed by the application and signed by their
SHA-256; submit with an Idempotency-Key (one receipt number, one e-mail); the status by token."""
import base64
import hashlib
import json

from sqlalchemy import select

from tests.api import applying
from tests.api.applying import (
    PDF,
    PNG,
    draft,
    honnin_fields,
    kenchiku_fields,
    outbox_to,
    sign,
    submit,
    upload,
)
from tests.conftest import clear_outbox_and_alerts, fresh_client

ca, trusted = applying.ca, applying.trusted  # fixtures


def test_a_pdf_upload_is_kept_and_its_digest_is_signed(app):
    client = fresh_client(app)
    r = upload(client, "kenchiku_shinchiku", "site_map", PDF, "配置図.pdf")
    assert r.status_code == 201, r.get_json()
    value = r.get_json()
    assert value == {"name": value["name"], "kind": "pdf", "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()}
    png = upload(client, "kenchiku_shinchiku", "site_map", PNG, "plan.png").get_json()
    assert png["kind"] == "png"
    body = draft(client, "kenchiku_shinchiku", kenchiku_fields([value, png]))
    payload = json.loads(base64.b64decode(body["signing"]["payload"]))
    assert value["sha256"] in json.dumps(payload) and png["sha256"] in json.dumps(payload)
    from core.db import db
    from intake.models import ApplicationAttachment
    with app.app_context():
        owners = set(db.session.scalars(select(ApplicationAttachment.application_id).where(
            ApplicationAttachment.name.in_([value["name"], png["name"]]))))
    assert owners == {body["id"]}


def test_an_upload_cannot_be_claimed_twice(app):
    client = fresh_client(app)
    value = upload(client, "kenchiku_shinchiku", "site_map", PDF).get_json()
    draft(client, "kenchiku_shinchiku", kenchiku_fields([value]))
    r = client.post("/api/v1/applications", json={"procedure_id": "kenchiku_shinchiku",
                                                  "fields": kenchiku_fields([value]), "email": "a@example.jp"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "attachment_unknown"


def test_a_wrong_type_is_refused_in_japanese(app):
    r = upload(fresh_client(app), "kenchiku_shinchiku", "site_map", b"GIF89a" + b"\x00" * 40, "plan.pdf")
    err = r.get_json()["error"]
    assert r.status_code == 400 and err["code"] == "file_type"
    assert "PDF" in err["fields"]["file"] and "形式" in err["message"]


def test_an_unknown_field_or_procedure_is_refused(app):
    client = fresh_client(app)
    r = upload(client, "kenchiku_shinchiku", "floors", PDF)
    assert r.status_code == 400 and "field_id" in r.get_json()["error"]["fields"]
    r = upload(client, "tennyu_todoke", "site_map", PDF)
    assert r.status_code == 400 and "procedure_id" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/uploads", data={"procedure_id": "kenchiku_shinchiku", "field_id": "site_map",
                                             "draft": applying.upload_draft(client, "kenchiku_shinchiku")})
    assert r.status_code == 400 and "file" in r.get_json()["error"]["fields"]
    assert upload(client, "kenchiku_shinchiku", "site_map", b"").get_json()["error"]["code"] == "empty_file"


def test_a_file_over_the_fields_limit_is_refused(app):
    """A 委任状 may be 5 MB: a 6 MB PDF is refused by the field's rule (the request itself fits)."""
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 21 * 2**20
    try:
        r = upload(fresh_client(app), "honnin_tsuchi", "proxy_letter", PDF + b"\x00" * (6 * 2**20))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    err = r.get_json()["error"]
    assert r.status_code == 400 and err["code"] == "file_too_large" and "5MB" in err["message"]


def test_a_request_over_the_servers_limit_gets_413_in_json(app):
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    try:
        r = upload(fresh_client(app), "kenchiku_shinchiku", "site_map", PDF + b"\x00" * (100 * 1024))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert r.status_code == 413
    err = r.get_json()["error"]
    assert err["code"] == "file_too_large" and "大きすぎます" in err["message"]


def test_uploads_are_rate_limited(app):
    client = fresh_client(app)
    codes = [upload(client, "kenchiku_shinchiku", "floors", PDF).status_code for _ in range(61)]
    assert codes[:60] == [400] * 60 and codes[60] == 429
    r = upload(client, "kenchiku_shinchiku", "floors", PDF)
    assert r.get_json()["error"]["code"] == "rate_limited" and "Retry-After" in r.headers


def test_submit_is_idempotent_one_receipt_one_email(app, trusted):
    clear_outbox_and_alerts(app)
    client = fresh_client(app)
    body = draft(client, "honnin_tsuchi", honnin_fields(), email="idem@example.jp")
    assert submit(client, body["id"], "same-key-123").status_code == 409  # not signed yet
    sign(client, trusted, body)
    first = submit(client, body["id"], "same-key-123")
    again = submit(client, body["id"], "same-key-123")
    assert first.status_code == again.status_code == 200, first.get_json()
    assert first.get_json() == again.get_json()
    assert first.get_json()["status"] == "submitted" and first.get_json()["receipt_number"]
    assert "/status" in first.get_json()["status_url"] or "token" in first.get_json()["status_url"]
    other = submit(client, body["id"], "another-key-456")
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "already_submitted"
    from core.db import db
    from intake.models import Application
    with app.app_context():
        numbers = set(db.session.scalars(select(Application.receipt_number).where(Application.id == body["id"])))
    assert numbers == {first.get_json()["receipt_number"]}
    assert len(outbox_to(app, "idem@example.jp")) == 1


def test_submit_needs_a_good_idempotency_key(app):
    client = fresh_client(app)
    body = draft(client, "honnin_tsuchi", honnin_fields())
    for headers in ({}, {"Idempotency-Key": "short"}, {"Idempotency-Key": "x" * 65}):
        r = client.post(f"/api/v1/applications/{body['id']}/submit", headers={**headers, "X-Application-Key": body["key"]})
        assert r.status_code == 400 and "Idempotency-Key" in r.get_json()["error"]["fields"]
    assert submit(client, "no-such-application").status_code == 404


def test_a_key_of_another_application_is_refused(app, trusted):
    client = fresh_client(app)
    one, two = (draft(client, "honnin_tsuchi", honnin_fields()) for _ in range(2))
    sign(client, trusted, one)
    sign(client, trusted, two)
    assert submit(client, one["id"], "shared-key-789").status_code == 200
    r = submit(client, two["id"], "shared-key-789")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "idempotency_key_reused"


def test_a_fee_to_pay_first_answers_402(app, trusted):
    client = fresh_client(app)
    from tests.api.test_applications import _valid_fields
    body = draft(client, "juminhyo_utsushi", _valid_fields(client))
    sign(client, trusted, body)
    r = submit(client, body["id"])
    assert r.status_code == 402 and r.get_json()["error"]["code"] == "payment_required"
    assert "支払" in r.get_json()["error"]["message"]
    try:
        from intake.payments.service import start_checkout  # noqa: F401
    except ImportError:
        return
    assert r.get_json()["payment_url"].startswith("http")


def test_the_status_is_read_with_the_secret_link_token(app, trusted):
    from intake import links
    client = fresh_client(app)
    body = draft(client, "honnin_tsuchi", honnin_fields())
    sign(client, trusted, body)
    submit(client, body["id"])
    with app.test_request_context():
        token = links.status_token(body["id"])
    r = client.get(f"/api/v1/applications/{body['id']}/status", query_string={"token": token})
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"
    assert r.get_json()["label"]["ja"] == "受付" and r.get_json()["withdrawable"] is True
    assert client.get(f"/api/v1/applications/{body['id']}/status", query_string={"token": "x"}).status_code == 404
    other = draft(client, "honnin_tsuchi", honnin_fields())
    assert client.get(f"/api/v1/applications/{other['id']}/status", query_string={"token": token}).status_code == 404


def test_uploads_are_capped_per_address_in_megabytes(app):
    """Anonymous uploads: one address has a budget of MiB (each request costs its size, at least
    1), shared by the API and the application pages; another address is not affected."""
    app.config["UPLOAD_MIB_PER_ADDRESS"] = "4 per hour"
    try:
        client = fresh_client(app)
        big = PDF + b"\x00" * (2 * 2**20 + 1000)  # 3 MiB of budget
        assert upload(client, "honnin_tsuchi", "proxy_letter", big).status_code == 201
        assert upload(client, "honnin_tsuchi", "proxy_letter", PDF).status_code == 201  # 4 of 4
        r = upload(client, "honnin_tsuchi", "proxy_letter", PDF)
        assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"
        other = fresh_client(app)
        other.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # another address (TEST-NET-1), its own budget
        assert upload(other, "honnin_tsuchi", "proxy_letter", PDF).status_code == 201
    finally:
        app.config.pop("UPLOAD_MIB_PER_ADDRESS")


def test_an_upload_without_an_upload_draft_is_refused(app):
    """Every anonymous upload belongs to a draft the server issued: none, a forged one or one of
    another procedure is a 400 that says what to do."""
    client = fresh_client(app)
    for token in ("", "forged", applying.upload_draft(client, "kenchiku_shinchiku")):
        r = upload(client, "honnin_tsuchi", "proxy_letter", PDF, draft=token)
        err = r.get_json()["error"]
        assert r.status_code == 400 and err["code"] == "upload_draft_required", token
        assert "upload-drafts" in err["fields"]["draft"] and "下書き" in err["message"]
    from core.i18n import force_locale
    from intake.api import NO_DRAFT
    with app.test_request_context(), force_locale("en"):
        assert "upload draft" in str(NO_DRAFT)
    assert client.post("/api/v1/upload-drafts", json={"procedure_id": "tennyu_todoke"}).status_code == 400
    r = client.post("/api/v1/applications", json={"procedure_id": "honnin_tsuchi", "fields": honnin_fields(),
                                                  "email": "a@example.jp", "draft": "forged"})
    assert r.status_code == 400 and "draft" in r.get_json()["error"]["fields"]


def test_only_the_draft_an_upload_was_made_for_can_claim_it(app):
    mine, theirs = fresh_client(app), fresh_client(app)
    value = upload(mine, "kenchiku_shinchiku", "site_map", PDF).get_json()
    applying.upload_draft(theirs, "kenchiku_shinchiku")
    r = theirs.post("/api/v1/applications", json={"procedure_id": "kenchiku_shinchiku", "email": "b@example.jp",
                                                  "fields": kenchiku_fields([value]),
                                                  "draft": theirs.upload_drafts["kenchiku_shinchiku"]})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "attachment_unknown"
    r = theirs.post("/api/v1/applications", json={"procedure_id": "kenchiku_shinchiku", "email": "b@example.jp",
                                                  "fields": kenchiku_fields([value])})  # no draft at all
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "attachment_unknown"
    assert draft(mine, "kenchiku_shinchiku", kenchiku_fields([value]))["status"] == "draft"


def test_uploads_are_capped_per_draft_in_files_and_megabytes(app):
    app.config.update(UPLOAD_FILES_PER_DRAFT=2, UPLOAD_MIB_PER_DRAFT=1)
    try:
        client = fresh_client(app)
        made = client.post("/api/v1/upload-drafts", json={"procedure_id": "kenchiku_shinchiku"}).get_json()
        assert made["max_files"] == 2 and made["max_bytes"] == 2**20
        assert upload(client, "kenchiku_shinchiku", "site_map", PDF).status_code == 201
        assert upload(client, "kenchiku_shinchiku", "site_map", PDF).status_code == 201
        r = upload(client, "kenchiku_shinchiku", "site_map", PDF)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "draft_file_count"
        assert "2件まで" in r.get_json()["error"]["fields"]["file"]
        half = PDF + b"\x00" * (2**19)
        other = applying.upload_draft(fresh_client(app), "honnin_tsuchi")  # a new draft starts from zero
        assert upload(client, "honnin_tsuchi", "proxy_letter", half, draft=other).status_code == 201
        r = upload(client, "honnin_tsuchi", "proxy_letter", half, draft=other)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "draft_too_large"
        assert "1MBまで" in r.get_json()["error"]["message"]
    finally:
        app.config.update(UPLOAD_FILES_PER_DRAFT=20, UPLOAD_MIB_PER_DRAFT=50)
