"""Compiles clauses into a durable-rules JSON ruleset.

Each clause becomes two rules: ``definite`` (every atom holds on a known value) and
``possible`` (no atom is known to fail: an absent value may still hold). A clause whose
definite rule fires is required; one where only the possible rule fires is conditional.
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
CATCH_ALL = "__catch_all"
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
    exists = {"$ex": {key: 1}}
    if mode == DEFINITE:
        return {"$and": [exists, test]}  # an absent value never holds for sure
    return {"$or": [{"$nex": {key: 1}}, test]}  # an absent value may hold


def _cond(cond: Cond, mode: str) -> dict[str, Any]:
    if isinstance(cond, Atom):
        return _atom(cond, mode)
    op = "$and" if isinstance(cond, All) else "$or"
    assert isinstance(cond, (All, Any_))
    return {op: [_cond(c, mode) for c in cond.items]}


def _pattern(kind: str, cond: Cond | None, mode: str, extra: list[dict] | None = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"kind": kind}]
    if cond is not None:
        parts.append(_cond(cond, mode))
    parts.extend(extra or [])
    return parts[0] if len(parts) == 1 else {"$and": parts}


def compile_clauses(clauses: list[Clause]) -> dict[str, Any]:
    """A durable ruleset definition (without actions' callables: ``run`` names the outcome)."""
    rules: dict[str, Any] = {}
    for n, clause in enumerate(clauses):
        for mode in (DEFINITE, POSSIBLE):
            patterns: list[dict[str, Any]] = [{"h": _pattern("household", clause.household, mode)}]
            if clause.member is not None:
                for i in range(clause.at_least):
                    # distinct members in index order, so a pair is counted once
                    chain = [{"$gt": {"idx": {f"m{i - 1}": "idx"}}}] if i else []
                    patterns.append({f"m{i}": _pattern("member", clause.member, mode, chain)})
            rules[f"c{n}_{mode}"] = {"all": patterns, "run": f"{mode}\t{clause.tag}"}
    # every asserted fact must be handled, or durable refuses it (ENGINEERING.md §1.4)
    rules[CATCH_ALL] = {"all": [{"m": {"$ex": {"kind": 1}}}], "run": CATCH_ALL}
    return rules


def ruleset_version(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
