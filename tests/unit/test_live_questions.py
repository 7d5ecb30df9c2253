"""A question that changes no result is a defect (issue 10): for each life event and each question
it asks (events.yaml), some household — one of the pack's scenarios of that event — must change
its result when only that answer changes (over the question's choices, or sample values, and
「わからない」): the set of procedures, a status, a due date, a count to bring or a deadline note."""
import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from knowledge.loader import PACKS_DIR
from rules.evaluate import evaluate
from rules.request import InvalidRequest, read_request

# Questions exempt from the test, each with the reason. Keep this list short.
EXEMPT = {
    # who each person is to the one answering: it labels the people in the result
    # (「配偶者」「子ども」) and is asked so the next questions can say "this person"
    "relation",
}
AGES = [0, 5, 6, 12, 15, 17, 18, 19, 20, 39, 40, 59, 60, 64, 65, 69, 70, 74, 75, 90]
SCENARIOS = sorted((PACKS_DIR / "kakogawa" / "scenarios").glob("*.yaml"))


def _scenarios(event: str) -> list[dict]:
    out = []
    for path in SCENARIOS:
        for sc in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            if sc["request"]["event"] == event:
                out.append(_plain(sc["request"]))
    return out


def _plain(o):
    if isinstance(o, dt.date):
        return o.isoformat()
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_plain(v) for v in o]
    return o


def _samples(book, question, fact_def) -> list:
    if question.choices:
        values = [c.value for c in question.choices]
    elif fact_def.type == "bool":
        values = [True, False]
    elif fact_def.type == "enum":
        values = list(fact_def.values)
    elif fact_def.type == "int":
        values = [a for a in AGES if (fact_def.min or 0) <= a <= (fact_def.max or 10**6)]
    else:
        values = []
    return values + ([None] if question.unknown_allowed else [])


def _signature(book, body) -> tuple | None:
    try:
        situation = read_request(body, book.vocab, set(book.events))
    except InvalidRequest:
        return None
    result = evaluate(book, situation)
    return tuple(sorted(
        (p["id"], p["status"], p["due_date"], tuple(p["deadline_notes"]),
         tuple((b["id"], b["count"], b["conditional"]) for b in p["bring"]))
        for p in result["procedures"]))


def _variants(book, base: dict, question) -> list[dict]:
    """``base`` with only this question's answer changed, over its values."""
    fact = question.fact
    out = []
    if fact == "event_date":
        day = dt.date.fromisoformat(base.get("event_date") or "2026-04-01")
        for d in (None, day, day + dt.timedelta(days=3), day + dt.timedelta(days=40)):
            out.append({**base, "event_date": d.isoformat() if d else None})
        return out
    if fact == "members":
        members = base.get("members") or [{"relation": "self", "age": 40}]
        for ms in (None, members[:1], members, members + [copy.deepcopy(members[-1])]):
            out.append({**base, "members": ms})
        return out
    if fact.startswith("member."):
        key = fact.removeprefix("member.")
        fdef = book.vocab.member[key]
        members = base.get("members") or [{"relation": "self", "age": 40}]
        for i in range(len(members)):
            for v in _samples(book, question, fdef):
                ms = copy.deepcopy(members)
                ms[i] = {k: x for k, x in ms[i].items() if k != key} | ({} if v is None else {key: v})
                out.append({**base, "members": ms})
        return out
    group, key = fact.split(".", 1)
    fdef = book.vocab.household[fact]
    values = _samples(book, question, fdef)
    if fdef.type == "date":
        day = dt.date.fromisoformat(base.get("event_date") or "2026-04-01")
        values = [None] + [(day + dt.timedelta(days=n)).isoformat() for n in (-20, -3, 10, 45)]
    for v in values:
        part = {k: x for k, x in (base.get(group) or {}).items() if k != key}
        out.append({**base, group: part | ({} if v is None else {key: v})})
    return out


def dead_questions(book, event: str) -> list[str]:
    # the pack's scenarios first, then a plain household (a new question may have no scenario yet)
    bases = _scenarios(event) + [{"event": event, "event_date": "2026-04-01",
                                  "members": [{"relation": "self", "age": 40}, {"relation": "child", "age": 5}]}]
    dead = []
    for qid in book.kb.events[event].questions:
        if qid in EXEMPT:
            continue
        question = book.kb.questions[qid]
        live = False
        for base in bases:
            signatures = {_signature(book, v) for v in _variants(book, base, question)} - {None}
            if len(signatures) > 1:
                live = True
                break
        if not live:
            dead.append(f"{qid} ({question.fact})")
    return dead


@pytest.mark.parametrize("event", ["moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce"])
def test_every_question_changes_some_result(rulebook, event):
    assert dead_questions(rulebook, event) == []


def test_the_test_finds_a_dead_question(rulebook):
    """A question about a fact no rule of the event reads is reported."""
    from knowledge.schema import Question
    q = Question(id="dog_probe", fact="facts.dog", text={"ja": "犬", "en": "dog"})
    base = {"event": "birth", "event_date": "2026-04-01"}
    signatures = {_signature(rulebook, v) for v in _variants(rulebook, base, q)}
    assert len(signatures) == 1
