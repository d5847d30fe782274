"""Statistics for the evaluation documents, every method pinned by name.

No result depends on a library default: each call names its method (statsmodels' defaults are
Wald intervals, Holm–Šidák and zero-cell shifting; scipy's are "auto" choices). What is used:

============================  ==============================================================
question                      method (its key in the results)
============================  ==============================================================
one share                     Wilson score interval, no continuity correction (``wilson``)
difference of two shares      Newcombe's hybrid score interval, method 10 of Newcombe
                              (1998b), no continuity correction (``newcombe``)
two shares, a test            Pearson's chi-square without continuity correction when every
                              expected count is at least 5 (``pearson_chi2``), otherwise
                              Fisher's exact test, two-sided, conditional (``fisher_exact``)
effect size, two shares       Cohen's h (``cohens_h``)
many tests in one document    Holm's step-down adjustment over the family (``holm``); a
                              result holds when its adjusted p is below ``ALPHA``
                              (``holds_after_holm``)
a share over the years        Cochran–Armitage test for trend, the years as scores, two-sided
                              normal approximation (``cochran_armitage``), with the departure
                              from a linear trend (``trend_departure``) and the verdict in
                              words' keys (``trend_verdict``)
a share across groups         Pearson's chi-square when every expected count is at least 5;
                              otherwise Fisher's exact test for a 2×2 table and a Monte-Carlo
                              permutation test of the chi-square statistic with both margins
                              fixed and a fixed seed (``permutation_chi2``)
kinds of projects             logistic regression (binomial GLM, logit link), odds ratios with
                              95 % Wald intervals, year as a categorical covariate
                              (``logistic_wald``)
amounts                       quartiles by linear interpolation (Hyndman–Fan type 7);
                              Mann–Whitney U for two years, Kruskal–Wallis for more
============================  ==============================================================

The counts are complete counts of the funded projects, not a sample: an interval or a test
speaks of the process that produced the figures, not of sampling error. The method section of
each document says so.

Numbers only: a result names its method by key (``test_method``, ``method``) and its warnings
by code; the Norwegian names, descriptions and warnings are in :mod:`evalkit.wording`.

Every function is pure. Results meant for ``metrics.json`` hold only plain Python ``int``,
``float``, ``str``, ``bool``, ``list``, ``dict`` and ``None`` (never NaN or infinity).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

__all__ = [
    "ALPHA",
    "MIN_EXPECTED",
    "PERMUTATIONS",
    "SEED",
    "TREND_VERDICTS",
    "adjust_holm",
    "amount_distribution",
    "amount_summary",
    "applied_vs_granted",
    "between_groups_test",
    "cochran_armitage",
    "cohens_h",
    "compare_shares",
    "expected_counts",
    "holds_after_holm",
    "holm",
    "logistic_odds_ratios",
    "newcombe_diff_ci",
    "pearson_chi2",
    "permutation_chi2_test",
    "share_with_ci",
    "trend_departure",
    "trend_tests",
    "trend_verdict",
    "two_share_test",
    "wilson_ci",
]

#: Two-sided level of every interval (95 %), and the level below which a Holm-adjusted p-value
#: holds (:func:`holds_after_holm`).
ALPHA = 0.05
#: Pearson's chi-square is used only when every expected count is at least this.
MIN_EXPECTED = 5.0
#: Monte-Carlo tables drawn by the permutation test.
PERMUTATIONS = 20_000
#: Seed of the permutation test: the same table gives the same p-value on every run.
SEED = 20_240_611
#: Events per parameter below which a logistic regression gets a warning (Peduzzi et al. 1996).
MIN_EVENTS_PER_PARAMETER = 10
#: A standard error (log-odds scale) above this is taken as a sign of separation.
MAX_LOG_ODDS_SE = 10.0
#: Mann–Whitney: exact p-value when both years have fewer rows than this and there are no ties
#: (the rule of R's ``wilcox.test``), else the normal approximation.
MANN_WHITNEY_EXACT_BELOW = 50


# --- helpers -------------------------------------------------------------------------------
def _json_float(x: Any) -> float | None:
    """A JSON-ready float: ``None`` for None, NaN and ±infinity."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _scalar_or_array(a: np.ndarray) -> np.ndarray | float:
    return float(a) if a.ndim == 0 else a


def _check_alpha(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return float(alpha)


def _check_counts(count: np.ndarray, n: np.ndarray) -> None:
    if np.any(n < 0) or np.any(count < 0):
        raise ValueError("counts and denominators must be non-negative")
    if np.any(count > n):
        raise ValueError("a count is larger than its denominator")


def expected_counts(table: np.ndarray) -> np.ndarray:
    """Expected cell counts under independence: row total × column total / grand total.

    Parameters
    ----------
    table : numpy.ndarray
        Two-dimensional table of counts with a positive grand total.

    Returns
    -------
    numpy.ndarray
        Array of the table's shape.
    """
    t = np.asarray(table, dtype=float)
    return t.sum(axis=1, keepdims=True) * t.sum(axis=0, keepdims=True) / t.sum()


def pearson_chi2(table: np.ndarray, expected: np.ndarray | None = None) -> np.ndarray | float:
    """Pearson's X² = Σ (observed − expected)² / expected, without continuity correction.

    Parameters
    ----------
    table : numpy.ndarray
        A table (shape ``(r, c)``) or a stack of tables (shape ``(..., r, c)``) of counts.
    expected : numpy.ndarray, optional
        Expected counts, shape ``(r, c)``; by default those of ``table`` (which must then be a
        single table). Every expected count must be positive.

    Returns
    -------
    float or numpy.ndarray
        The statistic, one per table.
    """
    t = np.asarray(table, dtype=float)
    e = expected_counts(t) if expected is None else np.asarray(expected, dtype=float)
    if np.any(e <= 0):
        raise ValueError("every expected count must be positive (drop empty rows and columns)")
    return _scalar_or_array(((t - e) ** 2 / e).sum(axis=(-2, -1)))


# --- one share ---------------------------------------------------------------------------------
def wilson_ci(count, n, alpha: float = ALPHA) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Wilson score interval for a proportion, without continuity correction.

    Computed by statsmodels' ``proportion_confint`` with ``method="wilson"`` named
    explicitly (its default is the Wald interval). The limits are
    ``(count + z²/2 ± z·√(count·(n − count)/n + z²/4)) / (n + z²)`` with z the
    ``1 − alpha/2`` normal quantile.

    Parameters
    ----------
    count, n : int or array_like of int
        Events and denominators (broadcast together); ``0 <= count <= n``.
    alpha : float, default 0.05
        Two-sided level; 0.05 gives a 95 % interval.

    Returns
    -------
    (low, high) : tuple of float or numpy.ndarray
        Floats for scalar input, arrays otherwise; NaN where ``n == 0``.

    References
    ----------
    Newcombe RG (1998). Stat Med 17:857–872, method 3.
    """
    x, m = np.broadcast_arrays(np.asarray(count, dtype=float), np.asarray(n, dtype=float))
    _check_counts(x, m)
    alpha = _check_alpha(alpha)
    empty = m == 0
    low, high = proportion_confint(
        np.where(empty, 0.0, x), np.where(empty, 1.0, m), alpha=alpha, method="wilson"
    )
    low = np.where(empty, np.nan, np.clip(low, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(high, 0.0, 1.0))
    return _scalar_or_array(low), _scalar_or_array(high)


def share_with_ci(count: int, n: int, missing: int = 0, alpha: float = ALPHA) -> dict:
    """A share with its Wilson interval, as ``metrics.json`` holds it.

    Parameters
    ----------
    count : int
        Rows with the characteristic.
    n : int
        Rows that answered (the denominator).
    missing : int, default 0
        Rows left out of the denominator because the answer is missing.
    alpha : float, default 0.05
        Two-sided level of the interval.

    Returns
    -------
    dict
        ``count, n, missing, share, ci_low, ci_high, ci_method`` (``"wilson"``) as plain
        Python numbers; ``share`` and the limits are ``None`` when ``n == 0``.
    """
    count, n, missing = int(count), int(n), int(missing)
    if missing < 0:
        raise ValueError("missing must be non-negative")
    low, high = wilson_ci(count, n, alpha)
    return {
        "count": count,
        "n": n,
        "missing": missing,
        "share": count / n if n else None,
        "ci_low": _json_float(low),
        "ci_high": _json_float(high),
        "ci_method": "wilson",
    }


# --- two shares --------------------------------------------------------------------------------
def newcombe_diff_ci(
    x1, n1, x2, n2, alpha: float = ALPHA
) -> tuple[np.ndarray | float, np.ndarray | float, np.ndarray | float]:
    """Difference p1 − p2 with Newcombe's hybrid score interval (method 10), no correction.

    Computed by statsmodels' ``confint_proportions_2indep`` with ``method="newcomb"``,
    ``compare="diff"`` and ``correction=False`` named explicitly. With (l_i, u_i) the Wilson
    limits of p_i = x_i/n_i and δ = p1 − p2::

        low  = δ − √((p1 − l1)² + (u2 − p2)²)
        high = δ + √((u1 − p1)² + (p2 − l2)²)

    Parameters
    ----------
    x1, n1, x2, n2 : int or array_like of int
        Events and denominators of the two shares (broadcast together).
    alpha : float, default 0.05
        Two-sided level.

    Returns
    -------
    (diff, low, high) : tuple of float or numpy.ndarray
        NaN where a denominator is 0.

    References
    ----------
    Newcombe RG (1998). Stat Med 17:873–890, method 10.
    """
    x1, n1, x2, n2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, n1, x2, n2)))
    _check_counts(x1, n1)
    _check_counts(x2, n2)
    alpha = _check_alpha(alpha)
    empty = (n1 == 0) | (n2 == 0)
    safe_n1, safe_n2 = np.where(empty, 1.0, n1), np.where(empty, 1.0, n2)
    safe_x1, safe_x2 = np.where(empty, 0.0, x1), np.where(empty, 0.0, x2)
    low, high = confint_proportions_2indep(
        safe_x1,
        safe_n1,
        safe_x2,
        safe_n2,
        method="newcomb",
        compare="diff",
        alpha=alpha,
        correction=False,
    )
    diff = np.where(empty, np.nan, safe_x1 / safe_n1 - safe_x2 / safe_n2)
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return _scalar_or_array(diff), _scalar_or_array(low), _scalar_or_array(high)


def cohens_h(p1, p2) -> np.ndarray | float:
    """Cohen's h = 2·asin√p1 − 2·asin√p2 (vectorised).

    Parameters
    ----------
    p1, p2 : float or array_like
        Shares between 0 and 1.

    Returns
    -------
    float or numpy.ndarray
        Between −π and π; positive when p1 > p2.
    """
    a = np.asarray(p1, dtype=float)
    b = np.asarray(p2, dtype=float)
    return _scalar_or_array(2 * np.arcsin(np.sqrt(a)) - 2 * np.arcsin(np.sqrt(b)))


def two_share_test(x1: int, n1: int, x2: int, n2: int) -> dict:
    """Test of equal shares x1/n1 and x2/n2.

    Pearson's chi-square without continuity correction when every expected count of the 2×2
    table is at least 5; otherwise Fisher's exact test (two-sided, conditional on both
    margins). When nobody (or everybody) has the characteristic in both groups the
    conditional distribution has one table and nothing can be tested: ``test_method`` and
    ``p_value`` are ``None``, so :func:`holm` leaves it out of the family.

    Parameters
    ----------
    x1, n1, x2, n2 : int
        Events and denominators; both denominators positive.

    Returns
    -------
    dict
        ``test_method`` (``"pearson_chi2"``, ``"fisher_exact"`` or ``None``), ``statistic``
        (X², or ``None`` for Fisher), ``p_value`` and ``min_expected``.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both denominators must be positive")
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    _check_counts(np.array([x1, x2], float), np.array([n1, n2], float))
    if np.any(table.sum(axis=0) == 0):
        return {
            "test_method": None,
            "statistic": None,
            "p_value": None,
            "min_expected": 0.0,
        }
    expected = expected_counts(table)
    min_expected = float(expected.min())
    if min_expected >= MIN_EXPECTED:
        chi2, p, _, _ = sps.chi2_contingency(table, correction=False)
        return {
            "test_method": "pearson_chi2",
            "statistic": float(chi2),
            "p_value": float(p),
            "min_expected": min_expected,
        }
    res = sps.fisher_exact(table.astype(np.int64), alternative="two-sided")
    return {
        "test_method": "fisher_exact",
        "statistic": None,
        "p_value": float(res.pvalue),
        "min_expected": min_expected,
    }


def holm(p_values: Iterable[float | None]) -> np.ndarray:
    """Holm's step-down adjusted p-values.

    ``None`` and NaN stay NaN and are not counted in the family.

    Parameters
    ----------
    p_values : iterable of float or None
        The family's p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values (float), in the input order.

    Notes
    -----
    The m p-values in ascending order, the i-th (from 0) times m − i, a running maximum,
    capped at 1 (Holm 1979), as ``statsmodels.stats.multitest.multipletests(method="holm")``
    computes them (tests/test_stats.py compares the two). Not that function itself: it runs
    ``gc.collect()`` on every call, a pause that grows with everything a process holds
    (seconds in a kernel or a test run that has built documents), for a few multiplications.
    """
    p = np.array(list(p_values), dtype=float)  # None → NaN
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p-values must lie between 0 and 1")
    family = p[ok]
    order = np.argsort(family, kind="stable")
    stepped = family[order] * np.arange(family.size, 0, -1)
    adjusted = np.empty_like(family)
    adjusted[order] = np.minimum(np.maximum.accumulate(stepped), 1.0)
    out[ok] = adjusted
    return out


def holds_after_holm(p_adjusted: float | None, alpha: float = ALPHA) -> bool:
    """Whether a result holds after Holm's adjustment: its adjusted p-value is below ``alpha``.

    The one place this is decided; the documents read the ``holds_after_holm`` field of the
    records in ``metrics.json``. A result without a test (``None`` or NaN) does not hold.
    """
    alpha = _check_alpha(alpha)
    return p_adjusted is not None and not math.isnan(p_adjusted) and p_adjusted < alpha


def adjust_holm(records: Sequence[dict], alpha: float = ALPHA) -> None:
    """Holm-adjust the ``p_value`` of ``records`` as one family, in place: each record gets
    ``p_adjusted`` (``None`` without a test), ``adjust_method`` (``"holm"``) and
    ``holds_after_holm`` (:func:`holds_after_holm`). Keys a record already has keep their
    place."""
    adjusted = holm([r.get("p_value") for r in records])
    for r, p in zip(records, adjusted, strict=True):
        r["p_adjusted"] = _json_float(p)
        r["adjust_method"] = "holm"
        r["holds_after_holm"] = holds_after_holm(r["p_adjusted"], alpha)


def comparison_counts(records: Sequence[dict]) -> dict[str, int]:
    """How many of Holm-adjusted ``records`` (:func:`adjust_holm`) there are: ``total``,
    ``tested`` (with a p-value) and ``held`` (``holds_after_holm``). The counts the documents
    print about the comparisons, written to ``metrics.json`` as ``comparison_counts``."""
    tested = [r for r in records if r.get("p_value") is not None]
    return {
        "total": len(records),
        "tested": len(tested),
        "held": sum(bool(r.get("holds_after_holm")) for r in tested),
    }


def compare_shares(
    shares_a: Mapping[str, dict], shares_b: Mapping[str, dict], year: int, other_year: int
) -> list[dict]:
    """Compare each share of one year with the same share of another year.

    One record for every key present in both ``shares`` dicts with ``n > 0`` in both, in the
    order of ``shares_a``. The records of one call are one family for Holm's adjustment.

    Parameters
    ----------
    shares_a, shares_b : mapping of str to dict
        ``metrics.json`` ``shares`` of ``year`` and of ``other_year`` (the dicts of
        :func:`share_with_ci`; only ``count`` and ``n`` are read).
    year, other_year : int
        The two years.

    Returns
    -------
    list of dict
        ``metric, year, other_year, count, n, share, ci_low, ci_high, other_count, other_n,
        other_share, other_ci_low, other_ci_high, diff, diff_ci_low, diff_ci_high, ci_method
        ("newcombe"), test_method, p_value, p_adjusted, adjust_method ("holm"),
        holds_after_holm, effect_size_h`` with plain Python values (``holds_after_holm``:
        :func:`holds_after_holm` of ``p_adjusted``). ``diff`` is this year's share minus the
        other year's; ``effect_size_h`` has the same sign.
    """
    keys = [
        k
        for k, a in shares_a.items()
        if k in shares_b and int(a.get("n") or 0) > 0 and int(shares_b[k].get("n") or 0) > 0
    ]
    if not keys:
        return []
    x1 = np.array([shares_a[k]["count"] for k in keys], dtype=np.int64)
    n1 = np.array([shares_a[k]["n"] for k in keys], dtype=np.int64)
    x2 = np.array([shares_b[k]["count"] for k in keys], dtype=np.int64)
    n2 = np.array([shares_b[k]["n"] for k in keys], dtype=np.int64)
    l1, u1 = wilson_ci(x1, n1)
    l2, u2 = wilson_ci(x2, n2)
    diff, dlow, dhigh = newcombe_diff_ci(x1, n1, x2, n2)
    h = cohens_h(x1 / n1, x2 / n2)
    tests = [two_share_test(*cells) for cells in zip(x1, n1, x2, n2, strict=True)]
    adjusted = holm([t["p_value"] for t in tests])
    return [
        {
            "metric": key,
            "year": int(year),
            "other_year": int(other_year),
            "count": int(x1[i]),
            "n": int(n1[i]),
            "share": float(x1[i] / n1[i]),
            "ci_low": float(l1[i]),
            "ci_high": float(u1[i]),
            "other_count": int(x2[i]),
            "other_n": int(n2[i]),
            "other_share": float(x2[i] / n2[i]),
            "other_ci_low": float(l2[i]),
            "other_ci_high": float(u2[i]),
            "diff": float(diff[i]),
            "diff_ci_low": float(dlow[i]),
            "diff_ci_high": float(dhigh[i]),
            "ci_method": "newcombe",
            "test_method": tests[i]["test_method"],
            "p_value": tests[i]["p_value"],
            "p_adjusted": _json_float(adjusted[i]),
            "adjust_method": "holm",
            "holds_after_holm": holds_after_holm(_json_float(adjusted[i])),
            "effect_size_h": float(h[i]),
        }
        for i, key in enumerate(keys)
    ]


# --- trends ------------------------------------------------------------------------------------
def cochran_armitage(counts, ns, scores) -> dict:
    """Cochran–Armitage test for a linear trend in proportions.

    With N = Σnᵢ, p̄ = Σxᵢ/N and the scores centred on their weighted mean,
    t̃ᵢ = tᵢ − Σnⱼtⱼ/N::

        T     = Σ t̃ᵢ xᵢ                 (= Σ tᵢ(xᵢ − nᵢp̄))
        Var T = p̄(1 − p̄) Σ nᵢ t̃ᵢ²
        z     = T / √Var T,   p = 2·Φ(−|z|)

    This is Armitage's form (variance with N, not N − 1): z² = N·r², where r is the Pearson
    correlation of score and outcome over the N rows, and z² = M²·N/(N − 1) for the
    linear-by-linear association statistic M² = (N − 1)·r². The slope is the least-squares
    slope of the share on the score, T / Σ nᵢt̃ᵢ² (share per year when the scores are years).

    Parameters
    ----------
    counts, ns : array_like of int
        Events and denominators per group (year).
    scores : array_like of float
        Score per group: the real years.

    Returns
    -------
    dict
        ``test_method`` (``"cochran_armitage"``), ``statistic`` (z), ``p_value``,
        ``slope`` and ``direction`` (``"increasing"``, ``"decreasing"`` or ``"none"``).
        ``statistic``, ``p_value`` and ``slope`` are ``None`` when nothing can be tested (one
        score only, or a share of 0 or 1 throughout).
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(ns, dtype=float)
    t = np.asarray(scores, dtype=float)
    if not (x.shape == n.shape == t.shape) or x.ndim != 1:
        raise ValueError("counts, ns and scores must be one-dimensional and of equal length")
    _check_counts(x, n)
    out = {
        "test_method": "cochran_armitage",
        "statistic": None,
        "p_value": None,
        "slope": None,
        "direction": "none",
    }
    big_n = n.sum()
    if big_n == 0:
        return out
    pbar = x.sum() / big_n
    tc = t - (n * t).sum() / big_n
    sxx = float((n * tc**2).sum())
    var = pbar * (1 - pbar) * sxx
    if var <= 0:
        return out
    stat = float((tc * x).sum())
    z = stat / math.sqrt(var)
    out |= {
        "statistic": z,
        "p_value": float(2 * sps.norm.sf(abs(z))),
        "slope": stat / sxx,
        "direction": "increasing" if z > 0 else ("decreasing" if z < 0 else "none"),
    }
    return out


def trend_departure(counts, ns, scores) -> dict:
    """Pearson's chi-square of the k × 2 table split into a linear trend and the departure
    from it (Armitage 1955; Agresti, *Categorical Data Analysis*, 3rd ed., sec. 5.3.5).

    With p̄ = Σxᵢ/N over the groups with nᵢ > 0::

        X²_total     = Σ (xᵢ − nᵢp̄)² / (nᵢ p̄(1 − p̄))        k − 1 degrees of freedom
        X²_trend     = z²  (z of :func:`cochran_armitage`)    1
        X²_departure = X²_total − X²_trend                    k − 2

    A significant departure says the share does not move along a straight line: a rise and a
    fall, or a jump, rather than a steady trend, whatever the trend test says.

    Returns
    -------
    dict
        ``chi2_total``, ``df_total``, ``chi2_trend``, ``chi2_departure``, ``df_departure``
        and ``p_value`` (of the departure, chi-square upper tail); all ``None`` when there
        are fewer than three groups or the share is 0 or 1 throughout.
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(ns, dtype=float)
    t = np.asarray(scores, dtype=float)
    if not (x.shape == n.shape == t.shape) or x.ndim != 1:
        raise ValueError("counts, ns and scores must be one-dimensional and of equal length")
    _check_counts(x, n)
    keep = n > 0
    x, n, t = x[keep], n[keep], t[keep]
    out: dict[str, Any] = dict.fromkeys(
        ("chi2_total", "df_total", "chi2_trend", "chi2_departure", "df_departure", "p_value")
    )
    big_n = n.sum()
    if len(x) < 3 or big_n == 0:
        return out
    pbar = x.sum() / big_n
    if pbar <= 0 or pbar >= 1:
        return out
    total = float(((x - n * pbar) ** 2 / (n * pbar * (1 - pbar))).sum())
    z = cochran_armitage(x, n, t)["statistic"]
    trend = 0.0 if z is None else float(z) ** 2
    departure = max(total - trend, 0.0)  # rounding can make a linear table's departure −1e-16
    k = len(x)
    return {
        "chi2_total": total,
        "df_total": k - 1,
        "chi2_trend": trend,
        "chi2_departure": departure,
        "df_departure": k - 2,
        "p_value": float(sps.chi2.sf(departure, k - 2)),
    }


#: The keys of :func:`trend_verdict`, in the order the trends document names them.
TREND_VERDICTS = (
    "increase",
    "decrease",
    "increase_uneven",
    "decrease_uneven",
    "uneven",
    "no_change",
)


def trend_verdict(record: Mapping[str, Any], alpha: float = ALPHA) -> str | None:
    """What may be said of a share over the years, from its trend test: the one place the
    trends document's words are decided.

    ======================  ==============================================================
    verdict                 when
    ======================  ==============================================================
    ``None``                no test (``p_adjusted`` is ``None``)
    ``"no_change"``         the Cochran–Armitage trend does not hold after Holm
    ``"increase"``,         the trend holds after Holm (``holds_after_holm``), in its
    ``"decrease"``          ``direction``, and the departure from a linear trend is not
                            significant (or cannot be computed)
    ``"increase_uneven"``,  the trend holds and the departure is significant too (its p,
    ``"decrease_uneven"``   not adjusted, below ``alpha``): the share moved the trend's way
                            from the first year to the last, but not along a line
    ``"uneven"``            the trend holds and the departure is significant, but the last
                            year's share is not on the trend's side of the first year's: it
                            rose and fell back (or fell and rose), as a share of pandemic
                            years does
    ======================  ==============================================================

    No verdict says that a share changed steadily: a non-significant departure does not show
    a steady change (a step from one year to the next can give one).

    Parameters
    ----------
    record : mapping
        A record of :func:`trend_tests`: ``p_adjusted``, ``holds_after_holm``,
        ``direction``, ``counts``, ``ns`` and ``departure`` (of :func:`trend_departure`).
    alpha : float, default 0.05
        Level of the departure's p-value.
    """
    alpha = _check_alpha(alpha)
    if record.get("p_adjusted") is None:
        return None
    if not record["holds_after_holm"] or record["direction"] not in ("increasing", "decreasing"):
        return "no_change"
    word = "increase" if record["direction"] == "increasing" else "decrease"
    dep = (record.get("departure") or {}).get("p_value")
    if dep is None or dep >= alpha:
        return word
    first = record["counts"][0] / record["ns"][0]
    last = record["counts"][-1] / record["ns"][-1]
    moved = last > first if word == "increase" else last < first
    return f"{word}_uneven" if moved else "uneven"


def trend_tests(per_year: Mapping[int, Mapping[str, dict]], alpha: float = ALPHA) -> list[dict]:
    """A Cochran–Armitage test for each share present in at least three years, with the
    departure from a linear trend, Holm's adjustment and the verdict.

    Parameters
    ----------
    per_year : mapping of int to mapping of str to dict
        Year → ``metrics.json`` ``shares`` of that year.
    alpha : float, default 0.05
        Level for ``holds_after_holm`` and for the departure in ``verdict``.

    Returns
    -------
    list of dict
        One record per share with ``n > 0`` in at least three years (years with ``n == 0``
        are left out of its test), in order of first appearance: ``metric, years, counts,
        ns``, the fields of :func:`cochran_armitage`, ``departure`` (:func:`trend_departure`),
        then ``p_adjusted``, ``adjust_method`` (``"holm"``, over all records) and
        ``holds_after_holm`` (:func:`adjust_holm`), and ``verdict`` (:func:`trend_verdict`).
        A share that cannot be tested (0 or 100 % in every year) gets no record.
    """
    years = sorted(per_year)
    keys = list(dict.fromkeys(k for y in years for k in per_year[y]))
    out = []
    for key in keys:
        ys = [y for y in years if key in per_year[y] and int(per_year[y][key].get("n") or 0) > 0]
        if len(ys) < 3:
            continue
        counts = [int(per_year[y][key]["count"]) for y in ys]
        ns = [int(per_year[y][key]["n"]) for y in ys]
        res = cochran_armitage(counts, ns, ys)
        if res["p_value"] is None:
            continue
        out.append(
            {
                "metric": key,
                "years": [int(y) for y in ys],
                "counts": counts,
                "ns": ns,
                **res,
                "departure": trend_departure(counts, ns, ys),
            }
        )
    adjust_holm(out, alpha)
    for r in out:
        r["verdict"] = trend_verdict(r, alpha)
    return out


# --- between groups ------------------------------------------------------------------------
def _random_tables(
    row_totals: np.ndarray, col_totals: np.ndarray, size: int, rng: np.random.Generator
) -> np.ndarray:
    """``size`` tables drawn uniformly from the permutations of the labels with both margins
    fixed (the multiple hypergeometric distribution), shape ``(size, r, c)``: scipy's
    ``random_table`` with Patefield's algorithm named explicitly (Patefield 1981)."""
    dist = sps.random_table(np.asarray(row_totals), np.asarray(col_totals), seed=rng)
    return dist.rvs(size=size, method="patefield").astype(np.int64)


def permutation_chi2_test(
    table, permutations: int = PERMUTATIONS, seed: int = SEED
) -> dict[str, float | int]:
    """Monte-Carlo permutation test of Pearson's X² with both margins fixed.

    Draws ``permutations`` tables with the observed row and column totals (as if the column
    labels were shuffled across the rows) and reports ``(1 + #{X²* ≥ X²}) / (permutations + 1)``,
    with the same tolerance for ties as R's ``chisq.test(simulate.p.value = TRUE)``.

    Parameters
    ----------
    table : array_like
        r×c table of counts without empty rows or columns.
    permutations : int, default 20 000
        Number of random tables.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same p-value.

    Returns
    -------
    dict
        ``statistic`` (observed X²), ``p_value``, ``permutations`` and ``seed``.
    """
    t = np.asarray(table, dtype=np.int64)
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    expected = expected_counts(t)
    observed = float(pearson_chi2(t, expected))
    rng = np.random.default_rng(seed)
    sims = pearson_chi2(_random_tables(t.sum(axis=1), t.sum(axis=0), permutations, rng), expected)
    almost_one = 1 - 64 * np.finfo(float).eps
    hits = int(np.count_nonzero(sims >= almost_one * observed))
    return {
        "statistic": observed,
        "p_value": (hits + 1) / (permutations + 1),
        "permutations": int(permutations),
        "seed": int(seed),
    }


def between_groups_test(
    table: pd.DataFrame,
    *,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> dict:
    """Are the groups alike? A test of independence on a groups × outcome table of counts.

    Rows (groups) or columns with a total of 0 are dropped first. Then: Pearson's chi-square
    (no continuity correction) when every expected count is at least 5; otherwise Fisher's
    exact test for a 2×2 table and, for larger tables, the permutation test of
    :func:`permutation_chi2_test` (fixed seed, so the same p-value on every run).

    Parameters
    ----------
    table : pandas.DataFrame
        Groups in rows; for r×2 the columns are (events, non-events), in general any
        categories. Non-negative integer counts.
    permutations : int, default 20 000
        Random tables of the permutation test.
    seed : int
        Seed of the permutation test.

    Returns
    -------
    dict
        ``test_method`` (``"pearson_chi2"``, ``"fisher_exact"``, ``"permutation_chi2"`` or
        ``None``), ``statistic`` (X²), ``df`` (for Pearson), ``p_value``, ``min_expected``,
        ``permutations`` and ``seed`` (``None`` unless the permutation test was used), and
        ``warning_code``: ``None``, ``"too_little_variation"`` (fewer than two groups or
        outcomes left: nothing tested) or ``"too_few_rows"``, when the rarer outcome (the
        smaller column total) has fewer than 10 rows or more than half the groups have fewer
        than 5 rows.
    """
    t = np.asarray(table.to_numpy(dtype=float))
    if t.ndim != 2 or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("table must be a two-dimensional table of non-negative whole counts")
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0].astype(np.int64)
    out: dict[str, Any] = {
        "test_method": None,
        "statistic": None,
        "df": None,
        "p_value": None,
        "min_expected": None,
        "permutations": None,
        "seed": None,
        "warning_code": None,
    }
    if t.shape[0] < 2 or t.shape[1] < 2:
        return out | {"warning_code": "too_little_variation"}
    expected = expected_counts(t)
    out["min_expected"] = float(expected.min())
    out["statistic"] = float(pearson_chi2(t, expected))
    if expected.min() >= MIN_EXPECTED:
        df = (t.shape[0] - 1) * (t.shape[1] - 1)
        out |= {
            "test_method": "pearson_chi2",
            "df": df,
            "p_value": float(sps.chi2.sf(out["statistic"], df)),
        }
    elif t.shape == (2, 2):
        out |= {
            "test_method": "fisher_exact",
            "p_value": float(sps.fisher_exact(t, alternative="two-sided").pvalue),
        }
    else:
        res = permutation_chi2_test(t, permutations=permutations, seed=seed)
        out |= {
            "test_method": "permutation_chi2",
            "p_value": res["p_value"],
            "permutations": res["permutations"],
            "seed": res["seed"],
        }
    if t.sum(axis=0).min() < 10 or (t.sum(axis=1) < 5).mean() > 0.5:
        out["warning_code"] = "too_few_rows"
    return out


# --- logistic regression -------------------------------------------------------------------
def _separation_direction(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A sparse direction β with (2y − 1)·Xβ ≥ 0 for every row and > 0 for some, or zeros.

    Such a β exists exactly when the data are completely or quasi-completely separated and the
    maximum-likelihood estimate does not exist (Albert and Anderson 1984). Found by a linear
    program (HiGHS) that minimises Σ|βⱼ| subject to (2y − 1)·Xβ ≥ 0 and Σ(2y − 1)·Xβ ≥ 1; it
    is infeasible when the outcomes overlap. Minimising Σ|βⱼ| keeps to the terms that do the
    separating.
    """
    a = (2 * y - 1)[:, None] * X
    p = X.shape[1]
    a_ub = np.vstack([np.hstack([-a, a]), np.hstack([-a.sum(axis=0), a.sum(axis=0)])])
    b_ub = np.r_[np.zeros(len(a)), -1.0]
    res = optimize.linprog(
        c=np.ones(2 * p), A_ub=a_ub, b_ub=b_ub, bounds=[(0, None)] * (2 * p), method="highs"
    )
    if res.status != 0:  # 2: infeasible, the outcomes overlap
        return np.zeros(p)
    beta = res.x[:p] - res.x[p:]
    return np.where(np.abs(beta) > 1e-9 * np.abs(beta).max(), beta, 0.0)


def logistic_odds_ratios(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    covariates: Sequence[str] = ("year",),
    alpha: float = ALPHA,
) -> dict:
    """Odds ratios of ``predictors`` for a 0/1 ``outcome`` by logistic regression.

    A binomial GLM with logit link (statsmodels, IRLS, scale fixed at 1) on the rows complete
    in every column used. Each covariate enters as categorical: one indicator per level
    except the first (the earliest year is the reference), so year-to-year differences in the
    share are adjusted for without assuming a linear trend. Intervals and p-values are Wald's,
    computed here from the estimate and its standard error: exp(β ± z·SE), 2·Φ(−|β/SE|).

    Warnings (codes in ``warnings``, worded by :func:`evalkit.wording.regression_warnings`)
    are given, and no number is reported for
    the terms concerned, when the data are separated (checked by a linear program; a
    ``PerfectSeparationWarning``, a failed fit or a standard error above 10 on the log-odds
    scale count too), when a predictor has no variation, or when the design is collinear. A
    warning is given when the rarer outcome has fewer than 10 rows per parameter.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per project.
    outcome : str
        Column of 0/1 (or bool).
    predictors : sequence of str
        Numeric columns (usually 0/1) whose odds ratios are reported.
    covariates : sequence of str, default ("year",)
        Columns adjusted for, as categorical.
    alpha : float, default 0.05
        Two-sided level of the intervals.

    Returns
    -------
    dict
        ``n``, ``events``, ``n_excluded_missing``, ``n_rows`` (the rows given: ``n`` plus
        ``n_excluded_missing``), ``parameters`` (excluding the intercept),
        ``events_per_parameter``, ``terms``, ``formula`` (as text), ``reference_levels``,
        ``covariate_coding`` (``"categorical"``), ``method`` (``"logistic_wald"``),
        ``ci_method`` (``"wald"``), ``predictors`` (one dict per predictor: ``name,
        odds_ratio, ci_low, ci_high, p_value, log_odds, se, estimable``), ``warnings``: one
        dict per warning, ``code`` (``"no_variation"`` with ``term`` and ``n``,
        ``"few_events_per_parameter"`` with ``events`` and ``parameters``, ``"no_events"``,
        ``"collinear"``, ``"fit_failed"`` with ``error``, ``"separation"`` with ``terms``).
    """
    # the two modules it needs, not statsmodels.api (which imports all of statsmodels: 0,5 s
    # in every kernel that runs a trends document)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    alpha = _check_alpha(alpha)
    predictors, covariates = list(predictors), list(covariates)
    data = df[[outcome, *predictors, *covariates]].dropna()
    y = data[outcome].astype(float).to_numpy()
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{outcome} must be 0/1")
    n, events = len(y), int(y.sum())
    warn: list[dict[str, Any]] = []

    constant = [p for p in predictors if data[p].nunique() < 2]
    for p in constant:
        warn.append({"code": "no_variation", "term": p, "n": int(n)})
    used = [p for p in predictors if p not in constant]
    parts = [pd.DataFrame({"const": np.ones(n)}, index=data.index), data[used].astype(float)]
    reference_levels: dict[str, Any] = {}
    for c in covariates:
        levels = sorted(data[c].unique())
        if not levels:
            continue
        reference_levels[c] = levels[0].item() if hasattr(levels[0], "item") else levels[0]
        dummies = pd.get_dummies(
            pd.Categorical(data[c], categories=levels), prefix=c, prefix_sep="=", dtype=float
        ).iloc[:, 1:]
        parts.append(dummies.set_axis(data.index))
    design = pd.concat(parts, axis=1)
    X = design.to_numpy(dtype=float)
    terms = list(design.columns)
    k = len(terms) - 1
    rarer = min(events, n - events)
    epv = rarer / k if k else float("inf")
    if k and epv < MIN_EVENTS_PER_PARAMETER:
        warn.append(
            {"code": "few_events_per_parameter", "events": int(rarer), "parameters": int(k)}
        )
    formula = f"{outcome} ~ " + " + ".join(used + [f"C({c})" for c in reference_levels])
    result: dict[str, Any] = {
        "n": int(n),
        "events": events,
        "n_excluded_missing": int(len(df) - n),
        "n_rows": int(len(df)),
        "parameters": int(k),
        "events_per_parameter": _json_float(epv),
        "terms": terms,
        "formula": formula,
        "reference_levels": reference_levels,
        "covariate_coding": "categorical",
        "method": "logistic_wald",
        "ci_method": "wald",
        "alpha": alpha,
    }

    def rows(estimates: dict[str, tuple[float, float]] | None, unreliable: set[str]) -> list:
        z = sps.norm.ppf(1 - alpha / 2)
        out = []
        for p in predictors:
            if estimates is None or p not in estimates or p in unreliable:
                out.append(
                    {
                        "name": p,
                        "odds_ratio": None,
                        "ci_low": None,
                        "ci_high": None,
                        "p_value": None,
                        "log_odds": None,
                        "se": None,
                        "estimable": False,
                    }
                )
                continue
            b, se = estimates[p]
            with np.errstate(over="ignore"):
                out.append(
                    {
                        "name": p,
                        "odds_ratio": _json_float(np.exp(b)),
                        "ci_low": _json_float(np.exp(b - z * se)),
                        "ci_high": _json_float(np.exp(b + z * se)),
                        "p_value": _json_float(2 * sps.norm.sf(abs(b / se))),
                        "log_odds": _json_float(b),
                        "se": _json_float(se),
                        "estimable": True,
                    }
                )
        return out

    if n == 0 or rarer == 0:
        warn.append({"code": "no_events"})
        return result | {"predictors": rows(None, set()), "warnings": warn}
    if np.linalg.matrix_rank(X) < X.shape[1]:
        warn.append({"code": "collinear"})
        return result | {"predictors": rows(None, set()), "warnings": warn}

    separating = _separation_direction(X, y)
    unreliable = {t for t, b in zip(terms, separating, strict=True) if b != 0}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = GLM(y, X, family=families.Binomial(link=families.links.Logit())).fit(
                method="IRLS", maxiter=100, tol=1e-8, scale=1.0, cov_type="nonrobust"
            )
            params, bse = np.asarray(fit.params), np.asarray(fit.bse)
        except (np.linalg.LinAlgError, ValueError, OverflowError) as exc:
            warn.append({"code": "fit_failed", "error": type(exc).__name__})
            return result | {"predictors": rows(None, set()), "warnings": warn}
    flagged_by_fit = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    huge = {t for t, s in zip(terms, bse, strict=True) if not np.isfinite(s) or s > MAX_LOG_ODDS_SE}
    unreliable |= huge
    if unreliable or flagged_by_fit:
        named = sorted(unreliable - {"const"})
        warn.append({"code": "separation", "terms": named})
    estimates = {t: (float(b), float(s)) for t, b, s in zip(terms, params, bse, strict=True)}
    result["separated_terms"] = sorted(unreliable)
    return result | {"predictors": rows(estimates, unreliable), "warnings": warn}


# --- amounts -------------------------------------------------------------------------------
def sum_is_exact(values: np.ndarray) -> bool:
    """Whether numpy sums any of ``values`` (whole numbers, no NaN) exactly: every partial
    sum stays within int64 (for integers) or within 2**53 (for floats, which hold every
    whole number up to it)."""
    if not values.size:
        return True
    limit = 2**53 if values.dtype.kind == "f" else np.iinfo(np.int64).max
    largest = max(abs(int(values.min())), abs(int(values.max())))
    return largest * values.size <= limit


def exact_total(values: Any) -> int:
    """The exact sum of whole amounts (NaN left out) as a Python int.

    numpy's sum when it is exact (:func:`sum_is_exact`: always, for amounts within their
    plausible range), otherwise a sum of Python integers, so a total never wraps around
    (int64) or rounds (float64).
    """
    v = np.asarray(values).ravel()
    if v.dtype.kind == "f":
        v = v[~np.isnan(v)]
    elif v.dtype.kind not in "iu":
        v = v.astype(float)
        v = v[~np.isnan(v)]
    if sum_is_exact(v):
        return int(v.sum())
    return sum(int(x) for x in v.tolist())


def amount_distribution(values: Any) -> dict:
    """Total, range, median and quartiles of one set of amounts.

    Quartiles by linear interpolation between order statistics (numpy ``method="linear"``,
    Hyndman–Fan type 7). Missing values (NaN) are left out and counted.

    Parameters
    ----------
    values : array_like
        Amounts (one per project or application), NaN for missing.

    Returns
    -------
    dict
        ``n``, ``missing``, ``total`` (``int``, 0 when nothing is left), and ``min``, ``max``
        (``int``), ``q1``, ``median``, ``q3`` (``float``), each ``None`` when ``n == 0``.
    """
    v = np.asarray(values, dtype=float).ravel()
    ok = v[~np.isnan(v)]
    out: dict[str, Any] = {
        "n": int(ok.size),
        "missing": int(v.size - ok.size),
        "total": exact_total(ok),
        "min": None,
        "max": None,
        "q1": None,
        "median": None,
        "q3": None,
    }
    if ok.size:
        q1, med, q3 = (float(q) for q in np.quantile(ok, [0.25, 0.5, 0.75], method="linear"))
        out |= {"min": int(ok.min()), "max": int(ok.max()), "q1": q1, "median": med, "q3": q3}
    return out


def amount_summary(values_by_year: Mapping[int, Any]) -> dict:
    """Median and quartiles per year and a rank test between the years.

    Quartiles as :func:`amount_distribution` computes them. The test: Mann–Whitney U (two-sided) for two years, exact when both
    years have fewer than 50 values and there are no ties, otherwise the normal approximation
    with tie and continuity correction; Kruskal–Wallis (chi-square approximation, tie
    correction) for three years or more. Missing values (NaN) are left out and counted.

    Parameters
    ----------
    values_by_year : mapping of int to array_like
        Year → amounts (one per project).

    Returns
    -------
    dict
        ``by_year`` (year → ``n, missing, q1, median, q3``), ``quantile_method``
        (``"type7_linear"``) and ``test`` (``method, variant, statistic, p_value``).
    """
    by_year: dict[int, dict] = {}
    groups: list[np.ndarray] = []
    for year, raw in sorted(values_by_year.items()):
        v = np.asarray(raw, dtype=float).ravel()
        ok = v[~np.isnan(v)]
        if ok.size:
            groups.append(ok)
        d = amount_distribution(v)
        by_year[int(year)] = {k: d[k] for k in ("n", "missing", "q1", "median", "q3")}
    test: dict[str, Any] = {
        "method": None,
        "variant": None,
        "statistic": None,
        "p_value": None,
    }
    pooled = np.concatenate(groups) if groups else np.array([])
    if len(groups) >= 2 and np.unique(pooled).size > 1:
        if len(groups) == 2:
            a, b = groups
            ties = np.unique(pooled).size < pooled.size
            exact = max(a.size, b.size) < MANN_WHITNEY_EXACT_BELOW and not ties
            variant = "exact" if exact else "asymptotic"
            res = sps.mannwhitneyu(
                a, b, alternative="two-sided", method=variant, use_continuity=True
            )
            test = {
                "method": "mann_whitney",
                "variant": variant,
                "statistic": float(res.statistic),
                "p_value": float(res.pvalue),
            }
        else:
            res = sps.kruskal(*groups)
            test = {
                "method": "kruskal_wallis",
                "variant": "chi2_approximation",
                "statistic": float(res.statistic),
                "p_value": float(res.pvalue),
            }
    return {"by_year": by_year, "quantile_method": "type7_linear", "test": test}


def applied_vs_granted(applied: Any, granted: Any) -> dict:
    """How the granted amount relates to the amount applied for, over granted applications.

    Pairs with a missing amount, or with ``applied <= 0``, are left out and counted. The
    ratio granted/applied is summarised by quartiles (type 7); Spearman's rank correlation
    (scipy ``spearmanr``, two-sided, t approximation) says whether larger applications got
    larger grants.

    Parameters
    ----------
    applied, granted : array_like
        Amounts in kroner, one pair per granted application.

    Returns
    -------
    dict
        ``n``, ``missing``, ``applied_total_nok``, ``granted_total_nok``, ``granted_share``
        (granted total / applied total), ``n_full`` (granted the whole amount applied for),
        ``ratio`` (``q1, median, q3`` of granted/applied), ``quantile_method`` and ``test``
        (``method, statistic, p_value``; Spearman's rho and its p).
    """
    a = np.asarray(applied, dtype=float).ravel()
    g = np.asarray(granted, dtype=float).ravel()
    if a.shape != g.shape:
        raise ValueError("applied and granted must have the same length")
    ok = ~np.isnan(a) & ~np.isnan(g) & (a > 0)
    a, g = a[ok], g[ok]
    ratio = {"q1": None, "median": None, "q3": None}
    if a.size:
        q1, med, q3 = np.quantile(g / a, [0.25, 0.5, 0.75], method="linear")
        ratio = {"q1": float(q1), "median": float(med), "q3": float(q3)}
    test: dict[str, Any] = {"method": None, "statistic": None, "p_value": None}
    if a.size >= 3 and np.unique(a).size > 1 and np.unique(g).size > 1:
        res = sps.spearmanr(a, g, alternative="two-sided")
        test = {
            "method": "spearman",
            "statistic": _json_float(res.statistic),
            "p_value": _json_float(res.pvalue),
        }
    return {
        "n": int(a.size),
        "missing": int(ok.size - a.size),
        "applied_total_nok": exact_total(a),
        "granted_total_nok": exact_total(g),
        "granted_share": _json_float(g.sum() / a.sum()) if a.size else None,
        "n_full": int(np.count_nonzero(g >= a)),
        "ratio": ratio,
        "quantile_method": "type7_linear",
        "test": test,
    }
