"""What can be booked, where and when: the format of knowledge/packs/<city>/reservations.yaml.

Sites (市役所, 市民センター …) have opening hours per weekday; counters belong to a site and
have a slot length and a number of parallel windows (the capacity of one slot), split by
channel (web / phone; walk-ins use what is left); services say which procedures they cover,
how many minutes they take and at which counters they can be done. Closed days are the
national holidays (jpholiday), 12/29–1/3 and the city's own closures; seasonal templates
change windows and hours for a date range (the end-of-March peak). Booking rules (lead time,
horizon, per-person limits, hold) are data too.

Plain Python (pydantic): no Flask, no database. ``reservations.loader`` reads and checks the file.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field as F
from pydantic import model_validator

from knowledge.schema import Sourced, Strict, Text

ID = r"^[a-z][a-z0-9_]*$"
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CHANNELS = ("web", "phone", "walk_in")


class Interval(Strict):
    """Open from ``start`` to ``end`` (HH:MM, local time; end exclusive)."""

    start: str = F(pattern=TIME)
    end: str = F(pattern=TIME)

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def times(self) -> tuple[dt.time, dt.time]:
        return dt.time.fromisoformat(self.start), dt.time.fromisoformat(self.end)


class Site(Sourced):
    id: str = F(pattern=ID)
    name: Text
    address: Text
    # weekday -> opening intervals; a weekday not listed is closed
    hours: dict[Weekday, list[Interval]]
    open_on_holidays: bool = False  # national holidays close it unless True
    open_year_end: bool = False  # 12/29–1/3 close it unless True (even where open_on_holidays)


class Quotas(Strict):
    """Seats per slot each channel may take at most (walk-ins get what is left)."""

    web: int = F(ge=0)
    phone: int = F(default=0, ge=0)


class Counter(Strict):
    id: str = F(pattern=ID)
    site: str = F(pattern=ID)
    name: Text
    department: str | None = None  # knowledge departments.yaml id, for staff scoping
    slot_minutes: int = F(ge=5, le=120)
    windows: int = F(ge=1, le=50)  # parallel windows: the capacity of one slot
    quotas: Quotas
    call_prefix: str = F(default="A", pattern=r"^[A-Z]$")  # 呼び出し番号 A-001 …

    @model_validator(mode="after")
    def _quotas_fit(self) -> Counter:
        if self.quotas.web > self.windows or self.quotas.phone > self.windows:
            raise ValueError("a channel quota cannot exceed the windows")
        return self


class Service(Strict):
    id: str = F(pattern=ID)
    name: Text
    procedures: list[str] = F(min_length=1)  # knowledge procedure ids this visit covers
    minutes: int = F(ge=5, le=240)
    counters: list[str] = F(min_length=1)  # where it can be done (counter ids, one per site at most)
    bring_hint: Text | None = None


class Closure(Strict):
    """The city's own closed days (e.g. a system change weekend), for some sites or all."""

    start: dt.date
    end: dt.date
    sites: list[str] = []  # empty: every site
    reason: Text

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Season(Strict):
    """A yearly template: from ``start`` to ``end`` (MM-DD, may wrap the year), these counters get
    other windows/quotas, and these sites other hours."""

    id: str = F(pattern=ID)
    name: Text
    start: str = F(pattern=MONTH_DAY)
    end: str = F(pattern=MONTH_DAY)
    windows: dict[str, int] = {}  # counter id -> windows
    quotas: dict[str, Quotas] = {}  # counter id -> quotas
    hours: dict[str, dict[Weekday, list[Interval]]] = {}  # site id -> hours (replacing the site's)
    # the wait a walk-in met at these counters in this season, as the city reported it: only for
    # estimates (docs/visits.md, bench/visit_minutes.py), never for booking
    walk_in_wait_minutes: int | None = F(None, ge=0, le=24 * 60)


class Rules(Strict):
    lead_minutes: int = F(ge=0, le=7 * 24 * 60)  # book at least this long ahead
    horizon_days: int = F(ge=1, le=365)  # and at most this many days ahead
    hold_minutes: int = F(ge=1, le=60)  # a place is kept this long while details are entered
    # times a resident may extend a hold by hold_minutes (WCAG 2.2.1 asks for at least 10)
    hold_extensions: int = F(default=10, ge=10, le=50)
    per_person_per_service_per_day: int = F(default=1, ge=1, le=10)
    per_person_per_day: int = F(default=3, ge=1, le=20)  # daily cap, all services
    cancel_until_minutes: int = F(default=0, ge=0)  # residents cancel/move up to this long before


class CrowdingLevel(Strict):
    """One expected level of a day (空いている, ふつう, 混んでいる): a day reaches it when the seats
    already booked reach ``fill_percent`` of the day's seats, or when the past visits of that
    weekday (walk-in tickets and bookings checked in, per week) reach ``visits_per_window`` per
    window open that day. ``mark`` is shown beside the name (never colour alone)."""

    id: str = F(pattern=ID)
    name: Text
    mark: str = F(min_length=1, max_length=2)
    fill_percent: int = F(default=0, ge=0, le=100)
    visits_per_window: float = F(default=0, ge=0, le=1000)


class Crowding(Strict):
    """How busy the coming days are expected to be (reservations/crowding.py): the levels from
    quiet to busy, how many days are shown and how many past weeks are read; a season named in
    ``seasons`` raises its days by that many levels (繁忙期)."""

    days_ahead: int = F(default=14, ge=1, le=62)
    weeks_back: int = F(default=8, ge=1, le=52)
    levels: list[CrowdingLevel] = F(min_length=2)  # the quietest first; the first has no threshold
    seasons: dict[str, int] = {}  # season id -> levels raised

    @model_validator(mode="after")
    def _rising(self) -> Crowding:
        first = self.levels[0]
        if first.fill_percent or first.visits_per_window:
            raise ValueError("the first (quietest) level has no threshold")
        for a, b in zip(self.levels, self.levels[1:], strict=False):
            if b.fill_percent <= a.fill_percent or b.visits_per_window <= a.visits_per_window:
                raise ValueError(f"level '{b.id}' must have higher thresholds than '{a.id}'")
        return self


class ReservationsFile(Strict):
    sites: list[Site] = F(min_length=1)
    counters: list[Counter] = F(min_length=1)
    services: list[Service] = F(min_length=1)
    closures: list[Closure] = []
    seasons: list[Season] = []
    rules: Rules
    crowding: Crowding | None = None  # none: the crowding page shows the queues now only
