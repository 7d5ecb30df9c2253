"""The interface a resident's signer app calls (tag signer-app of /api/v1/openapi.json): the
documented examples validate against the documented schemas, and the real endpoints answer as
documented — with the one-time key of the signing step's link, and refusing a bad key (404), an
expired one (410), a replay (409) and a key made for answers since changed (409)."""
from __future__ import annotations

import base64
import datetime as dt

import jsonschema_rs
import pytest
import time_machine

from intake import devca, links
from tests.api.applying import honnin_fields

SIGNER_OPERATIONS = {("/api/v1/applications/{id}/signing", "get"), ("/api/v1/applications/{id}/signature", "post")}


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("signer-app-devca"))


@pytest.fixture
def trusted(app, ca):
    """Trust the development CA for this test only."""
    old = (app.config["JPKI_TRUST_ANCHORS"], app.config["JPKI_CRL_SOURCES"])
    app.config["JPKI_TRUST_ANCHORS"] = str(ca.directory / "trust-anchors.pem")
    app.config["JPKI_CRL_SOURCES"] = f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}"
    yield ca
    app.config["JPKI_TRUST_ANCHORS"], app.config["JPKI_CRL_SOURCES"] = old


@pytest.fixture(scope="module")
def doc(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _validator(doc: dict, schema: dict):
    """The schema with the document's components beside it, so its $refs resolve."""
    return jsonschema_rs.validator_for({**schema, "components": doc["components"]})


def _assert_valid(doc: dict, schema: dict, instance: object, label: str) -> None:
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in _validator(doc, schema).iter_errors(instance)]
    assert errors == [], (label, errors)


def _operation(doc: dict, path: str, method: str) -> dict:
    return doc["paths"][path][method]


def test_the_signer_app_operations_are_tagged_and_the_tag_says_how_to_connect_one(doc):
    tag = next(t for t in doc["tags"] if t["name"] == "signer-app")
    for placeholder in ("{fetch_url}", "{key}", "{signature_url}", "{return_url}", "SIGNER_APP_URL_TEMPLATE",
                        "X-Application-Key"):
        assert placeholder in tag["description"]
    tagged = {(path, method) for path, ops in doc["paths"].items() for method, op in ops.items()
              if isinstance(op, dict) and "signer-app" in op.get("tags", [])}
    assert tagged == SIGNER_OPERATIONS


def test_every_documented_example_validates_against_its_schema(doc):
    seen = 0
    for path, method in SIGNER_OPERATIONS:
        operation = _operation(doc, path, method)
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            assert "example" in body, (path, "request example")
            _assert_valid(doc, body["schema"], body["example"], f"{path} request")
            seen += 1
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            if "example" in media:
                _assert_valid(doc, media["schema"], media["example"], f"{path} {status}")
                seen += 1
        assert "example" in operation["responses"]["200"]["content"]["application/json"], path
    assert seen >= 10
    # and an example that breaks the schema is caught (the check can fail)
    task = _operation(doc, "/api/v1/applications/{id}/signing", "get")["responses"]["200"]["content"]["application/json"]
    broken = {**task["example"], "signing": {"payload": "x"}}
    assert list(_validator(doc, task["schema"]).iter_errors(broken))


def test_the_example_payload_and_its_digest_agree(doc):
    example = _operation(doc, "/api/v1/applications/{id}/signing", "get")["responses"]["200"]["content"][
        "application/json"]["example"]
    import hashlib

    payload = base64.b64decode(example["signing"]["payload"])
    assert hashlib.sha256(payload).hexdigest() == example["signing"]["sha256"]
    assert base64.b64decode(example["signing"]["digest_info"]).endswith(hashlib.sha256(payload).digest())


def _draft(client) -> dict:
    r = client.post("/api/v1/applications", json={"procedure_id": "honnin_tsuchi", "fields": honnin_fields(),
                                                  "email": "hanako@example.jp"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _one_time_key(app, app_id: str) -> str:
    from core.db import db
    from intake.models import Application
    with app.test_request_context():
        return links.signing_key(app_id, db.session.get(Application, app_id).payload)


def _signature(authority, payload_b64: str) -> dict:
    card = authority.issue_signing_cert("加古川 花子", "兵庫県加古川市加古川町北在家2000", dt.date(1985, 4, 1), "2")
    authority.write_crls()
    return {"certificate": card.pem, "signature": base64.b64encode(card.sign(base64.b64decode(payload_b64))).decode(),
            "chain": authority.chain_pems}


def _response_schema(doc, path, method, status):
    return _operation(doc, path, method)["responses"][status]["content"]["application/json"]["schema"]


def test_the_real_endpoints_answer_as_documented_with_the_one_time_key(app, client, doc, trusted):
    app_id = _draft(client)["id"]
    key = _one_time_key(app, app_id)
    fetched = client.get(f"/api/v1/applications/{app_id}/signing", headers={"X-Application-Key": key})
    assert fetched.status_code == 200, fetched.get_json()
    task = fetched.get_json()
    _assert_valid(doc, _response_schema(doc, "/api/v1/applications/{id}/signing", "get", "200"), task, "task")
    example = _operation(doc, "/api/v1/applications/{id}/signing", "get")["responses"]["200"]["content"][
        "application/json"]["example"]
    assert set(task) == set(example) and set(task["signing"]) == set(example["signing"])
    assert "本人通知" in task["procedure"]["name"] and task["id"] == app_id  # the name, not the id
    assert task["signature_url"].endswith(f"/api/v1/applications/{app_id}/signature")
    assert task["return_url"].endswith(f"/apply/d/{app_id}/sign")

    body = _signature(trusted, task["signing"]["payload"])
    request_schema = _operation(doc, "/api/v1/applications/{id}/signature", "post")["requestBody"]["content"][
        "application/json"]["schema"]
    _assert_valid(doc, request_schema, body, "signature request")
    signed = client.post(f"/api/v1/applications/{app_id}/signature", json=body, headers={"X-Application-Key": key})
    assert signed.status_code == 200, signed.get_json()
    _assert_valid(doc, _response_schema(doc, "/api/v1/applications/{id}/signature", "post", "200"),
                  signed.get_json(), "signed")
    assert signed.get_json()["return_url"] == task["return_url"]

    # a replay: the same signature again, or a fetch, with the same key
    again = client.post(f"/api/v1/applications/{app_id}/signature", json=body, headers={"X-Application-Key": key})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_signed"
    _assert_valid(doc, _response_schema(doc, "/api/v1/applications/{id}/signature", "post", "409"),
                  again.get_json(), "409")
    refetch = client.get(f"/api/v1/applications/{app_id}/signing", headers={"X-Application-Key": key})
    assert refetch.status_code == 409


@pytest.mark.parametrize("key", ["", "x" * 80, "not.a.key", "y" * 500])
def test_a_bad_key_is_404_and_says_so(app, client, key):
    app_id = _draft(client)["id"]
    for r in (client.get(f"/api/v1/applications/{app_id}/signing", headers={"X-Application-Key": key}),
              client.post(f"/api/v1/applications/{app_id}/signature", json={}, headers={"X-Application-Key": key})):
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
        assert r.get_json()["error"]["message"] == "申請が見つかりません。"


def test_another_applications_key_opens_nothing(app, client):
    first, second = _draft(client)["id"], _draft(client)["id"]
    key = _one_time_key(app, first)
    r = client.get(f"/api/v1/applications/{second}/signing", headers={"X-Application-Key": key})
    assert r.status_code == 404


def test_an_expired_key_is_410_in_the_callers_language(app, client, doc):
    app_id = _draft(client)["id"]
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=app.config["SIGNING_KEY_MINUTES"] + 1)):
        key = _one_time_key(app, app_id)
    r = client.get(f"/api/v1/applications/{app_id}/signing", headers={"X-Application-Key": key})
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "signing_key_expired"
    _assert_valid(doc, _response_schema(doc, "/api/v1/applications/{id}/signing", "get", "410"), r.get_json(), "410")
    assert "有効期限が切れました" in r.get_json()["error"]["message"]
    english = client.post(f"/api/v1/applications/{app_id}/signature?lang=en", json={},
                          headers={"X-Application-Key": key, "Accept-Language": "en"})
    assert english.status_code == 410 and "expired" in english.get_json()["error"]["message"]
    fresh = _one_time_key(app, app_id)  # a key made now still works
    assert client.get(f"/api/v1/applications/{app_id}/signing", headers={"X-Application-Key": fresh}).status_code == 200


def test_a_key_made_for_answers_since_changed_is_refused(app, client):
    from core.db import db
    from intake.models import Application
    app_id = _draft(client)["id"]
    key = _one_time_key(app, app_id)
    with app.app_context():
        row = db.session.get(Application, app_id)
        row.payload = row.payload.replace("加古川", "姫路", 1)
        db.session.commit()
    r = client.get(f"/api/v1/applications/{app_id}/signing", headers={"X-Application-Key": key})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "signing_key_replaced"


def test_a_malformed_signature_with_a_good_key_is_400(app, client, trusted):
    app_id = _draft(client)["id"]
    key = _one_time_key(app, app_id)
    r = client.post(f"/api/v1/applications/{app_id}/signature", json={"certificate": "x", "signature": "%%%"},
                    headers={"X-Application-Key": key})
    assert r.status_code == 400 and r.get_json()["error"]["fields"]["signature"]
    r = client.post(f"/api/v1/applications/{app_id}/signature", data="not json", headers={"X-Application-Key": key})
    assert r.status_code == 400


def test_a_signature_from_an_untrusted_card_is_422_and_the_key_still_works(app, client, trusted, tmp_path):
    app_id = _draft(client)["id"]
    key = _one_time_key(app, app_id)
    task = client.get(f"/api/v1/applications/{app_id}/signing", headers={"X-Application-Key": key}).get_json()
    other = devca.make_dev_ca(tmp_path / "other", key_size=2048)
    r = client.post(f"/api/v1/applications/{app_id}/signature", json=_signature(other, task["signing"]["payload"]),
                    headers={"X-Application-Key": key})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "certificate_untrusted"
    good = client.post(f"/api/v1/applications/{app_id}/signature", json=_signature(trusted, task["signing"]["payload"]),
                       headers={"X-Application-Key": key})
    assert good.status_code == 200
