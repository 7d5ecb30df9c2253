"""flask rules check finds contradictions, unread questions and unreached procedures."""
import shutil

from knowledge.loader import PACKS_DIR, load_pack
from rules.check import check_rulebook, satisfiable
from rules.conditions import parse
from rules.ruleset import build_rulebook
from rules.vocabulary import load_vocabulary

V = load_vocabulary()


def test_contradiction_is_unsatisfiable():
    assert not satisfiable(parse({"age": {"gte": 65, "lt": 18}}, V, "member"))
    assert satisfiable(parse({"age": {"gte": 65, "lt": 66}}, V, "member"))
    assert not satisfiable(parse({"insurance": "kokuho", "not": {"insurance": {"in": ["kokuho"]}}}, V, "member"))


def test_the_kakogawa_rules_have_no_errors(rulebook):
    assert check_rulebook(rulebook).errors == []


def test_problems_are_found(tmp_path):
    pack = tmp_path / "kakogawa"
    shutil.copytree(PACKS_DIR / "kakogawa", pack)
    rules = pack / "rules" / "moving_in.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "member: {age: {gte: 65}}", "member: {age: {gte: 65, lt: 20}}", 1), encoding="utf-8")
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "  - id: dog\n    procedure: inu_henko\n    when: {facts.dog: true}\n    concerns: none\n", ""), encoding="utf-8")
    report = check_rulebook(build_rulebook(load_pack("kakogawa", tmp_path)))
    assert any("kaigo_65" in e and "can never fire" in e for e in report.errors)
    assert any("question 'dog'" in w and "read by no rule" in w for w in report.warnings)
