"""`make test` runs the suite on pytest-xdist's workers (`-n auto --dist loadgroup`); the hook
in tests/conftest.py keeps the tests sharing a module-scoped fixture on one worker, so the
fixture is made once, and hands out the tests marked slow first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("xdist")

TESTS = Path(__file__).resolve().parent

# A suite of its own: eight tests share a module-scoped fixture that writes one line each time
# it is made; eight do not; the last test is marked slow. Every test writes its worker and its
# name when it starts: each worker runs its tests in the order it was handed them.
SUITE = """
import os

import pytest


@pytest.fixture(autouse=True)
def started(request):
    with open(os.environ["STARTED"], "a", encoding="utf-8") as fh:
        fh.write(os.environ["PYTEST_XDIST_WORKER"] + " " + request.node.name + "\\n")


@pytest.fixture(scope="module")
def shared():
    with open(os.environ["MADE"], "a", encoding="utf-8") as fh:
        fh.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    return 1


@pytest.mark.parametrize("i", range(8))
def test_shared(shared, i):
    assert shared == 1


@pytest.mark.parametrize("i", range(8))
def test_alone(i):
    pass


@pytest.mark.slow
def test_long():
    pass
"""


#: Installed plugins the suite does not use: each of the three processes of a run would import
#: them (hypothesis's alone costs more CPU than the rest of a worker's start).
UNUSED = ["-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:typeguard"]


def _run(folder: Path, *plugin: str) -> tuple[list[str], list[str]]:
    """Run the suite in ``folder`` on two workers, with tests/conftest.py as a plugin or not;
    the workers that made the shared fixture, and the tests that ran on the slow test's
    worker, in order."""
    made, started = folder / "made.txt", folder / "started.txt"
    made.unlink(missing_ok=True)
    started.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(TESTS), "MADE": str(made), "STARTED": str(started)}
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, *UNUSED]
        + ["-n", "2", "--dist", "loadgroup", "-W", "ignore::pytest.PytestUnknownMarkWarning"]
        + ["test_suite.py"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert "17 passed" in res.stdout, res.stdout
    runs = [line.split() for line in started.read_text(encoding="utf-8").splitlines()]
    assert len(runs) == 17
    worker = next(w for w, name in runs if name == "test_long")
    return made.read_text(encoding="utf-8").split(), [n for w, n in runs if w == worker]


def test_a_module_scoped_fixture_is_made_once_and_slow_tests_go_first(tmp_path):
    (tmp_path / "test_suite.py").write_text(SUITE, encoding="utf-8")
    # without the hook, xdist hands the tests out one at a time: both workers make the fixture,
    # and the slow test, last in the file, is the last its worker runs
    made, ran = _run(tmp_path)
    assert sorted(made) == ["gw0", "gw1"]
    assert ran[-1] == "test_long" and len(ran) > 1
    # with tests/conftest.py: the eight shared tests are one unit of work on one worker, and
    # the slow test is the first its worker runs, with none of the shared tests beside it
    made, ran = _run(tmp_path, "-p", "conftest")
    assert len(made) == 1
    assert ran[0] == "test_long" and not [n for n in ran if n.startswith("test_shared")]
