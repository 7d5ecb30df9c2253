"""The counter's print-out: the city's paper forms (reservations.counter_forms) filled in from the
household's 事前入力, one A4 page per form (more when the members overflow its rows).

    pdf = render(forms, household, procedures=["tennyu_todoke"], font_path=app.config["PDF_FONT_PATH"])

Values missing from the household leave their box empty (the resident or staff write it); boxes
without a field (the signature) stay empty. Dates print in 和暦 where the form says ``wareki``.
Pass ``created`` for byte-identical output (tests). No font: core.pdf.PdfFontMissing (a 503
AppError). No Flask of its own: the app's setting comes in as ``font_path``
(reservations.counter_forms_current reads it).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.japanese_text import katakana_to_hiragana, normalize_kana
from core.pdf import Document, find_font
from reservations.counter_forms import _MEMBER_PATH, Cell, CounterForm, Table
from rules.wareki import WarekiError, to_wareki

LABEL_SIZE = 6.5  # pt: the printed labels
VALUE_SIZE = 11.0  # pt: the filled values (shrunk to fit)
SPACE = "\u3000"  # joins several fields: 山田　太郎

Member = Mapping[str, Any]


def render(forms: Iterable[CounterForm] | Mapping[str, CounterForm], household: Mapping[str, Any], *,
           lang: str = "ja", procedures: Iterable[str] = (), font_path: str | Path | None = None,
           created: dt.datetime | None = None) -> bytes:
    """The forms filled from ``household`` as one PDF. ``procedures``: the visit's procedure ids
    (tick a form's 届出の種類). ``lang``: the titles' second line (the forms themselves stay in
    Japanese, as the city's paper). ``font_path``: PDF_FONT_PATH (None: the usual places)."""
    if isinstance(forms, Mapping):
        forms = forms.values()
    forms = list(forms)
    titles = "・".join(f.title.ja for f in forms)
    doc = Document(find_font(font_path), title=titles, created=created)
    visit = set(procedures)
    for form in forms:
        _draw_form(doc, form, household, visit, lang)
    if doc.pages == 0:
        doc.add_page()  # an empty PDF is not a PDF readers open
    return doc.output()


def _draw_form(doc: Document, form: CounterForm, household: Mapping[str, Any], visit: set[str], lang: str) -> None:
    members = [m for m in household.get("members") or [] if isinstance(m, Mapping)]
    chosen = {t.id: [m for m in members if all(m.get(k) == v for k, v in t.where.items())] for t in form.tables}
    pages = max([1, *(math.ceil(len(chosen[t.id]) / t.rows) for t in form.tables)])
    for page in range(pages):
        doc.add_page()
        title = form.title.ja + (f"（続き {page + 1}/{pages}）" if pages > 1 else "")
        doc.text(105 - doc.width_of(title, 16) / 2, 8, title, size=16)
        if lang not in ("ja", "easy"):
            sub = form.title.get(lang)
            doc.text(105 - doc.width_of(sub, 7) / 2, 14.3, sub, size=7)
        for words in form.texts:
            doc.text(*words.at, words.text, size=words.size)
        for box in form.boxes:
            x, y = box.at
            w, h = box.size
            doc.box(x, y, w, h, thick=box.thick)
            doc.text(x + 1, y + 0.8, box.label, size=LABEL_SIZE)
            _draw_value(doc, box, x, y, w, h, household, None, members, visit, label_above=True)
        for table in form.tables:
            rows = chosen[table.id][page * table.rows:(page + 1) * table.rows]
            _draw_table(doc, table, rows, household, members, visit)
        doc.text(8, 289, f"{form.id} — {form.source_url}", size=5)


def _draw_table(doc: Document, table: Table, rows: list[Member], household: Mapping[str, Any],
                members: list[Member], visit: set[str]) -> None:
    x0, y = table.at
    if table.label:
        doc.text(x0, y, table.label, size=8)
        y += 5
    width = table.width()
    doc.shade(x0, y, width, table.header_height)
    doc.box(x0, y, width, table.header_height + table.rows * table.row_height, thick=True)
    x = x0
    for column in table.columns:
        doc.fit_text(x + 1, y + (table.header_height - 2.6) / 2, column.width - 2, column.label, size=7, min_size=4)
        if x > x0:
            doc.line(x, y, x, y + table.header_height + table.rows * table.row_height)
        x += column.width
    y += table.header_height
    for r in range(table.rows):
        doc.line(x0, y, x0 + width, y)
        member = rows[r] if r < len(rows) else None
        if member is not None:
            x = x0
            for column in table.columns:
                _draw_value(doc, column, x, y, column.width, table.row_height, household, member, members, visit,
                            label_above=False)
                x += column.width
        y += table.row_height


def _draw_value(doc: Document, cell: Cell, x: float, y: float, w: float, h: float, household: Mapping[str, Any],
                member: Member | None, members: list[Member], visit: set[str], *, label_above: bool) -> None:
    top = y + (3.6 if label_above else 0)
    room = h - (top - y)
    if cell.format == "checkbox":
        raw = _raw(cell, household, member, members)
        cx, cy = x + 1.5, top + max(0.3, (room - 3.2) / 2)
        for option in cell.options:
            if option.procedure is not None:
                ticked = option.procedure in visit
            elif option.equals is not None and raw is not None:
                ticked = raw == option.equals or (isinstance(option.equals, str) and str(raw) == option.equals)
            else:
                ticked = False  # the resident or staff tick it
            doc.checkbox(cx, cy, size=3.2, checked=ticked)
            doc.text(cx + 4, cy - 0.1, option.label, size=8.5)
            cx += 4 + doc.width_of(option.label, 8.5) + 3
        return
    text = value_of(cell, household, member, members) or cell.blank
    if not text:
        return
    size = min(VALUE_SIZE, max(5.0, (room - 1) * 2.2))  # pt fitting the room left (1 mm ≈ 2.8 pt)
    doc.fit_text(x + 1.5, top + max(0.2, (room - size / 2.83) / 2), w - 3, text, size=size)


def _raw(cell: Cell, household: Mapping[str, Any], member: Member | None, members: list[Member]) -> Any:
    for path in cell.field:
        value = lookup(household, path, member, members)
        if value not in (None, ""):
            return value
    return None


def value_of(cell: Cell, household: Mapping[str, Any], member: Member | None = None,
             members: list[Member] | None = None) -> str:
    """The cell's text as printed: its fields formatted and joined, else its fallback's; "" when none."""
    if members is None:
        members = [m for m in household.get("members") or [] if isinstance(m, Mapping)]
    for paths in (cell.field, cell.fallback):
        parts = []
        for path in paths:
            value = lookup(household, path, member, members)
            who = member if member is not None else _member_of(path, members)
            text = format_value(value, cell.format, who)
            if text:
                parts.append(text)
        if parts:
            return SPACE.join(parts)
    return ""


def lookup(household: Mapping[str, Any], path: str, member: Member | None = None,
           members: list[Member] | None = None) -> Any:
    """The value at ``path`` (a counter_forms path); ``member`` is the row of ``members[*]``."""
    m = _MEMBER_PATH.match(path)
    if m:
        selector, key = m.groups()
        if selector == "*":
            row = member
        else:
            row = _member_of(path, members if members is not None else household.get("members") or [])
        return row.get(key) if isinstance(row, Mapping) else None
    here: Any = household
    for part in path.split("."):
        here = here.get(part) if isinstance(here, Mapping) else None
    return here


def _member_of(path: str, members: list[Member]) -> Member | None:
    m = _MEMBER_PATH.match(path)
    if not m or m.group(1) == "*":
        return None
    selector = m.group(1)
    if not selector.isdigit():  # head, spouse: the first member with that relationship
        return next((x for x in members if x.get("relationship") == selector), None)
    index = int(selector)
    return members[index] if index < len(members) else None


_RELATIONSHIP = {"head": "世帯主", "child": "子"}


def format_value(value: Any, fmt: str, member: Member | None = None) -> str:
    """``value`` as the paper form prints it ("" for nothing)."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    text = str(value).strip()
    if fmt in ("wareki", "date"):
        try:
            day = dt.date.fromisoformat(text)
            return to_wareki(day, with_weekday=False) if fmt == "wareki" else f"{day.year}年{day.month}月{day.day}日"
        except (ValueError, WarekiError):
            return text
    if fmt == "kana":
        return normalize_kana(text)
    if fmt == "hiragana":
        return katakana_to_hiragana(text)
    if fmt == "postcode":
        digits = "".join(c for c in text if c.isdigit())
        return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else text
    if fmt == "phone":
        digits = "".join(c for c in text if c.isdigit())
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}" if len(digits) == 11 else text
    if fmt == "sex":
        return {"male": "男", "female": "女"}.get(text, "")
    if fmt == "relationship":
        sex = (member or {}).get("sex")
        if text == "spouse":
            return {"male": "夫", "female": "妻"}.get(sex, "配偶者")
        if text == "parent":
            return {"male": "父", "female": "母"}.get(sex, "親")
        if text == "other":
            return str((member or {}).get("relationship_text") or "その他")
        return _RELATIONSHIP.get(text, text)
    return text
