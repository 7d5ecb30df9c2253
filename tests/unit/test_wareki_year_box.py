"""rules.wareki.read_year_box and choose_era: a 和暦 year typed in the year box of a date
(「令和5」「R5」「ｒ５」「令和元」「平成30年」), converted with the one era table (ERAS)."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from rules.wareki import ERAS, WarekiError, YearBox, choose_era, parse_wareki, read_year_box


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _date(year: str, month: str = "", day: str = "") -> date:
    box = read_year_box(year, month, day)
    assert box.era, box
    return parse_wareki(box.era, box.year, box.month, box.day)


def _spellings(era) -> list[str]:
    """Every way a resident may write the era: kanji, the letter in either case, half- or full-width."""
    return [era.name, era.letter, era.letter.lower(), _full_width(era.letter), _full_width(era.letter.lower())]


@pytest.mark.parametrize("era", ERAS, ids=[e.name for e in ERAS])
def test_every_era_by_name_or_letter_in_either_case_and_width(era):
    for spelling in _spellings(era):
        assert read_year_box(spelling + "２年", "６", " 1") == YearBox(era.name, "2", "6", "1")
        for year in ("2", "２", "2年", "02", " 2 "):
            assert read_year_box(spelling + year, "6", "1").era == era.name, spelling + year
            assert _date(spelling + year, "6", "1") == date(era.start.year + 1, 6, 1)
        assert _date(spelling + "　2", "６", "１") == date(era.start.year + 1, 6, 1)  # ideographic space


@pytest.mark.parametrize("era", ERAS, ids=[e.name for e in ERAS])
def test_gan_is_the_first_year(era):
    start = era.start
    for spelling in _spellings(era):
        for year in ("元", "元年", "1"):
            assert _date(spelling + year, str(start.month), str(start.day)) == start


@pytest.mark.parametrize(("typed", "western"), [
    ("令和5", 2023), ("R5", 2023), ("r5", 2023), ("Ｒ５", 2023), ("ｒ５年", 2023), ("令和元", 2019),
    ("平成30", 2018), ("H30", 2018), ("h30", 2018), ("Ｈ３０", 2018), ("平成元年", 1989),
    ("昭和60", 1985), ("S60", 1985), ("ｓ６０", 1985),
    ("大正14", 1925), ("T14", 1925), ("明治45", 1912), ("m45", 1912),
])
def test_the_western_year_of_what_residents_type(typed, western):
    assert _date(typed, "7", "1").year == western


@pytest.mark.parametrize("later, earlier", list(pairwise(ERAS)), ids=[e.name for e in ERAS[1:]])
def test_a_year_after_the_eras_last_says_which_era_it_is(later, earlier):
    """平成32, 昭和65, 大正16, 明治46: no such year; the message names the era that followed."""
    last = later.start.year - earlier.start.year + 1  # 平成31, 昭和64, 大正15, 明治45
    eve = later.start - timedelta(1)
    for spelling in _spellings(earlier):
        assert _date(f"{spelling}{last}", str(eve.month), str(eve.day)) == eve
        with pytest.raises(WarekiError) as info:
            _date(f"{spelling}{last + 1}", "4", "1")
        said = str(info.value)
        assert said.startswith(f"{earlier.name}{last + 1}年4月1日はありません。") and f"からは{later.name}です" in said


def test_heisei_32_in_words_and_in_english():
    with pytest.raises(WarekiError) as info:
        _date("平成32", "4", "1")
    assert str(info.value) == "平成32年4月1日はありません。2019年5月1日からは令和です（令和2年4月1日）。"
    assert info.value.text("en") == "There is no 平成32年4月1日: from 2019年5月1日 the era is 令和 (令和2年4月1日)."


@pytest.mark.parametrize("era", ERAS, ids=[e.name for e in ERAS])
def test_a_day_before_the_eras_first_or_year_0_is_refused(era):
    before = era.start - timedelta(1)
    with pytest.raises(WarekiError, match=rf"^{era.name}元年.*{era.name}は.*からです"):
        _date(f"{era.letter}元", str(before.month), str(before.day))
    with pytest.raises(WarekiError, match=rf"^{era.name}0年はありません。$"):
        _date(f"{era.name}0", "6", "1")


def test_years_far_past_the_era_are_refused_not_crashed():
    with pytest.raises(WarekiError, match=r"^平成100年4月1日はありません。.*令和"):
        _date("平成100", "4", "1")
    with pytest.raises(WarekiError, match=r"^平成99999年はありません。$"):  # the era select and a long number
        parse_wareki("平成", "99999", "4", "1")


@pytest.mark.parametrize("typed", ["1985", "２０２６", "85", "慶応3", "R", "令和", "Ｓ", "5R", "令和5.5", "令和 5 6", ""])
def test_a_western_year_or_anything_else_is_left_as_typed(typed):
    """No era read: each form checks these as it always did (a western year is unchanged)."""
    box = read_year_box(typed, "4", "1")
    assert box.era == "" and not box.whole
    assert box.year == typed.replace("２０２６", "2026").replace("Ｓ", "S").strip()


def test_a_whole_date_in_the_year_box():
    assert read_year_box("令和5年4月1日") == YearBox("令和", "5", "4", "1", whole=True)
    assert read_year_box("ｓ６０．４．１") == YearBox("昭和", "60", "4", "1", whole=True)
    assert read_year_box("1985-04-01") == YearBox("", "1985", "04", "01", whole=True)
    assert read_year_box("令和5年4月1日", "4", "") == YearBox("", "令和5年4月1日", "4", "")  # month typed: not a whole date
    assert read_year_box(None, None, None).is_empty()


@pytest.mark.parametrize(("typed", "chosen", "expected"), [
    ("平成", "", "平成"),  # no select, or the select still says 西暦 (the caller passes "")
    ("", "昭和", "昭和"),
    ("", "", ""),
    ("平成", "平成", "平成"),  # the same era twice
    ("平成", "H", "平成"),
    ("令和", "ｒ", "令和"),
])
def test_the_era_typed_in_the_year_box_wins_when_it_is_unambiguous(typed, chosen, expected):
    assert choose_era(typed, chosen) == expected


def test_an_era_select_that_says_another_era_is_a_clear_error():
    with pytest.raises(WarekiError) as info:
        choose_era("平成", "昭和", "平成30")
    assert str(info.value) == ("元号で「昭和」を選び、年に「平成30」と入力しています。どちらの元号か分かりません。"
                               "元号を選び直すか、年を数字だけにしてください。")
    assert "“平成30”" in info.value.text("en") and "昭和" in info.value.text("en")
    assert "{元号|げんごう}" in info.value.text("easy")
