"""The vectorised paths of reading, parsing, resolving and validating: the cases where a
faster route could part from the rules (encodings found late in the file, empty rows at the
end, every kind of white space, digits that are not ASCII, repeated cells, both validation
gates). Every expected value is written out by hand from the rules."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pytest
from conftest import FRISKLIV, frisklivs_row, per_row, write_export

from evalkit import geography as geo
from evalkit import parse
from evalkit.clean import clean_export
from evalkit.errors import StructuralError
from evalkit.read import _read_table, read_export
from evalkit.validate import validate_tidy


# --- reading --------------------------------------------------------------------------------
def test_a_windows_1252_file_whose_first_non_ascii_byte_comes_late_is_read_as_such(tmp_path):
    path = tmp_path / "2022.csv"
    # a Windows-1252 file (as Excel saves CSV): the ASCII header and the first 20 000 rows
    # (over 256 KiB, past pandas' first read buffer) also decode as UTF-8; «ø» in the last row
    # is one Windows-1252 byte (0xF8), which is not UTF-8
    rows = ["Fylke;Kommune"] + ["Troms;Tromso"] * 20_000 + ["Troms;Tromsø"]
    path.write_bytes("\r\n".join(rows).encode("cp1252") + b"\r\n")
    table = _read_table(path)
    # the whole file is read in the first encoding that decodes all of it
    assert table.columns.tolist() == ["Fylke", "Kommune"]
    assert len(table) == 20_001
    assert table.iloc[-1].tolist() == ["Troms", "Tromsø"]
    assert table.iloc[0].tolist() == ["Troms", "Tromso"]


def test_a_file_that_mixes_utf8_and_windows_1252_stops_instead_of_reading_mojibake(tmp_path):
    # a UTF-8 header (with its byte-order mark) above Windows-1252 rows: no one encoding reads
    # both, and Windows-1252 turns «å» of the header into «Ã¥»; the headers then match no
    # layout, so the file stops with a structural error rather than giving garbled fields
    path = write_export(tmp_path / "2022.csv", [frisklivs_row(project_name="Tromsø")])
    header, body = path.read_bytes().split(b"\n", 1)
    path.write_bytes(header + b"\n" + body.decode("utf-8").encode("cp1252"))
    assert "Tromsø".encode("cp1252") in path.read_bytes()  # the rows really are Windows-1252
    with pytest.raises(StructuralError, match="required column"):
        read_export(path, FRISKLIV)


def test_a_file_in_neither_encoding_is_a_structural_error(tmp_path):
    path = tmp_path / "2022.csv"
    path.write_bytes(b"Fylke;Kommune\r\nTroms;\x81\r\n")  # 0x81 is not Windows-1252
    with pytest.raises(StructuralError, match="neither UTF-8 nor Windows-1252"):
        _read_table(path)


def test_empty_rows_at_the_end_are_dropped_and_others_kept(tmp_path):
    rows = [
        frisklivs_row(respondent_id="1"),
        {**{k: "" for k in frisklivs_row()}, "Respondent": "2"},  # an unanswered form
        frisklivs_row(respondent_id="3"),
        {k: "" for k in frisklivs_row()},  # left behind at the end of the sheet
        {k: "" for k in frisklivs_row()},
    ]
    for name in ("2022.csv", "2022.xlsx"):
        raw = read_export(write_export(tmp_path / name, rows), FRISKLIV)
        assert raw.frame["_row"].tolist() == [2, 3, 4]
        res = clean_export(raw, FRISKLIV, 2022)
        assert (res.n_read, res.n_kept) == (3, 2)
        assert res.excluded["row"].tolist() == [3]


# --- text -----------------------------------------------------------------------------------
def test_the_whitespace_class_is_pythons():
    spelled = {c for c in parse.WHITESPACE if c != "-"} | {
        chr(c) for c in range(0x2000, 0x200B)
    }  # the class holds the range U+2000–U+200A
    assert spelled == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


@pytest.mark.parametrize("space", sorted({chr(c) for c in range(0x3001) if chr(c).isspace()}))
def test_every_kind_of_white_space_becomes_one_plain_space(space):
    values = pd.Series([f"{space}a{space}{space}b {space}", "a b", f"{space}"], dtype="string")
    assert parse._text(values).tolist() == ["a b", "a b", pd.NA]


def test_integral_excel_numbers_lose_their_point_zero():
    values = pd.Series(["12.0", "-3.0", "1.05", "x.0", "12.00", "١٢.0"], dtype="string")
    # «\d» is any decimal digit, as in Python: Arabic-Indic digits count too
    assert parse._text(values).tolist() == ["12", "-3", "1.05", "x.0", "12.00", "١٢"]


def test_amounts_with_digits_that_are_not_ascii_are_read_as_python_reads_them():
    values = pd.Series(["١٥٠ ٠٠٠", "kr 2 000,-", "150 000", "٣,٥ mill."], dtype="string")
    amount, bad, implausible = per_row(values, parse.amount_of)
    assert amount.tolist() == [150_000, 2_000, 150_000, 3_500_000]
    assert not bad.any() and not implausible.any()


def test_amounts_in_a_column_of_many_spellings():
    values = pd.Series(
        ["kr 1 200,-", "1.200", "1,2 mill.", "1 200,50", "1 200,49", "kroner 5", "12 34", "-"],
        dtype="string",
    )
    amount, bad, implausible = per_row(values, parse.amount_of)
    # «kroner 5»: «kr» is taken first, «oner 5» is not an amount
    expected = [1_200, 1_200, 1_200_000, 1_201, 1_200, pd.NA, pd.NA, pd.NA]
    assert amount.tolist() == expected
    assert bad.tolist() == [False, False, False, False, False, True, True, False]
    assert not implausible.any()


def test_join_groups():
    groups = np.array([1, 1, 2, 2, 2, 5, 9])
    values = pyarrow.array(["b", "a", "c", "c", None, "", "a"], type=pyarrow.large_string())
    got = parse.join_groups(groups, values, 10)
    # sorted, each value once; no value (null, empty) gives null
    assert got.to_pylist() == [None, "a;b", "c", None, None, None, None, None, None, "a"]
    assert parse.join_groups(groups, values, 10, sep=", ")[1].as_py() == "a, b"


def test_reason_keywords_are_plain_substrings():
    vocab = FRISKLIV.vocabularies["goal_reason"]
    out = per_row(pd.Series(["FOR KORT tid", "corona.", "", "x"]), parse.reasons_of, vocab)
    out = out[vocab.codes]
    assert out.loc[0, "for_kort_tid"] and out.loc[1, "pandemi"]
    assert out.loc[2].isna().all()
    assert out.loc[3].tolist() == [False, False, False, False, True]


# --- repeated cells -------------------------------------------------------------------------
def test_a_repeated_cell_is_flagged_in_every_row_in_row_order():
    f = pd.DataFrame(
        {
            "_row": pd.array([7, 3, 5, 9], dtype="Int64"),
            "value": pd.array(["1601, 9999", "x", "1601, 9999", "x"], dtype="string"),
        }
    )
    codes, flags = geo.resolve_municipality_codes(f, "value", "Kommunenummer", 2022)
    # 1601 Trondheim was renumbered 5001 in 2018; 9999 was never a municipality
    assert codes.tolist() == ["5001", pd.NA, "5001", pd.NA]
    # by row; within a row unknown codes come before codes of another period
    assert flags["row"].tolist() == [3, 5, 5, 7, 7, 9]
    assert flags["value"].tolist() == ["x", "9999", "1601", "9999", "1601", "x"]
    assert flags["problem"].tolist() == [
        "invalid_municipality_code",
        "unknown_municipality_code",
        "municipality_not_valid_in_year",
        "unknown_municipality_code",
        "municipality_not_valid_in_year",
        "invalid_municipality_code",
    ]
    assert flags["action"].tolist() == [
        "set_missing",
        "set_missing",
        "mapped",
        "set_missing",
        "mapped",
        "set_missing",
    ]


def test_a_shared_name_is_resolved_with_each_rows_county():
    f = pd.DataFrame(
        {
            "_row": pd.array([2, 3, 4], dtype="Int64"),
            "value": pd.array(["Våler", "Våler", "Våler"], dtype="string"),
        }
    )
    county = pd.Series(["31", "34", None], dtype="string")
    codes, flags = geo.resolve_municipality_names(f, "value", "Kommune", 2024, county)
    # Våler in Østfold is 3114 from 2024, Våler in Innlandet 3419
    assert codes.tolist() == ["3114", "3419", pd.NA]
    assert flags["row"].tolist() == [4]
    assert flags["problem"].tolist() == ["ambiguous_municipality_name"]


# --- the validation gates -------------------------------------------------------------------
@pytest.fixture
def tidy(tmp_path):
    rows = [frisklivs_row(respondent_id=str(i)) for i in range(1, 5)]
    raw = read_export(write_export(tmp_path / "2022.csv", rows), FRISKLIV)
    return clean_export(raw, FRISKLIV, 2022).tidy


def test_the_tidy_gate_passes_a_clean_frame(tidy):
    validate_tidy(tidy, FRISKLIV, 2022)


def test_the_tidy_gate_collects_every_failure(tidy):
    broken = tidy.copy()
    broken.loc[0, "county_code"] = "99"  # no such county
    broken.loc[1, "target_group"] = "ukjent"  # not a code of the vocabulary
    broken.loc[2, "grant_nok"] = -5  # a negative amount
    broken["project_name"] = broken["project_name"].astype(object)
    broken.loc[3, "project_name"] = 5  # a number where text belongs
    with pytest.raises(pa.errors.SchemaErrors) as err:
        validate_tidy(broken, FRISKLIV, 2022)
    cases = err.value.failure_cases
    assert set(cases["column"]) == {"county_code", "target_group", "grant_nok", "project_name"}
    assert cases.loc[cases["column"] == "county_code", "failure_case"].tolist() == ["99"]
    assert cases.loc[cases["column"] == "grant_nok", "failure_case"].tolist() == [-5]
    assert cases.loc[cases["column"] == "project_name", "failure_case"].tolist() == [5]


def test_the_tidy_gate_rejects_text_of_another_storage(tidy):
    broken = tidy.assign(project_name=tidy["project_name"].astype(pd.StringDtype("python")))
    with pytest.raises(pa.errors.SchemaErrors) as err:
        validate_tidy(broken, FRISKLIV, 2022)
    assert set(err.value.failure_cases["column"]) == {"project_name"}
