"""YAML reading that remembers the line of every value, so errors can name file, line and field;
a pack file's texts come back with the pack's translations filled in (knowledge.translations)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.yaml_text import SafeLoader
from knowledge.translations import DIRECTORY, fill_in, pack_directory, translations_of


class KnowledgeError(ValueError):
    """One or more problems in knowledge files; each line reads ``file:line: field: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class ProblemText(str):
    """A problem as text (``file:line: field: message``, what the CLI prints) that remembers what it
    was made of: the field's path, the line, and pydantic's error type with its context, so the
    curators' console can word it in the reader's language (staff/content_problems.py)."""

    loc: tuple = ()
    line: int = 0
    kind: str = ""
    ctx: dict[str, Any] = {}  # read only: the default of problems made without one

    @classmethod
    def of(cls, text: str, loc: tuple, line: int, kind: str = "", ctx: dict[str, Any] | None = None) -> ProblemText:
        out = cls(text)
        out.loc, out.line, out.kind, out.ctx = tuple(loc), line, kind, dict(ctx or {})
        return out


@dataclass
class YamlDoc:
    path: Path
    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)  # value path -> 1-based line

    def line_of(self, loc: tuple) -> int:
        """The line of the deepest known part of ``loc``."""
        loc = tuple(loc)
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def problem(self, loc: tuple, message: str, kind: str = "", ctx: dict[str, Any] | None = None) -> ProblemText:
        """``file:line: field: message``; ``kind`` and ``ctx``: pydantic's error type and context."""
        where = ".".join(str(p) for p in loc) or "(file)"
        line = self.line_of(loc)
        return ProblemText.of(f"{self.path}:{line}: {where}: {message}", loc, line, kind, ctx)


def _build(node: yaml.Node, loader: Any, here: tuple, lines: dict[tuple, int]) -> Any:
    lines[here] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                raise KnowledgeError([f"{{path}}:{key_node.start_mark.line + 1}: {key}: duplicate key"])
            out[key] = _build(value_node, loader, here + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, loader, here + (i,), lines) for i, v in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # a date that is no day (2027-13-01): PyYAML raises
        where = ".".join(str(p) for p in here) or "(file)"
        raise KnowledgeError([ProblemText.of(f"{{path}}:{node.start_mark.line + 1}: {where}: not a valid date ({exc})",
                                             here, node.start_mark.line + 1, "date_parsing")]) from None


def _with_path(problem: str, path: Path) -> str:
    out = problem.replace("{path}", str(path))
    if isinstance(problem, ProblemText):
        return ProblemText.of(out, problem.loc, problem.line, problem.kind, problem.ctx)
    return out


def read_yaml(path: Path) -> YamlDoc:
    text = path.read_text(encoding="utf-8")
    loader = SafeLoader(text)  # libyaml's parser (core/yaml_text.py): the same nodes and marks
    try:
        node = loader.get_single_node()
        lines: dict[tuple, int] = {}
        data = _build(node, loader, (), lines) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise KnowledgeError([f"{path}:{line}: (syntax): {exc}"]) from None
    except KnowledgeError as exc:
        raise KnowledgeError([_with_path(p, path) for p in exc.problems]) from None
    finally:
        loader.dispose()
    pack = pack_directory(path)
    if pack is not None and path.parent.name != DIRECTORY:  # the pack's texts in its other languages
        fill_in(data, translations_of(pack))
    return YamlDoc(path=path, data=data, lines=lines)
