"""Japan's clock: the one JST every module converts to, and the plain Japanese way of writing
a day and a moment (「2026年4月1日」, 「2026年4月1日 09:05」). Plain Python (rules may import
it); the 和暦 and dates in the other languages are rules/wareki.py, built on these.

A fixed +09:00 offset: Asia/Tokyo has had no daylight saving since 1951."""
from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def today_in_japan() -> dt.date:
    """Today's date in Japan, whatever the server's own time zone."""
    return dt.datetime.now(JST).date()


def japanese_date(day: dt.date) -> str:
    """date(2026, 4, 1) → 「2026年4月1日」 (no leading zeros, no weekday)."""
    return f"{day.year}年{day.month}月{day.day}日"


def japanese_moment(moment: dt.datetime) -> str:
    """An aware moment in Japan's time: 「2026年4月1日 09:05」."""
    local = moment.astimezone(JST)
    return f"{japanese_date(local.date())} {local:%H:%M}"


def in_japan(moment: dt.datetime) -> dt.datetime:
    """A stored moment in Japan time. A naive one is UTC: SQLite keeps the wall time only, and
    every stored moment is written in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST)


def console_moment(moment: dt.datetime | None) -> str:
    """The staff console's way of writing a moment, in Japan time: 「2027-04-01 09:05」 (sortable,
    zero-padded; the page says it is Japan time). None → ""."""
    return in_japan(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""
