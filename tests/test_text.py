"""Norwegian number formats: expected strings written by hand from Norwegian typography
(non-breaking space between thousands, decimal comma, minus sign U+2212)."""

from __future__ import annotations

import html

import pandas as pd
import pytest

from evalkit import formats, metrics
from evalkit.document import text
from evalkit.errors import EvalkitError

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(20_000_000, f"20{NB}000{NB}000"), (999, "999"), (1000, f"1{NB}000"), (None, "–")],
)
def test_fmt_int_groups_thousands_with_nbsp(value, expected):
    assert formats.fmt_int(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (91.74, 1, "91,7"),
        (1234.5, 1, f"1{NB}234,5"),
        (-0.05, 2, "\u22120,05"),  # minus sign, not a hyphen
        (-1.63, 2, "\u22121,63"),
        (-0.001, 1, "0,0"),  # a negative that rounds to zero has no sign
        (float("nan"), 1, "–"),
    ],
)
def test_fmt_dec(value, decimals, expected):
    assert formats.fmt_dec(value, decimals) == expected


def test_percent_prosent_and_points():
    assert formats.fmt_pct(18 / 109) == f"16,5{NB}%"  # 16,513… %
    assert formats.fmt_prosent(100 / 109) == f"91,7{NB}prosent"  # 91,743… %
    assert formats.fmt_pp(-0.032) == f"\u22123,2{NB}p.p."
    assert formats.fmt_pp(0.021) == f"+2,1{NB}p.p."


def test_millions_and_kroner():
    assert formats.fmt_mill(81_600_000) == f"81,6{NB}millioner"
    assert formats.fmt_mill(73_000_000) == f"73{NB}millioner"
    assert formats.fmt_nok(150_000) == f"150{NB}000{NB}kr"


def test_p_values_and_lists():
    assert formats.fmt_p(0.0004) == f"<{NB}0,001"
    assert formats.fmt_p(0.0372) == "0,037"
    assert formats.join_list(["a", "b", "c"]) == "a, b og c"
    assert formats.join_list(["a"]) == "a"
    assert text.esc("<script>") == "&lt;script&gt;"


# --- issue 18: formats by Babel (nb_NO), one «–» for a missing value, half away from zero ---
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1234, "\u22121\u00a0234"),  # the minus sign U+2212, not the hyphen
        (2.5, "3"),  # half away from zero, not to even («2»)
        (-2.5, "\u22123"),
        (0.5, "1"),
        (1.5, "2"),
        (-0.4, "0"),  # a negative that rounds to zero has no sign
        (2**53 + 1, f"9{NB}007{NB}199{NB}254{NB}740{NB}993"),  # exact, no float on the way
        (float("nan"), "–"),
    ],
)
def test_fmt_int_minus_sign_and_half_away_from_zero(value, expected):
    assert formats.fmt_int(value) == expected


def test_grouping_is_the_no_break_space_the_documents_use():
    # Babel's nb_NO groups with U+00A0 as the code did before: not the narrow U+202F
    assert formats.fmt_int(1_234_567) == "1\u00a0234\u00a0567"
    assert NNBSP not in formats.fmt_nok(1_234_567)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2.675, 2, "2,68"),  # the float is 2.67499999…: rounded from its decimal string
        (0.125, 2, "0,13"),  # exactly half in binary too: away from zero
        (-0.125, 2, "\u22120,13"),
        (1.05, 1, "1,1"),  # binary 1.0500000000000000444…, written 1.05
        (-1234.55, 1, f"\u22121{NB}234,6"),
        (float("inf"), 1, "∞"),
    ],
)
def test_fmt_dec_rounds_the_written_number_half_away_from_zero(value, decimals, expected):
    assert formats.fmt_dec(value, decimals) == expected


def test_percent_from_the_decimal_string():
    assert formats.fmt_pct(0.125) == f"12,5{NB}%"
    assert formats.fmt_pct(0.125, 0) == f"13{NB}%"  # 12,5 → 13, not 12
    assert formats.fmt_pct(0.0045, 1) == f"0,5{NB}%"  # 0.0045 × 100 in floats is 0.44999…
    assert formats.fmt_pct(-0.05) == f"\u22125,0{NB}%"
    assert formats.fmt_prosent(0.125, 0) == f"13{NB}prosent"
    assert formats.fmt_pct(None) == "–"


def test_a_missing_value_is_one_dash():
    nan = float("nan")
    assert formats.fmt_nok(nan) == "–"  # not «– kr»
    assert formats.fmt_nok(None) == "–"
    assert formats.fmt_ci(nan, 0.2) == "–"  # not «––20,0»
    assert formats.fmt_ci(0.1, None) == "–"
    assert formats.fmt_mill(None) == "–"
    assert formats.fmt_pp(nan) == "–"
    assert formats.fmt_signed(None) == "–"
    assert formats.fmt_p(nan) == "–"
    assert formats.fmt_dec(pd.NA) == "–"
    assert formats.fmt_int(pd.NA) == "–"


def test_intervals_kroner_and_points():
    assert formats.fmt_ci(0.123, 0.2) == "12,3–20,0"
    assert formats.fmt_ci(-0.0325, 0.05) == "\u22123,3–5,0"  # −3,25 → −3,3 (away from zero)
    assert formats.fmt_nok(1_234_567) == f"1{NB}234{NB}567{NB}kr"
    assert formats.fmt_nok(2.5) == f"3{NB}kr"
    assert formats.fmt_nok(-1500) == f"\u22121{NB}500{NB}kr"
    assert formats.fmt_pp(0.00125, 2) == f"+0,13{NB}p.p."
    assert formats.fmt_pp(0.00001) == f"±0,0{NB}p.p."  # rounds to zero: no direction
    assert formats.fmt_signed(0.05) == "+0,1"
    assert formats.fmt_signed(-0.04) == "0,0"
    assert formats.fmt_mill(2_500_000) == f"2,5{NB}millioner"
    assert formats.fmt_mill(1_250_000) == f"1,3{NB}millioner"  # 1,25 → 1,3
    assert formats.fmt_p(0.0005) == f"<{NB}0,001"
    assert formats.fmt_p(0.0125) == "0,013"


def test_locale_is_a_parameter():
    assert formats.fmt_dec(-1234.5, 1, locale="en") == "-1,234.5"
    assert formats.fmt_pct(0.125, locale="en") == "12.5%"
    assert formats.fmt_int(1234, locale="nn_NO") == f"1{NB}234"


# --- issue 20: the statistics' sentences and alt texts in nynorsk and English ---------------
from evalkit.config import load_scheme  # noqa: E402
from evalkit.i18n import language  # noqa: E402


def _comparisons() -> list[dict]:
    """Three comparisons of 2023 with 2022: one holds after Holm, one does not, one untested."""
    return [
        {"metric": "a", "year": 2023, "other_year": 2022, "diff": 0.032, "p_value": 0.001,
         "holds_after_holm": True, "count": 30, "n": 100, "other_count": 20, "other_n": 100},
        {"metric": "b", "year": 2023, "other_year": 2022, "diff": -0.05, "p_value": 0.2,
         "holds_after_holm": False, "count": 5, "n": 100, "other_count": 10, "other_n": 100},
        {"metric": "c", "year": 2023, "other_year": 2022, "diff": 0.0, "p_value": None,
         "holds_after_holm": False, "count": 0, "n": 15, "other_count": 0, "other_n": 1500},
    ]  # fmt: skip


LABELS = {"a": "Alpha", "b": "Beta", "c": "Gamma"}


def test_holm_sentence_in_three_languages():
    comps = _comparisons()
    assert text.holm_sentence(comps, LABELS) == (
        "p-verdiene er justert med Holms metode over de 2 sammenligningene som kunne testes "
        f"(av 3 i alt). For «Gamma» finnes ingen test, fordi andelen var 0{NB}% eller 100{NB}% i "
        f"begge årene (Gamma: 0 av 15 i 2023 og 0 av 1{NB}500 i 2022)."
    )
    with language("nn"):
        assert text.holm_sentence(comps[:2], LABELS) == (
            "p-verdiane er justerte med Holms metode over dei 2 samanlikningane som kunne testast."
        )
        one = text.holm_sentence(comps[:1], LABELS)
        assert (
            one
            == "p-verdiane er justerte med Holms metode over den 1 samanlikninga som kunne testast."
        )
    with language("en"):
        assert text.holm_sentence(comps, LABELS) == (
            "The p-values are adjusted by Holm's method over the 2 comparisons that could be "
            "tested (3 in all). For ‘Gamma’ there is no test, because the share was 0% or 100% in "
            "both years (Gamma: 0 of 15 in 2023 and 0 of 1,500 in 2022)."
        )


def test_comparison_lead_in_english_ends_its_sentence_once():
    with language("en"):
        lead = text.comparison_lead(_comparisons(), LABELS, 5, 12)
    assert lead == (
        "Figure 5 shows the difference between 2023 and 2022 for each share, in percentage "
        "points with a 95% confidence interval. Table 12 gives the shares, the tests and the "
        "adjusted p-values. After Holm adjustment over the 2 comparisons tested, 1 difference "
        f"holds: Alpha +3.2{NB}pp."
    )
    # bokmål: the points end in «p.p.», so no second full stop
    assert text.comparison_lead(_comparisons(), LABELS, 5, 12).endswith(
        f"holder 1 forskjell: Alpha +3,2{NB}p.p."
    )
    with language("nn"):
        none = text.comparison_lead(_comparisons()[1:], LABELS, 5, 12)
    assert none.endswith(
        "Ingen av skilnadene held etter Holm-justering over dei 1 testa samanlikningane."
    )


def test_alt_texts_in_english_and_nynorsk():
    by = pd.DataFrame({"county_name": ["Agder", "Viken", "Oslo", "Nordland"], "n": [16, 4, 2, 9]})
    hidden = pd.Series([False, False, True, True])
    with language("en"):
        assert text.alt_bars_by_county(by, "n", hidden, title="Projects by county 2022") == (
            "Horizontal bar chart. Projects by county 2022. Most in Agder (16), fewest in Viken "
            "(4). For 2 counties the number is suppressed and shown as ‘:’."
        )
        one_hidden = text.alt_bars_by_county(by, "n", pd.Series([False] * 3 + [True]), title="T")
        assert one_hidden.endswith("For 1 county the number is suppressed and shown as ‘:’.")
        shares = pd.DataFrame(
            {"label": ["A", "B"], "share": [0.881, 0.111], "ci_low": [0.813, 0.067],
             "ci_high": [0.927, 0.178]}
        )  # fmt: skip
        assert text.alt_shares(shares, title="Partners 2023") == (
            "Horizontal bar chart with 95% confidence intervals. Partners 2023: 2 shares. "
            "Highest: A 88.1% (CI 81.3–92.7). Lowest: B 11.1% (CI 6.7–17.8)."
        )
        assert text.alt_amounts(
            {2019: {"median": 150_000}, 2024: {"median": 200_000}}, title="Grant"
        ) == (
            f"Box plot. Grant, one box plot per year. Median NOK{NB}150,000 in 2019 and "
            f"NOK{NB}200,000 in 2024."
        )
    with language("nn"):
        forest = text.alt_forest(_comparisons(), LABELS, title="Skilnad")
    assert forest == (
        "Skilnadsdiagram: punkt med 95 % konfidensintervall for kvar del. Skilnad: 3 delar. "
        f"Størst auke: Alpha (+3,2{NB}p.p.). Størst nedgang: Beta (−5,0{NB}p.p.). 1 av 2 testa "
        f"skilnader held etter Holm-justering: Alpha (+3,2{NB}p.p.)."
    ).replace("95 %", f"95{NB}%")


def test_denominator_notes_in_nynorsk_and_english():
    frame = pd.DataFrame({"n": [131, 131], "missing": [1, 1]})
    with language("nn"):
        assert text.share_denominator_note(frame, "project") == (
            "Nemnar: dei 131 prosjekta som har svart; 1 prosjekt utan svar er ikkje rekna med."
        )
    with language("en"):
        assert text.share_denominator_note(frame, "application") == (
            "Denominator: the 131 applications with an answer; 1 application without an "
            "answer is left out."
        )
        two = pd.DataFrame({"n": [131, 131], "missing": [2, 2]})
        assert text.share_denominator_note(two, "project").endswith(
            "2 projects without an answer are left out."
        )


def test_group_tests_are_shown_in_the_documents_language_from_bokmal_metrics():
    scheme = load_scheme("samhandling")
    # as metrics.json holds it (bokmål), whatever language the document is in
    g = {"key": "granted_by_category", "n": 40,
         "warning": "For få søknader per kategori til å trekke noen konklusjon."}  # fmt: skip
    with language("en"):
        assert (
            text.group_test_label(g, scheme) == "Share of applications granted, between categories"
        )
        assert text.group_test_warning(g, scheme) == (
            "Too few applications per category to draw any conclusion."
        )
    with language("nn"):
        assert text.group_test_warning(g, scheme) == (
            "For få søknader per kategori til å dra nokon konklusjon."
        )
    assert text.group_test_warning({**g, "warning": None}, scheme) is None
    odd = {**g, "warning": "Noe annet."}  # no sentence of the catalog: shown as it is
    assert text.group_test_warning(odd, scheme) == "Noe annet."
    with pytest.raises(EvalkitError, match="granted_by_typo"):
        text.group_test_label({"key": "granted_by_typo"}, scheme)


def test_the_denominator_of_a_group_test_among_the_assessable_rows_in_english():
    scheme = load_scheme("frisklivs_lms")
    tests = {"group_tests": [{"key": "intermunicipal_by_county", "n": 126},
                             {"key": "goal_reached_by_county", "n": 111}]}  # fmt: skip
    with language("en"):
        notes = text.group_test_denominator_notes(tests, scheme)
    assert notes == [
        "Share that fully or partly reached the goals, between counties: calculated from the "
        "111 projects where goal achievement could be assessed; ‘cannot be assessed’ is left out."
    ]
    assert text.group_test_denominator_notes(tests, scheme) == [
        "Andel som har nådd målene helt eller delvis, mellom fylkene: regnet av de 111 "
        "prosjektene der måloppnåelsen kunne vurderes; «kan ikke vurderes» er holdt utenfor."
    ]


def test_the_summary_is_the_schemes_sentences_in_the_documents_language():
    scheme = load_scheme("samhandling")
    m = {"year": 2012, "granted_total_nok": 81_600_000, "n_granted": 199, "unit": "application"}
    assert text.summary(m, scheme).startswith(
        f"I 2012 ble det delt ut 81,6{NB}millioner kroner til 199 samhandlingsprosjekter."
    )
    with language("nn"):
        assert text.summary(m, scheme).startswith(
            f"I 2012 vart det delt ut 81,6{NB}millionar kroner til 199 samhandlingsprosjekt."
        )
    with language("en"):  # esc() writes the «.» after digits at the start of a value as &period;
        assert html.unescape(text.summary(m, scheme)).startswith(
            f"In 2012, NOK 81.6{NB}million was awarded to 199 coordination projects."
        )


def test_the_labels_format_names_the_shares_in_the_documents_language():
    scheme = load_scheme("frisklivs_lms")
    context = {"share_ranges": {"main": {"keys": ["subgoal.etablere_fls", "intermunicipal"]}}}
    fmt = text.SummaryFormatter(context, metrics.share_labels(scheme), "project")
    template = "{share_ranges[main][keys]:labels}"
    assert fmt.format(template) == "etablere kommunal frisklivssentral og interkommunale prosjekter"
    with language("en"):
        fmt = text.SummaryFormatter(context, metrics.share_labels(scheme), "project")
        assert fmt.format(template) == (
            "establish a municipal healthy life centre and intermunicipal projects"
        )
