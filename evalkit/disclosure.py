"""Disclosure control for published tables: small counts hidden, with secondary suppression
so that a hidden count cannot be worked out from the totals shown beside it.

The default rule hides counts of 1 and 2 in county-level tables and shows «:» in their place,
with a footnote; 0 is shown. Every row and column whose total is published is an additive
constraint (the cells add up to the total). A constraint with exactly one hidden cell gives that
cell away, so one more shown non-zero cell in it is hidden, until no constraint holds exactly one
hidden cell. The cell chosen is, in order: not in the total row; one that also closes another
constraint with a single hidden cell rather than opens a new one; a body cell before a row
total; the smallest; the first in table order. When only zeros are left beside the hidden cell,
the total itself is hidden instead, and the footnote says so.

"Not exactly one hidden cell per constraint" is necessary but not sufficient once rows and
columns both have totals (a hidden cell can be pinned by a chain of constraints), so the result
is then audited as an attacker would: for each hidden cell, linear programming finds the smallest
and largest value it can take given everything shown, every published total and the fact that a
hidden count is at least 1 (the rule never hides a 0). While a cell is pinned to one value, one
more cell beside it is hidden and the constraints are closed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: A hidden cell counts as protected when its feasible range is at least this wide; counts are
#: integers and the constraint matrix is totally unimodular, so LP bounds are whole numbers.
_MIN_RANGE = 1.0 - 1e-6


@dataclass(frozen=True)
class DisclosureRule:
    """The small-count rule: counts with ``0 < n < min_count`` are hidden.

    Parameters
    ----------
    min_count : int, default 3
        The smallest count that may be shown (0 is always shown).
    symbol : str, default ":"
        What a hidden cell shows.
    """

    min_count: int = 3
    symbol: str = ":"

    def __post_init__(self) -> None:
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, int):
            raise TypeError(f"min_count must be an int, got {self.min_count!r}")
        if self.min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {self.min_count}")
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValueError("symbol must be a non-empty string")

    @property
    def footnote_nb(self) -> str:
        """The footnote in bokmål, worded from ``min_count`` and ``symbol``.

        ``min_count=3`` gives «:» Tallet er skjult fordi det er 1 eller 2 (eller fordi det
        ellers kunne regnes ut fra summene).
        """
        small = list(range(1, self.min_count))
        if not small:
            why = "fordi det ellers kunne regnes ut fra summene."
            return f"«{self.symbol}» Tallet er skjult {why}"
        if len(small) == 1:
            numbers = "1"
        elif len(small) <= 5:
            numbers = ", ".join(map(str, small[:-1])) + f" eller {small[-1]}"
        else:
            numbers = f"mellom 1 og {small[-1]}"
        return (
            f"«{self.symbol}» Tallet er skjult fordi det er {numbers} "
            "(eller fordi det ellers kunne regnes ut fra summene)."
        )


#: Added to the footnote when a total is hidden.
TOTALS_HIDDEN_NB = "Noen summer er også skjult, av samme grunn."


@dataclass(frozen=True)
class SuppressedTable:
    """A table with the cells to hide marked.

    Attributes
    ----------
    values : DataFrame
        The original table, unchanged.
    mask : DataFrame of bool
        Same shape as ``values``: True where a cell is hidden (primary, secondary, hidden totals
        and the linked columns of hidden counts).
    primary : DataFrame of bool
        True where a count breaks the rule itself.
    rule : DisclosureRule
        The rule applied.
    count_columns : tuple of str
        The count columns the rule was applied to (and the row-total column, if any).
    hidden_totals : tuple of (label, column)
        Hidden totals (row totals or cells of the total row), in table order. A row total can
        be a small count itself, or be hidden because only zeros stood beside a hidden cell.
    """

    values: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    rule: DisclosureRule
    count_columns: tuple[str, ...] = ()
    hidden_totals: tuple[tuple[Hashable, str], ...] = ()

    @property
    def secondary(self) -> pd.DataFrame:
        """True where a count is hidden only so that a primary cell cannot be worked out."""
        cols = list(self.count_columns)
        out = pd.DataFrame(False, index=self.mask.index, columns=self.mask.columns)
        out[cols] = self.mask[cols] & ~self.primary[cols]
        return out

    @property
    def n_suppressed(self) -> int:
        """Number of hidden counts (linked columns hidden with them are not counted)."""
        return int(self.mask[list(self.count_columns)].to_numpy().sum())

    @property
    def footnote(self) -> str | None:
        """The footnote in bokmål, or None when nothing is hidden."""
        if not self.mask.to_numpy().any():
            return None
        note = self.rule.footnote_nb
        return f"{note} {TOTALS_HIDDEN_NB}" if self.hidden_totals else note

    def display(self, formatters: dict[str, Callable] | None = None) -> pd.DataFrame:
        """The table as strings: ``rule.symbol`` where hidden, formatted values elsewhere.

        Parameters
        ----------
        formatters : dict, optional
            Column → function from a value to its text (e.g. ``evalkit.formats.fmt_int``).
            Columns without one show ``str(value)``, whole floats without decimals. Missing
            values show «–»; a formatter never sees a hidden value.

        Returns
        -------
        DataFrame
            Same index and columns as ``values``, every cell a string.
        """
        formatters = formatters or {}
        out = {}
        for col in self.values.columns:
            fmt = formatters.get(col, _plain)
            hidden = self.mask[col].to_numpy()
            shown = [
                self.rule.symbol if h else ("–" if _isna(v) else fmt(v))
                for v, h in zip(self.values[col].tolist(), hidden, strict=True)
            ]
            out[col] = pd.Series(shown, index=self.values.index, dtype="str")
        return pd.DataFrame(out, index=self.values.index)


def _isna(value: object) -> bool:
    return bool(pd.isna(value)) if np.ndim(value) == 0 else False


def _plain(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def suppress(
    table: pd.DataFrame,
    count_columns: list[str],
    *,
    rule: DisclosureRule = DisclosureRule(),
    total_row: Hashable | None = None,
    row_total: str | None = None,
    linked: dict[str, list[str]] | None = None,
) -> SuppressedTable:
    """Hide small counts in ``count_columns`` and every cell that would reveal them.

    Parameters
    ----------
    table : DataFrame
        Rows (e.g. counties, plus optionally a total row labelled ``total_row``) × columns
        (counts and other columns).
    count_columns : list of str
        The count columns the rule applies to.
    rule : DisclosureRule, optional
        The small-count rule; default hides 1 and 2.
    total_row : hashable, optional
        Index label of the row holding each column's total. Each count column (and
        ``row_total``) is then a constraint: its body cells add up to this row's cell. The total
        row itself is not subject to the rule.
    row_total : str, optional
        Column holding each row's total of ``count_columns``. Each row is then a constraint.
        Its body cells are counts too, so a row total of 1 or 2 is hidden.
    linked : dict of str to list of str, optional
        Count column (or ``row_total``) → columns derived from it (amounts, percentages) that
        are hidden wherever it is hidden.

    Returns
    -------
    SuppressedTable

    Raises
    ------
    ValueError
        If a named column or the total row is missing, a count is negative, or a linked column
        is itself a count column.

    Notes
    -----
    Primary suppression: counts with ``0 < n < rule.min_count`` outside the total row.
    Secondary suppression: while a constraint holds exactly one hidden cell, hide the smallest
    shown non-zero cell in it (body cells before totals; ties go to the cell that also closes
    another such constraint, then to the first in table order). If only zeros are left, the total
    is hidden. Then each hidden cell's feasible range is solved by linear programming (hidden
    counts ≥ 1, published totals respected); a pinned cell gets one more hidden cell beside it,
    and the closing is repeated, until no hidden cell can be worked out.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [10, 2, 7, 5, 0]}, index=list("ABCDE"))
    >>> t.loc["I alt"] = t["n"].sum()
    >>> suppress(t, ["n"], total_row="I alt").display()["n"].tolist()
    ['10', ':', '7', ':', '0', '24']
    """
    count_columns = list(count_columns)
    linked = dict(linked or {})
    cols = count_columns + ([row_total] if row_total is not None else [])
    _validate(table, count_columns, cols, total_row, row_total, linked)

    values = np.column_stack(
        [
            pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            for c in cols
        ]
    )
    if (values < 0).any():
        raise ValueError(f"counts must not be negative (columns {cols})")
    n_rows, n_cols = values.shape
    is_total_row = (
        np.asarray(table.index == total_row) if total_row is not None else np.zeros(n_rows, bool)
    )
    is_total_col = np.zeros(n_cols, bool)
    if row_total is not None:
        is_total_col[-1] = True
    margin = is_total_row[:, None] | is_total_col[None, :]
    kind = np.where(is_total_row[:, None], 2, np.where(is_total_col[None, :], 1, 0)).ravel()

    primary = (values > 0) & (values < rule.min_count) & ~is_total_row[:, None]
    signs = _constraints(is_total_row, is_total_col)
    flat = values.ravel()
    hidden = primary.ravel().copy()
    if len(signs):
        hidden = _protect(signs, flat, hidden, kind)

    hidden_grid = hidden.reshape(n_rows, n_cols)
    hidden_totals = tuple(
        (table.index[i], cols[j]) for i, j in zip(*np.nonzero(hidden_grid & margin), strict=True)
    )
    if hidden_totals:
        logger.info("Totals hidden: %s", hidden_totals)

    full = np.zeros(table.shape, dtype=bool)
    pos = table.columns.get_indexer(cols)
    full[:, pos] = hidden_grid
    prim = np.zeros(table.shape, dtype=bool)
    prim[:, pos] = primary
    for source, derived in linked.items():
        full[:, table.columns.get_indexer(derived)] |= full[:, [table.columns.get_loc(source)]]
    return SuppressedTable(
        values=table.copy(deep=False),
        mask=pd.DataFrame(full, index=table.index, columns=table.columns),
        primary=pd.DataFrame(prim, index=table.index, columns=table.columns),
        rule=rule,
        count_columns=tuple(cols),
        hidden_totals=hidden_totals,
    )


def _validate(
    table: pd.DataFrame,
    count_columns: list[str],
    cols: list[str],
    total_row: Hashable | None,
    row_total: str | None,
    linked: dict[str, list[str]],
) -> None:
    if not count_columns:
        raise ValueError("count_columns is empty")
    if not table.columns.is_unique:
        raise ValueError("table has duplicate column names")
    if len(set(cols)) != len(cols):
        raise ValueError(f"count columns and row_total overlap or repeat: {cols}")
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"columns not in the table: {missing}")
    if total_row is not None:
        n = int(np.asarray(table.index == total_row).sum())
        if n != 1:
            raise ValueError(f"total_row {total_row!r} must label exactly one row, found {n}")
    for source, derived in linked.items():
        if source not in cols:
            raise ValueError(f"linked key {source!r} is not a count column or row_total")
        bad = [d for d in derived if d not in table.columns or d in cols]
        if bad:
            raise ValueError(f"linked columns {bad} are missing or are count columns themselves")


def _constraints(is_total_row: np.ndarray, is_total_col: np.ndarray) -> np.ndarray:
    """Signed incidence matrix (constraints × cells): +1 for a cell adding up, −1 for the total.

    Order: rows (with a row total), count columns (with a total row), then the row-total column
    and the total row themselves (when both exist, both add up to the grand total).
    """
    n_rows, n_cols = len(is_total_row), len(is_total_col)
    body_rows = np.flatnonzero(~is_total_row)
    grids = []
    if is_total_col.any():
        g = np.zeros((len(body_rows), n_rows, n_cols), dtype=np.int8)
        g[np.arange(len(body_rows)), body_rows, :] = 1
        g[np.arange(len(body_rows)), body_rows, is_total_col.argmax()] = -1
        grids.append(g)
    if is_total_row.any():
        t = is_total_row.argmax()
        count_cols = np.flatnonzero(~is_total_col)
        g = np.zeros((len(count_cols), n_rows, n_cols), dtype=np.int8)
        g[np.arange(len(count_cols)), :, count_cols] = 1
        g[np.arange(len(count_cols)), t, count_cols] = -1
        grids.append(g)
        if is_total_col.any():
            rt = is_total_col.argmax()
            g = np.zeros((2, n_rows, n_cols), dtype=np.int8)
            g[0, :, rt] = 1  # the row totals add up to the grand total
            g[1, t, :] = 1  # the total row adds up to the grand total
            g[:, t, rt] = -1
            grids.append(g)
    if not grids:
        return np.zeros((0, n_rows * n_cols), dtype=np.int8)
    return np.concatenate(grids).reshape(-1, n_rows * n_cols)


def _pick(cells: np.ndarray, values: np.ndarray, kind: np.ndarray, delta: np.ndarray) -> int:
    """The cell to hide among ``cells``.

    In order: a cell outside the total row; one that leaves fewer constraints with exactly one
    hidden cell (it closes another rather than opens a new one); a body cell before a row total;
    the smallest; the first in table order."""
    national, row_total = kind[cells] == 2, kind[cells] == 1
    order = np.lexsort((cells, values[cells], row_total, delta, national))
    return int(cells[order[0]])


def _delta(incidence: np.ndarray, n_hidden: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """For each cell, constraints it would leave with one hidden cell minus those it closes."""
    touched = incidence[:, cells].astype(bool)
    opens = (touched & (n_hidden == 0)[:, None]).sum(axis=0)
    closes = (touched & (n_hidden == 1)[:, None]).sum(axis=0)
    return opens - closes


def _close(
    incidence: np.ndarray, values: np.ndarray, hidden: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Hide cells until no constraint holds exactly one hidden cell (where that can be done)."""
    hidden = hidden.copy()
    showable = np.isfinite(values) & (values > 0)
    n_hidden = incidence @ hidden.astype(np.int64)
    stuck = np.zeros(len(incidence), dtype=bool)
    while True:
        single = (n_hidden == 1) & ~stuck
        if not single.any():
            return hidden
        k = int(single.argmax())
        cells = np.flatnonzero(incidence[k].astype(bool) & ~hidden & showable)
        if not len(cells):
            stuck[k] = True  # the total is missing: nothing to add up against
            logger.warning("A constraint holds one hidden cell and no other cell to hide")
            continue
        cell = _pick(cells, values, kind, _delta(incidence, n_hidden, cells))
        hidden[cell] = True
        n_hidden += incidence[:, cell]


def _pinned(signs: np.ndarray, values: np.ndarray, hidden: np.ndarray) -> list[int]:
    """Hidden cells whose feasible range, given everything shown, is narrower than one count.

    The attacker knows every shown cell, every published total, that counts are non-negative
    and that a hidden count is at least 1. Totals that do not add up are treated as if the
    difference were known too (conservative)."""
    from scipy.optimize import linprog

    rows = np.flatnonzero((signs[:, hidden] != 0).any(axis=1))
    cells = np.flatnonzero(hidden & (signs[rows] != 0).any(axis=0))
    if not len(cells):
        return []
    known = np.nan_to_num(values, nan=0.0)
    a_eq = signs[np.ix_(rows, cells)].astype(float)
    b_eq = a_eq @ known[cells]
    bounds = [(1.0 if known[c] >= 1 else 0.0, None) for c in cells]
    pinned = []
    for k, cell in enumerate(cells):
        c = np.zeros(len(cells))
        c[k] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        top = np.inf if high.status == 3 else -high.fun  # status 3: unbounded
        if top - low.fun < _MIN_RANGE:
            pinned.append(int(cell))
    return pinned


def _protect(
    signs: np.ndarray, values: np.ndarray, hidden: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Secondary suppression: close the constraints, then audit by LP until nothing is pinned."""
    incidence = (signs != 0).astype(np.int64)
    showable = np.isfinite(values) & (values > 0)
    hidden = _close(incidence, values, hidden, kind)
    while pinned := _pinned(signs, values, hidden):
        cell = pinned[0]
        near = incidence[:, cell].astype(bool)
        cells = np.flatnonzero(incidence[near].any(axis=0) & ~hidden & showable)
        if not len(cells):  # nothing shown beside it: look wider, along any constraint in use
            in_use = incidence[:, hidden].any(axis=1)
            cells = np.flatnonzero(incidence[in_use].any(axis=0) & ~hidden & showable)
        if not len(cells):
            logger.warning("A hidden cell can be worked out and nothing is left to hide")
            break
        n_hidden = incidence @ hidden.astype(np.int64)
        hidden[_pick(cells, values, kind, _delta(incidence, n_hidden, cells))] = True
        hidden = _close(incidence, values, hidden, kind)
    return hidden
