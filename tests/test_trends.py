"""The trends document's common geography: every year's rows placed in the last year's
counties by their municipality codes. Expected counties read off SSB's classifications by
hand (Bergen 1201 → 4601 Vestland in 2020; Drammen 3005 (Viken) → 3301 Buskerud in 2024)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit.config import load_scheme
from evalkit.document.trends import county_table
from evalkit.trends import UNPLACED_NB, Trends, projects_by_common_county


def _trends(rows: list[tuple[int, str | None]]) -> Trends:
    tidy = pd.DataFrame(
        {
            "year": [y for y, _ in rows],
            "municipalities_reached": pd.array([c for _, c in rows], dtype="string"),
        }
    )
    years = sorted({y for y, _ in rows})
    return Trends(
        load_scheme("frisklivs_lms"),
        Path("."),
        True,
        {y: {} for y in years},
        tidy,
        pd.DataFrame(),
    )


def test_rows_are_placed_in_the_last_years_counties():
    tr = _trends(
        [
            (2019, "1201"),  # Bergen, Hordaland → Vestland
            (2019, "1201;1247"),  # Bergen and Askøy, both Hordaland → Vestland
            (2022, "3005"),  # Drammen, Viken → Buskerud
            (2022, "3005;3024"),  # Drammen (→ Buskerud) and Bærum (→ Akershus): two counties
            (2024, "4601"),  # Bergen, Vestland
            (2024, None),  # no codes
        ]
    )
    table, n_unplaced = projects_by_common_county(tr)
    assert list(table.columns) == [2019, 2022, 2024]
    assert table.loc["Vestland"].tolist() == [2, 0, 1]
    assert table.loc["Buskerud"].tolist() == [0, 1, 0]
    assert table.loc[UNPLACED_NB].tolist() == [0, 1, 1]
    assert n_unplaced == 2
    assert len(table) == 15 + 1  # the 15 counties of 2024 and the unplaced row
    assert int(table.to_numpy().sum()) == 6  # every row counted once


def test_county_table_suppresses_small_counts_and_says_which_geography():
    tr = _trends([(2019, "1201")] * 5 + [(2024, "4601")] * 2 + [(2024, "0301")] * 4)
    t = county_table(tr)
    shown = t.display.set_index("Fylke")
    # Vestland 2024 is 2: hidden; Oslo 2024 (4) is the only other count in that column, so it is
    # hidden too, or the column total (6) would give Vestland away.
    assert shown.loc["Vestland", "2024"] == ":"
    assert shown.loc["Oslo", "2024"] == ":"
    assert shown.loc["Vestland", "2019"] == "5"
    assert shown.loc["I alt", "2024"] == "6"
    assert "fylkene var i 2024" in t.notes[0]
    assert t.footnote
