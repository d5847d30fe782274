"""Odd files read or explained: CSVs in every encoding Excel writes, workbooks with a title
above the header or the data on another sheet, stray spaces and capitals in file names, and
formula cells saved without a value.

Every input is written here, in the test; the expected values are the ones written."""

from __future__ import annotations

import codecs
import logging
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import FRISKLIV, frisklivs_row, write_export

from evalkit import paths
from evalkit.clean import clean_export
from evalkit.errors import EvalkitError, StructuralError
from evalkit.evaluation import load_year
from evalkit.read import read_export


def clean(path: Path, year: int = 2022):
    return clean_export(read_export(path, FRISKLIV), FRISKLIV, year)


def two_rows() -> list[dict]:
    """Two reports; the second has an unknown target group (flagged in its row)."""
    return [
        frisklivs_row(respondent_id="11", project_name="Lærings- og mestringstilbud på Røros"),
        frisklivs_row(
            respondent_id="12",
            county="Vestland",
            municipality_codes="4601",
            municipality_names="Bergen",
            grant_nok="75 000",
            target_group="Barn og unge",
        ),
    ]


def write_sheet(sheet, rows: list[dict], above: list[list] = ()) -> None:
    """Rows of values above the header (title rows), then the header, then the rows."""
    for values in above:
        sheet.append(values)
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))


def flags_of(result, problem: str) -> pd.DataFrame:
    return result.flags[result.flags["problem"] == problem].reset_index(drop=True)


# --- CSV encodings -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bom", "codec", "sep"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le", "\t"),  # Excel's «Unicode-tekst»
        (codecs.BOM_UTF16_BE, "utf-16-be", "\t"),
        (codecs.BOM_UTF8, "utf-8", ";"),  # Excel's «CSV UTF-8»
        (b"", "cp1252", ";"),  # Excel's «CSV (semikolondelt)» on Norwegian Windows
        (b"", "utf-8", ","),
    ],
)
def test_csv_in_every_encoding_excel_writes(tmp_path, bom, codec, sep):
    text = pd.DataFrame(two_rows()).to_csv(sep=sep, index=False, lineterminator="\r\n")
    path = tmp_path / "2022.csv"
    path.write_bytes(bom + text.encode(codec))
    if codec == "cp1252":  # really Windows-1252: «ø» is the one byte 0xF8
        assert b"R\xf8ros" in path.read_bytes()
    if codec.startswith("utf-16"):  # really UTF-16: every ASCII letter has a NUL beside it
        assert b"\x00" in path.read_bytes()
    res = clean(path)
    assert res.n_read == 2
    t = res.tidy.set_index("respondent_id")
    assert t.loc["11", "project_name"] == "Lærings- og mestringstilbud på Røros"
    assert t.loc["11", "municipality_codes"] == "5401"
    assert t.loc["12", "grant_nok"] == 75_000
    unknown = flags_of(res, "unknown_category")
    assert unknown[["row", "column", "value"]].values.tolist() == [[3, "Målgruppe", "Barn og unge"]]


def test_utf16_without_a_byte_order_mark_is_explained(tmp_path):
    text = pd.DataFrame(two_rows()).to_csv(sep="\t", index=False)
    path = tmp_path / "2022.csv"
    path.write_bytes(text.encode("utf-16-le"))  # no mark
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    msg = str(err.value)
    assert str(path) in msg and "NUL" in msg and "UTF-16" in msg and "CSV UTF-8" in msg


# --- where the header is in a workbook ----------------------------------------------------
def test_title_rows_above_the_header(tmp_path):
    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    write_sheet(book.active, two_rows(), above=[["Frisklivsrapporter 2022"], [], ["Utskrift"]])
    book.save(path)
    res = clean(path)
    assert res.n_read == 2
    assert res.tidy["_row"].tolist() == [5, 6]  # header on row 4, as Excel shows it
    assert res.tidy["project_name"].tolist()[0] == "Lærings- og mestringstilbud på Røros"
    unknown = flags_of(res, "unknown_category")
    assert unknown[["row", "column"]].values.tolist() == [[6, "Målgruppe"]]
    header = flags_of(res, "header_not_first_row")
    assert header["row"].tolist() == [4] and header["action"].tolist() == ["noted"]
    assert "rad 1–3" in header["detail"].iloc[0]


def test_data_on_the_second_sheet_after_a_cover_sheet(tmp_path):
    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Forside"
    book.active.append(["Eksport fra Questback"])
    book.active.append(["Frisklivs- og LMS-tilskudd 2022"])
    write_sheet(book.create_sheet("Svar"), two_rows(), above=[["Alle svar"]])
    book.save(path)
    res = clean(path)
    assert res.n_read == 2
    assert res.tidy.set_index("respondent_id").loc["12", "grant_nok"] == 75_000
    assert flags_of(res, "unknown_category")["row"].tolist() == [4]  # header row 2 on «Svar»
    sheet = flags_of(res, "sheet_not_first")
    assert len(sheet) == 1 and sheet["action"].iloc[0] == "noted"
    assert "«Svar»" in sheet["detail"].iloc[0] and "«Forside»" in sheet["detail"].iloc[0]


def test_two_sheets_with_the_header_is_an_error_naming_both(tmp_path):
    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Ark1"
    write_sheet(book.active, two_rows())
    write_sheet(book.create_sheet("Kopi"), two_rows(), above=[["Kopi av eksporten"], []])
    book.save(path)
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    msg = str(err.value)
    assert "sheet 'Ark1' row 1" in msg and "sheet 'Kopi' row 3" in msg
    assert str(path) in msg and "To fix:" in msg


def test_missing_column_names_the_header_row_used(tmp_path):
    rows = [
        {("Respondent-ID" if k == "Respondent" else k): v for k, v in r.items()} for r in two_rows()
    ]
    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Forside"])
    write_sheet(book.create_sheet("Data"), rows, above=[["Tittel"], []])
    book.save(path)
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    msg = str(err.value)
    assert "'Respondent' is missing" in msg and "row 3 of sheet 'Data'" in msg
    assert "'Respondent-ID'" in msg  # the nearest header present


def test_header_on_row_one_of_the_first_sheet_raises_no_read_flag(tmp_path):
    path = write_export(tmp_path / "2022.xlsx", two_rows())
    book = openpyxl.load_workbook(path)
    book.create_sheet("Om dataene").append(["Notater, ikke svar"])
    book.save(path)
    res = clean(path)
    assert res.tidy["_row"].tolist() == [2, 3]
    assert not res.flags["problem"].isin(["sheet_not_first", "header_not_first_row"]).any()


# --- formulas --------------------------------------------------------------------------------
def test_formula_without_a_saved_value_gets_its_own_flag(tmp_path):
    rows = two_rows()
    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    write_sheet(sheet, rows, above=[["Frisklivsrapporter"]])  # header on row 2
    amount_col = list(rows[0]).index("Tildelt beløp (kr)") + 1
    sheet.cell(row=4, column=amount_col, value="=50000+25000")  # openpyxl saves no value
    book.save(path)
    assert "<f>50000+25000</f>" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    res = clean(path)
    t = res.tidy.set_index("respondent_id")
    assert pd.isna(t.loc["12", "grant_nok"]) and t.loc["11", "grant_nok"] == 150_000
    formula = flags_of(res, "formula_without_value")
    assert formula[["row", "column", "field", "action"]].values.tolist() == [
        [4, "Tildelt beløp (kr)", "grant_nok", "set_missing"]
    ]
    assert "Åpne filen i Excel og lagre den på nytt" in formula["detail"].iloc[0]


def test_a_workbook_of_formulas_only_without_values_is_explained(tmp_path):
    header = list(two_rows()[0])
    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append([f"=Kilde!{chr(65 + i)}2" for i in range(len(header))])
    book.save(path)
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    msg = str(err.value)
    assert "row 2" in msg and "formulas" in msg and "save it again" in msg


def _save_values(path: Path, values: dict[str, tuple[str, str]]) -> None:
    """Give formula cells the value Excel would have saved with them: ``{"H3": ("str",
    "klikk")}`` turns ``<c r="H3"><f>…</f><v/></c>`` into ``<c r="H3" t="str"><f>…</f>
    <v>klikk</v></c>``."""
    name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts[name].decode()
    for ref, (kind, value) in values.items():
        xml, n = re.subn(
            rf'<c r="{ref}"><f>(.*?)</f><v\s*/>',
            rf'<c r="{ref}" t="{kind}"><f>\1</f><v>{value}</v>',
            xml,
        )
        assert n == 1, ref
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_a_formula_with_a_saved_value_is_read_as_that_value_never_evaluated(tmp_path):
    rows = two_rows()
    header = list(rows[0])
    path = tmp_path / "2022.xlsx"
    book = openpyxl.Workbook()
    write_sheet(book.active, rows)

    def cell(column: str) -> str:  # the cell of the second report (row 3) in a column
        return f"{openpyxl.utils.get_column_letter(header.index(column) + 1)}3"

    book.active[cell("Prosjektnavn")] = '=HYPERLINK("http://x.invalid","klikk")'
    book.active[cell("Tildelt beløp (kr)")] = "=1+1"
    book.active[cell("Målgruppe - annet, spesifiser")] = '=IF(1=1,"","x")'
    book.save(path)
    # the saved values differ from what the formulas would give, so reading them shows that
    # the saved value is what is read; the third formula's saved value is empty text
    _save_values(
        path,
        {
            cell("Prosjektnavn"): ("str", "Saved name"),
            cell("Tildelt beløp (kr)"): ("n", "80000"),
            cell("Målgruppe - annet, spesifiser"): ("str", ""),
        },
    )
    res = clean(path)
    t = res.tidy.set_index("respondent_id")
    assert t.loc["12", "project_name"] == "Saved name"
    assert t.loc["12", "grant_nok"] == 80_000
    assert pd.isna(t.loc["12", "target_group_other"])
    assert flags_of(res, "formula_without_value").empty


# --- file names --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["2023 .xlsx", "2023.XLSX", " 2023.Xlsx", "2023.xlsx "])
def test_stray_spaces_and_capitals_in_the_name_are_found(tmp_path, name):
    path = write_export(tmp_path / "frisklivs_lms" / "export.xlsx", two_rows())
    path = path.rename(path.with_name(name))
    assert paths.available_years(tmp_path, "frisklivs_lms") == [2023]
    assert paths.find_export(tmp_path, "frisklivs_lms", 2023) == path
    assert load_year("frisklivs_lms", 2023, tmp_path).n_read == 2


def test_two_exports_for_one_year_name_both(tmp_path):
    folder = tmp_path / "frisklivs_lms"
    write_export(folder / "2023.xlsx", two_rows())
    write_export(folder / "x.xlsx", two_rows()).rename(folder / "2023 .xlsx")
    with pytest.raises(EvalkitError) as err:
        paths.available_years(tmp_path, "frisklivs_lms")
    assert "'2023 .xlsx'" in str(err.value) and "'2023.xlsx'" in str(err.value)


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("2023.xlsb", "save it as «Excel-arbeidsbok (.xlsx)»"),  # .xls and .ods are read
        ("2023.numbers", "export it from Numbers as .xlsx"),
        ("2023 (1).xlsx", "rename it to 2023.xlsx"),
        ("rapport_2023.csv", "rename it to 2023.csv"),
    ],
)
def test_an_odd_unusable_name_is_a_warning(tmp_path, caplog, name, fix):
    folder = tmp_path / "frisklivs_lms"
    folder.mkdir()
    (folder / name).write_bytes(b"not read")
    write_export(folder / "2022.csv", two_rows())
    (folder / "README.md").write_text("notes")  # not an export: no warning
    with caplog.at_level(logging.WARNING, logger="evalkit.paths"):
        assert paths.available_years(tmp_path, "frisklivs_lms") == [2022]
        assert paths.find_export(tmp_path, "frisklivs_lms", 2023) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once, however often the folder is looked at
    assert str(folder / name) in warnings[0] and fix in warnings[0]
