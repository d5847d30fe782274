"""Nothing cleaned twice: a cleaned year is kept in ``<out>/_cache/cleaned`` and reused by every
document that reads it. What comes back from the cache is the year as cleaning makes it (every
frame with its dtypes, the row accounting, the flags), the read is still recorded with the
export's hash as it is now, personal data never reaches the cache, and a damaged cache file is
cleaned again and rewritten."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import FRISKLIV, ROOT, frisklivs_header, frisklivs_row, write_export

from evalkit import cleaned_cache, evaluation
from evalkit.clean import CleanResult, clean_export
from evalkit.config import load_scheme, load_scheme_file
from evalkit.errors import ParameterError
from evalkit.evaluation import evaluate, load_year, metrics_json, take_reads
from evalkit.metrics import compute_metrics
from evalkit.read import read_export
from evalkit.runner import report_year
from evalkit.runner.plan import plan

DEMO = ROOT / "data" / "demo"
CLEANED_NB = Path(__file__).parent / "fixtures" / "notebooks" / "cleaned.py"
TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
SCHEME = "frisklivs_lms"


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "out" / "_cache" / "cleaned"


@pytest.fixture
def data(tmp_path):
    """A copy of the demo exports of frisklivs_lms 2021 and 2022 (workbooks)."""
    folder = tmp_path / "data"
    (folder / SCHEME).mkdir(parents=True)
    for year in (2021, 2022):
        shutil.copyfile(DEMO / SCHEME / f"{year}.xlsx", folder / SCHEME / f"{year}.xlsx")
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fresh(path: Path, scheme, year: int) -> CleanResult:
    """The year read and cleaned without the cache."""
    return clean_export(read_export(path, scheme), scheme, year)


def no_reading(monkeypatch) -> None:
    """Reading or cleaning an export from here on fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the export was read or cleaned again")

    monkeypatch.setattr(evaluation, "read_export", refuse)
    monkeypatch.setattr(evaluation, "clean_export", refuse)


def assert_same_year(got: CleanResult, expected: CleanResult) -> None:
    for frame in ("tidy", "flags", "excluded"):
        pd.testing.assert_frame_equal(
            getattr(got, frame),
            getattr(expected, frame),
            check_dtype=True,
            check_exact=True,
            check_index_type=True,
            check_column_type=True,
        )
    pd.testing.assert_frame_equal(got.data_quality(), expected.data_quality(), check_exact=True)
    for attr in ("scheme", "year", "path", "layout", "n_read", "n_kept"):
        assert getattr(got, attr) == getattr(expected, attr), attr


def entries(cache: Path, scheme: str = SCHEME) -> list[Path]:
    folder = cache / scheme
    return sorted(folder.glob("*.zip")) if folder.is_dir() else []


# --- a kept year is the year cleaned ------------------------------------------------------
@pytest.mark.parametrize(
    ("scheme", "year"), [(SCHEME, 2021), (SCHEME, 2022), ("samhandling", 2011)]
)
def test_a_kept_year_is_the_year_cleaned_again(cache, monkeypatch, scheme, year):
    sch = load_scheme(scheme)
    path = next((DEMO / scheme).glob(f"{year}.*"))
    expected = fresh(path, sch, year)
    cold = load_year(sch, year, DEMO, cache_dir=cache)
    assert_same_year(cold, expected)
    assert len(entries(cache, scheme)) == 1

    no_reading(monkeypatch)
    kept = load_year(sch, year, DEMO, cache_dir=cache)
    assert_same_year(kept, expected)
    # the round trip is tested on every kind of column cleaning makes (no categoricals);
    # checkboxes (numpy bool) are frisklivs_lms's
    kinds = {"string", "Int64", "boolean"} | ({"bool"} if scheme == SCHEME else set())
    assert kinds <= {str(t) for t in kept.tidy.dtypes}
    # the row accounting: every row read is kept or excluded with a reason
    assert kept.n_read == kept.n_kept + len(kept.excluded)


def test_the_demo_year_with_an_excluded_row_keeps_it(cache, monkeypatch):
    """2021 of the demo has one unanswered form (only the id filled in)."""
    load_year(SCHEME, 2021, DEMO, cache_dir=cache)
    no_reading(monkeypatch)
    kept = load_year(SCHEME, 2021, DEMO, cache_dir=cache)
    assert kept.excluded["problem"].tolist() == ["empty_response"]
    assert kept.n_read - kept.n_kept == 1


def test_where_the_header_was_found_comes_back(tmp_path, cache, monkeypatch):
    """A workbook whose export is on its second sheet under a title row, with an unanswered
    form, personal data and a cell holding a zero-width character."""
    path = tmp_path / "data" / SCHEME / "2022.xlsx"
    path.parent.mkdir(parents=True)
    rows = [
        frisklivs_row(respondent_id="1"),
        frisklivs_row(respondent_id="2", project_name="Prosjekt\u200b med usynlig tegn"),
        {h: "" for h in frisklivs_header()} | {"Respondent": "3"},
        frisklivs_row(respondent_id="4", target_group="Ukjent gruppe"),
    ]
    book = openpyxl.Workbook()
    book.active.title = "Forside"
    book.active.append(["Eksport fra Questback"])
    sheet = book.create_sheet("Data")
    sheet.append(["Rapport for 2022"])
    header = list(rows[0])
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h) or None for h in header])
    book.save(path)

    expected = fresh(path, FRISKLIV, 2022)
    load_year(SCHEME, 2022, path.parent.parent, cache_dir=cache)
    no_reading(monkeypatch)
    kept = load_year(SCHEME, 2022, path.parent.parent, cache_dir=cache)
    assert_same_year(kept, expected)
    # by hand: 4 rows below the header in row 2; the third (row 5) is the unanswered form
    assert (kept.n_read, kept.n_kept) == (4, 3)
    assert kept.excluded.to_dict("records") == [
        {"row": 5, "problem": "empty_response", "detail": kept.excluded["detail"].iloc[0]}
    ]
    problems = set(kept.flags["problem"])
    assert {"sheet_not_first", "header_not_first_row", "zero_width_character"} <= problems
    assert kept.flags.loc[kept.flags["problem"] == "header_not_first_row", "row"].tolist() == [2]
    assert "unknown_category" in problems


# --- metrics.json is the same, cold or warm ----------------------------------------------
def test_metrics_json_is_byte_identical_with_a_cold_or_a_warm_cache(tmp_path, cache):
    def saved(cache_dir, name: str) -> dict[str, bytes]:
        ev = evaluate(SCHEME, 2022, data_dir=DEMO, compare_with=[2021], cache_dir=cache_dir)
        out = tmp_path / name
        ev.save(out)
        return {p.name: p.read_bytes() for p in out.iterdir()}

    without = saved(None, "without")
    cold = saved(cache, "cold")
    assert len(entries(cache)) == 2  # the year and the year compared with
    warm = saved(cache, "warm")
    assert without == cold == warm
    assert set(warm) == {"metrics.json", "data_quality.csv"}
    # and compute_metrics on a fresh and a kept year, as JSON
    year = fresh(DEMO / SCHEME / "2021.xlsx", FRISKLIV, 2021)
    kept = load_year(SCHEME, 2021, DEMO, cache_dir=cache)
    assert metrics_json(compute_metrics(kept, FRISKLIV, synthetic=True)) == metrics_json(
        compute_metrics(year, FRISKLIV, synthetic=True)
    )


# --- the read is recorded with the export's hash as it is now -----------------------------
def test_a_kept_year_records_its_read_with_the_hash_of_the_file_now(data, cache, monkeypatch):
    load_year(SCHEME, 2022, data, cache_dir=cache)
    take_reads()
    no_reading(monkeypatch)
    load_year(SCHEME, 2022, data, cache_dir=cache)
    export = data / SCHEME / "2022.xlsx"
    assert take_reads() == [(str(export.resolve()), sha256(export))]


def test_a_changed_export_is_read_and_cleaned_again(tmp_path, cache):
    folder = tmp_path / "csv"
    export = write_export(
        folder / SCHEME / "2022.csv", [frisklivs_row(respondent_id=str(i)) for i in range(2)]
    )
    assert load_year(SCHEME, 2022, folder, cache_dir=cache).n_read == 2
    write_export(export, [frisklivs_row(respondent_id=str(i)) for i in range(3)])
    take_reads()
    again = load_year(SCHEME, 2022, folder, cache_dir=cache)
    assert again.n_read == 3
    assert take_reads() == [(str(export.resolve()), sha256(export))]
    assert len(entries(cache)) == 2  # one per version of the file


def test_the_same_bytes_elsewhere_get_the_path_read_now(tmp_path, data, cache, monkeypatch):
    load_year(SCHEME, 2022, data, cache_dir=cache)
    other = tmp_path / "elsewhere"
    shutil.copytree(data, other)
    no_reading(monkeypatch)
    kept = load_year(SCHEME, 2022, other, cache_dir=cache)
    assert kept.path == other / SCHEME / "2022.xlsx"


# --- what the cache may hold, and where --------------------------------------------------
@pytest.mark.parametrize(("scheme", "year"), [(SCHEME, 2021), ("samhandling", 2011)])
def test_personal_data_never_reaches_the_cache(cache, scheme, year):
    sch = load_scheme(scheme)
    personal = {h for lay in sch.layouts.values() for h in lay.personal_data}
    # the personal data in the workbook, read with openpyxl
    sheet = openpyxl.load_workbook(DEMO / scheme / f"{year}.xlsx", read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    at = [i for i, h in enumerate(rows[0]) if h in personal]
    assert len(at) == len(personal)
    values = {str(r[i]).strip() for r in rows[1:] for i in at if r[i] not in (None, "")}
    assert len(values) > 100

    load_year(sch, year, DEMO, cache_dir=cache)
    (file,) = entries(cache, scheme)
    with zipfile.ZipFile(file) as archive:
        text = archive.read("meta.json").decode("utf-8")
        frames = [pd.read_parquet(archive.open(n)) for n in ("tidy.parquet", "flags.parquet")]
    cells = [text, *(str(c) for f in frames for c in f.columns)]
    cells += [str(v) for f in frames for c in f.columns for v in f[c].dropna().tolist()]
    assert not personal & {c for f in frames for c in f.columns}
    assert not personal & set(frames[1]["column"].dropna())
    leaked = {v for v in values for cell in cells if v in cell}
    assert not leaked, sorted(leaked)[:5]


def test_the_cache_file_is_the_owners_only_and_no_temporary_file_is_left(cache):
    load_year(SCHEME, 2022, DEMO, cache_dir=cache)
    (file,) = entries(cache)
    assert file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in file.parent.iterdir()] == [file.name]


def test_no_cache_inside_the_data_folder(data, caplog):
    inside = data / "_cache" / "cleaned"
    with caplog.at_level(logging.WARNING, logger="evalkit.cleaned_cache"):
        got = load_year(SCHEME, 2022, data, cache_dir=inside)
    assert got.n_read == fresh(data / SCHEME / "2022.xlsx", FRISKLIV, 2022).n_read
    assert not (data / "_cache").exists()
    assert sorted(p.name for p in data.rglob("*")) == ["2021.xlsx", "2022.xlsx", SCHEME]
    assert "inside the data folder" in caplog.text


def test_no_cache_in_the_projects_data_folder(tmp_path, monkeypatch, caplog):
    """Not beside the real exports (``data/raw``) either, when the year is read from
    elsewhere (the demo data, say)."""
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "data" / "raw").mkdir(parents=True)
    monkeypatch.chdir(project)
    with caplog.at_level(logging.WARNING, logger="evalkit.cleaned_cache"):
        load_year(SCHEME, 2022, DEMO, cache_dir=project / "data" / "_cache")
    assert [p.name for p in (project / "data").iterdir()] == ["raw"]
    assert "inside the data folder" in caplog.text


# --- damaged files and failed writes -----------------------------------------------------
def _truncate(file: Path) -> None:
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


def _flip_a_byte(file: Path) -> None:
    data = bytearray(file.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside tidy.parquet, stored as it is
    file.write_bytes(bytes(data))


def _empty(file: Path) -> None:
    file.write_bytes(b"")


def _another_key(file: Path) -> None:
    """A whole entry, but the one of another key copied over it."""
    with zipfile.ZipFile(file) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    meta = json.loads(parts["meta.json"])
    meta["key"] = "0" * 64
    parts["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(file, "w") as archive:
        for name, payload in parts.items():
            archive.writestr(name, payload)


@pytest.mark.parametrize("damage", [_truncate, _flip_a_byte, _empty, _another_key])
def test_a_damaged_cache_file_is_ignored_and_rewritten(cache, monkeypatch, caplog, damage):
    expected = fresh(DEMO / SCHEME / "2022.xlsx", FRISKLIV, 2022)
    load_year(SCHEME, 2022, DEMO, cache_dir=cache)
    (file,) = entries(cache)
    whole = file.read_bytes()
    damage(file)
    assert file.read_bytes() != whole

    with caplog.at_level(logging.WARNING, logger="evalkit.cleaned_cache"):
        again = load_year(SCHEME, 2022, DEMO, cache_dir=cache)
    assert_same_year(again, expected)
    assert "Ignoring the damaged cleaned-year cache file" in caplog.text
    with zipfile.ZipFile(file) as archive:
        assert archive.testzip() is None  # rewritten whole
    no_reading(monkeypatch)
    assert_same_year(load_year(SCHEME, 2022, DEMO, cache_dir=cache), expected)


def test_a_failed_write_leaves_the_kept_file_and_no_temporary(cache, monkeypatch, caplog):
    load_year(SCHEME, 2022, DEMO, cache_dir=cache)
    (file,) = entries(cache)
    before = file.read_bytes()
    result = fresh(DEMO / SCHEME / "2021.xlsx", FRISKLIV, 2021)
    calls = []

    def disk_full_at_the_second_frame(frame):
        calls.append(frame)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(frame)

    real = cleaned_cache._parquet
    monkeypatch.setattr(cleaned_cache, "_parquet", disk_full_at_the_second_frame)
    key = file.stem
    with caplog.at_level(logging.WARNING, logger="evalkit.cleaned_cache"):
        assert cleaned_cache.store(cache, FRISKLIV, key, result, "0" * 64) is None
    assert "No space left on device" in caplog.text
    assert file.read_bytes() == before
    assert [p.name for p in file.parent.iterdir()] == [file.name]


# --- the key -------------------------------------------------------------------------------
def test_the_key_changes_with_what_cleaning_depends_on(tmp_path):
    digest = "ab" * 32
    key = cleaned_cache.cache_key(digest, FRISKLIV, 2022, strict=False)
    assert key == cleaned_cache.cache_key(digest, load_scheme(SCHEME), 2022, strict=False)
    other_scheme = dataclasses.replace(FRISKLIV, first_year=FRISKLIV.first_year + 1)
    others = [
        cleaned_cache.cache_key("cd" * 32, FRISKLIV, 2022, strict=False),
        cleaned_cache.cache_key(digest, FRISKLIV, 2023, strict=False),
        cleaned_cache.cache_key(digest, FRISKLIV, 2022, strict=True),
        cleaned_cache.cache_key(digest, other_scheme, 2022, strict=False),
    ]
    # the scheme's YAML: a copy with one spelling more
    yaml = tmp_path / f"{SCHEME}.yaml"
    text = FRISKLIV.path.read_text(encoding="utf-8")
    yaml.write_text(text, encoding="utf-8")
    assert cleaned_cache.cache_key(digest, load_scheme_file(yaml), 2022, strict=False) == key
    yaml.write_text(text + "\n# a comment\n", encoding="utf-8")
    others.append(cleaned_cache.cache_key(digest, load_scheme_file(yaml), 2022, strict=False))
    assert len({key, *others}) == 1 + len(others)


def test_the_key_is_the_same_in_another_process():
    """Kernels of one build share the cache: the key must not depend on the process (hash
    randomisation of strings and sets)."""
    code = (
        "from evalkit.config import load_scheme; from evalkit.cleaned_cache import cache_key; "
        f"print(cache_key('ab' * 32, load_scheme({SCHEME!r}), 2022, strict=False))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert keys == {cleaned_cache.cache_key("ab" * 32, FRISKLIV, 2022, strict=False)}


# --- the runner passes <out>/_cache/cleaned ----------------------------------------------
def _plan(out: Path, notebook: Path | None = None, **kw):
    return plan(
        SCHEME,
        2022,
        compare_with=None,
        data_dir=DEMO,
        out_dir=out,
        strict=False,
        notebook=notebook,
        kernel_name="evalkit",
        parameters=kw.pop("parameters", None),
        title=None,
    )


def test_the_runner_gives_the_notebook_the_cache_under_the_outputs_folder(tmp_path):
    a, b = _plan(tmp_path / "a"), _plan(tmp_path / "b")
    assert a.cache_dir == (tmp_path / "a" / "_cache" / "cleaned").absolute()
    assert "cache_dir" not in a.params
    assert a.key == b.key  # where the outputs go is not part of a document's key
    assert _plan(tmp_path / "a", TINY).cache_dir is None  # a notebook without the parameter
    trends = _plan(tmp_path / "a", ROOT / "notebooks" / "trends.py")
    assert trends.cache_dir == a.cache_dir
    with pytest.raises(ParameterError, match="cache_dir"):
        _plan(tmp_path / "a", parameters={"cache_dir": str(tmp_path)})


@pytest.mark.slow
def test_a_build_keeps_each_year_once_and_reuses_it(data, tmp_path):
    out = tmp_path / "out"
    kw = {"data_dir": data, "out_dir": out, "notebook": CLEANED_NB, "pdf": False}
    first = report_year(SCHEME, 2022, compare_with=[2021], **kw)
    assert first.status == "built", first.message
    kept = {p.name: p.stat().st_ino for p in entries(out / "_cache" / "cleaned")}
    assert len(kept) == 2
    assert sorted(p.name for p in data.rglob("*")) == ["2021.xlsx", "2022.xlsx", SCHEME]
    manifest = json.loads((out / SCHEME / "2022" / "manifest.json").read_text(encoding="utf-8"))
    assert [(i["year"], i["sha256"], i["read"]) for i in manifest["inputs"]] == [
        (2022, sha256(data / SCHEME / "2022.xlsx"), True),
        (2021, sha256(data / SCHEME / "2021.xlsx"), True),
    ]

    second = report_year(SCHEME, 2021, compare_with=[], **kw)
    assert second.status == "built", second.message
    # 2021 came from the cache: its file was not written again, and nothing was added
    assert {p.name: p.stat().st_ino for p in entries(out / "_cache" / "cleaned")} == kept
    metrics = json.loads((out / SCHEME / "2021" / "metrics.json").read_text(encoding="utf-8"))
    sheet = openpyxl.load_workbook(data / SCHEME / "2021.xlsx", read_only=True).worksheets[0]
    n_rows = sum(1 for r in sheet.iter_rows(min_row=2, values_only=True) if any(r))
    assert metrics == {"rows": {"2021": n_rows}}
