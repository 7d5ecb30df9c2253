"""補正の定型文 in the knowledge pack: the file is schema-checked (errors name file, line and
field), phrase lists name real departments, and each department gets its own starters first."""
from __future__ import annotations

import shutil

import pytest

from guide.cli import _check_phrases
from knowledge.correction_phrases import FILENAME, load_phrases
from knowledge.loader import PACKS_DIR, load_pack
from knowledge.yamlfile import KnowledgeError
from tests.conftest import edit_file


@pytest.fixture(scope="module")
def departments():
    return set(load_pack("kakogawa").departments)


def test_the_kakogawa_starters_load_and_come_per_department(departments):
    phrases = load_phrases("kakogawa", department_ids=departments)
    shimin = [p.text for p in phrases.for_department("shimin")]
    assert "代理人が申請するときは委任状が必要です。委任状を添付してください。" in shimin
    assert "添付された本人確認書類の画像が不鮮明です。もう一度撮影して添付してください。" in shimin
    assert shimin.index("代理人が申請するときは委任状が必要です。委任状を添付してください。") < shimin.index(
        "添付された本人確認書類の画像が不鮮明です。もう一度撮影して添付してください。")  # its own first
    assert [p.text for p in phrases.for_department("kenchiku")][-len(phrases.common):] == [p.text for p in phrases.common]
    assert phrases.source and all(text.endswith("。") for text in shimin)


def test_the_training_city_offers_starters_to_its_citizens_division():
    """演習2-2 of docs/manual/training.md picks a 定型文 on みなと市's 転出届: without the file
    the review screen shows no phrase to choose."""
    phrases = load_phrases("minato", department_ids=set(load_pack("minato").departments))
    shimin = [p.text for p in phrases.for_department("shimin")]
    assert len(shimin) > len(phrases.common) > 0  # its own starters, then the common ones
    assert any("引っ越し先" in text for text in shimin)
    assert all(text.endswith("。") for text in shimin)


def _pack_with(tmp_path, text: str):
    pack = tmp_path / "kakogawa"
    pack.mkdir()
    shutil.copy(PACKS_DIR / "kakogawa" / "departments.yaml", pack / "departments.yaml")
    (pack / FILENAME).write_text(text, encoding="utf-8")
    return tmp_path


def test_errors_name_the_file_line_and_field(tmp_path, departments):
    packs = _pack_with(tmp_path, "source: test\ncommon:\n- id: ok\n  text: よい文です。\n- id: Bad-Id\n  text: ''\n")
    with pytest.raises(KnowledgeError) as exc:
        load_phrases("kakogawa", packs, department_ids=departments)
    text = str(exc.value)
    assert f"{FILENAME}:5: common.1.id" in text and f"{FILENAME}:6: common.1.text" in text


def test_an_unknown_department_and_a_repeated_id_are_refused(tmp_path, departments):
    packs = _pack_with(tmp_path, "source: test\ndepartments:\n  nowhere:\n  - id: a\n    text: 文です。\n")
    with pytest.raises(KnowledgeError, match="no department 'nowhere'"):
        load_phrases("kakogawa", packs, department_ids=departments)
    (packs / "kakogawa" / FILENAME).write_text(
        "source: test\ncommon:\n- id: a\n  text: 一つ目です。\ndepartments:\n  shimin:\n  - id: a\n    text: 二つ目です。\n",
        encoding="utf-8")
    with pytest.raises(KnowledgeError, match="used twice"):
        load_phrases("kakogawa", packs, department_ids=departments)


def test_no_file_means_no_starters(tmp_path):
    (tmp_path / "kakogawa").mkdir()
    assert load_phrases("kakogawa", tmp_path).for_department("shimin") == []


def test_knowledge_check_reads_the_phrases_and_fails_on_a_broken_file(pack, capsys):
    kb = load_pack("kakogawa", pack.parent)
    _check_phrases(kb)
    assert "OK: 補正の定型文:" in capsys.readouterr().out
    path = pack / "correction_phrases.yaml"
    first_department = next(iter(load_phrases("kakogawa", pack.parent).departments))
    edit_file(path, f"  {first_department}:", "  no_such_ka:")
    with pytest.raises(SystemExit) as exc:
        _check_phrases(kb)
    assert exc.value.code == 1
    assert "no department 'no_such_ka'" in capsys.readouterr().err
