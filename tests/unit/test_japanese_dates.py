"""The one home of Japan's clock and of writing a day the Japanese way (core/japan_time.py), and
the dates in every language built on it (rules/wareki.py)."""
import datetime as dt

from core.japan_time import JST, japanese_date, japanese_moment
from rules.wareki import format_date, ymd_with_wareki


def test_a_day_has_no_leading_zeros_and_no_weekday():
    assert japanese_date(dt.date(2026, 4, 1)) == "2026年4月1日"
    assert ymd_with_wareki(dt.date(2026, 4, 1)) == "2026年4月1日（令和8年4月1日）"


def test_a_moment_is_written_in_japans_time_whatever_zone_it_comes_in():
    utc = dt.datetime(2026, 3, 31, 15, 5, tzinfo=dt.UTC)  # 00:05 on 1 April in Japan
    assert japanese_moment(utc) == "2026年4月1日 00:05"
    assert japanese_moment(utc.astimezone(JST)) == japanese_moment(utc)


def test_a_date_without_its_weekday_in_every_language():
    day = dt.date(2026, 4, 15)
    assert format_date(day, "ja", with_weekday=False) == "2026年4月15日"
    assert format_date(day, "easy", with_weekday=False) == "2026年4月15日"
    assert format_date(day, "en", with_weekday=False) == "15 April 2026"
    assert format_date(day, "ja") == "2026年4月15日（水）"
    for code in ("zh", "ko", "vi", "pt"):
        long, full = format_date(day, code, with_weekday=False), format_date(day, code)
        assert "2026" in long and long != full


def test_the_consoles_moment_is_japan_time_whatever_the_database_gave_back():
    from core.japan_time import console_moment, in_japan
    stored_naive = dt.datetime(2027, 3, 31, 15, 0)  # SQLite: the UTC wall time, no zone
    stored_aware = stored_naive.replace(tzinfo=dt.UTC)  # PostgreSQL
    assert console_moment(stored_naive) == console_moment(stored_aware) == "2027-04-01 00:00"
    assert in_japan(stored_naive) == in_japan(stored_aware) == dt.datetime(2027, 4, 1, tzinfo=JST)
    assert console_moment(None) == ""
