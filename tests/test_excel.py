"""``tables.xlsx`` as a statistics office publishes it (issue 11, item 5): title, bold frozen
header, source and notes under the table, number formats, fitted widths, Norwegian names."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from evalkit.document.excel import Sheet, sheet_name, write_workbook


def _sheet() -> Sheet:
    frame = pd.DataFrame(
        {
            "Fylke": ["Troms og Finnmark", "Oslo", "=1+1"],
            "Prosjekter": pd.array([16, ":", 4], dtype=object),
            "Andel": [0.917, 0.5, 0.25],
            "Tildelt": pd.array([1_865_000, 2_900_000, 120_000], dtype="Int64"),
        }
    )
    return Sheet(
        name="Målgrupper og tilbud",
        frame=frame,
        title="Tabell 2. Prosjekter per fylke 2022",
        kinds={"Prosjekter": "int", "Andel": "share", "Tildelt": "nok"},
        source="fylkenes rapportering til Helsedirektoratet 2022; beregninger: evalkit",
        notes=[": = prikket (færre enn 3 prosjekter)"],
    )


def test_a_sheet_reads_as_a_published_table(tmp_path):
    path = write_workbook(tmp_path / "tables.xlsx", [_sheet()])
    ws = load_workbook(path)["Målgrupper og tilbud"]  # æøå kept in the name
    assert ws["A1"].value == "Tabell 2. Prosjekter per fylke 2022" and ws["A1"].font.b
    assert [c.value for c in ws[3]] == ["Fylke", "Prosjekter", "Andel", "Tildelt"]
    assert all(c.font.b for c in ws[3])
    assert ws.freeze_panes == "A4"  # the header stays in view
    # numbers are numbers with their formats; the suppressed cell is the text ":"
    assert ws["B4"].value == 16 and ws["B4"].number_format == "#,##0"
    assert ws["B5"].value == ":" and ws["B5"].data_type == "s"
    assert ws["C4"].value == 0.917 and ws["C4"].number_format == "0.0%"
    assert ws["D5"].value == 2_900_000 and ws["D5"].number_format == '#,##0" kr"'
    # text left, numbers (and the ":" in a number column) right
    assert ws["A4"].alignment.horizontal == "left"
    assert {ws[c].alignment.horizontal for c in ("B4", "B5", "C4", "D4")} == {"right"}
    # a formula-looking name is a string cell
    assert ws["A6"].value == "=1+1" and ws["A6"].data_type == "s"
    # source and notes under the table, after one empty row
    assert ws["A7"].value is None
    assert ws["A8"].value.startswith("Kilde: fylkenes rapportering")
    assert ws["A9"].value == ": = prikket (færre enn 3 prosjekter)"
    # widths fit the longest value: "Troms og Finnmark" is 17 characters
    assert ws.column_dimensions["A"].width >= 17
    assert ws.column_dimensions["A"].width < 30
    # "2 900 000 kr" is 12 characters
    assert ws.column_dimensions["D"].width >= 12


def test_sheet_names_are_valid_and_unique():
    long = "Forskjeller mellom fylker og kategorier i 2022"
    # cut where a word ends, not on a joining word («og»)
    assert sheet_name(long) == "Forskjeller mellom fylker"
    assert sheet_name("Andeler per år og Cochran–Armitage-test for trend") == "Andeler per år"
    assert len(sheet_name("x" * 40)) == 31
    assert sheet_name("Andel: ja/nei?") == "Andel- ja-nei-"
    first = sheet_name(long)
    second = sheet_name(long, [first])
    assert second != first and len(second) <= 31 and second.endswith("(2)")


def test_demo_document_workbook(tmp_path):
    """Every sheet of a demo year's workbook: «Tabell N. …» in A1, a bold frozen header with
    Norwegian column names, numbers as numbers, the source line under the table."""
    import re

    from evalkit import document
    from evalkit.evaluation import evaluate

    ev = evaluate("frisklivs_lms", 2023)
    write_workbook(tmp_path / "tables.xlsx", document.tables(ev))
    wb = load_workbook(tmp_path / "tables.xlsx")
    # machine names («ci_low», «target_group.annet») and metrics.json's plain keys
    machine = re.compile(r"[a-z0-9]+([_.][a-z0-9]+)+|key|metric|label|count|n|share|missing")
    numbers = 0
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith("Tabell ") and ws["A1"].font.b
        header = [c.value for c in ws[3] if c.value is not None]
        assert header and all(c.font.b for c in ws[3] if c.value is not None)
        assert not [h for h in header if machine.fullmatch(h)], ws.title  # no English keys
        assert ws.freeze_panes == "A4"
        texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
        assert any(t.startswith("Kilde: syntetiske demodata") for t in texts), ws.title
        numbers += sum(isinstance(c.value, int | float) for row in ws.iter_rows() for c in row)
    # the county table's total: 22 000 000 in 2023 in the column «Tildelt (kr)», a number
    # with thousands grouped, as the document shows it
    county = next(ws for ws in wb.worksheets if "Prosjekter, kommuner" in ws.title)
    assert county["D3"].value == "Tildelt (kr)"
    total = next(r for r in county.iter_rows() if r[0].value == "I alt")
    assert total[3].value == 22_000_000 and total[3].number_format.startswith("#,##0;")
    assert numbers > 100


def test_totals_row_is_set_apart_and_headers_have_room(tmp_path):
    frame = pd.DataFrame({"Fylke": ["Oslo", "I alt"], "Prosjekter": [11, 11]})
    path = write_workbook(tmp_path / "t.xlsx", [Sheet("Fylker", frame, title="Tabell 1. Fylker")])
    ws = load_workbook(path)["Fylker"]
    assert [c.value for c in ws[5]] == ["I alt", 11]
    assert all(c.font.b and c.border.top.style == "thin" for c in ws[5])
    assert not ws["A4"].font.b  # an ordinary row is not bold
    assert ws["A3"].font.name == "Calibri"  # a named font, not the reader's fallback
    # «Prosjekter» in bold needs more than its 10 characters
    assert ws.column_dimensions["B"].width >= 10 * 1.15


def test_lists_are_one_text_cell():
    from evalkit.inert import excel_value

    assert excel_value([2019, 2020, 2021]) == "2019, 2020, 2021"  # years of a trend test
    assert excel_value((3, 5)) == "3, 5"
