"""Staff changes to a household at the counter (reservations/prefill.py): every correction passes
the resident's own checks (the same functions, so the same messages), members the documents show
are added and members marked not moving / removed, all kept beside the resident's entry; and the
counter's expected arrivals (first stop here, not checked in) apart from those coming next."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from core.japan_time import JST
from reservations import models as m
from reservations import prefill
from reservations import visit as visits
from reservations.prefill_models import VisitPrefill
from tests.web.prefill_helpers import fill, make_visit


def _today() -> dt.date:
    return dt.datetime.now(JST).date()  # the suite's clock, read in the test


def _record():
    return db.session.scalar(select(VisitPrefill))


def _resident_error(row_change: dict[str, str]) -> list[tuple[str, str]]:
    """What the resident's members page says of the first member changed so."""
    base = prefill.rows_of([{"family_name": "山田", "given_name": "太郎", "family_kana": "ヤマダ", "given_kana": "タロウ",
                             "birth_date": "1985-04-01", "sex": "male", "relationship": "head"},
                            {"family_name": "山田", "given_name": "花子", "family_kana": "ヤマダ",
                             "given_kana": "ハナコ", "birth_date": "1987-06-15", "sex": "female",
                             "relationship": "spouse"}])
    base[0].update(row_change)
    return prefill.check_members(base, today=_today())[1]


@pytest.mark.parametrize("path, value, resident", [
    ("members[0].sex", "robot", {"sex": "robot"}),
    ("members[0].relationship", "boss", {"relationship": "boss"}),
    ("members[0].family_kana", "Yamada", {"family_kana": "Yamada"}),
    ("members[0].given_kana", "", {"given_kana": ""}),
    ("members[0].family_name", "", {"family_name": ""}),
    ("members[0].birth_date", "平成31年5月1日", {"birth-year": "平成31年5月1日", "birth-month": "", "birth-day": ""}),
    ("members[0].birth_date", "2999-01-01", {"birth-year": "2999-01-01", "birth-month": "", "birth-day": ""}),
    ("members[0].relationship", "other", {"relationship": "other", "relationship_text": ""}),
])
def test_a_member_correction_fails_exactly_as_the_residents_entry_does(app, path, value, resident):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        record = _record()
        _checked, errors = prefill.check_correction(record, path, value, today=_today())
        assert errors and set(errors) <= set(_resident_error(resident))
        with pytest.raises(prefill.CorrectionError) as refused:
            prefill.correct(record, path, value, "counter.1", today=_today())
        assert refused.value.status == 422 and refused.value.errors == errors
        assert prefill.corrections(_record()) == {}


def test_a_second_head_is_refused_like_on_the_residents_page(app):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        _value, errors = prefill.check_correction(_record(), "members[1].relationship", "head", today=_today())
        assert errors == [("m0-relationship", prefill.message("ja", "two_heads"))]


@pytest.mark.parametrize("path, value, field, key", [
    ("new_address.postcode", "12", "new-postcode", "postcode"),
    ("previous_address.address", "", "previous-address", "address"),
    ("phone", "abc", "phone", "phone"),
    ("move_date", "1999-01-01", "move_date-year", "move_date_range"),
])
def test_address_and_detail_corrections_use_the_residents_checks(app, path, value, field, key):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        _value, errors = prefill.check_correction(_record(), path, value, today=_today(), example_postcode="100-0001",
                                                  example_phone="03-1234-5678")
        which = "新しい住所" if field.startswith("new") else "前の住所"  # the message names the address
        assert errors == [(field, prefill.message("ja", key, example="03-1234-5678" if key == "phone" else "100-0001",
                                                  max=prefill.MAX_ADDRESS, which=which))]


@pytest.mark.parametrize("path, value, stored", [
    ("members[0].family_kana", "やまだ", "ヤマダ"),
    ("members[0].given_kana", "ﾀﾛｳ", "タロウ"),
    ("members[0].birth_date", "昭和60年4月2日", "1985-04-02"),
    ("members[0].sex", "", ""),
    ("new_address.postcode", "６７５－００００", "6750000"),
    ("phone", "090-1234-0000", "09012340000"),
])
def test_a_good_correction_is_stored_as_the_residents_checks_normalise_it(app, path, value, stored):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        record = _record()
        before = prefill.correct(record, path, value, "counter.1", today=_today())
        assert before == prefill.get_path(prefill.household(record), path)
        assert prefill.corrections(_record())[path]["value"] == stored
        assert prefill.get_path(prefill.effective(_record()), path) == stored


CHILD = {"family_name": "山田", "given_name": "一郎", "family_kana": "やまだ", "given_kana": "いちろう",
         "birth-year": "令和2", "birth-month": "5", "birth-day": "5", "sex": "male", "relationship": "child"}


def test_staff_add_a_member_and_mark_others_kept_beside_the_residents_entry(app):
    number, _ = make_visit(app)
    fill(app, number)
    with app.app_context():
        record = _record()
        with pytest.raises(prefill.CorrectionError) as refused:
            prefill.add_member(record, {**CHILD, "given_kana": "Ichiro", "sex": "robot"}, "counter.1", today=_today())
        assert {f for f, _t in refused.value.errors} == {"m2-given_kana", "m2-sex"}
        with pytest.raises(prefill.CorrectionError):
            prefill.add_member(record, {**CHILD, "relationship": "head"}, "counter.1", today=_today())  # two heads
        assert prefill.add_member(record, CHILD, "counter.1", today=_today()) == 2
        doc = prefill.effective(_record())
        assert [mb["given_name"] for mb in doc["members"]] == ["太郎", "花子", "一郎"]
        assert doc["members"][2]["given_kana"] == "イチロウ" and doc["members"][2]["birth_date"] == "2020-05-05"
        # the added member's fields are corrected like any other
        prefill.correct(_record(), "members[2].given_name", "一朗", "counter.1", today=_today())
        prefill.mark_member(_record(), 1, "not_moving", "counter.1")
        doc = prefill.effective(_record())
        assert [mb["moving"] for mb in doc["members"]] == [True, False, True]
        prefill.mark_member(_record(), 1, "moving", "counter.1")
        prefill.mark_member(_record(), 0, "remove", "counter.1")
        assert [mb["given_name"] for mb in prefill.effective(_record())["members"]] == ["花子", "一朗"]
        # the resident's entry is untouched, the staff's changes sit beside it
        assert [mb["given_name"] for mb in prefill.household(_record())["members"]] == ["太郎", "花子"]
        assert prefill.corrections(_record())["members[0].removed"]["by"] == "counter.1"
        # a removed member is not corrected any more; a member that is not there cannot be marked
        with pytest.raises(prefill.PrefillError):
            prefill.correct(_record(), "members[0].given_name", "x", "counter.1", today=_today())
        with pytest.raises(prefill.PrefillError):
            prefill.mark_member(_record(), 7, "remove", "counter.1")
        with pytest.raises(prefill.PrefillError):
            prefill.mark_member(_record(), 1, "explode", "counter.1")


def test_expected_arrivals_are_apart_from_those_coming_next(app):
    here, _ = make_visit(app)  # 市民課 first, then 国保
    tomorrow, _ = make_visit(app, day=_today() + dt.timedelta(days=1))
    cancelled, _ = make_visit(app, status=m.CANCELLED)
    late, _ = make_visit(app, stops=(("kokuho", "kokuho_kanyu"),))
    with app.app_context():
        expected = prefill.expected(["shimin_ido", "kokuho"], _today())
        assert [(v.number, s.counter_id) for v, s in expected] == [(here, "shimin_ido"), (late, "kokuho")]
        assert all(v.number not in (tomorrow, cancelled) for v, _s in expected)
        assert prefill.coming_next(["shimin_ido", "kokuho"], _today()) == []
        # checked in at the first counter: coming there, no longer expected
        first = visits.stops(visits.by_number(here))[0]
        first.checked_in_at, first.status = dt.datetime.now(dt.UTC), m.CHECKED_IN
        db.session.commit()
        assert [v.number for v, _s in prefill.expected(["shimin_ido"], _today())] == []
        assert [v.number for v, _s in prefill.coming_next(["shimin_ido"], _today())] == [here]
        # the 国保-first visit is expected at 国保 only, never at 市民課
        assert [v.number for v, _s in prefill.expected(["shimin_ido"], _today())] == []
        assert [v.number for v, _s in prefill.expected(["kokuho"], _today())] == [late]
