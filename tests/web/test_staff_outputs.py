"""What leaves the staff console: the paper forms (交付請求書 / 申請書 with 受付印 and 決裁 boxes, no
hashes or serial numbers), 郵送 labels and the 発送一覧, the daily 交付一覧 for the certificate
systems (UTF-8 with BOM, Shift_JIS that refuses and lists unmappable characters), and no raw
codes in front of staff (audit details and CSV, statistics), in Japanese and English."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

from sqlalchemy import select, update

from core import audit, policy
from core.audit import AuditRecord
from core.db import db
from intake.models import Application
from tests.web import test_staff_applications as base
from tests.web.test_staff_applications import FIELDS, _cert, _get, submitted

staff = base.staff  # the logged-in clients of the applications tests


def _approve_today(app, number: str, day: dt.date | None = None) -> None:
    """Approved now, or at noon (Japan time) of ``day``."""
    at = dt.datetime.now(dt.UTC) if day is None else \
        dt.datetime.combine(day, dt.time(12), dt.timezone(dt.timedelta(hours=9))).astimezone(dt.UTC)
    with app.app_context():
        db.session.execute(update(Application).where(Application.receipt_number == number).values(
            status="approved", decided_at=at))
        db.session.commit()


def unique_day() -> dt.date:
    """A past day on which only the test's own applications are approved (each test starts on an
    empty database)."""
    return dt.date(2020, 6, 1)


def _audits(app, action: str) -> list[AuditRecord]:
    with app.app_context():
        rows = db.session.scalars(select(AuditRecord).where(AuditRecord.action == action)
                                  .order_by(AuditRecord.id)).all()
        for r in rows:
            db.session.expunge(r)
        return rows


def _rows(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


# --- the paper form -------------------------------------------------------------------------------

def test_print_is_the_certificate_request_form_without_hashes_or_serials(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    client = staff()
    html = client.get(f"/staff/applications/{number}/print").get_data(as_text=True)
    for word in ("交付請求書", "受付印", "受付番号", "受付日", "決裁", "担当", "係長", "課長", "必要なもの",
                 "住民票の写し", "2通", "使いみち", "就職・勤務先に出す", "郵送", "送付先", "〒675-0064",
                 "加古川 花子 様", "マイナンバーカードの電子署名で確認済み", "手数料", "支払い済み", number):
        assert word in html, word
    assert 'class="paper"' in html and "staff-nav" not in html
    application = _get(app, number)
    assert application.cert_serial and application.cert_serial not in html
    assert "SHA-256" not in html and "シリアル" not in html and "ハッシュ" not in html
    assert "記載しない" in html  # 本籍・筆頭者 asked as omit
    assert [r.target for r in _audits(app, "application.print")][-1] == number


def test_a_form_that_is_no_certificate_prints_as_the_application_with_its_sections(
        app, forms, trusted, card_key, staff, monkeypatch):
    from staff import applications_print_views as views
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    monkeypatch.setattr(views, "_certs", lambda: {})
    html = staff().get("/staff/applications/print", query_string={"q": number}).get_data(as_text=True)
    assert html.count('class="paper"') == 1
    assert "申請書・届出書" in html and "住民票に載せる内容" in html and "受付印" in html and "課長" in html
    assert "交付請求書" not in html


# --- 郵送 labels and the 発送一覧 ------------------------------------------------------------------

def test_postal_labels_and_dispatch_list_only_for_applications_sent_by_post(app, forms, trusted, card_key, staff):
    cert = _cert(trusted, card_key)
    by_post = submitted(app, forms, trusted, cert)
    at_counter = submitted(app, forms, trusted, cert, fields={**FIELDS, "delivery": "counter",
                                                              "pickup_counter": "shimin_madoguchi"})
    client = staff()
    query = {"status": "all"}
    html = client.get("/staff/applications/labels", query_string=query).get_data(as_text=True)
    assert by_post in html and at_counter not in html
    assert html.count('class="address-label"') >= 1 and "〒675-0064" in html and "加古川 花子 様" in html
    assert 'class="label-sheet"' in html
    page = client.get("/staff/applications/dispatch", query_string=query)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert by_post in text and at_counter not in text and "発送" in text and "2通" in text
    r = client.get("/staff/applications/dispatch.csv", query_string=query)
    assert r.data.startswith(b"\xef\xbb\xbf") and "attachment" in r.headers["Content-Disposition"]
    rows = _rows(r.data, "utf-8-sig")
    assert rows[0] == ["受付番号", "手続き", "氏名", "郵便番号", "住所", "通数", "手数料（円）", "支払い", "発送"]
    line = next(row for row in rows if row[0] == by_post)
    assert line[2:6] == ["加古川 花子", "675-0064", "兵庫県加古川市加古川町北在家2000", "2"]
    assert not any(row[0] == at_counter for row in rows)
    one = {"status": "all", "q": by_post}  # (other tests' applications may hold characters outside Shift_JIS)
    sjis = client.get("/staff/applications/dispatch.csv", query_string={**one, "encoding": "shift_jis"})
    assert sjis.status_code == 200
    assert _rows(sjis.data, "cp932") == _rows(client.get("/staff/applications/dispatch.csv", query_string=one).data,
                                              "utf-8-sig") == [rows[0], line]
    formats = [r.details for r in _audits(app, "application.postal")]
    assert [json.loads(d)["format"] for d in formats[-5:]] == ["labels", "dispatch", "csv", "csv-shift_jis", "csv"]


# --- the daily 交付一覧 ------------------------------------------------------------------------------

def test_issue_list_of_the_day_in_utf8_and_shift_jis(app, forms, trusted, card_key, staff):
    cert = _cert(trusted, card_key)
    number = submitted(app, forms, trusted, cert, fields={**FIELDS, "applicant_family_name": "髙橋",
                                                          "honseki": "include"})
    not_approved = submitted(app, forms, trusted, cert)
    today = submitted(app, forms, trusted, cert)
    _approve_today(app, today)
    day = unique_day()
    _approve_today(app, number, day)
    client = staff()
    default = client.get("/staff/applications/issue-list").get_data(as_text=True)  # today (Japan) by default
    jst_today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date().isoformat()
    assert f'value="{jst_today}"' in default and today in default and number not in default
    page = client.get("/staff/applications/issue-list", query_string={"day": day.isoformat()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and number in html and not_approved not in html and today not in html
    r = client.get("/staff/applications/issue-list.csv", query_string={"day": day.isoformat()})
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = _rows(r.data, "utf-8-sig")
    assert rows[0][:7] == ["受付番号", "証明書の種類", "対象者の氏名", "対象者のフリガナ", "生年月日", "住所", "通数"]
    (line,) = rows[1:]
    assert line[0] == number and line[1:4] == ["住民票の写し", "髙橋 花子", "カコガワ ハナコ"]
    assert line[4].startswith("1985年4月1日") and line[6] == "2"
    assert line[7:11] == ["あり", "なし", "なし", "なし"]  # 本籍 asked; 続柄, マイナンバー, 住民票コード not
    assert line[11] == "郵送" and line[12].startswith("〒675-0064 兵庫県加古川市")
    assert line[13:] == ["600", "支払い済み"]
    sjis = client.get("/staff/applications/issue-list.csv", query_string={"day": day.isoformat(), "encoding": "shift_jis"})
    assert sjis.status_code == 200 and not sjis.data.startswith(b"\xef\xbb\xbf")
    assert _rows(sjis.data, "cp932") == rows  # 髙 is in cp932: the same table, character for character
    assert [json.loads(a.details)["format"] for a in _audits(app, "application.issue_list")][-4:] == \
        ["print", "print", "csv", "csv-shift_jis"]
    bad = client.get("/staff/applications/issue-list", query_string={"day": "2026-02-30"})
    assert bad.status_code == 400 and "年-月-日" in bad.get_data(as_text=True)
    assert 'value="2026-02-30"' in bad.get_data(as_text=True)


def test_shift_jis_refuses_and_lists_what_it_cannot_hold(app, forms, trusted, card_key, staff):
    number = submitted(app, forms, trusted, _cert(trusted, card_key),
                       fields={**FIELDS, "applicant_family_name": "𠮷田"})
    day = unique_day()
    _approve_today(app, number, day)
    client = staff()
    r = client.get("/staff/applications/issue-list.csv", query_string={"day": day.isoformat(), "encoding": "shift_jis"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and r.mimetype == "text/html"
    assert "U+20BB7" in html and "𠮷" in html and number in html and "対象者の氏名" in html
    assert "〓" not in html
    assert f'href="/staff/applications/issue-list.csv?day={day.isoformat()}"' in html  # the UTF-8 file instead
    utf8 = client.get("/staff/applications/issue-list.csv", query_string={"day": day.isoformat()})
    assert "𠮷田 花子" in utf8.data.decode("utf-8-sig")
    refused = _audits(app, "staff.export")[-1]
    assert refused.result == "failed" and "U+20BB7" in refused.details


def test_every_other_shift_jis_export_refuses_the_same_way(app, staff_client):
    """The day's bookings (another owner's export) go through the same refusal: no 〓, a 422 page."""
    from tests.web.staff_reservations_helpers import add_booking, today
    day = today() + dt.timedelta(days=400)  # a day the horizon does not reach (staff may still export it)
    number, _name = add_booking(app, name="𠮷野 一郎", day=day)
    client = staff_client(policy.COUNTER)
    path = f"/staff/reservations/export.csv?site=shiyakusho&day={day.isoformat()}"
    r = client.get(path + "&encoding=shift_jis")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and number in html and "U+20BB7" in html and "〓" not in html
    assert "encoding=shift_jis" not in html.split("UTF-8のCSVファイルをダウンロード")[0].rsplit("href=", 1)[1]
    assert "𠮷野 一郎" in client.get(path).data.decode("utf-8-sig")


# --- audit: actor case, details and CSV in words ----------------------------------------------------

def test_audit_search_ignores_the_case_of_the_actor_and_shows_details_in_words(app, staff):
    admin = staff(policy.ADMIN, "")
    login = admin.login_id
    with app.test_request_context("/"):
        audit.record("application.print", target="inbox", actor=login, role="department",
                     details={"count": 3, "format": "csv-shift_jis", "filters": {"status": "all", "q": "x"}})
    upper = login.upper()
    html = admin.get("/staff/audit/", query_string={"actor": upper}).get_data(as_text=True)
    assert "申請の印刷" in html and "件数" in html and "CSV（Shift_JIS）" in html and "検索条件" in html
    assert "{&#34;" not in html and '{"count"' not in html  # no raw JSON
    r = admin.get("/staff/audit/export.csv", query_string={"actor": upper, "action": "application.print"})
    rows = _rows(r.data, "utf-8-sig")
    col = {name: i for i, name in enumerate(rows[0])}
    assert rows[1][col["役割"]] == "所管課職員" and rows[1][col["結果"]] == "成功"
    assert rows[1][col["対象"]] == "inbox" and rows[1][col["対象の名前"]] == "申請の一覧"
    details = rows[1][col["詳細"]]
    assert "件数：3" in details and "形式：CSV（Shift_JIS）" in details and "検索条件：検索語：x、状態：すべて" in details
    assert json.loads(rows[1][col["詳細（JSON）"]])["count"] == 3
    prefix = admin.get("/staff/audit/", query_string={"actor": upper[:4] + "*", "action": "application.print"})
    assert "CSV（Shift_JIS）" in prefix.get_data(as_text=True)
    other = admin.get("/staff/audit/", query_string={"actor": upper + "X", "action": "application.print"})
    assert "CSV（Shift_JIS）" not in other.get_data(as_text=True)
    page_en = admin.get("/staff/audit/", query_string={"actor": upper, "lang": "en"}).get_data(as_text=True)
    assert "Count" in page_en and "CSV (Shift_JIS)" in page_en and "Application printed" in page_en
    assert "件数" not in page_en and "csv-shift_jis" not in page_en
    en = admin.get("/staff/audit/export.csv", query_string={"actor": upper, "action": "application.print",
                                                            "lang": "en"})
    en_rows = _rows(en.data, "utf-8-sig")
    en_col = {name: i for i, name in enumerate(en_rows[0])}
    assert en_rows[1][en_col["Role"]] == "Department staff" and "Count: 3" in en_rows[1][en_col["Details"]]
    admin.get("/staff/audit/", query_string={"lang": "ja"})


# --- statistics: every counted metric has a name --------------------------------------------------------

def test_statistics_name_the_apply_reserve_and_payment_metrics(app, staff):
    from core import usage
    with app.app_context():
        usage.record("apply", "started", "juminhyo_utsushi")
        usage.record("payments", "paid", "juminhyo_utsushi")
    client = staff(policy.AUDITOR, "")
    html = client.get("/staff/stats/", query_string={"service": "apply"}).get_data(as_text=True)
    assert "申請の開始" in html and ">started<" not in html and "オンライン申請" in html
    en = client.get("/staff/stats/", query_string={"service": "payments", "lang": "en"}).get_data(as_text=True)
    client.get("/staff/stats/", query_string={"lang": "ja"})
    assert ">paid<" not in en and ">payments<" not in en


# --- no raw code on my pages, in Japanese or English -------------------------------------------------

RAW_CODES = ("paid", "due", "refunded", "none", "started", "submitted", "withdrawn", "booked", "cancelled", "moved",
             "ok", "denied", "failed", "department", "admin", "auditor", "curator", "counter", "apply", "reserve",
             "payments", "csv", "csv-shift_jis", "json", "print", "mail", "include", "omit", "self")
RAW_TEXT = re.compile(r">\s*(" + "|".join(re.escape(c) for c in RAW_CODES) + r")\s*<")


def test_no_raw_code_reaches_these_pages_or_csv_cells(app, forms, trusted, card_key, staff):
    from core import usage
    number = submitted(app, forms, trusted, _cert(trusted, card_key))
    _approve_today(app, number)
    with app.app_context():
        for service, metric in (("apply", "started"), ("apply", "submitted"), ("reserve", "booked"),
                                ("payments", "paid"), ("payments", "refunded")):
            usage.record(service, metric, "juminhyo_utsushi")
    clerk, auditor = staff(), staff(policy.ADMIN, "")
    clerk.get(f"/staff/applications/{number}/print")  # audited with details
    pages = [(clerk, f"/staff/applications/{number}/print"), (clerk, "/staff/applications/print?status=all"),
             (clerk, "/staff/applications/issue-list"), (clerk, "/staff/applications/dispatch?status=all"),
             (clerk, "/staff/applications/labels?status=all"), (auditor, "/staff/audit/"),
             (auditor, "/staff/audit/totals"), (auditor, "/staff/stats/?service=apply"),
             (auditor, "/staff/stats/?service=reserve"), (auditor, "/staff/stats/?service=payments")]
    for lang in ("ja", "en"):
        for client, path in pages:
            r = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert r.status_code == 200, (lang, path)
            found = RAW_TEXT.findall(r.get_data(as_text=True))
            assert found == [], (lang, path, found)
        rows = _rows(auditor.get("/staff/audit/export.csv", query_string={"lang": lang}).data, "utf-8-sig")
        col = {name: i for i, name in enumerate(rows[0])}
        role, result, details = (col["役割"], col["結果"], col["詳細"]) if lang == "ja" else \
            (col["Role"], col["Result"], col["Details"])
        for row in rows[1:]:
            assert row[role] not in RAW_CODES and row[result] not in RAW_CODES, row
            assert not row[details].startswith("{"), row[details]
        issue = _rows(clerk.get("/staff/applications/issue-list.csv", query_string={"lang": lang}).data, "utf-8-sig")
        assert not [cell for row in issue for cell in row if cell in RAW_CODES]
    for client in (clerk, auditor):
        client.get("/staff/", query_string={"lang": "ja"})


def test_audit_csv_in_shift_jis_round_trips_or_refuses_with_the_list(app, staff):
    admin = staff(policy.ADMIN, "")
    with app.test_request_context("/"):
        audit.record("application.export", target="髙橋-test", actor="sjis.tester", role="department",
                     details={"file": "a.csv"})
    query = {"actor": "SJIS.TESTER", "encoding": "shift_jis"}
    r = admin.get("/staff/audit/export.csv", query_string=query)
    assert r.status_code == 200 and "shift_jis" in r.headers["Content-Type"] and not r.data.startswith(b"\xef\xbb\xbf")
    utf8 = admin.get("/staff/audit/export.csv", query_string={"actor": "SJIS.TESTER"})
    assert _rows(r.data, "cp932") == _rows(utf8.data, "utf-8-sig")
    assert "髙橋-test" in r.data.decode("cp932")
    with app.test_request_context("/"):
        audit.record("application.export", target="𠮷-test", actor="sjis.tester", role="department")
    refused = admin.get("/staff/audit/export.csv", query_string=query)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "U+20BB7" in html and "対象" in html and "〓" not in html
    exports = _audits(app, "staff.export")
    assert [(json.loads(a.details).get("format"), a.result) for a in exports[-2:]] == [
        ("csv", "ok"), ("csv-shift_jis", "failed")]
