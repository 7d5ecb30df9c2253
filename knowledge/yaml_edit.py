"""Change one part of a YAML file's text and keep the rest as it was written (its comments, order,
quoting and blank lines): the curators' forms (staff/content_views.py) rewrite only the block they
edit — a procedure's ``deadline:``, ``bring:`` or ``fees:``, one counter of departments.yaml.

Plain Python over PyYAML's node marks: the block's lines are found from the nodes' start and end
marks and replaced by the new value dumped at the same indentation; comment lines just before the
next block stay with it. The result is read again before it is returned, so a splice can never
write a file that no longer parses or lost the other values (``EditError`` instead).
"""
from __future__ import annotations

from typing import Any

import yaml


class EditError(ValueError):
    """The text does not read as the mapping the edit expects."""


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)


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


def replace(text: str, path: tuple[str | int, ...], value: Any) -> str:
    """``text`` with the value at ``path`` (keys and list indexes) replaced by ``value``; a missing
    last key of the top-level mapping is added at the end of the file."""
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
                new = (body + "\n" if body else "") + _dump({step: value})
            else:
                column = node.value[0][0].start_mark.column if node.value else 0
                end = _end_line(lines, node.start_mark.line, node.end_mark)
                new = "\n".join(lines[:end] + _indent(_dump({step: value}), column) + lines[end:]) + "\n"
            return _checked(text, new, path, value)
    if key_node is not None:  # a key and its value: 「deadline:」 and its block
        start, column = key_node.start_mark.line, key_node.start_mark.column
        block = _indent(_dump({path[-1]: value}), column)
        if lines[start][:column].strip():  # 「- id: x」: the key shares its item's dash line
            block[0] = lines[start][:column] + block[0][column:]
    else:  # a list item: from its dash
        start = node.start_mark.line
        dash = lines[start].rfind("-", 0, node.start_mark.column)
        column = dash if dash >= 0 else max(node.start_mark.column - 2, 0)
        block = _indent(_dump([value]), column)
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
