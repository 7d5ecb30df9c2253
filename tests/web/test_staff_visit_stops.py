"""A visit (まとめて予約) on the staff console (/staff/reservations): the desk checks in by the visit's
受付番号 (the one in the resident's QR code and mails) and sees the itinerary, the day list shows
each stop with its visit and n/m, a stop's cancellation asks what to cancel (this counter or the
whole visit) and mails the visit's change, the CSV names the visit, the statistics count a visit
once; and the resident's time form sent twice holds one visit."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from core import policy
from core.db import db
from core.japan_time import JST
from reservations import booking
from reservations import models as m
from tests.conftest import csrf_from, fresh_client
from tests.html_check import html_problems
from tests.web.staff_reservations_helpers import audits, clean, today

STOPS = (("shimin_ido", "tennyu", "tennyu_todoke", 45), ("kokuho", "kokuho", "kokuho_kanyu", 30),
         ("kodomo_teate", "jido_teate", "jido_teate_nintei", 30))


@pytest.fixture(autouse=True)
def _clean(app):
    yield
    clean(app)
    with app.app_context():
        for table in (m.SeatClaim, m.Reservation, m.Visit):
            db.session.execute(table.__table__.delete())
        db.session.commit()


def add_visit(app, day: dt.date | None = None, email: str | None = "family@example.jp") -> tuple[str, list[str]]:
    """A confirmed visit of three stops from 9:00 (rows only, no seats). Returns (visit number, stop numbers)."""
    day = day or today()
    start = dt.datetime.combine(day, dt.time(9, 0), JST)
    with app.app_context():
        now = dt.datetime.now(dt.UTC)
        v = m.Visit(number="V" + booking.new_number(), site_id="shiyakusho", day=day, start=start, end=start,
                    status=m.CONFIRMED, locale="ja", procedures=",".join(s[2] for s in STOPS),
                    result_path="/guide/tennyu/result?a=1", created_at=now)
        db.session.add(v)
        db.session.flush()
        numbers = []
        for order, (counter, service, procedure, minutes) in enumerate(STOPS, start=1):
            end = start + dt.timedelta(minutes=minutes)
            r = m.Reservation(number=booking.new_number(), service_id=service, site_id="shiyakusho", counter_id=counter,
                              procedures=procedure, start=start.astimezone(dt.UTC), end=end.astimezone(dt.UTC), day=day,
                              channel="web", status=m.CONFIRMED, locale="ja", name="加古川 花子", name_kana="カコガワ ハナコ",
                              email=email, created_at=now, confirmed_at=now, visit_id=v.id, stop_order=order)
            db.session.add(r)
            numbers.append(r.number)
            start = end
        v.end = start.astimezone(dt.UTC)
        db.session.commit()
        return v.number, numbers


def _status(app, number: str) -> str:
    with app.app_context():
        return db.session.scalar(select(m.Reservation.status).where(m.Reservation.number == number))


def _visit_status(app, number: str) -> str:
    with app.app_context():
        return db.session.scalar(select(m.Visit.status).where(m.Visit.number == number))


def _checkin(client, number: str, **form):
    page = client.get("/staff/reservations/").get_data(as_text=True)
    return client.post("/staff/reservations/checkin", data={"csrf_token": csrf_from(page), "number": number, **form})


def test_the_visit_number_checks_in_the_stop_at_this_counter_and_shows_the_itinerary(app, staff_client):
    visit, stops = add_visit(app)
    desk = staff_client(policy.COUNTER)  # a counter member without departments: every counter
    r = _checkin(desk, f"{visit[:4].lower()}-{visit[4:]}", site="shiyakusho", counter="shimin_ido")
    assert r.status_code == 302 and stops[0] in r.headers["Location"]
    assert [_status(app, n) for n in stops] == [m.CHECKED_IN, m.CONFIRMED, m.CONFIRMED]
    page = desk.get(r.headers["Location"]).get_data(as_text=True)
    assert html_problems(page) == []
    assert "受付しました" in page and f"まとめて予約 {visit}（1/3番目の窓口）" in page
    assert "国民健康保険課" in page and "（この窓口）" in page  # the counters still to come
    again = _checkin(desk, visit, site="shiyakusho", counter="shimin_ido")  # scanned twice at 市民課
    assert again.status_code == 409 and "受付済み" in again.get_data(as_text=True)
    assert _status(app, stops[1]) == m.CONFIRMED  # never the next counter's stop
    record = audits(app, "reservation.checkin", stops[0])[-1]
    assert record["details"]["visit"] == visit and record["details"]["stop"] == 1
    kokuho = staff_client(policy.DEPARTMENT, "kokuho")  # the next counter scans the same code
    assert _checkin(kokuho, visit).status_code == 302 and _status(app, stops[1]) == m.CHECKED_IN
    shimin = staff_client(policy.DEPARTMENT, "katei_shien")
    assert _checkin(shimin, visit).status_code == 302 and _status(app, stops[2]) == m.CHECKED_IN


def test_a_visit_number_at_a_counter_not_on_its_way_names_the_next_counter(app, staff_client):
    visit, stops = add_visit(app)
    other = staff_client(policy.DEPARTMENT, "shimin")
    with app.app_context():
        db.session.execute(m.Reservation.__table__.update().where(m.Reservation.number == stops[0])
                           .values(status=m.CHECKED_IN))
        db.session.commit()
    r = _checkin(other, visit)
    assert r.status_code == 409 and "受付済み" in r.get_data(as_text=True)
    later, _stops = add_visit(app, day=today() + dt.timedelta(days=1), email="later@example.jp")
    r = _checkin(other, later)
    assert r.status_code == 422 and "今日の予約ではありません" in r.get_data(as_text=True)


def test_the_day_list_and_csv_show_each_stop_with_its_visit(app, staff_client):
    visit, stops = add_visit(app)
    client = staff_client(policy.COUNTER)
    html = client.get("/staff/reservations/?site=shiyakusho").get_data(as_text=True)
    for n, number in enumerate(stops, start=1):
        assert number in html
        assert f"まとめて予約 {visit}（{n}/3番目の窓口）" in html
    rows = list(csv.reader(io.StringIO(client.get("/staff/reservations/export.csv?site=shiyakusho")
                                       .data.decode("utf-8-sig"))))
    assert rows[0][-1] == "まとめて予約"
    assert next(row for row in rows if row[0] == stops[1])[-1] == f"まとめて予約 {visit}（2/3番目の窓口）"


def test_cancelling_a_stop_asks_what_to_cancel_and_mails_the_visits_change(app, staff_client):
    visit, stops = add_visit(app)
    client = staff_client(policy.COUNTER)
    url = f"/staff/reservations/{stops[1]}/cancel?site=shiyakusho"
    page = client.get(url).get_data(as_text=True)
    assert "取り消す範囲" in page and "まとめて予約のすべての窓口を取り消す" in page and visit in page
    assert html_problems(page) == []
    r = client.post(url, data={"csrf_token": csrf_from(page)})
    assert r.status_code == 400 and "取り消す範囲を選んでください。" in r.get_data(as_text=True)
    assert html_problems(r.get_data(as_text=True)) == [] and 'href="#scope"' in r.get_data(as_text=True)
    assert _status(app, stops[1]) == m.CONFIRMED
    r = client.post(url, data={"csrf_token": csrf_from(page), "scope": "stop"})
    assert r.status_code == 302
    assert [_status(app, n) for n in stops] == [m.CONFIRMED, m.CANCELLED, m.CONFIRMED]
    assert _visit_status(app, visit) == m.CONFIRMED
    from core.outbox import OutboxMessage
    with app.app_context():
        mails = {o.dedupe_key: o.subject for o in db.session.scalars(select(OutboxMessage))}
        procedures = db.session.scalar(select(m.Visit.procedures).where(m.Visit.number == visit))
    assert mails == {f"visit-changed:{visit}:{stops[1]}": mails[f"visit-changed:{visit}:{stops[1]}"]}
    assert visit in mails[f"visit-changed:{visit}:{stops[1]}"] and stops[1] not in mails[f"visit-changed:{visit}:{stops[1]}"]
    assert procedures == "tennyu_todoke,jido_teate_nintei"
    record = audits(app, "reservation.cancel", stops[1])[-1]
    assert record["details"]["visit"] == visit and record["details"]["scope"] == "stop"
    html = client.get("/staff/reservations/?site=shiyakusho").get_data(as_text=True)
    assert f"まとめて予約 {visit}（2/2番目の窓口）" in html  # the counter left after 市民課
    from reservations import links
    with app.test_request_context():
        token = links.visit_manage_token(visit)
    manage = fresh_client(app).get(f"/reserve/visit/manage/{token}").get_data(as_text=True)
    assert "市民課" in manage and "国民健康保険課" not in manage  # the resident's itinerary without it
    page = client.get(f"/staff/reservations/{stops[0]}/cancel?site=shiyakusho").get_data(as_text=True)
    r = client.post(f"/staff/reservations/{stops[0]}/cancel", data={"csrf_token": csrf_from(page), "scope": "whole_visit",
                                                                    "site": "shiyakusho"})
    assert r.status_code == 302
    assert [_status(app, n) for n in stops] == [m.CANCELLED] * 3 and _visit_status(app, visit) == m.CANCELLED
    with app.app_context():
        keys = set(db.session.scalars(select(OutboxMessage.dedupe_key)))
    assert f"visit-cancelled:{visit}" in keys and not any(k.startswith("reservation-") for k in keys)


def test_the_statistics_count_the_visit_once_and_each_counter(app, staff_client):
    add_visit(app)
    client = staff_client(policy.ADMIN)
    day = today().isoformat()
    html = client.get(f"/staff/reservations/stats?from={day}&to={day}").get_data(as_text=True)
    assert "まとめて予約は、日別と予約の方法別では1件" in html
    summary = re.search(r"予約件数</dt><dd[^>]*>(\d+)</dd>.*?うち、まとめて予約</dt><dd[^>]*>(\d+)</dd>", html, re.S)
    assert summary and summary.groups() == ("1", "1")
    counters = html[html.index('id="per-counter-caption"'):]
    foot = re.search(r"<tfoot>(.*?)</tfoot>", counters, re.S).group(1)
    assert re.findall(r'<td class="numeric">([\d.%]*)</td>', foot)[-2] == "3"  # 合計: one per counter


def test_the_residents_time_form_sent_twice_holds_one_visit(app):
    from tests.web.test_visit_pages import QUERY, _html
    client = fresh_client(app)
    page = _html(client.get(f"/reserve/visit?{QUERY}"))
    days_url = re.search(r'href="(/reserve/visit/days\?[^"]+)"', page).group(1).replace("&amp;", "&")
    day_url = re.search(r'href="(/reserve/visit/day/\d{4}-\d\d-\d\d\?[^"]+)"',
                        _html(client.get(days_url))).group(1).replace("&amp;", "&")
    times = _html(client.get(day_url))
    key = re.search(r'name="hold_key" value="([^"]+)"', times).group(1)
    starts = re.findall(r'name="start" value="([^"]+)"', times)
    form = {"csrf_token": csrf_from(times), "start": starts[0], "hold_key": key}
    first = client.post(day_url, data=form)
    second = client.post(day_url, data={**form, "start": starts[-1]})  # the same form again (another time clicked)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(m.Visit)) == 1
    assert client.post(day_url, data={**form, "hold_key": "short"}).status_code == 400


def test_a_confirmation_refused_because_its_twin_confirmed_first_leads_to_done(app, monkeypatch):
    from reservations import visit
    from tests.web.test_visit_pages import _html, _to_details
    client = fresh_client(app)
    details_url = _to_details(client)
    page = _html(client.get(details_url))
    r = client.post(details_url, data={"csrf_token": csrf_from(page), "name": "加古川 花子", "name_kana": "カコガワ ハナコ",
                                       "email": "twin@example.jp", "phone": ""})
    confirm_url = r.location
    page = _html(client.get(confirm_url))
    real = visit.confirm

    def twin_won(catalog, v, **kw):  # the other request of a double click confirms and commits first
        real(catalog, v, **kw)
        db.session.commit()
        raise booking.BookingError("hold_expired", booking.HOLD_EXPIRED, status=409)

    monkeypatch.setattr(visit, "confirm", twin_won)
    r = client.post(confirm_url, data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302 and "/done" in r.location
    with app.app_context():
        assert db.session.scalar(select(m.Visit.status)) == m.CONFIRMED


def test_the_move_form_sent_twice_moves_once(app):
    from reservations import links
    from tests.web.test_visit_pages import _html, _to_details
    client = fresh_client(app)
    details_url = _to_details(client)
    page = _html(client.get(details_url))
    r = client.post(details_url, data={"csrf_token": csrf_from(page), "name": "加古川 花子", "name_kana": "カコガワ ハナコ",
                                       "email": "twice@example.jp", "phone": ""})
    page = _html(client.get(r.location))
    assert client.post(r.location, data={"csrf_token": csrf_from(page)}).status_code == 302
    with app.app_context():
        number = db.session.scalar(select(m.Visit.number))
    with app.test_request_context():
        manage = f"/reserve/visit/manage/{links.visit_manage_token(number)}"
    days = _html(client.get(f"{manage}/move"))
    day_url = re.search(r'href="(/reserve/visit/manage/[^"]+/move/\d{4}-\d\d-\d\d)"', days).group(1)
    times = _html(client.get(day_url))
    form = {"csrf_token": csrf_from(times), "start": re.findall(r'name="start" value="([^"]+)"', times)[0]}
    first, second = client.post(day_url, data=form), client.post(day_url, data=form)
    assert first.status_code == second.status_code == 302 and "changed=1" in second.location
    from core.outbox import OutboxMessage
    with app.app_context():
        moved = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.dedupe_key.like("visit-moved:%")))
    assert moved == 1
