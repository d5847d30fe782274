"""The fast pass over an xlsx sheet (:class:`evalkit.bounds._SheetBytes`, issue 19): it reads
the unpacked XML a few megabytes at a time with numpy and regular expressions, and vouches for
a sheet only when it is written as Excel and openpyxl write it and every bound is within the
caps; anything else is left to the element-by-element scan, so that the same files are refused
with the same sentences.

Each sheet is written by hand (its XML in a zip archive); the numbers expected are worked out
from what it is built of. The pieces the pass reads are made as small as a few bytes
(``_SHEET_CHUNK``), so that every tag is split across two pieces somewhere.
"""

from __future__ import annotations

import zipfile
from array import array
from pathlib import Path

import pytest
from conftest import frisklivs_row, write_export
from test_hostile_bombs import _MAIN_NS, _sheet, workbook

from evalkit import bounds
from evalkit.bounds import Limits, check_bounds
from evalkit.errors import StructuralError

SHEET = "xl/worksheets/sheet1.xml"
#: Sizes of the pieces the fast pass takes: its own, and small ones that split tags.
CHUNKS = [bounds._SHEET_CHUNK, 5, 7, 64]


@pytest.fixture(params=CHUNKS, ids=lambda n: f"chunk{n}")
def chunk(request, monkeypatch):
    monkeypatch.setattr(bounds, "_SHEET_CHUNK", request.param)
    return request.param


def _cell(ref: str, text: str = "x", extra: str = "") -> bytes:
    """An inline text cell as openpyxl writes it: ``r`` first."""
    return f'<c r="{ref}"{extra} t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _row(r: int, *cells: bytes) -> bytes:
    return f'<row r="{r}">'.encode() + b"".join(cells) + b"</row>"


def _fast(path: Path, lengths: array | None = None, limits: Limits | None = None) -> bool:
    with zipfile.ZipFile(path) as archive:
        return bounds._scan_sheet_fast(
            archive, SHEET, limits or Limits(), lengths if lengths is not None else array("q")
        )


def _refusal(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(StructuralError) as err:
        check_bounds(path, limits)
    return err.value.message


# --- the fast pass vouches for sheets as programs write them ---------------------------------


def test_an_export_written_by_pandas_is_vouched_for_by_the_fast_pass(tmp_path, chunk):
    path = write_export(tmp_path / "2022.xlsx", [frisklivs_row(), frisklivs_row()])
    assert _fast(path)
    assert check_bounds(path).formulas == {}


def test_a_sheet_as_excel_writes_it_is_vouched_for(tmp_path, chunk):
    # Excel: a used range, r and spans on each row, styles, shared strings, a self-closing
    # empty styled cell, numbers
    rows = b"".join(
        f'<row r="{r}" spans="1:3" x14ac:dyDescent="0.25"><c r="A{r}" s="1" t="s"><v>0</v></c>'
        f'<c r="B{r}"><v>{r}.5</v></c><c r="C{r}" s="2"/></row>'.encode()
        for r in range(1, 40)
    )
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet '
        + _MAIN_NS
        + b' xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
        b'<dimension ref="A1:C39"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        b'<cols><col min="1" max="3" width="9"/></cols><sheetData>'
        + rows
        + b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        b'header="0.3" footer="0.3"/></worksheet>'
    )
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert _fast(path, array("q", [12]))


# --- what it leaves to the element-by-element scan -------------------------------------------


@pytest.mark.parametrize(
    "cells",
    [
        b'<c t="inlineStr"><is><t>x</t></is></c>',  # no reference (column counted on)
        b'<c t="n" r="B2"><v>1</v></c>',  # the reference not first
        b"<c r='B2'><v>1</v></c>",  # other quotes
        b'<c r="b2"><v>1</v></c>',  # small letters
        b'<c r="ABCD2"><v>1</v></c>',  # four letters, past any column Excel has
        b'<c r="B2"><f>1+1</f></c>',  # a formula
        b'<c r="B2"><f t="shared" si="0"/></c>',  # a formula, self-closing
        b'<x:c r="B2"><x:v>1</x:v></x:c>',  # a prefix
        b'<c r="B2"><is><t>x<!-- <c r="C2"> --></t></is></c>',  # a comment
        b'<c r="B2"><is><t><![CDATA[<c r="C2">]]></t></is></c>',  # CDATA
        b'<c r="B2"><?pi <c r="C2"?></c>',  # a processing instruction
        b'<c\tr="B2"><v>1</v></c>',  # a tab before the reference
    ],
)
def test_a_sheet_written_otherwise_is_left_to_the_element_scan(tmp_path, chunk, cells):
    sheet = _sheet(_row(1, _cell("A1")), _row(2, _cell("A2"), cells))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert not _fast(path)


@pytest.mark.parametrize(
    "row",
    [b"<row>", b'<row spans="1:2" r="2">', b'<row r="">', b'<row r="1234567890123456">'],
)
def test_a_row_written_otherwise_is_left_to_the_element_scan(tmp_path, chunk, row):
    sheet = _sheet(_row(1, _cell("A1")), row + _cell("A2") + b"</row>")
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert not _fast(path)


# --- the same refusals, whichever scan makes them --------------------------------------------


def test_rows_past_the_cap_are_refused(tmp_path, chunk):
    sheet = _sheet(_row(1, _cell("A1")), _row(200_001, _cell("A200001")))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "Sheet 'Sheet1' uses 200 001 rows" in _refusal(path)


def test_a_cell_in_the_last_column_is_refused(tmp_path, chunk):
    # row 700, column XFD (16 384): 700 x 16 384 = 11 468 800 cells, over 10 000 000
    sheet = _sheet(_row(1, _cell("A1")), _row(700, _cell("B700"), _cell("XFD700")))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "700 rows by 16 384 columns (11 468 800 cells)" in _refusal(path)


def test_a_self_closing_cell_in_the_last_column_is_refused(tmp_path, chunk):
    sheet = _sheet(_row(1, _cell("A1")), _row(700, b'<c r="XFD700"/>'))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "700 rows by 16 384 columns (11 468 800 cells)" in _refusal(path)


def test_a_used_range_of_the_whole_sheet_is_refused(tmp_path, chunk):
    sheet = _sheet(_row(1, _cell("A1")), dimension="A1:XFD1048576")
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    message = _refusal(path)
    assert "'A1:XFD1048576'" in message and "1 048 576 rows" in message


def test_cells_past_the_cap_are_counted_though_they_share_one_place(tmp_path, chunk):
    # 60 cells all at A1: one row by one column, 60 cells, over a cap of 50
    sheet = _sheet(_row(1, *[_cell("A1")] * 60))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "Sheet 'Sheet1' holds more than 50 cells" in _refusal(path, Limits(cells=50))
    assert check_bounds(path, Limits(cells=60)).kind == "xlsx"


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path, chunk):
    sheet = _sheet(_row(1, _cell("A1")), _row(2, _cell("A2", "x" * 40_000)))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "Sheet 'Sheet1' cell A2 holds more than 32 767 characters" in _refusal(path)


def test_a_cell_of_runs_each_short_but_long_together_is_refused(tmp_path, chunk):
    # two formatted runs of 20 000 characters: 40 000 in the cell, over 32 767
    run = b"<r><t>" + b"y" * 20_000 + b"</t></r>"
    cell = b'<c r="A2" t="inlineStr"><is>' + run + run + b"</is></c>"
    path = workbook(tmp_path / "2022.xlsx", {SHEET: _sheet(_row(1, _cell("A1")), _row(2, cell))})
    assert "Sheet 'Sheet1' cell A2 holds more than 32 767 characters" in _refusal(path)


def test_a_cell_of_32_767_characters_between_long_tags_is_read(tmp_path, chunk):
    # Excel's limit exactly, then a row and a cell whose tags are long (bytes that are no
    # text): the fast pass counts text outside tags where the bytes alone pass the cap
    pad = " ".join(f'a{i}="{i}"' for i in range(2_000)).encode()
    sheet = _sheet(
        _row(1, _cell("A1")),
        _row(2, _cell("A2", "z" * 32_767)),
        b'<row r="3" ' + pad + b">" + _cell("A3") + b"</row>",
    )
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert _fast(path)
    assert check_bounds(path).kind == "xlsx"


@pytest.mark.parametrize(
    "chunk", CHUNKS[:1] + CHUNKS[-1:], indirect=True, ids=lambda n: f"chunk{n}"
)
def test_a_long_shared_text_repeated_by_many_cells_is_refused(tmp_path, chunk):
    # the 7 000 cells at the default piece and at 64 bytes (tags split across pieces); at 5 and
    # 7 bytes the same cells cost seconds and split nothing the other tests do not
    # one shared string of 30 000 characters, pointed at by 7 000 cells of the canonical form:
    # 210 000 000 characters once written out, over 200 MB; 6 000 cells (180 MB) pass
    strings = (
        b'<?xml version="1.0"?><sst ' + _MAIN_NS + b"><si><t>" + b"y" * 30_000 + b"</t></si></sst>"
    )

    def sheet(n: int) -> bytes:
        rows = (f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>'.encode() for r in range(2, n))
        return _sheet(_row(1, _cell("A1")), *rows)

    parts = {"xl/sharedStrings.xml": strings, SHEET: sheet(7_002)}
    path = workbook(tmp_path / "2022.xlsx", parts)
    assert "more than 200 MB of text once written out" in _refusal(path)
    parts = {"xl/sharedStrings.xml": strings, SHEET: sheet(6_002)}
    path = workbook(tmp_path / "ok.xlsx", parts)
    assert _fast(path, array("q", [30_000]))
    assert check_bounds(path).kind == "xlsx"


# --- formulas and prefixes: told element by element -----------------------------------------


def test_formula_cells_without_a_value_are_found_in_a_prefixed_sheet(tmp_path, chunk):
    # B2 and C3 hold a formula and no value; B3's has a saved value; C2 is text
    main = _MAIN_NS.replace(b"xmlns=", b"xmlns:x=")
    sheet = (
        b"<x:worksheet " + main + b"><x:sheetData>"
        b'<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>'
        b'<x:row r="2"><x:c r="B2"><x:f>1+1</x:f></x:c>'
        b'<x:c r="C2" t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c></x:row>'
        b'<x:row r="3"><x:c r="B3"><x:f>1+1</x:f><x:v>2</x:v></x:c>'
        b'<x:c r="C3"><x:f>2+2</x:f><x:v></x:v></x:c></x:row>'
        b"</x:sheetData></x:worksheet>"
    )
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert check_bounds(path).formula_cells("Sheet1") == [(2, 2), (3, 3)]


def test_a_prefixed_cell_in_the_last_column_is_refused(tmp_path, chunk):
    main = _MAIN_NS.replace(b"xmlns=", b"xmlns:x=")
    sheet = (
        b"<x:worksheet " + main + b'><x:sheetData><x:row r="700"><x:c r="B700"/>'
        b'<x:c r="XFD700"/></x:row></x:sheetData></x:worksheet>'
    )
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "700 rows by 16 384 columns (11 468 800 cells)" in _refusal(path)


# --- a cell stands where its reference says --------------------------------------------------


def test_a_cell_naming_row_1048576_inside_row_1_is_refused(tmp_path, chunk):
    # the readers put a cell in the row its reference names (calamine then sets room aside
    # for 1 048 576 rows by 30 columns), whatever row element holds it
    sheet = _sheet(_row(1, _cell("A1"), b'<c r="AD1048576"><v>1</v></c>'))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "Sheet 'Sheet1' uses 1 048 576 rows" in _refusal(path)


def test_rows_out_of_order_are_refused_by_the_highest(tmp_path, chunk):
    # row 150 000 first, then row 1 reaching column ZZ (702): 150 000 x 702 = 105 300 000
    # cells, over 10 000 000, though neither row alone is
    sheet = _sheet(_row(150_000, _cell("A150000")), _row(1, _cell("A1"), _cell("ZZ1")))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert "uses 150 000 rows by 702 columns (105 300 000 cells)" in _refusal(path)


@pytest.mark.parametrize("ref", ["B99999", "B100002", "B1000000", "B12345678"])
def test_a_cell_below_the_last_row_element_raises_the_rows_counted(tmp_path, chunk, ref):
    # 100 001 rows; a cell of the last one names a row below it: the cap is set between
    sheet = _sheet(_row(1, _cell("A1")), _row(100_001, _cell("A100001"), _cell(ref)))
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    named = int(ref[1:])
    top = max(named, 100_001)
    cells = 10**9  # not the cap met here
    assert check_bounds(path, Limits(rows=top, cells=cells)).kind == "xlsx"
    message = _refusal(path, Limits(rows=top - 1, cells=cells))
    assert f"uses {top:,} rows".replace(",", " ") in message


@pytest.mark.parametrize(
    ("dimension", "refused"),
    [('ref="A1:B&#50;"', False), ('ref="A1:XFD&#49;048576"', True), ('r="1" ref="A1:B2"', False)],
)
def test_a_used_range_written_otherwise_is_left_to_the_element_scan(
    tmp_path, chunk, dimension, refused
):
    # a character reference (&#50; is 2, &#49; is 1) or another attribute first
    sheet = _sheet(_row(1, _cell("A1"))).replace(
        b"<sheetData>", f"<dimension {dimension}/><sheetData>".encode()
    )
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert not _fast(path)
    if refused:
        assert "'A1:XFD1048576'" in _refusal(path)
    else:
        assert check_bounds(path).kind == "xlsx"


def test_a_sheet_in_utf_16_is_left_to_the_element_scan(tmp_path, chunk):
    # no byte pattern of the fast pass matches UTF-16; the cell in column XFD of row 700 is
    # found by the element scan: 700 x 16 384 = 11 468 800 cells
    sheet = _sheet(_row(1, _cell("A1")), _row(700, b'<c r="XFD700"/>'))
    sheet = sheet.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")
    path = workbook(tmp_path / "2022.xlsx", {SHEET: sheet})
    assert not _fast(path)
    assert "700 rows by 16 384 columns (11 468 800 cells)" in _refusal(path)
