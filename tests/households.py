"""Shared test material for the guide: households used by several test files, and a small
procedure graph builder for the ordering tests (one copy, so the files agree)."""
import networkx as nx

# A 社保 earner (45, 第2号, householder) dies; the spouse (第3号) and two children were dependants.
SHAHO_DEATH = {
    "event": "death", "event_date": "2026-11-19",
    "facts": {"child_allowance_recipient_is_deceased": True, "single_parent": True, "dog": False},
    "deceased": {"age": 45, "insurance": "shaho", "householder": True, "pension": "second",
                 "pension_recipient": False, "died_abroad": False},
    "members": [{"relation": "spouse", "age": 42, "insurance": "shaho", "pension": "third", "dependant_of_deceased": True},
                {"relation": "child", "age": 12, "insurance": "shaho", "dependant_of_deceased": True},
                {"relation": "child", "age": 9, "insurance": "shaho", "dependant_of_deceased": True}],
}


def procedure_graph(edges, counters):
    """A prerequisite graph as knowledge.graph builds it: nodes with their counter, the closure."""
    g = nx.DiGraph()
    for pid, counter in counters.items():
        g.add_node(pid, counter=counter)
    g.add_edges_from(edges)
    g.graph["closure"] = nx.transitive_closure_dag(g)
    return g
