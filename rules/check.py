"""Static checks of the rules against the knowledge (``flask rules check``)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from knowledge.loader import KnowledgeBase
from knowledge.yamlfile import KnowledgeError, YamlDoc, read_yaml
from rules.conditions import Cond, ConditionError, atoms_of, evaluate, parse
from rules.findings import Finding, in_pack
from rules.ruleset import Rulebook
from rules.vocabulary import FactDef

MAX_ASSIGNMENTS = 200_000


@dataclass
class CheckReport:
    errors: list[Finding] = field(default_factory=list)  # str(): the CLI's English line
    warnings: list[Finding] = field(default_factory=list)


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
    """Errors and warnings as findings (rules/findings.py): file, line and field where known."""
    report = CheckReport()
    kb = book.kb
    questions, events = _Lines(kb, "questions.yaml", "questions"), _Lines(kb, "events.yaml", "events")
    for event, er in book.events.items():
        for rule in er.rules:
            if never_fires(rule):
                report.errors.append(Finding.of("never_fires", file=in_pack(rule.file, kb.directory), line=rule.line,
                                                subject=rule.id, rule=rule.id))
        starts: set[tuple[str, str]] = set()
        for r in er.rules:  # a date a deadline counts from must be a date fact (it is read: unread_questions)
            deadline = kb.procedures[r.procedure].deadline
            starts |= {(r.procedure, d.start) for d in (deadline, *deadline.variants)} - {(r.procedure, "event_date")}
        for pid, start in sorted(starts):
            fact = book.vocab.household.get(start)
            if fact is None or fact.type != "date":
                loc = _deadline_start_loc(kb, pid, start)
                doc = kb.docs.get(pid)
                finding = Finding.of("deadline_start_not_date", file=f"procedures/{pid}.yaml",
                                     line=doc.line_of(loc) if doc else 0, loc=loc, start=start)
                if finding not in report.errors:  # once per procedure, however many events reach it
                    report.errors.append(finding)
        asked = kb.events[event].questions
        for qid in unread_questions(book, event):
            loc = ("questions", asked.index(qid))
            report.warnings.append(Finding.of("unread_question", file="events.yaml", line=events.line(event, loc),
                                              subject=event, loc=loc, event=event, question=qid,
                                              fact=kb.questions[qid].fact))
        if not er.rules:
            report.warnings.append(Finding.of("no_rule_file", file="events.yaml", line=events.line(event),
                                              subject=event, event=event))

    for pid in unreached_procedures(book):
        report.warnings.append(Finding.of("unreached_procedure", file=f"procedures/{pid}.yaml", procedure=pid))

    asked_anywhere = {qid for e in kb.events.values() for qid in e.questions}
    for qid, q in kb.questions.items():
        if qid not in asked_anywhere:
            report.warnings.append(Finding.of("unasked_question", file="questions.yaml", line=questions.line(qid),
                                              subject=qid, question=qid))
        problem = _ask_if_problem(book, q)
        if problem:
            code, loc, variables = problem
            report.errors.append(Finding.of(code, file="questions.yaml", line=questions.line(qid, loc),
                                            subject=qid, loc=loc, question=qid, **variables))
    return report


class _Lines:
    """The lines of a list of ``{id: …}`` entries (questions.yaml, events.yaml), for findings;
    0 where the file does not read (the loader has reported it already)."""

    def __init__(self, kb: KnowledgeBase, name: str, key: str):
        try:
            self.doc: YamlDoc | None = read_yaml(kb.directory / name)
        except (KnowledgeError, OSError):
            self.doc = None
        entries = self.doc.data.get(key) if self.doc and isinstance(self.doc.data, dict) else None
        self.key = key
        self.index = {e.get("id"): n for n, e in enumerate(entries or []) if isinstance(e, dict)}

    def line(self, entry_id: str, loc: tuple = ()) -> int:
        if self.doc is None or entry_id not in self.index:
            return 0
        return self.doc.line_of((self.key, self.index[entry_id], *loc))


def _deadline_start_loc(kb: KnowledgeBase, pid: str, start: str) -> tuple:
    """Where the deadline (or its variant) that counts from ``start`` says so."""
    deadline = kb.procedures[pid].deadline
    if deadline.start == start:
        return ("deadline", "start")
    n = next((i for i, v in enumerate(deadline.variants) if v.start == start), 0)
    return ("deadline", "variants", n, "start")


def _ask_if_conditions(book: Rulebook, q) -> list[Cond]:
    return [cond for _key, cond in _ask_if_parts(book, q)]


def _ask_if_parts(book: Rulebook, q) -> list[tuple[str, Cond]]:
    """The ask_if's conditions with the key each is under ("" for a member question's own)."""
    if not q.ask_if:
        return []
    if q.fact.startswith("member."):
        return [("", parse(q.ask_if, book.vocab, "member"))]
    conds = []
    if "when" in q.ask_if:
        conds.append(("when", parse(q.ask_if["when"], book.vocab, "household")))
    if "member" in q.ask_if:
        conds.append(("member", parse(q.ask_if["member"], book.vocab, "member")))
    return conds


def _ask_if_problem(book: Rulebook, q) -> tuple[str, tuple, dict] | None:
    """(code, field, variables) of what is wrong with the question's ask_if, or None."""
    if q.ask_if and not q.fact.startswith("member.") and set(q.ask_if) - {"when", "member"}:
        return "ask_if_keys", ("ask_if",), {}
    try:
        conds = _ask_if_parts(book, q)
    except ConditionError as exc:
        where = exc.path if q.fact.startswith("member.") else (_failing_key(book, q), *exc.path)
        return "ask_if_condition", ("ask_if", *where), {"problem": exc.words}
    for key, cond in conds:
        if not satisfiable(cond):
            return "ask_if_never", ("ask_if", key) if key else ("ask_if",), {}
    return None


def _failing_key(book: Rulebook, q) -> str:
    """Which of a household question's ask_if keys does not parse."""
    for key, scope in (("when", "household"), ("member", "member")):
        if key in q.ask_if:
            try:
                parse(q.ask_if[key], book.vocab, scope)
            except ConditionError:
                return key
    return "when"


def _used_by_ask_if(book: Rulebook, event: str, fact: str) -> bool:
    """A question that only decides whether later questions are asked still has a job."""
    for qid in book.kb.events[event].questions:
        for cond in _ask_if_conditions(book, book.kb.questions[qid]):
            paths = {a.fact.path for a in atoms_of(cond)}
            if fact in paths or fact.removeprefix("member.") in paths:
                return True
    return False
