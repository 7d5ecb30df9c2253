"""Rows → CSV bytes that Excel opens correctly and safely. Plain Python: no Flask, no database.

- UTF-8 with a byte order mark (without it Japanese Excel reads the file as Shift_JIS: 文字化け);
  or, with :func:`to_csv_shift_jis`, Shift_JIS (Windows-31J / cp932) for older systems that read
  nothing else: a character that has no Shift_JIS code becomes 〓 (the usual 下駄 mark).
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


SHIFT_JIS_MISSING = "〓"  # 下駄: what a character without a Shift_JIS code becomes


def to_csv_shift_jis(rows: Iterable[Iterable[object]]) -> bytes:
    """The same CSV in Shift_JIS (cp932, no BOM); characters it cannot hold become 〓."""
    text = to_csv(rows).decode("utf-8")[len(BOM):]
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp932")
        except UnicodeEncodeError:
            out += SHIFT_JIS_MISSING.encode("cp932")
    return bytes(out)
