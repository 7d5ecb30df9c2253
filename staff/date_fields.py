"""The 和暦 beside staff date fields (staff/templates/staff/_date_field.html)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from rules.wareki import WarekiError, to_wareki
from staff.views import bp

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_iso(raw: object) -> dt.date | None:
    """「2026-04-01」 (full-width digits too) → a date; None for anything else."""
    if isinstance(raw, dt.date):
        return raw
    match = _ISO.match(unicodedata.normalize("NFKC", str(raw or "")).strip())
    if not match:
        return None
    try:
        return dt.date(*(int(p) for p in match.groups()))
    except (ValueError, OverflowError):
        return None


@bp.app_template_global("wareki_of")
def wareki_of(raw: object) -> str:
    """「令和8年4月1日（水）」 for 2026-04-01; "" when the value is not a date."""
    day = parse_iso(raw)
    if day is None:
        return ""
    try:
        return to_wareki(day)
    except WarekiError:
        return ""


@bp.app_template_global("date_value")
def date_value(values: dict, name: str, raw: object = "") -> str:
    """The value of a date field from three stored parts (name-year/-month/-day, as the
    statistics pages keep them) or what was sent as one field, ISO when it is a date, else as typed."""
    parts = [str(values.get(f"{name}-{p}", "")) for p in ("year", "month", "day")]
    if any(parts):
        try:
            return dt.date(*(int(p) for p in parts)).isoformat()
        except (ValueError, OverflowError):
            return "-".join(parts)  # kept as typed (shown in a text box, see _date_field.html)
    day = parse_iso(raw)
    return day.isoformat() if day else str(raw or "")
