"""A blank round is unknown unless the scheme's YAML says which round it stands for
(``blank_is``); then every such cell is counted in that round and flagged as mapped, so the
rule is visible in data_quality.csv. Expected counts are worked out by hand from the rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aktivitet_scheme import HEADER, write_project
from test_new_scheme import SCHEME

from evalkit.cli import main

ROUND_SCHEME = SCHEME.replace(
    "      Frivillige med: volunteers\n", "      Frivillige med: volunteers\n      Runde: round\n"
).replace(
    "  volunteers: {type: yesno, label_nb: Frivillige med}\n",
    "  volunteers: {type: yesno, label_nb: Frivillige med}\n"
    "  round: {type: round, label_nb: Runde__RULE__}\n",
)
ROWS = [  # round: 1, 2, blank, blank, x (not a round)
    "1;Oslo;0301;Lek;100000;Barn og unge;Ja;1",
    "2;Oslo;0301;Dans;50000;Eldre;Nei;2",
    "3;Rogaland;1103;Sykkel;200000;Barn og unge;Ja;",
    "4;Vestland;4601;Tur;150000;Eldre;Ja;",
    "5;Vestland;4601;Svøm;100000;Barn og unge;Nei;x",
]


def _project(tmp_path: Path, monkeypatch, rule: str) -> None:
    text = ROUND_SCHEME.replace("__RULE__", rule)
    write_project(tmp_path, text, {2023: ROWS}, header=HEADER + ";Runde")
    monkeypatch.chdir(tmp_path)


def _metrics(capsys) -> dict:
    code = main(["metrics", "aktivitet", "2023", "--data-dir", "data"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_without_a_rule_a_blank_round_is_unknown(tmp_path, monkeypatch, capsys):
    _project(tmp_path, monkeypatch, "")
    m = _metrics(capsys)
    by = {r["round"]: r["n_projects"] for r in m["by_round"]}
    assert by == {1: 1, 2: 1}  # rows 1 and 2; rows 3 and 4 blank, row 5 «x»
    assert m["round_missing"] == 3


def test_blank_is_puts_blank_rounds_in_that_round_and_flags_them(tmp_path, monkeypatch, capsys):
    _project(tmp_path, monkeypatch, ", blank_is: 1")
    m = _metrics(capsys)
    by = {r["round"]: r for r in m["by_round"]}
    assert {k: r["n_projects"] for k, r in by.items()} == {1: 3, 2: 1}  # rows 1, 3, 4 | 2
    assert by[1]["grant_nok"] == 100_000 + 200_000 + 150_000
    assert m["round_missing"] == 1  # row 5, «x»
    code = main(["validate", "data/aktivitet/2023.csv", "--scheme", "aktivitet", "--year", "2023"])
    out = capsys.readouterr().out
    assert code == 1
    assert "blank_round" in out or "Runde mangler" in out


@pytest.mark.parametrize("rule", [", blank_is: 3", ", blank_is: one"])
def test_blank_is_takes_a_round(tmp_path, monkeypatch, capsys, rule):
    _project(tmp_path, monkeypatch, rule)
    assert main(["metrics", "aktivitet", "2023", "--data-dir", "data"]) == 2
    assert "blank_is" in capsys.readouterr().err


def test_blank_is_only_on_a_round_field(tmp_path, monkeypatch, capsys):
    _project(tmp_path, monkeypatch, "")
    path = tmp_path / "schemes" / "aktivitet.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "label_nb: Frivillige med}", "label_nb: Frivillige med, blank_is: 1}"
        ),
        encoding="utf-8",
    )
    assert main(["metrics", "aktivitet", "2023", "--data-dir", "data"]) == 2
    assert "only round fields" in capsys.readouterr().err
