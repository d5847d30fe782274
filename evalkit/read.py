"""Reading one year's export: ``.xlsx``, ``.csv`` (``,`` or ``;``; UTF-8, UTF-8 with BOM or
Windows-1252) or ``.parquet``.

Headers are mapped to fields through the scheme's layouts; personal-data columns are dropped
as soon as the file is read (they are never kept, printed or written); columns that no layout
knows are listed in the data-quality report and kept out of the analysis. Every cell is read
as text so that cleaning sees what the user typed.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.config import Layout, Scheme
from evalkit.errors import StructuralError
from evalkit.flags import FLAG_COLUMNS, empty_flags

log = logging.getLogger(__name__)

_HEADER_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")


@dataclass
class RawExport:
    """A year's export after reading: fields as columns (text), personal data dropped."""

    path: Path
    layout: str
    frame: pd.DataFrame  # columns: _row, then one column per field present (string dtype)
    headers: dict[str, str]  # field -> raw header as it stood in the file
    extra_columns: list[str] = field(default_factory=list)
    dropped_personal: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def extra_column_flags(self) -> pd.DataFrame:
        """One data-quality row per column that no layout knows (row left blank)."""
        if not self.extra_columns:
            return empty_flags()
        return pd.DataFrame(
            {
                "row": pd.array([pd.NA] * len(self.extra_columns), dtype="Int64"),
                "column": self.extra_columns,
                "field": pd.NA,
                "value": pd.NA,
                "problem": "extra_column",
                "detail": "Kolonnen er ikke i skjemaoppsettet og er holdt utenfor analysen.",
                "action": "noted",
            },
            columns=FLAG_COLUMNS,
        ).astype({c: "string" for c in FLAG_COLUMNS[1:]})


def clean_header(header: object) -> str:
    """A header as compared with the layout: spaces of every kind folded, ends trimmed."""
    return _HEADER_SPACES.sub(" ", str(header)).strip()


#: Encodings tried in turn: UTF-8 (with or without a byte-order mark), then Windows-1252.
_ENCODINGS = ("utf-8-sig", "cp1252")


def _not_text(path: Path) -> StructuralError:
    return StructuralError(
        "The CSV file is neither UTF-8 nor Windows-1252 text",
        file=path,
        fix="save it from Excel as «CSV UTF-8 (kommadelt)» or as an .xlsx workbook",
    )


def _delimiter(first: str) -> str:
    """The delimiter that splits the header line into the most fields (a header such as
    «Målgruppe - annet, spesifiser» holds a comma in a ;-separated file; it is quoted in a
    ,-separated one)."""
    return max(";,\t", key=lambda d: len(next(csv.reader([first], delimiter=d))))


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV file as text, in the first of :data:`_ENCODINGS` that decodes all of it.

    pandas reads the file itself (no decoded copy of the whole file in Python); a file that
    is not valid UTF-8 makes it raise ``UnicodeDecodeError``, and it is read again as
    Windows-1252. The delimiter is found from the header line.
    """
    with path.open("rb") as fh:
        first_bytes = fh.readline().split(b"\n", 1)[0]
    for encoding in _ENCODINGS:
        try:
            first = first_bytes.decode(encoding)
        except UnicodeDecodeError:
            continue  # the header line is not in this encoding, so neither is the file
        try:
            return pd.read_csv(
                path,
                sep=_delimiter(first),
                encoding=encoding,
                dtype="string",
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
            )
        except UnicodeDecodeError:
            continue
    raise _not_text(path)


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if not path.exists():
        raise StructuralError("The file does not exist", file=path, fix="check the path")
    try:
        if suffix == ".xlsx":
            # openpyxl parses the workbook XML with defusedxml when it is installed (it is a
            # dependency of evalkit), so a hostile file cannot expand entities.
            frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
        elif suffix == ".csv":
            frame = _read_csv(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            raise StructuralError(
                f"Files of type {suffix or '(none)'} cannot be read",
                file=path,
                fix="save the export as .xlsx, .csv or .parquet",
            )
    except StructuralError:
        raise
    except Exception as exc:  # the readers raise many kinds; the user needs one sentence
        raise StructuralError(
            f"The file could not be read ({type(exc).__name__}: {exc})",
            file=path,
            fix="open it in Excel and save it again as .xlsx, or export it again from Questback",
        ) from exc
    return frame


def choose_layout(headers: list[str], scheme: Scheme) -> Layout:
    """The layout whose headers best match the file's (most fields found)."""
    present = set(headers)
    return max(scheme.layouts.values(), key=lambda lay: len(present & set(lay.headers)))


def read_export(path: Path | str, scheme: Scheme) -> RawExport:
    """Read an export and map its headers to the scheme's fields.

    Raises
    ------
    StructuralError
        Unreadable file, a required column missing (naming the nearest header present), no
        data rows, or a header given twice.
    """
    path = Path(path)
    table = _read_table(path)
    all_headers = [clean_header(h) for h in table.columns]
    personal = {p for lay in scheme.layouts.values() for p in lay.personal_data}
    dropped = [h for h in all_headers if h in personal]
    headers = [h for h in all_headers if h not in personal]

    layout = choose_layout(headers, scheme)
    dupes = sorted({h for h in headers if headers.count(h) > 1 and h in layout.headers})
    if dupes:
        raise StructuralError(
            f"The column {dupes[0]!r} appears more than once",
            file=path,
            row=1,
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
        raise StructuralError(
            f"The required column {wanted!r} is missing{others}.{hint}",
            file=path,
            row=1,
            column=wanted,
            fix=(
                f"rename the column to {wanted!r} in the file, or, if the form itself changed, "
                f"add a layout mapping the new headers in {scheme.path.name}"
            ),
        )
    extra = [h for h in headers if h not in layout.headers and not h.startswith("Unnamed:")]
    keep = [h for h in headers if h in layout.headers]
    # the layout's columns, by position; personal data never goes further than this line
    frame = pd.DataFrame(
        {
            layout.headers[h]: table.iloc[:, i]
            for i, h in enumerate(all_headers)
            if h in layout.headers and h not in personal
        },
        copy=False,
    )
    del table
    text = pd.StringDtype()
    other = {c: text for c, t in frame.dtypes.items() if t != text}
    if other:
        frame = frame.astype(other)
    # drop rows that are entirely empty at the end of a sheet (Excel leaves them behind)
    if len(frame) and frame.iloc[-1].isna().all():
        blank = frame.isna().all(axis=1)
        frame = frame.loc[~blank.iloc[::-1].cummin().iloc[::-1]]
    if frame.empty:
        raise StructuralError(
            "The file has a header row but no data rows",
            file=path,
            row=2,
            fix="check that the export is the right one and not an empty template",
        )
    frame = pd.DataFrame(
        {
            "_row": pd.array(range(2, len(frame) + 2), dtype="Int64"),
            **{c: frame[c].array for c in frame.columns},
        },
        copy=False,
    )
    log.info("read %s: %d rows, layout %s", path, len(frame), layout.name)
    return RawExport(
        path=path,
        layout=layout.name,
        frame=frame,
        headers={f: h for f, h in field_to_header.items() if h in keep},
        extra_columns=extra,
        dropped_personal=dropped,
    )
