"""Reading one year's export: a workbook (``.xlsx``, ``.ods``, ``.xls``), ``.csv`` or
``.parquet``.

* **CSV**: a file that starts with the byte-order mark of UTF-16 (LE or BE, as Excel's
  «Unicode-tekst» writes it) or UTF-32 is read in that encoding; any other is read as UTF-8
  (with or without its mark, as «CSV UTF-8» writes it), and as Windows-1252 («CSV
  (semikolondelt)») when it is not valid UTF-8. A file holding NUL bytes without a mark
  (UTF-16 without one) is a structural error. The delimiter (``;``, ``,`` or tab) is the one
  that splits the header line into the most fields.
* **Workbooks** (Excel's ``.xlsx`` and old ``.xls``, LibreOffice's ``.ods``; which one a file
  is, its bytes tell) are read by calamine (``python-calamine``). The header row is looked
  for among the first :data:`HEADER_SEARCH_ROWS` rows of every sheet, as the row holding the
  most of a layout's headers with all the required ones. A title row above the header, or
  the data on another sheet than the first, is read and noted in the data-quality record;
  two such rows (two sheets holding the export, say) are a structural error naming the
  sheets and rows. Cells holding a formula are read as the value saved with it (the
  formula itself is never evaluated); a formula saved without a value (a workbook written
  by a program and never opened in Excel) is read as empty and gets its own flag,
  ``formula_without_value``.

Before any reader is called, :func:`evalkit.bounds.check_bounds` checks the file against the
caps on its unpacked size, rows, cells, shared strings and cell length (a decompression bomb
is refused in a sentence naming the cap and how to raise it), names a password-protected
workbook as such, and tells the kind of workbook a file is.

Headers are mapped to fields through the scheme's layouts; personal-data columns are dropped
as soon as the file is read (they are never kept, printed or written); columns that no layout
knows are listed in the data-quality report and kept out of the analysis. Every cell is read
as text so that cleaning sees what the user typed. The frame's ``_row`` is the row number the
user sees in Excel (the first data row is the one below the header row).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import logging
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from evalkit.bounds import WORKBOOK_SUFFIXES, Limits, Scan, check_bounds
from evalkit.config import Layout, Scheme
from evalkit.errors import EvalkitError, StructuralError
from evalkit.flags import FLAG_COLUMNS, empty_flags, explained, quoted
from evalkit.i18n import LANGUAGES

log = logging.getLogger(__name__)

_HEADER_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")

#: How many rows of each sheet of a workbook are searched for the header row.
HEADER_SEARCH_ROWS = 20
#: File endings read: workbooks (their kind told by their bytes), CSV and parquet.
READ_SUFFIXES = (*WORKBOOK_SUFFIXES, ".csv", ".parquet")

#: The explanation (catalog key) of a formula cell saved without its value.
_FORMULA_WITHOUT_VALUE = "dq.formula_without_value"


@dataclass
class RawExport:
    """A year's export after reading: fields as columns (text), personal data dropped."""

    path: Path
    layout: str
    frame: pd.DataFrame  # columns: _row, then one column per field present (string dtype)
    headers: dict[str, str]  # field -> raw header as it stood in the file
    extra_columns: list[str] = field(default_factory=list)
    dropped_personal: list[str] = field(default_factory=list)
    #: Flags raised while reading (FLAG_COLUMNS): the header row or sheet that was used when
    #: it is not the first row of the first sheet, formula cells saved without a value.
    read_flags: pd.DataFrame = field(default_factory=empty_flags)
    #: sha256 of the file's bytes that were parsed (read once: what is hashed is what was read).
    sha256: str = ""

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def extra_column_flags(self) -> pd.DataFrame:
        """One data-quality row per column that no layout knows (row left blank)."""
        if not self.extra_columns:
            return empty_flags()
        return _flag_rows(
            [
                {"column": c, "problem": "extra_column", "detail": "dq.extra_column"}
                | {"action": "noted"}
                for c in self.extra_columns
            ]
        )


def _flag_rows(rows: list[dict]) -> pd.DataFrame:
    """A flags frame from dicts holding some of :data:`FLAG_COLUMNS` (the rest left blank)."""
    if not rows:
        return empty_flags()
    # a row's "detail" is a catalog key with its fields in "args" (see evalkit.flags)
    rows = [{**r, **explained(r["detail"], r.get("args"))} if r.get("detail") else r for r in rows]
    return pd.DataFrame(
        {
            "row": pd.array([r.get("row") for r in rows], dtype="Int64"),
            **{c: pd.array([r.get(c) for r in rows], dtype="string") for c in FLAG_COLUMNS[1:]},
        }
    )


def clean_header(header: object) -> str:
    """A header as compared with the layout: spaces of every kind folded, ends trimmed."""
    return _HEADER_SPACES.sub(" ", str(header)).strip()


@dataclass
class _Table:
    """A table as read, before its headers are mapped to fields."""

    frame: pd.DataFrame  # the header row's cells as column names, every row below it
    header_row: int = 1  # the header's row number as the user sees it (in Excel)
    sheet: str | None = None  # the sheet read (workbooks only)
    sheet_index: int = 0
    other_sheets: list[str] = field(default_factory=list)  # sheets with content not read
    # (row number as in Excel, column position in ``frame``) of formula cells with no value
    formula_cells: list[tuple[int, int]] = field(default_factory=list)
    sha256: str = ""  # of the bytes parsed


# --- CSV ---------------------------------------------------------------------------------

#: Encodings tried in turn for a CSV file without a byte-order mark: UTF-8 (``utf-8-sig``
#: reads it with or without a mark), then Windows-1252.
_ENCODINGS = ("utf-8-sig", "cp1252")
#: Byte-order marks of UTF-16 and UTF-32 and the encoding each announces (UTF-32 first: its
#: LE mark begins with UTF-16's). A file with UTF-8's mark is tried as :data:`_ENCODINGS`
#: are: a UTF-8 header above Windows-1252 rows (a file pasted together) is read as
#: Windows-1252, and its headers then match no layout.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAVE_AS_CSV = "save it from Excel as «CSV UTF-8 (kommadelt)» or as an .xlsx workbook"


def _not_text(path: Path) -> StructuralError:
    return StructuralError(
        "The CSV file is neither UTF-8 nor Windows-1252 text, and it has no byte-order mark "
        "saying it is UTF-16",
        file=path,
        fix=_SAVE_AS_CSV,
    )


def _delimiter(first: str) -> str:
    """The delimiter that splits the header line into the most fields (a header such as
    «Målgruppe - annet, spesifiser» holds a comma in a ;-separated file; it is quoted in a
    ,-separated one)."""
    return max(";,\t", key=lambda d: len(next(csv.reader([first], delimiter=d))))


def _csv_encodings(path: Path, data: bytes) -> tuple[str, ...]:
    """The encodings to try for a CSV file: the one its UTF-16 or UTF-32 byte-order mark
    names, else :data:`_ENCODINGS`."""
    head = data[:4096]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return (encoding,)
    if b"\x00" in head:  # UTF-8 and Windows-1252 text never holds NUL
        raise StructuralError(
            "The CSV file holds NUL bytes: it is UTF-16 text without a byte-order mark, or not "
            "text at all",
            file=path,
            fix=_SAVE_AS_CSV,
        )
    return _ENCODINGS


def _read_csv(path: Path, data: bytes) -> pd.DataFrame:
    """Read a CSV file's bytes ``data`` as text, in the first of its encodings that decodes
    all of it.

    pandas decodes the bytes itself (no decoded copy of the whole file in Python); a file
    that is not valid UTF-8 makes it raise ``UnicodeDecodeError``, and it is read again as
    Windows-1252. The delimiter is found from the header line. A UTF-8 file is read by
    pyarrow's CSV reader when it reads it (:func:`_read_csv_arrow`), with the same result.
    """
    for encoding in _csv_encodings(path, data):
        try:
            with io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="") as fh:
                first = fh.readline().rstrip("\r\n")
        except UnicodeDecodeError:
            continue  # the start of the file is not in this encoding, so neither is the file
        options = {
            "sep": _delimiter(first),
            "encoding": encoding,
            "dtype": "string",
            "keep_default_na": False,
            "na_values": [""],
            "skip_blank_lines": False,
        }
        if encoding == "utf-8-sig" and (frame := _read_csv_arrow(data, options)) is not None:
            return frame
        try:
            return pd.read_csv(io.BytesIO(data), **options)
        except UnicodeDecodeError:
            continue
    raise _not_text(path)


def _read_csv_arrow(data: bytes, options: dict) -> pd.DataFrame | None:
    """The frame :func:`pandas.read_csv` makes of UTF-8 ``data`` with ``options``, read by
    pyarrow's CSV reader (in parallel, from the bytes; a third of pandas' time), or None when
    pyarrow does not read the file as pandas would, and pandas is to read it.

    The column names are pandas' own (it reads the header line alone: a header named twice
    is mangled as pandas mangles it, an empty one is «Unnamed: 3»). pyarrow reads the header
    row and every row below it as text, an empty field as missing, with the quoting rules of
    pandas' reader; it stops on what pandas reads otherwise: a row with more or fewer fields
    than the header (pandas fills the missing ones, or makes the first column the index), a
    line of spaces (a row of one field to pandas), bytes that are not UTF-8 (pandas reads
    the file as Windows-1252), a field longer than its block.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        columns = pd.read_csv(io.BytesIO(data), nrows=0, **options).columns
        n = len(columns)
        names = [f"f{i}" for i in range(n)]  # the names pyarrow gives columns it numbers
        table = pcsv.read_csv(
            io.BytesIO(data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pcsv.ParseOptions(
                delimiter=options["sep"],
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, ValueError, UnicodeDecodeError):
        return None
    if table.column_names != names or table.num_rows < 1:
        return None
    body = table.slice(1)  # the header row, read by pyarrow as it reads the others
    text = pd.StringDtype()
    return pd.DataFrame(
        {c: text.__from_arrow__(body.column(i)) for i, c in enumerate(columns)}, copy=False
    )


# --- workbooks: xlsx, ods, xls -------------------------------------------------------------


@dataclass
class _HeaderRow:
    sheet: str | None
    sheet_index: int
    row: int  # as in Excel
    score: int  # the most headers of one layout found in the row
    complete: bool  # every required field's header is there (for that layout)


def _header_rows(workbook, scheme: Scheme) -> tuple[list[_HeaderRow], list[str]]:
    """Score the first :data:`HEADER_SEARCH_ROWS` rows of every sheet against the layouts.

    ``workbook`` is openpyxl's read-only workbook, or one like it (:class:`_FirstRows`): its
    ``worksheets``, each with a ``title`` and ``iter_rows`` giving rows from row 1 as Excel
    numbers them.

    Returns the rows holding at least one layout header, and the names of the sheets holding
    anything at all in those rows.
    """
    layouts = [
        (
            set(lay.headers),
            [{h for h, f in lay.headers.items() if f == req} for req in scheme.required_fields],
        )
        for lay in scheme.layouts.values()
    ]
    found: list[_HeaderRow] = []
    with_content: list[str] = []
    for index, sheet in enumerate(workbook.worksheets):
        rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        for number, values in enumerate(rows, start=1):
            cells = {clean_header(v) for v in values if v is not None}
            cells.discard("")
            if not cells:
                continue
            if sheet.title not in with_content:
                with_content.append(sheet.title)
            scores = [
                (len(cells & headers), all(cells & need for need in required))
                for headers, required in layouts
            ]
            score = max(n for n, _ in scores)
            complete = any(c for _, c in scores)
            if score:
                found.append(_HeaderRow(sheet.title, index, number, score, complete))
    return found, with_content


def _where(rows: list[_HeaderRow]) -> str:
    return ", ".join(f"sheet {r.sheet!r} row {r.row}" for r in rows)


def _choose_header_row(path: Path, workbook, scheme: Scheme | None) -> tuple[_HeaderRow, list[str]]:
    """The sheet and row of the header: the one row with every required header; failing
    that the row with the most headers (the missing-column error then names it), or row 1 of
    the first sheet (also when no ``scheme`` is given)."""
    found, with_content = _header_rows(workbook, scheme) if scheme is not None else ([], [])
    complete = [r for r in found if r.complete]
    if len(complete) > 1:
        raise StructuralError(
            f"More than one row looks like the header row ({_where(complete)} all hold the "
            "required columns), so it is not clear which one is the export",
            file=path,
            fix=(
                "keep the export on one sheet only (delete the other sheets, or the extra "
                "header rows, that repeat it) and save the file"
            ),
        )
    if complete:
        chosen = complete[0]
    elif found:
        chosen = max(found, key=lambda r: r.score)  # the first of the best
    else:
        first = workbook.worksheets[0].title if workbook.worksheets else None
        chosen = _HeaderRow(first, 0, 1, 0, False)
    return chosen, [s for s in with_content if s != chosen.sheet]


class _FirstRows:
    """A calamine workbook offered to the header search as openpyxl's read-only workbook:
    its worksheets, each with a ``title`` and ``iter_rows`` (from row 1, as Excel numbers
    rows, empty rows above the first one with content included)."""

    @dataclass
    class _Sheet:
        book: object
        title: str

        def iter_rows(self, max_row: int, values_only: bool = True) -> Iterable[Sequence]:
            sheet = self.book.get_sheet_by_name(self.title)
            return iter(sheet.to_python(skip_empty_area=False, nrows=max_row))

    def __init__(self, book) -> None:
        from python_calamine import SheetTypeEnum

        self.worksheets = [
            self._Sheet(book, s.name)
            for s in book.sheets_metadata
            if s.typ == SheetTypeEnum.WorkSheet
        ]


#: A shared string as Excel and openpyxl write it, and the table's start tag.
_SHARED_STRING = re.compile(rb"<si>(.*?)</si>", re.S)
_STRING_TABLE = re.compile(rb"<sst(?=[\s>])[^>]*>")


class _SharedStrings(Sequence):
    """The shared strings of an xlsx as openpyxl reads them (its ``Text``, ``x005F_`` taken
    out), each read when a cell asks for it: the header search reads a few rows, and reading
    a table of 200 000 distinct texts whole took openpyxl 1,9 s, half as long as calamine
    takes to read the whole workbook.

    ``items`` are the bytes inside each ``<si>``; each is parsed inside a copy of the
    table's start tag ``root``, so that the namespaces it declares hold.
    """

    def __init__(self, root: bytes, items: list[bytes]) -> None:
        self.root = root
        self.items = items
        self.read: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        text = self.read.get(i)
        if text is None:
            from openpyxl.cell.text import Text
            from openpyxl.xml.functions import fromstring

            xml = self.root + b"<si>" + self.items[i] + b"</si></sst>"
            text = Text.from_tree(fromstring(xml)[0]).content.replace("x005F_", "")
            self.read[i] = text
        return text


def _open_read_only(fh: BinaryIO):
    """openpyxl's read-only workbook (as ``load_workbook(fh, read_only=True, data_only=True,
    keep_links=False)``), its shared strings read as cells ask for them
    (:class:`_SharedStrings`) when the table is written as Excel and openpyxl write it
    (``<si>`` without attributes or prefix, no comment, CDATA or document type); otherwise
    read whole, by openpyxl."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    class Reader(ExcelReader):
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            data = self.archive.read(part.PartName[1:]) if part is not None else b""
            root = _STRING_TABLE.search(data, 0, 4096)
            items = _SHARED_STRING.findall(data)
            n = len(items)
            odd = b"<!" in data or b":si" in data  # a comment, CDATA, DTD; a prefix
            if not root or odd or data.count(b"<si") != n or data.count(b"</si>") != n:
                super().read_strings()
                return
            self.shared_strings = _SharedStrings(root[0], items)

    reader = Reader(fh, read_only=True, data_only=True, keep_links=False)
    reader.read()
    return reader.wb


def _read_sheet(book, chosen: _HeaderRow, engine: str) -> pd.DataFrame:
    """The chosen sheet read by pandas from the open ``book``, the header row's cells as
    column names, every cell as the reader gives it (``dtype=object``)."""
    # given an ExcelFile, read_excel leaves the book open (given the book, it closes it)
    return pd.read_excel(
        pd.ExcelFile(book, engine=engine),
        sheet_name=chosen.sheet if chosen.sheet is not None else 0,
        header=chosen.row - 1,
        dtype=object,
    )


def _read_workbook(
    path: Path, data: bytes, scheme: Scheme | None, scan: Scan, engine: str = "calamine"
) -> _Table:
    """Read the sheet and rows under the header row found by :func:`_choose_header_row`.

    The cells are read by calamine (``python-calamine``), from the bytes read, whatever the
    kind of workbook. The header row of an xlsx is looked for with openpyxl, which streams a
    sheet's first rows without reading the rest (calamine reads a whole sheet to give any
    of it; an ods or xls it reads whole when it opens it, so there its rows are taken). A
    workbook holding an error value calamine does not know (``#SPILL!``, Excel 365's, for
    one) is read with openpyxl, as is every xlsx when ``engine="openpyxl"``. The formula
    cells saved without a value are those :func:`~evalkit.bounds.check_bounds` noted,
    below the header and read as empty.

    calamine reads the cells as openpyxl did (the demo exports give the same tidy frame and
    flags cell for cell), but for one thing: it keeps the spaces at the ends of a text only
    when the file marks them kept (``xml:space="preserve"``, which Excel writes), where
    openpyxl kept them always. Cleaning trims a cell's ends anyway; a text pieced together
    from formatted runs by a program that leaves the mark out reads without the space
    between the pieces.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    with io.BytesIO(data) as fh:
        if scan.kind == "xlsx":
            # openpyxl parses the workbook XML with defusedxml (a dependency of evalkit), so
            # a hostile file cannot expand entities; it is given the bytes read rather than
            # the path (it refuses a name whose ending is not exactly ``.xlsx``)
            book = _open_read_only(fh)
            try:
                chosen, others = _choose_header_row(path, book, scheme)
                frame = None
                if engine == "calamine":
                    try:
                        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as cbook:
                            frame = _read_sheet(cbook, chosen, "calamine")
                    except CalamineError as exc:
                        if "error value" not in str(exc):
                            raise
                        log.info("%s: %s; read with openpyxl", path, exc)
                if frame is None:
                    frame = _read_sheet(book, chosen, "openpyxl")
            finally:
                book.close()
        else:
            with CalamineWorkbook.from_filelike(fh) as cbook:
                chosen, others = _choose_header_row(path, _FirstRows(cbook), scheme)
                frame = _read_sheet(cbook, chosen, "calamine")
    table = _Table(
        frame,
        header_row=chosen.row,
        sheet=chosen.sheet,
        sheet_index=chosen.sheet_index,
        other_sheets=others,
    )
    n_rows, n_cols = frame.shape
    for row, col in scan.formula_cells(chosen.sheet):
        pos = row - chosen.row - 1
        # pandas leaves out empty rows at the end, so a cell past them is empty
        if pos >= 0 and col <= n_cols and (pos >= n_rows or pd.isna(frame.iat[pos, col - 1])):
            table.formula_cells.append((row, col - 1))
    return table


def _read_table(path: Path, scheme: Scheme | None = None) -> pd.DataFrame:
    """The table in a file as read: the header row's cells as column names, the rows below
    it. In a workbook the header row is found with ``scheme`` (without it: row 1 of the
    first sheet)."""
    return _read_located(path, scheme).frame


def _read_located(path: Path, scheme: Scheme | None) -> _Table:
    """:func:`_read_table`, with where the header row was found, the formula cells saved
    without a value, and the sha256 of the file's bytes.

    The file is read once; its bytes are hashed and parsed, so the hash is that of what was
    parsed, even when the file is replaced meanwhile (the runner checks it against the hash
    its cache key was made from).
    """
    suffix = path.suffix.strip().lower()
    if not path.exists():
        raise StructuralError("The file does not exist", file=path, fix="check the path")
    if suffix not in READ_SUFFIXES:
        raise StructuralError(
            f"Files of type {suffix or '(none)'} cannot be read",
            file=path,
            fix="save the export as .xlsx, .csv or .parquet",
        )
    try:
        data = _read_bounded(path)
        # the caps on rows, cells and texts, and what the first bytes say the file is, on the
        # bytes the reader will parse, before it expands them
        scan = check_bounds(path, data=data)
        if scan.kind in ("xlsx", "ods", "xls"):
            table = _read_workbook(path, data, scheme, scan)
        elif scan.kind == "csv":
            table = _Table(_read_csv(path, data))
        else:
            table = _Table(pd.read_parquet(io.BytesIO(data)))
        table.sha256 = hashlib.sha256(data).hexdigest()
        return table
    except EvalkitError:
        raise
    except Exception as exc:  # the readers raise many kinds; the user needs one sentence
        raise _unreadable(path, f"{type(exc).__name__}: {exc}") from exc
    except BaseException as exc:  # a panic of a reader written in Rust (calamine)
        if type(exc).__name__ != "PanicException":
            raise
        raise _unreadable(path, f"the workbook reader stopped: {exc}") from exc


def _unreadable(path: Path, why: str) -> StructuralError:
    return StructuralError(
        f"The file could not be read ({why})",
        file=path,
        fix="open it in Excel and save it again as .xlsx, or export it again from Questback",
    )


def _read_bounded(path: Path) -> bytes:
    """The bytes of a regular file no larger than the unpacked-size cap (a FIFO or a device
    would block or never end; a file larger than the cap is refused before it is read)."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise StructuralError(
            "The path is not a regular file (a folder, a pipe or a device)",
            file=path,
            fix="point at the export file itself",
        )
    limits = Limits.from_env()
    if st.st_size > limits.unpacked_bytes:
        raise StructuralError(
            f"The file is {st.st_size / 1e6:.0f} MB, over the cap of "
            f"{limits.unpacked_bytes / 1e6:.0f} MB",
            file=path,
            fix="raise the cap with EVALKIT_MAX_UNPACKED_MB if the file is a real export",
        )
    return path.read_bytes()


def _one_chunk(values: pd.api.extensions.ExtensionArray) -> pd.api.extensions.ExtensionArray:
    """A text column held as one piece of memory: a reader hands it over in pieces (pyarrow
    one per block it read, pandas one per chunk of rows), and every string operation of
    cleaning would join them anew."""
    import pyarrow as pa

    held = pa.array(values)  # the pieces themselves, not a copy
    if isinstance(held, pa.ChunkedArray) and held.num_chunks > 1:
        return values.dtype.__from_arrow__(held.combine_chunks())
    return values


def choose_layout(headers: list[str], scheme: Scheme) -> Layout:
    """The layout whose headers best match the file's (most fields found)."""
    present = set(headers)
    return max(scheme.layouts.values(), key=lambda lay: len(present & set(lay.headers)))


def _where_header(table: _Table) -> str:
    """« (header row 4 of sheet 'Data')» when the header is not row 1 of the first sheet."""
    if table.sheet is None or (table.header_row == 1 and table.sheet_index == 0):
        return ""
    return f" (the header row used is row {table.header_row} of sheet {table.sheet!r})"


def _location_flags(table: _Table) -> list[dict]:
    """Noted flags saying where the header was found, when it is not row 1 of sheet 1."""
    flags = []
    if table.sheet is None:
        return flags
    if table.sheet_index != 0:
        args = {"sheet": table.sheet, "number": table.sheet_index + 1}
        if table.other_sheets:
            args["others"] = {
                lang: ", ".join(quoted(s, lang) for s in table.other_sheets) for lang in LANGUAGES
            }
        flags.append(
            {
                "problem": "sheet_not_first",
                "detail": "dq.sheet_not_first.others"
                if table.other_sheets
                else "dq.sheet_not_first",
                "args": args,
                "action": "noted",
            }
        )
    if table.header_row != 1:
        flags.append(
            {
                "row": table.header_row,
                "problem": "header_not_first_row",
                "detail": (
                    "dq.header_not_first_row.one"
                    if table.header_row == 2
                    else "dq.header_not_first_row.many"
                ),
                "args": {
                    "row": table.header_row,
                    "sheet": table.sheet,
                    "last": table.header_row - 1,
                },
                "action": "noted",
            }
        )
    return flags


def read_export(path: Path | str, scheme: Scheme) -> RawExport:
    """Read an export and map its headers to the scheme's fields.

    Raises
    ------
    StructuralError
        Unreadable file, a required column missing (naming the nearest header present), no
        data rows, a header given twice, or (xlsx) more than one row that looks like the
        header row.
    """
    path = Path(path)
    table = _read_located(path, scheme)
    header_row = table.header_row
    all_headers = [clean_header(h) for h in table.frame.columns]
    personal = {p for lay in scheme.layouts.values() for p in lay.personal_data}
    dropped = [h for h in all_headers if h in personal]
    headers = [h for h in all_headers if h not in personal]

    layout = choose_layout(headers, scheme)
    dupes = sorted({h for h in headers if headers.count(h) > 1 and h in layout.headers})
    if dupes:
        raise StructuralError(
            f"The column {dupes[0]!r} appears more than once{_where_header(table)}",
            file=path,
            row=header_row,
            column=dupes[0],
            fix="delete or rename the extra column in the header row",
        )
    field_to_header = {f: h for h, f in layout.headers.items()}
    missing = [f for f in scheme.required_fields if field_to_header[f] not in headers]
    if missing:
        wanted = field_to_header[missing[0]]
        unknown = [h for h in headers if h not in layout.headers]
        near = difflib.get_close_matches(wanted, unknown, n=1, cutoff=0.5)
        hint = f" The nearest header in the file is {near[0]!r}." if near else ""
        others = (
            f" (also missing: {', '.join(repr(field_to_header[f]) for f in missing[1:])})"
            if len(missing) > 1
            else ""
        )
        searched = (
            f" No sheet has a row with the required columns among its first "
            f"{HEADER_SEARCH_ROWS} rows."
            if table.sheet is not None
            else ""
        )
        raise StructuralError(
            f"The required column {wanted!r} is missing{others}{_where_header(table)}."
            f"{hint}{searched}",
            file=path,
            row=header_row,
            column=wanted,
            fix=(
                f"rename the column to {wanted!r} in the file, or, if the form itself changed, "
                f"add a layout mapping the new headers in {scheme.path.name}"
            ),
        )
    extra = [h for h in headers if h not in layout.headers and not h.startswith("Unnamed:")]
    keep = [h for h in headers if h in layout.headers]
    # the layout's columns, by position; personal data never goes further than this line
    used = {
        i: layout.headers[h]
        for i, h in enumerate(all_headers)
        if h in layout.headers and h not in personal
    }
    frame = pd.DataFrame({f: table.frame.iloc[:, i] for i, f in used.items()}, copy=False)
    text = pd.StringDtype()
    other = {c: text for c, t in frame.dtypes.items() if t != text}
    if other:
        frame = frame.astype(other)
    # drop rows that are entirely empty at the end of a sheet (Excel leaves them behind)
    if len(frame) and frame.iloc[-1].isna().all():
        blank = frame.isna().all(axis=1)
        frame = frame.loc[~blank.iloc[::-1].cummin().iloc[::-1]]
    formulas = [(r, c) for r, c in table.formula_cells if c in used]
    if frame.empty:
        raise StructuralError(
            "The file has a header row but no data rows"
            + (
                " (its cells hold formulas saved without their values)"
                if formulas
                else _where_header(table)
            ),
            file=path,
            row=header_row + 1,
            fix=(
                "open the file in Excel and save it again, so that Excel saves the formulas' values"
                if formulas
                else "check that the export is the right one and not an empty template"
            ),
        )
    frame = pd.DataFrame(
        {
            "_row": pd.array(range(header_row + 1, header_row + 1 + len(frame)), dtype="Int64"),
            **{c: _one_chunk(frame[c].array) for c in frame.columns},
        },
        copy=False,
    )
    last_row = header_row + len(frame)
    formula_flags = [
        {
            "row": r,
            "column": all_headers[c],
            "field": used[c],
            "problem": "formula_without_value",
            "detail": _FORMULA_WITHOUT_VALUE,
            "action": "set_missing",
        }
        for r, c in sorted(formulas)
        if r <= last_row
    ]
    if formula_flags:
        log.warning(
            "%s: %d cell(s) hold a formula saved without its value and are read as empty "
            "(flagged formula_without_value); open the file in Excel and save it again",
            path,
            len(formula_flags),
        )
    if table.sheet is not None and (table.sheet_index or header_row != 1):
        not_read = [f"row(s) 1-{header_row - 1} above it"] if header_row != 1 else []
        not_read += [f"sheet {s!r}" for s in table.other_sheets]
        log.warning(
            "%s: the header row is row %d of sheet %r (sheet %d)%s; noted in the data-quality "
            "record",
            path,
            header_row,
            table.sheet,
            table.sheet_index + 1,
            f"; not read: {', '.join(not_read)}" if not_read else "",
        )
    read_flags = _flag_rows(_location_flags(table) + formula_flags)
    sha256 = table.sha256
    del table
    log.info("read %s: %d rows, layout %s", path, len(frame), layout.name)
    return RawExport(
        path=path,
        layout=layout.name,
        frame=frame,
        headers={f: h for f, h in field_to_header.items() if h in keep},
        extra_columns=extra,
        dropped_personal=dropped,
        read_flags=read_flags,
        sha256=sha256,
    )
