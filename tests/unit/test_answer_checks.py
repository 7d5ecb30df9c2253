"""rules.answer_checks and the scenario format's safety-net expectations, without the app."""
import dataclasses
import datetime as dt
import re

import pytest

from core.languages import CODES
from core.words import catalog, text
from rules.answer_checks import MESSAGES, OVERDUE_NOTE, date_warnings, past_due_warning
from rules.conditions import ConditionError, constraints
from rules.request import Situation, read_request
from rules.scenarios import check_expectations
from rules.vocabulary import load_vocabulary

V = load_vocabulary()


def situation(**kw):
    base = Situation(event="moving_in", event_date=dt.date(2026, 4, 1), values={"event": "moving_in"},
                     members=None, today=dt.date(2026, 4, 1))
    return dataclasses.replace(base, **kw)


def test_every_message_is_in_every_language_with_the_same_slots():
    for code, msgid in {**MESSAGES, "overdue": OVERDUE_NOTE}.items():
        texts = {locale: catalog(locale).gettext(msgid) for locale in CODES}  # the catalogs' own words
        assert all(t.strip() for t in texts.values()), code
        assert len(set(texts.values())) >= 6, code  # easy may read like Japanese; no other two alike
        slots = set(re.findall(r"%\((\w+)\)s", msgid))
        assert all(set(re.findall(r"%\((\w+)\)s", t)) == slots for t in texts.values()), code


@pytest.mark.parametrize("day, today, codes", [
    (dt.date(2026, 4, 1), dt.date(2026, 4, 1), []),
    (dt.date(2021, 4, 2), dt.date(2026, 4, 1), []),          # just under 5 years
    (dt.date(2021, 3, 31), dt.date(2026, 4, 1), ["date_far_past"]),
    (dt.date(2027, 4, 1), dt.date(2026, 4, 1), []),          # a year ahead: planning
    (dt.date(2027, 4, 2), dt.date(2026, 4, 1), ["date_far_future"]),
    (dt.date(2150, 1, 1), dt.date(2028, 2, 29), ["date_far_future"]),
    (dt.date(2150, 1, 1), None, []),                         # no day to compare with
])
def test_date_bounds(day, today, codes):
    got = date_warnings(situation(event_date=day, today=today), [])
    assert [w["code"] for w in got] == codes


def test_birth_or_death_after_today_is_questioned_a_move_is_not():
    for event, codes in (("birth", ["event_date_in_future"]), ("death", ["event_date_in_future"]), ("moving_out", [])):
        s = situation(event=event, event_date=dt.date(2026, 4, 10), today=dt.date(2026, 4, 1))
        assert [w["code"] for w in date_warnings(s, [])] == codes


def test_overdue_marks_only_dates_before_today_and_adds_the_sentence_first():
    procs = [{"id": "a", "due_date": "2026-03-31", "deadline_notes": ["x"]},
             {"id": "b", "due_date": "2026-04-01", "deadline_notes": []}, {"id": "c", "due_date": None}]
    got = past_due_warning(situation(locale="en"), procs)
    assert [p["overdue"] for p in procs] == [True, False, False]
    assert procs[0]["deadline_notes"] == [text("en", OVERDUE_NOTE), "x"]
    assert got[0]["fields"] == ["event_date", "procedures[a].due_date"]
    assert past_due_warning(situation(today=None), [{"id": "a", "due_date": "2000-01-01"}]) == []


def test_as_of_overrides_the_callers_today_and_is_in_the_cache_key():
    one = read_request({"event": "birth", "as_of": "2026-05-01"}, V, {"birth"}, today=dt.date(2026, 1, 1))
    two = read_request({"event": "birth"}, V, {"birth"}, today=dt.date(2026, 1, 1))
    assert one.today == dt.date(2026, 5, 1) and two.today == dt.date(2026, 1, 1)
    assert one.cache_key("v") != two.cache_key("v")


def test_a_malformed_constraint_is_refused_with_where_it_is():
    bad = dataclasses.replace(V, constraints=({"fact": "insurance", "value": "gold", "requires": {"age": {"gte": 1}}},))
    with pytest.raises(ConditionError) as exc:
        constraints(bad)
    assert exc.value.path[:2] == ("constraints", 0)


def test_scenarios_can_expect_warnings_ignored_facts_and_overdue():
    body = {"procedures": [{"id": "a", "status": "required", "overdue": False}],
            "warnings": [{"code": "due_date_past"}], "ignored_facts": ["facts.dog"]}
    assert check_expectations(body, {"warnings": ["due_date_past"], "ignored": ["facts.dog"]}) == []
    assert check_expectations(body, {"warnings": []}) == ["warnings ['due_date_past'], expected []"]
    assert check_expectations(body, {"ignored": []})
    assert check_expectations(body, {"overdue": ["a"]}) == ["a is not flagged overdue"]


def test_a_death_dated_after_the_day_it_became_known_is_questioned():
    from rules.answer_checks import answer_warnings
    for death, codes in ((dt.date(2026, 3, 30), []), (dt.date(2026, 4, 1), []),
                         (dt.date(2026, 4, 3), ["death_after_learned"])):
        s = situation(event="death", values={"event": "death", "deceased.death_date": death})
        assert [w["code"] for w in answer_warnings(s, V, [])] == codes
