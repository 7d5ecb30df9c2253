"""The online-application and back-office operations of the OpenAPI 3.1 document (gathered by the app
factory in app.py, merged by ``guide.openapi``). Plain Python: statuses come from ``intake.workflow``."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from intake import jpki, workflow

TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}
INT = {"type": "integer"}
KINDS = ["pdf", "jpeg", "png", "heic"]
MAX_CURSOR = 2**31 - 1
BEARER = [{"backofficeBearer": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _example_payload() -> bytes:
    return jpki.canonical_payload(EXAMPLE_ID, "honnin_tsuchi", {"applicant_family_name": "市民",
                                                                "applicant_given_name": "花子"},
                                  {}, dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC), EXAMPLE_FORM_VERSION)


EXAMPLE_ID = "0b7e4a52-7c3e-4d8e-9a51-2f0c6f1d9e10"
EXAMPLE_FORM_VERSION = "sha256:77e27fb4dc387761adf343784d2ea7fc1f5c91b36d44110382dd871347329b81"
SIGNED_BYTES = ("RFC 8785 canonical JSON of the application: application_id, procedure_id, fields, "
                "attachments_sha256 (attachment name → SHA-256), created_at and form_version (the form "
                "definition the answers were entered with; absent in applications made before versions were "
                "recorded)")
EXAMPLE_BASE = "https://guide.example.lg.jp"
EXAMPLE_KEY = "ImM0ZjFhOWIyZTNkNDU2Nzg5MGFiY2RlZiI.Z3x9qA.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9"
SIGNER_APP = (
    "How a resident's smartphone signer app is connected (no code: settings only). The signing step of a "
    "draft made on the web shows a link and a QR code built from SIGNER_APP_URL_TEMPLATE, e.g. "
    "`signer-app://sign?fetch={fetch_url}&key={key}&return={return_url}`, with these placeholders, each "
    "percent-encoded: `{fetch_url}` (GET it, sending the key as X-Application-Key: what to sign), `{key}` "
    "(one-time: it opens this application's signing for these bytes only, until they are signed or "
    "SIGNING_KEY_MINUTES pass), `{signature_url}` (POST the signature there, with the same key) and "
    "`{return_url}` (open it when done: the resident's browser shows the result). The app signs the "
    "payload (RSA PKCS#1 v1.5, SHA-256; the DigestInfo is given for cards that sign a digest) with the "
    "My Number Card's 署名用電子証明書 and posts the certificate (and the intermediates it has). "
    "Refusals: 404 wrong key or unknown id, 410 the link's key expired, 409 signed already (a replay) "
    "or the answers changed since the key was made, 422 the signature or the certificate path failed.")


def _signer_examples() -> dict[str, Any]:
    payload = _example_payload()
    return {
        "task": {"id": EXAMPLE_ID, "status": "draft", "procedure": {"id": "honnin_tsuchi", "name": "本人通知制度の登録"},
                 "signing": {"payload": base64.b64encode(payload).decode(),
                             "digest_info": base64.b64encode(jpki.digest_info(payload)).decode(),
                             "sha256": hashlib.sha256(payload).hexdigest()},
                 "signature_url": f"{EXAMPLE_BASE}/api/v1/applications/{EXAMPLE_ID}/signature",
                 "return_url": f"{EXAMPLE_BASE}/apply/d/{EXAMPLE_ID}/sign"},
        "signature": {"certificate": "-----BEGIN CERTIFICATE-----\nMIIF…\n-----END CERTIFICATE-----\n",
                      "signature": "kW3m9yQ0c2lnbmF0dXJlLWJ5dGVzLWJhc2U2NA==",
                      "chain": ["-----BEGIN CERTIFICATE-----\nMIIE…\n-----END CERTIFICATE-----\n"]},
        "signed": {"status": "signed",
                   "signer": {"name": "市民 花子", "address": "〇〇県〇〇市〇〇町1-2-3", "birth_date": "1985-04-01",
                              "sex": "2"},
                   "identity": {"name": True, "address": True, "birth_date": True, "sex": None},
                   "return_url": f"{EXAMPLE_BASE}/apply/d/{EXAMPLE_ID}/sign"},
        "expired": {"error": {"code": "signing_key_expired", "message": "署名用のリンクの有効期限が切れました。"
                              "申請のページに戻り、新しいリンクから署名してください。"}},
        "replayed": {"error": {"code": "already_signed", "message": "この申請には、すでに署名があります。"}},
        "not_found": {"error": {"code": "not_found", "message": "申請が見つかりません。"}},
        "untrusted": {"error": {"code": "certificate_untrusted",
                                "message": "署名用電子証明書として確認できませんでした。"}},
    }


LABEL = _obj(["ja", "en"], ja=TEXT, en=TEXT)
STATUS = {"enum": list(workflow.STATUSES)}
CLIENT_STATUS = {"type": ["string", "null"], "description": "our status code (GET /api/v1/backoffice/statuses), or the "
                 "client's own code when it has a status map (null: a status before submission, which a map "
                 "does not name)"}


def _schemas() -> dict[str, Any]:
    file_value = {"type": "object", "additionalProperties": False, "required": ["name", "kind", "size", "sha256"],
                  "properties": {"name": {"type": "string", "pattern": "^[0-9a-f]{16,64}$"}, "kind": {"enum": KINDS},
                                 "size": {"type": "integer", "minimum": 1},
                                 "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}
    fee = _obj(["amount", "timing", "state"], amount={"type": ["integer", "null"]},
               timing={"enum": ["none", "at_submission", "after_review"]}, state=TEXT)
    payment = _obj(["id", "provider", "amount", "status"], id=TEXT, provider=TEXT, amount=INT, status=TEXT,
                   refunded_amount=INT, paid_at=TIME, receipt_number=NULLABLE_TEXT)
    event = _obj(["id", "at", "kind", "actor"], id=INT, at=TIME, kind=TEXT, actor=TEXT,
                 from_status={**CLIENT_STATUS}, to_status={**CLIENT_STATUS}, note=NULLABLE_TEXT,
                 field_comments={"type": ["object", "null"], "additionalProperties": TEXT})
    attachment = _obj(["name", "field_id", "kind", "size", "sha256", "filename", "download_url"],
                      name=TEXT, field_id=TEXT, kind={"enum": KINDS}, media_type=NULLABLE_TEXT, size=INT,
                      sha256={"type": "string", "pattern": "^[0-9a-f]{64}$"}, filename=TEXT, download_url=TEXT)
    signer = {"type": "object", "additionalProperties": TEXT,
              "description": "基本4情報 from the signing certificate: name, address, birth_date, sex"}
    identity = {"type": ["object", "null"], "additionalProperties": {"type": ["boolean", "null"]},
                "description": "which of the 基本4情報 match the form (null: not compared)"}
    signature = {"type": ["object", "null"], "required": ["payload", "signature", "certificate", "serial", "issuer",
                                                          "checked_at", "revocation_evidence", "signer", "identity"],
                 "properties": {
                     "payload": {"type": "string", "contentEncoding": "base64",
                                 "description": "the signed bytes: " + SIGNED_BYTES},
                     "signature": {"type": "string", "contentEncoding": "base64",
                                   "description": "RSA PKCS#1 v1.5 with SHA-256 over the payload"},
                     "certificate": {"type": "string", "description": "the signing certificate, PEM"},
                     "serial": NULLABLE_TEXT, "issuer": NULLABLE_TEXT, "checked_at": TIME,
                     "revocation_evidence": {"type": "array", "items": {"type": "object"}},
                     "signer": {"anyOf": [signer, {"type": "null"}]}, "identity": identity}}
    summary = _obj(["receipt_number", "id", "procedure_id", "department_id", "status", "updated_at", "submitted_at",
                    "event_id"],
                   receipt_number=TEXT, id=TEXT, procedure_id=TEXT, department_id=TEXT, status=CLIENT_STATUS,
                   status_internal={**STATUS, "description": "our status code (only for a client with a status map)"},
                   updated_at=TIME, submitted_at=TIME,
                   event_id={"type": "integer", "description": "the latest change seen (ApplicationEvent id)"},
                   acknowledged_at={**TIME, "description": "when this client acknowledged this revision "
                                    "(POST …/ack, 取込済); null: not yet, or resubmitted since"})
    item = {"type": "object", "required": ["id", "label", "type", "maps_to", "value"], "properties": {
        "id": TEXT, "section": TEXT, "label": {"anyOf": [LABEL, {"type": "null"}]},
        "type": {"type": ["string", "null"], "description": "the field type of the form definition (null: a "
                 "value of a field the current form no longer has)"},
        "maps_to": {"type": ["string", "null"], "description": "the standard data item: `kihon:<whose>.<item>` "
                    "(基本データリスト item names: 氏名, 氏名カナ, 生年月日, 性別, 住所, 郵便番号, 電話番号) or "
                    "`pittari:<item>` (ぴったりサービス preset items); null: none"},
        "value": {"description": "the value as in `fields` (a repeat field: a list of records, each a list of "
                  "items)"},
        "value_label": {"description": "choice fields: the label of the chosen code ({ja, en}), a list of them "
                        "for several"}}}
    return {
        "FileValue": file_value,
        "CreateApplicationRequest": {
            "type": "object", "required": ["procedure_id", "fields", "email"],
            "properties": {"procedure_id": TEXT, "email": {"type": "string", "format": "email"},
                           "draft": {"type": "string", "description": "the upload draft the files were "
                                     "uploaded for (POST /api/v1/upload-drafts); needed when a file field is filled"},
                           "fields": {"type": "object", "description":
                                      "the values, as GET /api/v1/procedures/{id}/form-schema describes them; "
                                      "a file field holds the FileValue objects of POST /api/v1/uploads"}}},
        "Draft": _obj(["id", "status", "signing"], id=TEXT, status={"enum": ["draft", "correction"]},
                      key={"type": "string", "description": "send it as X-Application-Key to the other "
                                                            "operations on this application (the id alone is no credential)"},
                      signing=_obj(["payload", "digest_info"],
                                   payload={"type": "string", "contentEncoding": "base64"},
                                   digest_info={"type": "string", "contentEncoding": "base64"})),
        "SignatureRequest": {"type": "object", "required": ["certificate", "signature"], "properties": {
            "certificate": {"type": "string", "description": "署名用電子証明書, PEM"},
            "signature": {"type": "string", "contentEncoding": "base64"},
            "chain": {"type": "array", "items": TEXT, "description": "intermediate certificates, PEM"}}},
        "Signed": _obj(["status", "signer"], status={"const": "signed"}, signer=signer, identity=identity,
                       return_url={"type": "string", "description": "where the signer app sends the resident back"}),
        "SigningTask": {**_obj(
            ["id", "status", "procedure", "signing", "signature_url", "return_url"],
            id=TEXT, status={"enum": ["draft", "correction"]},
            procedure=_obj(["id", "name"], id=TEXT, name={"type": "string", "description": "in the request's language"}),
            signing=_obj(["payload", "digest_info", "sha256"],
                         payload={"type": "string", "contentEncoding": "base64",
                                  "description": "the bytes to sign: " + SIGNED_BYTES + "; show it"},
                         digest_info={"type": "string", "contentEncoding": "base64",
                                      "description": "DER DigestInfo (SHA-256) of the payload"},
                         sha256={"type": "string", "pattern": "^[0-9a-f]{64}$"}),
            signature_url={"type": "string", "description": "POST the signature here (same key)"},
            return_url={"type": "string", "description": "open it when done: back to the application"}),
            "description": "What a signer app fetches with the signing step's link (" + "tag signer-app)."},
        "Submitted": _obj(["status", "receipt_number", "status_url"], status={"const": "submitted"},
                          receipt_number=TEXT, status_url=TEXT),
        "PaymentRequired": {"type": "object", "required": ["error"], "properties": {
            "error": _obj(["code", "message"], code={"const": "payment_required"}, message=TEXT),
            "payment_url": {"type": "string", "description": "where the resident pays (when payments are on)"}}},
        "ApplicationStatus": _obj(
            ["id", "procedure_id", "status", "label", "receipt_number", "fee", "withdrawable"],
            id=TEXT, procedure_id=TEXT, status=STATUS, label=LABEL, receipt_number=NULLABLE_TEXT, revision=INT,
            submitted_at=TIME, updated_at=TIME, fee=_obj(["amount", "timing", "state"], **fee["properties"]),
            withdrawable={"type": "boolean"}),
        "Token": _obj(["access_token", "token_type", "expires_in"], access_token=TEXT,
                      token_type={"const": "Bearer"}, expires_in=INT),
        "BackofficeList": _obj(["applications", "next_cursor"], applications={"type": "array", "items": summary},
                               next_cursor={"type": "integer", "minimum": 0,
                                            "description": "send it as `since` next time"}),
        "BackofficeApplication": _obj(
            ["receipt_number", "id", "procedure_id", "department_id", "status", "status_label", "email", "fields",
             "fee", "events", "attachments", "signature"],
            **summary["properties"] | {"event_id": INT}, status_label=LABEL, channel=TEXT, locale=TEXT,
            revision=INT, created_at=TIME, decided_at=TIME, closed_at=TIME, email=TEXT,
            form_version={"type": ["string", "null"], "description": "the form definition the answers were "
                          "entered with (`sha256:` + SHA-256 of its canonical JSON), also in the signed bytes; "
                          "null: made before versions were recorded"},
            form_version_current={"type": ["string", "null"], "description": "the procedure's form today; "
                                  "differs from form_version when the form changed since"},
            items={"type": "array", "items": item, "description": "each answered field in form order, with its "
                   "label, standard data item and choice labels"},
            fields={"type": "object", "description": "field id → value (codes for choices; see items)"}, fee=_obj(["amount", "timing", "state", "payments"], **fee["properties"],
                                                payments={"type": "array", "items": payment}),
            events={"type": "array", "items": event}, attachments={"type": "array", "items": attachment},
            signature=signature),
        "Statuses": _obj(["statuses"], statuses={"type": "array", "items": _obj(
            ["id", "label", "transitions", "closed"], id=STATUS, label=LABEL,
            transitions={"type": "array", "items": STATUS}, closed={"type": "boolean"},
            before_submission={"type": "boolean"},
            external_code={"type": ["string", "null"], "description": "the client's code for it (status map only)"},
            transitions_external={"type": "array", "items": NULLABLE_TEXT,
                                  "description": "the transitions in the client's codes (status map only)"})}),
        "StatusChange": {"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "description": "our status id, or the client's own code when it has a "
                       "status map (a code not in the map: 422 unknown_status_code)"}, "note": {"type": "string", "maxLength": 4000,
                                       "description": "the reason (required for 補正依頼 and 却下); sent to the resident"},
            "field_comments": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 4000},
                               "description": "補正: field id → what to correct"}}},
        "StatusChanged": _obj(["receipt_number", "status", "label", "event_id"], receipt_number=TEXT,
                              status=CLIENT_STATUS, status_internal=STATUS, label=LABEL, event_id=INT, updated_at=TIME),
        "Acknowledged": _obj(["receipt_number", "revision", "acknowledged_at", "client_id"], receipt_number=TEXT,
                             revision={"type": "integer", "description": "the submission acknowledged (+1 at each "
                                       "resubmission after 補正)"}, acknowledged_at=TIME, client_id=TEXT),
        "WebhookEvent": {**_obj(["event_id", "event_type", "receipt_number"], event_id={
            "type": "integer", "description": "the ApplicationEvent id (also the cursor); ignore one seen before"},
            event_type={"enum": ["application.submitted", "application.resubmitted", "application.status_changed"]},
            receipt_number=TEXT), "additionalProperties": False},
    }


def _application_paths() -> dict[str, Any]:
    app_id = _path("id", "the application id (UUID) from POST /api/v1/applications")
    app_key = {"name": "X-Application-Key", "in": "header", "required": True, "schema": {"type": "string"},
               "description": "the key returned with the draft; without the right key the answer is 404"}
    signer_key = {**app_key, "example": EXAMPLE_KEY, "description": "the one-time key of the signing step's link (or the draft's key); "
                                            "wrong key: 404, expired: 410"}
    examples = _signer_examples()

    def _example(response: dict[str, Any], name: str) -> dict[str, Any]:
        response["content"]["application/json"]["example"] = examples[name]
        return response

    limited = {"429": _err("too many requests")}
    return {
        "/api/v1/procedures/{id}/form-schema": {"get": {
            "operationId": "getFormSchema", "tags": ["applications"],
            "parameters": [_path("id", "procedure id")],
            "responses": {"200": _json({"type": "object"}, "the form as JSON Schema 2020-12"),
                          "404": _err("not an online procedure")}}},
        "/api/v1/upload-drafts": {"post": {
            "operationId": "createUploadDraft", "tags": ["applications"],
            "description": "A draft to upload files for; send it with every upload and with POST /api/v1/applications.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["procedure_id"], "properties": {"procedure_id": TEXT}}}}},
            "responses": {"201": _json(_obj(["draft", "max_files", "max_bytes"], draft=TEXT, max_files=INT,
                                            max_bytes=INT), "the draft and its caps"),
                          "400": _err("not an online procedure"), **limited}}},
        "/api/v1/uploads": {"post": {
            "operationId": "uploadAttachment", "tags": ["applications"],
            "description": "One file for a file field of an upload draft; put the answer into that field of "
                           "POST /api/v1/applications (with the same draft).",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["procedure_id", "draft", "field_id", "file"],
                "properties": {"procedure_id": TEXT, "field_id": TEXT, "draft": TEXT,
                               "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json(_ref("FileValue"), "the file was kept"),
                          "400": _err("no upload draft, unknown field, wrong type, too large for the field, "
                                      "empty, over the draft's caps"),
                          "413": _err("the request is larger than the server takes"), **limited}}},
        "/api/v1/applications": {"post": {
            "operationId": "createApplication", "tags": ["applications"],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("CreateApplicationRequest")}}},
            "responses": {"201": _json(_ref("Draft"), "a draft and the bytes to sign"),
                          "400": _err("invalid input, a message per field")}}},
        "/api/v1/applications/{id}/signing": {"get": {
            "operationId": "getSigningPayload", "tags": ["applications", "signer-app"],
            "summary": "The signer app fetches what to sign (the link's fetch_url)",
            "description": "The bytes to sign of a draft whose review page was confirmed, with where to post "
                           "the signature and where to send the resident back.",
            "parameters": [app_id, signer_key],
            "responses": {"200": _example(_json(_ref("SigningTask"), "the bytes to sign and their DigestInfo"),
                                          "task"),
                          "404": _example(_err("no such application, or not its key"), "not_found"),
                          "409": _example(_err("already signed (a replay), not ready yet (review not confirmed), "
                                               "or the answers changed since the key was made "
                                               "(signing_key_replaced)"), "replayed"),
                          "410": _example(_err("the link's one-time key expired (signing_key_expired)"), "expired")}}},
        "/api/v1/applications/{id}/signature": {"post": {
            "operationId": "signApplication", "tags": ["applications", "signer-app"],
            "summary": "The signer app posts the signature (the link's signature_url)",
            "parameters": [app_id, signer_key],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("SignatureRequest"), "example": examples["signature"]}}},
            "responses": {"200": _example(_json(_ref("Signed"), "the signature and the certificate path are valid"),
                                          "signed"),
                          "400": _err("missing or malformed signature or certificate"),
                          "404": _example(_err("no such application, or not its key"), "not_found"),
                          "409": _example(_err("already signed (a replay), or the answers changed since the key "
                                               "was made"), "replayed"),
                          "410": _example(_err("the link's one-time key expired"), "expired"),
                          "422": _example(_err("signature_invalid, certificate_untrusted, certificate_expired, "
                                               "certificate_revoked or revocation_unavailable"), "untrusted"),
                          "503": _err("no trust anchors configured")}}},
        "/api/v1/applications/{id}/submit": {"post": {
            "operationId": "submitApplication", "tags": ["applications"],
            "description": "Send the signed application. The same Idempotency-Key again gives the same answer "
                           "and sends nothing twice.",
            "parameters": [app_id, app_key, {"name": "Idempotency-Key", "in": "header", "required": True,
                                    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{8,64}$"}}],
            "responses": {"200": _json(_ref("Submitted"), "sent: the receipt number (受付番号)"),
                          "400": _err("missing or malformed Idempotency-Key"),
                          "402": _json(_ref("PaymentRequired"), "the fee must be paid first"),
                          "404": _err("no such application"),
                          "409": _err("not signed, already sent, or the key belongs to another application"),
                          **limited}}},
        "/api/v1/applications/{id}/status": {"get": {
            "operationId": "getApplicationStatus", "tags": ["applications"],
            "parameters": [app_id, {"name": "token", "in": "query", "required": True,
                                    "description": "the token of the resident's secret status link",
                                    "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("ApplicationStatus"), "the status"),
                          "404": _err("no such application, or the token is not its own")}}},
    }


EXAMPLE_RECEIPT = "260401-000123"
BACKOFFICE_EXAMPLES: dict[str, Any] = {
    "list": {"applications": [{"receipt_number": EXAMPLE_RECEIPT, "id": EXAMPLE_ID, "procedure_id": "juminhyo_utsushi",
                               "department_id": "shimin", "status": "submitted", "updated_at": "2026-04-01T09:12:00+00:00",
                               "submitted_at": "2026-04-01T09:12:00+00:00", "event_id": 4711,
                               "acknowledged_at": None}], "next_cursor": 4711},
    "bad_filter": {"error": {"code": "invalid_request", "message": "指定を確認してください。",
                             "fields": {"submitted_from": "日付は 2026-04-01 の形で指定してください。"}}},
    "one": {"receipt_number": EXAMPLE_RECEIPT, "id": EXAMPLE_ID, "procedure_id": "juminhyo_utsushi",
            "department_id": "shimin", "status": "A10", "status_internal": "submitted",
            "status_label": {"ja": "受付", "en": "Received"}, "event_id": 4711,
            "form_version": EXAMPLE_FORM_VERSION, "form_version_current": EXAMPLE_FORM_VERSION,
            "acknowledged_at": None, "updated_at": "2026-04-01T09:12:00+00:00",
            "submitted_at": "2026-04-01T09:12:00+00:00", "email": "hanako@example.jp",
            "fields": {"applicant_family_name": "市民", "delivery": "mail"},
            "items": [{"id": "applicant_family_name", "section": "applicant", "label": {"ja": "姓", "en": "Family name"},
                       "type": "text", "maps_to": "kihon:申請者.氏名.姓", "value": "市民"},
                      {"id": "delivery", "section": "finish", "label": {"ja": "受け取り方法", "en": "How to receive it"},
                       "type": "radio", "maps_to": None, "value": "mail",
                       "value_label": {"ja": "郵送", "en": "By post"}}],
            "fee": {"amount": 300, "timing": "at_submission", "state": "paid", "payments": []},
            "events": [], "attachments": [], "signature": None},
    "ack": {"receipt_number": EXAMPLE_RECEIPT, "revision": 1, "acknowledged_at": "2026-04-01T09:30:00+00:00",
            "client_id": "bo-0123456789abcdef"},
    "changed": {"receipt_number": EXAMPLE_RECEIPT, "status": "reviewing", "label": {"ja": "審査中", "en": "Under review"},
                "event_id": 4712, "updated_at": "2026-04-01T09:31:00+00:00"},
    "key_reused": {"error": {"code": "idempotency_key_reused", "message": "この Idempotency-Key は、別の内容の要求に"
                             "使われています。新しい値を指定してください。"}},
    "unknown_code": {"error": {"code": "unknown_status_code", "message": "入力内容を確認してください。",
                               "fields": {"status": "状態を GET /api/v1/backoffice/statuses の id で指定してください。"}}},
    "webhook": {"event_id": 4712, "event_type": "application.status_changed", "receipt_number": EXAMPLE_RECEIPT},
}


def _example(response: dict[str, Any], name: str) -> dict[str, Any]:
    response["content"]["application/json"]["example"] = BACKOFFICE_EXAMPLES[name]
    return response


WEBHOOK = {"post": {
    "operationId": "backofficeWebhook", "tags": ["backoffice"],
    "summary": "What a client with a registered URL receives (flask backoffice webhook)",
    "description": "A status move of an application the client sees. Only the 受付番号, an event id and the "
                   "type: pull the application (GET /api/v1/backoffice/applications/{receipt_number}) to read "
                   "it. Check X-Backoffice-Signature first: `sha256=` + hex HMAC-SHA256 of the body bytes with "
                   "the client's webhook secret. Answer 2xx; anything else is retried with back-off (the same "
                   "event id again). Pulling stays the main way: a lost notice is found by the cursor.",
    "parameters": [{"name": "X-Backoffice-Signature", "in": "header", "required": True,
                    "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"}},
                   {"name": "X-Backoffice-Event", "in": "header", "required": True, "schema": {"type": "string"}},
                   {"name": "X-Backoffice-Event-Id", "in": "header", "required": True, "schema": {"type": "string"}}],
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": _ref("WebhookEvent"), "example": BACKOFFICE_EXAMPLES["webhook"]}}},
    "responses": {"2XX": {"description": "received"}}}}


def _backoffice_paths() -> dict[str, Any]:
    receipt = _path("receipt_number", "受付番号")
    common = {"401": {**_err("no valid bearer token"),
                      "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
              "429": _err("too many requests for this client")}
    return {
        "/api/v1/backoffice/token": {"post": {
            "operationId": "backofficeToken", "tags": ["backoffice"],
            "description": "OAuth2 client credentials: HTTP Basic client_id:client_secret, or the form fields.",
            "security": [{"backofficeBasic": []}, {}],
            "requestBody": {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "properties": {"grant_type": {"enum": ["client_credentials"]},
                                                 "client_id": TEXT, "client_secret": TEXT}}}}},
            "responses": {"200": _json(_ref("Token"), "a bearer token for one hour"),
                          "400": _err("unsupported grant_type or missing fields"),
                          "401": {**_err("wrong client id or secret"),
                                  "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
                          "429": _err("too many attempts from this address")}}},
        "/api/v1/backoffice/applications": {"get": {
            "operationId": "backofficeListApplications", "tags": ["backoffice"], "security": BEARER,
            "description": "Applications (with a 受付番号) changed after the cursor, each once, oldest change first; "
                           "the filters narrow the page (a filtered walk skips what does not match).",
            "parameters": [
                {"name": "since", "in": "query", "required": False, "description": "next_cursor of the previous call",
                 "schema": {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100}},
                {"name": "procedure", "in": "query", "required": False, "example": "juminhyo_utsushi",
                 "description": "only this procedure (an online procedure id)", "schema": {"type": "string"}},
                {"name": "status", "in": "query", "required": False, "example": "submitted",
                 "description": "only this status (the client's own code with a status map)",
                 "schema": {"type": "string"}},
                {"name": "submitted_from", "in": "query", "required": False, "example": "2026-04-01",
                 "description": "sent on or after this day (Japan time)", "schema": {"type": "string", "format": "date"}},
                {"name": "submitted_to", "in": "query", "required": False, "example": "2026-04-30",
                 "description": "sent on or before this day (Japan time)", "schema": {"type": "string", "format": "date"}}],
            "responses": {"200": _example(_json(_ref("BackofficeList"), "a page of changed applications"), "list"),
                          "400": _example(_err("bad since, limit or filter: a message per parameter, in the "
                                               "request's language"), "bad_filter"), **common}}},
        "/api/v1/backoffice/applications/{receipt_number}": {"get": {
            "operationId": "backofficeGetApplication", "tags": ["backoffice"], "security": BEARER,
            "parameters": [receipt],
            "responses": {"200": _example(_json(_ref("BackofficeApplication"),
                                                "the application, its items (labels, choice labels, maps_to), "
                                                "form version, history, attachments and signature evidence"), "one"),
                          "404": _err("unknown, or outside the client's departments"), **common}}},
        "/api/v1/backoffice/applications/{receipt_number}/ack": {"post": {
            "operationId": "backofficeAcknowledge", "tags": ["backoffice"], "security": BEARER,
            "summary": "取込済: the client took the application in",
            "description": "Staff see 取込済 (with the client's name and the time) on the application and in the "
                           "inbox. Sending it again only updates the time; a resubmission after 補正 is a new "
                           "revision to acknowledge. An acknowledgement is no change: the cursor does not return "
                           "the application for it.",
            "parameters": [receipt],
            "responses": {"200": _example(_json(_ref("Acknowledged"), "recorded"), "ack"),
                          "404": _err("unknown, or outside the client's departments"), **common}}},
        "/api/v1/backoffice/applications/{receipt_number}/attachments/{name}": {"get": {
            "operationId": "backofficeDownloadAttachment", "tags": ["backoffice"], "security": BEARER,
            "parameters": [receipt, _path("name", "the attachment's name")],
            "responses": {"200": {"description": "the file (its SHA-256 checked; also in Repr-Digest)",
                                  "content": {"application/octet-stream": {
                                      "schema": {"type": "string", "format": "binary"}}}},
                          "404": _err("no such attachment"), **common}}},
        "/api/v1/backoffice/applications/{receipt_number}/status": {"post": {
            "operationId": "backofficeChangeStatus", "tags": ["backoffice"], "security": BEARER,
            "description": "With an Idempotency-Key, the same key and the same body again (within "
                           "BACKOFFICE_IDEMPOTENCY_HOURS, 24 h by default) get the same answer with "
                           "`Idempotent-Replayed: true` and change nothing; the same key with another body is 409 "
                           "idempotency_key_reused. Keys belong to the client.",
            "parameters": [receipt, {"name": "Idempotency-Key", "in": "header", "required": False,
                                     "example": "shinsei-2026-000123-status-1",
                                     "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{8,64}$"}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("StatusChange"), "examples": {
                    "ours": {"summary": "our codes", "value": {"status": "reviewing"}},
                    "correction": {"summary": "補正依頼 with a comment per field", "value": {
                        "status": "correction", "note": "電話番号を確認してください。",
                        "field_comments": {"applicant_phone": "つながりませんでした。"}}},
                    "mapped": {"summary": "a client with a status map sends its own code",
                               "value": {"status": "A20"}}}}}},
            "responses": {"200": {**_example(_json(_ref("StatusChanged"), "changed; the resident gets an e-mail"),
                                             "changed"),
                                  "headers": {"Idempotent-Replayed": {"schema": {"const": "true"},
                                                                      "description": "a kept answer, sent again"}}},
                          "400": _err("invalid input, or a malformed Idempotency-Key"),
                          "404": _err("unknown, or outside the client's departments"),
                          "409": _example(_err("transition_not_allowed, reason_required, payment_due, "
                                               "idempotency_key_reused, …"), "key_reused"),
                          "422": _example(_err("unknown_status_code: not a code of the client's status map"),
                                          "unknown_code"), **common}}},
        "/api/v1/backoffice/statuses": {"get": {
            "operationId": "backofficeStatuses", "tags": ["backoffice"], "security": BEARER,
            "description": "Every status, its labels and the moves staff may make; with a status map, the "
                           "client's code of each (external_code) and of each move.",
            "responses": {"200": _json(_ref("Statuses"), "every status, its labels and the moves staff may make"),
                          **common}}},
    }


def add_application_api(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the application and back-office operations, their schemas and security schemes."""
    doc["paths"].update(_application_paths())
    doc["paths"].update(_backoffice_paths())
    doc.setdefault("webhooks", {})["backofficeApplicationEvent"] = WEBHOOK
    doc["components"]["schemas"].update(_schemas())
    doc.setdefault("tags", []).append({"name": "signer-app", "description": SIGNER_APP})
    doc["components"].setdefault("securitySchemes", {}).update({
        "backofficeBasic": {"type": "http", "scheme": "basic", "description": "client_id:client_secret"},
        "backofficeBearer": {"type": "http", "scheme": "bearer",
                             "description": "access_token of POST /api/v1/backoffice/token"}})
    return doc
