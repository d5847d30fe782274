"""Statistics checked against independent references: Newcombe's published worked examples
(Statistics in Medicine 1998), scipy, and hand calculations written out here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from evalkit import stats


# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Stat Med 1998;17:857–872, Table I, method 3 (Wilson score, no continuity correction).
@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998_table_1(x, n, low, high):
    lo, hi = stats.wilson_ci(x, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


# Newcombe RG. Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 1998;17:873–890, Table II, method 10 (hybrid score,
# no continuity correction). Examples (a) and (b) are also those the R package propint tests
# against; (d) and (e) exercise zero cells.
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
    ],
)
def test_newcombe_matches_newcombe_1998_table_2(x1, n1, x2, n2, low, high):
    diff, lo, hi = stats.newcombe_diff_ci(x1, n1, x2, n2)
    assert diff == pytest.approx(x1 / n1 - x2 / n2)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_newcombe_by_hand_from_the_two_wilson_intervals():
    # method 10: δ − √((p1 − l1)² + (u2 − p2)²), δ + √((u1 − p1)² + (p2 − l2)²)
    x1, n1, x2, n2 = 18, 109, 15, 104
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = stats.wilson_ci(x1, n1)
    l2, u2 = stats.wilson_ci(x2, n2)
    _, lo, hi = stats.newcombe_diff_ci(x1, n1, x2, n2)
    assert lo == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), abs=1e-9)
    assert hi == pytest.approx(p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), abs=1e-9)


def test_wilson_by_hand():
    # 18/109: centre (x + z²/2)/(n + z²), half-width z√(n p q + z²/4)/(n + z²)
    x, n, z = 18, 109, sps.norm.ppf(0.975)
    p = x / n
    centre = (x + z**2 / 2) / (n + z**2)
    half = z * math.sqrt(n * p * (1 - p) + z**2 / 4) / (n + z**2)
    lo, hi = stats.wilson_ci(x, n)
    assert (lo, hi) == pytest.approx((centre - half, centre + half), abs=1e-12)
    # the published 2022 example in spec/outputs.md: 18 of 109 → 0,107 to 0,246
    assert round(lo, 3) == 0.107 and round(hi, 3) == 0.246


def test_share_with_ci_empty_denominator():
    s = stats.share_with_ci(0, 0, missing=4)
    assert s["share"] is None and s["ci_low"] is None and s["missing"] == 4


def test_test_choice_switches_at_expected_five():
    # all expected ≥ 5 → Pearson without continuity correction, equal to scipy's
    big = stats.two_share_test(30, 100, 45, 100)
    chi2, p, _, _ = sps.chi2_contingency([[30, 70], [45, 55]], correction=False)
    assert big["method"] == "pearson_chi2" and big["p_value"] == pytest.approx(p)
    # an expected count below 5 → Fisher's exact test, equal to scipy's
    # 2/20 and 8/20: expected events 20·10/40 = 5 exactly → still Pearson
    assert stats.two_share_test(2, 20, 8, 20)["method"] == "pearson_chi2"
    # 1/20 and 6/20: expected events 20·7/40 = 3,5 < 5 → Fisher
    small = stats.two_share_test(1, 20, 6, 20)
    assert small["method"] == "fisher_exact"
    assert small["p_value"] == pytest.approx(sps.fisher_exact([[1, 19], [6, 14]])[1])


def test_holm_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted: 0.005×4 = 0.02; 0.01×3 = 0.03; 0.03×2 = 0.06; 0.04×1 = 0.04 → max so far 0.06
    assert stats.holm(p).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    out = stats.holm([0.01, None, 0.04])
    assert math.isnan(out[1]) and out[0] == pytest.approx(0.02) and out[2] == pytest.approx(0.04)


def test_cohens_h_by_hand():
    assert stats.cohens_h(0.5, 0.5) == 0
    assert stats.cohens_h(1.0, 0.0) == pytest.approx(math.pi)
    assert stats.cohens_h(0.25, 0.5) == pytest.approx(
        2 * math.asin(0.5) - 2 * math.asin(math.sqrt(0.5))
    )


def test_cochran_armitage_by_hand():
    # counts 2, 4, 6 of 10 each, scores 1, 2, 3: N = 30, p̄ = 0,4
    # T = Σ t(x − n p̄) = 1(2−4) + 2(4−4) + 3(6−4) = 4
    # Var T = p̄(1−p̄)[Σ n t² − (Σ n t)²/N] = 0,24 × [140 − 60²/30] = 0,24 × 20 = 4,8
    res = stats.cochran_armitage([2, 4, 6], [10, 10, 10], [1, 2, 3])
    assert res["statistic"] == pytest.approx(4 / math.sqrt(4.8))
    assert res["p_value"] == pytest.approx(2 * sps.norm.sf(4 / math.sqrt(4.8)))
    assert res["direction"] == "opp"


def test_cochran_armitage_against_linear_by_linear():
    from statsmodels.stats.contingency_tables import Table

    counts, ns, years = (
        np.array([10, 15, 14, 21]),
        np.array([100, 104, 109, 126]),
        [2019, 2020, 2021, 2022],
    )
    table = np.column_stack([counts, ns - counts])
    lxl = Table(table).test_ordinal_association(
        row_scores=np.array(years, float), col_scores=np.array([1.0, 0.0])
    )
    z = stats.cochran_armitage(counts, ns, years)["statistic"]
    n = ns.sum()
    # the linear-by-linear statistic is the CA statistic times (N − 1)/N
    assert (lxl.zscore) ** 2 == pytest.approx(z**2 * (n - 1) / n, rel=1e-9)


def test_trend_tests_need_three_years_and_adjust():
    per_year = {
        y: {"a": stats.share_with_ci(c, 100), "b": stats.share_with_ci(50, 100)}
        for y, c in zip([2020, 2021, 2022], [10, 20, 30], strict=True)
    }
    per_year[2020]["only_once"] = stats.share_with_ci(3, 10)
    res = {r["metric"]: r for r in stats.trend_tests(per_year)}
    assert set(res) == {"a", "b"}
    assert res["a"]["p_adjusted"] == pytest.approx(min(1, 2 * res["a"]["p_value"]))


def test_between_groups_pearson_equals_scipy():
    table = pd.DataFrame({"yes": [20, 30, 25], "no": [30, 20, 25]})
    res = stats.between_groups_test(table)
    chi2, p, _, _ = sps.chi2_contingency(table.to_numpy(), correction=False)
    assert res["test"] == "Pearsons kjikvadrattest" and res["p_value"] == pytest.approx(p)
    assert res["warning"] is None


def test_between_groups_permutation_is_deterministic_and_warns_on_sparse_tables():
    table = pd.DataFrame({"yes": [1, 0, 3, 2, 0], "no": [2, 4, 1, 3, 5]})
    a = stats.between_groups_test(table, permutations=2000)
    b = stats.between_groups_test(table, permutations=2000)
    assert a["p_value"] == b["p_value"]
    assert a["test"].startswith("Permutasjonstest")
    assert a["warning"] is not None


def test_permutation_close_to_fisher_on_a_two_by_three_table_collapsed():
    # a 2×2 with small counts takes Fisher; compare a permutation of the same table with it
    table = pd.DataFrame({"yes": [1, 6], "no": [9, 4]})
    fisher = stats.between_groups_test(table)
    assert fisher["test"] == "Fishers eksakte test"
    assert fisher["p_value"] == pytest.approx(sps.fisher_exact([[1, 9], [6, 4]])[1])


def test_logistic_odds_ratio_equals_cross_product_ratio():
    # 2×2: exposed 30/50 reached, unexposed 20/50 → OR = (30·30)/(20·20) = 2,25
    df = pd.DataFrame(
        {
            "reached": [1] * 30 + [0] * 20 + [1] * 20 + [0] * 30,
            "exposed": [1.0] * 50 + [0.0] * 50,
            "year": [2022] * 100,
        }
    )
    res = stats.logistic_odds_ratios(df, "reached", ["exposed"], covariates=("year",))
    assert res["predictors"][0]["odds_ratio"] == pytest.approx(2.25, rel=1e-6)
    # Wald interval: exp(log OR ± 1,96 √(1/30 + 1/20 + 1/20 + 1/30))
    se = math.sqrt(1 / 30 + 1 / 20 + 1 / 20 + 1 / 30)
    z = sps.norm.ppf(0.975)
    assert res["predictors"][0]["ci_low"] == pytest.approx(
        math.exp(math.log(2.25) - z * se), rel=1e-5
    )


def test_logistic_separation_warns_instead_of_crashing():
    df = pd.DataFrame(
        {
            "reached": [1] * 20 + [0] * 20,
            "exposed": [1.0] * 20 + [0.0] * 20,
            "year": [2021, 2022] * 20,
        }
    )
    res = stats.logistic_odds_ratios(df, "reached", ["exposed"])
    assert any("eparasjon" in w for w in res["warnings"])


def test_amount_summary_tests_equal_scipy():
    a, b, c = [100, 200, 300, 400], [150, 250, 350, 450, 550], [50, 60, 70]
    two = stats.amount_summary({2021: np.array(a), 2022: np.array(b)})
    assert two["test"]["p_value"] == pytest.approx(
        sps.mannwhitneyu(a, b, alternative="two-sided").pvalue
    )
    three = stats.amount_summary({2020: np.array(c), 2021: np.array(a), 2022: np.array(b)})
    assert three["test"]["p_value"] == pytest.approx(sps.kruskal(c, a, b).pvalue)
    # type 7 quartiles of 100..400: q1 = 100 + 0,75·100 = 175, median 250, q3 325
    assert two["by_year"][2021] == {"n": 4, "q1": 175.0, "median": 250.0, "q3": 325.0}


def test_compare_shares_records():
    a = {
        "x": stats.share_with_ci(56, 70),
        "y": stats.share_with_ci(9, 10),
        "z": stats.share_with_ci(0, 0),
    }
    b = {"x": stats.share_with_ci(48, 80), "y": stats.share_with_ci(3, 10)}
    recs = {r["metric"]: r for r in stats.compare_shares(a, b, 2023, 2022)}
    assert set(recs) == {"x", "y"}  # z has no denominator
    assert recs["x"]["diff_ci_low"] == pytest.approx(0.0524, abs=5e-5)
    assert recs["x"]["diff_ci_high"] == pytest.approx(0.3339, abs=5e-5)
    ps = [recs["x"]["p_value"], recs["y"]["p_value"]]
    assert sorted(r["p_adjusted"] for r in recs.values()) == pytest.approx(sorted(stats.holm(ps)))
