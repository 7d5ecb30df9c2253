"""Staff date fields (issue #9): the browser's date picker with the 和暦 beside it (server-rendered
for the current value), YYYY-MM-DD accepted as before (full-width digits too), a non-date kept
as typed; and the phone booking picking its day on the availability calendar."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from core import policy
from staff.date_fields import date_value, parse_iso, wareki_of
from tests.conftest import csrf_from
from tests.web.staff_reservations_helpers import clean, open_day


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-04-01", "令和8年4月1日（水）"),
    ("２０１９-０５-０１", "令和元年5月1日（水）"),
    ("2019-04-30", "平成31年4月30日（火）"),
    (dt.date(1989, 1, 7), "昭和64年1月7日（土）"),
    ("2026-02-30", ""),
    ("yesterday", ""),
    ("9" * 30 + "-1-1", ""),
    ("", ""),
])
def test_wareki_of_a_field_value(raw, expected):
    assert wareki_of(raw) == expected


def test_date_value_keeps_what_was_typed():
    assert date_value({"from-year": "2026", "from-month": "4", "from-day": "1"}, "from") == "2026-04-01"
    assert date_value({"from-year": "2026", "from-month": "2", "from-day": "30"}, "from") == "2026-2-30"
    assert date_value({}, "from", "２０２６-４-１") == "2026-04-01"
    assert date_value({}, "from", "きのう") == "きのう"
    assert parse_iso("2026-4-1") == dt.date(2026, 4, 1) and parse_iso(None) is None


def _field(html: str, field_id: str) -> str:
    """The markup of one date field: from its label to the next form group (or the end)."""
    start = html.index(f'<label class="label" for="{field_id}"')
    end = html.find('<div class="form-group', start)
    return html[start:end if end > 0 else len(html)]


def test_audit_search_dates_are_pickers_with_wareki(staff_client):
    client = staff_client(policy.AUDITOR)
    html = client.get("/staff/audit/?from=2026-04-01&to=2026-04-30").get_data(as_text=True)
    field = _field(html, "from")
    assert 'type="date"' in field and 'value="2026-04-01"' in field
    assert '和暦：<span data-wareki-text' in field and 'lang="ja">令和8年4月1日（水）</span>' in field
    assert 'lang="ja">令和8年4月30日（木）</span>' in _field(html, "to")
    assert 'aria-describedby="from-hint from-wareki"' in field
    assert "/static/js/staff-date.js" in html


def test_statistics_period_shows_wareki_and_links_errors_to_the_field(staff_client):
    client = staff_client(policy.AUDITOR)
    html = client.get("/staff/stats/?from=2026-04-01&to=2026-04-03").get_data(as_text=True)
    assert 'lang="ja">令和8年4月1日（水）</span>' in _field(html, "from-year")
    bad = client.get("/staff/stats/?from=2026-04-10&to=2026-04-01")
    assert bad.status_code == 400 and 'href="#to-year"' in bad.get_data(as_text=True)


def test_day_view_date_field_accepts_full_width_and_keeps_a_wrong_date(staff_client):
    client = staff_client(policy.COUNTER)
    html = client.get("/staff/reservations/?day=２０２６-０４-０１").get_data(as_text=True)
    field = _field(html, "day")
    assert 'type="date"' in field and "令和8年4月1日（水）" in field
    bad = client.get("/staff/reservations/?day=2026-02-30")
    field = _field(bad.get_data(as_text=True), "day")
    assert bad.status_code == 400 and 'type="text"' in field and 'value="2026-02-30"' in field
    assert 'aria-invalid="true"' in field


def test_overrides_form_uses_the_date_field(staff_client):
    html = staff_client(policy.ADMIN).get("/staff/reservations/overrides").get_data(as_text=True)
    assert 'name="day" type="date"' in html


@pytest.fixture
def _clean(app):
    clean(app)
    yield
    clean(app)


def test_phone_booking_picks_the_day_on_the_calendar_then_a_time(app, staff_client, _clean):
    client = staff_client(policy.COUNTER)
    day = open_day("shiyakusho")
    r = client.get("/staff/reservations/phone?service=tenshutsu&site=shiyakusho")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "reserve-calendar__table" in html and "電話用の枠" in html
    assert "<select" not in html.split("reserve-calendar")[1]  # no long select of times
    links = re.findall(r'href="(/staff/reservations/phone\?[^"]*day=(\d{4}-\d{2}-\d{2})[^"]*)"', html)
    if day.month != dt.date.today().month and not any(d == day.isoformat() for _u, d in links):
        html = client.get(f"/staff/reservations/phone?service=tenshutsu&site=shiyakusho&month={day:%Y-%m}").get_data(as_text=True)
        links = re.findall(r'href="(/staff/reservations/phone\?[^"]*day=(\d{4}-\d{2}-\d{2})[^"]*)"', html)
    url = next(u for u, d in links if d == day.isoformat()).replace("&amp;", "&")
    times = client.get(url.split("#")[0]).get_data(as_text=True)
    assert 'aria-current="date"' in times and 'type="radio"' in times and 'name="start"' in times
    assert "和暦：" in _field(times, "day")
    start = re.search(rf'name="start" value="({day.isoformat()}[^"]+)"', times).group(1)
    no_day = client.post("/staff/reservations/phone", data={
        "csrf_token": csrf_from(times), "service": "tenshutsu", "site": "shiyakusho", "day": "", "start": start,
        "name": "電話 一郎", "name_kana": "デンワ イチロウ", "phone_number": "0794212000", "email": ""})
    assert no_day.status_code == 400 and "日付を選んでください。" in no_day.get_data(as_text=True)
    assert 'value="電話 一郎"' in no_day.get_data(as_text=True)  # nothing typed is lost
