"""Benchmark: building every demo document from cold, against the plain way, in one run.

* plain, serial:   for every document (each year, and each scheme's trends document)
                   papermill's command line, then ``jupyter nbconvert --to html --no-input``,
                   one after the other, on the same notebooks (converted to .ipynb once
                   beforehand, untimed);
* plain, parallel: the same commands, as many at a time as there are processors (what a user
                   scripts with ``xargs -P``);
* evalkit:         ``evalkit build --no-pdf`` into an empty folder with the default jobs (one
                   per processor, warm kernels) and with ``--jobs 1`` (HTML, as the plain way
                   makes);
* with the PDF:    ``evalkit build`` (``report.pdf`` too) into another empty folder: what the
                   PDF adds per document (``bench_pdf.py`` measures it further);
* rebuild:         ``evalkit build`` again with nothing changed (every document served from the
                   cache, each output's sha256 checked).

Each line gives the wall time, the CPU time (user + sys of the command and its kernels) and
the load average over it: the machine may be shared, and the CPU time says what the work
cost where the wall time says what it waited for. Goals (issue 19): the default build at most
0,15 × the serial plain way and at most 0,3 × the parallel plain way; the PDF at most 1,0 s
per document; an unchanged rebuild at most 0,5 s.

    python benchmarks/bench_build.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tool(name: str) -> list[str]:
    """The command line of ``papermill``, ``jupytext`` or ``jupyter nbconvert``: its script
    beside this Python where there is one, else ``python -m`` (a venv that shares another's
    packages has no scripts of its own)."""
    script = BIN / ("jupyter-nbconvert" if name == "nbconvert" else name)
    return [str(script)] if script.exists() else [sys.executable, "-m", name]


DEMO = ROOT / "data" / "demo"
sys.path.insert(0, str(ROOT))

from bench_env import environment  # noqa: E402  (beside this script)

from evalkit.paths import available_years  # noqa: E402

#: This checkout's evalkit, also in the kernels; bytecode kept (bench_env.py).
ENV = environment(ROOT)
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


class Measured:
    """The CPU time (user + sys of the finished child processes: the commands and their
    kernels) and the mean load average over a stretch of the benchmark."""

    def __enter__(self) -> Measured:
        self.cpu0 = _children_cpu()
        self.load = [os.getloadavg()[0]]
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = _children_cpu() - self.cpu0
        self.load.append(os.getloadavg()[0])

    def __str__(self) -> str:
        return f"CPU {self.cpu:.1f} s, load {self.load[0]:.1f} → {self.load[1]:.1f}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plain_jobs(tmp: Path) -> list[tuple[Path, str, list[str]]]:
    nbs = {}
    for name in ("year", "trends"):
        nbs[name] = tmp / f"{name}.ipynb"
        run([*tool("jupytext"), "--to", "ipynb", "--output", str(nbs[name]),
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
    run([*tool("papermill"), str(nb), str(executed), "-k", "evalkit", "--cwd", str(ROOT),
         *params, "-p", "output_dir", str(out_dir)])  # fmt: skip
    run([*tool("nbconvert"), "--to", "html", "--no-input", str(executed)])


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
    print(f"{n} processors; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        # untimed: kernel registered, files in the page cache, bytecode compiled
        run([*EVALKIT, "build", "--out", str(tmp / "warm"), "--scheme", "samhandling",
             "--years", "2012", "--no-pdf", "--lang", "nb"])  # fmt: skip
        jobs = plain_jobs(tmp)
        with Measured() as m:
            serial = plain_way(tmp, jobs, 1)
        print(f"plain way, serial ({len(jobs)} documents): {serial:.1f} s ({m})", flush=True)
        with Measured() as m:
            parallel = plain_way(tmp, jobs, n)
        print(f"plain way, {n} at a time: {parallel:.1f} s ({m})", flush=True)
        # HTML like the plain way (nbconvert makes no PDF)
        # bokmål only: the same 11 documents as the plain way (nn and en: another 22)
        build = [*EVALKIT, "build", "--data-dir", "data/demo", "--lang", "nb"]
        with Measured() as m:
            default = run([*build, "--no-pdf", "--out", str(tmp / "default")])
        print(
            f"evalkit build --no-pdf (default: {n} jobs), cold: {default:.1f} s ({m})  "
            f"{default / serial:.3f} × serial, {default / parallel:.3f} × parallel",
            flush=True,
        )
        with Measured() as m:
            one = run([*build, "--no-pdf", "--out", str(tmp / "one"), "--jobs", "1"])
        print(
            f"evalkit build --no-pdf --jobs 1, cold: {one:.1f} s ({m})  "
            f"{one / serial:.3f} × serial",
            flush=True,
        )
        with Measured() as m:
            with_pdf = run([*build, "--out", str(tmp / "pdf")])
        documents = len(list((tmp / "pdf").glob("*/*/report.pdf")))
        added = (with_pdf - default) / documents
        print(
            f"evalkit build with report.pdf, cold: {with_pdf:.1f} s ({m}), {documents} PDFs: "
            f"{added:.2f} s added per document",
            flush=True,
        )
        again = run([*build, "--no-pdf", "--out", str(tmp / "default")])
        print(f"evalkit build, nothing changed: {again:.2f} s (whole command)", flush=True)
        goals = {
            "default ≤ 0.15 × serial": default <= 0.15 * serial,
            "default ≤ 0.3 × parallel": default <= 0.3 * parallel,
            "the PDF adds ≤ 1.0 s per document": added <= 1.0,
            "unchanged rebuild ≤ 0.5 s": again <= 0.5,
        }
        for goal, met in goals.items():
            print(f"  {'met' if met else 'NOT met'}: {goal}")


if __name__ == "__main__":
    import speed_probe  # beside this script: how fast the processor is, before and after

    print(speed_probe.line("start"), flush=True)
    main()
    print(speed_probe.line("end"))
