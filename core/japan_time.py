"""Japan's clock: the one JST every module converts to. Plain Python (rules may import it).

A fixed +09:00 offset: Asia/Tokyo has had no daylight saving since 1951."""
from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def today_in_japan() -> dt.date:
    """Today's date in Japan, whatever the server's own time zone."""
    return dt.datetime.now(JST).date()
