"""Norwegian number formats: expected strings written by hand from Norwegian typography
(non-breaking space between thousands, decimal comma, minus sign U+2212)."""

from __future__ import annotations

import pytest

from evalkit import text

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(20_000_000, f"20{NB}000{NB}000"), (999, "999"), (1000, f"1{NB}000"), (None, "–")],
)
def test_fmt_int_groups_thousands_with_nbsp(value, expected):
    assert text.fmt_int(value) == expected


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
    assert text.fmt_dec(value, decimals) == expected


def test_percent_prosent_and_points():
    assert text.fmt_pct(18 / 109) == f"16,5{NB}%"  # 16,513… %
    assert text.fmt_prosent(100 / 109) == f"91,7{NB}prosent"  # 91,743… %
    assert text.fmt_pp(-0.032) == f"\u22123,2{NB}p.p."
    assert text.fmt_pp(0.021) == f"+2,1{NB}p.p."


def test_millions_and_kroner():
    assert text.fmt_mill(81_600_000) == f"81,6{NB}millioner"
    assert text.fmt_mill(73_000_000) == f"73{NB}millioner"
    assert text.fmt_nok(150_000) == f"150{NB}000{NB}kr"


def test_p_values_and_lists():
    assert text.fmt_p(0.0004) == f"<{NB}0,001"
    assert text.fmt_p(0.0372) == "0,037"
    assert text.join_nb(["a", "b", "c"]) == "a, b og c"
    assert text.join_nb(["a"]) == "a"
    assert text.esc("<script>") == "&lt;script&gt;"
