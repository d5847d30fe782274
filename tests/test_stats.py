"""Statistics checked against independent references only: Newcombe's published worked examples
(Statistics in Medicine 1998), hand calculations written out here, and scipy/statsmodels used as
a second route. No expected value is taken from evalkit's own output."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from evalkit import stats, wording

Z975 = sps.norm.ppf(0.975)  # 1.959964…


# --- Wilson ----------------------------------------------------------------------------------
# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Stat Med 1998;17:857–872, Table I, method 3 (score interval without continuity
# correction). The same four rows are transcribed independently in other projects' tests.
@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998a_table_1(x, n, low, high):
    lo, hi = stats.wilson_ci(x, n)
    assert round(lo, 4) == low
    assert round(hi, 4) == high


def test_wilson_by_hand():
    # 18 of 109: centre (x + z²/2)/(n + z²), half-width z·√(x(n − x)/n + z²/4)/(n + z²)
    x, n = 18, 109
    centre = (x + Z975**2 / 2) / (n + Z975**2)
    half = Z975 * math.sqrt(x * (n - x) / n + Z975**2 / 4) / (n + Z975**2)
    lo, hi = stats.wilson_ci(x, n)
    assert lo == pytest.approx(centre - half, abs=1e-12)
    assert hi == pytest.approx(centre + half, abs=1e-12)
    # the example of spec/outputs.md: 18 of 109 → 0,107 to 0,246
    assert (round(lo, 3), round(hi, 3)) == (0.107, 0.246)
    # 0 of n: the lower limit is exactly 0 and the upper z²/(n + z²)
    lo0, hi0 = stats.wilson_ci(0, 10)
    assert lo0 == 0.0 and hi0 == pytest.approx(Z975**2 / (10 + Z975**2), abs=1e-12)


def test_wilson_vectorised_equals_statsmodels_and_gives_nan_for_empty_denominator():
    from statsmodels.stats.proportion import proportion_confint

    x = np.array([0, 1, 5, 17, 40, 50])
    n = np.array([7, 3, 50, 60, 41, 50])
    lo, hi = stats.wilson_ci(x, n)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-12)
    lo, hi = stats.wilson_ci([3, 0], [10, 0])
    assert not math.isnan(lo[0]) and math.isnan(lo[1]) and math.isnan(hi[1])
    # a 90 % interval is narrower: z = 1.644854
    lo90, hi90 = stats.wilson_ci(18, 109, alpha=0.10)
    z = sps.norm.ppf(0.95)
    assert hi90 - lo90 == pytest.approx(
        2 * z * math.sqrt(18 * 91 / 109 + z**2 / 4) / (109 + z**2), abs=1e-12
    )


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        stats.wilson_ci(11, 10)
    with pytest.raises(ValueError):
        stats.wilson_ci(-1, 10)


def test_share_with_ci_is_json_ready():
    s = stats.share_with_ci(np.int64(18), np.int64(109), missing=np.int64(3))
    assert s["count"] == 18 and s["n"] == 109 and s["missing"] == 3
    assert s["share"] == pytest.approx(18 / 109) and s["ci_method"] == "wilson"
    assert all(type(s[k]) is int for k in ("count", "n", "missing"))
    assert all(type(s[k]) is float for k in ("share", "ci_low", "ci_high"))
    json.dumps(s, allow_nan=False)
    empty = stats.share_with_ci(0, 0, missing=4)
    assert empty == {
        "count": 0,
        "n": 0,
        "missing": 4,
        "share": None,
        "ci_low": None,
        "ci_high": None,
        "ci_method": "wilson",
    }


# --- Newcombe ----------------------------------------------------------------------------------
# Newcombe RG. Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 1998;17:873–890, Table II, method 10 (hybrid score
# interval, no continuity correction), examples (a), (b) and (d). The same values are what the
# R package propint (m-Py/propint, tests) and other projects test against.
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),  # (a)
        (9, 10, 3, 10, 0.1705, 0.8090),  # (b)
        (5, 56, 0, 29, -0.0381, 0.1926),  # (d)
    ],
)
def test_newcombe_matches_newcombe_1998b_table_2(x1, n1, x2, n2, low, high):
    diff, lo, hi = stats.newcombe_diff_ci(x1, n1, x2, n2)
    assert diff == pytest.approx(x1 / n1 - x2 / n2, abs=1e-15)
    assert round(lo, 4) == low
    assert round(hi, 4) == high


def test_newcombe_zero_cells_by_hand():
    # Table II examples (e) 0/10 − 0/20 and (g) 10/10 − 0/20, worked out by hand.
    # Wilson limits of 0/n are (0, z²/(n + z²)) and of n/n are (n/(n + z²), 1):
    u_0_10 = Z975**2 / (10 + Z975**2)  # 0.27753
    u_0_20 = Z975**2 / (20 + Z975**2)  # 0.16112 (Table I of the companion paper: 0.1611)
    l_10_10 = 10 / (10 + Z975**2)  # 0.72247
    # (e) δ = 0: low = 0 − √(0² + u(0/20)²), high = 0 + √(u(0/10)² + 0²)
    _, lo, hi = stats.newcombe_diff_ci(0, 10, 0, 20)
    assert lo == pytest.approx(-u_0_20, abs=1e-12) and hi == pytest.approx(u_0_10, abs=1e-12)
    assert (round(lo, 4), round(hi, 4)) == (-0.1611, 0.2775)
    # (g) δ = 1: low = 1 − √((1 − 0.72247)² + 0.16112²) = 1 − √0.102985 = 0.6791, high = 1
    _, lo, hi = stats.newcombe_diff_ci(10, 10, 0, 20)
    assert lo == pytest.approx(1 - math.sqrt((1 - l_10_10) ** 2 + u_0_20**2), abs=1e-12)
    assert round(lo, 4) == 0.6791 and hi == pytest.approx(1.0, abs=1e-12)


def test_newcombe_by_hand_from_the_two_wilson_intervals():
    # method 10: δ − √((p1 − l1)² + (u2 − p2)²), δ + √((u1 − p1)² + (p2 − l2)²), with the
    # Wilson limits written out by hand (not taken from evalkit)
    def wilson(x, n):
        c = (x + Z975**2 / 2) / (n + Z975**2)
        h = Z975 * math.sqrt(x * (n - x) / n + Z975**2 / 4) / (n + Z975**2)
        return c - h, c + h

    x1, n1, x2, n2 = 18, 109, 15, 104
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    _, lo, hi = stats.newcombe_diff_ci(x1, n1, x2, n2)
    assert lo == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), abs=1e-12)
    assert hi == pytest.approx(p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), abs=1e-12)


def test_newcombe_vectorised_equals_statsmodels_newcomb():
    from statsmodels.stats.proportion import confint_proportions_2indep

    cases = [(56, 70, 48, 80), (9, 10, 3, 10), (6, 7, 2, 7), (5, 56, 0, 29), (0, 10, 0, 10)]
    x1, n1, x2, n2 = (np.array(c) for c in zip(*cases, strict=True))
    _, lo, hi = stats.newcombe_diff_ci(x1, n1, x2, n2)
    for i, case in enumerate(cases):
        ref = confint_proportions_2indep(*case, method="newcomb", compare="diff", correction=False)
        assert (lo[i], hi[i]) == pytest.approx(ref, abs=1e-10)
    diff, lo, hi = stats.newcombe_diff_ci(0, 0, 1, 5)
    assert math.isnan(diff) and math.isnan(lo) and math.isnan(hi)


# --- tests of two shares -------------------------------------------------------------------
def test_pearson_by_hand_and_equal_to_scipy():
    # 30/100 against 45/100: pooled share 75/200, expected 37,5 and 62,5 in each row
    # X² = 2·(7,5²/37,5 + 7,5²/62,5) = 2·(1,5 + 0,9) = 4,8; 1 df → p = 2·Φ(−√4,8)
    res = stats.two_share_test(30, 100, 45, 100)
    assert res["test_method"] == "pearson_chi2" and "test" not in res  # the name is wording's
    assert res["statistic"] == pytest.approx(4.8, abs=1e-12)
    assert res["p_value"] == pytest.approx(2 * sps.norm.sf(math.sqrt(4.8)), rel=1e-12)
    chi2, p, _, _ = sps.chi2_contingency([[30, 70], [45, 55]], correction=False)
    assert res["p_value"] == pytest.approx(p, rel=1e-12)
    assert res["min_expected"] == pytest.approx(37.5)


def test_test_choice_switches_at_expected_five():
    # 2/20 and 8/20: expected events 20·10/40 = 5 exactly → still Pearson
    at_five = stats.two_share_test(2, 20, 8, 20)
    assert at_five["test_method"] == "pearson_chi2" and at_five["min_expected"] == 5.0
    chi2, p, _, _ = sps.chi2_contingency([[2, 18], [8, 12]], correction=False)
    assert at_five["p_value"] == pytest.approx(p, rel=1e-12)
    # 1/20 and 6/20: expected events 20·7/40 = 3,5 < 5 → Fisher's exact test
    small = stats.two_share_test(1, 20, 6, 20)
    assert small["test_method"] == "fisher_exact" and small["min_expected"] == 3.5
    assert small["p_value"] == pytest.approx(
        sps.fisher_exact([[1, 19], [6, 14]], alternative="two-sided").pvalue, rel=1e-12
    )


def test_fisher_two_sided_by_hypergeometric_sum():
    # Fisher's two-sided p: sum of the hypergeometric probabilities of the tables with the same
    # margins that are no more probable than the observed one (events in row 1 ~ H(N, K, n1))
    x1, n1, x2, n2 = 2, 9, 7, 11
    N, K = n1 + n2, x1 + x2
    pmf = sps.hypergeom(N, K, n1).pmf(np.arange(0, min(K, n1) + 1))
    expected = pmf[pmf <= pmf[x1] * (1 + 1e-7)].sum()
    res = stats.two_share_test(x1, n1, x2, n2)
    assert res["test_method"] == "fisher_exact"
    assert res["p_value"] == pytest.approx(expected, rel=1e-9)


def test_no_variation_means_no_test_and_no_place_in_the_family():
    res = stats.two_share_test(0, 20, 0, 10)
    assert res["p_value"] is None and res["test_method"] is None


def test_cohens_h_by_hand():
    # asin√0,5 = π/4 and asin√0,25 = asin 0,5 = π/6 → h = 2(π/4 − π/6) = π/6
    assert stats.cohens_h(0.5, 0.25) == pytest.approx(math.pi / 6, abs=1e-12)
    assert stats.cohens_h(0.25, 0.5) == pytest.approx(-math.pi / 6, abs=1e-12)
    assert stats.cohens_h(1.0, 0.0) == pytest.approx(math.pi, abs=1e-12)
    assert stats.cohens_h(0.3, 0.3) == 0.0
    np.testing.assert_allclose(
        stats.cohens_h([0.5, 1.0], [0.25, 0.0]), [math.pi / 6, math.pi], atol=1e-12
    )


# --- Holm ----------------------------------------------------------------------------------------
def test_holm_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted: 0,005·4 = 0,02; 0,01·3 = 0,03; 0,03·2 = 0,06; 0,04·1 = 0,04 → running max 0,06
    np.testing.assert_allclose(stats.holm(p), [0.03, 0.06, 0.06, 0.02], atol=1e-15)
    # capped at 1: 0,3·2 = 0,6, 0,8·1 = 0,8; 0,6·2 → 1
    np.testing.assert_allclose(stats.holm([0.6, 0.3]), [0.6, 0.6], atol=1e-15)


def test_holm_leaves_missing_p_values_out_of_the_family():
    # family of two: 0,01·2 = 0,02 and 0,04·1 = 0,04
    out = stats.holm([0.01, None, 0.04, float("nan")])
    assert math.isnan(out[1]) and math.isnan(out[3])
    assert out[0] == pytest.approx(0.02) and out[2] == pytest.approx(0.04)
    assert stats.holm([]).size == 0
    assert np.isnan(stats.holm([None, None])).all()
    with pytest.raises(ValueError):
        stats.holm([0.5, 1.2])


def test_holm_equals_statsmodels_multipletests(monkeypatch):
    import gc

    from statsmodels.stats.multitest import multipletests

    # multipletests runs gc.collect() on every call: seconds each in a worker that holds
    # the suite's documents, and nothing to do with the numbers compared
    monkeypatch.setattr(gc, "collect", lambda generation=2: 0)
    rng = np.random.default_rng(19)
    families = [rng.uniform(0, 1, size) ** 3 for size in (1, 2, 5, 17, 60)]
    families += [np.array([0.02, 0.02, 0.5, 0.02, 1.0, 0.0])]  # ties, 0 and 1
    for p in families:
        expected = multipletests(p, method="holm")[1]
        np.testing.assert_allclose(stats.holm(p), expected, rtol=0, atol=1e-15)


def test_compare_shares_records_and_holm_over_the_call():
    a = {
        "x": stats.share_with_ci(56, 70),
        "y": stats.share_with_ci(9, 10),
        "z": stats.share_with_ci(0, 0),  # no denominator: left out
        "w": stats.share_with_ci(0, 15),  # 0 % in both years: no test
        "only_a": stats.share_with_ci(1, 2),
    }
    b = {
        "x": stats.share_with_ci(48, 80),
        "y": stats.share_with_ci(3, 10),
        "z": stats.share_with_ci(2, 5),
        "w": stats.share_with_ci(0, 12),
        "only_b": stats.share_with_ci(5, 10),
    }
    recs = stats.compare_shares(a, b, 2023, 2022)
    assert [r["metric"] for r in recs] == ["x", "y", "w"]
    x, y, w = recs
    expected_keys = {
        "metric", "year", "other_year", "count", "n", "share", "ci_low", "ci_high",
        "other_count", "other_n", "other_share", "other_ci_low", "other_ci_high", "diff",
        "diff_ci_low", "diff_ci_high", "ci_method", "test_method", "p_value",
        "p_adjusted", "adjust_method", "holds_after_holm", "effect_size_h",
    }  # fmt: skip
    assert set(x) == expected_keys
    assert (x["year"], x["other_year"], x["count"], x["n"], x["other_count"], x["other_n"]) == (
        2023, 2022, 56, 70, 48, 80,
    )  # fmt: skip
    # Newcombe 1998b Table II (a) and (b)
    assert (round(x["diff_ci_low"], 4), round(x["diff_ci_high"], 4)) == (0.0524, 0.3339)
    assert (round(y["diff_ci_low"], 4), round(y["diff_ci_high"], 4)) == (0.1705, 0.8090)
    assert x["diff"] == pytest.approx(0.8 - 0.6) and x["ci_method"] == "newcombe"
    # x: expected non-events 70·46/150 = 21,5 ≥ 5 → Pearson; y: 10·8/20 = 4 < 5 → Fisher
    assert x["test_method"] == "pearson_chi2" and y["test_method"] == "fisher_exact"
    chi2, px, _, _ = sps.chi2_contingency([[56, 14], [48, 32]], correction=False)
    py = sps.fisher_exact([[9, 1], [3, 7]], alternative="two-sided").pvalue
    assert x["p_value"] == pytest.approx(px) and y["p_value"] == pytest.approx(py)
    # Holm over the family {x, y} (w has no test): smaller·2, larger·1, running max
    first, second = sorted([px, py])
    adjusted_first = min(1.0, 2 * first)
    adjusted_second = max(adjusted_first, min(1.0, second))
    assert px < py  # as the numbers go: x is the clearer difference
    assert x["p_adjusted"] == pytest.approx(adjusted_first)
    assert y["p_adjusted"] == pytest.approx(adjusted_second)
    assert w["p_value"] is None and w["p_adjusted"] is None and w["adjust_method"] == "holm"
    assert (x["holds_after_holm"], y["holds_after_holm"]) == (
        adjusted_first < 0.05,
        adjusted_second < 0.05,
    )
    assert w["holds_after_holm"] is False  # no test, nothing holds
    # effect size by hand: 2·asin√0,8 − 2·asin√0,6
    assert x["effect_size_h"] == pytest.approx(
        2 * math.asin(math.sqrt(0.8)) - 2 * math.asin(math.sqrt(0.6))
    )
    # JSON-ready: plain types only, no NaN
    text = json.dumps(recs, allow_nan=False)
    assert "NaN" not in text
    assert all(type(r["n"]) is int and type(r["share"]) is float for r in recs)
    assert stats.compare_shares({}, b, 2023, 2022) == []


# --- Cochran–Armitage ----------------------------------------------------------------------------
def test_cochran_armitage_by_hand():
    # counts 2, 4, 6 of 10 each in 2020, 2021, 2022: N = 30, p̄ = 12/30 = 0,4
    # scores centred on their weighted mean 2021: −1, 0, 1
    # T = Σ t(x − n p̄) = −1·(2 − 4) + 0·(4 − 4) + 1·(6 − 4) = 4
    # Var T = p̄(1 − p̄)·Σ n t̃² = 0,24 · (10 + 0 + 10) = 4,8 → z = 4/√4,8 = 1,8257
    # slope = T / Σ n t̃² = 4/20 = 0,2 a year (the shares are 0,2, 0,4, 0,6)
    res = stats.cochran_armitage([2, 4, 6], [10, 10, 10], [2020, 2021, 2022])
    assert res["statistic"] == pytest.approx(4 / math.sqrt(4.8), rel=1e-12)
    assert res["p_value"] == pytest.approx(2 * sps.norm.sf(4 / math.sqrt(4.8)), rel=1e-12)
    assert res["slope"] == pytest.approx(0.2, rel=1e-12)
    assert res["direction"] == "increasing" and res["test_method"] == "cochran_armitage"
    # shifting the scores changes nothing; reversing the order flips the sign
    assert stats.cochran_armitage([2, 4, 6], [10] * 3, [1, 2, 3])["statistic"] == pytest.approx(
        res["statistic"]
    )
    down = stats.cochran_armitage([6, 4, 2], [10] * 3, [2020, 2021, 2022])
    assert (
        down["statistic"] == pytest.approx(-res["statistic"]) and down["direction"] == "decreasing"
    )


def test_cochran_armitage_unequal_spacing_by_hand():
    # counts 1, 3, 8 of 10, 10, 20 in 2019, 2020, 2023: N = 40, p̄ = 12/40 = 0,3
    # weighted mean year = (10·2019 + 10·2020 + 20·2023)/40 = 2021,25 → t̃ = −2,25, −1,25, 1,75
    # T = −2,25·1 − 1,25·3 + 1,75·8 = −2,25 − 3,75 + 14 = 8
    # Σ n t̃² = 10·5,0625 + 10·1,5625 + 20·3,0625 = 50,625 + 15,625 + 61,25 = 127,5
    # Var T = 0,3·0,7·127,5 = 26,775 → z = 8/√26,775
    res = stats.cochran_armitage([1, 3, 8], [10, 10, 20], [2019, 2020, 2023])
    assert res["statistic"] == pytest.approx(8 / math.sqrt(26.775), rel=1e-12)
    assert res["slope"] == pytest.approx(8 / 127.5, rel=1e-12)


def test_cochran_armitage_against_linear_by_linear_and_correlation():
    from statsmodels.stats.contingency_tables import Table

    counts = np.array([10, 15, 14, 21])
    ns = np.array([100, 104, 109, 126])
    years = np.array([2019, 2020, 2021, 2022])
    z = stats.cochran_armitage(counts, ns, years)["statistic"]
    big_n = ns.sum()
    # (1) statsmodels' linear-by-linear statistic M² = (N − 1) r², and CA z² = M²·N/(N − 1)
    table = np.column_stack([counts, ns - counts])
    lxl = Table(table).test_ordinal_association(
        row_scores=years.astype(float), col_scores=np.array([1.0, 0.0])
    )
    assert z**2 == pytest.approx(lxl.zscore**2 * big_n / (big_n - 1), rel=1e-9)
    assert np.sign(z) == np.sign(lxl.zscore)
    # (2) z² = N r² with r the Pearson correlation of year and outcome over the N rows
    year_rows = np.repeat(years, ns)
    outcome_rows = np.concatenate(
        [np.r_[np.ones(c), np.zeros(n - c)] for c, n in zip(counts, ns, strict=True)]
    )
    r = np.corrcoef(year_rows, outcome_rows)[0, 1]
    assert z**2 == pytest.approx(big_n * r**2, rel=1e-9)


def test_cochran_armitage_nothing_to_test():
    res = stats.cochran_armitage([0, 0, 0], [10, 12, 9], [2020, 2021, 2022])
    assert res["statistic"] is None and res["p_value"] is None
    with pytest.raises(ValueError):
        stats.cochran_armitage([1, 2], [10, 10, 10], [1, 2, 3])


def test_trend_tests_need_three_years_and_adjust_over_the_family():
    per_year = {
        y: {
            "a": stats.share_with_ci(c, 100),
            "b": stats.share_with_ci(50, 100),
            "never": stats.share_with_ci(0, 100),
        }
        for y, c in zip([2020, 2021, 2022], [10, 20, 30], strict=True)
    }
    per_year[2020]["only_once"] = stats.share_with_ci(3, 10)
    per_year[2021]["twice"] = stats.share_with_ci(3, 10)
    per_year[2022]["twice"] = stats.share_with_ci(5, 10)
    recs = {r["metric"]: r for r in stats.trend_tests(per_year)}
    assert set(recs) == {"a", "b"}  # "never" cannot be tested, the rest lack three years
    # a: t̃ = −1, 0, 1; T = −10 + 30 = 20; p̄ = 0,2; Var = 0,16·200 = 32 → z = 20/√32
    za = 20 / math.sqrt(32)
    pa = 2 * sps.norm.sf(za)
    assert recs["a"]["statistic"] == pytest.approx(za) and recs["a"]["p_value"] == pytest.approx(pa)
    assert recs["a"]["years"] == [2020, 2021, 2022] and recs["a"]["counts"] == [10, 20, 30]
    # b is flat: z = 0, p = 1. Holm over {a, b}: a → 2·pa, b → max(2·pa, 1) = 1
    assert recs["b"]["statistic"] == 0.0 and recs["b"]["direction"] == "none"
    assert recs["a"]["p_adjusted"] == pytest.approx(2 * pa) and recs["b"]["p_adjusted"] == 1.0
    json.dumps(list(recs.values()), allow_nan=False)


# --- between groups ------------------------------------------------------------------------------
def test_between_groups_pearson_by_hand():
    # 3 groups of 50, 75 yes and 75 no: every expected count is 25
    # X² = (5² + 5² + 5² + 5² + 0 + 0)/25 = 4 with 2 df → p = e^(−4/2) = e^(−2)
    table = pd.DataFrame({"yes": [20, 30, 25], "no": [30, 20, 25]})
    res = stats.between_groups_test(table)
    assert res["test_method"] == "pearson_chi2" and res["df"] == 2
    assert res["statistic"] == pytest.approx(4.0) and res["p_value"] == pytest.approx(math.exp(-2))
    chi2, p, _, _ = sps.chi2_contingency(table.to_numpy(), correction=False)
    assert res["p_value"] == pytest.approx(p) and res["min_expected"] == 25.0
    assert res["warning_code"] is None


def test_between_groups_pearson_at_expected_exactly_five():
    # 3 groups of 10, 15 yes: every expected count is exactly 5 → still Pearson
    # X² = (2² + 0 + 2² + 2² + 0 + 2²)/5 = 3,2 with 2 df → p = e^(−1,6)
    table = pd.DataFrame({"yes": [3, 5, 7], "no": [7, 5, 3]})
    res = stats.between_groups_test(table)
    assert res["test_method"] == "pearson_chi2" and res["min_expected"] == 5.0
    assert res["statistic"] == pytest.approx(3.2) and res["p_value"] == pytest.approx(
        math.exp(-1.6)
    )


def test_between_groups_two_by_two_small_takes_fisher():
    table = pd.DataFrame({"yes": [1, 6], "no": [9, 4]})
    res = stats.between_groups_test(table)
    assert res["test_method"] == "fisher_exact"
    assert res["p_value"] == pytest.approx(
        sps.fisher_exact([[1, 9], [6, 4]], alternative="two-sided").pvalue
    )


def _exact_permutation_p(table: np.ndarray) -> float:
    """The exact p of the chi-square statistic over all r×2 tables with the same margins,
    weighted by the multivariate hypergeometric probability (scipy), by enumeration."""
    rows, events = table.sum(axis=1), table[:, 0].sum()
    dist = sps.multivariate_hypergeom(m=rows, n=events)
    expected = rows[:, None] * table.sum(axis=0)[None, :] / table.sum()

    def chi2(t):
        return ((t - expected) ** 2 / expected).sum()

    observed = chi2(table)
    p = 0.0
    for cells in itertools.product(*(range(r + 1) for r in rows)):
        if sum(cells) != events:
            continue
        t = np.column_stack([cells, rows - np.array(cells)])
        if chi2(t) >= observed * (1 - 1e-12):
            p += dist.pmf(cells)
    return p


def test_permutation_test_agrees_with_the_exact_permutation_distribution():
    table = pd.DataFrame({"yes": [1, 4, 0], "no": [5, 2, 6]})
    res = stats.between_groups_test(table)
    assert res["test_method"] == "permutation_chi2"
    assert res["permutations"] == stats.PERMUTATIONS == 20_000
    exact = _exact_permutation_p(table.to_numpy())
    se = math.sqrt(exact * (1 - exact) / res["permutations"])
    assert abs(res["p_value"] - exact) < 4 * se


def test_permutation_test_is_deterministic_and_close_to_fisher_on_a_two_by_two():
    # with equal row totals the hypergeometric distribution is symmetric, so the tables at
    # least as extreme in X² are exactly those Fisher's two-sided test counts
    table = np.array([[1, 9], [6, 4]])
    a = stats.permutation_chi2_test(table)
    b = stats.permutation_chi2_test(table)
    assert a == b
    fisher = sps.fisher_exact(table, alternative="two-sided").pvalue
    se = math.sqrt(fisher * (1 - fisher) / a["permutations"])
    assert abs(a["p_value"] - fisher) < 4 * se
    other_seed = stats.permutation_chi2_test(table, seed=1)
    assert abs(other_seed["p_value"] - fisher) < 4 * se


def test_random_tables_keep_both_margins():
    rng = np.random.default_rng(5)
    rows, cols = np.array([4, 7, 1, 9]), np.array([6, 2, 13])
    tables = stats._random_tables(rows, cols, 500, rng)
    assert (tables >= 0).all()
    assert (tables.sum(axis=2) == rows).all() and (tables.sum(axis=1) == cols).all()
    # the mean of each cell is row·col/N under the multiple hypergeometric distribution
    np.testing.assert_allclose(
        tables.mean(axis=0), rows[:, None] * cols[None, :] / rows.sum(), atol=0.35
    )


def test_between_groups_warnings_fire_on_sparse_tables():
    # few events: 5 in all
    few_events = stats.between_groups_test(pd.DataFrame({"yes": [1, 4, 0], "no": [5, 2, 6]}))
    assert few_events["warning_code"] == "too_few_rows"
    # plenty of events (30) but 10 of 11 groups have fewer than 5 rows
    many_small = pd.DataFrame({"yes": [1] * 10 + [20], "no": [1] * 10 + [20]})
    res = stats.between_groups_test(many_small)
    assert res["warning_code"] == "too_few_rows"
    # plenty of events and rows: no warning
    plenty = stats.between_groups_test(pd.DataFrame({"yes": [6, 5, 7], "no": [5, 6, 4]}))
    assert plenty["warning_code"] is None
    # empty groups are dropped; a single outcome column cannot be tested
    none = stats.between_groups_test(pd.DataFrame({"yes": [0, 0, 0], "no": [3, 4, 0]}))
    assert none["p_value"] is None and none["warning_code"] == "too_little_variation"
    json.dumps([few_events, res, none], allow_nan=False)


# --- logistic regression -------------------------------------------------------------------------
def _two_by_two_frame(a: int, b: int, c: int, d: int, year=2022) -> pd.DataFrame:
    """Exposed: a reached, b not; unexposed: c reached, d not."""
    return pd.DataFrame(
        {
            "reached": [1] * a + [0] * b + [1] * c + [0] * d,
            "exposed": [1.0] * (a + b) + [0.0] * (c + d),
            "year": year,
        }
    )


def test_logistic_odds_ratio_equals_cross_product_ratio():
    # exposed 30/50 reached, unexposed 20/50 → OR = ad/bc = (30·30)/(20·20) = 2,25
    df = _two_by_two_frame(30, 20, 20, 30)
    res = stats.logistic_odds_ratios(df, "reached", ["exposed"], covariates=())
    row = res["predictors"][0]
    assert row["odds_ratio"] == pytest.approx(2.25, rel=1e-8)
    # Wald (Woolf) interval and test: SE = √(1/a + 1/b + 1/c + 1/d)
    se = math.sqrt(1 / 30 + 1 / 20 + 1 / 20 + 1 / 30)
    assert row["se"] == pytest.approx(se, rel=1e-6)
    assert row["ci_low"] == pytest.approx(math.exp(math.log(2.25) - Z975 * se), rel=1e-6)
    assert row["ci_high"] == pytest.approx(math.exp(math.log(2.25) + Z975 * se), rel=1e-6)
    assert row["p_value"] == pytest.approx(2 * sps.norm.sf(math.log(2.25) / se), rel=1e-6)
    assert res["ci_method"] == "wald" and res["n"] == 100 and res["events"] == 50
    assert res["warnings"] == []
    json.dumps(res, allow_nan=False)


def test_logistic_year_as_categorical_equals_statsmodels_formula():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    n = 400
    df = pd.DataFrame(
        {
            "year": rng.choice([2021, 2022, 2023], n),
            "inter": rng.integers(0, 2, n).astype(float),
            "collab": rng.integers(0, 2, n).astype(float),
        }
    )
    logit = -0.3 + 0.8 * df["inter"] - 0.4 * df["collab"] + 0.5 * (df["year"] == 2023)
    df["reached"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    res = stats.logistic_odds_ratios(df, "reached", ["inter", "collab"])
    ref = smf.glm(
        "reached ~ inter + collab + C(year)", data=df, family=sm.families.Binomial()
    ).fit()
    for row in res["predictors"]:
        assert row["odds_ratio"] == pytest.approx(math.exp(ref.params[row["name"]]), rel=1e-6)
        assert row["p_value"] == pytest.approx(ref.pvalues[row["name"]], rel=1e-5)
    assert res["terms"] == ["const", "inter", "collab", "year=2022", "year=2023"]
    assert res["reference_levels"] == {"year": 2021} and res["parameters"] == 4


def test_logistic_complete_separation_warns_instead_of_crashing():
    df = _two_by_two_frame(20, 0, 0, 20).assign(year=[2021, 2022] * 20)
    res = stats.logistic_odds_ratios(df, "reached", ["exposed"])
    separation = [w for w in res["warnings"] if w["code"] == "separation"]
    assert len(separation) == 1 and "exposed" in separation[0]["terms"]
    assert res["predictors"][0]["odds_ratio"] is None and not res["predictors"][0]["estimable"]
    assert "exposed" in res["separated_terms"]
    json.dumps(res, allow_nan=False)


def test_logistic_quasi_separation_is_detected():
    # every exposed project reached its goals (a zero cell), the unexposed are mixed;
    # statsmodels converges quietly to a huge coefficient here
    df = _two_by_two_frame(25, 0, 12, 13)
    res = stats.logistic_odds_ratios(df, "reached", ["exposed"], covariates=())
    assert {"code": "separation", "terms": ["exposed"]} in res["warnings"]
    assert res["separated_terms"] == ["exposed"] and res["predictors"][0]["odds_ratio"] is None


def test_logistic_few_events_and_constant_predictor_warn():
    df = _two_by_two_frame(4, 6, 3, 7).assign(flat=1.0)
    res = stats.logistic_odds_ratios(df, "reached", ["exposed", "flat"], covariates=())
    # 7 events, 13 without: 7 in the rarer group for 1 parameter (flat is dropped)
    assert res["warnings"] == [
        {"code": "no_variation", "term": "flat", "n": 20},
        {"code": "few_events_per_parameter", "events": 7, "parameters": 1},
    ]
    assert res["predictors"][1]["name"] == "flat" and res["predictors"][1]["odds_ratio"] is None
    # (4·7)/(6·3) = 28/18
    assert res["predictors"][0]["odds_ratio"] == pytest.approx(28 / 18, rel=1e-7)


def test_logistic_drops_incomplete_rows_and_counts_them():
    df = _two_by_two_frame(30, 20, 20, 30)
    df.loc[[0, 1], "exposed"] = np.nan
    res = stats.logistic_odds_ratios(df, "reached", ["exposed"], covariates=())
    assert res["n"] == 98 and res["n_excluded_missing"] == 2
    # 28 exposed reached, 20 not → (28·30)/(20·20) = 2,1
    assert res["predictors"][0]["odds_ratio"] == pytest.approx(2.1, rel=1e-8)


# --- amounts ---------------------------------------------------------------------------------------
def test_amount_quartiles_type7_by_hand():
    # 100, 200, 300, 400: position (n − 1)·q: q1 at 0,75 → 175; median at 1,5 → 250; q3 at
    # 2,25 → 325
    res = stats.amount_summary({2021: [100, 200, 300, 400], 2022: [150, np.nan, 250]})
    assert res["by_year"][2021] == {"n": 4, "missing": 0, "q1": 175.0, "median": 250.0, "q3": 325.0}
    assert res["by_year"][2022] == {"n": 2, "missing": 1, "q1": 175.0, "median": 200.0, "q3": 225.0}
    assert res["quantile_method"] == "type7_linear"


def test_amount_distribution_by_hand():
    # 400, 100, NaN, 300, 200: four amounts, one missing; total 1 000; quartiles as above
    res = stats.amount_distribution([400, 100, np.nan, 300, 200])
    assert res == {
        "n": 4,
        "missing": 1,
        "total": 1000,
        "min": 100,
        "max": 400,
        "q1": 175.0,
        "median": 250.0,
        "q3": 325.0,
    }
    empty = stats.amount_distribution([np.nan])
    assert empty["n"] == 0 and empty["missing"] == 1 and empty["total"] == 0
    assert empty["median"] is None and empty["min"] is None


def test_metrics_amount_summary_keeps_its_keys():
    from evalkit.metrics import amount_summary

    res = amount_summary(pd.Series([50_000, None, 150_000, 100_000], dtype="Int64"))
    # 50 000, 100 000, 150 000: q1 at position 0,5 → 75 000, median 100 000, q3 125 000
    assert res == {
        "total_nok": 300_000,
        "n": 3,
        "missing": 1,
        "median_nok": 100_000.0,
        "q1_nok": 75_000.0,
        "q3_nok": 125_000.0,
        "min_nok": 50_000,
        "max_nok": 150_000,
        "quantile_method": "type7_linear",
    }
    assert amount_summary(pd.Series([None], dtype="Int64")) == {
        "total_nok": 0,
        "n": 0,
        "missing": 1,
    }


def test_amount_tests_equal_scipy():
    a, b, c = [100, 200, 300, 400], [150, 250, 350, 450, 550], [50, 60, 70]
    # two years, no ties, small → the exact Mann–Whitney distribution
    two = stats.amount_summary({2021: np.array(a), 2022: np.array(b)})
    assert two["test"]["method"] == "mann_whitney" and two["test"]["variant"] == "exact"
    ref = sps.mannwhitneyu(a, b, alternative="two-sided", method="exact")
    assert two["test"]["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert two["test"]["statistic"] == pytest.approx(ref.statistic)
    # by hand: U of the first year counts the pairs it wins: 100 wins 0, 200 wins 1 (150),
    # 300 wins 2, 400 wins 3 → U = 6
    assert two["test"]["statistic"] == 6.0
    # no ties, 12 and 15 values (both under 50) → still exact, where scipy's "auto" would not be
    rng = np.random.default_rng(3)
    x, y = rng.permutation(27)[:12] * 1000.0, rng.permutation(27)[12:] * 1000.0 + 500
    mid = stats.amount_summary({2021: x, 2022: y})
    assert mid["test"]["variant"] == "exact"
    exact = sps.mannwhitneyu(x, y, alternative="two-sided", method="exact").pvalue
    assert mid["test"]["p_value"] == pytest.approx(exact, rel=1e-12)
    assert exact != pytest.approx(
        sps.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue, rel=1e-6
    )
    # ties → normal approximation with tie and continuity correction
    tied = stats.amount_summary({2021: [100, 100, 200, 300], 2022: [100, 250, 300, 400]})
    assert tied["test"]["variant"] == "asymptotic"
    ref = sps.mannwhitneyu(
        [100, 100, 200, 300], [100, 250, 300, 400], alternative="two-sided", method="asymptotic"
    )
    assert tied["test"]["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    # three years → Kruskal–Wallis
    three = stats.amount_summary({2020: np.array(c), 2021: np.array(a), 2022: np.array(b)})
    assert three["test"]["method"] == "kruskal_wallis"
    assert three["test"]["p_value"] == pytest.approx(sps.kruskal(c, a, b).pvalue, rel=1e-12)
    one = stats.amount_summary({2022: a})
    assert one["test"]["p_value"] is None
    json.dumps([two, tied, three, one], allow_nan=False)


# --- method descriptions ---------------------------------------------------------------------------
def test_every_method_used_is_described_in_norwegian_with_a_reference():
    used = {
        "wilson", "newcombe", "pearson_chi2", "fisher_exact", "permutation_chi2", "holm",
        "cohens_h", "cochran_armitage", "logistic_wald", "mann_whitney", "kruskal_wallis",
    }  # fmt: skip
    assert used <= set(wording.METHODS)
    for entry in wording.METHODS.values():
        assert entry["name"] and entry["description"] and entry["reference"]
        assert any(ch.isdigit() for ch in entry["reference"])  # a year / volume to look up


# --- applied against granted ----------------------------------------------------------------------
def test_applied_vs_granted_by_hand():
    applied = [100_000, 200_000, 400_000, 800_000, np.nan, 0]
    granted = [100_000, 100_000, 100_000, 400_000, 50_000, 10_000]
    res = stats.applied_vs_granted(applied, granted)
    # the blank applied amount and the zero one are left out
    assert (res["n"], res["missing"]) == (4, 2)
    assert res["applied_total_nok"] == 1_500_000 and res["granted_total_nok"] == 700_000
    assert res["granted_share"] == pytest.approx(700 / 1500)
    assert res["n_full"] == 1
    # ratios 1, 0.5, 0.25, 0.5 → sorted 0.25, 0.5, 0.5, 1; type 7: q1 at position 0.75
    # (0.25 + 0.75·0.25 = 0.4375), median 0.5, q3 at position 2.25 (0.5 + 0.25·0.5 = 0.625)
    assert (res["ratio"]["q1"], res["ratio"]["median"], res["ratio"]["q3"]) == pytest.approx(
        (0.4375, 0.5, 0.625)
    )
    rho = sps.spearmanr([1e5, 2e5, 4e5, 8e5], [1e5, 1e5, 1e5, 4e5])
    assert res["test"]["method"] == "spearman"
    assert res["test"]["statistic"] == pytest.approx(rho.statistic)
    assert res["test"]["p_value"] == pytest.approx(rho.pvalue)
    json.dumps(res, allow_nan=False)


def test_applied_vs_granted_without_variation_has_no_test():
    res = stats.applied_vs_granted([100, 100, 100], [50, 60, 70])
    assert res["test"]["p_value"] is None and res["test"]["method"] is None
