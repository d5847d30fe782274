"""What the documents say and how their pieces are marked up: the trend departure worked by
hand, no fall said of a rise and a fall, the Holm sentence counting what was tested, the
synthetic note only on synthetic data, denominators named, numbered captions, alignment."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from scipy.stats import chi2, chi2_contingency

from evalkit import document as doc
from evalkit import stats
from evalkit.config import load_scheme
from evalkit.document import text

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
NB = "\u00a0"


# --- the chi-square split into trend and departure ---------------------------------------
def test_departure_of_a_rise_and_fall_worked_by_hand():
    # 1, 4, 1 of 10 each; scores 1, 2, 3. p̄ = 6/30 = 0,2; p̄(1 − p̄) = 0,16.
    # total X² = Σ (x − 2)² / (10 · 0,16) = (1 + 4 + 1) / 1,6 = 3,75
    # centred scores −1, 0, 1: T = −1 + 0 + 1 = 0, so the trend is 0 and all of it departs
    r = stats.trend_departure([1, 4, 1], [10, 10, 10], [1, 2, 3])
    assert r["chi2_total"] == pytest.approx(3.75)
    assert r["chi2_trend"] == pytest.approx(0.0)
    assert r["chi2_departure"] == pytest.approx(3.75)
    assert (r["df_total"], r["df_departure"]) == (2, 1)
    assert r["p_value"] == pytest.approx(chi2.sf(3.75, 1))
    # the total is Pearson's chi-square of the 3 × 2 table (scipy, independently)
    assert r["chi2_total"] == pytest.approx(
        chi2_contingency([[1, 9], [4, 6], [1, 9]], correction=False).statistic
    )


def test_departure_of_a_straight_line_is_zero():
    # 2, 4, 6 of 10: p̄ = 0,4, p̄(1 − p̄) = 0,24; total = (4 + 0 + 4) / 2,4 = 3,333…
    # T = −2 + 6 = 4, Var T = 0,24 · 20 = 4,8, z² = 16 / 4,8 = 3,333…: nothing departs
    r = stats.trend_departure([2, 4, 6], [10, 10, 10], [2019, 2020, 2021])
    assert r["chi2_total"] == pytest.approx(10 / 3)
    assert r["chi2_trend"] == pytest.approx(10 / 3)
    assert r["chi2_departure"] == pytest.approx(0.0, abs=1e-12)
    assert r["p_value"] == pytest.approx(1.0)


def test_departure_needs_three_years_and_some_variation():
    assert stats.trend_departure([1, 2], [10, 10], [1, 2])["p_value"] is None
    assert stats.trend_departure([0, 0, 0], [5, 5, 5], [1, 2, 3])["p_value"] is None


def test_a_rise_and_a_fall_is_not_called_a_fall():
    # the koronapandemien: 0, 16, 10, 0, 0, 0 of 20 each — the linear test alone would
    # call it a fall; the departure from a line says it rose and fell, and it ends where it began
    counts, ns, years = [0, 16, 10, 0, 0, 0], [20] * 6, list(range(2019, 2025))
    ca = stats.cochran_armitage(counts, ns, years)
    record = {
        **ca,
        "counts": counts,
        "ns": ns,
        "p_adjusted": ca["p_value"],
        "holds_after_holm": True,
        "departure": stats.trend_departure(counts, ns, years),
    }
    assert ca["p_value"] < 0.05 and ca["direction"] == "decreasing"
    assert record["departure"]["p_value"] < 0.05
    assert stats.trend_verdict(record) == "uneven"


# --- sentences ---------------------------------------------------------------------------
def _comp(metric, count, n, other_count, other_n, p, p_adj=None, diff=0.0):
    return {
        "metric": metric,
        "year": 2023,
        "other_year": 2022,
        "count": count,
        "n": n,
        "other_count": other_count,
        "other_n": other_n,
        "p_value": p,
        "p_adjusted": p_adj,
        "holds_after_holm": p_adj is not None and p_adj < 0.05,
        "diff": diff,
    }


def test_holm_sentence_counts_only_the_tested_and_names_the_rest():
    comps = [
        _comp("a", 5, 10, 4, 10, 0.5, 1.0),
        _comp("b", 3, 10, 6, 10, 0.2, 0.4),
        _comp("c", 0, 15, 0, 15, None),
    ]
    s = text.holm_sentence(comps, {"a": "A", "b": "B", "c": "Koronapandemien"})
    assert "over de 2 sammenligningene som kunne testes (av 3 i alt)" in s
    assert "For «Koronapandemien» finnes ingen test" in s
    assert "0 av 15 i 2023 og 0 av 15 i 2022" in s


def test_comparison_lead_points_at_the_figure_and_table_by_number():
    comps = [_comp("a", 9, 10, 2, 10, 0.001, 0.002, diff=0.7), _comp("b", 5, 10, 5, 10, 1.0, 1.0)]
    s = text.comparison_lead(comps, {"a": "A", "b": "B"}, 4, 7)
    assert s.startswith("Figur 4 viser forskjellen mellom 2023 og 2022")
    assert "Tabell 7 gir" in s
    assert f"holder 1 forskjell: A +70,0{NB}p.p." in s


class _Ev:
    """Just what ``notes`` reads."""

    def __init__(self, year: int, synthetic: bool):
        self.year, self.synthetic = year, synthetic
        self.scheme = load_scheme("samhandling")


@pytest.mark.parametrize("year", [2010, 2011])
def test_synthetic_application_counts_are_mentioned_only_for_synthetic_data(year):
    assert "syntetiske" in doc.notes(_Ev(year, True)).data
    assert "syntetiske" not in doc.notes(_Ev(year, False)).data
    # the real fact about 2011 stays either way
    assert ("133 millioner" in doc.notes(_Ev(year, False)).data) == (year == 2011)


def test_goal_sentence_names_both_denominators():
    # 50 + 56 of 126 answered reached their goals fully or partly; 15 cannot be assessed:
    # 106/126 = 84,1 %, 106/111 = 95,5 %
    m = {
        "year": 2023,
        "n_projects": 126,
        "combined": {
            "goal_reached": {
                "count": 106,
                "n": 126,
                "missing": 0,
                "share": 106 / 126,
                "not_assessable": 15,
                "assessable": {"count": 106, "n": 111, "share": 106 / 111},
            }
        },
        "shares": {},
        "by_county": [],
    }
    s = text.summary(m, load_scheme("frisklivs_lms"))
    assert s.startswith(f"84,1{NB}prosent av de 126 prosjektene oppga")  # the rest missing
    assert "også 15 prosjekter der måloppnåelsen ikke kan vurderes" in s
    assert f"Av de 111 prosjektene der den kunne vurderes, har 95,5{NB}prosent" in s
    m["combined"]["goal_reached"]["not_assessable"] = 0  # nothing to explain
    assert "også" not in text.summary(m, load_scheme("frisklivs_lms"))


# --- the objects: numbers, captions, alignment ------------------------------------------------
def test_tables_and_figures_are_numbered_in_order_of_first_use():
    class Document:
        pass

    d = Document()
    n = doc.numbering(d)
    assert [n.table("a"), n.figure("x"), n.table("b"), n.table("a"), n.figure("y")] == [
        1,
        1,
        2,
        1,
        2,
    ]
    assert doc.numbering(d) is n


def test_table_html_aligns_text_left_numbers_right_with_scoped_headers():
    display = pd.DataFrame(
        {
            "Fylke": ["Oslo", "Agder", "I alt"],
            "Prosjekter": ["11", ":", "20"],
            "Tildelt": [f"1{NB}865{NB}000{NB}kr", ":", f"3{NB}000{NB}000{NB}kr"],
            "Merknad": ["", "Lite", ""],
        }
    )
    t = doc.Table("t", "Prosjekter per fylke 2023", display, display, "«:» skjult.")
    t.number, t.source = 3, "Kilde: x; beregninger: evalkit."
    html = t._repr_html_()
    assert t.kinds() == ["txt", "num", "num", "txt"]
    assert "<caption id='tabell-3-caption'><span class='caption-label'>Tabell 3.</span>" in html
    assert "<th scope='col' class='txt'>Fylke</th>" in html
    assert "<th scope='col' class='num'>Prosjekter</th>" in html
    assert "<th scope='row' class='txt'>Oslo</th><td class='num'>11</td>" in html
    assert "<tr class='total'><th scope='row' class='txt'>I alt</th>" in html
    assert html.index("Kilde: x") < html.index("«:» skjult.")  # source first, then notes
    assert t.all_notes == ["Kilde: x; beregninger: evalkit.", "«:» skjult."]


def test_figure_html_is_a_figure_with_alt_text_and_caption():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    f = doc.Figure("f", "Antall <prosjekter>", fig, 'Flest i "A" (3).', 2, "Kilde: y.", ["Note."])
    html = f._repr_html_()
    plt.close(fig)
    assert html.startswith(
        "<figure class='evalkit-figure' id='figur-2'><img src='data:image/svg+xml;base64,"
    )
    alt = html.split("alt='", 1)[1].split("'", 1)[0]  # escaped: no quote ends it early
    assert '"' not in alt and unescape(alt) == 'Flest i "A" (3).'
    # the caption, the source and each note a block of its own: on separate lines also
    # where the report's stylesheet is not loaded (JupyterLab)
    assert "<figcaption><div class='caption'><span class='caption-label'>Figur 2.</span> " in html
    assert (
        "</div><div class='note'>Kilde: y.</div><div class='note'>Note.</div></figcaption>" in html
    )
    assert "Antall &lt;prosjekter&gt;" in html
    assert f.png().startswith(b"\x89PNG")  # still there for who wants a PNG


def test_table_grouped_by_a_column_heads_each_group_once():
    """``group_by``: the county heads its rows once (``scope="rowgroup"``, one ``<tbody>`` per
    county, across the three shown columns) instead of standing on every row; the Excel sheet
    keeps it as a column."""
    display = pd.DataFrame(
        {
            "Fylke": ["Agder", "Agder", "Oslo"],
            "Søker": ["Arendal", "Lillesand", "Oslo"],
            "Prosjekt": ["Frisklivssentral", "Lindrende omsorg", "Legevakt"],
            "Tildelt (kr)": ["200 000", "80 000", "1 310 000"],
        }
    )
    t = doc.Table("liste", "Fylkesvis liste 2012", display, display, group_by="Fylke")
    html = t._repr_html_()
    assert html.count("<tbody>") == 2 and html.count("scope='rowgroup'") == 2
    assert (
        "<tbody><tr class='group'><th scope='rowgroup' colspan='3' class='txt'>Agder</th></tr>"
        "<tr><th scope='row' class='txt'>Arendal</th>" in html
    )
    assert "<th scope='col' class='txt'>Fylke</th>" not in html  # not a column here
    assert html.index(">Lillesand<") < html.index(">Oslo</th></tr>") < html.index(">Legevakt<")
    assert list(t.sheet().frame.columns)[0] == "Fylke"
