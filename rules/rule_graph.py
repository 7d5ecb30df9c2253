"""Each life event's questions → rules → procedures as a graph, for curators (plain Python).

    graph = event_graph(book, "moving_in", unfired=unfired_rules(book))
    graph.nodes["q:dog"]   # {"kind": "question", "id": "dog", "label": "犬を飼っていますか", "marks": (), …}

Nodes are ``q:<question id>``, ``r:<rule id>`` and ``p:<procedure id>``; an edge q → r says the
rule reads the question's answer, r → p that the rule lists the procedure. What is read and what
is reached is decided by rules/check.py (the same answers as ``flask rules check``); a node's
``marks`` say what is wrong with it:

- a question: ``unread`` (the event asks it and nothing reads it); one no rule reads that is
  still used has no edge and ``used``: ``always`` (the date, the people: every result needs them)
  or ``elsewhere`` (things to bring, deadlines, another question's ``ask_if``);
- a rule: ``never_fires`` (its conditions contradict each other), ``unfired`` (no scenario
  fires it: ``flask rules test``'s coverage, when the caller hands it in);
- a procedure: ``unreachable`` when every rule of the event that lists it can never fire.

The pack's procedures that no rule of any event lists are ``check.unreached_procedures``: they
are in no event's graph. The drawing is rules/rule_graph_svg.py.
"""
from __future__ import annotations

from collections.abc import Collection

import networkx as nx

from rules.check import ALWAYS_READ, never_fires, rule_reads, unread_questions
from rules.ruleset import Rulebook
from rules.scenarios import run_scenario_files, scenario_files

UNREAD = "unread"
UNREACHABLE = "unreachable"
NEVER_FIRES = "never_fires"
UNFIRED = "unfired"
QUESTION, RULE, PROCEDURE = "question", "rule", "procedure"


def event_graph(book: Rulebook, event: str, unfired: Collection[str] = ()) -> nx.DiGraph:
    """The DiGraph of ``event`` (KeyError for an event the pack does not have)."""
    kb = book.kb
    er = book.events[event]
    graph = nx.DiGraph(event=event, name=kb.events[event].name.ja)
    unread = set(unread_questions(book, event))
    for qid in kb.events[event].questions:
        q = kb.questions[qid]
        graph.add_node(f"q:{qid}", kind=QUESTION, id=qid, label=q.text.ja, fact=q.fact,
                       marks=(UNREAD,) if qid in unread else ())
    by_fact: dict[str, list[str]] = {}
    for qid in kb.events[event].questions:
        by_fact.setdefault(kb.questions[qid].fact, []).append(f"q:{qid}")
    for rule in er.rules:
        marks = (NEVER_FIRES,) if never_fires(rule) else (UNFIRED,) if rule.id in unfired else ()
        node = f"r:{rule.id}"
        graph.add_node(node, kind=RULE, id=rule.id, label=rule.id.removeprefix(f"{event}."),
                       where=f"{rule.file.name}:{rule.line}", marks=marks)
        for fact in sorted(rule_reads(rule)):
            for q in by_fact.get(fact, ()):
                graph.add_edge(q, node)
        pnode = f"p:{rule.procedure}"
        if pnode not in graph:
            graph.add_node(pnode, kind=PROCEDURE, id=rule.procedure, label=kb.procedures[rule.procedure].name.ja,
                           marks=())
        graph.add_edge(node, pnode)
    for node, data in graph.nodes(data=True):
        if data["kind"] == PROCEDURE and all(NEVER_FIRES in graph.nodes[r]["marks"] for r in graph.predecessors(node)):
            data["marks"] = (UNREACHABLE,)
        elif data["kind"] == QUESTION and not data["marks"] and graph.out_degree(node) == 0:
            # asked for the result itself (the date, the people) or read by a thing to bring, a
            # deadline or another question's ask_if: no rule's edge, yet not unused
            data["used"] = "always" if data["fact"] in ALWAYS_READ else "elsewhere"
    return graph


def nodes_of(graph: nx.DiGraph, kind: str) -> list[tuple[str, dict]]:
    return [(n, d) for n, d in graph.nodes(data=True) if d["kind"] == kind]


def marked(graph: nx.DiGraph, mark: str) -> list[str]:
    """The ids (question, rule or procedure id) of the nodes that carry ``mark``, in graph order."""
    return [d["id"] for _n, d in graph.nodes(data=True) if mark in d["marks"]]


def counts(graph: nx.DiGraph) -> dict[str, int]:
    """How many questions, rules and procedures, and how many carry each mark."""
    out = {kind: len(nodes_of(graph, kind)) for kind in (QUESTION, RULE, PROCEDURE)}
    out |= {mark: len(marked(graph, mark)) for mark in (UNREAD, NEVER_FIRES, UNFIRED, UNREACHABLE)}
    out["warnings"] = sum(out[m] for m in (UNREAD, NEVER_FIRES, UNFIRED, UNREACHABLE))
    return out


_UNFIRED: dict[tuple[str, str], frozenset[str]] = {}


def unfired_rules(book: Rulebook) -> frozenset[str]:
    """The rules no scenario of the pack fires (about a second for a full pack: kept per
    loaded generation, which never changes once loaded)."""
    key = (book.version, str(book.kb.directory))
    if key not in _UNFIRED:
        files = scenario_files(book.kb)
        if len(_UNFIRED) >= 8:
            _UNFIRED.clear()
        # no scenarios at all: nothing is known, nothing is marked
        _UNFIRED[key] = frozenset(run_scenario_files(book, files).unfired_rules) if files else frozenset()
    return _UNFIRED[key]
