"""Change one part of a YAML file's text and keep the rest as it was written (its comments, order,
quoting and blank lines): the curators' forms (staff/content_views.py) rewrite only the block they
edit — a procedure's ``deadline:``, ``bring:`` or ``fees:``, one counter of departments.yaml.

Plain Python over PyYAML's node marks: the block's lines are found from the nodes' start and end
marks and replaced by the new value dumped at the same indentation; comment lines just before the
next block stay with it. The result is read again before it is returned, so a splice can never
write a file that no longer parses or lost the other values (``EditError`` instead).

``update`` goes further for a form that shows a whole block but changes a little of it: it
rewrites only the values that differ (a value saved unchanged leaves the file byte for byte as it
was; a moved list item takes its own lines, comments and flow conditions with it).
"""
from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

import yaml


class EditError(ValueError):
    """The text does not read as the mapping the edit expects."""


class _Flow(dict):
    """A mapping written on one line in braces, as the pack writes its conditions."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", dict(data), flow_style=True))


def _flowed(value: Any, flow: Collection[str]) -> Any:
    """``value`` with the mappings under the keys ``flow`` marked to be written in braces."""
    if isinstance(value, dict):
        return {k: _Flow(v) if k in flow and isinstance(v, dict) else _flowed(v, flow) for k, v in value.items()}
    if isinstance(value, list):
        return [_flowed(v, flow) for v in value]
    return value


def _dump(value: Any, flow: Collection[str] = ()) -> str:
    return yaml.dump(_flowed(value, flow), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)


def _indent(block: str, spaces: int) -> list[str]:
    pad = " " * spaces
    return [pad + line if line else line for line in block.splitlines()]


def _end_line(lines: list[str], start: int, mark: yaml.Mark) -> int:
    """The line after a node ends (exclusive), without the comments and blank lines that lead into
    the next block."""
    at_start = mark.line >= len(lines) or not lines[mark.line][:mark.column].strip()  # the next block's first token
    end = mark.line if at_start else mark.line + 1
    end = min(max(end, start + 1), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _compose(text: str, *, lists: bool = False) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise EditError(str(exc)) from None
    if not isinstance(node, yaml.MappingNode) and not (lists and isinstance(node, yaml.SequenceNode)):
        raise EditError("not a mapping")
    return node


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, yaml.Node]:
    """(the key node or None for a list item, the value node) of one step down."""
    if isinstance(step, int):
        if not isinstance(node, yaml.SequenceNode) or not 0 <= step < len(node.value):
            raise EditError(f"no item {step}")
        return None, node.value[step]
    if not isinstance(node, yaml.MappingNode):
        raise EditError(f"no key {step}")
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == step:
            return key, value
    raise KeyError(step)


def _checked(before: str, after: str, path: tuple, value: Any, *, appended: bool = False) -> str:
    """``after`` if it reads as ``before`` with ``path`` set to ``value`` (else EditError)."""
    try:
        old, new = yaml.safe_load(before), yaml.safe_load(after)
    except yaml.YAMLError as exc:
        raise EditError(str(exc)) from None
    expected = old
    *parents, last = path
    target = expected
    try:
        for step in parents:
            target = target[step]
        if appended:
            target.append(value)
        else:
            target[last] = value
    except (KeyError, IndexError, TypeError, AttributeError):
        raise EditError("the file does not hold that place") from None
    if new != expected:
        raise EditError("the edit would change other values")
    return after


def replace(text: str, path: tuple[str | int, ...], value: Any, *, flow: Collection[str] = ()) -> str:
    """``text`` with the value at ``path`` (keys and list indexes) replaced by ``value``; a missing
    last key of the top-level mapping is added at the end of the file. The mappings under the keys
    ``flow`` (conditions: ``when``) are written in braces on one line."""
    root = _compose(text)
    lines = text.splitlines()
    node: yaml.Node = root
    key_node: yaml.Node | None = None
    for n, step in enumerate(path):
        try:
            key_node, node = _child(node, step)
        except KeyError:
            if n != len(path) - 1 or not isinstance(step, str):
                raise EditError(f"no key {step}") from None
            if n == 0:
                body = "\n".join(lines).rstrip("\n")
                new = (body + "\n" if body else "") + _dump({step: value}, flow)
            else:
                column = node.value[0][0].start_mark.column if node.value else 0
                end = _end_line(lines, node.start_mark.line, node.end_mark)
                new = "\n".join(lines[:end] + _indent(_dump({step: value}, flow), column) + lines[end:]) + "\n"
            return _checked(text, new, path, value)
    if key_node is not None:  # a key and its value: 「deadline:」 and its block
        start, column = key_node.start_mark.line, key_node.start_mark.column
        block = _indent(_dump({path[-1]: value}, flow), column)
        if lines[start][:column].strip():  # 「- id: x」: the key shares its item's dash line
            block[0] = lines[start][:column] + block[0][column:]
    else:  # a list item: from its dash
        start = node.start_mark.line
        dash = lines[start].rfind("-", 0, node.start_mark.column)
        column = dash if dash >= 0 else max(node.start_mark.column - 2, 0)
        block = _indent(_dump([value], flow), column)
        block[0] = lines[start][:column] + block[0][column:]
    end = _end_line(lines, start, node.end_mark)
    return _checked(text, "\n".join(lines[:start] + block + lines[end:]) + "\n", path, value)


def append(text: str, path: tuple[str | int, ...], value: Any) -> str:
    """``text`` with ``value`` added at the end of the list at ``path`` (``()``: the file is a list)."""
    root = _compose(text, lists=not path)
    lines = text.splitlines()
    node: yaml.Node = root
    for step in path:
        try:
            _key, node = _child(node, step)
        except KeyError:
            raise EditError(f"no key {step}") from None
    if not isinstance(node, yaml.SequenceNode) or not node.value or node.flow_style:
        raise EditError("not a block list")
    first = node.value[0]
    dash = lines[first.start_mark.line].rfind("-", 0, first.start_mark.column)
    end = _end_line(lines, node.start_mark.line, node.end_mark)
    block = _indent(_dump([value]), max(dash, 0))
    return _checked(text, "\n".join(lines[:end] + block + lines[end:]) + "\n", path + (len(node.value),), value,
                    appended=True)


# --- update: rewrite only what differs -----------------------------------------------------------

Origins = Mapping[tuple[str | int, ...], list[int | None]]
SCALARS = (str, int, float, bool, dt.date, type(None))


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types (1 is not True); the order of a mapping's keys does not count."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EditError(str(exc)) from None


def _expect(before: str, after: str, path: tuple, change) -> str:
    """``after`` if it reads as ``before`` with ``change`` made to the value at ``path``."""
    expected = _load(before)
    target = expected
    try:
        for step in path:
            target = target[step]
        change(target)
    except (KeyError, IndexError, TypeError, AttributeError):
        raise EditError("the file does not hold that place") from None
    if _load(after) != expected:
        raise EditError("the edit would change other values")
    return after


def _node_at(text: str, path: tuple) -> tuple[list[str], yaml.Node | None, yaml.Node]:
    node: yaml.Node = _compose(text, lists=True)
    key: yaml.Node | None = None
    for step in path:
        try:
            key, node = _child(node, step)
        except KeyError:
            raise EditError(f"no key {step}") from None
    return text.splitlines(), key, node


def _value_at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def update(text: str, path: tuple[str | int, ...], value: Any, *, flow: Collection[str] = (),
           origins: Origins | None = None) -> str:
    """``text`` with the value at ``path`` set to ``value``, rewriting only what differs: an
    unchanged value leaves the text as it is; in a block mapping only the keys that changed are
    rewritten, removed or added (after the key before them); the items of a block list keep their
    own lines when they move (``origins``: for a list's path, the old index of each new item, None
    for a new one; else an item is found by its value), and a changed item is updated within; a
    changed scalar is replaced where it stands (a comment after it stays), a changed flow mapping
    stays on its line in braces. New mappings under the keys ``flow`` are written in braces."""
    try:
        old = _value_at(_load(text), path)
    except (KeyError, IndexError, TypeError):
        return replace(text, path, value, flow=flow)
    if same(old, value):
        return text
    _lines, _key, node = _node_at(text, path)
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value and isinstance(old, dict) \
            and isinstance(value, dict) and all(isinstance(k, str) for k in (*old, *value)):
        out = _update_mapping(text, path, old, value, flow, origins or {})
    elif isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value and value \
            and isinstance(old, list) and isinstance(value, list):
        out = _update_list(text, path, old, value, flow, origins or {})
    else:
        out = _replace_leaf(text, path, node, value, flow)
    return _checked(text, out, path, value) if path else out


def _update_mapping(text: str, path: tuple, old: dict, value: dict, flow: Collection[str], origins: Origins) -> str:
    for key in [k for k in old if k not in value]:
        text = _remove_key(text, path, key, value, flow)
    for key, new in value.items():
        if key in old:
            text = update(text, path + (key,), new, flow=flow, origins=origins)
    keys = list(value)
    for n, key in enumerate(keys):
        if key not in old:
            text = _insert_key(text, path, key, value[key], keys[n - 1] if n else None, flow)
    return text


def _remove_key(text: str, path: tuple, key: str, value: dict, flow: Collection[str]) -> str:
    lines, _k, node = _node_at(text, path)
    key_node, value_node = _child(node, key)
    start = key_node.start_mark.line
    if lines[start][:key_node.start_mark.column].strip():  # 「- when: …」: the item's dash line
        return replace(text, path, {k: v for k, v in _value_at(_load(text), path).items() if k != key}, flow=flow)
    end = _end_line(lines, start, value_node.end_mark)
    return _expect(text, "\n".join(lines[:start] + lines[end:]) + "\n", path, lambda m: m.pop(key))


def _insert_key(text: str, path: tuple, key: str, new: Any, after: str | None, flow: Collection[str]) -> str:
    lines, _k, node = _node_at(text, path)
    column = node.value[0][0].start_mark.column
    end = _end_line(lines, node.start_mark.line, node.end_mark)
    for key_node, value_node in node.value:
        if after is not None and isinstance(key_node, yaml.ScalarNode) and key_node.value == after:
            end = _end_line(lines, key_node.start_mark.line, value_node.end_mark)
    block = _indent(_dump({key: new}, flow), column)
    return _expect(text, "\n".join(lines[:end] + block + lines[end:]) + "\n", path,
                   lambda m: m.__setitem__(key, new))


def _update_list(text: str, path: tuple, old: list, value: list, flow: Collection[str], origins: Origins) -> str:
    lines, _k, node = _node_at(text, path)
    items = node.value
    dashes = [lines[i.start_mark.line].rfind("-", 0, i.start_mark.column) for i in items]
    if any(d < 0 or lines[i.start_mark.line][:d].strip() or d != dashes[0] for i, d in zip(items, dashes, strict=True)):
        return _replace_leaf(text, path, node, value, flow)
    sources = _sources(old, value, origins.get(path))
    ends = [_end_line(lines, i.start_mark.line, i.end_mark) for i in items]
    starts = [items[0].start_mark.line, *ends[:-1]]  # an item's lines: after the one before (its comments)
    block: list[str] = []
    for n, source in enumerate(sources):
        if source is None:
            block += _indent(_dump([value[n]], flow), dashes[0])
        else:
            block += lines[starts[source]:ends[source]]
    moved = [copy.deepcopy(old[s]) if s is not None else value[n] for n, s in enumerate(sources)]
    out = "\n".join(lines[:starts[0]] + block + lines[ends[-1]:]) + "\n"
    text = _expect(text, out, path[:-1], lambda parent: parent.__setitem__(path[-1], moved)) if path else out
    for n, source in enumerate(sources):
        if source is not None and not same(old[source], value[n]):
            text = update(text, path + (n,), value[n], flow=flow, origins=origins)
    return text


def _sources(old: list, value: list, hint: list[int | None] | None) -> list[int | None]:
    """For each new item, the old item whose lines it takes (None: written anew)."""
    used: set[int] = set()
    sources: list[int | None] = [None] * len(value)
    if hint is not None and len(hint) == len(value):
        for n, source in enumerate(hint):
            if source is not None and 0 <= source < len(old) and source not in used:
                sources[n] = source
                used.add(source)
        return sources
    for n, new in enumerate(value):  # the same value: preferably at the same place
        found = [m for m, item in enumerate(old) if m not in used and same(item, new)]
        if found:
            sources[n] = n if n in found else found[0]
            used.add(sources[n])
    for n in range(len(value)):  # a changed value at a place no other item took
        if sources[n] is None and n < len(old) and n not in used:
            sources[n] = n
            used.add(n)
    return sources


def _one_line(value: Any) -> str | None:
    """``value`` as it is written after 「key: 」 on one line, or None when it takes more."""
    written = yaml.dump([value], Dumper=_Dumper, allow_unicode=True, default_flow_style=True,
                        width=10**9, sort_keys=False).strip()
    return written[1:-1] if "\n" not in written else None


def _replace_leaf(text: str, path: tuple, node: yaml.Node, value: Any, flow: Collection[str]) -> str:
    one_line = node.start_mark.line == node.end_mark.line
    scalar = isinstance(node, yaml.ScalarNode) and node.style in (None, "'", '"') and isinstance(value, SCALARS)
    braces = isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.flow_style \
        and isinstance(value, dict | list) and value
    written = _one_line(value) if one_line and (scalar or braces) else None
    if written is None or not path:
        return replace(text, path, value, flow=flow)
    out = text[:node.start_mark.index] + written + text[node.end_mark.index:]
    return _checked(text, out, path, value)
