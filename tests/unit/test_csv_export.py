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


# --- Shift_JIS: never a silent replacement -------------------------------------------------------

from core.csv_export import ShiftJisUnmappable, shift_jis_unmappable, to_csv_shift_jis  # noqa: E402


def test_shift_jis_round_trips_what_cp932_holds_including_ibm_extensions():
    rows = [["受付番号", "氏名", "住所"], ["261127-000001", "髙橋 﨑子", "兵庫県加古川市①丁目"], ["=1+1", -3, None]]
    data = to_csv_shift_jis(rows)
    assert not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\r\n")
    back = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    assert back == [["受付番号", "氏名", "住所"], ["261127-000001", "髙橋 﨑子", "兵庫県加古川市①丁目"], ["'=1+1", "-3", ""]]
    assert shift_jis_unmappable(rows) == []


def test_each_unmappable_character_is_reported_with_row_column_and_code_point():
    rows = [["受付番号", "氏名", "メモ"], ["A-1", "𠮷田 太郎", "ok"], ["A-2", "山田", "𠮷𠮷 and 🙂 and — 〜"]]
    problems = shift_jis_unmappable(rows)
    assert [(p.row, p.column, p.heading, p.key, p.char, p.code_point) for p in problems] == [
        (2, 2, "氏名", "A-1", "𠮷", "U+20BB7"),
        (3, 3, "メモ", "A-2", "𠮷", "U+20BB7"),  # once per cell
        (3, 3, "メモ", "A-2", "🙂", "U+1F642"),
        (3, 3, "メモ", "A-2", "—", "U+2014"),  # EM DASH: cp932 has only ― (U+2015)
    ]  # 〜 (U+301C) is JIS X 0208 0x8160, which Windows reads as ～: the same character, not a loss
    with pytest.raises(ShiftJisUnmappable) as refused:
        to_csv_shift_jis(rows)
    assert refused.value.problems == problems and "U+20BB7" in str(refused.value)
    assert "𠮷田 太郎" in to_csv(rows).decode("utf-8")  # the UTF-8 file keeps everything


@pytest.mark.parametrize("cell", ["\u2212" + "1+1", "\u2212SUM(A1)"])
def test_shift_jis_neutralises_what_the_encoding_turns_into_a_formula(cell):
    """U+2212 MINUS SIGN is not a formula start, but cp932 stores it as 0x817C, which a
    spreadsheet reads as － (U+FF0D): the quote must be there in the Shift_JIS file."""
    from core.csv_export import to_csv_shift_jis
    cells = list(csv.reader(io.StringIO(to_csv_shift_jis([[cell]]).decode("cp932"), newline="")))
    assert cells == [["'" + "\uff0d" + cell[1:]]]
