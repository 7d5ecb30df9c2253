"""Conditions of rule files: parsing, three-valued evaluation and the words that explain them.

A condition is parsed once into a small tree in negation normal form (``not`` pushed down to
the atoms), so that the durable-rules compiler, the reference evaluator and the wording all
work from the same tree. Truth values are Kleene's: True, False, or None (unanswered).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.words import N_, Message
from rules.memo import Memo
from rules.vocabulary import FactDef, Vocabulary, VocabularyError

OPS = ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt")
NEGATED = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in",
           "gte": "lt", "lt": "gte", "gt": "lte", "lte": "gt"}
ORDER_OPS = ("gte", "gt", "lte", "lt")


class ConditionError(ValueError):
    """A condition that cannot be parsed; ``path`` says where inside it (for line numbers).
    ``str()`` is English (the CLI); ``words`` the same in the catalogs' Japanese msgid with its
    variables, for the curators' console (rules/check.py's findings)."""

    def __init__(self, message: str, path: tuple = (), words: Message | None = None):
        super().__init__(message)
        self.path = path
        self.words = words or Message(N_("条件が正しくありません：%(detail)s"), detail=message)


NOT_A_MAPPING = N_("条件は「名前: 値」の組で書いてください（空にはできません）。")
EMPTY_LIST = N_("「%(key)s」には条件の一覧（1件以上）を書いてください。")
UNKNOWN_FACT = N_("「%(fact)s」という事実（fact）はありません。")
UNKNOWN_OPERATOR = N_("「%(op)s」という比べ方はありません。次のどれかにしてください：%(ops)s")
NUMBERS_ONLY = N_("「%(op)s」は数を比べます。「%(fact)s」は %(type)s です。")
VALUES_LIST = N_("「%(op)s」には値の一覧（1件以上）を書いてください。")
NOT_A_VALUE = N_("「%(value)s」は「%(fact)s」の値ではありません（使える値：%(allowed)s）。")


@dataclass(frozen=True)
class Atom:
    fact: FactDef
    op: str
    value: Any
    # conjoined by an age constraint of knowledge/facts.yaml, not written by the curator: it
    # decides like any atom but is never put into words (see ``imply``)
    implied: bool = False
    constraint: Any = None  # for a derived atom (``Fit``): how it is computed from the person's answers

    @property
    def key(self) -> str:
        """The attribute name on the asserted fact (durable has no dotted paths)."""
        return self.fact.path.replace(".", "__")

    def negated(self) -> Atom:
        return Atom(self.fact, NEGATED[self.op], self.value, self.implied, self.constraint)


@dataclass(frozen=True)
class All:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Cond, ...]


Cond = Atom | All | Any_


# --- parsing ------------------------------------------------------------------------------

def parse(raw: Any, vocab: Vocabulary, scope: str) -> Cond:
    """Parse a YAML condition mapping for ``scope`` ("household" or "member").

    The age constraints of the vocabulary are conjoined where the condition uses a constrained
    value positively (``imply``), so the engine, the reference evaluator and the words all work
    from the same tree.
    """
    return imply(_parse(raw, vocab, scope, (), negate=False), constraints(vocab))


def _parse(raw: Any, vocab: Vocabulary, scope: str, path: tuple, negate: bool) -> Cond:
    if not isinstance(raw, dict) or not raw:
        raise ConditionError("a condition must be a non-empty mapping", path, Message(NOT_A_MAPPING))
    parts: list[Cond] = []
    for key, value in raw.items():
        here = path + (key,)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"'{key}' takes a non-empty list of conditions", here, Message(EMPTY_LIST, key=key))
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
        raise ConditionError(str(exc), path, Message(UNKNOWN_FACT, fact=key)) from None
    ops = value if isinstance(value, dict) else {"eq": value}
    atoms: list[Cond] = []
    for op, operand in ops.items():
        if op not in OPS:
            raise ConditionError(f"unknown operator '{op}' (use one of {', '.join(OPS)})", path + (op,),
                                 Message(UNKNOWN_OPERATOR, op=op, ops=", ".join(OPS)))
        _check_operand(fact, op, operand, path + (op,))
        atom = Atom(fact, op, tuple(operand) if op in ("in", "not_in") else operand)
        atoms.append(atom.negated() if negate else atom)
    return atoms


def _check_operand(fact: FactDef, op: str, operand: Any, path: tuple) -> None:
    if op in ORDER_OPS and fact.type != "int":
        raise ConditionError(f"'{op}' compares numbers; '{fact.path}' is {fact.type}", path,
                             Message(NUMBERS_ONLY, op=op, fact=fact.path, type=fact.type))
    values = operand if op in ("in", "not_in") else [operand]
    if op in ("in", "not_in") and (not isinstance(operand, list) or not operand):
        raise ConditionError(f"'{op}' takes a non-empty list", path, Message(VALUES_LIST, op=op))
    for v in values:
        if not fact.accepts(v):
            allowed = ", ".join(fact.values) if fact.type == "enum" else fact.type
            raise ConditionError(f"'{v}' is not a value of '{fact.path}' (allowed: {allowed})", path,
                                 Message(NOT_A_VALUE, value=v, fact=fact.path, allowed=allowed))


# --- constraints: answers a person's age makes impossible (knowledge/facts.yaml) ----------

@dataclass(frozen=True)
class Constraint:
    """``fact`` can have ``value`` only for a person for whom ``requires`` holds."""

    fact: FactDef
    value: Any
    requires: Cond  # over the same person's facts (member fields, or deceased.*)
    code: str  # the contradiction's name, e.g. kouki_under_65
    source: str


_CONSTRAINTS: dict[int, tuple[Vocabulary, tuple[Constraint, ...]]] = {}  # id -> (vocabulary, parsed)


def _person_keys(raw: Any, prefix: str) -> Any:
    """The requirement's facts are the person's own: ``age`` of deceased.* is ``deceased.age``."""
    if isinstance(raw, dict):
        return {k if k in ("all", "any", "not") else f"{prefix}{k}": _person_keys(v, prefix) if k in ("all", "any", "not")
                else v for k, v in raw.items()}
    if isinstance(raw, list):
        return [_person_keys(v, prefix) for v in raw]
    return raw


def constraints(vocab: Vocabulary) -> tuple[Constraint, ...]:
    """The vocabulary's ``constraints``, parsed once per vocabulary (requirements never nest)."""
    cached = _CONSTRAINTS.get(id(vocab))
    if cached is not None and cached[0] is vocab:
        return cached[1]
    out: list[Constraint] = []
    for n, raw in enumerate(vocab.constraints):
        where = ("constraints", n)
        path = raw.get("fact", "")
        scope = "household" if path.startswith(("deceased.", "facts.")) else "member"
        try:
            fact = vocab.lookup(scope, path)
        except VocabularyError as exc:
            raise ConditionError(str(exc), where, Message(UNKNOWN_FACT, fact=path)) from None
        value = raw.get("value")
        if not fact.accepts(value) or fact.type not in ("bool", "enum"):
            allowed = ", ".join(fact.values) if fact.type == "enum" else fact.type
            raise ConditionError(f"'{value}' is not a value of '{path}'", where + ("value",),
                                 Message(NOT_A_VALUE, value=value, fact=path, allowed=allowed))
        prefix = "deceased." if path.startswith("deceased.") else ""
        requires = _parse(_person_keys(raw.get("requires"), prefix), vocab, scope, where + ("requires",), False)
        out.append(Constraint(fact, value, _mark(requires), str(raw.get("code") or f"{path}_{value}"),
                              str(raw.get("source") or "")))
    table = tuple(out)
    _CONSTRAINTS[id(vocab)] = (vocab, table)
    return table


def _mark(cond: Cond) -> Cond:
    if isinstance(cond, Atom):
        return Atom(cond.fact, cond.op, cond.value, implied=True)
    return type(cond)(tuple(_mark(c) for c in cond.items))


def _positive_values(atom: Atom) -> tuple:
    """The values for which the atom holds, where it names them (eq, in; a bool's ne)."""
    if atom.op == "eq":
        return (atom.value,)
    if atom.op == "in":
        return tuple(atom.value)
    if atom.op == "ne" and atom.fact.type == "bool":
        return (not atom.value,)
    return ()


@dataclass(frozen=True)
class Fit:
    """A derived fact: "the person's answer to ``fact`` is one of ``values`` that their age
    allows". Unknown while the answer is unanswered and some value of ``values`` is allowed."""

    fact: FactDef
    values: tuple
    table: tuple[Constraint, ...]  # the constraints on ``fact``

    def truth(self, person: dict[str, Any]) -> bool | None:
        banned = {c.value for c in self.table if evaluate(c.requires, person) is False}
        allowed = [v for v in self.values if v not in banned]
        v = person.get(self.fact.path)
        if v is None:
            return None if allowed else False
        return v in allowed


_FITS: dict[int, dict[str, Atom]] = {}  # id(constraint table) -> derived fact key -> its atom


def _fit_atom(atom: Atom, values: tuple, table: tuple[Constraint, ...]) -> Atom:
    on_fact = tuple(c for c in table if c.fact.path == atom.fact.path and c.fact.scope == atom.fact.scope)
    path = f"fit.{atom.fact.path}.{'_'.join(str(v) for v in values)}"
    # no words: a derived fact decides but is never said (``Atom.implied``)
    fact = FactDef(path=path, scope=atom.fact.scope, type="bool", phrases={True: {}, False: {}})
    fit = Atom(fact, "eq", True, implied=True, constraint=Fit(atom.fact, values, on_fact))
    _FITS.setdefault(id(table), {})[fit.key] = fit
    return fit


def imply(cond: Cond | None, table: tuple[Constraint, ...]) -> Cond | None:
    """``cond`` with each positive use of a constrained value conjoined with "the age allows it".

    ``insurance in [kokuho, kouki]`` becomes ``insurance in [...] AND fit`` where ``fit`` is a
    fact derived from the person's answers (``Fit``): the insurance is one of those two that the
    age allows — unknown while it is unanswered and one is allowed, false when none is. So an
    unanswered insurance of a person aged 50 can never make a 後期高齢者医療 rule possible, while 国保
    stays possible. Negative uses (ne, not_in) are left alone. One derived atom (marked
    ``implied``) keeps durable's expressions small; it is never put into words.
    """
    if cond is None or not table:
        return cond
    if isinstance(cond, Atom):
        if cond.implied:
            return cond
        values = _positive_values(cond)
        if not any(c.fact.path == cond.fact.path and c.fact.scope == cond.fact.scope and c.value in values
                   for c in table):
            return cond
        return All((cond, _fit_atom(cond, values, table)))
    return type(cond)(tuple(imply(c, table) for c in cond.items))


def derived_facts(values: dict[str, Any], scope: str, table: tuple[Constraint, ...]) -> dict[str, bool]:
    """The derived ``fit.*`` facts of one person for the engine (flat keys, as ``Atom.key``);
    left out where unknown, as any unanswered fact. Memoised on the answers the fits read."""
    fits = _FITS.get(id(table), {})
    if not fits:
        return {}
    reads = _FIT_READS.get((id(table), scope, len(fits)), table, lambda: _fit_reads(scope, fits))
    key = (id(table), scope, len(fits), tuple(values.get(p) for p in reads))
    return dict(_DERIVED.get(key, table, lambda: _derived_facts(values, scope, table)))


def _fit_reads(scope: str, fits: dict[str, Atom]) -> tuple[str, ...]:
    """The paths whose answers decide the derived facts of ``scope`` (their fact, their constraints)."""
    paths: list[str] = []
    for atom in fits.values():
        if atom.fact.scope == scope:
            _reads_into(atom, paths)
    return tuple(paths)


def _derived_facts(values: dict[str, Any], scope: str, table: tuple[Constraint, ...]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for key, atom in _FITS.get(id(table), {}).items():
        if atom.fact.scope == scope:
            truth = atom.constraint.truth(values)
            if truth is not None:
                out[key] = truth
    return out


def violations(values: dict[str, Any], scope: str, table: tuple[Constraint, ...]) -> list[Constraint]:
    """The constraints a person's known answers break (``values``: that scope's facts)."""
    return [c for c in table if c.fact.scope == scope and values.get(c.fact.path) == c.value
            and evaluate(c.requires, values) is False]


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
    if atom.constraint is not None:  # derived (Fit): computed from the person's answers
        t = atom.constraint.truth(values)
        return None if t is None else (t == atom.value) == (atom.op == "eq")
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


# --- memos: a pure function of (condition, the answers it reads) is computed once ---------

_READS: Memo[tuple[str, ...]] = Memo()
_SORTED: Memo[tuple[tuple[Atom, ...], ...]] = Memo()
_DERIVED: Memo[dict[str, bool]] = Memo()
_FIT_READS: Memo[tuple[str, ...]] = Memo(256)


def _reads_into(atom: Atom, paths: list[str]) -> None:
    if atom.fact.path not in paths:
        paths.append(atom.fact.path)
    if atom.constraint is not None:  # a derived atom reads its fact and what its constraints require
        if atom.constraint.fact.path not in paths:
            paths.append(atom.constraint.fact.path)
        for c in atom.constraint.table:
            for a in atoms_of(c.requires):
                _reads_into(a, paths)


def reads(cond: Cond | None) -> tuple[str, ...]:
    """The paths of the answers that decide ``cond`` (nothing else of the answers is read)."""
    def build() -> tuple[str, ...]:
        paths: list[str] = []
        for atom in atoms_of(cond):
            _reads_into(atom, paths)
        return tuple(paths)
    return _READS.get(id(cond), cond, build)


def sort_atoms(cond: Cond | None, values: dict[str, Any]) -> tuple[list[Atom], list[Atom], list[Atom]]:
    """The atoms that decided the outcome: (held, unknown, failed).

    Only branches that matter are followed: in an ``any`` that holds, the holding branch; in
    one that is unknown, the unknown branches. Memoised on the answers ``cond`` reads.
    """
    if cond is None:
        return [], [], []
    key = (id(cond), tuple(values.get(p) for p in reads(cond)))
    held, unknown, failed = _SORTED.get(key, cond, lambda: tuple(map(tuple, _sort_atoms(cond, values))))
    return list(held), list(unknown), list(failed)


def _sort_atoms(cond: Cond | None, values: dict[str, Any]) -> tuple[list[Atom], list[Atom], list[Atom]]:
    held: list[Atom] = []
    unknown: list[Atom] = []
    failed: list[Atom] = []

    def walk(c: Cond | None) -> None:
        if c is None:
            return
        truth = evaluate(c, values)
        if isinstance(c, Atom):
            if not c.implied:  # an implied atom decides, but is never put into words
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
