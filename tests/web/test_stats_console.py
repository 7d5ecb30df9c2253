"""The usage statistics console (/staff/stats): chart and table per section, the period filter,
Japanese error messages for bad dates, CSV export, and who may see it."""
import csv
import datetime as dt
import io
import re

import pytest

from core import policy, usage


@pytest.fixture
def console(staff_client):
    """console(role) -> a logged-in test client (one per role in a test)."""
    clients = {}

    def get(role: str = policy.AUDITOR):
        if role not in clients:
            clients[role] = staff_client(role)
        return clients[role]
    return get


def seed(app, counts):
    """counts: (day, service, metric, dimension, n); past years no other test writes to."""
    with app.app_context():
        for day, service, metric, dimension, n in counts:
            assert usage.record(service, metric, dimension, n, day=day)


def page(client, **query):
    r = client.get("/staff/stats/", query_string=query)
    return r, r.get_data(as_text=True)


def cells(html: str, caption: str) -> list[list[str]]:
    """The rows of the table with this caption, as text cells (th and td)."""
    table = re.search(r"<table[^>]*>\s*<caption>" + re.escape(caption) + r".*?</table>", html, re.S)
    assert table, f"no table captioned {caption!r}"
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)]


def test_counts_per_day_and_per_life_event_with_a_chart_beside_each_table(console, app, rulebook):
    d1, d2 = dt.date(2001, 4, 1), dt.date(2001, 4, 2)
    seed(app, [(d1, "guide", "session_started", "moving_in", 3), (d1, "guide", "session_finished", "moving_in", 2),
               (d2, "guide", "session_started", "death", 1), (d2, "guide", "api_evaluate", "death", 4),
               (d2, "guide", "procedures_listed", "tennyu_todoke", 5), (d1, "guide", "search", "", 7),
               (d2, "guide", "feedback", "death", 2)])
    r, html = page(console(), **{"from": "2001-04-01", "to": "2001-04-03", "service": "guide"})
    assert r.status_code == 200
    period = "2001年4月1日〜2001年4月3日"
    assert cells(html, f"日別の件数（手続きガイド、{period}）") == [
        ["日付", "案内の開始", "結果の表示", "APIでの判定", "表示された手続き", "検索", "結果への評価"],
        ["2001年4月1日", "3", "2", "0", "0", "7", "0"],
        ["2001年4月2日", "1", "0", "4", "5", "0", "2"],
        ["2001年4月3日", "0", "0", "0", "0", "0", "0"],
        ["合計", "4", "2", "4", "5", "7", "2"],
    ]
    events = cells(html, f"ライフイベント別の件数（{period}）")
    moving_in, death = (rulebook.kb.events[e].name.ja for e in ("moving_in", "death"))
    assert events[0] == ["ライフイベント", "案内の開始", "結果の表示", "APIでの判定", "結果への評価"]
    assert [moving_in, "3", "2", "0", "0"] in events and [death, "1", "0", "4", "2"] in events
    assert len(events) == len(rulebook.kb.events) + 2  # every life event, with 0 where none, and the total
    assert cells(html, f"手続き別の件数（{period}）")[1] == [rulebook.kb.procedures["tennyu_todoke"].name.ja, "5"]
    summary = cells(html, f"サービス別・指標別の合計（{period}）")
    assert ["手続きガイド", "検索", "7"] in summary and ["手続きガイド", "案内の開始", "4"] in summary
    # every table has a chart before it: an image with a title and a description
    charts = re.findall(r'<svg[^>]*role="img"[^>]*aria-labelledby="([^"]+)"[^>]*>\s*<title id="[^"]+">([^<]+)</title>'
                        r'<desc id="[^"]+">([^<]+)</desc>', html)
    assert len(charts) == 3
    assert [c[1] for c in charts] == ["日別の案内の開始", "ライフイベント別の案内の開始数", "手続き別の表示回数（上位15件）"]
    assert "合計4件" in charts[0][2] and "表" in charts[0][2]  # the gist, and where the numbers are
    assert html.count("<rect") >= 3 + len(rulebook.kb.events) + 1
    assert 'scope="col"' in html and 'scope="row"' in html
    assert "style=" not in html  # strict CSP: no inline styles in the charts


def test_default_period_is_the_last_30_days_in_japan(console):
    r, html = page(console())
    assert r.status_code == 200
    today = usage.today()
    start = today - dt.timedelta(days=29)
    assert f'id="from-year" name="from" type="date" value="{start.isoformat()}"' in html  # the date picker
    assert f'id="to-year" name="to" type="date" value="{today.isoformat()}"' in html
    rows = cells(html, re.search(r"<caption>(日別の件数（[^<]+)</caption>", html).group(1))
    assert len(rows) == 30 + 2  # header, 30 days, total


def test_the_form_boxes_accept_full_width_digits(console):
    r, html = page(console(), **{"from-year": "２００２", "from-month": "１", "from-day": "1",
                                 "to-year": "2002", "to-month": "1", "to-day": "3", "service": "guide"})
    assert r.status_code == 200
    assert "2002年1月1日〜2002年1月3日" in html
    assert 'href="/staff/stats/export.csv?from=2002-01-01&amp;to=2002-01-03&amp;service=guide"' in html


@pytest.mark.parametrize(("query", "message"), [
    ({"from-year": "二〇二六", "from-month": "4", "from-day": "1"}, "開始日は年・月・日をすべて数字で入力してください"),
    ({"from-year": "2026", "from-month": "", "from-day": "1"}, "開始日は年・月・日をすべて数字で入力してください"),
    ({"from-year": "2026", "from-month": "2", "from-day": "30"}, "開始日の日付が正しくありません"),
    ({"to-year": "1899", "to-month": "1", "to-day": "1"}, "終了日の日付が正しくありません"),
    ({"to-year": "9" * 30, "to-month": "1", "to-day": "1"}, "終了日の日付が正しくありません"),
    ({"from": "2026-13-01"}, "開始日の日付が正しくありません"),
    ({"from": "yesterday"}, "開始日の日付が正しくありません"),
    ({"from": "2026-04-10", "to": "2026-04-01"}, "終了日は開始日と同じ日か、それより後の日にしてください。"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "期間は366日以内にしてください。"),
    ({"service": "no_such_service"}, "サービスを選んでください。"),
])
def test_bad_input_gets_a_japanese_message_and_400(console, query, message):
    r, html = page(console(), **query)
    assert r.status_code == 400
    assert message in html
    assert 'class="error-summary"' in html and "<title>エラー：利用統計" in html
    assert 'role="img"' not in html and "<table" not in html  # no report for a bad period
    r = console().get("/staff/stats/export.csv", query_string=query)
    assert r.status_code == 400 and message in r.get_data(as_text=True)


def test_the_wrong_date_is_kept_in_the_boxes(console):
    _r, html = page(console(), **{"from-year": "2026", "from-month": "2", "from-day": "30"})
    assert 'id="from-year" name="from" type="text" value="2026-2-30"' in html  # as typed: no picker can hold it
    assert 'href="#from-year"' in html  # the error summary links to the first box


def test_csv_export_for_excel(console, app, rulebook):
    day = dt.date(2003, 5, 6)
    seed(app, [(day, "guide", "session_started", "birth", 2), (day, "guide", "procedures_listed", "tennyu_todoke", 9),
               (day + dt.timedelta(days=40), "guide", "search", "", 1)])
    r = console().get("/staff/stats/export.csv", query_string={"from": "2003-05-01", "to": "2003-05-31",
                                                               "service": "guide"})
    assert r.status_code == 200
    assert r.mimetype == "text/csv" and r.mimetype_params["charset"] == "utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="usage-20030501-20030531.csv"'
    data = r.get_data()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline="")))
    assert rows[0] == ["日付", "サービス", "サービス名", "指標", "指標名", "区分", "区分名", "件数"]
    assert rows[1:] == [
        ["2003-05-06", "guide", "手続きガイド", "procedures_listed", "表示された手続き", "tennyu_todoke",
         rulebook.kb.procedures["tennyu_todoke"].name.ja, "9"],
        ["2003-05-06", "guide", "手続きガイド", "session_started", "案内の開始", "birth",
         rulebook.kb.events["birth"].name.ja, "2"],
    ]


def test_the_page_links_to_the_export_of_the_same_period(console):
    _r, html = page(console(), **{"from": "2004-02-01", "to": "2004-02-29", "service": "guide"})
    link = re.search(r'<a href="([^"]+)" download="([^"]+)">', html)
    assert link.group(1).replace("&amp;", "&") == "/staff/stats/export.csv?from=2004-02-01&to=2004-02-29&service=guide"
    assert link.group(2) == "usage-20040201-20040229.csv"
    assert "この期間の件数はありません。" in html  # nothing counted then: said in words, not an empty table


@pytest.mark.parametrize("role", [policy.ADMIN, policy.DEPARTMENT])
def test_admin_and_department_staff_may_see_it(console, role):
    assert console(role).get("/staff/stats/").status_code == 200
    assert console(role).get("/staff/stats/export.csv").status_code == 200


@pytest.mark.parametrize("role", [policy.COUNTER, policy.CURATOR])
def test_counter_staff_and_curators_may_not(console, role):
    assert console(role).get("/staff/stats/").status_code == 403
    assert console(role).get("/staff/stats/export.csv").status_code == 403


def test_nobody_logged_out(console, app):
    r = app.test_client().get("/staff/stats/")
    assert r.status_code == 302 and "/staff/login" in r.location
    assert app.test_client().get("/staff/stats/export.csv").status_code in (302, 401)
