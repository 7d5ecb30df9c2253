"""Counter reservations on the staff console (/staff/reservations): the day's list (audited),
check-in by a typed or scanned number (lower case, full width, hyphens), the refusals (wrong day,
unknown, cancelled, another counter, twice), no-show after the start, cancellation on request,
a booking taken on the phone, the day's CSV (UTF-8 with BOM and Shift_JIS) and who may open what."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata

import pytest

from core import policy
from core.db import db
from core.japan_time import JST
from reservations import models as m
from tests.conftest import csrf_from
from tests.web.staff_reservations_helpers import add_booking, audits, clean, open_day, reservation, today


@pytest.fixture(autouse=True)
def _clean(app):
    yield
    clean(app)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _checkin(client, number: str, **form):
    page = client.get("/staff/reservations/").get_data(as_text=True)
    return client.post("/staff/reservations/checkin", data={"csrf_token": csrf_from(page), "number": number, **form})


def test_the_day_view_lists_todays_bookings_in_time_order_and_is_audited(app, staff_client):
    late, late_name = add_booking(app, start=dt.datetime.combine(today(), dt.time(15, 0), JST))
    early, early_name = add_booking(app, start=dt.datetime.combine(today(), dt.time(9, 0), JST))
    client = staff_client(policy.COUNTER)
    r = client.get("/staff/reservations/?site=shiyakusho&counter=shimin_ido")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert early_name in html and late_name in html
    assert html.index(early) < html.index(late)
    assert 'id="number"' in html and "autofocus" in html
    listed = audits(app, "reservation.list", f"shiyakusho:{today().isoformat()}")
    assert listed and listed[-1]["actor"] == client.login_id and early in listed[-1]["details"]["numbers"]


def test_check_in_by_a_number_typed_in_lower_case_full_width_with_hyphens(app, staff_client):
    number, name = add_booking(app)
    client = staff_client(policy.COUNTER)
    typed = _full_width(f"{number[:4].lower()}-{number[4:].lower()}")
    assert unicodedata.normalize("NFKC", typed) != number
    r = _checkin(client, typed, site="shiyakusho", counter="shimin_ido", day=today().isoformat())
    assert r.status_code == 302
    after = reservation(app, number)
    assert after.status == m.CHECKED_IN and after.checked_in_at is not None
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "受付しました" in page and number in page and name in page
    assert audits(app, "reservation.checkin", number)[-1]["result"] == "ok"
    again = _checkin(client, number)  # scanned twice
    assert again.status_code == 409 and "受付済み" in again.get_data(as_text=True)


@pytest.mark.parametrize("case, status, words", [
    ("unknown", 404, "見つかりません"),
    ("wrong_day", 422, "今日の予約ではありません"),
    ("cancelled", 409, "取り消されています"),
    ("empty", 400, "予約番号を入力"),
])
def test_check_in_refusals_say_why(app, staff_client, case, status, words):
    number = "ACDEFGHJ"
    if case == "wrong_day":
        number, _n = add_booking(app, day=today() + dt.timedelta(days=1))
    elif case == "cancelled":
        number, _n = add_booking(app, status=m.CANCELLED)
    elif case == "empty":
        number = "  "
    client = staff_client(policy.COUNTER)
    r = _checkin(client, number)
    html = r.get_data(as_text=True)
    assert r.status_code == status
    assert words in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    if case == "wrong_day":
        day = today() + dt.timedelta(days=1)
        assert f"{day.year}年{day.month}月{day.day}日" in html
        assert reservation(app, number).status == m.CONFIRMED
    if case != "empty":
        assert audits(app, "reservation.checkin")[-1]["result"] == "failed"


def test_a_booking_at_another_departments_counter_is_named_not_checked_in(app, staff_client):
    number, name = add_booking(app, counter_id="shimin_ido")
    client = staff_client(policy.DEPARTMENT, "kokuho")
    r = _checkin(client, number)
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "市民課 住民異動" in html and name not in html
    assert reservation(app, number).status == m.CONFIRMED
    listed = client.get("/staff/reservations/").get_data(as_text=True)
    assert name not in listed  # the day view of a kokuho member shows kokuho's counter only


def test_a_late_arrival_marked_no_show_is_still_checked_in(app, staff_client):
    number, _name = add_booking(app, status=m.NO_SHOW)
    client = staff_client(policy.COUNTER)
    assert _checkin(client, number).status_code == 302
    assert reservation(app, number).status == m.CHECKED_IN


def test_no_show_only_after_the_start(app, staff_client):
    now = dt.datetime.now(JST)
    past, _a = add_booking(app, start=now - dt.timedelta(minutes=20))
    future, _b = add_booking(app, start=now + dt.timedelta(hours=2))
    client = staff_client(policy.COUNTER)
    page = client.get("/staff/reservations/").get_data(as_text=True)
    token = csrf_from(page)
    early = client.post(f"/staff/reservations/{future}/no-show", data={"csrf_token": token})
    assert early.status_code == 409 and "予約の時間になる前" in early.get_data(as_text=True)
    assert reservation(app, future).status == m.CONFIRMED
    r = client.post(f"/staff/reservations/{past}/no-show", data={"csrf_token": token})
    assert r.status_code == 302
    assert reservation(app, past).status == m.NO_SHOW
    assert audits(app, "reservation.no_show", past)


def test_staff_cancel_on_request_after_a_confirmation_page(app, staff_client):
    number, name = add_booking(app, start=dt.datetime.now(JST) + dt.timedelta(minutes=10))  # too late for the resident
    client = staff_client(policy.COUNTER)
    page = client.get(f"/staff/reservations/{number}/cancel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and name in html and "取り消しますか" in html
    r = client.post(f"/staff/reservations/{number}/cancel", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302
    assert reservation(app, number).status == m.CANCELLED
    assert audits(app, "reservation.cancel", number)[-1]["details"]["by"] == "staff"
    assert client.get("/staff/reservations/NOPE1234/cancel").status_code == 404


def test_a_phone_booking_uses_the_phone_seats_and_is_audited(app, staff_client):
    day = open_day("shiyakusho")
    client = staff_client(policy.COUNTER)
    page = client.get(f"/staff/reservations/phone?service=tenshutsu&site=shiyakusho&day={day.isoformat()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="start"' in html
    start = re.search(rf'name="start" value="({day.isoformat()}[^"]+)"', html).group(1)  # the first time offered
    tail = "4321"
    tail_wide = tail.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    bad = client.post("/staff/reservations/phone", data={
        "csrf_token": csrf_from(html), "service": "tenshutsu", "site": "shiyakusho", "day": day.isoformat(),
        "start": start, "name": "", "name_kana": "abc", "phone_number": "12"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "お名前を入力" in text and "カタカナ" in text and "市外局番から数字で" in text
    r = client.post("/staff/reservations/phone", data={
        "csrf_token": csrf_from(html), "service": "tenshutsu", "site": "shiyakusho", "day": day.isoformat(),
        "start": start, "name": "電話 花子", "name_kana": "でんわ はなこ", "phone_number": f"０７９-４２１-{tail_wide}",
        "email": f"denwa.{tail}@example.jp"})  # this test's own number: bookings elsewhere count per person
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    number = r.headers["Location"].split("number=")[1].split("&")[0]
    booked = reservation(app, number)
    assert booked.channel == "phone" and booked.status == m.CONFIRMED
    assert booked.name_kana == "デンワ ハナコ" and booked.phone == f"079421{tail}"
    assert audits(app, "reservation.create", number)[-1]["details"]["channel"] == "phone"
    done = client.get(r.headers["Location"]).get_data(as_text=True)
    assert number in done and "予約番号をお伝えください" in done
    assert any(number in subject for subject in _mail_subjects(app, f"denwa.{tail}@example.jp"))


def _mail_subjects(app, recipient: str) -> list[str]:
    from core.outbox import OutboxMessage
    with app.app_context():
        return [o.subject for o in db.session.query(OutboxMessage).all() if o.recipient == recipient]


def test_the_days_csv_in_utf8_with_bom_and_in_shift_jis(app, staff_client):
    number, _name = add_booking(app, name="髙橋 一郎")
    client = staff_client(policy.COUNTER)
    r = client.get(f"/staff/reservations/export.csv?site=shiyakusho&day={today().isoformat()}")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][0] == "予約番号"
    line = next(row for row in rows if row[0] == number)
    assert "髙橋 一郎" in line and "0794212000" in line
    s = client.get(f"/staff/reservations/export.csv?site=shiyakusho&day={today().isoformat()}&encoding=shift_jis")
    assert "shift_jis" in s.headers["Content-Type"]
    sjis_rows = list(csv.reader(io.StringIO(s.data.decode("cp932"))))
    assert any(row[0] == number for row in sjis_rows)
    exports = audits(app, "reservation.export")
    assert [e["details"]["format"] for e in exports[-2:]] == ["csv", "csv-shift_jis"]


@pytest.mark.parametrize("role, departments, expected", [
    (policy.ADMIN, "", {"day": 200, "queue": 200, "phone": 200, "overrides": 200, "stats": 200}),
    (policy.DEPARTMENT, "shimin", {"day": 200, "queue": 200, "phone": 200, "overrides": 200, "stats": 200}),
    (policy.COUNTER, "", {"day": 200, "queue": 200, "phone": 200, "overrides": 403, "stats": 403}),
    (policy.AUDITOR, "", {"day": 403, "queue": 403, "phone": 403, "overrides": 403, "stats": 200}),
    (policy.CURATOR, "", {"day": 403, "queue": 403, "phone": 403, "overrides": 403, "stats": 403}),
])
def test_each_role_opens_what_the_policy_says(app, staff_client, role, departments, expected):
    client = staff_client(role, departments)
    paths = {"day": "/staff/reservations/", "queue": "/staff/reservations/queue", "phone": "/staff/reservations/phone",
             "overrides": "/staff/reservations/overrides", "stats": "/staff/reservations/stats"}
    got = {k: client.get(p).status_code for k, p in paths.items()}
    assert got == expected
    home = client.get("/staff/").get_data(as_text=True)
    assert ("/staff/reservations/stats" in home) == (expected["stats"] == 200)


def test_an_auditor_cannot_check_in_or_export(app, staff_client):
    number, _name = add_booking(app)
    client = staff_client(policy.AUDITOR)
    token = csrf_from(client.get("/staff/password").get_data(as_text=True))
    assert client.post("/staff/reservations/checkin", data={"csrf_token": token, "number": number}).status_code == 403
    assert client.get(f"/staff/reservations/export.csv?day={today().isoformat()}").status_code == 403
    assert reservation(app, number).status == m.CONFIRMED


@pytest.mark.parametrize("bad", [
    {"name": "", "name_kana": "abc", "email": "x@", "phone": "12"},
    {"name": "名" * 61, "name_kana": "かな" * 31, "email": "a b@example.jp", "phone": "0794212000999"},
    {"name": "加古川 太郎", "name_kana": "カコガワ タロウ1", "email": "", "phone": "079-421-2000x"},
])
def test_staff_and_resident_bookings_refuse_the_same_person_data_with_the_same_messages(app, client, staff_client, bad):
    """One validator (reservations.person.check_person) for the residents' API and pages and the
    staff's phone booking: each field's message on the resident side is on the staff page too."""
    from tests.api.reserving import free_slot
    slot = free_slot(app)
    resident = client.post("/api/v1/reservations", json={"service_id": "tenshutsu", "site_id": "shiyakusho",
                                                          "start": slot.start.isoformat(), **bad})
    assert resident.status_code == 400
    messages = resident.get_json()["error"]["fields"]
    assert messages
    day = slot.start.date()
    staff = staff_client(policy.COUNTER)
    page = staff.get(f"/staff/reservations/phone?service=tenshutsu&site=shiyakusho&day={day.isoformat()}")
    r = staff.post("/staff/reservations/phone", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "service": "tenshutsu", "site": "shiyakusho",
        "day": day.isoformat(), "start": slot.start.isoformat(), "name": bad["name"], "name_kana": bad["name_kana"],
        "email": bad["email"], "phone_number": bad["phone"]})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    for field, message in messages.items():
        assert message in html, (field, message)
