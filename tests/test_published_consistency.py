"""Consistency check of the demo generator and the cleaner against the published figures.

The demo data (``evalkit demo``) are synthetic, built from the published figures
(``evalkit/demo/published_figures.yaml``, the one copy in the repository, with sources). This
reads the demo exports through the whole pipeline (read, clean, metrics) and checks that every
published figure comes out again. It shows that the generator and the cleaner agree on each
figure: what the generator wrote in its many spellings, the cleaner reads back as the
published count. It is not a backtest: the real exports behind the published figures are not
in the repository, so nothing here shows that evalkit reproduces a published figure from the
data it was computed from.

Expected values are read from the YAML, never from evalkit's output. Percentages are compared
at the precision the source printed them (2022: one decimal; 2023: whole numbers).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from evalkit.evaluation import evaluate

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent / "data" / "demo"
PUBLISHED = yaml.safe_load(
    (HERE.parent / "evalkit" / "demo" / "published_figures.yaml").read_text(encoding="utf-8")
)
FLS = PUBLISHED["frisklivs_lms"]
SAM = PUBLISHED["samhandling"]


@cache
def metrics(scheme: str, year: int) -> dict:
    return evaluate(scheme, year, data_dir=DEMO, compare_with=[]).metrics


def pct(share: float, decimals: int) -> float:
    """Round half up as a report would print it."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(
        Decimal(str(share * 100)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    )


def published(year: str, key: str) -> float:
    return FLS[year][key]["value"]


# frisklivs_lms: (published key, share key in metrics.json, decimals printed)
SHARES_2022 = [
    ("share_intermunicipal", "intermunicipal", 1),
    ("share_target_both", "target_group.begge", 1),
    ("share_target_annet", "target_group.annet", 1),
    ("share_diagnoseuavhengig", "offer_type.diagnoseuavhengig", 1),
    ("share_diagnosespesifikk", "offer_type.diagnosespesifikk", 1),
    ("share_type_annet", "offer_type.annet", 1),
    ("share_collaboration_projects", "collaboration", 1),
    ("share_actor_frisklivssentralen", "actor.frisklivssentralen", 1),
    ("share_actor_andre_kommunale_tjenester", "actor.andre_kommunale", 1),
    ("share_delmaal_etablere_frisklivssentral", "subgoal.etablere_fls", 0),
    ("share_delmaal_andre_laerings_mestringstilbud", "subgoal.etablere_lms", 0),
]
SHARES_2023 = [
    ("share_intermunicipal", "intermunicipal", 0),
    ("share_target_both", "target_group.begge", 0),
    ("share_target_annet", "target_group.annet", 0),
    ("share_diagnoseuavhengig", "offer_type.diagnoseuavhengig", 0),
    ("share_diagnosespesifikk", "offer_type.diagnosespesifikk", 0),
]


def test_2022_counts():
    m = metrics("frisklivs_lms", 2022)
    assert m["n_counties"] == published("2022", "n_counties")
    assert m["n_projects"] == published("2022", "n_projects")
    assert m["grant_total_nok"] == published("2022", "national_total_grant")
    assert m["shares"]["intermunicipal"]["count"] == published("2022", "n_intermunicipal")
    # «Gjennomsnittlig … 10 prosjekter per fylke»: 109 / 11 rounds to 10
    assert round(m["n_projects"] / m["n_counties"]) == published("2022", "avg_projects_per_county")


@pytest.mark.parametrize(("key", "share", "decimals"), SHARES_2022)
def test_2022_shares(key, share, decimals):
    s = metrics("frisklivs_lms", 2022)["shares"][share]
    entry = FLS["2022"][key]
    assert s["n"] == 109 and s["missing"] == 0  # every published denominator is all 109 projects
    assert pct(s["share"], decimals) == entry["value"]
    if "derived_count" in entry:
        assert s["count"] == entry["derived_count"]


def test_2022_main_subgoals_between_78_and_93_percent():
    sh = metrics("frisklivs_lms", 2022)["shares"]
    main = [
        sh[f"subgoal.{k}"]["share"]
        for k in (
            "fremme_helse",
            "forebygge",
            "mestring",
            "samhandling",
            "utvikle_fls",
            "ressursutnyttelse",
            "kompetanse",
        )
    ]
    assert pct(min(main), 0) == published("2022", "share_delmaal_7_main_min")
    assert pct(max(main), 0) == published("2022", "share_delmaal_7_main_max")


def _extremes(m: dict) -> tuple[set[str], set[str]]:
    rows = [r for r in m["by_county"] if r["county_code"] and r["n_projects"] > 0]
    hi, lo = max(r["n_projects"] for r in rows), min(r["n_projects"] for r in rows)
    return (
        {r["county_name"] for r in rows if r["n_projects"] == hi},
        {r["county_name"] for r in rows if r["n_projects"] == lo},
    )


def test_2022_most_and_fewest_projects():
    most, fewest = _extremes(metrics("frisklivs_lms", 2022))
    assert most == {"Troms og Finnmark"} and fewest == {"Rogaland"}


def test_2022_viken_rows_are_the_published_grants():
    viken = next(r for r in metrics("frisklivs_lms", 2022)["by_county"] if r["county_code"] == "30")
    assert viken["grant_nok"] == FLS["2022"]["county_granted_total_viken"]["value"]
    assert viken["n_projects"] == FLS["2022"]["n_grantees_viken"]["value"]
    assert (
        sum(FLS["2022"][f"grant_viken_{i:02d}"]["value"] for i in range(1, 12))
        == viken["grant_nok"]
    )


def test_2023_counts_and_shares():
    m = metrics("frisklivs_lms", 2023)
    assert m["n_counties"] == FLS["2023"]["n_counties"]["value"]
    assert m["n_projects"] == FLS["2023"]["n_projects"]["value"]
    assert (
        round(m["n_projects"] / m["n_counties"]) == FLS["2023"]["avg_projects_per_county"]["value"]
    )
    for key, share, decimals in SHARES_2023:
        assert pct(m["shares"][share]["share"], decimals) == FLS["2023"][key]["value"], key
    assert (
        m["shares"]["intermunicipal"]["count"]
        == FLS["2023"]["share_intermunicipal"]["derived_count"]
    )


def test_2023_counties():
    m = metrics("frisklivs_lms", 2023)
    most, fewest = _extremes(m)
    assert most == {"Vestfold og Telemark"} and fewest == {"Rogaland"}
    rogaland = next(r for r in m["by_county"] if r["county_code"] == "11")
    assert rogaland["grant_nok"] == FLS["2023"]["county_granted_total_rogaland"]["value"]
    assert rogaland["n_municipalities"] == FLS["2023"]["n_grantees_rogaland"]["value"]


def test_samhandling_2012():
    m = metrics("samhandling", 2012)
    assert m["n_applications"] == SAM["2012"]["n_applications"]["value"]
    assert m["n_granted"] == SAM["2012"]["n_projects"]["value"]
    assert m["granted_total_nok"] == SAM["2012"]["total_granted"]["value"]
    assert (
        pct(m["shares"]["granted"]["share"], 1)
        == SAM["2012"]["share_projects_funded_derived"]["value"]
    )
    # applied against granted covers every granted application and every granted krone
    a = m["applied_vs_granted"]
    assert a["n"] + a["missing"] == SAM["2012"]["n_projects"]["value"]
    assert a["granted_total_nok"] == SAM["2012"]["total_granted"]["value"]


def test_samhandling_2011_rounds():
    m = metrics("samhandling", 2011)
    by_round = {r["round"]: r["granted_nok"] for r in m["by_round"]}
    assert by_round == {
        1: SAM["2011"]["round1_granted"]["value"],
        2: SAM["2011"]["round2_granted"]["value"],
    }
    # the 4 mill. to KS is not a project: the projects add up to the budget less KS (± rounding)
    budget, ks = SAM["2011"]["total_budget"]["value"], SAM["2011"]["ks_grant"]["value"]
    assert abs(m["granted_total_nok"] + ks - budget) <= 100_000


def test_samhandling_2011_more_og_romsdal():
    """«Seks ulike prosjekter i Møre og Romsdal får nå støtte», 4,6 millioner kroner: the
    county's grants of one round (the source does not say which; the demo puts them in round
    1). The cleaned data hold exactly those six in that round."""
    from evalkit.evaluation import load_year

    tidy = load_year("samhandling", 2011, DEMO).tidy
    granted = tidy[tidy["granted"].fillna(False) & (tidy["county_code"] == "15")]
    first = granted[granted["round"] == 1]
    assert len(first) == SAM["2011"]["n_projects_more_og_romsdal"]["value"]
    assert first["granted_nok"].sum() == SAM["2011"]["county_total_more_og_romsdal"]["value"]
    sunndal = SAM["2011"]["grant_sunndal_dms"]["value"]
    assert sunndal in set(first["granted_nok"].dropna().astype(int))


def test_samhandling_2010():
    m = metrics("samhandling", 2010)
    assert m["n_granted"] == SAM["2010"]["n_projects"]["value"]
    assert m["granted_total_nok"] == SAM["2010"]["total_granted"]["value"]
    assert m["n_municipalities"] > SAM["2010"]["n_municipalities_covered"]["value"]  # «over 300»


#: County codes of each county structure (SSB classification 104), written out by hand: the 18
#: counties to 2019, the 11 of 2020–2023 and the 15 from 2024.
COUNTIES_2019 = {
    "01", "02", "03", "04", "05", "06", "07", "08", "09",
    "10", "11", "12", "14", "15", "18", "19", "20", "50",
}  # fmt: skip
COUNTIES_2020 = {"03", "11", "15", "18", "30", "34", "38", "42", "46", "50", "54"}
COUNTIES_2024 = {
    "03", "11", "15", "18", "31", "32", "33", "34", "39", "40", "42", "46", "50", "55", "56",
}  # fmt: skip


@pytest.mark.parametrize(
    ("year", "counties"),
    [(2019, COUNTIES_2019), (2020, COUNTIES_2020), (2021, COUNTIES_2020), (2024, COUNTIES_2024)],
)
def test_synthetic_years_use_the_county_structure_of_their_year(year, counties):
    m = metrics("frisklivs_lms", year)
    assert m["synthetic"] is True
    assert m["n_counties_in_year"] == len(counties)
    # one row per county of the year's structure, and the projects are in those counties only
    assert {r["county_code"] for r in m["by_county"] if r["county_code"]} == counties
    assert not [r for r in m["by_county"] if r["county_code"] is None]
    assert m["n_counties"] <= len(counties)
