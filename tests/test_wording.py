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


# --- issue 20: the words in nb, nn and en; metrics.json in bokmål whatever the language ---------
from evalkit import metrics  # noqa: E402
from evalkit.config import load_scheme  # noqa: E402
from evalkit.i18n import language  # noqa: E402


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_metrics_json_holds_the_bokmal_names_and_warnings_in_every_language(lang):
    with language(lang):
        fisher = wording.named_test({"test_method": "fisher_exact", "warning_code": None})
        perm = wording.named_test({"test_method": "permutation_chi2", "permutations": 20_000})
        few = wording.named_test(
            {"test_method": None, "warning_code": "too_few_rows"}, unit="application",
            group="county",
        )  # fmt: skip
        summary = wording.named_summary({"test": {"method": "spearman", "p_value": 0.5}})
    assert fisher["test"] == "Fishers eksakte test"
    assert perm["test"] == f"Permutasjonstest (20{NBSP}000 tabeller)"
    assert few == {
        "test": "ingen test",
        "test_method": None,
        "warning": "For få søknader per fylke til å trekke noen konklusjon.",
    }
    assert summary["test"]["name"] == "Spearmans rangkorrelasjon"


def test_the_group_tests_of_metrics_json_are_worded_in_bokmal_in_an_english_build():
    """metrics.group_tests words its warnings in bokmål also when the document is English
    (before, the unit's noun came in the current language: «For få applications per fylke»)."""
    scheme = load_scheme("samhandling")
    tidy = pd.DataFrame(
        {
            "county_code": pd.array(["03", "03", "11", "11"], dtype="string"),
            "category": pd.array(["annet", "jordmor", "annet", "jordmor"], dtype="string"),
            "granted": pd.array([True, False, True, False], dtype="boolean"),
        }
    )
    with language("en"):
        tests = {g["key"]: (g["test"], g["warning"]) for g in metrics.group_tests(tidy, scheme)}
    assert tests == {
        "granted_by_county": (
            "Fishers eksakte test", "For få søknader per fylke til å trekke noen konklusjon."
        ),
        "granted_by_category": (
            "Fishers eksakte test", "For få søknader per kategori til å trekke noen konklusjon."
        ),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("nn", ["Fishers eksakte test", f"Permutasjonstest (20{NBSP}000 tabellar)",
                "Spearmans rangkorrelasjon", "ingen test", "Kruskal–Wallis-test"]),
        ("en", ["Fisher's exact test", "Permutation test (20,000 tables)",
                "Spearman's rank correlation", "no test", "Kruskal–Wallis test"]),
    ],
)  # fmt: skip
def test_a_document_shows_the_test_name_in_its_language_from_the_method_key(lang, names):
    # the records as metrics.json holds them: with the bokmål name in "test"
    fisher = wording.named_test({"key": "k", "test_method": "fisher_exact", "p_value": 0.5})
    perm = wording.named_test({"test_method": "permutation_chi2", "permutations": 20_000})
    applied = wording.named_summary({"n": 3, "test": {"method": "spearman", "p_value": 0.6}})
    untested = wording.named_test({"test_method": None})
    amounts = wording.named_summary({"test": {"method": "kruskal_wallis", "p_value": 0.1}})
    with language(lang):
        shown = [
            wording.test_name(fisher),
            wording.test_name(perm),
            wording.test_name(applied),  # a summary: its test
            wording.test_name(untested),
            wording.test_name(amounts["test"]),  # the test of a summary
        ]
    assert shown == names
    with pytest.raises(KeyError, match="names no method"):
        wording.test_name({"p_value": 0.5})


@pytest.mark.parametrize("code", ["too_little_variation", "too_few_rows"])
@pytest.mark.parametrize(("unit", "group"), [("project", "group"), ("application", "category")])
def test_the_warning_code_is_read_back_from_the_bokmal_sentence(code, unit, group):
    sentence = wording.named_test({"warning_code": code}, unit=unit, group=group)["warning"]
    assert wording.group_warning_code(sentence) == code


def test_a_text_that_is_no_group_warning_has_no_code():
    assert wording.group_warning_code(None) is None
    assert wording.group_warning_code("") is None
    assert wording.group_warning_code("For få søknader per fylke.") is None  # cut short
    assert (
        wording.group_warning_code("Too few applications per county to draw any conclusion.")
        is None
    )


VERDICTS_BY_HAND = {
    "nb": {"increase": "økte", "decrease": "gikk ned",
           "increase_uneven": "økte, men ikke jevnt fra år til år",
           "decrease_uneven": "gikk ned, men ikke jevnt fra år til år",
           "uneven": "endret seg, men ikke i én retning", "no_change": "ingen sikker endring",
           None: "ikke testet"},
    "nn": {"increase": "auka", "decrease": "gjekk ned",
           "increase_uneven": "auka, men ikkje jamt frå år til år",
           "decrease_uneven": "gjekk ned, men ikkje jamt frå år til år",
           "uneven": "endra seg, men ikkje i éi retning", "no_change": "inga sikker endring",
           None: "ikkje testa"},
    "en": {"increase": "increased", "decrease": "decreased",
           "increase_uneven": "increased, but not evenly from year to year",
           "decrease_uneven": "decreased, but not evenly from year to year",
           "uneven": "changed, but not in one direction", "no_change": "no clear change",
           None: "not tested"},
}  # fmt: skip
#: A word for «steady» in any of the three languages, and the negation it may only come after.
STEADY = re.compile(r"\b(jevn\w*|jamn\w*|jamt|steady\w*|even\w*|gradual\w*)\b", re.IGNORECASE)
NEGATION = re.compile(r"\b(ikke|ikkje|not)\b", re.IGNORECASE)


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_the_verdicts_in_each_language_never_call_a_change_steady(lang):
    with language(lang):
        words = {v: wording.trend_verdict_words(v) for v in (*wording.VERDICTS, None)}
        assert dict(wording.TREND_VERDICT) == words
        descriptions = [wording.METHODS[k]["description"] for k in wording.METHODS]
    assert set(stats.TREND_VERDICTS) == set(wording.VERDICTS)
    assert words == VERDICTS_BY_HAND[lang]
    for text in [*words.values(), *descriptions]:
        for m in STEADY.finditer(text):
            # «ikke jevnt», «viser ikkje at endringa var jamn», «not evenly»: only ever
            # denied, in the same clause
            clause = re.split(r"[.:;]", text[: m.start()])[-1]
            assert NEGATION.search(clause), (lang, text)
        assert "steady" not in text.lower()


def test_method_texts_in_english_with_english_numbers():
    with language("en"):
        assert wording.METHODS["holm"]["name"] == "Holm's method"
        perm = wording.method_description("permutation_chi2")
        assert perm.startswith("Used for larger tables with expected counts below 5: 20,000 ")
        assert wording.method_description("cohens_h").endswith(
            "About 0.2 counts as a small difference, 0.5 as a medium and 0.8 as a large one."
        )
        assert "0–100%" in wording.METHODS["wilson"]["description"]
    with language("nn"):
        assert "Om lag 0,2 blir rekna som liten" in wording.method_description("cohens_h")
    with pytest.raises(KeyError, match="wald_typo"):
        wording.method_description("wald_typo")


def test_regression_warnings_in_english_and_nynorsk():
    res = {
        "warnings": [
            {"code": "no_variation", "term": "collaboration", "n": 20},
            {"code": "few_events_per_parameter", "events": 7, "parameters": 3},
            {"code": "separation", "terms": ["collaboration", "year=2022"]},
            {"code": "fit_failed", "error": "LinAlgError"},
        ]
    }
    labels = {"collaboration": "Collaboration"}
    with language("en"):
        assert wording.regression_warnings(res, "application", labels) == [
            "Collaboration does not vary among the 20 applications and is left out.",
            "Few outcomes per parameter (7 in the smaller outcome group for 3 parameters, below "
            "10 per parameter); read the odds ratios with caution.",
            "Separation: the explanatory variables separate the two outcomes (almost) perfectly, "
            "so the odds ratio cannot be estimated reliably (Collaboration, the year 2022).",
            "The model could not be estimated (LinAlgError).",
        ]
    with language("nn"):
        got = wording.regression_warnings(res, "project", {"collaboration": "Samarbeid"})
    assert got[0] == "Samarbeid varierer ikkje blant dei 20 prosjekta og er ikkje med i modellen."
    assert "for 3 parametrar" in got[1] and "(Samarbeid, året 2022)." in got[2]
