"""A month of one service at one site, day by day, for the resident's calendar page:
予約できます / 残りわずか / いっぱい / 休み（reason）/ 受付期間外. Reads the database (availability)."""
from __future__ import annotations

import calendar as cal
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from core.japan_time import JST
from reservations import booking, overrides
from reservations.booking import seat_range
from reservations.loader import Catalog
from reservations.wording import closed_text

OPEN, FEW, FULL, CLOSED, OUT = "open", "few", "full", "closed", "out"
FEW_SHARE = 0.2  # 残りわずか: at most a fifth of the day's web places are left
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")  # ?month=2026-04


@dataclass(frozen=True)
class Day:
    day: dt.date
    state: str  # OPEN, FEW, FULL, CLOSED, OUT
    remaining: int
    closed_reason: str | None = None


def day_state(catalog: Catalog, service_id: str, site_id: str, day: dt.date, now: dt.datetime, lang: str,
              procedures: tuple[str, ...] = (), channel: str = "web") -> Day:
    """channel: whose places count ("web" for residents, "phone" for the staff's phone booking)."""
    today = now.astimezone(JST).date()
    if day < today:
        return Day(day, OUT, 0)
    reason = closed_text(overrides.for_day(catalog, site_id, day), site_id, day, lang)  # staff closures too
    if reason is not None:
        return Day(day, CLOSED, 0, reason)
    if day > today + dt.timedelta(days=catalog.rules.horizon_days):
        return Day(day, OUT, 0)
    rows = [a for a in booking.availability(catalog, service_id, site_id, day, channel=channel, now=now,
                                            procedures=procedures) if a.bookable]
    if not rows:
        return Day(day, OUT if day == today else FULL, 0)
    left = sum(a.remaining for a in rows)
    places = sum(len(seat_range(a.slot, channel)) for a in rows)
    if left <= 0:
        return Day(day, FULL, 0)
    return Day(day, FEW if left <= max(1, places * FEW_SHARE) else OPEN, left)


def month_weeks(catalog: Catalog, service_id: str, site_id: str, year: int, month: int, now: dt.datetime,
                lang: str, procedures: tuple[str, ...] = (), channel: str = "web") -> list[list[Day | None]]:
    """Weeks from Monday; None for the days of the neighbouring months."""
    weeks: list[list[Day | None]] = []
    for week in cal.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([day_state(catalog, service_id, site_id, d, now, lang, procedures, channel) if d.month == month
                      else None
                      for d in week])
    return weeks


def first_open_month(catalog: Catalog, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last day residents may book now (today … today + horizon)."""
    today = now.astimezone(JST).date()
    return today, today + dt.timedelta(days=catalog.rules.horizon_days)


@dataclass(frozen=True)
class Shown:
    """The month a calendar page shows (its first day), and the months before and after it when
    they hold bookable days (None at either end)."""
    month: dt.date
    prev: dt.date | None
    next: dt.date | None


def shift_month(day: dt.date, delta: int) -> dt.date:
    """The first day of the month ``delta`` months from ``day``'s."""
    index = day.year * 12 + day.month - 1 + delta
    return dt.date(index // 12, index % 12 + 1, 1)


def shown_month(text: str | None, first: dt.date, last: dt.date) -> Shown:
    """The month ``text`` (``YYYY-MM``, from the page's link or typed) names, kept between
    ``first`` and ``last``'s months; anything else shows the first month."""
    low, high = first.replace(day=1), last.replace(day=1)
    match = _MONTH.match(unicodedata.normalize("NFKC", text or "").strip())
    try:
        chosen = dt.date(int(match.group(1)), int(match.group(2)), 1) if match else low
    except ValueError:
        chosen = low
    shown = min(max(chosen, low), high)
    before, after = shift_month(shown, -1), shift_month(shown, 1)
    return Shown(shown, before if before >= low else None, after if after <= high else None)
