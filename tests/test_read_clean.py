"""Reading and cleaning one export: header mapping, personal data, encodings, every cleaning
rule on small hand-written fixtures, rows accounted for, and structural errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import FRISKLIV, frisklivs_row, write_export

from evalkit.clean import clean_export
from evalkit.config import load_scheme_file
from evalkit.errors import StructuralError
from evalkit.read import read_export
from evalkit.scheme_files import scheme_path


def clean(path: Path, year: int = 2022, scheme=FRISKLIV, **kw):
    return clean_export(read_export(path, scheme), scheme, year, **kw)


def four_rows() -> list[dict]:
    return [
        frisklivs_row(
            respondent_id="1", county="troms og finnmark fylkeskommune", municipality_codes="5401"
        ),
        frisklivs_row(
            respondent_id="2",
            county="3",
            municipality_codes="301",
            grant_nok="kr 1,2 mill.",
            intermunicipal="JA",
            target_group="Barn og unge",
        ),
        frisklivs_row(
            respondent_id="3",
            county="Hordaland",
            municipality_codes="4601, 4624",
            municipality_names="Bergen, Bjørnafjorden",
            intermunicipal=" ja",
        ),
        # an unanswered Questback form: only the id is filled in
        {**{k: "" for k in frisklivs_row()}, "Respondent": "4"},
    ]


@pytest.fixture
def export(tmp_path) -> Path:
    return write_export(tmp_path / "frisklivs_lms" / "2022.csv", four_rows())


def test_personal_data_is_dropped_on_reading(export):
    raw = read_export(export, FRISKLIV)
    assert raw.dropped_personal == ["Kontaktperson", "E-post", "Telefon"]
    text = raw.frame.to_csv()
    assert "Hemmelig" not in text and "hemmelig.invalid" not in text and "99999999" not in text


def test_rows_are_accounted_for(export):
    res = clean(export)
    assert res.n_read == 4
    assert res.n_kept == 3
    assert res.excluded["problem"].tolist() == ["empty_response"]
    assert res.excluded["row"].tolist() == [5]  # header is row 1, the fourth data row is row 5


def test_cleaning_rules_on_the_fixture(export):
    res = clean(export)
    t = res.tidy.set_index("respondent_id")
    # county names, codes and «fylkeskommune»; Hordaland (not valid in 2022) mapped to Vestland
    assert t["county_code"].tolist() == ["54", "03", "46"]
    assert t.loc["2", "municipality_codes"] == "0301"
    assert t.loc["3", "municipality_codes"] == "4601;4624"
    assert t["grant_nok"].tolist() == [150_000, 1_200_000, 150_000]
    assert t["intermunicipal"].tolist() == [False, True, True]
    # unknown category → missing, flagged with row, column and value
    assert pd.isna(t.loc["2", "target_group"])
    f = res.flags
    unknown = f[f["problem"] == "unknown_category"]
    assert unknown[["row", "column", "value"]].values.tolist() == [[3, "Målgruppe", "Barn og unge"]]
    mapped = f[f["problem"] == "county_not_valid_in_year"]
    assert mapped["row"].tolist() == [4] and mapped["action"].tolist() == ["mapped"]
    assert "Vestland" in mapped["detail"].iloc[0]
    # checkboxes: label text and «x» ticked, blank not ticked
    assert t["actor.frisklivssentralen"].tolist() == [True, True, True]
    assert t["actor.andre_kommunale"].tolist() == [False, False, False]


def test_extra_columns_are_listed_not_used(tmp_path):
    rows = [frisklivs_row() | {"Kommentar fra fylket": "ok"}]
    res = clean(write_export(tmp_path / "2022.csv", rows))
    extra = res.flags[res.flags["problem"] == "extra_column"]
    assert extra["column"].tolist() == ["Kommentar fra fylket"]
    assert "Kommentar fra fylket" not in res.tidy.columns


@pytest.mark.parametrize(
    ("name", "sep", "encoding"),
    [
        ("2022.csv", ";", "cp1252"),
        ("2022.csv", ",", "utf-8-sig"),
        ("2022.csv", ";", "utf-8"),
        ("2022.xlsx", None, None),
        ("2022.parquet", None, None),
    ],
)
def test_every_format_gives_the_same_tidy_frame(tmp_path, export, name, sep, encoding):
    reference = clean(export).tidy
    path = tmp_path / "other" / name
    if path.suffix == ".csv":
        write_export(path, four_rows(), sep=sep, encoding=encoding)
    else:
        write_export(path, four_rows())
    if encoding == "cp1252":  # really Windows-1252 bytes: «ø» is one byte 0xF8
        assert b"\xf8" in path.read_bytes()
    got = clean(path).tidy
    pd.testing.assert_frame_equal(got, reference)


def test_a_second_layout_works_by_adding_yaml_alone(tmp_path):
    """Another form version (other headers, other column order) is a YAML change only."""
    config = yaml.safe_load(scheme_path("frisklivs_lms").read_text(encoding="utf-8"))
    renamed = {
        "Respondent": "ID",
        "Fylke": "Fylkeskommune",
        "Tildelt beløp (kr)": "Tilskudd (NOK)",
        "Prosjektnavn": "Navn på prosjektet",
        "Målgruppe": "Hvem er målgruppen?",
    }
    headers = {
        renamed.get(h, h): f for h, f in config["layouts"]["questback-2022"]["headers"].items()
    }
    # reverse the column order too
    config["layouts"]["questback-2025"] = {
        "headers": dict(reversed(list(headers.items()))),
        "personal_data": ["Kontaktperson", "E-post", "Telefon"],
    }
    path = tmp_path / "frisklivs_lms.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    scheme = load_scheme_file(path)
    rows = [{renamed.get(k, k): v for k, v in reversed(list(r.items()))} for r in four_rows()]
    got = clean(write_export(tmp_path / "2022.csv", rows), scheme=scheme)
    assert got.layout == "questback-2025"
    reference = clean(write_export(tmp_path / "ref" / "2022.csv", four_rows()))
    pd.testing.assert_frame_equal(got.tidy, reference.tidy)


# --- structural errors: the message names file, row, column and the fix ------------------
def test_missing_required_column_names_the_nearest_header(tmp_path):
    rows = [
        {
            ("Tildelt belop" if k == "Tildelt beløp (kr)" else k): v
            for k, v in frisklivs_row().items()
        }
    ]
    path = write_export(tmp_path / "2022.csv", rows)
    with pytest.raises(StructuralError) as err:
        clean(path)
    msg = str(err.value)
    assert str(path) in msg and "row 1" in msg and "'Tildelt beløp (kr)'" in msg
    assert "'Tildelt belop'" in msg  # the nearest header present
    assert "To fix:" in msg


def test_duplicate_ids_name_the_rows(tmp_path):
    rows = [
        frisklivs_row(respondent_id="7"),
        frisklivs_row(respondent_id="8"),
        frisklivs_row(respondent_id="7"),
    ]
    with pytest.raises(StructuralError) as err:
        clean(write_export(tmp_path / "2022.csv", rows))
    msg = str(err.value)
    assert "'7'" in msg and "rows 2, 4" in msg and "'Respondent'" in msg


def test_no_data_rows(tmp_path):
    path = tmp_path / "2022.csv"
    path.write_text(";".join(frisklivs_row()) + "\n", encoding="utf-8")
    with pytest.raises(StructuralError, match="no data rows"):
        clean(path)


def test_file_of_another_year_by_name(tmp_path):
    path = write_export(tmp_path / "rapport_2021.csv", [frisklivs_row()])
    with pytest.raises(StructuralError, match="file name says 2021"):
        clean(path, year=2022)


def test_file_of_another_year_by_its_counties(tmp_path):
    # the 2019 county structure in a file given as 2022
    rows = [
        frisklivs_row(respondent_id=str(i), county=c, municipality_codes="")
        for i, c in enumerate(["Hordaland", "Sogn og Fjordane", "Telemark", "Hedmark"])
    ]
    with pytest.raises(StructuralError, match="another year"):
        clean(write_export(tmp_path / "x.csv", rows), year=2022)


def test_unreadable_file(tmp_path):
    path = tmp_path / "2022.xlsx"
    path.write_bytes(b"this is not a workbook")
    with pytest.raises(StructuralError) as err:
        clean(path)
    assert str(path) in str(err.value) and "To fix:" in str(err.value)


def test_strict_turns_unknown_category_into_an_error(export):
    with pytest.raises(StructuralError) as err:
        clean(export, strict=True)
    msg = str(err.value)
    assert "row 3" in msg and "'Målgruppe'" in msg and "Barn og unge" in msg
