"""Errors that stop a year: each names the file, the row and column, and the fix."""

from __future__ import annotations

from pathlib import Path


class EvalkitError(Exception):
    """Base class for errors shown to users as plain sentences (no traceback)."""


class StructuralError(EvalkitError):
    """The export cannot be used as it is: nothing is written for the year.

    Parameters
    ----------
    what : str
        What is wrong, in one sentence.
    file : Path or str, optional
        The file the problem is in.
    row : int, optional
        Row number as the user sees it in Excel (the header is row 1).
    column : str, optional
        The raw column header.
    fix : str, optional
        How to fix it.
    """

    def __init__(
        self,
        what: str,
        *,
        file: Path | str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.what = what
        self.file = Path(file) if file is not None else None
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = self.what.rstrip(".") + "."
        if where:
            joined = ", ".join(where)
            text = f"{joined[0].upper()}{joined[1:]}: {text}"
        if self.fix:
            text += f" To fix: {self.fix.rstrip('.')}."
        return text


class ParameterError(EvalkitError):
    """A notebook or command parameter is unknown, missing, of the wrong type or out of range."""


class OutputWriteError(EvalkitError):
    """The output folder cannot be created or written (a file in the way, read-only, full)."""
