"""Which days a site is open, with which hours, windows and quotas (after the seasonal template).

Closed days: the site's hours list no interval for that weekday, national holidays (国民の祝日,
振替休日, 国民の休日 from the maintained ``jpholiday`` package) unless the site opens on holidays,
12/29–1/3 unless the site opens then, and the city's own closures. Plain Python.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jpholiday

from reservations.catalog import WEEKDAYS, Closure, Counter, Interval, Quotas, Season
from reservations.loader import Catalog

# reason keys, for messages: is_closed returns one of these
CLOSED_REASONS = ("closure", "year_end", "holiday", "weekday")


@dataclass(frozen=True)
class CounterPlan:
    counter: Counter
    windows: int  # the capacity of one slot that day
    quotas: Quotas


@dataclass(frozen=True)
class DayPlan:
    site_id: str
    day: dt.date
    intervals: list[tuple[dt.time, dt.time]]  # opening intervals, in order
    counters: dict[str, CounterPlan]  # every counter at the site
    season: Season | None


def _month_day(day: dt.date) -> str:
    return f"{day.month:02d}-{day.day:02d}"


def season_of(catalog: Catalog, day: dt.date) -> Season | None:
    """The first season whose MM-DD range (both ends included; may wrap the year) holds ``day``."""
    md = _month_day(day)
    for season in catalog.seasons:
        if season.start <= season.end:
            if season.start <= md <= season.end:
                return season
        elif md >= season.start or md <= season.end:  # e.g. 12-01 → 01-31
            return season
    return None


def is_year_end(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def hours_on(catalog: Catalog, site_id: str, day: dt.date) -> list[Interval]:
    """The site's opening intervals for ``day``'s weekday, the season's hours replacing the site's."""
    season = season_of(catalog, day)
    hours = catalog.sites[site_id].hours
    if season is not None and site_id in season.hours:
        hours = season.hours[site_id]
    return sorted(hours.get(WEEKDAYS[day.weekday()], []), key=lambda i: i.start)


def is_closed(catalog: Catalog, site_id: str, day: dt.date) -> str | None:
    """None when the site is open on ``day``; else why not (one of CLOSED_REASONS)."""
    site = catalog.sites[site_id]
    if closure_on(catalog, site_id, day) is not None:
        return "closure"
    if is_year_end(day) and not site.open_year_end:
        return "year_end"
    if jpholiday.is_holiday(day) and not site.open_on_holidays:
        return "holiday"
    if not hours_on(catalog, site_id, day):
        return "weekday"
    return None


def closure_on(catalog: Catalog, site_id: str, day: dt.date) -> Closure | None:
    """The city closure that closes ``site_id`` on ``day`` (its reason is shown to residents)."""
    for closure in catalog.closures:
        if closure.start <= day <= closure.end and (not closure.sites or site_id in closure.sites):
            return closure
    return None


def day_plan(catalog: Catalog, site_id: str, day: dt.date) -> DayPlan | None:
    """Hours, windows and quotas of ``site_id`` on ``day``; None when it is closed."""
    if is_closed(catalog, site_id, day):
        return None
    season = season_of(catalog, day)
    plans: dict[str, CounterPlan] = {}
    for cid, counter in catalog.counters.items():
        if counter.site != site_id:
            continue
        windows, quotas = counter.windows, counter.quotas
        if season is not None:
            windows = season.windows.get(cid, windows)
            quotas = season.quotas.get(cid, quotas)
        plans[cid] = CounterPlan(counter=counter, windows=windows,
                                 quotas=Quotas(web=min(quotas.web, windows), phone=min(quotas.phone, windows)))
    return DayPlan(site_id=site_id, day=day, intervals=[i.times() for i in hours_on(catalog, site_id, day)],
                   counters=plans, season=season)
