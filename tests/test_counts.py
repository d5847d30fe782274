"""Counts that must add up (issue 18): rows left out of the trends regression for a missing
predictor and unreadable amounts per year. Every expected number is
counted by hand from the small exports and frames written here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import FRISKLIV, frisklivs_row, write_export

from evalkit.document import trends as tdoc
from evalkit.trends import Trends, amounts, evaluate_trends, regression, trends_metrics


def _row(i: int, **cells: object) -> dict[str, object]:
    return frisklivs_row(respondent_id=str(1000 + i), **cells)


@pytest.fixture(scope="module")
def two_years(tmp_path_factory) -> Trends:
    """2022: 5 projects. One answers «Kan ikke vurderes» (not assessable: left out of the
    regression before it); one leaves «interkommunalt» blank (a missing predictor); one has
    the amount «ca. hundre tusen» (unreadable: set missing). 2023: 3 clean projects."""
    data = tmp_path_factory.mktemp("data")
    rows_2022 = [
        _row(1, grant_nok="100 000"),
        _row(2, grant_nok="200 000", goal_achievement="Målene er delvis nådd"),
        _row(3, grant_nok="ca. hundre tusen", goal_achievement="Målene er ikke nådd"),
        _row(4, grant_nok="300 000", intermunicipal=""),
        _row(5, grant_nok="400 000", goal_achievement="Kan ikke vurderes"),
    ]
    rows_2023 = [
        _row(11, grant_nok="150 000"),
        _row(12, grant_nok="250 000", goal_achievement="Målene er ikke nådd"),
        _row(13, grant_nok="350 000", intermunicipal="Ja"),
    ]
    write_export(data / "frisklivs_lms" / "2022.csv", rows_2022)
    write_export(data / "frisklivs_lms" / "2023.csv", rows_2023)
    return evaluate_trends("frisklivs_lms", data_dir=data)


def test_regression_counts_the_rows_left_out_for_a_missing_predictor(two_years):
    res = regression(two_years)
    # 8 rows, 1 not assessable → 7 assessable; 1 of them without «interkommunalt» → 6 fitted
    assert res["n"] == 6
    assert res["n_excluded_missing"] == 1
    assert trends_metrics(two_years)["regression"]["n_excluded_missing"] == 1


def test_regression_note_gives_the_rows_left_out(two_years):
    notes = " ".join(tdoc.regression_table(two_years).notes)
    assert "1 prosjekt mangler svar på minst én av de forklarende variablene" in notes
    assert "(6 av 7)" in notes


def test_unreadable_amount_counts_as_missing_in_its_year(two_years):
    by_year = amounts(two_years)["by_year"]
    # 2022: 100 000, 200 000, 300 000, 400 000 and one unreadable
    assert (by_year[2022]["n"], by_year[2022]["missing"]) == (4, 1)
    assert (by_year[2023]["n"], by_year[2023]["missing"]) == (3, 0)
    assert by_year[2022]["median"] == 250_000  # (200 000 + 300 000) / 2
    # the same count as the year's own metrics.json
    assert two_years.metrics[2022]["grant_nok"]["missing"] == 1


def test_amount_table_says_why_its_count_is_short(two_years):
    table = tdoc.amounts_table(two_years)
    assert table.display["Prosjekter"].tolist() == ["4", "3"]
    notes = " ".join(table.notes)
    assert "Beløpet mangler for 1 prosjekt i 2022" in notes
    assert "2023" not in notes.split("Test mellom")[0]  # no amount is missing in 2023


def test_amount_table_has_no_missing_note_when_nothing_is_missing():
    tidy = pd.DataFrame(
        {"year": [2022, 2022, 2023], "grant_nok": pd.array([1, 2, 3], dtype="Int64")}
    )
    tr = Trends(FRISKLIV, Path("."), True, {2022: {}, 2023: {}}, tidy, pd.DataFrame())
    notes = tdoc.amounts_table(tr).notes
    assert not any("mangler" in n for n in notes)
