"""The one adapter to durable-rules (nothing else imports ``durable``).

Wrapped as shared/ENGINEERING.md §1 prescribes, with one departure measured for speed (issue 10):
the compiled ruleset is driven through durable's own native module rather than its Python
``Host``. What the Host added per evaluation was one Python action per fired rule, each building
a closure and writing the whole session state back through JSON (about 20 per request: most of the
cost of a first answer). Here:

- no ``Host`` at all, so no background dispatcher or timer threads (§1.1–1.2);
- one session per engine, emptied after every evaluation by retracting its facts (and deleted if
  it is not empty, and every few thousand evaluations): a departure from §1.3, measured below;
- the household and its members asserted as facts in ONE batch; every fact is handled by a
  catch-all rule, whose matches come back as one result that is skipped (§1.4);
- no rule has an action: the engine's results are taken in turn straight from the session (the
  rule name says which clause and outcome fired, the frame which members matched), each rule's
  matches together in one result (``cap``); nothing is written back (§1.5: no action can raise,
  so there is no ``state["exception"]`` to read);
- versioned ruleset names (§1.7) and one lock per engine (§1.6).

Measured (CPython 3.11, 2 cores, the first city's 70-procedure pack): durable's part of an evaluation fell from
about 100 µs to 50 µs when the session was kept and emptied instead of created and deleted, with
the same rules fired for the same members on 4,000 evaluations of every event, and flat memory
over 50,000 evaluations; tests/unit/test_engine.py runs its property test on one kept session.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import durable_rules_engine as native
import orjson

from rules.compiler import CATCH_ALL, DEFINITE, Clause, compile_clauses, member_attributes, ruleset_version

_HANDLED = 0  # durable's result codes of an assertion
_NOT_HANDLED, _OBSERVED = 1, 2
# One session per engine, emptied after each evaluation by retracting its facts: creating a
# session costs durable about 8 KB zeroed and three allocations per compiled rule, which was half
# of an evaluation. Renewed now and then, and at once if it is not empty after an evaluation.
_SESSION = "s"
_SESSION_RENEWAL = 4096
# A result is ``{"<rule>": frame}`` or ``{"<rule>": [frame, …]}``, each frame holding the matched
# facts as asserted (durable copies their JSON text). Only the rule name and the members' "idx"
# are needed, so they are read from the text instead of parsing every fact back: "idx" is a
# key of member facts only, and no value can hold an unescaped quote.
_IDX = re.compile(r'"idx":\s*(\d+)')


class EngineError(RuntimeError):
    pass


_NONE: frozenset[int] = frozenset()


@dataclass(slots=True)
class Outcome:
    """What one clause came to: members that satisfy it for sure, and those that may.

    The member sets are read-only (an empty frozenset until the engine fills them)."""

    definite: bool = False
    possible: bool = False  # may hold (True also when definite)
    definite_members: set[int] | frozenset[int] = _NONE
    possible_members: set[int] | frozenset[int] = _NONE  # complete only where not definite


class _Unfired(Outcome):
    """The one outcome of every clause that did not fire (shared: it cannot be changed)."""

    __slots__ = ()

    def __init__(self) -> None:
        for name, value in (("definite", False), ("possible", False),
                            ("definite_members", _NONE), ("possible_members", _NONE)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the outcome of a clause that did not fire is shared and read-only")


_UNFIRED = _Unfired()


def _close(handle: int) -> None:
    with contextlib.suppress(Exception):  # at interpreter exit the module may be gone
        # durable's delete_ruleset leaves the session's state allocated (about 10 MB for the
        # first city's pack after its scenarios): delete it first, or every dropped
        # ruleset (a new pack version, an app made and dropped) stays in the process for good
        native.delete_state(handle, _SESSION)
        native.delete_ruleset(handle)


class RuleEngine:
    """Decides clauses for one life event. Evaluation is a pure function of the facts."""

    def __init__(self, name: str, clauses: list[Clause]):
        self.clauses = {c.tag: c for c in clauses}
        if len(self.clauses) != len(clauses):
            raise EngineError("clause tags must be unique")
        definition = compile_clauses(clauses)
        self.version = ruleset_version(definition)
        self.ruleset_name = f"{name}_{self.version}"
        # rule name -> (definite?, clause tag, has member patterns?); None for the catch-all
        self._rules: dict[str, tuple[bool, str, bool] | None] = {}
        for rule_name, rule in definition.items():
            run = rule.pop("run")
            if run == CATCH_ALL:
                self._rules[rule_name] = None
            else:
                mode, tag = run.split("\t", 1)
                self._rules[rule_name] = (mode == DEFINITE, tag, self.clauses[tag].member is not None)
        # the household's answers some member pattern tests: the only ones a member fact carries
        self._carried = member_attributes(definition)
        self._handle = native.create_ruleset(self.ruleset_name, json.dumps(definition, ensure_ascii=False))
        weakref.finalize(self, _close, self._handle)
        self._lock = threading.Lock()
        self._evaluations = itertools.count()  # makes every fact id unique in the session
        self._session_uses = 0

    def decide(self, household: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = dict.fromkeys(self.clauses, _UNFIRED)  # a new one when fired
        n = next(self._evaluations)
        shared = dict(household)
        shared.pop("idx", None)  # "idx" marks members in the results (see _IDX)
        facts = [dict(shared, kind="household", id=f"h.{n}", sid=_SESSION)]
        # a member fact carries the household's answers too: a clause on both is matched on one
        # fact, with no join (rules/compiler.py, _layouts); only the answers some member pattern
        # tests, the others could change nothing (smaller facts to parse and to read back)
        carried = {k: v for k, v in shared.items() if k in self._carried}
        for i, m in enumerate(members):
            if not shared.keys().isdisjoint(m):
                raise EngineError(f"member {i} repeats a household fact: {sorted(shared.keys() & m.keys())}")
            fact = dict(carried)
            fact.update(m)
            fact.update(kind="member", idx=i, id=f"m{i}.{n}", sid=_SESSION)
            facts.append(fact)
        payload = orjson.dumps(facts).decode()  # the same JSON as json.dumps, without spaces, ~6x faster
        handle = self._handle
        results: list[str] = []
        with self._lock:
            clean = False
            try:
                code, state = native.assert_facts(handle, payload)
                if code == _NOT_HANDLED or code == _OBSERVED:
                    raise EngineError(f"durable refused the facts (code {code})")
                found = native.start_action_for_state(handle, state) if code == _HANDLED else None
                if found is not None:
                    results.append(found[1])
                    while (more := native.complete_and_start_action(handle, state)) is not None:
                        results.append(more)
                # the facts leave the session: it is empty again for the next evaluation
                retracted, _ = native.retract_facts(handle, payload)
                clean = (retracted == _HANDLED and native.get_facts(handle, _SESSION) == "[]"
                         and native.start_action_for_state(handle, state) is None)
            finally:
                self._session_uses += 1
                if not clean or self._session_uses >= _SESSION_RENEWAL:
                    native.delete_state(handle, _SESSION)
                    self._session_uses = 0
        rules = self._rules
        for text in results:
            fired = rules[text[2:text.index('"', 2)]]  # the text starts {"<rule name>":
            if fired is None:
                continue  # the catch-all: every fact, handled
            definite, tag, with_members = fired
            out = outcomes[tag]
            if out is _UNFIRED:
                out = outcomes[tag] = Outcome()
            out.possible = True
            if definite:
                out.definite = True
                if with_members:
                    out.definite_members = out.definite_members.union(map(int, _IDX.findall(text)))
            elif with_members:
                out.possible_members = out.possible_members.union(map(int, _IDX.findall(text)))
        return outcomes
