"""The incident register (障害対応履歴, staff/incidents.py): administrators record an incident
with its impact, cause, response and prevention, from scratch or from an alert; the list totals
incidents by cause with the time to recover; auditors read; every change is audited; bad input
is refused with the field's own message and nothing typed is lost."""
import re

import pytest
from sqlalchemy import select

from core import alerts
from core.audit import AuditRecord
from core.db import db
from core.words import Message
from staff import incidents
from tests.conftest import csrf_from

GOOD = {
    "title": "申請の送信ができない", "detected_at": "2026-04-01 10:30", "severity": "high",
    "services": ["applications", "console"], "impact": "10:30〜11:15、オンライン申請の送信が失敗した。\n約40件。",
    "cause_category": "software", "cause": "署名検証の証明書キャッシュの不具合", "actions": "11:10 再起動",
    "prevention": "", "status": "recovered", "recovered_at": "2026-04-01 11:15",
}


def _post(client, url, data):
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_from(html)})


def _actions(app, prefix="incident."):
    with app.app_context():
        return [(r.action, r.target, r.details) for r in db.session.scalars(
            select(AuditRecord).where(AuditRecord.action.like(prefix + "%")).order_by(AuditRecord.id))]


def test_an_administrator_records_an_incident_and_it_is_totalled_by_cause(app, staff_client):
    admin = staff_client("admin")
    r = _post(admin, "/staff/incidents/new", GOOD)
    assert r.status_code == 302 and "done=open" in r.headers["Location"]
    with app.app_context():
        [row] = db.session.scalars(select(incidents.Incident)).all()
        assert row.title == GOOD["title"] and row.service_keys == ["applications", "console"]
        assert row.minutes_to_recover() == 45
        assert incidents.local_text(row.detected_at) == "2026-04-01 10:30"  # Japan time in, Japan time out
        assert row.opened_by == admin.login_id
        rid = row.id
    page = admin.get("/staff/incidents/").get_data(as_text=True)
    assert "ソフトウェアの不具合" in page and "申請の送信ができない" in page
    table = re.search(r"<caption>原因別の件数.*?</table>", page, re.S).group(0)
    assert re.search(r"ソフトウェアの不具合</th><td class=\"numeric\">1</td><td class=\"numeric\">45</td>", table)
    assert _actions(app)[-2][:2] == ("incident.open", f"incident:{rid}")
    assert '"incident_status":"incident.recovered"' in _actions(app)[-2][2]


def test_closing_needs_a_recovery_time_and_a_prevention_and_nothing_typed_is_lost(app, staff_client):
    admin = staff_client("admin")
    r = _post(admin, "/staff/incidents/new", {**GOOD, "status": "closed", "recovered_at": "", "prevention": ""})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "復旧済み・完了のときは、復旧日時を入力してください。" in html
    assert "完了にするときは、再発防止策を入力してください。" in html
    assert 'href="#recovered_at"' in html and 'href="#prevention"' in html  # the summary links to the fields
    assert "署名検証の証明書キャッシュの不具合" in html and "約40件。" in html  # kept as typed
    assert 'value="applications" checked' in html
    with app.app_context():
        assert db.session.scalars(select(incidents.Incident)).all() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("detected_at", "4月1日", "日時を「2026-04-01 10:30」の形で入力してください。"),
    ("detected_at", "2026-02-30 10:00", "日時を「2026-04-01 10:30」の形で入力してください。"),
    ("detected_at", "2999-01-01 10:00", "未来の日時は入力できません。"),
    ("recovered_at", "2026-04-01 09:00", "復旧日時は検知日時より後にしてください。"),
    ("title", "", "件名を入力してください。"),
    ("title", "あ" * 201, "200文字以内で入力してください。"),
    ("impact", "\x07 \u3000", "影響（内容と範囲）を入力してください。"),
    ("severity", "catastrophic", "選択してください。"),
    ("cause_category", "", "選択してください。"),
    ("services", ["guide", "mars"], "選択肢から選んでください。"),
])
def test_bad_input_is_refused_with_the_fields_message(app, staff_client, field, value, message):
    r = _post(staff_client("admin"), "/staff/incidents/new", {**GOOD, field: value})
    assert r.status_code == 400 and message in r.get_data(as_text=True)


def test_full_width_digits_and_slashes_are_read(app):
    assert incidents.local_text(incidents.parse_moment("２０２６/４/１　９:０５")) == "2026-04-01 09:05"
    assert incidents.parse_moment("2026-04-01") is None
    assert incidents.parse_moment("\ud800") is None


def test_an_alert_opens_a_prefilled_incident_and_is_acknowledged(app, staff_client):
    with app.app_context():
        alert_id = alerts.raise_alert("server_error", Message(alerts._MESSAGES["server_error"], minutes=5, count=12))
    admin = staff_client("admin")
    assert f"/staff/incidents/new?alert={alert_id}" in admin.get("/staff/monitor/alerts").get_data(as_text=True)
    form = admin.get(f"/staff/incidents/new?alert={alert_id}").get_data(as_text=True)
    assert "サーバーエラー（5xx）が5分間に12回発生しました" in form and f'name="alert_id" value="{alert_id}"' in form
    detected = re.search(r'id="detected_at" name="detected_at" type="text" value="([^"]+)"', form).group(1)
    r = _post(admin, f"/staff/incidents/new?alert={alert_id}",
              {**GOOD, "alert_id": str(alert_id), "detected_at": detected, "recovered_at": ""
               , "status": "open"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.get(alerts.SecurityAlert, alert_id).acknowledged_by == admin.login_id
        assert db.session.scalars(select(incidents.Incident)).one().alert_id == alert_id
    assert admin.get("/staff/incidents/new?alert=999999").status_code == 404
    assert admin.get("/staff/incidents/new?alert=x").status_code == 404


def test_an_update_is_audited_with_the_status_it_had(app, staff_client):
    admin = staff_client("admin")
    _post(admin, "/staff/incidents/new", {**GOOD, "status": "open", "recovered_at": ""})
    with app.app_context():
        rid = db.session.scalars(select(incidents.Incident.id)).one()
    form = admin.get(f"/staff/incidents/{rid}").get_data(as_text=True)
    assert "申請の送信ができない" in form and 'value="2026-04-01 10:30"' in form
    r = _post(admin, f"/staff/incidents/{rid}", {**GOOD, "status": "closed", "prevention": "証明書の更新手順を見直した"})
    assert r.status_code == 302
    action, target, details = _actions(app)[-1]
    assert (action, target) == ("incident.update", f"incident:{rid}")
    assert '"was":"incident.open"' in details and '"incident_status":"incident.closed"' in details
    audit_page = staff_client("auditor").get("/staff/audit/?action=incident.update").get_data(as_text=True)
    assert "障害の記録の変更" in audit_page and "変更前の状況" in audit_page
    assert admin.get("/staff/incidents/999999").status_code == 404


def test_auditors_read_others_may_not(app, staff_client):
    _post(staff_client("admin"), "/staff/incidents/new", GOOD)
    auditor = staff_client("auditor")
    page = auditor.get("/staff/incidents/").get_data(as_text=True)
    assert "申請の送信ができない" in page and "障害を記録する" not in page
    assert auditor.get("/staff/incidents/new").status_code == 403
    for role in ("department", "counter", "curator"):
        assert staff_client(role).get("/staff/incidents/").status_code == 403


def test_the_list_filters_by_fiscal_year_and_status(app, staff_client):
    admin = staff_client("admin")
    _post(admin, "/staff/incidents/new", {**GOOD, "title": "三月の障害", "detected_at": "2026-03-31 23:50",
                                           "recovered_at": "2026-04-01 00:10"})
    _post(admin, "/staff/incidents/new", {**GOOD, "title": "四月の障害"})
    fy2025 = admin.get("/staff/incidents/?year=2025").get_data(as_text=True)
    assert "三月の障害" in fy2025 and "四月の障害" not in fy2025
    fy2026 = admin.get("/staff/incidents/?year=2026&status=recovered").get_data(as_text=True)
    assert "四月の障害" in fy2026 and "三月の障害" not in fy2026
    assert "2026年度" in fy2026 and "2025年度" in fy2026
    assert admin.get("/staff/incidents/?year=abcd&status=bogus").status_code == 200
    assert admin.get("/staff/incidents/?status=%00").status_code == 400  # the platform refuses NUL bytes
