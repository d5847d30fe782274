"""The Norwegian wording of the statistics (evalkit.wording) and the split it rests on:
evalkit.stats returns numbers and method keys only, the names and sentences live here.
Expected names and sentences are written out by hand."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from evalkit import stats, wording

NBSP = "\u00a0"
NORWEGIAN = re.compile(r"[æøåÆØÅ]|\bingen\b|\bfor få\b|\bprosjekt", re.IGNORECASE)


def _stats_results() -> list[dict]:
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "reached": [1] * 4 + [0] * 6 + [1] * 3 + [0] * 7,
            "exposed": [1.0] * 10 + [0.0] * 10,
            "flat": 1.0,
        }
    )
    return [
        stats.two_share_test(30, 100, 45, 100),
        stats.two_share_test(1, 20, 6, 20),
        stats.two_share_test(0, 20, 0, 10),
        *stats.compare_shares(
            {"a": {"count": 3, "n": 10}}, {"a": {"count": 6, "n": 10}}, 2023, 2022
        ),
        stats.cochran_armitage([1, 2, 3], [10, 10, 10], [2020, 2021, 2022]),
        stats.between_groups_test(pd.DataFrame({"yes": [1, 4, 0], "no": [5, 2, 6]})),
        stats.between_groups_test(pd.DataFrame({"yes": [0, 0, 0], "no": [3, 4, 0]})),
        stats.logistic_odds_ratios(df, "reached", ["exposed", "flat"], covariates=()),
        stats.amount_summary({2021: rng.integers(1, 9, 5), 2022: rng.integers(1, 9, 6)}),
        stats.amount_summary({2022: [1, 2]}),
        stats.applied_vs_granted([100, 200, 400], [100, 100, 300]),
    ]


def test_statistics_results_hold_no_norwegian_text():
    for res in _stats_results():
        text = json.dumps(res, ensure_ascii=False, allow_nan=False, default=str)
        assert not NORWEGIAN.search(text), text
        assert "test" not in res or isinstance(res["test"], dict)
        assert "warning" not in res
        if isinstance(res.get("test"), dict):
            assert "name" not in res["test"]


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("pearson_chi2", "Pearsons kjikvadrattest"),
        ("fisher_exact", "Fishers eksakte test"),
        ("cochran_armitage", "Cochran–Armitage-test for trend"),
        ("mann_whitney", "Mann–Whitney U-test"),
        ("kruskal_wallis", "Kruskal–Wallis-test"),
        ("spearman", "Spearmans rangkorrelasjon"),
        (None, "ingen test"),
    ],
)
def test_method_names(key, name):
    assert wording.method_name(key) == name


def test_permutation_test_is_named_with_its_tables():
    assert wording.method_name("permutation_chi2", permutations=20_000) == (
        f"Permutasjonstest (20{NBSP}000 tabeller)"
    )
    assert wording.method_name("permutation_chi2", permutations=999) == (
        "Permutasjonstest (999 tabeller)"
    )


def test_unknown_method_key_is_an_error_naming_it():
    with pytest.raises(KeyError, match="wald_typo"):
        wording.method_name("wald_typo")


def test_named_test_puts_the_name_before_the_key_and_words_the_warning():
    res = {"key": "k", "test_method": "fisher_exact", "p_value": 0.5, "warning_code": None}
    assert list(wording.named_test(res).items()) == [
        ("key", "k"),
        ("test", "Fishers eksakte test"),
        ("test_method", "fisher_exact"),
        ("p_value", 0.5),
        ("warning", None),
    ]
    few = {"test_method": None, "warning_code": "too_few_rows"}
    assert wording.named_test(few) == {
        "test": "ingen test",
        "test_method": None,
        "warning": "For få prosjekter per gruppe til å trekke noen konklusjon.",
    }
    worded = wording.named_test(few, unit_nb="søknader", group_nb="fylke")
    assert worded["warning"] == "For få søknader per fylke til å trekke noen konklusjon."
    flat = wording.named_test({"test_method": None, "warning_code": "too_little_variation"})
    assert flat["warning"] == "For lite variasjon til å teste forskjeller mellom gruppene."


def test_named_test_names_the_permutation_test_by_its_own_count():
    res = {"test_method": "permutation_chi2", "p_value": 0.1, "permutations": 500}
    assert wording.named_test(res)["test"] == "Permutasjonstest (500 tabeller)"


def test_named_summary_puts_the_name_first_in_the_test():
    res = {"n": 3, "test": {"method": "spearman", "statistic": 0.5, "p_value": 0.6}}
    named = wording.named_summary(res)
    assert list(named["test"]) == ["name", "method", "statistic", "p_value"]
    assert named["test"]["name"] == "Spearmans rangkorrelasjon"
    assert res["test"] == {"method": "spearman", "statistic": 0.5, "p_value": 0.6}  # untouched


def test_regression_warnings_in_norwegian():
    res = {
        "warnings": [
            {"code": "no_variation", "term": "flat", "n": 20},
            {"code": "few_events_per_parameter", "events": 7, "parameters": 1},
            {"code": "separation", "terms": ["exposed", "year=2022"]},
            {"code": "separation", "terms": []},
            {"code": "fit_failed", "error": "LinAlgError"},
            {"code": "collinear"},
            {"code": "no_events"},
        ]
    }
    assert wording.regression_warnings(res) == [
        "flat har ingen variasjon blant de 20 prosjektene og er utelatt.",
        "Få utfall per parameter (7 i den minste utfallsgruppen for 1 parameter, under 10 per "
        "parameter); tolk oddsforholdene med forsiktighet.",
        "Separasjon: forklaringsvariablene skiller (nesten) perfekt mellom de to utfallene, så "
        "oddsforholdet kan ikke anslås pålitelig (exposed, året 2022).",
        "Separasjon: forklaringsvariablene skiller (nesten) perfekt mellom de to utfallene, så "
        "oddsforholdet kan ikke anslås pålitelig.",
        "Modellen kunne ikke estimeres (LinAlgError).",
        "Forklaringsvariablene er lineært avhengige av hverandre (eller av året); modellen kan "
        "ikke estimeres.",
        "Alle (eller ingen) har utfallet; modellen kan ikke estimeres.",
    ]
    assert wording.regression_warnings({"warnings": []}) == []


def test_every_method_key_stats_returns_has_a_norwegian_name():
    for res in _stats_results():
        for key in (res.get("test_method"), (res.get("test") or {}).get("method")):
            assert wording.method_name(key)
