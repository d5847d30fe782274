"""Errors a researcher can act on: a wrong value in the parameters cell, a wrongly declared
parameter and a failing cell each get one sentence saying what to change; a failing cell is
reported once, with its cell number, line and the error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_data

from evalkit.errors import ParameterError
from evalkit.evaluation import evaluate
from evalkit.runner import report_year, validate_parameters

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"

CELL = """\
# %% [markdown]
# # Liten notatbok

# %% tags=["parameters"]
scheme: str = "frisklivs_lms"
year: {year}
compare_with: {compare_with}
data_dir: str = ""
output_dir: str = ""
"""


def _notebook(
    folder: Path, year: str = "int = 2022", compare_with: str = "list[int] | None = None"
):
    path = folder / "notebooks" / "mine.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CELL.format(year=year, compare_with=compare_with), encoding="utf-8")
    return path


def _problem(path: Path, **params) -> str:
    with pytest.raises(ParameterError) as err:
        validate_parameters(path, {"scheme": "frisklivs_lms", "year": 2022, **params})
    return str(err.value)


# --- evaluate(), as JupyterLab runs it: the parameters cell edited by hand -------------------
@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        ({"year": "2023"},
         'year must be a whole number such as 2023, not the text "2023": remove the quotes in '
         "the parameters cell."),
        ({"year": 2023, "compare_with": 2022},
         "compare_with must be a list of years such as [2022], not the single number 2022: put "
         "it in brackets in the parameters cell (compare_with: list[int] | None = [2022])."),
        ({"year": 2023, "compare_with": "2022"},
         'compare_with must be a list of years such as [2022], not the text "2022": write it '
         "without quotes, in brackets, in the parameters cell (compare_with: list[int] | None "
         "= [2022])."),
        ({"year": 2023, "compare_with": [2021, "2022"]},
         'compare_with must hold whole numbers such as [2022], not the text "2022": remove the '
         "quotes in the parameters cell."),
        ({"year": 2023.0},
         "year must be a whole number such as 2023, not 2023.0: write the year as four digits "
         "without quotes in the parameters cell."),
        ({"year": 2023, "strict": "no"},
         "strict must be True or False, not 'no': write strict: bool = False (or True) in the "
         "parameters cell."),
    ],
)  # fmt: skip
def test_evaluate_says_what_to_change_in_the_parameters_cell(arguments, sentence):
    with pytest.raises(ParameterError) as err:
        evaluate("frisklivs_lms", **arguments)
    assert str(err.value) == sentence


def test_a_numpy_year_is_a_whole_number(tmp_path):
    np = pytest.importorskip("numpy")
    # the check lets it through: what stops it is the missing export, not its type
    with pytest.raises(Exception, match="No export for frisklivs_lms 2023"):
        evaluate("frisklivs_lms", np.int64(2023), data_dir=tmp_path, compare_with=[])


# --- the runner: defaults in the parameters cell, and declarations ---------------------------
def test_a_quoted_year_in_the_parameters_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _notebook(tmp_path, year='int = "2023"')
    assert _problem(path) == (
        "notebooks/mine.py, line 6: `year: int = '2023'` gives year the text \"2023\", not a "
        "number (to fix this, remove the quotes: `year: int = 2023`)."
    )


def test_a_bare_year_for_a_list_in_the_parameters_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _notebook(tmp_path, compare_with="list[int] | None = 2021")
    assert _problem(path) == (
        "notebooks/mine.py, line 7: `compare_with: list[int] | None = 2021` gives compare_with "
        "the single value 2021, not a list (to fix this, put it in brackets: "
        "`compare_with: list[int] | None = [2021]`)."
    )


def test_a_wrongly_declared_parameter_is_fixed_in_the_declaration(tmp_path, monkeypatch):
    """The runner passes compare_with as a list and year as a whole number: a cell declaring
    them otherwise is what to change (not the value the runner passes)."""
    monkeypatch.chdir(tmp_path)
    path = _notebook(tmp_path, compare_with="int | None = None")
    assert _problem(path, compare_with=[2021]) == (
        "notebooks/mine.py, line 7: the parameters cell declares `compare_with: int | None = "
        "None`, but evalkit passes compare_with as list[int] | None ([2021]) (to fix this, "
        "declare it as `compare_with: list[int] | None = None` in the parameters cell)."
    )
    path = _notebook(tmp_path, year='str = "2022"')
    assert _problem(path) == (
        "notebooks/mine.py, line 6: the parameters cell declares `year: str = '2022'`, but "
        "evalkit passes year as int (2022) (to fix this, declare it as `year: int = 2022` in "
        "the parameters cell)."
    )


def test_a_single_compared_year_passed_to_the_runner_asks_for_a_list(tmp_path):
    data = make_data(tmp_path / "data")
    with pytest.raises(ParameterError) as err:
        report_year(
            "frisklivs_lms", 2022, compare_with=2021, data_dir=data, out_dir=tmp_path / "out",
            notebook=TINY,
        )  # fmt: skip
    assert str(err.value) == (
        "Wrong type for parameter 'compare_with' of "
        f"{TINY.relative_to(Path.cwd()) if TINY.is_relative_to(Path.cwd()) else TINY}: expected "
        "list[int] | None (declared `compare_with: list[int] | None = None`), got int 2021 (to "
        "fix this, pass a list, e.g. compare_with=[2021])."
    )
    assert not (tmp_path / "out").exists()


# --- a failing cell ------------------------------------------------------------------------
FAILING = (
    CELL.format(year="int = 2022", compare_with="list[int] | None = None")
    + """
# %%
def share(part, whole):
    return part / whole

# %%
counts = {"a": 1}
print(share(counts["a"], 0))
"""
)


@pytest.mark.slow
def test_a_failing_cell_is_reported_once_with_its_cell_and_line(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "frisklivs_lms.py").write_text(FAILING, encoding="utf-8")
    make_data(tmp_path / "data" / "raw", y2022="id\n1\n")
    lines = FAILING.splitlines()
    line = lines.index('print(share(counts["a"], 0))') + 1  # in the file, counted from 1
    assert line == 17
    run = subprocess.run(
        [sys.executable, "-m", "evalkit", "report", "frisklivs_lms", "2022", "--no-pdf",
         "--out", "out", "--lang", "nb"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 1
    said = run.stdout + run.stderr
    # cells as written: the heading (1), the parameters (2), the function (3), this one (4);
    # the error is raised in the function, the line is the failing cell's own
    expected = (
        f'notebooks/frisklivs_lms.py, cell 4, line {line} (print(share(counts["a"], 0))): '
        "ZeroDivisionError: division by zero."
    )
    assert expected in said, said
    assert said.count("ZeroDivisionError") == 1, said
    failure = json.loads(
        (tmp_path / "out" / "frisklivs_lms" / "_failed" / "2022" / "failure.json").read_text(
            encoding="utf-8"
        )
    )
    assert (failure["cell"], failure["line"], failure["line_in_cell"]) == (4, line, 2)
    assert failure["code"] == 'print(share(counts["a"], 0))'
