"""Disclosure control: small counts hidden with secondary suppression, checked against an
independent attacker who solves for each hidden cell from the published totals (linear
programming), so no hidden count can be recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from evalkit.disclosure import DisclosureRule, suppress


def feasible_range(
    values: np.ndarray,
    hidden: np.ndarray,
    cell: tuple[int, int],
    row_totals: bool,
    col_totals: bool,
    open_rows=None,
    open_cols=None,
) -> tuple[float, float]:
    """Min and max of a hidden cell given every shown cell and the published (not hidden)
    totals."""
    open_rows = np.ones(values.shape[0], bool) if open_rows is None else open_rows
    open_cols = np.ones(values.shape[1], bool) if open_cols is None else open_cols
    cells = list(zip(*np.nonzero(hidden), strict=True))
    k = cells.index(cell)
    a_eq, b_eq = [], []
    n_rows, n_cols = values.shape
    if col_totals:
        for j in range(n_cols):
            row = [1.0 if c == j else 0.0 for (_, c) in cells]
            if any(row) and open_cols[j]:
                a_eq.append(row)
                b_eq.append(values[:, j].sum() - values[~hidden[:, j], j].sum())
    if row_totals:
        for i in range(n_rows):
            row = [1.0 if r == i else 0.0 for (r, _) in cells]
            if any(row) and open_rows[i]:
                a_eq.append(row)
                b_eq.append(values[i, :].sum() - values[i, ~hidden[i, :]].sum())
    c = np.zeros(len(cells))
    c[k] = 1
    if not a_eq:
        return 0.0, np.inf
    lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=[(0, None)] * len(cells)).fun
    top = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=[(0, None)] * len(cells))
    return lo, (np.inf if top.status == 3 else -top.fun)


def test_one_column_with_total_row():
    t = pd.DataFrame({"n": [10, 2, 7, 5, 0]}, index=["A", "B", "C", "D", "E"])
    t.loc["I alt"] = t["n"].sum()
    s = suppress(t, ["n"], total_row="I alt")
    # B (2) is primary; alone in the column it could be read off the total, so the smallest
    # other non-zero cell (D, 5) is hidden too; 0 and the total stay shown
    assert s.primary["n"].tolist() == [False, True, False, False, False, False]
    assert s.mask["n"].tolist() == [False, True, False, True, False, False]
    shown = s.display()["n"].tolist()
    assert shown == ["10", ":", "7", ":", "0", "24"]
    assert s.footnote and "1 eller 2" in s.footnote


def test_nothing_hidden_means_no_footnote():
    t = pd.DataFrame({"n": [0, 3, 10]})
    s = suppress(t, ["n"])
    assert s.n_suppressed == 0 and s.footnote is None


def test_min_count_is_configurable():
    t = pd.DataFrame({"n": [4, 5, 9]})
    assert suppress(t, ["n"], rule=DisclosureRule(min_count=5)).mask["n"].tolist() == [
        True,
        False,
        False,
    ]
    assert suppress(t, ["n"]).mask["n"].tolist() == [False, False, False]


def test_two_way_table_cannot_be_recovered_from_row_and_column_totals():
    values = np.array([[12, 1, 7, 4], [9, 8, 3, 6], [5, 6, 2, 11], [14, 3, 9, 10]], dtype=float)
    t = pd.DataFrame(values, columns=list("abcd"))
    t["sum"] = t[list("abcd")].sum(axis=1)
    t.loc["I alt"] = t.sum()
    s = suppress(t, list("abcd"), total_row="I alt", row_total="sum")
    hidden = s.mask.loc[s.mask.index != "I alt", list("abcd")].to_numpy()
    assert hidden[0, 1] and hidden[2, 2]  # the two primary cells (1 and 2)
    # every row and column with a published total holds 0 or ≥ 2 hidden cells
    assert set(hidden.sum(axis=0)) <= {0, 2, 3, 4} and set(hidden.sum(axis=1)) <= {0, 2, 3, 4}
    # and an attacker solving the totals cannot pin down any hidden cell
    for cell in zip(*np.nonzero(hidden), strict=True):
        lo, hi = feasible_range(values, hidden, cell, row_totals=True, col_totals=True)
        assert hi - lo >= 1, (cell, lo, hi)


def test_linked_columns_are_hidden_with_their_count():
    t = pd.DataFrame({"n": [2, 8, 9], "grant_nok": [300_000, 900_000, 1_000_000]})
    t.loc["I alt"] = t.sum()
    s = suppress(t, ["n"], total_row="I alt", linked={"n": ["grant_nok"]})
    assert s.mask["grant_nok"].tolist() == s.mask["n"].tolist() == [True, True, False, False]


def test_display_uses_formatters():
    t = pd.DataFrame({"n": [1500, 1]})
    s = suppress(t, ["n"])
    assert s.display({"n": lambda v: f"{v:,}".replace(",", "\u00a0")})["n"].tolist() == [
        "1\u00a0500",
        ":",
    ]


@pytest.mark.parametrize("seed", range(5))
def test_random_county_tables_are_protected(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 9, size=(11, 3)).astype(float)
    t = pd.DataFrame(values, columns=["x", "y", "z"])
    t["sum"] = t[["x", "y", "z"]].sum(axis=1)
    t.loc["I alt"] = t.sum()
    s = suppress(t, ["x", "y", "z"], total_row="I alt", row_total="sum")
    hidden = s.mask.loc[s.mask.index != "I alt", ["x", "y", "z"]].to_numpy()
    primary = (values > 0) & (values < 3)
    assert (hidden >= primary).all()
    open_rows = ~s.mask.loc[s.mask.index != "I alt", "sum"].to_numpy()
    open_cols = ~s.mask.loc["I alt", ["x", "y", "z"]].to_numpy()
    for cell in zip(*np.nonzero(hidden), strict=True):
        lo, hi = feasible_range(
            values,
            hidden,
            cell,
            row_totals=True,
            col_totals=True,
            open_rows=open_rows,
            open_cols=open_cols,
        )
        assert hi - lo >= 1, (cell, lo, hi)
