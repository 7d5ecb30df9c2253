"""Static checks of the rules against the knowledge (``flask rules check``)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from rules.conditions import Cond, ConditionError, atoms_of, evaluate, parse
from rules.ruleset import Rulebook
from rules.vocabulary import FactDef

MAX_ASSIGNMENTS = 200_000


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _candidates(fact: FactDef, atoms: list) -> list[Any]:
    if fact.type == "bool":
        return [True, False]
    if fact.type == "enum":
        return list(fact.values)
    points = {fact.min or 0, fact.max or 130}
    for a in atoms:
        if a.fact.path == fact.path:
            points |= {a.value - 1, a.value, a.value + 1}
    lo, hi = fact.min or 0, fact.max or 10**6
    return sorted(p for p in points if lo <= p <= hi)


def satisfiable(cond: Cond | None) -> bool:
    """Can some answers make ``cond`` hold for sure? (exhaustive over the values that matter)"""
    if cond is None:
        return True
    # a derived atom (an age constraint's Fit) is computed from the answers: try the ages its
    # requirements name, never the derived fact itself
    atoms = list(_with_requirements(atoms_of(cond)))
    facts = {a.fact.path: a.fact for a in atoms if a.constraint is None}
    domains = [_candidates(f, atoms) for f in facts.values()]
    count = 1
    for d in domains:
        count *= len(d)
    if count > MAX_ASSIGNMENTS:
        return True  # too many to try: assume it can
    for values in itertools.product(*domains):
        if evaluate(cond, dict(zip(facts, values, strict=True))) is True:
            return True
    return False


def read_facts(book: Rulebook, event: str) -> set[str]:
    """Paths read by the clauses of ``event`` (rules, things to bring, deadline variants)."""
    er = book.events[event]
    read: set[str] = set()
    for clause in er.clauses.values():
        read |= {a.fact.path for a in _with_requirements(atoms_of(clause.household))}
        read |= {f"member.{a.fact.path}" for a in _with_requirements(atoms_of(clause.member))}
    return read


def _with_requirements(atoms):
    """Atoms, and for a derived one (an age constraint's Fit) the facts it is computed from."""
    for a in atoms:
        yield a
        if a.constraint is not None:
            for c in a.constraint.table:
                yield from atoms_of(c.requires)


ALWAYS_READ = frozenset({"event_date", "members", "member.relation"})  # asked where no rule reads them:
# the date counts deadlines, the members are the people of the result; relation labels them on it


def rule_reads(rule) -> set[str]:
    """The facts a rule's conditions read, as questions name them (``member.<path>`` for a
    person's); a derived atom (an age constraint's Fit) reads the facts it is computed from."""
    return ({a.fact.path for a in _with_requirements(atoms_of(rule.household))}
            | {f"member.{a.fact.path}" for a in _with_requirements(atoms_of(rule.member))})


def never_fires(rule) -> bool:
    """No answers can make the rule hold (its conditions contradict each other)."""
    return not satisfiable(rule.household) or not satisfiable(rule.member)


def _deadline_starts(book: Rulebook, event: str) -> set[str]:
    """The dates the deadlines of the event's procedures count from, besides the event's date."""
    starts: set[str] = set()
    for r in book.events[event].rules:
        deadline = book.kb.procedures[r.procedure].deadline
        starts |= {d.start for d in (deadline, *deadline.variants)} - {"event_date"}
    return starts


def unread_questions(book: Rulebook, event: str) -> list[str]:
    """The ids of the questions ``event`` asks that nothing reads: no rule, thing to bring,
    deadline (variant or start date) or other question's ``ask_if``."""
    read = read_facts(book, event) | ALWAYS_READ | _deadline_starts(book, event)
    kb = book.kb
    return [qid for qid in kb.events[event].questions
            if kb.questions[qid].fact not in read and not _used_by_ask_if(book, event, kb.questions[qid].fact)]


def unreached_procedures(book: Rulebook) -> list[str]:
    """The procedures of the pack that no rule of any life event lists (standalone ones aside:
    they have their own page and are reached by search, never by a rule)."""
    reached = {r.procedure for er in book.events.values() for r in er.rules}
    return [pid for pid, proc in book.kb.procedures.items() if pid not in reached and not proc.standalone]


def check_rulebook(book: Rulebook) -> CheckReport:
    report = CheckReport()
    kb = book.kb
    for event, er in book.events.items():
        for rule in er.rules:
            if never_fires(rule):
                report.errors.append(f"{rule.file.name}:{rule.line}: rule {rule.id}: "
                                     "can never fire (its conditions contradict each other)")
        for r in er.rules:  # a date a deadline counts from must be a date fact (it is read: unread_questions)
            deadline = kb.procedures[r.procedure].deadline
            for start in {d.start for d in (deadline, *deadline.variants)} - {"event_date"}:
                fact = book.vocab.household.get(start)
                if fact is None or fact.type != "date":
                    report.errors.append(f"procedures/{r.procedure}.yaml: deadline start '{start}' is not a date fact")
        for qid in unread_questions(book, event):
            report.warnings.append(f"events.yaml: {event}: question '{qid}' ({kb.questions[qid].fact}) is read by no rule")
        if not er.rules:
            report.warnings.append(f"life event '{event}' has no rule file")

    for pid in unreached_procedures(book):
        report.warnings.append(f"procedures/{pid}.yaml: no rule reaches this procedure")

    asked = {qid for e in kb.events.values() for qid in e.questions}
    for qid, q in kb.questions.items():
        if qid not in asked:
            report.warnings.append(f"questions.yaml: question '{qid}' is asked in no life event")
        problem = _ask_if_problem(book, q)
        if problem:
            report.errors.append(f"questions.yaml: question '{qid}': {problem}")
    return report


def _ask_if_conditions(book: Rulebook, q) -> list[Cond]:
    if not q.ask_if:
        return []
    if q.fact.startswith("member."):
        return [parse(q.ask_if, book.vocab, "member")]
    conds = []
    if "when" in q.ask_if:
        conds.append(parse(q.ask_if["when"], book.vocab, "household"))
    if "member" in q.ask_if:
        conds.append(parse(q.ask_if["member"], book.vocab, "member"))
    return conds


def _ask_if_problem(book: Rulebook, q) -> str | None:
    if q.ask_if and not q.fact.startswith("member.") and set(q.ask_if) - {"when", "member"}:
        return "ask_if of a household question takes only 'when' and 'member'"
    try:
        conds = _ask_if_conditions(book, q)
    except ConditionError as exc:
        return f"ask_if: {exc}"
    if any(not satisfiable(c) for c in conds):
        return "ask_if can never hold: the question is unreachable"
    return None


def _used_by_ask_if(book: Rulebook, event: str, fact: str) -> bool:
    """A question that only decides whether later questions are asked still has a job."""
    for qid in book.kb.events[event].questions:
        for cond in _ask_if_conditions(book, book.kb.questions[qid]):
            paths = {a.fact.path for a in atoms_of(cond)}
            if fact in paths or fact.removeprefix("member.") in paths:
                return True
    return False
