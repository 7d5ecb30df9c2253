"""knowledge/yaml_edit.py: one block of a YAML file rewritten, the rest (comments, order,
quoting, flow mappings) kept as written; anything it cannot follow is an EditError, never a
broken file."""
from __future__ import annotations

import pytest
import yaml

from knowledge.yaml_edit import EditError, append, replace

TEXT = """\
# a procedure (comment kept)
id: x
deadline:
  kind: none
  text: {ja: なし, en: None}   # flow, kept where untouched
# the things to bring
bring:
- item: a
  when: {facts.by_proxy: true}
- item: b
fees: []
departments:
- id: d
  counters:
  - id: c1
    name: {ja: 一, en: One}
  - id: c2
    name: {ja: 二, en: Two}
  verified: true
"""


def test_a_top_level_block_is_replaced_and_the_rest_kept():
    out = replace(TEXT, ("deadline",), {"kind": "days", "amount": 14, "text": {"ja": "14日", "en": "14 days"}})
    assert yaml.safe_load(out)["deadline"]["amount"] == 14
    assert "# the things to bring" in out and "# a procedure (comment kept)" in out
    assert "  when: {facts.by_proxy: true}" in out  # the untouched block as written


def test_a_list_is_reordered_with_its_conditions():
    data = yaml.safe_load(TEXT)
    out = replace(TEXT, ("bring",), data["bring"][::-1])
    assert [b["item"] for b in yaml.safe_load(out)["bring"]] == ["b", "a"]
    assert yaml.safe_load(out)["bring"][1]["when"] == {"facts.by_proxy": True}
    assert out.count("# the things to bring") == 1


def test_one_item_of_a_nested_list_and_an_added_item():
    out = replace(TEXT, ("departments", 0, "counters", 1), {"id": "c2", "name": {"ja": "二", "en": "Two"}, "phone": "0"})
    assert yaml.safe_load(out)["departments"][0]["counters"][1]["phone"] == "0"
    assert yaml.safe_load(out)["departments"][0]["verified"] is True
    out = append(TEXT, ("departments", 0, "counters"), {"id": "c3", "name": {"ja": "三", "en": "Three"}})
    assert [c["id"] for c in yaml.safe_load(out)["departments"][0]["counters"]] == ["c1", "c2", "c3"]
    assert "    name: {ja: 一, en: One}" in out


def test_a_missing_key_is_added_at_the_end():
    out = replace(TEXT, ("online",), True)
    assert yaml.safe_load(out)["online"] is True and out.startswith("# a procedure")


@pytest.mark.parametrize("text, path", [
    ("- a\n- b\n", ("x",)),  # not a mapping
    ("a: [1, 2\n", ("a",)),  # not YAML
    ("a: 1\n---\nb: 2\n", ("a",)),  # two documents
    (TEXT, ("departments", 5, "counters")),  # no such item
    (TEXT, ("deadline", "missing", "deeper")),  # no such key on the way
])
def test_what_it_cannot_follow_is_an_edit_error(text, path):
    with pytest.raises(EditError):
        replace(text, path, {"v": 1})


def test_an_item_is_added_to_a_file_that_is_a_list():
    text = "# scenarios\n- name: a\n  expect: {include: [x]}\n"
    out = append(text, (), {"name": "b", "expect": {"include": ["y"]}})
    assert [s["name"] for s in yaml.safe_load(out)] == ["a", "b"] and out.startswith("# scenarios\n- name: a\n")
