"""Nothing read can escape (issue 16): `evalkit layout` finds the header row as `validate`
does, prints no cell value (a file whose first rows are data exits 2) and no control
character; the text cells of tables.xlsx that start like a formula carry quotePrefix."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
import yaml
from conftest import FRISKLIV, frisklivs_row, write_export
from openpyxl import Workbook, load_workbook

from evalkit import cli, inert
from evalkit.config import load_scheme_file
from evalkit.document.excel import Sheet, write_workbook
from evalkit.read import read_export

#: The contact's personal data in every row of :func:`conftest.frisklivs_row`.
CONTACT = ("Kari Hemmelig", "kari@hemmelig.invalid", "99999999")
#: The questback-2022 layout: every header of the export -> its field (from the scheme YAML).
QUESTBACK = FRISKLIV.layouts["questback-2022"].headers
#: What a terminal must never be given raw, written here independently of evalkit: the C0
#: controls but line feed, DEL, the C1 controls, the bidirectional embeddings, overrides,
#: isolates and marks, the line and paragraph separators.
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


def _rows() -> list[dict]:
    return [
        frisklivs_row(),
        frisklivs_row(respondent_id="1002", county="Nordland", project_name="Mestring i Bodø"),
        frisklivs_row(respondent_id="1003", county="Vestland", project_name="Frisklivsresept"),
    ]


def _write_rows(path: Path, rows: list[list[object]]) -> Path:
    """Rows of cells as a ;-separated CSV file or a workbook (no header added)."""
    if path.suffix == ".xlsx":
        wb = Workbook()
        for cells in rows:
            wb.active.append(cells)
        wb.save(path)
    else:
        frame = pd.DataFrame(rows)
        frame.to_csv(path, sep=";", index=False, header=False, encoding="utf-8-sig")
    return path


def _layout(capsys, path: Path) -> tuple[int, str, str]:
    code = cli.main(["layout", str(path), "--scheme", "frisklivs_lms"])
    out, err = capsys.readouterr()
    return code, out, err


def _values(rows: list[dict]) -> set[str]:
    """The cell values that must never be printed: every one that is not also a header or a
    word the output holds anyway (the option «Frisklivssentralen» is in its header)."""
    words = {"Frisklivssentralen"} | set(QUESTBACK)
    return {str(v) for row in rows for v in row.values() if len(str(v)) > 3} - words


# --- the header row ----------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_of_data_rows_only_exits_2_and_prints_no_value(tmp_path, capsys, suffix):
    rows = _rows()
    path = _write_rows(tmp_path / f"2023{suffix}", [list(r.values()) for r in rows])
    code, out, err = _layout(capsys, path)
    assert code == 2
    assert out == ""
    assert "No header row found" in err and str(path) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for value in CONTACT:
        assert value not in err
    for value in _values(rows):
        assert value not in err, value


def test_one_data_row_with_every_box_ticked_is_not_a_header_row(tmp_path, capsys):
    """The hardest case: one row, nothing below it, every checkbox holding the option's
    name (the same words as the field's label); half its cells read like headers."""
    ticked = {f: h.split(" - ", 1)[1] for h, f in QUESTBACK.items() if " - " in h}
    assert len(ticked) == 15  # 5 actors, 9 subgoals and target_group_other, by the YAML
    row = frisklivs_row(**ticked)
    path = _write_rows(tmp_path / "2023.csv", [list(row.values())])
    code, out, err = _layout(capsys, path)
    assert code == 2 and out == "" and "No header row found" in err
    for value in CONTACT:
        assert value not in err


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_header_row_below_a_data_row_is_the_one_proposed_from(tmp_path, capsys, suffix):
    rows = _rows()
    header = list(rows[0])
    cells = [list(rows[0].values()), header] + [list(r.values()) for r in rows[1:]]
    path = _write_rows(tmp_path / f"2023{suffix}", cells)
    code, out, err = _layout(capsys, path)
    assert code == 0, err
    for value in CONTACT:
        assert value not in out + err
    for value in _values(rows):
        assert value not in out + err, value
    assert "(header row 2)" in err and "(header row 2)" in out
    proposed = yaml.safe_load(out)["proposed-2023"]
    # the header row is the questback-2022 form as it stands: every header its own field
    assert proposed["headers"] == QUESTBACK
    assert set(proposed["personal_data"]) == {"Kontaktperson", "E-post", "Telefon"}


def test_a_form_with_every_header_reworded_is_still_proposed(tmp_path, capsys):
    """No header of a known layout is left (so the search finds no row), but the first row
    reads like headers: it is the header row."""
    reworded = {
        "Respondent": "Respondent-ID",
        "Fylke": "Fylket",
        "Prosjektnavn": "Prosjektets navn",
        "Tildelt beløp (kr)": "Tildelt tilskudd, kroner",
        "Kontaktperson": "Kontaktperson for prosjektet",
    }
    rows = [{reworded[h]: r[h] for h in reworded} for r in _rows()]
    path = write_export(tmp_path / "2023.csv", rows)
    code, out, err = _layout(capsys, path)
    assert code == 0, err
    proposed = yaml.safe_load(out)["proposed-2023"]
    assert proposed["headers"] == {
        "Respondent-ID": "respondent_id",
        "Fylket": "county",
        "Prosjektets navn": "project_name",
        "Tildelt tilskudd, kroner": "grant_nok",
    }
    assert proposed["personal_data"] == ["Kontaktperson for prosjektet"]
    assert "Kari Hemmelig" not in out + err


# --- control characters ------------------------------------------------------------------
HOSTILE = {
    "Prosjektnavn": "\x1b]0;pwned\x07Prosjektnavn",  # sets the window title
    "Fylke": "\x1b[31mFylke\x1b[0m",  # colours the terminal
    "Type tilbud": "Type tilbud\x1b]52;c;ZWNobyBoaQ==\x07",  # OSC 52: writes the clipboard
    "Målgruppe": "Målgruppe\u202e",  # right-to-left override
    "Kommune(r)": "\x9b31mKommune(r)\x7f",  # C1 CSI and DEL
}
#: Worded like no field: listed as unmatched, in the comments and the summary.
UNMATCHED = "\x1b]52;c;cm0gLXJmIH4=\x07"


def test_hostile_headers_reach_the_terminal_escaped_and_the_yaml_maps_them(tmp_path, capsys):
    def row(**kw):
        cells = {HOSTILE.get(h, h): v for h, v in frisklivs_row(**kw).items()}
        return cells | {UNMATCHED: "x"}

    rows = [row(), row(respondent_id="1002")]
    path = write_export(tmp_path / "2023\x1b[2J.csv", rows)  # the file's name, too
    code, out, err = _layout(capsys, path)
    assert code == 0, err
    assert not RAW_CONTROL.search(out), RAW_CONTROL.findall(out)
    assert not RAW_CONTROL.search(err), RAW_CONTROL.findall(err)
    # shown, escaped: the unmatched header in the YAML's comments and in the summary
    assert r"\x1b]52;c;cm0gLXJmIH4=\x07" in out and r"\x1b]52;c;cm0gLXJmIH4=\x07" in err
    assert r"2023\x1b[2J.csv" in out and r"2023\x1b[2J.csv" in err
    for value in CONTACT:
        assert value not in out + err

    proposed = yaml.safe_load(out)["proposed-2023"]
    field_of = {header: QUESTBACK[h] for h, header in HOSTILE.items()}
    assert {h: f for h, f in proposed["headers"].items() if h in field_of} == field_of
    assert len(proposed["headers"]) == len(QUESTBACK)

    # pasted into the scheme, the YAML reads the file: the hostile headers are its headers
    lines = FRISKLIV.path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = lines.index("layouts:\n") + 1
    scheme_yaml = tmp_path / "scheme.yaml"
    scheme_yaml.write_text("".join(lines[:at]) + out + "".join(lines[at:]), encoding="utf-8")
    raw = read_export(path, load_scheme_file(scheme_yaml))
    assert raw.layout == "proposed-2023"
    assert {raw.headers[f] for f in field_of.values()} == set(HOSTILE.values())
    assert raw.frame["project_name"].tolist() == ["Frisklivssentral i Tromsø"] * 2
    assert raw.extra_columns == [UNMATCHED]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;t\x07", r"\x1b]0;t\x07"),
        ("a\u202eb\u2066c", r"a\u202eb\u2066c"),
        ("x\ny\rz\tw", r"x\ny\rz\tw"),  # one line, as it stands
        ("\x7f\x85\x9b", r"\x7f\x85\x9b"),
        ("Tromsø – Målselv", "Tromsø – Målselv"),  # letters and dashes as they are
    ],
)
def test_visible(text, shown):
    assert inert.visible(text) == shown


# --- tables.xlsx -------------------------------------------------------------------------
FORMULA_LIKE = ["=1+1", '=HYPERLINK("http://x","klikk")', "+47 22 00 00 00", "-x", "@SUM(A1)"]


def test_text_starting_like_a_formula_carries_quote_prefix(tmp_path):
    frame = pd.DataFrame(
        {"=Navn": FORMULA_LIKE + ["Oslo"], "Antall": pd.array([1, 2, 3, 4, 5, -6], dtype="Int64")}
    )
    sheet = Sheet("Ark", frame, title="-Tabell", source="=kilde", notes=["@merknad"])
    path = write_workbook(tmp_path / "tables.xlsx", [sheet])
    # title in A1, header in row 3, six rows, one empty row, the source and the note
    prefixed = {"A1": "-Tabell", "A3": "=Navn", "A12": "@merknad"}
    prefixed |= {f"A{4 + i}": text for i, text in enumerate(FORMULA_LIKE)}
    plain = {"A9": "Oslo", "A11": "Kilde: =kilde", "B3": "Antall"}

    ws = load_workbook(path)["Ark"]
    for ref, text in prefixed.items():
        # the text itself, no apostrophe added; a string cell whose style has quotePrefix
        assert (ws[ref].value, ws[ref].data_type, ws[ref].quotePrefix) == (text, "s", True), ref
    for ref, text in plain.items():
        assert (ws[ref].value, ws[ref].data_type, ws[ref].quotePrefix) == (text, "s", False), ref
    assert (ws["B9"].value, ws["B9"].data_type, ws["B9"].quotePrefix) == (-6, "n", False)

    # the XML as Excel reads it: no formula, and the cells' xf has quotePrefix="1"
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as z:
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
        sheet_xml = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    assert not list(sheet_xml.iter(f"{main}f"))  # no cell holds a formula
    xfs = styles.find(f"{main}cellXfs").findall(f"{main}xf")
    cells = {c.get("r"): c for c in sheet_xml.iter(f"{main}c")}
    for ref in prefixed | plain:
        assert cells[ref].get("t") in ("s", "inlineStr"), ref  # text, not a formula's result
        xf = xfs[int(cells[ref].get("s", 0))]
        assert (xf.get("quotePrefix") == "1") == (ref in prefixed), ref
