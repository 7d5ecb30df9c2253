"""One visit, several services: what the guide's procedures need at the same counter is done in
one booking whose length is the sum; what another counter does is another visit."""
import datetime as dt

import pytest

from reservations.loader import load_catalog
from reservations.slots import JST, day_slots, find_slot, visit_minutes, visit_services


@pytest.fixture(scope="module")
def catalog():
    return load_catalog("kakogawa")


def test_services_at_the_same_counter_make_one_visit(catalog):
    wanted = ["tennyu_todoke", "setainushi_henko", "inkan_toroku"]
    at_city_hall = visit_services(catalog, "tennyu", "shiyakusho", wanted)
    assert at_city_hall == ["tennyu", "setainushi"]  # 印鑑登録 is another counter at 市役所
    at_centre = visit_services(catalog, "tennyu", "kakogawa_center", wanted)
    assert set(at_centre) == {"tennyu", "setainushi", "inkan"}  # one window does everything there
    assert visit_minutes(catalog, at_city_hall) == catalog.services["tennyu"].minutes + catalog.services["setainushi"].minutes


def test_without_procedures_a_visit_is_its_service(catalog):
    assert visit_services(catalog, "tennyu", "shiyakusho", []) == ["tennyu"]


def test_a_longer_visit_takes_more_units_and_must_end_before_closing(catalog):
    day = dt.date(2026, 12, 7)
    single = day_slots(catalog, "tennyu", "shiyakusho", day)
    longer = day_slots(catalog, "tennyu", "shiyakusho", day, 60)
    assert len(longer[0].units) == 4 and longer[0].end - longer[0].start == dt.timedelta(minutes=60)
    assert longer[-1].start < single[-1].start  # the last start comes earlier
    late = single[-1].start
    assert find_slot(catalog, "tennyu", "shiyakusho", late) is not None
    assert find_slot(catalog, "tennyu", "shiyakusho", late, 60) is None
    assert late.tzinfo is not None and late.astimezone(JST).date() == day
