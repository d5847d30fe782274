"""Benchmark: building every demo document from cold, against the plain way, in one run.

* plain:   for every year (and each scheme's trends document) papermill's command line, then
           ``jupyter nbconvert --to html --no-input``, on the same notebooks (converted to
           .ipynb once beforehand, untimed);
* evalkit: ``evalkit build`` into an empty folder, with ``--jobs 1`` and with ``--jobs 2``
           (the default is one job per processor: 2 on the 2-core machines here);
* rebuild: ``evalkit build`` again with nothing changed (every year served from the cache).

Prints the times and the ratios. Goal: cold at most half the plain way's time; an unchanged
rebuild under 1 s.

    python benchmarks/bench_build.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO = ROOT / "data" / "demo"
sys.path.insert(0, str(ROOT))

from evalkit.paths import available_years  # noqa: E402


def run(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw
    )
    return time.perf_counter() - start


def plain_way(tmp: Path) -> float:
    nbs = {}
    for name in ("frisklivs_lms", "samhandling", "trends"):
        nbs[name] = tmp / f"{name}.ipynb"
        run(
            [
                str(BIN / "jupytext"),
                "--to",
                "ipynb",
                "--output",
                str(nbs[name]),
                f"notebooks/{name}.py",
            ]
        )
    jobs = []
    for scheme in ("frisklivs_lms", "samhandling"):
        years = available_years(DEMO, scheme)
        for i, year in enumerate(years):
            params = [
                "-p",
                "scheme",
                scheme,
                "-p",
                "year",
                str(year),
                "-p",
                "data_dir",
                "data/demo",
            ]
            if i:
                params += ["-y", f"compare_with: [{years[i - 1]}]"]
            jobs.append((nbs[scheme], f"{scheme}_{year}", params))
        earlier = ", ".join(map(str, years[:-1]))
        jobs.append(
            (
                nbs["trends"],
                f"{scheme}_trends",
                [
                    "-p",
                    "scheme",
                    scheme,
                    "-p",
                    "year",
                    str(years[-1]),
                    "-p",
                    "data_dir",
                    "data/demo",
                    "-y",
                    f"compare_with: [{earlier}]",
                ],
            )
        )
    start = time.perf_counter()
    for nb, name, params in jobs:
        out_dir = tmp / "plain" / name
        out_dir.mkdir(parents=True)
        executed = out_dir / "report.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(nb),
                str(executed),
                "-k",
                "evalkit",
                "--cwd",
                str(ROOT),
                *params,
                "-p",
                "output_dir",
                str(out_dir),
            ],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - start, len(jobs)


def main() -> None:
    evalkit = str(BIN / "evalkit")
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        run(
            [
                evalkit,
                "build",
                "--out",
                str(tmp / "warm"),
                "--scheme",
                "samhandling",
                "--years",
                "2012",
            ]
        )  # kernel registered, caches warm
        plain, n = plain_way(tmp)
        print(
            f"plain way (papermill CLI + nbconvert CLI, {n} documents): {plain:.1f} s", flush=True
        )
        cold1 = run(
            [evalkit, "build", "--data-dir", "data/demo", "--out", str(tmp / "one"), "--jobs", "1"]
        )
        print(
            f"evalkit build --jobs 1, cold: {cold1:.1f} s  ratio {cold1 / plain:.2f} of the plain way",
            flush=True,
        )
        cold2 = run(
            [evalkit, "build", "--data-dir", "data/demo", "--out", str(tmp / "two"), "--jobs", "2"]
        )
        print(
            f"evalkit build --jobs 2 (the default here), cold: {cold2:.1f} s  "
            f"ratio {cold2 / plain:.2f} of the plain way",
            flush=True,
        )
        again = run([evalkit, "build", "--data-dir", "data/demo", "--out", str(tmp / "two")])
        print(
            f"evalkit build, nothing changed: {again:.2f} s (whole command, {n} documents cached)"
        )
        shutil.rmtree(tmp / "plain", ignore_errors=True)


if __name__ == "__main__":
    main()
