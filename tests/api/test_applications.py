"""Online applications API: form schema, drafts with the bytes to sign, JPKI signatures verified
against configured trust anchors and CRLs (the development CA stands in for J-LIS)."""
import base64
import json

import pytest
from sqlalchemy import text

from intake import devca, jpki

NAME, ADDRESS = "加古川 花子", "兵庫県加古川市加古川町北在家2000"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("devca"))


@pytest.fixture
def trusted(app, ca):
    """Point the app at the development CA for this test only."""
    old = (app.config["JPKI_TRUST_ANCHORS"], app.config["JPKI_CRL_SOURCES"])
    app.config["JPKI_TRUST_ANCHORS"] = str(ca.directory / "trust-anchors.pem")
    app.config["JPKI_CRL_SOURCES"] = f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}"
    yield ca
    app.config["JPKI_TRUST_ANCHORS"], app.config["JPKI_CRL_SOURCES"] = old


def _valid_fields(client):
    """A valid 住民票の写し request, as the city's paper form asks it."""
    return {
        "applicant_family_name": "加古川", "applicant_given_name": "花子",
        "applicant_family_kana": "カコガワ", "applicant_given_kana": "ハナコ",
        "applicant_birth_date": "1985-04-01", "applicant_phone": "0794213000",
        "applicant_address": {"postal_code": "6750064", "prefecture": "兵庫県", "city": "加古川市",
                              "street": "加古川町北在家2000"},
        "applicant_role": "self", "whose": "self", "householder_relation": "omit", "honseki": "omit",
        "mynumber": "omit", "juminhyo_code": "omit", "style": "household_list", "copies": 1,
        "purpose": "work", "delivery": "mail",
    }


def _draft(client):
    r = client.post("/api/v1/applications", json={"procedure_id": "juminhyo_utsushi",
                                                  "fields": _valid_fields(client), "email": "hanako@example.jp"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_form_schema_is_json_schema_2020_12(client):
    schema = client.get("/api/v1/procedures/koseki_tohon/form-schema").get_json()
    assert schema["$schema"].endswith("2020-12/schema") and "required" in schema
    assert client.get("/api/v1/procedures/tennyu_todoke/form-schema").status_code == 404


def test_a_draft_carries_the_canonical_payload_and_its_digest_info(client):
    body = _draft(client)
    assert body["status"] == "draft"
    payload = base64.b64decode(body["signing"]["payload"])
    assert json.loads(payload)["application_id"] == body["id"]
    assert base64.b64decode(body["signing"]["digest_info"]) == jpki.digest_info(payload)


def test_validation_errors_per_field_in_japanese(client):
    r = client.post("/api/v1/applications", json={"procedure_id": "juminhyo_utsushi",
                                                  "fields": {"copies": "many"}, "email": "nope"})
    err = r.get_json()["error"]
    assert r.status_code == 400 and err["fields"]["email"].startswith("メールアドレス")
    assert err["fields"]["fields.applicant_family_name"] == "入力してください。"
    bad = client.post("/api/v1/applications", json={"procedure_id": "tennyu_todoke", "fields": {}, "email": "a@b.jp"})
    assert "procedure_id" in bad.get_json()["error"]["fields"]


def test_personal_data_of_a_draft_is_encrypted_at_rest(app, client):
    body = _draft(client)
    from core.db import db
    with app.app_context():
        raw = db.session.execute(text("SELECT * FROM application WHERE id = :i"), {"i": body["id"]}).one()
    flat = " ".join(str(v) for v in raw)
    assert "花子" not in flat and "hanako@example.jp" not in flat


def _sign(client, draft, cert, chain, *, payload=None, query=""):
    """Play the signer app: sign the draft's bytes with the card's key and send the certificate."""
    data = payload or base64.b64decode(draft["signing"]["payload"])
    return client.post(f"/api/v1/applications/{draft['id']}/signature{query}",
                       headers={"X-Application-Key": draft["key"]}, json={
        "certificate": cert.pem, "signature": base64.b64encode(devca.sign(data, cert.key)).decode(),
        "chain": list(chain)})


def test_a_valid_signature_signs_the_application(client, trusted):
    cert = trusted.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2")
    draft = _draft(client)
    r = _sign(client, draft, cert, trusted.chain_pems)
    assert r.status_code == 200, r.get_json()
    signer = r.get_json()["signer"]
    assert r.get_json()["status"] == "signed"
    assert (signer["name"], signer["address"], signer["sex"]) == (NAME, ADDRESS, "2")
    assert jpki.parse_birth_date(signer["birth_date"]).isoformat() == "1985-04-01"
    assert r.get_json()["identity"] == {"name": True, "birth_date": True, "sex": None, "address": True}
    assert _sign(client, draft, cert, trusted.chain_pems).status_code == 409  # signed once


@pytest.mark.parametrize("case, code", [
    ("tampered", "signature_invalid"), ("revoked", "certificate_revoked"), ("expired", "certificate_expired"),
])
def test_bad_signatures_get_422_with_a_japanese_message(client, trusted, case, code):
    cert = trusted.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2", revoked=case == "revoked",
                                      expired=case == "expired")
    trusted.write_crls()
    draft = _draft(client)
    r = _sign(client, draft, cert, trusted.chain_pems, payload=b"something else" if case == "tampered" else None)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["message"]
    if case == "revoked":
        assert "引越し" in r.get_json()["error"]["message"] or "転居" in r.get_json()["error"]["message"] \
            or "住所" in r.get_json()["error"]["message"]


def test_an_untrusted_ca_is_refused(client, trusted, tmp_path):
    other = devca.make_dev_ca(tmp_path / "other")
    cert = other.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2")
    r = _sign(client, _draft(client), cert, other.chain_pems)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "certificate_untrusted"
    assert "署名用電子証明書として確認できませんでした" in r.get_json()["error"]["message"]
    r = _sign(client, _draft(client), cert, other.chain_pems, query="?lang=en")
    assert "could not be confirmed as the signing certificate" in r.get_json()["error"]["message"]


def test_without_configured_trust_anchors_nothing_is_trusted(client, ca):
    cert = ca.issue_signing_cert(NAME, ADDRESS, "1985-04-01", "2")
    assert _sign(client, _draft(client), cert, ca.chain_pems).status_code == 503


def test_dev_sign_plays_the_signer_app_for_the_demo(app, client, tmp_path):
    runner = app.test_cli_runner()
    old = app.instance_path
    app.instance_path = str(tmp_path)
    try:
        out = runner.invoke(args=["jpki", "dev-ca"])
        assert out.exit_code == 0 and "JPKI_TRUST_ANCHORS=" in out.output
        draft = _draft(client)
        signed = runner.invoke(args=["jpki", "dev-sign", draft["id"], "--name", NAME, "--address", ADDRESS,
                                     "--birth-date", "1985-04-01", "--sex", "2"])
        assert signed.exit_code == 0, signed.output
        body = json.loads(signed.output)
        app.config["JPKI_TRUST_ANCHORS"] = str(tmp_path / "dev-ca" / "trust-anchors.pem")
        app.config["JPKI_CRL_SOURCES"] = f"{tmp_path / 'dev-ca' / 'root-crl.pem'},{tmp_path / 'dev-ca' / 'intermediate-crl.pem'}"
        r = client.post(f"/api/v1/applications/{draft['id']}/signature", headers={"X-Application-Key": draft["key"]},
                        json=body)
        assert r.status_code == 200 and r.get_json()["identity"]["name"] is True
    finally:
        app.instance_path = old
        app.config["JPKI_TRUST_ANCHORS"] = app.config["JPKI_CRL_SOURCES"] = ""
