"""schemathesis, in process, on the reservation operations of /api/v1/openapi.json: no 5xx,
status codes, content types and bodies as documented (the manage operations also with a real
token of a real booking)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.reserving import booking_body, free_slot
from tests.conftest import fresh_client, reset_process_state

RESERVATION_PATHS = {
    "/api/v1/reservations/services", "/api/v1/reservations/availability", "/api/v1/reservations",
    "/api/v1/reservations/manage/{token}", "/api/v1/reservations/manage/{token}/move",
    "/api/v1/reservations/crowding/{site_id}",
}


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_document_lists_every_reservation_operation(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert RESERVATION_PATHS <= set(doc["paths"])
    assert set(doc["paths"]["/api/v1/reservations/manage/{token}"]) == {"get", "delete", "patch"}
    slot = doc["components"]["schemas"]["ReservationAvailability"]["properties"]["slots"]["items"]
    assert set(slot["required"]) == {"start", "capacity", "remaining"}
    assert doc["paths"]["/api/v1/reservations"]["post"]["responses"].keys() >= {"201", "400", "409", "422"}


def _run(app, operation, path_parameters=None):
    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        if path_parameters:
            case.path_parameters = {**(case.path_parameters or {}), **path_parameters}
        # schema-valid is not always acceptable: the start must be one of the day's slots, the kana
        # カタカナ, one of e-mail/phone given (400/409/422 with a message, as documented)
        reset_process_state(app)  # each example starts with empty rate limits: they are tested elsewhere
        case.call_and_validate(
                               excluded_checks=[schemathesis.checks.positive_data_acceptance])

    check()


@pytest.mark.parametrize("path", sorted(RESERVATION_PATHS))
def test_reservation_operations_conform(app, api_schema, path):
    operations = [r.ok() for r in api_schema.get_all_operations() if r.ok().path == path]
    assert operations
    for operation in operations:
        _run(app, operation)


def test_manage_operations_conform_with_a_real_token(app, api_schema):
    client = fresh_client(app)
    created = client.post("/api/v1/reservations", json=booking_body(free_slot(app))).get_json()
    token = created["manage_url"].rsplit("/", 1)[-1]
    for operation in [r.ok() for r in api_schema.get_all_operations()
                      if r.ok().path.startswith("/api/v1/reservations/manage/")]:
        _run(app, operation, {"token": token})
