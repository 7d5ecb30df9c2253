"""Conditions: parsing with negation pushed down, Kleene three-valued truth, the words."""
import pytest

from rules import wording
from rules.conditions import All, Any_, Atom, ConditionError, evaluate, parse, sort_atoms
from rules.vocabulary import load_vocabulary

V = load_vocabulary()


def test_plain_value_is_equality_and_keys_are_anded():
    cond = parse({"facts.dog": True, "deceased.age": {"gte": 65}}, V, "household")
    assert isinstance(cond, All)
    assert [(a.fact.path, a.op, a.value) for a in cond.items] == [("facts.dog", "eq", True), ("deceased.age", "gte", 65)]


def test_not_is_pushed_down_to_the_atoms():
    cond = parse({"not": {"facts.dog": True, "deceased.age": {"gte": 65}}}, V, "household")
    assert isinstance(cond, Any_)
    assert [(a.op, a.value) for a in cond.items] == [("ne", True), ("lt", 65)]


def test_double_negation_cancels():
    cond = parse({"not": {"not": {"age": {"lt": 18}}}}, V, "member")
    assert isinstance(cond, Atom) and cond.op == "lt"


@pytest.mark.parametrize("raw, message", [
    ({"facts.cat": True}, "unknown fact 'facts.cat'"),
    ({"age": {"gte": "65"}}, "'65' is not a value of 'age'"),
    ({"insurance": "kokuhoo"}, "'kokuhoo' is not a value of 'insurance'"),
    ({"insurance": {"gte": 3}}, "'gte' compares numbers"),
    ({"age": {"between": 3}}, "unknown operator 'between'"),
    ({"any": []}, "non-empty list"),
    ({}, "non-empty mapping"),
])
def test_bad_conditions_say_what_is_wrong(raw, message):
    with pytest.raises(ConditionError, match=message):
        parse(raw, V, "member" if "age" in str(raw) or "insurance" in str(raw) else "household")


def test_error_path_points_inside_the_condition():
    with pytest.raises(ConditionError) as info:
        parse({"any": [{"age": {"gte": 65}}, {"age": {"lt": "x"}}]}, V, "member")
    assert info.value.path == ("any", 1, "age", "lt")


@pytest.mark.parametrize("values, expected", [
    ({"age": 70, "insurance": "kokuho"}, True),
    ({"age": 70}, None),  # insurance unanswered
    ({"age": 30}, False),  # false whatever the insurance
    ({}, None),
])
def test_kleene_and(values, expected):
    cond = parse({"age": {"gte": 65}, "insurance": "kokuho"}, V, "member")
    assert evaluate(cond, values) is expected


@pytest.mark.parametrize("values, expected", [
    ({"age": 70}, True), ({"age": 30, "disability_certificate": True}, True),
    ({"age": 30}, None), ({"age": 30, "disability_certificate": False}, False),
])
def test_kleene_or(values, expected):
    cond = parse({"any": [{"age": {"gte": 65}}, {"disability_certificate": True}]}, V, "member")
    assert evaluate(cond, values) is expected


def test_sort_atoms_names_what_held_what_is_unknown_and_what_failed():
    cond = parse({"age": {"gte": 65}, "insurance": "kokuho"}, V, "member")
    held, unknown, failed = sort_atoms(cond, {"age": 70})
    assert [a.fact.path for a in held] == ["age"] and [a.fact.path for a in unknown] == ["insurance"] and not failed
    held, unknown, failed = sort_atoms(cond, {"age": 30})
    assert [a.fact.path for a in failed] == ["age"]


@pytest.mark.parametrize("raw, ja, en", [
    ({"age": {"gte": 65}}, "65歳以上の方がいる", "someone aged 65 or over is concerned"),
    ({"age": {"lt": 18}}, "18歳未満の方がいる", "someone aged under 18 is concerned"),
    ({"mynumber_card": True}, "マイナンバーカードを持っている方がいる", "someone holding a My Number Card is concerned"),
    ({"insurance": "kokuho", "age": {"lt": 75}}, "国民健康保険に加入している、75歳未満の方がいる",
     "someone in the National Health Insurance, aged under 75 is concerned"),
])
def test_member_words(raw, ja, en):
    from rules.conditions import atoms_of
    atoms = list(atoms_of(parse(raw, V, "member")))
    assert wording.member_phrase(atoms, "ja") == ja
    assert wording.member_phrase(atoms, "en") == en
    assert wording.because(wording.member_phrase(atoms, "ja"), "ja") == ja + "ため"
    assert wording.if_(wording.member_phrase(atoms, "ja"), "ja") == ja + "場合"


def test_household_words_follow_the_operator():
    atom = parse({"facts.dog": True}, V, "household")
    assert wording.atom_phrase(atom, "ja") == "犬を飼っている"
    assert wording.atom_phrase(atom.negated(), "ja") == "犬を飼っていない"
    age = parse({"deceased.age": {"gte": 65}}, V, "household")
    assert wording.atom_phrase(age, "ja") == "亡くなった方が65歳以上"
    assert wording.atom_phrase(age.negated(), "en") == "the deceased was under 65"
