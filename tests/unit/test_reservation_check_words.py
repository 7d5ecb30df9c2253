"""Every problem the reservations' checks and the paper forms' checks find reads in the curator's
language on the staff console (staff/content_problems.py): reservations.yaml (reservations/loader.py
and the validators of reservations/catalog.py) and counter_forms/*.yaml (reservations/counter_forms.py).

The messages are collected by running the checks on broken copies, and every place that reports a
problem must have been reached by one of them (a ``doc.problem(...)`` call, a validator's ``raise
ValueError(...)``, a message path_problem returns): a new check whose message has no Japanese shape
fails here (add a broken copy for it below, then its shape and its catalog entries)."""
from __future__ import annotations

import ast
import copy
import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

import reservations.catalog as catalog_module
import reservations.counter_forms as forms_module
import reservations.loader as loader_module
from core.words import text
from knowledge.loader import KnowledgeBase, load_pack, read_doc, validate_doc
from knowledge.yamlfile import KnowledgeError, YamlDoc, read_yaml
from reservations.catalog import ReservationsFile
from reservations.counter_forms import CounterFormFile
from staff.content_problems import OTHER, message_words, read_problem, shape_words
from tests.conftest import edit_file

LOCALES = ("ja", "en")
MODULES = (loader_module, catalog_module, forms_module)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
Case = Callable[[dict, KnowledgeBase], None]


# --- reservations.yaml: the real file, each case breaking one thing -------------------------------

def _counter(data: dict, cid: str) -> dict:
    return next(c for c in data["counters"] if c["id"] == cid)


def _not_reservable(data: dict, kb: KnowledgeBase) -> None:
    data["services"][0]["procedures"].append(next(pid for pid, p in kb.procedures.items() if not p.reservable))


def _second_counter_at_a_site(data: dict, kb: KnowledgeBase) -> None:
    first = _counter(data, data["services"][0]["counters"][0])
    other = next(c["id"] for c in data["counters"] if c["site"] == first["site"] and c["id"] != first["id"])
    data["services"][0]["counters"].append(other)


def _too_many_web_seats(data: dict, kb: KnowledgeBase) -> None:
    counter = data["counters"][0]
    counter["quotas"]["web"] = counter["windows"] + 1


RESERVATIONS: dict[str, Case] = {
    # the validators of reservations/catalog.py (the file does not validate)
    "hours backwards": lambda d, kb: d["sites"][0]["hours"].update(mon=[{"start": "12:00", "end": "09:00"}]),
    "quota above the windows": _too_many_web_seats,
    "closure backwards": lambda d, kb: d["closures"][0].update(start=dt.date(2027, 3, 2), end=dt.date(2027, 3, 1)),
    "quietest level with a threshold": lambda d, kb: d["crowding"]["levels"][0].update(fill_percent=10),
    "levels not rising": lambda d, kb: d["crowding"]["levels"][2].update(
        fill_percent=d["crowding"]["levels"][1]["fill_percent"]),
    # reservations/loader.py's checks
    "site twice": lambda d, kb: d["sites"].append(copy.deepcopy(d["sites"][0])),
    "hours overlap": lambda d, kb: d["sites"][0]["hours"].update(
        mon=[{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]),
    "season hours overlap": lambda d, kb: d["seasons"][0]["hours"]["shiyakusho"].update(
        mon=[{"start": "09:00", "end": "12:00"}, {"start": "11:30", "end": "13:00"}]),
    "counter at an unknown site": lambda d, kb: d["counters"][0].update(site="nowhere"),
    "counter of an unknown department": lambda d, kb: d["counters"][0].update(department="nowhere"),
    "service at an unknown counter": lambda d, kb: d["services"][0]["counters"].append("nowhere"),
    "two counters at one site": _second_counter_at_a_site,
    "unknown procedure": lambda d, kb: d["services"][0]["procedures"].append("nothing"),
    "procedure not reservable": _not_reservable,
    "procedure twice": lambda d, kb: d["services"][0]["procedures"].append(d["services"][0]["procedures"][0]),
    "crowding of an unknown season": lambda d, kb: d["crowding"]["seasons"].update(nope=1),
    "crowding raised too far": lambda d, kb: d["crowding"]["seasons"].update(hankaki=9),
    "crowding level twice": lambda d, kb: d["crowding"]["levels"][2].update(id=d["crowding"]["levels"][1]["id"]),
    "closure of an unknown site": lambda d, kb: d["closures"][0].update(sites=["nowhere"]),
    "season from no day": lambda d, kb: d["seasons"][0].update(start="02-30"),
    "season of an unknown counter": lambda d, kb: d["seasons"][0]["windows"].update(nowhere=2),
    "season hours of an unknown site": lambda d, kb: d["seasons"][0]["hours"].update(nowhere={}),
    "season without windows": lambda d, kb: d["seasons"][0]["windows"].update(shimin_ido=0),
    "season quota above its windows": lambda d, kb: d["seasons"][0]["quotas"]["shimin_ido"].update(web=50),
}


# --- a paper form: a small layout that passes, each case breaking one thing ------------------------

FORM_BASE: dict[str, Any] = {
    "id": "inkan_toroku",
    "title": {"ja": "印鑑登録申請書", "en": "Application for seal registration"},
    "procedures": ["inkan_toroku"],
    "department": "shimin",
    "source_url": "https://www.city.kakogawa.lg.jp/",
    "verified_on": dt.date(2026, 12, 4),
    "verified": False,
    "texts": [{"at": [12, 20], "text": "加古川市長　様"}],
    "boxes": [
        {"id": "name", "label": "氏名", "at": [10, 30], "size": [100, 10], "field": "members[0].family_name"},
        {"id": "sex", "label": "性別", "at": [10, 45], "size": [60, 10], "field": "members[0].sex",
         "format": "checkbox", "options": [{"label": "男", "equals": "male"}, {"label": "女", "equals": "female"}]},
    ],
    "tables": [{"id": "members", "at": [10, 70], "rows": 3,
                "columns": [{"label": "氏名", "width": 60, "field": "members[*].family_name"}]}],
}


def _box(**attrs) -> Case:
    def change(data: dict, kb: KnowledgeBase) -> None:
        data["boxes"].append({"label": "欄", "at": [120, 100], "size": [20, 10], **attrs})
    return change


def _column(**attrs) -> Case:
    def change(data: dict, kb: KnowledgeBase) -> None:
        data["tables"][0]["columns"].append({"label": "欄", "width": 20, **attrs})
    return change


FORMS: dict[str, Case] = {
    # the validators of Option and Cell
    "procedure and equals": _box(id="b1", format="checkbox", field="members[0].sex",
                                 options=[{"label": "x", "procedure": "inkan_toroku", "equals": "male"}]),
    "checkbox without options": _box(id="b2", format="checkbox"),
    "options without checkbox": _box(id="b3", options=[{"label": "x"}]),
    "equals without a field": _box(id="b4", format="checkbox", options=[{"label": "x", "equals": "male"}]),
    # reservations/counter_forms.py's checks
    "id not the file name": lambda d, kb: d.update(id="other_form"),
    "unknown procedure": lambda d, kb: d["procedures"].append("nothing"),
    "procedure twice": lambda d, kb: d["procedures"].append("inkan_toroku"),
    "unknown department": lambda d, kb: d.update(department="nowhere"),
    "box twice": _box(id="name"),
    "table named as a box": lambda d, kb: d["tables"][0].update(id="name"),
    "unknown member field of a table's rows": lambda d, kb: d["tables"][0].update(where={"nope": True}),
    "words off the page": lambda d, kb: d["texts"].append({"at": [300, 10], "text": "欄外"}),
    "box of no size": _box(id="b5", size=[0, 10]),
    "box off the page": _box(id="b6", at=[200, 10]),
    "boxes overlap": _box(id="b7", at=[10, 30]),
    "option of another procedure": _box(id="b8", format="checkbox",
                                        options=[{"label": "x", "procedure": "tennyu_todoke"}]),
    "unknown member field": _box(id="b9", field="members[0].nope"),
    "one member in a table's column": _column(field="members[0].given_name"),
    "every member in a box": _box(id="b10", field="members[*].given_name"),
    "not a member in a table's column": _column(field="move_date"),
    "unknown household path": _box(id="b11", fallback="nowhere"),
}


@dataclass
class _Recording(YamlDoc):
    """A file whose problems remember the line of the module that found them."""

    sites: set[tuple[str, int]] = field(default_factory=set)

    def problem(self, loc: tuple, message: str, kind: str = "", ctx: dict[str, Any] | None = None):
        caller = sys._getframe(1)  # problem ← the check
        self.sites.add((caller.f_code.co_filename, caller.f_lineno))
        return super().problem(loc, message, kind, ctx)


def _pattern(node: ast.expr) -> re.Pattern[str] | None:
    """The messages a string or f-string can make (its values: anything)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.compile(re.escape(node.value) + "$", re.S)
    if isinstance(node, ast.JoinedStr):
        return re.compile("".join(re.escape(part.value) if isinstance(part, ast.Constant) else ".*"
                                  for part in node.values) + "$", re.S)
    return None


@dataclass(frozen=True)
class _Site:
    module: str
    start: int
    end: int
    said: re.Pattern[str] | None = None  # the message, where it is not reported at once (a raise, a return)


def _sites() -> list[_Site]:
    """Where the modules report a problem: every ``doc.problem(...)`` call, every ``raise
    ValueError(...)`` (a validator), every message path_problem returns."""
    out = []
    for module in MODULES:
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "problem" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "doc":
                out.append(_Site(module.__file__, node.lineno, node.end_lineno or node.lineno))
            elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    isinstance(node.exc.func, ast.Name) and node.exc.func.id == "ValueError" and node.exc.args:
                out.append(_Site(module.__file__, node.lineno, node.end_lineno or node.lineno, _pattern(node.exc.args[0])))
            elif isinstance(node, ast.FunctionDef) and node.name == "path_problem":
                out += [_Site(module.__file__, r.lineno, r.end_lineno or r.lineno, _pattern(r.value))
                        for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None
                        and _pattern(r.value) is not None]
    return out


def _run(path: Path, base: dict, model: type, check: Callable, kb: KnowledgeBase,
         cases: dict[str, Case], found: dict[str, list[str]], sites: set) -> None:
    doc = _Recording(path, copy.deepcopy(base))
    problems: list[str] = []
    data = validate_doc(doc, model, problems)
    assert problems == [] and data is not None, problems
    check(doc, data, kb, problems)
    assert problems == [], problems
    for name, change in cases.items():
        broken = copy.deepcopy(base)
        change(broken, kb)
        doc = _Recording(path, broken)
        problems = []
        data = validate_doc(doc, model, problems)
        if data is not None:
            check(doc, data, kb, problems)
        found[f"{path.name}: {name}"] = problems
        sites |= doc.sites


def _two_files_one_id(folder: Path, kb: KnowledgeBase, sites: set) -> list[str]:
    """The paper forms' loader on two files with one id (its own check across files)."""
    (folder / forms_module.FOLDER).mkdir(parents=True)
    for name in ("inkan_toroku", "inkan_toroku_2"):
        (folder / forms_module.FOLDER / f"{name}.yaml").write_text(yaml.safe_dump(FORM_BASE, allow_unicode=True),
                                                                   encoding="utf-8")

    def recording(path: Path, problems: list[str]) -> YamlDoc | None:
        doc = read_doc(path, problems)
        return doc and _Recording(doc.path, doc.data, doc.lines, sites)

    with mock.patch.object(forms_module, "read_doc", recording), pytest.raises(KnowledgeError) as caught:
        forms_module.load(folder, kb=kb)
    return caught.value.problems


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[dict[str, list[str]], set[tuple[str, int]]]:
    """The problems the checks find in each broken copy, and the lines that reported them."""
    kb = load_pack("kakogawa")
    found: dict[str, list[str]] = {}
    sites: set[tuple[str, int]] = set()
    real = read_yaml(kb.directory / loader_module.FILENAME).data
    _run(Path(loader_module.FILENAME), real, ReservationsFile, loader_module._check, kb, RESERVATIONS, found, sites)
    _run(Path(forms_module.FOLDER) / "inkan_toroku.yaml", FORM_BASE, CounterFormFile, forms_module._check, kb,
         FORMS, found, sites)
    found["counter_forms: two files, one id"] = _two_files_one_id(tmp_path_factory.mktemp("pack"), kb, sites)
    return found, sites


def _message(problem: str) -> str:
    return str(problem).split(": ", 2)[2]  # file:line: field: message


def _english(problem: str) -> str:
    """What the console words: pydantic's own message for a validator's error, else the loader's."""
    ctx = getattr(problem, "ctx", {})
    return str(ctx.get("error", "")) or _message(problem)


def _worded(problem: str, locale: str) -> bool:
    kind = getattr(problem, "kind", "")
    if kind:
        words = message_words(locale, kind, problem.ctx, problem.loc, _message(problem))
        return words != text(locale, OTHER, detail=_english(problem))
    return shape_words(locale, _message(problem)) is not None


def test_every_check_was_reached_by_a_broken_copy(checked):
    found, sites = checked
    assert [name for name, problems in found.items() if not problems] == []
    messages = [_english(p) for problems in found.values() for p in problems]
    missed = []
    for site in _sites():
        if site.said is not None:
            reached = any(site.said.match(m) for m in messages)
        else:
            reached = any(f == site.module and site.start <= line <= site.end for f, line in sites)
        if not reached:
            lines = Path(site.module).read_text(encoding="utf-8").splitlines()
            missed.append((Path(site.module).name, site.start, lines[site.start - 1].strip()))
    assert missed == [], "a check no broken copy reaches: add one to RESERVATIONS or FORMS"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_problem_is_worded_in_the_readers_language(checked, locale):
    found, _sites = checked
    problems = [p for each in found.values() for p in each]
    unworded = sorted({_english(p) for p in problems if not _worded(p, locale)})
    assert unworded == [], "give these messages a shape in staff/content_problems.py BY_SHAPE"
    for problem in problems:
        words = read_problem(problem, locale).message
        assert bool(JAPANESE.search(words)) == (locale == "ja"), words


def test_the_loaders_keep_what_the_console_words(pack: Path):
    """Through the loaders (what the staff console's pack checks call), a validator's error keeps
    pydantic's type and context, and the texts stay the English the CLI prints."""
    edit_file(pack / "reservations.yaml", 'mon: [{start: "08:30", end: "19:00"}]', 'mon: [{start: "19:00", end: "08:30"}]')
    with pytest.raises(KnowledgeError) as caught:
        loader_module.load_catalog("kakogawa", pack.parent)
    [problem] = caught.value.problems
    assert problem.endswith("Value error, end must be after start") and problem.kind == "value_error"
    assert read_problem(problem, "ja").message == "終わり（end）は、始まり（start）よりあとの時刻にしてください。"

    twin = pack / forms_module.FOLDER / "inkan_toroku_2.yaml"
    twin.write_text((pack / forms_module.FOLDER / "inkan_toroku.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        forms_module.load(pack)
    problems = caught.value.problems
    assert [_message(p) for p in problems] == [
        "the id 'inkan_toroku' differs from the file name 'inkan_toroku_2.yaml'",
        "duplicate form id 'inkan_toroku' (also inkan_toroku.yaml)"]
    assert [read_problem(p, "ja").message for p in problems] == [
        "id「inkan_toroku」がファイル名「inkan_toroku_2.yaml」と違います。id はファイル名と同じにしてください。",
        "id「inkan_toroku」がほかと重なっています。"]
    for locale in LOCALES:
        assert all(_worded(p, locale) for p in problems)

    (pack / loader_module.FILENAME).unlink()
    with pytest.raises(KnowledgeError) as caught:
        loader_module.load_catalog("kakogawa", pack.parent)
    assert [read_problem(p, "ja").message for p in caught.value.problems] == ["このファイルが必要です。"]
