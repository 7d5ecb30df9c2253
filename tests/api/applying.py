"""Helpers for the application API tests: valid answers, drafts, the development signer, submit,
back-office clients. Everything goes through the real endpoints."""
from __future__ import annotations

import base64
import datetime as dt

import pytest

from intake import devca

NAME, ADDRESS, BIRTH = "加古川 花子", "兵庫県加古川市加古川町北在家2000", "1985-04-01"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("devca"))


@pytest.fixture
def trusted(app, ca):
    """Trust the development CA for this test only."""
    old = (app.config["JPKI_TRUST_ANCHORS"], app.config["JPKI_CRL_SOURCES"])
    app.config["JPKI_TRUST_ANCHORS"] = str(ca.directory / "trust-anchors.pem")
    app.config["JPKI_CRL_SOURCES"] = f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}"
    yield ca
    app.config["JPKI_TRUST_ANCHORS"], app.config["JPKI_CRL_SOURCES"] = old


def applicant() -> dict:
    return {"applicant_family_name": "加古川", "applicant_given_name": "花子",
            "applicant_family_kana": "カコガワ", "applicant_given_kana": "ハナコ",
            "applicant_birth_date": BIRTH, "applicant_phone": "0794213000",
            "applicant_address": {"postal_code": "6750064", "prefecture": "兵庫県", "city": "加古川市",
                                  "street": "加古川町北在家2000"},
            "applicant_role": "self"}


def honnin_fields() -> dict:
    """本人通知制度の登録 (市民課, free)."""
    return {**applicant(), "basis": ["juminhyo"], "notice_to": "registered"}


def kenchiku_fields(site_map: list[dict] | None = None) -> dict:
    """建築物の新築届 (建築指導課, free), optionally with site plans."""
    fields = {**applicant(), "owner_is": "applicant", "site": "加古川市加古川町北在家2000番", "use": "house",
              "structure": "wood", "floors": 2, "floor_area": 98.5,
              "start_date": (dt.date.today() + dt.timedelta(days=30)).isoformat()}
    if site_map:
        fields["site_map"] = site_map
    return fields


def upload_draft(client, procedure_id: str) -> str:
    """This client's upload draft for the procedure (one per client and procedure, made once);
    "" for a procedure that takes no applications."""
    drafts = client.__dict__.setdefault("upload_drafts", {})
    if procedure_id not in drafts:
        r = client.post("/api/v1/upload-drafts", json={"procedure_id": procedure_id})
        if r.status_code != 201:
            return ""
        drafts[procedure_id] = r.get_json()["draft"]
    return drafts[procedure_id]


def upload(client, procedure_id: str, field_id: str, data: bytes, filename: str = "plan.pdf",
           draft: str | None = None):
    """multipart/form-data encoded here: the test client would spool a large body to a temporary
    file that nobody closes (a ResourceWarning), bytes stay in memory. ``draft``: the client's
    upload draft for the procedure unless given."""
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart
    if draft is None:
        draft = upload_draft(client, procedure_id)
    boundary, body = encode_multipart({"procedure_id": procedure_id, "field_id": field_id, "draft": draft,
                                       "file": FileStorage(io.BytesIO(data), filename)})
    return client.post("/api/v1/uploads", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def draft(client, procedure_id: str, fields: dict, email: str = "hanako@example.jp") -> dict:
    """A draft; with the client's upload draft for the procedure, if it made one."""
    body = {"procedure_id": procedure_id, "fields": fields, "email": email}
    if procedure_id in client.__dict__.get("upload_drafts", {}):
        body["draft"] = client.upload_drafts[procedure_id]
    r = client.post("/api/v1/applications", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def sign(client, ca, body: dict):
    cert = ca.issue_signing_cert(NAME, ADDRESS, BIRTH, "2")
    payload = base64.b64decode(body["signing"]["payload"])
    r = client.post(f"/api/v1/applications/{body['id']}/signature", headers={"X-Application-Key": body["key"]}, json={
        "certificate": cert.pem, "signature": base64.b64encode(devca.sign(payload, cert.key)).decode(),
        "chain": list(ca.chain_pems)})
    assert r.status_code == 200, r.get_json()
    return r


def api_key(client, app_id: str) -> dict[str, str]:
    """The X-Application-Key header an app holds for this draft (the id alone opens nothing)."""
    from intake import links
    with client.application.test_request_context():
        return {"X-Application-Key": links.api_key(app_id)}


def submit(client, app_id: str, key: str | None = None):
    return client.post(f"/api/v1/applications/{app_id}/submit",
                       headers={"Idempotency-Key": key or f"key-{app_id}", **api_key(client, app_id)})


def submitted(client, ca, procedure_id: str = "honnin_tsuchi", fields: dict | None = None,
              email: str = "hanako@example.jp") -> dict:
    """A signed, submitted application: {"id", "receipt_number", ...}."""
    body = draft(client, procedure_id, fields or (honnin_fields() if procedure_id == "honnin_tsuchi"
                                                  else kenchiku_fields()), email)
    sign(client, ca, body)
    r = submit(client, body["id"])
    assert r.status_code == 200, r.get_json()
    return {"id": body["id"], **r.get_json()}


def new_client(app, departments: tuple[str, ...] = ()) -> tuple[str, str]:
    """A back-office client straight through the service: (client_id, secret)."""
    from core.db import db
    from intake import backoffice_auth
    with app.app_context():
        client, secret = backoffice_auth.new_client("テスト 申請管理システム", departments)
        db.session.commit()
        return client.client_id, secret


def bearer(http, client_id: str, secret: str) -> dict[str, str]:
    r = http.post("/api/v1/backoffice/token", data={"grant_type": "client_credentials"},
                  headers={"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


def outbox_to(app, recipient: str) -> list:
    """Queued mail for one address (the recipient is encrypted: compared after decryption)."""
    from sqlalchemy import select

    from core.db import db
    from core.outbox import OutboxMessage
    with app.app_context():
        return [(m.subject, m.body) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                if m.recipient == recipient]
