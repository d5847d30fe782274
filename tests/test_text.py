"""Norwegian number formats: expected strings written by hand from Norwegian typography
(non-breaking space between thousands, decimal comma, minus sign U+2212)."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import formats
from evalkit.document import text

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
    assert text.join_nb(["a", "b", "c"]) == "a, b og c"
    assert text.join_nb(["a"]) == "a"
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
