"""Compiles clauses into a durable-rules JSON ruleset.

Each clause becomes rules of two outcomes: ``definite`` (every atom holds on a known value) and
``possible`` (no atom is known to fail, an absent value may still hold, and it is not
definite). A clause whose definite rule fires is required; one where only a possible rule
fires is conditional.
With negation pushed down to the atoms (``rules.conditions``), this is exactly Kleene's
three-valued logic, and the reference evaluator there is checked against it in the tests.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from rules.conditions import All, Any_, Atom, Cond

DEFINITE = "definite"
POSSIBLE = "possible"
NOT_DEFINITE = "not_definite"
CATCH_ALL = "__catch_all"
# all matches of one rule in one session come out of the engine as one result (a rule matches at
# most once per member, or per pair of members, of a household of at most 20)
RESULT_CAP = 1000
_DURABLE_OP = {"ne": "$neq", "gte": "$gte", "gt": "$gt", "lte": "$lte", "lt": "$lt"}


@dataclass(frozen=True)
class Clause:
    """One condition of the knowledge that the engine decides: a rule, a thing to bring, a deadline."""

    tag: str
    household: Cond | None = None
    member: Cond | None = None
    at_least: int = 1  # how many different members must satisfy ``member``


def _atom(atom: Atom, mode: str) -> dict[str, Any]:
    key, op, value = atom.key, atom.op, atom.value
    if op == "eq":
        test: dict[str, Any] = {key: value}
    elif op == "in":
        test = {"$or": [{key: v} for v in value]} if len(value) > 1 else {key: value[0]}
    elif op == "not_in":
        test = {"$and": [{"$neq": {key: v}} for v in value]} if len(value) > 1 else {"$neq": {key: value[0]}}
    else:
        test = {_DURABLE_OP[op]: {key: value}}
    if mode == DEFINITE:
        # an absent value never holds for sure: durable fails every test of an absent attribute
        # ($neq included; tests/unit/test_engine.py checks this), so no "$ex" guard is needed
        return test
    if mode == POSSIBLE:
        return {"$or": [{"$nex": {key: 1}}, test]}  # an absent value may hold
    # NOT_DEFINITE: absent, or present and failing (the negated atom's test)
    return {"$or": [{"$nex": {key: 1}}, _atom(atom.negated(), DEFINITE)]}


def _cond(cond: Cond, mode: str) -> dict[str, Any]:
    if isinstance(cond, Atom):
        return _atom(cond, mode)
    assert isinstance(cond, (All, Any_))
    is_and = isinstance(cond, All) != (mode == NOT_DEFINITE)  # De Morgan for "not definite"
    return {"$and" if is_and else "$or": [_cond(c, mode) for c in cond.items]}


def _doubt(cond: Cond) -> dict[str, Any]:
    """Not definite, for a condition already known to be possible (kept small: durable's
    expressions have a size limit). Where every atom may hold, an atom is short of definite
    only when its value is absent."""
    if isinstance(cond, Atom):
        return {"$nex": {cond.key: 1}}
    if isinstance(cond, All):  # possible(All) makes every item possible
        return {"$or": [_doubt(c) for c in cond.items]}
    return _cond(cond, NOT_DEFINITE)  # possible(Any) says nothing of each branch


def _pattern(kind: str, cond: Cond | None, modes: tuple[str, ...], extra: list[dict] | None = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"kind": kind}]
    if cond is not None:
        parts.extend(_cond(cond, mode) if mode != NOT_DEFINITE else _doubt(cond) for mode in modes)
    parts.extend(extra or [])
    return parts[0] if len(parts) == 1 else {"$and": parts}


# durable keeps the "$and"/"$or" groups (two entries each) and the references to other facts
# (one each) of a pattern in a sequence of at most 31 entries (MAX_SEQUENCE_EXPRESSIONS, rete.c)
_SEQUENCE_LIMIT = 31


def _sequence_size(node: Any) -> int:
    """Entries of one pattern's expression (the pattern without its alias) in that sequence."""
    if isinstance(node, list):
        return sum(_sequence_size(x) for x in node)
    size = 0
    for key, value in node.items():
        if key in ("$and", "$or"):
            size += 2 + _sequence_size(value)
        elif key.startswith("$") and isinstance(value, dict):  # {"$gt": {attr: value or reference}}
            size += sum(isinstance(v, dict) for v in value.values())
        elif isinstance(value, dict):  # {attr: {alias: attr}}: equal to another fact's attribute
            size += 1
    return size


def _layouts(clause: Clause) -> list[list[tuple[str, str, Cond | None, list[dict]]]]:
    """The clause's patterns (alias, kind of fact, condition, joins), the cheaper layout first.

    Member facts carry the household's answers too (see rules/engine.py), so a clause with a
    member condition can test the household on its first member pattern: no join with the
    household fact, which halved durable's matching time. The joined layout (household fact and
    member facts) is the fallback for a condition too large for one pattern."""
    chains = [[{"$gt": {"idx": {f"m{i - 1}": "idx"}}}] if i else [] for i in range(clause.at_least)]
    # distinct members in index order, so a pair is counted once
    joined = [("h", "household", clause.household, [])]
    if clause.member is None:
        return [joined]
    joined += [(f"m{i}", "member", clause.member, chains[i]) for i in range(clause.at_least)]
    first = clause.member if clause.household is None else All((clause.household, clause.member))
    merged = [("m0", "member", first, [])]
    merged += [(f"m{i}", "member", clause.member, chains[i]) for i in range(1, clause.at_least)]
    return [merged, joined]


def _clause_rules(n: int, clause: Clause, layout: list[tuple[str, str, Cond | None, list[dict]]]) -> dict[str, Any]:
    def pattern(alias: str, kind: str, cond: Cond | None, chain: list[dict], modes: tuple[str, ...]) -> dict:
        return {alias: _pattern(kind, cond, modes, chain)}

    rules = {f"c{n}_{DEFINITE}": {"all": [pattern(a, k, c, ch, (DEFINITE,)) for a, k, c, ch in layout],
                                  "cap": RESULT_CAP, "run": f"{DEFINITE}\t{clause.tag}"}}
    for j, (_, _, doubted, _) in enumerate(layout):
        if doubted is None:
            continue  # no condition: always definitely true, never in doubt
        patterns = [pattern(a, k, c, ch, (DEFINITE,) if i < j else (POSSIBLE, NOT_DEFINITE) if i == j
                            else (POSSIBLE,)) for i, (a, k, c, ch) in enumerate(layout)]
        rules[f"c{n}_{POSSIBLE}{j}"] = {"all": patterns, "cap": RESULT_CAP, "run": f"{POSSIBLE}\t{clause.tag}"}
    return rules


def compile_clauses(clauses: list[Clause]) -> dict[str, Any]:
    """A durable ruleset definition (without actions' callables: ``run`` names the outcome).

    Per clause: one ``definite`` rule (every pattern definite), and ``possible`` rules that
    fire only where the clause is possible but NOT definite: rule j has patterns before j
    definite, pattern j possible-but-not-definite, patterns after j possible. These are
    disjoint and together cover "possible and not definite", so no combination fires twice.
    """
    rules: dict[str, Any] = {}
    for n, clause in enumerate(clauses):
        for layout in _layouts(clause):
            made = _clause_rules(n, clause, layout)
            if all(_sequence_size(expr) <= _SEQUENCE_LIMIT for r in made.values() for p in r["all"] for expr in p.values()):
                break
        rules.update(made)
    # every asserted fact must be handled, or durable refuses it (ENGINEERING.md §1.4); all the
    # facts of a session come back as ONE result of this rule (cap), which the engine skips.
    # (A catch-all that never completes a match would fire nothing, but durable then corrupted
    # its heap when the session was deleted: "free(): invalid pointer", measured.)
    rules[CATCH_ALL] = {"all": [{"m": {"$ex": {"kind": 1}}}], "cap": RESULT_CAP, "run": CATCH_ALL}
    return rules


def _attributes(node: Any, into: set[str]) -> None:
    """The fact attributes a pattern's expression tests (not those of other facts it refers to)."""
    if isinstance(node, list):
        for x in node:
            _attributes(x, into)
        return
    for key, value in node.items():
        if key in ("$and", "$or"):
            _attributes(value, into)
        elif key.startswith("$"):  # {"$gt": {attr: value or {alias: attr}}}, {"$nex": {attr: 1}}, {"$neq": …}
            if isinstance(value, dict) and any(k.startswith("$") for k in value):
                _attributes(value, into)  # {"$neq": …} inside "$and"/"$or" lists is handled above
            else:
                into.update(value)
        else:  # {attr: value} or {attr: {alias: attr}}
            into.add(key)


def member_attributes(definition: dict[str, Any]) -> frozenset[str]:
    """Every attribute some member pattern of ``definition`` tests: of the household's answers a
    member fact carries (rules/engine.py), only these can change what fires."""
    found: set[str] = set()
    for rule in definition.values():
        for pattern in rule["all"]:
            for alias, expr in pattern.items():
                if alias != "h":
                    _attributes(expr, found)
    return frozenset(found)


def ruleset_version(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
