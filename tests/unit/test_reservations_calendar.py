"""Open and closed days of the reservation sites: national holidays (ゴールデンウィーク with its
振替休日), 12/29–1/3, weekends, city closures, and the seasonal template's hours and windows."""
import datetime as dt

import pytest

from reservations.calendar import closure_on, day_plan, is_closed, season_of
from reservations.catalog import ReservationsFile
from reservations.loader import Catalog, load_catalog

D = dt.date.fromisoformat
T = dt.time.fromisoformat


@pytest.fixture(scope="module")
def catalog():
    return load_catalog("kakogawa")


def make_catalog(**overrides) -> Catalog:
    """A small hand-made catalog: one site open 9–12 and 13–17 on weekdays, one counter, one
    45-minute service; ``overrides`` replace top-level keys of the file."""
    data = {
        "sites": [{
            "id": "honcho", "name": {"ja": "本庁", "en": "Main office"}, "address": {"ja": "どこか", "en": "somewhere"},
            "hours": {d: [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
                      for d in ("mon", "tue", "wed", "thu", "fri")},
            "source_url": "https://example.org/", "verified_on": "2026-11-27", "verified": False,
        }],
        "counters": [{"id": "madoguchi", "site": "honcho", "name": {"ja": "窓口", "en": "Counter"},
                      "slot_minutes": 15, "windows": 2, "quotas": {"web": 1, "phone": 1}}],
        "services": [{"id": "tetsuzuki", "name": {"ja": "手続き", "en": "Procedure"}, "procedures": ["x"],
                      "minutes": 45, "counters": ["madoguchi"]}],
        "rules": {"lead_minutes": 60, "horizon_days": 30, "hold_minutes": 10},
    }
    data.update(overrides)
    f = ReservationsFile.model_validate(data)
    return Catalog(sites={s.id: s for s in f.sites}, counters={c.id: c for c in f.counters},
                   services={s.id: s for s in f.services}, closures=list(f.closures), seasons=list(f.seasons),
                   rules=f.rules, version="test")


@pytest.mark.parametrize("day", ["2026-04-29", "2026-05-04", "2026-05-05", "2026-05-06"])
def test_golden_week_closes_city_hall(catalog, day):
    assert is_closed(catalog, "shiyakusho", D(day)) == "holiday"
    assert day_plan(catalog, "shiyakusho", D(day)) is None


def test_golden_week_around_the_holidays(catalog):
    assert is_closed(catalog, "shiyakusho", D("2026-05-03")) == "holiday"  # a Sunday and 憲法記念日
    assert is_closed(catalog, "shiyakusho", D("2026-05-01")) is None  # the Friday between
    assert is_closed(catalog, "shiyakusho", D("2026-05-07")) is None
    assert is_closed(catalog, "shikata_center", D("2026-05-06")) == "holiday"  # 振替休日
    # the two sites the city keeps open on 土日祝
    for site in ("higashi_plaza", "kakogawa_center"):
        for day in ("2026-04-29", "2026-05-03", "2026-05-06"):
            assert is_closed(catalog, site, D(day)) is None, (site, day)


@pytest.mark.parametrize("day", ["2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02", "2027-01-03"])
def test_year_end_closes_every_site_even_on_weekdays(catalog, day):
    for site in catalog.sites:
        assert is_closed(catalog, site, D(day)) == "year_end", (site, day)


def test_year_end_edges(catalog):
    assert is_closed(catalog, "shiyakusho", D("2026-12-28")) is None  # Monday, the last open day
    assert is_closed(catalog, "shiyakusho", D("2027-01-04")) is None  # Monday, the first
    assert is_closed(catalog, "higashi_plaza", D("2026-12-27")) is None  # Sunday, open


def test_weekend_rules(catalog):
    saturday, sunday = D("2026-11-28"), D("2026-11-29")
    for day in (saturday, sunday):
        assert is_closed(catalog, "shiyakusho", day) == "weekday"
        assert is_closed(catalog, "shikata_center", day) == "weekday"
        assert is_closed(catalog, "higashi_plaza", day) is None
        assert is_closed(catalog, "kakogawa_center", day) is None
    plan = day_plan(catalog, "higashi_plaza", saturday)
    assert plan.intervals == [(T("09:00"), T("19:00"))]
    assert set(plan.counters) == {"higashi_plaza_madoguchi"}


def test_season_of(catalog):
    for day in ("2026-03-15", "2026-03-20", "2026-04-01", "2026-04-15", "2027-03-15"):
        assert season_of(catalog, D(day)).id == "hankaki", day
    for day in ("2026-03-14", "2026-04-16", "2026-04-20", "2026-12-01"):
        assert season_of(catalog, D(day)) is None, day


def test_a_season_may_wrap_the_year():
    season = {"id": "fuyu", "name": {"ja": "冬", "en": "Winter"}, "start": "12-01", "end": "01-31", "windows": {"madoguchi": 3}}
    cat = make_catalog(seasons=[season])
    assert season_of(cat, D("2026-12-01")).id == "fuyu"
    assert season_of(cat, D("2027-01-31")).id == "fuyu"
    assert season_of(cat, D("2027-01-15")).id == "fuyu"
    assert season_of(cat, D("2026-11-30")) is None and season_of(cat, D("2027-02-01")) is None
    assert day_plan(cat, "honcho", D("2027-01-15")).counters["madoguchi"].windows == 3
    assert day_plan(cat, "honcho", D("2027-02-15")).counters["madoguchi"].windows == 2


def test_the_peak_season_changes_windows_and_hours(catalog):
    peak, after = D("2026-03-19"), D("2026-04-20")  # a Thursday in the peak, a Monday after it
    plan = day_plan(catalog, "shiyakusho", peak)
    assert plan.season.id == "hankaki"
    assert plan.intervals == [(T("08:30"), T("19:00"))]
    ido = plan.counters["shimin_ido"]
    assert (ido.windows, ido.quotas.web, ido.quotas.phone) == (10, 5, 2)
    assert plan.counters["kokuho"].windows == 3  # not in the template: unchanged
    plan = day_plan(catalog, "shiyakusho", after)
    assert plan.season is None
    assert plan.intervals == [(T("08:30"), T("17:15"))]
    ido = plan.counters["shimin_ido"]
    assert (ido.windows, ido.quotas.web, ido.quotas.phone) == (6, 3, 1)


def test_the_peak_season_on_20_march(catalog):
    # 2026-03-20 is 春分の日: City Hall stays closed in the peak; the plaza opens with more windows
    day = D("2026-03-20")
    assert is_closed(catalog, "shiyakusho", day) == "holiday"
    plan = day_plan(catalog, "higashi_plaza", day)
    assert plan.counters["higashi_plaza_madoguchi"].windows == 6
    assert day_plan(catalog, "higashi_plaza", D("2026-04-20")).counters["higashi_plaza_madoguchi"].windows == 4


def test_city_hall_opens_on_peak_saturdays_only(catalog):
    assert is_closed(catalog, "shiyakusho", D("2026-03-21")) is None
    assert day_plan(catalog, "shiyakusho", D("2026-03-21")).intervals == [(T("09:00"), T("17:00"))]
    assert is_closed(catalog, "shiyakusho", D("2026-03-22")) == "weekday"  # Sunday
    assert is_closed(catalog, "shiyakusho", D("2026-04-18")) == "weekday"  # Saturday after the peak


def test_city_closure(catalog):
    day = D("2027-02-13")  # the example closure (a Saturday), for the weekend sites
    assert is_closed(catalog, "higashi_plaza", day) == "closure"
    assert is_closed(catalog, "kakogawa_center", D("2027-02-14")) == "closure"
    assert closure_on(catalog, "higashi_plaza", day).reason.ja.startswith("住民記録システム")
    assert is_closed(catalog, "higashi_plaza", D("2027-02-15")) is None
    assert is_closed(catalog, "shiyakusho", day) == "weekday"
    assert closure_on(catalog, "shiyakusho", day) is None


def test_a_closure_without_sites_closes_every_site():
    cat = make_catalog(closures=[{"start": "2026-12-02", "end": "2026-12-02", "reason": {"ja": "停電", "en": "Power cut"}}])
    assert is_closed(cat, "honcho", D("2026-12-02")) == "closure"  # a Wednesday
    assert is_closed(cat, "honcho", D("2026-12-03")) is None


def test_a_site_open_at_year_end():
    site = make_catalog().sites["honcho"].model_dump(mode="json")
    site.update(open_on_holidays=True, open_year_end=True)
    cat = make_catalog(sites=[site])
    assert is_closed(cat, "honcho", D("2026-12-29")) is None  # a Tuesday
    assert is_closed(cat, "honcho", D("2027-01-01")) is None  # 元日, a Friday
    site.update(open_year_end=False)
    cat = make_catalog(sites=[site])
    assert is_closed(cat, "honcho", D("2027-01-01")) == "year_end"
    assert is_closed(cat, "honcho", D("2027-01-11")) is None  # 成人の日: open on holidays


def test_lunch_break_intervals():
    plan = day_plan(make_catalog(), "honcho", D("2026-11-30"))
    assert plan.intervals == [(T("09:00"), T("12:00")), (T("13:00"), T("17:00"))]


@pytest.mark.parametrize(("day", "ja", "en"), [
    ("2026-12-02", "休み（停電）", "Closed: Power cut"),
    ("2026-12-31", "年末年始", "Closed for the New Year holidays"),
    ("2026-05-04", "祝日（みどりの日）", "National holiday"),
    ("2026-12-05", "土曜日は休み", "Closed on Saturdays"),
    ("2026-12-06", "日曜日は休み", "Closed on Sundays"),
    ("2026-12-03", None, None),
])
def test_closed_days_in_words_from_the_catalogs(day, ja, en):
    """reservations.wording: msgids in the Babel catalogs, no inline language branch."""
    from reservations.wording import closed_text

    cat = make_catalog(closures=[{"start": "2026-12-02", "end": "2026-12-02", "reason": {"ja": "停電", "en": "Power cut"}}])
    assert closed_text(cat, "honcho", D(day), "ja") == ja
    assert closed_text(cat, "honcho", D(day), "en") == en
