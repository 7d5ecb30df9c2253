"""まとめて予約 pages (SQLite and PostgreSQL): from the guide's link to the 受付番号, times in 午前 /
午後 groups, errors that keep what was typed, 4xx for hostile input, the signed manage link
(cancel, move) and the way back to the guide result on every page after booking."""
from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import func, select

from core.db import db
from reservations import models as m
from tests.conftest import csrf_from, fresh_client

PROCS = "tennyu_todoke,kokuho_kanyu,jido_teate_nintei"
BACK = "/guide/tennyu/result?move_date=2026-12-01&children=2"
DUE = "2026-12-15"
QUERY = f"procedures={PROCS}&back={quote(BACK, safe='')}&due={DUE}"


def _html(r) -> str:
    return r.get_data(as_text=True)


def _to_details(client):
    page = _html(client.get(f"/reserve/visit?{QUERY}"))
    assert "まとめて予約" in page and "国民健康保険課" in page and "約105分" in page
    days_url = re.search(r'href="(/reserve/visit/days\?[^"]+)"', page).group(1).replace("&amp;", "&")
    days = _html(client.get(days_url))
    assert "期限" in days and "<caption" in days
    day_url = re.search(r'href="(/reserve/visit/day/\d{4}-\d\d-\d\d\?[^"]+)"', days).group(1).replace("&amp;", "&")
    times = client.get(day_url)
    html = _html(times)
    assert times.status_code == 200 and "<legend" in html and ("午前" in html or "午後" in html)
    starts = re.findall(r'name="start" value="([^"]+)"', html)
    assert starts and len(starts) == len(set(starts))
    bad = client.post(day_url, data={"csrf_token": csrf_from(html), "start": "2020-01-01T10:00:00+09:00"})
    assert bad.status_code == 400 and "時間を選んでください。" in _html(bad)
    r = client.post(day_url, data={"csrf_token": csrf_from(html), "start": starts[0]})
    assert r.status_code == 302 and "/details" in r.location
    return r.location


def test_a_visit_from_the_guide_to_the_number_and_back(app):
    client = fresh_client(app)
    details_url = _to_details(client)
    page = _html(client.get(details_url))
    typed = {"csrf_token": csrf_from(page), "name": "加古川 花子", "name_kana": "", "email": "family@example.jp",
             "phone": ""}
    r = client.post(details_url, data=typed)
    assert r.status_code == 400 and "加古川 花子" in _html(r) and "family@example.jp" in _html(r)  # kept
    r = client.post(details_url, data={**typed, "name_kana": "カコガワ ハナコ"})
    assert r.status_code == 302 and "/confirm" in r.location
    page = _html(client.get(r.location))
    r = client.post(r.location, data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302 and "/done" in r.location
    done = _html(client.get(r.location))
    assert "予約が完了しました" in done and f'href="{BACK.replace("&", "&amp;")}"' in done
    with app.app_context():
        v = db.session.scalar(select(m.Visit))
        assert v.status == m.CONFIRMED and v.result_path == BACK
        stops = db.session.scalars(select(m.Reservation).where(m.Reservation.visit_id == v.id)
                                   .order_by(m.Reservation.stop_order)).all()
        assert [s.counter_id for s in stops] == ["shimin_ido", "kokuho", "kodomo_teate"]
        assert all(s.status == m.CONFIRMED for s in stops)
    manage_url = re.search(r'href="(/reserve/visit/manage/[^"]+)"', done).group(1)
    manage = _html(client.get(manage_url))
    assert "予約の確認" in manage and BACK.replace("&", "&amp;") in manage
    # the household's forms can be filled in at home (事前入力), and the day's progress followed
    token = manage_url.rsplit("/", 1)[1]
    assert f'href="/reserve/visit/{token}/prefill"' in done and f'href="/reserve/visit/{token}/prefill"' in manage
    assert f'href="/reserve/visit/{token}/progress"' in manage
    assert client.get(f"/reserve/visit/{token}/prefill").status_code == 200
    move_days = _html(client.get(f"{manage_url}/move"))
    day_url = re.search(r'href="(/reserve/visit/manage/[^"]+/move/\d{4}-\d\d-\d\d)"', move_days).group(1)
    times = _html(client.get(day_url))
    start = re.findall(r'name="start" value="([^"]+)"', times)[0]
    r = client.post(day_url, data={"csrf_token": csrf_from(times), "start": start})
    assert r.status_code == 302 and "changed=1" in r.location
    cancel = _html(client.get(f"{manage_url}/cancel"))
    r = client.post(f"{manage_url}/cancel", data={"csrf_token": csrf_from(cancel)})
    assert r.status_code == 200 and "予約を取り消しました" in _html(r) and BACK.replace("&", "&amp;") in _html(r)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(m.SeatClaim)) == 0


def test_hostile_input_is_a_4xx_and_a_foreign_back_is_dropped(client):
    assert client.get("/reserve/visit?procedures=tennyu_todoke,<script>").status_code == 400
    assert client.get("/reserve/visit?procedures=hoikuen_nyuen_unknown").status_code == 400
    assert client.get("/reserve/visit?procedures=").status_code == 404  # nothing to book
    assert client.get(f"/reserve/visit?procedures={PROCS}&due=2026-13-45").status_code == 400
    assert client.get(f"/reserve/visit?procedures={PROCS}&site=nowhere").status_code == 404
    assert client.get(f"/reserve/visit/day/2026-02-30?procedures={PROCS}").status_code == 404
    assert client.get(f"/reserve/visit/day/not-a-day?procedures={PROCS}").status_code == 404
    assert client.get("/reserve/visit/manage/forged-token").status_code == 404
    assert client.get("/reserve/visit/VAAAAAAAA/details").status_code == 404
    for foreign in ("https://evil.example/guide/x", "//evil.example/guide/x", "/staff/", "/guide/../staff",
                    "javascript:alert(1)", "/guide/\\evil"):
        r = client.get(f"/reserve/visit?procedures={PROCS}&back={quote(foreign, safe='')}")
        assert r.status_code == 400, foreign
        r = client.get(f"/reserve/visit/days?procedures={PROCS}&back={quote(foreign, safe='')}")
        assert r.status_code == 400, foreign


def test_a_full_stop_fails_the_whole_visit_and_keeps_nothing(app):
    from reservations import booking, visit
    from reservations.current import catalog as current_catalog
    client = fresh_client(app)
    page = _html(client.get(f"/reserve/visit?{QUERY}"))
    days_url = re.search(r'href="(/reserve/visit/days\?[^"]+)"', page).group(1).replace("&amp;", "&")
    day_url = re.search(r'href="(/reserve/visit/day/\d{4}-\d\d-\d\d\?[^"]+)"',
                        _html(client.get(days_url))).group(1).replace("&amp;", "&")
    times = _html(client.get(day_url))
    start = re.findall(r'name="start" value="([^"]+)"', times)[0]
    with app.test_request_context():
        cat = current_catalog()
        itin = visit.itinerary(cat, PROCS.split(","))
        import datetime as dt
        slots = visit.chain(cat, itin, dt.datetime.fromisoformat(start))
        teate = slots[2]
        for n in range(len(booking.seat_range(teate, "web"))):  # someone takes the last counter meanwhile
            booking.book(cat, "jido_teate", "shiyakusho", teate.start, name="加古川 次郎", name_kana="カコガワ ジロウ",
                         email=f"other{n}@example.jp", phone=None)
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(m.SeatClaim))
    r = client.post(day_url, data={"csrf_token": csrf_from(times), "start": start})
    assert r.status_code == 400 and "時間を選んでください。" in _html(r)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(m.Visit)) == 0
        assert db.session.scalar(select(func.count()).select_from(m.SeatClaim)) == before


def test_the_guide_result_offers_one_booking_for_the_visit(client):
    result = "/guide/moving_in/result?date=2026-12-01&n=2&m0.relation=self&m0.age=35&m1.relation=child&m1.age=3"
    page = _html(client.get(result))
    link = re.search(r'href="(/reserve/visit\?[^"]+)"', page)
    assert link, "no まとめて予約 button"
    assert page.index("まとめて予約") < page.index('class="visit"')  # above the visits
    url = link.group(1).replace("&amp;", "&")
    from urllib.parse import parse_qs, urlsplit
    q = parse_qs(urlsplit(url).query)
    procs = q["procedures"][0].split(",")
    assert procs[0] == "tennyu_todoke" and len(procs) >= 2
    assert q["back"][0].startswith("/guide/moving_in/result?") and "m1.age=3" in q["back"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", q["due"][0])
    assert client.get(url).status_code == 200


def test_a_single_booking_from_the_guide_leads_back_to_the_result(app):
    from tests.api.reserving import free_slot
    client = fresh_client(app)
    slot = free_slot(app, "tenshutsu", "shiyakusho")
    carry = f"procedures=tenshutsu_todoke&back={quote(BACK, safe='')}"
    url = f"/reserve/tenshutsu/shiyakusho/{slot.start.date().isoformat()}?{carry}"
    page = _html(client.get(url))
    key = re.search(r'name="hold_key" value="([^"]+)"', page).group(1)
    r = client.post(url, data={"csrf_token": csrf_from(page), "start": slot.start.isoformat(), "hold_key": key})
    assert r.status_code == 302 and "back=" in r.location
    page = _html(client.get(r.location))
    r = client.post(r.location, data={"csrf_token": csrf_from(page), "name": "加古川 花子", "name_kana": "カコガワ ハナコ",
                                      "email": "single@example.jp", "phone": ""})
    page = _html(client.get(r.location))
    r = client.post(r.location, data={"csrf_token": csrf_from(page)})
    done = _html(client.get(r.location))
    back_href = f'href="{BACK.replace("&", "&amp;")}"'
    assert back_href in done
    manage_url = re.search(r'href="(http://[^"]*/reserve/manage/[^"]+)"', done).group(1).replace("&amp;", "&")
    manage_url = manage_url.split("://", 1)[1].split("/", 1)[1]
    manage = _html(client.get("/" + manage_url))
    assert back_href in manage
    cancel_url = re.search(r'href="(/reserve/manage/[^"]+/cancel[^"]*)"', manage).group(1).replace("&amp;", "&")
    page = _html(client.get(cancel_url))
    cancelled = _html(client.post(cancel_url, data={"csrf_token": csrf_from(page)}))
    assert "予約を取り消しました" in cancelled and back_href in cancelled
    foreign = _html(client.get("/reserve/tenshutsu/shiyakusho?procedures=tenshutsu_todoke&back=https%3A%2F%2Fevil.example%2F"))
    assert "evil.example/&" not in foreign and 'href="https://evil' not in foreign  # dropped, never a link


def test_the_hold_is_extended_for_every_stop_and_keeps_what_was_typed(app):
    client = fresh_client(app)
    details_url = _to_details(client)
    page = _html(client.get(details_url))
    assert "仮押さえを延ばす" in page
    number = details_url.split("/reserve/visit/", 1)[1].split("/", 1)[0]
    extend_url = details_url.replace("/details", "/extend")
    r = client.post(extend_url, data={"csrf_token": csrf_from(page), "name": "加古川 花子", "name_kana": "",
                                      "email": "", "phone": ""})
    assert r.status_code == 200 and "仮押さえを延ばしました。" in _html(r) and "加古川 花子" in _html(r)
    with app.app_context():
        v = db.session.scalar(select(m.Visit).where(m.Visit.number == number))
        stops = db.session.scalars(select(m.Reservation).where(m.Reservation.visit_id == v.id)).all()
        assert len(stops) == 3 and all(s.hold_extensions == 1 for s in stops)
    assert fresh_client(app).post(extend_url, data={}).status_code in (400, 404)  # not this browser's visit
