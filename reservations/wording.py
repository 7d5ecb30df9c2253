"""Words for closed days and day states, shared by the pages and the API (Japanese first)."""
from __future__ import annotations

import datetime as dt

import jpholiday

from core.words import N_, NP_, text
from reservations.calendar import closure_on, is_closed
from reservations.loader import Catalog

CLOSED_ON = (N_("月曜日は休み"), N_("火曜日は休み"), N_("水曜日は休み"), N_("木曜日は休み"), N_("金曜日は休み"),
             N_("土曜日は休み"), N_("日曜日は休み"))  # by weekday (Monday first)


def closed_text(catalog: Catalog, site_id: str, day: dt.date, lang: str = "ja") -> str | None:
    """Why ``site_id`` is closed on ``day`` in words (祝日（憲法記念日）, 年末年始 …), None if open."""
    reason = is_closed(catalog, site_id, day)
    if reason is None:
        return None
    if reason == "closure":
        closure = closure_on(catalog, site_id, day)
        why = closure.reason.get(lang) if closure else ""
        return text(lang, N_("休み（%(reason)s）"), reason=why) if why else text(lang, N_("休み"))
    if reason == "year_end":
        return text(lang, NP_("closed day", "年末年始"))
    if reason == "holiday":
        name = jpholiday.is_holiday_name(day) or ""
        return text(lang, N_("祝日（%(name)s）"), name=name) if name else text(lang, NP_("closed day", "祝日"))
    return text(lang, CLOSED_ON[day.weekday()])
