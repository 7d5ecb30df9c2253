"""Helpers for the reservation tests: free slots of the real Kakogawa catalogue, people."""
from __future__ import annotations

import datetime as dt
import os

from reservations.loader import load_catalog
from reservations.slots import JST

_catalog = None
_given: set[tuple] = set()  # (test, database, counter, unit) handed out: two calls in one test get two slots
_people: dict[str, int] = {}  # test → people handed out: two calls in one test get two people


def catalog():
    global _catalog
    if _catalog is None:
        _catalog = load_catalog("kakogawa")
    return _catalog


def today() -> dt.date:
    return dt.datetime.now(JST).date()


def open_days(site_id: str, first: int = 2, last: int | None = None) -> list[dt.date]:
    """Days (today + first … today + last) on which ``site_id`` is open, in order."""
    from reservations.calendar import is_closed
    cat = catalog()
    last = cat.rules.horizon_days - 1 if last is None else last
    return [d for d in (today() + dt.timedelta(days=n) for n in range(first, last + 1)) if is_closed(cat, site_id, d) is None]


def free_slot(app, service_id: str = "tenshutsu", site_id: str = "shiyakusho", *, need: int | None = None):
    """The first slot in the horizon with every web place free that this test was not given yet
    (each test starts on an empty database, so that is the same slot whenever the test runs)."""
    from reservations import booking
    cat = catalog()
    test = _current_test()
    with app.app_context():
        for day in open_days(site_id):
            for a in booking.availability(cat, service_id, site_id, day):
                units = [(test, app.config["DATABASE_URL"], a.slot.counter_id, u) for u in a.slot.units]
                if any(unit in _given for unit in units):
                    continue
                if a.bookable and a.remaining == len(booking.seat_range(a.slot, "web")) and a.remaining >= (need or 1):
                    _given.update(units)
                    return a.slot
    raise AssertionError("no free slot left in the horizon")


def _current_test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


def person(**extra) -> dict:
    """A resident who books: the test's first, second … person (each test starts on an empty
    database, so these are the same people whenever the test runs)."""
    test = _current_test()
    n = _people[test] = _people.get(test, 0) + 1
    return {"name": "加古川 太郎", "name_kana": "かこがわ たろう", "email": f"resident{n}@example.jp",
            "phone": None, **extra}


def booking_body(slot, service_id: str = "tenshutsu", site_id: str = "shiyakusho", **extra) -> dict:
    return {"service_id": service_id, "site_id": site_id, "start": slot.start.isoformat(), **person(), **extra}
