"""Knowledge pack loading: schema errors name file, line and field; cross-references; cycles."""

import pytest

from knowledge.loader import load_pack
from knowledge.yamlfile import KnowledgeError
from rules.ruleset import build_rulebook
from tests.conftest import REFERENCE, edit_file, line_of

PROCEDURES_MD = REFERENCE / "procedures.md"




def test_the_kakogawa_pack_loads():
    kb = load_pack("kakogawa")
    assert len(kb.procedures) >= 63
    assert set(kb.events) == {"moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce"}


def test_every_catalogue_procedure_has_a_file_with_the_same_id():
    import re
    ids = set(re.findall(r"^\| `([a-z_]+)` \|", PROCEDURES_MD.read_text(encoding="utf-8"), re.M))
    assert ids, "no ids read from procedures.md"
    assert ids <= set(load_pack("kakogawa").procedures)


def test_every_procedure_has_source_and_check_date():
    for proc in load_pack("kakogawa").procedures.values():
        assert str(proc.source_url).startswith("http")
        assert proc.verified_on.year >= 2024


def test_schema_error_names_file_line_and_field(pack):
    path = pack / "procedures" / "tennyu_todoke.yaml"
    edit_file(path, "  kind: days", "  kind: weeks")
    with pytest.raises(KnowledgeError) as info:
        load_pack("kakogawa", pack.parent)
    problem = info.value.problems[0]
    assert problem.startswith(f"{path}:{line_of(path, 'kind: weeks')}: deadline.kind:")


def test_unknown_reference_is_reported_with_its_line(pack):
    path = pack / "procedures" / "kokuho_kanyu.yaml"
    edit_file(path, "department: kokuho", "department: kokuhoo")
    with pytest.raises(KnowledgeError) as info:
        load_pack("kakogawa", pack.parent)
    assert any(f"{path}:{line_of(path, 'kokuhoo')}: department: unknown department 'kokuhoo'" in p
               for p in info.value.problems)


def test_yaml_syntax_error_has_a_line(pack):
    path = pack / "bring.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_pack("kakogawa", pack.parent)
    assert str(path) in info.value.problems[0] and "(syntax)" in info.value.problems[0]


def test_a_prerequisite_cycle_is_rejected_at_load(pack):
    path = pack / "procedures" / "tennyu_todoke.yaml"
    edit_file(path, "standalone: false", "standalone: false\nrequires: [kokuho_kanyu]")
    with pytest.raises(KnowledgeError, match="cycle"):
        load_pack("kakogawa", pack.parent)


def test_bad_rule_condition_names_rule_file_and_line(pack):
    path = pack / "rules" / "moving_in.yaml"
    edit_file(path, "member: {age: {gte: 65}}", "member: {age: {gte: old}}")
    with pytest.raises(KnowledgeError) as info:
        build_rulebook(load_pack("kakogawa", pack.parent))
    line = line_of(path, "gte: old")
    assert any(p.startswith(f"{path}:{line}: rules.") and "'old' is not a value of 'age'" in p
               for p in info.value.problems)


def test_rule_naming_an_unknown_procedure(pack):
    path = pack / "rules" / "moving_in.yaml"
    edit_file(path, "procedure: inu_henko", "procedure: neko_henko")
    with pytest.raises(KnowledgeError, match="unknown procedure 'neko_henko'"):
        build_rulebook(load_pack("kakogawa", pack.parent))


def test_fees_are_effective_dated():
    from datetime import date

    from guide.serialize import fees_on
    kb = load_pack("kakogawa")
    koseki = kb.procedures["koseki_tohon"]
    online_2021 = [f.amount_yen for f in fees_on(koseki, date(2021, 4, 1)) if f.channel == "online"]
    online_2026 = [f.amount_yen for f in fees_on(koseki, date(2026, 4, 1)) if f.channel == "online"]
    assert online_2021 == [] and online_2026 == [300]
