"""Ages that make an outcome impossible (knowledge/facts.yaml `constraints`): never listed, not
even as conditional, whatever else is unknown; the implied conditions never show in the words.

The property test re-decides every listed procedure with an evaluator of its own: the rules'
conditions as the curator wrote them (implied atoms stripped), where an unanswered constrained
fact ranges only over the values the person's age allows — the same constraint table, read
independently of the conjoining in rules.conditions.imply."""
import random

import pytest

from rules.answer_checks import MESSAGES
from rules.conditions import All, Any_, Atom, constraints, evaluate, imply, parse, sort_atoms
from rules.evaluate import evaluate as guide
from rules.request import read_request
from rules.vocabulary import load_vocabulary

V = load_vocabulary()


def run(book, body):
    return guide(book, read_request(body, book.vocab, set(book.events)))


def listed(book, body) -> dict[str, str]:
    return {p["id"]: p["status"] for p in run(book, body)["procedures"]}


# --- the lead's households --------------------------------------------------------------

def test_deceased_of_50_with_unknown_insurance_has_no_kouki(rulebook):
    got = listed(rulebook, {"event": "death", "event_date": "2026-04-01",
                            "deceased": {"age": 50, "insurance": "unknown"}})
    assert not {p for p in got if p.startswith("kouki_")}
    assert got["kokuho_soshitsu"] == "conditional"  # what the age allows stays listed
    older = listed(rulebook, {"event": "death", "event_date": "2026-04-01",
                              "deceased": {"age": 70, "insurance": "unknown"}})
    assert older["kouki_soshitsu"] == "conditional"  # 65–74 with a disability certification


def test_deceased_of_30_with_unknown_care_certification_has_no_kaigo(rulebook):
    got = listed(rulebook, {"event": "death", "event_date": "2026-04-01",
                            "deceased": {"age": 30, "care_certified": "unknown"}})
    assert "kaigo_soshitsu" not in got
    assert listed(rulebook, {"event": "death", "event_date": "2026-04-01",
                             "deceased": {"age": 45, "care_certified": "unknown"}})["kaigo_soshitsu"] == "conditional"


def test_pension_recipient_of_78_is_never_offered_survivors_pension(rulebook):
    got = listed(rulebook, {"event": "death", "event_date": "2026-04-01",
                            "deceased": {"age": 78, "pension_recipient": True, "pension": "unknown"}})
    assert "nenkin_izoku" not in got and got["nenkin_mishikyu"] == "required"
    assert listed(rulebook, {"event": "death", "event_date": "2026-04-01",
                             "deceased": {"age": 50, "pension": "unknown"}})["nenkin_izoku"] == "conditional"


def test_members_too_young_for_kouki_or_kaigo_or_too_old_for_category_3(rulebook):
    got = listed(rulebook, {"event": "moving_within", "event_date": "2026-04-01",
                            "members": [{"relation": "self", "age": 30, "insurance": "unknown"}]})
    assert "kouki_henko" not in got and got["kokuho_henko"] == "conditional"
    death = listed(rulebook, {"event": "death", "event_date": "2026-04-01", "deceased": {"age": 70},
                              "members": [{"relation": "spouse", "age": 62, "pension": "unknown"}]})
    assert "nenkin_shubetsu_henko" not in death


# --- the mechanism ------------------------------------------------------------------------

def test_every_constraint_parses_and_has_a_message_in_three_languages():
    table = constraints(V)
    assert len(table) >= 8
    for c in table:
        assert c.code in MESSAGES and all(MESSAGES[c.code]) and c.source
        assert all(a.implied for a in _atoms(c.requires))


def test_positive_uses_get_the_requirement_negative_uses_do_not():
    kouki = parse({"insurance": "kouki"}, V, "member")
    assert evaluate(kouki, {"age": 50}) is False and evaluate(kouki, {"age": 80}) is None
    either = parse({"insurance": {"in": ["kokuho", "kouki"]}}, V, "member")
    assert evaluate(either, {"age": 50}) is None  # still kokuho
    assert evaluate(either, {"age": 50, "insurance": "kouki"}) is False
    assert evaluate(either, {"age": 50, "insurance": "kokuho"}) is True
    not_kouki = parse({"insurance": {"ne": "kouki"}}, V, "member")
    assert not_kouki == imply(not_kouki, ())  # untouched
    assert evaluate(parse({"deceased.care_certified": True}, V, "household"), {"deceased.age": 39}) is False
    assert evaluate(parse({"deceased.care_certified": {"ne": False}}, V, "household"), {"deceased.age": 39}) is False


def test_implied_atoms_decide_but_are_never_put_into_words(rulebook):
    kouki = parse({"deceased.insurance": "kouki"}, V, "household")
    held, unknown, failed = sort_atoms(kouki, {"deceased.age": 80})
    assert [a.fact.path for a in unknown] == ["deceased.insurance"] and not held and not failed
    body = run(rulebook, {"event": "death", "event_date": "2026-04-01",
                          "deceased": {"age": 80, "insurance": "kouki"}})
    why = next(p for p in body["procedures"] if p["id"] == "kouki_soshitsu")["why"]
    assert why and not any("65" in w for w in why)
    body = run(rulebook, {"event": "death", "event_date": "2026-04-01", "deceased": {"age": 80}})
    why = next(p for p in body["procedures"] if p["id"] == "kouki_soshitsu")["why"]
    assert why and not any("65" in w or "歳" in w for w in why)


# --- property: nothing listed whose deciding conditions are impossible for the ages ---------

def _atoms(cond):
    if isinstance(cond, Atom):
        yield cond
    elif cond is not None:
        for c in cond.items:
            yield from _atoms(c)


def _strip(cond):
    """The condition as written: implied atoms (and groups of only them) removed."""
    if cond is None or isinstance(cond, Atom):
        return None if cond is None or cond.implied else cond
    items = tuple(x for x in (_strip(c) for c in cond.items) if x is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else type(cond)(items)


def _allowed(fact, person: dict, scope: str) -> list:
    domain = [True, False] if fact.type == "bool" else list(fact.values)
    bad = {c.value for c in constraints(V) if c.fact.path == fact.path and c.fact.scope == scope
           and evaluate(c.requires, person) is False}
    return [v for v in domain if v not in bad]


def _restricted(cond, person: dict, scope: str):
    """Kleene truth where an unanswered constrained fact takes only the values the age allows."""
    if cond is None:
        return True
    if isinstance(cond, Atom):
        if person.get(cond.fact.path) is None and cond.fact.type in ("bool", "enum") and any(
                c.fact.path == cond.fact.path and c.fact.scope == scope for c in constraints(V)):
            truths = {evaluate(cond, {**person, cond.fact.path: v}) for v in _allowed(cond.fact, person, scope)}
            return truths.pop() if len(truths) == 1 else None
        return evaluate(cond, person)
    results = [_restricted(c, person, scope) for c in cond.items]
    if isinstance(cond, All):
        return False if False in results else None if None in results else True
    assert isinstance(cond, Any_)
    return True if True in results else None if None in results else False


def _random_household(event: str, rnd: random.Random) -> dict:
    def pick(fact):
        if fact.type == "bool":
            return rnd.choice([True, False, "unknown", None])
        if fact.type == "enum":
            return rnd.choice([*fact.values, "unknown", None])
        if fact.type == "int":
            return rnd.choice([rnd.randint(0, 100), None])
        return None

    def consistent(person: dict, scope: str) -> dict:  # contradictions are warnings, not this test
        for c in constraints(V):
            if c.fact.scope == scope and person.get(c.fact.path) == c.value and evaluate(c.requires, {
                    k: v for k, v in person.items() if v not in (None, "unknown")}) is False:
                person[c.fact.path] = "unknown"
        return person

    deceased = consistent({p: pick(f) for p, f in V.household.items() if p.startswith("deceased.")}, "household")
    deceased["deceased.age"] = rnd.randint(0, 100)
    members = [consistent({**{k: pick(f) for k, f in V.member.items()}, "age": rnd.randint(0, 100)}, "member")
               for _ in range(rnd.randint(0, 3))]
    return {"event": event, "event_date": "2026-04-01",
            "facts": {p[6:]: pick(f) for p, f in V.household.items() if p.startswith("facts.") and f.type != "date"},
            "deceased": {p[9:]: v for p, v in deceased.items()} if event == "death" else None,
            "members": members if members or rnd.random() < 0.5 else None}


@pytest.mark.parametrize("event", ["moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce"])
def test_no_listed_procedure_is_impossible_for_the_ages_given(rulebook, event):
    rnd = random.Random(f"h1-{event}")
    er = rulebook.rules_for(event)
    checked = 0
    for _ in range(150):
        body = _random_household(event, rnd)
        situation = read_request(body, rulebook.vocab, set(rulebook.events))
        result = guide(rulebook, situation)
        people = [dict(m) for m in situation.members] if situation.members is not None else None
        for p in result["procedures"]:
            possible = False
            for rule in (r for r in er.rules if r.procedure == p["id"]):
                if _restricted(_strip(rule.household), situation.values, "household") is False:
                    continue
                if rule.member is None or people is None:
                    possible = True
                elif sum(_restricted(_strip(rule.member), m, "member") is not False for m in people) >= rule.at_least:
                    possible = True
                if possible:
                    break
            assert possible, f"{p['id']} ({p['status']}) listed for an impossible household: {body}"
            checked += 1
    assert checked > 150


# --- the engine decides the derived facts exactly as the reference evaluator ----------------

def test_engine_agrees_with_the_reference_on_constrained_conditions():
    from rules.compiler import Clause
    from rules.conditions import derived_facts
    from rules.engine import RuleEngine
    table = constraints(V)
    conds = {
        "eq": parse({"insurance": "kouki"}, V, "member"),
        "partial_in": parse({"insurance": {"in": ["kokuho", "kouki"]}, "age": {"gte": 15}}, V, "member"),
        "all_in": parse({"pension": {"in": ["first", "third"]}}, V, "member"),
        "bool": parse({"any": [{"care_certified": True}, {"age": {"gte": 65}}]}, V, "member"),
    }
    engine = RuleEngine("h1_constraints_agree", [Clause(tag, member=c) for tag, c in conds.items()])
    rnd = random.Random("h1-agree")
    for _ in range(400):
        person = {k: v for k, v in {
            "age": rnd.choice([None, rnd.randint(0, 100)]),
            "insurance": rnd.choice([None, *V.member["insurance"].values]),
            "pension": rnd.choice([None, *V.member["pension"].values]),
            "care_certified": rnd.choice([None, True, False])}.items() if v is not None}
        outcomes = engine.decide({}, [{**person, **derived_facts(person, "member", table)}])
        for tag, cond in conds.items():
            want = evaluate(cond, person)
            got = True if outcomes[tag].definite else None if outcomes[tag].possible else False
            assert got is want, (tag, person)
