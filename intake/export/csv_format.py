"""fields-<procedure>.csv: one header row of field keys and one row of values, in UTF-8 with BOM
or Shift_JIS (cp932).

Nested values are flattened: an address ``applicant_address.postal_code``, a repeated group
``children[0].name``, a list of choices or files joined with ``|`` (files by attachment name).
Cells are written by core.csv_export (formula-like text gets a leading ``'``).

Shift_JIS: an application whose values hold a character cp932 cannot encode (𠮷, — U+2014, ü,
emoji …) is **not exported** — :class:`core.csv_export.ShiftJisUnmappable` is raised, listing every
field and character — rather than substituted: a 〓 in a name would go unnoticed in the 申請管理
system. Staff fix it by exporting that application in UTF-8 (``--encoding utf-8-sig``).
"""
from __future__ import annotations

from typing import Any

from core.csv_export import ShiftJisUnmappable, shift_jis_unmappable, to_csv, to_csv_shift_jis
from intake.export.item import ExportItem

NAME = "csv"
ENCODINGS = ("utf-8-sig", "cp932")


def flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key in value:
            flatten(value[key], f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and any(isinstance(v, dict) and "name" not in v for v in value):
        for i, v in enumerate(value):
            flatten(v, f"{prefix}[{i}]", out)
    elif isinstance(value, list):
        out[prefix] = "|".join(str(v["name"]) if isinstance(v, dict) else str(v) for v in value)
    else:
        out[prefix] = value


def rows(item: ExportItem) -> list[list[Any]]:
    flat: dict[str, Any] = {}
    flatten(item.fields, "", flat)
    return [["receipt_number", *flat], [item.receipt_number, *flat.values()]]


def unmappable(item: ExportItem) -> list[dict[str, str]]:
    """Each (field, character, code point) cp932 cannot encode."""
    return [{"field": p.heading, "char": p.char, "code_point": p.code_point} for p in shift_jis_unmappable(rows(item))]


def files(item: ExportItem) -> list[tuple[str, bytes]]:
    if item.encoding not in ENCODINGS:
        raise ValueError(f"unknown CSV encoding {item.encoding!r} (known: {', '.join(ENCODINGS)})")
    table = rows(item)
    data = to_csv_shift_jis(table) if item.encoding == "cp932" else to_csv(table)
    return [(f"fields-{item.procedure_id}.csv", data)]


__all__ = ["NAME", "ShiftJisUnmappable", "files", "flatten", "rows", "unmappable"]
