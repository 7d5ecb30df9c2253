"""The questionnaire's routing: which page comes next, from the answers in the URL query.

Plain Python (no Flask). Answers are flat string pairs so they fit in a query string and can be
shared, bookmarked and changed later (GOV.UK smart-answers): ``date``, ``n`` (how many people),
``f.<fact>``, ``d.<deceased fact>`` and ``m<i>.<field>`` per person. Only dates, ages, counts and
choices are kept: never names.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from knowledge.loader import KnowledgeBase
from knowledge.schema import LifeEvent, Question
from rules.conditions import evaluate as truth
from rules.conditions import parse
from rules.vocabulary import UNKNOWN, FactDef, Vocabulary

MAX_PEOPLE = 10
BASIC_MEMBER_FIELDS = ("relation", "age")  # asked together on the first page per person
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Step:
    kind: str  # "date", "count", "person", "person_more", "question"
    key: str  # URL segment: date, people, person-1, person-1-more, q-<id>
    person: int | None = None
    question: Question | None = None


class AnswerError(ValueError):
    """An answer that cannot be used; ``messages`` maps a field id to its words (a
    ``core.words.Message``: ``message[locale]``)."""

    def __init__(self, messages: dict[str, Any]):
        super().__init__("; ".join(m["en"] for m in messages.values()))
        self.messages = messages


# --- answer keys --------------------------------------------------------------------------

def key_for(question: Question, person: int | None = None) -> str:
    scope, _, name = question.fact.partition(".")
    if question.fact == "event_date":
        return "date"
    if question.fact == "members":
        return "n"
    if scope == "member":
        return f"m{person}.{name}"
    return f"{'f' if scope == 'facts' else 'd'}.{name}"


def fact_def(vocab: Vocabulary, question: Question) -> FactDef | None:
    scope, _, name = question.fact.partition(".")
    if scope == "member":
        return vocab.member[name]
    if scope in ("facts", "deceased"):
        return vocab.household[question.fact]
    return None


# --- typed view of the answers ------------------------------------------------------------

def people_count(answers: dict[str, str]) -> int | None:
    raw = answers.get("n", "")
    return int(raw) if raw.isdigit() and 0 <= int(raw) <= MAX_PEOPLE else None


def typed(fact: FactDef, raw: str | None) -> Any:
    """The answer as the engine sees it; None for unanswered or 「わからない」."""
    if raw is None or raw == "" or raw == UNKNOWN:
        return None
    if fact.type == "bool":
        return {YES: True, NO: False}.get(raw)
    if fact.type == "int":
        return int(raw) if raw.isdigit() else None
    if fact.type == "date":
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return None
    return raw if raw in fact.values else None


_ANSWER_KEYS: dict[int, tuple[Vocabulary, list[tuple[str, str, FactDef]]]] = {}


def _household_keys(vocab: Vocabulary) -> list[tuple[str, str, FactDef]]:
    """(fact path, its answer key, its definition) of every household fact a page asks (``f.*``
    for facts, ``d.*`` about the person who died), in the vocabulary's order: made once per
    vocabulary (the vocabulary is kept with it, so an id is never reused meanwhile)."""
    hit = _ANSWER_KEYS.get(id(vocab))
    if hit is None or hit[0] is not vocab:
        keys = []
        for path, fact in vocab.household.items():
            group, _, name = path.partition(".")
            if group in ("facts", "deceased"):
                keys.append((path, f"{'f' if group == 'facts' else 'd'}.{name}", fact))
        if len(_ANSWER_KEYS) > 64:
            _ANSWER_KEYS.clear()
        hit = _ANSWER_KEYS[id(vocab)] = (vocab, keys)
    return hit[1]


def household_values(event: str, answers: dict[str, str], vocab: Vocabulary) -> dict[str, Any]:
    values: dict[str, Any] = {"event": event}
    for path, key, fact in _household_keys(vocab):
        raw = answers.get(key)
        if raw is None:
            continue  # typed(fact, None) is None
        v = typed(fact, raw)
        if v is not None:
            values[path] = v
    return values


def member_values(i: int, answers: dict[str, str], vocab: Vocabulary) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, fact in vocab.member.items():
        v = typed(fact, answers.get(f"m{i}.{name}"))
        if v is not None:
            values[name] = v
    return values


# --- routing ------------------------------------------------------------------------------

_PARSED: dict[tuple[int, int, str], tuple[Vocabulary, Any, Any]] = {}


def _parsed(vocab: Vocabulary, raw: Any, scope: str):
    """``parse`` of a question's ask_if, once per vocabulary and condition object (pages ask
    again and again). The objects are kept with the result, so an id is never reused meanwhile."""
    key = (id(vocab), id(raw), scope)
    hit = _PARSED.get(key)
    if hit is None or hit[0] is not vocab or hit[1] is not raw:
        if len(_PARSED) > 4096:
            _PARSED.clear()
        hit = _PARSED[key] = (vocab, raw, parse(raw, vocab, scope))
    return hit[2]


def _may_ask(question: Question, vocab: Vocabulary, household: dict[str, Any],
             members: list[dict[str, Any]], person: int | None) -> bool:
    """Ask unless ask_if is known to be false (an unanswered condition still asks)."""
    if not question.ask_if:
        return True
    if question.fact.startswith("member."):
        return truth(_parsed(vocab, question.ask_if, "member"), members[person or 0]) is not False
    if "when" in question.ask_if and truth(_parsed(vocab, question.ask_if["when"], "household"), household) is False:
        return False
    if "member" in question.ask_if:
        cond = _parsed(vocab, question.ask_if["member"], "member")
        return any(truth(cond, m) is not False for m in members)
    return True


Typed = tuple[dict[str, Any], list[dict[str, Any]]]


def typed_answers(event: LifeEvent, answers: dict[str, str], vocab: Vocabulary) -> Typed:
    """The household's and each person's answers as the engine sees them (computed once per
    page and handed to the functions below, which otherwise each compute them again)."""
    n = people_count(answers) or 0
    return household_values(event.id, answers, vocab), [member_values(i, answers, vocab) for i in range(n)]


def _paths(raw: Any) -> set[str]:
    """The facts a raw condition reads (``facts.x``, ``deceased.x``), at any depth."""
    if isinstance(raw, dict):
        return {k for k in raw if "." in k} | {p for v in raw.values() for p in _paths(v)}
    if isinstance(raw, list):
        return {p for v in raw for p in _paths(v)}
    return set()


def asking_order(questions: list[Question]) -> list[Question]:
    """The event's questions in asking order, each after the pages that answer what its ask_if
    reads: a household question about the people (``ask_if.member``) after the people, one that
    reads a later question's fact after that question. Then the walk goes forward only: the page
    shown next is the next page of the list, and the step counter never jumps."""
    emitted: set[str] = set()
    out: list[Question] = []
    waiting: list[tuple[Question, set[str]]] = []
    member_facts = {q.fact for q in questions if q.fact.startswith("member.")}
    known = {q.fact for q in questions}

    def needs(q: Question) -> set[str]:
        if not q.ask_if or q.fact.startswith("member."):
            return set()
        want = {p for p in _paths(q.ask_if.get("when")) if p in known and p != q.fact}
        if "member" in q.ask_if:
            want |= {"members"} | member_facts
        return want

    def release() -> None:
        moved = True
        while moved:
            moved = False
            for item in list(waiting):
                if item[1] <= emitted:
                    waiting.remove(item)
                    out.append(item[0])
                    emitted.add(item[0].fact)
                    moved = True

    for q in questions:
        want = needs(q)
        if want <= emitted:
            out.append(q)
            emitted.add(q.fact)
        else:
            waiting.append((q, want))
        release()
    out.extend(q for q, _ in waiting)  # what reads a fact no question asks keeps its place at the end
    return out


def _asking_order_of(kb: KnowledgeBase, event: LifeEvent) -> list[Question]:
    """asking_order, once per knowledge base and event (every page reads it); kept on the
    knowledge base object, so a new generation starts afresh."""
    orders = kb.__dict__.setdefault("_asking_orders", {})
    if event.id not in orders:
        orders[event.id] = asking_order([kb.questions[q] for q in event.questions])
    return orders[event.id]


def steps(kb: KnowledgeBase, vocab: Vocabulary, event: LifeEvent, answers: dict[str, str],
          typed: Typed | None = None) -> list[Step]:
    """Every page of the questionnaire for these answers, in order."""
    household, members = typed or typed_answers(event, answers, vocab)
    n = len(members)
    questions = _asking_order_of(kb, event)
    member_qs = [q for q in questions if q.fact.startswith("member.")]
    out: list[Step] = []
    for q in questions:
        if q.fact == "event_date":
            out.append(Step("date", "date", question=q))
        elif q.fact == "members":
            out.append(Step("count", "people", question=q))
            for i in range(n):
                out.append(Step("person", f"person-{i + 1}", person=i))
                more = [m for m in member_qs if m.fact.split(".")[1] not in BASIC_MEMBER_FIELDS
                        and _may_ask(m, vocab, household, members, i)]
                if more:
                    out.append(Step("person_more", f"person-{i + 1}-more", person=i))
        elif q.fact.startswith("member."):
            continue
        elif _may_ask(q, vocab, household, members, None):
            out.append(Step("question", f"q-{q.id}", question=q))
    return out


def _member_questions_of(kb: KnowledgeBase, event: LifeEvent) -> tuple[list[Question], list[Question]]:
    """The event's questions about each person, in the event's order: the basic ones (asked on
    the person's first page) and the others; once per knowledge base and event, kept on the
    knowledge base object as ``_asking_order_of`` keeps its orders."""
    split = kb.__dict__.setdefault("_member_questions", {})
    if event.id not in split:
        member_qs = [kb.questions[q] for q in event.questions if kb.questions[q].fact.startswith("member.")]
        split[event.id] = ([q for q in member_qs if q.fact.split(".")[1] in BASIC_MEMBER_FIELDS],
                           [q for q in member_qs if q.fact.split(".")[1] not in BASIC_MEMBER_FIELDS])
    return split[event.id]


def person_questions(kb: KnowledgeBase, vocab: Vocabulary, event: LifeEvent, answers: dict[str, str],
                     step: Step, typed: Typed | None = None) -> list[Question]:
    basic, more = _member_questions_of(kb, event)
    if step.kind == "person":
        return list(basic)
    household, members = typed or typed_answers(event, answers, vocab)
    return [q for q in more if _may_ask(q, vocab, household, members, step.person)]


def step_keys(kb: KnowledgeBase, vocab: Vocabulary, event: LifeEvent, answers: dict[str, str],
              step: Step, typed: Typed | None = None) -> list[str]:
    """The answer keys a page sets."""
    if step.kind in ("date", "count", "question"):
        assert step.question is not None
        return [key_for(step.question)]
    return [key_for(q, step.person) for q in person_questions(kb, vocab, event, answers, step, typed)]


def next_step(all_steps: list[Step], answered: Iterable[str], kb: KnowledgeBase, vocab: Vocabulary,
              event: LifeEvent, answers: dict[str, str]) -> Step | None:
    """The first page with an unanswered key; None when everything is answered."""
    have = set(answered)
    typed = typed_answers(event, answers, vocab)
    for step in all_steps:
        if any(k not in have for k in step_keys(kb, vocab, event, answers, step, typed)):
            return step
    return None


def clean(answers: dict[str, str], kb: KnowledgeBase, vocab: Vocabulary, event: LifeEvent) -> dict[str, str]:
    """Drop answers that no longer belong (people beyond the count, skipped questions)."""
    typed = typed_answers(event, answers, vocab)
    keys = {k for s in steps(kb, vocab, event, answers, typed) for k in step_keys(kb, vocab, event, answers, s, typed)}
    return {k: v for k, v in answers.items() if k in keys}


def to_request(event: LifeEvent, answers: dict[str, str], vocab: Vocabulary, locale: str) -> dict[str, Any]:
    """The answers as a guidance API request (facts.md), so the page and the API agree."""
    household = household_values(event.id, answers, vocab)
    facts = {p.split(".", 1)[1]: v for p, v in household.items() if p.startswith("facts.")}
    deceased = {p.split(".", 1)[1]: v for p, v in household.items() if p.startswith("deceased.")}
    n = people_count(answers)
    request: dict[str, Any] = {
        "event": event.id,
        "event_date": answers.get("date") or None,
        "facts": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in facts.items()},
        "members": [member_values(i, answers, vocab) for i in range(n)] if n is not None else None,
        "deceased": deceased or None,
        "locale": locale,
    }
    return request
