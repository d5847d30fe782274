"""All years of a scheme together: shares over time with Cochran–Armitage trend tests,
grant amounts by year, what goes with reaching a project's goals (logistic regression pooled
over years), and county figures across the 2020 and 2024 reforms."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from evalkit import geography, paths, stats, wording
from evalkit.config import Scheme
from evalkit.disclosure import UNPLACED_NB as UNPLACED_NB  # the row key, shown by row_label
from evalkit.evaluation import load_year, resolve_scheme
from evalkit.i18n import check_language, set_language
from evalkit.metrics import compute_metrics, share_labels


@dataclass
class Trends:
    """Every year of one scheme, read and measured. The figures computed from it
    (:func:`trend_tests`, :func:`amounts`, :func:`regression`,
    :func:`projects_by_common_county`, :func:`trends_metrics`) are computed once and kept in
    ``cache``, so the document's pieces and its ``metrics.json`` show the same numbers; treat
    the fields as read-only once a figure has been computed."""

    scheme: Scheme
    data_dir: Path
    synthetic: bool
    metrics: dict[int, dict]
    tidy: pd.DataFrame  # every year's tidy frame stacked, with a ``year`` column
    data_quality: pd.DataFrame  # every year's data-quality rows, with a ``year`` column
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The document's language (``nb``, ``nn`` or ``en``; :mod:`evalkit.i18n`).
    lang: str = "nb"

    @property
    def years(self) -> list[int]:
        return sorted(self.metrics)


_T = TypeVar("_T")


def _cached(compute: Callable[[Trends], _T]) -> Callable[[Trends], _T]:
    """``compute(tr)`` once per :class:`Trends`, kept in ``tr.cache`` under its name. The
    result is shared: callers copy it before changing it."""

    @functools.wraps(compute)
    def wrapper(tr: Trends) -> _T:
        if compute.__name__ not in tr.cache:
            tr.cache[compute.__name__] = compute(tr)
        return tr.cache[compute.__name__]

    return wrapper


def evaluate_trends(
    scheme: str | Scheme,
    *,
    scheme_file: Path | str | None = None,
    data_dir: Path | str | None = None,
    last_year: int | None = None,
    earlier: list[int] | None = None,
    cache_dir: Path | str | None = None,
    lang: str = "nb",
) -> Trends:
    """Read, clean and measure the years of ``scheme`` in ``data_dir``: ``earlier`` plus
    ``last_year``; by default every year with data (up to ``last_year``). ``scheme_file``:
    the scheme's YAML, when it is not found by its name (a scheme of the user's own).
    ``cache_dir``: the folder of cleaned years the year documents kept (see
    :func:`~evalkit.evaluation.load_year`). ``lang``: the document's language (``nb``,
    ``nn`` or ``en``), made the kernel's current language (:func:`evalkit.i18n.set_language`)
    and kept as ``tr.lang``."""
    set_language(check_language(lang))
    sch = resolve_scheme(scheme, scheme_file)
    data_dir = Path(data_dir) if data_dir else paths.default_data_dir(sch.name)
    found = paths.available_years(data_dir, sch.name)
    last = last_year if last_year is not None else max(found)
    years = sorted({*(earlier if earlier is not None else [y for y in found if y < last]), last})
    synthetic = paths.is_synthetic(data_dir)
    metrics, frames, quality = {}, [], []
    for y in years:
        res = load_year(sch, y, data_dir, cache_dir=cache_dir)
        metrics[y] = compute_metrics(res, sch, synthetic=synthetic)
        frames.append(res.tidy.assign(year=y))
        quality.append(res.data_quality().assign(year=y))
    dq = pd.concat(quality, ignore_index=True)
    tr = Trends(
        sch,
        data_dir,
        synthetic,
        metrics,
        pd.concat(frames, ignore_index=True),
        dq[["year", *dq.columns.drop("year")]],
        lang=lang,
    )
    return tr


def shares_long(tr: Trends) -> pd.DataFrame:
    """One row per year and share: year, key, label, group, count, n, missing, share, CI."""
    labels = share_labels(tr.scheme)
    rows = [
        {
            "year": y,
            "key": k,
            "label": labels.get(k, {}).get("label", k),
            "group": labels.get(k, {}).get("group", ""),
            **s,
        }
        for y, m in tr.metrics.items()
        for k, s in m["shares"].items()
    ]
    return pd.DataFrame(rows)


def shares_by_year(tr: Trends) -> dict[str, dict[str, dict]]:
    """Each share year by year, as the trends table shows it: ``{key: {year: {count, n,
    missing, share, ci_low, ci_high, ci_method}}}``: the rows of :func:`shares_long`, in
    the order of the table; a year without the share is left out."""
    out: dict[str, dict[str, dict]] = {}
    for y, m in tr.metrics.items():
        for key, share in m["shares"].items():
            out.setdefault(key, {})[str(y)] = dict(share)
    return out


#: Level below which a trend's Holm-adjusted p holds, and the departure's p counts as
#: significant (:func:`evalkit.stats.trend_verdict`).
TREND_ALPHA = stats.ALPHA


@_cached
def trend_tests(tr: Trends) -> list[dict]:
    """Cochran–Armitage test for each share over all years (years as scores), Holm-adjusted,
    each with ``departure`` (the chi-square of the years split into the linear trend and the
    departure from it), ``holds_after_holm`` and ``verdict``: :func:`evalkit.stats.trend_tests`
    at :data:`TREND_ALPHA`, with the Norwegian test name."""
    tests = stats.trend_tests({y: m["shares"] for y, m in tr.metrics.items()}, TREND_ALPHA)
    return [wording.named_test(t) for t in tests]


@_cached
def amounts(tr: Trends) -> dict | None:
    """The amount of the YAML's ``trends.amount`` per row by year (among the rows its
    ``amounts`` entry names), with a rank test between years; None without amounts. A row
    whose amount is missing (blank, or unreadable and set missing by the cleaning) counts in
    its year's ``missing``, as in that year's ``metrics.json``."""
    field = tr.scheme.doc.trends.amount
    if field is None:
        return None
    spec = next(a for a in tr.scheme.doc.amounts if a.field == field)
    rows = tr.tidy[tr.tidy[spec.among].fillna(False)] if spec.among else tr.tidy
    values = {
        int(y): g[field].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        for y, g in rows.groupby("year")
    }
    return {"field": field, **wording.named_summary(stats.amount_summary(values))}


@_cached
def regression(tr: Trends) -> dict | None:
    """The YAML's ``trends.regression``: its outcome (a combined share: its codes against the
    other assessable codes) against the predictors, pooled over years with year as a
    covariate. Rows whose answer is not assessable are left out; rows without an answer to a
    predictor are left out by :func:`evalkit.stats.logistic_odds_ratios`, which counts them
    (``n_excluded_missing``). None when the YAML sets none."""
    spec = tr.scheme.doc.trends.regression
    if spec is None:
        return None
    outcome = next(c for c in tr.scheme.doc.combined_shares if c.key == spec.outcome)
    rows = tr.tidy[tr.tidy[outcome.field].isin(outcome.assessable).fillna(False)]
    columns = {spec.outcome: rows[outcome.field].isin(outcome.codes).astype(int)}
    for p in spec.predictors:
        if p.equals is None:
            columns[p.name] = rows[p.field].astype("float")
        else:
            columns[p.name] = (rows[p.field] == p.equals).astype(float).mask(rows[p.field].isna())
    df = pd.DataFrame({**columns, "year": rows["year"]})
    res = stats.logistic_odds_ratios(
        df, spec.outcome, [p.name for p in spec.predictors], covariates=("year",)
    )
    labels = {p.name: p.label_nb for p in spec.predictors}
    for p in res["predictors"]:
        p["label_nb"] = labels.get(p["name"], p["name"])
    return res


def _codes(tr: Trends) -> pd.Series:
    """Each row's municipality codes (``municipalities_reached``; NA for a scheme without)."""
    if "municipalities_reached" in tr.tidy:
        return tr.tidy["municipalities_reached"]
    return pd.Series(pd.NA, index=tr.tidy.index, dtype="string")


@_cached
def common_county(tr: Trends) -> pd.Series:
    """Each row's county among the counties of the last year, by its municipality codes
    (:func:`evalkit.geography.county_in_year`); NA for a row without codes or whose
    municipalities lie in more than one county."""
    last = tr.years[-1]
    codes = _codes(tr)
    county = pd.Series(pd.NA, index=tr.tidy.index, dtype="string")
    for year, rows in tr.tidy.groupby("year").groups.items():
        county.loc[rows] = geography.county_in_year(codes.loc[rows], int(year), last)
    return county


@_cached
def placement(tr: Trends) -> dict[str, int]:
    """How the rows of all years were placed in the last year's counties: ``by_code`` (every
    municipality from its code), ``by_name`` (some found by their names:
    ``municipalities_by_name``), and not placed: ``several_counties`` (municipalities in more
    than one county) and ``no_municipality`` (no municipality found)."""
    county = common_county(tr)
    placed = county.notna().to_numpy()
    no_codes = _codes(tr).isna().to_numpy()
    by_name = (
        tr.tidy["municipalities_by_name"].fillna(False).to_numpy(bool)
        if "municipalities_by_name" in tr.tidy
        else np.zeros(len(tr.tidy), dtype=bool)
    )
    return {
        "by_code": int(np.count_nonzero(placed & ~by_name)),
        "by_name": int(np.count_nonzero(placed & by_name)),
        "several_counties": int(np.count_nonzero(~placed & ~no_codes)),
        "no_municipality": int(np.count_nonzero(~placed & no_codes)),
    }


@_cached
def projects_by_common_county(tr: Trends) -> tuple[pd.DataFrame, int]:
    """Projects (or applications) per county and year in one common geography: the counties of
    the last year, each row placed by its municipality codes.

    A row of an earlier year goes to the county of ``tr.years[-1]`` that holds its
    municipalities (followed through mergers, splits and renumberings), so the 2019 rows of
    Hordaland count under Vestland and the 2022 rows of Viken under Østfold, Akershus or
    Buskerud. Rows without municipality codes, and rows whose municipalities lie in more than
    one county, are counted in a row of their own (:data:`UNPLACED_NB`).

    Returns
    -------
    table : DataFrame
        County name (in the last year's order of codes) × year, counts; the row
        :data:`UNPLACED_NB` only when some rows could not be placed.
    n_unplaced : int
        Rows in all years that could not be placed.
    """
    last = tr.years[-1]
    county = common_county(tr)
    names = geography.counties_in(last).set_index("county_code")["county_name"]
    placed = county.map(names).astype("string").fillna(UNPLACED_NB)
    table = (
        pd.DataFrame({"county_name": placed, "year": tr.tidy["year"]})
        .groupby(["county_name", "year"])
        .size()
        .unstack("year", fill_value=0)
        .reindex(columns=tr.years, fill_value=0)
    )
    n_unplaced = int(table.loc[UNPLACED_NB].sum()) if UNPLACED_NB in table.index else 0
    order = list(names) + ([UNPLACED_NB] if n_unplaced else [])
    return table.reindex(order, fill_value=0), n_unplaced


@_cached
def by_common_county(tr: Trends) -> dict:
    """The county table of the trends as metrics.json holds it (``by_common_county``): its
    ``rows`` (:func:`projects_by_common_county`), the ``total`` of each year (the table's «I
    alt» row), ``n_unplaced``, ``county_change_years`` within the years covered, ``placed``
    (:func:`placement`) and ``n_rows``, all the rows of all years."""
    table, n_unplaced = projects_by_common_county(tr)
    placed = placement(tr)
    return {
        "counties_of_year": tr.years[-1],
        "rows": [
            {"county_name": str(name), **{str(y): int(n) for y, n in row.items()}}
            for name, row in table.iterrows()
        ],
        "total": {str(y): int(n) for y, n in table.sum().items()},
        "n_unplaced": n_unplaced,
        "county_change_years": geography.county_change_years(tr.years[0], tr.years[-1]),
        "placed": placed,
        "n_rows": sum(placed.values()),
    }


@_cached
def trends_metrics(tr: Trends) -> dict:
    """The trends document's ``metrics.json``: every figure it shows (schema_version 2)."""
    from evalkit.metrics import SCHEMA_VERSION

    count = tr.scheme.count_key
    return {
        "schema_version": SCHEMA_VERSION,
        "scheme": tr.scheme.name,
        "unit": tr.scheme.unit,
        "years": tr.years,
        "n_years": len(tr.years),
        "synthetic": tr.synthetic,
        "counts_by_year": {str(y): tr.metrics[y][count] for y in tr.years},
        "trend_alpha": TREND_ALPHA,
        "shares_by_year": shares_by_year(tr),
        "trend_tests": trend_tests(tr),
        "amounts": amounts(tr),
        "regression": regression(tr),
        "by_common_county": by_common_county(tr),
    }


def county_crosswalk(tr: Trends) -> dict[int, dict[tuple[str, str], int]]:
    """For each year, how its rows fall in the rows of two tables: the county table of the
    year's document (the county of the data, as ``metrics.by_county`` names it, «Ukjent
    fylke» for none; a county not valid in the year is in neither, and keeps its code) and the
    trends document's county table (:func:`projects_by_common_county`).

    Returns
    -------
    dict
        Year → {(row of the year's table, row of the trends table): number of rows}.
    """
    from evalkit.disclosure import UNKNOWN_COUNTY_NB

    last = tr.years[-1]
    names = geography.counties_in(last).set_index("county_code")["county_name"]
    common = common_county(tr).map(names).astype("string").fillna(UNPLACED_NB)
    out: dict[int, dict[tuple[str, str], int]] = {}
    for year, rows in tr.tidy.groupby("year").groups.items():
        valid = geography.counties_in(int(year)).set_index("county_code")["county_name"]
        code = tr.tidy.loc[rows, "county_code"].astype("string")
        own = code.map(valid).astype("string")
        own = own.mask(code.isna(), UNKNOWN_COUNTY_NB)
        own = own.fillna("(" + code.fillna("") + ")")  # a county not valid in the year
        pairs = pd.DataFrame({"own": own, "common": common.loc[rows]}).value_counts()
        out[int(year)] = {(str(a), str(b)): int(n) for (a, b), n in pairs.items()}
    return out


@_cached
def county_suppression(tr: Trends) -> tuple[pd.DataFrame, Any]:
    """The trends document's county table (:func:`projects_by_common_county` with an «I alt»
    row, years as text) and the cells hidden in it
    (:func:`evalkit.disclosure.suppress_regrouped`): jointly with the county table of each
    year's document, as that document hides it (:func:`evalkit.disclosure.county_suppression`),
    so that nothing hidden in either can be worked out from the two together. The counts in
    ``metrics.json`` are not suppressed."""
    from evalkit import disclosure

    table = projects_by_common_county(tr)[0].copy()
    years = [str(y) for y in table.columns]
    table.columns = years
    table.index.name = "county_name"
    table.loc[disclosure.TOTAL_NB] = table.sum()
    doc, count, last = tr.scheme.doc, tr.scheme.count_key, tr.years[-1]
    with_table = [y for y in tr.years if "by_county" in tr.metrics[y]]
    if "county_code" not in tr.tidy:
        with_table = []  # rows without counties: no year document has a county table
    crosswalk = county_crosswalk(tr) if with_table else {}
    others = []
    for y in with_table:
        _, year_table = disclosure.county_suppression(tr.metrics[y], doc, rule=disclosure.RULE)
        if count in year_table.count_columns:
            own = [r for r in year_table.values.index if r != disclosure.TOTAL_NB]
            possible = _possible_pairs(y, last, own, list(table.index[:-1]))
            pairs = crosswalk.get(y, {})
            others.append(disclosure.Regrouped(year_table, count, str(y), pairs, possible))
    public = years if count in disclosure.public_counts(doc) else []
    sup = disclosure.suppress_regrouped(
        table, years, others, rule=disclosure.RULE, total_row=disclosure.TOTAL_NB, public=public
    )
    return table, sup


def _possible_pairs(
    year: int, last: int, own: list[str], common: list[str]
) -> set[tuple[str, str]]:
    """The (county of ``year``, county of ``last``) pairs a reader can think hold rows: two
    counties that share a municipality (:func:`evalkit.geography.county_pairs`); any row of
    ``own`` with :data:`UNPLACED_NB`; a row without a county (or with one not valid in the
    year: not a row of ``own``) with any row of ``common``."""
    from evalkit.disclosure import UNKNOWN_COUNTY_NB

    then = geography.counties_in(year).set_index("county_code")["county_name"]
    now = geography.counties_in(last).set_index("county_code")["county_name"]
    out = {(str(then[a]), str(now[b])) for a, b in geography.county_pairs(year, last)}
    out |= {(a, UNPLACED_NB) for a in own}
    out |= {(UNKNOWN_COUNTY_NB, b) for b in common}
    return out
