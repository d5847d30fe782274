"""Norwegian wording of the statistics: method names, method descriptions and warnings.

:mod:`evalkit.stats` returns numbers and method keys only (``test_method``, ``method``,
``warning_code``, warning codes of the regression). This module holds the Norwegian text for
them: :data:`METHODS` for the method section of the documents, :func:`method_name` for the
name of a test, :func:`named_test` and :func:`named_summary` to put the Norwegian name into a
result as ``metrics.json`` holds it, and :func:`regression_warnings` for the regression's notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.formats import fmt_int, the_units
from evalkit.stats import MANN_WHITNEY_EXACT_BELOW, MIN_EVENTS_PER_PARAMETER, PERMUTATIONS

__all__ = [
    "GROUP_WARNINGS",
    "METHODS",
    "NO_TEST_NB",
    "TREND_VERDICT_NB",
    "group_warning",
    "method_name",
    "named_summary",
    "named_test",
    "regression_warnings",
]

#: Each method of :mod:`evalkit.stats`, by the key its results carry (``test_method``,
#: ``method``): Norwegian name (``name_nb``, the ``test`` name in ``metrics.json``), a short
#: Norwegian description for the document's method section, and a reference.
METHODS: dict[str, dict[str, str]] = {
    "wilson": {
        "name_nb": "Wilsons scoreintervall",
        "description_nb": (
            "Konfidensintervall for en andel etter Wilsons scoremetode, uten "
            "kontinuitetskorreksjon. Intervallet holder seg innenfor 0–100 % og har god dekning "
            "også for små antall og andeler nær 0 eller 100 %."
        ),
        "reference": (
            "Wilson EB (1927). Probable inference, the law of succession, and statistical "
            "inference. JASA 22:209–212. Newcombe RG (1998). Two-sided confidence intervals for "
            "the single proportion: comparison of seven methods. Stat Med 17:857–872 (metode 3)."
        ),
    },
    "newcombe": {
        "name_nb": "Newcombes hybride scoreintervall",
        "description_nb": (
            "Konfidensintervall for forskjellen mellom to andeler, bygd av Wilson-intervallene "
            "for hver av de to andelene (metode 10 hos Newcombe), uten kontinuitetskorreksjon."
        ),
        "reference": (
            "Newcombe RG (1998). Interval estimation for the difference between independent "
            "proportions: comparison of eleven methods. Stat Med 17:873–890 (metode 10)."
        ),
    },
    "pearson_chi2": {
        "name_nb": "Pearsons kjikvadrattest",
        "description_nb": (
            "Tester om andelene er like. Brukes når alle forventede antall er minst 5, uten "
            "kontinuitetskorreksjon."
        ),
        "reference": (
            "Pearson K (1900). Philosophical Magazine 50:157–175. Agresti A (2013). "
            "Categorical Data Analysis, 3. utg., kap. 3."
        ),
    },
    "fisher_exact": {
        "name_nb": "Fishers eksakte test",
        "description_nb": (
            "Eksakt test for en 2×2-tabell, betinget på margene. Brukes når et forventet antall "
            "er under 5. Tosidig: summen av sannsynlighetene for tabeller som ikke er mer "
            "sannsynlige enn den observerte."
        ),
        "reference": (
            "Fisher RA (1935). The logic of inductive inference. J R Stat Soc 98:39–82. "
            "Agresti A (2013), kap. 3.5."
        ),
    },
    "permutation_chi2": {
        "name_nb": "Permutasjonstest av kjikvadratobservatoren",
        "description_nb": (
            f"Brukes for større tabeller med forventede antall under 5: {fmt_int(PERMUTATIONS)} "
            "tilfeldige tabeller med de samme radsummene og kolonnesummene trekkes, og p-verdien "
            "er andelen med minst like stor kjikvadratverdi som den observerte, (treff + 1)/"
            "(trekninger + 1). Fast frø gir samme svar ved hver kjøring."
        ),
        "reference": (
            "Hope ACA (1968). A simplified Monte Carlo significance test procedure. JRSS B "
            "30:582–598. Patefield WM (1981). Appl Stat 30:91–97. Phipson B, Smyth GK (2010). "
            "Stat Appl Genet Mol Biol 9:39."
        ),
    },
    "holm": {
        "name_nb": "Holms metode",
        "description_nb": (
            "Justerer p-verdiene fordi mange sammenligninger gjøres samtidig (trinnvis, "
            "kontrollerer sannsynligheten for minst ett falskt funn i familien av tester)."
        ),
        "reference": (
            "Holm S (1979). A simple sequentially rejective multiple test procedure. "
            "Scand J Stat 6:65–70."
        ),
    },
    "cohens_h": {
        "name_nb": "Cohens h",
        "description_nb": (
            "Effektstørrelse for to andeler: 2·arcsin√p₁ − 2·arcsin√p₂. Omtrent 0,2 regnes som "
            "liten, 0,5 som middels og 0,8 som stor forskjell."
        ),
        "reference": (
            "Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2. utg., "
            "kap. 6."
        ),
    },
    "cochran_armitage": {
        "name_nb": "Cochran–Armitage-test for trend",
        "description_nb": (
            "Tester om en andel har en lineær trend over årene (øker eller minker), med "
            "årstallene som skårer. Tosidig, normaltilnærming. Testen viser ikke at endringen "
            "var jevn: også et sprang fra ett år til det neste kan gi en signifikant trend."
        ),
        "reference": (
            "Cochran WG (1954). Biometrics 10:417–451. Armitage P (1955). Biometrics "
            "11:375–386. Agresti A (2013), kap. 5.3."
        ),
    },
    "logistic_wald": {
        "name_nb": "Logistisk regresjon",
        "description_nb": (
            "Oddsforhold fra logistisk regresjon (sannsynlighetsmaksimering) med 95 % "
            "Wald-intervall og Wald-test. År inngår som kategorisk kovariat, slik at forskjeller "
            "mellom årene ikke blandes inn i oddsforholdene."
        ),
        "reference": (
            "Hosmer DW, Lemeshow S, Sturdivant RX (2013). Applied Logistic Regression, 3. utg. "
            "Albert A, Anderson JA (1984). Biometrika 71:1–10 (separasjon). Peduzzi P mfl. "
            "(1996). J Clin Epidemiol 49:1373–1379 (utfall per parameter)."
        ),
    },
    "mann_whitney": {
        "name_nb": "Mann–Whitney U-test",
        "description_nb": (
            f"Rangtest for forskjell i fordeling mellom to år, tosidig. Eksakt når begge år har "
            f"færre enn {MANN_WHITNEY_EXACT_BELOW} verdier og ingen like verdier, ellers "
            "normaltilnærming med korreksjon for like verdier og kontinuitetskorreksjon."
        ),
        "reference": (
            "Mann HB, Whitney DR (1947). Ann Math Stat 18:50–60. Hollander M, Wolfe DA, "
            "Chicken E (2014). Nonparametric Statistical Methods, 3. utg."
        ),
    },
    "kruskal_wallis": {
        "name_nb": "Kruskal–Wallis-test",
        "description_nb": (
            "Rangtest for forskjell i fordeling mellom flere år, kjikvadrattilnærming med "
            "korreksjon for like verdier."
        ),
        "reference": "Kruskal WH, Wallis WA (1952). JASA 47:583–621.",
    },
    "spearman": {
        "name_nb": "Spearmans rangkorrelasjon",
        "description_nb": (
            "Rangkorrelasjon mellom søkt og tildelt beløp for de innvilgede søknadene, med "
            "tosidig test (t-tilnærming) av at korrelasjonen er null."
        ),
        "reference": "Spearman C (1904). Am J Psychol 15:72–101.",
    },
    "quantile_type7": {
        "name_nb": "Kvartiler (type 7)",
        "description_nb": (
            "Median og kvartiler ved lineær interpolasjon mellom ordnede verdier "
            "(Hyndman og Fans type 7, standard i R)."
        ),
        "reference": "Hyndman RJ, Fan Y (1996). Sample quantiles in statistical packages. "
        "Am Stat 50:361–365.",
    },
}

#: The test name of a result with nothing to test (``test_method`` is ``None``).
NO_TEST_NB = "ingen test"


def method_name(key: str | None, *, permutations: int | None = None) -> str:
    """The Norwegian name of a method key of :mod:`evalkit.stats` (``None``: «ingen test»).

    The permutation test is named with its number of tables, e.g.
    ``"Permutasjonstest (20 000 tabeller)"``.
    """
    if key is None:
        return NO_TEST_NB
    if key == "permutation_chi2":
        return f"Permutasjonstest ({fmt_int(PERMUTATIONS if permutations is None else permutations)} tabeller)"
    try:
        return METHODS[key]["name_nb"]
    except KeyError:
        raise KeyError(f"no Norwegian name for the statistical method {key!r}") from None


#: Warnings of :func:`evalkit.stats.between_groups_test`, by ``warning_code``.
GROUP_WARNINGS = {
    "too_little_variation": "For lite variasjon til å teste forskjeller mellom gruppene.",
    "too_few_rows": "For få {unit_nb} per {group_nb} til å trekke noen konklusjon.",
}


def group_warning(
    code: str | None, unit_nb: str = "prosjekter", group_nb: str = "gruppe"
) -> str | None:
    """The Norwegian sentence for a ``warning_code`` of a between-groups test, or ``None``.

    ``unit_nb`` and ``group_nb`` name what is counted and a group, e.g. ``"søknader"`` and
    ``"fylke"``.
    """
    if code is None:
        return None
    return GROUP_WARNINGS[code].format(unit_nb=unit_nb, group_nb=group_nb)


#: The verdict of a share over the years (:func:`evalkit.stats.trend_verdict`, the ``verdict``
#: of ``trend_tests`` in the trends document's ``metrics.json``) in the words of its table;
#: ``None``: the share could not be tested. No verdict says «jevnt»: no test here shows that a
#: change was steady.
TREND_VERDICT_NB: dict[str | None, str] = {
    "increase": "økte",
    "decrease": "gikk ned",
    "increase_uneven": "økte, men ikke jevnt fra år til år",
    "decrease_uneven": "gikk ned, men ikke jevnt fra år til år",
    "uneven": "endret seg, men ikke i én retning",
    "no_change": "ingen sikker endring",
    None: "ikke testet",
}


def named_test(result: Mapping[str, Any], **warning_words: str) -> dict:
    """A test result of :mod:`evalkit.stats` as ``metrics.json`` holds it.

    ``test`` (the Norwegian name of ``test_method``) goes in just before ``test_method``, and a
    ``warning_code`` is replaced, in its place, by ``warning`` (the Norwegian sentence of
    :func:`group_warning`, given ``warning_words``). Everything else is kept in its order.
    """
    out: dict[str, Any] = {}
    for key, value in result.items():
        if key == "test_method":
            out["test"] = method_name(value, permutations=result.get("permutations"))
            out[key] = value
        elif key == "warning_code":
            out["warning"] = group_warning(value, **warning_words)
        else:
            out[key] = value
    return out


def named_summary(result: Mapping[str, Any]) -> dict:
    """An amount summary of :mod:`evalkit.stats` (``amount_summary``, ``applied_vs_granted``)
    with the Norwegian name of its test first in ``test`` (``name``, then ``method`` …)."""
    test = result["test"]
    return {**result, "test": {"name": method_name(test["method"]), **test}}


def _term_nb(term: str, labels: Mapping[str, str]) -> str:
    """A term of the regression in words: a predictor's label, «året 2022» for the year
    covariate's ``year=2022``, else the term as it is."""
    if term in labels:
        return labels[term]
    name, eq, level = term.partition("=")
    return f"året {level}" if eq and name == "year" else term


def regression_warnings(
    result: Mapping[str, Any],
    unit: str = "project",
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """The Norwegian notes for the ``warnings`` (codes) of
    :func:`evalkit.stats.logistic_odds_ratios`, in their order. ``unit``: the scheme's unit
    (``"project"`` or ``"application"``), the rows the model is fitted on; ``labels``: each
    predictor's Norwegian label by its name (a name without one is shown as it is)."""
    labels = labels or {}
    out = []
    for w in result.get("warnings", []):
        code = w["code"]
        if code == "no_variation":
            term = labels.get(w["term"], w["term"])
            out.append(f"{term} har ingen variasjon blant {the_units(w['n'], unit)} og er utelatt.")
        elif code == "few_events_per_parameter":
            out.append(
                f"Få utfall per parameter ({fmt_int(w['events'])} i den minste utfallsgruppen "
                f"for {fmt_int(w['parameters'])} "
                f"{'parameter' if w['parameters'] == 1 else 'parametere'}, under "
                f"{MIN_EVENTS_PER_PARAMETER} per parameter); tolk oddsforholdene med "
                "forsiktighet."
            )
        elif code == "no_events":
            out.append("Alle (eller ingen) har utfallet; modellen kan ikke estimeres.")
        elif code == "collinear":
            out.append(
                "Forklaringsvariablene er lineært avhengige av hverandre (eller av året); "
                "modellen kan ikke estimeres."
            )
        elif code == "fit_failed":
            out.append(f"Modellen kunne ikke estimeres ({w['error']}).")
        elif code == "separation":
            named = [_term_nb(t, labels) for t in w["terms"]]
            out.append(
                "Separasjon: forklaringsvariablene skiller (nesten) perfekt mellom de to "
                "utfallene, så oddsforholdet kan ikke anslås pålitelig"
                + (f" ({', '.join(named)})." if named else ".")
            )
        else:
            raise KeyError(f"no Norwegian wording for the regression warning {code!r}")
    return out
