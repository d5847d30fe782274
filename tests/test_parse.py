"""Parsers for yes/no, checkboxes, categories, amounts and reasons: hand-written cases from the
spec's cleaning rules, and property-based tests (hypothesis) for amounts and yes/no.

Each parser is run as ``clean_export`` runs it (:func:`conftest.per_row`): on the distinct
normalised values of a column, the result taken back to the rows."""

import pandas as pd
import pytest
from conftest import per_row
from hypothesis import given
from hypothesis import strategies as st

from evalkit import parse
from evalkit.config import load_scheme

SCHEME = load_scheme("frisklivs_lms")


def s(*values):
    return pd.Series(list(values), dtype=object)


# --- yes/no -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["Ja", "ja", "JA", "J", "Yes", "Y", "1", "x", "X", "True", "Sant", " ja ", 1, 1.0]
)
def test_yes_spellings(text):
    answer, bad = per_row(s(text), parse.yesno_of)
    assert answer.iloc[0] is True or answer.iloc[0] == True  # noqa: E712
    assert not bad.iloc[0]


@pytest.mark.parametrize("text", ["Nei", "nei", "N", "No", "0", "False", "Usant", "  NEI", 0])
def test_no_spellings(text):
    answer, bad = per_row(s(text), parse.yesno_of)
    assert answer.iloc[0] == False  # noqa: E712
    assert not bad.iloc[0]


@pytest.mark.parametrize("text", [None, "", "  ", "-", "Vet ikke", "vet ikke", "Ikke besvart"])
def test_missing_answers_are_missing_not_errors(text):
    answer, bad = per_row(s(text), parse.yesno_of)
    assert pd.isna(answer.iloc[0])
    assert not bad.iloc[0]


def test_unknown_yesno_is_missing_and_flagged():
    answer, bad = per_row(s("Kanskje", "ja"), parse.yesno_of)
    assert pd.isna(answer.iloc[0]) and bad.tolist() == [True, False]


_YES = ["Ja", "J", "Yes", "Y", "1", "x", "True", "Sant"]
_NO = ["Nei", "N", "No", "0", "False", "Usant"]


@given(
    word=st.sampled_from(_YES + _NO),
    case=st.sampled_from([str.lower, str.upper, str.title, lambda w: w]),
    left=st.sampled_from(["", " ", "  ", "\u00a0"]),
    right=st.sampled_from(["", " ", "\t"]),
)
def test_yesno_ignores_case_and_surrounding_space(word, case, left, right):
    answer, bad = per_row(s(left + case(word) + right), parse.yesno_of)
    assert bool(answer.iloc[0]) is (word in _YES)
    assert not bad.iloc[0]


# --- checkboxes ---------------------------------------------------------------------------
def test_checkbox_rule():
    # any non-blank value that is not a «no» spelling is ticked; blank is not ticked, never missing
    ticked = per_row(
        s("Frisklivssentralen", "x", "1", "", None, "nei", "0", " "), parse.checkbox_of
    )
    assert ticked.tolist() == [True, True, True, False, False, False, False, False]
    assert ticked.dtype == bool


# --- categories ---------------------------------------------------------------------------
def test_category_by_label_code_and_spelling_ignoring_case_space_punctuation():
    vocab = SCHEME.vocabularies["offer_type"]
    codes, bad = per_row(
        s(
            "Diagnoseuavhengig tilbud",
            "diagnosespesifikk",
            "DIAGNOSE-UAVHENGIG",
            " annet ",
            "Diagnosespesifikt  tilbud.",
            None,
        ),
        parse.category_of,
        vocab.lookup,
    )
    assert codes.tolist()[:5] == [
        "diagnoseuavhengig",
        "diagnosespesifikk",
        "diagnoseuavhengig",
        "annet",
        "diagnosespesifikk",
    ]
    assert pd.isna(codes.iloc[5])
    assert not bad.any()


def test_unknown_category_is_missing_and_flagged():
    vocab = SCHEME.vocabularies["target_group"]
    codes, bad = per_row(s("Begge", "Barn og unge"), parse.category_of, vocab.lookup)
    assert codes.iloc[0] == "begge" and pd.isna(codes.iloc[1])
    assert bad.tolist() == [False, True]


# --- amounts ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150 000", 150_000),
        ("150.000", 150_000),
        ("kr 150 000,-", 150_000),
        ("150000 NOK", 150_000),
        ("1,2 mill.", 1_200_000),
        ("150\u00a0000", 150_000),  # non-breaking space
        ("150\u2009000", 150_000),  # thin space
        ("kr. 2 350 000", 2_350_000),
        ("87 100 kr", 87_100),
        ("150 000,50", 150_001),  # øre rounded half up
        (150000, 150_000),
        (150000.0, 150_000),
        ("0", 0),
    ],
)
def test_amount_formats(text, expected):
    amount, bad, implausible = per_row(s(text), parse.amount_of)
    assert amount.iloc[0] == expected
    assert not bad.iloc[0] and not implausible.iloc[0]


@pytest.mark.parametrize("text", ["ca. hundre tusen", "-5000", "1.5", "150 00", "12 34 567"])
def test_unreadable_amounts_are_flagged(text):
    amount, bad, implausible = per_row(s(text), parse.amount_of)
    assert pd.isna(amount.iloc[0]) and bad.iloc[0] and not implausible.iloc[0]


def _group(n: int, sep: str) -> str:
    digits = str(n)
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


@given(
    n=st.integers(min_value=0, max_value=999_999_999),
    sep=st.sampled_from(["", " ", ".", "\u00a0", "\u2009"]),
    wrap=st.sampled_from(["{}", "kr {}", "kr {},-", "{} NOK", "{} kr", "NOK {}", " {} "]),
)
def test_amount_roundtrip_property(n, sep, wrap):
    text = wrap.format(_group(n, sep))
    amount, bad, implausible = per_row(s(text), parse.amount_of)
    assert not bad.iloc[0] and not implausible.iloc[0], text
    assert amount.iloc[0] == n, text


@given(
    whole=st.integers(0, 99),
    tenth=st.integers(0, 9),
    word=st.sampled_from(["mill.", "mill", "millioner"]),
)
def test_amount_millions_property(whole, tenth, word):
    amount, _, _ = per_row(s(f"{whole},{tenth} {word}"), parse.amount_of)
    assert amount.iloc[0] == whole * 1_000_000 + tenth * 100_000


def test_parsers_work_on_distinct_values():
    values = pd.Series(["Ja", "Nei", "Ja", None], index=[10, 11, 12, 13], dtype=object)
    codes, text = parse.distinct_text(values)
    # the parser sees each distinct value once (NA last); the codes take it back to the rows
    assert text.to_pylist() == ["Ja", "Nei", None]
    assert codes.tolist() == [0, 1, 0, 2]
    answer, bad = parse.yesno_of(text)
    assert answer.take(codes).tolist() == [True, False, True, pd.NA]
    assert bad[codes].tolist() == [False, False, False, False]


# --- free-text reasons --------------------------------------------------------------------
def test_reason_keyword_rules():
    vocab = SCHEME.vocabularies["goal_reason"]
    out = per_row(
        s(
            "Oppstarten ble forsinket på grunn av koronapandemien",
            "Prosjektleder har vært sykemeldt store deler av året",
            "Prosjektet pågår fortsatt",
            "Vi har ikke fått svar fra kommunen",
            None,
        ),
        parse.reasons_of,
        vocab,
    )[vocab.codes]
    assert out.loc[0, ["forsinkelse", "pandemi"]].tolist() == [True, True]
    assert out.loc[0, "annet"] == False  # noqa: E712
    assert out.loc[1, "sykdom_permisjon"] == True  # noqa: E712
    assert out.loc[2, "for_kort_tid"] == True  # noqa: E712
    # a text that matches no rule falls back to «annet»
    assert out.loc[3].tolist() == [False, False, False, False, True]
    assert out.loc[4].isna().all()
