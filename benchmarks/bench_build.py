"""Benchmark: building every demo document from cold, against the plain way, in one run.

* plain, serial:   for every document (each year, and each scheme's trends document)
                   papermill's command line, then ``jupyter nbconvert --to html --no-input``,
                   one after the other, on the same notebooks (converted to .ipynb once
                   beforehand, untimed);
* plain, parallel: the same commands, as many at a time as there are processors (what a user
                   scripts with ``xargs -P``);
* evalkit:         ``evalkit build --no-pdf`` into an empty folder with the default jobs (one
                   per processor, warm kernels) and with ``--jobs 1`` (HTML, as the plain way
                   makes; the PDF's cost is measured by ``bench_pdf.py``);
* rebuild:         ``evalkit build`` again with nothing changed (every document served from the
                   cache, each output's sha256 checked).

Prints the times and the ratios. Goals: the default build at most 0.25 × the serial plain way
and at most 0.5 × the parallel plain way; ``--jobs 1`` at most 0.4 × the serial plain way; an
unchanged rebuild under 1 s.

    python benchmarks/bench_build.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO = ROOT / "data" / "demo"
sys.path.insert(0, str(ROOT))

from evalkit.paths import available_years  # noqa: E402

#: This checkout's evalkit, also in the kernels (they inherit the environment).
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
EVALKIT = [sys.executable, "-m", "evalkit"]


def processors() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, check=True, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def plain_jobs(tmp: Path) -> list[tuple[Path, str, list[str]]]:
    nbs = {}
    for name in ("year", "trends"):
        nbs[name] = tmp / f"{name}.ipynb"
        run([str(BIN / "jupytext"), "--to", "ipynb", "--output", str(nbs[name]),
             f"notebooks/{name}.py"])  # fmt: skip
    nbs["frisklivs_lms"] = nbs["samhandling"] = nbs["year"]  # the generic notebook
    jobs = []
    for scheme in ("frisklivs_lms", "samhandling"):
        years = available_years(DEMO, scheme)
        base = ["-p", "scheme", scheme, "-p", "data_dir", "data/demo"]
        for i, year in enumerate(years):
            params = [*base, "-p", "year", str(year)]
            if i:
                params += ["-y", f"compare_with: [{years[i - 1]}]"]
            jobs.append((nbs[scheme], f"{scheme}_{year}", params))
        earlier = ", ".join(map(str, years[:-1]))
        params = [*base, "-p", "year", str(years[-1]), "-y", f"compare_with: [{earlier}]"]
        jobs.append((nbs["trends"], f"{scheme}_trends", params))
    return jobs


def plain_one(tmp: Path, label: str, nb: Path, name: str, params: list[str]) -> None:
    out_dir = tmp / label / name
    out_dir.mkdir(parents=True)
    executed = out_dir / "report.ipynb"
    run([str(BIN / "papermill"), str(nb), str(executed), "-k", "evalkit", "--cwd", str(ROOT),
         *params, "-p", "output_dir", str(out_dir)])  # fmt: skip
    run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)])


def plain_way(tmp: Path, jobs: list, workers: int) -> float:
    label = f"plain{workers}"
    start = time.perf_counter()
    if workers == 1:
        for nb, name, params in jobs:
            plain_one(tmp, label, nb, name, params)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda j: plain_one(tmp, label, *j), jobs))
    return time.perf_counter() - start


def main() -> None:
    n = processors()
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        # untimed: kernel registered, files in the page cache, bytecode compiled
        run([*EVALKIT, "build", "--out", str(tmp / "warm"), "--scheme", "samhandling",
             "--years", "2012", "--no-pdf"])  # fmt: skip
        jobs = plain_jobs(tmp)
        serial = plain_way(tmp, jobs, 1)
        print(f"plain way, serial ({len(jobs)} documents): {serial:.1f} s", flush=True)
        parallel = plain_way(tmp, jobs, n)
        print(f"plain way, {n} at a time: {parallel:.1f} s", flush=True)
        # HTML like the plain way (nbconvert makes no PDF); report.pdf: benchmarks/bench_pdf.py
        build = [*EVALKIT, "build", "--data-dir", "data/demo", "--no-pdf"]
        default = run([*build, "--out", str(tmp / "default")])
        print(
            f"evalkit build (default: {n} jobs), cold: {default:.1f} s  "
            f"{default / serial:.2f} × serial, {default / parallel:.2f} × parallel",
            flush=True,
        )
        one = run([*build, "--out", str(tmp / "one"), "--jobs", "1"])
        print(f"evalkit build --jobs 1, cold: {one:.1f} s  {one / serial:.2f} × serial", flush=True)
        again = run([*build, "--out", str(tmp / "default")])
        print(f"evalkit build, nothing changed: {again:.2f} s (whole command)", flush=True)
        goals = {
            "default ≤ 0.25 × serial": default <= 0.25 * serial,
            "default ≤ 0.5 × parallel": default <= 0.5 * parallel,
            "--jobs 1 ≤ 0.4 × serial": one <= 0.4 * serial,
            "unchanged rebuild < 1 s": again < 1.0,
        }
        for goal, met in goals.items():
            print(f"  {'met' if met else 'NOT met'}: {goal}")


if __name__ == "__main__":
    main()
