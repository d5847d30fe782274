"""Nothing read escapes the cache: a document is tied to the bytes its kernel read, so an export
replaced between the plan and the kernel's read fails the year (and is never recorded under
the planned hash); one lock per outputs folder keeps two builds from writing into it (and into
its build.log) at once; the swap of a finished folder into place survives swaps racing it."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import frisklivs_row, make_data, write_export

from evalkit.evaluation import load_year, take_reads
from evalkit.paths import show_path
from evalkit.read import read_export
from evalkit.runner import execute as execute_module
from evalkit.runner import report_year
from evalkit.runner.build import LOCK_FILE, LOG_DIR, LOG_FILE, output_lock
from evalkit.runner.execute import _swap_in
from evalkit.runner.plan import check_cache, plan

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
READS = FIXTURES / "reads.py"
TINY = FIXTURES / "tiny.py"
SCHEME = "frisklivs_lms"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_bytes(tmp: Path, n_rows: int) -> bytes:
    """A valid frisklivs_lms export of ``n_rows`` rows, as bytes."""
    path = write_export(
        tmp / f"rows-{n_rows}.csv",
        [frisklivs_row(respondent_id=str(1000 + i)) for i in range(n_rows)],
    )
    return path.read_bytes()


@pytest.fixture
def data(tmp_path):
    """data/frisklivs_lms/2021.csv (2 rows) and 2022.csv (1 row)."""
    folder = tmp_path / "data"
    (folder / SCHEME).mkdir(parents=True)
    (folder / SCHEME / "2021.csv").write_bytes(export_bytes(tmp_path, 2))
    (folder / SCHEME / "2022.csv").write_bytes(export_bytes(tmp_path, 1))
    return folder


def replace_before_the_kernel_reads(monkeypatch, export: Path, new: bytes) -> None:
    """Replace ``export`` (as an editor saving a file does: a new file renamed over it) after
    the build planned the document and before its kernel runs."""
    real = execute_module.execute  # imported by the build where documents run

    def execute(job, *args, **kw):
        tmp = export.with_name(export.name + ".new")
        tmp.write_bytes(new)
        os.replace(tmp, export)
        return real(job, *args, **kw)

    monkeypatch.setattr(execute_module, "execute", execute)


# --- reading: the hash is that of the bytes parsed ---------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_read_export_hashes_the_bytes_it_parsed(tmp_path, monkeypatch, scheme, suffix):
    """The file is replaced right after evalkit read its bytes: what is parsed and hashed is
    what was read (before, the parsers opened the file again and read the new one)."""
    path = write_export(tmp_path / f"2022{suffix}", [frisklivs_row(respondent_id="1")])
    old = sha256(path)
    newer = write_export(
        tmp_path / f"newer{suffix}", [frisklivs_row(respondent_id=str(i)) for i in range(5)]
    )
    real = Path.read_bytes

    def read_then_replace(self):
        data = real(self)
        if self == path:
            shutil.copyfile(newer, path)
        return data

    monkeypatch.setattr(Path, "read_bytes", read_then_replace)
    raw = read_export(path, scheme)
    assert raw.n_rows == 1
    assert raw.frame["respondent_id"].tolist() == ["1"]
    assert raw.sha256 == old != sha256(path)


def test_load_year_records_each_read_once(data):
    take_reads()  # whatever an earlier test read in this process
    load_year(SCHEME, 2022, data)
    load_year(SCHEME, 2021, data)
    export = data / SCHEME / "2022.csv"
    assert take_reads() == [
        (str(export.resolve()), sha256(export)),
        (str((data / SCHEME / "2021.csv").resolve()), sha256(data / SCHEME / "2021.csv")),
    ]
    assert take_reads() == []


# --- the runner checks what the kernel read ----------------------------------------------
@pytest.mark.slow
def test_an_export_replaced_before_the_kernel_reads_it_fails_the_year(data, tmp_path, monkeypatch):
    out = tmp_path / "out"
    folder = out / SCHEME / "2022"
    export = data / SCHEME / "2022.csv"
    kw = {"data_dir": data, "out_dir": out, "notebook": READS, "pdf": False}
    from evalkit.runner.kernels import _client_class

    waits = []
    client_class = _client_class()  # every client the runner's kernel manager makes
    real_wait = client_class.wait_for_ready

    def wait_for_ready(self, *args, **kwargs):
        waits.append(self)
        return real_wait(self, *args, **kwargs)

    monkeypatch.setattr(client_class, "wait_for_ready", wait_for_ready)
    good = report_year(SCHEME, 2022, **kw)
    monkeypatch.undo()
    assert good.status == "built", good.message
    # the fresh kernel is waited for once, by nbclient before the notebook; asking it for its
    # reads afterwards does not wait for it again (0,2 s of listening for stray output)
    assert len(waits) == 1
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert json.loads(before["metrics.json"]) == {"rows": {"2022": 1, "2021": 2}}

    a, b = export_bytes(tmp_path, 3), export_bytes(tmp_path, 4)
    export.write_bytes(a)
    replace_before_the_kernel_reads(monkeypatch, export, b)
    # with the PDF: the runner exports report.html and starts its PDF in the PDF worker before
    # it asks the kernel what it read
    failed = report_year(SCHEME, 2022, **{**kw, "pdf": True})
    monkeypatch.undo()
    planned, read = hashlib.sha256(a).hexdigest(), hashlib.sha256(b).hexdigest()
    assert failed.status == "failed"
    assert failed.message.startswith(
        f"{show_path(export)} changed while the document was built (planned sha256 "
        f"{planned[:12]}…, read {read[:12]}…); run again. "
    ), failed.message
    assert f"The previous document in {show_path(folder)}/ is kept." in failed.message
    # the good document is untouched, and no manifest anywhere claims the planned hash
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert planned not in "".join(p.read_text("utf-8") for p in out.rglob("manifest.json"))
    kept = out / SCHEME / "_failed" / "2022"
    record = json.loads((kept / "failure.json").read_text("utf-8"))
    assert record["ename"] == "InputChanged"
    # what failed keeps what the notebook wrote and the notebook, not a document made from it;
    # the notebook's record names the folder it is kept in
    assert {p.name for p in kept.iterdir()} == {"failure.json", "metrics.json", "report.ipynb"}
    partial = json.loads((kept / "report.ipynb").read_text("utf-8"))
    assert partial["metadata"]["papermill"]["output_path"] == (
        f"{show_path(kept).replace(os.sep, '/')}/report.ipynb"
    )

    # the planned file back: rebuilt (not served as up to date), from its own bytes
    export.write_bytes(a)
    again = report_year(SCHEME, 2022, **kw)
    assert again.status == "built", again.message
    assert "rebuilt because the exports it reads changed" in again.message
    assert json.loads((folder / "metrics.json").read_text("utf-8")) == {
        "rows": {"2022": 3, "2021": 2}
    }
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert [(i["year"], i["sha256"], i["read"]) for i in manifest["inputs"]] == [
        (2022, planned, True),
        (2021, sha256(data / SCHEME / "2021.csv"), True),
    ]
    assert not (out / SCHEME / "_failed" / "2022").exists()  # the failure is over
    assert report_year(SCHEME, 2022, **kw).status == "cached"


@pytest.mark.slow
def test_a_compared_year_replaced_for_a_notebook_reading_files_itself(tmp_path, monkeypatch):
    """The tiny notebook reads no export through evalkit: each planned export is hashed again
    after the run, so a replaced one (here the compared year's) still fails the year."""
    data = make_data(tmp_path / "data")
    compared = data / SCHEME / "2021.csv"
    planned = sha256(compared)
    replace_before_the_kernel_reads(monkeypatch, compared, b"id\n7\n")
    result = report_year(SCHEME, 2022, data_dir=data, out_dir=tmp_path / "out", notebook=TINY)
    now = hashlib.sha256(b"id\n7\n").hexdigest()
    assert result.status == "failed"
    assert result.message.startswith(
        f"{show_path(compared)} changed while the document was built (planned sha256 "
        f"{planned[:12]}…, now {now[:12]}…); run again."
    ), result.message
    assert not (tmp_path / "out" / SCHEME / "2022").exists()


@pytest.mark.slow
def test_an_export_read_beyond_the_plan_is_checked_by_the_cache(data, tmp_path):
    """The notebook reads 2021 although the plan compares with nothing: the manifest records
    that read, and a changed 2021 rebuilds the document."""
    out = tmp_path / "out"
    kw = {
        "data_dir": data,
        "out_dir": out,
        "notebook": READS,
        "pdf": False,
        "compare_with": [],
        "parameters": {"also_read": 2021},
    }
    first = report_year(SCHEME, 2022, **kw)
    assert first.status == "built", first.message
    manifest = json.loads((out / SCHEME / "2022" / "manifest.json").read_text("utf-8"))
    extra = data / SCHEME / "2021.csv"
    assert manifest["inputs"][1] == {
        "role": "read",
        "path": str(extra),  # outside the notebook's project: absolute
        "sha256": sha256(extra),
    }
    assert report_year(SCHEME, 2022, **kw).status == "cached"
    extra.write_bytes(export_bytes(tmp_path, 5))
    job = plan(
        SCHEME,
        2022,
        compare_with=[],
        data_dir=data,
        out_dir=out,
        strict=False,
        notebook=READS,
        kernel_name="evalkit",
        parameters={"also_read": 2021},
        title=None,
    )
    assert check_cache(job) == (None, f"{extra}, which it read, has changed since the last build")
    again = report_year(SCHEME, 2022, **kw)
    assert again.status == "built", again.message
    assert json.loads((out / SCHEME / "2022" / "metrics.json").read_text("utf-8")) == {
        "rows": {"2022": 1, "2021": 5}
    }


# --- one build at a time per outputs folder ----------------------------------------------
def lock_is_free(out: Path) -> bool:
    fd = os.open(out / LOCK_FILE, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # lets it go again at once
    return True


@pytest.mark.slow
def test_a_second_build_waits_for_the_first_and_says_so(tmp_path, capfd):
    data = make_data(tmp_path / "data")
    out = tmp_path / "out"
    results = []
    with output_lock(out):  # the first build
        assert (out / LOCK_FILE).read_text("ascii") == f"{os.getpid()}\n"
        second = threading.Thread(
            target=lambda: results.append(
                report_year(SCHEME, 2022, data_dir=data, out_dir=out, notebook=TINY, pdf=False)
            )
        )
        second.start()
        deadline = time.monotonic() + 30
        while "waiting" not in capfd.readouterr().err:
            assert time.monotonic() < deadline, "the second build said nothing"
            time.sleep(0.05)
        time.sleep(1.0)
        assert second.is_alive() and results == []
        assert not (out / LOG_DIR).exists() and not (out / SCHEME).exists()
    second.join(120)
    assert [r.status for r in results] == ["built"], results
    assert (out / LOCK_FILE).read_text("ascii") == ""  # no pid of a finished build


@pytest.mark.slow
def test_the_waiting_line_names_the_folder_and_the_holder(tmp_path, capfd):
    out = tmp_path / "out"
    with output_lock(out):

        def wait_for_it() -> None:
            with output_lock(out):
                pass

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        deadline = time.monotonic() + 10
        err = ""
        while not err:
            err = capfd.readouterr().err
            assert time.monotonic() < deadline
            time.sleep(0.02)
    waiter.join(10)
    assert err == (
        f"evalkit: waiting for another evalkit build writing to {show_path(out)} "
        f"(pid {os.getpid()})…\n"
    )


@pytest.mark.slow
def test_two_builds_into_one_out_do_not_interleave_build_log(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="evalkit")  # the runner's lines, as a build logs them
    data = make_data(tmp_path / "data")
    out = tmp_path / "out"
    kw = {"data_dir": data, "out_dir": out, "notebook": TINY, "pdf": False}
    results: dict[int, object] = {}

    def one(year: int) -> None:
        results[year] = report_year(SCHEME, year, compare_with=[], **kw)

    first = threading.Thread(target=one, args=(2022,))
    first.start()
    log = out / LOG_DIR / LOG_FILE
    deadline = time.monotonic() + 60
    while not (log.exists() and "2022: running" in log.read_text("utf-8")):
        assert time.monotonic() < deadline and first.is_alive(), results
        time.sleep(0.02)
    second = threading.Thread(target=one, args=(2021,))
    second.start()
    first.join(120)
    second.join(120)
    assert {y: r.status for y, r in results.items()} == {2022: "built", 2021: "built"}
    events = re.findall(r"frisklivs_lms (\d{4}): (running|built)", log.read_text("utf-8"))
    assert events == [
        ("2022", "running"),
        ("2022", "built"),
        ("2021", "running"),
        ("2021", "built"),
    ]
    assert lock_is_free(out)


# --- the swap into place ------------------------------------------------------------------
def staged(parent: Path, name: str, token: str) -> Path:
    folder = parent / f".{name}.staging-{os.getpid()}-{token}"
    folder.mkdir()
    for part in ("report.html", "manifest.json"):
        (folder / part).write_text(token, encoding="utf-8")
    return folder


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_swap_in_survives_300_racing_swaps(tmp_path, monkeypatch, exchange):
    """Four threads swap 75 folders each into one place (before, the rename found a folder
    put there meanwhile, ENOTEMPTY, about 1 in 200). With the one-step exchange a reader never
    finds the place empty."""
    if not exchange:
        monkeypatch.setattr(execute_module, "_exchange", lambda a, b: False)
    elif execute_module._renameat2() is None:
        pytest.skip("no renameat2 here")
    target = tmp_path / "2022"
    _swap_in(staged(tmp_path, "2022", "first"), target)  # the earlier document
    errors: list[BaseException] = []
    missing = 0
    done = threading.Event()

    def swapper(k: int) -> None:
        for i in range(75):
            try:
                _swap_in(staged(tmp_path, "2022", f"{k:04x}{i:04x}"), target)
            except BaseException as err:  # every failure counts
                errors.append(err)

    def reader() -> None:
        nonlocal missing
        while not done.is_set():
            missing += not target.is_dir()

    threads = [threading.Thread(target=swapper, args=(k,)) for k in range(4)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()
    assert errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2022"]  # nothing left aside
    tokens = {(target / part).read_text("utf-8") for part in ("report.html", "manifest.json")}
    assert len(tokens) == 1  # one whole folder, not a mix
    if exchange:
        assert missing == 0
