"""Helpers for the reservation tests: free slots of the real Kakogawa catalogue, people."""
from __future__ import annotations

import datetime as dt
import random
import uuid

from reservations.loader import load_catalog
from reservations.slots import JST

_catalog = None
_given: set[tuple] = set()  # slots handed out already (two calls in one test never get the same one)


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
    """A random slot in the horizon that no test has touched yet (every web place free)."""
    from reservations import booking
    cat = catalog()
    days = open_days(site_id)
    random.shuffle(days)
    with app.app_context():
        for day in days:
            rows = booking.availability(cat, service_id, site_id, day)
            random.shuffle(rows)
            for a in rows:
                if any((app.config["DATABASE_URL"], a.slot.counter_id, u) in _given for u in a.slot.units):
                    continue
                if a.bookable and a.remaining == len(booking.seat_range(a.slot, "web")) and a.remaining >= (need or 1):
                    _given.update((app.config["DATABASE_URL"], a.slot.counter_id, u) for u in a.slot.units)
                    return a.slot
    raise AssertionError("no free slot left in the horizon")


def person(**extra) -> dict:
    tag = uuid.uuid4().hex[:10]
    return {"name": "加古川 太郎", "name_kana": "かこがわ たろう", "email": f"r{tag}@example.jp",
            "phone": None, **extra}


def booking_body(slot, service_id: str = "tenshutsu", site_id: str = "shiyakusho", **extra) -> dict:
    return {"service_id": service_id, "site_id": site_id, "start": slot.start.isoformat(), **person(), **extra}
