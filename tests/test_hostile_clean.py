"""Hostile and odd input at cleaning time (issue 9, items 2 and 3): control, bidirectional and
zero-width characters in cells; amounts no integer holds, that would wrap a sum around, or that
are out of a plausible range.

Every input is made here; every expected value is worked out by hand in the test.
"""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from conftest import FRISKLIV, frisklivs_row, per_row, write_export

from evalkit import document, parse, stats
from evalkit.clean import clean_export
from evalkit.cli import main
from evalkit.config import AmountRange, load_scheme, load_scheme_file
from evalkit.document.excel import write_workbook
from evalkit.errors import EvalkitError
from evalkit.evaluation import evaluate
from evalkit.metrics import amount_summary, compute_metrics, total_nok
from evalkit.read import read_export

BEL, RLO, PDF, ZWSP, VT = "\x07", "\u202e", "\u202c", "\u200b", "\x0b"

#: The characters that must never reach the tidy frame or a flag, written out from the issue
#: (not taken from evalkit): C0 but tab/LF/CR, DEL and C1, the bidi embeddings/overrides/
#: isolates and marks, the zero-width characters.
FORBIDDEN = (
    {c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}
    | set(range(0x7F, 0xA0))
    | set(range(0x202A, 0x202F))
    | set(range(0x2066, 0x206A))
    | {0x200E, 0x200F, 0x061C}
    | {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}
)


def _forbidden_in(text: object) -> bool:
    return isinstance(text, str) and any(ord(c) in FORBIDDEN for c in text)


def _clean(path, scheme=FRISKLIV, year=2022):
    return clean_export(read_export(path, scheme), scheme, year)


def _flags(result, problem):
    return result.flags[result.flags["problem"] == problem].reset_index(drop=True)


# --- control and invisible characters -------------------------------------------------------
@pytest.fixture
def odd_characters(tmp_path):
    """Row 2: BEL in the project name; row 3: RLO … PDF in «Målgruppe - annet», a vertical
    tab between two words of the project name; row 4: zero-width spaces in a yes/no, a county,
    a municipality code and a category, BEL in the id."""
    rows = [
        frisklivs_row(respondent_id="1001", project_name=f"Frisklivs{BEL}sentral Tromsø"),
        frisklivs_row(
            respondent_id="1002",
            project_name=f"Del 1{VT}Del 2",
            target_group="Annet",
            target_group_other=f"Eldre {RLO}gninnivk{PDF} i bygda",
        ),
        frisklivs_row(
            respondent_id=f"10{BEL}03",
            county=f"Troms og{ZWSP} Finnmark",
            municipality_codes=f"54{ZWSP}01",
            intermunicipal=f"Ja{ZWSP}",
            goal_achievement=f"{ZWSP}Delvis",
        ),
    ]
    return write_export(tmp_path / "frisklivs_lms" / "2022.csv", rows)


def test_control_and_bidi_characters_are_flagged_by_row_column_and_character(odd_characters):
    result = _clean(odd_characters)
    control = _flags(result, "control_character")
    assert list(zip(control["row"], control["column"], strict=True)) == [
        (2, "Prosjektnavn"),
        (3, "Prosjektnavn"),
        (4, "Respondent"),
    ]
    assert set(control["action"]) == {"mapped"}
    assert "U+0007 er fjernet" in control["detail"][0]
    assert "U+000B er gjort om til mellomrom" in control["detail"][1]
    # the value is shown with the character written as a visible marker, not as itself
    assert control["value"][0] == "Frisklivs[U+0007]sentral Tromsø"
    assert control["value"][1] == "Del 1[U+000B]Del 2"

    bidi = _flags(result, "bidi_control")
    assert list(zip(bidi["row"], bidi["column"], strict=True)) == [
        (3, "Målgruppe - annet, spesifiser")
    ]
    assert "U+202E, U+202C er fjernet" in bidi["detail"][0]
    assert bidi["value"][0] == "Eldre [U+202E]gninnivk[U+202C] i bygda"


def test_tidy_values_are_free_of_them(odd_characters):
    tidy = _clean(odd_characters).tidy.set_index("respondent_id")
    assert tidy.loc["1001", "project_name"] == "Frisklivssentral Tromsø"
    assert tidy.loc["1002", "project_name"] == "Del 1 Del 2"  # the words stay apart
    assert tidy.loc["1002", "target_group_other"] == "Eldre gninnivk i bygda"
    text = tidy.reset_index().select_dtypes(include="string")
    assert not any(_forbidden_in(v) for v in text.to_numpy().ravel())


def test_zero_width_characters_do_not_block_matching(odd_characters):
    result = _clean(odd_characters)
    row = result.tidy.set_index("respondent_id").loc["1003"]  # the id's BEL is gone too
    assert row["county_code"] == "54"  # Troms og Finnmark (2020–2023)
    assert row["municipality_codes"] == "5401"  # Tromsø
    assert bool(row["intermunicipal"]) is True
    assert row["goal_achievement"] == "delvis"
    zero = _flags(result, "zero_width_character")
    assert sorted(zero["column"]) == sorted(
        ["Fylke", "Kommunenummer", "Er prosjektet interkommunalt?", "Måloppnåelse"]
    )
    assert set(zero["row"]) == {4}
    # nothing else went wrong in those cells: no unknown value, no county or code problem
    assert set(result.flags["problem"]) == {
        "control_character",
        "bidi_control",
        "zero_width_character",
    }


def test_no_flag_carries_the_characters(odd_characters):
    flags = _clean(odd_characters).flags
    cells = flags[["column", "value", "detail"]].to_numpy().ravel()
    assert not any(_forbidden_in(v) for v in cells)


def test_id_twins_after_removal_are_a_structural_error(tmp_path):
    path = write_export(
        tmp_path / "frisklivs_lms" / "2022.csv",
        [frisklivs_row(respondent_id="1001"), frisklivs_row(respondent_id=f"1001{ZWSP}")],
    )
    assert main(["validate", str(path), "--scheme", "frisklivs_lms", "--year", "2022"]) == 2


SAMHANDLING_HEADER = list(load_scheme("samhandling").layouts["hod-2012"].headers)


def test_granted_project_names_with_bel_and_rlo_reach_every_output(tmp_path):
    rows = [
        ["11/001", "Østfold", "0101", "Halden", "", f"Rehabilitering{BEL} i Halden",
         "Rehabilitering", "200000", "Innvilget", "150000", "1"],
        ["11/002", "Østfold", "0105", "Sarpsborg", "", f"{RLO}Legevakt",
         "Annet", "300000", "Innvilget", "100000", "1"],
        ["11/003", "Østfold", "0106", "Fredrikstad", "", "Jordmor",
         "Jordmor", "100000", "Avslått", "0", "1"],
    ]  # fmt: skip
    write_export(
        tmp_path / "data" / "samhandling" / "2011.csv",
        [dict(zip(SAMHANDLING_HEADER, r, strict=True)) for r in rows],
    )
    ev = evaluate("samhandling", 2011, data_dir=tmp_path / "data", compare_with=[])
    names = ev.tidy.set_index("application_id")["project_name"]
    assert names["11/001"] == "Rehabilitering i Halden"
    assert names["11/002"] == "Legevakt"
    assert ev.metrics["granted_total_nok"] == 150_000 + 100_000
    ev.save(tmp_path / "out")
    write_workbook(tmp_path / "out" / "tables.xlsx", document.tables(ev))
    workbook = openpyxl.load_workbook(tmp_path / "out" / "tables.xlsx")
    cells = [c for ws in workbook for row in ws.iter_rows(values_only=True) for c in row]
    assert "Rehabilitering i Halden" in cells and "Legevakt" in cells
    assert not any(_forbidden_in(c) for c in cells)
    # the tidy frame and the data-quality table need no inert writer: plain pandas writes them
    ev.tidy.to_excel(tmp_path / "tidy.xlsx")
    ev.data_quality.to_excel(tmp_path / "dq.xlsx")
    dq = pd.read_csv(tmp_path / "out" / "data_quality.csv", dtype=str)
    assert list(dq["problem"]) == ["control_character", "bidi_control"]
    assert list(dq["row"]) == ["2", "3"]


def test_holds_invisible_never_misses_one():
    """The byte test against a plain scan of the characters, on random strings mixing the
    characters with their neighbours (U+200A, U+2010, U+202F, U+2065, U+206A, U+FEFE…)."""
    pool = [chr(c) for c in FORBIDDEN] + list(
        "aZ09 \t\n\ræøåÆØÅ€–—’«»\u00a0\u2009\u202f\u200a\u2010\u2028\u2065\u206a\ufefe"
        "\u0600\u061b\u061d\u00ad\U0001f600\u00a0\u00c2\u00e2"
    )
    rng = random.Random(9)
    for _ in range(300):
        strings = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 6))) for _ in range(5)]
        clean = ["".join(c for c in s if ord(c) not in FORBIDDEN) for s in strings]
        for values, truth in ((strings, strings), (clean, clean)):
            arr = pa.array(values, type=pa.large_string())
            want = [any(ord(c) in FORBIDDEN for c in s) for s in truth]
            assert list(parse.invisible_mask(arr)) == want
            if any(want):
                assert parse.holds_invisible(arr)
            # a slice of the array: only its own strings count
            assert list(parse.invisible_mask(arr.slice(1, 3))) == want[1:4]


def test_a_column_without_them_is_answered_from_its_bytes():
    assert not parse.holds_invisible(pa.array(["Tromsø", "Målene er nådd", "kr 150 000,-"]))
    assert not parse.holds_invisible(pa.array(["150\u00a0000", "1\u2009000", "a–b"]))
    assert parse.holds_invisible(pa.array(["ok", "a\x00b"]))


# --- amounts --------------------------------------------------------------------------------
HOSTILE_AMOUNTS = {
    "1001": "12 000 000 000 000 000 000",  # above int64 (9 223 372 036 854 775 807)
    "1002": "5000000000000000000",  # two of these sum past int64
    "1003": "5000000000000000000",
    "1004": "974 760 673",  # fits every integer type; above 50 000 000 kr
    "1005": "150 000",
    "1006": "kr 250 000,-",
}


@pytest.fixture
def hostile_amounts(tmp_path):
    rows = [frisklivs_row(respondent_id=i, grant_nok=a) for i, a in HOSTILE_AMOUNTS.items()]
    return write_export(tmp_path / "data" / "frisklivs_lms" / "2022.csv", rows)


def test_implausible_amounts_are_flagged_and_set_missing(hostile_amounts):
    result = _clean(hostile_amounts)
    flags = _flags(result, "implausible_amount")
    assert list(flags["row"]) == [2, 3, 4, 5]
    assert set(flags["column"]) == {"Tildelt beløp (kr)"}
    assert set(flags["action"]) == {"set_missing"}
    assert "50\u00a0000\u00a0000 kr" in flags["detail"][0]  # names the range
    assert list(flags["value"]) == [HOSTILE_AMOUNTS[i] for i in ("1001", "1002", "1003", "1004")]
    grant = result.tidy.set_index("respondent_id")["grant_nok"]
    assert grant[["1001", "1002", "1003", "1004"]].isna().all()
    assert list(grant[["1005", "1006"]]) == [150_000, 250_000]
    assert set(result.flags["problem"]) == {"implausible_amount"}  # not also unreadable


def test_sums_and_quartiles_leave_them_out(hostile_amounts):
    result = _clean(hostile_amounts)
    m = compute_metrics(result, FRISKLIV, synthetic=False)
    # by hand: only 150 000 and 250 000 are kept
    assert m["grant_total_nok"] == 400_000
    g = m["grant_nok"]
    assert (g["n"], g["missing"]) == (2, 4)
    # type 7 quartiles of (150 000, 250 000): 150 000 + p · 100 000
    assert (g["q1_nok"], g["median_nok"], g["q3_nok"]) == (175_000, 200_000, 225_000)
    assert (g["min_nok"], g["max_nok"]) == (150_000, 250_000)
    troms = next(r for r in m["by_county"] if r["county_code"] == "54")
    assert troms["grant_nok"] == 400_000


def test_validate_and_metrics_commands_give_no_traceback(hostile_amounts, capsys):
    code = main(["validate", str(hostile_amounts), "--scheme", "frisklivs_lms", "--year", "2022"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Tildelt beløp (kr): 4 × implausible_amount (rows 2, 3, 4, 5)" in out
    assert "Traceback" not in out + err
    data_dir = hostile_amounts.parent.parent
    code = main(["metrics", "frisklivs_lms", "2022", "--data-dir", str(data_dir), "--compare-with"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    assert json.loads(out)["grant_total_nok"] == 400_000


def test_a_range_set_in_the_yaml_accepts_the_large_grant(hostile_amounts, tmp_path):
    text = FRISKLIV.path.read_text(encoding="utf-8")
    line = "label_nb: Tildelt beløp, label_nn: Tildelt beløp, label_en: Amount granted}"
    assert line in text
    wider = line[:-1] + ", plausible: {min: 1, max: 1000000000}}"
    path = tmp_path / "wide.yaml"
    path.write_text(text.replace(line, wider), encoding="utf-8")
    scheme = load_scheme_file(path)
    assert scheme.fields["grant_nok"].plausible == AmountRange(1, 1_000_000_000)
    result = _clean(hostile_amounts, scheme)
    assert list(_flags(result, "implausible_amount")["row"]) == [2, 3, 4]
    assert "1\u00a0000\u00a0000\u00a0000 kr" in _flags(result, "implausible_amount")["detail"][0]
    m = compute_metrics(result, scheme, synthetic=False)
    assert m["grant_total_nok"] == 150_000 + 250_000 + 974_760_673


def test_a_range_changed_in_code_is_used(hostile_amounts):
    fields = dict(FRISKLIV.fields)
    fields["grant_nok"] = dataclasses.replace(fields["grant_nok"], plausible=AmountRange(200_000))
    scheme = dataclasses.replace(FRISKLIV, fields=fields)
    grant = _clean(hostile_amounts, scheme).tidy.set_index("respondent_id")["grant_nok"]
    assert grant.isna().sum() == 5 and grant["1006"] == 250_000  # 150 000 < 200 000


def test_default_range_and_zero(tmp_path):
    rows = [frisklivs_row(respondent_id=str(i), grant_nok=a) for i, a in
            enumerate(["0", "1", "50 000 000", "50 000 001", "0,40"])]  # fmt: skip
    result = _clean(write_export(tmp_path / "frisklivs_lms" / "2022.csv", rows))
    # 0 and 0,40 (rounded to 0) are not grants; 1 and 50 000 000 are the ends of the range
    assert list(_flags(result, "implausible_amount")["row"]) == [2, 5, 6]
    sam = load_scheme("samhandling")
    assert sam.fields["granted_nok"].plausible == AmountRange(0, 50_000_000)  # refused: 0 kr
    assert sam.fields["applied_nok"].plausible == AmountRange(1, 50_000_000)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("{min: 1, max: 9007199254740993}", "max <= 9007199254740992"),
        ("{min: 10, max: 5}", "0 <= min <= max"),
        ("{min: -1}", "0 <= min <= max"),
        ("{low: 1}", "keys min and/or max"),
        ("{max: 1.5}", "whole number"),
        ("50000000", "keys min and/or max"),
    ],
)
def test_a_wrong_range_in_the_yaml_says_how_to_fix_it(tmp_path, setting, message):
    text = FRISKLIV.path.read_text(encoding="utf-8")
    line = "label_nb: Tildelt beløp, label_nn: Tildelt beløp, label_en: Amount granted}"
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(line, line[:-1] + f", plausible: {setting}}}"), encoding="utf-8")
    with pytest.raises(EvalkitError, match="grant_nok") as err:
        load_scheme_file(path)
    assert message in str(err.value)


def test_plausible_only_on_amounts(tmp_path):
    text = FRISKLIV.path.read_text(encoding="utf-8")
    line = "label_nb: Prosjektnavn, label_nn: Prosjektnamn, label_en: Project name}"
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(line, line[:-1] + ", plausible: {max: 5}}"), encoding="utf-8")
    with pytest.raises(EvalkitError, match="only amount fields"):
        load_scheme_file(path)


def test_parse_amount_never_overflows():
    values = pd.Series(["12 000 000 000 000 000 000", "1" * 400, "9007199254740992", "100"])
    amount, bad, implausible = per_row(values, parse.amount_of)
    # read as numbers, but beyond 2**53 (the most an exact integer holds): implausible, not
    # an overflow
    assert list(implausible) == [True, True, False, False]
    assert not bad.any()
    assert amount.isna().tolist() == [True, True, False, False]
    assert amount[2] == 2**53 and amount[3] == 100


def test_sums_cannot_wrap_around():
    # 3 · 2**62 is past the int64 maximum 2**63 - 1; the exact sum, by hand:
    big = pd.Series([2**62, 2**62, 2**62, None], dtype="Int64")
    assert total_nok(big) == 13_835_058_055_282_163_712
    assert amount_summary(big)["total_nok"] == 13_835_058_055_282_163_712
    assert total_nok(pd.Series([150_000, 250_000, None], dtype="Int64")) == 400_000
    assert total_nok(pd.Series([], dtype="Int64")) == 0
    # past 2**53 a float sum rounds: 2**53 + 1 is not a float; the exact total, by hand
    assert stats.exact_total(np.array([2.0**53, 1.0, 1.0, np.nan])) == 9_007_199_254_740_994
    assert stats.amount_distribution([2.0**53, 1.0, 1.0])["total"] == 9_007_199_254_740_994
