"""Text from an export made inert before it reaches a spreadsheet or a CSV file.

A county's export is hostile until proven otherwise. A project called ``=HYPERLINK(...)`` or
``=cmd|' /C calc'!A0`` must not become a live formula when a reader opens ``tables.xlsx`` or
``data_quality.csv`` in Excel (spreadsheet formula injection, CWE-1236), and a control
character must not make a writer fail the year. Every writer of a spreadsheet or CSV output
goes through this module:

- :func:`clean_text` removes C0/C1 control characters (tab, newline and carriage return are
  kept), the bidirectional overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069, …),
  which can make a name read differently from what it is, and zero-width characters. The cleaning step flags such characters in the
  data-quality record; this is the last line of defence for every value written.
- :func:`csv_cell` prefixes a value that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
  return with an apostrophe, as OWASP recommends for CSV files, unless the value is a plain
  number (``-5 000`` stays as it is: it cannot compute anything).
- :func:`write_csv` writes frames that way; :func:`excel_value` is what every workbook cell
  holds. :mod:`evalkit.document.excel` writes every text value as a string cell, never a
  formula, and marks a text that starts like a formula (:func:`starts_like_formula`) with the
  cell style's ``quotePrefix``: Excel shows the text as it is, with no apostrophe in the value,
  and keeps it text when a reader edits the cell (as it does for text typed with a leading
  ``'``). Numbers stay numbers.
- :func:`visible` makes text read from an export safe for a terminal: every control,
  bidirectional, zero-width or line-breaking character becomes a visible escape (``\\x1b``,
  ``\\u202e``), so that a header cannot set the window title, write to the clipboard, colour
  the terminal or show itself in another order than it has.

HTML output and ``metrics.json`` keep values as they were (HTML escapes them).
"""

from __future__ import annotations

import math
import numbers
import re
from pathlib import Path

import pandas as pd

from evalkit import paths
from evalkit.parse import INVISIBLE

#: Characters no output keeps, the ones cleaning flags (:data:`evalkit.parse.INVISIBLE`): C0
#: controls but tab, newline and carriage return; DEL and the C1 controls; the bidirectional
#: embeddings, overrides, isolates and marks; the zero-width characters.
UNSAFE_CHARACTERS = re.compile(
    "[" + "".join(f"{chr(a)}-{chr(b)}" for ranges in INVISIBLE.values() for a, b in ranges) + "]"
)
#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters a terminal must not be given raw: :data:`UNSAFE_CHARACTERS`, tab, line feed,
#: carriage return, the line and paragraph separators, lone surrogates, and the noncharacters
#: U+FFFE and U+FFFF (which YAML cannot hold either).
TERMINAL_UNSAFE = re.compile(
    "[" + UNSAFE_CHARACTERS.pattern[1:-1] + "\t\n\r\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)
#: A plain number: a sign, digits (grouped by threes or not) and decimals, nothing else.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+|\d{1,3}([ \u00a0\u202f.]\d{3})+)([.,]\d+)?")


def clean_text(text: str) -> str:
    """``text`` without control characters and bidirectional overrides."""
    return UNSAFE_CHARACTERS.sub("", text)


#: Escapes of the white-space controls, as Python, JSON and YAML write them.
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def escape(char: str) -> str:
    """One character as a visible escape, as Python and YAML write it: ``\\n``, ``\\t``,
    ``\\r``; ``\\x1b`` up to U+00FF; else ``\\u202e``."""
    code = ord(char)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every character of :data:`TERMINAL_UNSAFE` written as a visible escape
    (:func:`escape`): safe to print on a terminal, on one line, in the order it has."""
    return TERMINAL_UNSAFE.sub(lambda m: escape(m.group()), str(text))


def starts_like_formula(value: object) -> bool:
    """Whether ``value`` is text that a spreadsheet would take for a formula once typed in
    (it starts with one of :data:`FORMULA_STARTS`)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """A value as written to a CSV file: text cleaned and, where it could start a formula,
    prefixed with ``'``; anything that is not text is returned unchanged."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if starts_like_formula(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text column passed through :func:`csv_cell` (numbers untouched)."""
    out = {}
    for name, column in frame.items():
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            out[name] = column
        else:
            out[name] = column.map(csv_cell, na_action="ignore")
    return pd.DataFrame(out, index=frame.index, columns=frame.columns, copy=False)


def write_csv(path: Path | str, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as UTF-8 CSV with inert text, atomically (a reader never sees half)."""
    return paths.write_atomic(path, inert_frame(frame).to_csv(index=False, lineterminator="\n"))


def excel_value(value: object) -> object:
    """A value as a workbook cell holds it: None for missing, Python numbers, cleaned text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):  # years, counts: «2019, 2020, 2021»
        return clean_text(", ".join(str(v) for v in value))
    return clean_text(str(value))
