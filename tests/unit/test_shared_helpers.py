"""The helpers every service shares, each from its one home (core/ or rules/wareki.py)."""
from __future__ import annotations

import datetime as dt

from core.japan_time import JST, today_in_japan
from core.japanese_text import nfkc_text, normalize_digits, normalize_kana
from rules.wareki import wareki_year, ymd_with_wareki


def test_jst_is_nine_hours_ahead_and_today_follows_it():
    assert dt.datetime(2026, 4, 1, 15, 0, tzinfo=dt.UTC).astimezone(JST).date() == dt.date(2026, 4, 2)
    assert today_in_japan() == dt.datetime.now(dt.UTC).astimezone(JST).date()


def test_kana_digits_and_nfkc():
    assert normalize_kana("かこがわ　ﾀﾛｳ") == "カコガワ タロウ"
    assert normalize_digits("〒６７５ー８５０１") == "6758501"
    assert normalize_digits("(079) 421‐2000") == "0794212000"
    assert nfkc_text(" ２０２６ ") == "2026" and nfkc_text(None) == ""


def test_ymd_with_wareki_and_the_era_of_a_year():
    assert ymd_with_wareki(dt.date(2026, 4, 1)) == "2026年4月1日（令和8年4月1日）"
    assert ymd_with_wareki(dt.date(1860, 1, 1)) == "1860年1月1日"  # before 明治: 西暦 alone
    assert wareki_year(2019) == "令和元年"  # the era in force on 31 December
    assert wareki_year(1989) == "平成元年" and wareki_year(2026) == "令和8年"
