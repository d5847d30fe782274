"""Columns derived from others and the award's rules, as a scheme's YAML declares them (no
field name in the code): a yes/no from a category's code or from a filled field; refused
applications' amounts; granted above applied. Every expected value worked out by hand."""

from __future__ import annotations

import pytest

from evalkit.clean import clean_export
from evalkit.config import load_scheme_file
from evalkit.errors import EvalkitError
from evalkit.metrics import compute_metrics
from evalkit.read import read_export

SCHEME = """\
scheme: soknad
title_nb: Søknader om tilskudd
short_title_nb: Søknader
unit: application
id_field: case_id
first_year: 2020
layouts:
  v1:
    headers: {Sak: case_id, Fylke: county, Partnere: partners, Utfall: outcome,
              Søkt: asked_nok, Fikk: got_nok}
fields:
  case_id: {type: id, required: true, label_nb: Sak}
  county: {type: county, required: true, label_nb: Fylke}
  partners: {type: text, label_nb: Partnere}
  outcome: {type: category, vocabulary: outcome, required: true, label_nb: Utfall}
  asked_nok: {type: amount, label_nb: Søkt}
  got_nok: {type: amount, label_nb: Fikk, plausible: {min: 0, max: 50000000}}
vocabularies:
  outcome:
    - {code: ja, label_nb: Innvilget}
    - {code: nei, label_nb: Avslått}
derived:
  won: {from: outcome, equals: ja}
  shared: {from: partners, filled: true}
award: {flag: won, applied: asked_nok, granted: got_nok, decision: outcome, refused: nei}
shares:
  - {field: won, kind: yesno, group: utfall, label_nb: Innvilget}
  - {field: shared, kind: yesno, group: samarbeid, label_nb: Med partnere}
"""

ROWS = [
    "Sak;Fylke;Partnere;Utfall;Søkt;Fikk",
    "1;Oslo;Bærum;Innvilget;100000;80000",  # granted
    "2;Oslo;;Avslått;50000;",  # refused, no amount: 0 kr
    "3;Rogaland;;Avslått;70000;30000",  # refused with an amount: flagged, left out
    "4;Rogaland;Sola, Sandnes;Innvilget;40000;60000",  # granted above applied: noted
]


@pytest.fixture
def cleaned(tmp_path):
    yaml_path = tmp_path / "soknad.yaml"
    yaml_path.write_text(SCHEME, encoding="utf-8")
    scheme = load_scheme_file(yaml_path)
    export = tmp_path / "2022.csv"
    export.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return scheme, clean_export(read_export(export, scheme), scheme, 2022)


def test_derived_columns(cleaned):
    _, result = cleaned
    tidy = result.tidy.set_index("case_id")
    assert tidy["won"].tolist() == [True, False, False, True]
    assert tidy["shared"].tolist() == [True, False, False, True]


def test_award_rules(cleaned):
    scheme, result = cleaned
    tidy = result.tidy.set_index("case_id")
    assert tidy.loc["2", "got_nok"] == 0  # refused without an amount
    assert tidy["got_nok"].isna().tolist() == [False, False, True, False]
    dq = result.data_quality()
    by_problem = {p: sorted(dq.loc[dq["problem"] == p, "row"].tolist()) for p in set(dq["problem"])}
    assert by_problem["refused_with_amount"] == [4]  # source row 4 is case 3
    assert by_problem["granted_above_applied"] == [5]
    m = compute_metrics(result, scheme, synthetic=True)
    # granted: cases 1 and 4, 2 of 4; granted total 80 000 + 60 000
    assert m["shares"]["won"]["count"] == 2 and m["shares"]["won"]["n"] == 4
    assert m["shares"]["shared"]["count"] == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("won: {from: outcome, equals: ja}", "won: {from: outcome, equals: kanskje}"),
        ("shared: {from: partners, filled: true}", "shared: {from: partner, filled: true}"),
        ("decision: outcome, refused: nei}", "decision: outcome}"),
        ("won: {from: outcome, equals: ja}", "won: {from: outcome}"),
    ],
)
def test_derived_and_award_are_checked(tmp_path, old, new):
    yaml_path = tmp_path / "soknad.yaml"
    yaml_path.write_text(SCHEME.replace(old, new), encoding="utf-8")
    with pytest.raises(EvalkitError) as info:
        load_scheme_file(yaml_path)
    text = str(info.value)
    assert str(yaml_path) in text
    assert any(key in text for key in ("derived.won", "derived.shared", "award"))
