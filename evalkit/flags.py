"""The data-quality record: every flagged cell and every excluded row.

Every cleaning step returns ``(frame, flags)``; ``flags`` has the columns of
:data:`FLAG_COLUMNS`. ``row`` is the row number as the user sees it in the source file (the
header is row 1, the first data row is row 2), taken from the frame's ``_row`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit import parse
from evalkit.i18n import Keyed

#: Columns of a flags frame and of ``data_quality.csv``.
FLAG_COLUMNS = ["row", "column", "field", "value", "problem", "detail", "action"]

#: ``action`` values: the cell was set to missing, the value was corrected/mapped and kept, the
#: row was excluded from the analysis, or the cell is only noted.
ACTIONS = ("set_missing", "mapped", "excluded", "noted")

#: Each ``problem`` code the cleaning steps and readers flag. Its words in the documents'
#: data-quality appendix are the catalog's ``flags.problem.<code>`` (``data_quality.csv``
#: keeps the codes).
PROBLEM_CODES = (
    # the file
    "extra_column",
    "sheet_not_first",
    "header_not_first_row",
    "formula_without_value",
    # the rows and cells
    "empty_response",
    "missing_required",
    "control_character",
    "bidi_control",
    "zero_width_character",
    "unknown_yesno",
    "unknown_category",
    "unreadable_amount",
    "implausible_amount",
    "unknown_round",
    "blank_round",
    "granted_above_applied",
    "refused_with_amount",
    # counties and municipalities
    "missing_county",
    "unknown_county",
    "county_not_valid_in_year",
    "county_municipality_mismatch",
    "invalid_municipality_code",
    "unknown_municipality_code",
    "municipality_not_valid_in_year",
    "unknown_municipality_name",
    "ambiguous_municipality_name",
)

#: Each ``action`` and ``problem`` code in the words of the current language (the catalog's
#: ``flags.action.<code>`` and ``flags.problem.<code>``), read when looked up.
ACTIONS_NB = Keyed("flags.action.{}", ACTIONS)
PROBLEMS_NB = Keyed("flags.problem.{}", PROBLEM_CODES)


def problem_text(code: object) -> str:
    """A ``problem`` code in the current language («Ukjent fylke», «Unknown county»); a code
    without words as it is."""
    return PROBLEMS_NB.get(str(code), "" if code is None else str(code))


def action_text(code: object) -> str:
    """An ``action`` code in the current language («Holdt utenfor», «Excluded»)."""
    return ACTIONS_NB.get(str(code), "" if code is None else str(code))


#: The names of before the languages (the next wave renames the callers).
problem_nb = problem_text
action_nb = action_text


def _empty_flags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="Int64"),
            **{c: pd.Series(dtype="string") for c in FLAG_COLUMNS[1:]},
        }
    )


_EMPTY = _empty_flags()


def empty_flags() -> pd.DataFrame:
    """Return an empty flags frame with the right columns and dtypes."""
    return _EMPTY.copy()


def _strings(value: object, n: int) -> pd.api.extensions.ExtensionArray:
    """A scalar or array as ``n`` strings, converted as ``astype("string")`` converts."""
    if isinstance(value, pd.api.extensions.ExtensionArray) and isinstance(
        value.dtype, pd.StringDtype
    ):
        return value
    values = np.full(n, value, dtype=object) if np.ndim(value) == 0 else value
    return pd.Series(values, dtype=object, copy=False).astype("string").array


def make_flags(
    frame: pd.DataFrame,
    mask: pd.Series,
    *,
    column: str,
    field: str,
    values: pd.Series | None,
    problem: str,
    detail: str | pd.Series,
    action: str,
) -> pd.DataFrame:
    """Build flag rows for the rows of ``frame`` where ``mask`` is true (vectorised).

    Parameters
    ----------
    frame : DataFrame
        Frame with a ``_row`` column (source row numbers).
    mask : Series of bool
        Which rows to flag; aligned with ``frame``.
    column, field : str
        The raw header and the field name.
    values : Series, optional
        The raw values shown in the report (aligned with ``frame``).
    problem : str
        Short machine-readable code, e.g. ``"unknown_category"``.
    detail : str or Series
        A sentence in Norwegian for the data-quality appendix.
    action : str
        One of :data:`ACTIONS`.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return empty_flags()
    if not (
        mask.index.equals(frame.index)
        and (values is None or values.index.equals(mask.index))
        and (not isinstance(detail, pd.Series) or detail.index.equals(mask.index))
    ):  # align by label, as .loc does
        frame = frame.loc[mask]
        values = None if values is None else values.loc[mask]
        detail = detail.loc[mask] if isinstance(detail, pd.Series) else detail
        mask = pd.Series(True, index=frame.index)
    pos = np.flatnonzero(mask.to_numpy())
    n = len(pos)
    out = pd.DataFrame(
        {
            "row": frame["_row"].iloc[pos].astype("Int64").to_numpy(),
            "column": _strings(column, n),
            "field": _strings(field, n),
            "value": (
                values.iloc[pos].astype("string").array
                if values is not None
                else _strings(pd.NA, n)
            ),
            "problem": _strings(problem, n),
            "detail": (
                _strings(detail.iloc[pos].to_numpy(), n)
                if isinstance(detail, pd.Series)
                else _strings(detail, n)
            ),
            "action": _strings(action, n),
        },
        copy=False,
    )
    return out


def concat_flags(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate flag frames, sorted by row then column (stable)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_flags()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["row", "column"], kind="stable", ignore_index=True)


def show_invisible(flags: pd.DataFrame) -> pd.DataFrame:
    """Flags with every control, bidirectional or zero-width character in ``column`` and
    ``value`` written as a visible ``[U+0007]`` (:func:`evalkit.parse.show_invisible`).

    The characters are taken out of the cells before cleaning, but a flag shows the value as
    it was; written out as they are, they would break a workbook (Excel cannot store most
    control characters) or turn a line around on the page.
    """
    if not len(flags):
        return flags
    return flags.assign(
        column=parse.show_invisible(flags["column"]), value=parse.show_invisible(flags["value"])
    )
