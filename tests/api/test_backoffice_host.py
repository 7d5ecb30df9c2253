"""Where the back-office API answers: on STAFF_HOST (the LGWAN side) or its own BACKOFFICE_HOST,
never on the internet host once one of them is set, and only to BACKOFFICE_NETWORKS (the client
address as TRUSTED_PROXY_COUNT determines it)."""
import pytest

from tests.api.applying import bearer, new_client
from tests.conftest import fresh_client

LGWAN, INTERNET, OWN = "http://staff.lgwan.example", "http://www.example", "http://bo.lgwan.example"


@pytest.fixture
def configured(app):
    keys = ("STAFF_HOST", "BACKOFFICE_HOST", "BACKOFFICE_NETWORKS")
    before = {k: app.config.get(k) for k in keys}
    yield app.config
    app.config.update(before)


def _statuses(http, headers, base_url, addr="127.0.0.1"):
    return http.get("/api/v1/backoffice/statuses", headers=headers, base_url=base_url,
                    environ_base={"REMOTE_ADDR": addr})


def test_with_a_staff_host_the_api_answers_there_and_not_on_the_internet_host(app, configured):
    http = fresh_client(app)
    headers = bearer(http, *new_client(app))
    configured["STAFF_HOST"] = "staff.lgwan.example"
    assert _statuses(http, headers, LGWAN).status_code == 200
    gone = _statuses(http, headers, INTERNET)
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "not_found"
    token = http.post("/api/v1/backoffice/token", base_url=INTERNET, data={"grant_type": "client_credentials"})
    assert token.status_code == 404  # not even the token endpoint
    assert http.get("/api/v1/openapi.json", base_url=LGWAN).status_code == 200  # the contract beside it
    assert http.get("/guide/", base_url=LGWAN).status_code == 404  # the rest stays off the staff host


def test_its_own_host_name_wins_over_the_staff_host(app, configured):
    http = fresh_client(app)
    headers = bearer(http, *new_client(app))
    configured.update(STAFF_HOST="staff.lgwan.example", BACKOFFICE_HOST="bo.lgwan.example")
    assert _statuses(http, headers, OWN).status_code == 200
    assert _statuses(http, headers, LGWAN).status_code == 404
    assert _statuses(http, headers, INTERNET).status_code == 404
    assert http.get("/staff/login", base_url=LGWAN).status_code == 200  # the console is where it was
    assert http.get("/staff/login", base_url=OWN).status_code == 404  # its own host serves the API only
    assert http.get("/guide/", base_url=OWN).status_code == 404
    assert http.get("/api/v1/openapi.json", base_url=OWN).status_code == 200


def test_its_own_network_allow_list(app, configured):
    http = fresh_client(app)
    headers = bearer(http, *new_client(app))
    configured.update(STAFF_HOST="staff.lgwan.example", BACKOFFICE_NETWORKS="10.20.0.0/16")
    assert _statuses(http, headers, LGWAN, "10.20.3.4").status_code == 200
    assert _statuses(http, headers, LGWAN, "10.30.3.4").status_code == 404
    assert _statuses(http, headers, LGWAN, "127.0.0.1").status_code == 404  # not the staff list


def test_the_allow_list_reads_the_address_behind_the_trusted_proxy(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "TRUSTED_PROXY_COUNT": "1", "BACKOFFICE_HOST": "bo.lgwan.example",
                      "BACKOFFICE_NETWORKS": "10.20.0.0/16"})
    with app.app_context():
        upgrade()
    http = fresh_client(app)
    url = "/api/v1/backoffice/statuses"
    inside = http.get(url, base_url=OWN, environ_base={"REMOTE_ADDR": "10.0.0.1"},
                      headers={"X-Forwarded-For": "10.20.3.4"})
    assert inside.status_code == 401  # reached the API (no token)
    spoofed = http.get(url, base_url=OWN, environ_base={"REMOTE_ADDR": "10.0.0.1"},
                       headers={"X-Forwarded-For": "10.20.3.4, 203.0.113.5"})
    assert spoofed.status_code == 404  # only the last hop, added by our proxy, is believed


def test_the_networks_setting_is_checked():
    from core.settings import SettingsError, read_settings
    with pytest.raises(SettingsError, match="BACKOFFICE_NETWORKS"):
        read_settings({"BACKOFFICE_NETWORKS": "10.0.0.0/33"})
