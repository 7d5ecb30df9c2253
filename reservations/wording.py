"""Words for closed days and day states, shared by the pages and the API (Japanese first)."""
from __future__ import annotations

import datetime as dt

import jpholiday

from reservations.calendar import closure_on, is_closed
from reservations.loader import Catalog

WEEKDAY_JA = "月火水木金土日"
WEEKDAY_EN = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def closed_text(catalog: Catalog, site_id: str, day: dt.date, lang: str = "ja") -> str | None:
    """Why ``site_id`` is closed on ``day`` in words (祝日（憲法記念日）, 年末年始 …), None if open."""
    reason = is_closed(catalog, site_id, day)
    if reason is None:
        return None
    en = lang == "en"
    if reason == "closure":
        closure = closure_on(catalog, site_id, day)
        text = closure.reason.get(lang) if closure else ""
        return (f"Closed: {text}" if en else f"休み（{text}）") if text else ("Closed" if en else "休み")
    if reason == "year_end":
        return "Closed for the New Year holidays" if en else "年末年始"
    if reason == "holiday":
        name = jpholiday.is_holiday_name(day) or ""
        return ("National holiday" if en else f"祝日（{name}）" if name else "祝日")
    return f"Closed on {WEEKDAY_EN[day.weekday()]}" if en else f"{WEEKDAY_JA[day.weekday()]}曜日は休み"
