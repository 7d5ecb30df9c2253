"""The city's paper forms filled at the counter from the household's 事前入力, as data:
``knowledge/packs/<city>/counter_forms/*.yaml``, one file per paper form.

    forms = load(pack_dir)                              # dict: form id -> CounterForm (file order by name);
                                                        #   KnowledgeError lists every problem as file:line: field: message
    wanted = for_procedures(forms, ["tennyu_todoke", "kokuho_kanyu"])   # the forms those procedures need

A form names the guide procedures it serves (they must exist in the pack), its department, where
the city (or the ministry) publishes it (source_url, verified_on, verified), and its layout as on
paper: ``boxes`` (a labelled rectangle at x, y mm from the top left of an A4 portrait page),
``tables`` (a row per household member: columns of labelled cells) and ``texts`` (printed words).
A box or a column takes its value from the household document (issue 14 contract) by ``field``:
``move_date``, ``new_address.postcode``, ``members[0].birth_date``, ``members[head].family_name``
(the member whose relationship is head; ``members[spouse]`` likewise); in a table, ``members[*].family_name`` (one row per
member). Several fields are joined by a space; ``fallback`` is read when they are all empty.
``format`` prints the value as the form asks (wareki, kana, hiragana, postcode, phone,
relationship, sex, date) or ticks ``options`` (checkbox). A box with no field is left empty for
the resident or staff (the signature box).

Checks beyond the schema: ids unique, procedures and department known, every field a known path
of the household document, boxes inside the page and not overlapping each other. Plain Python: no
Flask, no database.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, HttpUrl, field_validator, model_validator

from knowledge.loader import KnowledgeBase, load_pack, read_doc, validate_doc
from knowledge.schema import ID_PATTERN, Strict, Text
from knowledge.yamlfile import KnowledgeError, YamlDoc

FOLDER = "counter_forms"
A4_WIDTH, A4_HEIGHT = 210.0, 297.0  # mm, portrait: the page core.pdf draws
MARGIN = 5.0  # mm a printer cannot print at the edge of the sheet

# The household document (issue 14 contract): what a field may name.
MEMBER_KEYS = ("family_name", "given_name", "family_kana", "given_kana", "birth_date", "sex",
               "relationship", "relationship_text", "moving")
ADDRESS_KEYS = ("postcode", "address", "building", "head_name")
TOP_KEYS = ("move_date", "phone")
ADDRESSES = ("previous_address", "new_address")
_MEMBER_PATH = re.compile(r"^members\[(\*|head|spouse|\d+)\]\.([a-z_]+)$")

Format = Literal["text", "wareki", "date", "kana", "hiragana", "postcode", "phone", "relationship", "sex", "checkbox"]


def path_problem(path: str, *, in_table: bool) -> str | None:
    """Why ``path`` is not a field of the household document (None: it is)."""
    m = _MEMBER_PATH.match(path)
    if m:
        selector, key = m.groups()
        if key not in MEMBER_KEYS:
            return f"unknown member field '{key}' (one of: {', '.join(MEMBER_KEYS)})"
        if in_table and selector != "*":
            return f"a table's column reads members[*]: '{path}'"
        if not in_table and selector == "*":
            return f"members[*] repeats: it belongs in a table's column, not a box: '{path}'"
        return None
    if in_table:
        return f"a table's column reads members[*].<field>: '{path}'"
    if path in TOP_KEYS:
        return None
    head, _, key = path.partition(".")
    if head in ADDRESSES and key in ADDRESS_KEYS:
        return None
    known = [*TOP_KEYS, *(f"{a}.{k}" for a in ADDRESSES for k in ADDRESS_KEYS), "members[N|head|spouse|*].<field>"]
    return f"unknown household path '{path}' (one of: {', '.join(known)})"


class Option(Strict):
    """One printed choice of a checkbox box: ticked when the visit has ``procedure``, or when the
    box's field equals ``equals``; with neither, never ticked (the resident or staff tick it)."""

    label: str = Field(min_length=1)
    procedure: str | None = Field(None, pattern=ID_PATTERN)
    equals: str | bool | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Option:
        if self.procedure is not None and self.equals is not None:
            raise ValueError("give procedure (ticked when the visit has it) or equals (ticked when the field has it), not both")
        return self


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


class Cell(Strict):
    """What boxes and columns share: the printed label, the household field(s) and the format."""

    label: str = Field(min_length=1)  # as printed on the paper form
    field: list[str] = Field(default_factory=list)  # one path or several (joined by a space)
    fallback: list[str] = Field(default_factory=list)  # read when every field is empty
    format: Format = "text"
    options: list[Option] = Field(default_factory=list)  # format: checkbox
    blank: str = ""  # printed when there is no value (e.g. 「　　年　　月　　日」 as on paper)

    _lists = field_validator("field", "fallback", mode="before")(_as_list)

    @model_validator(mode="after")
    def _checkbox(self) -> Cell:
        if self.format == "checkbox" and not self.options:
            raise ValueError("format: checkbox needs options")
        if self.options and self.format != "checkbox":
            raise ValueError("options are for format: checkbox")
        if any(o.equals is not None for o in self.options) and not self.field:
            raise ValueError("an option with equals needs the box's field")
        return self


class Box(Cell):
    id: str = Field(pattern=ID_PATTERN)
    at: tuple[float, float]  # x, y in mm from the top left
    size: tuple[float, float]  # width, height in mm
    thick: bool = False  # a bold frame (太枠: what the resident fills)


class Column(Cell):
    width: float = Field(gt=0)


class Table(Strict):
    """A row per household member (``members[*]``), a header row of labels above."""

    id: str = Field(pattern=ID_PATTERN)
    label: str = ""  # printed above the header
    at: tuple[float, float]
    rows: int = Field(ge=1, le=20)  # rows printed on the paper form; more members: a continuation page
    row_height: float = Field(10, gt=3)
    header_height: float = Field(6, gt=2)
    where: dict[str, str | bool] = Field(default_factory=dict)  # only the members with these values
    columns: list[Column] = Field(min_length=1)

    def width(self) -> float:
        return sum(c.width for c in self.columns)

    def height(self) -> float:
        return (5 if self.label else 0) + self.header_height + self.rows * self.row_height


class Words(Strict):
    """Printed words (the addressee, a note): no value."""

    at: tuple[float, float]
    text: str = Field(min_length=1)
    size: float = Field(9, ge=5, le=24)


class CounterFormFile(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: Text
    procedures: list[str] = Field(min_length=1)
    department: str = Field(pattern=ID_PATTERN)
    source_url: HttpUrl
    verified_on: dt.date
    verified: bool
    note: str = ""  # what was checked against the city's form, and what is assumed
    boxes: list[Box] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    texts: list[Words] = Field(default_factory=list)


@dataclass(frozen=True)
class CounterForm:
    """One paper form, checked: what form_pdf draws and what the counter pages list."""

    id: str
    title: Text
    procedures: tuple[str, ...]
    department: str
    source_url: str
    verified_on: dt.date
    verified: bool
    boxes: tuple[Box, ...]
    tables: tuple[Table, ...]
    texts: tuple[Words, ...]
    path: Path

    @property
    def fields(self) -> tuple[str, ...]:
        """Every household path the form reads (for a 事前入力 page: what to ask)."""
        cells = [*self.boxes, *(c for t in self.tables for c in t.columns)]
        return tuple(dict.fromkeys(p for c in cells for p in (*c.field, *c.fallback)))


def load(pack_dir: Path, kb: KnowledgeBase | None = None) -> dict[str, CounterForm]:
    """The pack's counter forms by id (files in name order); {} when the pack has none.
    KnowledgeError lists every problem of every file."""
    pack_dir = Path(pack_dir)
    folder = pack_dir / FOLDER
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        return {}
    if kb is None:
        kb = load_pack(pack_dir.name, pack_dir.parent)
    problems: list[str] = []
    forms: dict[str, CounterForm] = {}
    first: dict[str, Path] = {}
    for path in files:
        doc = read_doc(path, problems)
        if doc is None:
            continue
        data = validate_doc(doc, CounterFormFile, problems)
        if data is None:
            continue
        before = len(problems)
        _check(doc, data, kb, problems)
        if data.id in first:
            problems.append(doc.problem(("id",), f"duplicate form id '{data.id}' (also {first[data.id].name})"))
        first.setdefault(data.id, path)
        if len(problems) == before:
            forms[data.id] = CounterForm(
                id=data.id, title=data.title, procedures=tuple(data.procedures), department=data.department,
                source_url=str(data.source_url), verified_on=data.verified_on, verified=data.verified,
                boxes=tuple(data.boxes), tables=tuple(data.tables), texts=tuple(data.texts), path=path)
    if problems:
        raise KnowledgeError(problems)
    return forms


def for_procedures(forms: dict[str, CounterForm], procedure_ids: Iterable[str]) -> list[CounterForm]:
    """The forms serving any of ``procedure_ids``, each once, in the order of the first procedure
    it serves (転入届 then 国保 then 児童手当, as the visit goes)."""
    out: dict[str, CounterForm] = {}
    for pid in procedure_ids:
        for form in forms.values():
            if pid in form.procedures:
                out.setdefault(form.id, form)
    return list(out.values())


def counter_form_problems(kb: KnowledgeBase) -> list[str]:
    """The problems of the pack's counter_forms/ (app.extensions["pack_checks"]): what `flask
    knowledge check` prints and a curator's version must be free of before it is published."""
    try:
        load(kb.directory, kb=kb)
    except KnowledgeError as exc:
        return list(exc.problems)
    return []


def _check(doc: YamlDoc, data: CounterFormFile, kb: KnowledgeBase, problems: list[str]) -> None:
    expected = doc.path.stem
    if data.id != expected:
        problems.append(doc.problem(("id",), f"the id '{data.id}' differs from the file name '{expected}.yaml'"))
    for j, pid in enumerate(data.procedures):
        if pid not in kb.procedures:
            problems.append(doc.problem(("procedures", j), f"unknown procedure '{pid}' (see procedures/)"))
    if len(set(data.procedures)) != len(data.procedures):
        problems.append(doc.problem(("procedures",), "a procedure is listed twice"))
    if data.department not in kb.departments:
        problems.append(doc.problem(("department",), f"unknown department '{data.department}' (see departments.yaml)"))

    ids: set[str] = set()
    areas: list[tuple[tuple, str, tuple[float, float, float, float]]] = []
    for i, box in enumerate(data.boxes):
        loc = ("boxes", i)
        if box.id in ids:
            problems.append(doc.problem(loc + ("id",), f"duplicate box id '{box.id}'"))
        ids.add(box.id)
        _check_cell(doc, loc, box, set(data.procedures), problems, in_table=False)
        areas.append((loc, f"box '{box.id}'", (*box.at, *box.size)))
    for i, table in enumerate(data.tables):
        loc = ("tables", i)
        if table.id in ids:
            problems.append(doc.problem(loc + ("id",), f"duplicate id '{table.id}'"))
        ids.add(table.id)
        for key in table.where:
            if key not in MEMBER_KEYS:
                problems.append(doc.problem(loc + ("where", key), f"unknown member field '{key}'"))
        for j, column in enumerate(table.columns):
            _check_cell(doc, loc + ("columns", j), column, set(data.procedures), problems, in_table=True)
        areas.append((loc, f"table '{table.id}'", (*table.at, table.width(), table.height())))
    for i, words in enumerate(data.texts):
        x, y = words.at
        if not (0 <= x <= A4_WIDTH - MARGIN and 0 <= y <= A4_HEIGHT - MARGIN):
            problems.append(doc.problem(("texts", i, "at"), f"({x}, {y}) mm is off the A4 page"))

    for loc, name, (x, y, w, h) in areas:
        if w <= 0 or h <= 0:
            problems.append(doc.problem(loc + ("size",), f"{name}: width and height must be positive"))
        elif x < MARGIN or y < MARGIN or x + w > A4_WIDTH - MARGIN + 1e-6 or y + h > A4_HEIGHT - MARGIN + 1e-6:
            problems.append(doc.problem(loc + ("at",), f"{name} ({x}, {y}, {w} × {h} mm) is off the A4 page "
                                        f"({A4_WIDTH:g} × {A4_HEIGHT:g} mm, {MARGIN:g} mm margin)"))
    for (loc_a, name_a, a), (_loc_b, name_b, b) in itertools.combinations(areas, 2):
        if _overlap(a, b):
            problems.append(doc.problem(loc_a + ("at",), f"{name_a} overlaps {name_b}"))


def _check_cell(doc: YamlDoc, loc: tuple, cell: Cell, procedures: set[str], problems: list[str], *, in_table: bool) -> None:
    for key in ("field", "fallback"):
        for j, path in enumerate(getattr(cell, key)):
            why = path_problem(path, in_table=in_table)
            if why:
                problems.append(doc.problem(loc + (key, j), why))
    for j, option in enumerate(cell.options):
        if option.procedure is not None and option.procedure not in procedures:
            problems.append(doc.problem(loc + ("options", j, "procedure"),
                                        f"'{option.procedure}' is not one of this form's procedures"))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Rectangles (x, y, w, h) sharing more than an edge (boxes drawn side by side share their line)."""
    eps = 0.01
    return (a[0] + eps < b[0] + b[2] and b[0] + eps < a[0] + a[2]
            and a[1] + eps < b[1] + b[3] and b[1] + eps < a[1] + a[3])
