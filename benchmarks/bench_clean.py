"""Benchmark: cleaning + metrics against pandas reading the same file.

Synthetic exports of 10 000 and 100 000 rows are made from the 2022 demo export (rows drawn
at random, every id, project name and amount made distinct so the distinct-value parsers get
no free ride), written as CSV and .xlsx. For each, the best of ``--repeat`` runs measures

* read:    pandas reading the file (``read_csv(dtype="string")`` / ``read_excel(dtype=object)``
  with the calamine engine, or the one given by ``--excel-engine``),
* evalkit: ``read_export`` + ``clean_export`` + ``compute_metrics`` on the same file,

each in processor time (``time.process_time``: what this process computed, whatever else the
machine runs; the figure the ratios are made of) and in wall time (``time.perf_counter``), and
prints evalkit's time as a ratio to the plain read. Goal: at most 1,5× the read at 100 000
rows, and growth from 10 000 to 100 000 rows no worse than linear (10× the rows at most 11×
the time).

    python benchmarks/bench_clean.py            # CSV and xlsx, 10 000 and 100 000 rows
    python benchmarks/bench_clean.py --quick    # CSV only, 10 000 rows
    python benchmarks/bench_clean.py --formats csv            # CSV, 10 000 and 100 000 rows
    python benchmarks/bench_clean.py --formats csv --repeat 5 # the best of 5 runs
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.clean import clean_export
from evalkit.config import load_scheme
from evalkit.metrics import compute_metrics
from evalkit.read import read_export

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "demo" / "frisklivs_lms" / "2022.xlsx"


def synthetic_export(n: int, seed: int = 20220) -> pd.DataFrame:
    """``n`` rows drawn from the 2022 demo export, ids, names and amounts made distinct."""
    base = pd.read_excel(SOURCE, dtype=object, engine="calamine")
    rng = np.random.default_rng(seed)
    frame = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    frame["Respondent"] = np.arange(1, n + 1)
    frame["Prosjektnavn"] = [f"Prosjekt {i}" for i in range(n)]
    amounts = rng.integers(20, 800, n) * 1_000 + rng.integers(0, 1000, n)
    styles = rng.integers(0, 3, n)
    frame["Tildelt beløp (kr)"] = np.where(
        styles == 0,
        [f"{a:,}".replace(",", " ") for a in amounts],
        np.where(
            styles == 1,
            [f"kr {a:,},-".replace(",", ".").replace(".-", ",-") for a in amounts],
            amounts.astype(str),
        ),
    )
    return frame


def timed(fn) -> tuple[float, float]:
    """(processor seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def best(fn, repeat: int) -> tuple[float, float]:
    """The least processor time and the least wall time of ``repeat`` calls."""
    runs = [timed(fn) for _ in range(repeat)]
    return min(c for c, _ in runs), min(w for _, w in runs)


def run(n: int, fmt: str, folder: Path, repeat: int = 1, engine: str = "calamine") -> dict:
    path = folder / f"bench_{n}.{fmt}"
    if not path.exists():
        frame = synthetic_export(n)
        if fmt == "csv":
            frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
        else:
            frame.to_excel(path, index=False)
    if fmt == "csv":
        read = lambda: pd.read_csv(path, sep=";", dtype="string", encoding="utf-8-sig")  # noqa: E731
    else:
        read = lambda: pd.read_excel(path, dtype=object, engine=engine)  # noqa: E731
    scheme = load_scheme("frisklivs_lms")

    def evalkit_run() -> None:
        result = clean_export(read_export(path, scheme), scheme, 2022)
        compute_metrics(result, scheme, synthetic=True)

    evalkit_run()  # warm caches (reference tables, regexes) once, as any run after the first
    read_cpu, read_wall = best(read, repeat)
    evalkit_cpu, evalkit_wall = best(evalkit_run, repeat)
    return {
        "rows": n,
        "format": fmt,
        "read_cpu": read_cpu,
        "evalkit_cpu": evalkit_cpu,
        "read_wall": read_wall,
        "evalkit_wall": evalkit_wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CSV only, 10 000 rows")
    parser.add_argument(
        "--formats", nargs="+", choices=["csv", "xlsx"], help="formats to run (default: both)"
    )
    parser.add_argument("--sizes", nargs="+", type=int, help="row counts (default: 10 000 100 000)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="time each side this many times, keep the best"
    )
    parser.add_argument(
        "--excel-engine",
        default="calamine",
        choices=["calamine", "openpyxl"],
        help="the engine of pandas' plain read of the .xlsx (default: calamine)",
    )
    args = parser.parse_args()
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000])
    formats = args.formats or (["csv"] if args.quick else ["csv", "xlsx"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            for n in sizes:
                r = run(n, fmt, Path(tmp), args.repeat, args.excel_engine)
                rows.append(r)
                print(
                    f"{fmt:5} {n:>7} rows: processor time read {r['read_cpu']:.2f} s, evalkit "
                    f"{r['evalkit_cpu']:.2f} s, ratio {r['evalkit_cpu'] / r['read_cpu']:.2f}× "
                    f"| wall time read {r['read_wall']:.2f} s, evalkit {r['evalkit_wall']:.2f} "
                    f"s, ratio {r['evalkit_wall'] / r['read_wall']:.2f}×",
                    flush=True,
                )
    table = pd.DataFrame(rows)
    if len(sizes) > 1:
        for fmt, g in table.groupby("format"):
            g = g.set_index("rows")
            first, last = sizes[0], sizes[-1]
            cpu = g.loc[last, "evalkit_cpu"] / g.loc[first, "evalkit_cpu"]
            wall = g.loc[last, "evalkit_wall"] / g.loc[first, "evalkit_wall"]
            print(
                f"{fmt}: evalkit time grows {cpu:.1f}× in processor time ({wall:.1f}× wall) "
                f"for {last // first}× the rows"
            )


if __name__ == "__main__":
    import speed_probe  # beside this script: how fast the processor is, before and after

    print(speed_probe.line("start"), flush=True)
    main()
    print(speed_probe.line("end"))
