"""core.csv_export: UTF-8 with BOM, CRLF, RFC 4180 quoting, formula-like cells neutralised."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from core.csv_export import BOM, neutralise, to_csv


def parse(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_utf8_with_bom_and_crlf_line_ends_for_excel():
    data = to_csv([["日付", "件数"], [dt.date(2026, 4, 1), 12]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data == "\ufeff日付,件数\r\n2026-04-01,12\r\n".encode()
    assert b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize("cell", ["=1+1", "+81-79-421-2000", "-2+3", "@SUM(A1:A2)", "\tx", "\rx",
                                  '=HYPERLINK("http://evil.example","click")', "＝1+1", "＠SUM(A1)"])
def test_formula_like_text_gets_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell
    assert parse(to_csv([[cell]])) == [["'" + cell]]


@pytest.mark.parametrize("cell", ["転入届", "a=b", "1-2", "", " =1", "'=already"])
def test_ordinary_text_is_left_alone(cell):
    assert neutralise(cell) == cell


def test_numbers_dates_and_none():
    assert [neutralise(v) for v in (-3, 2.5, Decimal("-1.50"), None, True, dt.date(2026, 1, 2))] == \
        ["-3", "2.5", "-1.50", "", "TRUE", "2026-01-02"]


def test_commas_quotes_and_line_breaks_are_quoted_and_round_trip():
    rows = [["a,b", 'say "hi"', "line1\r\nline2", "=cmd|' /C calc'!A0"]]
    data = to_csv(rows)
    assert b'"a,b"' in data and b'"say ""hi"""' in data
    assert parse(data) == [["a,b", 'say "hi"', "line1\r\nline2", "'=cmd|' /C calc'!A0"]]


def test_empty_input_is_just_the_bom():
    assert to_csv([]) == BOM.encode("utf-8")
