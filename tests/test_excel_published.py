"""``tables.xlsx`` holds the published tables (issue 18, item 6): every sheet is a table of
``report.html`` as the document shows it (title, headers, row labels, the numbers rounded as
shown, «:» and the other text cells as shown, the source and the notes), the trends sheet
has the shares year by year and the verdict in words, and no sheet holds a ``metrics.json``
key or a full-precision fraction. The expected numbers are read from the HTML (BeautifulSoup,
and a small parser of the numbers here) and computed by hand from ``metrics.json``'s counts."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup  # nbconvert's dependency; the parser is Python's own
from openpyxl import load_workbook

NBSP = "\u00a0"

pytestmark = pytest.mark.slow

#: The verdicts of metrics.json's trend tests, in the words issue 18 gives them.
VERDICT_WORDS = {
    "increase": "økte",
    "decrease": "gikk ned",
    "increase_uneven": "økte, men ikke jevnt fra år til år",
    "decrease_uneven": "gikk ned, men ikke jevnt fra år til år",
    "uneven": "endret seg, men ikke i én retning",
    "no_change": "ingen sikker endring",
}
#: One number as the documents write it: sign, digits grouped by NBSP, decimal comma, unit.
NUMBER = re.compile(
    rf"(?P<sign>[+\u2212±]?)(?P<digits>\d{{1,3}}(?:{NBSP}\d{{3}})*(?:,(?P<dec>\d+))?)"
    rf"(?P<unit>{NBSP}%|{NBSP}kr|{NBSP}p\.p\.)?"
)


# the bokmål demo documents, built once for the run (tests/conftest.py)
@pytest.fixture
def year_doc(demo_document) -> Path:
    return demo_document("frisklivs_lms", 2024).out_path


@pytest.fixture
def samhandling_doc(demo_document) -> Path:
    return demo_document("samhandling", 2012).out_path


@pytest.fixture
def trends_doc(demo_document) -> Path:
    return demo_document("frisklivs_lms", "trends").out_path


def _html_tables(folder: Path) -> list[dict]:
    """Each table of report.html: caption, headers, body rows (cell texts; a row of a grouped
    table with its group's heading first) and the lines under it (source and notes)."""
    page = BeautifulSoup((folder / "report.html").read_text(encoding="utf-8"), "html.parser")
    tables = []
    for block in page.select("div.evalkit-table-block"):
        table = block.find("table")
        headers = [
            "" if th.select(".visually-hidden") else th.get_text()  # named for screen readers
            for th in table.select("thead > tr > th")
        ]
        rows, group = [], None
        for tr in table.select("tbody > tr"):
            cells = [cell.get_text() for cell in tr.find_all(["th", "td"], recursive=False)]
            if "group" in (tr.get("class") or []):  # «Akershus» heads the county's rows
                group = cells[0]
                continue
            rows.append(cells if group is None else [group, *cells])
        if group is not None:  # tables.xlsx keeps the group as the first column
            headers = ["(gruppe)", *headers]
        notes = [p.get_text() for p in block.select("p.note")]
        tables.append(
            {
                "caption": table.find("caption").get_text(),
                "headers": headers,
                "rows": rows,
                "notes": notes,
            }
        )
    return tables


def _sheet(ws) -> dict:
    """A sheet as written: title (A1), header (row 3), the body up to the empty row, then the
    lines under it; the cells as openpyxl reads them."""
    width = ws.max_column
    cells = [list(row) for row in ws.iter_rows(min_row=1, max_col=width)]
    body_end = next(i for i in range(3, len(cells)) if all(c.value is None for c in cells[i]))
    return {
        "title": cells[0][0].value,
        "headers": ["" if c.value is None else c.value for c in cells[2]],
        "rows": cells[3:body_end],
        "notes": [row[0].value for row in cells[body_end + 1 :] if row[0].value is not None],
    }


def _decimals(number_format: str) -> int:
    """The decimals an Excel number format shows (its first section)."""
    first = number_format.split(";")[0]
    return len(first.split(".", 1)[1].split('"')[0].rstrip("%")) if "." in first else 0


def _assert_cell_as_shown(cell, shown: str, where: str) -> None:
    """The sheet's cell holds what the document shows: the same text, or the number shown
    (rounded as shown) with a format that shows its unit and decimals."""
    value = cell.value
    if not isinstance(value, int | float) or isinstance(value, bool):
        assert (value or "") == shown, where
        return
    m = NUMBER.fullmatch(shown)
    assert m is not None, f"{where}: the sheet has the number {value!r} for the text {shown!r}"
    number = Decimal(m["digits"].replace(NBSP, "").replace(",", "."))
    if m["sign"] == "\u2212":
        number = -number
    decimals = len(m["dec"] or "")
    unit, fmt = (m["unit"] or "").strip(NBSP), cell.number_format
    assert _decimals(fmt) == decimals, (where, fmt, shown)
    if unit == "%":
        assert value == pytest.approx(float(number) / 100, abs=1e-12), where
        assert "%" in fmt, where
    else:
        assert value == pytest.approx(float(number), abs=1e-12), where
        assert ("kr" in fmt) == (unit == "kr") and ("p.p." in fmt) == (unit == "p.p."), where
    if unit in ("", "kr") and decimals == 0:
        assert isinstance(value, int), where  # counts and kroner are integers


def _assert_sheets_are_the_tables(folder: Path) -> dict[str, dict]:
    html = _html_tables(folder)
    wb = load_workbook(folder / "tables.xlsx")
    sheets = [_sheet(ws) for ws in wb.worksheets]
    assert [s["title"] for s in sheets] == [t["caption"] for t in html]
    for table, sheet in zip(html, sheets, strict=True):
        caption = table["caption"]
        grouped = table["headers"][:1] == ["(gruppe)"]
        assert sheet["headers"][grouped : len(table["headers"])] == table["headers"][grouped:]
        assert all(h == "" for h in sheet["headers"][len(table["headers"]) :]), caption
        assert len(sheet["rows"]) == len(table["rows"]), caption
        for r, (cells, shown) in enumerate(zip(sheet["rows"], table["rows"], strict=True)):
            for c, text in enumerate(shown):
                _assert_cell_as_shown(cells[c], text, f"{caption}, row {r + 1}, column {c + 1}")
        assert sheet["notes"] == table["notes"], caption  # the source line, then the notes
    return {s["title"]: s for s in sheets}


def _no_machine_values(folder: Path) -> None:
    """No metrics.json key, no full-precision fraction: every number has at most the decimals
    its format shows."""
    wb = load_workbook(folder / "tables.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str):
                    assert not re.search(r"\b(shares|subgoal|target_group|actor)\.", v), v
                    assert v not in ("share", "ci_low", "p_adjusted", "verdict", "metric"), v
                elif isinstance(v, float):
                    places = _decimals(cell.number_format) + (2 if "%" in cell.number_format else 0)
                    assert round(v, places) == v, (ws.title, cell.coordinate, v)


def _round_pct(count: int, n: int) -> float:
    """count / n as a share, rounded as a reader rounds a percent with one decimal."""
    pct = (Decimal(count) * 100 / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(pct.scaleb(-2))  # 65,1 % is 0.651, the float nearest the decimal


def test_year_sheets_are_the_published_tables(year_doc):
    sheets = _assert_sheets_are_the_tables(year_doc)
    _no_machine_values(year_doc)
    metrics = json.loads((year_doc / "metrics.json").read_text(encoding="utf-8"))
    # by hand: 11 of the 132 projects had «Personer med økt risiko for sykdom» as target group
    s = metrics["shares"]["target_group.okt_risiko"]
    assert (s["count"], s["n"]) == (11, 132)
    target = sheets["Tabell 3. Målgruppe 2024"]
    assert target["headers"][:5] == ["", "Antall", "Av", "Mangler", "Andel"]
    row = next(r for r in target["rows"] if r[0].value == "Personer med økt risiko for sykdom")
    assert [c.value for c in row[1:5]] == [11, 132, 0, 0.083]  # 8,3 %
    assert row[4].number_format.startswith("0.0%")
    assert _round_pct(11, 132) == 0.083
    # every share of the year's share tables, from its count and denominator, by hand
    checked = 0
    for sheet in sheets.values():
        if sheet["headers"][1:5] == ["Antall", "Av", "Mangler", "Andel"]:
            for r in sheet["rows"]:
                count, n, share = r[1].value, r[2].value, r[4].value
                assert share == _round_pct(count, n), (sheet["title"], r[0].value)
                checked += 1
    assert checked >= 30
    # the comparison: the differences in percentage points as numbers, the intervals as text
    comparison = sheets["Tabell 12. 2024 sammenlignet med tidligere år"]
    assert comparison["headers"][3] == "Forskjell"
    first = comparison["rows"][0]
    c = metrics["comparisons"][0]
    assert first[3].value == float(
        (Decimal(str(c["diff"])) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    )
    assert "p.p." in first[3].number_format
    assert isinstance(first[4].value, str) and " til " in first[4].value


def test_trends_sheet_has_the_shares_per_year_and_the_verdict(trends_doc):
    sheets = _assert_sheets_are_the_tables(trends_doc)
    _no_machine_values(trends_doc)
    metrics = json.loads((trends_doc / "metrics.json").read_text(encoding="utf-8"))
    years = [str(y) for y in metrics["years"]]
    trend = next(s for s in sheets.values() if "Cochran–Armitage" in s["title"])
    headers = trend["headers"]
    assert headers[1 : 1 + len(years)] == years  # a column per year
    assert headers[-1] == "Utvikling"  # the verdict
    verdict_col = headers.index("Utvikling")
    rows = [[c.value for c in r] for r in trend["rows"]]
    for record in metrics["trend_tests"]:
        # the shares year by year, from metrics.json's counts, by hand
        expected = [_round_pct(k, n) for k, n in zip(record["counts"], record["ns"], strict=True)]
        found = [r for r in rows if r[1 : 1 + len(years)] == expected]
        assert found, record["metric"]
        assert found[0][verdict_col] == VERDICT_WORDS[record["verdict"]], record["metric"]
    assert len(rows) == len(metrics["trend_tests"])
    # the county table: hidden cells are «:» as text, with the note saying why
    county = next(s for s in sheets.values() if "per fylke og år" in s["title"])
    hidden = [c for r in county["rows"] for c in r if c.value == ":"]
    assert hidden and all(c.data_type == "s" for c in hidden)
    assert any("skjult" in n for n in county["notes"])


def test_quality_sheet_keeps_the_values_of_the_file_as_text(year_doc):
    sheets = _assert_sheets_are_the_tables(year_doc)
    quality = next(s for s in sheets.values() if "Merkede celler" in s["title"])
    assert quality["headers"] == ["Rad", "Kolonne", "Verdi", "Problem", "Forklaring", "Tiltak"]
    rows = [[c.value for c in r] for r in quality["rows"]]
    # the unreadable amount of 2024 (issue 18), as the file wrote it, on its row of the file
    assert any(r[2] == "se vedlegg" and isinstance(r[0], int) for r in rows), rows
    assert not [r for r in rows if r[1] in ("county", "grant_nok", "collaboration")]


def test_samhandling_sheets_show_the_hidden_cells_and_the_grouped_list(samhandling_doc):
    sheets = _assert_sheets_are_the_tables(samhandling_doc)
    _no_machine_values(samhandling_doc)
    county = next(s for s in sheets.values() if "per fylke" in s["title"])
    oslo = next([c.value for c in r] for r in county["rows"] if r[0].value == "Oslo")
    # applications hidden, the public award shown (issue 18, item 5), as in the document
    assert oslo[:3] == ["Oslo", ":", 1]
    listing = next(s for s in sheets.values() if "liste" in s["title"])
    assert listing["headers"][0] == "Fylke"  # the group heading of the document, as a column
    assert {r[0].value for r in listing["rows"]} >= {"Oslo", "Akershus"}
