"""The data-quality explanations in every language: a flag keeps a catalog key and its fields
(``detail_key``, ``detail_args``) beside the bokmål ``detail`` of data_quality.csv, and a
document shows :func:`evalkit.flags.detail_text` in its own language.

The expected sentences are written out by hand from the catalogs' wording."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evalkit import geography as geo
from evalkit.flags import FLAG_COLUMNS, detail_text, explained, make_flags
from evalkit.i18n import language


def frame(values, first_row=10):
    return pd.DataFrame(
        {
            "_row": pd.array(range(first_row, first_row + len(values)), dtype="Int64"),
            "value": pd.array(values, dtype="string"),
        }
    )


def test_unknown_county_in_three_languages():
    _, flags = geo.resolve_counties(frame(["Atlantis"]), "value", "Fylke", 2022)
    assert list(flags.columns) == FLAG_COLUMNS
    row = flags.iloc[0]
    # the csv keeps the bokmål sentence; the key and its fields stand beside it
    assert row["detail"] == "Ukjent fylke: «Atlantis». Satt som manglende."
    assert row["detail_key"] == "dq.unknown_county"
    assert json.loads(row["detail_args"]) == {"text": "Atlantis", "year": 2022}
    with language("en"):
        assert detail_text(flags).tolist() == ["Unknown county: ‘Atlantis’. Set as missing."]
    with language("nn"):
        assert detail_text(flags).tolist() == ["Ukjent fylke: «Atlantis». Sett som manglande."]
    with language("nb"):
        assert detail_text(flags).tolist() == [row["detail"]]


def test_the_mismatch_list_is_translated_item_by_item():
    # 0301 Oslo lies in Oslo (03), not in Rogaland (11): the list item is a message of its own
    muni = pd.Series(["0301"], dtype="string")
    _, flags = geo.resolve_counties(
        frame(["Rogaland"]), "value", "Fylke", 2022, municipality_codes=muni
    )
    assert flags["problem"].tolist() == ["county_municipality_mismatch"]
    assert flags["detail"].iloc[0] == (
        "Fylket Rogaland stemmer ikke med kommunenummeret: 0301 Oslo ligger i Oslo. "
        "Fylket er beholdt."
    )
    with language("en"):
        assert detail_text(flags).iloc[0] == (
            "The county Rogaland does not match the municipality number: 0301 Oslo lies in "
            "Oslo. The county is kept."
        )
    with language("nn"):
        assert detail_text(flags).iloc[0] == (
            "Fylket Rogaland stemmer ikkje med kommunenummeret: 0301 Oslo ligg i Oslo. "
            "Fylket er behalde."
        )


def test_rows_sharing_fields_and_per_row_keys():
    f = frame(["a", "b", "c"])
    shared = {"token": "12x"}
    flags = make_flags(
        f,
        pd.Series([True, True, True]),
        column="K",
        field="value",
        values=f["value"],
        problem="invalid_municipality_code",
        detail=pd.Series(
            ["dq.invalid_municipality_code", "dq.invalid_municipality_code", "dq.missing_county"]
        ),
        args=pd.Series([shared, shared, {}], dtype=object),
        action="set_missing",
    )
    assert flags["detail"].tolist() == [
        "«12x» er ikke et kommunenummer (fire sifre); tatt ut.",
        "«12x» er ikke et kommunenummer (fire sifre); tatt ut.",
        "Fylke mangler; satt som manglende.",
    ]
    with language("en"):
        assert detail_text(flags).tolist() == [
            "‘12x’ is not a municipality number (four digits); removed.",
            "‘12x’ is not a municipality number (four digits); removed.",
            "The county is missing; set as missing.",
        ]


def test_numbers_and_scheme_texts_take_the_language_of_the_document():
    args = {
        "low": {"int": 1},
        "high": {"int": 50_000_000},
        "file": "x.yaml",
    }
    flag = pd.DataFrame([explained("dq.implausible_amount", args)])
    assert "(1–50\u00a0000\u00a0000 kr per rad)" in flag["detail"].iloc[0]
    with language("en"):
        assert "(NOK 1–50,000,000 per row)" in detail_text(flag).iloc[0]
    labels = {"nb": "Ja; Nei", "nn": "Ja; Nei", "en": "Yes; No"}
    flag = pd.DataFrame([explained("dq.unknown_category", {"labels": labels})])
    assert flag["detail"].iloc[0] == "Ukjent verdi; satt som manglende. Gyldige svar: Ja; Nei."
    with language("en"):
        assert detail_text(flag).iloc[0] == (
            "Unknown value; set as missing. Valid answers: Yes; No."
        )


def test_a_frame_without_keys_shows_its_detail():
    old = pd.DataFrame({"detail": ["Noe gammelt.", None]})
    with language("en"):
        assert detail_text(old).tolist() == ["Noe gammelt.", ""]


def test_an_unknown_explanation_is_refused():
    f = frame(["a"])
    with pytest.raises(ValueError, match="DETAIL_KEYS"):
        make_flags(
            f,
            pd.Series([True]),
            column="K",
            field="value",
            values=None,
            problem="missing_county",
            detail="Fylke mangler.",
            action="set_missing",
        )
