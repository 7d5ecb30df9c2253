"""knowledge/yaml_edit.py: one block of a YAML file rewritten, the rest (comments, order,
quoting, flow mappings) kept as written; anything it cannot follow is an EditError, never a
broken file."""
from __future__ import annotations

import pytest
import yaml

from knowledge.yaml_edit import EditError, append, replace, same, update

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


# --- update: only what differs ------------------------------------------------------------------


def test_update_with_the_same_value_keeps_the_text_byte_for_byte():
    data = yaml.safe_load(TEXT)
    for key in ("deadline", "bring", "departments"):
        assert update(TEXT, (key,), data[key]) == TEXT
    no_newline = "a:\n  b: {x: 1}   # c\n  d: [1, 2]"
    assert update(no_newline, ("a",), {"d": [1, 2], "b": {"x": 1}}) == no_newline  # key order does not count


def test_update_rewrites_a_scalar_where_it_stands_and_keeps_the_comment_after_it():
    text = "a:\n  per: member  # one each\n  n: 1\n"
    assert update(text, ("a",), {"per": "procedure", "n": 1}) == "a:\n  per: procedure  # one each\n  n: 1\n"
    assert update(text, ("a", "n"), True) == "a:\n  per: member  # one each\n  n: true\n"  # 1 is not True
    assert update(text, ("a", "n"), "yes") == "a:\n  per: member  # one each\n  n: 'yes'\n"  # read back as the string


def test_update_keeps_a_flow_mapping_in_braces_and_writes_new_conditions_in_braces():
    out = update(TEXT, ("bring", 0, "when"), {"facts.by_proxy": False, "event": "death"})
    assert "  when: {facts.by_proxy: false, event: death}\n" in out
    out = update(TEXT, ("bring",), [{"item": "a", "when": {"facts.by_proxy": True}}, {"item": "b", "member": {"age": {"gte": 65}}}],
                 flow=("when", "member"))
    assert "- item: b\n  member: {age: {gte: 65}}\nfees: []" in out
    assert "# the things to bring" in out


def test_update_removes_and_adds_keys_in_place():
    text = "x:\n  kind: days\n  amount: 3  # three\n  # the words\n  text: t\nother: 1\n"
    assert update(text, ("x",), {"kind": "none", "text": "t"}) == "x:\n  kind: none\n  # the words\n  text: t\nother: 1\n"
    assert update(text, ("x",), {"kind": "days", "amount": 3, "start": "s", "text": "t"}) == (
        "x:\n  kind: days\n  amount: 3  # three\n  start: s\n  # the words\n  text: t\nother: 1\n")


def test_update_moves_list_items_with_their_lines():
    text = "l:\n- a: 1\n  # about two\n- a: 2  # two\n  b: {c: d}\n- a: 3\nz: 0\n"
    out = update(text, ("l",), [{"a": 2, "b": {"c": "d"}}, {"a": 1}, {"a": 3}])
    assert out == "l:\n  # about two\n- a: 2  # two\n  b: {c: d}\n- a: 1\n- a: 3\nz: 0\n"
    out = update(text, ("l",), [{"a": 3}, {"a": 20, "b": {"c": "d"}}], origins={("l",): [2, 1]})
    assert out == "l:\n- a: 3\n  # about two\n- a: 20  # two\n  b: {c: d}\nz: 0\n"


@pytest.mark.parametrize("a, b, equal", [
    ({"x": [1, {"y": True}]}, {"x": [1, {"y": True}]}, True),
    ({"x": 1}, {"x": True}, False),
    ({"x": 1, "y": 2}, {"y": 2, "x": 1}, True),
    ([1, 2], [2, 1], False),
    ("1", 1, False),
])
def test_same_is_equality_of_values_and_types(a, b, equal):
    assert same(a, b) is equal


def test_update_refuses_what_it_cannot_follow():
    with pytest.raises(EditError):
        update("a: 1\n---\nb: 2\n", ("a",), 2)
    with pytest.raises(EditError):
        update(TEXT, ("departments", 7), {"id": "x"})
