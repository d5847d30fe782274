"""What the documents may say of a share over the years and of a difference between years:
the verdict and «holds after Holm», decided once in :mod:`evalkit.stats` and written to
metrics.json. Expected values come from an independent computation (statsmodels'
linear-by-linear association test, scipy's chi-square, Holm's procedure by hand) and from
reasoning about hand-made series."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, chi2_contingency, norm
from statsmodels.stats.contingency_tables import Table as ContingencyTable

from evalkit import stats, trends
from evalkit.config import load_scheme
from evalkit.document import text
from evalkit.document import trends as tdoc
from evalkit.evaluation import compare_years
from evalkit.trends import Trends, evaluate_trends, trends_metrics

SAMHANDLING = load_scheme("samhandling")
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


# --- independent computations ----------------------------------------------------------------
def _trend_by_statsmodels(counts, ns, years) -> tuple[float, float, float]:
    """z and p of the Cochran–Armitage test, and the departure's p, without evalkit:
    statsmodels' linear-by-linear statistic M² = (N − 1)r² gives Armitage's z² = M²·N/(N − 1);
    the departure is Pearson's chi-square of the k × 2 table (scipy) minus z², on k − 2 df."""
    table = np.array([[c, n - c] for c, n in zip(counts, ns, strict=True)])
    big_n = table.sum()
    res = ContingencyTable(table).test_ordinal_association(
        row_scores=np.asarray(years, float), col_scores=np.array([1.0, 0.0])
    )
    z = res.zscore * np.sqrt(big_n / (big_n - 1))
    total = chi2_contingency(table, correction=False).statistic
    return float(z), float(2 * norm.sf(abs(z))), float(chi2.sf(total - z**2, len(counts) - 2))


def _holm_by_hand(p: list[float]) -> list[float]:
    """Holm (1979): the i-th smallest of m p-values times (m − i + 1), running maximum, ≤ 1."""
    p = [float(x) for x in p]
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        out[i] = running
    return out


# --- hand-made trends --------------------------------------------------------------------------
def _trends(series: dict[str, tuple[list[int], list[int]]], years: list[int]) -> Trends:
    """A samhandling :class:`Trends` whose shares are ``series``: key → (counts, ns) per year."""
    metrics = {
        y: {
            "shares": {
                key: stats.share_with_ci(counts[i], ns[i]) for key, (counts, ns) in series.items()
            },
            SAMHANDLING.count_key: max(ns[i] for _, ns in series.values()),
        }
        for i, y in enumerate(years)
    }
    return Trends(SAMHANDLING, Path("."), True, metrics, pd.DataFrame(), pd.DataFrame())


YEARS6 = list(range(2010, 2016))
#: 12, 12, 11, 10 % and then 1, 2 %: a step, not a steady fall
STEP = ([12, 12, 11, 10, 1, 2], [100] * 6)
YEARS3 = [2010, 2011, 2012]
#: 65,8 → 49,3 → 47,1 %: falls every year, by 16,5 and then 2,2 points (the samhandling case)
FALL_UNEVEN = ([158, 148, 179], [240, 300, 380])
#: 20, 23, 19 %: no trend
FLAT = ([20, 23, 19], [100] * 3)


def _verdict_of(tr: Trends, key: str) -> str | None:
    return next(r for r in trends.trend_tests(tr) if r["metric"] == key)["verdict"]


def test_a_step_with_no_significant_departure_is_a_fall_but_never_steady():
    z, p, dep = _trend_by_statsmodels(*STEP, YEARS6)
    # the premise: a trend that holds (one test, so Holm leaves p as it is) and a departure
    # that is not significant, although the series is a step
    assert z < 0 and p < 0.05 and dep >= 0.05
    tr = _trends({"intermunicipal": STEP}, YEARS6)
    assert _verdict_of(tr, "intermunicipal") == "decrease"
    said = tdoc.summary(tr).data
    assert "Andelen gikk ned over perioden for «Søknader med samarbeidskommuner»" in said
    assert "jevn" not in said  # neither «jevnt» nor «jevn trend»: no test shows steadiness
    table = tdoc.trend_table(tr).display.set_index("")
    assert table.loc["Søknader med samarbeidskommuner", "Utvikling"] == "gikk ned"
    # the method text no longer promises to show a steady change; it says it cannot
    method = tdoc.method(tr).data
    assert "øker eller minker jevnt" not in method
    assert "Testen kan ikke vise at en endring var jevn" in method


def test_a_fall_with_a_significant_departure_is_a_fall_but_not_steady():
    z, p, dep = _trend_by_statsmodels(*FALL_UNEVEN, YEARS3)
    assert z < 0 and p < 0.05 and dep < 0.05  # the premise, computed without evalkit
    tr = _trends({"intermunicipal": FALL_UNEVEN}, YEARS3)
    assert _verdict_of(tr, "intermunicipal") == "decrease_uneven"
    said = tdoc.summary(tr).data
    assert (
        "Andelen gikk ned over perioden, men ikke jevnt fra år til år, for "
        "«Søknader med samarbeidskommuner»" in said
    )
    assert "uten en jevn trend" not in said and "varierte" not in said
    table = tdoc.trend_table(tr).display.set_index("")
    assert (
        table.loc["Søknader med samarbeidskommuner", "Utvikling"]
        == "gikk ned, men ikke jevnt fra år til år"
    )


def test_a_rise_with_a_significant_departure_is_a_rise_but_not_steady():
    # the mirror image of FALL_UNEVEN: the other share of the same applications
    counts, ns = FALL_UNEVEN
    rise = ([n - c for c, n in zip(counts, ns, strict=True)], ns)
    z, p, dep = _trend_by_statsmodels(*rise, YEARS3)
    assert z > 0 and p < 0.05 and dep < 0.05
    tr = _trends({"intermunicipal": rise}, YEARS3)
    assert _verdict_of(tr, "intermunicipal") == "increase_uneven"
    assert "Andelen økte over perioden, men ikke jevnt fra år til år" in tdoc.summary(tr).data


def test_no_trend_is_no_sure_change():
    _, p, _ = _trend_by_statsmodels(*FLAT, YEARS3)
    assert p >= 0.05
    tr = _trends({"category.jordmor": FLAT}, YEARS3)
    assert _verdict_of(tr, "category.jordmor") == "no_change"
    said = tdoc.summary(tr).data
    assert "Ingen av andelene viser en sikker endring over perioden" in said
    assert "økte" not in said and "gikk ned" not in said
    table = tdoc.trend_table(tr).display.set_index("")
    assert table.loc["Jordmortjeneste", "Utvikling"] == "ingen sikker endring"


def test_a_trend_that_does_not_hold_after_holm_is_no_sure_change():
    # 11, 22, 23 %: p < 0,05 alone, but not after Holm over four shares (by hand below)
    rise = ([11, 22, 23], [100] * 3)
    series = {
        "intermunicipal": FALL_UNEVEN,
        "category.rehabilitering": rise,
        "category.jordmor": FLAT,
        "category.annet": ([30, 25, 18], [200, 210, 220]),
    }
    raw = {k: _trend_by_statsmodels(*v, YEARS3)[1] for k, v in series.items()}
    adjusted = dict(zip(raw, _holm_by_hand(list(raw.values())), strict=True))
    assert raw["category.rehabilitering"] < 0.05 <= adjusted["category.rehabilitering"]
    tr = _trends(series, YEARS3)
    records = {r["metric"]: r for r in trends.trend_tests(tr)}
    for key, r in records.items():
        assert r["p_adjusted"] == pytest.approx(adjusted[key], rel=1e-6)
        assert r["holds_after_holm"] is (adjusted[key] < 0.05)
    assert records["category.rehabilitering"]["verdict"] == "no_change"
    assert records["intermunicipal"]["verdict"] == "decrease_uneven"


def test_the_verdict_rule_on_records():
    base = {"counts": [10, 20, 30], "ns": [100] * 3, "p_adjusted": 0.01, "holds_after_holm": True}
    up = {**base, "direction": "increasing"}
    assert stats.trend_verdict({**up, "departure": {"p_value": 0.5}}) == "increase"
    assert stats.trend_verdict({**up, "departure": {"p_value": None}}) == "increase"
    assert stats.trend_verdict({**up, "departure": {"p_value": 0.01}}) == "increase_uneven"
    # significant departure and the last year below the first: up is the wrong word
    back = {**up, "counts": [30, 60, 20], "departure": {"p_value": 0.01}}
    assert stats.trend_verdict(back) == "uneven"
    assert stats.trend_verdict({**up, "p_adjusted": 0.2, "holds_after_holm": False}) == (
        "no_change"
    )
    assert stats.trend_verdict({**up, "p_adjusted": None, "holds_after_holm": False}) is None


@pytest.mark.parametrize(
    ("p", "held"),
    [(0.049, True), (0.05, False), (0.2, False), (None, False), (float("nan"), False)],
)
def test_holds_after_holm_is_strictly_below_alpha(p, held):
    assert stats.holds_after_holm(p) is held


# --- the demo's trends document: metrics.json and one computation ---------------------------
@pytest.fixture(scope="module")
def samhandling() -> Trends:
    return evaluate_trends("samhandling", data_dir=DEMO)


def test_demo_trend_metrics_hold_after_holm_as_computed_independently(samhandling):
    m = json.loads(json.dumps(trends_metrics(samhandling), allow_nan=False))
    records = m["trend_tests"]
    raw = [_trend_by_statsmodels(r["counts"], r["ns"], r["years"]) for r in records]
    adjusted = _holm_by_hand([p for _, p, _ in raw])
    for r, (_, p, dep), p_holm in zip(records, raw, adjusted, strict=True):
        assert r["p_value"] == pytest.approx(p, rel=1e-6)
        assert r["holds_after_holm"] is (p_holm < m["trend_alpha"])
        expected = "no_change"
        if p_holm < m["trend_alpha"]:
            expected = ("increase" if r["direction"] == "increasing" else "decrease") + (
                "_uneven" if dep < m["trend_alpha"] else ""
            )
        assert r["verdict"] == expected
    by_key = {r["metric"]: r for r in records}
    # the case: 65,7 → 49,3 → 47,1 % is a fall, not «varierte … uten en jevn trend»
    assert by_key["intermunicipal"]["verdict"] == "decrease_uneven"


def test_the_trends_document_computes_its_figures_once(samhandling, monkeypatch, tmp_path):
    tr = evaluate_trends("samhandling", data_dir=DEMO)
    calls = {"trend_tests": 0, "county_in_year": 0}
    real_tests, real_county = stats.trend_tests, trends.geography.county_in_year

    def count_tests(*args, **kwargs):
        calls["trend_tests"] += 1
        return real_tests(*args, **kwargs)

    def count_county(*args, **kwargs):
        calls["county_in_year"] += 1
        return real_county(*args, **kwargs)

    monkeypatch.setattr(stats, "trend_tests", count_tests)
    monkeypatch.setattr(trends.geography, "county_in_year", count_county)
    tdoc.summary(tr)
    tdoc.method(tr)
    tdoc.trend_table(tr)
    tdoc.amounts_table(tr)
    tdoc.county_table(tr)
    tdoc.regression(tr)
    tdoc.save(tr, str(tmp_path))
    assert calls["trend_tests"] == 1
    assert calls["county_in_year"] == len(tr.years)  # one pass over the years, not two
    # the county table did not change the figures metrics.json was written from
    written = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert all(r["county_name"] != "I alt" for r in written["by_common_county"]["rows"])


# --- the year comparisons -------------------------------------------------------------------
def test_comparisons_hold_after_holm_over_the_family_as_computed_by_hand():
    def shares(pairs):
        return {k: stats.share_with_ci(c, n) for k, (c, n) in pairs.items()}

    this = {"year": 2012, "shares": shares({"a": (60, 200), "b": (90, 200), "c": (100, 200)})}
    others = {
        2011: {"shares": shares({"a": (40, 200), "b": (100, 200), "c": (75, 200)})},
        2010: {"shares": shares({"a": (30, 200), "b": (95, 200), "c": (80, 200)})},
    }
    records = compare_years(this, others)
    raw = [
        chi2_contingency(
            [
                [r["count"], r["n"] - r["count"]],
                [r["other_count"], r["other_n"] - r["other_count"]],
            ],
            correction=False,
        ).pvalue
        for r in records
    ]
    adjusted = _holm_by_hand(raw)
    # one comparison is significant alone but not over the six: the test can tell them apart
    assert any(p < 0.05 <= q for p, q in zip(raw, adjusted, strict=True))
    assert any(q < 0.05 for q in adjusted)
    for r, q in zip(records, adjusted, strict=True):
        assert r["p_adjusted"] == pytest.approx(q, rel=1e-9)
        assert r["holds_after_holm"] is (q < 0.05)


def test_the_comparison_text_reads_holds_after_holm():
    # a record whose p (Holm) is small but that is marked as not holding: the text follows
    # the mark, so the decision is never taken again in the display layer
    base = {"year": 2023, "other_year": 2022, "count": 9, "n": 10, "other_count": 2}
    comps = [
        {**base, "metric": "a", "other_n": 10, "p_value": 0.001, "p_adjusted": 0.002,
         "holds_after_holm": False, "diff": 0.7},
        {**base, "metric": "b", "other_n": 10, "p_value": 0.3, "p_adjusted": 0.6,
         "holds_after_holm": True, "diff": 0.1},
    ]  # fmt: skip
    lead = text.comparison_lead(comps, {"a": "A", "b": "B"}, 1, 1)
    assert "holder 1 forskjell: B" in lead
    alt = text.alt_forest(comps, {"a": "A", "b": "B"}, title="T")
    assert "1 av 2 testede forskjeller holder etter Holm-justering: B" in alt
