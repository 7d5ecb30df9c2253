"""The 申請管理システム connects by configuration: listing filters, the acknowledgement of a pull
(取込済, seen by staff), idempotent status write-back, choice labels, the form version and the
standard data items of each field, and a status map per client."""
import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from tests.api import applying
from tests.api.applying import bearer, draft, new_client, submitted
from tests.conftest import fresh_client

ca, trusted = applying.ca, applying.trusted  # fixtures
LIST = "/api/v1/backoffice/applications"
STATUS_MAP = {"A10": "submitted", "A20": "reviewing", "A25": "correction", "A30": "approved", "A40": "issued",
              "A50": "completed", "A90": "rejected", "A99": "withdrawn"}


@pytest.fixture
def settled(app):
    app.config["BACKOFFICE_SETTLE_SECONDS"] = 0
    yield
    app.config.pop("BACKOFFICE_SETTLE_SECONDS", None)


def _start(app) -> int:
    from core.db import db
    from intake.models import ApplicationEvent
    with app.app_context():
        return db.session.scalar(select(func.max(ApplicationEvent.id))) or 0


def _receipts(http, headers, **query) -> list[str]:
    r = http.get(LIST, headers=headers, query_string={"limit": 200, **query})
    assert r.status_code == 200, r.get_json()
    return [a["receipt_number"] for a in r.get_json()["applications"]]


def _set_map(app, client_id: str, mapping: dict | None) -> None:
    runner = app.test_cli_runner()
    args = ["backoffice", "status-map", client_id]
    args += ["--json", json.dumps(mapping, ensure_ascii=False)] if mapping is not None else ["--clear"]
    out = runner.invoke(args=args)
    assert out.exit_code == 0, out.output


# --- filters --------------------------------------------------------------------------------------

def test_the_listing_filters_by_procedure_status_and_submission_dates(app, trusted, settled):
    http = fresh_client(app)
    start = _start(app)
    honnin = submitted(http, trusted)
    kenchiku = submitted(http, trusted, "kenchiku_shinchiku")
    headers = bearer(http, *new_client(app))
    assert http.post(f"{LIST}/{kenchiku['receipt_number']}/status", headers=headers,
                     json={"status": "reviewing"}).status_code == 200
    assert _receipts(http, headers, since=start, procedure="honnin_tsuchi") == [honnin["receipt_number"]]
    assert _receipts(http, headers, since=start, status="reviewing") == [kenchiku["receipt_number"]]
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    both = _receipts(http, headers, since=start, submitted_from=today.isoformat(), submitted_to=today.isoformat())
    assert set(both) == {honnin["receipt_number"], kenchiku["receipt_number"]}
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert _receipts(http, headers, since=start, submitted_from=tomorrow) == []
    assert _receipts(http, headers, since=start, submitted_to=(today - dt.timedelta(days=1)).isoformat()) == []


@pytest.mark.parametrize(("query", "field"), [
    ({"procedure": "no_such_procedure"}, "procedure"), ({"status": "lost"}, "status"),
    ({"submitted_from": "2026-13-01"}, "submitted_from"), ({"submitted_to": "yesterday"}, "submitted_to"),
    ({"submitted_from": "2026-04-02", "submitted_to": "2026-04-01"}, "submitted_to"),
])
def test_bad_filters_are_400_in_the_callers_language(app, query, field):
    http = fresh_client(app)
    headers = bearer(http, *new_client(app))
    r = http.get(LIST, headers=headers, query_string=query)
    assert r.status_code == 400 and field in r.get_json()["error"]["fields"]
    en = http.get(LIST, headers={**headers, "Accept-Language": "en"}, query_string=query)
    message = en.get_json()["error"]["fields"][field]
    assert not re.search("[ぁ-んァ-ヶ一-龠]", message), message  # English, not Japanese


# --- acknowledgement --------------------------------------------------------------------------------

def test_an_acknowledged_pull_is_shown_to_the_client_and_to_staff(app, trusted, settled, staff_client):
    http = fresh_client(app)
    start = _start(app)
    made = submitted(http, trusted)
    cid, secret = new_client(app)
    headers = bearer(http, cid, secret)
    (row,) = [a for a in http.get(LIST, headers=headers, query_string={"since": start}).get_json()["applications"]]
    assert row["acknowledged_at"] is None
    r = http.post(f"{LIST}/{made['receipt_number']}/ack", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["acknowledged_at"] and r.get_json()["client_id"] == cid
    again = http.post(f"{LIST}/{made['receipt_number']}/ack", headers=headers)  # again: fine, the latest is kept
    assert again.status_code == 200 and again.get_json()["acknowledged_at"] >= r.get_json()["acknowledged_at"]
    # the ack is no change: the cursor does not bring the application back
    after = http.get(LIST, headers=headers, query_string={"since": row["event_id"]}).get_json()
    assert after["applications"] == []
    got = http.get(f"{LIST}/{made['receipt_number']}", headers=headers).get_json()
    assert got["acknowledged_at"] == again.get_json()["acknowledged_at"]  # (a second later when the clock ticked)
    assert http.post(f"{LIST}/000000-000000/ack", headers=headers).status_code == 404
    from core.audit import AuditRecord
    from core.db import db
    with app.app_context():
        actions = set(db.session.scalars(select(AuditRecord.action).where(AuditRecord.actor == f"backoffice:{cid}")))
    assert "backoffice.ack" in actions
    staff = staff_client("admin")
    page = staff.get(f"/staff/applications/{made['receipt_number']}")
    assert page.status_code == 200 and "取込済" in page.get_data(as_text=True)
    assert "テスト 申請管理システム" in page.get_data(as_text=True)
    inbox = staff.get("/staff/applications/")
    assert "取込済" in inbox.get_data(as_text=True)


# --- idempotent write-back ------------------------------------------------------------------------

def test_the_same_key_and_body_give_the_same_answer_and_change_nothing_twice(app, trusted):
    http = fresh_client(app)
    made = submitted(http, trusted, email="idem@example.jp")
    headers = bearer(http, *new_client(app))
    url = f"{LIST}/{made['receipt_number']}/status"
    keyed = {**headers, "Idempotency-Key": "write-back-0001"}
    first = http.post(url, headers=keyed, json={"status": "reviewing", "note": ""})
    assert first.status_code == 200, first.get_json()
    again = http.post(url, headers=keyed, data='{"note": "",  "status": "reviewing"}', content_type="application/json")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    detail = http.get(f"{LIST}/{made['receipt_number']}", headers=headers).get_json()
    assert [e["to_status"] for e in detail["events"] if e["kind"] == "status"].count("reviewing") == 1
    assert sum("審査中" in s for s, _b in applying.outbox_to(app, "idem@example.jp")) == 1
    other = http.post(url, headers=keyed, json={"status": "rejected", "note": "x"})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert http.get(f"{LIST}/{made['receipt_number']}", headers=headers).get_json()["status"] == "reviewing"
    bad = http.post(url, headers={**headers, "Idempotency-Key": "short"}, json={"status": "correction"})
    assert bad.status_code == 400 and "Idempotency-Key" in bad.get_json()["error"]["fields"]


def test_keys_belong_to_one_client_and_expire(app, trusted):
    http = fresh_client(app)
    made = [submitted(http, trusted) for _ in range(2)]
    one, two = bearer(http, *new_client(app)), bearer(http, *new_client(app))
    key = {"Idempotency-Key": "shared-key-0001"}
    url = f"{LIST}/{made[0]['receipt_number']}/status"
    assert http.post(url, headers={**one, **key}, json={"status": "reviewing"}).status_code == 200
    # another client's same key is its own: a new request (here refused by the workflow, not by the key)
    r = http.post(url, headers={**two, **key}, json={"status": "reviewing"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "transition_not_allowed"
    from core.db import db
    from intake.backoffice_models import BackofficeIdempotency
    with app.app_context():
        for row in db.session.scalars(select(BackofficeIdempotency)):
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    later = http.post(f"{LIST}/{made[1]['receipt_number']}/status", headers={**one, **key}, json={"status": "reviewing"})
    assert later.status_code == 200  # an expired key is free again


# --- fields: labels, form version, standard items -------------------------------------------------

def test_fields_come_with_labels_choice_labels_standard_items_and_the_form_version(app, trusted):
    http = fresh_client(app)
    made = submitted(http, trusted)
    headers = bearer(http, *new_client(app))
    got = http.get(f"{LIST}/{made['receipt_number']}", headers=headers).get_json()
    from intake.api import current_form
    with app.app_context():
        version = current_form("honnin_tsuchi").version
    assert got["form_version"] == version == got["form_version_current"] and version.startswith("sha256:")
    items = {i["id"]: i for i in got["items"]}
    assert items["applicant_family_name"]["maps_to"] == "kihon:申請者.氏名.姓"
    assert items["applicant_family_name"]["label"]["ja"] == "姓" and items["applicant_family_name"]["value"] == "加古川"
    assert items["applicant_birth_date"]["maps_to"] == "kihon:申請者.生年月日"
    assert items["applicant_address"]["maps_to"] == "kihon:申請者.住所"
    assert items["applicant_phone"]["maps_to"] == "kihon:申請者.電話番号"
    assert items["basis"]["value"] == ["juminhyo"] and items["basis"]["value_label"][0]["ja"].startswith("住民票")
    assert items["notice_to"]["value_label"]["en"]
    assert items["basis"]["maps_to"] is None and items["basis"]["section"] == "records"
    assert got["fields"]["basis"] == ["juminhyo"]  # the plain values stay as they were


def test_the_pack_forms_map_their_person_fields_to_standard_items():
    from intake.forms import load_forms
    forms = load_forms("kakogawa")
    wanted = {"kana", "wareki_date", "address", "phone", "postal_code"}
    unmapped = [f"{form.id}.{fld.id}" for form in forms.values() for fld in form.fields.values()
                if (fld.type in wanted or fld.id.endswith(("_family_name", "_given_name"))) and not fld.maps_to]
    assert unmapped == []


def test_a_bad_maps_to_is_refused():
    from pydantic import ValidationError

    from intake.forms_schema import Field
    with pytest.raises(ValidationError):
        Field.model_validate({"id": "x", "type": "text", "label": {"ja": "x", "en": "x"}, "maps_to": "氏名"})


def test_the_form_version_is_recorded_when_the_application_is_made(app):
    http = fresh_client(app)
    body = draft(http, "honnin_tsuchi", applying.honnin_fields())
    from core.db import db
    from intake.models import Application
    with app.app_context():
        assert db.session.get(Application, body["id"]).form_version.startswith("sha256:")


# --- status map -----------------------------------------------------------------------------------

def test_a_status_map_is_applied_to_list_get_and_write_back(app, trusted, settled):
    http = fresh_client(app)
    start = _start(app)
    made = submitted(http, trusted)
    cid, secret = new_client(app)
    _set_map(app, cid, STATUS_MAP)
    headers = bearer(http, cid, secret)
    (row,) = http.get(LIST, headers=headers, query_string={"since": start}).get_json()["applications"]
    assert (row["status"], row["status_internal"]) == ("A10", "submitted")
    assert _receipts(http, headers, since=start, status="A10") == [made["receipt_number"]]
    assert http.get(LIST, headers=headers, query_string={"status": "submitted"}).status_code == 400  # our code: not theirs
    url = f"{LIST}/{made['receipt_number']}/status"
    r = http.post(url, headers=headers, json={"status": "A20"})
    assert r.status_code == 200 and (r.get_json()["status"], r.get_json()["status_internal"]) == ("A20", "reviewing")
    unknown = http.post(url, headers=headers, json={"status": "B77"})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "unknown_status_code"
    assert http.post(url, headers=headers, json={"status": "approved"}).status_code == 422  # ours is not theirs
    got = http.get(f"{LIST}/{made['receipt_number']}", headers=headers).get_json()
    assert got["status"] == "A20" and got["status_label"]["ja"] == "審査中"
    assert [e["to_status"] for e in got["events"] if e["kind"] == "status"] == [None, None, "A10", "A20"]
    statuses = {s["id"]: s for s in http.get("/api/v1/backoffice/statuses", headers=headers).get_json()["statuses"]}
    assert statuses["reviewing"]["external_code"] == "A20" and statuses["draft"]["external_code"] is None
    assert statuses["submitted"]["transitions_external"] == ["A20", "A90", "A99"]
    # another client without a map still reads ours
    plain = bearer(http, *new_client(app))
    assert http.get(f"{LIST}/{made['receipt_number']}", headers=plain).get_json()["status"] == "reviewing"


@pytest.mark.parametrize("mapping", [
    {"A10": "submitted"},  # incomplete
    {**STATUS_MAP, "A11": "submitted"},  # submitted twice
    {**STATUS_MAP, "A77": "lost"},  # not ours
])
def test_a_bad_status_map_is_refused_by_the_cli(app, mapping):
    cid, _secret = new_client(app)
    out = app.test_cli_runner().invoke(args=["backoffice", "status-map", cid, "--json", json.dumps(mapping)])
    assert out.exit_code != 0


def test_the_cli_shows_and_clears_a_status_map(app):
    cid, _secret = new_client(app)
    _set_map(app, cid, STATUS_MAP)
    runner = app.test_cli_runner()
    assert "A20" in runner.invoke(args=["backoffice", "status-map", cid]).output
    _set_map(app, cid, None)
    assert "no status map" in runner.invoke(args=["backoffice", "status-map", cid]).output
