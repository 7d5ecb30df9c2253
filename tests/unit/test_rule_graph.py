"""The rules' graph per life event (rules/rule_graph.py) and its drawing (rules/rule_graph_svg.py):
what is marked, that the SVG is well-formed and accessible with every name escaped, and that the
columns are ordered to cross fewer edges."""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from knowledge.loader import PACKS_DIR, load_pack
from rules.check import check_rulebook, unreached_procedures, unread_questions
from rules.rule_graph import (
    NEVER_FIRES,
    UNFIRED,
    UNREACHABLE,
    UNREAD,
    counts,
    event_graph,
    marked,
    nodes_of,
    unfired_rules,
)
from rules.rule_graph_svg import KINDS, Words, crossings, draw, fit, order, text_width
from rules.ruleset import build_rulebook
from tests.conftest import edit_file

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """みなと市's pack with its moving out spoilt: the seal rule gone (印鑑登録証の返却 is reached by
    no rule), a question no one reads there (印鑑登録をしますか, read by moving in's rules only), the
    国保 rule contradicting itself, and names with <&> in them."""
    root = tmp_path_factory.mktemp("packs")
    pack = root / "minato"
    shutil.copytree(PACKS_DIR / "minato", pack)
    rules = pack / "rules" / "moving_out.yaml"
    edit_file(rules, "  - id: seal\n    procedure: inkan_haishi\n    member: {age: {gte: 15}, seal_registered: true}"
                     "  # 印鑑登録は15歳以上\n    quiet: [age]\n", "")
    edit_file(rules, "    procedure: kokuho_soshitsu\n    member: {insurance: kokuho}",
              "    procedure: kokuho_soshitsu\n    member: {insurance: kokuho, age: {gte: 65, lt: 20}}")
    edit_file(pack / "procedures" / "jido_teate_shometsu.yaml", "ja: 児童手当 受給事由消滅届", "ja: 児童手当 <受給&消滅> 届")
    edit_file(pack / "questions.yaml", "ja: 国外へ引っ越しますか", "ja: 国外へ <&> 引っ越しますか")
    edit_file(pack / "events.yaml", "  - to_abroad\n  - child_allowance\n", "  - to_abroad\n  - child_allowance\n"
                                                                         "  - seal_registration_wanted\n")
    return build_rulebook(load_pack("minato", root))


def test_what_check_finds_the_graph_marks(broken):
    graph = event_graph(broken, "moving_out")
    assert unread_questions(broken, "moving_out") == ["seal_registration_wanted"]
    assert marked(graph, UNREAD) == ["seal_registration_wanted"]
    assert graph.out_degree("q:seal_registration_wanted") == 0
    # no rule reads it any more, but a thing to bring of 転出届 does: no edge, no mark
    assert graph.out_degree("q:seal_registered") == 0
    assert graph.nodes["q:seal_registered"]["marks"] == () and graph.nodes["q:seal_registered"]["used"] == "elsewhere"
    assert marked(graph, NEVER_FIRES) == ["moving_out.kokuho_leave"]
    # its only rule can never fire: this event never lists 国保の資格喪失
    assert marked(graph, UNREACHABLE) == ["kokuho_soshitsu"]
    assert "p:inkan_haishi" not in graph  # no rule lists it: reached by no event at all
    assert unreached_procedures(broken) == ["inkan_haishi"]
    report = check_rulebook(broken)  # the CLI's words for the same findings
    assert any("'seal_registration_wanted'" in w and "read by no rule" in w for w in report.warnings)
    assert any("inkan_haishi" in w and "no rule reaches" in w for w in report.warnings)
    assert any("kokuho_leave" in e and "can never fire" in e for e in report.errors)
    n = counts(graph)
    assert (n[UNREAD], n[NEVER_FIRES], n[UNREACHABLE]) == (1, 1, 1)


def test_edges_say_which_answers_a_rule_reads_and_what_it_lists(broken):
    graph = event_graph(broken, "moving_out")
    assert set(graph.predecessors("r:moving_out.new_city_child_allowance")) == {"q:to_abroad", "q:child_allowance", "q:age"}
    assert list(graph.successors("r:moving_out.new_city_child_allowance")) == ["p:jido_teate_nintei"]
    assert set(graph.predecessors("r:moving_out.tenshutsu")) == set()  # unconditional
    # asked for every result (the date, the people): no rule reads it, yet it is not unused
    assert graph.nodes["q:event_date"]["marks"] == () and graph.nodes["q:event_date"]["used"] == "always"
    # the questions of the graph are the event's, in its order
    assert [d["id"] for _n, d in nodes_of(graph, "question")] == broken.kb.events["moving_out"].questions


def test_the_kakogawa_pack_has_nothing_marked(rulebook):
    unfired = unfired_rules(rulebook)
    assert unfired == frozenset()
    for event in rulebook.events:
        assert counts(event_graph(rulebook, event, unfired=unfired))["warnings"] == 0, event


def test_a_rule_no_scenario_fires_is_marked_when_handed_in(broken):
    graph = event_graph(broken, "moving_out", unfired={"moving_out.tenshutsu", "moving_out.kokuho_leave"})
    assert marked(graph, UNFIRED) == ["moving_out.tenshutsu"]  # never firing is the stronger mark
    assert "moving_out.kokuho_leave" in unfired_rules(broken)  # what the pack's scenarios say


def test_the_svg_parses_is_an_image_with_a_name_and_escapes_names(broken):
    graph = event_graph(broken, "moving_out")
    svg = draw(graph, Words(title="転出 <&> の関係図", desc="説明"), svg_id="g1")
    root = ET.fromstring(svg)  # well-formed XML: every <&> in a name is escaped
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "g1-title g1-desc"
    assert root.find(f"{SVG}title").text == "転出 <&> の関係図"
    assert root.find(f"{SVG}title").get("id") == "g1-title"
    assert "<受給&消滅>" not in svg and "&lt;受給&amp;消滅&gt;" in svg
    boxes = {g.find(f"{SVG}title").text: g for g in root.iter(f"{SVG}g")}
    assert "国外へ <&> 引っ越しますか" in boxes
    assert "児童手当 <受給&消滅> 届" in boxes
    # a marked node says so in words, not in colour alone; its box is drawn dashed
    seal = boxes["みなと市で印鑑登録をしますか（未使用）"]
    assert [t.text for t in seal.iter(f"{SVG}text")][-1] == "未使用"
    assert seal.find(f"{SVG}rect").get("stroke-dasharray")
    assert broken.kb.procedures["kokuho_soshitsu"].name.ja + "（到達不能）" in boxes
    assert "kokuho_leave（成立しない）" in boxes
    # sized to its content: one box per node, all inside the drawing
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("x")) + float(rect.get("width")) <= width
        assert float(rect.get("y")) + float(rect.get("height")) <= height
    assert len(list(root.iter(f"{SVG}rect"))) == graph.number_of_nodes()
    assert len(list(root.iter(f"{SVG}path"))) == graph.number_of_edges()


def test_long_names_are_cut_and_kept_whole_in_the_title():
    name = "国民年金の加入（第1号被保険者の資格取得）と、とても長い名前の手続き"
    short = fit(name, 150)
    assert short.endswith("…") and text_width(short) <= 150 and name.startswith(short[:-1])
    assert fit("転入届", 150) == "転入届"


def test_the_order_crosses_fewer_edges(rulebook):
    for event in ("divorce", "moving_in", "marriage"):
        graph = event_graph(rulebook, event)
        as_filed = [[n for n, _d in nodes_of(graph, kind)] for kind in KINDS]
        ordered = order(graph)
        assert [sorted(c) for c in ordered] == [sorted(c) for c in as_filed]  # the same nodes
        assert crossings(ordered, graph) < crossings(as_filed, graph) * 0.6, event
    birth = event_graph(rulebook, "birth")
    assert crossings(order(birth), birth) == 0


def test_the_largest_event_draws_quickly(rulebook):
    import time
    graph = event_graph(rulebook, "divorce")  # 23 questions, 40 rules
    start = time.perf_counter()
    ET.fromstring(draw(graph, Words(title="離婚")))
    assert time.perf_counter() - start < 1.0
