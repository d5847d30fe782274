"""Benchmark: a cached answer at once (issue 19).

Every demo document is built once, untimed, into a temporary folder (or into ``--out FOLDER``,
an existing build: the cache key holds evalkit's code, so a folder built by other code is
rebuilt by that first run). Then, each in a fresh interpreter as the user runs them, best of
``--repeat`` (default 5):

* ``evalkit report frisklivs_lms 2022 --out FOLDER``, served from the cache: goal 0,3 s;
* ``evalkit build --out FOLDER`` with nothing changed, every demo document: goal 0,5 s.

Beside the wall time: the child's user+sys CPU time and peak memory (its rusage, from
``os.wait4``), which a machine shared with other work disturbs less than the wall time, and
the total of ``python -X importtime`` (every module's own import time added up) with the
heavy libraries that were imported, if any.

The children write their bytecode to a temporary folder (``PYTHONPYCACHEPREFIX``, and without
``PYTHONDONTWRITEBYTECODE``), so evalkit's modules are compiled once, as in an ordinary
install; ``--no-bytecode`` keeps the environment as it is.

    python benchmarks/bench_cached.py [--out FOLDER] [--repeat N] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVALKIT = [sys.executable, "-m", "evalkit"]
GOALS = {"report": 0.3, "build": 0.5}
#: The libraries a cached answer must not import (tests/test_fast_cached.py checks the same).
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
)
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)$")


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, user+sys CPU seconds and peak memory (MB) of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def import_time(cmd: list[str], env: dict[str, str]) -> tuple[float, int, list[str]]:
    """``python -X importtime``: the seconds of every module's own import added up, the number
    of modules, and which heavy libraries were imported."""
    done = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total, names = 0, []
    for line in done.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            total += int(m.group(1))
            names.append(m.group(3))
    heavy = sorted({n.split(".")[0] for n in names} & set(HEAVY))
    return total / 1e6, len(names), heavy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="an existing outputs folder")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-bytecode", action="store_true", help="keep the environment as is")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_cached_") as tmp:
        from bench_env import environment  # beside this script

        env = environment(ROOT, bytecode=not args.no_bytecode)  # this checkout's evalkit
        out = (args.out or Path(tmp) / "outputs").absolute()
        print(f"Outputs: {out}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        start = time.perf_counter()
        run([*EVALKIT, "build", "--out", str(out)], env)  # builds what is not up to date
        print(f"First build (untimed in the results): {time.perf_counter() - start:.1f} s")

        commands = {
            "report": [*EVALKIT, "report", "frisklivs_lms", "2022", "--out", str(out)],
            "build": [*EVALKIT, "build", "--out", str(out)],
        }
        labels = {
            "report": "cached `evalkit report frisklivs_lms 2022`",
            "build": "unchanged `evalkit build` (every demo document)",
        }
        for name, cmd in commands.items():
            run(cmd, env)  # warm: the bytecode is written, the files are in the page cache
            runs = [run(cmd, env) for _ in range(args.repeat)]
            wall = min(r[0] for r in runs)
            cpu = min(r[1] for r in runs)
            peak = max(r[2] for r in runs)
            imports, modules, heavy = import_time(cmd, env)
            verdict = "meets" if wall <= GOALS[name] else "misses"
            print(
                f"{labels[name]}:\n"
                f"  wall {wall:.3f} s best of {args.repeat} ({verdict} the goal of "
                f"{GOALS[name]:.1f} s); user+sys CPU {cpu:.3f} s best; peak memory "
                f"{peak:.0f} MB\n"
                f"  -X importtime total {imports:.3f} s over {modules} modules; heavy "
                f"libraries imported: {', '.join(heavy) or 'none'}"
            )
    return 0


if __name__ == "__main__":
    import speed_probe  # beside this script: how fast the processor is, before and after

    print(speed_probe.line("start"), flush=True)
    status = main()
    print(speed_probe.line("end"))
    sys.exit(status)
