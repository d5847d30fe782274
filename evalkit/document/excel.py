"""``tables.xlsx`` as a statistics office publishes it.

One sheet per table, named in Norwegian (æøå allowed, at most 31 characters): the title in the
first row, the table under it with a bold, frozen header, then the source and the notes.
Integers have thousands separators, shares are percentages with one decimal, amounts are in
kroner; text is left-aligned and numbers right-aligned; column widths fit the content;
suppressed cells are the text «:».

A document's table (:meth:`evalkit.document.numbered.Table.sheet`) is written as the document
shows it (``Sheet.shown``): the same headers, row labels and notes, and in a column of numbers
each cell that shows one number (:func:`evalkit.formats.read_shown`: «11,1 %», «126»,
«1 865 000 kr», «+1,2 p.p.», «0,034») becomes that number, rounded as shown, with a number
format that shows it the same way (:func:`shown_number`); a cell that shows more or other
(«82 (65,1 %)», «6,7–17,8», «< 0,001», «:», «–») is the text shown. The full-precision
values are in ``metrics.json``. Every cell is written by :func:`put`: its value goes through
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
from evalkit.formats import MISSING, Shown, read_shown
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
#: The kind of a column of a shown table (``Sheet.shown``) whose cells may be numbers.
SHOWN_NUMBER = "number"
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
        given (integers ``int``, other numbers ``dec``, anything else ``text``). In a shown
        table, ``"text"`` or :data:`SHOWN_NUMBER`.
    source : str, optional
        The source line under the table.
    notes : list of str
        Notes under the source line.
    shown : bool, default False
        ``frame`` holds the cells as a document shows them (text): in a column of kind
        :data:`SHOWN_NUMBER`, a cell showing one number is written as that number with a
        format that shows it the same way (:func:`shown_number`), any other cell as its text;
        a missing cell as «–».
    """

    name: str
    frame: pd.DataFrame
    title: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    notes: list[str] = field(default_factory=list)
    shown: bool = False

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


def shown_number(shown: Shown) -> tuple[int | float, str]:
    """The cell value and Excel number format of a number as a document shows it.

    A share «11,1 %» is 0.111 with ``0.0%``; a difference «−1,4 p.p.» is −1.4 (percentage
    points) with ``+0.0" p.p.";"−"0.0" p.p.";"±"0.0" p.p."``; «1 865 000 kr» is 1865000 with
    ``#,##0" kr"``; «126» is 126 with ``#,##0``; «0,034» is 0.034 with ``#,##0.000``. The
    format keeps the decimals shown, and writes the minus sign (U+2212) as the document does.
    """
    places = "." + "0" * shown.decimals if shown.decimals else ""
    if shown.kind == "pp":
        number = f"0{places}"
        fmt = f'+{number}" p.p.";"−"{number}" p.p.";"±"{number}" p.p."'
        return float(shown.value), fmt
    if shown.kind == "pct":
        body = f"0{places}%"
        value: int | float = float(shown.value.scaleb(-2))
    else:
        body = f"#,##0{places}" + ('" kr"' if shown.kind == "nok" else "")
        value = int(shown.value) if shown.kind in ("int", "nok") else float(shown.value)
    return value, f'{body};"−"{body}'


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
        for values in sheet.frame.itertuples(index=False, name=None):
            row += 1
            total = bool(values) and isinstance(values[0], str) and values[0] == TOTAL_LABEL
            for j, raw in enumerate(values, start=1):
                kind = kinds[j - 1]
                number_format = NUMBER_FORMATS.get(kind, "General")
                if sheet.shown:
                    raw = (
                        MISSING
                        if raw is None or (not isinstance(raw, str) and pd.isna(raw))
                        else str(raw)
                    )
                    width = _shown_width(raw, "text")
                    found = read_shown(raw) if kind == SHOWN_NUMBER else None
                    if found is not None:
                        raw, number_format = shown_number(found)
                cell = put(ws, row, j, raw)
                value = cell.value
                if not sheet.shown:
                    width = _shown_width(value, kind)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cell.number_format = number_format
                    cell.alignment = right
                else:
                    cell.alignment = left if kind in TEXT_KINDS else right
                if total:
                    cell.font, cell.border = bold, top_rule
                widths[j - 1] = max(widths[j - 1], width)
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
