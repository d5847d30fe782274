"""Kernels forked from the zygote (evalkit/runner/forking.py, evalkit/kernel_zygote.py): from a
process's second kernel on, a kernel is a child of a process that has imported what kernels
import. Each test runs its kernels in a Python process of its own, so that what it asserts about
"the first" and "the second" kernel of a process holds whatever this test process started."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"

#: Runs in a process of its own: starts kernels and says what each is (its pid, its parent,
#: whether pandas was imported before anything ran in it, its working folder and environment).
KERNELS = r"""
import json, os, sys, threading
from pathlib import Path
from evalkit.runner import forking
from evalkit.runner.kernels import KernelError, WarmKernel

def describe(kernel, tag):
    out = Path(sys.argv[1]) / f"{tag}.json"
    kernel.run(
        "import json, os, sys; open(%r, 'w').write(json.dumps({'pid': os.getpid(), "
        "'ppid': os.getppid(), 'pandas': 'pandas' in sys.modules, 'cwd': os.getcwd(), "
        "'marker': os.environ.get('EVALKIT_TEST_MARKER'), "
        "'test': os.environ.get('PYTEST_CURRENT_TEST'), "
        "'parent_env': os.environ.get('JPY_PARENT_PID')}))" % str(out),
        timeout=30,
    )
    return json.loads(out.read_text())

said = {"runner": os.getpid()}
first = WarmKernel("evalkit", Path(sys.argv[2]), warm=False)
said["first"] = describe(first, "first")
os.environ["EVALKIT_TEST_MARKER"] = "one"
second = WarmKernel("evalkit", Path(sys.argv[2]), warm=False)
said["second"] = describe(second, "second")


def shown(kernel):
    # what a cell that draws with pyplot and does not show it puts out: the inline backend
    # shows the open figure at the cell's end, in a forked kernel as in a started one
    from jupyter_core.utils import run_sync

    async def run():
        client = kernel.km.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        msg_id = client.execute("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\n0;")
        kinds = []
        while True:
            msg = await client.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "display_data":
                kinds.append(sorted(msg["content"]["data"]))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        kernel.km.stop_clients()
        return kinds

    return run_sync(run)()


said["shown_first"], said["shown_second"] = shown(first), shown(second)
said["zygote_second"] = forking.zygote_pid()
third = WarmKernel("evalkit", Path(sys.argv[2]), warm=False)
said["third"] = describe(third, "third")
said["zygote_third"] = forking.zygote_pid()
os.environ["EVALKIT_TEST_MARKER"] = "two"  # a changed environment: a new zygote
fourth = WarmKernel("evalkit", Path(sys.argv[2]), warm=False)
said["fourth"] = describe(fourth, "fourth")
said["zygote_fourth"] = forking.zygote_pid()
# the kernels of the earlier zygote go on (it is kept while they run; a kernel whose parent
# ended sees it within a second)
import time
time.sleep(1.5)
said["second_again"] = describe(second, "second_again")
# which test runs (pytest sets it for each): the same zygote, the kernel gets the new value
os.environ["PYTEST_CURRENT_TEST"] = "another test"
fifth = WarmKernel("evalkit", Path(sys.argv[2]), warm=False)
said["fifth"] = describe(fifth, "fifth")
said["zygote_fifth"] = forking.zygote_pid()
fifth.shutdown()
said["forked"] = forking.forked_count()
# Ctrl-C reaches a forked kernel's running cell; kill ends it
timer = threading.Timer(1.0, fourth.interrupt)
timer.start()
try:
    fourth.run("import time; time.sleep(60)", timeout=30)
    said["interrupted"] = None
except KernelError as err:
    said["interrupted"] = err.ename
fourth.kill()
process = fourth.km.provisioner.process
said["killed"] = process.wait(timeout=10)  # TimeoutExpired if it lives on
for kernel in (first, second, third):
    kernel.shutdown()
print(json.dumps(said))
"""


def _run(script: str, *args: str, env: dict | None = None, timeout: float = 240) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_second_kernel_is_forked_from_a_zygote_that_follows_the_environment(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    env = {"EVALKIT_FORK_KERNELS": "1"}
    said = _run(KERNELS, str(tmp_path), str(work), env=env)
    runner = said["runner"]
    first, second, third, fourth = (said[k] for k in ("first", "second", "third", "fourth"))
    # the first kernel is started as Jupyter starts it: a child of the runner, nothing imported
    assert first["ppid"] == runner and first["pandas"] is False
    assert first["parent_env"] == str(runner)
    # the second and third are children of one zygote, which imported pandas before them
    assert second["ppid"] == third["ppid"] == said["zygote_second"] == said["zygote_third"]
    assert second["ppid"] != runner and second["pandas"] is True and third["pandas"] is True
    assert second["pid"] != third["pid"]
    assert said["shown_second"] == said["shown_first"] == [["image/png", "text/plain"]]
    # each runs where it was asked to, with the environment it was asked for, and takes the
    # zygote as the parent it ends with
    assert {k["cwd"] for k in (first, second, third, fourth)} == {str(work)}
    assert second["marker"] == third["marker"] == "one"
    assert second["parent_env"] == str(second["ppid"])
    # a changed environment: another zygote, made with it
    assert fourth["marker"] == "two"
    assert fourth["ppid"] == said["zygote_fourth"] != said["zygote_second"]
    assert said["second_again"]["pid"] == second["pid"]  # still running
    assert said["fifth"]["test"] == "another test" and said["fifth"]["marker"] == "two"
    assert said["fifth"]["ppid"] == said["zygote_fifth"] == said["zygote_fourth"]
    assert said["forked"] == 4
    assert said["interrupted"] == "KeyboardInterrupt"
    assert said["killed"] is not None and not _alive(fourth["pid"])


@pytest.mark.slow
def test_no_fork_when_switched_off_or_when_the_zygote_cannot_start(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    two = r"""
import json, os, sys
from pathlib import Path
from evalkit.runner import forking
from evalkit.runner.kernels import WarmKernel
forking.ZYGOTE_MODULE = sys.argv[3]
said = {"runner": os.getpid()}
for tag in ("first", "second"):
    kernel = WarmKernel("evalkit", Path(sys.argv[2]), warm=False)
    out = Path(sys.argv[1]) / f"{tag}.json"
    kernel.run("import json, os; open(%r, 'w').write(json.dumps(os.getppid()))" % str(out))
    said[tag] = json.loads(out.read_text())
    kernel.shutdown()
said["forked"] = forking.forked_count()
print(json.dumps(said))
"""
    off = _run(
        two, str(tmp_path), str(work), "evalkit.kernel_zygote", env={"EVALKIT_FORK_KERNELS": "0"}
    )
    assert off["first"] == off["second"] == off["runner"] and off["forked"] == 0
    # a zygote that stops before it is ready (no such module): the kernel is started as before
    broken = _run(
        two, str(tmp_path), str(work), "evalkit.no_such_zygote", env={"EVALKIT_FORK_KERNELS": "1"}
    )
    assert broken["first"] == broken["second"] == broken["runner"] and broken["forked"] == 0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_no_kernel_outlives_a_runner_that_is_killed(tmp_path):
    """The runner killed (no exit handler runs): the zygote sees its socket close and ends, and
    the kernels it forked, whose parent it is, end after it, as a kernel started by Jupyter ends
    after the process that started it."""
    script = r"""
import json, os, signal, sys
from pathlib import Path
from evalkit.runner import forking
from evalkit.runner.kernels import WarmKernel
kernels = [WarmKernel("evalkit", Path.cwd(), warm=False) for _ in range(3)]
print(json.dumps({"kernels": [k.pid for k in kernels], "zygote": forking.zygote_pid()}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
    said_file = tmp_path / "said.txt"
    with open(said_file, "w") as said_out:  # a file, not a pipe the kernels could hold open
        subprocess.run(
            [sys.executable, "-c", script],
            stdout=said_out,
            stderr=subprocess.DEVNULL,
            timeout=240,
            env={**os.environ, "EVALKIT_FORK_KERNELS": "1"},
            cwd=tmp_path,
        )
    said = json.loads(said_file.read_text().strip().splitlines()[-1])
    pids = [*said["kernels"], said["zygote"]]
    assert said["zygote"] is not None and len(set(pids)) == 4
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [pid for pid in pids if _alive(pid)]
    for pid in alive:  # none is left behind by this test, whatever it found
        os.kill(pid, 9)
    assert not alive


def _masked(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return re.sub(r"\d{2}\.\d{2}\.\d{4}( kl\.)? \d{2}:\d{2}(:\d{2})?", "<time>", text)


@pytest.mark.slow
def test_a_document_built_in_a_forked_kernel_equals_one_built_in_a_kernel_started_afresh(
    tmp_path,
):
    """The same document built in two processes at once, one in a kernel forked and warmed up
    (``EVALKIT_FORK_KERNELS=always``, as a build's kernels are), one in a kernel started as
    Jupyter starts it, with nothing run in it before the notebook: metrics.json and
    data_quality.csv byte for byte, report.html once times are masked, and the notebook's
    outputs."""
    script = r"""
import json, sys
from evalkit.runner import forking, report_year
r = report_year("samhandling", 2012, data_dir=sys.argv[1], out_dir=sys.argv[2], pdf=False,
                lang="nb", fresh_kernel=sys.argv[3] == "fresh")
print(json.dumps({"status": r.status, "forked": forking.forked_count()}))
"""
    runs = {}
    kinds = {"always": "warm", "0": "fresh"}
    for mode in ("always", "0"):
        runs[mode] = subprocess.Popen(
            # forked and warmed up (as a build's kernels), against started and fresh: the
            # widest gap there is between two kernels of evalkit's
            [sys.executable, "-c", script, str(DEMO), str(tmp_path / mode), kinds[mode]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "EVALKIT_FORK_KERNELS": mode},
            cwd=ROOT,
        )
    said = {}
    for mode, proc in runs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        said[mode] = json.loads(out.strip().splitlines()[-1])
    assert said["always"] == {"status": "built", "forked": 1}
    assert said["0"] == {"status": "built", "forked": 0}
    a, b = tmp_path / "always" / "samhandling" / "2012", tmp_path / "0" / "samhandling" / "2012"
    for name in ("metrics.json", "data_quality.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert _masked(a / "report.html") == _masked(b / "report.html")

    def outputs(folder: Path) -> list:
        nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
        return [
            (c.get("execution_count"), json.dumps(c.get("outputs", []), sort_keys=True))
            for c in nb["cells"]
            if c["cell_type"] == "code"
        ]

    assert [(n, o.replace(str(tmp_path / "always"), "<out>")) for n, o in outputs(a)] == [
        (n, o.replace(str(tmp_path / "0"), "<out>")) for n, o in outputs(b)
    ]
