"""The fast YAML parser (libyaml, core/yaml_text.py) reads every file of both packs to the same data,
and the same line of every value, as PyYAML's pure-Python parser: errors keep naming the right line."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import knowledge.yamlfile as yamlfile
from core import yaml_text

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "knowledge").rglob("*.yaml"))


def test_the_fast_parser_is_libyaml_where_pyyaml_has_it():
    assert yaml_text.SafeLoader is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_every_pack_file_reads_the_same_with_both_parsers(monkeypatch):
    assert len(FILES) > 100
    fast = {path: yamlfile.read_yaml(path) for path in FILES}
    monkeypatch.setattr(yamlfile, "SafeLoader", yaml.SafeLoader)
    for path in FILES:
        slow = yamlfile.read_yaml(path)
        assert (fast[path].data, fast[path].lines) == (slow.data, slow.lines), path
        assert yaml_text.safe_load(path.read_text(encoding="utf-8")) == yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text, line", [("a: 1\nb: [1, 2\nc: 3\n", 3), ("a: 1\na: 2\n", 2)])
def test_a_broken_file_is_reported_at_the_same_line(tmp_path, monkeypatch, text, line):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(yamlfile.KnowledgeError) as fast:
        yamlfile.read_yaml(path)
    monkeypatch.setattr(yamlfile, "SafeLoader", yaml.SafeLoader)
    with pytest.raises(yamlfile.KnowledgeError) as slow:
        yamlfile.read_yaml(path)
    assert fast.value.problems[0].startswith(f"{path}:{line}:")
    assert fast.value.problems[0].split(": ")[:2] == slow.value.problems[0].split(": ")[:2]
