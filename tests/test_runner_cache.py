"""The cache checks what it serves: each output's size and sha256 against the manifest; a
damaged, missing or unreadable output, or a broken manifest, rebuilds the year and says why.
Also: outputs and data resolve from the project root whatever the working folder, and the
index lists a scheme whose YAML fails to load."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import make_data

from evalkit.runner import report_year, write_index
from evalkit.runner.plan import check_cache, plan

TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
SCHEME = "frisklivs_lms"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("cache")
    data = make_data(base / "data")
    result = report_year(SCHEME, 2022, data_dir=data, out_dir=base / "out", notebook=TINY)
    assert result.status == "built", result.message
    return data, base / "out"


@pytest.fixture
def copy(built, tmp_path):
    """A fresh copy of the good output, and the planned job for it."""
    data, out = built
    shutil.copytree(out, tmp_path / "out")
    folder = tmp_path / "out" / SCHEME / "2022"

    def job():
        return plan(
            SCHEME,
            2022,
            compare_with=None,
            data_dir=data,
            out_dir=tmp_path / "out",
            strict=False,
            notebook=TINY,
            kernel_name="evalkit",
            parameters=None,
            title=None,
        )

    return folder, job, data


@pytest.mark.slow
def test_an_untouched_copy_is_served(copy):
    folder, job, _ = copy
    manifest, reason = check_cache(job())
    assert manifest is not None and reason == ""


@pytest.mark.slow
def test_an_emptied_report_html_is_not_served(copy):
    folder, job, _ = copy
    size = (folder / "report.html").stat().st_size
    (folder / "report.html").write_bytes(b"")
    manifest, reason = check_cache(job())
    assert manifest is None
    assert (
        reason == f"report.html has changed since it was built (0 bytes, the manifest says {size})"
    )


@pytest.mark.slow
def test_one_changed_byte_of_metrics_json_is_noticed(copy):
    folder, job, _ = copy
    data = bytearray((folder / "metrics.json").read_bytes())
    data[-2] = ord("0") if data[-2] != ord("0") else ord("1")  # same size, other bytes
    (folder / "metrics.json").write_bytes(bytes(data))
    manifest, reason = check_cache(job())
    assert manifest is None
    assert (
        reason
        == "metrics.json has changed since it was built (its sha256 differs from the manifest's)"
    )


@pytest.mark.slow
def test_a_missing_output_is_noticed(copy):
    folder, job, _ = copy
    (folder / "report.ipynb").unlink()
    assert check_cache(job()) == (None, "report.ipynb is missing")


@pytest.mark.slow
def test_an_unreadable_output_is_noticed(copy, monkeypatch):
    # chmod 0 does not stop root (the test machines run as root): the read fails as it would
    import errno

    from evalkit.runner import plan as plan_module

    folder, job, _ = copy
    planned = job()
    real = plan_module.sha256_file

    def unreadable(path):
        if Path(path).name == "report.html":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path)

    monkeypatch.setattr(plan_module, "sha256_file", unreadable)
    assert check_cache(planned) == (None, "report.html cannot be read (Permission denied)")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda m: "{ not json", "its manifest.json is not valid JSON"),
        (lambda m: json.dumps([1, 2]), "its manifest.json holds no record"),
        # the right key but a broken outputs entry (AttributeError before)
        (
            lambda m: json.dumps({**m, "outputs": ["report.html", 3]}),
            "its manifest.json has a broken list of outputs",
        ),
        (
            lambda m: json.dumps({**m, "outputs": [{"path": "../x", "size": 1, "sha256": "0"}]}),
            "its manifest.json has a broken list of outputs",
        ),
        (
            lambda m: json.dumps(
                {**m, "outputs": [o for o in m["outputs"] if o["path"] != "report.html"]}
            ),
            "its manifest.json does not record report.html",
        ),
        (
            lambda m: json.dumps({**m, "cache_key": "0" * 64}),
            "evalkit's code or version changed since the last build",
        ),
    ],
)
def test_a_broken_manifest_is_noticed(copy, damage, expected):
    folder, job, _ = copy
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (folder / "manifest.json").write_text(damage(manifest), encoding="utf-8")
    assert check_cache(job()) == (None, expected)


@pytest.mark.slow
def test_a_changed_export_is_named(copy):
    folder, job, data = copy
    (data / SCHEME / "2021.csv").write_text("id\n1\n", encoding="utf-8")  # unchanged bytes
    assert check_cache(job())[1] == ""
    (data / SCHEME / "2021.csv").write_text("id\n9\n", encoding="utf-8")
    try:
        assert check_cache(job()) == (
            None,
            "the exports it reads changed since the last build",
        )
    finally:
        (data / SCHEME / "2021.csv").write_text("id\n1\n", encoding="utf-8")


@pytest.mark.slow
def test_a_damaged_document_is_rebuilt_and_the_message_says_why(copy, tmp_path):
    folder, _, data = copy
    (folder / "report.html").write_bytes(b"")
    result = report_year(SCHEME, 2022, data_dir=data, out_dir=tmp_path / "out", notebook=TINY)
    assert result.status == "built"
    assert "rebuilt because report.html has changed since it was built (0 bytes" in result.message
    assert (folder / "report.html").stat().st_size > 1000
    again = report_year(SCHEME, 2022, data_dir=data, out_dir=tmp_path / "out", notebook=TINY)
    assert again.status == "cached", again.message


@pytest.mark.slow
def test_outputs_and_data_resolve_from_the_project_root(tmp_path, monkeypatch):
    """Run from the project's notebooks/ folder with no --out and no --data-dir: the data come
    from <root>/data/demo and the outputs go to <root>/outputs, not notebooks/outputs."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(TINY, root / "notebooks" / "tiny.py")
    make_data(root / "data" / "demo")
    monkeypatch.chdir(root / "notebooks")
    result = report_year(SCHEME, 2022, notebook=root / "notebooks" / "tiny.py")
    assert result.status == "built", result.message
    assert result.out_path == root / "outputs" / SCHEME / "2022"
    metrics = json.loads((result.out_path / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["compare_with"] == [2021]  # found 2021 in <root>/data/demo
    assert not (root / "notebooks" / "outputs").exists()


def test_the_index_lists_a_scheme_whose_yaml_fails(tmp_path, monkeypatch):
    import yaml

    from evalkit.runner import index

    real_load = index.summarize

    def load(name):
        if name == "broken_scheme":
            raise yaml.YAMLError("mapping values are not allowed here, line 3, column 7")
        return real_load(name)

    monkeypatch.setattr(index, "available_schemes", lambda: [SCHEME, "broken_scheme"])
    monkeypatch.setattr(index, "summarize", load)
    page = write_index(tmp_path / "out").read_text(encoding="utf-8")
    assert "broken_scheme" in page
    assert "Konfigurasjonen kunne ikke leses" in page
    assert "YAMLError: mapping values are not allowed here, line 3, column 7" in page
