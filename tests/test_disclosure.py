"""Disclosure control: small counts hidden, with secondary suppression so that no hidden count
can be worked out from the published totals.

Expected masks are worked out by hand in the comments. Protection is checked by an attacker
written here independently of the library: it counts the hidden cells in every published
constraint and solves each hidden cell's smallest and largest possible value by linear
programming."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from evalkit.disclosure import (
    DisclosureRule,
    Extremes,
    Regrouped,
    extremes,
    suppress,
    suppress_regrouped,
)

NBSP = "\u00a0"
FOOTNOTE = (
    "«:» Tallet er skjult fordi det er 1 eller 2 "
    "(eller fordi det ellers kunne regnes ut fra summene)."
)


# --- an independent attacker --------------------------------------------------------------
def _equations(table, count_cols, total_row, row_total):
    """Each published additive constraint as (cells adding up, the total's cell)."""
    body = [r for r in table.index if r != total_row]
    eqs = []
    if row_total is not None:
        for r in body:
            eqs.append(([(r, c) for c in count_cols], (r, row_total)))
    if total_row is not None:
        for c in count_cols:
            eqs.append(([(r, c) for r in body], (total_row, c)))
        if row_total is not None:
            grand = (total_row, row_total)
            eqs.append(([(r, row_total) for r in body], grand))
            eqs.append(([(total_row, c) for c in count_cols], grand))
    return eqs


def hidden_per_constraint(s, count_cols, total_row=None, row_total=None) -> list[int]:
    """How many hidden cells (the total included) each additive constraint holds."""
    return [
        sum(bool(s.mask.loc[cell]) for cell in [*parts, total])
        for parts, total in _equations(s.values, count_cols, total_row, row_total)
    ]


def feasible_ranges(s, count_cols, total_row=None, row_total=None, lower=0.0):
    """(min, max) of every hidden count given every shown cell and total, as an attacker
    solves it: each hidden cell a variable ≥ ``lower``, each constraint an equation."""
    v, m = s.values, s.mask
    cols = [*count_cols, *([row_total] if row_total else [])]
    cells = [(r, c) for c in cols for r in v.index if m.loc[r, c]]
    a_eq, b_eq = [], []
    for parts, total in _equations(v, count_cols, total_row, row_total):
        coef, rhs = [0.0] * len(cells), 0.0
        for cell, sign in [*((p, 1.0) for p in parts), (total, -1.0)]:
            if cell in cells:
                coef[cells.index(cell)] += sign
            else:
                rhs -= sign * float(v.loc[cell])
        if any(coef):
            a_eq.append(coef)
            b_eq.append(rhs)
    out = {}
    for k, cell in enumerate(cells):
        if not a_eq:
            out[cell] = (lower, np.inf)
            continue
        c = np.zeros(len(cells))
        c[k] = 1.0
        bounds = [(lower, None)] * len(cells)
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        assert lo.status == 0, "the published totals are inconsistent"
        out[cell] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return out


def assert_protected(s, count_cols, total_row=None, row_total=None):
    counts = hidden_per_constraint(s, count_cols, total_row, row_total)
    assert 1 not in counts, counts
    # a nonnegative attacker, and one who knows a hidden count is never 0
    for lower in (0.0, 1.0):
        for cell, (lo, hi) in feasible_ranges(s, count_cols, total_row, row_total, lower).items():
            assert hi - lo >= 1 - 1e-9, (cell, lo, hi, lower)


def with_totals(body: pd.DataFrame, row_total: str | None = "I alt") -> pd.DataFrame:
    t = body.copy()
    if row_total:
        t[row_total] = t.sum(axis=1)
    t.loc["Hele landet"] = t.sum()
    return t


def hidden_cells(s) -> set[tuple[str, str]]:
    return {(r, c) for c in s.mask.columns for r in s.mask.index if s.mask.loc[r, c]}


# --- the checker itself can fail --------------------------------------------------------
def test_attacker_finds_a_cell_pinned_by_a_chain_of_constraints():
    # Every constraint below holds 0 or ≥ 2 hidden cells, yet (R, c) is pinned: column d gives
    # (P, d) = d-total; the total row gives c-total + d-total = 37 - 10 - 19 = 8; row P gives
    # (P, c) + (P, d) = 9 - 7 = 2; column c gives (R, c) = c-total - (P, c)
    # = (8 - d-total) - (2 - d-total) = 6.
    body = pd.DataFrame(
        {"a": [0, 1, 9], "b": [7, 7, 5], "c": [1, 0, 6], "d": [1, 0, 0]}, index=list("PQR")
    )
    t = with_totals(body)
    mask = pd.DataFrame(False, index=t.index, columns=t.columns)
    for r, c in ["Pc", "Pd", "Qa", "Qb", "Ra", "Rb", "Rc"]:
        mask.loc[r, c] = True
    mask.loc["Hele landet", ["c", "d"]] = True
    fake = SimpleNamespace(values=t, mask=mask)
    counts = hidden_per_constraint(fake, list("abcd"), "Hele landet", "I alt")
    assert 1 not in counts
    lo, hi = feasible_ranges(fake, list("abcd"), "Hele landet", "I alt")[("R", "c")]
    assert lo == pytest.approx(6) and hi == pytest.approx(6)
    # and the library, given the same table, leaves nothing pinned
    assert_protected(
        suppress(t, list("abcd"), total_row="Hele landet", row_total="I alt"),
        list("abcd"),
        "Hele landet",
        "I alt",
    )


# --- primary suppression ----------------------------------------------------------------
def test_zero_and_three_or_more_are_never_primary_suppressed():
    t = pd.DataFrame({"n": [0, 1, 2, 3, 4, 5, 6, 30]}, index=list("ABCDEFGH"))
    s = suppress(t, ["n"])  # no totals: nothing to recover, so no secondary suppression
    assert s.primary["n"].tolist() == [False, True, True, False, False, False, False, False]
    assert s.mask.equals(s.primary)
    assert s.n_suppressed == 2


def test_min_count_is_configurable():
    t = pd.DataFrame({"n": [0, 1, 2, 3, 4, 5, 6, 30]}, index=list("ABCDEFGH"))
    s = suppress(t, ["n"], rule=DisclosureRule(min_count=5))
    assert s.mask["n"].tolist() == [False, True, True, True, True, False, False, False]
    assert s.footnote == (
        "«:» Tallet er skjult fordi det er 1, 2, 3 eller 4 "
        "(eller fordi det ellers kunne regnes ut fra summene)."
    )
    with pytest.raises(ValueError):
        DisclosureRule(min_count=0)


def test_columns_outside_count_columns_are_left_alone():
    t = pd.DataFrame({"n": [1, 9], "kommuner": [1, 2]}, index=["A", "B"])
    s = suppress(t, ["n"])
    assert s.mask["n"].tolist() == [True, False]
    assert s.mask["kommuner"].tolist() == [False, False]


# --- secondary suppression --------------------------------------------------------------
def test_one_column_with_total_row_a_single_two_forces_a_second_cell():
    t = pd.DataFrame(
        {"n": [10, 2, 7, 5, 0]}, index=["Agder", "Buskerud", "Finnmark", "Innlandet", "Nordland"]
    )
    t.loc["I alt"] = t["n"].sum()  # 24
    s = suppress(t, ["n"], total_row="I alt")
    # Buskerud (2) alone could be read off as 24 - 10 - 7 - 5 - 0, so the smallest other
    # non-zero county (Innlandet, 5) is hidden too; the 0 and the total stay shown.
    assert s.primary["n"].tolist() == [False, True, False, False, False, False]
    assert s.mask["n"].tolist() == [False, True, False, True, False, False]
    assert s.display()["n"].tolist() == ["10", ":", "7", ":", "0", "24"]
    assert s.hidden_totals == ()
    assert_protected(s, ["n"], "I alt")
    lo, hi = feasible_ranges(s, ["n"], "I alt")[("Buskerud", "n")]
    assert (lo, hi) == (pytest.approx(0), pytest.approx(7))  # Buskerud + Innlandet = 7


def test_two_ones_that_add_up_to_what_is_left_are_not_enough():
    # 1 and 1 hidden beside a total leaves 16 - 8 - 6 = 2 for two cells that are never 0, so
    # both are 1: the smallest shown count (6) is hidden as well.
    t = pd.DataFrame({"n": [1, 1, 8, 6]}, index=list("ABCD"))
    t.loc["I alt"] = t["n"].sum()
    s = suppress(t, ["n"], total_row="I alt")
    assert s.mask["n"].tolist() == [True, True, False, True, False]
    assert_protected(s, ["n"], "I alt")


def test_county_by_category_one_in_a_row():
    body = pd.DataFrame(
        {"a": [7, 6, 8], "b": [1, 4, 10], "c": [9, 12, 5]},
        index=["Agder", "Buskerud", "Finnmark"],
    )
    t = with_totals(body)  # row totals 17, 22, 23; column totals 21, 15, 26; 62
    s = suppress(t, list("abc"), total_row="Hele landet", row_total="I alt")
    # Agder b (1) is primary. Row Agder: the smallest other cell is a (7). Column a now holds one
    # hidden cell: Buskerud a (6). Row Buskerud now holds one: b (4), which also closes column b.
    expected = {("Agder", "a"), ("Agder", "b"), ("Buskerud", "a"), ("Buskerud", "b")}
    assert hidden_cells(s) == expected
    assert s.primary.to_numpy().sum() == 1 and s.primary.loc["Agder", "b"]
    assert s.secondary.to_numpy().sum() == 3
    # the 1's row and column hold exactly one more hidden cell each
    assert s.mask.loc["Agder", list("abc")].sum() == 2
    assert s.mask.loc[["Agder", "Buskerud", "Finnmark"], "b"].sum() == 2
    assert_protected(s, list("abc"), "Hele landet", "I alt")
    # by hand: a_A + b_A = 8, a_B + b_B = 10, a_A + a_B = 13, b_A + b_B = 5
    lo, hi = feasible_ranges(s, list("abc"), "Hele landet", "I alt")[("Agder", "b")]
    assert (lo, hi) == (pytest.approx(0), pytest.approx(5))


def test_a_county_total_of_one_or_two_is_hidden_too():
    body = pd.DataFrame({"a": [1, 3, 5], "b": [1, 4, 6]}, index=list("ABC"))
    t = with_totals(body)  # row totals 2, 7, 11; columns 9, 11; 20
    s = suppress(t, ["a", "b"], total_row="Hele landet", row_total="I alt")
    # A a, A b and A's total (2) are primary. Column a: B a (3). Row B: b (4), which also closes
    # column b. The row-total column then holds one hidden cell: B's total (7).
    assert s.primary.loc["A"].tolist() == [True, True, True]
    assert hidden_cells(s) == {(r, c) for r in "AB" for c in ("a", "b", "I alt")}
    assert s.hidden_totals == (("A", "I alt"), ("B", "I alt"))
    assert_protected(s, ["a", "b"], "Hele landet", "I alt")


def test_only_zeros_beside_a_hidden_cell_hides_the_total_and_says_so():
    body = pd.DataFrame({"a": [1, 0, 5], "b": [0, 0, 4]}, index=list("XYZ"))
    t = with_totals(body)  # row totals 1, 0, 9; columns 6, 4; 10
    s = suppress(t, ["a", "b"], total_row="Hele landet", row_total="I alt")
    # Row X: only a 0 beside X a, so X's total (1) is hidden. Column a: Z a (5). Row Z: its
    # total (9) closes the row-total column as well, so it goes before Z b (4).
    assert hidden_cells(s) == {("X", "a"), ("X", "I alt"), ("Z", "a"), ("Z", "I alt")}
    assert s.hidden_totals == (("X", "I alt"), ("Z", "I alt"))
    assert s.footnote is not None and s.footnote.startswith(FOOTNOTE)
    assert s.footnote == f"{FOOTNOTE} Noen summer er også skjult, av samme grunn."
    assert_protected(s, ["a", "b"], "Hele landet", "I alt")


def test_row_constraints_only_with_a_row_total():
    # two count columns, a total row but no row-total column: rows are not constraints
    t = pd.DataFrame({"søknader": [9, 2, 12], "innvilget": [4, 1, 8]}, index=list("ABC"))
    t.loc["I alt"] = t.sum()
    s = suppress(t, ["søknader", "innvilget"], total_row="I alt")
    # column søknader: B (2) then A (9); column innvilget: B (1) then A (4)
    assert s.mask["søknader"].tolist() == [True, True, False, False]
    assert s.mask["innvilget"].tolist() == [True, True, False, False]
    assert_protected(s, ["søknader", "innvilget"], "I alt")


@pytest.mark.parametrize("seed", range(8))
def test_random_county_tables_are_protected(seed):
    rng = np.random.default_rng(seed)
    values = rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15], size=(11, 4))
    body = pd.DataFrame(values, columns=list("abcd"), index=[f"F{i:02d}" for i in range(11)])
    t = with_totals(body)
    s = suppress(t, list("abcd"), total_row="Hele landet", row_total="I alt")
    primary = (values > 0) & (values < 3)
    assert (s.mask.loc[body.index, list("abcd")].to_numpy() >= primary).all()
    assert not s.mask.loc[body.index, list("abcd")].to_numpy()[values == 0].any()
    assert_protected(s, list("abcd"), "Hele landet", "I alt")


# --- linked columns, display, footnote -----------------------------------------------------
def test_linked_columns_are_hidden_with_their_count():
    t = pd.DataFrame(
        {
            "n": [2, 8, 9],
            "grant_nok": [300_000, 900_000, 1_000_000],
            "andel": [0.1, 0.4, 0.5],
            "merknad": ["x", "y", "z"],
        },
        index=["A", "B", "C"],
    )
    t.loc["I alt", ["n", "grant_nok", "andel", "merknad"]] = [19, 2_200_000, 1.0, ""]
    s = suppress(t, ["n"], total_row="I alt", linked={"n": ["grant_nok", "andel"]})
    expected = [True, True, False, False]  # A (2), then the smallest other: B (8)
    assert s.mask["n"].tolist() == expected
    assert s.mask["grant_nok"].tolist() == expected
    assert s.mask["andel"].tolist() == expected
    assert s.mask["merknad"].tolist() == [False] * 4
    assert s.n_suppressed == 2  # linked cells are not counted twice


def test_display_symbol_and_norwegian_formatting():
    t = pd.DataFrame(
        {"n": [1500, 1, 40, np.nan], "andel": [0.9174, 0.5, 0.25, 0.3]},
        index=["Oslo", "Agder", "Rogaland", "Troms"],
    )
    s = suppress(t, ["n"], linked={"n": ["andel"]})

    def fmt_int(v):
        return f"{v:,.0f}".replace(",", NBSP)

    def fmt_pct(v):
        return f"{100 * v:.1f}".replace(".", ",") + f"{NBSP}%"

    shown = s.display({"n": fmt_int, "andel": fmt_pct})
    assert shown["n"].tolist() == [f"1{NBSP}500", ":", "40", "–"]
    assert shown["andel"].tolist() == [f"91,7{NBSP}%", ":", f"25,0{NBSP}%", f"30,0{NBSP}%"]
    assert shown.index.tolist() == t.index.tolist()
    assert s.footnote == FOOTNOTE
    # without formatters: whole floats without decimals
    assert s.display()["n"].tolist() == ["1500", ":", "40", "–"]
    # another symbol
    other = suppress(t, ["n"], rule=DisclosureRule(symbol="x")).display({"n": fmt_int})
    assert other["n"].tolist()[1] == "x"


def test_footnote_only_when_something_is_hidden():
    t = pd.DataFrame({"n": [0, 3, 10]}, index=list("ABC"))
    t.loc["I alt"] = t["n"].sum()
    s = suppress(t, ["n"], total_row="I alt")
    assert s.n_suppressed == 0 and s.footnote is None
    assert not s.mask.to_numpy().any()
    assert s.display()["n"].tolist() == ["0", "3", "10", "13"]


def test_bad_arguments_are_refused():
    t = pd.DataFrame({"n": [1, 5], "kr": [10, 50]}, index=["A", "B"])
    with pytest.raises(ValueError, match="total_row"):
        suppress(t, ["n"], total_row="I alt")
    with pytest.raises(ValueError, match="not in the table"):
        suppress(t, ["antall"])
    with pytest.raises(ValueError, match="linked"):
        suppress(t, ["n", "kr"], linked={"n": ["kr"]})
    with pytest.raises(ValueError, match="negative"):
        suppress(t.assign(n=[-1, 5]), ["n"])


# --- tables of two documents that count the same units (issue 18, item 5) -----------------
def joint_ranges(tables: dict[str, pd.DataFrame], counts: dict[str, list[str]], links, lower=None):
    """An attacker of several published tables at once, written independently of the library.

    ``tables``: name → the table as published (float, NaN where hidden), its last row the
    column totals; ``counts``: name → its count columns; ``links``: (name, column, name,
    column, pairs) — the units counted in the first column are the units counted in the
    second, and ``pairs`` are the (row there, row here) pairs a reader thinks may hold units;
    ``lower``: (name, row, column) → a bound known for a hidden cell beside its 1.
    Each hidden cell is a variable (at least 1), each pair a variable (at least 0); every
    column adds up to its total and every row of a linked column to its pairs. Returns (name,
    row, column) → (min, max) of each hidden cell."""
    names, hidden = [], []
    for name, t in tables.items():
        for col in counts[name]:
            for row in t.index:
                if np.isnan(t.at[row, col]):
                    hidden.append((name, row, col))
    pair_vars = [(k, p) for k, link in enumerate(links) for p in link[4]]
    names = hidden + pair_vars
    at = {v: i for i, v in enumerate(names)}
    a_eq, b_eq = [], []

    def add(terms: dict, value: float) -> None:
        row = np.zeros(len(names))
        for v, c in terms.items():
            row[at[v]] += c
        a_eq.append(row)
        b_eq.append(value)

    def term(name, row, col):
        value = tables[name].at[row, col]
        return ({(name, row, col): 1.0}, 0.0) if np.isnan(value) else ({}, float(value))

    for name, t in tables.items():
        for col in counts[name]:
            terms, known = term(name, t.index[-1], col)
            terms = {v: -c for v, c in terms.items()}
            known = -known
            for row in t.index[:-1]:
                more, value = term(name, row, col)
                terms |= more
                known += value
            add(terms, -known)
    for k, (there, col_there, here, col_here, pairs) in enumerate(links):
        for row in tables[there].index[:-1]:
            terms, value = term(there, row, col_there)
            terms = {v: -c for v, c in terms.items()} | {(k, p): 1.0 for p in pairs if p[0] == row}
            add(terms, value)
        for row in tables[here].index[:-1]:
            terms, value = term(here, row, col_here)
            terms = {v: -c for v, c in terms.items()} | {(k, p): 1.0 for p in pairs if p[1] == row}
            add(terms, value)
    lower = lower or {}
    bounds = [(max(1, lower.get(v, 1)), None) for v in hidden] + [(0, None)] * len(pair_vars)
    out = {}
    for v in hidden:
        c = np.zeros(len(names))
        c[at[v]] = 1.0
        lo = linprog(c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds)
        hi = linprog(-c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds)
        assert lo.status == 0 and hi.status in (0, 3)
        out[v] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return out


def published(s) -> pd.DataFrame:
    """The count columns as a reader sees them: NaN where hidden."""
    cols = list(s.count_columns)
    return s.values[cols].astype(float).mask(s.mask[cols])


def test_a_year_table_and_a_trends_column_hide_the_same_counties():
    # The year document: applications and granted per county, the awards public. Oslo applied
    # once (hidden); Vestland had 8 applications and 7 grants: 1 refusal, hidden by hiding
    # Vestland's applications. The column is then closed: Agder 6 and Troms 9 are shown.
    year = pd.DataFrame(
        {"n_applications": [1, 6, 9, 8], "n_granted": [1, 3, 4, 7]},
        index=["Oslo", "Agder", "Troms", "Vestland"],
    )
    year.loc["I alt"] = year.sum()
    ys = suppress(year, ["n_applications", "n_granted"], total_row="I alt",
                  public=["n_granted"], parts={"n_granted": "n_applications"})  # fmt: skip
    assert ys.mask["n_applications"].tolist() == [True, False, False, True, False]
    # The trends document's column for the year counts the same applications in the same
    # counties. Suppressed on its own it hides Oslo and the smallest other, Agder (6): it shows
    # Vestland's 8, which the year document hides, and Oslo's 1 = 24 - 6 - 9 - 8 follows.
    trend = year[["n_applications"]].rename(columns={"n_applications": "2010"})
    alone = suppress(trend, ["2010"], total_row="I alt")
    assert alone.mask["2010"].tolist() == [True, True, False, False, False]
    same = [(c, c) for c in year.index[:-1]]
    links = [("year", "n_applications", "trend", "2010", same)]
    found = joint_ranges({"year": published(ys), "trend": published(alone)},
                         {"year": ["n_applications"], "trend": ["2010"]}, links)  # fmt: skip
    assert found[("year", "Oslo", "n_applications")] == pytest.approx((1, 1))  # the leak
    assert found[("year", "Vestland", "n_applications")] == pytest.approx((8, 8))
    # Jointly: the year's hidden counties are hidden for the year in the trends table too.
    crosswalk = {(c, c): int(n) for c, n in year["n_applications"].iloc[:-1].items()}
    joint = suppress_regrouped(
        trend, ["2010"], [Regrouped(ys, "n_applications", "2010", crosswalk)], total_row="I alt"
    )
    assert joint.mask["2010"].tolist() == ys.mask["n_applications"].tolist()
    found = joint_ranges({"year": published(ys), "trend": published(joint)},
                         {"year": ["n_applications"], "trend": ["2010"]}, links)  # fmt: skip
    assert all(hi - lo >= 1 for lo, hi in found.values()), found
    assert "rapporten for året" in joint.footnote


def test_merged_counties_in_the_trends_table_are_checked_against_the_year_table():
    # The year's counties X 2, Y 6, Z 5, W 9 (22): X is hidden, and the smallest other, Z.
    year = pd.DataFrame({"n": [2, 6, 5, 9]}, index=list("XYZW"))
    year.loc["I alt"] = year.sum()
    ys = suppress(year, ["n"], total_row="I alt")
    assert ys.mask["n"].tolist() == [True, False, True, False, False]
    # The trends table has the last year's counties: X and Y merged (8), Z and W merged (14).
    # No county has the same name, and no count is small, so on its own it hides nothing:
    # X = 8 - 6 = 2 and Z = 14 - 9 = 5.
    trend = pd.DataFrame({"2019": [8, 14]}, index=["XY", "ZW"])
    trend.loc["I alt"] = trend.sum()
    crosswalk = {("X", "XY"): 2, ("Y", "XY"): 6, ("Z", "ZW"): 5, ("W", "ZW"): 9}
    links = [("year", "n", "trend", "2019", list(crosswalk))]
    alone = suppress(trend, ["2019"], total_row="I alt")
    found = joint_ranges({"year": published(ys), "trend": published(alone)},
                         {"year": ["n"], "trend": ["2019"]}, links)  # fmt: skip
    assert found[("year", "X", "n")] == pytest.approx((2, 2))
    # Jointly: X is pinned through XY, so XY is hidden, and ZW with it (the column's total);
    # then X + Z = 7 is all a reader knows.
    joint = suppress_regrouped(
        trend, ["2019"], [Regrouped(ys, "n", "2019", crosswalk)], total_row="I alt"
    )
    assert joint.mask["2019"].tolist() == [True, True, False]
    found = joint_ranges({"year": published(ys), "trend": published(joint)},
                         {"year": ["n"], "trend": ["2019"]}, links)  # fmt: skip
    assert all(hi - lo >= 1 for lo, hi in found.values()), found
    # a crosswalk that does not add up to the two tables is refused
    with pytest.raises(ValueError, match="does not add up"):
        suppress_regrouped(trend, ["2019"],
                           [Regrouped(ys, "n", "2019", {**crosswalk, ("X", "XY"): 1})],
                           total_row="I alt")  # fmt: skip


# --- the counties a sentence names --------------------------------------------------------
def test_the_fewest_is_not_named_when_its_count_is_hidden():
    # A 1 is hidden, and the smallest other, C 4. «færrest i A» would say A is below every
    # shown count; with the footnote's «1 eller 2» and the total, C = 16 - 6 - 5 - A.
    t = pd.DataFrame({"n": [1, 6, 4, 5]}, index=list("ABCD"))
    t.loc["I alt"] = t["n"].sum()
    s = suppress(t, ["n"], total_row="I alt")
    assert s.mask["n"].tolist() == [True, False, True, False, False]
    counts = t["n"].drop("I alt")
    assert extremes(counts) == Extremes(most=("B",), fewest=("A",))  # nothing hidden known
    assert extremes(counts, s, "n") == Extremes(most=("B",), fewest=())


def test_the_most_is_not_named_when_a_hidden_county_ties_with_it():
    # A 1 is hidden, and the smallest other: B or C (9 each), the first, B. «Flest i B og C»
    # would say B = C = 9, and then A = 20 - 9 - 9 - 1 = 1.
    t = pd.DataFrame({"n": [1, 9, 9, 1]}, index=list("ABCD"))
    t.loc["I alt"] = t["n"].sum()
    s = suppress(t, ["n"], total_row="I alt")
    assert bool(s.mask.at["B", "n"]) and not bool(s.mask.at["C", "n"])
    counts = t["n"].drop("I alt")
    assert extremes(counts).most == ("B", "C")
    assert extremes(counts, s, "n") == Extremes()  # the fewest (A, D) are hidden too


def test_a_public_column_names_its_counties():
    t = pd.DataFrame({"n": [1, 6, 4]}, index=list("ABC"))
    t.loc["I alt"] = t["n"].sum()
    s = suppress(t, ["n"], total_row="I alt", public=["n"])
    assert extremes(t["n"].drop("I alt"), s, "n") == Extremes(most=("B",), fewest=("A",))


def test_the_summary_says_the_most_alone_when_the_fewest_is_hidden():
    from evalkit.config import SentenceModel
    from evalkit.document.text import SummaryFormatter, _sentence

    t = pd.DataFrame({"n_projects": [1, 6, 4, 5]}, index=["Oslo", "Agder", "Troms", "Vestland"])
    t.loc["I alt"] = t["n_projects"].sum()
    s = suppress(t, ["n_projects"], total_row="I alt")
    by_county = [
        {"county_code": str(i), "county_name": name, "n_projects": int(n)}
        for i, (name, n) in enumerate(t["n_projects"].drop("I alt").items())
    ]
    sentence = SentenceModel(
        text="Flest prosjekter var det i {most[n_projects]}, færrest i {fewest[n_projects]}.",
        otherwise="Flest prosjekter var det i {most[n_projects]}.",
    )
    context = {"by_county": by_county}
    plain = _sentence(SummaryFormatter(context, unit="project"), sentence)
    assert plain == "Flest prosjekter var det i Agder, færrest i Oslo."
    said = _sentence(SummaryFormatter(context, unit="project", county_table=s), sentence)
    assert said == "Flest prosjekter var det i Agder."
    # without `otherwise`, the sentence is left out
    bare = SentenceModel(text=sentence.text)
    assert _sentence(SummaryFormatter(context, unit="project", county_table=s), bare) is None
