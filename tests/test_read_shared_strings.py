"""The header search of an xlsx reads its shared strings as cells ask for them
(:func:`evalkit.read._open_read_only`, issue 19): the texts are those openpyxl reads (runs
joined, references resolved, ``x005F_`` taken out), and a table written otherwise is read whole
by openpyxl. Each workbook is built by hand (its sheet and shared strings as XML in a zip
archive); the texts expected are worked out from the XML.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from conftest import FRISKLIV, frisklivs_row, write_export
from test_hostile_bombs import _MAIN_NS, _sheet, workbook

from evalkit.read import _open_read_only, _SharedStrings, read_export

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


def _table(*items: bytes, prefix: bytes = b"") -> bytes:
    main = _MAIN_NS.replace(b"xmlns=", b"xmlns:" + prefix[:-1] + b"=") if prefix else _MAIN_NS
    head = b'<?xml version="1.0" encoding="UTF-8"?><' + prefix + b"sst " + main + b">"
    return head + b"".join(items) + b"</" + prefix + b"sst>"


def _pointing(count: int) -> bytes:
    """A sheet of one row, its cells pointing at shared strings 0 to ``count - 1``."""
    cells = b"".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>'.encode() for i in range(count))
    return _sheet(b'<row r="1">' + cells + b"</row>")


def _first_row(path) -> tuple[list, object]:
    book = _open_read_only(io.BytesIO(path.read_bytes()))
    try:
        row = next(book.worksheets[0].iter_rows(max_row=1, values_only=True))
        return list(row), book.worksheets[0]._shared_strings  # what its cells read
    finally:
        book.close()


ITEMS = [
    b"<si><t>Prosjektnavn</t></si>",
    b"<si><r><t>Til</t></r><r><rPr><b/></rPr><t>delt</t></r></si>",  # runs joined
    b"<si><t>A &amp; B &#248;</t></si>",  # references resolved
    b'<si><t xml:space="preserve"> x </t></si>',
    b"<si><t>a_x005F_x000D_b</t></si>",  # openpyxl takes out x005F_
    b"<si><t/></si>",
]
EXPECTED = ["Prosjektnavn", "Tildelt", "A & B ø", " x ", "a_x000D_b", ""]


def test_shared_strings_are_read_as_cells_ask_for_them(tmp_path):
    path = workbook(tmp_path / "2022.xlsx", {SHEET: _pointing(6), STRINGS: _table(*ITEMS)})
    row, strings = _first_row(path)
    assert isinstance(strings, _SharedStrings) and len(strings) == 6
    assert row == EXPECTED


@pytest.mark.parametrize(
    "table",
    [
        # a prefix on every element, bound on the table
        _table(
            *[i.replace(b"<", b"<x:").replace(b"<x:/", b"</x:") for i in ITEMS],
            prefix=b"x:",
        ),
        # an attribute on one shared string, a comment
        _table(*ITEMS[:5], b'<si xml:space="preserve"><t/></si>'),
        _table(*ITEMS, b"<!-- a comment -->"),
    ],
)
def test_a_table_written_otherwise_is_read_whole_by_openpyxl(tmp_path, table):
    path = workbook(tmp_path / "2022.xlsx", {SHEET: _pointing(6), STRINGS: table})
    row, strings = _first_row(path)
    assert not isinstance(strings, _SharedStrings)
    assert row == EXPECTED


def test_an_export_of_shared_strings_is_read_as_the_same_export_inline(tmp_path):
    # the export as pandas writes it (texts inline), and the same cells pointing at shared
    # strings as Excel writes them, under a title row: the same header row, the same table
    rows = [frisklivs_row(), frisklivs_row(respondent_id="1002", county="Agder")]
    texts: dict[str, int] = {}

    def row(r: int, values: list[str]) -> bytes:
        cells = []
        for j, value in enumerate(values):
            ref = (chr(65 + j) if j < 26 else "A" + chr(39 + j)) + str(r)
            if value != "":  # an empty cell is left out, as Excel does
                i = texts.setdefault(value, len(texts))
                cells.append(f'<c r="{ref}" t="s"><v>{i}</v></c>'.encode())
        return f'<row r="{r}">'.encode() + b"".join(cells) + b"</row>"

    lines = [row(1, ["Rapport 2022"]), row(2, list(rows[0]))]
    lines += [row(r, [str(v) for v in values.values()]) for r, values in enumerate(rows, 3)]
    items = [f"<si><t>{t}</t></si>".encode() for t in texts]
    shared = workbook(tmp_path / "2022.xlsx", {SHEET: _sheet(*lines), STRINGS: _table(*items)})
    plain = write_export(tmp_path / "plain" / "2022.xlsx", rows)
    got, want = read_export(shared, FRISKLIV), read_export(plain, FRISKLIV)
    assert got.headers == want.headers
    pd.testing.assert_frame_equal(
        got.frame.drop(columns="_row"), want.frame.drop(columns="_row"), check_dtype=False
    )
    assert got.frame["_row"].tolist() == [3, 4]  # under the title row and the header row
