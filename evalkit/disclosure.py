"""Disclosure control for published tables: small counts hidden, with secondary suppression
so a hidden cell cannot be worked out from the totals.

Default rule: counts of 1 and 2 in county-level tables are shown as «:» with a footnote;
0 is shown. Secondary suppression: every row and column that adds up to a published total is
a constraint; whenever a constraint holds exactly one hidden cell, the smallest other non-zero
cell in it is hidden too, until no constraint has exactly one. Then an audit solves, for each
hidden cell, the smallest and largest value it can take given everything shown (linear
programming, as an attacker would); while a cell is pinned to one value, one more cell beside
it is hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DisclosureRule:
    """Counts ``0 < n < min_count`` are hidden and shown as ``symbol``."""

    min_count: int = 3
    symbol: str = ":"

    @property
    def footnote_nb(self) -> str:
        small = (
            " eller ".join(str(i) for i in range(1, self.min_count))
            if self.min_count <= 4
            else f"under {self.min_count}"
        )
        return (
            f"«{self.symbol}» Tallet er skjult fordi det er {small}, eller fordi det ellers "
            "kunne regnes ut fra summene."
        )


@dataclass
class SuppressedTable:
    values: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    rule: DisclosureRule

    @property
    def n_suppressed(self) -> int:
        return int(self.mask.to_numpy().sum())

    @property
    def footnote(self) -> str | None:
        return self.rule.footnote_nb if self.n_suppressed else None

    def display(self, formatters: dict[str, Callable] | None = None) -> pd.DataFrame:
        formatters = formatters or {}
        out = pd.DataFrame(index=self.values.index)
        for col in self.values.columns:
            fmt = formatters.get(col, lambda v: "" if pd.isna(v) else str(v))
            shown = self.values[col].map(lambda v, f=fmt: f(v) if pd.notna(v) else "–")
            out[col] = shown.where(~self.mask[col], self.rule.symbol)
        return out


def exposed_cells(
    counts: np.ndarray,
    hidden: np.ndarray,
    body: np.ndarray,
    *,
    by_column: bool,
    by_row: bool,
    open_rows: set[int] | None = None,
    open_cols: set[int] | None = None,
) -> list[tuple[int, int]]:
    """Hidden cells an attacker can work out exactly from the shown cells and the totals:
    for each, the minimum and maximum the cell can take (linear programming over the hidden
    cells, non-negative, every published total respected) are less than 1 apart."""
    from scipy.optimize import linprog

    cells = [(int(i), int(j)) for i, j in zip(*np.nonzero(hidden & body[:, None]), strict=True)]
    if not cells:
        return []
    a_eq, b_eq = [], []
    if by_column:
        for j in range(counts.shape[1]):
            if open_cols is not None and j not in open_cols:
                continue  # this column's total is hidden too
            coef = [1.0 if c == j else 0.0 for _, c in cells]
            if any(coef):
                a_eq.append(coef)
                b_eq.append(counts[body & hidden[:, j], j].sum())
    if by_row:
        for i in np.flatnonzero(body):
            if open_rows is not None and i not in open_rows:
                continue  # this row's total is hidden too
            coef = [1.0 if r == i else 0.0 for r, _ in cells]
            if any(coef):
                a_eq.append(coef)
                b_eq.append(counts[i, hidden[i, :]].sum())
    if not a_eq:
        return []
    exposed = []
    bounds = [(0, None)] * len(cells)
    for k, cell in enumerate(cells):
        c = np.zeros(len(cells))
        c[k] = 1
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs").fun
        top = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        hi = np.inf if top.status == 3 else -top.fun  # status 3: unbounded, so protected
        if hi - lo < 1:
            exposed.append(cell)
    return exposed


def _audit(
    counts: np.ndarray, hidden: np.ndarray, body: np.ndarray, *, by_column: bool, by_row: bool
) -> tuple[np.ndarray, set[int], set[int]]:
    """Hide more cells until no hidden cell can be worked out from the totals.

    Returns the hidden cells and the rows and columns whose totals had to be hidden too (when
    only zeros stood beside an exposed cell)."""
    hidden = hidden.copy()
    rows = set(np.flatnonzero(body).tolist()) if by_row else set()
    cols = set(range(counts.shape[1])) if by_column else set()
    while True:
        exposed = exposed_cells(
            counts, hidden, body, by_column=by_column, by_row=by_row, open_rows=rows, open_cols=cols
        )
        if not exposed:
            all_rows = set(np.flatnonzero(body).tolist()) if by_row else set()
            all_cols = set(range(counts.shape[1])) if by_column else set()
            return hidden, all_rows - rows, all_cols - cols
        i, j = exposed[0]
        line = np.zeros_like(hidden)
        if by_row and i in rows:
            line[i, :] = True
        if by_column and j in cols:
            line[body, j] = True
        candidates = line & ~hidden & (counts > 0) & body[:, None]
        if candidates.any():
            values = np.where(candidates, counts, np.inf)
            hidden[np.unravel_index(np.argmin(values), values.shape)] = True
        elif by_row and i in rows:  # only zeros beside it: hide the row's total instead
            rows.discard(i)
        else:
            cols.discard(j)


def suppress(
    table: pd.DataFrame,
    count_columns: list[str],
    *,
    rule: DisclosureRule = DisclosureRule(),
    total_row: str | None = None,
    row_total: str | None = None,
    linked: dict[str, list[str]] | None = None,
) -> SuppressedTable:
    """Hide small counts in ``count_columns`` and what would reveal them.

    Parameters
    ----------
    table : DataFrame
        Rows (e.g. counties, with an optional total row ``total_row``) × columns.
    count_columns : list of str
        The count columns the rule applies to.
    total_row : str, optional
        Index label of the row holding column totals: each count column is then a constraint.
    row_total : str, optional
        Column holding each row's total of ``count_columns``: each row is then a constraint.
    linked : dict, optional
        Count column → columns derived from it (amounts, percentages), hidden with it.
    """
    counts = (
        table[count_columns].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(dtype=float)
    )
    body = np.ones(len(table), dtype=bool)
    if total_row is not None:
        body = table.index != total_row
    primary = (counts > 0) & (counts < rule.min_count) & body[:, None]
    hidden = primary.copy()
    constraints: list[np.ndarray] = []  # boolean masks over the counts array
    if total_row is not None:
        for j in range(len(count_columns)):
            m = np.zeros_like(hidden)
            m[body, j] = True
            constraints.append(m)
    if row_total is not None:
        for i in np.flatnonzero(body):
            m = np.zeros_like(hidden)
            m[i, :] = True
            constraints.append(m)
    changed = True
    while changed:
        changed = False
        for m in constraints:
            if (hidden & m).sum() == 1:
                candidates = m & ~hidden & (counts > 0)
                if candidates.any():
                    values = np.where(candidates, counts, np.inf)
                    i, j = np.unravel_index(np.argmin(values), values.shape)
                    hidden[i, j] = True
                    changed = True
    hidden, closed_rows, closed_cols = _audit(
        counts, hidden, body, by_column=total_row is not None, by_row=row_total is not None
    )
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    mask[count_columns] = hidden
    for i in closed_rows:
        mask.iloc[i, mask.columns.get_loc(row_total)] = True
    for j in closed_cols:
        mask.loc[total_row, count_columns[j]] = True
    prim = pd.DataFrame(False, index=table.index, columns=table.columns)
    prim[count_columns] = primary
    for count, deps in (linked or {}).items():
        for d in deps:
            if d in mask:
                mask[d] = mask[d] | mask[count]
    return SuppressedTable(values=table, mask=mask, primary=prim, rule=rule)
