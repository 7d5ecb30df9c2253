"""混雑状況 pages (reservations/crowding_views.py): /crowding and /crowding/<site> in ja, en and
やさしい日本語 (tables with text, valid HTML), the widget /embed/crowding/<site> framable by the
city's homepage only, the JSON matching its OpenAPI schema, the links from the reservation pages
and the hall displays, and hostile input (unknown site, bad dates) refused 404/400 in the
reader's language."""
from __future__ import annotations

import datetime as dt
import re

import jsonschema_rs
import pytest
from sqlalchemy import delete

from core.db import db
from core.japan_time import JST
from reservations import models as m
from reservations import queue as walkin
from tests.html_check import html_problems


@pytest.fixture(autouse=True)
def _clean(app):
    def wipe():
        with app.app_context():
            db.session.execute(delete(m.WalkInTicket))
            db.session.commit()
    wipe()
    yield
    wipe()


def _waiting(app, n: int) -> None:
    with app.app_context():
        today = walkin.today()
        for _ in range(n):
            walkin.issue("shiyakusho", "shimin_ido", today)
        db.session.commit()


def test_the_page_of_every_site_shows_the_people_waiting_now(app, client):
    _waiting(app, 3)
    r = client.get("/crowding?lang=ja")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html_problems(html) == []
    assert r.headers["Cache-Control"] == "no-store"
    assert "窓口の混雑状況" in html and 'id="crowding-live"' in html and 'aria-live="polite"' in html
    row = re.search(r"<tr><th scope=\"row\">市民課 住民異動[^<]*</th><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>", html)
    assert row and row.group(1) == "3人" and row.group(2).startswith("約")
    assert 'href="/crowding/shiyakusho"' in html and "最新の情報にする" in html
    assert "/reserve/static/crowding.js" in html


def test_a_sites_page_has_a_table_of_the_coming_days_with_words(client):
    r = client.get("/crowding/shiyakusho?lang=ja")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html_problems(html) == []
    days = html[html.index('class="table crowding-days"'):]
    assert "<caption>日ごとの混み具合の予想</caption>" in days and '<th scope="col">日付</th>' in days
    assert "空いている" in days  # the level in words (never colour alone)
    assert "土曜日は休み" in days  # City Hall is closed on Saturdays
    assert re.search(r'<th scope="row">\d{4}年\d{1,2}月\d{1,2}日（[月火水木金土日]）', days)
    assert 'href="/reserve"' in html


@pytest.mark.parametrize("lang,words", [("en", ("How busy the counters are", "Quiet")),
                                        ("easy", ("まって いる", "いている"))])
def test_the_pages_in_other_languages(client, lang, words):
    html = client.get(f"/crowding/shiyakusho?lang={lang}").get_data(as_text=True)
    assert html_problems(html) == []
    assert all(w in html or w in client.get(f"/crowding?lang={lang}").get_data(as_text=True) for w in words)


def test_the_level_on_the_page_follows_the_bookings(app, client):
    """A day whose seats are mostly booked shows 混んでいる."""
    day = walkin.today() + dt.timedelta(days=7)
    with app.app_context():
        start = dt.datetime.combine(day, dt.time(8, 30), tzinfo=JST).astimezone(dt.UTC)
        r = m.Reservation(number="CRWD0001", service_id="tennyu", site_id="shiyakusho", counter_id="shimin_ido",
                          start=start, end=start, day=day, channel="web", status=m.CONFIRMED, created_at=start)
        db.session.add(r)
        db.session.flush()
        for k in range(6 * 35):  # every seat of the day
            db.session.add(m.SeatClaim(reservation_id=r.id, counter_id="shimin_ido",
                                       unit_start=start + dt.timedelta(minutes=15 * (k // 6)), seat=k % 6))
        db.session.commit()
    body = client.get("/api/v1/reservations/crowding/shiyakusho?lang=ja").get_json()
    cells = {c["counter_id"]: c for d in body["days"] if d["date"] == day.isoformat() for c in d["counters"]}
    assert cells["shimin_ido"]["level"] == "busy" and cells["shimin_ido"]["fill_percent"] == 100
    assert cells["kokuho"]["level"] == "quiet"
    html = client.get("/crowding/shiyakusho?lang=ja").get_data(as_text=True)
    assert "混んでいる" in html
    with app.app_context():
        db.session.execute(delete(m.SeatClaim))
        db.session.execute(delete(m.Reservation))
        db.session.commit()


def test_the_widget_is_framable_by_the_homepage_only(app, client):
    r = client.get("/embed/crowding/shiyakusho?lang=en")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html_problems(html) == []
    csp = r.headers["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", csp).group(1)
    assert "'self'" in ancestors and "'none'" not in ancestors and "X-Frame-Options" not in r.headers
    assert "site-header" not in html and "/static/js/embed-frame.js" in html
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in html
    for href in re.findall(r'<a [^>]*href="([^"]+)"', html):
        assert "lang=en" in href, href
    assert 'target="_top"' in html  # the full page refuses frames: it opens in the whole window
    page = client.get("/crowding/shiyakusho")
    assert page.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def _schema(client, name: str) -> dict:
    doc = client.get("/api/v1/openapi.json").get_json()
    return {**doc["components"]["schemas"][name], "components": doc["components"]}


def test_the_json_matches_its_openapi_schema(app, client):
    _waiting(app, 2)
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/reservations/crowding/{site_id}"]["get"]
    assert set(op["responses"]) == {"200", "400", "404"}
    validator = jsonschema_rs.Draft202012Validator(_schema(client, "Crowding"))
    for lang in ("ja", "en"):
        body = client.get(f"/api/v1/reservations/crowding/shiyakusho?lang={lang}").get_json()
        assert [str(e) for e in validator.iter_errors(body)] == []
    assert next(c for c in body["now"] if c["counter_id"] == "shimin_ido")["waiting"] == 2
    assert [lv["id"] for lv in body["levels"]] == ["quiet", "normal", "busy"]
    error = jsonschema_rs.Draft202012Validator(_schema(client, "Error"))
    refused = client.get("/api/v1/reservations/crowding/nowhere")
    assert refused.status_code == 404 and list(error.iter_errors(refused.get_json())) == []


@pytest.mark.parametrize("path,status,ja,en", [
    ("/crowding/nowhere", 404, "この場所はありません。", "No such place."),
    ("/embed/crowding/nowhere", 404, "この場所はありません。", "No such place."),
    ("/crowding/shiyakusho?from=2026-02-30", 400, "日付を YYYY-MM-DD の形で指定してください。", "YYYY-MM-DD"),
    ("/crowding/shiyakusho?from=%00%27", 400, "", ""),
    ("/crowding/shiyakusho?from=2999-01-01", 400, "日先までの日付を指定してください。", "days ahead"),
    ("/crowding/shiyakusho?from=2000-01-01", 400, "日先までの日付を指定してください。", "days ahead"),
    ("/api/v1/reservations/crowding/shiyakusho?from=tomorrow", 400, "YYYY-MM-DD", "YYYY-MM-DD"),
])
def test_hostile_input_is_refused_in_the_readers_language(client, path, status, ja, en):
    for lang, words in (("ja", ja), ("en", en)):
        r = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        assert r.status_code == status, (path, lang)
        assert words in r.get_data(as_text=True), (path, lang)


def test_the_reservation_pages_and_the_hall_displays_link_here(client):
    assert 'href="/crowding"' in client.get("/reserve?lang=ja").get_data(as_text=True)
    assert 'href="/crowding"' in client.get("/display/?lang=ja").get_data(as_text=True)


def test_the_days_shown_move_by_the_packs_span_within_the_horizon(client):
    html = client.get("/crowding/shiyakusho?lang=ja").get_data(as_text=True)
    today = walkin.today()
    later = (today + dt.timedelta(days=14)).isoformat()
    assert f'href="/crowding/shiyakusho?from={later}">次の14日</a>' in html and "前の14日" not in html
    moved = client.get(f"/crowding/shiyakusho?from={later}&lang=ja").get_data(as_text=True)
    assert html_problems(moved) == []
    first_row = re.search(r'<tbody>\s*<tr><th scope="row">(\d{4})年(\d{1,2})月(\d{1,2})日', moved)
    assert dt.date(*map(int, first_row.groups())) == today + dt.timedelta(days=14)
    assert 'href="/crowding/shiyakusho">前の14日</a>' in moved
