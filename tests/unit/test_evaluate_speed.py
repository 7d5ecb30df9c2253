"""What the speed-ups of a first answer (issue 10) rely on: work that depends only on the
rulebook and the locale is made once and never shared between answers in a way one answer
could change for another. (That they change no byte of any answer:
tests/unit/test_evaluate_same_output.py.)"""
from __future__ import annotations

import datetime as dt

from rules import evaluate as ev
from rules.request import read_request

ENTRY_KEYS = ["id", "name", "status", "department", "counter", "counter_id", "due_date", "due_from", "deadline",
              "deadline_notes", "members", "newborn", "bring", "why", "place", "fees", "fee_date", "online",
              "reserve", "verified", "source_url"]


def _situation(rulebook, **body):
    return read_request({"event": "moving_in", "event_date": "2026-11-20", "facts": {"from_abroad": False},
                         "members": [{"relation": "self", "age": 40}], **body},
                        rulebook.vocab, set(rulebook.events), today=dt.date(2026, 12, 2))


def test_listed_procedures_are_copies_of_a_template_made_once_per_procedure_and_locale(rulebook):
    first = ev.evaluate(rulebook, _situation(rulebook))
    proc = rulebook.kb.procedures[first["procedures"][0]["id"]]
    template = ev._entry_template(rulebook, proc, "ja")
    assert template is ev._entry_template(rulebook, proc, "ja")
    assert template is not ev._entry_template(rulebook, proc, "en")
    assert list(template) == ENTRY_KEYS
    for p in first["procedures"]:
        assert list(p)[:len(ENTRY_KEYS) + 1] == [*ENTRY_KEYS, "order"]  # then "overdue" where it is
    # an answer's entries are its own: changing one changes neither the template nor the next answer
    first["procedures"][0]["name"] = "changed"
    first["procedures"][0]["online"]["url"] = "/elsewhere"
    second = ev.evaluate(rulebook, _situation(rulebook, event_date="2026-11-21"))
    again = next(p for p in second["procedures"] if p["id"] == proc.id)
    assert again["name"] == proc.name.ja and again["online"]["url"] == f"/apply/{proc.id}"
    assert template["status"] is None and template["due_date"] is None and template["online"] == f"/apply/{proc.id}"
    # the place is built once (places.place_of) and each answer gets a copy of it
    assert again["place"] == template["place"] and again["place"] is not template["place"]
    assert again["place"]["closed_days"] is not template["place"]["closed_days"]
    assert again["due_date"] != first["procedures"][0]["due_date"] or again["due_date"] is None


def test_rules_keep_what_their_conditions_read_and_procedures_their_bring_tags(rulebook):
    from rules.conditions import reads

    for er in rulebook.events.values():
        for rule in er.rules:
            assert rule.reads is rule.reads  # made once
            assert rule.reads == (reads(rule.household), reads(rule.member) if rule.member is not None else ())
    for pid, proc in rulebook.kb.procedures.items():
        assert rulebook.bring_tags[pid] == tuple(f"bring:{pid}:{i}" for i in range(len(proc.bring))
                                                 if (pid, i) in rulebook.bring_clauses)
        # an item without a condition has no clause in any engine, so no outcome to key on
        tags = {t for er in rulebook.events.values() for t in er.engine.clauses}
        assert {f"bring:{pid}:{i}" for i in range(len(proc.bring))} & tags <= set(rulebook.bring_tags[pid])


def test_the_visit_order_is_memoised_on_the_relative_order_of_the_due_ranks(rulebook):
    """``_plan`` gives what ``order_procedures`` gives, for ranks moved by any amount that keeps
    their order (the order only compares them), and a fresh list for each answer."""
    from knowledge.graph import order_procedures
    from rules import memo

    ids = list(rulebook.kb.procedures)[:12]
    ranks = {p: (i % 2, dt.date(2027, 1, 1) + dt.timedelta(days=(7 * i) % 5)) for i, p in enumerate(ids)}

    def direct(due):
        return order_procedures(rulebook.kb.graph, ids, counter_rank=rulebook.counter_rank.__getitem__,
                                due_rank=due.__getitem__, stage=rulebook.counter_stage.__getitem__,
                                building=rulebook.counter_building.__getitem__)

    ev._PLANS.clear()
    first = ev._plan(rulebook, ids, ranks)
    assert first == direct(ranks)
    later = {p: (s, d + dt.timedelta(days=40)) for p, (s, d) in ranks.items()}  # same relative order
    size = len(ev._PLANS._items)
    second = ev._plan(rulebook, ids, later)
    assert second == first == direct(later) and len(ev._PLANS._items) == size  # one entry: a hit
    assert second is not first and all(a is not b for a, b in zip(first, second, strict=True))
    second[0].append("changed")
    assert ev._plan(rulebook, ids, ranks) == direct(ranks)
    reversed_ranks = {p: (0, dt.date(2027, 1, 1) - dt.timedelta(days=i)) for i, p in enumerate(ids)}
    assert ev._plan(rulebook, ids, reversed_ranks) == direct(reversed_ranks)
    assert len(ev._PLANS._items) == size + 1
    with memo.off():
        assert ev._plan(rulebook, ids, reversed_ranks) == direct(reversed_ranks)


def test_each_event_knows_once_how_many_unanswered_people_stand_in(rulebook):
    for er in rulebook.events.values():
        assert er.placeholders == max([r.at_least for r in er.rules if r.member is not None] or [1])
        assert "placeholders" in er.__dict__  # made once, kept
