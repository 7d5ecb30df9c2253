"""Staff changes to one day (/staff/reservations/overrides): a closure removes every slot of the
site that day, changed windows change the capacity, changed hours change the slots — through
booking.availability and booking.hold, as residents see them — each change audited with the day
before and after, listed, and taken back."""
from __future__ import annotations

import datetime as dt

import pytest

from core import policy
from core.db import db
from core.japan_time import JST
from reservations import booking, overrides
from reservations import models as m
from reservations.loader import load_catalog
from tests.conftest import csrf_from
from tests.web.staff_reservations_helpers import audits, clean, open_day


@pytest.fixture(autouse=True)
def _clean(app):
    clean(app)
    yield
    clean(app)


@pytest.fixture(scope="module")
def cat():
    return load_catalog("kakogawa")


def _set(client, **form):
    token = csrf_from(client.get("/staff/reservations/overrides").get_data(as_text=True))
    return client.post("/staff/reservations/overrides", data={"csrf_token": token, **form})


def _slots(app, cat, day, service="tenshutsu", site="shiyakusho", channel="web"):
    with app.app_context():
        return booking.availability(cat, service, site, day, channel=channel,
                                    now=dt.datetime.combine(day, dt.time(0, 0), dt.UTC) - dt.timedelta(days=2))


def test_a_closure_removes_the_days_slots_and_hold_refuses(app, staff_client, cat):
    day = open_day("shiyakusho")
    assert _slots(app, cat, day)
    client = staff_client(policy.DEPARTMENT, "shimin")
    r = _set(client, kind="closure", site="shiyakusho", day=day.isoformat(), reason="停電のため")
    assert r.status_code == 302
    assert _slots(app, cat, day) == []
    with app.app_context():
        start = dt.datetime.combine(day, dt.time(9, 0), JST)
        with pytest.raises(booking.BookingError) as refused:
            booking.hold(cat, "tenshutsu", "shiyakusho", start, now=start - dt.timedelta(days=2))
        db.session.rollback()
        assert refused.value.code == "no_slot"
    record = audits(app, "reservation.calendar", f"closure:shiyakusho:{day.isoformat()}")[-1]
    assert record["details"]["before"]["closed"] is None and record["details"]["after"]["closed"] == "closure"
    assert record["details"]["reason"] == "停電のため"
    page = client.get("/staff/reservations/overrides").get_data(as_text=True)
    assert "停電のため" in page and "臨時休業" in page

    with app.app_context():
        override_id = db.session.query(m.CalendarOverride).filter_by(active=True).one().id
    token = csrf_from(page)
    assert client.post(f"/staff/reservations/overrides/{override_id}/deactivate",
                       data={"csrf_token": token}).status_code == 302
    assert _slots(app, cat, day)
    removed = audits(app, "reservation.calendar", f"closure:shiyakusho:{day.isoformat()}")[-1]
    assert removed["details"]["change"] == "removed" and removed["details"]["after"]["closed"] is None


def test_windows_change_the_capacity(app, staff_client, cat):
    day = open_day("shiyakusho")
    before = _slots(app, cat, day, channel="staff")
    client = staff_client(policy.ADMIN)
    assert _set(client, kind="windows", counter="shimin_ido", day=day.isoformat(), windows="９").status_code == 302
    after = _slots(app, cat, day, channel="staff")
    assert [a.slot.start for a in after] == [a.slot.start for a in before]
    assert {a.slot.capacity for a in after} == {9}
    assert max(a.remaining for a in after) == 9
    assert _set(client, kind="windows", counter="shimin_ido", day=day.isoformat(), windows="1").status_code == 302
    narrowed = _slots(app, cat, day, channel="web")
    assert {a.slot.capacity for a in narrowed} == {1} and max(a.remaining for a in narrowed) <= 1
    record = audits(app, "reservation.calendar", f"windows:shimin_ido:{day.isoformat()}")[-1]
    assert record["details"]["before"]["windows"]["shimin_ido"] == 9
    assert record["details"]["after"]["windows"]["shimin_ido"] == 1
    with app.app_context():  # the newest replaces the earlier one
        assert db.session.query(m.CalendarOverride).filter_by(active=True).count() == 1


def test_hours_change_the_slots_and_open_a_closed_day(app, staff_client, cat):
    day = open_day("shiyakusho")
    client = staff_client(policy.ADMIN)
    r = _set(client, kind="hours", site="shiyakusho", day=day.isoformat(), hours="９：００〜１０：００、13:00-13:30")
    assert r.status_code == 302
    starts = [a.slot.start.strftime("%H:%M") for a in _slots(app, cat, day)]
    assert starts == ["09:00", "09:15", "09:30", "09:45", "13:00", "13:15"]
    sunday = day + dt.timedelta(days=(6 - day.weekday()) % 7 or 7)
    assert _slots(app, cat, sunday) == []
    assert _set(client, kind="hours", site="shiyakusho", day=sunday.isoformat(), hours="10:00-11:00").status_code == 302
    assert len(_slots(app, cat, sunday)) == 4


@pytest.mark.parametrize("form, field, words", [
    ({"kind": "hours", "site": "shiyakusho", "hours": "17:00-9:00"}, "hours", "終了の時刻は開始の時刻より後"),
    ({"kind": "hours", "site": "shiyakusho", "hours": "9:00-12:00, 11:00-13:00"}, "hours", "重なっています"),
    ({"kind": "windows", "counter": "shimin_ido", "windows": "0"}, "windows", "1から50まで"),
    ({"kind": "closure", "site": "shiyakusho", "reason": ""}, "reason", "理由を入力"),
    ({"kind": "closure", "site": "nowhere", "reason": "x"}, "site", "庁舎を選んで"),
])
def test_bad_input_is_refused_with_the_typed_values_kept(app, staff_client, form, field, words):
    day = open_day("shiyakusho")
    client = staff_client(policy.ADMIN)
    r = _set(client, day=day.isoformat(), **form)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and words in html and f'href="#{field}"' in html
    assert day.isoformat() in html
    with app.app_context():
        assert db.session.query(m.CalendarOverride).count() == 0


def test_a_past_day_cannot_be_changed(app, staff_client):
    client = staff_client(policy.ADMIN)
    r = _set(client, kind="closure", site="shiyakusho", day="2020-01-06", reason="x")
    assert r.status_code == 400 and "過ぎた日" in r.get_data(as_text=True)


def test_department_staff_change_only_their_counters_and_sites(app, staff_client):
    day = open_day("kakogawa_center")
    client = staff_client(policy.DEPARTMENT, "kokuho")
    assert _set(client, kind="windows", counter="shimin_ido", day=day.isoformat(), windows="2").status_code == 400
    assert _set(client, kind="closure", site="kakogawa_center", day=day.isoformat(), reason="x").status_code == 400
    assert _set(client, kind="windows", counter="kokuho", day=day.isoformat(), windows="2").status_code == 302


def test_the_latest_override_wins_and_a_closure_wins_over_hours(cat):
    day = dt.date(2026, 12, 7)  # a Monday
    rows = [m.CalendarOverride(id=1, kind="hours", target="shiyakusho", day=day, intervals='[["09:00","10:00"]]',
                               active=True),
            m.CalendarOverride(id=2, kind="windows", target="shimin_ido", day=day, windows=2, active=True),
            m.CalendarOverride(id=3, kind="windows", target="shimin_ido", day=day, windows=5, active=True)]
    changed = overrides.apply(cat, rows, "shiyakusho", day)
    assert changed.counters["shimin_ido"].windows == 5 and cat.counters["shimin_ido"].windows == 6
    assert overrides.apply(cat, rows, "shiyakusho", day + dt.timedelta(days=1)) is cat
    closed = overrides.apply(cat, [*rows, m.CalendarOverride(id=4, kind="closure", target="shiyakusho", day=day,
                                                               reason="", active=True)], "shiyakusho", day)
    from reservations.calendar import is_closed
    assert is_closed(closed, "shiyakusho", day) == "closure"
    assert is_closed(changed, "kakogawa_center", day) is None


def test_parsing_hours_and_windows():
    assert overrides.parse_intervals("９：００〜１２：００、13:00-17:15") == [("09:00", "12:00"), ("13:00", "17:15")]
    assert overrides.parse_intervals("13:00-17:00 8:30-12:00") == [("08:30", "12:00"), ("13:00", "17:00")]
    for bad in ("", "9-12", "25:00-26:00", "9:00"):
        with pytest.raises(overrides.OverrideError):
            overrides.parse_intervals(bad)
    assert overrides.parse_windows("１２") == 12
    for bad in ("", "0", "51", "x"):
        with pytest.raises(overrides.OverrideError):
            overrides.parse_windows(bad)
