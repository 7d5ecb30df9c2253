"""What a gunicorn worker does before it serves (gunicorn.conf.py): holidays read, heap frozen."""
from __future__ import annotations

import datetime as dt
import gc
import runpy
from pathlib import Path

from rules import calendar

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_worker_reads_nearby_holidays_and_freezes_what_it_loaded():
    hooks = runpy.run_path(str(CONF))
    calendar._month_holidays.cache_clear()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 0  # the loaded app is out of the collector's scans
        year = dt.date.today().year
        before = calendar._month_holidays.cache_info().hits
        assert dt.date(year + 1, 1, 1) in calendar._month_holidays(year + 1, 1)  # 元日, already read
        assert calendar._month_holidays.cache_info().hits == before + 1
    finally:
        gc.unfreeze()


def test_warm_holidays_reads_every_month_of_the_years():
    calendar._month_holidays.cache_clear()
    calendar.warm_holidays(2026, 2027)
    assert calendar._month_holidays.cache_info().currsize == 24
    assert calendar._is_holiday(dt.date(2026, 5, 6))  # 振替休日 of 憲法記念日 on a Sunday
