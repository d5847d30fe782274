"""Bounds on what an export may hold, checked on the file before any reader expands it.

An export is a hostile input: a 2 MB workbook can unpack to gigabytes (a decompression bomb),
a parquet file of a few kilobytes can hold millions of rows of one repeated value, and a
sheet can name row 1 048 576 in one short tag, which the readers then fill with empty rows.
:func:`check_bounds` looks at what the file says about itself and counts what it holds,
streaming through the compressed parts without keeping them, and stops with a
:class:`~evalkit.errors.StructuralError` as soon as a cap is passed. It is run on the file
before the reader, whichever reader that is.

The caps (:class:`Limits`) are generous for real exports (a county's export has a few
hundred rows) and are raised with environment variables:

========================================  ===========  ==========================================
variable                                  default      what it bounds
========================================  ===========  ==========================================
``EVALKIT_MAX_ROWS``                      200 000      rows of a sheet or table
``EVALKIT_MAX_CELLS``                     10 000 000   cells: rows times columns of the table read
``EVALKIT_MAX_UNPACKED_MB``               200          megabytes once unpacked (and of text once
                                                       repeated texts are written out)
``EVALKIT_MAX_SHARED_STRINGS``            1 000 000    distinct texts of a workbook
``EVALKIT_MAX_CELL_CHARS``                32 767       characters in one cell (Excel's own limit)
========================================  ===========  ==========================================

What is checked, by kind of file (a workbook's kind is told by its bytes, not its ending):

* **xlsx**: the zip archive's own sizes of its parts (Python's :mod:`zipfile` never unpacks a
  part past the size its archive gives, and a part whose bytes do not match that size fails
  its checksum), a part read whole (styles, the list of sheets) held to a tenth of the cap;
  then, unpacked as a stream, the shared strings (counted, the count the part declares, each
  one's length) and every sheet (the used range its ``<dimension>`` gives, the highest row
  and column used, the cells, the length of each cell's text, and the text the cells that
  point at a shared string add up to). A cell counts in the row its reference names
  (``r="AD1048576"``), whatever row element holds it: the readers put it there. The sheets
  scanned are those the workbook lists and every part under ``xl/worksheets/``, so that a
  reader finding its sheets another way finds none unscanned. The same pass notes the cells
  holding a formula saved without a value (:attr:`Scan.formulas`). A sheet written as Excel
  and openpyxl write it is looked at a few megabytes at a time with numpy and regular
  expressions (:class:`_SheetBytes`, several times as fast); one written otherwise, holding
  a formula, or coming near a cap, element by element, which names what passes a cap.
* **ods**: the zip archive's sizes, as for xlsx; then ``content.xml``, unpacked as a stream:
  the rows and cells with content, counted with their repeats
  (``table:number-rows-repeated``, ``table:number-columns-repeated``: one short tag can stand
  for a million rows), the highest row and column holding content, each cell's text (with
  the spaces ``<text:s text:c="…"/>`` stands for) and the text of all cells once written out.
  A spreadsheet saved with a password (its manifest says how its parts are encrypted) is
  named as such.
* **xls** (an OLE2 compound document with a ``Workbook`` stream): the stream's records, read
  as they lie in the file (the file itself is no larger than the unpacked cap): the used
  range each sheet declares, the highest row and column of its cells, the cells of all
  sheets, the shared strings (their declared count, each one's length) and the text the
  cells pointing at them add up to. A workbook saved with a password is named as such.
* **parquet**: the file's metadata (rows, columns, values per column, unpacked size of the
  row groups); then the text columns, read a batch at a time as they are stored (a repeated
  value once, with a dictionary), for their length once written out and their longest value.
* **csv**: the file's size, its lines and the columns of its header line.

A file that is an OLE2 compound document without a workbook in it, or with an encrypted
package (a workbook saved with a password), is named as such; so is a zip archive that is
neither kind of workbook (an Excel binary workbook, ``.xlsb``, among them).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

import numpy as np

from evalkit.errors import EvalkitError, StructuralError

#: The first bytes of an OLE2 compound document (old .xls, and a workbook with a password).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20
_MB = 1_000_000
_SAVE_AS_XLSX = "open it in Excel and save it as «Excel-arbeidsbok (.xlsx)»"
#: Endings of the workbooks read; which kind of workbook a file is, its bytes tell.
WORKBOOK_SUFFIXES = (".xlsx", ".ods", ".xls")


@dataclass
class Scan:
    """What :func:`check_bounds` learnt of a file on the way."""

    #: The kind of file its bytes show: ``"xlsx"``, ``"ods"``, ``"xls"``, ``"csv"``,
    #: ``"parquet"``; empty for an ending no reader takes.
    kind: str = ""
    #: Cells holding a formula saved without a value, by sheet: (rows, columns), numbered
    #: from 1 as Excel shows them (xlsx and ods).
    formulas: dict[str, tuple[array, array]] = field(default_factory=dict)

    def formula_cells(self, sheet: str | None) -> list[tuple[int, int]]:
        """(row, column) of the formula cells without a value in ``sheet``."""
        rows, cols = self.formulas.get(sheet, ((), ()))
        return list(zip(rows, cols, strict=True))


@dataclass(frozen=True)
class Limits:
    """The caps on an export; see the module's table for the environment variables."""

    rows: int = 200_000
    cells: int = 10_000_000
    unpacked_mb: int = 200
    shared_strings: int = 1_000_000
    cell_chars: int = 32_767

    @property
    def unpacked_bytes(self) -> int:
        return self.unpacked_mb * _MB

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The caps, each from its environment variable when set.

        Raises
        ------
        EvalkitError
            A variable that is not a whole number of 1 or more.
        """
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = ENV[f.name]
            text = environ.get(name, "").strip().replace("_", "").replace(" ", "")
            if not text:
                continue
            if not (text.isascii() and text.isdigit() and int(text) >= 1):
                raise EvalkitError(
                    f"The environment variable {name}={environ[name]!r} is not a whole number "
                    f"of 1 or more. Set it to a number such as {_num(f.default)}, or unset it "
                    f"to use that default."
                )
            values[f.name] = int(text)
        return cls(**values)


#: The environment variable of each cap.
ENV = {
    "rows": "EVALKIT_MAX_ROWS",
    "cells": "EVALKIT_MAX_CELLS",
    "unpacked_mb": "EVALKIT_MAX_UNPACKED_MB",
    "shared_strings": "EVALKIT_MAX_SHARED_STRINGS",
    "cell_chars": "EVALKIT_MAX_CELL_CHARS",
}


def _num(n: int) -> str:
    """1048576 -> '1 048 576'."""
    return f"{n:,}".replace(",", " ")


def _mb(n_bytes: int) -> str:
    return _num(-(-n_bytes // _MB))


class _OverCap(Exception):
    """Raised inside a scan when a cap is passed; turned into a StructuralError."""

    def __init__(self, cap: str, what: str, suggest: int | None = None) -> None:
        super().__init__(what)
        self.cap = cap
        self.what = what
        self.suggest = suggest


def _over_cap(path: Path, limits: Limits, err: _OverCap) -> StructuralError:
    name = ENV[err.cap]
    now = getattr(limits, err.cap)
    suggest = err.suggest if err.suggest and err.suggest > now else now * 10
    unit = " MB" if err.cap == "unpacked_mb" else ""
    return StructuralError(
        f"{err.what}, past evalkit's cap of {_num(now)}{unit} ({name}); a real export is far "
        "smaller (a county's has a few hundred rows), so the file may be damaged or built to "
        "exhaust the machine",
        file=path,
        fix=(
            "check that this is the export; if it is, and the machine has the memory, raise "
            f"the cap with the environment variable, e.g. `{name}={suggest} evalkit …`, and "
            "run again"
        ),
    )


def check_bounds(path: Path | str, limits: Limits | None = None, data: bytes | None = None) -> Scan:
    """Check that an export stays within the caps, before any reader expands it.

    The kind of a workbook (``.xlsx``, ``.ods`` or ``.xls`` ending) is told by its bytes: a
    zip archive holding an Excel workbook's parts is checked as xlsx, one holding
    ``content.xml`` as ods, an OLE2 compound document with a ``Workbook`` stream as xls,
    whatever the ending says; the reader is told which (:attr:`Scan.kind`). An OLE2 document
    holding an encrypted package (a workbook saved with a password) is named as such, with
    any ending. Other endings than these and ``.csv`` and ``.parquet`` are left to the
    reader, which refuses them.

    Parameters
    ----------
    path : Path or str
        The export.
    limits : Limits, optional
        The caps; by default :meth:`Limits.from_env`.
    data : bytes, optional
        The file's bytes, when the caller has read them already: these bytes are checked (the
        ones the reader will parse), and ``path`` only names the file in messages.

    Returns
    -------
    Scan
        The kind of file, and (xlsx, ods) the cells holding a formula saved without a value.

    Raises
    ------
    StructuralError
        A cap passed (the sentence names the file, what was found, the cap and the environment
        variable that raises it), a password-protected workbook, an OLE2 file without a
        workbook, a workbook ending on a file that is no workbook.
    EvalkitError
        A cap's environment variable that is not a whole number.

    Other errors of a damaged file (a zip archive that is not one, XML that does not parse)
    are raised as they come, as the reader would raise them.
    """
    path = Path(path)
    limits = limits or Limits.from_env()

    def open_() -> BinaryIO:
        return io.BytesIO(data) if data is not None else path.open("rb")

    with open_() as fh:
        head = fh.read(8)
    suffix = path.suffix.strip().lower()
    if head.startswith(_ZIP_MAGIC) and suffix in (".csv", ".parquet"):
        raise StructuralError(
            f"The file is a zip archive (as an .xlsx workbook is), not a {suffix} file",
            file=path,
            fix=f"if it is an Excel workbook, rename it to {path.stem.strip()}.xlsx",
        )
    try:
        if head == OLE_MAGIC:
            return _check_ole(path, limits, open_, suffix)
        if suffix in WORKBOOK_SUFFIXES:
            if not head.startswith(_ZIP_MAGIC):
                raise StructuralError(
                    "The file could not be read as a workbook: it is neither a zip archive "
                    "(as .xlsx and .ods files are) nor an OLE2 compound document (as .xls "
                    "files are); a file some systems save as .xls is a web page or text",
                    file=path,
                    fix=_SAVE_AS_XLSX,
                )
            return _check_zip_workbook(path, limits, open_)
        if suffix == ".parquet":
            _check_parquet(path, limits, open_)
            return Scan("parquet")
        if suffix == ".csv":
            _check_csv(path, limits, open_)
            return Scan("csv")
        return Scan()
    except _OverCap as err:
        raise _over_cap(path, limits, err) from None


# --- OLE2 ----------------------------------------------------------------------------------


def _check_ole(path: Path, limits: Limits, open_: Callable[[], BinaryIO], suffix: str) -> Scan:
    """An OLE2 file: a workbook saved with a password (Excel then wraps the .xlsx, encrypted,
    in an ``EncryptedPackage`` stream) is refused; an old Excel file (a ``Workbook`` stream,
    ``Book`` in Excel 5) with a workbook ending is checked as xls; any other is refused."""
    import olefile

    stream = None
    try:
        with open_() as fh, olefile.OleFileIO(fh) as ole:
            encrypted = ole.exists("EncryptedPackage")
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if not encrypted and name is not None and suffix in WORKBOOK_SUFFIXES:
                size = ole.get_size(name)
                if size > limits.unpacked_bytes:
                    raise _OverCap(
                        "unpacked_mb",
                        f"The workbook's stream {name!r} is {_mb(size)} MB",
                        -(-size // _MB),
                    )
                stream = ole.openstream(name).read()
    except _OverCap:
        raise
    except Exception:  # a damaged OLE file: say what its first bytes say
        encrypted = False
    if encrypted:
        raise _password_protected(path)
    if stream is None:
        raise StructuralError(
            "The file is an old Excel file (.xls, an OLE2 compound document), but it holds no "
            "workbook that can be read"
            if suffix in WORKBOOK_SUFFIXES
            else "The file is an old Excel file (.xls, an OLE2 compound document), not a "
            f"{suffix or 'table'} file",
            file=path,
            fix=_SAVE_AS_XLSX,
        )
    _check_xls(path, limits, stream)
    return Scan("xls")


def _password_protected(path: Path) -> StructuralError:
    return StructuralError(
        "The file is password-protected",
        file=path,
        fix=(
            "save it without a password (File > Info > Protect workbook; in Norwegian "
            "Excel Fil > Info > Beskytt arbeidsbok) and run again"
        ),
    )


# --- zip archives: xlsx and ods ------------------------------------------------------------


def _check_zip_workbook(path: Path, limits: Limits, open_: Callable[[], BinaryIO]) -> Scan:
    """Tell an xlsx from an ods by the parts its archive holds, and check it as that kind.

    An archive holding the parts of both (a reader could take it for either) and one holding
    neither (an Excel binary workbook, ``.xlsb``, among them) are refused.
    """
    with open_() as fh, zipfile.ZipFile(fh) as archive:
        names = {n.lower() for n in archive.namelist()}
    xlsb = "xl/workbook.bin" in names
    xlsx = not xlsb and any(n.startswith("xl/") for n in names)
    ods = "content.xml" in names
    if xlsb or xlsx == ods:
        what = (
            "an Excel binary workbook (.xlsb)"
            if xlsb
            else "the parts of both an Excel workbook and an OpenDocument spreadsheet"
            if xlsx
            else "neither an Excel workbook nor an OpenDocument spreadsheet"
        )
        raise StructuralError(
            f"The file is a zip archive holding {what}, so it could not be read",
            file=path,
            fix=_SAVE_AS_XLSX,
        )
    if ods:
        return _check_ods(path, limits, open_)
    return _check_xlsx(path, limits, open_)


def _check_archive_sizes(archive: zipfile.ZipFile, limits: Limits, streamed) -> None:
    """The archive's parts by its own sizes: all of them within the cap, and each part that
    a reader reads whole (not ``streamed(name)``) within a tenth of it."""
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    if total > limits.unpacked_bytes:
        biggest = max(infos, key=lambda i: i.file_size)
        raise _OverCap(
            "unpacked_mb",
            f"The workbook unpacks to {_mb(total)} MB by its zip archive's own sizes "
            f"({biggest.filename!r} alone is {_mb(biggest.file_size)} MB, packed in "
            f"{_mb(biggest.compress_size)} MB)",
            -(-total // _MB),
        )
    # parts read whole by a reader (styles, the list of sheets, relationships) are held
    # to a tenth of the cap; the sheets and shared strings are streamed, and scanned
    whole = limits.unpacked_bytes // 10
    for info in infos:
        name = info.filename.lower()
        if name.endswith((".xml", ".rels")) and not streamed(name) and info.file_size > whole:
            raise _OverCap(
                "unpacked_mb",
                f"The workbook's part {info.filename!r} unpacks to "
                f"{_mb(info.file_size)} MB, more than the tenth of the cap that a part "
                "read whole (styles, the list of sheets) may take",
                -(-info.file_size * 10 // _MB),
            )


# --- xlsx ----------------------------------------------------------------------------------


def _expat_parser() -> expat.XMLParserType:
    """A streaming XML parser that refuses entity declarations and external references, as
    defusedxml's parsers do (and with its errors)."""
    from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

    # names as written (``x:c``): readers match them so, and expat runs faster without
    # resolving namespaces; elements are matched by the part after the prefix
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    parser.buffer_text = True
    parser.buffer_size = 1 << 16

    def entity_decl(name, is_parameter, value, base, sysid, pubid, notation):
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation)

    def unparsed_entity_decl(name, base, sysid, pubid, notation):
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation)

    def external_ref(context, base, sysid, pubid):
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.EntityDeclHandler = entity_decl
    parser.UnparsedEntityDeclHandler = unparsed_entity_decl
    parser.ExternalEntityRefHandler = external_ref
    return parser


def _parse_member(archive: zipfile.ZipFile, name: str, scan) -> None:
    """Stream one part of the archive through a scan's handlers."""
    parser = _expat_parser()
    parser.StartElementHandler = scan.start
    parser.CharacterDataHandler = scan.text
    if hasattr(scan, "end"):
        parser.EndElementHandler = scan.end
    with archive.open(name) as src:
        while chunk := src.read(_CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    scan.close()


def _local(name: str) -> str:
    """An element's or attribute's name without its namespace prefix (``x:c`` -> ``c``)."""
    local = _LOCAL.get(name)
    if local is None:
        local = name[name.rfind(":") + 1 :]
        if len(_LOCAL) < 10_000:  # a file may hold any number of names
            _LOCAL[name] = local
    return local


#: Names without their prefix, by name as written, filled as they are met (a file uses few).
_LOCAL: dict[str, str] = {}


def _attr(attrs: list[str], local: str) -> str | None:
    """The value of the attribute named ``local`` (in any namespace), or None."""
    for i in range(0, len(attrs), 2):
        if _local(attrs[i]) == local:
            return attrs[i + 1]
    return None


def _whole(text: str | None, default: int = 0) -> int:
    """A whole number written in ASCII digits (spaces around allowed), else ``default``."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else default


class _SharedStrings:
    """Counts the shared strings and records each one's length (its text in characters);
    refuses a part declaring more than the cap (a reader sets room aside for that many)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.lengths = array("q")
        self.current = -1  # length of the string being read; -1 before the first

    def start(self, name: str, attrs: list[str]) -> None:
        local = _local(name)
        if local == "si":
            if self.current >= 0:
                self.lengths.append(self.current)
            if len(self.lengths) >= self.limits.shared_strings:
                raise _OverCap(
                    "shared_strings",
                    f"The workbook holds more than {_num(self.limits.shared_strings)} distinct "
                    "texts (shared strings; counting stopped there)",
                )
            self.current = 0
        elif local == "sst":
            declared = _whole(_attr(attrs, "uniqueCount"))
            if declared > self.limits.shared_strings:
                raise _OverCap(
                    "shared_strings",
                    f"The workbook declares {_num(declared)} distinct texts (shared strings)",
                    declared,
                )

    def text(self, data: str) -> None:
        if self.current >= 0:
            self.current += len(data)
            if self.current > self.limits.cell_chars:
                raise _OverCap(
                    "cell_chars",
                    f"Text number {_num(len(self.lengths) + 1)} of the workbook's shared "
                    f"strings is more than {_num(self.limits.cell_chars)} characters long",
                )

    def close(self) -> None:
        if self.current >= 0:
            self.lengths.append(self.current)
            self.current = -1


#: Column numbers by their letters, filled as they are met (a sheet uses few).
_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """The column number of a cell reference (``"AB12"`` -> 28); 0 if it has no valid
    letters."""
    letters = ref.rstrip("0123456789$").lstrip("$")
    number = _COLUMNS.get(letters)
    if number is None:
        from openpyxl.utils.cell import column_index_from_string

        try:
            number = column_index_from_string(letters)
        except ValueError:
            number = 0
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = number
    return number


def _cell_name(row: int, col: int) -> str:
    """``B12`` (or the row alone when the column is not known)."""
    from openpyxl.utils.cell import get_column_letter

    return f"cell {get_column_letter(col)}{row}" if 1 <= col <= 18_278 else f"row {row}"


def _dimension(ref: str) -> tuple[int, int]:
    """(rows, columns) of a ``<dimension ref="A1:AB300">``: the last cell's row and column."""
    last = ref.rpartition(":")[2].replace("$", "")
    digits = last[len(last.rstrip("0123456789")) :]
    return (int(digits) if digits.isascii() and digits else 0), _column(last)


_OTHER, _CELL, _VALUE, _FORMULA, _INLINE, _ROW, _DIMENSION = range(7)
#: The elements of a sheet that are looked at, by their name without namespace (as every
#: reader matches them): a cell, its value, its formula or inline text, a row, the used range.
_SHEET_ELEMENTS = {"c": _CELL, "v": _VALUE, "f": _FORMULA, "is": _INLINE, "row": _ROW}
_SHEET_ELEMENTS["dimension"] = _DIMENSION


class _Rectangle:
    """What a sheet uses: checks rows and rows times columns against the caps."""

    title: str
    limits: Limits

    def _where(self) -> str:
        return f"Sheet {self.title!r}"

    def _check_rectangle(self, rows: int, cols: int, what: str) -> None:
        if rows > self.limits.rows:
            raise _OverCap("rows", f"{self._where()} {what} {_num(rows)} rows", rows)
        if rows * cols > self.limits.cells:
            raise _OverCap(
                "cells",
                f"{self._where()} {what} {_num(rows)} rows by {_num(cols)} columns "
                f"({_num(rows * cols)} cells)",
                rows * cols,
            )


class _Sheet(_Rectangle):
    """Streams a sheet: its used range, highest row and column, cells, each cell's text, and
    the text its cells pointing at shared strings add up to; notes the cells holding a
    formula and no value (``<f>`` with an empty or no ``<v>``, and no inline text), except
    those of type ``t="str"``, whose saved value is empty text."""

    def __init__(self, title: str, limits: Limits, lengths: array) -> None:
        self.title = title
        self.limits = limits
        self.lengths = lengths
        self.row = 0  # the row being read (as openpyxl numbers it: r, else the one before + 1)
        self.col = 0  # the column of the cell being read
        self.top_row = 0  # the highest row so far, of a row or named by a cell's reference
        self.top_col = 0  # the highest column so far
        self.cells = 0
        self.chars = 0  # characters of the current cell's text part
        self.shared = False  # the current cell points at a shared string
        self.index = ""  # the text of that cell's <v>, the string's number
        self.in_v = False  # in the <v> of a cell pointing at a shared string
        self.in_value = False  # in the <v> of any cell
        self.formula = False  # the current cell holds a formula (and is not t="str")
        self.valued = False  # the current cell holds a value or inline text
        self.repeated = 0  # characters of the shared strings the cells point at
        self.kinds: dict[str, int] = {}  # element names as expat gives them -> kind
        self.formula_rows = array("l")  # cells with a formula and no value: rows, columns
        self.formula_cols = array("l")

    def _end_cell(self) -> None:
        if self.formula:
            if not self.valued:
                self.formula_rows.append(self.row)
                self.formula_cols.append(self.col)
            self.formula = False
        if self.index:
            text = self.index.strip()
            i = int(text) if text.isascii() and text.isdigit() else -1
            if 0 <= i < len(self.lengths):
                self.repeated += self.lengths[i]
                if self.repeated > self.limits.unpacked_bytes:
                    raise _OverCap(
                        "unpacked_mb",
                        f"The cells of sheet {self.title!r} repeat the workbook's texts to more than "
                        f"{_num(self.limits.unpacked_mb)} MB of text once written out",
                    )
            self.index = ""

    def _kind(self, name: str) -> int:
        kind = _SHEET_ELEMENTS.get(_local(name), _OTHER)
        if len(self.kinds) < 1_000:  # a file may hold any number of element names
            self.kinds[name] = kind
        return kind

    def start(self, name: str, attrs: list[str]) -> None:
        # called for every element of the sheet (a million cells and more): the common
        # cases first, with as few steps as they can take
        kind = self.kinds.get(name)
        if kind is None:
            kind = self._kind(name)
        self.in_v = self.in_value = False
        if kind == _OTHER:
            return
        if kind == _CELL:
            if self.formula or self.index:
                self._end_cell()
            self.cells += 1
            ref = t = None
            i, n = 0, len(attrs)
            while i < n:
                key = attrs[i]
                if key == "r":
                    ref = attrs[i + 1]
                elif key == "t":
                    t = attrs[i + 1]
                i += 2
            if ref:
                letters = ref.rstrip("0123456789$").lstrip("$")
                col = _COLUMNS.get(letters)
                self.col = col if col is not None else _column(ref)
                # the readers put a cell in the row its reference names, whatever row holds it
                digits = ref[len(ref.rstrip("0123456789")) :]
                if digits:
                    at = int(digits) if len(digits) < 19 else 10**18
                    if at > self.top_row:
                        self.top_row = at
                        self._check_rectangle(at, max(self.col, self.top_col), "uses")
            else:
                self.col += 1
            if self.col > self.top_col:
                self.top_col = self.col
                self._check_rectangle(self.top_row, self.col, "uses")
            if self.cells > self.limits.cells:
                raise _OverCap(
                    "cells",
                    f"{self._where()} holds more than {_num(self.limits.cells)} cells "
                    "(counting stopped there)",
                )
            if t is None:
                self.shared = self.valued = False
            else:
                self.shared = t == "s"
                self.valued = t == "str"  # a formula's text result: empty text is a value
            self.chars = 0
        elif kind == _INLINE:
            self.chars = 0
            self.valued = True
        elif kind == _VALUE:
            self.chars = 0
            self.in_v = self.shared
            self.in_value = True
        elif kind == _FORMULA:
            self.chars = 0
            self.formula = True
        elif kind == _ROW:
            self._end_cell()
            self.shared = False
            r = next((attrs[i + 1] for i in range(0, len(attrs), 2) if attrs[i] == "r"), "")
            r = r.strip()
            self.row = int(r) if r.isascii() and r.isdigit() else self.row + 1
            self.col = 0
            self.top_row = max(self.top_row, self.row)
            self._check_rectangle(self.top_row, self.top_col, "uses")
        elif kind == _DIMENSION:
            ref = next((attrs[i + 1] for i in range(0, len(attrs), 2) if attrs[i] == "ref"), "")
            rows, cols = _dimension(ref)
            self._check_rectangle(rows, cols, f"gives its used range as {ref!r}:")

    def text(self, data: str) -> None:
        self.chars += len(data)
        if self.chars > self.limits.cell_chars:
            raise _OverCap(
                "cell_chars",
                f"{self._where()} {_cell_name(self.row, self.col)} holds more than "
                f"{_num(self.limits.cell_chars)} characters",
                self.chars,
            )
        if self.in_value:
            if not self.valued and not data.isspace():
                self.valued = True
            if self.in_v:
                self.index += data[:32]

    def close(self) -> None:
        self._end_cell()


# --- xlsx sheets, the fast pass --------------------------------------------------------------

#: The sheet's unpacked bytes taken at a time by the fast pass (cut before the last ``<``, so
#: that no tag is split between two pieces), and the most text without a ``<`` it carries over
#: to the next piece before leaving the sheet to the element-by-element scan.
_SHEET_CHUNK = 4 << 20
_CARRY = 8 << 20
#: Bytes added past a piece so that the bytes after its last ``<`` can be looked at.
_PAD = b"\0" * 32
#: An element of the sheet that the fast pass does not read, written with a prefix (``<x:c``,
#: ``</x:row>``): such a sheet is scanned element by element (by local names, as readers do).
_PREFIXED = re.compile(rb":(?:c|v|f|is|row|dimension)[\s/>]")
_FORMULA_TAG = re.compile(rb"<f[\s/>]")
#: The start of a sheet in UTF-8: its first tag, or an XML declaration naming no encoding or
#: UTF-8, after a byte order mark or none.
_UTF8_START = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml(?![^>]*encoding)|<\?xml[^>]*encoding=[\"']utf-?8[\"']|<[^?])",
    re.I,
)
_DIMENSION_TAG = re.compile(rb'<dimension(?=[\s/>])(?: ref="([^"<>&]*)")?')
_SHARED_CELL = re.compile(
    rb'<c r="[A-Z]{1,3}[0-9]{1,15}"(?: s="[0-9]{1,10}")? t="s"(?: s="[0-9]{1,10}")?>'
    rb"<v>([0-9]{1,10})</v>"
)


class _Unsure(Exception):
    """The fast pass cannot vouch for a sheet (an unusual way of writing it, a formula, or a
    cap approached): it is scanned element by element instead."""


def _byte_set(chars: bytes) -> np.ndarray:
    """A table of the 256 byte values, true for those in ``chars``."""
    table = np.zeros(256, bool)
    table[list(chars)] = True
    return table


_DELIMITERS = _byte_set(b" \t\r\n/>")
_CAPITALS = _byte_set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = _byte_set(b"0123456789")


#: A tag, from ``<`` to the next ``>`` (which may close it early, inside a quoted value: the
#: bytes after it are then counted as text, more than there is).
_TAG = re.compile(rb"<[^>]*>")


def _text(piece: bytes, start: int, end: int) -> int:
    """The bytes outside tags in ``piece[start:end]``: no fewer than the characters of text
    an XML parser gives there (a reference such as ``&amp;`` and a character of several
    bytes are one character)."""
    return len(_TAG.sub(b"", piece[start:end]))


def _longest_text(a: np.ndarray, n: int, starts: np.ndarray) -> int:
    """The most bytes outside tags between two of ``starts`` (positions of ``<`` in the first
    ``n`` bytes of ``a``)."""
    lt = np.flatnonzero(a[:n] == 60)
    gt = np.flatnonzero(a[:n] == 62)
    ends = np.searchsorted(gt, lt)
    close = gt[np.minimum(ends, len(gt) - 1)] if len(gt) else np.zeros_like(lt)
    close = np.where(ends < len(gt), close, n - 1)  # a tag not closed: to the end
    inside = np.bincount(lt, minlength=n + 1) - np.bincount(close + 1, minlength=n + 1)
    text = np.concatenate(([0], np.cumsum(np.cumsum(inside[:n]) == 0)))
    return int(np.diff(text[starts]).max())


class _SheetBytes:
    """The fast pass over a sheet as Excel, openpyxl and most programs write it: the unpacked
    XML taken a few megabytes at a time and looked at with numpy and compiled regular
    expressions, not element by element.

    It finds what :class:`_Sheet` finds, as upper bounds: the highest row (``<row r="…">``)
    and column (``<c r="…">``), the cells, the longest text a cell can hold (the bytes from a
    cell's start to the next one's, or of text outside tags between them), the used range of
    ``<dimension>``, the text the cells pointing at shared strings add up to. It vouches for
    the sheet (:meth:`done` returns) only when every bound is within the caps and the sheet
    holds nothing it does not read: a cell or row written otherwise (without its reference
    first, in another quoting), an element with a prefix, a formula (``<f>``: the cells
    saved without a value are told element by element), a comment, CDATA or processing
    instruction (text that a ``<`` inside could hide from the count). Otherwise it raises
    :class:`_Unsure`, and the sheet is scanned by :class:`_Sheet`, which names what it finds
    past a cap. The text of a cell is bounded by bytes, so the fast pass never passes what
    the element-by-element scan would refuse.
    """

    def __init__(self, limits: Limits, lengths: array) -> None:
        self.limits = limits
        self.lengths = np.frombuffer(lengths, np.int64) if len(lengths) else None
        self.longest = int(self.lengths.max()) if self.lengths is not None else 0
        self.offset = 0  # bytes of the sheet before the piece being read
        self.run = 0  # bytes since the last cell's start (bounding the text of that cell)
        self.top_row = self.top_col = self.cells = self.repeated = 0

    def feed(self, piece: bytes) -> None:
        """Look at the next piece (ending before a ``<``, or the sheet's end)."""
        if not self.offset and not _UTF8_START.match(piece):
            raise _Unsure  # another encoding (UTF-16: no byte pattern here would match)
        n = len(piece)
        a = np.frombuffer(piece + _PAD, np.uint8)
        lt = np.flatnonzero(a[:n] == 60)  # <
        after = a[lt + 1]
        seen = np.bincount(after, minlength=256)
        if seen[ord("!")]:  # a comment, CDATA or a document type
            raise _Unsure
        if seen[ord("?")]:  # a processing instruction; the XML declaration heads the sheet
            at = lt[after == ord("?")] + self.offset
            if len(at) > 1 or at[0] not in (0, 3):
                raise _Unsure
        if seen[ord("f")] and _FORMULA_TAG.search(piece):
            raise _Unsure
        if _PREFIXED.search(piece):
            raise _Unsure
        if seen[ord("d")]:
            for m in _DIMENSION_TAG.finditer(piece):
                if m[1] is None:
                    raise _Unsure
                try:
                    rows, cols = _dimension(m[1].decode())
                except (UnicodeDecodeError, ValueError):  # the element scan says what it is
                    raise _Unsure from None
                if rows > self.limits.rows or rows * cols > self.limits.cells:
                    raise _Unsure
        self._rows(a, lt[after == ord("r")])
        self._cells(a, n, lt[after == ord("c")], piece)
        self.offset += n

    def _cells(self, a, n: int, starts, piece: bytes) -> None:
        starts = starts[_DELIMITERS[a[starts + 2]]]  # <c followed by a space, / or >
        if not len(starts):
            self.run += n if self.run + n <= self.limits.cell_chars else _text(piece, 0, n)
            self._check_run(self.run)
            return
        # each written <c r="LETTERS, then a digit: 1 to 3 capital letters (to ZZZ)
        ok = (a[starts + 2] == 32) & (a[starts + 3] == 114)  # ' r'
        ok &= (a[starts + 4] == 61) & (a[starts + 5] == 34)  # '="'
        l0, l1, l2 = (a[starts + k].astype(np.int64) for k in (6, 7, 8))
        u0, u1, u2 = (_CAPITALS[x] for x in (l0, l1, l2))
        u1 &= u0
        u2 &= u1
        digits = starts + 7 + u1 + u2  # the first digit of the row
        if not (ok & u0 & _DIGITS[a[digits]]).all():
            raise _Unsure
        col = l0 - 64
        col = np.where(u1, col * 26 + l1 - 64, col)
        col = np.where(u2, col * 26 + l2 - 64, col)
        self.top_col = max(self.top_col, int(col.max()))
        self._cell_rows(a, digits)
        self.cells += len(starts)
        # the text of a cell: at most the bytes from its start to the next cell's start; where
        # they pass the cap, the bytes outside tags
        first = int(starts[0])
        if self.run + first > self.limits.cell_chars:
            self._check_run(self.run + _text(piece, 0, first))
        gaps = np.diff(starts)
        if len(gaps) and int(gaps.max()) > self.limits.cell_chars:
            self._check_run(_longest_text(a, n, starts))
        last = int(starts[-1])
        self.run = _text(piece, last, n)
        self._check_run(self.run)
        if self.lengths is not None:
            self._shared(piece)

    def _check_run(self, chars: int) -> None:
        if chars > self.limits.cell_chars:
            raise _Unsure

    def _cell_rows(self, a: np.ndarray, digits: np.ndarray) -> None:
        """The rows the cells' references name (``digits``: where each one's digits start):
        the readers put a cell there, whatever row holds it. Only a reference of as many
        digits as the highest row so far, or more, can pass it; one of 16 digits or more is
        left to the element scan."""
        width = len(str(self.top_row))
        wide = digits[_DIGITS[a[digits + width - 1]]]
        while len(wide):
            longer = _DIGITS[a[wide + width]]
            same = wide[~longer]
            for k in range(width):  # the greatest of those as wide: digit by digit
                if len(same) < 2:
                    break
                at = a[same + k]
                same = same[at == at.max()]
            if len(same):
                top = int(a[same[0] : same[0] + width].tobytes())
                self.top_row = max(self.top_row, top)
            wide = wide[longer]
            width += 1
            if width > 15 and len(wide):
                raise _Unsure

    def _rows(self, a, starts) -> None:
        starts = starts[(a[starts + 2] == 111) & (a[starts + 3] == 119)]  # <row
        starts = starts[_DELIMITERS[a[starts + 4]]]
        if not len(starts):
            return
        ok = (a[starts + 4] == 32) & (a[starts + 5] == 114)  # ' r'
        ok &= (a[starts + 6] == 61) & (a[starts + 7] == 34)  # '="'
        # the digits of r="…": 1 to 15, then the closing quote
        digits = a[(starts + 8)[:, None] + np.arange(16)].astype(np.int64)
        width = np.argmin(_DIGITS[digits], axis=1)
        ok &= (width > 0) & (digits[np.arange(len(starts)), width] == 34)
        if not ok.all():
            raise _Unsure
        power = width[:, None] - 1 - np.arange(16)
        value = np.where(power >= 0, (digits - 48) * 10 ** np.maximum(power, 0), 0).sum(axis=1)
        self.top_row = max(self.top_row, int(value.max()))

    def _shared(self, piece: bytes) -> None:
        pointing = piece.count(b' t="s"')
        if not pointing:
            return
        if self.repeated + pointing * self.longest <= self.limits.unpacked_bytes:
            self.repeated += pointing * self.longest
            return
        found = _SHARED_CELL.findall(piece)
        if len(found) != pointing:
            raise _Unsure
        index = np.array(found).astype(np.int64)
        index = index[index < len(self.lengths)]
        self.repeated += int(self.lengths[index].sum())
        if self.repeated > self.limits.unpacked_bytes:
            raise _Unsure

    def done(self) -> None:
        """After the last piece: the highest row and column, and the cells, within the caps."""
        limits = self.limits
        if (
            self.top_row > limits.rows
            or self.top_row * self.top_col > limits.cells
            or self.cells > limits.cells
        ):
            raise _Unsure


def _scan_sheet_fast(archive: zipfile.ZipFile, member: str, limits: Limits, lengths) -> bool:
    """Whether the fast pass (:class:`_SheetBytes`) vouches for a sheet."""
    scan = _SheetBytes(limits, lengths)
    carry = b""
    try:
        with archive.open(member) as src:
            while block := src.read(_SHEET_CHUNK):
                piece = carry + block
                cut = piece.rfind(b"<")
                if cut <= 0:
                    if len(piece) > _CARRY:
                        raise _Unsure
                    carry = piece
                    continue
                carry = piece[cut:]
                scan.feed(piece[:cut])
        if carry:
            scan.feed(carry)
        scan.done()
    except _Unsure:
        return False
    return True


def _check_xlsx(path: Path, limits: Limits, open_: Callable[[], BinaryIO]) -> Scan:
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    scan = Scan("xlsx")
    with open_() as fh:
        reader = ExcelReader(fh, read_only=True)  # opens the zip archive, reads no part
        archive = reader.archive
        _check_archive_sizes(
            archive,
            limits,
            lambda n: n.startswith("xl/worksheets/") or n.endswith("sharedstrings.xml"),
        )
        # the parts openpyxl reads: the shared strings and the sheets the workbook lists
        reader.read_manifest()
        reader.read_workbook()
        sheets = [
            (sheet.name, rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files
        ]
        # and the parts calamine reads, by their names: the shared strings, every sheet
        named = {sheet for _, sheet in sheets}
        sheets += [
            (n, n)
            for n in archive.namelist()
            if n.startswith("xl/worksheets/") and n.endswith(".xml") and n not in named
        ]
        parts = []
        part = reader.package.find(SHARED_STRINGS)
        if part is not None and part.PartName[1:] in reader.valid_files:
            parts.append(part.PartName[1:])
        if "xl/sharedStrings.xml" in archive.namelist() and "xl/sharedStrings.xml" not in parts:
            parts.append("xl/sharedStrings.xml")
        lengths = array("q")
        for part in parts:  # two parts (a file built to differ by reader): the longer texts
            strings = _SharedStrings(limits)
            _parse_member(archive, part, strings)
            merged = array("q", map(max, lengths, strings.lengths))
            rest = lengths if len(lengths) > len(strings.lengths) else strings.lengths
            lengths = merged + rest[len(merged) :]
        for title, member in sheets:
            if _scan_sheet_fast(archive, member, limits, lengths):
                continue
            sheet = _Sheet(title, limits, lengths)
            _parse_member(archive, member, sheet)
            if sheet.formula_rows:
                scan.formulas[title] = (sheet.formula_rows, sheet.formula_cols)
        archive.close()
    return scan


# --- ods -----------------------------------------------------------------------------------


def _repeats(text: str | None) -> int:
    """A repeat count as readers parse it (``"+3"`` is 3); 1 when absent or not a number."""
    text = (text or "").strip().removeprefix("+")
    return int(text) if text.isascii() and text.isdigit() else 1


#: Attributes of a table cell that give it a value (by their name without namespace).
_ODS_VALUES = frozenset(
    ("value-type", "value", "string-value", "date-value", "time-value", "boolean-value")
)


class _OdsContent(_Rectangle):
    """Streams an OpenDocument spreadsheet's ``content.xml``: for each sheet the rows and
    cells holding content (a value, text or a formula), with their repeats, the highest row
    and column holding content, each cell's text and all the text once written out; notes
    the cells holding a formula without a value.

    Elements and attributes are matched by their names without namespace, whatever prefix
    the file binds, so that a reader matching another way finds nothing left uncounted.
    Repeated empty rows and cells count only where content follows them (LibreOffice ends
    every sheet with a million repeated empty rows; readers drop them).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.title = ""
        self.depth = 0  # tables open (a table inside a cell is read as the cell's text)
        self.row = 0  # rows of the current sheet before the row being read, repeats counted
        self.top_col = 0  # the highest column holding content in the sheet
        self.cells = 0  # cells with content in the workbook (a reader holds every sheet)
        self.written = 0  # characters of their text, repeats written out
        self.in_row = self.in_cell = False
        self.row_reps = self.col = self.row_last = self.row_cells = self.row_text = 0
        self.row_formulas: list[tuple[int, int]] = []
        self.cell_reps = self.chars = 0
        self.content = self.formula = False
        self.formulas: dict[str, tuple[array, array]] = {}

    def start(self, name: str, attrs: list[str]) -> None:
        local = _local(name)
        if local == "table":
            self.depth += 1
            if self.depth == 1:
                self.title = _attr(attrs, "name") or f"{len(self.formulas) + 1}"
                self.row = self.top_col = 0
            return
        if self.depth != 1:
            return
        if local == "table-row":
            self.in_row = True
            self.row_reps = _repeats(_attr(attrs, "number-rows-repeated"))
            self.col = self.row_last = self.row_cells = self.row_text = 0
            self.row_formulas = []
        elif local in ("table-cell", "covered-table-cell") and self.in_row:
            self.in_cell = True
            self.cell_reps = 1
            self.chars = 0
            valued = formula = False
            for i in range(0, len(attrs), 2):
                key = _local(attrs[i])
                if key in _ODS_VALUES:
                    valued = True
                    self.chars += len(attrs[i + 1])
                elif key == "formula":
                    formula = True
                elif key == "number-columns-repeated":
                    self.cell_reps = _repeats(attrs[i + 1])
            self.content = valued or formula
            self.formula = formula and not valued
            self._check_chars()
        elif self.in_cell:
            if local == "s":
                self.chars += _repeats(_attr(attrs, "c"))
            elif local in ("p", "tab", "line-break"):
                self.chars += 1
            self._check_chars()

    def _check_chars(self) -> None:
        if self.chars > self.limits.cell_chars:
            raise _OverCap(
                "cell_chars",
                f"{self._where()} row {_num(self.row + 1)} holds a cell of more than "
                f"{_num(self.limits.cell_chars)} characters",
                self.chars,
            )

    def text(self, data: str) -> None:
        if self.in_cell:
            self.chars += len(data)
            self._check_chars()

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "table":
            self.depth -= 1
            return
        if self.depth != 1:
            return
        if local in ("table-cell", "covered-table-cell") and self.in_cell:
            self.in_cell = False
            if self.content or self.chars:
                self.row_last = self.col + self.cell_reps
                self.row_cells += self.cell_reps
                self.row_text += self.chars * self.cell_reps
                if self.formula and not self.chars:
                    self.row_formulas.append((self.col + 1, self.cell_reps))
            self.col += self.cell_reps
        elif local == "table-row" and self.in_row:
            self.in_row = False
            if self.row_last:
                last = self.row + self.row_reps
                self.top_col = max(self.top_col, self.row_last)
                self._check_rectangle(last, self.top_col, "uses")
                self.cells += self.row_cells * self.row_reps
                if self.cells > self.limits.cells:
                    raise _OverCap(
                        "cells",
                        f"The workbook holds more than {_num(self.limits.cells)} cells with "
                        "content (counting stopped there)",
                    )
                self.written += self.row_text * self.row_reps
                if self.written > self.limits.unpacked_bytes:
                    raise _OverCap(
                        "unpacked_mb",
                        f"The cells of the workbook come to more than "
                        f"{_num(self.limits.unpacked_mb)} MB of text once their repeats are "
                        "written out",
                    )
                for col, reps in self.row_formulas:
                    rows, cols = self.formulas.setdefault(self.title, (array("l"), array("l")))
                    for r in range(self.row + 1, last + 1):
                        rows.extend([r] * reps)
                        cols.extend(range(col, col + reps))
            self.row += self.row_reps

    def close(self) -> None:
        pass


def _check_ods(path: Path, limits: Limits, open_: Callable[[], BinaryIO]) -> Scan:
    with open_() as fh, zipfile.ZipFile(fh) as archive:
        _check_archive_sizes(archive, limits, lambda n: n == "content.xml")
        # a spreadsheet saved with a password: its manifest gives how each part is encrypted
        manifest = "META-INF/manifest.xml"
        if manifest in archive.namelist() and b"encryption-data" in archive.read(manifest):
            raise _password_protected(path)
        member = next(n for n in archive.namelist() if n.lower() == "content.xml")
        content = _OdsContent(limits)
        _parse_member(archive, member, content)
    return Scan("ods", content.formulas)


# --- xls -----------------------------------------------------------------------------------

#: BIFF records of an old Excel file that are looked at (MS-XLS 2.3).
_EOF, _FILEPASS, _BOUNDSHEET, _SST, _CONTINUE, _DIMENSIONS = 0x0A, 0x2F, 0x85, 0xFC, 0x3C, 0x200
_LABEL, _LABELSST, _MULRK, _STRING = 0x204, 0xFD, 0xBD, 0x207
#: Records of one cell each (row and column first): number, label, boolean or error, RK
#: number, shared string, formula, as the readers take them (blank cells are skipped).
_XLS_CELLS = frozenset((0x203, _LABEL, 0x205, 0x27E, _LABELSST, 0x06))


class _Ended(Exception):
    """The records end before the text they announce (a damaged file; the reader says so)."""


class _Segments:
    """The bytes of a record and the ``CONTINUE`` records after it, read across their
    boundaries as the shared strings are (MS-XLS 2.4.58)."""

    def __init__(self, data: bytes, spans: list[tuple[int, int]]) -> None:
        self.data, self.spans, self.i = data, spans, 0
        self.pos, self.stop = spans[0]

    def _next(self) -> None:
        self.i += 1
        if self.i >= len(self.spans):
            raise _Ended
        self.pos, self.stop = self.spans[self.i]

    def read(self, k: int) -> bytes:
        out = b""
        while k:
            if self.pos >= self.stop:
                self._next()
            take = min(k, self.stop - self.pos)
            out += self.data[self.pos : self.pos + take]
            self.pos += take
            k -= take
        return out

    def skip(self, k: int) -> None:
        while k:
            if self.pos >= self.stop:
                self._next()
            take = min(k, self.stop - self.pos)
            self.pos += take
            k -= take

    def chars(self, cch: int, wide: bool) -> None:
        """Skip ``cch`` characters; a ``CONTINUE`` met on the way starts with a byte saying
        whether the rest are one byte or two."""
        while cch:
            if self.pos >= self.stop:
                self._next()
                wide = bool(self.data[self.pos] & 1)
                self.pos += 1
                continue
            width = 2 if wide else 1
            take = min(cch, (self.stop - self.pos) // width)
            if not take:
                raise _Ended
            self.pos += take * width
            cch -= take


def _sst_lengths(stream: bytes, body: int, size: int, limits: Limits) -> array:
    """The length of each shared string of an old Excel file's ``SST`` record (at ``body``,
    ``size`` bytes long), refusing a declared count past the cap (readers set room aside for
    that many) and a string past the cell cap."""
    import struct

    lengths = array("q")
    if size < 8:
        return lengths
    declared = struct.unpack_from("<i", stream, body + 4)[0]
    if declared > limits.shared_strings:
        raise _OverCap(
            "shared_strings",
            f"The workbook declares {_num(declared)} distinct texts (shared strings)",
            declared,
        )
    spans = [(body + 8, body + size)]
    pos = body + size
    while pos + 4 <= len(stream):
        typ, length = struct.unpack_from("<HH", stream, pos)
        if typ != _CONTINUE:
            break
        spans.append((pos + 4, min(pos + 4 + length, len(stream))))
        pos += 4 + length
    seg = _Segments(stream, spans)
    try:
        for _ in range(max(declared, 0)):
            cch, flags = struct.unpack("<HB", seg.read(3))
            runs = struct.unpack("<H", seg.read(2))[0] if flags & 0x08 else 0
            ext = struct.unpack("<I", seg.read(4))[0] if flags & 0x04 else 0
            seg.chars(cch, bool(flags & 0x01))
            seg.skip(4 * runs + ext)
            if cch > limits.cell_chars:
                raise _OverCap(
                    "cell_chars",
                    f"Text number {_num(len(lengths) + 1)} of the workbook's shared strings is "
                    f"{_num(cch)} characters long",
                    cch,
                )
            lengths.append(cch)
    except _Ended:
        pass
    return lengths


class _XlsSheet(_Rectangle):
    def __init__(self, title: str, limits: Limits) -> None:
        self.title, self.limits = title, limits


def _check_xls(path: Path, limits: Limits, stream: bytes) -> None:
    """Walk the records of an old Excel file's workbook stream: the workbook's own (its
    sheets, shared strings, a password), then each sheet's from where the workbook says it
    begins, as the reader does."""
    import struct

    unpack = struct.unpack_from
    n = len(stream)
    sheets: list[tuple[int, str]] = []
    lengths = array("q")
    pos = 0
    while pos + 4 <= n:
        typ, size = unpack("<HH", stream, pos)
        body, pos = pos + 4, pos + 4 + size
        if typ == _FILEPASS and size >= 2 and unpack("<H", stream, body)[0]:
            raise _password_protected(path)
        if typ == _BOUNDSHEET and size >= 8:
            cch, wide = stream[body + 6], stream[body + 7] & 1
            raw = stream[body + 8 : body + 8 + cch * (2 if wide else 1)]
            name = raw.decode("utf-16-le" if wide else "latin-1", errors="replace")
            sheets.append((unpack("<I", stream, body)[0], name))
        elif typ == _SST:
            lengths = _sst_lengths(stream, body, size, limits)
        elif typ == _EOF:
            break
    cells = written = 0
    for start, title in sheets:
        sheet = _XlsSheet(title, limits)
        top_row = top_col = 0
        pos = start
        while pos + 4 <= n:
            typ, size = unpack("<HH", stream, pos)
            body, pos = pos + 4, pos + 4 + size
            if typ in _XLS_CELLS and size >= 4:
                row, col = unpack("<HH", stream, body)
                count = 1
                if typ == _LABELSST and size >= 10:
                    i = unpack("<I", stream, body + 6)[0]
                    written += lengths[i] if i < len(lengths) else 0
                elif typ == _LABEL and size >= 8:
                    written += unpack("<H", stream, body + 6)[0]
            elif typ == _MULRK and size >= 6:
                row, first = unpack("<HH", stream, body)
                col = unpack("<H", stream, body + size - 2)[0]
                count = max(col - first + 1, 0)
            elif typ == _STRING and size >= 2:  # a formula's text result
                written += unpack("<H", stream, body)[0]
                continue
            elif typ == _DIMENSIONS and size in (10, 14):
                fmt = "<IIHH" if size == 14 else "<HHHH"
                _, rows, _, cols = unpack(fmt, stream, body)  # the last row and column + 1
                sheet._check_rectangle(rows, cols, "declares its used range as")
                continue
            elif typ == _EOF:
                break
            else:
                continue
            if row >= top_row or col >= top_col:
                top_row, top_col = max(top_row, row + 1), max(top_col, col + 1)
                sheet._check_rectangle(top_row, top_col, "uses")
            cells += count
            if cells > limits.cells:
                raise _OverCap(
                    "cells",
                    f"The workbook holds more than {_num(limits.cells)} cells "
                    "(counting stopped there)",
                )
            if written > limits.unpacked_bytes:
                raise _OverCap(
                    "unpacked_mb",
                    f"The cells of the workbook come to more than {_num(limits.unpacked_mb)} "
                    "MB of text once written out",
                )


# --- parquet -------------------------------------------------------------------------------


def _check_parquet(path: Path, limits: Limits, open_: Callable[[], BinaryIO]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(open_()).metadata
    rows, cols = meta.num_rows, meta.num_columns
    what = "The table"
    if rows > limits.rows:
        raise _OverCap("rows", f"{what} has {_num(rows)} rows (by the file's metadata)", rows)
    if rows * cols > limits.cells:
        raise _OverCap(
            "cells",
            f"{what} has {_num(rows)} rows by {_num(cols)} columns ({_num(rows * cols)} cells)",
            rows * cols,
        )
    unpacked = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        chunks = [group.column(c) for c in range(group.num_columns)]
        unpacked += max(group.total_byte_size, sum(c.total_uncompressed_size for c in chunks))
        for chunk in chunks:
            if chunk.num_values > limits.rows:
                raise _OverCap(
                    "rows",
                    f"Column {chunk.path_in_schema!r} holds {_num(chunk.num_values)} values "
                    f"in one row group",
                    chunk.num_values,
                )
    if unpacked > limits.unpacked_bytes:
        raise _OverCap(
            "unpacked_mb",
            f"{what} unpacks to {_mb(unpacked)} MB (by the file's metadata)",
            -(-unpacked // _MB),
        )
    # text columns, read as stored: a value repeated by a dictionary is read once
    schema = pq.ParquetFile(open_()).schema_arrow
    text = [
        f.name
        for f in schema
        if pa.types.is_string(f.type)
        or pa.types.is_large_string(f.type)
        or pa.types.is_binary(f.type)
        or pa.types.is_large_binary(f.type)
        or (pa.types.is_dictionary(f.type) and not pa.types.is_integer(f.type.value_type))
    ]
    if not text:
        return
    written = 0
    for batch in pq.ParquetFile(open_(), read_dictionary=text).iter_batches(
        batch_size=1 << 16, columns=text
    ):
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            if pa.types.is_dictionary(column.type):
                values = column.dictionary
                length = pc.utf8_length if pa.types.is_string(values.type) else pc.binary_length
                lengths = pc.take(length(values), column.indices)
            else:
                is_str = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
                lengths = (pc.utf8_length if is_str else pc.binary_length)(column)
            longest = pc.max(lengths).as_py() or 0
            if longest > limits.cell_chars:
                raise _OverCap(
                    "cell_chars",
                    f"Column {name!r} holds a value of {_num(longest)} characters",
                    longest,
                )
            written += pc.sum(lengths).as_py() or 0
            if written > limits.unpacked_bytes:
                raise _OverCap(
                    "unpacked_mb",
                    f"The table's texts come to more than {_num(limits.unpacked_mb)} MB once "
                    "written out (reading stopped there)",
                )


# --- csv -----------------------------------------------------------------------------------


def _check_csv(path: Path, limits: Limits, open_: Callable[[], BinaryIO]) -> None:
    with open_() as fh:
        size = fh.seek(0, io.SEEK_END)
    if size > limits.unpacked_bytes:
        raise _OverCap("unpacked_mb", f"The file is {_mb(size)} MB", -(-size // _MB))
    # lines and the header's delimiters (every one of ; , and tab counted: an upper bound
    # of its fields; also in UTF-16, whose characters below 128 hold the same byte)
    lines = 0
    header: dict[int, int] = dict.fromkeys(b";,\t", 0)
    in_header = True
    last = b"\n"
    with open_() as fh:
        while chunk := fh.read(_CHUNK):
            if in_header:
                end = chunk.find(b"\n")
                in_header = end < 0
                for d in header:
                    header[d] += chunk.count(bytes([d]), 0, len(chunk) if in_header else end)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            if lines > limits.rows + 1:
                raise _OverCap(
                    "rows",
                    f"The file has more than {_num(limits.rows)} rows below its header "
                    "(counting stopped there)",
                )
    rows = max(lines + (last != b"\n") - 1, 0)
    cols = max(header.values()) + 1
    if rows * cols > limits.cells:
        raise _OverCap(
            "cells",
            f"The file has {_num(rows)} rows by up to {_num(cols)} columns "
            f"({_num(rows * cols)} cells)",
            rows * cols,
        )
