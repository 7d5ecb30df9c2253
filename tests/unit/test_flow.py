"""Questionnaire routing: pages follow from the answers; skipped questions are not asked."""
from guide import flow


def keys(rulebook, event, answers):
    kb, vocab = rulebook.kb, rulebook.vocab
    return [s.key for s in flow.steps(kb, vocab, kb.events[event], answers)]


def test_people_pages_follow_the_count(rulebook):
    ks = keys(rulebook, "moving_in", {"date": "2026-04-01", "n": "2"})
    # 国外から？ is asked before the people pages (issue 10 walk: a newcomer from abroad)
    assert ks[:3] == ["date", "q-from_abroad", "people"]
    assert "person-1" in ks and "person-2" in ks and "person-3" not in ks


def test_member_questions_depend_on_that_persons_age(rulebook):
    kb, vocab = rulebook.kb, rulebook.vocab
    event = kb.events["moving_in"]
    answers = {"n": "2", "m0.relation": "self", "m0.age": "35", "m1.relation": "child", "m1.age": "8"}
    steps = {s.key: s for s in flow.steps(kb, vocab, event, answers)}
    adult = [q.id for q in flow.person_questions(kb, vocab, event, answers, steps["person-1-more"])]
    child = [q.id for q in flow.person_questions(kb, vocab, event, answers, steps["person-2-more"])]
    assert "school" not in adult and "school" in child
    assert "care_certified" not in child and "care_certified" not in adult  # asked from 40
    # moving in: the insurance after the move (a newcomer without one answers 国保)
    assert "insurance_after_move" in adult and "insurance_after_move" in child


def test_household_question_skipped_when_its_condition_is_false(rulebook):
    young = keys(rulebook, "moving_in", {"n": "1", "m0.age": "30", "f.from_abroad": "no"})
    old = keys(rulebook, "moving_in", {"n": "1", "m0.age": "80", "f.from_abroad": "no"})
    assert "q-from_hyogo" not in young and "q-from_hyogo" in old
    abroad = keys(rulebook, "moving_in", {"n": "1", "m0.age": "30", "f.from_abroad": "yes"})
    assert "q-special_moveout" not in abroad


def test_unanswered_condition_still_asks(rulebook):
    assert "q-from_hyogo" in keys(rulebook, "moving_in", {"n": "1"})


def test_clean_drops_answers_of_people_beyond_the_count(rulebook):
    kb, vocab = rulebook.kb, rulebook.vocab
    answers = {"date": "2026-04-01", "n": "1", "m0.age": "30", "m1.age": "8", "f.dog": "yes"}
    cleaned = flow.clean(answers, kb, vocab, kb.events["moving_in"])
    assert "m1.age" not in cleaned and cleaned["m0.age"] == "30" and cleaned["f.dog"] == "yes"


def test_answers_become_an_api_request(rulebook):
    kb, vocab = rulebook.kb, rulebook.vocab
    answers = {"date": "2026-04-01", "n": "1", "m0.age": "30", "m0.insurance": "unknown", "f.dog": "yes",
               "f.moveout_planned_date": "2026-03-31"}
    req = flow.to_request(kb.events["moving_in"], answers, vocab, "ja")
    assert req["members"] == [{"age": 30}]
    assert req["facts"] == {"dog": True, "moveout_planned_date": "2026-03-31"}
    assert req["event_date"] == "2026-04-01"


def test_household_values_read_only_the_asked_keys_in_the_vocabularys_order(rulebook):
    """The household's typed answers: every ``f.*``/``d.*`` answer of a known fact, typed, in the
    vocabulary's order (the answer keys are listed once per vocabulary)."""
    vocab = rulebook.vocab
    answers, expected = {"n": "1", "m0.age": "3", "f.unknown_fact": "yes"}, {"event": "birth"}
    for i, (path, fact) in enumerate(reversed(vocab.household.items())):  # given in the other order
        group, _, name = path.partition(".")
        if group not in ("facts", "deceased"):
            continue
        key = f"{'f' if group == 'facts' else 'd'}.{name}"
        raw = {"bool": ["yes", "no", "unknown"][i % 3], "int": "42", "date": "2026-04-01"}.get(
            fact.type, next(iter(fact.values), "x") if fact.values else "x")
        answers[key] = raw
        if flow.typed(fact, raw) is not None:
            expected[path] = flow.typed(fact, raw)
    got = flow.household_values("birth", answers, vocab)
    assert got == expected
    assert list(got) == ["event"] + [p for p in vocab.household if p in expected and p != "event"]
    assert flow._household_keys(vocab) is flow._household_keys(vocab)
