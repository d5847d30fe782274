"""A scheme of the user's own, YAML only: found in the project's schemes/, checked before use,
and built end to end (two years, the comparison, the trends document) by the generic
notebooks. Expected counts are worked out by hand from the rows written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aktivitet_scheme import write_project

from evalkit import scheme_files
from evalkit.cli import main
from evalkit.config import load_scheme, load_scheme_file
from evalkit.scheme_files import available_schemes

ROOT = Path(__file__).resolve().parent.parent

# Fields of its own: no intermunicipal field, no sub-goals, no notebook, no document keys.
SCHEME = """\
scheme: aktivitet
title_nb: Tilskudd til aktivitetstiltak
short_title_nb: Aktivitetstiltak
unit: project
id_field: case_id
first_year: 2020
layouts:
  v1:
    headers:
      Saksnummer: case_id
      Fylke: county
      Kommunenummer: municipality_codes
      Tiltak: project_name
      Beløp: grant_nok
      Målgruppe: audience
      Frivillige med: volunteers
fields:
  case_id: {type: id, required: true, label_nb: Saksnummer}
  county: {type: county, required: true, label_nb: Fylke}
  municipality_codes: {type: municipality_codes, label_nb: Kommunenummer}
  project_name: {type: text, label_nb: Tiltak}
  grant_nok: {type: amount, required: true, label_nb: Tildelt beløp}
  audience: {type: category, vocabulary: audience, label_nb: Målgruppe}
  volunteers: {type: yesno, label_nb: Frivillige med}
vocabularies:
  audience:
    - {code: barn, label_nb: Barn og unge}
    - {code: eldre, label_nb: Eldre}
shares:
  - {field: audience, kind: category, group: målgruppe, label_nb: Målgruppe}
  - {field: volunteers, kind: yesno, group: frivillige, label_nb: Tiltak med frivillige}
"""

ROWS = {
    2022: [
        "1;Oslo;0301;Lek i parken;100000;Barn og unge;Ja",
        "2;Oslo;0301;Seniordans;50000;Eldre;Nei",
        "3;Rogaland;1103;Sykkelglede;200000;Barn og unge;Ja",
        "4;Vestland;4601;Turlag;150000;Eldre;Ja",
        "5;Vestland;4601;Svømming;100000;Barn og unge;Nei",
    ],
    2023: [
        "11;Oslo;0301;Lek i parken;120000;Barn og unge;Ja",
        "12;Rogaland;1103;Sykkelglede;80000;Barn og unge;Ja",
        "13;Rogaland;1103;Boccia;60000;Eldre;Ja",
        "14;Vestland;4601;Turlag;150000;Eldre;Nei",
        "15;Vestland;4601;Klatring;90000;Barn og unge;Ja",
        "16;Vestland;4601;Dans;50000;Eldre;Ja",
    ],
}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder holding schemes/aktivitet.yaml and data/aktivitet/<year>.csv."""
    write_project(tmp_path, SCHEME, ROWS)
    monkeypatch.chdir(tmp_path)
    # `--scheme-file` makes a file known by its scheme's name for the process: for this test
    monkeypatch.setattr(scheme_files, "_NAMED_FILES", {})
    return tmp_path


def test_a_scheme_in_schemes_is_found_like_a_bundled_one(project):
    assert "aktivitet" in available_schemes()
    assert {"frisklivs_lms", "samhandling"} <= set(available_schemes())
    scheme = load_scheme("aktivitet")
    assert scheme.path == (project / "schemes" / "aktivitet.yaml").absolute()
    # defaults fill every document choice the YAML leaves out
    assert [s.title_nb for s in scheme.doc.sections][0] == "Fylker"
    assert scheme.doc.group_tests[0].outcome == "volunteers"


def test_metrics_of_a_scheme_without_intermunicipal(project, capsys):
    code = main(["metrics", "aktivitet", "2023", "--data-dir", "data"])
    out, err = capsys.readouterr()
    assert code == 0, err
    m = json.loads(out)
    assert m["schema_version"] == 2
    assert m["n_projects"] == 6
    assert m["grant_total_nok"] == 120_000 + 80_000 + 60_000 + 150_000 + 90_000 + 50_000
    assert m["shares"]["volunteers"]["count"] == 5  # rows 11, 12, 13, 15, 16
    assert m["shares"]["audience.eldre"]["count"] == 3  # rows 13, 14, 16
    by = {r["county_name"]: r for r in m["by_county"]}
    assert by["Vestland"]["n_projects"] == 3
    assert by["Vestland"]["grant_nok"] == 150_000 + 90_000 + 50_000
    assert "n_intermunicipal" not in by["Vestland"]
    assert m["comparisons"][0]["other_year"] == 2022


def test_scheme_file_option_takes_a_path(project, tmp_path_factory, capsys):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "mine.yaml"
    elsewhere.write_text(SCHEME, encoding="utf-8")
    (project / "schemes" / "aktivitet.yaml").unlink()
    code = main(["metrics", "--scheme-file", str(elsewhere), "2022", "--data-dir", "data"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["n_projects"] == 5


def _problem(project: Path, old: str, new: str, capsys) -> str:
    path = project / "schemes" / "aktivitet.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    code = main(["metrics", "aktivitet", "2023", "--data-dir", "data"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert str(path) in err  # names the file
    return err


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        # a misspelt key: the key path, and the key meant
        ("  volunteers: {type: yesno,", "  volunteers: {typ: yesno,",
         ["fields.volunteers.typ: unknown key 'typ'", "did you mean 'type'?"]),
        ("short_title_nb:", "short_titel_nb:",
         ["unknown key 'short_titel_nb'", "did you mean 'short_title_nb'?"]),
        # an unknown field type: the allowed ones
        ("{type: yesno, label_nb: Frivillige", "{type: janei, label_nb: Frivillige",
         ["fields.volunteers.type", "'yesno'", "not 'janei'"]),
        # a share naming a field that is not there
        ("{field: volunteers, kind: yesno", "{field: volunter, kind: yesno",
         ["shares[1].field: 'volunter' is not a yes/no field", "Define it, or correct the name"]),
        # a layout header mapped to no field
        ("Frivillige med: volunteers", "Frivillige med: volunter",
         ["layouts.v1.headers.Frivillige med: 'volunter' is not a field",
          "did you mean 'volunteers'?"]),
        # a duplicated code
        ("{code: eldre, label_nb: Eldre}", "{code: barn, label_nb: Eldre}",
         ["vocabularies.audience[1].code: the code 'barn' is given twice"]),
        # a section naming a share group that is not defined
        ("shares:\n", "sections:\n  - {title_nb: X, show: [{shares: frivilige, title_nb: X}]}\nshares:\n",
         ["sections[0].show[0].shares: 'frivilige' is not a share group",
          "did you mean 'frivillige'?"]),
        # a list grouped by a column it does not show
        ("shares:\n", "sections:\n  - {title_nb: X, show: [{list: {title_nb: L, columns: "
         "{project_name: Tiltak}, group_by: county_name}}]}\nshares:\n",
         ["sections[0].show[0].list.group_by: 'county_name' is not a column of the list"]),
        # a key given twice
        ("      Tiltak: project_name\n", "      Tiltak: project_name\n      Tiltak: audience\n",
         ["the key 'Tiltak' is given twice"]),
    ],
)  # fmt: skip
def test_a_wrong_yaml_is_a_plain_error_with_the_key_path_and_fix(project, capsys, old, new, says):
    err = _problem(project, old, new, capsys)
    for part in says:
        assert part in err, err


def test_a_user_scheme_with_a_bundled_name_is_read_instead_of_it(project):
    """(tests/test_scheme_override.py: the build, the index and the document say so.)"""
    text = SCHEME.replace("scheme: aktivitet", "scheme: samhandling")
    (project / "schemes" / "samhandling.yaml").write_text(text, encoding="utf-8")
    scheme = load_scheme("samhandling")
    assert scheme.path == (project / "schemes" / "samhandling.yaml").absolute()
    assert scheme.title_nb == "Tilskudd til aktivitetstiltak"


def test_the_bundled_yaml_is_valid_and_complete():
    for name in ("frisklivs_lms", "samhandling"):
        scheme = load_scheme_file(ROOT / "evalkit" / "schemes" / f"{name}.yaml")
        assert scheme.doc.sections and scheme.doc.summary and scheme.doc.key_figures


@pytest.mark.slow
def test_evalkit_build_makes_both_years_the_comparison_and_the_trends(project, capsys):
    # `evalkit build` run in this process (the documents run in the kernels it starts)
    out = project / "out"
    code = main(
        ["build", "--scheme", "aktivitet", "--data-dir", "data", "--out", str(out),
         "--jobs", "1", "--no-pdf"]  # the PDF is test_pdf's
    )  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    for year in ("2022", "2023", "trends"):
        folder = out / "aktivitet" / year
        assert (folder / "report.html").is_file(), year
        nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
        outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"], year
        assert not [o for o in outputs if o.get("name") == "stderr"], year
    m22 = json.loads((out / "aktivitet" / "2022" / "metrics.json").read_text(encoding="utf-8"))
    m23 = json.loads((out / "aktivitet" / "2023" / "metrics.json").read_text(encoding="utf-8"))
    assert m22["n_projects"] == 5 and m23["n_projects"] == 6
    assert m22["grant_total_nok"] == 100_000 + 50_000 + 200_000 + 150_000 + 100_000
    assert m22["shares"]["volunteers"]["count"] == 3  # rows 1, 3, 4
    assert m22["shares"]["audience.barn"]["count"] == 3  # rows 1, 3, 5
    # the second year compared with the first: 5 of 6 with volunteers against 3 of 5
    comp = {c["metric"]: c for c in m23["comparisons"]}
    assert comp["volunteers"]["other_year"] == 2022
    assert (comp["volunteers"]["count"], comp["volunteers"]["n"]) == (5, 6)
    assert (comp["volunteers"]["other_count"], comp["volunteers"]["other_n"]) == (3, 5)
    html = (out / "aktivitet" / "2023" / "report.html").read_text(encoding="utf-8")
    assert "Tilskudd til aktivitetstiltak 2023" in html
    assert "I 2023 omfatter dataene 6 prosjekter i 3 fylker." in html
    trends = json.loads((out / "aktivitet" / "trends" / "metrics.json").read_text("utf-8"))
    assert trends["schema_version"] == 2 and trends["years"] == [2022, 2023]
    assert trends["counts_by_year"] == {"2022": 5, "2023": 6}
    assert trends["regression"] is None
    assert trends["trend_tests"] == []  # a trend test needs three years
    assert trends["amounts"]["by_year"]["2023"]["n"] == 6
    assert trends["amounts"]["by_year"]["2022"]["median"] == 100_000  # 50, 100, 100, 150, 200


@pytest.mark.slow
def test_report_takes_a_scheme_file_elsewhere(project, capsys):
    """`--scheme-file` names a YAML outside schemes/: the document is built from it."""
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    (project / "schemes" / "aktivitet.yaml").rename(elsewhere / "aktivitet.yaml")
    out = project / "out"
    code = main(
        ["report", "--scheme-file", str(elsewhere / "aktivitet.yaml"), "2022", "--data-dir",
         "data", "--out", str(out), "--no-pdf"]
    )  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    m22 = json.loads((out / "aktivitet" / "2022" / "metrics.json").read_text(encoding="utf-8"))
    assert m22["n_projects"] == 5  # the five rows of 2022


def test_scheme_file_must_be_named_after_its_scheme(project, capsys):
    wrong = project / "other.yaml"
    wrong.write_text(SCHEME, encoding="utf-8")
    assert main(["report", "--scheme-file", str(wrong), "2022", "--data-dir", "data"]) == 2
    err = capsys.readouterr().err
    assert "differs from the file's name (other)" in err
    both = ["report", "aktivitet", "2022", "--scheme-file", str(wrong)]
    assert main(both) == 2
    assert "not both" in capsys.readouterr().err
