"""Counts that must add up (issue 18): rows left out of the trends regression for a missing
predictor, unreadable amounts per year, and rows without a round. Every expected number is
counted by hand from the small exports and frames written here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import FRISKLIV, frisklivs_row, write_export

from evalkit import trend_document
from evalkit.clean import clean_export
from evalkit.config import load_scheme
from evalkit.metrics import UNKNOWN_ROUND_NB, _by_round
from evalkit.read import read_export
from evalkit.trends import Trends, amounts, evaluate_trends, regression, trends_metrics

SAMHANDLING = load_scheme("samhandling")


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
    notes = " ".join(trend_document.regression_table(two_years).notes)
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
    table = trend_document.amounts_table(two_years)
    assert table.display["Prosjekter"].tolist() == ["4", "3"]
    notes = " ".join(table.notes)
    assert "Beløpet mangler for 1 prosjekt i 2022" in notes
    assert "2023" not in notes.split("Test mellom")[0]  # no amount is missing in 2023


def test_amount_table_has_no_missing_note_when_nothing_is_missing():
    tidy = pd.DataFrame(
        {"year": [2022, 2022, 2023], "grant_nok": pd.array([1, 2, 3], dtype="Int64")}
    )
    tr = Trends(FRISKLIV, Path("."), True, {2022: {}, 2023: {}}, tidy, pd.DataFrame())
    notes = trend_document.amounts_table(tr).notes
    assert not any("mangler" in n for n in notes)


# --- rounds ---------------------------------------------------------------------------------
def _samhandling_row(i: int, round_: object, granted: str = "100 000") -> dict[str, object]:
    return {
        "Saksnr": f"2012/{i}",
        "Fylke": "Nordland",
        "Kommunenr": "1804",
        "Søker (kommune)": "Bodø",
        "Samarbeidskommuner": "",
        "Prosjekt": f"Prosjekt {i}",
        "Kategori": "Frisklivssentral",
        "Søkt beløp": "200 000",
        "Vedtak": "Innvilget",
        "Tildelt beløp": granted,
        "Runde": round_,
    }


def test_a_blank_round_is_an_unknown_round_not_round_1(tmp_path):
    rows = [
        _samhandling_row(1, "1", "100 000"),
        _samhandling_row(2, "2", "200 000"),
        _samhandling_row(3, "", "300 000"),  # blank: says nothing about the round
        _samhandling_row(4, "", "400 000"),
        _samhandling_row(5, "tre", "500 000"),  # not a round: flagged and set missing
    ]
    path = write_export(tmp_path / "2012.csv", rows)
    res = clean_export(read_export(path, SAMHANDLING), SAMHANDLING, 2012)
    assert res.tidy["round"].tolist() == [1, 2, pd.NA, pd.NA, pd.NA]
    flagged = res.flags[res.flags["field"] == "round"]
    assert flagged["problem"].tolist() == ["unknown_round"]  # only «tre»; a blank is no error

    by_round = _by_round(res.tidy, SAMHANDLING, "round")
    assert [(r["round"], r["n_applications"], r["granted_nok"]) for r in by_round] == [
        (1, 1, 100_000),
        (2, 1, 200_000),
        (None, 3, 1_200_000),  # 300 000 + 400 000 + 500 000
    ]
    assert by_round[-1]["round_name"] == UNKNOWN_ROUND_NB == "Ukjent runde"


def test_no_unknown_round_row_when_every_row_has_its_round():
    tidy = pd.DataFrame(
        {
            "round": pd.array([1, 1, 2], dtype="Int64"),
            "granted": pd.array([True, False, True], dtype="boolean"),
            "applied_nok": pd.array([10, 20, 30], dtype="Int64"),
            "granted_nok": pd.array([5, 0, 7], dtype="Int64"),
            "county_code": pd.array(["18", "18", "18"], dtype="string"),
        }
    )
    by_round = _by_round(tidy, SAMHANDLING, "round")
    assert [(r["round"], r["n_applications"], r["granted_nok"]) for r in by_round] == [
        (1, 2, 5),
        (2, 1, 7),
    ]
