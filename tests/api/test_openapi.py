"""schemathesis, in process, against /api/v1/openapi.json: no 5xx, responses match the schema.

Driven through schemathesis's Python API (its pytest plugin does not load under pytest 9)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_openapi_document_is_3_1_and_lists_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert {"/api/v1/guide/evaluate", "/api/v1/events", "/api/v1/procedures", "/api/v1/procedures/{id}"} <= set(doc["paths"])


def test_api_conforms_to_its_schema(api_schema):
    guide = {"/api/v1/guide/evaluate", "/api/v1/events", "/api/v1/procedures", "/api/v1/procedures/{id}"}
    operations = [r.ok() for r in api_schema.get_all_operations() if r.ok().path in guide]  # applications: test_backoffice_openapi
    assert len(operations) == 4
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate()

        check()
