"""The procedure graph: prerequisites decide the visiting order and the visit plan per counter."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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


def check_visits(graph: nx.DiGraph, offsite: set[str], docs: dict[str, YamlDoc]) -> None:
    """The pack's promise that every result can be visited in one pass, each counter once.

    Contract the prerequisite graph by counter: it must have no cycle (else some household would
    have to go back to a counter), and no procedure at a city counter may come after one at an
    office outside the city hall (offices come after every city counter: never out and back).
    Any subset of procedures then orders the same way (its edges are paths of this graph).
    """
    closure = graph.graph["closure"]
    counters = nx.DiGraph()
    counters.add_nodes_from(graph.nodes[p]["counter"] for p in graph)
    problems: list[str] = []
    for a, b in closure.edges():
        ca, cb = graph.nodes[a]["counter"], graph.nodes[b]["counter"]
        if ca != cb:
            counters.add_edge(ca, cb, via=(a, b))
        if ca in offsite and cb not in offsite:
            problems.append(docs[b].problem(("requires",), f"'{b}' at a city counter requires '{a}' at an office "
                                                           "outside the city hall: offices come last"))
    try:
        cycle = nx.find_cycle(counters)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " -> ".join(f"{u} ({counters.edges[u, v]['via'][0]} before {counters.edges[u, v]['via'][1]})"
                           for u, v in cycle)
        first = counters.edges[cycle[0]]["via"][1]
        problems.append(docs[first].problem(("requires",), f"counters would be visited twice: {path}"))
    if problems:
        raise KnowledgeError(problems)


def _closure_successors(graph: nx.DiGraph) -> dict[str, tuple[str, ...]]:
    """Everything that comes after each procedure (the transitive closure as plain tuples, made
    once per graph: building a graph object per request cost more than the ordering itself)."""
    closure = graph.graph["closure"]
    kept = graph.graph.get("closure_successors")
    if kept is None or kept[0] is not closure:
        kept = (closure, {p: tuple(closure.successors(p)) for p in closure})
        graph.graph["closure_successors"] = kept
    return kept[1]


def order_procedures(graph: nx.DiGraph, ids: list[str], counter_rank: Callable[[str], Any],
                     due_rank: Callable[[str], tuple], stage: Callable[[str], int] = lambda c: 0,
                     building: Callable[[str], str | None] = lambda c: None) -> list[list[str]]:
    """Group ``ids`` by counter and order the visits so every prerequisite comes first.

    Returns the visit plan: a list of visits, each a list of procedure ids at one counter, each
    counter once. Prerequisites count through procedures that are not in the result too (A
    before B before C still puts A before C). The graph contracted by counter decides the order
    of the visits (a counter after every counter it requires); among the counters that can come
    next: the earlier ``stage`` (戸籍 → 住民記録 → 保険・年金 → 手当・医療), then a counter in the
    ``building`` just visited (no back and forth between buildings), then ``counter_rank``
    (departments.yaml order). Inside a visit: prerequisites first, then ``due_rank``.
    Where counters depend on each other both ways (a pack ``check_visits`` rejects), a counter
    is visited more than once rather than breaking an order.
    """
    wanted = set(ids)
    successors = _closure_successors(graph)
    counter_of = {pid: graph.nodes[pid]["counter"] for pid in ids}
    edges = [(a, b) for a in ids for b in successors.get(a, ()) if b in wanted]
    due = {p: due_rank(p) for p in ids}  # once each: the keys below compare them often
    procs_at: dict[str, list[str]] = {}
    for p in ids:
        procs_at.setdefault(counter_of[p], []).append(p)
    after: dict[str, set[str]] = {c: set() for c in counter_of.values()}  # counter -> counters after it
    inner: dict[str, list[str]] = {p: [] for p in ids}  # procedure -> procedures after it, same counter
    for a, b in edges:
        ca, cb = counter_of[a], counter_of[b]
        if ca == cb:
            inner[a].append(b)
        else:
            after[ca].add(cb)
    waiting = dict.fromkeys(after, 0)
    for c in after:
        for d in after[c]:
            waiting[d] += 1
    plan: list[list[str]] = []
    here: str | None = None
    while waiting:
        ready = [c for c, n in waiting.items() if n == 0]
        if not ready:  # counters require each other both ways: a pack check_visits rejects
            return _order_revisiting(edges, ids, counter_of, counter_rank, due.__getitem__)
        counter = min(ready, key=lambda c: (stage(c), 0 if here is not None and building(c) == here else 1,
                                            counter_rank(c), c))
        del waiting[counter]
        for d in after[counter]:
            waiting[d] -= 1
        here = building(counter) or here  # a counter of unknown building does not move us
        plan.append(_in_visit(procs_at[counter], inner, due))
    return plan


def _in_visit(procs: list[str], inner: dict[str, list[str]], due: dict[str, tuple]) -> list[str]:
    """One counter's procedures: prerequisites first, then by ``due``; a prerequisite is as
    urgent as what waits for it (``inner`` is transitive: it lists everything after)."""
    if len(procs) == 1:
        return procs
    before = dict.fromkeys(procs, 0)
    for p in procs:
        for q in inner[p]:
            before[q] += 1
    urgency = {p: min([due[p], *(due[q] for q in inner[p])]) for p in procs}
    out: list[str] = []
    while before:
        p = min((p for p, n in before.items() if n == 0), key=lambda p: (urgency[p], p))
        del before[p]
        for q in inner[p]:
            before[q] -= 1
        out.append(p)
    return out


def _order_revisiting(edges: list[tuple[str, str]], ids: list[str], counter_of: dict[str, str],
                      counter_rank: Callable[[str], Any], due_rank: Callable[[str], tuple]) -> list[list[str]]:
    """The order when counters require each other both ways: greedy, a counter maybe twice."""
    succ: dict[str, list[str]] = {p: [] for p in ids}
    indegree = dict.fromkeys(ids, 0)
    for a, b in edges:
        succ[a].append(b)
        indegree[b] += 1
    plan: list[list[str]] = []
    remaining = set(ids)
    while remaining:
        ready = [p for p in remaining if indegree[p] == 0]
        first = min(ready, key=lambda p: (counter_rank(counter_of[p]), due_rank(p), p))
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
                for nxt in succ[p]:
                    indegree[nxt] -= 1
        plan.append(visit)
    return plan
