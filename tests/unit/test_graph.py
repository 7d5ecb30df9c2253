"""The procedure graph orders results so every prerequisite comes first and builds visits."""
from knowledge.graph import order_procedures
from tests.households import procedure_graph as _graph

COUNTERS = {"tennyu": "shimin", "card": "shimin", "kokuho": "kokuho", "jido": "kodomo", "school": "kyoiku",
            "shibo": "shimin", "kaso": "shimin", "sosaihi": "kokuho", "middle": "x"}
RANK = {"shimin": 0, "kokuho": 1, "kodomo": 2, "kyoiku": 3, "x": 4}


def _plan(graph, ids, due=None):
    return order_procedures(graph, ids, counter_rank=lambda c: RANK[c], due_rank=lambda p: (due or {}).get(p, (9,)))


def test_prerequisites_come_first_and_one_counter_is_one_visit():
    g = _graph([("tennyu", "kokuho"), ("tennyu", "jido"), ("tennyu", "school"), ("tennyu", "card")], COUNTERS)
    plan = _plan(g, ["school", "jido", "kokuho", "card", "tennyu"])
    assert plan[0] == ["tennyu", "card"]  # one visit to 市民課, the prerequisite first
    flat = [p for v in plan for p in v]
    assert flat.index("tennyu") < min(flat.index("kokuho"), flat.index("jido"), flat.index("school"))
    assert len(plan) == 4  # shimin, kokuho, kodomo, kyoiku


def test_prerequisites_through_absent_procedures_still_count():
    g = _graph([("tennyu", "middle"), ("middle", "school")], COUNTERS)
    plan = _plan(g, ["school", "tennyu"])
    assert [p for v in plan for p in v] == ["tennyu", "school"]


def test_earlier_due_dates_go_first_among_ready_counters():
    g = _graph([("shibo", "kaso"), ("shibo", "sosaihi")], COUNTERS)
    plan = _plan(g, ["sosaihi", "kaso", "shibo"], due={"shibo": (1,), "kaso": (1,), "sosaihi": (5,)})
    assert plan == [["shibo", "kaso"], ["sosaihi"]]
