"""The trends document's figures, workbook and county rows in each language (issue 20)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from evalkit import trends
from evalkit.document import excel, plots
from evalkit.formats import Shown, read_shown
from evalkit.i18n import language


def _per_year() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2022, 2023],
            "label": ["Samarbeid", "Samarbeid"],
            "share": [0.2, 0.4],
            "ci_low": [0.1, 0.3],
            "ci_high": [0.3, 0.5],
        }
    )


def _ticks_and_labels(fig) -> tuple[list[str], str, str]:
    fig.canvas.draw()
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel(), ax.get_ylabel()


def test_percent_ticks_and_axis_words_follow_the_language():
    with language("nb"):
        ticks, x, y = _ticks_and_labels(plots.trend(_per_year()))
    assert "20\u00a0%" in ticks  # Norwegian: a (non-breaking) space before %
    assert (x, y) == ("Tilskuddsår", "Andel av prosjektene (%)")
    with language("en"):
        ticks, x, y = _ticks_and_labels(plots.trend(_per_year()))
    assert "20%" in ticks  # British English: no space
    assert (x, y) == ("Grant year", "Share of projects (%)")
    with language("nn"):
        _ticks, x, y = _ticks_and_labels(plots.trend(_per_year()))
    assert (x, y) == ("Tilskotsår", "Del av prosjekta (%)")


def test_money_axis_in_english_keeps_nok_upper_case():
    amounts = pd.DataFrame({"year": [2022, 2023], "amount_nok": [3_000_000.0, 5_000_000.0]})
    with language("en"):
        fig = plots.amounts_by_year(amounts)
    assert fig.axes[0].get_ylabel() == "Granted per project (NOK million)"
    with language("nb"):
        fig = plots.amounts_by_year(amounts)
    assert fig.axes[0].get_ylabel() == "Tildelt per prosjekt (millioner kroner)"


def test_excel_amount_format_has_the_language_currency_word():
    with language("nb"):
        assert excel.number_formats()["nok"] == '#,##0" kr"'
        assert excel.number_formats()["pp"] == '+0.0" p.p.";-0.0" p.p.";0.0" p.p."'
    with language("en"):
        assert excel.number_formats()["nok"] == '"NOK "#,##0'
        assert excel.number_formats()["pp"] == '+0.0" pp";-0.0" pp";0.0" pp"'
        shown = Shown(Decimal(1865000), "nok", 0)
        assert excel.shown_number(shown) == (1865000, '"NOK "#,##0;"-""NOK "#,##0')


def test_county_rows_keep_their_keys_and_show_labels_in_the_language():
    from evalkit.disclosure import TOTAL_NB, row_label

    with language("en"):
        assert row_label(trends.UNPLACED_NB) == "Cannot be placed"
        assert row_label(TOTAL_NB) == "Total"
    with language("nb"):
        assert row_label(trends.UNPLACED_NB) == "Kan ikke plasseres"
        assert row_label(TOTAL_NB) == "I alt"


def test_english_amounts_and_points_in_a_shown_table_become_numbers():
    """«NOK 1,865,000» and «+1.2 pp» are numbers in an English workbook (read_shown reads each
    unit with the words its format writes in the current language), with a format that shows
    them the same way; other text, and another language's amount, stays text."""
    with language("en"):
        assert read_shown("NOK\u00a01,865,000") == Shown(Decimal(1865000), "nok", 0)
        assert read_shown("+1.2\u00a0pp") == Shown(Decimal("1.2"), "pp", 1)
        assert read_shown("-3.0\u00a0pp") == Shown(Decimal("-3.0"), "pp", 1)
        assert excel.shown_number(Shown(Decimal("1.2"), "pp", 1)) == (
            1.2,
            '+0.0" pp";"-"0.0" pp";"±"0.0" pp"',
        )
        for text in ("NOK 1,865,000", "+1,2\u00a0pp", "NOK\u00a01,865,000.5", "6.7–17.8"):
            assert read_shown(text) is None, text
    with language("nb"):
        assert read_shown("1\u00a0865\u00a0000\u00a0kr") == Shown(Decimal(1865000), "nok", 0)
        assert read_shown("NOK\u00a01,865,000") is None


def test_a_workbook_cell_is_read_with_the_catalogs_words_as_they_are_now(monkeypatch):
    """The words around a number are kept per language, but not past a catalog read again
    (``reload_catalogs`` in a running kernel): a percentage-point word changed in the
    catalog is the one a cell is read with."""
    from evalkit import formats

    with language("nb"):
        assert read_shown("+1,2\u00a0p.p.") == Shown(Decimal("1.2"), "pp", 1)
        monkeypatch.setattr(formats, "_points", lambda locale: "prosentpoeng")
        assert read_shown("+1,2\u00a0prosentpoeng") == Shown(Decimal("1.2"), "pp", 1)
        assert read_shown("+1,2\u00a0p.p.") is None
