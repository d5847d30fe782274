"""Counties and municipalities by period.

Every expected value is a fact about Norway's county and municipality division (SSB
classifications 104 and 131, as in ``evalkit/reference/``), written out by hand: e.g. Vestland
is county 46 from 2020, Hordaland went wholly into it, Viken was split in 2024 into Østfold
(31), Akershus (32) and Buskerud (33), 1601 Trondheim was renumbered 5001 in 2018.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest

from evalkit import geography as geo
from evalkit.flags import FLAG_COLUMNS


def frame(values, field="value", first_row=10, index=None):
    """A tiny raw frame; source rows start at ``first_row`` so row numbers are not positions."""
    n = len(values)
    return pd.DataFrame(
        {
            "_row": pd.array(range(first_row, first_row + n), dtype="Int64"),
            field: pd.array(values, dtype="string"),
        },
        index=index,
    )


def codes(*values):
    return pd.Series(list(values), dtype="string")


def counties(values, year, municipality_codes=None, **kw):
    return geo.resolve_counties(
        frame(values, **kw), "value", "Fylke", year, municipality_codes=municipality_codes
    )


def by_problem(flags):
    return {p: g["row"].tolist() for p, g in flags.groupby("problem")}


def reference_municipalities(year=None):
    """The bundled municipality table, read here with pandas (codes, names, dates); with
    ``year``, the rows valid on 1 July of that year."""
    path = resources.files("evalkit").joinpath("reference", "kommuner.csv")
    with path.open(encoding="utf-8") as fh:
        k = pd.read_csv(fh, dtype=str, keep_default_na=False)
    if year is None:
        return k
    day = f"{year}-07-01"
    return k[(k["valid_from"] <= day) & ((k["valid_to"] == "") | (k["valid_to"] >= day))]


# --- the periods ---------------------------------------------------------------------------
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
    c = geo.counties_in(year)
    assert list(c.columns) == ["county_code", "county_name"]
    assert len(c) == n and c["county_code"].is_unique


@pytest.mark.parametrize(
    ("year", "n"),
    [(2010, 430), (2011, 430), (2012, 429), (2016, 428), (2017, 426), (2019, 422), (2022, 356),
     (2024, 357)],
)  # fmt: skip
def test_number_of_municipalities_per_period(year, n):
    # every code of the reference table, of any period: those valid in the year are kept as
    # written, each other one is flagged
    every = sorted(set(reference_municipalities()["code"]))
    result, flags = geo.resolve_municipality_codes(frame(every), "value", "K", year)
    kept = [
        code for code, got in zip(every, result.fillna("").tolist(), strict=True) if got == code
    ]
    assert len(kept) == n
    assert len(every) - flags["row"].nunique() == n


def test_codes_are_strings_with_leading_zeros():
    c = geo.counties_in(2016)
    assert c.loc[c["county_name"] == "Oslo", "county_code"].tolist() == ["03"]
    result, flags = geo.resolve_municipality_names(frame(["Oslo"]), "value", "K", 2016)
    assert result.tolist() == ["0301"] and flags.empty
    assert geo.county_in_year(codes("0301"), 2016, 2016).tolist() == ["03"]


def test_the_counties_of_each_reform():
    assert {"16", "17"} <= set(geo.counties_in(2017)["county_code"])
    assert "50" in set(geo.counties_in(2018)["county_code"]) - {"16", "17"}
    assert set(geo.counties_in(2022)["county_code"]) == {
        "03", "11", "15", "18", "30", "34", "38", "42", "46", "50", "54",
    }  # fmt: skip
    assert set(geo.counties_in(2024)["county_code"]) == {
        "03", "11", "15", "18", "31", "32", "33", "34", "39", "40", "42", "46", "50", "55", "56",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "year", "name"),
    [("46", 2022, "Vestland"), ("3", 2024, "Oslo"), ("54", 2020, "Troms og Finnmark")],
)
def test_county_name(code, year, name):
    res, flags = counties([code], year)
    assert res["county_name"].tolist() == [name] and flags.empty


def test_a_county_code_of_another_period_is_not_a_county_of_the_year():
    res, flags = counties(["30"], 2024)  # Viken ended in 2023
    assert res["county_code"].isna().all() and res["county_name"].isna().all()
    assert flags["problem"].tolist() == ["county_not_valid_in_year"]


# --- counties: spellings -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spelling", "year", "code"),
    [
        ("Vestland", 2022, "46"),
        ("VESTLAND", 2022, "46"),
        ("  vestland ", 2022, "46"),
        ("Vestland fylkeskommune", 2022, "46"),
        ("Vestland fylke", 2022, "46"),
        ("Statsforvalteren i Vestland", 2022, "46"),
        ("Møre og Romsdal", 2022, "15"),
        ("More og Romsdal", 2022, "15"),  # without Norwegian letters
        ("Møre & Romsdal", 2022, "15"),
        ("Troms & Finnmark fylke", 2022, "54"),
        ("Romsa ja Finnmárku", 2022, "54"),  # Sami name
        ("Troms og Finnmark - Romsa ja Finnmárku - Tromssa ja Finmarkku", 2022, "54"),
        ("Trööndelage", 2022, "50"),  # South Sami name of Trøndelag
        ("Trondelag", 2022, "50"),
        ("Nordlánnda", 2022, "18"),
        ("Sør Trøndelag", 2016, "16"),
        ("Sor-Trondelag", 2016, "16"),
        ("Fylkesmannen i Nord-Trøndelag", 2016, "17"),
        ("Aust-Agder", 2016, "09"),
        ("Finnmark", 2016, "20"),
        ("Finnmark", 2024, "56"),
        ("Østfold", 2016, "01"),
        ("Østfold", 2024, "31"),  # same name, new code after the 2024 split
        ("Oslo - Oslove", 2024, "03"),
    ],
)
def test_county_spellings(spelling, year, code):
    res, flags = counties([spelling], year)
    assert res["county_code"].tolist() == [code]
    assert flags.empty


@pytest.mark.parametrize("written", ["3", "03", "3.0", " 03 "])
def test_county_codes_as_text_or_excel_floats(written):
    res, flags = counties([written], 2022)
    assert res["county_code"].tolist() == ["03"]
    assert res["county_name"].tolist() == ["Oslo"]
    assert flags.empty


def test_county_result_is_aligned_string_columns():
    res, _ = counties(["Agder", "Atlantis", "46"], 2022, index=[7, 3, 5])
    assert list(res.index) == [7, 3, 5]
    assert list(res.columns) == ["county_code", "county_name"]
    assert all(isinstance(t, pd.StringDtype) for t in res.dtypes)
    assert res["county_code"].tolist()[::2] == ["42", "46"]
    assert res["county_name"].tolist()[::2] == ["Agder", "Vestland"]
    assert res.loc[3].isna().all()


def test_blank_and_unknown_counties_are_flagged_with_their_source_rows():
    res, flags = counties(["Atlantis", None, "Agder", "   "], 2022)
    assert res["county_code"].isna().tolist() == [True, True, False, True]
    assert list(flags.columns) == FLAG_COLUMNS
    assert by_problem(flags) == {"missing_county": [11, 13], "unknown_county": [10]}
    assert set(flags["action"]) == {"set_missing"}
    unknown = flags[flags["problem"] == "unknown_county"].iloc[0]
    assert unknown["value"] == "Atlantis" and "Atlantis" in unknown["detail"]
    assert unknown["column"] == "Fylke" and unknown["field"] == "value"


# --- counties of another period ------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "year", "code", "name"),
    [
        ("Hordaland", 2022, "46", "Vestland"),  # 2020: all of Hordaland into Vestland
        ("Hedmark", 2022, "34", "Innlandet"),
        ("Aust-Agder", 2020, "42", "Agder"),
        ("Troms", 2022, "54", "Troms og Finnmark"),
        ("Sør-Trøndelag", 2018, "50", "Trøndelag"),  # 2018: 16 + 17 -> 50
        ("Nord-Trøndelag", 2019, "50", "Trøndelag"),
        ("Sør-Trøndelag", 2024, "50", "Trøndelag"),  # a chain of reforms
        ("12", 2022, "46", "Vestland"),  # a code of another period
        ("19", 2024, "55", "Troms"),  # old Troms -> Troms og Finnmark -> Troms
        ("Østfold", 2022, "30", "Viken"),  # both Østfold counties lie wholly in Viken
        ("Telemark", 2022, "38", "Vestfold og Telemark"),
        ("40", 2022, "38", "Vestfold og Telemark"),  # backwards: 2024 Telemark came from 38
        ("Finnmark", 2020, "54", "Troms og Finnmark"),
    ],
)
def test_a_county_that_lies_wholly_in_one_county_of_the_year_is_mapped(written, year, code, name):
    res, flags = counties([written], year)
    assert res["county_code"].tolist() == [code]
    assert res["county_name"].tolist() == [name]
    assert flags["problem"].tolist() == ["county_not_valid_in_year"]
    assert flags["action"].tolist() == ["mapped"]
    assert name in flags["detail"].iloc[0] and flags["value"].iloc[0] == written
    assert flags["row"].tolist() == [10]


@pytest.mark.parametrize(
    ("written", "year", "parts"),
    [
        ("Viken", 2024, ["Østfold", "Akershus", "Buskerud"]),
        ("Troms og Finnmark", 2024, ["Troms", "Finnmark"]),
        ("Vestfold og Telemark", 2024, ["Vestfold", "Telemark"]),
        ("Trøndelag", 2016, ["Sør-Trøndelag", "Nord-Trøndelag"]),
        ("Oppland", 2022, ["Innlandet", "Viken"]),  # Jevnaker and Lunner went to Viken
        ("Sogn og Fjordane", 2022, ["Vestland", "Møre og Romsdal"]),  # Hornindal -> Volda
        ("Vestland", 2019, ["Hordaland", "Sogn og Fjordane"]),
        # old Østfold is not all in new Østfold: Rømskog merged into Aurskog-Høland in 2020
        ("01", 2024, ["Østfold", "Akershus"]),
    ],
)
def test_a_split_county_without_municipality_codes_is_left_missing(written, year, parts):
    res, flags = counties([written], year)
    assert res["county_code"].isna().all() and res["county_name"].isna().all()
    assert flags["problem"].tolist() == ["county_not_valid_in_year"]
    assert flags["action"].tolist() == ["set_missing"]
    assert all(p in flags["detail"].iloc[0] for p in parts)


def test_a_split_county_is_decided_by_the_municipality_codes():
    # Viken was split in 2024: 3201 Bærum lies in Akershus (32), 3101 Halden in Østfold (31)
    muni = codes("3201", "3101", pd.NA, "3101;3201", "0301;3201")
    res, flags = counties(["Viken"] * 5, 2024, municipality_codes=muni)
    assert res["county_code"].tolist()[:2] == ["32", "31"]
    assert res["county_code"].iloc[2:4].isna().all()  # no codes; codes in two parts
    assert res["county_code"].iloc[4] == "32"  # Oslo is not a part of Viken: Akershus decides
    stale = flags[flags["problem"] == "county_not_valid_in_year"]
    assert stale["row"].tolist() == [10, 11, 12, 13, 14]
    assert stale["action"].tolist() == ["mapped", "mapped", "set_missing", "set_missing", "mapped"]
    assert "Akershus" in stale["detail"].iloc[0] and "Østfold" in stale["detail"].iloc[1]
    # the row with Oslo among its municipalities is also noted
    assert by_problem(flags)["county_municipality_mismatch"] == [14]


def test_trondelag_before_2018_is_decided_by_the_municipality():
    # 1601 Trondheim was in Sør-Trøndelag, 1702 Steinkjer in Nord-Trøndelag
    res, flags = counties(
        ["Trøndelag", "Trøndelag"], 2016, municipality_codes=codes("1601", "1702")
    )
    assert res["county_code"].tolist() == ["16", "17"]
    assert flags["action"].tolist() == ["mapped", "mapped"]


def test_municipality_codes_are_matched_by_label():
    f = frame(["Viken", "Viken"], index=[4, 8])
    muni = pd.Series(["3101", "3301"], index=[8, 4], dtype="string")  # 3301 Drammen: Buskerud
    res, _ = geo.resolve_counties(f, "value", "Fylke", 2024, municipality_codes=muni)
    assert res.loc[4, "county_code"] == "33" and res.loc[8, "county_code"] == "31"


def test_county_and_municipality_mismatch_is_noted_and_the_county_kept():
    muni = codes("0301", "4601", "1103;0301", pd.NA, "0301")
    res, flags = counties(
        ["Rogaland", "Vestland", "Rogaland", "Rogaland", "Hordaland"], 2022, municipality_codes=muni
    )
    assert res["county_code"].tolist() == ["11", "46", "11", "11", "46"]
    mismatch = flags[flags["problem"] == "county_municipality_mismatch"]
    assert mismatch["row"].tolist() == [10, 12, 14]
    assert set(mismatch["action"]) == {"noted"}
    assert "0301" in mismatch["detail"].iloc[0] and "Oslo" in mismatch["detail"].iloc[0]
    # Hordaland is mapped to Vestland and then checked like any other county
    assert by_problem(flags)["county_not_valid_in_year"] == [14]


def test_no_mismatch_check_without_municipality_codes():
    _, flags = counties(["Rogaland"], 2022)
    assert flags.empty


# --- municipality codes --------------------------------------------------------------------
def test_municipality_codes_separators_and_padding():
    f = frame(
        ["0301", "301", "301.0", "1103, 1106", "1103;1106", "1103 / 1106", "1103 1106",
         "1106,1103,1103", "1103 og 1106", None, "  "],
    )  # fmt: skip
    result, flags = geo.resolve_municipality_codes(f, "value", "Kommunenummer", 2022)
    assert result.tolist()[:9] == ["0301"] * 3 + ["1103;1106"] * 6
    assert result.iloc[9:].isna().all()
    assert isinstance(result.dtype, pd.StringDtype) and result.index.equals(f.index)
    assert flags.empty


def test_invalid_and_unknown_codes_are_dropped_valid_ones_kept():
    f = frame(["0301, 12, 4699", "abc", "1103;12345", "9999"])
    result, flags = geo.resolve_municipality_codes(f, "value", "Kommunenummer", 2022)
    assert result.iloc[0] == "0301" and result.iloc[2] == "1103"
    assert pd.isna(result.iloc[1]) and pd.isna(result.iloc[3])
    got = sorted(zip(flags["row"], flags["value"], flags["problem"], strict=True))
    assert got == [
        (10, "12", "invalid_municipality_code"),
        (10, "4699", "unknown_municipality_code"),  # 46xx are Vestland codes; 4699 never used
        (11, "abc", "invalid_municipality_code"),
        (12, "12345", "invalid_municipality_code"),
        (13, "9999", "unknown_municipality_code"),  # SSB's «Uoppgitt», not a municipality
    ]
    assert set(flags["action"]) == {"set_missing"} and set(flags["column"]) == {"Kommunenummer"}


@pytest.mark.parametrize(
    ("written", "year", "code"),
    [
        ("1601", 2019, "5001"),  # Trondheim renumbered in 2018
        ("1201", 2022, "4601"),  # Bergen renumbered in 2020
        ("4601", 2016, "1201"),  # and back
        ("1723", 2016, "1756"),  # Mosvik merged into Inderøy in 2012
        ("0722", 2022, "3811"),  # Nøtterøy -> Færder (2018) -> 3811 (2020)
        ("3053", 2024, "3236"),  # Jevnaker, Viken -> Akershus
    ],
)
def test_a_code_of_another_period_is_mapped_when_one_to_one(written, year, code):
    result, flags = geo.resolve_municipality_codes(frame([written]), "value", "K", year)
    assert result.tolist() == [code]
    assert flags["problem"].tolist() == ["municipality_not_valid_in_year"]
    assert flags["action"].tolist() == ["mapped"] and code in flags["detail"].iloc[0]


@pytest.mark.parametrize(
    ("written", "year"),
    [
        ("1507", 2024),  # Ålesund split in 2024 into 1508 Ålesund and 1580 Haram
        ("1756", 2011),  # Inderøy 2012 came from two municipalities
        ("0720", 2017),  # Stokke was divided between Tønsberg and Sandefjord
    ],
)
def test_a_code_of_another_period_is_dropped_when_not_one_to_one(written, year):
    result, flags = geo.resolve_municipality_codes(frame([f"0301, {written}"]), "value", "K", year)
    assert result.tolist() == ["0301"]
    assert flags["problem"].tolist() == ["municipality_not_valid_in_year"]
    assert flags["action"].tolist() == ["set_missing"] and flags["value"].tolist() == [written]


def test_municipality_code_flags_carry_the_source_rows():
    f = frame(["0301", "1601", "x 0301", "1601"], first_row=40)
    _, flags = geo.resolve_municipality_codes(f, "value", "K", 2022)
    assert by_problem(flags) == {
        "invalid_municipality_code": [42],
        "municipality_not_valid_in_year": [41, 43],
    }


# --- municipality names --------------------------------------------------------------------
def names(values, year, county_codes=None):
    return geo.resolve_municipality_names(
        frame(values), "value", "Kommune(r)", year, county_codes=county_codes
    )


def test_municipality_names_and_separators():
    result, flags = names(
        ["Bergen", "BERGEN kommune", "Tromsø, Balsfjord", "Askøy / Øygarden; Bergen",
         "Lom og Skjåk", "Lom kommune og Skjåk kommune", "Lom og Skjåk kommuner", None],
        2022,
    )  # fmt: skip
    assert result.tolist()[:7] == [
        "4601", "4601", "5401;5422", "4601;4626;4627", "3433;3434", "3433;3434", "3433;3434",
    ]  # fmt: skip
    assert pd.isna(result.iloc[7]) and flags.empty


def test_names_containing_og_are_matched_whole():
    result, flags = names(
        ["Nore og Uvdal", "Nore og Uvdal kommune", "Evje og Hornnes og Bygland",
         "Herøy i Møre og Romsdal og Ulstein"],
        2022,
    )  # fmt: skip
    assert result.tolist() == ["3052", "3052", "4219;4220", "1515;1516"]
    assert flags.empty
    assert names(["Nore og Uvdal"], 2024)[0].tolist() == ["3338"]  # Buskerud from 2024


@pytest.mark.parametrize("year", [2010, 2016, 2019, 2020, 2022, 2024])
def test_every_official_name_with_og_resolves_to_itself(year):
    m = reference_municipalities(year)
    with_og = m[m["name"].str.contains(" og ")]
    assert len(with_og) >= 2  # Nore og Uvdal, Evje og Hornnes
    result, flags = names(with_og["name"].tolist(), year)
    assert result.tolist() == with_og["code"].tolist() and flags.empty


def test_sami_names_and_parts_of_multilingual_names():
    result, flags = names(["Guovdageaidnu", "Kautokeino og Karasjok"], 2022)
    assert result.tolist() == ["5430", "5430;5437"] and flags.empty


def test_ambiguous_names_are_resolved_with_the_county():
    # 2024: Våler (Østfold) 3114 and Våler (Innlandet) 3419; Herøy in Møre og Romsdal and Nordland
    result, flags = names(
        ["Våler", "Våler", "Våler", "Våler", "Herøy", "Våler i Østfold"],
        2024,
        county_codes=codes("31", "34", pd.NA, "03", "18", pd.NA),
    )
    assert result.tolist()[:2] == ["3114", "3419"]
    assert result.iloc[2:4].isna().all()  # no county; a county without a Våler
    assert result.tolist()[4:] == ["1818", "3114"]
    assert flags["problem"].tolist() == ["ambiguous_municipality_name"] * 2
    assert flags["row"].tolist() == [12, 13] and set(flags["action"]) == {"set_missing"}
    assert "3114" in flags["detail"].iloc[0] and "3419" in flags["detail"].iloc[0]


def test_names_shared_before_2020_are_resolved_with_the_county():
    # Nes in Akershus (0236) and Buskerud (0616); Os in Hedmark (0441) and Hordaland (1243)
    result, flags = names(
        ["Nes", "Nes", "Os", "Os"], 2016, county_codes=codes("02", "06", "12", pd.NA)
    )
    assert result.tolist()[:3] == ["0236", "0616", "1243"] and pd.isna(result.iloc[3])
    assert by_problem(flags) == {"ambiguous_municipality_name": [13]}


def test_unknown_names_are_dropped_known_ones_kept():
    result, flags = names(["Bergen, Ukjentby", "Atlantis"], 2022)
    assert result.iloc[0] == "4601" and pd.isna(result.iloc[1])
    assert flags["problem"].tolist() == ["unknown_municipality_name"] * 2
    assert flags["row"].tolist() == [10, 11]
    assert flags["value"].tolist() == ["Ukjentby", "Atlantis"]


def test_a_name_of_another_period_is_followed_like_a_code():
    # Nøtterøy and Tjøme became Færder in 2018 (3811 from 2020)
    result, flags = names(["Nøtterøy", "Nøtterøy og Tjøme"], 2022)
    assert result.tolist() == ["3811", "3811"]
    assert flags["problem"].unique().tolist() == ["municipality_not_valid_in_year"]
    assert set(flags["action"]) == {"mapped"} and flags["row"].tolist() == [10, 11, 11]


# --- counties of municipalities across years -----------------------------------------------
def test_county_in_year_within_one_year():
    result = geo.county_in_year(codes("0301", "4601;4602", "0301;4601", pd.NA, "1201"), 2022, 2022)
    assert result.tolist()[:2] == ["03", "46"]
    assert result.iloc[2:4].isna().all()  # two counties; blank
    assert result.iloc[4] == "46"  # 1201 Bergen (until 2019) is followed to 4601, Vestland


def test_county_in_year_gives_a_common_geography():
    result = geo.county_in_year(
        codes("1201", "0301", "1201;0301", "0720", "1567", "0137;0426", pd.NA), 2016, 2024
    )
    # Bergen -> Vestland; Oslo; two counties; Stokke (both parts in Vestfold) -> 39;
    # Rindal moved to Trøndelag in 2019; the two Våler end in Østfold and Innlandet
    assert result.tolist()[:2] == ["46", "03"]
    assert pd.isna(result.iloc[2])
    assert result.tolist()[3:5] == ["39", "50"]
    assert result.iloc[5:].isna().all()


def test_county_in_year_backwards():
    result = geo.county_in_year(codes("3201", "5601", "3101;3103"), 2024, 2019)
    assert result.tolist() == ["02", "20", "01"]  # Bærum, Alta, Halden + Moss


def test_county_in_year_across_mergers_moves_and_splits():
    # Oslo and Rogaland kept their codes and areas from 2019 to 2024, both ways
    assert geo.county_in_year(codes("0301", "1103"), 2019, 2024).tolist() == ["03", "11"]
    assert geo.county_in_year(codes("0301", "1103"), 2024, 2019).tolist() == ["03", "11"]
    # 2012: Mosvik (1723) and Inderøy merged inside Nord-Trøndelag, both ways
    assert geo.county_in_year(codes("1723"), 2010, 2012).tolist() == ["17"]
    assert geo.county_in_year(codes("1756"), 2012, 2010).tolist() == ["17"]
    # 2019: Rindal (1567) moved from Møre og Romsdal to Trøndelag
    assert geo.county_in_year(codes("1567"), 2018, 2019).tolist() == ["50"]
    # 2024: Ålesund (1507) split into 1508 Ålesund and 1580 Haram, both in Møre og Romsdal
    assert geo.county_in_year(codes("1507"), 2023, 2024).tolist() == ["15"]
