"""事前入力 pages (reservations/prefill_views.py) and the counter side (staff/visit_counter_views.py):
the resident fills the household behind the visit's signed link (errors keep what was typed,
hostile input is a 4xx), sends it to the counters, gets a QR code; staff scan it, see the
household and itinerary, print the filled forms (a PDF), mark done, and the next counter sees
the visit coming. Fields typed by staff in that walk: 0."""
from __future__ import annotations

import io
import json
import re

from pypdf import PdfReader
from sqlalchemy import select

from core import policy
from core.audit import AuditRecord
from core.db import db
from reservations import models as m
from reservations import prefill
from reservations import visit as visits
from tests.conftest import csrf_from, fresh_client
from tests.web.prefill_helpers import fill, make_visit

MEMBER = {"m0-family_name": "山田", "m0-given_name": "太郎", "m0-family_kana": "やまだ", "m0-given_kana": "たろう",
          "m0-birth-year": "昭和60", "m0-birth-month": "4", "m0-birth-day": "1", "m0-sex": "male",
          "m0-relationship": "head", "m0-relationship_text": ""}
ADDRESSES = {"previous-postcode": "100-0001", "previous-address": "東京都千代田区千代田1-1", "previous-building": "",
             "previous-head_name": "", "new-postcode": "675-0000", "new-address": "兵庫県テスト市1-2-3",
             "new-building": "", "new-head_name": ""}


def post(client, url, data):
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page), **data})


def audits(app, action):
    with app.app_context():
        return [json.loads(a.details or "{}") for a in db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == action))]


def test_the_resident_fills_the_household_and_sends_it(app):
    number, token = make_visit(app)
    client = fresh_client(app)
    base = f"/reserve/visit/{token}/prefill"
    start = client.get(base)
    assert start.status_code == 200 and number in start.get_data(as_text=True)
    assert "マイナンバー" in start.get_data(as_text=True)  # said: not asked for

    # members: add a row, then an error keeps what was typed in both rows
    r = post(client, base + "/members", {"members": "1", **MEMBER, "action": "add"})
    assert r.status_code == 200 and 'name="m1-family_name"' in r.get_data(as_text=True)
    r = client.post(base + "/members", data={"csrf_token": csrf_from(r.get_data(as_text=True)), "members": "2",
                                             **MEMBER, "m1-family_name": "山田", "m1-given_name": "",
                                             "m1-birth-year": "平成31", "m1-birth-month": "5", "m1-birth-day": "1",
                                             "action": "continue"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "入力内容を確認してください" in body and 'href="#m1-given_name"' in body
    assert "令和" in body  # 平成31年5月1日 does not exist: the message names the era
    assert 'value="山田"' in body and 'value="昭和60"' in body
    # remove the broken row and go on
    r = client.post(base + "/members", data={"csrf_token": csrf_from(body), "members": "2", **MEMBER,
                                             "action": "remove-1"})
    assert 'name="m1-family_name"' not in r.get_data(as_text=True)
    r = client.post(base + "/members", data={"csrf_token": csrf_from(r.get_data(as_text=True)), "members": "1",
                                             **MEMBER, "action": "continue"})
    assert r.status_code == 302 and r.location.endswith("/addresses")

    # addresses: the lookup button fills the address without a script, and keeps what was typed
    page = client.get(base + "/addresses").get_data(as_text=True)
    r = client.post(base + "/addresses", data={"csrf_token": csrf_from(page), **ADDRESSES, "previous-address": "",
                                               "new-building": "ハイツ101", "action": "lookup-previous"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="東京都千代田区千代田"' in body and 'value="ハイツ101"' in body
    r = client.post(base + "/addresses", data={"csrf_token": csrf_from(body), **ADDRESSES, "new-postcode": "12",
                                               "action": "continue"})
    assert r.status_code == 422 and "7桁" in r.get_data(as_text=True)
    r = client.post(base + "/addresses", data={"csrf_token": csrf_from(r.get_data(as_text=True)), **ADDRESSES,
                                               "action": "continue"})
    assert r.status_code == 302 and r.location.endswith("/details")

    r = post(client, base + "/details", {"move_date-year": "令和8", "move_date-month": "11", "move_date-day": "28",
                                         "phone": "０９０－１２３４－５６７８"})
    assert r.status_code == 302 and r.location.endswith("/check")
    check = client.get(base + "/check").get_data(as_text=True)
    assert "ヤマダ タロウ" in check and "1985年4月1日" in check and "変更" in check
    with app.app_context():
        assert prefill.of_visit(visits.by_number(number)).status == prefill.DRAFT

    r = client.post(base + "/share", data={"csrf_token": csrf_from(check)})
    assert r.status_code == 302
    ready = client.get(r.location).get_data(as_text=True)
    assert number in ready and "<svg" in ready
    with app.app_context():
        assert prefill.of_visit(visits.by_number(number)).status == prefill.SHARED

    progress = client.get(f"/reserve/visit/{token}/progress")
    assert "次はここです" in progress.get_data(as_text=True)
    for page in (start, progress):  # personal data: never stored by a browser or a proxy
        assert page.headers["Cache-Control"] == "no-store"


def test_tokens_other_than_the_visits_own_are_refused(app):
    number, token = make_visit(app)
    other, _other_token = make_visit(app)
    client = fresh_client(app)
    assert client.get(f"/reserve/visit/{token[:-2]}xx/prefill").status_code == 404
    assert client.get("/reserve/visit/not-a-token/prefill").status_code == 404
    with app.app_context():
        stop = visits.stops(visits.by_number(number))[0]
        with app.test_request_context():
            from reservations import links
            single = links.manage_token(stop.number)  # a single booking's link opens no visit
            wrong_salt = links.manage_token(number)  # the visit's number under the single bookings' salt
    assert client.get(f"/reserve/visit/{single}/prefill").status_code == 404
    assert client.get(f"/reserve/visit/{wrong_salt}/prefill").status_code == 404
    assert client.get(f"/reserve/visit/{'x' * 5000}/prefill").status_code == 404
    # one visit's link shows that visit only
    fill(app, other)
    page = client.get(f"/reserve/visit/{token}/prefill/check")
    assert page.status_code == 302 and "ヤマダ" not in page.get_data(as_text=True)


def test_hostile_input_is_a_4xx(app):
    _number, token = make_visit(app)
    client = fresh_client(app)
    base = f"/reserve/visit/{token}/prefill"
    assert post(client, base + "/members", {"members": "1", **MEMBER, "action": "explode"}).status_code == 400
    r = post(client, base + "/members", {"members": "999999999999", **MEMBER, "m0-family_name": "x" * 5000,
                                         "m0-sex": "robot", "action": "continue"})
    assert r.status_code == 422
    assert client.get(base + "/addresses").status_code == 302  # no members yet: back to the first page
    assert client.post(base + "/members", data={"members": "1", **MEMBER}).status_code == 400  # no CSRF token
    r = post(client, base + "/members", {"members": "1", **MEMBER, "m0-family_name": "山\x00田", "action": "continue"})
    assert r.status_code == 400


def test_a_finished_visit_takes_no_household(app):
    _number, token = make_visit(app, status=m.CANCELLED)
    assert fresh_client(app).get(f"/reserve/visit/{token}/prefill").status_code == 410


# --- the counters -------------------------------------------------------------------------------

def _typed_fields(html: str) -> int:
    """Visible text boxes a person would have to fill on a page (the scan box excluded)."""
    return len([i for i in re.findall(r"<input[^>]*>", html) if 'type="text"' in i and 'name="number"' not in i
                and 'name="value"' not in i])


def _table(html: str, table_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found, table_id
    return found.group(0)


class Counted:
    """The staff's client, counting the form fields each post carries that a person fills in:
    all but the CSRF token and the buttons (``action``)."""

    NOT_TYPED = frozenset({"csrf_token", "action"})

    def __init__(self, client):
        self.client, self.typed = client, 0

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, url, data):
        self.typed += len([key for key in data if key not in self.NOT_TYPED])
        return self.client.post(url, data=data)


def test_counting_posted_fields_counts_what_a_person_fills_in():
    class Fake:
        def post(self, url, data):
            return data
    counted = Counted(Fake())
    counted.post("/x", {"csrf_token": "t", "action": "add", "add-family_name": "山田", "value": "x"})
    assert counted.typed == 2


def test_the_counter_walk_scan_print_done_next(app, staff_client):
    number, token = make_visit(app)
    fill(app, number)
    client = Counted(staff_client(policy.COUNTER))

    # the scanner types the QR code's URL into the number box
    scanned = f"https://example.jp/staff/visits/{number.lower()}"
    r = client.get("/staff/visits/", query_string={"number": scanned})
    assert r.status_code == 302 and r.location.endswith(f"/staff/visits/{number}")
    page = client.get(r.location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "山田" in html and "ヤマダ" in html and "1985年4月1日" in html
    assert html.count("済みにする") == 2  # both counters: this account works at every counter

    with app.app_context():
        first, second = visits.stops(visits.by_number(number))
        first_id, second_id = first.id, second.id
    pdf = client.get(f"/staff/visits/{number}/stops/{first_id}/forms.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert audits(app, "visit.print")[0]["forms"] == ["jumin_ido"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "山田" in text and "太郎" in text  # the resident's entry, printed
    kokuho = client.get(f"/staff/visits/{number}/stops/{second_id}/forms.pdf")
    assert kokuho.mimetype == "application/pdf" and audits(app, "visit.print")[1]["forms"] == ["kokuho_ido"]

    # before the first counter is done, 国保 does not expect them; 市民課 expects them at 10:00
    index = client.get("/staff/visits/").get_data(as_text=True)
    assert number not in _table(index, "coming-kokuho") + _table(index, "coming-shimin_ido")
    assert number in _table(index, "expected-shimin_ido") and "10:00" in _table(index, "expected-shimin_ido")
    assert number not in _table(index, "expected-kokuho")
    r = client.post(f"/staff/visits/{number}/stops/{first_id}/done", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302
    index = client.get("/staff/visits/").get_data(as_text=True)
    assert number in _table(index, "coming-kokuho")  # coming next at 国保
    assert number not in _table(index, "expected-shimin_ido")
    resident = fresh_client(app).get(f"/reserve/visit/{token}/progress").get_data(as_text=True)
    assert resident.count("済み") == 1 and "次はここです" in resident
    html = client.get(f"/staff/visits/{number}").get_data(as_text=True)
    client.post(f"/staff/visits/{number}/stops/{second_id}/done", data={"csrf_token": csrf_from(html)})
    resident = fresh_client(app).get(f"/reserve/visit/{token}/progress").get_data(as_text=True)
    assert "すべての窓口の手続きが終わりました" in resident

    assert client.typed == 0  # form fields a staff member filled in on the happy path
    with app.app_context():
        assert prefill.corrections(prefill.of_visit(visits.by_number(number))) == {}
    assert [a["counter"] for a in audits(app, "visit.stop_done")] == ["shimin_ido", "kokuho"]
    assert audits(app, "visit.view")


def test_a_correction_is_kept_beside_and_audited_without_the_value(app, staff_client):
    number, _token = make_visit(app)
    fill(app, number)
    client = staff_client(policy.COUNTER)
    html = client.get(f"/staff/visits/{number}").get_data(as_text=True)
    r = client.post(f"/staff/visits/{number}/correct", data={"csrf_token": csrf_from(html),
                                                             "path": "members[0].given_name", "value": "太朗"})
    assert r.status_code == 302
    html = client.get(r.location).get_data(as_text=True)
    assert "太郎" in html and "太朗" in html
    assert audits(app, "visit.correct") == [{"field": "members[0].given_name"}]
    bad = client.post(f"/staff/visits/{number}/correct", data={"csrf_token": csrf_from(html),
                                                               "path": "members[0].__dict__", "value": "x"})
    assert bad.status_code == 400


def test_a_refused_correction_says_why_and_keeps_what_was_typed(app, staff_client):
    number, _token = make_visit(app)
    fill(app, number)
    client = staff_client(policy.COUNTER)
    html = client.get(f"/staff/visits/{number}").get_data(as_text=True)
    cases = [("members[0].family_kana", "Yamada", "カタカナで入力してください"),
             ("members[0].sex", "robot", "性別を選びなおしてください"),
             ("members[1].relationship", "head", "世帯主は1人だけ"),
             ("members[0].birth_date", "平成31年5月1日", "令和"),
             ("new_address.postcode", "12", "7桁"),
             ("phone", "abc", "電話番号は")]
    for path, value, said in cases:
        r = client.post(f"/staff/visits/{number}/correct", data={"csrf_token": csrf_from(html), "path": path,
                                                                 "value": value})
        body = r.get_data(as_text=True)
        assert r.status_code == 422, path
        assert said in body and "入力内容を確認してください" in body
        field = "f-" + re.sub(r"[^a-z0-9]+", "-", path)
        assert f'href="#{field}"' in body and f'id="{field}-error"' in body
        if path.endswith(("sex", "relationship")):
            assert f'<select class="select" id="{field}"' in body
        else:
            assert f'value="{value}"' in body  # what was typed stays in its box
    r = client.post(f"/staff/visits/{number}/correct", data={"csrf_token": csrf_from(html),
                                                             "path": "members[0].family_kana", "value": "やまだ"})
    assert r.status_code == 302
    with app.app_context():
        record = prefill.of_visit(visits.by_number(number))
        assert list(prefill.corrections(record)) == ["members[0].family_kana"]
        assert prefill.corrections(record)["members[0].family_kana"]["value"] == "ヤマダ"


def test_the_counter_adds_a_member_and_marks_one_not_moving(app, staff_client):
    number, _token = make_visit(app)
    fill(app, number)
    client = staff_client(policy.COUNTER)
    html = client.get(f"/staff/visits/{number}").get_data(as_text=True)
    child = {"add-family_name": "山田", "add-given_name": "一郎", "add-family_kana": "やまだ",
             "add-given_kana": "いちろう", "add-birth-year": "令和2", "add-birth-month": "5", "add-birth-day": "5",
             "add-sex": "male", "add-relationship": "child", "add-relationship_text": ""}
    url = f"/staff/visits/{number}/members"
    r = client.post(url, data={"csrf_token": csrf_from(html), **child, "add-given_kana": "Ichiro", "action": "add"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "カタカナで入力してください" in body and 'href="#add-given_kana"' in body
    assert 'value="Ichiro"' in body and 'value="一郎"' in body and 'value="令和2"' in body
    r = client.post(url, data={"csrf_token": csrf_from(body), **child, "action": "add"})
    assert r.status_code == 302
    html = client.get(r.location).get_data(as_text=True)
    assert "一郎" in html and "イチロウ" in html and "（職員が追加）" in html
    r = client.post(url, data={"csrf_token": csrf_from(html), "action": "not_moving-1"})
    assert r.status_code == 302
    assert client.post(url, data={"csrf_token": csrf_from(html), "action": "remove-9"}).status_code == 400
    assert client.post(url, data={"csrf_token": csrf_from(html), "action": "drop table"}).status_code == 400
    assert audits(app, "visit.member") == [{"member": 3, "change": "add"}, {"member": 2, "change": "not_moving"}]
    with app.app_context():
        first_id = visits.stops(visits.by_number(number))[0].id
    pdf = client.get(f"/staff/visits/{number}/stops/{first_id}/forms.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "一郎" in text and "花子" not in text  # the added child printed, the one not moving not
    with app.app_context():
        record = prefill.of_visit(visits.by_number(number))
        assert [mb["given_name"] for mb in prefill.household(record)["members"]] == ["太郎", "花子"]


def test_nothing_is_shown_before_the_resident_sends_it(app, staff_client):
    number, _token = make_visit(app)
    fill(app, number, shared=False)
    html = staff_client(policy.COUNTER).get(f"/staff/visits/{number}").get_data(as_text=True)
    assert "山田" not in html and "事前入力をしていないか" in html


def test_an_unknown_number_and_a_role_without_rights(app, staff_client):
    number, _token = make_visit(app)
    fill(app, number)
    counter = staff_client(policy.COUNTER)
    assert counter.get("/staff/visits/", query_string={"number": "V99999999"}).status_code == 404
    assert counter.get("/staff/visits/<script>").status_code == 404
    for role in (policy.AUDITOR, policy.CURATOR):
        client = staff_client(role)
        assert client.get(f"/staff/visits/{number}").status_code == 403
        assert client.get("/staff/visits/").status_code == 403
        token = csrf_from(client.get("/staff/password").get_data(as_text=True))
        with app.app_context():
            stop_id = visits.stops(visits.by_number(number))[0].id
        assert client.post(f"/staff/visits/{number}/stops/{stop_id}/done", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert all(s.done_at is None for s in visits.stops(visits.by_number(number)))


def test_a_department_member_acts_at_their_own_counters_only(app, staff_client):
    number, _token = make_visit(app)
    fill(app, number)
    with app.app_context():
        from reservations.current import catalog
        department = catalog().counters["kokuho"].department
        first, _second = visits.stops(visits.by_number(number))
        first_id = first.id
    client = staff_client(policy.COUNTER, department)
    html = client.get(f"/staff/visits/{number}").get_data(as_text=True)
    assert html.count("済みにする") == 1
    assert client.get(f"/staff/visits/{number}/stops/{first_id}/forms.pdf").status_code == 403


def test_the_sex_and_relationship_boxes_offer_the_codes_with_the_current_one_chosen(app, staff_client):
    number, _token = make_visit(app)
    fill(app, number)
    html = staff_client(policy.COUNTER).get(f"/staff/visits/{number}").get_data(as_text=True)
    sex = re.search(r'<select class="select" id="f-members-1-sex".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="([^"]*)"', sex) == ["", "male", "female"] and 'value="female" selected' in sex
    rel = re.search(r'<select class="select" id="f-members-0-relationship".*?</select>', html, re.S).group(0)
    assert 'value="head" selected' in rel and 'value="other"' in rel
    assert 'id="f-members-0-family-name" name="value" type="text" autocomplete="off" value=""' in html
