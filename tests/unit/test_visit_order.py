"""The visit plan (issue 10): each counter once, in the legal order 戸籍 → 住民記録 → 保険・年金 →
手当・医療, without back and forth between buildings, offices outside the city hall last; the
pack is checked for it at load (knowledge.graph.check_visits)."""
import datetime as dt

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.graph import check_visits, order_procedures
from knowledge.yamlfile import KnowledgeError
from rules.evaluate import evaluate
from rules.request import read_request
from tests.households import SHAHO_DEATH
from tests.households import procedure_graph as _graph


def run(rulebook, body):
    return evaluate(rulebook, read_request(body, rulebook.vocab, set(rulebook.events)))


# --- the order itself (knowledge.graph) ----------------------------------------------------------

def test_a_counter_is_visited_once_even_when_its_later_procedure_waits_for_another_counter():
    """家庭支援課 → 国保 → 家庭支援課 again was the old plan when a 手当 needed the 国保 change."""
    counters = {"shibo": "shimin", "shometsu": "katei", "kokuho": "kokuho", "fuyo": "katei"}
    g = _graph([("shibo", "shometsu"), ("shibo", "kokuho"), ("kokuho", "fuyo")], counters)
    rank = {"shimin": 0, "kokuho": 1, "katei": 2}
    # 消滅届 is required and due first, 国保 only 該当する場合: urgency no longer splits the counter
    due = {"shibo": (0,), "shometsu": (0,), "kokuho": (1,), "fuyo": (1,)}
    plan = order_procedures(g, list(counters), counter_rank=rank.__getitem__, due_rank=due.__getitem__)
    assert plan == [["shibo"], ["kokuho"], ["shometsu", "fuyo"]]


def test_the_stage_comes_before_the_file_order_and_the_building_keeps_the_route():
    counters = {"shussei": "shimin", "teate": "katei", "kokuho": "kokuho", "iryo": "iryo"}
    g = _graph([("shussei", p) for p in ("teate", "kokuho", "iryo")], counters)
    rank = {"shimin": 0, "katei": 1, "iryo": 2, "kokuho": 3}  # file order alone: 手当 before 国保
    stage = {"shimin": 0, "kokuho": 2, "katei": 3, "iryo": 3}.__getitem__
    building = {"shimin": "市役所", "kokuho": "新館", "iryo": "新館", "katei": "本館"}.get
    plan = order_procedures(g, list(counters), counter_rank=rank.__getitem__, due_rank=lambda p: (0,),
                            stage=stage, building=building)
    # 国保 (新館) → 医療助成 (新館) → 家庭支援課 (本館): one crossing, not 新館 → 本館 → 新館
    assert plan == [["shussei"], ["kokuho"], ["iryo"], ["teate"]]


def test_counters_requiring_each_other_both_ways_keep_every_prerequisite_first():
    """A pack that check_visits would reject still gets an order that breaks no prerequisite."""
    counters = {"a": "x", "b": "y", "c": "x"}
    g = _graph([("a", "b"), ("b", "c")], counters)
    plan = order_procedures(g, ["c", "b", "a"], counter_rank={"x": 0, "y": 1}.__getitem__, due_rank=lambda p: (0,))
    assert plan == [["a"], ["b"], ["c"]]


def test_the_pack_may_not_make_a_counter_come_back(rulebook):
    kb = rulebook.kb
    g = _graph([("a", "b"), ("b", "c")], {"a": "x", "b": "y", "c": "x"})
    docs = {"a": kb.procedure_doc("tennyu_todoke"), "b": kb.procedure_doc("kokuho_kanyu"),
            "c": kb.procedure_doc("kodomo_iryo")}
    with pytest.raises(KnowledgeError, match="visited twice"):
        check_visits(g, set(), docs)
    with pytest.raises(KnowledgeError, match="outside the city hall"):
        check_visits(_graph([("a", "b")], {"a": "office", "b": "y"}), {"office"}, docs)
    check_visits(_graph([("a", "b")], {"a": "y", "b": "office"}), {"office"}, docs)  # city first: fine


# --- the pack: stages, 国民年金 at 医療助成年金課 ---------------------------------------------------

def test_national_pension_is_a_counter_of_the_medical_subsidy_and_pension_division(rulebook):
    kb = rulebook.kb
    assert "nenkin" not in kb.departments
    dept, counter = kb.counters["nenkin_madoguchi"]
    assert dept.id == "iryo_nenkin" and counter.stage == "hoken_nenkin"
    assert counter.verified is False  # the window is on no stored city page
    for pid in ("nenkin_kanyu", "nenkin_shubetsu_henko", "nenkin_izoku", "nenkin_nini_kanyu"):
        assert kb.procedures[pid].department == "iryo_nenkin"
    result = run(rulebook, SHAHO_DEATH)
    card = next(p for p in result["procedures"] if p["id"] == "nenkin_shubetsu_henko")
    assert card["place"]["verified"] is False and "（市役所）" not in card["department"]


def _counters(result):
    return [v["counter_id"] for v in result["visit_plan"]]


def test_the_death_of_a_shaho_earner_is_one_pass_in_the_legal_order(rulebook):
    unknown = {**SHAHO_DEATH, "deceased": {k: v for k, v in SHAHO_DEATH["deceased"].items() if k != "insurance"}}
    for body in (SHAHO_DEATH, unknown):
        result = run(rulebook, body)
        order = _counters(result)
        assert len(order) == len(set(order)), order
        assert order[0] == "shimin_madoguchi"
        # 保険・年金 before 手当・医療, whatever is only 該当する場合
        assert order.index("kokuho_madoguchi") < order.index("nenkin_madoguchi") < order.index("iryo_josei") \
            < order.index("katei_shien_teate"), order


def test_a_birth_goes_kokuho_then_medical_aid_then_allowances(rulebook):
    body = {"event": "birth", "event_date": "2026-11-28",
            "facts": {"born_abroad": False, "parent_japanese": True, "single_parent": False, "first_child": True,
                      "child_allowance": False, "mother_insurance": "kokuho", "birth_direct_payment": "full"},
            "members": [{"relation": "self", "age": 30, "insurance": "kokuho"},
                        {"relation": "spouse", "age": 29, "insurance": "kokuho"}]}
    order = _counters(run(rulebook, body))
    assert order[:4] == ["shimin_madoguchi", "kokuho_madoguchi", "iryo_josei", "katei_shien_teate"]


# --- the property: random households of every event ---------------------------------------------

def _value(fact):
    if fact.type == "bool":
        return st.booleans()
    if fact.type == "enum":
        return st.sampled_from(sorted(fact.values))
    if fact.type == "int":
        return st.integers(fact.min if fact.min is not None else 0, fact.max if fact.max is not None else 120)
    return st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)


@st.composite
def households(draw, rulebook):
    vocab = rulebook.vocab
    event = draw(st.sampled_from(sorted(rulebook.events)))
    body = {"event": event, "event_date": draw(st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31))).isoformat()}
    for path, fact in sorted(vocab.household.items()):
        scope, _, name = path.partition(".")
        if scope in ("facts", "deceased") and draw(st.booleans()):
            body.setdefault(scope, {})[name] = draw(_value(fact))
    body["members"] = [{name: draw(_value(f)) for name, f in sorted(vocab.member.items()) if draw(st.booleans())}
                       for _ in range(draw(st.integers(0, 4)))]
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_counter_is_visited_once_and_offices_come_last(rulebook, data):
    body = data.draw(households(rulebook))
    result = run(rulebook, body)
    order = _counters(result)
    assert len(order) == len(set(order)), (body, order)
    procs = result["procedures"]
    offsite = [p["place"]["offsite"] for p in procs]
    assert offsite == sorted(offsite), body  # no city counter after an office outside
    office_counters = [p["counter_id"] for p in procs if p["place"]["offsite"]]
    runs = [c for i, c in enumerate(office_counters) if i == 0 or office_counters[i - 1] != c]
    assert len(runs) == len(set(runs)), body  # each office once too
    position = {p["id"]: i for i, p in enumerate(procs)}
    closure = rulebook.kb.graph.graph["closure"]
    for a, b in closure.edges(list(position)):
        if b in position:
            assert position[a] < position[b], (a, b, body)
    stages = [rulebook.counter_stage[c] for c in order]
    for i, c in enumerate(order):  # a later stage comes first only when a prerequisite asks for it
        for d in order[i + 1:]:
            if rulebook.counter_stage[d] < rulebook.counter_stage[c]:
                assert _needs(result, rulebook, c, d), (c, d, stages, body)


def _needs(result, rulebook, c, d):
    """Some procedure at counter ``d`` (transitively) waits for one at ``c``, through counters between."""
    at = {v["counter_id"]: v["procedures"] for v in result["visit_plan"]}
    order = [v["counter_id"] for v in result["visit_plan"]]
    closure = rulebook.kb.graph.graph["closure"]
    g = nx.DiGraph()
    g.add_nodes_from(order)
    g.add_edges_from((x, y) for x in order for y in order if x != y
                     and any(closure.has_edge(a, b) for a in at[x] for b in at[y]))
    return nx.has_path(g, c, d)


def test_the_old_recipients_allowance_ends_right_before_the_new_claim(rulebook):
    body = {**SHAHO_DEATH, "facts": {"child_allowance_recipient_is_deceased": True, "single_parent": True}}
    visit = next(v["procedures"] for v in run(rulebook, body)["visit_plan"] if v["counter_id"] == "katei_shien_teate")
    assert visit[:2] == ["jido_teate_shometsu", "jido_teate_nintei"], visit
