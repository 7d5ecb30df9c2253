"""Conditions of rule files: parsing, three-valued evaluation and the words that explain them.

A condition is parsed once into a small tree in negation normal form (``not`` pushed down to
the atoms), so that the durable-rules compiler, the reference evaluator and the wording all
work from the same tree. Truth values are Kleene's: True, False, or None (unanswered).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rules.vocabulary import FactDef, Vocabulary, VocabularyError

OPS = ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt")
NEGATED = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in",
           "gte": "lt", "lt": "gte", "gt": "lte", "lte": "gt"}
ORDER_OPS = ("gte", "gt", "lte", "lt")


class ConditionError(ValueError):
    """A condition that cannot be parsed; ``path`` says where inside it (for line numbers)."""

    def __init__(self, message: str, path: tuple = ()):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Atom:
    fact: FactDef
    op: str
    value: Any

    @property
    def key(self) -> str:
        """The attribute name on the asserted fact (durable has no dotted paths)."""
        return self.fact.path.replace(".", "__")

    def negated(self) -> Atom:
        return Atom(self.fact, NEGATED[self.op], self.value)


@dataclass(frozen=True)
class All:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Cond, ...]


Cond = Atom | All | Any_


# --- parsing ------------------------------------------------------------------------------

def parse(raw: Any, vocab: Vocabulary, scope: str) -> Cond:
    """Parse a YAML condition mapping for ``scope`` ("household" or "member")."""
    return _parse(raw, vocab, scope, (), negate=False)


def _parse(raw: Any, vocab: Vocabulary, scope: str, path: tuple, negate: bool) -> Cond:
    if not isinstance(raw, dict) or not raw:
        raise ConditionError("a condition must be a non-empty mapping", path)
    parts: list[Cond] = []
    for key, value in raw.items():
        here = path + (key,)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"'{key}' takes a non-empty list of conditions", here)
            items = tuple(_parse(v, vocab, scope, here + (i,), negate) for i, v in enumerate(value))
            # De Morgan: not(all) = any(not), not(any) = all(not)
            is_all = (key == "all") != negate
            parts.append(All(items) if is_all else Any_(items))
        elif key == "not":
            parts.append(_parse(value, vocab, scope, here, not negate))
        else:
            parts.extend(_atoms(key, value, vocab, scope, here, negate))
    if len(parts) == 1:
        return parts[0]
    # several keys are an AND; negated, an OR of the negations
    return Any_(tuple(parts)) if negate else All(tuple(parts))


def _atoms(key: str, value: Any, vocab: Vocabulary, scope: str, path: tuple, negate: bool) -> list[Cond]:
    try:
        fact = vocab.lookup(scope, key)
    except VocabularyError as exc:
        raise ConditionError(str(exc), path) from None
    ops = value if isinstance(value, dict) else {"eq": value}
    atoms: list[Cond] = []
    for op, operand in ops.items():
        if op not in OPS:
            raise ConditionError(f"unknown operator '{op}' (use one of {', '.join(OPS)})", path + (op,))
        _check_operand(fact, op, operand, path + (op,))
        atom = Atom(fact, op, tuple(operand) if op in ("in", "not_in") else operand)
        atoms.append(atom.negated() if negate else atom)
    return atoms


def _check_operand(fact: FactDef, op: str, operand: Any, path: tuple) -> None:
    if op in ORDER_OPS and fact.type != "int":
        raise ConditionError(f"'{op}' compares numbers; '{fact.path}' is {fact.type}", path)
    values = operand if op in ("in", "not_in") else [operand]
    if op in ("in", "not_in") and (not isinstance(operand, list) or not operand):
        raise ConditionError(f"'{op}' takes a non-empty list", path)
    for v in values:
        if not fact.accepts(v):
            allowed = ", ".join(fact.values) if fact.type == "enum" else fact.type
            raise ConditionError(f"'{v}' is not a value of '{fact.path}' (allowed: {allowed})", path)


def atoms_of(cond: Cond | None) -> Iterable[Atom]:
    if cond is None:
        return
    if isinstance(cond, Atom):
        yield cond
    else:
        for item in cond.items:
            yield from atoms_of(item)


# --- three-valued evaluation (the reference semantics) ------------------------------------

def eval_atom(atom: Atom, values: dict[str, Any]) -> bool | None:
    v = values.get(atom.fact.path)
    if v is None:
        return None
    op, x = atom.op, atom.value
    if op == "eq":
        return v == x
    if op == "ne":
        return v != x
    if op == "in":
        return v in x
    if op == "not_in":
        return v not in x
    if op == "gte":
        return v >= x
    if op == "gt":
        return v > x
    if op == "lte":
        return v <= x
    return v < x


def evaluate(cond: Cond | None, values: dict[str, Any]) -> bool | None:
    if cond is None:
        return True
    if isinstance(cond, Atom):
        return eval_atom(cond, values)
    results = [evaluate(item, values) for item in cond.items]
    if isinstance(cond, All):
        if False in results:
            return False
        return None if None in results else True
    if True in results:
        return True
    return None if None in results else False


def sort_atoms(cond: Cond | None, values: dict[str, Any]) -> tuple[list[Atom], list[Atom], list[Atom]]:
    """The atoms that decided the outcome: (held, unknown, failed).

    Only branches that matter are followed: in an ``any`` that holds, the holding branch; in
    one that is unknown, the unknown branches.
    """
    held: list[Atom] = []
    unknown: list[Atom] = []
    failed: list[Atom] = []

    def walk(c: Cond | None) -> None:
        if c is None:
            return
        truth = evaluate(c, values)
        if isinstance(c, Atom):
            {True: held, None: unknown, False: failed}[truth].append(c)
            return
        if isinstance(c, All) or truth is False:
            for item in c.items:
                if isinstance(c, All) and truth is False and evaluate(item, values) is not False:
                    continue  # an AND that fails is explained by its failing parts
                walk(item)
            return
        # an ANY that holds or is unknown: follow the branches with that truth value
        for item in c.items:
            if evaluate(item, values) is truth:
                walk(item)
                if truth is True:
                    return

    walk(cond)
    return held, unknown, failed
