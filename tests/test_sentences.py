"""Every sentence true of its data: each template of the documents tried on its edge cases (0,
1 and all; all missing; one year; a unit of applications), from small hand-made metrics.

The expected sentences are written out by hand from the figures given. Norwegian numbers
carry a non-breaking space (``NB``) before «prosent» and between thousands.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit import formats, metrics, wording
from evalkit.config import load_scheme, load_scheme_file
from evalkit.document import text
from evalkit.document import trends as trend_document
from evalkit.document.text import SummaryFormatter
from evalkit.errors import EvalkitError
from evalkit.geography import county_change_years
from evalkit.trends import Trends, evaluate_trends

NB = "\u00a0"
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def fill(template: str, context: dict, unit: str = "project") -> str | None:
    """One summary sentence filled in as the documents fill it (None: left out)."""
    from evalkit.document.text import _sentence

    out = _sentence(SummaryFormatter(context, unit=unit), template)
    return None if out is None else out.replace("&lpar;", "(").replace("&rpar;", ")")


def share(count: int, n: int, missing: int = 0) -> dict:
    return {"count": count, "n": n, "missing": missing, "share": count / n if n else None}


# --- the rows counted, in the scheme's unit ------------------------------------------------
@pytest.mark.parametrize(
    ("n", "unit", "units", "the_units"),
    [
        (0, "project", "0 prosjekter", "0 prosjekter"),
        (1, "project", "1 prosjekt", "det ene prosjektet"),
        (15, "project", "15 prosjekter", "de 15 prosjektene"),
        (1, "application", "1 søknad", "den ene søknaden"),
        (1030, "application", f"1{NB}030 søknader", f"de 1{NB}030 søknadene"),
    ],
)
def test_a_count_takes_the_units_noun_in_the_number_it_needs(n, unit, units, the_units):
    assert formats.units(n, unit) == units
    assert formats.the_units(n, unit) == the_units
    assert fill("{k:units}", {"k": n}, unit) == units
    assert fill("{k:the_units}", {"k": n}, unit) == the_units


# --- a share's denominator («av de 131 som svarte») ----------------------------------------
SAMARBEID = "{s[share]:prosent} {s:of} var samarbeidsprosjekter."


def test_every_row_answered_the_denominator_is_all_rows():
    # 124 of 132, all answered: 93,9 %
    m = {"n_projects": 132, "s": share(124, 132)}
    assert fill(SAMARBEID, m) == f"93,9{NB}prosent av de 132 prosjektene var samarbeidsprosjekter."


def test_some_did_not_answer_the_denominator_says_so_with_its_comma():
    # 2024 of the demo: 123 of the 131 who answered (1 did not) of 132; 123/131 = 93,89 %
    m = {"n_projects": 132, "s": share(123, 131, 1)}
    assert fill(SAMARBEID, m) == (
        f"93,9{NB}prosent av de 131 prosjektene som svarte, var samarbeidsprosjekter."
    )
    # no comma before a bracket or a full stop
    assert fill("({s[share]:prosent} {s:of}).", m) == (
        f"(93,9{NB}prosent av de 131 prosjektene som svarte)."
    )


def test_one_row_answered():
    m = {"n_projects": 2, "s": share(1, 1, 1)}
    assert fill(SAMARBEID, m) == (
        f"100,0{NB}prosent av det ene prosjektet som svarte, var samarbeidsprosjekter."
    )
    m = {"n_projects": 1, "s": share(0, 1)}
    assert fill(SAMARBEID, m) == f"0,0{NB}prosent av det ene prosjektet var samarbeidsprosjekter."


def test_all_missing_or_no_rows_leaves_the_sentence_out():
    assert fill(SAMARBEID, {"n_projects": 132, "s": share(0, 0, 132)}) is None
    assert fill(SAMARBEID, {"n_projects": 0, "s": share(0, 0, 0)}) is None
    assert fill("{s:of}", {"n_projects": 132, "s": share(0, 0, 132)}) is None


def test_applications_with_an_answer_are_named_as_such():
    # 198 of the 379 applications with a decision granted, 1 without: 52,24 %
    m = {"n_applications": 380, "s": share(198, 379, 1)}
    assert fill("{s[share]:prosent} {s:of} fikk tilskudd.", m, "application") == (
        f"52,2{NB}prosent av de 379 søknadene med svar fikk tilskudd."
    )


def test_a_share_of_some_rows_only_does_not_claim_all_rows():
    # the reasons asked of the 13 projects whose goals cannot be assessed, of 132
    m = {"n_projects": 132, "s": share(4, 13)}
    assert fill("{s[share]:prosent} {s:of}", m) == f"30,8{NB}prosent av 13 prosjekter"


def test_of_needs_a_share():
    with pytest.raises(EvalkitError, match="takes a share"):
        fill("{n_projects:of}", {"n_projects": 132})


# --- the scheme YAMLs' summaries -------------------------------------------------------------
FRISKLIV = load_scheme("frisklivs_lms")
SAMHANDLING = load_scheme("samhandling")


def frisklivs_summary(**m) -> str:
    return (
        text.summary({"year": 2024, "n_projects": 132, **m}, FRISKLIV)
        .replace("&lpar;", "(")
        .replace("&rpar;", ")")
    )


def actors(count: int, n: int) -> dict:
    return {"checked_counts": {"collaboration_actors": {**share(count, n), "fewer": n - count}}}


def test_several_actors_are_claimed_only_when_every_collaboration_project_has_them():
    s = frisklivs_summary(shares={"collaboration": share(116, 132)}, **actors(116, 116))
    assert s == (
        f"87,9{NB}prosent av de 132 prosjektene var samarbeidsprosjekter der flere kommunale "
        "tjenester og aktører deltok."
    )


def test_else_the_share_of_them_with_several_actors_is_given():
    # 2023 of the demo: 116 of 126 collaboration projects, 15 of them tick fewer than two
    # actors: 101/116 = 87,07 %
    s = frisklivs_summary(
        n_projects=126, shares={"collaboration": share(116, 126)}, **actors(101, 116)
    )
    assert s == (
        f"92,1{NB}prosent av de 126 prosjektene var samarbeidsprosjekter. Blant "
        "samarbeidsprosjektene deltok flere kommunale tjenester og aktører (minst to av aktørene "
        f"i skjemaet) i 101 av 116 (87,1{NB}prosent)."
    )
    assert "der flere" not in s


def test_one_collaboration_project_without_several_actors():
    s = frisklivs_summary(shares={"collaboration": share(1, 132)}, **actors(0, 1))
    assert s.endswith(f"i 0 av 1 (0,0{NB}prosent).")
    assert "der flere" not in s


def test_without_the_actor_count_nothing_is_claimed_of_the_actors():
    s = frisklivs_summary(shares={"collaboration": share(116, 132)})
    assert "aktører" not in s and "samarbeidsprosjekter" not in s


def test_intermunicipal_projects_name_their_denominator():
    s = frisklivs_summary(shares={"intermunicipal": share(28, 131, 1)})
    assert s == (
        f"I 2024 var det i alt 28 interkommunale prosjekter (21,4{NB}prosent av de 131 "
        "prosjektene som svarte)."
    )


@pytest.mark.parametrize(
    ("missing", "sentence"),
    [
        (0, None),
        (1, "Summen omfatter ikke 1 prosjekt der beløpet mangler."),
        (2, "Summen omfatter ikke 2 prosjekter der beløpet mangler."),
    ],
)
def test_a_missing_amount_is_said_beside_the_sum(missing, sentence):
    s = frisklivs_summary(grant_nok={"missing": missing})
    assert s == (sentence or "")


@pytest.mark.parametrize(
    ("not_assessable", "assessable_n", "words", "of"),
    [
        (1, 125, "1 prosjekt", "Av de 125 prosjektene der"),
        (15, 1, "15 prosjekter", "Av det ene prosjektet der"),
    ],
)
def test_the_goal_sentences_count_in_the_unit(not_assessable, assessable_n, words, of):
    goal = {
        **share(106, 126),
        "not_assessable": not_assessable,
        "assessable": share(min(106, assessable_n), assessable_n),
    }
    s = frisklivs_summary(n_projects=126, combined={"goal_reached": goal})
    assert s.startswith(
        f"84,1{NB}prosent av de 126 prosjektene oppga at målene helt eller delvis er nådd."
    )
    assert f"også {words} der måloppnåelsen ikke kan vurderes. {of} den kunne vurderes" in s


def samhandling_summary(**m) -> str:
    return text.summary({"year": 2012, "n_applications": 380, **m}, SAMHANDLING)


def test_the_award_share_of_applications_names_its_denominator_only_when_needed():
    assert samhandling_summary(shares={"granted": share(199, 380)}) == (
        f"I bunken med 380 søknader fikk 52,4{NB}prosent tilskudd."
    )
    assert samhandling_summary(shares={"granted": share(198, 379, 1)}) == (
        f"I bunken med 380 søknader fikk 198 tilskudd, 52,2{NB}prosent av de 379 søknadene med "
        "svar."
    )
    assert samhandling_summary(shares={"granted": share(0, 0, 380)}) == ""  # all missing


def test_missing_amounts_of_applications():
    assert samhandling_summary(granted_nok={"missing": 1}, applied_nok={"missing": 0}) == (
        "Summen omfatter ikke 1 søknad som fikk tilskudd uten at tildelt beløp er oppgitt."
    )
    assert samhandling_summary(applied_nok={"missing": 3}) == (
        "Summen av søkt beløp omfatter ikke 3 søknader der søkt beløp mangler."
    )


# --- «unless» and checked_counts in the YAML ------------------------------------------------
def test_unless_keeps_a_sentence_only_when_the_value_is_zero():
    class Sentence:
        if_, each = None, None
        unless = "k"
        text = "Alle."

    from evalkit.document.text import _sentence

    assert _sentence(SummaryFormatter({"k": 0}, unit="project"), Sentence()) == "Alle."
    assert _sentence(SummaryFormatter({"k": 2}, unit="project"), Sentence()) is None
    assert _sentence(SummaryFormatter({}, unit="project"), Sentence()) is None  # missing


def _yaml_with(tmp_path: Path, old: str, new: str) -> Path:
    src = Path(FRISKLIV.path)
    path = tmp_path / src.name
    shutil.copy(src, path)
    body = path.read_text(encoding="utf-8")
    assert old in body
    path.write_text(body.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("new", "where"),
    [
        ("{key: collaboration_actors, fields: aktor.*, at_least: 2, among: collaboration}",
         "checked_counts[0].fields"),
        ("{key: collaboration_actors, fields: actor.*, at_least: 6, among: collaboration}",
         "checked_counts[0].at_least"),
        ("{key: collaboration_actors, fields: actor.*, at_least: 2, among: colaboration}",
         "checked_counts[0].among"),
    ],
)  # fmt: skip
def test_a_wrong_checked_count_is_refused_with_its_key(tmp_path, new, where):
    old = "{key: collaboration_actors, fields: actor.*, at_least: 2, among: collaboration}"
    with pytest.raises(EvalkitError, match=re.escape(where)):
        load_scheme_file(_yaml_with(tmp_path, old, new))


def test_a_wrong_unless_is_refused(tmp_path):
    old = "unless: checked_counts[collaboration_actors][fewer]"
    with pytest.raises(EvalkitError, match=r"summary\[\d+\]\.unless"):
        load_scheme_file(_yaml_with(tmp_path, old, "unless: checked_counts.x!r"))


def _tidy(collaboration: list, actors: list[tuple[bool, ...]]) -> pd.DataFrame:
    names = FRISKLIV.expand_fields("actor.*")
    frame = pd.DataFrame(actors, columns=names).astype(bool)
    frame["collaboration"] = pd.array(collaboration, dtype="boolean")
    return frame


@pytest.mark.parametrize(
    ("collaboration", "ticked", "count", "n"),
    [
        ([], [], 0, 0),  # no rows
        ([False, None], [(True, True, False, False, False)] * 2, 0, 0),  # no collaboration
        ([True], [(True, False, False, False, False)], 0, 1),  # one, one actor
        ([True], [(True, True, False, False, False)], 1, 1),  # one, two actors
        # three collaboration projects with 0, 2 and 5 actors; a non-collaboration one with 3
        (
            [True, True, True, False],
            [(False,) * 5, (False, True, False, True, False), (True,) * 5, (True,) * 3 + (False,) * 2],
            2,
            3,
        ),
    ],
)  # fmt: skip
def test_checked_counts_count_the_rows_with_at_least_two_actors(collaboration, ticked, count, n):
    got = metrics.checked_counts(_tidy(collaboration, ticked), FRISKLIV)["collaboration_actors"]
    assert (got["count"], got["n"], got["fewer"]) == (count, n, n - count)
    assert got["share"] == (count / n if n else None)


# --- notes of the year documents ---------------------------------------------------------------
def _shares(ns: list[int], missing: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"n": ns, "missing": missing})


@pytest.mark.parametrize(
    ("ns", "missing", "unit", "among", "note"),
    [
        ([132, 132], [0, 0], "project", None, "Nevner: alle de 132 prosjektene."),
        ([1], [0], "project", None, "Nevner: det ene prosjektet."),
        ([131], [1], "project", None,
         "Nevner: de 131 prosjektene som har svart; 1 prosjekt uten svar er holdt utenfor."),
        ([0], [132], "project", None,
         "Nevner: 0 prosjekter som har svart; 132 prosjekter uten svar er holdt utenfor."),
        ([379], [1], "application", None,
         "Nevner: de 379 søknadene med svar; 1 søknad uten svar er holdt utenfor."),
        ([1], [0], "project", "med måloppnåelse «Kan ikke vurderes»",
         "Nevner: det ene prosjektet med måloppnåelse «Kan ikke vurderes»."),
    ],
)  # fmt: skip
def test_share_denominator_notes(ns, missing, unit, among, note):
    assert text.share_denominator_note(_shares(ns, missing), unit, among) == note


def test_group_warnings_speak_of_applications_and_counties():
    warning = wording.group_warning("too_few_rows", "søknader", "fylke")
    assert warning == "For få søknader per fylke til å trekke noen konklusjon."
    scheme = load_scheme("samhandling")
    # 2 counties × 2 categories, one granted and one refused in each: 2 granted in all, under
    # the 10 rows the rarer outcome needs
    tidy = pd.DataFrame(
        {
            "county_code": pd.array(["03", "03", "11", "11"], dtype="string"),
            "category": pd.array(["annet", "jordmor", "annet", "jordmor"], dtype="string"),
            "granted": pd.array([True, False, True, False], dtype="boolean"),
        }
    )
    tests = {g["key"]: g["warning"] for g in metrics.group_tests(tidy, scheme)}
    assert tests == {
        "granted_by_county": "For få søknader per fylke til å trekke noen konklusjon.",
        "granted_by_category": "For få søknader per kategori til å trekke noen konklusjon.",
    }


def test_regression_warnings_in_the_units_words_and_labels():
    res = {
        "warnings": [
            {"code": "no_variation", "term": "collaboration", "n": 20},
            {"code": "no_variation", "term": "flat", "n": 1},
            {"code": "separation", "terms": ["collaboration", "year=2011"]},
        ]
    }
    labels = {"collaboration": "Samarbeidsprosjekt"}
    got = wording.regression_warnings(res, "application", labels)
    assert got[0] == "Samarbeidsprosjekt har ingen variasjon blant de 20 søknadene og er utelatt."
    assert got[1] == "flat har ingen variasjon blant den ene søknaden og er utelatt."
    assert got[2].endswith("kan ikke anslås pålitelig (Samarbeidsprosjekt, året 2011).")


# --- p as running text ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("p", "words"),
    [(0.068, "p = 0,068"), (0.001, "p = 0,001"), (0.0004, f"p{NB}<{NB}0,001"), (None, "p = –")],
)
def test_p_is_stated_without_an_equals_sign_before_less_than(p, words):
    assert formats.p_equals(p) == words
    assert "= <" not in formats.p_equals(p)


@pytest.mark.parametrize(
    ("test", "by_year", "sentence"),
    [
        ({"method": "kruskal_wallis", "name": "Kruskal–Wallis-test", "p_value": 0.0002},
         {2010: {"n": 3}, 2011: {"n": 4}, 2012: {"n": 5}},
         f"Test mellom årene: Kruskal–Wallis-test, p{NB}<{NB}0,001."),
        ({"method": "mann_whitney", "name": "Mann–Whitney U-test", "p_value": 0.068},
         {2023: {"n": 3}, 2024: {"n": 4}},
         "Test mellom årene: Mann–Whitney U-test, p = 0,068."),
        ({"method": None, "name": "ingen test", "p_value": None},
         {2023: {"n": 0}, 2024: {"n": 4}},
         "Årene er ikke testet mot hverandre: bare 2024 har beløp."),
        ({"method": None, "name": "ingen test", "p_value": None},
         {2023: {"n": 0}, 2024: {"n": 0}},
         "Årene er ikke testet mot hverandre: ingen av årene har beløp."),
        ({"method": None, "name": "ingen test", "p_value": None},
         {2023: {"n": 2}, 2024: {"n": 2}},
         "Årene er ikke testet mot hverandre: alle beløpene er like."),
    ],
)  # fmt: skip
def test_the_amounts_test_note(test, by_year, sentence):
    assert trend_document._amount_test_note({"test": test, "by_year": by_year}) == sentence


# --- the trends document's counties ----------------------------------------------------------
@pytest.mark.parametrize(
    ("first", "last", "years"),
    [(2010, 2012, []), (2012, 2012, []), (2019, 2024, [2020, 2024]), (2017, 2018, [2018]),
     (2020, 2023, []), (2015, 2024, [2018, 2019, 2020, 2024])],
)  # fmt: skip
def test_county_changes_within_the_years_covered(first, last, years):
    # fylker_changes.csv: Trøndelag 2018-01-01, Rindal 2019-01-01, the reform 2020-01-01,
    # the splits 2024-01-01; a year is its division on 1 July
    assert county_change_years(first, last) == years


def test_county_note_of_applications_without_county_changes():
    placed = {"by_code": 554, "by_name": 476, "several_counties": 0, "no_municipality": 0}
    assert trend_document.county_note(placed, "application", 2012, []) == (
        "Hver søknad er plassert i fylket slik fylkene var i 2012. Kommuner som er slått sammen, "
        "delt eller har fått nytt nummer, er fulgt fram til kommunen i 2012. Av de "
        f"1{NB}030 søknadene er 554 plassert ut fra kommunenummer og 476 ut fra kommunenavn "
        "(alle eller noen av kommunene uten gyldig nummer)."
    )


def test_county_note_of_projects_across_the_reforms_with_unplaced_rows():
    placed = {"by_code": 624, "by_name": 44, "several_counties": 17, "no_municipality": 1}
    assert trend_document.county_note(placed, "project", 2024, [2020, 2024]) == (
        "Hvert prosjekt er plassert i fylket slik fylkene var i 2024; da kan tallene "
        "sammenlignes over endringene i fylkesinndelingen i 2020 og 2024. Kommuner som er slått "
        "sammen, delt eller har fått nytt nummer, er fulgt fram til kommunen i 2024. Av de 686 "
        "prosjektene er 624 plassert ut fra kommunenummer og 44 ut fra kommunenavn (alle eller "
        "noen av kommunene uten gyldig nummer). 17 prosjekter med kommuner i flere fylker og 1 "
        "prosjekt uten kjent kommune står i raden «Kan ikke plasseres»."
    )


@pytest.mark.parametrize(
    ("placed", "tail"),
    [
        ({"by_code": 0, "by_name": 0, "several_counties": 0, "no_municipality": 0}, "i 2024."),
        ({"by_code": 1, "by_name": 0, "several_counties": 0, "no_municipality": 0},
         "Av det ene prosjektet er 1 plassert ut fra kommunenummer."),
        ({"by_code": 0, "by_name": 0, "several_counties": 1, "no_municipality": 0},
         "Av det ene prosjektet er 0 plassert ut fra kommunenummer. 1 prosjekt med kommuner i "
         "flere fylker står i raden «Kan ikke plasseres»."),
        ({"by_code": 0, "by_name": 0, "several_counties": 0, "no_municipality": 5},
         "5 prosjekter uten kjent kommune står i raden «Kan ikke plasseres»."),
    ],
)  # fmt: skip
def test_county_note_edge_cases(placed, tail):
    note = trend_document.county_note(placed, "project", 2024, [])
    assert note.endswith(tail)
    assert "fylkesinndelingen" not in note  # no change within the years covered


@pytest.fixture(scope="module")
def samhandling_trends() -> Trends:
    return evaluate_trends("samhandling", data_dir=DEMO)


def test_the_samhandling_trends_method_speaks_of_its_own_years_and_applications(
    samhandling_trends,
):
    method = trend_document.method(samhandling_trends).data
    assert "regionreform" not in method and "fylkesinndelingen" not in method  # 2010–2012
    assert "prosjekt" not in method  # the rows are applications
    assert (
        "**Beløp.** Tildelt per innvilget søknad er beskrevet med median og kvartiler (type 7). "
        "Forskjellen mellom årene er testet med en rangtest (Kruskal–Wallis-test)."
    ) in method
    assert (
        "**Fylker.** Tabellen over fylker bruker fylkene slik de var i 2012 for alle årene. "
        "Hver søknad er plassert i fylket ut fra kommunenumrene, og ut fra kommunenavnet der "
        "nummeret mangler eller ikke er gyldig; kommuner som er slått sammen, delt eller har "
        "fått nytt nummer, er fulgt fram til kommunen i 2012. Søknadene med kommuner i flere "
        "fylker, eller uten kjent kommune, står i en egen rad («Kan ikke plasseres»)."
    ) in method
    note = trend_document.county_table(samhandling_trends).notes[0]
    assert note.startswith("Hver søknad er plassert i fylket slik fylkene var i 2012.")


def test_the_trends_method_names_the_changes_within_the_years():
    tr = _trends_of("frisklivs_lms", [2019, 2020])
    method = trend_document.method(tr).data
    assert "Hvert prosjekt er plassert i fylket" in method
    assert method.count("fylkesinndelingen i 2020.") == 1  # 2020 only, not 2024
    assert (
        "Modellen er regnet på prosjektene der måloppnåelsen kunne vurderes; «kan ikke " in method
    )
    assert "er med." not in method  # the broken «… er holdt utenfor er med.»


def _trends_of(scheme: str, years: list[int], counts: list[int] | None = None) -> Trends:
    """A Trends of ``years`` with no rows (enough for the words that depend on the years)."""
    sch = load_scheme(scheme)
    counts = counts or [0] * len(years)
    tidy = pd.DataFrame({"year": pd.Series([], dtype="int64"), "grant_nok": pd.array([], "Int64")})
    return Trends(
        sch,
        Path("."),
        True,
        {y: {sch.count_key: c, "shares": {}} for y, c in zip(years, counts, strict=True)},
        tidy,
        pd.DataFrame(),
    )


def test_the_trends_summary_counts_in_the_unit():
    tr = _trends_of("frisklivs_lms", [2019, 2020], [1, 5])
    assert trend_document.summary(tr).data.startswith(
        "Dokumentet dekker 2 år, 2019–2020: fra 1 prosjekt i 2019 til 5 i 2020."
    )
    tr = _trends_of("samhandling", [2010, 2011], [236, 414])
    assert trend_document.summary(tr).data.startswith(
        "Dokumentet dekker 2 år, 2010–2011: fra 236 søknader i 2010 til 414 i 2011."
    )


# --- placed by code, by name, not at all --------------------------------------------------------
def test_cleaning_says_which_rows_got_their_municipalities_from_names(tmp_path):
    from conftest import FRISKLIV as SCHEME
    from conftest import frisklivs_row, write_export

    from evalkit.clean import clean_export
    from evalkit.read import read_export

    rows = [
        frisklivs_row(respondent_id="1", municipality_codes="5401", municipality_names="Tromsø"),
        frisklivs_row(respondent_id="2", municipality_codes="", municipality_names="Tromsø"),
        frisklivs_row(respondent_id="3", municipality_codes="", municipality_names=""),
    ]
    path = write_export(tmp_path / "frisklivs_lms" / "2022.csv", rows)
    t = clean_export(read_export(path, SCHEME), SCHEME, 2022).tidy.set_index("respondent_id")
    assert t["municipalities_by_name"].tolist() == [False, True, False]
    assert t.loc["2", "municipalities_reached"] == "5401"  # Tromsø, found by its name
    assert pd.isna(t.loc["3", "municipalities_reached"])


def test_placement_counts_each_row_once():
    rows = [
        (2019, "1201", False),  # Bergen by its code → Vestland
        (2019, "1201;1247", True),  # Bergen and Askøy, found by name → Vestland
        (2022, "3005;3024", False),  # Drammen (→ Buskerud) and Bærum (→ Akershus)
        (2022, "3005;3024", True),  # the same, by name: still two counties
        (2024, None, False),  # no municipality
    ]
    tidy = pd.DataFrame(
        {
            "year": [y for y, _, _ in rows],
            "municipalities_reached": pd.array([c for _, c, _ in rows], dtype="string"),
            "municipalities_by_name": [b for _, _, b in rows],
        }
    )
    tr = Trends(FRISKLIV, Path("."), True, {2019: {}, 2022: {}, 2024: {}}, tidy, pd.DataFrame())
    from evalkit.trends import placement, projects_by_common_county

    assert placement(tr) == {
        "by_code": 1,
        "by_name": 1,
        "several_counties": 2,
        "no_municipality": 1,
    }
    assert projects_by_common_county(tr)[1] == 3  # the row «Kan ikke plasseres»


MINIMAL = """\
scheme: aktivitet
title_nb: Tilskudd til aktivitetstiltak
short_title_nb: Aktivitetstiltak
unit: application
id_field: case_id
first_year: 2020
layouts:
  v1:
    headers: {Saksnummer: case_id, Fylke: county, Frivillige med: volunteers}
fields:
  case_id: {type: id, required: true, label_nb: Saksnummer}
  county: {type: county, required: true, label_nb: Fylke}
  volunteers: {type: yesno, label_nb: Frivillige med}
shares:
  - {field: volunteers, kind: yesno, group: frivillige, label_nb: Tiltak med frivillige}
"""


@pytest.mark.parametrize(
    ("n", "volunteers", "said"),
    [
        (1, share(1, 1), "I 2023 omfatter dataene 1 søknad i 1 fylke. Tiltak med frivillige: "
         f"1 av den ene søknaden (100,0{NB}prosent)."),
        (40, share(12, 39, 1), "I 2023 omfatter dataene 40 søknader i 1 fylke. Tiltak med "
         f"frivillige: 12 av de 39 søknadene med svar (30,8{NB}prosent)."),
        (40, share(0, 0, 40), "I 2023 omfatter dataene 40 søknader i 1 fylke."),
    ],
)  # fmt: skip
def test_the_default_summary_names_its_denominators(tmp_path, n, volunteers, said):
    path = tmp_path / "aktivitet.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    scheme = load_scheme_file(path)
    m = {"year": 2023, "n_applications": n, "n_counties": 1, "shares": {"volunteers": volunteers}}
    assert text.summary(m, scheme).replace("&lpar;", "(").replace("&rpar;", ")") == said


@pytest.mark.parametrize(
    ("counties", "projects", "said"),
    [
        (1, 1, "I 2024 har 1 fylke gitt tilskudd til totalt 1 prosjekt, til sammen"),
        (15, 132, "I 2024 har 15 fylker gitt tilskudd til totalt 132 prosjekter, til sammen"),
    ],
)
def test_the_first_sentence_counts_counties_and_projects(counties, projects, said):
    s = frisklivs_summary(
        n_counties=counties, n_projects=projects, grant_total_nok=150_000, n_municipalities=1
    )
    assert s.startswith(f"{said} 150{NB}000{NB}kr. Prosjektene nådde 1 kommune.")


@pytest.mark.parametrize(
    ("counts", "said"),
    [
        ({"Oslo": 4, "Agder": 2, "Troms": 2}, "Flest prosjekter var det i Oslo, færrest i Agder og Troms."),
        ({"Oslo": 4}, None),  # one county: most and fewest are the same
        ({"Oslo": 3, "Agder": 3}, None),  # all alike
        ({"Oslo": 0, "Agder": 0}, None),  # no projects anywhere
    ],
)  # fmt: skip
def test_most_and_fewest_counties(counts, said):
    by_county = [
        {"county_code": str(i), "county_name": name, "n_projects": n}
        for i, (name, n) in enumerate(counts.items())
    ]
    assert fill("Flest prosjekter var det i {most[n_projects]}, færrest i {fewest[n_projects]}.",
                {"by_county": by_county}) == said  # fmt: skip
