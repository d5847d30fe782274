"""Hostile text reaches spreadsheets and CSV files as inert text; bad parameters and outputs
that cannot be written end in one sentence and exit 2 (issue 9, items 1, 5 and 6)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, frisklivs_header, frisklivs_row
from openpyxl import Workbook, load_workbook

from evalkit import cli, inert
from evalkit.config import load_scheme
from evalkit.document import excel
from evalkit.evaluation import evaluate

FORMULAS = ['=HYPERLINK("http://x","klikk")', "=1+1", "=cmd|' /C calc'!A0", "@SUM(A1:A9)"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _write_xlsx_as_text(path: Path, header: list[str], rows: list[dict]) -> Path:
    """An export whose cells are string cells, as Excel saves text typed with a leading '."""
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append([row.get(h, "") for h in header])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":
                cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _assert_no_formula(path: Path) -> list[str]:
    """Every cell of every sheet of ``path`` is a value, none a formula; returns the texts."""
    texts = []
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for cells in ws.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


# --- the one function every writer uses --------------------------------------------------
@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+47 22", "'+47 22"),  # not grouped by threes: not a plain number
        ("+4722", "+4722"),  # a sign and digits: a number, nothing to compute
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-1+1", "'-1+1"),
        ("-5 000", "-5 000"),  # a plain number stays as it is
        ("-12,5", "-12,5"),
        ("Tromsø", "Tromsø"),
        ("a\x07b\u202ec", "abc"),  # BEL and a right-to-left override removed
    ],
)
def test_csv_cell(value, written):
    assert inert.csv_cell(value) == written


def test_numbers_stay_numbers_in_both_writers(tmp_path):
    frame = pd.DataFrame(
        {"name": pd.array(["=1+1", None], dtype="string"), "n": pd.array([-3, 4], dtype="Int64")}
    )
    excel.write_frames(tmp_path / "t.xlsx", {"ark": frame})
    ws = load_workbook(tmp_path / "t.xlsx")["ark"]
    assert [c.value for c in ws["B"]] == ["n", -3, 4]
    assert [c.data_type for c in ws["B"][1:]] == ["n", "n"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    inert.write_csv(tmp_path / "t.csv", frame)
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "name,n\n'=1+1,-3\n,4\n"


# --- whole years --------------------------------------------------------------------------
def test_formulas_in_a_frisklivs_export_stay_text(tmp_path):
    rows = [
        frisklivs_row(respondent_id=str(1001 + i), intermunicipal=f, project_name=f)
        for i, f in enumerate(FORMULAS)
    ] + [frisklivs_row(respondent_id="1009")]
    _write_xlsx_as_text(tmp_path / "data" / "frisklivs_lms" / "2022.xlsx", frisklivs_header(), rows)
    from evalkit import document

    ev = evaluate("frisklivs_lms", 2022, data_dir=tmp_path / "data", compare_with=[])
    # the four odd yes/no answers are flagged, with the value as it was
    flagged = ev.data_quality
    flagged = flagged[flagged["field"] == "intermunicipal"]
    assert sorted(flagged["value"]) == sorted(FORMULAS)
    out = tmp_path / "out"
    ev.save(out)
    excel.write_workbook(out / "tables.xlsx", document.tables(ev))
    texts = _assert_no_formula(out / "tables.xlsx")
    assert set(FORMULAS) <= set(texts)  # shown as they were, as text
    with (out / "data_quality.csv").open(encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert {"'" + f for f in FORMULAS} <= set(cells)


def test_formula_named_granted_project_stays_text(tmp_path):
    demo = pd.read_excel(ROOT / "data/demo/samhandling/2012.xlsx", dtype=str, keep_default_na=False)
    granted = demo.index[demo["Vedtak"].str.casefold().str.startswith("innvil")][:3]
    assert len(granted) == 3
    for i, name in zip(granted, FORMULAS, strict=False):
        demo.loc[i, "Prosjekt"] = name
    demo.loc[granted[2], "Prosjekt"] = "Prosjekt\x07 med\u202e bjelle"
    path = tmp_path / "data" / "samhandling" / "2012.csv"
    path.parent.mkdir(parents=True)
    demo.to_csv(path, sep=";", index=False, encoding="utf-8")
    from evalkit import document

    ev = evaluate("samhandling", 2012, data_dir=tmp_path / "data", compare_with=[])
    out = tmp_path / "out"
    ev.save(out)
    excel.write_workbook(out / "tables.xlsx", document.tables(ev))  # a BEL no longer fails the year
    texts = _assert_no_formula(out / "tables.xlsx")
    assert FORMULAS[0] in texts and FORMULAS[1] in texts
    assert not [t for t in texts if inert.UNSAFE_CHARACTERS.search(t)]
    assert "Prosjekt med bjelle" in texts


# --- parameters ---------------------------------------------------------------------------
def _run(capsys, *argv: str) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse refuses an argument with exit 2
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


DEMO_2022 = str(ROOT / "data/demo/frisklivs_lms/2022.xlsx")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["metrics", "frisklivs_lms", "2022", "--compare-with", "2022"],
            "the year of the document",
        ),
        (["metrics", "frisklivs_lms", "2023", "--compare-with", "2022", "2022"], "more than once"),
        (["report", "frisklivs_lms", "2023", "--compare-with", "2023"], "the year of the document"),
        (["validate", DEMO_2022, "--scheme", "frisklivs_lms", "--year", "2002"], "2010–2026"),
        (["metrics", "frisklivs_lms", "2031"], "2010–2026"),
        (["validate", DEMO_2022, "--scheme", "../../x", "--year", "2022"], "--scheme-file"),
        (["metrics", "../evil", "2022"], "not a scheme name"),
        (["build", "--years", "2024-2019"], "runs backwards"),
        (["build", "--years", "1-99999999"], "four-digit years"),
        (["build", "--years", "1900-2100"], "more than 100 years"),
        (["build", "--years", ","], "no year given"),
        (["build", "--years", "2099"], "No export for 2099"),
    ],
)
def test_bad_parameters_exit_2_naming_the_problem(capsys, argv, says):
    code, err = _run(capsys, *argv)
    assert code == 2
    assert says in err


def test_build_names_the_data_folder_it_looked_in(capsys, tmp_path):
    (tmp_path / "frisklivs_lms").mkdir()
    code, err = _run(capsys, "build", "--years", "2099", "--data-dir", str(tmp_path))
    assert code == 2
    assert str(tmp_path / "frisklivs_lms") in err and "no exports" in err


def test_data_dir_that_is_a_file(capsys, tmp_path):
    afile = tmp_path / "data.txt"
    afile.write_text("x")
    for argv in (
        ["build", "--data-dir", str(afile)],
        ["metrics", "frisklivs_lms", "2022", "--data-dir", str(afile)],
    ):
        code, err = _run(capsys, *argv)
        assert code == 2 and "is a file, not a folder" in err


def test_scheme_file_is_the_explicit_way_to_a_yaml(capsys, tmp_path):
    yaml_path = tmp_path / "mine.yaml"
    bundled = load_scheme("frisklivs_lms").path
    yaml_path.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    code, _ = _run(capsys, "validate", DEMO_2022, "--scheme-file", str(yaml_path), "--year", "2022")
    assert code in (0, 1)  # read and cleaned with the scheme from the file


# --- outputs that cannot be written -------------------------------------------------------
def test_out_under_a_regular_file(capsys, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    code, err = _run(capsys, "demo", "--out", str(blocker / "demo"))
    assert code == 2
    assert "Not a directory" in err and str(blocker) in err
    assert len(err.strip().splitlines()) == 1


def test_read_only_folder(capsys, tmp_path, monkeypatch):
    """Root (as CI runs) may write anywhere, so the refusal is made as the system makes it."""
    import errno

    folder = tmp_path / "ro"

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, err = _run(capsys, "demo", "--out", str(folder))
    assert code == 2
    assert err.startswith(f"evalkit: Could not use {folder}")
    assert "Permission denied" in err and "change the folder's permissions" in err


def test_os_errors_become_one_sentence():
    import errno

    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/out/x.json")
    text = cli.describe_os_error(full)
    assert text.startswith("Could not use /data/out/x.json: No space left on device.")
    assert "free some space" in text and "\n" not in text
    ro = OSError(errno.EROFS, os.strerror(errno.EROFS), "/mnt/ro")
    assert "read-only" in cli.describe_os_error(ro)


def test_disk_full_while_writing_keeps_the_earlier_file(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "data_quality.csv"
    target.write_text("earlier good output\n", encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError):
        inert.write_csv(target, pd.DataFrame({"a": ["x"]}))
    assert target.read_text(encoding="utf-8") == "earlier good output\n"
    assert [p.name for p in tmp_path.iterdir()] == ["data_quality.csv"]  # no temporary left
