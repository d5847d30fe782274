"""Disclosure control for published tables: small counts hidden, with secondary suppression
so a hidden cell cannot be worked out from the totals.

Default rule: counts of 1 and 2 in county-level tables are shown as «:» with a footnote;
0 is shown. Secondary suppression: every row and column that adds up to a published total is
a constraint; whenever a constraint holds exactly one hidden cell, the smallest other non-zero
cell in it is hidden too, until no constraint has exactly one.
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
        small = " eller ".join(str(i) for i in range(1, self.min_count)) if self.min_count <= 4 else f"under {self.min_count}"
        return (f"«{self.symbol}» Tallet er skjult fordi det er {small}, eller fordi det ellers "
                "kunne regnes ut fra summene.")


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
    counts = table[count_columns].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(dtype=float)
    body = np.ones(len(table), dtype=bool)
    if total_row is not None:
        body = (table.index != total_row)
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
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    mask[count_columns] = hidden
    prim = pd.DataFrame(False, index=table.index, columns=table.columns)
    prim[count_columns] = primary
    for count, deps in (linked or {}).items():
        for d in deps:
            if d in mask:
                mask[d] = mask[d] | mask[count]
    return SuppressedTable(values=table, mask=mask, primary=prim, rule=rule)
