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

What is checked, by kind of file:

* **xlsx**: the zip archive's own sizes of its parts (Python's :mod:`zipfile` never unpacks a
  part past the size its archive gives, and a part whose bytes do not match that size fails
  its checksum), a part read whole (styles, the list of sheets) held to a tenth of the cap;
  then, unpacked as a stream, the shared strings (counted, each one's length)
  and every sheet (the used range its ``<dimension>`` gives, the highest row and column
  used, the cells, the length of each cell's text, and the text the cells that point at a
  shared string add up to).
* **parquet**: the file's metadata (rows, columns, values per column, unpacked size of the
  row groups); then the text columns, read a batch at a time as they are stored (a repeated
  value once, with a dictionary), for their length once written out and their longest value.
* **csv**: the file's size, its lines and the columns of its header line.

A file that is an OLE2 compound document (the format of Excel's old ``.xls`` files and of a
workbook saved with a password) is named as such.
"""

from __future__ import annotations

import io
import os
import zipfile
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from evalkit.errors import EvalkitError, StructuralError

#: The first bytes of an OLE2 compound document (old .xls, and a workbook with a password).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20
_MB = 1_000_000
_SAVE_AS_XLSX = "open it in Excel and save it as «Excel-arbeidsbok (.xlsx)»"


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


def check_bounds(path: Path | str, limits: Limits | None = None, data: bytes | None = None) -> None:
    """Check that an export stays within the caps, before any reader expands it.

    The kind of file is told by its first bytes as well as its ending: an OLE2 compound
    document (an old ``.xls``, or a workbook saved with a password) is named as such whatever
    its ending. Other endings than ``.xlsx``, ``.csv`` and ``.parquet`` are left to the
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

    Raises
    ------
    StructuralError
        A cap passed (the sentence names the file, what was found, the cap and the environment
        variable that raises it), a password-protected workbook, an old ``.xls`` file.
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
    if head == OLE_MAGIC:
        raise _ole_error(path, open_)
    suffix = path.suffix.strip().lower()
    if head.startswith(_ZIP_MAGIC) and suffix in (".csv", ".parquet"):
        raise StructuralError(
            f"The file is a zip archive (as an .xlsx workbook is), not a {suffix} file",
            file=path,
            fix=f"if it is an Excel workbook, rename it to {path.stem.strip()}.xlsx",
        )
    checks: dict[str, Callable[[Path, Limits, Callable[[], BinaryIO]], None]] = {
        ".xlsx": _check_xlsx,
        ".parquet": _check_parquet,
        ".csv": _check_csv,
    }
    check = checks.get(suffix)
    if check is None:
        return
    try:
        check(path, limits, open_)
    except _OverCap as err:
        raise _over_cap(path, limits, err) from None


# --- OLE2 ----------------------------------------------------------------------------------


def _ole_error(path: Path, open_: Callable[[], BinaryIO]) -> StructuralError:
    """The error for an OLE2 file: a workbook saved with a password (Excel then wraps the
    .xlsx, encrypted, in an ``EncryptedPackage`` stream) or an old .xls file."""
    import olefile

    try:
        with open_() as fh, olefile.OleFileIO(fh) as ole:
            encrypted = ole.exists("EncryptedPackage")
    except Exception:  # a damaged OLE file: say what its first bytes say
        encrypted = False
    if encrypted:
        return StructuralError(
            "The file is password-protected",
            file=path,
            fix=(
                "save it without a password (File > Info > Protect workbook; in Norwegian "
                "Excel Fil > Info > Beskytt arbeidsbok) and run again"
            ),
        )
    return StructuralError(
        "The file is an old Excel file (.xls, an OLE2 compound document), not an .xlsx workbook",
        file=path,
        fix=_SAVE_AS_XLSX,
    )


# --- xlsx ----------------------------------------------------------------------------------


def _expat_parser() -> expat.XMLParserType:
    """A streaming XML parser that refuses entity declarations and external references, as
    defusedxml's parsers do (and with its errors)."""
    from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

    parser = expat.ParserCreate(namespace_separator=" ")
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
    with archive.open(name) as src:
        while chunk := src.read(_CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    scan.close()


def _local(name: str) -> str:
    """An element's name without its namespace (expat gives ``"uri local"``)."""
    return name[name.rfind(" ") + 1 :]


class _SharedStrings:
    """Counts the shared strings and records each one's length (its text in characters)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.lengths = array("q")
        self.current = -1  # length of the string being read; -1 before the first

    def start(self, name: str, attrs: list[str]) -> None:
        if _local(name) == "si":
            if self.current >= 0:
                self.lengths.append(self.current)
            if len(self.lengths) >= self.limits.shared_strings:
                raise _OverCap(
                    "shared_strings",
                    f"The workbook holds more than {_num(self.limits.shared_strings)} distinct "
                    "texts (shared strings; counting stopped there)",
                )
            self.current = 0

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


_OTHER, _CELL, _VALUE, _TEXT_PART, _ROW, _DIMENSION = range(6)
#: The elements of a sheet that are looked at, by their name without namespace (as every
#: reader matches them): a cell, its value, its formula or inline text, a row, the used range.
_SHEET_ELEMENTS = {"c": _CELL, "v": _VALUE, "f": _TEXT_PART, "is": _TEXT_PART, "row": _ROW}
_SHEET_ELEMENTS["dimension"] = _DIMENSION


class _Sheet:
    """Streams a sheet: its used range, highest row and column, cells, each cell's text, and
    the text its cells pointing at shared strings add up to."""

    def __init__(self, title: str, limits: Limits, lengths: array) -> None:
        self.title = title
        self.limits = limits
        self.lengths = lengths
        self.row = 0  # the row being read (as openpyxl numbers it: r, else the one before + 1)
        self.col = 0  # the column of the cell being read
        self.top_col = 0  # the highest column so far
        self.cells = 0
        self.chars = 0  # characters of the current cell's text part
        self.shared = False  # the current cell points at a shared string
        self.index = ""  # the text of that cell's <v>, the string's number
        self.in_v = False
        self.repeated = 0  # characters of the shared strings the cells point at
        self.kinds: dict[str, int] = {}  # element names as expat gives them -> kind

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

    def _end_cell(self) -> None:
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

    def start(self, name: str, attrs: list[str]) -> None:
        kind = self.kinds.get(name)
        if kind is None:
            kind = _SHEET_ELEMENTS.get(_local(name), _OTHER)
            if len(self.kinds) < 1_000:  # a file may hold any number of element names
                self.kinds[name] = kind
        self.in_v = False
        if kind == _OTHER:
            return
        if kind == _CELL:
            self._end_cell()
            self.cells += 1
            ref = t = None
            for i in range(0, len(attrs), 2):
                if attrs[i] == "r":
                    ref = attrs[i + 1]
                elif attrs[i] == "t":
                    t = attrs[i + 1]
            self.col = _column(ref) if ref else self.col + 1
            if self.col > self.top_col:
                self.top_col = self.col
                self._check_rectangle(self.row, self.col, "uses")
            if self.cells > self.limits.cells:
                raise _OverCap(
                    "cells",
                    f"{self._where()} holds more than {_num(self.limits.cells)} cells "
                    "(counting stopped there)",
                )
            self.shared = t == "s"
            self.chars = 0
        elif kind == _VALUE:
            self.chars = 0
            self.in_v = self.shared
        elif kind == _TEXT_PART:
            self.chars = 0
        elif kind == _ROW:
            self._end_cell()
            self.shared = False
            r = next((attrs[i + 1] for i in range(0, len(attrs), 2) if attrs[i] == "r"), "")
            r = r.strip()
            self.row = int(r) if r.isascii() and r.isdigit() else self.row + 1
            self.col = 0
            self._check_rectangle(self.row, self.top_col, "uses")
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
        if self.in_v:
            self.index += data[:32]

    def close(self) -> None:
        self._end_cell()


def _check_xlsx(path: Path, limits: Limits, open_: Callable[[], BinaryIO]) -> None:
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    with open_() as fh:
        reader = ExcelReader(fh, read_only=True)  # opens the zip archive, reads no part
        archive = reader.archive
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
        # to a tenth of the cap; the sheets and shared strings are streamed, and scanned below
        whole = limits.unpacked_bytes // 10
        for info in infos:
            name = info.filename.lower()
            streamed = name.startswith("xl/worksheets/") or name.endswith("sharedstrings.xml")
            if name.endswith((".xml", ".rels")) and not streamed and info.file_size > whole:
                raise _OverCap(
                    "unpacked_mb",
                    f"The workbook's part {info.filename!r} unpacks to "
                    f"{_mb(info.file_size)} MB, more than the tenth of the cap that a part "
                    "read whole (styles, the list of sheets) may take",
                    -(-info.file_size * 10 // _MB),
                )
        # the parts openpyxl reads: the shared strings and the sheets the workbook lists
        reader.read_manifest()
        reader.read_workbook()
        sheets = [
            (sheet.name, rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files
        ]
        strings = _SharedStrings(limits)
        part = reader.package.find(SHARED_STRINGS)
        if part is not None and part.PartName[1:] in reader.valid_files:
            _parse_member(archive, part.PartName[1:], strings)
        for title, member in sheets:
            _parse_member(archive, member, _Sheet(title, limits, strings.lengths))
        archive.close()


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
