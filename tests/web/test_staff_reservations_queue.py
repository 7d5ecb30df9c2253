"""The walk-in queue on the console and the public hall display: issue a number (the printable
ticket), call the next one to a window, done and no-show, the display showing the called numbers
with their windows and the estimated wait — without a login and without any personal data —
and the statistics of bookings and walk-ins."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from core import policy
from core.db import db
from core.japan_time import JST
from reservations import models as m
from reservations import queue as walkin
from tests.conftest import csrf_from, fresh_client
from tests.web.staff_reservations_helpers import add_booking, audits, clean, today


@pytest.fixture(autouse=True)
def _clean(app):
    clean(app)
    yield
    clean(app)


def _queue(client, counter="shimin_ido", window=""):
    return client.get(f"/staff/reservations/queue?counter={counter}&window={window}")


def _issue(client, counter="shimin_ido"):
    token = csrf_from(_queue(client, counter).get_data(as_text=True))
    return client.post("/staff/reservations/queue/issue", data={"csrf_token": token, "counter": counter})


def _call(client, window, counter="shimin_ido"):
    token = csrf_from(_queue(client, counter).get_data(as_text=True))
    return client.post("/staff/reservations/queue/call", data={"csrf_token": token, "counter": counter, "window": window})


def test_issue_print_call_done_and_the_hall_display(app, staff_client):
    client = staff_client(policy.COUNTER)
    first = _issue(client)
    assert first.status_code == 302 and "/queue/tickets/" in first.headers["Location"]
    ticket = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "A-001" in ticket and "data-print" in ticket and "あなたの前に0人" in ticket
    second = client.get(_issue(client).headers["Location"]).get_data(as_text=True)
    assert "A-002" in second and "あなたの前に1人" in second and "約45分" not in second

    called = _call(client, "3")
    assert called.status_code == 302
    page = client.get(called.headers["Location"]).get_data(as_text=True)
    assert "A-001 番 → 3番窓口" in page

    hall = fresh_client(app)  # no login: a screen in the hall
    display = hall.get("/display/shiyakusho")
    html = display.get_data(as_text=True)
    assert display.status_code == 200
    assert "A-001" in html and "3番窓口" in html
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in html
    assert re.search(r'<script src="/static/js/display.js" nonce="[^"]+"', html)
    assert "1人待ち" in html  # A-002 still waits

    nobody_left = client.get(_call(client, "3").headers["Location"]).get_data(as_text=True)
    assert "A-002 番 → 3番窓口" in nobody_left  # A-001 was done by calling the next
    with app.app_context():
        rows = {t.number: t for t in db.session.query(m.WalkInTicket).filter_by(counter_id="shimin_ido", day=today())}
        assert rows[1].status == walkin.DONE and rows[1].done_at is not None
        assert rows[2].status == walkin.CALLED and rows[2].window == "3"
        second_id = rows[2].id
    token = csrf_from(nobody_left)
    assert client.post(f"/staff/reservations/queue/tickets/{second_id}/no-show",
                       data={"csrf_token": token}).status_code == 302
    empty = client.get(_call(client, "3").headers["Location"]).get_data(as_text=True)
    assert "お待ちの方はいません" in empty


def test_calling_needs_a_window_number(app, staff_client):
    client = staff_client(policy.COUNTER)
    _issue(client)
    r = _call(client, " ")
    page = client.get(r.headers["Location"])
    assert page.status_code == 400 and "窓口の番号を入力" in page.get_data(as_text=True)


def test_the_display_never_shows_names_or_reservation_numbers(app, staff_client):
    number, name = add_booking(app, name="表示 されない")
    client = staff_client(policy.COUNTER)
    _issue(client)
    _call(client, "1")
    html = fresh_client(app).get("/display/shiyakusho").get_data(as_text=True)
    assert name not in html and number not in html
    assert fresh_client(app).get("/display/nowhere").status_code == 404
    listing = fresh_client(app).get("/display/").get_data(as_text=True)
    assert "/display/shiyakusho" in listing


def test_department_staff_see_only_their_counters_queue(app, staff_client):
    client = staff_client(policy.DEPARTMENT, "kokuho")
    assert _queue(client, "shimin_ido").status_code == 404
    assert _queue(client, "kokuho").status_code == 200


def test_statistics_count_bookings_cancellations_no_shows_and_walk_in_waits(app, staff_client):
    day = today() - dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(10, 0), JST)
    for status, channel in [(m.CHECKED_IN, "web"), (m.CHECKED_IN, "phone"), (m.NO_SHOW, "web"),
                            (m.CANCELLED, "web"), (m.CONFIRMED, "staff")]:
        add_booking(app, counter_id="kokuho", service_id="kokuho", start=start, status=status, channel=channel)
    with app.app_context():
        issued = dt.datetime.combine(day, dt.time(9, 0), JST).astimezone(dt.UTC)
        for i, wait in enumerate((10, 20), start=1):
            db.session.add(m.WalkInTicket(site_id="shiyakusho", counter_id="kokuho", day=day, number=i, status="done",
                                          issued_at=issued, called_at=issued + dt.timedelta(minutes=wait),
                                          done_at=issued + dt.timedelta(minutes=wait + 5), window="1"))
        db.session.commit()
    client = staff_client(policy.AUDITOR)
    args = f"from={day.isoformat()}&to={day.isoformat()}"
    page = client.get(f"/staff/reservations/stats?{args}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "国民健康保険課" in html and "15.0" in html  # the average walk-in wait
    r = client.get(f"/staff/reservations/stats.csv?{args}")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    counter = next(row for row in rows if row[2] == "窓口別" and row[3] == "kokuho")
    # 予約済み, 受付済み, 来庁なし, 取消し, 合計, 来庁なしの割合 (1 of 3 known outcomes)
    assert counter[5:] == ["1", "2", "1", "1", "5", "33.3%"]
    phone = next(row for row in rows if row[2] == "受付の経路別" and row[3] == "phone")
    assert phone[9] == "1"
    walk = next(row for row in rows if row[2] == "順番待ち（予約なし）")
    assert walk[4:] == ["2", "2", "0", "15.0", "5.0"]
    sjis = client.get(f"/staff/reservations/stats.csv?{args}&encoding=shift_jis")
    assert "国民健康保険課" in sjis.data.decode("cp932")
    assert audits(app, "staff.export", "reservation_stats")
    bad = client.get("/staff/reservations/stats?from-year=2026&from-month=2&from-day=30")
    assert bad.status_code == 400
