"""Reload by generation: a broken or failing rulebook never replaces the working one."""
import pytest

from knowledge.yamlfile import KnowledgeError
from rules.generation import RulebookHolder, ScenarioFailure


class Book:
    def __init__(self, version):
        self.version = version


def test_reload_swaps_in_a_new_generation():
    versions = iter(["v1", "v2"])
    holder = RulebookHolder(lambda: Book(next(versions)))
    old = holder.current
    holder.reload()
    assert holder.current.version == "v2" and old.version == "v1" and holder.generation == 2


def test_failing_scenarios_keep_the_old_rules():
    books = iter([Book("good"), Book("bad")])
    holder = RulebookHolder(lambda: next(books), verify=lambda b: ["x fails"] if b.version == "bad" else [])
    with pytest.raises(ScenarioFailure):
        holder.reload()
    assert holder.current.version == "good"


def test_changed_files_are_picked_up_and_broken_ones_refused():
    state = {"fp": 1, "broken": False, "n": 0}

    def build():
        if state["broken"]:
            raise KnowledgeError(["rules/x.yaml:3: when: unknown fact"])
        state["n"] += 1
        return Book(f"v{state['n']}")

    holder = RulebookHolder(build, fingerprint=lambda: state["fp"], interval=0.000001)
    assert holder.maybe_reload().version == "v1"  # nothing changed
    state["fp"] = 2
    assert holder.maybe_reload().version == "v2"
    state["fp"], state["broken"] = 3, True
    assert holder.maybe_reload().version == "v2" and "unknown fact" in holder.last_error


def test_each_swap_and_each_refusal_is_reported():
    state = {"fp": 1, "broken": False}
    seen = []

    def build():
        if state["broken"]:
            raise KnowledgeError(["x"])
        return Book("v")

    holder = RulebookHolder(build, fingerprint=lambda: state["fp"], interval=0.000001,
                            on_change=lambda outcome, book, problem: seen.append(outcome))
    state["fp"] = 2
    holder.maybe_reload()
    state["fp"], state["broken"] = 3, True
    holder.maybe_reload()
    assert seen == ["ok", "failed"]
