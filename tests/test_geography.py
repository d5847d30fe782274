"""Counties and municipalities by period: hand-written facts from SSB's classifications."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import geography as geo


def frame(values, field="county"):
    return pd.DataFrame(
        {
            "_row": pd.array(range(2, len(values) + 2), dtype="Int64"),
            field: pd.array(values, dtype="string"),
        }
    )


@pytest.mark.parametrize(
    ("year", "n"),
    [
        (2010, 19),
        (2017, 19),
        (2018, 18),
        (2019, 18),
        (2020, 11),
        (2023, 11),
        (2024, 15),
        (2025, 15),
    ],
)
def test_number_of_counties_per_period(year, n):
    assert len(geo.counties_in(year)) == n


@pytest.mark.parametrize(
    ("year", "n"), [(2011, 430), (2012, 429), (2017, 426), (2019, 422), (2022, 356), (2024, 357)]
)
def test_number_of_municipalities_per_period(year, n):
    assert len(geo.municipalities_in(year)) == n


def test_county_spellings_and_codes():
    f = frame(
        [
            "Vestland",
            "vestland fylkeskommune",
            "TROMS OG FINNMARK",
            "Romsa ja Finnmárku",
            "3",
            "03",
            "3.0",
            "Troms & Finnmark fylke",
            "Trondelag",
        ]
    )
    res, flags = geo.resolve_counties(f, "county", "Fylke", 2022)
    assert res["county_code"].tolist() == ["46", "46", "54", "54", "03", "03", "03", "54", "50"]
    assert res["county_name"].iloc[0] == "Vestland"
    assert flags.empty


def test_unknown_and_blank_counties_are_flagged_with_their_rows():
    f = frame(["Atlantis", None, "Agder"])
    res, flags = geo.resolve_counties(f, "county", "Fylke", 2022)
    assert res["county_code"].isna().tolist() == [True, True, False]
    assert flags.set_index("problem")["row"].to_dict() == {"missing_county": 3, "unknown_county": 2}


def test_a_county_of_another_period_is_mapped_to_the_one_it_belongs_to_now():
    # Hordaland became part of Vestland in 2020 (all its municipalities)
    res, flags = geo.resolve_counties(frame(["Hordaland"]), "county", "Fylke", 2022)
    assert res["county_code"].tolist() == ["46"]
    assert flags["problem"].tolist() == ["county_not_valid_in_year"]
    assert flags["action"].tolist() == ["mapped"] and "Vestland" in flags["detail"].iloc[0]


def test_a_split_county_is_decided_by_the_municipality_codes():
    # Viken was split in 2024 into Østfold (31), Akershus (32) and Buskerud (33)
    f = frame(["Viken", "Viken"])
    codes = pd.Series(["3201", pd.NA], dtype="string")  # 3201 Bærum is in Akershus in 2024
    res, flags = geo.resolve_counties(f, "county", "Fylke", 2024, municipality_codes=codes)
    assert res["county_code"].iloc[0] == "32"
    assert pd.isna(res["county_code"].iloc[1])  # without codes it cannot be decided
    assert flags["action"].tolist() == ["mapped", "set_missing"]
    assert "Østfold" in flags["detail"].iloc[1] and "Buskerud" in flags["detail"].iloc[1]


def test_county_and_municipality_mismatch_is_noted():
    codes = pd.Series(["0301"], dtype="string")  # Oslo
    res, flags = geo.resolve_counties(
        frame(["Rogaland"]), "county", "Fylke", 2022, municipality_codes=codes
    )
    assert res["county_code"].tolist() == ["11"]
    assert flags["problem"].tolist() == ["county_municipality_mismatch"]
    assert flags["action"].tolist() == ["noted"]


def test_municipality_codes_separators_and_padding():
    f = frame(["301", "1103, 1108", "1103;1108", "1103 / 1108", "1103 1108", None], field="m")
    codes, flags = geo.resolve_municipality_codes(f, "m", "Kommunenummer", 2022)
    assert codes.tolist()[:5] == ["0301"] + ["1103;1108"] * 4
    assert pd.isna(codes.iloc[5]) and flags.empty


def test_invalid_and_unknown_codes_are_dropped_valid_ones_kept():
    f = frame(["0301, 12, 4699"], field="m")
    codes, flags = geo.resolve_municipality_codes(f, "m", "Kommunenummer", 2022)
    assert codes.tolist() == ["0301"]
    assert sorted(flags["problem"]) == ["invalid_municipality_code", "unknown_municipality_code"]
    assert set(flags["row"]) == {2}


def test_a_code_of_another_period_is_mapped_when_one_to_one():
    # 1601 Trondheim was renumbered 5001 in 2018
    f = frame(["1601"], field="m")
    codes, flags = geo.resolve_municipality_codes(f, "m", "Kommunenummer", 2019)
    assert codes.tolist() == ["5001"]
    assert flags["problem"].tolist() == ["municipality_not_valid_in_year"]
    assert flags["action"].tolist() == ["mapped"]


def test_municipality_names():
    f = frame(
        ["Bergen", "Lom og Skjåk", "Nore og Uvdal kommune", "Tromsø, Balsfjord", "Ukjentby"],
        field="n",
    )
    codes, flags = geo.resolve_municipality_names(f, "n", "Kommune(r)", 2022)
    assert codes.tolist()[:4] == ["4601", "3433;3434", "3052", "5401;5422"]
    assert flags["problem"].tolist() == ["unknown_municipality_name"] and flags["row"].tolist() == [
        6
    ]


def test_ambiguous_names_are_resolved_with_the_county():
    # two Våler in 2022: 3018 (Viken) and 3419 (Innlandet)
    f = frame(["Våler", "Våler"], field="n")
    counties = pd.Series(["34", pd.NA], dtype="string")
    codes, flags = geo.resolve_municipality_names(f, "n", "Kommune(r)", 2022, county_codes=counties)
    assert codes.iloc[0] == "3419" and pd.isna(codes.iloc[1])
    assert flags["problem"].tolist() == ["ambiguous_municipality_name"]


def test_common_geography_across_the_2020_reform():
    # Bergen 1201 (2019, Hordaland) lies in Vestland (46) in 2024; Oslo stays Oslo
    codes = pd.Series(["1201", "0301", "1201;0301"], dtype="string")
    assert geo.county_in_year(codes, 2019, 2024).tolist()[:2] == ["46", "03"]
    assert pd.isna(geo.county_in_year(codes, 2019, 2024).iloc[2])  # two counties


def test_counties_unchanged():
    assert geo.counties_unchanged(2019, 2024) == ["03", "11"]
    assert "46" in geo.counties_unchanged(2020, 2023)
