"""Workbooks read by calamine: .xlsx as before (the same tidy frame and flags as openpyxl
gives), .ods and old .xls exports read instead of refused, and the bombs of those formats
refused before a reader expands them (issue 19, item 1).

Every input is written here: the .ods files by pandas (odfpy), the .xls files by xlwt, and
the hostile parts by hand. The expected values are worked out from what each file holds.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
from pathlib import Path

import olefile
import pandas as pd
import pytest
from conftest import FRISKLIV, ROOT, frisklivs_header, frisklivs_row, write_export
from test_hostile_bombs import assert_refused, read_capped, workbook

from evalkit import paths, read
from evalkit.bounds import Limits, check_bounds
from evalkit.clean import clean_export
from evalkit.config import load_scheme
from evalkit.errors import StructuralError
from evalkit.read import read_export

xlwt = pytest.importorskip("xlwt")  # a dev dependency: the only writer of .xls files


def clean(path: Path, year: int = 2022):
    return clean_export(read_export(path, FRISKLIV), FRISKLIV, year)


def two_rows() -> list[dict]:
    """Two reports; the second has another amount and an unknown target group."""
    return [
        frisklivs_row(respondent_id="11", project_name="Lærings- og mestringstilbud på Røros"),
        frisklivs_row(respondent_id="12", grant_nok="75 000", target_group="Barn og unge"),
    ]


def flags_of(result, problem: str) -> pd.DataFrame:
    return result.flags[result.flags["problem"] == problem].reset_index(drop=True)


# --- the same as openpyxl on the demo exports ------------------------------------------------
DEMO = sorted((ROOT / "data" / "demo").glob("*/*.xlsx"))


@pytest.mark.parametrize("path", DEMO, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_demo_export_reads_and_cleans_as_with_openpyxl(path, monkeypatch):
    scheme = load_scheme(path.parent.name)
    year = int(path.stem)
    new = clean_export(read_export(path, scheme), scheme, year)
    monkeypatch.setattr(
        read, "_read_workbook", functools.partial(read._read_workbook, engine="openpyxl")
    )
    old = clean_export(read_export(path, scheme), scheme, year)
    assert len(new.tidy) > 100
    pd.testing.assert_frame_equal(new.tidy, old.tidy)
    pd.testing.assert_frame_equal(new.flags, old.flags)


def test_cells_of_every_type_are_read_as_openpyxl_reads_them(tmp_path, monkeypatch):
    """Numbers (whole, with decimals, large), dates, times, booleans, error values and text
    that pandas reads as missing: the raw frame is the same cell for cell."""
    import datetime

    import openpyxl

    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    book.active.append(frisklivs_header())
    values = [
        1,
        1.5,
        1.0,
        12345678901234567,
        -0.0,
        0.1 + 0.2,
        True,
        False,
        "NA",
        "  x ",
        "007",
        datetime.datetime(2023, 1, 2),
        datetime.date(2023, 1, 2),
        datetime.time(12, 30),
        "=1/0",
        1e20,
        1 / 3,
        "1.0",
        None,
        "",
        "#N/A",
    ]
    for i in range(len(frisklivs_header())):
        book.active.append([f"id{i}"] + [values[(i + j) % len(values)] for j in range(26)])
    book.save(path)
    new = read_export(path, FRISKLIV).frame
    monkeypatch.setattr(
        read, "_read_workbook", functools.partial(read._read_workbook, engine="openpyxl")
    )
    old = read_export(path, FRISKLIV).frame
    pd.testing.assert_frame_equal(new, old)
    # a few by hand (row i, column j holds values[(i + j) % 21]): a whole number as written,
    # a date as pandas writes a timestamp, the text «NA» missing as pandas reads it
    by_id = new.set_index("respondent_id")
    assert by_id.loc["id0", "county"] == "1" and by_id.loc["id0", "municipality_codes"] == "1.5"
    assert by_id.loc["id2", "county"] == "1"  # 1.0
    assert by_id.loc["id11", "county"] == "2023-01-02 00:00:00"
    assert pd.isna(by_id.loc["id8", "county"]) and by_id.loc["id9", "county"] == "  x "


def test_an_error_value_calamine_does_not_know_is_read_as_empty(tmp_path):
    # Excel 365's #SPILL!: calamine stops on it, openpyxl reads it as missing
    path = write_export(tmp_path / "2022.xlsx", two_rows())
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    col = frisklivs_header().index("Tildelt beløp (kr)")
    ref = f"{chr(65 + col)}3"
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, n = re.subn(
        rf'<c r="{ref}"[^>]*>.*?</c>', f'<c r="{ref}" t="e"><v>#SPILL!</v></c>', sheet
    )
    assert n == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    res = clean(path)
    t = res.tidy.set_index("respondent_id")
    assert t.loc["11", "grant_nok"] == 150_000 and pd.isna(t.loc["12", "grant_nok"])
    assert flags_of(res, "missing_required")["row"].tolist() == [3]


# --- .ods -----------------------------------------------------------------------------------
def write_ods(path: Path, rows: list[dict], *, startrow: int = 0, cover: bool = False) -> Path:
    """The rows as pandas writes an .ods (odfpy), under ``startrow`` empty rows, on a second
    sheet «Svar» after a cover sheet when ``cover``."""
    with pd.ExcelWriter(path, engine="odf") as writer:
        if cover:
            pd.DataFrame([["Eksport fra Questback"]]).to_excel(
                writer, sheet_name="Forside", index=False, header=False
            )
        pd.DataFrame(rows).to_excel(writer, sheet_name="Svar", index=False, startrow=startrow)
    return path


def test_an_ods_export_is_read_like_the_same_xlsx(tmp_path):
    ods = clean(write_ods(tmp_path / "2022.ods", two_rows()))
    xlsx = clean(write_export(tmp_path / "2022.xlsx", two_rows()))
    pd.testing.assert_frame_equal(ods.tidy, xlsx.tidy)
    t = ods.tidy.set_index("respondent_id")
    assert t.loc["12", "grant_nok"] == 75_000 and t.loc["11", "municipality_codes"] == "5401"
    assert flags_of(ods, "unknown_category")[["row", "value"]].values.tolist() == [
        [3, "Barn og unge"]
    ]


def test_an_ods_with_a_cover_sheet_and_rows_above_the_header(tmp_path):
    path = write_ods(tmp_path / "2022.ods", two_rows(), startrow=2, cover=True)
    res = clean(path)
    assert res.tidy["_row"].tolist() == [4, 5]  # the header on row 3 of «Svar»
    assert flags_of(res, "unknown_category")["row"].tolist() == [5]
    assert flags_of(res, "header_not_first_row")["row"].tolist() == [3]
    assert "«Forside»" in flags_of(res, "sheet_not_first")["detail"].iloc[0]


def test_an_ods_export_is_found_by_its_year(tmp_path, caplog):
    (tmp_path / "frisklivs_lms").mkdir()
    write_ods(tmp_path / "frisklivs_lms" / "2023.ods", two_rows())
    assert paths.available_years(tmp_path, "frisklivs_lms") == [2023]
    assert not caplog.records  # no «is not read» warning


def _ods_content(path: Path, extra: str = "", change=None) -> Path:
    """The .ods with ``extra`` put at the end of its sheet, or its content changed by
    ``change``."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    content = parts["content.xml"].decode()
    assert content.count("</table:table>") == 1
    content = (
        change(content) if change else content.replace("</table:table>", extra + "</table:table>")
    )
    parts["content.xml"] = content.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else None)
    return path


def test_an_ods_with_a_formula_saved_without_a_value_flags_it(tmp_path):
    # the second report's amount (the only «75 000»): a formula with no value, as a program
    # that computes nothing writes it
    def formula(content: str) -> str:
        amount = r'<table:table-cell [^>]*office:string-value="75 000"[^>]*>.*?</table:table-cell>'
        content, n = re.subn(amount, '<table:table-cell table:formula="of:=50000+25000"/>', content)
        assert n == 1
        return content

    path = _ods_content(write_ods(tmp_path / "2022.ods", two_rows()), change=formula)
    res = clean(path)
    t = res.tidy.set_index("respondent_id")
    assert pd.isna(t.loc["12", "grant_nok"]) and t.loc["11", "grant_nok"] == 150_000
    formula = flags_of(res, "formula_without_value")
    assert formula[["row", "column", "field"]].values.tolist() == [
        [3, "Tildelt beløp (kr)", "grant_nok"]
    ]


def test_an_ods_saved_with_a_password_is_named_as_such(tmp_path):
    # LibreOffice encrypts content.xml and says how in the manifest (ODF 1.2, 3.4)
    path = write_ods(tmp_path / "2022.ods", two_rows())
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    entry = b'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    assert entry in parts["META-INF/manifest.xml"]
    parts["META-INF/manifest.xml"] = parts["META-INF/manifest.xml"].replace(
        entry,
        entry[:-2] + b'><manifest:encryption-data manifest:checksum-type="SHA1/1K" '
        b'manifest:checksum="x"/></manifest:file-entry>',
    )
    parts["content.xml"] = bytes(range(256)) * 8  # encrypted: no XML
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    assert "password-protected" in str(err.value)


def test_trailing_empty_rows_repeated_as_libreoffice_writes_them_are_read(tmp_path):
    # LibreOffice ends a sheet with a row of empty cells repeated to the last row: not content
    path = _ods_content(
        write_ods(tmp_path / "2022.ods", two_rows()),
        '<table:table-row table:number-rows-repeated="1048573">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>',
    )
    seconds, message = read_capped(path)
    assert message == "read 2 rows"


def test_an_ods_repeating_a_row_a_million_times_is_refused(tmp_path):
    # 28 bytes of XML stand for a million rows of 27 cells: rows 4 to 1 000 003
    row = '<table:table-cell office:value-type="string"><text:p/></table:table-cell>' * 27
    path = _ods_content(
        write_ods(tmp_path / "2022.ods", two_rows()),
        f'<table:table-row table:number-rows-repeated="1000000">{row}</table:table-row>',
    )
    assert path.stat().st_size < 10_000
    assert_refused(path, "rows", "Sheet 'Svar' uses 1 000 003 rows", "cap of 200 000")


def test_an_ods_repeating_a_cell_across_columns_is_refused(tmp_path):
    cell = (
        '<table:table-cell table:number-columns-repeated="16000000" '
        'office:value-type="float" office:value="1"/>'
    )
    path = _ods_content(
        write_ods(tmp_path / "2022.ods", two_rows()),
        f"<table:table-row>{cell}</table:table-row>",
    )
    # row 4, columns 1 to 16 000 000: 64 000 000 cells
    assert_refused(path, "cells", "4 rows by 16 000 000 columns", "cap of 10 000 000")


def test_an_ods_cell_of_a_billion_spaces_is_refused(tmp_path):
    cell = (
        '<table:table-cell office:value-type="string">'
        '<text:p>a<text:s text:c="1000000000"/></text:p></table:table-cell>'
    )
    path = _ods_content(
        write_ods(tmp_path / "2022.ods", two_rows()), f"<table:table-row>{cell}</table:table-row>"
    )
    assert_refused(path, "cell_chars", "Sheet 'Svar' row 4", "cap of 32 767")


# --- .xls -----------------------------------------------------------------------------------
def write_xls(path: Path, rows: list[dict], *, above: int = 0, numbers: dict | None = None) -> Path:
    """The rows as an old Excel file (xlwt, BIFF8), under ``above`` rows with a title; cells
    of ``numbers`` ({(row index, header): number}) written as numbers."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Ark1")
    if above:
        sheet.write(0, 0, "Frisklivsrapporter")
    header = list(rows[0])
    for j, h in enumerate(header):
        sheet.write(above, j, h)
    for i, row in enumerate(rows):
        for j, (h, v) in enumerate(row.items()):
            sheet.write(above + 1 + i, j, (numbers or {}).get((i, h), v))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return path


def test_an_xls_export_is_read_like_the_same_xlsx(tmp_path):
    xls = clean(write_xls(tmp_path / "2022.xls", two_rows()))
    xlsx = clean(write_export(tmp_path / "2022.xlsx", two_rows()))
    pd.testing.assert_frame_equal(xls.tidy, xlsx.tidy)
    pd.testing.assert_frame_equal(xls.flags, xlsx.flags)
    assert xls.tidy.set_index("respondent_id").loc["12", "grant_nok"] == 75_000


def test_an_xls_with_a_title_row_and_numbers(tmp_path):
    path = write_xls(
        tmp_path / "2022.xls",
        two_rows(),
        above=2,
        numbers={(1, "Tildelt beløp (kr)"): 75000, (0, "Kommunenummer"): 5401},
    )
    res = clean(path)
    assert res.tidy["_row"].tolist() == [4, 5]  # header on row 3
    t = res.tidy.set_index("respondent_id")
    assert t.loc["12", "grant_nok"] == 75_000 and t.loc["11", "municipality_codes"] == "5401"
    assert flags_of(res, "header_not_first_row")["row"].tolist() == [3]


def test_an_xls_named_xlsx_is_read(tmp_path):
    path = write_xls(tmp_path / "x.xls", two_rows()).rename(tmp_path / "2022.xlsx")
    assert clean(path).n_read == 2
    assert check_bounds(path).kind == "xls"


def test_an_xls_using_a_far_cell_is_refused(tmp_path):
    path = write_xls(tmp_path / "2022.xls", two_rows())
    book = xlwt.Workbook()
    book.add_sheet("Ark1").write(65_535, 255, "x")  # IV65536, the last cell of a BIFF8 sheet
    book.save(str(path))
    # rows 1 to 65 536 by columns 1 to 256: 16 777 216 cells
    assert_refused(path, "cells", "65 536 rows by 256 columns", "cap of 10 000 000")


def test_an_xls_declaring_a_billion_shared_strings_is_refused(tmp_path):
    path = write_xls(tmp_path / "2022.xls", two_rows())
    data = bytearray(path.read_bytes())
    with olefile.OleFileIO(str(path)) as ole:
        stream = ole.openstream("Workbook").read()
    # the SST record: type 0x00FC, its length, then the total and the distinct count
    at = stream.index(b"\xfc\x00")
    total, distinct = struct.unpack_from("<II", stream, at + 4)
    assert total >= distinct > 0
    record = stream[at : at + 12]
    assert data.count(record) == 1  # the stream lies in the file as it is
    data[data.index(record) + 8 : data.index(record) + 12] = struct.pack("<I", 1_000_000_000)
    path.write_bytes(bytes(data))
    assert_refused(path, "shared_strings", "declares 1 000 000 000 distinct texts")


def test_an_xls_whose_sheet_lies_past_its_end_is_one_sentence(tmp_path):
    # the workbook says its sheet begins 2 GB into a stream of a few kilobytes: calamine
    # panics (a Rust panic, not an exception), which is told as the file not being readable
    path = write_xls(tmp_path / "2022.xls", two_rows())
    data = bytearray(path.read_bytes())
    with olefile.OleFileIO(str(path)) as ole:
        stream = ole.openstream("Workbook").read()
    record = stream[stream.index(b"\x85\x00") :][:12]  # BOUNDSHEET: the sheet's offset first
    assert data.count(record) == 1
    at = data.index(record)
    data[at + 4 : at + 8] = struct.pack("<I", 0x7FFFFFF0)
    path.write_bytes(bytes(data))
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    assert "could not be read (the workbook reader stopped" in str(err.value)


def test_an_old_excel_file_named_csv_is_named_as_such(tmp_path):
    path = write_xls(tmp_path / "x.xls", two_rows()).rename(tmp_path / "2022.csv")
    with pytest.raises(StructuralError, match=r"old Excel file \(\.xls.*not a \.csv file"):
        read_export(path, FRISKLIV)


# --- archives that are no workbook, and the xlsx shared strings' declared count -------------
def test_a_web_page_saved_as_xls_could_not_be_read(tmp_path):
    path = tmp_path / "2022.xls"
    path.write_bytes(b"<html><table><tr><td>Respondent</td></tr></table></html>")
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    assert "could not be read as a workbook" in str(err.value)


@pytest.mark.parametrize(
    ("parts", "says"),
    [
        ({"xl/workbook.bin": b"\0"}, "Excel binary workbook (.xlsb)"),
        ({"content.xml": b"<x/>"}, "both an Excel workbook and an OpenDocument spreadsheet"),
    ],
)
def test_an_archive_of_another_kind_or_of_two_kinds_is_refused(tmp_path, parts, says):
    path = write_export(tmp_path / "2022.xlsx", two_rows())
    with zipfile.ZipFile(path, "a") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    assert says in str(err.value)


def test_shared_strings_declaring_a_count_past_the_cap_are_refused(tmp_path):
    # calamine sets room aside for the declared count (4e9 strings, 96 GB) and aborts
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org'
        b'/spreadsheetml/2006/main" count="1" uniqueCount="4000000000"><si><t>a</t></si></sst>'
    )
    path = workbook(tmp_path / "2022.xlsx", {"xl/sharedStrings.xml": sst})
    assert_refused(path, "shared_strings", "declares 4 000 000 000 distinct texts")


def test_the_caps_pass_every_fixture_workbook(tmp_path):
    rows = [frisklivs_row(respondent_id=str(1000 + i)) for i in range(300)]
    assert check_bounds(write_ods(tmp_path / "2022.ods", rows), Limits()).kind == "ods"
    assert check_bounds(write_xls(tmp_path / "2022.xls", rows), Limits()).kind == "xls"


# --- CSV: read by pyarrow where it reads as pandas does (issue 19, item 6) --------------------
_CSV = {
    "plain": ("a;b;c\n1;2;3\n4;;6\n", True),
    "quoted empty": ('a;b;c\n1;"";3\n', True),
    "text after a closing quote": ('a;b;c\n1;"ab"c;3\n', True),
    "quotes inside unquoted fields": ('a;b;c\n1;ab"c;d"e\n', True),
    "line breaks in quoted fields": ('a;b;c\r\n1;"x\r\ny";"p\nq"\r\n', True),
    "carriage returns alone": ("a;b;c\r1;2;3\r", True),
    "spaces kept": ('a;b;c\n 1 ; "x";3 \n', True),
    "doubled quotes": ('a;b;c\n1;"x""y";""""\n', True),
    "a blank line": ("a;b;c\n1;2;3\n\n4;5;6\n", True),
    "texts pandas would take for missing": ("a;b;c\nNA;null;nan\n", True),
    "a header named twice, one empty": ("a;a;;c\n1;2;3;4\n", True),
    "a header with a line break": ('"a\nx;y";b;c\n1;2;3\n', True),
    "byte-order mark and Norwegian letters": ("\ufeffa;bø;c\n1;æøå 😀;3\n", True),
    "header only": ("a;b;c\n", True),
    "a row short of fields": ("a;b;c\n1;2\n", False),
    "a row with a field too many": ("a;b;c\n1;2;3;4\n", False),
    "a line of spaces": ("a;b;c\n1;2;3\n  \n4;5;6\n", False),
    "a backslash": ("a;b;c\n1;x\\;y;3\n", False),
    "header without a line end": ("a;b;c", False),
}


@pytest.mark.parametrize("name", list(_CSV))
def test_a_csv_is_read_as_pandas_reads_it(tmp_path, name, monkeypatch):
    text, by_arrow = _CSV[name]
    data = text.encode()
    used = []
    arrow = read._read_csv_arrow
    monkeypatch.setattr(read, "_read_csv_arrow", lambda *a: used.append(f := arrow(*a)) or f)
    got = read._read_csv(tmp_path / "2022.csv", data)
    expected = pd.read_csv(
        io.BytesIO(data),
        sep=";",
        encoding="utf-8-sig",
        dtype="string",
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
    )
    pd.testing.assert_frame_equal(got, expected)
    assert (used[0] is not None) == by_arrow  # read by pyarrow, or by pandas after it


def test_a_large_csv_is_read_by_pyarrow_as_pandas_reads_it(tmp_path):
    rows = [
        frisklivs_row(respondent_id=str(i), project_name=f'Prosjekt "{i}"; del {i % 7}')
        for i in range(3000)
    ]
    path = write_export(tmp_path / "2022.csv", rows)
    data = path.read_bytes()
    frame = read._read_csv_arrow(
        data,
        {
            "sep": ";",
            "encoding": "utf-8-sig",
            "dtype": "string",
            "keep_default_na": False,
            "na_values": [""],
            "skip_blank_lines": False,
        },
    )
    assert frame is not None and len(frame) == 3000
    pd.testing.assert_frame_equal(
        frame,
        pd.read_csv(
            path,
            sep=";",
            encoding="utf-8-sig",
            dtype="string",
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        ),
    )
    assert frame["Prosjektnavn"].iloc[5] == 'Prosjekt "5"; del 5'
