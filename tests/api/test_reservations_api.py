"""The reservations JSON API (issue 5) on SQLite and PostgreSQL: services, availability (closed
days with their reason), booking (201, 409 slot_full, the rules' own codes, 400 per field), the
confirmation e-mail with an .ics read back by ``icalendar``, and get / cancel / move by the
signed token."""
from __future__ import annotations

import datetime as dt

import icalendar
from sqlalchemy import func, select

from reservations.slots import JST
from tests.api.reserving import booking_body, catalog, free_slot, open_days, person, today
from tests.conftest import fresh_client


def _post(client, body):
    return client.post("/api/v1/reservations", json=body)


def _remaining(client, slot, service_id="tenshutsu", site_id="shiyakusho"):
    day = slot.start.date().isoformat()
    r = client.get(f"/api/v1/reservations/availability?service_id={service_id}&site_id={site_id}&date={day}")
    assert r.status_code == 200
    return next(s["remaining"] for s in r.get_json()["slots"] if s["start"] == slot.start.isoformat())


def _token(manage_url: str) -> str:
    return manage_url.rsplit("/", 1)[-1]


def test_services_list_sites_and_minutes(client):
    services = {s["id"]: s for s in client.get("/api/v1/reservations/services").get_json()["services"]}
    tennyu = services["tennyu"]
    assert tennyu["duration_minutes"] == 45 and tennyu["name"].startswith("転入")
    assert {s["id"] for s in tennyu["sites"]} == {"shiyakusho", "kakogawa_center", "higashi_plaza", "shikata_center"}
    assert [s["id"] for s in services["koseki_todoke"]["sites"]] == ["shiyakusho"]
    assert client.get("/api/v1/reservations/services?lang=en").get_json()["services"][0]["name"].startswith("Moving")


def test_availability_gives_jst_slots_with_capacity_and_remaining(client):
    slot = free_slot(client.application)
    day = slot.start.date().isoformat()
    data = client.get(f"/api/v1/reservations/availability?service_id=tenshutsu&site_id=shiyakusho&date={day}").get_json()
    assert data["closed"] is None and data["slots"]
    first = data["slots"][0]
    assert first["start"] == f"{day}T08:30:00+09:00" and first["start"].endswith("+09:00")
    assert first["capacity"] == 3  # 市民課 住民異動: 3 of its 6 windows are for web bookings
    found = next(s for s in data["slots"] if s["start"] == slot.start.isoformat())
    assert found["remaining"] == 3 and found["bookable"] is True


def test_holidays_and_year_end_are_closed_with_their_reason(client):
    def get(site, day):
        return client.get(f"/api/v1/reservations/availability?service_id=tennyu&site_id={site}&date={day}").get_json()
    gw = get("shiyakusho", "2027-05-03")  # ゴールデンウィーク: 憲法記念日
    assert gw["slots"] == [] and gw["closed"]["code"] == "holiday" and "憲法記念日" in gw["closed"]["message"]
    assert get("shiyakusho", "2027-05-05")["closed"]["code"] == "holiday"  # こどもの日
    assert get("kakogawa_center", "2027-05-03")["slots"]  # the centre opens on holidays …
    for day in ("2026-12-29", "2026-12-31", "2027-01-03"):  # … but not for 年末年始
        data = get("kakogawa_center", day)
        assert data["slots"] == [] and data["closed"] == {"code": "year_end", "message": "年末年始"}
    assert get("shiyakusho", "2027-01-04")["slots"]  # 仕事始め
    assert get("shiyakusho", "2027-02-13")["closed"]["code"] == "weekday"  # a Saturday at City Hall
    assert "住民記録システム" in get("higashi_plaza", "2027-02-13")["closed"]["message"]  # a city closure


def test_availability_refuses_bad_input_per_field(client):
    r = client.get("/api/v1/reservations/availability?service_id=nope&site_id=shiyakusho&date=2026-13-01")
    assert r.status_code == 400
    fields = r.get_json()["error"]["fields"]
    assert set(fields) == {"service_id", "date"} and "予約できません" in fields["service_id"]
    r = client.get("/api/v1/reservations/availability?service_id=koseki_todoke&site_id=shikata_center&date=2027-01-05")
    assert r.status_code == 400 and "この場所では" in r.get_json()["error"]["fields"]["site_id"]


def test_book_then_get_cancel_and_the_place_comes_back(app):
    client = fresh_client(app)
    slot = free_slot(app)
    r = _post(client, booking_body(slot))
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert len(created["number"]) == 8 and "/api/v1/reservations/manage/" in created["manage_url"]
    assert _remaining(client, slot) == 2
    token = _token(created["manage_url"])
    got = client.get(f"/api/v1/reservations/manage/{token}").get_json()
    assert got["status"] == "confirmed" and got["start"] == slot.start.isoformat() and got["counter_id"] == "shimin_ido"
    assert "name" not in got and "email" not in got  # the token opens the booking, not the person's details
    r = client.delete(f"/api/v1/reservations/manage/{token}")
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    assert _remaining(client, slot) == 3
    r = client.delete(f"/api/v1/reservations/manage/{token}")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_cancellable"


def test_a_full_slot_answers_409_slot_full(app):
    client = fresh_client(app)
    slot = free_slot(app)
    for _ in range(3):
        assert _post(client, booking_body(slot)).status_code == 201
    r = _post(client, booking_body(slot))
    assert r.status_code == 409
    assert r.get_json()["error"] == {"code": "slot_full", "message": "この時間はいっぱいになりました。別の時間を選んでください。"}
    assert _remaining(client, slot) == 0
    from reservations.models import SeatClaim
    with app.app_context():
        from core.db import db
        claims = db.session.scalar(select(func.count()).select_from(SeatClaim).where(
            SeatClaim.counter_id == "shimin_ido", SeatClaim.unit_start == slot.start.astimezone(dt.UTC)))
    assert claims == 3


def test_rules_refuse_with_their_own_codes(app):
    client = fresh_client(app)
    cat = catalog()
    far = next(d for d in (today() + dt.timedelta(days=n) for n in range(cat.rules.horizon_days + 1, 60))
               if d.weekday() < 5)
    r = _post(client, booking_body(free_slot(app), start=dt.datetime.combine(far, dt.time(10), tzinfo=JST).isoformat()))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "too_far"
    past = dt.datetime.combine(today() - dt.timedelta(days=3), dt.time(10), tzinfo=JST)
    r = _post(client, booking_body(free_slot(app), start=past.isoformat()))
    assert r.status_code == 422 and r.get_json()["error"]["code"] in ("past", "no_slot")
    day = open_days("shiyakusho")[0]
    r = _post(client, booking_body(free_slot(app), start=dt.datetime.combine(day, dt.time(9, 7), tzinfo=JST).isoformat()))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "no_slot"
    r = _post(client, booking_body(free_slot(app), start="2027-05-03T10:00:00+09:00"))  # a holiday
    assert r.status_code == 422 and r.get_json()["error"]["code"] in ("no_slot", "too_far", "closed")


def test_one_booking_per_person_per_service_per_day_and_a_daily_cap(app):
    client = fresh_client(app)
    slot = free_slot(app)
    someone = person(email=None, phone="079-421-2000")
    someone["phone"] = f"0794{slot.start.strftime('%m%d%H')}"[:10]
    assert _post(client, {**booking_body(slot), **someone}).status_code == 201
    later = free_slot(app)
    same_day = next(s for s in _day_slots(app, slot.start.date(), "tenshutsu") if s.start != slot.start)
    r = _post(client, {**booking_body(same_day), **someone})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_booking"
    assert "同じ手続き" in r.get_json()["error"]["message"]
    # other services the same day: 3 in all, then daily_limit
    for service in ("setainushi", "tenkyo"):
        s = next(x for x in _day_slots(app, slot.start.date(), service) if x.start.hour >= 13)
        assert _post(client, {**booking_body(s, service_id=service), **someone}).status_code == 201
    s = next(x for x in _day_slots(app, slot.start.date(), "shomeisho") if x.start.hour >= 15)
    r = _post(client, {**booking_body(s, service_id="shomeisho"), **someone})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "daily_limit"
    assert later  # another day is not touched by the limits
    assert _post(client, {**booking_body(later), **someone}).status_code in (201, 409)


def _day_slots(app, day, service_id, site_id="shiyakusho"):
    from reservations import booking
    with app.app_context():
        return [a.slot for a in booking.availability(catalog(), service_id, site_id, day) if a.bookable and a.remaining]


def test_bad_input_gets_400_with_a_japanese_message_per_field(app):
    client = fresh_client(app)
    r = _post(client, {"service_id": "tenshutsu", "site_id": "koko", "start": "tomorrow", "name": "",
                       "name_kana": "taro", "email": "not-an-address", "phone": "12"})
    assert r.status_code == 400
    fields = r.get_json()["error"]["fields"]
    assert set(fields) >= {"site_id", "start", "name", "name_kana", "email", "phone"}
    assert fields["name"] == "お名前を入力してください。" and "カタカナ" in fields["name_kana"]
    r = _post(client, {**booking_body(free_slot(app)), "email": "", "phone": ""})
    assert r.status_code == 400 and "どちらか" in r.get_json()["error"]["fields"]["email"]
    assert _post(client, ["not", "an", "object"]).status_code == 400
    r = client.post("/api/v1/reservations", data="{", content_type="application/json")
    assert r.status_code == 400


def test_the_confirmation_mail_carries_an_ics_that_icalendar_reads_back(app):
    from core.db import db
    from core.outbox import OutboxMessage, _build
    client = fresh_client(app)
    slot = free_slot(app, "tennyu", "kakogawa_center")
    body = booking_body(slot, service_id="tennyu", site_id="kakogawa_center")
    number = _post(client, body).get_json()["number"]
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"reservation-confirmed:{number}"))
        assert row is not None and row.recipient == body["email"] and number in row.subject
        mail = _build(row)
        text = mail.get_body(("plain",)).get_content()
        assert number in text and "加古川市民センター" in text and "/reserve/manage/" in text
        ics = next(p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar")
        assert ics.get_filename() == f"yoyaku-{number}.ics"
    event = icalendar.Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert start == slot.start and start.utcoffset() == dt.timedelta(hours=9)
    assert event.decoded("dtend") - start == dt.timedelta(minutes=45)
    assert "転入" in str(event["summary"]) and "加古川市民センター" in str(event["location"])
    assert number in str(event["uid"]) and number in str(event["description"])


def test_move_gives_a_new_number_and_keeps_the_old_place_if_the_new_one_is_full(app):
    client = fresh_client(app)
    slot, target = free_slot(app), free_slot(app)
    created = _post(client, booking_body(slot)).get_json()
    token = _token(created["manage_url"])
    for _ in range(3):  # fill the target
        assert _post(client, booking_body(target)).status_code == 201
    r = client.patch(f"/api/v1/reservations/manage/{token}", json={"start": target.start.isoformat()})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_full"
    assert client.get(f"/api/v1/reservations/manage/{token}").get_json()["status"] == "confirmed"
    assert _remaining(client, slot) == 2  # the old place is still held by the booking
    other = free_slot(app)
    r = client.post(f"/api/v1/reservations/manage/{token}/move", json={"start": other.start.isoformat()})
    assert r.status_code == 200, r.get_json()
    moved = r.get_json()
    assert moved["number"] != created["number"] and moved["start"] == other.start.isoformat()
    old = client.get(f"/api/v1/reservations/manage/{token}").get_json()
    assert old["status"] == "cancelled" and old["moved_to"] == moved["number"]
    assert _remaining(client, slot) == 3 and _remaining(client, other) == 2
    r = client.patch(f"/api/v1/reservations/manage/{_token(moved['manage_url'])}", json={"start": "soon"})
    assert r.status_code == 400 and "start" in r.get_json()["error"]["fields"]


def test_a_bad_token_is_404(client):
    from reservations import links
    for method in ("get", "delete", "patch"):
        r = getattr(client, method)("/api/v1/reservations/manage/not-a-token", json={"start": "2027-01-05T10:00:00+09:00"})
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    with client.application.test_request_context():
        forged = links.manage_token("ZZZZZZZZ")  # well signed, no such booking
        from intake.links import status_token
        other_purpose = status_token("ACDEFGHJ")  # a token of another purpose never opens a booking
    assert client.get(f"/api/v1/reservations/manage/{forged}").status_code == 404
    assert client.get(f"/api/v1/reservations/manage/{other_purpose}").status_code == 404
