"""The wording of the statistics: method names, method descriptions and warnings.

:mod:`evalkit.stats` returns numbers and method keys only (``test_method``, ``method``,
``warning_code``, warning codes of the regression). This module gives them words from the
message catalogs (:mod:`evalkit.i18n`, keys ``method.*``, ``verdict.*``, ``warning.*`` and
``stats.*``) in the current language: :data:`METHODS` for the method section of the documents,
:func:`method_name` for the name of a test, :func:`test_name` for the name a document shows of a
result, :func:`trend_verdict_words` for a share's verdict over the years, and
:func:`regression_warnings` for the regression's notes.

``metrics.json`` is data, the same whatever the document's language: :func:`named_test` and
:func:`named_summary` put the bokmål name (and the bokmål warning) into a result as
``metrics.json`` holds it. A document shows the name in its own language, from the method key
the result carries (:func:`test_name`), never the bokmål string of ``metrics.json``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from evalkit.formats import fmt_dec, fmt_int, fmt_pct, the_units, unit_form
from evalkit.i18n import SOURCE_LANGUAGE, language, t, tn
from evalkit.stats import (
    ALPHA,
    MANN_WHITNEY_EXACT_BELOW,
    MIN_EVENTS_PER_PARAMETER,
    MIN_EXPECTED,
    PERMUTATIONS,
)

__all__ = [
    "GROUP_KINDS",
    "GROUP_WARNINGS",
    "GROUP_WORDS",
    "METHODS",
    "REFERENCES",
    "TREND_VERDICT",
    "VERDICTS",
    "group_kind",
    "group_warning",
    "group_warning_code",
    "method_description",
    "method_name",
    "named_summary",
    "named_test",
    "regression_warnings",
    "test_name",
    "trend_verdict_words",
]

#: The reference of each method of :mod:`evalkit.stats`, by the key its results carry
#: (``test_method``, ``method``). Bibliographic: the same in every language.
REFERENCES: dict[str, str] = {
    "wilson": (
        "Wilson EB (1927). Probable inference, the law of succession, and statistical "
        "inference. JASA 22:209–212. Newcombe RG (1998). Two-sided confidence intervals for "
        "the single proportion: comparison of seven methods. Stat Med 17:857–872 (metode 3)."
    ),
    "newcombe": (
        "Newcombe RG (1998). Interval estimation for the difference between independent "
        "proportions: comparison of eleven methods. Stat Med 17:873–890 (metode 10)."
    ),
    "pearson_chi2": (
        "Pearson K (1900). Philosophical Magazine 50:157–175. Agresti A (2013). "
        "Categorical Data Analysis, 3. utg., kap. 3."
    ),
    "fisher_exact": (
        "Fisher RA (1935). The logic of inductive inference. J R Stat Soc 98:39–82. "
        "Agresti A (2013), kap. 3.5."
    ),
    "permutation_chi2": (
        "Hope ACA (1968). A simplified Monte Carlo significance test procedure. JRSS B "
        "30:582–598. Patefield WM (1981). Appl Stat 30:91–97. Phipson B, Smyth GK (2010). "
        "Stat Appl Genet Mol Biol 9:39."
    ),
    "holm": (
        "Holm S (1979). A simple sequentially rejective multiple test procedure. "
        "Scand J Stat 6:65–70."
    ),
    "cohens_h": (
        "Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2. utg., kap. 6."
    ),
    "cochran_armitage": (
        "Cochran WG (1954). Biometrics 10:417–451. Armitage P (1955). Biometrics "
        "11:375–386. Agresti A (2013), kap. 5.3."
    ),
    "logistic_wald": (
        "Hosmer DW, Lemeshow S, Sturdivant RX (2013). Applied Logistic Regression, 3. utg. "
        "Albert A, Anderson JA (1984). Biometrika 71:1–10 (separasjon). Peduzzi P mfl. "
        "(1996). J Clin Epidemiol 49:1373–1379 (utfall per parameter)."
    ),
    "mann_whitney": (
        "Mann HB, Whitney DR (1947). Ann Math Stat 18:50–60. Hollander M, Wolfe DA, "
        "Chicken E (2014). Nonparametric Statistical Methods, 3. utg."
    ),
    "kruskal_wallis": "Kruskal WH, Wallis WA (1952). JASA 47:583–621.",
    "spearman": "Spearman C (1904). Am J Psychol 15:72–101.",
    "quantile_type7": (
        "Hyndman RJ, Fan Y (1996). Sample quantiles in statistical packages. Am Stat 50:361–365."
    ),
}


# The catalog's words of each method, by literal keys (so that the catalogs' extraction, which
# reads the keys given to t() and tn(), finds every one); read when asked for.
_NAMES: dict[str | None, Callable[[], str]] = {
    None: lambda: t("method.none.name"),
    "wilson": lambda: t("method.wilson.name"),
    "newcombe": lambda: t("method.newcombe.name"),
    "pearson_chi2": lambda: t("method.pearson_chi2.name"),
    "fisher_exact": lambda: t("method.fisher_exact.name"),
    "permutation_chi2": lambda: t("method.permutation_chi2.name"),
    "holm": lambda: t("method.holm.name"),
    "cohens_h": lambda: t("method.cohens_h.name"),
    "cochran_armitage": lambda: t("method.cochran_armitage.name"),
    "logistic_wald": lambda: t("method.logistic_wald.name"),
    "mann_whitney": lambda: t("method.mann_whitney.name"),
    "kruskal_wallis": lambda: t("method.kruskal_wallis.name"),
    "spearman": lambda: t("method.spearman.name"),
    "quantile_type7": lambda: t("method.quantile_type7.name"),
}
# Each description with the numbers it names, formatted in the current locale.
_DESCRIPTIONS: dict[str, Callable[[], str]] = {
    "wilson": lambda: t("method.wilson.description", zero=fmt_int(0), hundred=fmt_pct(1, 0)),
    "newcombe": lambda: t("method.newcombe.description"),
    "pearson_chi2": lambda: t(
        "method.pearson_chi2.description", min_expected=fmt_int(MIN_EXPECTED)
    ),
    "fisher_exact": lambda: t(
        "method.fisher_exact.description", min_expected=fmt_int(MIN_EXPECTED)
    ),
    "permutation_chi2": lambda: t(
        "method.permutation_chi2.description",
        min_expected=fmt_int(MIN_EXPECTED),
        permutations=fmt_int(PERMUTATIONS),
    ),
    "holm": lambda: t("method.holm.description"),
    "cohens_h": lambda: t(
        "method.cohens_h.description",
        small=fmt_dec(0.2),
        medium=fmt_dec(0.5),
        large=fmt_dec(0.8),
    ),
    "cochran_armitage": lambda: t("method.cochran_armitage.description"),
    "logistic_wald": lambda: t("method.logistic_wald.description", level=fmt_pct(1 - ALPHA, 0)),
    "mann_whitney": lambda: t(
        "method.mann_whitney.description", below=fmt_int(MANN_WHITNEY_EXACT_BELOW)
    ),
    "kruskal_wallis": lambda: t("method.kruskal_wallis.description"),
    "spearman": lambda: t("method.spearman.description"),
    "quantile_type7": lambda: t("method.quantile_type7.description"),
}


def method_description(key: str) -> str:
    """The short description of a method key for the document's method section, in the
    current language («Konfidensintervall for en andel etter Wilsons scoremetode …»)."""
    if key not in _DESCRIPTIONS:
        raise KeyError(f"no description of the statistical method {key!r}")
    return _DESCRIPTIONS[key]()


class _Method(Mapping[str, str]):
    """One entry of :data:`METHODS`: ``name`` and ``description`` in the current language
    (from the catalog, read when asked for), ``reference``."""

    FIELDS = ("name", "description", "reference")

    def __init__(self, key: str) -> None:
        self.key = key

    def __getitem__(self, field: str) -> str:
        if field == "name":
            return method_name(self.key)
        if field == "description":
            return method_description(self.key)
        if field == "reference":
            return REFERENCES[self.key]
        raise KeyError(field)

    def __iter__(self) -> Iterator[str]:
        return iter(self.FIELDS)

    def __len__(self) -> int:
        return len(self.FIELDS)


#: Each method of :mod:`evalkit.stats`, by the key its results carry (``test_method``,
#: ``method``): its name and short description for the document's method section in the current
#: language, and its reference (:class:`_Method`).
METHODS: dict[str, Mapping[str, str]] = {key: _Method(key) for key in REFERENCES}


def method_name(key: str | None, *, permutations: int | None = None) -> str:
    """The name of a method key of :mod:`evalkit.stats` in the current language (``None``:
    «ingen test» / «no test»).

    The permutation test is named with its number of tables, e.g.
    ``"Permutasjonstest (20 000 tabeller)"``.
    """
    if key == "permutation_chi2":
        n = PERMUTATIONS if permutations is None else permutations
        return tn("method.permutation_chi2.name_tables", n, n=fmt_int(n))
    if key not in _NAMES:
        raise KeyError(f"no name for the statistical method {key!r}")
    return _NAMES[key]()


def test_name(result: Mapping[str, Any]) -> str:
    """The name of the test of a result as a document shows it, in the current language, from
    the method key the result carries (not from the bokmål ``test`` of ``metrics.json``).

    ``result``: a test result (a comparison, a group test, a trend test: ``test_method`` and,
    for the permutation test, ``permutations``), the ``test`` of an amount summary
    (``method``), or an amount summary itself (its ``test``).
    """
    if "test_method" in result:
        return method_name(result["test_method"], permutations=result.get("permutations"))
    if "method" in result:
        return method_name(result["method"])
    if isinstance(result.get("test"), Mapping):
        return test_name(result["test"])
    raise KeyError("the result names no method (no test_method, method or test)")


# --- the warnings of the between-groups tests ------------------------------------------------
#: The ``warning_code`` values of :func:`evalkit.stats.between_groups_test`.
GROUP_WARNING_CODES = ("too_little_variation", "too_few_rows")
#: What a between-groups test compares: counties, the categories of the scheme's
#: ``by_category`` field, or other groups (the catalog's ``stats.group.<kind>``).
GROUP_KINDS = ("county", "category", "group")


class _Words(Mapping[Any, str]):
    """``code -> words``: the catalog's words of a set of codes, in the current language,
    read when asked for."""

    def __init__(self, words: Mapping[Any, Callable[[], str]]) -> None:
        self.words = words

    def __getitem__(self, code: Any) -> str:
        return self.words[code]()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)


#: Warnings of :func:`evalkit.stats.between_groups_test`, by ``warning_code``: the catalog's
#: sentence in the current language, with its placeholders ``{units}`` and ``{group}``.
GROUP_WARNINGS: Mapping[str, str] = _Words(
    {
        "too_little_variation": lambda: t("warning.group.too_little_variation"),
        "too_few_rows": lambda: t("warning.group.too_few_rows"),
    }
)
#: The words of a group in :data:`GROUP_WARNINGS` («fylke», «kategori», «gruppe»), by kind.
GROUP_WORDS: Mapping[str, str] = _Words(
    {
        "county": lambda: t("stats.group.county"),
        "category": lambda: t("stats.group.category"),
        "group": lambda: t("stats.group.group"),
    }
)


def group_kind(by: str, category: str | None = None) -> str:
    """What a between-groups test by the column ``by`` compares (:data:`GROUP_KINDS`):
    ``"county"`` for ``county_code``, ``"category"`` for the scheme's ``by_category`` field
    (``category``), else ``"group"``."""
    if by == "county_code":
        return "county"
    return "category" if category is not None and by == category else "group"


def group_warning(
    code: str | None,
    unit_nb: str | None = None,
    group_nb: str | None = None,
    *,
    unit: str | None = None,
    group: str | None = None,
) -> str | None:
    """The sentence for a ``warning_code`` of a between-groups test in the current language,
    or ``None``.

    What is counted and what a group is are named by the scheme's unit (``unit``:
    ``"project"`` or ``"application"``) and the group's kind (``group``: one of
    :data:`GROUP_KINDS`), in the current language; or given as words (``unit_nb``, e.g.
    ``"søknader"``, and ``group_nb``, e.g. ``"fylke"``). By default «prosjekter» and «gruppe».
    """
    if code is None:
        return None
    if code not in GROUP_WARNING_CODES:
        raise KeyError(f"no wording for the between-groups warning {code!r}")
    if unit_nb is None:
        unit_nb = unit_form(unit or "project", "many")
    if group_nb is None:
        group_nb = GROUP_WORDS[group or "group"]
    return GROUP_WARNINGS[code].format(units=unit_nb, group=group_nb)


def _pattern(template: str) -> re.Pattern:
    """A regular expression that matches ``template`` with any words in its placeholders."""
    parts = [
        re.escape(literal) + ("(.+?)" if field is not None else "")
        for literal, field, _spec, _conv in string.Formatter().parse(template)
    ]
    return re.compile("".join(parts))


def group_warning_code(warning: str | None) -> str | None:
    """The ``warning_code`` of a between-groups test's bokmål ``warning`` as ``metrics.json``
    holds it (:func:`named_test`), or None for none (or for a text that is no such warning)."""
    if not warning:
        return None
    with language(SOURCE_LANGUAGE):
        for code in GROUP_WARNING_CODES:
            if _pattern(GROUP_WARNINGS[code]).fullmatch(warning):
                return code
    return None


# --- the verdicts of the trends ----------------------------------------------------------------
#: The verdicts of :func:`evalkit.stats.trend_verdict` (the ``verdict`` of ``trend_tests`` in
#: the trends document's ``metrics.json``).
VERDICTS = ("increase", "decrease", "increase_uneven", "decrease_uneven", "uneven", "no_change")

#: The verdict of a share over the years in the words of the trends table, in the current
#: language (the catalog's ``verdict.<code>``); ``None``: the share could not be tested. No
#: verdict says «jevnt» (steady, in any language): no test here shows that a change was steady.
TREND_VERDICT: Mapping[str | None, str] = _Words(
    {
        "increase": lambda: t("verdict.increase"),
        "decrease": lambda: t("verdict.decrease"),
        "increase_uneven": lambda: t("verdict.increase_uneven"),
        "decrease_uneven": lambda: t("verdict.decrease_uneven"),
        "uneven": lambda: t("verdict.uneven"),
        "no_change": lambda: t("verdict.no_change"),
        None: lambda: t("verdict.untested"),
    }
)


def trend_verdict_words(verdict: str | None) -> str:
    """A share's verdict over the years in words: «gikk ned, men ikke jevnt fra år til år» /
    «gjekk ned, men ikkje jamt frå år til år» / «fell, but not evenly from year to year»."""
    return TREND_VERDICT[verdict]


# --- what metrics.json holds ---------------------------------------------------------------------
def named_test(
    result: Mapping[str, Any],
    *,
    unit: str | None = None,
    group: str | None = None,
    **warning_words: str,
) -> dict:
    """A test result of :mod:`evalkit.stats` as ``metrics.json`` holds it, in bokmål whatever
    the current language (``metrics.json`` is data, one file for every language).

    ``test`` (the bokmål name of ``test_method``) goes in just before ``test_method``, and a
    ``warning_code`` is replaced, in its place, by ``warning`` (the bokmål sentence of
    :func:`group_warning`, given ``unit`` and ``group``, or the words ``unit_nb`` and
    ``group_nb``). Everything else is kept in its order.
    """
    out: dict[str, Any] = {}
    with language(SOURCE_LANGUAGE):
        for key, value in result.items():
            if key == "test_method":
                out["test"] = method_name(value, permutations=result.get("permutations"))
                out[key] = value
            elif key == "warning_code":
                out["warning"] = group_warning(value, unit=unit, group=group, **warning_words)
            else:
                out[key] = value
    return out


def named_summary(result: Mapping[str, Any]) -> dict:
    """An amount summary of :mod:`evalkit.stats` (``amount_summary``, ``applied_vs_granted``)
    with the bokmål name of its test first in ``test`` (``name``, then ``method`` …), as
    ``metrics.json`` holds it."""
    test = result["test"]
    with language(SOURCE_LANGUAGE):
        name = method_name(test["method"])
    return {**result, "test": {"name": name, **test}}


# --- the regression ------------------------------------------------------------------------------
def _term(term: str, labels: Mapping[str, str]) -> str:
    """A term of the regression in words: a predictor's label, «året 2022» for the year
    covariate's ``year=2022``, else the term as it is."""
    if term in labels:
        return labels[term]
    name, eq, level = term.partition("=")
    return t("warning.regression.year_term", year=level) if eq and name == "year" else term


def regression_warnings(
    result: Mapping[str, Any],
    unit: str = "project",
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """The notes for the ``warnings`` (codes) of :func:`evalkit.stats.logistic_odds_ratios`,
    in their order, in the current language. ``unit``: the scheme's unit (``"project"`` or
    ``"application"``), the rows the model is fitted on; ``labels``: each predictor's label
    by its name (a name without one is shown as it is)."""
    labels = labels or {}
    out = []
    for w in result.get("warnings", []):
        code = w["code"]
        if code == "no_variation":
            out.append(
                t(
                    "warning.regression.no_variation",
                    term=labels.get(w["term"], w["term"]),
                    rows=the_units(w["n"], unit),
                )
            )
        elif code == "few_events_per_parameter":
            out.append(
                tn(
                    "warning.regression.few_events_per_parameter",
                    w["parameters"],
                    n=fmt_int(w["parameters"]),
                    events=fmt_int(w["events"]),
                    minimum=fmt_int(MIN_EVENTS_PER_PARAMETER),
                )
            )
        elif code == "no_events":
            out.append(t("warning.regression.no_events"))
        elif code == "collinear":
            out.append(t("warning.regression.collinear"))
        elif code == "fit_failed":
            out.append(t("warning.regression.fit_failed", error=w["error"]))
        elif code == "separation":
            named = [_term(term, labels) for term in w["terms"]]
            if named:
                out.append(t("warning.regression.separation_terms", terms=", ".join(named)))
            else:
                out.append(t("warning.regression.separation"))
        else:
            raise KeyError(f"no wording for the regression warning {code!r}")
    return out
