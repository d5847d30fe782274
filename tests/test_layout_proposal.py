"""`evalkit layout`: a layout proposed for next year's form, whose headers were reworded,
reordered, one added and one dropped; matches decided by the answers when the wording cannot;
the YAML pasted into the scheme reads the new export as the old layout read the old one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import FRISKLIV, frisklivs_row, write_export

from evalkit import cli
from evalkit import layout as lay
from evalkit.clean import clean_export
from evalkit.config import load_scheme_file
from evalkit.read import read_export

# questback-2022 header -> the header of next year's form (written by hand)
REWORDED = {
    "Respondent": "Respondent-ID",
    "Kommune(r)": "Kommuner",
    "Tildelt beløp (kr)": "Tildelt tilskudd, kroner",
    "Er prosjektet interkommunalt?": "Interkommunalt prosjekt (ja/nei)",
    "Målgruppe": "Prosjektets målgruppe",
    "Type tilbud": "Hvilken type tilbud",
    "Aktører - Frisklivssentralen": "Aktør: Frisklivssentral",
    "Delmål - Ny kunnskap og kompetanse": "Delmål: Ny kunnskap / kompetanse",
    "Måloppnåelse": "Grad av måloppnåelse",
    "E-post": "E-postadresse",  # personal data, reworded too
    "Telefon": "Telefon (mobil)",
}
DROPPED = "Delmål - Bedre samhandling"  # subgoal.samhandling: blank in every row below
ADDED = "Antall deltakere"
PERSONAL = {"Kontaktperson", "E-postadresse", "Telefon (mobil)"}

# the proposal expected for the new export: every header of the new form -> its field
EXPECTED = {
    "Respondent-ID": "respondent_id",
    "Fylke": "county",
    "Kommunenummer": "municipality_codes",
    "Kommuner": "municipality_names",
    "Prosjektnavn": "project_name",
    "Tildelt tilskudd, kroner": "grant_nok",
    "Interkommunalt prosjekt (ja/nei)": "intermunicipal",
    "Prosjektets målgruppe": "target_group",
    "Målgruppe - annet, spesifiser": "target_group_other",
    "Hvilken type tilbud": "offer_type",
    "Er prosjektet et samarbeidsprosjekt?": "collaboration",
    "Aktør: Frisklivssentral": "actor.frisklivssentralen",
    "Aktører - Andre kommunale tjenester": "actor.andre_kommunale",
    "Aktører - Brukerorganisasjoner/frivillige organisasjoner": "actor.frivillige",
    "Aktører - Spesialisthelsetjenesten": "actor.spesialist",
    "Aktører - Andre": "actor.annet",
    "Delmål - Fremme helse og livskvalitet": "subgoal.fremme_helse",
    "Delmål - Forebygge sykdom og/eller tidlig intervensjon": "subgoal.forebygge",
    "Delmål - Bedre mestring av livet med sykdom": "subgoal.mestring",
    "Delmål - Videre utvikling av kommunal frisklivssentral": "subgoal.utvikle_fls",
    "Delmål - Bedre ressursutnyttelse av samlet innsats i helse- og omsorgstjenesten": (
        "subgoal.ressursutnyttelse"
    ),
    "Delmål: Ny kunnskap / kompetanse": "subgoal.kompetanse",
    "Delmål - Etablere kommunal frisklivssentral": "subgoal.etablere_fls",
    "Delmål - Etablere andre kommunale lærings- og mestringstilbud": "subgoal.etablere_lms",
    "Grad av måloppnåelse": "goal_achievement",
    "Hvis måloppnåelse ikke kan vurderes, hvorfor?": "goal_reason_text",
}


def old_rows() -> list[dict]:
    """Three projects in the questback-2022 layout, answers varied."""
    return [
        frisklivs_row(),
        frisklivs_row(
            respondent_id="1002",
            county="Nordland",
            municipality_codes="1804",
            municipality_names="Bodø",
            project_name="Mestring i Bodø",
            grant_nok="kr 80 000",
            intermunicipal="Ja",
            collaboration="Nei",
            target_group="Kronisk sykdom",
            offer_type="Diagnosespesifikt",
            **{"actor.frisklivssentralen": "", "actor.spesialist": "x"},
            **{"subgoal.kompetanse": "1", "subgoal.forebygge": ""},
            goal_achievement="Kan ikke vurderes",
            goal_reason_text="Forsinket oppstart",
        ),
        frisklivs_row(
            respondent_id="1003",
            county="Vestland",
            municipality_codes="4601",
            municipality_names="Bergen",
            project_name="Frisklivsresept",
            grant_nok="1,2 mill.",
            target_group="Annet",
            target_group_other="Unge voksne",
            offer_type="Annet",
            **{"actor.annet": "x", "subgoal.etablere_lms": "1"},
            goal_achievement="Delvis",
        ),
    ]


def new_rows(rows: list[dict]) -> list[dict]:
    """The same projects in next year's form: headers reworded, the columns in reverse order,
    one column added (first) and one dropped."""
    out = []
    for number, row in enumerate(rows):
        assert row[DROPPED] == ""  # so the tidy frames can agree without it
        cells = [(REWORDED.get(h, h), v) for h, v in row.items() if h != DROPPED]
        out.append({ADDED: str(12 + number), **dict(reversed(cells))})
    return out


@pytest.fixture
def exports(tmp_path) -> tuple[Path, Path]:
    old = write_export(tmp_path / "old" / "2022.csv", old_rows())
    new = write_export(tmp_path / "new" / "2023.csv", new_rows(old_rows()))
    return old, new


def test_reworded_headers_are_matched_to_their_fields(exports):
    _, new = exports
    # the test's own premise: the new form's headers are reordered and reworded
    headers = list(pd.read_csv(new, sep=";", nrows=0, encoding="utf-8-sig").columns)
    assert headers[0] == ADDED and headers[-1] == "Respondent-ID" and DROPPED not in headers
    proposal = lay.propose_layout_for_file(new, FRISKLIV)
    assert proposal.name == "proposed-2023"
    assert proposal.headers == EXPECTED
    assert [h for h, _, _ in proposal.unmatched] == [ADDED]
    assert proposal.missing == ["subgoal.samhandling"]
    assert proposal.required_missing == []
    assert set(proposal.personal_data) == PERSONAL
    for match in proposal.matches:
        assert 0 <= match.confidence <= 1
        # reworded: less than certain, but matched; «Kommuner» differs from «Kommune(r)» in
        # punctuation only, and the headers kept as they were are certain
        if match.header in REWORDED.values() and match.header != "Kommuner":
            assert lay.MIN_SCORE <= match.confidence < 1
        else:
            assert match.confidence == 1
    # the answers were read for answer fields: three non-blank amounts, all read
    grant = next(m for m in proposal.matches if m.field == "grant_nok")
    assert (grant.answers, grant.n_answers) == (1.0, 3)


def test_personal_data_values_are_never_read(exports, monkeypatch):
    _, new = exports
    seen: list[str] = []
    of = lay._Column.of

    def spy(values):
        seen.append(str(values.name))
        return of(values)

    monkeypatch.setattr(lay._Column, "of", staticmethod(spy))
    lay.propose_layout_for_file(new, FRISKLIV)
    assert seen and not set(seen) & PERSONAL


def _paste(scheme_yaml: Path, proposal_text: str, into: Path) -> Path:
    """Paste the proposal under `layouts:` in a copy of the scheme YAML."""
    lines = scheme_yaml.read_text(encoding="utf-8").splitlines(keepends=True)
    at = lines.index("layouts:\n") + 1
    into.write_text("".join(lines[:at]) + proposal_text + "".join(lines[at:]), encoding="utf-8")
    return into


def test_cli_yaml_pasted_into_the_scheme_reads_the_new_export_as_the_old(exports, tmp_path, capsys):
    old, new = exports
    code = cli.main(["layout", str(new), "--scheme", "frisklivs_lms"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "Traceback" not in out + err
    # no cell value of the file is printed (personal data above all), only headers and scores
    for row in new_rows(old_rows()):
        for header, value in row.items():
            if len(str(value)) > 3 and value not in (header, "Frisklivssentralen"):
                assert str(value) not in out + err, (header, value)
    assert "Antall deltakere" in err and "subgoal.samhandling" in err

    loaded = yaml.safe_load(out)
    assert loaded == {
        "proposed-2023": {
            "headers": EXPECTED,
            "personal_data": loaded["proposed-2023"]["personal_data"],
        }
    }
    assert set(loaded["proposed-2023"]["personal_data"]) == PERSONAL
    assert "# Headers left unmatched" in out and "#   Antall deltakere" in out
    assert "#   subgoal.samhandling (checkbox" in out

    scheme = load_scheme_file(_paste(FRISKLIV.path, out, tmp_path / "scheme.yaml"))
    assert "proposed-2023" in scheme.layouts and "questback-2022" in scheme.layouts
    raw_new = read_export(new, scheme)
    assert raw_new.layout == "proposed-2023"
    assert raw_new.extra_columns == [ADDED]
    assert set(raw_new.dropped_personal) == PERSONAL
    tidy_new = clean_export(raw_new, scheme, 2023).tidy
    tidy_old = clean_export(read_export(old, FRISKLIV), FRISKLIV, 2022).tidy
    pd.testing.assert_frame_equal(tidy_new, tidy_old)
    # the values themselves, by hand: amounts in kroner and the yes/no answers
    assert tidy_new["grant_nok"].tolist() == [150_000, 80_000, 1_200_000]
    assert tidy_new["intermunicipal"].tolist() == [False, True, False]
    assert tidy_new["subgoal.samhandling"].tolist() == [False, False, False]


MINI_SCHEME = """\
scheme: mini
title_nb: Et lite tilskudd
short_title_nb: Lite tilskudd
unit: project
id_field: project_id
year_field: null
notebook: mini.py
first_year: 2020
layouts:
  v1:
    headers:
      Prosjekt-ID: project_id
      Tilskudd brukt: used
      Tilskudd beløp: amount
    personal_data: [Kontaktperson]
fields:
  project_id: {type: id, required: true, label_nb: Prosjekt-ID}
  used: {type: yesno, label_nb: Tilskudd brukt}
  amount: {type: amount, label_nb: Tilskudd beløp}
vocabularies: {}
shares: []
"""


@pytest.mark.parametrize("amounts_first", [True, False])
def test_answers_decide_between_equally_vague_headers(tmp_path, amounts_first):
    (tmp_path / "mini.yaml").write_text(MINI_SCHEME, encoding="utf-8")
    scheme = load_scheme_file(tmp_path / "mini.yaml")
    yes_no = ["Ja", "Nei", "ja", ""]
    amounts = ["150 000", "kr 80 000", "", "1,2 mill."]
    first, second = (amounts, yes_no) if amounts_first else (yes_no, amounts)
    rows = [
        {"Prosjekt-ID": str(i + 1), "Tilskudd (1)": a, "Tilskudd (2)": b, "Kontaktperson": "Ola"}
        for i, (a, b) in enumerate(zip(first, second, strict=True))
    ]
    path = write_export(tmp_path / "2024.csv", rows)
    # the premise: by wording alone, each header is as like the one field as the other
    for header in ("Tilskudd (1)", "Tilskudd (2)"):
        assert lay.wording_similarity(header, "Tilskudd brukt") == lay.wording_similarity(
            header, "Tilskudd beløp"
        )
    proposal = lay.propose_layout_for_file(path, scheme)
    amount_header, yesno_header = (
        ("Tilskudd (1)", "Tilskudd (2)") if amounts_first else ("Tilskudd (2)", "Tilskudd (1)")
    )
    assert proposal.headers == {
        "Prosjekt-ID": "project_id",
        amount_header: "amount",
        yesno_header: "used",
    }
    assert proposal.personal_data == ["Kontaktperson"]
    by_field = {m.field: m for m in proposal.matches}
    # three non-blank answers in each column, all read by the matched field's parser
    assert (by_field["amount"].answers, by_field["amount"].n_answers) == (1.0, 3)
    assert (by_field["used"].answers, by_field["used"].n_answers) == (1.0, 3)
    assert "answers 1.00 (of 3 non-blank)" in by_field["used"].explain()


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("2023.xlsx", b"this is not a workbook", "could not be read"),
        ("2023.csv", b"\x81\x8d;\x8f\n\x90;\x9d\n", "neither UTF-8 nor Windows-1252"),
        ("missing.csv", None, "does not exist"),
    ],
)
def test_cli_unreadable_file_exits_2_with_one_sentence(tmp_path, capsys, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code = cli.main(["layout", str(path), "--scheme", "frisklivs_lms"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("evalkit: ") and says in err and str(path) in err
    assert len(err.strip().splitlines()) == 1


def test_headers_yaml_would_misread_are_quoted(tmp_path):
    """Headers holding YAML's own marks, a header that YAML reads as true, one too long for
    a plain key and a column without a header: the YAML reads back the same headers."""
    long_header = " ".join(["Respondent"] * 200)  # 2 199 characters, worded as the id field
    rows = [
        {
            long_header: "1",
            "Fylke #1": "Nordland",
            "Type: tilbud": "Annet",
            "[Prosjektnavn]": "Et prosjekt",
            "yes": "x",
            "": "y",
        }
    ]
    path = write_export(tmp_path / "neste skjema.csv", rows)
    proposal = lay.propose_layout_for_file(path, FRISKLIV)
    assert proposal.name == "proposed-neste-skjema"
    text = lay.proposal_yaml(proposal, FRISKLIV)
    assert yaml.safe_load(text)["proposed-neste-skjema"]["headers"] == {
        long_header: "respondent_id",
        "Fylke #1": "county",
        "Type: tilbud": "offer_type",
        "[Prosjektnavn]": "project_name",
    }
    assert "#   yes (worded like no field)" in text
    assert "#   column 6 has no header" in text
