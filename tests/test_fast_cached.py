"""A cached answer at once (issue 19): deciding that a document is up to date imports no heavy
library. ``evalkit report`` on a cached year and an unchanged ``evalkit build`` run in a
subprocess of their own (a fresh interpreter, as the user runs them), and afterwards
``sys.modules`` holds none of pandas, numpy, scipy, statsmodels, matplotlib, seaborn,
WeasyPrint, papermill, nbconvert, nbclient, jupyter_client, openpyxl or pyarrow, nor the
scheme's check (pydantic, PyYAML): the facts of a checked scheme are kept.

The documents are built first in a small project of their own: the scheme's own notebook
(``notebooks/frisklivs_lms.py``) is the tiny test notebook, the exports are two tiny CSV files.
The timings are measured by ``benchmarks/bench_cached.py``, not here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_data

from evalkit.errors import EvalkitError, ParameterError

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
SCHEME = "frisklivs_lms"
NBSP = "\u00a0"

#: What a cached answer must not import (each a top-level package).
HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "weasyprint",
    "papermill",
    "nbconvert",
    "nbclient",
    "jupyter_client",
    "openpyxl",
    "pyarrow",
    "jupytext",
    "nbformat",
    "IPython",
    "pydantic",  # the scheme's check: its facts are kept (evalkit/scheme_summary.py)
    "yaml",
    "tqdm",  # the progress bar starts with the first document to build
)

#: Runs ``evalkit.cli.main`` on the arguments and prints, last, the exit code and which of
#: the heavy packages are in ``sys.modules`` afterwards.
PROBE = """
import json, sys
from evalkit.cli import main
code = main(sys.argv[2:])
heavy = json.loads(sys.argv[1])
print(json.dumps({"exit": code, "heavy": sorted(m for m in heavy if m in sys.modules)}))
"""

#: This checkout's evalkit in every subprocess (and in the kernels, which inherit it).
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def evalkit(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "evalkit", *args],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )


def probe(project: Path, *args: str, heavy: tuple[str, ...] = HEAVY) -> tuple[dict, str]:
    """``evalkit ARGS`` in a fresh interpreter: (exit code and which of ``heavy`` it imported,
    stdout)."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(heavy), *args],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    *lines, last = run.stdout.strip().splitlines()
    return json.loads(last), "\n".join(lines)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project whose two documents (2021 and 2022, report.pdf included) are built."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "notebooks").mkdir()
    shutil.copy(TINY, folder / "notebooks" / f"{SCHEME}.py")  # the scheme's own notebook
    make_data(folder / "data" / "raw")
    run = evalkit(
        folder, "build", "--scheme", SCHEME, "--years", "2021-2022", "--out", "out", "--lang", "nb"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for year in (2021, 2022):
        assert (folder / "out" / SCHEME / str(year) / "manifest.json").is_file()
    return folder


def test_the_probe_sees_heavy_imports(tmp_path):
    """The guard can fail: ``evalkit metrics`` reads the data with pandas, and the probe
    says so."""
    data = make_data(tmp_path / "data")
    result, _ = probe(tmp_path, "metrics", SCHEME, "2022", "--data-dir", str(data))
    assert "pandas" in result["heavy"]


@pytest.mark.slow
def test_a_cached_report_imports_no_heavy_library(project):
    result, out = probe(project, "report", SCHEME, "2022", "--out", "out", "--lang", "nb")
    assert out.startswith(f"{SCHEME} 2022: cached."), out
    assert result == {"exit": 0, "heavy": []}


@pytest.mark.slow
def test_an_unchanged_build_imports_no_heavy_library_and_writes_the_index(project):
    index = project / "out" / "index.html"
    index.unlink()
    result, out = probe(
        project, "build", "--scheme", SCHEME, "--years", "2021-2022", "--out", "out", "--lang", "nb"
    )
    assert f"{SCHEME} 2021: up to date" in out and f"{SCHEME} 2022: up to date" in out, out
    assert result == {"exit": 0, "heavy": []}
    # the index is written from each metrics.json (tiny.py: 3 projects, 1 500 000 kroner),
    # its numbers formatted as the documents format them, without pandas
    text = index.read_text(encoding="utf-8")
    assert f'<td class="num">1{NBSP}500{NBSP}000{NBSP}kr</td>' in text
    assert '<td class="num">3 prosjekter</td>' in text
    # and again: the index, made from the same files, is left as it is, without Jinja2
    before = index.stat().st_mtime_ns
    result, out = probe(
        project, "build", "--scheme", SCHEME, "--years", "2021-2022", "--out", "out", "--lang", "nb",
        heavy=(*HEAVY, "jinja2"),
    )  # fmt: skip
    assert result == {"exit": 0, "heavy": []}
    assert index.stat().st_mtime_ns == before and index.read_text(encoding="utf-8") == text


@pytest.mark.slow
def test_a_cached_document_without_pdf_is_served_where_weasyprint_cannot_run(
    tmp_path, request, capsys
):
    """Built with --no-pdf; asked for again with the PDF where WeasyPrint cannot start: the
    HTML-only output is served, and one line says what to install. (Where WeasyPrint runs,
    the output is rebuilt with its PDF: tests/test_pdf.py.)"""
    from evalkit.runner import report_year

    data = make_data(tmp_path / "data")
    out = tmp_path / "out"
    res = report_year(SCHEME, 2022, data_dir=data, out_dir=out, notebook=TINY, pdf=False)
    assert res.status == "built", res.message
    assert not (out / SCHEME / "2022" / "report.pdf").exists()
    request.getfixturevalue("no_weasyprint")  # the PDF worker cannot start WeasyPrint
    res = report_year(SCHEME, 2022, data_dir=data, out_dir=out, notebook=TINY)
    assert res.status == "cached", res.message
    assert capsys.readouterr().err.count("install Pango") == 1


def test_the_years_covered_are_read_without_pandas_as_pandas_reads_them():
    """evalkit/years.py reads the reference tables with the csv module: the same first and
    last year as pandas finds in their valid_from columns."""
    import pandas as pd

    from evalkit.years import check_year_covered, covered_years

    folder = ROOT / "evalkit" / "reference"
    starts = pd.concat(
        [
            pd.read_csv(folder / name, dtype=str)["valid_from"]
            for name in ("fylker.csv", "kommuner.csv")
        ]
    )
    years = starts.str[:4].astype(int)
    assert covered_years() == (years.min(), years.max())
    check_year_covered(int(years.max()))  # no error
    with pytest.raises(EvalkitError, match=f"outside the years .* cover \\({years.min()}–"):
        check_year_covered(int(years.min()) - 1)


def test_compare_with_names_no_year_twice_and_not_the_year_itself():
    from evalkit.years import check_compare_with

    check_compare_with(2022, [2020, 2021])  # no error
    check_compare_with(2022, None)
    with pytest.raises(ParameterError, match="names 2022, the year of the document itself"):
        check_compare_with(2022, [2021, 2022])
    with pytest.raises(ParameterError, match="names 2020 more than once"):
        check_compare_with(2022, [2020, 2021, 2020])


def test_a_build_process_leaves_out_imports_it_does_not_use():
    """Paid in every process that builds (the runner's, each kernel of a trends document):
    nbformat's jsonschema without rfc3987_syntax (1,3 s compiling grammars for a format no
    notebook schema uses; evalkit.runner keeps it out), and the logistic regression without
    statsmodels.api (0,5 s importing all of statsmodels). Both still work: a notebook is
    validated, and the regression is fitted."""
    code = (
        "import sys\n"
        "import evalkit.runner, nbformat, pandas as pd\n"
        "from evalkit.stats import logistic_odds_ratios\n"
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
        "df = pd.DataFrame({'y': [0, 1, 0, 1, 1, 0, 1, 0, 1, 1], 'x': [0, 0, 1, 1, 0, 1, 1, 0, 0, 1],"
        " 'year': [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]})\n"
        "res = logistic_odds_ratios(df, 'y', ['x'])\n"
        "print(res['predictors'][0]['estimable'])\n"
        "print(sorted(m for m in ('rfc3987_syntax', 'statsmodels.api') if sys.modules.get(m)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    fitted, imported = run.stdout.strip().splitlines()[-2:]
    assert fitted == "True"
    assert imported == "[]"
