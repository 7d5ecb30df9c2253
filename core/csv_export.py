"""Rows → CSV bytes that Excel opens correctly and safely. Plain Python: no Flask, no database.

- UTF-8 with a byte order mark (without it Japanese Excel reads the file as Shift_JIS: 文字化け);
  or, with :func:`to_csv_shift_jis`, Shift_JIS (Windows-31J / cp932) for older systems that read
  nothing else. A character that has no Shift_JIS code (𠮷 U+20BB7, many 異体字, emoji) is never
  replaced silently: :func:`shift_jis_unmappable` lists each one with its row, column and code
  point, and :func:`to_csv_shift_jis` raises :class:`ShiftJisUnmappable` (carrying that list)
  instead of writing a file with 〓 in place of a name.
- CRLF line ends; cells with commas, quotes or line breaks are quoted (RFC 4180).
- CSV injection: a text cell starting with ``=`` ``+`` ``-`` ``@``, a tab or a carriage return
  (and their full-width forms ＝ ＋ － ＠, which Japanese Excel also reads as a formula) gets a
  leading single quote, so a spreadsheet shows it as text instead of running it as a formula.
  Numbers (int, float, Decimal) are written as they are: a number cannot carry a formula, and
  ``-3`` must stay a number.

    from core.csv_export import to_csv
    body = to_csv([["日付", "件数"], [date(2026, 4, 1), 12]])
    Response(body, mimetype="text/csv; charset=utf-8", headers={"Content-Disposition": ...})
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value: object) -> str:
    """One cell as text: None → "", dates in ISO form, formula-like text prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """All ``rows`` (the first one is usually the header) as CSV bytes: UTF-8 with BOM, CRLF."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class Unmappable:
    """One character that Shift_JIS (cp932) cannot hold: where it is (1-based row and column of
    the rows as given, the header being row 1), the column's heading, the row's first cell (the
    record's key, e.g. the 受付番号) and the character with its code point."""

    row: int
    column: int
    heading: str
    key: str
    char: str

    @property
    def code_point(self) -> str:
        return f"U+{ord(self.char):04X}"


class ShiftJisUnmappable(ValueError):
    """The rows hold characters that Shift_JIS cannot encode; ``problems`` lists each of them."""

    def __init__(self, problems: list[Unmappable]):
        self.problems = problems
        super().__init__(", ".join(f"{p.char} {p.code_point} (row {p.row}, column {p.column})"
                                   for p in problems[:10]))


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def shift_jis_unmappable(rows: Iterable[Iterable[object]]) -> list[Unmappable]:
    """Every character of the cells that cp932 cannot encode, in row and column order."""
    problems: list[Unmappable] = []
    header: list[str] = []
    for r, row in enumerate(rows, 1):
        cells = [neutralise(cell) for cell in row]
        if r == 1:
            header = cells
        for c, text in enumerate(cells, 1):
            if text.isascii():
                continue
            for ch in dict.fromkeys(text):  # each character once per cell
                if not _encodable(ch):
                    problems.append(Unmappable(row=r, column=c, heading=header[c - 1] if c <= len(header) else "",
                                               key=cells[0] if cells else "", char=ch))
    return problems


def to_csv_shift_jis(rows: Iterable[Iterable[object]]) -> bytes:
    """The same CSV in Shift_JIS (cp932, no BOM). Raises :class:`ShiftJisUnmappable` when a
    cell holds a character cp932 cannot encode (nothing is replaced)."""
    rows = [list(row) for row in rows]
    problems = shift_jis_unmappable(rows)
    if problems:
        raise ShiftJisUnmappable(problems)
    # neutralised as the spreadsheet will read it: cp932 maps some characters onto others (U+2212
    # MINUS SIGN becomes 0x817C, read back as － U+FF0D, a formula start), so the cells go there
    # and back before the check
    mapped = [[_as_cp932_reads(cell) for cell in row] for row in rows]
    return to_csv(mapped).decode("utf-8")[len(BOM):].encode("cp932")


def _as_cp932_reads(cell: object) -> object:
    return cell.encode("cp932").decode("cp932") if isinstance(cell, str) else cell
