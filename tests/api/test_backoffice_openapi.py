"""schemathesis, in process, on the online-application and back-office operations of
/api/v1/openapi.json: no 5xx, status codes, content types and bodies as documented. The bearer
operations get a real token of a real client; the checks also send them without it (401)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.applying import bearer, new_client
from tests.conftest import fresh_client, reset_process_state

APPLICATION_PATHS = {
    "/api/v1/procedures/{id}/form-schema", "/api/v1/uploads", "/api/v1/applications",
    "/api/v1/applications/{id}/signing", "/api/v1/applications/{id}/signature", "/api/v1/applications/{id}/submit",
    "/api/v1/applications/{id}/status",
}
BACKOFFICE_PATHS = {
    "/api/v1/backoffice/token", "/api/v1/backoffice/applications", "/api/v1/backoffice/applications/{receipt_number}",
    "/api/v1/backoffice/applications/{receipt_number}/attachments/{name}",
    "/api/v1/backoffice/applications/{receipt_number}/status", "/api/v1/backoffice/statuses",
    "/api/v1/backoffice/applications/{receipt_number}/ack",
}


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_document_lists_every_application_and_backoffice_operation(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert APPLICATION_PATHS | BACKOFFICE_PATHS <= set(doc["paths"])
    schemes = doc["components"]["securitySchemes"]
    assert schemes["backofficeBearer"] == {**schemes["backofficeBearer"], "type": "http", "scheme": "bearer"}
    assert schemes["backofficeBasic"]["scheme"] == "basic"
    for path in BACKOFFICE_PATHS - {"/api/v1/backoffice/token"}:
        for operation in doc["paths"][path].values():
            assert operation["security"] == [{"backofficeBearer": []}] and "401" in operation["responses"]
    hook = doc["webhooks"]["backofficeApplicationEvent"]["post"]
    assert hook["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/WebhookEvent"}
    listing = {p["name"] for p in doc["paths"]["/api/v1/backoffice/applications"]["get"]["parameters"]}
    assert {"procedure", "status", "submitted_from", "submitted_to"} <= listing
    refs = {r.split("/")[-1] for r in _refs(doc)}
    assert refs <= set(doc["components"]["schemas"])  # every $ref resolves


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _run(app, operation, headers=None):
    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        # Each example starts with empty rate limits: the per-address limits are not what is tested
        # here. Schema-valid is not always acceptable: the form
        # rules of each procedure, the bytes of a file and a signature are checked beyond the schema
        # (they answer 400/422 with a message per field, which the document lists).
        reset_process_state(app)
        case.call_and_validate(headers=headers,
                               excluded_checks=[schemathesis.checks.positive_data_acceptance])

    check()


@pytest.mark.parametrize("path", sorted(APPLICATION_PATHS))
def test_application_operations_conform(app, api_schema, path):
    operations = [r.ok() for r in api_schema.get_all_operations() if r.ok().path == path]
    assert operations
    for operation in operations:
        _run(app, operation)


@pytest.mark.parametrize("path", sorted(BACKOFFICE_PATHS))
def test_backoffice_operations_conform(app, api_schema, path):
    http = fresh_client(app)
    headers = None if path.endswith("/token") else bearer(http, *new_client(app))
    operations = [r.ok() for r in api_schema.get_all_operations() if r.ok().path == path]
    assert operations
    for operation in operations:
        _run(app, operation, headers)
