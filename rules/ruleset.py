"""Rule files (knowledge/packs/<city>/rules/<event>.yaml) → validated clauses → one engine per event.

Rule file, for curators::

    event: moving_in
    rules:
      - id: kaigo_65
        procedure: kaigo_shutoku
        member: {age: {gte: 65}}          # a member aged 65 or over
      - id: kouki_from_outside_hyogo
        procedure: kouki_kanyu
        when: {facts.from_hyogo: false}   # household facts: facts.*, deceased.*
        member: {age: {gte: 75}}

The reason (``why``) is built from the conditions (rules/wording.py). ``quiet: [deceased.age]``
leaves out of it conditions that only exclude impossible cases (they still decide); ``why: {ja,
en, easy}`` replaces the generated words for the rule with a curated clause (「…方がいる」: the
grammar adds 「ため」/「場合」), where the conditions stand for something they cannot say.

A procedure applies when any of its rules holds. Things to bring and deadline variants in the
procedure files carry conditions too; they are compiled into the same engine.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from knowledge.loader import KnowledgeBase, read_doc, validate_doc
from knowledge.schema import ID_PATTERN, STAGES, Strict, Text
from knowledge.yamlfile import KnowledgeError, YamlDoc
from rules.compiler import Clause
from rules.conditions import Cond, ConditionError, atoms_of, parse, reads
from rules.engine import RuleEngine
from rules.vocabulary import LANGUAGES, Vocabulary, load_vocabulary


class RuleDef(Strict):
    id: str = Field(pattern=ID_PATTERN)
    procedure: str
    when: dict[str, Any] | None = None
    member: dict[str, Any] | None = None
    members_at_least: int = Field(default=1, ge=1, le=10)
    # default: matched with member, else all; newborn: the child a birth brings (not one of the
    # members[], who are the parents), named 「生まれた子」 and counted as one person
    concerns: Literal["all", "matched", "none", "newborn"] | None = None
    # new_city: done at the new municipality after a move out (at_new_city[] of the response),
    # never at this city's counters (docs/guidance-api.md, `at_new_city[]`)
    place: Literal["city", "new_city"] = "city"
    # conditions never put into words (guards against impossible cases): fact paths as written
    # in ``when`` (deceased.age) or ``member`` (age)
    quiet: list[str] = Field(default_factory=list)
    # a curated clause for the reason, in place of the generated one (CONDITIONS.md)
    why: Text | None = None


class RuleFile(Strict):
    event: str
    rules: list[RuleDef] = Field(min_length=1)


@dataclass(frozen=True)
class Rule:
    id: str
    event: str
    procedure: str
    household: Cond | None
    member: Cond | None
    at_least: int
    concerns: str
    line: int
    file: Path
    place: str = "city"
    quiet: frozenset[str] = frozenset()  # fact paths left out of the reason
    why: dict[str, str] | None = field(default=None, hash=False, compare=False)  # curated clause

    @cached_property  # read for every rule of every evaluation (frozen: cached in the instance dict)
    def tag(self) -> str:
        return f"rule:{self.id}"

    @cached_property  # the reasons' memo key reads these for every rule that fired
    def reads(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The answers its household and its member conditions read (``rules.conditions.reads``)."""
        return reads(self.household), (reads(self.member) if self.member is not None else ())


@dataclass
class EventRules:
    event: str
    rules: list[Rule]
    engine: RuleEngine
    clauses: dict[str, Clause] = field(default_factory=dict)

    @cached_property
    def placeholders(self) -> int:
        """How many unanswered people stand in when no members are given: enough for any rule."""
        return max([r.at_least for r in self.rules if r.member is not None] or [1])


@dataclass
class Rulebook:
    """Everything the evaluator needs: knowledge, vocabulary, and an engine per life event."""

    kb: KnowledgeBase
    vocab: Vocabulary
    events: dict[str, EventRules]
    bring_clauses: dict[tuple[str, int], Clause]  # (procedure, bring index) -> clause
    deadline_clauses: dict[tuple[str, int], Clause]  # (procedure, variant index) -> clause
    version: str
    online_clauses: dict[str, Clause] = field(default_factory=dict)  # procedure -> online_unless

    @cached_property
    def counter_rank(self) -> dict[str, int]:
        """Counters in the order of departments.yaml: the tie-break of the visiting order."""
        return {cid: n for n, cid in enumerate(self.kb.counters)}

    @cached_property
    def counter_stage(self) -> dict[str, int]:
        """Counter -> its stage's place in the legal order (schema STAGES): the counter's, else its department's."""
        return {cid: STAGES.index(c.stage or d.stage) for cid, (d, c) in self.kb.counters.items()}

    @cached_property
    def counter_building(self) -> dict[str, str | None]:
        """Counter -> its building (the Japanese name as the key), None when the pack does not say."""
        return {cid: c.building.ja if c.building else None for cid, (_, c) in self.kb.counters.items()}

    @cached_property
    def source_urls(self) -> dict[str, str]:
        """Procedure id -> its source address as text (made once, not per evaluation)."""
        return {pid: str(p.source_url) for pid, p in self.kb.procedures.items()}

    @cached_property
    def household_dates(self) -> list[str]:
        """The household facts that are dates (the answers' checks read them)."""
        return [p for p, f in self.vocab.household.items() if f.type == "date"]

    @cached_property
    def takeable_on_closed_days(self) -> frozenset[str]:
        """Procedures some counter takes on closed days (pack: counters' ``closed_days``)."""
        return frozenset(pid for _, c in self.kb.counters.values() if c.closed_days for pid in c.closed_days.procedures)

    @cached_property
    def bring_tags(self) -> dict[str, tuple[str, ...]]:
        """Procedure id -> the engine's tags of its things to bring that have a condition, in order
        (made once; the others have no clause, so no outcome)."""
        return {pid: tuple(f"bring:{pid}:{i}" for i in range(len(p.bring)) if (pid, i) in self.bring_clauses)
                for pid, p in self.kb.procedures.items()}

    def rules_for(self, event: str) -> EventRules:
        return self.events[event]

    def asked_facts(self, event: str) -> frozenset[str]:
        """The facts the event's questions ask (a deadline's own start date only counts there)."""
        asked = self.__dict__.setdefault("_asked", {})
        if event not in asked:
            qs = self.kb.questions
            asked[event] = frozenset(qs[q].fact for q in self.kb.events[event].questions if q in qs)
        return asked[event]


def _cond(raw: Any, vocab: Vocabulary, scope: str, doc: YamlDoc, loc: tuple, problems: list[str]) -> Cond | None:
    if raw is None:
        return None
    try:
        return parse(raw, vocab, scope)
    except ConditionError as exc:
        problems.append(doc.problem(loc + exc.path, str(exc), "condition", {"words": exc.words}))
        return None


def _knowledge_clauses(kb: KnowledgeBase, vocab: Vocabulary, problems: list[str]):
    bring: dict[tuple[str, int], Clause] = {}
    deadline: dict[tuple[str, int], Clause] = {}
    online: dict[str, Clause] = {}
    for pid, proc in kb.procedures.items():
        doc = kb.procedure_doc(pid)
        if proc.online_unless is not None:
            h = _cond(proc.online_unless, vocab, "household", doc, ("online_unless",), problems)
            online[pid] = Clause(tag=f"online:{pid}", household=h)
        for i, b in enumerate(proc.bring):
            if b.when is None and b.member is None:
                continue
            h = _cond(b.when, vocab, "household", doc, ("bring", i, "when"), problems)
            m = _cond(b.member, vocab, "member", doc, ("bring", i, "member"), problems)
            bring[(pid, i)] = Clause(tag=f"bring:{pid}:{i}", household=h, member=m)
        for i, v in enumerate(proc.deadline.variants):
            h = _cond(v.when, vocab, "household", doc, ("deadline", "variants", i, "when"), problems)
            deadline[(pid, i)] = Clause(tag=f"deadline:{pid}:{i}", household=h)
    return bring, deadline, online


def read_rule_files(kb: KnowledgeBase, vocab: Vocabulary, problems: list[str]) -> dict[str, list[Rule]]:
    by_event: dict[str, list[Rule]] = {e: [] for e in kb.events}
    seen_ids: set[str] = set()
    for path in sorted((kb.directory / "rules").glob("*.yaml")):
        doc = read_doc(path, problems)
        rf = validate_doc(doc, RuleFile, problems) if doc else None
        if doc is None or rf is None:
            continue
        if rf.event not in kb.events:
            problems.append(doc.problem(("event",), f"unknown life event '{rf.event}' (see events.yaml)"))
            continue
        for n, r in enumerate(rf.rules):
            loc = ("rules", n)
            rid = f"{rf.event}.{r.id}"
            if rid in seen_ids:
                problems.append(doc.problem(loc + ("id",), f"duplicate rule id '{r.id}'"))
            seen_ids.add(rid)
            if r.procedure not in kb.procedures:
                problems.append(doc.problem(loc + ("procedure",), f"unknown procedure '{r.procedure}'"))
            if r.member is None and r.members_at_least != 1:
                problems.append(doc.problem(loc + ("members_at_least",), "members_at_least needs a member condition"))
            h = _cond(r.when, vocab, "household", doc, loc + ("when",), problems)
            m = _cond(r.member, vocab, "member", doc, loc + ("member",), problems)
            concerns = r.concerns or ("matched" if r.member is not None else "all")
            written = {a.fact.path for c in (h, m) for a in atoms_of(c)}
            quiet = frozenset(q.removeprefix("member.") for q in r.quiet)
            for q in sorted(quiet - written):
                problems.append(doc.problem(loc + ("quiet",), f"'{q}' is not a condition of this rule"))
            why = None
            if r.why is not None:
                if not r.why.easy:
                    problems.append(doc.problem(loc + ("why",), "a curated why needs ja, en and easy"))
                why = {lang: r.why.get(lang) for lang in LANGUAGES}  # the pack's own words (easy: else ja)
            by_event[rf.event].append(Rule(
                id=rid, event=rf.event, procedure=r.procedure, household=h, member=m,
                at_least=r.members_at_least, concerns=concerns, line=doc.line_of(loc), file=path,
                place=r.place, quiet=quiet, why=why))
    return by_event


def build_rulebook(kb: KnowledgeBase, vocab: Vocabulary | None = None) -> Rulebook:
    """Validate everything and compile one engine per life event; raise KnowledgeError if wrong."""
    vocab = vocab or load_vocabulary(city={lang: kb.pack.words(lang) for lang in LANGUAGES})
    problems: list[str] = []
    bring, deadline, online = _knowledge_clauses(kb, vocab, problems)
    by_event = read_rule_files(kb, vocab, problems)
    if problems:
        raise KnowledgeError(problems)
    events: dict[str, EventRules] = {}
    for event, rules in by_event.items():
        clauses = [Clause(tag=r.tag, household=r.household, member=r.member, at_least=r.at_least) for r in rules]
        reached = {r.procedure for r in rules}
        clauses += [c for (pid, _), c in sorted(bring.items()) if pid in reached]
        clauses += [c for (pid, _), c in sorted(deadline.items()) if pid in reached]
        clauses += [c for pid, c in sorted(online.items()) if pid in reached]
        engine = RuleEngine(f"guide_{kb.pack.id}_{event}", clauses)
        events[event] = EventRules(event=event, rules=rules, engine=engine, clauses={c.tag: c for c in clauses})
    # the words of the reasons are part of the result: a curated why or quiet guard changes it
    words = repr(sorted((r.id, sorted(r.quiet), sorted((r.why or {}).items())) for rs in by_event.values() for r in rs))
    words += repr(vocab.household) + repr(vocab.member)  # knowledge/facts.yaml: the words of every condition
    version = hashlib.sha256(" ".join([kb.version] + [events[e].engine.version for e in sorted(events)] + [words])
                             .encode()).hexdigest()[:16]
    return Rulebook(kb=kb, vocab=vocab, events=events, bring_clauses=bring, deadline_clauses=deadline,
                    version=version, online_clauses=online)
