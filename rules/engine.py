"""The one adapter to durable-rules (nothing else imports ``durable``).

Wrapped as shared/ENGINEERING.md §1 prescribes: our own Host with the background dispatcher
disabled, one fresh session id per evaluation deleted in ``finally``, facts (not events)
asserted one at a time, a catch-all rule, one generic action recording outcomes in the
session state, versioned ruleset names, and one lock per engine.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from durable import engine as durable_engine

from rules.compiler import CATCH_ALL, DEFINITE, Clause, compile_clauses, ruleset_version


class EngineError(RuntimeError):
    pass


class _QuietHost(durable_engine.Host):
    """A durable Host without the timer threads that re-arm every 0.2 s (they crash the library)."""

    def _run(self) -> None:
        return None

    def get_action(self, action_name: str):
        raise EngineError(f"rule files may not name actions ({action_name})")


def _ignore(c) -> None:
    return None


def _recorder(outcome: str, sink: dict[str, list]):
    """The one generic action: record which outcome fired, and for which members, for the session.

    Outcomes go to a per-session list held by the engine rather than into durable's own state:
    durable re-serialises the whole state after every action, which made a growing list there
    the largest cost of an evaluation. The list is keyed by the session id and removed with it.
    """
    mode, tag = outcome.split("\t", 1)

    def record(c) -> None:
        matched = c._m if hasattr(c, "_m") else {}
        members = [int(f["idx"]) for alias, f in matched.items() if alias.startswith("m") and "idx" in f]
        sink[c.s.sid].append((mode, tag, members))

    return record


@dataclass
class Outcome:
    """What one clause came to: members that satisfy it for sure, and those that may."""

    definite: bool = False
    possible: bool = False  # may hold (True also when definite)
    definite_members: set[int] = field(default_factory=set)
    possible_members: set[int] = field(default_factory=set)  # complete only where not definite


class RuleEngine:
    """Decides clauses for one life event. Evaluation is a pure function of the facts."""

    def __init__(self, name: str, clauses: list[Clause]):
        self.clauses = {c.tag: c for c in clauses}
        if len(self.clauses) != len(clauses):
            raise EngineError("clause tags must be unique")
        definition = compile_clauses(clauses)
        self.version = ruleset_version(definition)
        self.ruleset_name = f"{name}_{self.version}"
        self._fired: dict[str, list] = {}
        for rule in definition.values():
            if rule["run"] != CATCH_ALL:
                rule["run"] = _recorder(rule["run"], self._fired)
            else:
                rule["run"] = _ignore
        self._host = _QuietHost()
        self._host.register_rulesets({self.ruleset_name: definition})
        self._lock = threading.Lock()
        self._sids = itertools.count()

    def decide(self, household: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Outcome]:
        outcomes = {tag: Outcome() for tag in self.clauses}
        facts = [dict(household, kind="household", id="h")]
        facts += [dict(m, kind="member", idx=i, id=f"m{i}") for i, m in enumerate(members)]
        with self._lock:
            sid = str(next(self._sids))
            self._fired[sid] = []
            try:
                for fact in facts:
                    fact["sid"] = sid
                # one batch: every fact is handled (catch-all rule), so none can make it raise
                self._host.assert_facts(self.ruleset_name, facts)
                state = self._host.get_state(self.ruleset_name, sid)
            finally:
                self._host.delete_state(self.ruleset_name, sid)
                fired = self._fired.pop(sid)
        if state.get("exception"):
            raise EngineError(f"a rule action failed: {state['exception']}")
        for mode, tag, idxs in fired:
            out = outcomes[tag]
            out.possible = True
            if mode == DEFINITE:
                out.definite = True
                out.definite_members.update(idxs)
            else:
                out.possible_members.update(idxs)
        return outcomes
