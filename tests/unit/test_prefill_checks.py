"""事前入力's checks (reservations/prefill.py): names and カナ, 西暦 and 和暦 birth dates, addresses
with the postcode lookup, move date and phone; and paths into the household. No database."""
from __future__ import annotations

import datetime as dt

import pytest

from reservations import prefill

TODAY = dt.date(2026, 12, 2)


def row(**values):
    base = {"family_name": "山田", "given_name": "太郎", "family_kana": "やまだ", "given_kana": "ﾀﾛｳ",
            "birth-year": "1985", "birth-month": "4", "birth-day": "1", "sex": "male", "relationship": "head",
            "relationship_text": ""}
    return {**base, **values}


def test_a_member_is_normalised_kana_to_katakana_and_the_date_to_iso():
    members, errors = prefill.check_members([row()], today=TODAY)
    assert errors == []
    assert members == [{"moving": True, "family_name": "山田", "given_name": "太郎", "family_kana": "ヤマダ",
                        "given_kana": "タロウ", "birth_date": "1985-04-01", "sex": "male", "relationship": "head"}]


def test_names_are_kept_as_typed_never_nfkc():
    members, _ = prefill.check_members([row(family_name="髙\ufa10")], today=TODAY)
    assert members[0]["family_name"] == "髙\ufa10"


@pytest.mark.parametrize("year, month, day, expected", [
    ("昭和60", "4", "1", dt.date(1985, 4, 1)),
    ("S60", "4", "1", dt.date(1985, 4, 1)),
    ("平成元", "1", "8", dt.date(1989, 1, 8)),
    ("令和5年4月1日", "", "", dt.date(2023, 4, 1)),
    ("１９８５", "０４", "０１", dt.date(1985, 4, 1)),
    ("1985-04-01", "", "", dt.date(1985, 4, 1)),
    ("ｒ５", "4", "1", dt.date(2023, 4, 1)),
    ("Ｈ３０年", "４", "１", dt.date(2018, 4, 1)),
])
def test_birth_dates_in_seireki_or_wareki(year, month, day, expected):
    assert prefill.parse_date(year, month, day) == expected


def test_an_impossible_wareki_date_names_the_right_era():
    with pytest.raises(ValueError, match="令和"):
        prefill.parse_date("平成31", "5", "1")


def test_errors_name_the_member_and_the_field_ids():
    members, errors = prefill.check_members(
        [row(), row(family_name="", family_kana="Yamada", **{"birth-year": "2030"}, relationship="")], today=TODAY)
    assert members is None
    fields = dict(errors)
    assert set(fields) == {"m1-family_name", "m1-family_kana", "m1-birth-year", "m1-relationship"}
    assert fields["m1-family_name"].startswith("2人目")
    assert "カタカナ" in fields["m1-family_kana"]


def test_two_heads_are_refused_and_other_needs_its_words():
    _, errors = prefill.check_members([row(), row(relationship="head")], today=TODAY)
    assert "m0-relationship" in dict(errors)
    _, errors = prefill.check_members([row(relationship="other")], today=TODAY)
    assert "m0-relationship_text" in dict(errors)


def test_hostile_member_values_are_errors_not_crashes():
    _, errors = prefill.check_members([row(sex="<script>", relationship="king")], today=TODAY)
    assert {"m0-sex", "m0-relationship"} <= set(dict(errors))
    assert prefill.member_count({"members": "99999"}) == prefill.MAX_MEMBERS
    assert prefill.member_count({"members": "-1"}) == 1


def test_postcode_lookup_fills_only_an_empty_address():
    typed = {"postcode": "〒100－0001", "address": "", "building": "", "head_name": ""}
    assert prefill.fill_from_postcode(typed)
    assert typed["address"] == "東京都千代田区千代田"
    typed = {"postcode": "1000001", "address": "自分で書いた", "building": "", "head_name": ""}
    prefill.fill_from_postcode(typed)
    assert typed["address"] == "自分で書いた"
    assert not prefill.fill_from_postcode({"postcode": "0000000", "address": ""})


def test_address_checks_and_the_head_when_no_member_is_head():
    found, errors = prefill.check_address({"postcode": "100-0001", "address": "東京都千代田区千代田1-1"}, "new", "ja",
                                          needs_head=False)
    assert errors == [] and found["postcode"] == "1000001"
    _, errors = prefill.check_address({"postcode": "12", "address": ""}, "new", "ja", needs_head=True)
    assert set(dict(errors)) == {"new-postcode", "new-address", "new-head_name"}


def test_details_move_date_within_a_year_and_phone_digits_only():
    found, errors = prefill.check_details({"move_date-year": "令和8", "move_date-month": "11", "move_date-day": "28",
                                           "phone": "090‐1234ー5678"}, today=TODAY)
    assert errors == [] and found == {"move_date": "2026-11-28", "phone": "09012345678"}
    _, errors = prefill.check_details({"move_date-year": "2020", "move_date-month": "1", "move_date-day": "1",
                                       "phone": "12"}, today=TODAY)
    assert set(dict(errors)) == {"move_date-year", "phone"}


def test_paths_read_and_refuse():
    doc = {"members": [{"family_name": "山田"}], "new_address": {"postcode": "6750000"}, "move_date": "2026-11-28"}
    assert prefill.get_path(doc, "members[0].family_name") == "山田"
    assert prefill.get_path(doc, "members[5].family_name") == ""
    assert prefill.get_path(doc, "new_address.postcode") == "6750000"
    for bad in ("members[0].__class__", "new_address", "../etc", "my_number", ""):
        with pytest.raises(prefill.PrefillError):
            prefill.check_path(bad)
    assert prefill.missing_parts({"members": [{}], "previous_address": {}, "new_address": {}}) == ["addresses", "details"]
