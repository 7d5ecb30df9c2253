"""Every problem the online forms' checks find (intake/forms.py: check_form and its helpers, the
forms' loader) reads in the curator's language on the staff console (staff/content_problems.py).

The messages are collected by running the checks on broken forms, and every ``bad(...)`` call in
intake/forms.py must have been reached by one of them: a new check whose message has no Japanese
shape fails here (add a broken form for it below, then its shape and its catalog entries)."""
from __future__ import annotations

import ast
import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import intake.forms as forms_module
from core.words import text
from intake.forms import check_form, load_forms
from intake.forms_schema import FormFile
from knowledge.loader import load_pack
from knowledge.yamlfile import KnowledgeError, YamlDoc
from staff.content_problems import OTHER, message_words, read_problem, shape_words
from tests.conftest import edit_file

STEM = "juminhyo_utsushi"
T = {"ja": "ことば", "en": "words"}
LOCALES = ("ja", "en")


def _choice(value: str) -> dict:
    return {"value": value, "label": T}


BASE: dict[str, Any] = {  # passes check_form; each case below breaks one thing or a few
    "id": STEM,
    "title": T,
    "proxy": {"allowed": True, "roles": [_choice("household")]},
    "sections": [{"id": "main", "title": T, "fields": [
        {"id": "copies", "type": "number", "label": T, "min": 1, "max": 10},
        {"id": "kind", "type": "checkbox", "label": T, "choices": [_choice("a"), _choice("b")]},
        {"id": "note", "type": "text", "label": T},
        {"id": "box", "type": "checkbox", "label": T},
        {"id": "years", "type": "select", "label": T, "fiscal_years": {"count": 3}},
        {"id": "day", "type": "date", "label": T},
    ]}],
    "delivery": {"options": ["mail", "counter"], "counters": ["shimin_madoguchi"]},
    "fee": {"copies_field": "copies"},
}


def _field(**attrs) -> Any:
    """A case: one more field on the page (``label`` given)."""
    def change(data: dict) -> None:
        data["sections"][0]["fields"].append({"label": T, **attrs})
    return change


def _set(*path, value) -> Any:
    """A case: ``value`` at ``path`` of the form."""
    def change(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


CASES = {
    "id": _set("id", value="no_such_procedure"),
    "not online": _set("id", value="inkan_toroku"),
    "role repeats": _set("proxy", "roles", value=[_choice("self")]),
    "roles without proxy": _set("proxy", "allowed", value=False),
    "reserved section": _set("sections", 0, "id", value="finish"),
    "section condition": _set("sections", 0, "show_if", value={"nothing": "a"}),
    "reserved field": _field(id="purpose", type="text"),
    "field twice": _field(id="note", type="text"),
    "purpose other": _set("purpose", value={"choices": [_choice("other")]}),
    "option twice": _set("delivery", "options", value=["mail", "mail"]),
    "counter without counters": _set("delivery", value={"options": ["counter"]}),
    "counters without counter": _set("delivery", "options", value=["mail"]),
    "unknown counter": _set("delivery", "counters", value=["nowhere"]),
    "unknown copies field": _set("fee", "copies_field", value="nothing"),
    "copies not a whole number": _set("fee", "copies_field", value=["note"]),
    "per choice not a checkbox": _set("fee", "per_choice_field", value="note"),
    "date rule": _set("date_rules", value=[{"start": "day", "end": "note", "max_days": 5}]),
    "review department": _set("review", value={"department": "nowhere"}),
    "signature twice": _set("signature", value={"match": ["name", "name"]}),
    "sex not asked": _set("signature", value={"match": ["sex"]}),
    "attribute of another type": _field(id="f1", type="text", min=1),
    "choices and fiscal years": _field(id="f2", type="radio", choices=[_choice("a")], fiscal_years={"count": 2}),
    "no choices": _field(id="f3", type="radio"),
    "choice twice": _field(id="f4", type="radio", choices=[_choice("a"), _choice("a")]),
    "file without rules": _field(id="f5", type="file"),
    "repeat without fields": _field(id="f6", type="repeat"),
    "repeat": _field(id="f7", type="repeat", min_items=5, max_items=2, fields=[
        {"id": "up", "type": "file", "label": T, "file": {"types": ["pdf"], "max_bytes": 2048}},
        {"id": "x", "type": "text", "label": T}, {"id": "x", "type": "text", "label": T}]),
    "min above max": _field(id="f8", type="number", min=5, max=1),
    "min_days after max_days": _field(id="f9", type="date", min_days=5, max_days=1),
    "pattern": _field(id="f10", type="text", pattern="("),
    "autocomplete": _field(id="f11", type="text", autocomplete="nope"),
    "address autocomplete": _field(id="f12", type="address", autocomplete="name"),
    "default": _field(id="f13", type="number", default="many"),
    "condition on a later field": _field(id="f14", type="text", show_if={"later": "a"}),
    "condition on a single checkbox": _field(id="f15", type="text", show_if={"box": "yes"}),
    "condition on a text field": _field(id="f16", type="text", show_if={"note": "a"}),
    "condition on computed choices": _field(id="f17", type="text", show_if={"years": "a"}),
    "condition on no choice": _field(id="f18", type="text", show_if={"kind": "c"}),
}


@dataclass
class _Recording(YamlDoc):
    """A form file whose problems remember the line of intake/forms.py that found them."""

    sites: set[int] = field(default_factory=set)

    def problem(self, loc: tuple, message: str, kind: str = "", ctx: dict[str, Any] | None = None):
        caller = sys._getframe(2)  # problem ← check_form's bad() ← the check
        if caller.f_code.co_filename == forms_module.__file__:
            self.sites.add(caller.f_lineno)
        return super().problem(loc, message, kind, ctx)


def _bad_calls() -> list[tuple[int, int]]:
    """Where intake/forms.py reports a problem of a form: every ``bad(...)`` call (its lines)."""
    tree = ast.parse(Path(forms_module.__file__).read_text(encoding="utf-8"))
    return [(node.lineno, node.end_lineno or node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bad"]


@pytest.fixture(scope="module")
def checked() -> tuple[dict[str, list[str]], set[int]]:
    """The problems check_form finds in each broken form, and the lines that found them."""
    kb = load_pack("kakogawa")
    sites: set[int] = set()
    found: dict[str, list[str]] = {}
    base = _Recording(Path("forms") / f"{STEM}.yaml", BASE)
    assert check_form(FormFile.model_validate(BASE), base, kb, STEM) == []
    for name, change in CASES.items():
        data = copy.deepcopy(BASE)
        change(data)
        doc = _Recording(Path("forms") / f"{STEM}.yaml", data)
        found[name] = check_form(FormFile.model_validate(data), doc, kb, STEM)
        sites |= doc.sites
    return found, sites


def _message(problem: str) -> str:
    return str(problem).split(": ", 2)[2]  # file:line: field: message


def test_every_check_of_a_form_was_reached_by_a_broken_form(checked):
    found, sites = checked
    assert [name for name, problems in found.items() if not problems] == []
    missed = [(start, Path(forms_module.__file__).read_text(encoding="utf-8").splitlines()[start - 1].strip())
              for start, end in _bad_calls() if not any(start <= line <= end for line in sites)]
    assert missed == [], "a check no broken form reaches: add one to CASES"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_problem_check_form_finds_is_worded_in_the_readers_language(checked, locale):
    found, _sites = checked
    unworded = sorted({_message(p) for problems in found.values() for p in problems
                       if shape_words(locale, _message(p)) is None})
    assert unworded == [], "give these messages a shape in staff/content_problems.py BY_SHAPE"
    for problems in found.values():
        for problem in problems:
            words = read_problem(problem, locale).message
            assert words == shape_words(locale, _message(problem))
            japanese = any("\u3040" <= c <= "\u30ff" for c in words)
            assert japanese == (locale == "ja"), words


def test_the_forms_loader_and_schema_problems_are_worded_too(pack: Path):
    """The loader's own (an online procedure without a form) and pydantic's (the form's format,
    the date rule's own check) read in the reader's language, not as pydantic's English."""
    (pack / "forms" / "mibun_shomei.yaml").unlink()
    edit_file(pack / "forms" / "inkan_shomei.yaml", "fee:\n", "date_rules:\n- {start: a, end: b}\nfee:\n")
    edit_file(pack / "forms" / "honnin_tsuchi.yaml", "\ntitle:", "\ncolour: red\ntitle:")
    with pytest.raises(KnowledgeError) as caught:
        load_forms("kakogawa", pack.parent)
    problems = caught.value.problems
    assert len(problems) == 3, problems
    for locale in LOCALES:
        for problem in problems:
            kind, message = getattr(problem, "kind", ""), _message(problem)
            if kind:
                words = message_words(locale, kind, problem.ctx, problem.loc, message)
                assert words != text(locale, OTHER, detail=str(problem.ctx.get("error", "")) or message), problem
            else:
                assert shape_words(locale, message) is not None, problem
    ja = [read_problem(p, "ja").message for p in problems]
    assert any(m.startswith("日付の決まり（date_rules）には") for m in ja), ja
    assert any(m.startswith("「colour」という項目は使えません") for m in ja), ja
    assert any(m.startswith("手続き「mibun_shomei」は online: true ですが") for m in ja), ja
