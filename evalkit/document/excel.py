"""``tables.xlsx`` as a statistics office publishes it.

One sheet per table, named in the document's language (æøå allowed, at most 31 characters):
the title in the first row, the table under it with a bold, frozen header, then the source and
the notes. Integers have thousands separators, shares are percentages with one decimal, amounts
are in kroner («1 865 000 kr» in bokmål and nynorsk, «NOK 1,865,000» in English: the number
formats' words follow the language, :func:`number_formats`); text is left-aligned and numbers
right-aligned; column widths fit the content; suppressed cells are the text «:».

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
from babel.numbers import get_minus_sign_symbol

from evalkit import paths
from evalkit.formats import (
    MISSING,
    NBSP,
    Shown,
    around,
    fmt_int,
    fmt_nok,
    fmt_pct,
    fmt_pp,
    read_shown,
)
from evalkit.i18n import current_language, current_locale, t
from evalkit.inert import clean_text, excel_value, starts_like_formula


def _quoted(text: str) -> str:
    """Text inside an Excel number format: ``" kr"`` (a non-breaking space as a space)."""
    return f'"{text.replace(NBSP, " ")}"' if text else ""


def _nok_format(digits: str) -> str:
    """``digits`` (``#,##0``) with the krone as the current locale writes an amount
    (:func:`evalkit.formats.fmt_nok`): ``#,##0" kr"``, ``"NOK "#,##0``."""
    before, after = around(fmt_nok(0), "0")
    return f"{_quoted(before)}{digits}{_quoted(after)}"


def _pp_unit() -> str:
    """What follows a difference in percentage points (:func:`evalkit.formats.fmt_pp`), in an
    Excel number format: ``" p.p."``, ``" pp"``."""
    return _quoted(around(fmt_pp(0.01, 0), "1")[1])


def number_formats() -> dict[str, str]:
    """Excel number formats by column kind, their words in the current language (``kr`` /
    ``NOK``, ``p.p.`` / ``pp``). Excel shows the thousands separator and the decimal sign of
    the reader's locale (a space and a comma in Norwegian Excel) for ``#,##0`` and ``0.0``."""
    pp = _pp_unit()
    return {
        "int": "#,##0",
        "nok": _nok_format("#,##0"),
        "share": "0.0%",
        "pp": f"+0.0{pp};-0.0{pp};0.0{pp}",
        "dec": "0.00",
        "p": "0.000",
        "year": "0",
    }


#: The column kinds of :func:`number_formats`.
NUMBER_KINDS = ("int", "nok", "share", "pp", "dec", "p", "year")
#: Column kinds written as text (left-aligned).
TEXT_KINDS = ("text",)
#: The kind of a column of a shown table (``Sheet.shown``) whose cells may be numbers.
SHOWN_NUMBER = "number"
#: Characters Excel does not allow in a sheet name.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Short words a sheet name cut at a word should not end on, by language.
_JOINING_WORDS = {
    "nb": frozenset({"og", "i", "med", "per", "av", "for", "til", "mot", "om", "på"}),
    "nn": frozenset({"og", "i", "med", "per", "av", "for", "til", "mot", "om", "på", "frå"}),
    "en": frozenset({"and", "in", "with", "per", "of", "for", "to", "by", "on", "the", "a"}),
}
#: The font of every cell (openpyxl's default workbook font).
FONT = "Calibri"
#: A bold header is about this much wider than the same text in the regular font.
_BOLD_WIDTH = 1.15


def total_label() -> str:
    """The first cell of a table's totals row in the current language: «I alt», «Total»."""
    return t("excel.total")


_MAX_WIDTH = 60


@dataclass
class Sheet:
    """One table of a workbook.

    Parameters
    ----------
    name : str
        The sheet's name (cut to 31 characters; ``[]:*?/\\`` replaced).
    frame : DataFrame
        The table as readers see it: column headers in the document's language, numbers as
        numbers, a suppressed cell as the text «:».
    title : str, optional
        The title row (e.g. «Tabell 3. Målgruppe 2022»).
    kinds : dict, optional
        Column → one of :data:`NUMBER_KINDS` or ``"text"``; inferred from the dtype where not
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
    base = _SHEET_FORBIDDEN.sub("-", clean_text(name)).strip("' ") or t("excel.sheet.table")
    if len(base) > 31:  # cut at a word where one ends late enough, else at 31
        words = base[:32].rsplit(" ", 1)[0].rstrip(" ,;.-").split(" ")
        joining = _JOINING_WORDS.get(current_language(), _JOINING_WORDS["nb"])
        while len(words) > 1 and words[-1].casefold() in joining:
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
        return len(fmt_pct(float(value)))
    if kind == "nok":
        return len(fmt_nok(float(value)))
    if kind in ("int", "year"):
        return len(fmt_int(float(value)))
    if kind == "pp":
        return len(fmt_pp(float(value)))
    return len(f"{float(value):.3f}")


def shown_number(shown: Shown) -> tuple[int | float, str]:
    """The cell value and Excel number format of a number as a document shows it.

    A share «11,1 %» is 0.111 with ``0.0%``; a difference «−1,4 p.p.» is −1.4 (percentage
    points) with ``+0.0" p.p.";"−"0.0" p.p.";"±"0.0" p.p."``; «1 865 000 kr» is 1865000 with
    ``#,##0" kr"``; «126» is 126 with ``#,##0``; «0,034» is 0.034 with ``#,##0.000``. The
    format keeps the decimals shown, and writes the minus sign as the document does (U+2212
    in bokmål and nynorsk, a hyphen in English); its words are the current language's
    (``" pp"``, ``"NOK "#,##0`` in English).
    """
    places = "." + "0" * shown.decimals if shown.decimals else ""
    minus = f'"{get_minus_sign_symbol(current_locale())}"'
    if shown.kind == "pp":
        number, unit = f"0{places}", _pp_unit()
        fmt = f'+{number}{unit};{minus}{number}{unit};"±"{number}{unit}'
        return float(shown.value), fmt
    if shown.kind == "pct":
        body = f"0{places}%"
        value: int | float = float(shown.value.scaleb(-2))
    elif shown.kind == "nok":
        body = _nok_format(f"#,##0{places}")
        value = int(shown.value)
    else:
        body = f"#,##0{places}"
        value = int(shown.value) if shown.kind == "int" else float(shown.value)
    return value, f"{body};{minus}{body}"


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
    formats, total_first = number_formats(), total_label()
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
            total = bool(values) and isinstance(values[0], str) and values[0] == total_first
            for j, raw in enumerate(values, start=1):
                kind = kinds[j - 1]
                number_format = formats.get(kind, "General")
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
        source = [t("excel.source", source=sheet.source)] if sheet.source else []
        for line in source + list(sheet.notes):
            row += 1
            put(ws, row, 1, line).alignment = left
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, width + 2)
    if not names:
        wb.create_sheet(title=t("excel.sheet.tables"))
    buffer = io.BytesIO()
    wb.save(buffer)
    paths.write_atomic(path, buffer.getvalue())
    return path


def write_frames(path: Path | str, tables: Mapping[str, pd.DataFrame]) -> Path:
    """Write plain frames, one sheet each, with no title, source or notes."""
    return write_workbook(path, [Sheet(name, frame) for name, frame in tables.items()])
