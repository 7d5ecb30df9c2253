"""The auditors' console: search filters and paging, totals with accessible SVG charts and their
tables, CSV export (BOM, formula cells neutralised, itself audited), print view, roles."""
from __future__ import annotations

import csv
import io
import json
import re
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import select

from core import audit
from core.audit import AuditRecord
from core.db import db
from core.japan_time import today_in_japan


@pytest.fixture
def login(staff_client):
    """staff_client(role) from tests/conftest.py: a logged-in test client."""
    return staff_client


def tag() -> str:
    """The mark a test puts on the records it writes, to find them among the records its own
    requests add (each test starts on an empty audit log: no other test's records are there)."""
    return "case1"


def write(app, action: str, target: str, *, actor: str = "clerk.test", role: str = "counter", ip: str = "10.1.2.3",
          result: str = "ok", details: dict | None = None, n: int = 1) -> None:
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ip}):
        g.staff = SimpleNamespace(login_id=actor, role=role)
        g.request_id = f"req-{action}"
        for _ in range(n):
            audit.record(action, target=target, result=result, details=details)


def table_targets(html: str) -> list[str]:
    return re.findall(r"<td>(t-[0-9a-f]+[^<]*)</td>", html)


# --- access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_may_use_every_page(login, role):
    client = login(role)
    for path in ("/staff/audit/", "/staff/audit/totals", "/staff/audit/print", "/staff/audit/export.csv"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", ["counter", "department", "curator"])
def test_other_roles_are_refused_and_that_is_audited(app, login, role):
    client = login(role)
    for path in ("/staff/audit/", "/staff/audit/totals", "/staff/audit/print", "/staff/audit/export.csv"):
        assert client.get(path).status_code == 403, path
    with app.app_context():
        denied = db.session.scalars(select(AuditRecord).where(AuditRecord.actor == client.login_id,
                                                              AuditRecord.action == "permission.denied")).all()
    assert {r.target for r in denied} >= {"/staff/audit/", "/staff/audit/export.csv"}
    assert all(r.result == "denied" and r.role == role for r in denied)


def test_the_login_itself_is_in_the_log(app, login):
    client = login("auditor")
    html = client.get("/staff/audit/", query_string={"actor": client.login_id}).get_data(as_text=True)
    assert client.login_id in html


# --- search ---------------------------------------------------------------------------------

def test_search_filters_by_actor_action_target_ip_and_result(app, login):
    t = tag()
    write(app, "staff.view", f"t-{t}-a", actor=f"sato.{t}", ip="10.9.8.7")
    write(app, "staff.edit", f"t-{t}-b", actor=f"sato.{t}", ip="10.9.8.8")
    write(app, "login.failure", f"t-{t}-c", actor=f"suzuki.{t}", ip="192.168.5.1", result="failed")
    client = login("auditor")

    def found(**args) -> list[str]:
        r = client.get("/staff/audit/", query_string={"target": f"t-{t}", **args})
        assert r.status_code == 200
        return sorted(table_targets(r.get_data(as_text=True)))

    assert found() == [f"t-{t}-a", f"t-{t}-b", f"t-{t}-c"]
    assert found(actor=f"sato.{t}") == [f"t-{t}-a", f"t-{t}-b"]
    assert found(action="staff.edit") == [f"t-{t}-b"]
    assert found(action="staff.*") == [f"t-{t}-a", f"t-{t}-b"]
    assert found(ip="10.9.8.7") == [f"t-{t}-a"]
    assert found(ip="10.9.*") == [f"t-{t}-a", f"t-{t}-b"]
    assert found(result="failed") == [f"t-{t}-c"]
    assert found(**{"from": "2000-01-01", "to": "2000-01-31"}) == []
    assert found(target=f"t-{t}-c") == [f"t-{t}-c"]
    assert found(target="%") == [] and found(target="_") == []  # LIKE wildcards are taken literally


def test_search_by_period_in_japan_time(app, login):
    import datetime as dt
    t = tag()
    write(app, "staff.view", f"t-{t}")
    today = today_in_japan()
    client = login("auditor")
    html = client.get("/staff/audit/", query_string={"target": f"t-{t}", "from": today.isoformat(),
                                                     "to": today.isoformat()}).get_data(as_text=True)
    assert table_targets(html) == [f"t-{t}"]
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    html = client.get("/staff/audit/", query_string={"target": f"t-{t}", "to": yesterday}).get_data(as_text=True)
    assert table_targets(html) == []


def test_search_pages_50_at_a_time_newest_first(app, login):
    t = tag()
    write(app, "staff.view", f"t-{t}", n=120)
    client = login("auditor")
    first = client.get("/staff/audit/", query_string={"target": f"t-{t}"}).get_data(as_text=True)
    assert len(table_targets(first)) == 50
    assert "120件中 1〜50件目" in first and "1 / 3ページ" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/staff/audit/", query_string={"target": f"t-{t}", "page": "3"}).get_data(as_text=True)
    assert len(table_targets(last)) == 20 and "101〜120件目" in last
    ids = [int(i) for i in re.findall(r'<td class="numeric">(\d+)</td>', first)]
    assert ids == sorted(ids, reverse=True)
    assert client.get("/staff/audit/", query_string={"target": f"t-{t}", "page": "x"}).status_code == 200


def test_bad_dates_are_explained(login):
    client = login("auditor")
    r = client.get("/staff/audit/", query_string={"from": "2026-13-01", "to": "yesterday"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'class="error-summary"' in html and 'href="#from"' in html and 'href="#to"' in html
    r = client.get("/staff/audit/", query_string={"from": "2026-04-02", "to": "2026-04-01"})
    assert r.status_code == 400 and "終了日は開始日と同じ日か" in r.get_data(as_text=True)


def test_values_are_escaped(app, login):
    t = tag()
    write(app, "staff.view", f"t-{t}<script>alert(1)</script>")
    html = login("auditor").get("/staff/audit/", query_string={"target": f"t-{t}"}).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_a_status_change_reads_status_before_and_after(app, login):
    t = tag()
    write(app, "application.status", f"t-{t}", details={"from": "reviewing", "to": "approved"})
    client = login("auditor")
    html = client.get("/staff/audit/", query_string={"target": f"t-{t}"}).get_data(as_text=True)
    assert "<dt>変更前の状態</dt><dd>審査中</dd>" in html and "<dt>変更後の状態</dt><dd>承認</dd>" in html
    assert "開始日</dt>" not in html
    body = client.get("/staff/audit/export.csv", query_string={"target": f"t-{t}"}).data.decode("utf-8-sig")
    assert "変更前の状態：審査中\n変更後の状態：承認" in body.replace("\r\n", "\n")


# --- totals -----------------------------------------------------------------------------------

def test_totals_per_day_and_per_action_with_svg_charts_and_tables(app, login):
    t = tag()
    write(app, "staff.view", f"t-{t}", actor=f"kato.{t}", n=3)
    write(app, "staff.edit", f"t-{t}", actor=f"kato.{t}", n=2)
    client = login("auditor")
    r = client.get("/staff/audit/totals", query_string={"actor": f"kato.{t}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.count('role="img"') == 2
    for chart in ("audit-per-day", "audit-per-action"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert "<rect" in html and "style=" not in html.split("<main", 1)[1]  # CSP: no inline styles
    # the numbers as a table: per action and the period total
    assert re.search(r"<code>staff\.view</code></th><td>[^<]*</td><td class=\"numeric\">3</td>", html)
    assert re.search(r"<code>staff\.edit</code></th><td>[^<]*</td><td class=\"numeric\">2</td>", html)
    assert re.search(r'<th scope="row">合計</th><td class="numeric">5</td>', html)
    # the last 30 days by default, every day listed
    assert len(re.findall(r'<tr><th scope="row"><time datetime="\d{4}-\d{2}-\d{2}">', html)) == 30


def test_svg_chart_helper_is_accessible_and_escapes(app):
    from staff.svg_chart import bar_chart

    with app.test_request_context("/"):
        svg = str(bar_chart([("<b>", 3), ("ログイン", 0), ("x", 10)], "件数 & 操作", chart_id="c1", desc="説明"))
        vertical = str(bar_chart([(f"4/{d}", d) for d in range(1, 31)], "日別", horizontal=False))
        empty = str(bar_chart([], "なし"))
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">件数 &amp; 操作</title>' in svg and '<desc id="c1-desc">説明</desc>' in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert "style=" not in svg
    assert vertical.count("<rect") == 30 and "<desc" in vertical
    assert "データはありません" in empty


# --- CSV ------------------------------------------------------------------------------------

def test_csv_export_is_excel_friendly_neutralised_and_audited(app, login):
    t = tag()
    nasty = ["=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "＝1"]
    for i, value in enumerate(nasty):
        write(app, "staff.view", f"t-{t}-{i}", details={"note": value}, actor=value if i == 0 else "clerk.test")
    client = login("auditor")
    r = client.get("/staff/audit/export.csv", query_string={"target": f"t-{t}"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="audit-\d{8}\.csv"', r.headers["Content-Disposition"])
    body = r.data
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    header, records = table[0], table[1:]
    assert header[0] == "番号" and len(records) == len(nasty)
    assert b"\r\n" in body
    actor = header.index("操作者")
    assert records[0][actor] == "'=HYPERLINK(\"http://evil\")"
    for row in records:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), cell
    # the export itself is audited, with what was asked and how many rows went out
    with app.app_context():
        exported = db.session.scalars(select(AuditRecord).where(AuditRecord.actor == client.login_id,
                                                                AuditRecord.action == "staff.export")).all()
    assert len(exported) == 1
    details = json.loads(exported[0].details)
    assert details["format"] == "csv" and details["count"] == len(nasty) and details["filters"] == {"target": f"t-{t}"}


def test_csv_neutralise():
    import datetime as dt

    from staff.audit_views import export_filename, neutralise
    assert [neutralise(v) for v in ("=1", "+1", "-1", "@a", "\t1", "\r1", "a=1", "", None, 5)] == [
        "'=1", "'+1", "'-1", "'@a", "'\t1", "'\r1", "a=1", "", "", "5"]
    assert export_filename(dt.date(2026, 4, 1)) == "audit-20260401.csv"


# --- print ------------------------------------------------------------------------------------

def test_print_view_lists_the_records_oldest_first_and_is_audited(app, login):
    t = tag()
    write(app, "staff.view", f"t-{t}", n=3)
    client = login("auditor")
    r = client.get("/staff/audit/print", query_string={"target": f"t-{t}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "監査ログ（印刷用）" in html and "data-print" in html and "js/print.js" in html
    assert "staff-nav" not in html  # no console menu on paper
    assert len(table_targets(html)) == 3
    ids = [int(i) for i in re.findall(r'<td class="numeric">(\d+)</td>', html)]
    assert ids == sorted(ids)
    assert f"t-{t}" in html and client.login_id in html  # the conditions and who printed
    with app.app_context():
        printed = db.session.scalars(select(AuditRecord).where(AuditRecord.actor == client.login_id,
                                                               AuditRecord.action == "staff.export")).all()
    assert [json.loads(p.details)["format"] for p in printed] == ["print"]


def test_the_chain_still_verifies_after_the_console_was_used(app, login):
    client = login("auditor")
    client.get("/staff/audit/export.csv")
    with app.app_context():
        result = audit.verify_chain()
    assert result.ok, result.problem
