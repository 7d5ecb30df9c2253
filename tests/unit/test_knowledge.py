"""Knowledge pack loading: schema errors name file, line and field; cross-references; cycles."""
import shutil
from pathlib import Path

import pytest

from knowledge.loader import PACKS_DIR, load_pack
from knowledge.yamlfile import KnowledgeError
from rules.ruleset import build_rulebook

PROCEDURES_MD = Path(__file__).resolve().parents[3] / "shared" / "domain" / "procedures.md"


@pytest.fixture
def pack(tmp_path):
    """A copy of the Kakogawa pack to break."""
    target = tmp_path / "packs" / "kakogawa"
    shutil.copytree(PACKS_DIR / "kakogawa", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_the_kakogawa_pack_loads():
    kb = load_pack("kakogawa")
    assert len(kb.procedures) >= 58
    assert set(kb.events) == {"moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce"}


def test_every_catalogue_procedure_has_a_file_with_the_same_id():
    if not PROCEDURES_MD.exists():
        pytest.skip("shared/domain/procedures.md is not beside the project")
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
    _edit(path, "  kind: days", "  kind: weeks")
    with pytest.raises(KnowledgeError) as info:
        load_pack("kakogawa", pack.parent)
    problem = info.value.problems[0]
    assert problem.startswith(f"{path}:{_line_of(path, 'kind: weeks')}: deadline.kind:")


def test_unknown_reference_is_reported_with_its_line(pack):
    path = pack / "procedures" / "kokuho_kanyu.yaml"
    _edit(path, "department: kokuho", "department: kokuhoo")
    with pytest.raises(KnowledgeError) as info:
        load_pack("kakogawa", pack.parent)
    assert any(f"{path}:{_line_of(path, 'kokuhoo')}: department: unknown department 'kokuhoo'" in p
               for p in info.value.problems)


def test_yaml_syntax_error_has_a_line(pack):
    path = pack / "bring.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_pack("kakogawa", pack.parent)
    assert str(path) in info.value.problems[0] and "(syntax)" in info.value.problems[0]


def test_a_prerequisite_cycle_is_rejected_at_load(pack):
    path = pack / "procedures" / "tennyu_todoke.yaml"
    _edit(path, "standalone: false", "standalone: false\nrequires: [kokuho_kanyu]")
    with pytest.raises(KnowledgeError, match="cycle"):
        load_pack("kakogawa", pack.parent)


def test_bad_rule_condition_names_rule_file_and_line(pack):
    path = pack / "rules" / "moving_in.yaml"
    _edit(path, "member: {age: {gte: 65}}", "member: {age: {gte: old}}")
    with pytest.raises(KnowledgeError) as info:
        build_rulebook(load_pack("kakogawa", pack.parent))
    line = _line_of(path, "gte: old")
    assert any(p.startswith(f"{path}:{line}: rules.") and "'old' is not a value of 'age'" in p
               for p in info.value.problems)


def test_rule_naming_an_unknown_procedure(pack):
    path = pack / "rules" / "moving_in.yaml"
    _edit(path, "procedure: inu_henko", "procedure: neko_henko")
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
