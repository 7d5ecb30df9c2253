# ruff: noqa: F811  (the fixtures of test_staff_applications are imported, then used as arguments)
"""The staff inbox for a hundred applications a day (/staff/applications/): search by 氏名 and
フリガナ through the blind indexes (never a query on a name), sortable columns with aria-sort,
the applicant's name and the open days since 受付 with 期限超過 / 期限間近 from the pack's
標準処理期間, bulk actions through the intake service (a refused transition in the batch is
reported and leaves that application untouched), and each clerk's workload."""
from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import event, select

from core import policy
from core.audit import AuditRecord
from core.db import db
from core.outbox import OutboxMessage
from intake import applications as svc
from intake import processing_time, search_keys, workflow
from intake.forms import load_forms
from intake.models import Application, ApplicationEvent
from tests.conftest import csrf_from
from tests.web.inbox_helpers import JST, open_days_ago, seed, staff_id, unique_family
from tests.web.test_staff_applications import (  # noqa: F401  (fixtures)
    APPLICANT,
    FIELDS,
    _cert,
    _sign,
    staff,
    submitted,
)

LINK = re.compile(r'href="/staff/applications/(\d{6}-\d{6})"')


def listed(client, **query) -> list[str]:
    r = client.get("/staff/applications/", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return LINK.findall(r.get_data(as_text=True))


# --- search by name -----------------------------------------------------------------------------

def test_name_and_kana_search_finds_variants_and_not_part_of_a_name(app, forms, trusted, card_key, staff):
    family, kana = unique_family()
    fields = {**FIELDS, "applicant_family_name": family, "applicant_given_name": "葵",
              "applicant_family_kana": kana, "applicant_given_kana": "アオイ"}
    number = submitted(app, forms, trusted, _cert(trusted, card_key), fields=fields)  # the real submit() hook
    other = seed(app, family=family, given="太郎", family_kana=kana, given_kana="タロウ")
    client = staff(name="inbox")
    hira = "".join(chr(ord(c) - 0x60) for c in kana)
    half = kana.translate(str.maketrans("アイウエオカキクケコサシスセソタチツテト", "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄ"))
    for typed in (f"{family} 葵", f"{family}葵", f"{family}　葵", f" {family} ", "葵", f"{kana} アオイ", f"{kana}アオイ",
                  f"{hira} あおい", f"{hira}あおい", f"{half} ｱｵｲ", f"{half}ｱｵｲ", "あおい", "ｱｵｲ"):
        assert number in listed(client, name=typed), typed
        assert other not in listed(client, name=typed) or typed.strip() in (family, kana), typed
    assert set(listed(client, name=family)) == {number, other}  # the family name alone finds both
    for typed in (family[:3], f"{family} 葵子", kana[:4], "アオ", f"{family}太", "葵 " + family):
        assert number not in listed(client, name=typed), typed
    # the audit log has the search as a blind index, never the name
    with app.app_context():
        logged = [r.details if isinstance(r.details, str) else json.dumps(r.details, ensure_ascii=False)
                  for r in db.session.scalars(select(AuditRecord).where(AuditRecord.action == "application.list"))]
        assert any(search_keys.matching(family) in d for d in logged)
    assert not any(family in d or kana in d or hira in d for d in logged)
    # with the other filters
    assert listed(client, name=f"{family} 葵", procedure="koseki_tohon") == []
    assert listed(client, name=f"{family} 葵", q=number) == [number]


def test_the_keys_are_rewritten_when_the_corrected_application_is_sent_again(app, forms, trusted, card_key, staff):
    family, kana = unique_family()
    fields = {**FIELDS, "applicant_family_name": family, "applicant_family_kana": kana}
    number = submitted(app, forms, trusted, _cert(trusted, card_key), fields=fields)
    client = staff(name="inbox")
    html = client.get(f"/staff/applications/{number}").get_data(as_text=True)
    assert client.post(f"/staff/applications/{number}/status", data={
        "csrf_token": csrf_from(html), "to": workflow.REVIEWING, "note": ""}).status_code == 302
    with app.test_request_context("/"):
        a = db.session.scalar(select(Application).where(Application.receipt_number == number))
        svc.change_status(a, workflow.CORRECTION, who="staff", actor="staff:t", note="氏名を確認してください。")
        new_family, new_kana = unique_family()
        svc.save_fields(a, forms["juminhyo_utsushi"], {**fields, "applicant_family_name": new_family,
                                                        "applicant_family_kana": new_kana})
        _sign(a, forms["juminhyo_utsushi"], trusted, _cert(trusted, card_key))
        assert svc.submit(a, "resubmit-" + number)
        db.session.commit()
    assert listed(client, name=f"{new_family} 花子") == [number]
    assert listed(client, name=new_kana) == [number]
    assert listed(client, name=family) == [] and listed(client, name=kana) == []


def test_name_search_queries_the_key_table_never_a_name(app, staff):
    family, kana = unique_family()
    number = seed(app, family=family, family_kana=kana)
    hira = "".join(chr(ord(c) - 0x60) for c in kana)
    client = staff(name="inbox")
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert listed(client, name=f"{family}花子") == [number]
        assert listed(client, name=hira) == [number]  # hiragana: normalised before the HMAC
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    with app.app_context():
        digest = search_keys.matching(f"{family} 花子")
    texts = [f"{s} {p!r}" for s, p in statements]
    assert any("application_search_key" in s and digest in repr(p) for s, p in statements)
    for plain in (family, kana, hira, "花子"):
        assert not any(plain in t for t in texts), plain
    # and the table holds digests only
    with app.app_context():
        keys = db.session.scalars(select(search_keys.ApplicationSearchKey.digest).join(
            Application, Application.id == search_keys.ApplicationSearchKey.application_id).where(
            Application.receipt_number == number)).all()
        assert len(keys) == 6 and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)


def test_reindex_command_fills_keys_for_older_applications_and_can_run_again(app, staff):
    family, kana = unique_family()
    number = seed(app, family=family, family_kana=kana)
    with app.app_context():
        app_id = db.session.scalar(select(Application.id).where(Application.receipt_number == number))
        db.session.execute(search_keys.delete(search_keys.ApplicationSearchKey).where(
            search_keys.ApplicationSearchKey.application_id == app_id))
        db.session.commit()
    assert listed(staff(name="inbox"), name=family) == []
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["applications", "reindex-search"])
        assert result.exit_code == 0 and "indexed:" in result.output
    assert listed(staff(name="inbox"), name=family) == [number]
    with app.app_context():
        assert db.session.query(search_keys.ApplicationSearchKey).filter_by(application_id=app_id).count() == 6


def test_normalise_is_the_same_for_every_way_of_typing_kana():
    assert {search_keys.normalise(t) for t in ("かこがわ はなこ", "ｶｺｶﾞﾜ ﾊﾅｺ", "カコガワ　ハナコ", "カコガワハナコ")} == {"カコガワハナコ"}
    assert search_keys.normalise(" Smith  John ") == "smithjohn"
    assert search_keys.name_texts({"applicant_family_name": "加古川", "applicant_given_name": "花子",
                                   "principal_family_kana": "たかさご", "principal_given_kana": "",
                                   "copies": 2}) == {"加古川", "花子", "加古川花子", "タカサゴ"}


# --- the list: name, days, 期限, sort -------------------------------------------------------------

def _row_of(html: str, number: str) -> str:
    match = re.search(r"<tr data-inbox-row>(?:(?!</tr>).)*" + re.escape(number) + r".*?</tr>", html, re.S)
    assert match, number
    return match.group(0)


def test_list_shows_name_open_days_and_markers_from_the_pack_figure(app, staff):
    standard = load_forms("kakogawa")["juminhyo_utsushi"].definition.review.standard_processing_days
    assert standard  # the figure is data of the pack
    family, kana = unique_family()
    fresh = seed(app, family=family, family_kana=kana, submitted_at=open_days_ago(0))
    soon = seed(app, family=family, family_kana=kana, submitted_at=open_days_ago(standard), status=workflow.REVIEWING)
    late = seed(app, family=family, family_kana=kana, submitted_at=open_days_ago(standard + 1))
    waiting = seed(app, family=family, family_kana=kana, submitted_at=open_days_ago(standard + 3),
                   status=workflow.CORRECTION)  # the resident's turn: no marker
    client = staff(name="inbox")
    html = client.get("/staff/applications/", query_string={"name": family}).get_data(as_text=True)
    assert f"{family} 花子" in _row_of(html, fresh)
    assert "0日" in _row_of(html, fresh) and f"標準{standard}日" in _row_of(html, fresh)
    assert "期限" not in re.sub(r"<span class=\"text-support\">.*?</span>", "", _row_of(html, fresh))
    assert f"{standard}日" in _row_of(html, soon) and "期限間近" in _row_of(html, soon)
    assert f"{standard + 1}日" in _row_of(html, late) and "期限超過" in _row_of(html, late)
    assert "期限超過" not in _row_of(html, waiting) and "期限間近" not in _row_of(html, waiting)
    assert listed(client, name=family, timing="overdue") == [late]
    assert listed(client, name=family, timing="due_soon") == [soon]
    r = client.get("/staff/applications/", query_string={"timing": "someday"})
    assert r.status_code == 400 and "期限を選んでください。" in r.get_data(as_text=True)


def test_processing_time_counts_open_days_only():
    # 2026-04-28 (Tue) → 2026-05-07 (Thu): open 4/30, 5/1, 5/7; closed 4/29 昭和の日, 5/2 土, 5/3 憲法記念日 (日),
    # 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日
    assert processing_time.open_days_between(dt.date(2026, 4, 28), dt.date(2026, 5, 7)) == 3
    assert processing_time.open_days_between(dt.date(2026, 12, 28), dt.date(2027, 1, 4)) == 1  # 年末年始
    sent = dt.datetime(2026, 4, 28, 1, tzinfo=dt.UTC)  # 10:00 JST
    late = processing_time.timing(workflow.REVIEWING, sent, 2, dt.date(2026, 5, 7))
    assert (late.elapsed, late.remaining, late.marker) == (3, -1, "overdue")
    assert processing_time.timing(workflow.SUBMITTED, sent, 3, dt.date(2026, 5, 7)).marker == "due_soon"
    assert processing_time.timing(workflow.SUBMITTED, sent, 4, dt.date(2026, 5, 7)).marker == "due_soon"
    assert processing_time.timing(workflow.SUBMITTED, sent, 5, dt.date(2026, 5, 7)).marker is None
    assert processing_time.timing(workflow.ISSUED, sent, 1, dt.date(2026, 5, 7)).marker is None
    assert processing_time.timing(workflow.CORRECTION, sent, 1, dt.date(2026, 5, 7)).marker is None
    assert processing_time.timing(workflow.SUBMITTED, sent, None, dt.date(2026, 5, 7)).marker is None
    # 23:30 JST on 4/28 is 14:30 UTC the same day: still the 28th in Japan
    assert processing_time.timing(workflow.SUBMITTED, dt.datetime(2026, 4, 28, 14, 30), 3,
                                  dt.date(2026, 5, 7)).elapsed == 3


def test_sortable_headers_with_aria_sort_work_without_javascript(app, staff, staff_client):
    family, kana = unique_family()
    client = staff(name="inbox-sort")
    a_id = staff_id(app, client.login_id)
    colleague = staff_client(policy.DEPARTMENT, "shimin")
    b_id = staff_id(app, colleague.login_id, "あいうえお 先輩")  # first in name order
    day = dt.timedelta(days=1)
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) - 3 * day
    n1 = seed(app, family=family, family_kana=kana, procedure="koseki_tohon", status=workflow.APPROVED,
              submitted_at=base, assignee_id=a_id)
    n2 = seed(app, family=family, family_kana=kana, procedure="juminhyo_utsushi", status=workflow.SUBMITTED,
              submitted_at=base + day, assignee_id=b_id)
    n3 = seed(app, family=family, family_kana=kana, procedure="inkan_shomei", status=workflow.REVIEWING,
              submitted_at=base + 2 * day)
    html = client.get("/staff/applications/", query_string={"name": family}).get_data(as_text=True)
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="[^"]*sort=received[^"]*dir=desc', html)
    assert html.count('aria-sort="none"') == 4
    assert listed(client, name=family) == [n1, n2, n3]
    assert listed(client, name=family, sort="received", dir="desc") == [n3, n2, n1]
    assert listed(client, name=family, sort="status") == [n2, n3, n1]  # 受付, 審査中, 承認
    assert listed(client, name=family, sort="status", dir="desc") == [n1, n3, n2]
    names = load_forms("kakogawa")
    by_name = sorted([(names["koseki_tohon"].procedure.name.ja, n1), (names["juminhyo_utsushi"].procedure.name.ja, n2),
                      (names["inkan_shomei"].procedure.name.ja, n3)])
    assert listed(client, name=family, sort="procedure") == [n for _, n in by_name]
    assert listed(client, name=family, sort="assignee") == [n2, n1, n3]  # by name; nobody last
    assert listed(client, name=family, sort="assignee", dir="desc") == [n3, n1, n2]
    assert listed(client, name=family, sort="due") == [n1, n2, n3]  # the fewest open days left first
    page = client.get("/staff/applications/", query_string={"name": family, "sort": "status", "dir": "desc"})
    html = page.get_data(as_text=True)
    assert re.search(r'aria-sort="descending"><a href="[^"]*sort=status[^"]*dir=asc', html)
    assert 'name="sort" value="status"' in html  # kept when the filters are sent again
    assert listed(client, name=family, sort="nonsense") == [n1, n2, n3]  # an unknown sort: the default


# --- bulk actions -----------------------------------------------------------------------------------

def _bulk(client, numbers, action, assignee="", query=""):
    """Post the bulk form as the browser does: every field of the form (hidden ones as served)."""
    html = client.get("/staff/applications/?" + query).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/staff/applications/bulk".*?</form>', html, re.S).group(0)
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert set(data) == {"csrf_token", "back"}
    data.update(action=action, bulk_assignee=assignee)
    return client.post("/staff/applications/bulk", data={**data, "number": numbers})


def test_bulk_issue_does_each_application_and_reports_the_refused_one(app, staff):
    family, kana = unique_family()
    ok1 = seed(app, family=family, family_kana=kana, status=workflow.APPROVED)
    ok2 = seed(app, family=family, family_kana=kana, status=workflow.APPROVED)
    early = seed(app, family=family, family_kana=kana, status=workflow.SUBMITTED)
    elsewhere = seed(app, family=family, family_kana=kana, status=workflow.APPROVED, procedure="kenchiku_shinchiku")
    client = staff(name="inbox")
    r = _bulk(client, [ok1, early, ok2, elsewhere], "issued", query=f"name={family}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "2件できました。2件はできませんでした。" in html
    assert "「受付」から「発行済・郵送済」には変更できません。" in _item(html, early)
    assert "見つかりません" in _item(html, elsewhere)
    with app.app_context():
        status = {a.receipt_number: a for a in db.session.scalars(select(Application).where(
            Application.receipt_number.in_([ok1, ok2, early, elsewhere])))}
        assert status[ok1].status == status[ok2].status == workflow.ISSUED
        assert status[early].status == workflow.SUBMITTED and status[elsewhere].status == workflow.APPROVED
        moves = db.session.scalars(select(ApplicationEvent).where(
            ApplicationEvent.application_id == status[early].id, ApplicationEvent.kind == "status")).all()
        assert [m.to_status for m in moves] == [workflow.SUBMITTED]  # nothing half-applied
        mails = db.session.scalars(select(OutboxMessage)).all()
        for n in (ok1, ok2):
            event_ids = [e.id for e in db.session.scalars(select(ApplicationEvent).where(
                ApplicationEvent.application_id == status[n].id, ApplicationEvent.to_status == workflow.ISSUED))]
            assert len(event_ids) == 1 and any(m.dedupe_key == f"application-event:{event_ids[0]}" for m in mails)
        audits = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "application.bulk")).all()
        details = [json.loads(a.details) if isinstance(a.details, str) else a.details for a in audits]
        assert any(early in d.get("refused", []) and ok1 in d.get("done", []) for d in details)
        assert db.session.scalar(select(AuditRecord).where(AuditRecord.action == "application.status",
                                                           AuditRecord.target == ok1)) is not None


def test_posted_is_recorded_once_for_issued_mail_applications_and_the_resident_sees_it(app, staff):
    from intake import dispatch, links

    family, kana = unique_family()
    by_post = seed(app, family=family, family_kana=kana, status=workflow.ISSUED, fields={"delivery": "mail"})
    pick_up = seed(app, family=family, family_kana=kana, status=workflow.ISSUED, fields={"delivery": "counter"})
    not_yet = seed(app, family=family, family_kana=kana, status=workflow.APPROVED, fields={"delivery": "mail"})
    client = staff(name="inbox")
    html = _bulk(client, [by_post, pick_up, not_yet], "posted", query=f"name={family}").get_data(as_text=True)
    assert "郵送済にしました。" in _item(html, by_post)
    assert "窓口で受け取る申請です。郵送済にはできません。" in _item(html, pick_up)
    assert "だけ郵送済にできます" in _item(html, not_yet)
    assert re.search(r"発行済・郵送済</span><br><span class=\"text-support\">郵送済</span>", _row_of(html, by_post))
    again = _bulk(client, [by_post], "posted")
    assert again.status_code == 409 and "すでに郵送済です。" in again.get_data(as_text=True)
    with app.test_request_context("/"):
        a = db.session.scalar(select(Application).where(Application.receipt_number == by_post))
        assert a.status == workflow.ISSUED  # 郵送済 is an event, not a status
        events = db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == a.id,
                                                                   ApplicationEvent.kind == "dispatch")).all()
        assert len(events) == 1
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"application-event:{events[0].id}"))
        assert mail is not None
        status_path = links.status_url(a.id).split("://", 1)[1].split("/", 1)[1]
    page = app.test_client().get("/" + status_path).get_data(as_text=True)
    assert dispatch.RESIDENT_TEXT["ja"] in page and "<td>郵送しました</td>" in page
    detail = client.get(f"/staff/applications/{by_post}").get_data(as_text=True)
    assert "郵送済（郵送しました）" in detail


def test_bulk_outcomes_read_in_the_pages_language(app, staff):
    """Each outcome is one Message, read in the page's language: the service's refusals (a
    workflow Message, a lazy_gettext string), the not-found and the done lines, with their variables."""
    family, kana = unique_family()
    ok = seed(app, family=family, family_kana=kana, status=workflow.APPROVED)
    early = seed(app, family=family, family_kana=kana, status=workflow.SUBMITTED)
    elsewhere = seed(app, family=family, family_kana=kana, status=workflow.APPROVED, procedure="kenchiku_shinchiku")
    closed = seed(app, family=family, family_kana=kana, status=workflow.COMPLETED)
    client = staff(name="inbox-en")
    html = _bulk(client, [ok, early, elsewhere], "issued", query=f"lang=en&name={family}").get_data(as_text=True)
    assert "Now “Issued / posted”; the applicant is told by e-mail." in _item(html, ok)
    assert "An application cannot move from “Received” to “Issued / posted”." in _item(html, early)
    assert "Not found (not an application of your departments)." in _item(html, elsewhere)
    html = _bulk(client, [closed, ok], "assign_me", query=f"lang=en&name={family}").get_data(as_text=True)
    assert "A closed application keeps its assignee." in _item(html, closed)
    assert re.search(r"Assigned to [^<]+\.", _item(html, ok)) and "担当者にしました" not in html
    html = _bulk(client, [ok], "assign_me", query=f"lang=ja&name={family}").get_data(as_text=True)
    assert "さんの担当です。" in _item(html, ok)  # and back in Japanese


def _item(html: str, number: str) -> str:
    match = re.search(r"<li><strong>" + re.escape(number) + r"</strong>.*?</li>", html, re.S)
    assert match, number
    return match.group(0)


def test_bulk_assign_to_me_and_to_a_colleague(app, staff, staff_client):
    family, kana = unique_family()
    n1 = seed(app, family=family, family_kana=kana)
    n2 = seed(app, family=family, family_kana=kana, status=workflow.REVIEWING)
    closed = seed(app, family=family, family_kana=kana, status=workflow.COMPLETED)
    client = staff(name="inbox-assign")  # its own clerk: "me" lists only what this test assigns
    me = staff_id(app, client.login_id)
    colleague = staff_client(policy.DEPARTMENT, "shimin")
    other = staff_id(app, colleague.login_id, "加古川 先輩")
    r = _bulk(client, [n1, n2], "assign_me")
    assert r.status_code == 200 and "2件できました。0件はできませんでした。" in r.get_data(as_text=True)
    assert set(listed(client, name=family, assignee="me")) == {n1, n2}
    r = _bulk(client, [n2, closed], "assign", assignee=str(other))
    html = r.get_data(as_text=True)
    assert "加古川 先輩さんを担当者にしました。" in _item(html, n2)
    assert "終わった申請の担当者は変えられません。" in _item(html, closed)
    assert listed(client, name=family, assignee=str(other)) == [n2]
    assert listed(client, name=family, assignee="me") == [n1]
    with app.app_context():
        a = db.session.scalar(select(Application).where(Application.receipt_number == closed))
        assert a.assignee_id is None and me != other


def test_bulk_form_errors_keep_ticks_choices_and_filters(app, staff):
    family, kana = unique_family()
    n1 = seed(app, family=family, family_kana=kana)
    client = staff(name="inbox")
    r = _bulk(client, [], "issued", query=f"name={family}")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "エラー：" in html
    assert "まとめて操作する申請を、一覧のチェックボックスで選んでください。" in html
    assert '<option value="issued" selected>' in html and f'value="{family}"' in html
    r = _bulk(client, [n1], "assign", query=f"name={family}")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "担当者にする職員を選んでください。" in html
    assert re.search(r'value="' + n1 + '" checked', html)
    r = _bulk(client, [n1], "explode")
    assert r.status_code == 400 and "まとめて行う操作を選んでください。" in r.get_data(as_text=True)
    assert client.post("/staff/applications/bulk", data={"number": [n1], "action": "issued"}).status_code in (400, 403)
    for role in (policy.AUDITOR, policy.COUNTER, policy.CURATOR):
        assert staff(role, "shimin").post("/staff/applications/bulk", data={}).status_code in (400, 403)


# --- workload -----------------------------------------------------------------------------------------

def test_workload_per_clerk_counts_open_applications_by_status_and_overdue(app, staff, staff_client):
    client = staff(departments="kenchiku", name="workload")
    colleague = staff_client(policy.DEPARTMENT, "kenchiku")
    cid = staff_id(app, colleague.login_id, f"建築 {unique_family()[0]}")
    name = None
    with app.app_context():
        from core.staff_models import StaffUser
        name = db.session.get(StaffUser, cid).display_name
    standard = load_forms("kakogawa")["kenchiku_shinchiku"].definition.review.standard_processing_days
    for status, ago in ((workflow.SUBMITTED, 0), (workflow.REVIEWING, standard + 2), (workflow.REVIEWING, 0),
                        (workflow.COMPLETED, 0)):
        seed(app, procedure="kenchiku_shinchiku", status=status, assignee_id=cid, submitted_at=open_days_ago(ago))
    html = client.get("/staff/applications/").get_data(as_text=True)
    table = re.search(r'<caption id="workload-caption">.*?</table>', html, re.S).group(0)
    headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)]
    assert headers == ["担当者", "受付", "審査中", "補正依頼", "承認", "発行済・郵送済", "合計", "期限超過", "期限間近"]
    row = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(name) + r"</th>(.*?)</tr>", table, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).replace("件を一覧で見る", "").strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["1", "2", "0", "0", "0", "3", "1", "0"]
    assert f"assignee={cid}&amp;timing=overdue" in row
    # a 市民課 clerk does not see 建築指導課 colleagues
    assert name not in staff(name="inbox").get("/staff/applications/").get_data(as_text=True)


def test_the_database_counts_each_application_on_its_day_in_japan(app):
    """The workload is counted by the database, grouped on the day of 受付 in Japan: 15:30 UTC is
    00:30 the next day in Japan, 14:59 UTC still the same day (SQLite and PostgreSQL)."""
    from sqlalchemy import func

    from core.db import sql_day
    from staff.inbox_rows import workload
    moments = [dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 14, 59, tzinfo=dt.UTC),
               dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)]
    numbers = [seed(app, procedure="kenchiku_shinchiku", status=workflow.REVIEWING, submitted_at=m) for m in moments]
    with app.app_context():
        day = sql_day(Application.submitted_at, db.session.get_bind().dialect.name)
        group = (Application.status, day)
        rows = db.session.execute(select(*group, func.count()).where(Application.receipt_number.in_(numbers))
                                  .group_by(*group)).all()
        loads = workload([(None, s, "kenchiku_shinchiku", d, n) for s, d, n in rows], [], {}, dt.date(2026, 12, 2))
    assert sorted((d, n) for _s, d, n in rows) == [("2026-11-30", 1), ("2026-12-01", 2)]
    assert loads[0].by_status[workflow.REVIEWING] == 3 and loads[0].total == 3


def test_open_days_ago_helper_is_right():
    today = dt.date(2026, 5, 7)
    assert open_days_ago(3, today).astimezone(JST).date() == dt.date(2026, 4, 28)
    assert open_days_ago(0, dt.date(2026, 5, 6)).astimezone(JST).date() == dt.date(2026, 5, 1)


def test_inbox_page_has_one_link_per_row_and_labelled_checkboxes(app, staff):
    family, kana = unique_family()
    numbers = [seed(app, family=family, family_kana=kana) for _ in range(3)]
    html = staff(name="inbox").get("/staff/applications/", query_string={"name": family}).get_data(as_text=True)
    assert sorted(LINK.findall(html)) == sorted(numbers)  # same second: by receipt number
    for n in numbers:
        assert f'<input type="checkbox" name="number" value="{n}">' in html
        assert f"{n}を選ぶ" in html


def test_the_inbox_and_home_in_english(app, staff):
    family, kana = unique_family()
    number = seed(app, family=family, family_kana=kana, submitted_at=open_days_ago(30))
    client = staff(name="inbox")
    html = client.get("/staff/applications/", query_string={"name": family, "lang": "en"}).get_data(as_text=True)
    for text in ("Applicant", "Elapsed / deadline", "Overdue", "Workload per clerk", "Act on the selected applications",
                 "Use keyboard shortcuts", f"Select {number}", "Name or name in katakana"):
        assert text in html, text
    r = client.get("/staff/applications/", query_string={"timing": "x", "lang": "en"})
    assert r.status_code == 400 and "Choose a deadline option." in r.get_data(as_text=True)
    home = client.get("/staff/", query_string={"lang": "en"}).get_data(as_text=True)
    assert "Not started (received)" in home and "Overdue (past the standard processing time)" in home
