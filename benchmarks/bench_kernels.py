"""Benchmark: a kernel forked from the zygote against one started as Jupyter starts it (issue 19).

In one run, two Python processes one after the other, each starting ``--kernels`` warm kernels
(default 4) one after another, as a process that builds again and again does (the tests, a
researcher rebuilding from JupyterLab, a build whose failed documents get new kernels):

* ``EVALKIT_FORK_KERNELS=0``: every kernel started as Jupyter starts it, then warmed up (the
  imports of pandas, scipy, statsmodels, matplotlib, seaborn and the document modules);
* ``EVALKIT_FORK_KERNELS=1`` (the default): the first kernel as Jupyter starts it, the others
  forked from the zygote started with the second.

It prints each kernel's time from asking to ready (started and warmed up), and the mean of the
kernels after the first two in each process (the second pays for the zygote's imports) with
their ratio; and the processor time of the whole process with its children (``os.wait4``: the
kernels started as Jupyter does are its children, the forked ones the zygote's, which reaps them
and is waited for at the end, so both count).

    python benchmarks/bench_kernels.py [--kernels N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
from pathlib import Path
from evalkit.runner.kernels import WarmKernel
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    kernel = WarmKernel("evalkit", Path.cwd(), warm=True)
    kernel.run("1")
    times.append(time.perf_counter() - t)
    kernel.shutdown()
print(json.dumps(times))
"""


def _run(mode: str, kernels: int) -> tuple[list[float], float]:
    env = {**os.environ, "EVALKIT_FORK_KERNELS": mode}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(kernels)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"the child with EVALKIT_FORK_KERNELS={mode} failed ({status})")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=4)
    args = parser.parse_args()
    if args.kernels < 3:
        raise SystemExit("--kernels must be at least 3")
    results = {mode: _run(mode, args.kernels) for mode in ("0", "1")}
    for mode, (times, cpu) in results.items():
        label = "started as Jupyter does" if mode == "0" else "forked from the 2nd on"
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label:24s} kernels ready in (s): {shown}; processor time {cpu:.1f} s")
    plain = sum(results["0"][0][2:]) / (args.kernels - 2)
    forked = sum(results["1"][0][2:]) / (args.kernels - 2)
    print(
        f"kernels 3..{args.kernels}: {forked:.2f} s forked against {plain:.2f} s started, "
        f"ratio {forked / plain:.3f}"
    )


if __name__ == "__main__":
    main()
