"""All years of a scheme together: shares over time with Cochran–Armitage trend tests,
grant amounts by year, what goes with reaching a project's goals (logistic regression pooled
over years), and county figures across the 2020 and 2024 reforms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit import geography, paths, stats, wording
from evalkit.config import Scheme, load_scheme
from evalkit.evaluation import load_year
from evalkit.metrics import compute_metrics, share_labels


@dataclass
class Trends:
    scheme: Scheme
    data_dir: Path
    synthetic: bool
    metrics: dict[int, dict]
    tidy: pd.DataFrame  # every year's tidy frame stacked, with a ``year`` column
    data_quality: pd.DataFrame  # every year's data-quality rows, with a ``year`` column

    @property
    def years(self) -> list[int]:
        return sorted(self.metrics)


def evaluate_trends(
    scheme: str,
    *,
    data_dir: Path | str | None = None,
    last_year: int | None = None,
    earlier: list[int] | None = None,
) -> Trends:
    """Read, clean and measure the years of ``scheme`` in ``data_dir``: ``earlier`` plus
    ``last_year``; by default every year with data (up to ``last_year``)."""
    sch = load_scheme(scheme)
    data_dir = Path(data_dir) if data_dir else paths.default_data_dir(sch.name)
    found = paths.available_years(data_dir, sch.name)
    last = last_year if last_year is not None else max(found)
    years = sorted({*(earlier if earlier is not None else [y for y in found if y < last]), last})
    synthetic = paths.is_synthetic(data_dir)
    metrics, frames, quality = {}, [], []
    for y in years:
        res = load_year(sch, y, data_dir)
        metrics[y] = compute_metrics(res, sch, synthetic=synthetic)
        frames.append(res.tidy.assign(year=y))
        quality.append(res.data_quality().assign(year=y))
    dq = pd.concat(quality, ignore_index=True)
    return Trends(
        sch,
        data_dir,
        synthetic,
        metrics,
        pd.concat(frames, ignore_index=True),
        dq[["year", *dq.columns.drop("year")]],
    )


def shares_long(tr: Trends) -> pd.DataFrame:
    """One row per year and share: year, key, label, group, count, n, missing, share, CI."""
    labels = share_labels(tr.scheme)
    rows = [
        {
            "year": y,
            "key": k,
            "label": labels.get(k, {}).get("label_nb", k),
            "group": labels.get(k, {}).get("group", ""),
            **s,
        }
        for y, m in tr.metrics.items()
        for k, s in m["shares"].items()
    ]
    return pd.DataFrame(rows)


def trend_tests(tr: Trends) -> list[dict]:
    """Cochran–Armitage test for each share over all years (years as scores), Holm-adjusted,
    each with ``departure``: the chi-square of the years split into the linear trend and the
    departure from it (:func:`evalkit.stats.trend_departure`)."""
    tests = stats.trend_tests({y: m["shares"] for y, m in tr.metrics.items()})
    out = [wording.named_test(t) for t in tests]
    for r in out:
        r["departure"] = stats.trend_departure(r["counts"], r["ns"], r["years"])
    return out


#: A trend is called a rise or a fall only when its Holm-adjusted p and the departure's p are
#: on the right side of this level.
TREND_ALPHA = 0.05


def trend_verdict(record: dict) -> str:
    """``"increasing"``, ``"decreasing"``, ``"uneven"`` (the share moves, but not along a
    line: the departure from a linear trend is significant) or ``"none"``."""
    dep = (record.get("departure") or {}).get("p_value")
    if dep is not None and dep < TREND_ALPHA:
        return "uneven"
    p = record.get("p_adjusted")
    if p is not None and p < TREND_ALPHA:
        return record["direction"]
    return "none"


def amounts(tr: Trends) -> dict:
    """Grant (or granted) amount per project by year, with a rank test between years."""
    if tr.scheme.unit == "project":
        col, rows = "grant_nok", tr.tidy
    else:
        col, rows = "granted_nok", tr.tidy[tr.tidy["granted"].fillna(False)]
    values = {int(y): g[col].dropna().astype("int64").to_numpy() for y, g in rows.groupby("year")}
    return wording.named_summary(stats.amount_summary(values))


def goal_regression(tr: Trends) -> dict | None:
    """Goals reached (fully or partly) against kinds of projects, pooled over years with year
    as a covariate. Projects whose goals «cannot be judged» are left out of the outcome."""
    if "goal_achievement" not in tr.tidy:
        return None
    t = tr.tidy[
        tr.tidy["goal_achievement"].isin(["oppnadd", "delvis", "ikke_oppnadd"]).fillna(False)
    ]
    df = pd.DataFrame(
        {
            "reached": t["goal_achievement"].isin(["oppnadd", "delvis"]).astype(int),
            "intermunicipal": t["intermunicipal"].astype("float"),
            "collaboration": t["collaboration"].astype("float"),
            "diagnosis_specific": (t["offer_type"] == "diagnosespesifikk")
            .astype(float)
            .mask(t["offer_type"].isna()),
            "target_both": (t["target_group"] == "begge")
            .astype(float)
            .mask(t["target_group"].isna()),
            "year": t["year"],
        }
    ).dropna()
    return stats.logistic_odds_ratios(
        df,
        "reached",
        ["intermunicipal", "collaboration", "diagnosis_specific", "target_both"],
        covariates=("year",),
    )


#: Norwegian labels of the regression's predictors.
PREDICTOR_LABELS = {
    "intermunicipal": "Interkommunalt prosjekt",
    "collaboration": "Samarbeidsprosjekt",
    "diagnosis_specific": "Diagnosespesifikt tilbud",
    "target_both": "Målgruppe: både økt risiko og kronisk sykdom",
}


#: Row label of the projects that cannot be placed in one county of the common geography.
UNPLACED_NB = "Kan ikke plasseres"


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
    codes = (
        tr.tidy["municipalities_reached"]
        if "municipalities_reached" in tr.tidy
        else pd.Series(pd.NA, index=tr.tidy.index, dtype="string")
    )
    county = pd.Series(pd.NA, index=tr.tidy.index, dtype="string")
    for year, rows in tr.tidy.groupby("year").groups.items():
        county.loc[rows] = geography.county_in_year(codes.loc[rows], int(year), last)
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
