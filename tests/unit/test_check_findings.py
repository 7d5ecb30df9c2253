"""Every kind of finding of the rule checks (rules/check.py) and the scenario runs
(rules/scenarios.py) reads in Japanese on the curators' console, with its file, line, field and
ids (staff/content_problems.py), while the CLI keeps its English line (rules/findings.py)."""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from core.words import text
from knowledge.loader import PACKS_DIR, load_pack
from rules.check import check_rulebook
from rules.findings import KINDS, Finding
from rules.ruleset import build_rulebook
from rules.scenarios import check_expectations, run_scenario_files
from staff.content_problems import read_problem

ROOT = Path(__file__).resolve().parents[2]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
EXTRA_QUESTIONS = """\
  - id: odd_keys
    fact: facts.dog
    text: {ja: 試験1, en: Test 1}
    ask_if: {when: {facts.dog: true}, always: true}
  - id: odd_condition
    fact: facts.dog
    text: {ja: 試験2, en: Test 2}
    ask_if: {when: {facts.cat: true}}
  - id: odd_never
    fact: facts.dog
    text: {ja: 試験3, en: Test 3}
    ask_if:
      when: {facts.dog: true, not: {facts.dog: true}}
"""


@pytest.fixture(scope="module")
def check_findings(tmp_path_factory) -> list[Finding]:
    """A copy of the pack with one of each of check_rulebook's problems in it."""
    pack = tmp_path_factory.mktemp("packs") / "kakogawa"
    shutil.copytree(PACKS_DIR / "kakogawa", pack)
    rules = pack / "rules" / "moving_in.yaml"
    words = rules.read_text(encoding="utf-8")
    words = words.replace("member: {age: {gte: 65}}", "member: {age: {gte: 65, lt: 20}}", 1)  # never fires
    words = words.replace("  - id: dog\n    procedure: inu_henko\n    when: {facts.dog: true}\n    concerns: none\n", "")
    rules.write_text(words, encoding="utf-8")  # the dog question is read by no rule of moving_in
    (pack / "rules" / "divorce.yaml").unlink()  # a life event without rules; its procedures unreached
    proc = pack / "procedures" / "inu_shibo_or_owner.yaml"
    proc.write_text(proc.read_text(encoding="utf-8").replace("start: deceased.death_date", "start: facts.dog", 1),
                    encoding="utf-8")  # a deadline counted from a yes/no fact
    questions = pack / "questions.yaml"
    questions.write_text(questions.read_text(encoding="utf-8").rstrip("\n") + "\n" + EXTRA_QUESTIONS, encoding="utf-8")
    report = check_rulebook(build_rulebook(load_pack("kakogawa", pack.parent)))
    return report.errors + report.warnings


SCENARIOS = """\
- name: 転入 ひとり
  request: {event: moving_in, event_date: "2027-04-01", members: [{relation: self, age: 30}]}
  expect:
    include: [tennyu_todoke, no_such_procedure]
    exclude: [tennyu_todoke]
- name: 壊れた依頼
  request: {event: moving_in, members: [{relation: self, age: -3}]}
"""
BODY = {"procedures": [{"id": "a", "status": "conditional", "bring": [{"id": "inkan", "count": 1}],
                        "online": {"available": True}, "due_date": "2027-04-15", "overdue": False},
                       {"id": "b", "status": "required"}],
        "at_new_city": [], "warnings": [{"code": "due_date_past"}], "ignored_facts": ["facts.dog"],
        "closed_days": {"counters": [{"counter_id": "shimin", "procedures": ["a"]},
                                     {"counter_id": "nenkin", "procedures": ["b"]}]}}
EXPECT = {"include": ["a", "zz"], "conditional": ["b", "yy"], "exclude": ["b"], "at_new_city": ["a"],
          "bring": {"a": ["hoken_sho"]}, "bring_count": {"a": {"inkan": 2}}, "offline": ["a"],
          "due": {"a": "2027-05-01"}, "warnings": [], "ignored": [], "overdue": ["a"],
          "closed_days": {"shimin": ["a", "b"], "nenkin": None, "kokuho": ["c"]}}


@pytest.fixture(scope="module")
def scenario_findings(rulebook, tmp_path_factory) -> list[Finding]:
    folder = tmp_path_factory.mktemp("scenarios")
    good, bad = folder / "mine.yaml", folder / "not_a_list.yaml"
    good.write_text(SCENARIOS, encoding="utf-8")
    bad.write_text("name: one scenario, not a list\n", encoding="utf-8")
    result = run_scenario_files(rulebook, [good, bad])
    return [*result.failures, *check_expectations(BODY, EXPECT),
            *check_expectations({**BODY, "closed_days": {"counters": [{"counter_id": "x", "procedures": []}]}},
                                {"closed_days": {}})]


def test_every_kind_is_found_and_reads_in_japanese_with_its_ids(check_findings, scenario_findings):
    found = check_findings + scenario_findings
    assert all(isinstance(f, Finding) for f in found), [f for f in found if not isinstance(f, Finding)]
    assert {f.code for f in found} == set(KINDS)  # a new kind needs an example here
    for f in found:
        p = read_problem(f, "ja")
        assert JAPANESE.search(p.message), (f.code, p.message)
        for name, value in f.variables.items():
            if isinstance(value, str) and value and f"%({name})s" in KINDS[f.code].words:
                assert value in p.message, (f.code, name, p.message)  # the ids stay


def test_the_check_findings_name_file_line_and_field(check_findings):
    by_code = {f.code: read_problem(f, "ja") for f in check_findings}
    never = by_code["never_fires"]
    assert never.file == "rules/moving_in.yaml" and int(never.line) > 1 and never.field == "moving_in.kaigo_65"
    assert never.message == "ルール「moving_in.kaigo_65」は条件どうしが矛盾していて、どの回答でも当てはまりません。"
    start = by_code["deadline_start_not_date"]
    assert (start.file, start.line, start.field) == ("procedures/inu_shibo_or_owner.yaml", "15", "deadline › start")
    assert start.message == "期限の起算日「facts.dog」が日付の事実（type: date）ではありません。"
    unread = [read_problem(f, "ja") for f in check_findings if f.code == "unread_question" and f.variables["question"] == "dog"]
    assert unread and unread[0].file == "events.yaml" and unread[0].line == "10"
    assert unread[0].field.startswith("moving_in › questions › ") and "番目" in unread[0].field
    assert by_code["no_rule_file"].message == "ライフイベント「divorce」のルールのファイル（rules/）がありません。"
    questions = (PACKS_DIR / "kakogawa" / "questions.yaml").read_text(encoding="utf-8").count("\n")
    keys, condition, never_holds = by_code["ask_if_keys"], by_code["ask_if_condition"], by_code["ask_if_never"]
    assert keys.file == "questions.yaml" and int(keys.line) > questions and keys.field == "odd_keys › ask_if"
    assert condition.field == "odd_condition › ask_if › when › facts.cat"
    assert condition.message == "質問「odd_condition」の ask_if の条件が正しくありません：「facts.cat」という事実（fact）はありません。"
    assert never_holds.field == "odd_never › ask_if › when" and int(never_holds.line) == int(condition.line) + 5
    assert "どのライフイベントでも聞かれません" in by_code["unasked_question"].message


def test_the_scenario_findings_name_file_line_and_expectation(scenario_findings):
    got = [read_problem(f, "ja") for f in scenario_findings if f.file]
    missing = next(p for p in got if p.message == "「no_such_procedure」が結果にありません。")
    assert missing.file.endswith("mine.yaml") and missing.line == "4"
    assert missing.field == "転入 ひとり › expect › include › 2番目"
    listed = next(p for p in got if "tennyu_todoke" in p.message)
    assert listed.message == "結果に出ないはずの「tennyu_todoke」が出ています。" and listed.line == "5"
    invalid = next(p for p in got if p.field.startswith("壊れた依頼"))
    assert invalid.line == "7" and invalid.message.startswith("request が正しくありません（members[0].age")
    assert not re.search(r"[A-Za-z]{4,} (?:must|should|is)", invalid.message)  # the request's words too
    listing = next(p for p in got if p.file.endswith("not_a_list.yaml"))
    assert (listing.line, listing.message) == ("1", "シナリオの一覧（それぞれに name と request）を書いてください。")


def test_variables_read_as_words_and_the_cli_keeps_its_english(scenario_findings):
    by_code = {f.code: f for f in scenario_findings}
    assert read_problem(by_code["warnings"], "ja").message == "注意（warnings）が due_date_past です（期待は なし）。"
    assert read_problem(by_code["closed_day_takes"], "ja").message == (
        "閉庁日の窓口「shimin」で受け付ける手続きが a です（期待は a, b）。")
    assert str(by_code["warnings"]) == "warnings ['due_date_past'], expected []"
    placed = next(f for f in scenario_findings if f.code == "missing")
    assert re.fullmatch(r".*mine\.yaml:4: 転入 ひとり: missing no_such_procedure", placed)


def test_every_kind_has_japanese_words_with_the_english_variables_and_an_english_translation():
    for code, kind in KINDS.items():
        assert JAPANESE.search(kind.words), code
        assert set(re.findall(r"%\((\w+)\)s", kind.words)) >= set(re.findall(r"\{(\w+)\}", kind.english)), code
        assert text("en", kind.words) != kind.words, f"{code}: no English in the catalog (make translations)"
        assert not JAPANESE.search(text("en", kind.words)), code


def _outside_calls(node: ast.AST):
    yield node
    if not isinstance(node, ast.Call):
        for child in ast.iter_child_nodes(node):
            yield from _outside_calls(child)


LISTS = {"wrong", "failures", "errors", "warnings", "file_problems"}


@pytest.mark.parametrize("module", ["rules/check.py", "rules/scenarios.py"])
def test_no_english_only_problem_is_added(module):
    """What check_rulebook and the scenario runs report is a Finding (a code with its Japanese
    words), never a string written in place: such a line would reach curators in English."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        added = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend"):
            target = node.func.value
            if isinstance(target, ast.Attribute | ast.Name) and getattr(target, "attr", getattr(target, "id", "")) in LISTS:
                added = node.args
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            name = getattr(node.target, "attr", getattr(node.target, "id", ""))
            added = [node.value] if name in LISTS else []
        for value in added:
            for inner in _outside_calls(value):  # a call's arguments (Finding.of's file=…) are no problem text
                assert not isinstance(inner, ast.JoinedStr), f"{module}:{inner.lineno}: an f-string problem"
                assert not (isinstance(inner, ast.Constant) and isinstance(inner.value, str)), (
                    f"{module}:{inner.lineno}: a problem in words")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "of" and getattr(node.func.value, "id", "") == "Finding":
            code = node.args[0]  # a code, or a name holding one (KINDS[code] raises on an unknown one)
            assert isinstance(code, ast.Name) or (isinstance(code, ast.Constant) and code.value in KINDS), f"{module}:{node.lineno}"


def test_an_unknown_code_is_refused():
    with pytest.raises(KeyError):
        Finding.of("no_such_kind")


def test_the_cli_prints_each_failure_in_english_with_its_file_and_line(app, tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(SCENARIOS, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["rules", "test", str(mine)])
    assert result.exit_code == 1
    assert f"FAIL {mine}:4: 転入 ひとり: missing no_such_procedure" in result.output
    assert f"FAIL {mine}:5: 転入 ひとり: wrongly lists tennyu_todoke" in result.output
    assert "0/2 scenarios hold." in result.output


def test_a_rule_condition_that_does_not_parse_reads_in_japanese_at_its_line(tmp_path):
    from knowledge.yamlfile import KnowledgeError
    pack = tmp_path / "kakogawa"
    shutil.copytree(PACKS_DIR / "kakogawa", pack)
    rules = pack / "rules" / "moving_in.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("when: {facts.dog: true}", "when: {facts.cat: true}", 1),
                     encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        build_rulebook(load_pack("kakogawa", tmp_path))
    p = next(read_problem(raw, "ja") for raw in caught.value.problems if "facts.cat" in raw)
    assert p.file.endswith("rules/moving_in.yaml") and p.field.endswith("when › facts.cat") and p.line
    assert p.message == "「facts.cat」という事実（fact）はありません。"
    assert "unknown fact" in next(raw for raw in caught.value.problems if "facts.cat" in raw)  # the CLI's English
