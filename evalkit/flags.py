"""The data-quality record: every flagged cell and every excluded row.

Every cleaning step returns ``(frame, flags)``; ``flags`` has the columns of
:data:`FLAG_COLUMNS`. ``row`` is the row number as the user sees it in the source file (the
header is row 1, the first data row is row 2), taken from the frame's ``_row`` column.
"""

from __future__ import annotations

import pandas as pd

#: Columns of a flags frame and of ``data_quality.csv``.
FLAG_COLUMNS = ["row", "column", "field", "value", "problem", "detail", "action"]

#: ``action`` values: the cell was set to missing, the value was corrected/mapped and kept, the
#: row was excluded from the analysis, or the cell is only noted.
ACTIONS = ("set_missing", "mapped", "excluded", "noted")


def empty_flags() -> pd.DataFrame:
    """Return an empty flags frame with the right columns and dtypes."""
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="Int64"),
            **{c: pd.Series(dtype="string") for c in FLAG_COLUMNS[1:]},
        }
    )


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
    sub = frame.loc[mask]
    out = pd.DataFrame(
        {
            "row": sub["_row"].astype("Int64").to_numpy(),
            "column": column,
            "field": field,
            "value": (
                values.loc[mask].astype("string").to_numpy() if values is not None else pd.NA
            ),
            "problem": problem,
            "detail": (detail.loc[mask].to_numpy() if isinstance(detail, pd.Series) else detail),
            "action": action,
        }
    )
    return out.astype({c: "string" for c in FLAG_COLUMNS[1:]})


def concat_flags(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate flag frames, sorted by row then column (stable)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_flags()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["row", "column"], kind="stable", ignore_index=True)
