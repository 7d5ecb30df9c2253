"""The procedure graph: prerequisites decide the visiting order and the visit plan per counter."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx

from knowledge.yamlfile import KnowledgeError

if TYPE_CHECKING:
    from knowledge.schema import Procedure
    from knowledge.yamlfile import YamlDoc


def build_graph(procedures: dict[str, Procedure], docs: dict[str, YamlDoc]) -> nx.DiGraph:
    """Nodes are procedures (with their counter); an edge A -> B means A comes before B."""
    graph = nx.DiGraph()
    for pid, proc in procedures.items():
        graph.add_node(pid, counter=proc.counter)
    for pid, proc in procedures.items():
        for req in proc.requires:
            graph.add_edge(req, pid)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        # computed once per load: ordering a result then needs no graph search per request
        graph.graph["closure"] = nx.transitive_closure_dag(graph)
        return graph
    path = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
    first = cycle[0][1]
    raise KnowledgeError([docs[first].problem(("requires",), f"prerequisites form a cycle: {path}")])


def _closure_successors(graph: nx.DiGraph) -> dict[str, tuple[str, ...]]:
    """Everything that comes after each procedure (the transitive closure as plain tuples, made
    once per graph: building a graph object per request cost more than the ordering itself)."""
    closure = graph.graph["closure"]
    kept = graph.graph.get("closure_successors")
    if kept is None or kept[0] is not closure:
        kept = (closure, {p: tuple(closure.successors(p)) for p in closure})
        graph.graph["closure_successors"] = kept
    return kept[1]


def order_procedures(graph: nx.DiGraph, ids: list[str], counter_rank: Callable[[str], int],
                     due_rank: Callable[[str], tuple]) -> list[list[str]]:
    """Group ``ids`` by counter and order the visits so every prerequisite comes first.

    Returns the visit plan: a list of visits, each a list of procedure ids at one counter.
    Prerequisites count through procedures that are not in the result too (A before B before C
    still puts A before C). Where counters depend on each other both ways, a counter is
    visited more than once rather than breaking an order.
    """
    wanted = set(ids)
    after = {p: [q for q in _closure_successors(graph).get(p, ()) if q in wanted] for p in ids}
    counter_of = {pid: graph.nodes[pid]["counter"] for pid in ids}

    plan: list[list[str]] = []
    remaining = set(ids)
    indegree = dict.fromkeys(ids, 0)
    for p in ids:
        for q in after[p]:
            indegree[q] += 1
    while remaining:
        ready = [p for p in remaining if indegree[p] == 0]
        # go to the counter with the most urgent ready procedure, then do all that is ready there
        first = min(ready, key=lambda p: (due_rank(p), counter_rank(counter_of[p]), p))
        counter = counter_of[first]
        visit: list[str] = []
        while True:
            here = sorted((p for p in remaining if indegree[p] == 0 and counter_of[p] == counter),
                          key=lambda p: (due_rank(p), p))
            if not here:
                break
            for p in here:
                visit.append(p)
                remaining.discard(p)
                for nxt in after[p]:
                    indegree[nxt] -= 1
        plan.append(visit)
    return plan
