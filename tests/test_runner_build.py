"""The build: warm kernels give the same documents as fresh ones, write failures end in one
sentence (exit 2) with earlier outputs kept, Ctrl-C stops a real build cleanly, and staging
folders of a killed run are removed by the next build."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_data

from evalkit.errors import OutputWriteError
from evalkit.runner import build, report_year
from evalkit.runner import execute as execute_module
from evalkit.runner.build import _prepare_outputs

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
SCHEME = "frisklivs_lms"


def evalkit_cli(*args: str, cwd: Path = ROOT, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "evalkit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def staging_left(out: Path) -> list[str]:
    return [p.name for p in out.rglob(".*") if ".staging-" in p.name or ".old-" in p.name]


# --- warm equals fresh --------------------------------------------------------------------
@pytest.mark.slow
def test_a_document_built_warm_equals_one_built_fresh(tmp_path, demo_document):
    """2012 runs second in a warm kernel that built 2011 before it; built fresh, each year
    gets a kernel of its own (the demo documents built once for the run, tests/conftest.py,
    each by ``report_year`` in a kernel started for it). metrics.json byte for byte, HTML
    equal once times are masked."""
    # no PDF: it is made by the PDF worker process from the HTML compared here (test_pdf's)
    kw = {"data_dir": DEMO, "jobs": 1, "progress": False, "pdf": False, "langs": ["nb"]}
    warm = build(["samhandling"], [2011, 2012], out_dir=tmp_path / "warm", **kw)
    assert [r.status for r in warm] == ["built"] * 2
    for year in ("2011", "2012"):
        a, b = tmp_path / "warm" / "samhandling" / year, demo_document("samhandling", year).out_path
        fresh_out = b.parent.parent  # the outputs folder of that document
        assert (a / "metrics.json").read_bytes() == (b / "metrics.json").read_bytes()
        assert (a / "data_quality.csv").read_bytes() == (b / "data_quality.csv").read_bytes()

        def masked(path: Path) -> str:
            text = path.read_text(encoding="utf-8")
            return re.sub(r"\d{2}\.\d{2}\.\d{4}( kl\.)? \d{2}:\d{2}(:\d{2})?", "<time>", text)

        assert masked(a / "report.html") == masked(b / "report.html")
        # the executed notebooks: the same cells, outputs and execution counts (1, 2, ...)
        nb_a = json.loads((a / "report.ipynb").read_text(encoding="utf-8"))
        nb_b = json.loads((b / "report.ipynb").read_text(encoding="utf-8"))

        def cells(nb: dict, out: Path) -> list:
            return [
                (
                    c["id"],
                    "".join(c["source"]).replace(str(out), "<out>"),  # output_dir differs
                    c.get("execution_count"),
                    c.get("outputs"),
                )
                for c in nb["cells"]
            ]

        assert cells(nb_a, tmp_path / "warm") == cells(nb_b, fresh_out)
        counts = [c["execution_count"] for c in nb_a["cells"] if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1))
        assert nb_a["metadata"]["papermill"]["parameters"]["year"] == int(year)


# --- write failures -----------------------------------------------------------------------
def test_a_file_in_the_way_of_out_is_one_sentence_and_exit_2(tmp_path):
    blocker = tmp_path / "outputs"
    blocker.write_text("not a folder", encoding="utf-8")
    res = evalkit_cli("build", "--scheme", "samhandling", "--out", str(blocker / "sub"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines == [
        f"evalkit: Cannot write to the output folder {blocker / 'sub'}: {blocker} is a file, "
        f"not a folder ({os.strerror(errno.ENOTDIR)})."
    ]
    assert blocker.read_text(encoding="utf-8") == "not a folder"

    res = evalkit_cli("report", "samhandling", "2012", "--out", str(blocker))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip() == (
        f"evalkit: Cannot write to the output folder {blocker}: {blocker} is a file, not a "
        f"folder ({os.strerror(errno.ENOTDIR)})."
    )


@pytest.fixture(scope="module")
def built_once(tmp_path_factory) -> tuple[Path, Path]:
    """(data, out): the tiny notebook's 2022 document built once for the module's write
    failures; each test copies ``out`` and lets the copy's rebuild fail."""
    base = tmp_path_factory.mktemp("built-once")
    data = make_data(base / "data")
    out = base / "out"
    first = report_year(SCHEME, 2022, data_dir=data, out_dir=out, notebook=TINY)
    assert first.status == "built", first.message
    return data, out


@pytest.mark.slow
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_full_or_read_only_disk_keeps_the_earlier_document(
    tmp_path, monkeypatch, code, built_once
):
    """Disk full, read-only or permission denied while the document is written (simulated:
    the machines run the tests as root, whom chmod does not stop)."""
    data, built = built_once
    out = tmp_path / "out"
    shutil.copytree(built, out)
    folder = out / SCHEME / "2022"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert "report.html" in before
    real = execute_module.write_atomic

    def failing(path, data):
        if Path(path).name == "report.html":
            raise OSError(code, os.strerror(code), str(path))
        return real(path, data)

    monkeypatch.setattr(execute_module, "write_atomic", failing)
    with pytest.raises(OutputWriteError) as err:
        report_year(SCHEME, 2022, data_dir=data, out_dir=out, notebook=TINY, force=True)
    assert str(err.value) == (
        f"Cannot write to the output folder {out / SCHEME}: {os.strerror(code)}."
    )
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert staging_left(out) == []
    assert not (out / SCHEME / "_failed").exists()


def test_staging_folders_of_a_killed_run_are_removed_by_the_next_build(tmp_path):
    out = tmp_path / "out"
    scheme_dir = out / SCHEME
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    left = [
        scheme_dir / f".2022.staging-{dead}-0123abcd",  # its build process is gone
        scheme_dir / ".2021.staging-89abcdef",  # named before the pid was in the name
        scheme_dir / f".2020.old-{dead}-fedcba98",
    ]
    mine = scheme_dir / f".2019.staging-{os.getpid()}-00112233"  # a build running now
    for folder in [*left, mine]:
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("half", encoding="utf-8")
    good = scheme_dir / "2022"
    good.mkdir()
    (good / "report.html").write_text("good", encoding="utf-8")
    _prepare_outputs(out)
    assert [p.exists() for p in left] == [False, False, False]
    assert mine.exists() and (good / "report.html").read_text(encoding="utf-8") == "good"


# --- Ctrl-C -------------------------------------------------------------------------------
def _kernels_of(pid: int) -> list[int]:
    """Processes started with JPY_PARENT_PID=pid (jupyter_client marks its kernels so)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JPY_PARENT_PID={pid}".encode() in env:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_ctrl_c_stops_a_real_build(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evalkit",
            "build",
            "--scheme",
            SCHEME,
            "--years",
            "2019-2024",
            "--data-dir",
            str(DEMO),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--lang",
            "nb",
            "--no-pdf",  # what is stopped is the notebooks' kernels
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # wait for the first finished document, so one is kept and others are running
        deadline = time.monotonic() + 240
        while not list((out / SCHEME).glob("*/manifest.json")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no document finished in 240 s"
            time.sleep(0.1)
        time.sleep(0.3)
        kernels = _kernels_of(proc.pid)
        assert kernels, "the build should have kernels running"
        finished_before = {p.parent.name for p in (out / SCHEME).glob("*/manifest.json")}
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert elapsed <= 5.0, f"took {elapsed:.1f} s to stop"
    # one line saying what was finished and what was not; no traceback, no kernel noise
    last = stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert re.fullmatch(
        r"evalkit: Interrupted: \d of 6 documents finished \(frisklivs_lms [\d, ]+\), not "
        r"finished: frisklivs_lms [\d, ]+; finished and earlier documents are kept\.",
        last,
    ), last
    assert "Traceback" not in stderr and "IPKernelApp" not in stderr and "WARNING" not in stderr
    for line in stdout.splitlines():
        assert re.fullmatch(r"frisklivs_lms \d{4}: built in [\d.]+ s", line), line
    # finished documents kept and listed; no staging folder; no kernel left
    finished = {p.parent.name for p in (out / SCHEME).glob("*/manifest.json")}
    assert finished_before <= finished and len(finished) < 6
    page = (out / "index.html").read_text(encoding="utf-8")
    for year in finished:
        assert f'href="{SCHEME}/{year}/report.html"' in page
    assert staging_left(out) == []
    assert not (out / SCHEME / "_failed").exists()  # an interrupted document is no failure
    time.sleep(0.2)
    alive = [
        pid
        for pid in kernels
        if Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    ]
    assert alive == [], f"kernels still running: {alive}"
