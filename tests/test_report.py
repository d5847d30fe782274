"""The runner (evalkit.runner): parameter validation, papermill execution, HTML export, cache,
atomic replacement, failure reports and the index, on a tiny notebook
(tests/fixtures/notebooks/tiny.py) and fake exports whose content the notebook ignores (except
the word "boom", which makes it fail)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import pytest
from conftest import make_data

from evalkit.errors import ParameterError
from evalkit.runner import (
    KERNEL_NAME,
    build,
    notebook_parameters,
    report_year,
    validate_parameters,
    write_index,
)

TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
SCHEME = "frisklivs_lms"  # a real scheme (first year 2015); tiny.py ignores the exports' content
CODE_ONLY_STRING = "tiny_distinctive_marker"  # appears in tiny.py's code, never in its output


def run(data_dir: Path, out_dir: Path, year: int = 2022, **kwargs) -> object:
    return report_year(SCHEME, year, data_dir=data_dir, out_dir=out_dir, notebook=TINY, **kwargs)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One good build of 2022 (compared with 2021), shared by the read-only tests."""
    base = tmp_path_factory.mktemp("built")
    data = make_data(base / "data", y2021="id\n1\n", y2022="id\n2\n")
    out = base / "out"
    result = run(data, out)
    return result, data, out


# --- parameters (no notebook runs) --------------------------------------------------------
def test_notebook_parameters_reads_the_typed_cell():
    params = notebook_parameters(TINY)
    assert list(params) == [
        "scheme",
        "year",
        "compare_with",
        "data_dir",
        "output_dir",
        "strict",
        "fail",
    ]
    assert params["year"].annotation == "int" and params["year"].default == 2022
    assert params["compare_with"].annotation == "list[int] | None"
    assert params["compare_with"].default is None
    assert params["fail"].declaration == "fail: bool = False"
    assert params["scheme"].line > 0


def test_validate_converts_command_line_strings(tmp_path):
    data = make_data(tmp_path / "data", y2021="a", y2022="b")
    values = validate_parameters(
        TINY,
        {"scheme": SCHEME, "year": "2022", "compare_with": ["2021"], "data_dir": data},
    )
    assert values["year"] == 2022 and isinstance(values["year"], int)
    assert values["compare_with"] == [2021]
    assert values["data_dir"] == str(data)
    assert values["strict"] is False and values["fail"] is False  # defaults filled in


def test_unknown_parameter_names_the_nearest_and_writes_nothing(tmp_path):
    data = make_data(tmp_path / "data", y2021="a", y2022="b")
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as err:
        run(data, out, parameters={"fial": True})
    text = str(err.value)
    assert "Unknown parameter 'fial'" in text
    assert "Did you mean 'fail'?" in text
    assert "to fix this" in text
    assert not out.exists()


def test_wrong_type_says_what_was_expected(tmp_path):
    data = make_data(tmp_path / "data", y2021="a", y2022="b")
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as err:
        run(data, out, year=[2021, 2022])
    text = str(err.value)
    assert "Wrong type for parameter 'year'" in text
    assert "expected int" in text and "got list [2021, 2022]" in text
    assert "pass a single value" in text
    with pytest.raises(ParameterError, match="expected bool"):
        run(data, out, parameters={"fail": "perhaps"})
    assert not out.exists()


def test_missing_parameter_is_reported_ploomber_style(tmp_path):
    nb = tmp_path / "notebooks" / "bare.py"
    nb.parent.mkdir()
    nb.write_text(
        '# %% tags=["parameters"]\nscheme: str = "frisklivs_lms"\nyear: int\noutput_dir: str = ""\n',
        encoding="utf-8",
    )
    with pytest.raises(
        ParameterError, match=r"Missing params: year .*to fix this, pass year=<int>"
    ):
        validate_parameters(nb, {"scheme": SCHEME})


def test_year_without_data_lists_the_years_that_have_data(tmp_path):
    data = make_data(tmp_path / "data", y2021="a", y2022="b")
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as err:
        run(data, out, year=2019)
    text = str(err.value)
    assert f"No export for {SCHEME} 2019 in" in text
    assert f"{SCHEME}/2019.xlsx" in text and "choose one of 2021, 2022" in text

    with pytest.raises(ParameterError, match="Cannot compare with 2018: no export") as err:
        run(data, out, compare_with=[2018])
    assert "compare with one of 2021" in str(err.value)

    make_data(data, y2010="old")
    with pytest.raises(ParameterError, match=r"before frisklivs_lms started in 2015"):
        run(data, out, year=2010)
    with pytest.raises(ParameterError, match="Unknown scheme 'frisklivs'. Did you mean"):
        report_year("frisklivs", 2022, data_dir=data, out_dir=out, notebook=TINY)
    assert not out.exists()


# --- one build ----------------------------------------------------------------------------
@pytest.mark.slow
def test_build_writes_the_document(built):
    result, data, out = built
    assert result.status == "built", result.message
    folder = out / SCHEME / "2022"
    assert result.out_path == folder
    for name in ("report.html", "report.ipynb", "manifest.json", "metrics.json"):
        assert (folder / name).is_file(), name
    assert not [p.name for p in (out / SCHEME).iterdir() if p.name.startswith(".")]  # no staging

    page = (folder / "report.html").read_text(encoding="utf-8")
    assert CODE_ONLY_STRING not in page  # no code
    assert "raise ValueError" not in page
    assert "data:image/svg+xml;base64," in page  # the figure is embedded
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert "<title>Liten testrapport</title>" in page  # the first heading
    assert '<html lang="nb">' in page
    assert "Nøkkeltall 2022" in page  # displayed Markdown is kept

    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["year"] == 2022 and metrics["compare_with"] == [2021]

    record = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
    assert record["metadata"]["kernelspec"]["name"] == KERNEL_NAME
    assert ".staging-" not in json.dumps(record)


@pytest.mark.slow
def test_manifest_records_inputs_parameters_and_versions(built):
    _, data, out = built
    folder = out / SCHEME / "2022"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["cache_key"])
    assert manifest["parameters"] == {
        "scheme": SCHEME,
        "year": 2022,
        "compare_with": [2021],  # default: the latest earlier year with data
        "data_dir": str(data),
        "strict": False,
        "fail": False,
    }
    inputs = {i["year"]: i for i in manifest["inputs"]}
    assert set(inputs) == {2021, 2022}
    for year, item in inputs.items():
        path = data / SCHEME / f"{year}.csv"
        assert item["sha256"] == sha256(path) and item["size"] == path.stat().st_size
    assert inputs[2022]["role"] == "year" and inputs[2021]["role"] == "compare"
    assert manifest["notebook"]["sha256"] == sha256(TINY)
    for package in ("python", "evalkit", "pandas", "statsmodels", "papermill", "nbconvert"):
        assert manifest["versions"][package], package
    outputs = {o["path"]: o for o in manifest["outputs"]}
    assert {"report.html", "report.ipynb", "metrics.json"} <= set(outputs)
    assert outputs["report.html"]["sha256"] == sha256(folder / "report.html")
    assert manifest["created"] and manifest["title"] == "Liten testrapport"


@pytest.mark.slow
def test_unchanged_inputs_are_not_rebuilt(built):
    _, data, out = built
    folder = out / SCHEME / "2022"
    before = snapshot(folder)
    started = time.perf_counter()
    again = run(data, out)
    elapsed = time.perf_counter() - started
    assert again.status == "cached", again.message
    assert elapsed < 1.0
    assert snapshot(folder) == before  # not a byte or a timestamp changed


@pytest.mark.slow
def test_a_changed_compared_year_invalidates_and_force_rebuilds(tmp_path):
    data = make_data(tmp_path / "data", y2021="id\n1\n", y2022="id\n2\n")
    out = tmp_path / "out"
    manifest_path = out / SCHEME / "2022" / "manifest.json"
    assert run(data, out).status == "built"
    first = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert run(data, out).status == "cached"

    (data / SCHEME / "2021.csv").write_text("id\n1\n3\n", encoding="utf-8")  # the compared year
    second_run = run(data, out)
    assert second_run.status == "built", second_run.message
    second = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert second["cache_key"] != first["cache_key"]
    assert {i["year"]: i["sha256"] for i in second["inputs"]}[2021] == sha256(
        data / SCHEME / "2021.csv"
    )
    assert run(data, out).status == "cached"

    forced = run(data, out, force=True)
    assert forced.status == "built"
    third = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert third["cache_key"] == second["cache_key"] and third["created"] >= second["created"]


# --- failures -----------------------------------------------------------------------------
@pytest.mark.slow
def test_a_failing_cell_is_reported_and_the_good_output_kept(built):
    _, data, out = built
    folder = out / SCHEME / "2022"
    before = snapshot(folder)
    result = run(data, out, parameters={"fail": True})
    assert result.status == "failed"
    partial = out / SCHEME / "_failed" / "2022" / "report.ipynb"
    # notebook, cell number (as written: heading, imports, parameters, then this one), the
    # line in the file and its code, ename: evalue, and where the partial notebook is
    line = TINY.read_text(encoding="utf-8").splitlines().index('    raise ValueError("boom")') + 1
    assert f'tiny.py, cell 4, line {line} (raise ValueError("boom")): ValueError: boom.' in (
        result.message
    )
    assert f"The partial notebook is at {partial}." in result.message
    assert partial.is_file()
    record = json.loads(partial.read_text(encoding="utf-8"))
    errors = [
        o for c in record["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert errors and errors[0]["ename"] == "ValueError"
    failure = json.loads((partial.parent / "failure.json").read_text(encoding="utf-8"))
    assert failure["cell"] == 4 and failure["evalue"] == "boom" and failure["line"] == line
    assert snapshot(folder) == before  # byte for byte, timestamps included
    assert not [p.name for p in (out / SCHEME).iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_build_goes_on_past_a_failed_year_and_writes_the_index(tmp_path):
    data = make_data(tmp_path / "data", y2021="id\n1\n", y2022="boom\n")
    out = tmp_path / "out"
    results = build(
        [SCHEME], data_dir=data, out_dir=out, jobs=2, progress=False, notebook=TINY, langs=["nb"]
    )
    assert [(r.year, r.status) for r in results] == [(2021, "built"), (2022, "failed")]
    assert "cell 4, line " in results[1].message
    assert "ValueError: boom" in results[1].message
    assert not (out / SCHEME / "2022").exists()

    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="frisklivs_lms/2021/report.html"' in page
    assert "2022" in page and "Feilet" in page
    assert "3 prosjekter" in page and "1\u00a0500\u00a0000\u00a0kr" in page

    started = time.perf_counter()
    again = build(
        [SCHEME], [2021], data_dir=data, out_dir=out, progress=False, notebook=TINY, langs=["nb"]
    )
    elapsed = time.perf_counter() - started
    assert [(r.year, r.status) for r in again] == [(2021, "cached")]
    assert elapsed < 1.0
    assert "Feilet" in (out / "index.html").read_text(encoding="utf-8")  # 2022 still listed


# --- index --------------------------------------------------------------------------------
def test_index_escapes_text_from_outputs(tmp_path):
    out = tmp_path / "out"
    hostile = "<script>alert('x')</script>"
    good = out / SCHEME / "2020"
    good.mkdir(parents=True)
    (good / "report.html").write_text("<p>rapport</p>", encoding="utf-8")
    (good / "manifest.json").write_text(
        json.dumps({"title": hostile, "created": "2024-05-01T10:00:00+00:00"}), encoding="utf-8"
    )
    (good / "metrics.json").write_text(
        json.dumps({"n_projects": hostile, "grant_total_nok": 20000000, "synthetic": False}),
        encoding="utf-8",
    )
    failed = out / SCHEME / "_failed" / "2021"
    failed.mkdir(parents=True)
    (failed / "failure.json").write_text(
        json.dumps({"message": '<img src=x onerror="alert(1)">'}), encoding="utf-8"
    )
    weird = out / "evil<b>scheme" / "2019"
    weird.mkdir(parents=True)
    (weird / "manifest.json").write_text("{}", encoding="utf-8")
    (out / SCHEME / ".2023.staging-abcd").mkdir()  # ignored: not a year

    page = write_index(out).read_text(encoding="utf-8")
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x" in page
    assert "evil&lt;b&gt;scheme" in page
    assert 'href="frisklivs_lms/2020/report.html"' in page
    assert "20\u00a0000\u00a0000\u00a0kr" in page
    assert "2021" in page and "Feilet" in page
    assert "2023" not in page
    assert '<html lang="nb">' in page


def test_index_links_the_pdf_where_there_is_one(tmp_path):
    out = tmp_path / "out"
    for year, pdf in (("2020", True), ("2021", False)):
        folder = out / SCHEME / year
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("<p>rapport</p>", encoding="utf-8")
        if pdf:
            (folder / "report.pdf").write_bytes(b"%PDF-1.7")
    page = write_index(out).read_text(encoding="utf-8")
    assert 'href="frisklivs_lms/2020/report.pdf">PDF</a>' in page
    assert "2021/report.pdf" not in page


def test_index_of_an_empty_outputs_folder(tmp_path):
    page = write_index(tmp_path / "out").read_text(encoding="utf-8")
    assert "Ingen rapporter" in page


def test_the_notebook_fixture_is_untouched_by_runs():
    # the runner reads the notebook in memory: no .ipynb is written next to it
    assert not list(TINY.parent.glob("*.ipynb"))
