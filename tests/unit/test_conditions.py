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


@pytest.mark.parametrize("raw, ja, en, easy", [
    ({"age": {"gte": 65}}, "65歳以上の方がいる", "someone in your household is 65 or over", "65さい いじょうの ひとが いる"),
    ({"age": {"lt": 18}}, "18歳未満の方がいる", "someone in your household is under 18", "18さいに なって いない ひとが いる"),
    ({"mynumber_card": True}, "マイナンバーカードを持っている方がいる", "someone in your household has a My Number Card",
     "まいなんばー かーどを もって いる ひとが いる"),
    ({"insurance": "kokuho", "age": {"lt": 75}}, "75歳未満で国民健康保険に加入している方がいる",
     "someone in your household is under 75 and in the National Health Insurance",
     "75さいに なって いなくて、こくみん けんこう ほけんに はいって いる ひとが いる"),
    ({"age": {"gte": 20, "lte": 59}, "pension": "third"}, "20歳から59歳までで国民年金の第3号被保険者の方がいる",
     "someone in your household is between 20 and 59 and a category 3 member of the National Pension",
     "20さいから 59さいまでで、こくみん ねんきんの だい3ごう ひほけんしゃの ひとが いる"),
    ({"relation": "self", "insurance": "kokuho"}, "ご本人が国民健康保険に加入している",
     "you are in the National Health Insurance", "あなたが こくみん けんこう ほけんに はいって いる"),
    ({"relation": "child"}, "子どもがいる", "there is a child in your household", "こどもが いる"),
    ({"school": {"in": ["elementary", "junior_high"]}}, "小学校か中学校に通っている方がいる",
     "someone in your household is at elementary or junior high school",
     "しょうがっこうか ちゅうがっこうに かよって いる ひとが いる"),
])
def test_member_words(raw, ja, en, easy):
    from rules.conditions import atoms_of
    atoms = list(atoms_of(parse(raw, V, "member")))
    assert wording.member_phrase(atoms, "ja") == ja
    assert wording.member_phrase(atoms, "en") == en
    assert wording.member_phrase(atoms, "easy") == easy
    assert [r.text for r in wording.member_because(atoms, "ja")] == [ja + "ため"]
    assert [r.text for r in wording.member_because(atoms, "en")] == ["Because " + en]
    assert [r.text for r in wording.member_because(atoms, "easy")] == [easy + " からです。"]
    parts = wording.member_statements(atoms, "ja")
    assert wording.if_reason(parts, "ja").text == ja + "場合"


def test_more_than_two_conditions_about_one_person_become_two_sentences():
    from rules.conditions import atoms_of
    atoms = list(atoms_of(parse({"age": {"gte": 6, "lte": 15}, "school": {"in": ["elementary", "junior_high"]},
                                 "public_school": True}, V, "member")))
    assert [r.text for r in wording.member_because(atoms, "ja")] == [
        "6歳から15歳までで小学校か中学校に通っている方がいるため", "その方が市立の学校に通うため"]
    reason = wording.if_reason(wording.member_statements(atoms, "en"), "en")
    assert reason.text == ("If someone in your household is between 6 and 15 and at elementary or junior high school. "
                           "This requires that this person is at a municipal school")
    assert reason.conditions == (2, 1)


def test_two_conditions_join_as_basho_de_toki():
    dog = wording.predicate([parse({"facts.surname_change": True}, V, "household")], "ja")
    kokuho = wording.predicate([parse({"facts.insurance_after": "kokuho"}, V, "household")], "ja")
    assert wording.if_reason([(dog, 1), (kokuho, 1)], "ja").text == \
        "名字（氏）が変わる場合で、手続きの後は国民健康保険に入るとき"


def test_household_words_follow_the_operator():
    atom = parse({"facts.dog": True}, V, "household")
    assert wording.atom_phrase(atom, "ja") == "犬を飼っている"
    assert wording.atom_phrase(atom.negated(), "ja") == "犬を飼っていない"
    age = parse({"deceased.age": {"gte": 65}}, V, "household")
    assert wording.atom_phrase(age, "ja") == "亡くなった方が65歳以上"
    assert wording.because(wording.predicate([age], "ja"), "ja").text == "亡くなった方が65歳以上だったため"
    assert wording.atom_phrase(age.negated(), "en") == "the person who died was under 65"
    hyogo = parse({"facts.from_hyogo": False}, V, "household")
    assert wording.because(wording.predicate([hyogo], "ja"), "ja").text == "前の住所が兵庫県の外にあるため"


def test_a_person_named_without_conditions():
    from rules.conditions import atoms_of
    me = list(atoms_of(parse({"relation": "self"}, V, "member")))
    assert wording.member_phrase(me, "en") == "you are among the people listed"
    assert wording.member_phrase(me, "ja") == "ご本人がいる"
    assert wording.member_absent(me, "en").text == "Because the people listed do not include you"
    assert wording.member_absent(me, "ja").text == "一覧にご本人がいないため"
    child = list(atoms_of(parse({"relation": "child"}, V, "member")))
    assert wording.member_absent(child, "en").text == "Because there is no child in your household"
    assert wording.member_absent(child, "easy").text == "こどもが いない からです。"
