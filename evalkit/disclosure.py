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

A table can imply counts it does not show: beside «Søknader» and «Innvilget», the difference is
the number of refused applications (``parts``). Such a count is never shown, but the rule
applies to it: when it is 1 or 2, cells are hidden until it cannot be worked out. Counts that are
published elsewhere (a ministry's list of awards, ``public``) are not hidden at all; an attacker
knows them.

Over a whole document (:func:`audit`), every piece that shows the same cells again (a list of
rows, one row a unit with its county: the count of rows per county, the sums of its amounts)
is put beside the table, and each hidden cell is checked: shown by another piece, or worked out
from everything shown together. :func:`protect_rows` keeps a list consistent with its table:
the rows of a county whose count is hidden are left out, unless the rows are public.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.i18n import t, tn

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
    def footnote_text(self) -> str:
        """The footnote in the current language, worded from ``min_count`` and ``symbol``.

        ``min_count=3`` gives «:» Tallet er skjult fordi det er 1 eller 2 (eller fordi det
        ellers kunne regnes ut fra summene).
        """
        if self.min_count == 1:
            return t("disclosure.footnote.totals_only", symbol=self.symbol)
        return t("disclosure.footnote.small", symbol=self.symbol, small=self.small_text)

    @property
    def small_text(self) -> str:
        """The counts the rule hides, in words of the current language: «1 eller 2», «1, 2, 3
        eller 4», «mellom 1 og 9»; "" when it hides none (``min_count=1``)."""
        small = list(range(1, self.min_count))
        if len(small) <= 1:
            return "".join(map(str, small))
        if len(small) <= 5:
            return t("disclosure.small.list", items=", ".join(map(str, small[:-1])), last=small[-1])
        return t("disclosure.small.range", last=small[-1])


#: The small-count rule of every published table (counts of 1 and 2 hidden as «:»): the
#: year documents' and the trends document's, so that they hide the same cells.
RULE = DisclosureRule()


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
    small_differences : tuple of (label, column)
        Counts the table implies and does not show (``"n_applications − n_granted"``) that
        break the rule, in table order; cells are hidden so that they cannot be worked out.
    public : tuple of str
        Count columns published elsewhere: never hidden.
    total_row : hashable or None
        The label of the row of totals, if any.
    regrouped : bool
        Suppressed jointly with tables of other documents (:func:`suppress_regrouped`).
    """

    values: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    rule: DisclosureRule
    count_columns: tuple[str, ...] = ()
    hidden_totals: tuple[tuple[Hashable, str], ...] = ()
    small_differences: tuple[tuple[Hashable, str], ...] = ()
    public: tuple[str, ...] = ()
    total_row: Hashable | None = None
    regrouped: bool = False
    #: The constraints an attacker has, for :func:`audit`.
    system: _System | None = field(default=None, repr=False, compare=False)

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
        """The footnote in the current language, or None when nothing is hidden."""
        if not self.mask.to_numpy().any():
            return None
        note = [self.rule.footnote_text]
        if self.small_differences:
            note.append(t("disclosure.footnote.differences_hidden", small=self.rule.small_text))
        if self.regrouped:
            note.append(t("disclosure.footnote.regrouped"))
        if self.hidden_totals:
            note.append(t("disclosure.footnote.totals_hidden"))
        return " ".join(note)

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


@dataclass(frozen=True)
class _System:
    """What an attacker of one suppressed table has: the additive constraints over every cell
    (shown columns, then the implied differences), each cell's value, which are hidden, which
    must not be worked out, and the lower bound an attacker knows for a hidden cell."""

    signs: np.ndarray
    values: np.ndarray
    hidden: np.ndarray
    protect: np.ndarray
    lower: np.ndarray
    labels: tuple[tuple[Hashable, str], ...]


def suppress(
    table: pd.DataFrame,
    count_columns: list[str],
    *,
    rule: DisclosureRule = DisclosureRule(),
    total_row: Hashable | None = None,
    row_total: str | None = None,
    linked: dict[str, list[str]] | None = None,
    public: Iterable[str] = (),
    parts: Mapping[str, str] | None = None,
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
    public : iterable of str, optional
        Count columns published elsewhere (a public list of awards): the rule does not apply
        to them, they are never hidden, and an attacker knows them.
    parts : mapping of str to str, optional
        Count column → the count column its rows are among (``{"n_granted":
        "n_applications"}``). The table then implies the difference (refused applications),
        which is never shown; the rule applies to it, so a difference of 1 or 2 hides cells
        until it cannot be worked out.

    Returns
    -------
    SuppressedTable

    Raises
    ------
    ValueError
        If a named column or the total row is missing, a count is negative, a part is larger
        than its whole, or a linked column is itself a count column.

    Notes
    -----
    Primary suppression: counts with ``0 < n < rule.min_count`` outside the total row and the
    public columns, and implied differences of that size. Secondary suppression: while a
    constraint holds exactly one hidden cell that must stay unknown, hide the smallest shown
    non-zero cell in it (body cells before totals; ties go to the cell that also closes another
    such constraint, then to the first in table order). If only zeros are left, the total is
    hidden. Then each hidden cell's feasible range is solved by linear programming (hidden
    counts ≥ 1, differences ≥ 0, published totals respected); a pinned cell gets one more
    hidden cell beside it, and the closing is repeated, until no hidden cell (and no small
    difference) can be worked out.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [10, 2, 7, 5, 0]}, index=list("ABCDE"))
    >>> t.loc["I alt"] = t["n"].sum()
    >>> suppress(t, ["n"], total_row="I alt").display()["n"].tolist()
    ['10', ':', '7', ':', '0', '24']
    """
    lay = _layout(table, count_columns, rule, total_row, row_total, linked, public, parts)
    hidden = lay.hidden
    if len(lay.signs):
        hidden = _protect(
            lay.signs, lay.values, hidden, lay.kind, lay.protect, lay.showable, lay.lower
        )
    return _result(lay, hidden)


@dataclass(frozen=True)
class _Layout:
    """A table set out for suppression: its cells (the shown count columns, then the implied
    differences) flattened row by row, the constraints over them, and what is known of each."""

    table: pd.DataFrame
    rule: DisclosureRule
    total_row: Hashable | None
    cols: list[str]
    names: list[str]
    linked: dict[str, list[str]]
    public: list[str]
    n_rows: int
    n_all: int
    primary: np.ndarray  # (n_rows, n_all)
    margin: np.ndarray  # (n_rows, n_all): a total (the total row or the row-total column)
    virtual: np.ndarray  # (n_all,): an implied difference, never shown
    signs: np.ndarray
    values: np.ndarray  # flat
    hidden: np.ndarray  # flat: hidden from the start (primary cells, the differences)
    protect: np.ndarray  # flat: must not be worked out when hidden
    showable: np.ndarray  # flat: may be hidden as secondary suppression
    lower: np.ndarray  # flat: what an attacker knows a hidden cell is at least
    kind: np.ndarray  # flat: 0 body cell, 1 row total, 2 total row

    def cell(self, row: Hashable, column: str) -> int:
        """The flat position of a cell."""
        return int(self.table.index.get_loc(row)) * self.n_all + self.names.index(column)


def _layout(
    table: pd.DataFrame,
    count_columns: list[str],
    rule: DisclosureRule,
    total_row: Hashable | None,
    row_total: str | None,
    linked: dict[str, list[str]] | None,
    public: Iterable[str],
    parts: Mapping[str, str] | None,
) -> _Layout:
    count_columns = list(count_columns)
    linked = dict(linked or {})
    public = list(public)
    parts = dict(parts or {})
    cols = count_columns + ([row_total] if row_total is not None else [])
    _validate(table, count_columns, cols, total_row, row_total, linked, public, parts)

    shown = np.column_stack(
        [
            pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            for c in cols
        ]
    )
    if (shown < 0).any():
        raise ValueError(f"counts must not be negative (columns {cols})")
    implied = []
    for part, whole in parts.items():
        diff = shown[:, cols.index(whole)] - shown[:, cols.index(part)]
        if (diff < 0).any():
            row = table.index[int(np.flatnonzero(diff < 0)[0])]
            raise ValueError(f"{part!r} is larger than {whole!r} in row {row!r}")
        implied.append(diff)
    values = np.column_stack([shown, *implied])
    names = cols + [f"{whole} − {part}" for part, whole in parts.items()]
    n_rows, n_all = values.shape
    n_cols = len(cols)
    virtual = np.arange(n_all) >= n_cols
    is_public = np.array(
        [c in public for c in cols] + [p in public and w in public for p, w in parts.items()]
    )
    is_total_row = (
        np.asarray(table.index == total_row) if total_row is not None else np.zeros(n_rows, bool)
    )
    is_total_col = np.zeros(n_all, bool)
    if row_total is not None:
        is_total_col[n_cols - 1] = True
    margin = is_total_row[:, None] | is_total_col[None, :]
    kind = np.where(is_total_row[:, None], 2, np.where(is_total_col[None, :], 1, 0)).ravel()

    primary = (values > 0) & (values < rule.min_count) & ~is_total_row[:, None]
    primary &= ~is_public[None, :]
    triples = [(cols.index(p), n_cols + k, cols.index(w)) for k, (p, w) in enumerate(parts.items())]
    signs = _constraints(is_total_row, is_total_col, ~virtual & ~is_total_col, triples)
    everywhere = np.ones((n_rows, 1), bool)
    hidden = (primary | (virtual[None, :] & everywhere)).ravel()  # a difference is never shown
    protect = (primary | (~virtual[None, :] & everywhere)).ravel()
    showable = (np.isfinite(values) & (values > 0) & ~(virtual | is_public)[None, :]).ravel()
    # the rule never hides a 0, so an attacker knows a hidden shown count is at least 1
    lower = np.where(virtual[None, :] | ~(values >= 1), 0.0, 1.0).ravel()
    return _Layout(
        table=table,
        rule=rule,
        total_row=total_row,
        cols=cols,
        names=names,
        linked=linked,
        public=public,
        n_rows=n_rows,
        n_all=n_all,
        primary=primary,
        margin=margin,
        virtual=virtual,
        signs=signs,
        values=values.ravel(),
        hidden=hidden,
        protect=protect,
        showable=showable,
        lower=lower,
        kind=kind,
    )


def _result(lay: _Layout, hidden: np.ndarray) -> SuppressedTable:
    """The suppressed table of a layout, with ``hidden`` (flat) its hidden cells."""
    table, cols, names, n_cols = lay.table, lay.cols, lay.names, len(lay.cols)
    hidden_all = hidden.reshape(lay.n_rows, lay.n_all)
    hidden_grid = hidden_all[:, :n_cols]
    hidden_totals = tuple(
        (table.index[i], cols[j])
        for i, j in zip(*np.nonzero(hidden_grid & lay.margin[:, :n_cols]), strict=True)
    )
    if hidden_totals:
        logger.info("Totals hidden: %s", hidden_totals)
    small_differences = tuple(
        (table.index[i], names[j])
        for i, j in zip(*np.nonzero(lay.primary & lay.virtual[None, :]), strict=True)
    )

    full = np.zeros(table.shape, dtype=bool)
    pos = table.columns.get_indexer(cols)
    full[:, pos] = hidden_grid
    prim = np.zeros(table.shape, dtype=bool)
    prim[:, pos] = lay.primary[:, :n_cols]
    for source, derived in lay.linked.items():
        full[:, table.columns.get_indexer(derived)] |= full[:, [table.columns.get_loc(source)]]
    labels = tuple((table.index[i], names[j]) for i in range(lay.n_rows) for j in range(lay.n_all))
    return SuppressedTable(
        values=table.copy(deep=False),
        mask=pd.DataFrame(full, index=table.index, columns=table.columns),
        primary=pd.DataFrame(prim, index=table.index, columns=table.columns),
        rule=lay.rule,
        count_columns=tuple(cols),
        hidden_totals=hidden_totals,
        small_differences=small_differences,
        public=tuple(lay.public),
        total_row=lay.total_row,
        system=_System(lay.signs, lay.values, hidden, lay.protect, lay.lower, labels),
    )


def _validate(
    table: pd.DataFrame,
    count_columns: list[str],
    cols: list[str],
    total_row: Hashable | None,
    row_total: str | None,
    linked: dict[str, list[str]],
    public: list[str],
    parts: dict[str, str],
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
    bad = [c for c in public if c not in cols]
    if bad:
        raise ValueError(f"public columns {bad} are not count columns")
    for part, whole in parts.items():
        if part not in cols or whole not in cols or part == whole:
            raise ValueError(f"parts {part!r} → {whole!r}: both must be count columns, not one")


def _constraints(
    is_total_row: np.ndarray,
    is_total_col: np.ndarray,
    in_row_sum: np.ndarray,
    parts: list[tuple[int, int, int]],
) -> np.ndarray:
    """Signed incidence matrix (constraints × cells): +1 for a cell adding up, −1 for the total.

    Order: rows (with a row total: the columns ``in_row_sum`` add up to it), count columns
    (with a total row), then the row-total column and the total row themselves (when both
    exist, both add up to the grand total), then each (part, difference, whole) of ``parts``
    in every row: the part and the difference add up to the whole.
    """
    n_rows, n_cols = len(is_total_row), len(is_total_col)
    body_rows = np.flatnonzero(~is_total_row)
    grids = []
    if is_total_col.any():
        rt = is_total_col.argmax()
        g = np.zeros((len(body_rows), n_rows, n_cols), dtype=np.int8)
        g[np.arange(len(body_rows)), body_rows, :] = in_row_sum
        g[np.arange(len(body_rows)), body_rows, rt] = -1
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
            g[1, t, :] = in_row_sum  # the total row adds up to the grand total
            g[:, t, rt] = -1
            grids.append(g)
    every = np.arange(n_rows)
    for part, diff, whole in parts:
        g = np.zeros((n_rows, n_rows, n_cols), dtype=np.int8)
        g[every, every, part] = 1
        g[every, every, diff] = 1
        g[every, every, whole] = -1
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


def _delta(
    incidence: np.ndarray, n_hidden: np.ndarray, n_protected: np.ndarray, cells: np.ndarray
) -> np.ndarray:
    """For each cell, constraints it would leave with one hidden cell minus those it closes
    (a constraint is closed when its one hidden cell must stay unknown)."""
    touched = incidence[:, cells].astype(bool)
    opens = (touched & (n_hidden == 0)[:, None]).sum(axis=0)
    closes = (touched & ((n_hidden == 1) & (n_protected == 1))[:, None]).sum(axis=0)
    return opens - closes


def _close(
    incidence: np.ndarray,
    values: np.ndarray,
    hidden: np.ndarray,
    kind: np.ndarray,
    protect: np.ndarray,
    showable: np.ndarray,
) -> np.ndarray:
    """Hide cells until no constraint holds exactly one hidden cell, one that must stay unknown
    (where that can be done)."""
    hidden = hidden.copy()
    n_hidden = incidence @ hidden.astype(np.int64)
    n_protected = incidence @ (hidden & protect).astype(np.int64)
    stuck = np.zeros(len(incidence), dtype=bool)
    while True:
        single = (n_hidden == 1) & (n_protected == 1) & ~stuck
        if not single.any():
            return hidden
        k = int(single.argmax())
        cells = np.flatnonzero(incidence[k].astype(bool) & ~hidden & showable)
        if not len(cells):
            stuck[k] = True  # the total is missing: nothing to add up against
            logger.warning("A constraint holds one hidden cell and no other cell to hide")
            continue
        cell = _pick(cells, values, kind, _delta(incidence, n_hidden, n_protected, cells))
        hidden[cell] = True
        n_hidden += incidence[:, cell]
        n_protected += incidence[:, cell] * int(protect[cell])


def _ranges(
    signs: np.ndarray,
    values: np.ndarray,
    hidden: np.ndarray,
    lower: np.ndarray,
    cells: np.ndarray,
    upper: np.ndarray | None = None,
) -> dict[int, tuple[float, float]]:
    """The smallest and largest value each of ``cells`` (hidden) can take, given every shown
    cell, the constraints and the bounds (``upper``: none when not given; ``inf`` where a cell
    has none). Totals that do not add up are treated as if the difference were known too
    (conservative)."""
    from scipy.optimize import linprog

    rows = np.flatnonzero((signs[:, hidden] != 0).any(axis=1))
    unknown = np.flatnonzero(hidden & (signs[rows] != 0).any(axis=0))
    known = np.nan_to_num(values, nan=0.0)
    a_eq = signs[np.ix_(rows, unknown)].astype(float)
    b_eq = a_eq @ known[unknown]
    top = np.full(len(values), np.inf) if upper is None else upper
    bounds = [(float(lower[c]), None if np.isinf(top[c]) else float(top[c])) for c in unknown]
    out = {}
    for cell in cells:
        if cell not in unknown:  # in no constraint: anything within its bounds
            out[int(cell)] = (float(lower[cell]), float(top[cell]))
            continue
        c = np.zeros(len(unknown))
        c[int(np.flatnonzero(unknown == cell)[0])] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        most = np.inf if high.status == 3 else -high.fun  # status 3: unbounded
        out[int(cell)] = (float(low.fun), float(most))
    return out


def _pinned(
    signs: np.ndarray,
    values: np.ndarray,
    hidden: np.ndarray,
    lower: np.ndarray,
    protect: np.ndarray,
    upper: np.ndarray | None = None,
) -> list[int]:
    """Hidden cells that must stay unknown whose feasible range, given everything shown, is
    narrower than one count. The attacker knows every shown cell, every published total, that
    counts are non-negative and that a hidden shown count is at least 1 (and any other bound
    in ``lower`` and ``upper``)."""
    cells = np.flatnonzero(hidden & protect)
    found = _ranges(signs, values, hidden, lower, cells, upper)
    return [c for c, (low, high) in found.items() if high - low < _MIN_RANGE]


def _nearest(
    incidence: np.ndarray, hidden: np.ndarray, cell: int, candidates: np.ndarray
) -> np.ndarray:
    """The ``candidates`` nearest to ``cell`` along the constraints: those in a constraint
    with it; else those in a constraint with a hidden cell of those constraints; and so on
    (a cell of one table pinned through another table that regroups its units)."""
    touches = incidence.astype(bool)
    reached = np.zeros(touches.shape[1], dtype=bool)
    reached[cell] = True
    frontier = reached.copy()
    used = np.zeros(touches.shape[0], dtype=bool)
    while frontier.any():
        constraints = touches[:, frontier].any(axis=1) & ~used
        used |= constraints
        cells = touches[constraints].any(axis=0)
        found = cells & candidates
        if found.any():
            return np.flatnonzero(found)
        frontier = cells & hidden & ~reached
        reached |= cells
    return np.flatnonzero(np.zeros(touches.shape[1], dtype=bool))


def _protect(
    signs: np.ndarray,
    values: np.ndarray,
    hidden: np.ndarray,
    kind: np.ndarray,
    protect: np.ndarray,
    showable: np.ndarray,
    lower: np.ndarray,
    *,
    nearest: bool = False,
) -> np.ndarray:
    """Secondary suppression: close the constraints, then audit by LP until nothing is pinned.

    A pinned cell gets one more hidden cell in a constraint with it; with ``nearest``, when
    none is left there, the nearest along the constraints (:func:`_nearest`), else any cell
    in a constraint that holds a hidden cell."""
    incidence = (signs != 0).astype(np.int64)
    hidden = _close(incidence, values, hidden, kind, protect, showable)
    while pinned := _pinned(signs, values, hidden, lower, protect):
        cell = pinned[0]
        near = incidence[:, cell].astype(bool)
        cells = np.flatnonzero(incidence[near].any(axis=0) & ~hidden & showable)
        if not len(cells) and nearest:
            cells = _nearest(incidence, hidden, cell, ~hidden & showable)
        if not len(cells):  # nothing shown beside it: look wider, along any constraint in use
            in_use = incidence[:, hidden & protect].any(axis=1)
            cells = np.flatnonzero(incidence[in_use].any(axis=0) & ~hidden & showable)
        if not len(cells):
            logger.warning("A hidden cell can be worked out and nothing is left to hide")
            break
        n_hidden = incidence @ hidden.astype(np.int64)
        n_protected = incidence @ (hidden & protect).astype(np.int64)
        delta = _delta(incidence, n_hidden, n_protected, cells)
        hidden[_pick(cells, values, kind, delta)] = True
        hidden = _close(incidence, values, hidden, kind, protect, showable)
    return hidden


# --- the whole document ---------------------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """Cells of a suppressed table that another piece of a document shows again.

    Attributes
    ----------
    piece : str
        The piece, for messages («Fylkesvis liste over prosjekter som fikk støtte»).
    cells : mapping of (row label, column) to float
        The value the piece gives for each cell (a count of rows, a sum of amounts).
    """

    piece: str
    cells: Mapping[tuple[Hashable, str], float]

    @classmethod
    def from_rows(
        cls,
        piece: str,
        groups: pd.Series,
        *,
        count: str | None = None,
        sums: Mapping[str, pd.Series] | None = None,
    ) -> Shown:
        """What a list of rows (one row a unit) shows per group: the number of rows, as the
        column ``count``, and the sum of each amount of ``sums`` (table column → the amounts
        of the listed rows, aligned with ``groups``).

        Parameters
        ----------
        piece : str
            The list's name.
        groups : Series
            Each listed row's group label (its county, as the table's rows name it).
        count : str, optional
            The table column that counts the same rows.
        sums : mapping of str to Series, optional
            Table column → the listed rows' amounts it sums.
        """
        cells: dict[tuple[Hashable, str], float] = {}
        if count is not None:
            for label, n in groups.value_counts(sort=False).items():
                cells[(label, count)] = float(n)
        for column, amounts in (sums or {}).items():
            summed = pd.to_numeric(amounts, errors="coerce").groupby(groups.to_numpy()).sum()
            for label, total in summed.items():
                cells[(label, column)] = float(total)
        return cls(piece, cells)


@dataclass(frozen=True)
class Leak:
    """A hidden cell that the document gives away.

    Attributes
    ----------
    row, column : hashable, str
        The cell (``column`` can name an implied difference, ``"n_applications − n_granted"``).
    value : float
        Its value.
    pieces : tuple of str
        The pieces that give it away, beside the table itself.
    how : {"shown", "worked out"}
        Shown outright by another piece, or worked out from everything shown together.
    """

    row: Hashable
    column: str
    value: float
    pieces: tuple[str, ...]
    how: Literal["shown", "worked out"]

    def __str__(self) -> str:
        by = ", ".join(self.pieces) or "the table's own totals"
        return f"{self.column} of {self.row!s} ({self.value:g}) is {self.how} by {by}"


def audit(table: SuppressedTable, shown: Iterable[Shown] = ()) -> list[Leak]:
    """Every hidden cell of ``table`` that the document gives away, as an attacker finds it.

    A piece gives a cell away outright when it shows the cell's value (a list whose rows in
    Oslo number as many as the hidden «Innvilget» of Oslo). Then everything shown is put
    together: the table's shown cells and totals, and the cells the pieces show; a hidden count
    (or a small implied difference) whose feasible range under linear programming is narrower
    than one count is worked out.

    Parameters
    ----------
    table : SuppressedTable
        The table, from :func:`suppress`.
    shown : iterable of Shown
        What the other pieces of the document show of the same cells.

    Returns
    -------
    list of Leak
        Empty when nothing hidden can be recovered.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [10, 2, 7, 5]}, index=list("ABCD"))
    >>> t.loc["I alt"] = t["n"].sum()
    >>> s = suppress(t, ["n"], total_row="I alt")
    >>> listed = pd.Series(["A"] * 10 + ["D"] * 5)
    >>> [str(leak) for leak in audit(s, [Shown.from_rows("list", listed, count="n")])]
    ['n of D (5) is shown by list', 'n of B (2) is worked out by list']
    """
    system = table.system
    if system is None:
        raise ValueError("the table carries no constraints: make it with suppress()")
    where = {label: k for k, label in enumerate(system.labels)}
    hidden = system.hidden.copy()
    leaks: list[Leak] = []
    used: list[str] = []
    for piece in shown:
        for (row, column), value in piece.cells.items():
            if row not in table.mask.index or column not in table.mask.columns:
                continue
            if not table.mask.at[row, column]:
                continue
            true = pd.to_numeric(pd.Series([table.values.at[row, column]]), errors="coerce")[0]
            if not (np.isfinite(true) and abs(true - value) < 1e-6):
                continue  # not the same quantity: says nothing of the cell
            leaks.append(Leak(row, column, float(value), (piece.piece,), "shown"))
            used += [piece.piece] if piece.piece not in used else []
            if (row, column) in where:
                hidden[where[(row, column)]] = False
    told = {(leak.row, leak.column) for leak in leaks}
    if len(system.signs):
        for cell in _pinned(system.signs, system.values, hidden, system.lower, system.protect):
            row, column = system.labels[cell]
            if (row, column) not in told:
                value = float(system.values[cell])
                leaks.append(Leak(row, column, value, tuple(used), "worked out"))
    return leaks


@dataclass(frozen=True)
class ProtectedRows:
    """A list of rows made consistent with its table.

    Attributes
    ----------
    rows : DataFrame
        The rows to show.
    withheld : tuple
        The groups (counties) whose rows are left out, in the table's order.
    """

    rows: pd.DataFrame
    withheld: tuple[Hashable, ...] = ()


def protect_rows(
    rows: pd.DataFrame,
    groups: pd.Series,
    table: SuppressedTable,
    *,
    count: str,
    public: bool = False,
    sums: Mapping[str, str] | None = None,
    piece: str = "list",
) -> ProtectedRows:
    """Leave out the rows of a list that would give away a cell hidden in ``table``.

    A list of rows (one row a unit, with its county) shows how many units each county has, and
    the sums of their amounts. Unless the rows are public, the rows of a county are left out
    where its count is hidden in the table (primary or secondary), so that the list shows
    nothing the table hides. When ``count`` is not a column of the table, the list's own counts
    per group are suppressed with the table's rule (their total taken as known), and the rows
    of any county with a hidden count in the table are left out too, since the listed rows
    bound that count from below. The result is then audited (:func:`audit`).

    Parameters
    ----------
    rows : DataFrame
        The listed rows.
    groups : Series
        Each row's group (county) as the table's rows name it, aligned with ``rows``.
    table : SuppressedTable
        The county table the document shows.
    count : str
        The table column that counts the same rows (``n_granted`` for a list of the granted).
    public : bool, default False
        The rows are public (the ministry published them): every row is shown.
    sums : mapping of str to str, optional
        Column of ``rows`` → the table column that sums it over the same rows.
    piece : str, default "list"
        The list's name, for the error.

    Returns
    -------
    ProtectedRows

    Raises
    ------
    EvalkitError
        If the list, even so, gives away a hidden cell (public rows beside a table that hides
        their count: the scheme declares them public in one place and not the other).
    """
    from evalkit.errors import EvalkitError

    withheld: set[Hashable] = set()
    if not public:
        if count in table.count_columns:
            withheld = set(table.mask.index[table.mask[count].to_numpy(bool)])
        else:
            counts = groups.value_counts(sort=False).rename("n").to_frame()
            total = object()  # a label no group has
            counts.loc[total] = len(groups)
            own = suppress(counts, ["n"], rule=table.rule, total_row=total)
            withheld = set(own.mask.index[own.mask["n"].to_numpy(bool)]) - {total}
            hides = table.mask[list(table.count_columns)].any(axis=1)
            withheld |= set(table.mask.index[hides.to_numpy(bool)])
    keep = ~groups.isin(list(withheld)).to_numpy(bool)
    kept, kept_groups = rows[keep], groups[keep]
    sums_shown = {column: kept[col] for col, column in (sums or {}).items() if col in kept}
    leaks = audit(
        table,
        [Shown.from_rows(piece, kept_groups, count=count, sums=sums_shown)],
    )
    if leaks:
        raise EvalkitError(
            f"«{piece}» gives away cells the county table hides: "
            + "; ".join(map(str, leaks[:5]))
            + ". To fix: declare the rows public in the scheme YAML's `disclosure.public` (with "
            "the county table's columns of them), or leave the list out."
        )
    order = [g for g in table.mask.index if g in withheld]
    return ProtectedRows(kept, tuple(order))


# --- the counties a sentence names ---------------------------------------------------------
@dataclass(frozen=True)
class Extremes:
    """The counties with the most and with the fewest of a count, as a sentence may name
    them («Flest prosjekter var det i A, færrest i B og C»).

    Attributes
    ----------
    most, fewest : tuple of str
        The counties, in the order given; empty where they are not to be named.
    """

    most: tuple[str, ...] = ()
    fewest: tuple[str, ...] = ()


def extremes(
    counts: Mapping[Hashable, float | None],
    table: SuppressedTable | None = None,
    column: str | None = None,
) -> Extremes:
    """The counties with the most and the fewest, and whether a sentence may name them.

    Naming them says more than the counts it names: the counties named have as many as each
    other, and every other county has fewer than the most (more than the fewest). So a side is
    not named (left empty) when one of its counties has its count hidden in the county table
    (a county tied with a shown one, or the fewest among hidden counts of 1 or 2, would be
    given away), or when the bound it sets on the hidden counts (each less than the most,
    more than the fewest) pins a hidden cell, as an attacker would find by linear programming
    with everything else the table shows.

    Parameters
    ----------
    counts : mapping
        County → its count (the counties only: not the row of rows without a county, nor the
        total). Counties with 0 (or None) are left out.
    table : SuppressedTable, optional
        The county table as published; without it (or when ``column`` is not one of its count
        columns) nothing is hidden and both sides are named.
    column : str, optional
        The count column of ``table`` that holds ``counts``.

    Returns
    -------
    Extremes
        ``fewest`` is empty too when every county has as many (it would be ``most``).

    Examples
    --------
    >>> t = pd.DataFrame({"n": [4, 6, 1, 5]}, index=["A", "B", "C", "D"])
    >>> t.loc["I alt"] = t["n"].sum()
    >>> s = suppress(t, ["n"], total_row="I alt")  # C (1) and A (4) hidden
    >>> extremes(t["n"].drop("I alt"))
    Extremes(most=('B',), fewest=('C',))
    >>> extremes(t["n"].drop("I alt"), s, "n")
    Extremes(most=('B',), fewest=())
    """
    rows = {k: float(v) for k, v in counts.items() if v is not None and not _isna(v) and v > 0}
    if not rows:
        return Extremes()
    hi, lo = max(rows.values()), min(rows.values())
    most = tuple(str(k) for k, v in rows.items() if v == hi)
    fewest = tuple(str(k) for k, v in rows.items() if v == lo)
    if fewest == most:
        fewest = ()
    if table is None or column is None or column not in table.count_columns:
        return Extremes(most, fewest)
    hidden = [k for k in rows if k in table.mask.index and bool(table.mask.at[k, column])]
    if not hidden:
        return Extremes(most, fewest)
    system = table.system
    if system is None:
        raise ValueError("the table carries no constraints: make it with suppress()")
    where = {label: k for k, label in enumerate(system.labels)}
    cells = [where[(k, column)] for k in hidden]

    def sayable(names: tuple[str, ...], bound: float, above: bool) -> bool:
        if not names or {str(k) for k in hidden} & set(names):
            return False
        lower = system.lower.copy()
        upper = np.full(len(system.values), np.inf)
        if above:  # the others have more than the fewest
            lower[cells] = np.maximum(lower[cells], bound + 1)
        else:  # and fewer than the most
            upper[cells] = bound - 1
        args = (system.signs, system.values, system.hidden, lower, system.protect, upper)
        return not (len(system.signs) and _pinned(*args))

    return Extremes(
        most if sayable(most, hi, above=False) else (),
        fewest if sayable(fewest, lo, above=True) else (),
    )


# --- tables of other documents that count the same units -----------------------------------
@dataclass(frozen=True)
class Regrouped:
    """A table of another published document that counts the same units as one column of the
    table being suppressed, in rows of its own: a year document's county table (the counties
    of that year, by the county the data give) beside the trends table's column for that year
    (the counties of the last year, by the municipalities).

    Attributes
    ----------
    table : SuppressedTable
        The other table as it is published; its hidden cells stay as they are.
    count : str
        Its count column that counts the units.
    column : str
        The column of the table being suppressed that counts the same units.
    crosswalk : mapping of (hashable, hashable) to int
        (row of ``table``, row of the table being suppressed) → the units in both; pairs with
        none may be left out. A unit that ``table`` leaves out has a first label that is not
        one of its rows.
    possible : collection of (hashable, hashable), optional
        The pairs a reader can think may hold units (from the geography: counties that share
        a municipality, and any county with the row of units that cannot be placed); the
        pairs of ``crosswalk`` are added. None: only the pairs of ``crosswalk``, as if a
        reader knew which pairs hold none.
    """

    table: SuppressedTable
    count: str
    column: str
    crosswalk: Mapping[tuple[Hashable, Hashable], int]
    possible: Collection[tuple[Hashable, Hashable]] | None = None


def suppress_regrouped(
    table: pd.DataFrame,
    count_columns: list[str],
    regrouped: Iterable[Regrouped],
    *,
    rule: DisclosureRule = DisclosureRule(),
    total_row: Hashable | None = None,
    public: Iterable[str] = (),
) -> SuppressedTable:
    """:func:`suppress`, jointly with the published tables of other documents that count the
    same units (:class:`Regrouped`), so that no cell hidden in any of them can be worked out
    from all of them together. The other tables are not changed: cells are hidden here only.

    Parameters
    ----------
    table : DataFrame
        Rows × count columns (the trends document's counties × years), with an optional total
        row.
    count_columns : list of str
        The count columns.
    regrouped : iterable of Regrouped
        The other tables, each beside one count column.
    rule, total_row, public
        As for :func:`suppress`.

    Returns
    -------
    SuppressedTable
        Its ``system`` is the table's own (for :func:`audit`).

    Raises
    ------
    ValueError
        If a crosswalk does not add up to the counts of the two tables it links, or names a
        row or column that is not there.

    Notes
    -----
    Hidden from the start: the small counts, and, in the column beside another table, every
    row that table hides under the same label (a county hidden in the year's document is
    hidden for that year here too; the same units, the same hidden cells). Then secondary
    suppression runs over everything published together: the constraints of this table, of
    each other table (its shown cells, its hidden cells, at least 1 each, and its totals), and
    the crosswalk: each unit of a cell of the other table is in one row here, so a row's count
    there is the sum of its crosswalk cells, and a row's count here the sum of its crosswalk
    cells. The crosswalk cells are not published and are at least 0; a reader knows which
    pairs can hold units (``possible``, or, without it, the pairs that do). A pinned cell, here or in another table,
    gets one more hidden cell here, the nearest along the constraints (:func:`_nearest`),
    until nothing hidden can be worked out.
    """
    lay = _layout(table, list(count_columns), rule, total_row, None, None, public, None)
    others = list(regrouped)
    hidden = lay.hidden.copy()
    body = [r for r in table.index if r != total_row]
    for other in others:
        if other.column not in lay.names:
            raise ValueError(f"regrouped column {other.column!r} is not a count column")
        mask = other.table.mask
        if other.count not in other.table.count_columns:
            raise ValueError(f"regrouped count {other.count!r} is not a count column there")
        for row in body:
            if row in mask.index and row != other.table.total_row and mask.at[row, other.count]:
                cell = lay.cell(row, other.column)
                hidden[cell] |= bool(lay.showable[cell])
    if not others:
        if len(lay.signs):
            hidden = _protect(
                lay.signs, lay.values, hidden, lay.kind, lay.protect, lay.showable, lay.lower
            )
        return _result(lay, hidden)

    blocks = [(lay.signs, lay.values, hidden, lay.protect, lay.lower, lay.showable, lay.kind)]
    offset = len(lay.values)
    links: list[tuple[dict[int, int], int]] = []  # (cell → sign) of each crosswalk constraint
    n_cross = 0
    cross_values: list[float] = []
    for other in others:
        system = other.table.system
        if system is None:
            raise ValueError("a regrouped table carries no constraints: make it with suppress()")
        where = {label: k + offset for k, label in enumerate(system.labels)}
        n = len(system.values)
        protect = system.protect.copy()
        if len(system.signs):  # a cell its own table gives away is not this table's to keep
            given = _pinned(system.signs, system.values, system.hidden, system.lower, protect)
            protect[given] = False
        blocks.append(
            (
                system.signs,
                system.values,
                system.hidden,
                protect,
                system.lower,
                np.zeros(n, dtype=bool),
                np.zeros(n, dtype=np.int64),
            )
        )
        offset += n
        pairs = {k: int(v) for k, v in other.crosswalk.items() if int(v) > 0}
        for _, right in pairs:
            if right not in body:
                raise ValueError(f"crosswalk row {right!r} is not a row of the table")
        # a row that is not in the table holds none, as a reader sees
        pairs |= {k: 0 for k in (other.possible or ()) if k not in pairs and k[1] in body}
        theirs = [r for r in other.table.values.index if r != other.table.total_row]
        start = n_cross
        n_cross += len(pairs)
        cross_values += [float(v) for v in pairs.values()]
        cross = {pair: start + i for i, pair in enumerate(pairs)}  # positions among the x's
        for row in theirs:
            cells = {-(1 + cross[p]): 1 for p in pairs if p[0] == row}
            cells[where[(row, other.count)]] = -1
            links.append((cells, 0))
        for row in body:
            cells = {-(1 + cross[p]): 1 for p in pairs if p[1] == row}
            cells[lay.cell(row, other.column)] = -1
            links.append((cells, 0))
    n_all = offset + n_cross
    signs = np.zeros((sum(len(b[0]) for b in blocks) + len(links), n_all), dtype=np.int8)
    at, col = 0, 0
    for block in blocks:
        m = block[0]
        signs[at : at + len(m), col : col + m.shape[1]] = m
        at += len(m)
        col += m.shape[1]
    for k, (cells, _) in enumerate(links):
        for cell, sign in cells.items():
            signs[at + k, cell if cell >= 0 else offset + (-cell - 1)] = sign

    def joined(i: int, fill: Any, dtype: Any) -> np.ndarray:
        return np.concatenate([np.asarray(b[i]) for b in blocks] + [np.full(n_cross, fill, dtype)])

    values = np.concatenate([np.asarray(b[1], float) for b in blocks] + [np.array(cross_values)])
    known = np.nan_to_num(values, nan=0.0)
    if np.abs(signs.astype(float)[at:] @ known).max(initial=0.0) > 1e-6:
        raise ValueError("a crosswalk does not add up to the counts of the tables it links")
    joint = _protect(
        signs,
        values,
        joined(2, True, bool),
        joined(6, 0, np.int64),
        joined(3, False, bool),
        joined(5, False, bool),
        joined(4, 0.0, float),
        nearest=True,
    )
    return replace(_result(lay, joint[: len(lay.values)]), regrouped=True)


# --- a scheme's rule ------------------------------------------------------------------------
#: How ``metrics.by_county`` names the rows without a county (the county table's row). A row
#: key, the same in every language (the trends table matches the year tables by it); a
#: document shows it as :func:`row_label` says.
UNKNOWN_COUNTY_NB = "Ukjent fylke"
#: How the trends table names the rows that cannot be placed in one county (a row key, as
#: ``evalkit.trends.UNPLACED_NB``).
UNPLACED_NB = "Kan ikke plasseres"


def public_counts(doc: Any) -> dict[str, Any]:
    """County-table count key → the ``disclosure.public`` entry of the scheme that makes it
    public (``n_granted`` for ``among: granted``; the row count for an entry without
    ``among``). ``doc`` is a scheme's :class:`~evalkit.config.SchemeModel`."""
    from evalkit.config import count_key

    return {(f"n_{p.among}" if p.among else count_key(doc.unit)): p for p in doc.disclosure.public}


def county_options(doc: Any) -> dict[str, Any]:
    """The ``public`` and ``parts`` arguments of :func:`suppress` for a scheme's county table.

    Public: the count columns of the ``disclosure.public`` rows. Parts: each count column of
    rows among a yes/no column (``n_granted``, ``n_<by_county flag>``) is a part of the row
    count (``n_applications``) when the table shows both, so the difference is protected too.
    """
    from evalkit.config import count_key

    counts = [c.key for c in doc.county_table.columns if c.count]
    whole = count_key(doc.unit)
    among = {f"n_{f}" for f in doc.by_county.flags}
    if doc.award is not None:
        among.add(f"n_{doc.award.flag}")
    public = [c for c in counts if c in public_counts(doc)]
    parts = {c: whole for c in counts if c in among and whole in counts and c != whole}
    return {"public": public, "parts": parts}


#: The key of the county table's row of totals (shown as :func:`row_label` says).
TOTAL_NB = "I alt"


def row_label(key: Hashable) -> Hashable:
    """The label a document shows for a row key of a county table, in the current language:
    the row of totals (:data:`TOTAL_NB`), the rows without a county
    (:data:`UNKNOWN_COUNTY_NB`) and those that cannot be placed (:data:`UNPLACED_NB`) get the
    catalog's words («I alt», «Total»); a county's name is shown as it is.

    The tables keep the keys, so that the trends table matches the year tables by them in
    every language; translate only where a table is shown."""
    if key == TOTAL_NB:
        return t("disclosure.row.total")
    if key == UNKNOWN_COUNTY_NB:
        return t("geo.unknown_county")
    if key == UNPLACED_NB:
        return t("geo.unplaced")
    return key


def county_suppression(
    metrics: Mapping[str, Any], doc: Any, *, rule: DisclosureRule = DisclosureRule()
) -> tuple[pd.DataFrame, SuppressedTable]:
    """A year document's county table and the cells hidden in it.

    The table is ``by_county`` of the year's ``metrics.json`` (one row per county, indexed by
    its name, with the columns of the scheme's ``county_table``) and its :data:`TOTAL_NB` row
    (``by_county_total``); it is suppressed as the scheme says (:func:`county_options`). It is
    worked out from the year's data alone, once for every document that shows the year's
    counties: the year's document and the trends document's column of the year
    (:func:`suppress_regrouped`) hide the same counties.

    Parameters
    ----------
    metrics : mapping
        The year's metrics (``by_county``, ``by_county_total``).
    doc : SchemeModel
        The scheme's document choices.
    rule : DisclosureRule, optional
        The small-count rule.

    Returns
    -------
    table : DataFrame
        The unsuppressed table (``metrics.json`` keeps these numbers).
    suppressed : SuppressedTable
    """
    by = pd.DataFrame(metrics["by_county"])
    by["county_name"] = by["county_name"].astype(str)
    columns = doc.county_table.columns
    counts = [c.key for c in columns if c.count]
    linked = {n: [c.key for c in columns if n in c.linked_to] for n in counts}
    table = by[["county_name", *[c.key for c in columns]]].set_index("county_name")
    total = metrics.get("by_county_total") or {}
    table.loc[TOTAL_NB] = [total.get(c) for c in table.columns]
    options = county_options(doc)  # public counts; refusals protected
    sup = suppress(table, counts, rule=rule, total_row=TOTAL_NB, linked=linked, **options)
    return table, sup


def _list_count(doc: Any, spec: Any) -> str:
    from evalkit.config import count_key

    return f"n_{spec.among}" if spec.among else count_key(doc.unit)


def protect_list(rows: pd.DataFrame, spec: Any, doc: Any, table: SuppressedTable) -> ProtectedRows:
    """:func:`protect_rows` for a list of a scheme's document (``sections[].show[].list``):
    the rows of the tidy frame the list shows, its spec, the scheme's ``SchemeModel`` and the
    county table as suppressed. The list counts its rows in the county table's column
    ``n_<among>`` (or the row count), and sums each amount column in the county table's column
    of the same name when that column is hidden with this count alone."""
    count = _list_count(doc, spec)
    linked = {c.key: c.linked_to for c in doc.county_table.columns}
    amounts = {n for n, f in doc.fields.items() if f.type == "amount"}
    sums = {c: c for c in spec.columns if c in amounts and linked.get(c) == [count]}
    groups = rows["county_name"].astype(object).where(rows["county_name"].notna())
    groups = groups.fillna(UNKNOWN_COUNTY_NB)
    return protect_rows(
        rows,
        groups,
        table,
        count=count,
        public=count in public_counts(doc),
        sums=sums,
        piece=spec.title_nb,
    )


def withheld_note_text(withheld: Iterable[Hashable], doc: Any) -> str | None:
    """«Søknadene i Oslo og Vestfold er ikke med i listen, fordi antallet der er skjermet i
    tabellen «Søknader og tildelinger per fylke».» (in the current language); None when no
    rows are left out."""
    from evalkit.formats import join_list

    names = [str(w) for w in withheld]
    if not names:
        return None
    return t(
        "disclosure.withheld",
        the_units=_capital(_the(doc)),
        counties=join_list(names),
        table=_table_title(doc),
    )


def _the(doc: Any) -> str:
    """«prosjektene» / «søknadene» (the current language)."""
    from evalkit.formats import unit_form

    return unit_form(doc.unit, "the")


def _capital(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}"


def _table_title(doc: Any) -> str:
    """The title of the scheme's county table in the current language."""
    from evalkit.config import scheme_text

    return scheme_text(doc.county_table, "title")


def _quoted(labels: list[str]) -> str:
    from evalkit.flags import quoted
    from evalkit.formats import join_list

    return join_list([quoted(lab) for lab in labels])


def method_text(doc: Any, rule: DisclosureRule) -> str:
    """The method text's account of disclosure control (after «Skjerming.»), in the current
    language: what is public and why, what is protected, and how (``doc``: the scheme's
    ``SchemeModel``, with defaults).

    samhandling: «Tildelingene er offentlige: departementet publiserte listen over prosjektene
    som fikk støtte, fylke for fylke. Kolonnene «Innvilget» og «Tildelt (kr)» … skjermes derfor
    ikke … Avslåtte søknader er ikke offentlige. I tabeller på fylkesnivå vises antall på 1 og
    2 i kolonnen «Søknader» som «:» …»
    """
    from evalkit.config import scheme_text

    columns = doc.county_table.columns
    label = {c.key: scheme_text(c, "label") for c in columns}
    options = county_options(doc)
    public, parts = options["public"], options["parts"]
    lists = [item.list for sec in doc.sections or [] for item in sec.show if hasattr(item, "list")]
    published = public_counts(doc)
    out = []
    for p in published.values():
        what, source = scheme_text(p, "what"), scheme_text(p, "source")
        out.append(t("disclosure.method.public", what=_capital(what), source=source))
    shown = [
        label[c.key]
        for c in columns
        if c.key in public or (c.linked_to and set(c.linked_to) <= set(public))
    ]
    full = [
        scheme_text(published[_list_count(doc, s)], "what")
        for s in lists
        if _list_count(doc, s) in published
    ]
    if shown or full:
        said = []
        if shown:
            said.append(
                tn(
                    "disclosure.method.columns_shown",
                    len(shown),
                    columns=_quoted(shown),
                    table=_table_title(doc),
                )
            )
        for what in dict.fromkeys(full):
            said.append(tn("disclosure.method.list_complete", full.count(what), what=what))
        sentence = said[0]
        for more in said[1:]:
            sentence = t("disclosure.method.and", first=sentence, second=more)
        out.append(f"{_capital(sentence)}.")
    for p in published.values():
        rest = scheme_text(p, "rest")
        if rest:
            out.append(t("disclosure.method.rest", rest=_capital(rest)))
    protected = [label[c.key] for c in columns if c.count and c.key not in public]
    if protected:
        if public:
            rule_said = tn(
                "disclosure.method.rule_in_columns",
                len(protected),
                small=rule.small_text,
                columns=_quoted(protected),
                symbol=rule.symbol,
            )
        else:
            rule_said = t("disclosure.method.rule", small=rule.small_text, symbol=rule.symbol)
        for part, whole in parts.items():
            if part in public and whole in public:
                continue
            rest = published.get(part)
            what = t("disclosure.method.difference", whole=label[whole], part=label[part])
            if rest is not None and scheme_text(rest, "rest"):
                what = t(
                    "disclosure.method.count_of", rest=scheme_text(rest, "rest"), difference=what
                )
            rule_said += t("disclosure.method.also_hidden", what=what, small=rule.small_text)
        out.append(rule_said + ".")
        sources = (
            t("disclosure.method.sources.totals_public")
            if public
            else t("disclosure.method.sources.totals")
        )
        others = (
            t("disclosure.method.others.with_lists")
            if lists
            else t("disclosure.method.others.plain")
        )
        out.append(t("disclosure.method.secondary", sources=sources, others=others))
        hidden_lists = [s for s in lists if _list_count(doc, s) not in published]
        if hidden_lists:
            out.append(
                tn("disclosure.method.lists_withheld", len(hidden_lists), the_units=_the(doc))
            )
    else:
        out.append(t("disclosure.method.none"))
    return " ".join(out)


def trends_method_text(doc: Any, rule: DisclosureRule) -> str:
    """The trends document's account of disclosure control (after «Skjerming.»), in the
    current language, for its table of counties and years (:func:`suppress_regrouped`;
    ``doc``: the scheme's ``SchemeModel``).

    samhandling: «I tabellen over fylker vises antall på 1 eller 2 som «:». Der antallet
    søknader i et fylke er skjult i rapporten for et år, er det skjult for det året her også.
    Flere celler skjules der det trengs for at de skjulte tallene ikke skal kunne regnes ut fra
    summene, eller fra tabellene over fylker i rapportene for hvert år (sekundærskjerming).»
    """
    from evalkit.config import count_key, scheme_text
    from evalkit.formats import unit_form

    published = public_counts(doc).get(count_key(doc.unit))
    if published is not None:
        return t(
            "disclosure.trends.public",
            what=_capital(scheme_text(published, "what")),
            source=scheme_text(published, "source"),
        )
    return t(
        "disclosure.trends.rule",
        small=rule.small_text,
        symbol=rule.symbol,
        many=unit_form(doc.unit, "many"),
    )
