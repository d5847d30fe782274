"""Statistics, every method pinned by name (never a library default).

* a share: Wilson score interval, no continuity correction;
* a difference of two shares: Newcombe's hybrid score interval (method 10 of Newcombe 1998);
* two shares: Pearson's chi-square test without continuity correction when every expected
  count is at least 5, otherwise Fisher's exact test (two-sided);
* adjustment: Holm's step-down method over each document's family of comparisons;
* effect size: Cohen's h;
* trend over years: Cochran–Armitage test with the years as scores;
* between groups (counties, categories): Pearson's chi-square when every expected count is at
  least 5, else a Monte-Carlo permutation test of the same statistic with fixed margins;
* kinds of projects: logistic regression (statsmodels GLM, binomial, logit link) with Wald
  intervals for the odds ratios;
* amounts: quartiles by linear interpolation (type 7), Mann–Whitney U or Kruskal–Wallis.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

ALPHA = 0.05
PERMUTATIONS = 20_000
SEED = 20_240_611

METHODS: dict[str, dict[str, str]] = {
    "wilson": {
        "name_nb": "Wilsons scoreintervall",
        "description_nb": "Wilson-intervallet holder seg innenfor 0–100 % og har god dekning også "
        "for små antall og andeler nær 0 eller 100 %.",
        "reference": "Wilson EB (1927). JASA 22:209–212; Newcombe RG (1998). Stat Med 17:857–872.",
    },
    "newcombe": {
        "name_nb": "Newcombes hybride scoreintervall",
        "description_nb": "Intervall for forskjellen mellom to andeler bygd på Wilson-intervallene "
        "for hver andel (metode 10 hos Newcombe).",
        "reference": "Newcombe RG (1998). Stat Med 17:873–890.",
    },
    "pearson_chi2": {
        "name_nb": "Pearsons kjikvadrattest",
        "description_nb": "Brukes når alle forventede antall er minst 5; uten kontinuitetskorreksjon.",
        "reference": "Pearson K (1900); Agresti A (2013). Categorical Data Analysis, 3. utg.",
    },
    "fisher_exact": {
        "name_nb": "Fishers eksakte test",
        "description_nb": "Brukes for 2×2-tabeller når et forventet antall er under 5 (tosidig).",
        "reference": "Fisher RA (1935). J R Stat Soc 98:39–82.",
    },
    "permutation_chi2": {
        "name_nb": "Permutasjonstest av kjikvadratobservatoren",
        "description_nb": f"Brukes for større tabeller med små forventede antall: {PERMUTATIONS} "
        "tilfeldige tabeller med de samme margene, med fast frø (samme svar hver gang).",
        "reference": "Agresti A (2013), kap. 16.",
    },
    "holm": {
        "name_nb": "Holms metode",
        "description_nb": "Justerer p-verdiene for at mange sammenligninger gjøres samtidig.",
        "reference": "Holm S (1979). Scand J Stat 6:65–70.",
    },
    "cohens_h": {
        "name_nb": "Cohens h",
        "description_nb": "Effektstørrelse for to andeler: 2·arcsin√p₁ − 2·arcsin√p₂ "
        "(0,2 liten, 0,5 middels, 0,8 stor).",
        "reference": "Cohen J (1988). Statistical Power Analysis, 2. utg.",
    },
    "cochran_armitage": {
        "name_nb": "Cochran–Armitage-test for trend",
        "description_nb": "Tester om en andel øker eller minker lineært over årene, med årstallene som skårer.",
        "reference": "Cochran WG (1954). Biometrics 10:417–451; Armitage P (1955). Biometrics 11:375–386.",
    },
    "logistic_wald": {
        "name_nb": "Logistisk regresjon",
        "description_nb": "Oddsforhold med 95 % Wald-intervall; år som kategorisk kovariat.",
        "reference": "Hosmer DW, Lemeshow S (2013). Applied Logistic Regression, 3. utg.",
    },
    "mann_whitney": {
        "name_nb": "Mann–Whitney U-test",
        "description_nb": "Rangtest for forskjell i fordeling mellom to år (tosidig).",
        "reference": "Mann HB, Whitney DR (1947). Ann Math Stat 18:50–60.",
    },
    "kruskal_wallis": {
        "name_nb": "Kruskal–Wallis-test",
        "description_nb": "Rangtest for forskjell i fordeling mellom flere år.",
        "reference": "Kruskal WH, Wallis WA (1952). JASA 47:583–621.",
    },
}


def _f(x) -> float | None:
    """A JSON-ready float (None for NaN)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def wilson_ci(count, n, alpha: float = ALPHA):
    """Wilson score interval without continuity correction (NaN where n == 0)."""
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    safe = np.where(n > 0, n, 1)
    low, high = proportion_confint(count, safe, alpha=alpha, method="wilson")
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def share_with_ci(count: int, n: int, missing: int = 0, alpha: float = ALPHA) -> dict:
    """A share with its Wilson interval, as metrics.json holds it."""
    if n == 0:
        return {
            "count": int(count),
            "n": 0,
            "missing": int(missing),
            "share": None,
            "ci_low": None,
            "ci_high": None,
            "ci_method": "wilson",
        }
    low, high = wilson_ci(count, n, alpha)
    return {
        "count": int(count),
        "n": int(n),
        "missing": int(missing),
        "share": count / n,
        "ci_low": float(low),
        "ci_high": float(high),
        "ci_method": "wilson",
    }


def newcombe_diff_ci(
    x1: int, n1: int, x2: int, n2: int, alpha: float = ALPHA
) -> tuple[float, float, float]:
    """Difference p1 − p2 with Newcombe's hybrid score interval (method 10), no correction."""
    low, high = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha, correction=False
    )
    return x1 / n1 - x2 / n2, float(low), float(high)


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h = 2·asin√p1 − 2·asin√p2."""
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


def two_share_test(x1: int, n1: int, x2: int, n2: int) -> dict:
    """Pearson chi-square (no correction) when every expected count ≥ 5, else Fisher exact."""
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    if (table.sum(0) == 0).any():  # nobody (or everybody) in both years: nothing to test
        return {"test": "ingen test (ingen variasjon)", "method": None, "p_value": 1.0}
    if (expected >= 5).all():
        chi2, p, _, _ = sps.chi2_contingency(table, correction=False)
        return {
            "test": "Pearsons kjikvadrattest",
            "method": "pearson_chi2",
            "p_value": float(p),
            "statistic": float(chi2),
        }
    _, p = sps.fisher_exact(table, alternative="two-sided")
    return {"test": "Fishers eksakte test", "method": "fisher_exact", "p_value": float(p)}


def holm(p_values) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN/None stay NaN and are not in the family."""
    p = np.array([np.nan if v is None else v for v in p_values], dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def compare_shares(shares_a: dict, shares_b: dict, year: int, other_year: int) -> list[dict]:
    """Every share present in both years (n > 0 in both), Holm-adjusted over the call."""
    records = []
    for key, a in shares_a.items():
        b = shares_b.get(key)
        if not b or not a["n"] or not b["n"]:
            continue
        diff, low, high = newcombe_diff_ci(a["count"], a["n"], b["count"], b["n"])
        test = two_share_test(a["count"], a["n"], b["count"], b["n"])
        records.append(
            {
                "metric": key,
                "year": int(year),
                "other_year": int(other_year),
                "count": a["count"],
                "n": a["n"],
                "share": a["share"],
                "ci_low": a["ci_low"],
                "ci_high": a["ci_high"],
                "other_count": b["count"],
                "other_n": b["n"],
                "other_share": b["share"],
                "other_ci_low": b["ci_low"],
                "other_ci_high": b["ci_high"],
                "diff": diff,
                "diff_ci_low": low,
                "diff_ci_high": high,
                "ci_method": "newcombe",
                "test": test["test"],
                "test_method": test["method"],
                "p_value": test["p_value"],
                "effect_size_h": cohens_h(a["share"], b["share"]),
            }
        )
    adjusted = holm([r["p_value"] for r in records])
    for r, p in zip(records, adjusted, strict=True):
        r["p_adjusted"] = _f(p)
        r["adjust_method"] = "holm"
    return records


def cochran_armitage(counts, ns, scores) -> dict:
    """Cochran–Armitage test for a linear trend in proportions (two-sided, normal
    approximation), without the (N−1)/N factor of the linear-by-linear test.

    T = Σ tᵢ(xᵢ − nᵢ p̄);  Var T = p̄(1 − p̄)[Σ nᵢtᵢ² − (Σ nᵢtᵢ)²/N];  z = T/√Var T.
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(ns, dtype=float)
    t = np.asarray(scores, dtype=float)
    N = n.sum()
    pbar = x.sum() / N
    T = float((t * (x - n * pbar)).sum())
    var = pbar * (1 - pbar) * ((n * t**2).sum() - (n * t).sum() ** 2 / N)
    if var <= 0:
        return {"test": "Cochran–Armitage", "statistic": None, "p_value": None, "direction": None}
    z = T / math.sqrt(var)
    return {
        "test": "Cochran–Armitage",
        "statistic": z,
        "p_value": float(2 * sps.norm.sf(abs(z))),
        "direction": "opp" if z > 0 else ("ned" if z < 0 else "flat"),
    }


def trend_tests(per_year: dict[int, dict]) -> list[dict]:
    """One Cochran–Armitage record per share present (n > 0) in at least 3 years; Holm over all."""
    years = sorted(per_year)
    keys = list(dict.fromkeys(k for y in years for k in per_year[y]))
    out = []
    for key in keys:
        ys = [y for y in years if key in per_year[y] and per_year[y][key]["n"]]
        if len(ys) < 3:
            continue
        counts = [per_year[y][key]["count"] for y in ys]
        ns = [per_year[y][key]["n"] for y in ys]
        res = cochran_armitage(counts, ns, ys)
        if res["p_value"] is None:
            continue
        out.append({"metric": key, "years": ys, **res})
    adjusted = holm([r["p_value"] for r in out])
    for r, p in zip(out, adjusted, strict=True):
        r["p_adjusted"] = _f(p)
        r["adjust_method"] = "holm"
    return out


def _chi2_stat(table: np.ndarray) -> float:
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.nansum(np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)))


def between_groups_test(
    table: pd.DataFrame, *, permutations: int = PERMUTATIONS, seed: int = SEED
) -> dict:
    """Are the groups (rows) alike? Pearson chi-square when every expected count ≥ 5; Fisher
    for 2×2; otherwise a Monte-Carlo permutation test of the chi-square statistic with both
    margins fixed (deterministic seed)."""
    t = table.to_numpy(dtype=float)
    t = t[t.sum(1) > 0][:, t.sum(0) > 0]
    warning = None
    if t.shape[0] < 2 or t.shape[1] < 2:
        return {
            "test": "ingen test",
            "statistic": None,
            "p_value": None,
            "min_expected": None,
            "warning": "For lite variasjon til å teste forskjeller mellom gruppene.",
        }
    expected = t.sum(1, keepdims=True) * t.sum(0, keepdims=True) / t.sum()
    stat = _chi2_stat(t)
    if (expected >= 5).all():
        p = float(sps.chi2.sf(stat, (t.shape[0] - 1) * (t.shape[1] - 1)))
        name = "Pearsons kjikvadrattest"
    elif t.shape == (2, 2):
        p = float(sps.fisher_exact(t.astype(int))[1])
        name = "Fishers eksakte test"
    else:
        rng = np.random.default_rng(seed)
        rows = np.repeat(np.arange(t.shape[0]), t.sum(1).astype(int))
        cols = np.repeat(np.arange(t.shape[1]), t.sum(0).astype(int))
        # every permutation at once: permuted column labels against fixed row labels give
        # tables with both margins fixed; counted with one bincount
        perms = rng.permuted(np.broadcast_to(cols, (permutations, cols.size)), axis=1)
        cells = t.size
        flat = (
            np.arange(permutations)[:, None] * cells + rows[None, :] * t.shape[1] + perms
        ).ravel()
        tables = np.bincount(flat, minlength=permutations * cells).reshape(permutations, *t.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            stats_ = np.where(expected > 0, (tables - expected) ** 2 / expected, 0.0).sum(
                axis=(1, 2)
            )
        hits = int((stats_ >= stat - 1e-9).sum())
        p = (hits + 1) / (permutations + 1)
        name = f"Permutasjonstest ({permutations} permutasjoner)"
    events = t[:, 0].sum() if t.shape[1] == 2 else t.sum()
    small = (t.sum(1) < 5).mean()
    if events < 10 or small > 0.5:
        warning = "For få prosjekter per gruppe til å trekke noen konklusjon om forskjeller."
    return {
        "test": name,
        "statistic": stat,
        "p_value": p,
        "min_expected": float(expected.min()),
        "warning": warning,
    }


def logistic_odds_ratios(
    df: pd.DataFrame, outcome: str, predictors: list[str], covariates=("year",)
) -> dict:
    """Odds ratios of ``predictors`` for ``outcome`` (0/1) by logistic regression, year as a
    categorical covariate; 95 % Wald intervals. Warns on separation or few events."""
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    terms = list(predictors) + [f"C({c})" for c in covariates if df[c].nunique() > 1]
    formula = f"{outcome} ~ " + " + ".join(terms)
    warn: list[str] = []
    n, events = len(df), int(df[outcome].sum())
    n_params = 1 + len(predictors) + sum(df[c].nunique() - 1 for c in covariates)
    if min(events, n - events) < 10 * n_params:
        warn.append(
            f"Få utfall per parameter ({min(events, n - events)} for {n_params} parametere); "
            "tolk oddsforholdene med forsiktighet."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = smf.glm(
                formula, data=df, family=__import__("statsmodels.api").api.families.Binomial()
            ).fit()
        except Exception as exc:  # perfect separation raises in some versions
            return {
                "n": n,
                "events": events,
                "predictors": [],
                "ci_method": "wald",
                "warnings": warn
                + [f"Modellen kunne ikke estimeres ({type(exc).__name__}): trolig separasjon."],
            }
    if (
        any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
        or (fit.bse.abs() > 50).any()
    ):
        warn.append(
            "Separasjon: en forklaringsvariabel skiller (nesten) perfekt mellom utfallene; "
            "oddsforholdet er ikke pålitelig."
        )
    ci = fit.conf_int(alpha=ALPHA)
    with np.errstate(over="ignore"):  # a separated predictor's bound is infinite, not an error
        rows = [
            {
                "name": p,
                "odds_ratio": float(np.exp(fit.params[p])),
                "ci_low": float(np.exp(ci.loc[p, 0])),
                "ci_high": float(np.exp(ci.loc[p, 1])),
                "p_value": float(fit.pvalues[p]),
            }
            for p in predictors
        ]
    return {
        "n": n,
        "events": events,
        "predictors": rows,
        "ci_method": "wald",
        "formula": formula,
        "warnings": warn,
    }


def amount_summary(values_by_year: dict[int, np.ndarray]) -> dict:
    """Median and quartiles (type 7) per year and a rank test between years."""
    by_year = {}
    for y, v in sorted(values_by_year.items()):
        v = np.asarray(v, dtype=float)
        q1, med, q3 = np.percentile(v, [25, 50, 75], method="linear") if v.size else (np.nan,) * 3
        by_year[int(y)] = {"n": int(v.size), "q1": _f(q1), "median": _f(med), "q3": _f(q3)}
    groups = [np.asarray(v, dtype=float) for _, v in sorted(values_by_year.items()) if len(v)]
    if len(groups) == 2:
        res = sps.mannwhitneyu(groups[0], groups[1], alternative="two-sided", method="auto")
        test = {
            "name": "Mann–Whitney U-test",
            "method": "mann_whitney",
            "statistic": float(res.statistic),
            "p_value": float(res.pvalue),
        }
    elif len(groups) > 2:
        res = sps.kruskal(*groups)
        test = {
            "name": "Kruskal–Wallis-test",
            "method": "kruskal_wallis",
            "statistic": float(res.statistic),
            "p_value": float(res.pvalue),
        }
    else:
        test = {"name": "ingen test", "method": None, "statistic": None, "p_value": None}
    return {"by_year": by_year, "quantile_method": "type7_linear", "test": test}
