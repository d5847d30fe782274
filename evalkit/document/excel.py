"""``tables.xlsx`` as a statistics office publishes it.

One sheet per table, named in Norwegian (æøå allowed, at most 31 characters): the title in the
first row, the table under it with a bold, frozen header, then the source and the notes.
Integers have thousands separators, shares are percentages with one decimal, amounts are in
kroner; text is left-aligned and numbers right-aligned; column widths fit the content;
suppressed cells are the text «:». Every cell is written by :func:`put`: its value goes through
:func:`evalkit.inert.excel_value`, text is always a string cell, never a formula, and holds no
control characters, and a text that starts like a formula (``=``, ``+``, ``-``, ``@``) carries
the style's ``quotePrefix``, so that Excel keeps it text when a reader edits the cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit import paths
from evalkit.inert import clean_text, excel_value, starts_like_formula

#: Excel number formats by column kind. Excel shows the thousands separator of the reader's
#: locale (a space in Norwegian Excel) for ``#,##0``.
NUMBER_FORMATS = {
    "int": "#,##0",
    "nok": '#,##0" kr"',
    "share": "0.0%",
    "pp": '+0.0" p.p.";-0.0" p.p.";0.0" p.p."',
    "dec": "0.00",
    "p": "0.000",
    "year": "0",
}
#: Column kinds written as text (left-aligned).
TEXT_KINDS = ("text",)
#: Characters Excel does not allow in a sheet name.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Short words a sheet name cut at a word should not end on.
_JOINING_WORDS = frozenset({"og", "i", "med", "per", "av", "for", "til", "mot", "om", "på"})
#: The font of every cell (openpyxl's default workbook font).
FONT = "Calibri"
#: A bold header is about this much wider than the same text in the regular font.
_BOLD_WIDTH = 1.15
#: The first cell of a table's totals row.
TOTAL_LABEL = "I alt"
_MAX_WIDTH = 60


@dataclass
class Sheet:
    """One table of a workbook.

    Parameters
    ----------
    name : str
        The sheet's name (cut to 31 characters; ``[]:*?/\\`` replaced).
    frame : DataFrame
        The table as readers see it: column headers in Norwegian, numbers as numbers, a
        suppressed cell as the text «:».
    title : str, optional
        The title row (e.g. «Tabell 3. Målgruppe 2022»).
    kinds : dict, optional
        Column → one of :data:`NUMBER_FORMATS` or ``"text"``; inferred from the dtype where not
        given (integers ``int``, other numbers ``dec``, anything else ``text``).
    source : str, optional
        The source line under the table.
    notes : list of str
        Notes under the source line.
    row_kinds, row_kind_column : optional
        For a table of mixed figures (key figures: a count, an amount, a share), the kind of
        each row's value in column ``row_kind_column``.
    """

    name: str
    frame: pd.DataFrame
    title: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    notes: list[str] = field(default_factory=list)
    row_kinds: list[str] | None = None
    row_kind_column: str | None = None

    def kind(self, column: str) -> str:
        if column in self.kinds:
            return self.kinds[column]
        dtype = self.frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            return "text"
        if pd.api.types.is_integer_dtype(dtype):
            return "int"
        if pd.api.types.is_numeric_dtype(dtype):
            return "dec"
        return "text"


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name (31 characters at most; æøå kept)."""
    base = _SHEET_FORBIDDEN.sub("-", clean_text(name)).strip("' ") or "Tabell"
    if len(base) > 31:  # cut at a word where one ends late enough, else at 31
        words = base[:32].rsplit(" ", 1)[0].rstrip(" ,;.-").split(" ")
        while len(words) > 1 and words[-1].casefold() in _JOINING_WORDS:
            words.pop()  # «Andeler per år og» reads better as «Andeler per år»
        cut = " ".join(words).rstrip(" ,;.-")
        base = cut if 8 <= len(cut) <= 31 else base[:31]
    taken = {t.casefold() for t in taken}
    candidate, i = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({i})"
        candidate, i = base[: 31 - len(suffix)] + suffix, i + 1
    return candidate


def _shown_width(value: object, kind: str) -> int:
    """About how many characters Excel shows for ``value`` in a column of ``kind``."""
    if value is None:
        return 0
    if isinstance(value, str):
        return max((len(line) for line in value.splitlines()), default=0)
    if kind == "share":
        return len(f"{float(value) * 100:.1f} %")
    if kind == "nok":
        return len(f"{float(value):,.0f} kr")
    if kind in ("int", "year"):
        return len(f"{float(value):,.0f}")
    if kind == "pp":
        return len(f"{float(value) * 100:+.1f} p.p.")
    return len(f"{float(value):.3f}")


def put(ws, row: int, column: int, value: object):
    """Write ``value`` (through :func:`~evalkit.inert.excel_value`) to a cell of the openpyxl
    sheet ``ws`` and return the cell.

    Text is a string cell, never a formula (openpyxl takes a text starting with ``=`` for
    one). Text that starts like a formula gets ``quotePrefix`` in its cell style, as Excel
    stores text typed with a leading apostrophe: Excel shows the text (the value holds no
    apostrophe) and keeps it text when a reader edits the cell, instead of running it.
    """
    value = excel_value(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if starts_like_formula(value):
            cell.quotePrefix = True
    return cell


def write_workbook(path: Path | str, sheets: Iterable[Sheet]) -> Path:
    """Write ``sheets`` to one workbook at ``path``, atomically (a reader never sees half)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    names: list[str] = []
    # the workbook's own font, named, so that every reader shows the same (not a fallback)
    bold = Font(name=FONT, bold=True)
    top_rule = Border(top=Side(style="thin"))
    left = Alignment(horizontal="left", vertical="top", wrap_text=False)
    right = Alignment(horizontal="right", vertical="top")
    for sheet in sheets:
        name = sheet_name(sheet.name, names)
        names.append(name)
        ws = wb.create_sheet(title=name)
        columns = [str(c) for c in sheet.frame.columns]
        kinds = [sheet.kind(c) for c in sheet.frame.columns]
        widths = [round(len(clean_text(c)) * _BOLD_WIDTH) for c in columns]
        row = 1
        if sheet.title:
            put(ws, 1, 1, sheet.title).font = Font(name=FONT, bold=True, size=13)
            row = 3
        header_row = row
        for j, column in enumerate(columns, start=1):
            cell = put(ws, row, j, column)
            cell.font = bold
            cell.alignment = left if kinds[j - 1] in TEXT_KINDS else right
        for i, values in enumerate(sheet.frame.itertuples(index=False, name=None)):
            row += 1
            total = bool(values) and isinstance(values[0], str) and values[0] == TOTAL_LABEL
            for j, raw in enumerate(values, start=1):
                kind = kinds[j - 1]
                if sheet.row_kinds is not None and columns[j - 1] == sheet.row_kind_column:
                    kind = sheet.row_kinds[i]
                cell = put(ws, row, j, raw)
                value = cell.value
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cell.number_format = NUMBER_FORMATS.get(kind, "General")
                    cell.alignment = right
                else:
                    cell.alignment = left if kind in TEXT_KINDS else right
                if total:
                    cell.font, cell.border = bold, top_rule
                widths[j - 1] = max(widths[j - 1], _shown_width(value, kind))
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        row += 1
        for line in ([f"Kilde: {sheet.source}"] if sheet.source else []) + list(sheet.notes):
            row += 1
            put(ws, row, 1, line).alignment = left
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, width + 2)
    if not names:
        wb.create_sheet(title="Tabeller")
    buffer = io.BytesIO()
    wb.save(buffer)
    paths.write_atomic(path, buffer.getvalue())
    return path


def write_frames(path: Path | str, tables: Mapping[str, pd.DataFrame]) -> Path:
    """Write plain frames, one sheet each, with no title, source or notes."""
    return write_workbook(path, [Sheet(name, frame) for name, frame in tables.items()])
