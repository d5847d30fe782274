"""Benchmark: cleaning + metrics against pandas reading the same file.

Synthetic exports of 10 000 and 100 000 rows are made from the 2022 demo export (rows drawn
at random, every id, project name and amount made distinct so the distinct-value parsers get
no free ride), written as CSV and .xlsx. For each, one run measures

* read:    pandas reading the file (``read_csv`` / ``read_excel``, all columns as text),
* evalkit: ``read_export`` + ``clean_export`` + ``compute_metrics`` on the same file,

and prints evalkit's time as a ratio to the plain read. Goal: at most 3× the read time, and
growth from 10 000 to 100 000 rows no worse than linear (a ratio of times near 10).

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
    base = pd.read_excel(SOURCE, dtype=object)
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


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(n: int, fmt: str, folder: Path, repeat: int = 1) -> dict:
    path = folder / f"bench_{n}.{fmt}"
    frame = synthetic_export(n)
    if fmt == "csv":
        frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
        read = lambda: pd.read_csv(path, sep=";", dtype="string", encoding="utf-8-sig")  # noqa: E731
    else:
        frame.to_excel(path, index=False)
        read = lambda: pd.read_excel(path, dtype=object)  # noqa: E731
    scheme = load_scheme("frisklivs_lms")

    def evalkit_run() -> None:
        result = clean_export(read_export(path, scheme), scheme, 2022)
        compute_metrics(result, scheme, synthetic=True)

    evalkit_run()  # warm caches (reference tables, regexes) once, as any run after the first
    t_read = min(timed(read) for _ in range(repeat))
    t_evalkit = min(timed(evalkit_run) for _ in range(repeat))
    return {
        "rows": n,
        "format": fmt,
        "read_s": t_read,
        "evalkit_s": t_evalkit,
        "ratio": t_evalkit / t_read,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CSV only, 10 000 rows")
    parser.add_argument(
        "--formats", nargs="+", choices=["csv", "xlsx"], help="formats to run (default: both)"
    )
    parser.add_argument("--sizes", nargs="+", type=int, help="row counts (default: 10 000 100 000)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each side this many times, keep the best"
    )
    args = parser.parse_args()
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000])
    formats = args.formats or (["csv"] if args.quick else ["csv", "xlsx"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            for n in sizes:
                r = run(n, fmt, Path(tmp), args.repeat)
                rows.append(r)
                print(
                    f"{fmt:5} {n:>7} rows: read {r['read_s']:.2f} s, evalkit {r['evalkit_s']:.2f} s, "
                    f"ratio {r['ratio']:.2f}× the read",
                    flush=True,
                )
    table = pd.DataFrame(rows)
    if len(sizes) > 1:
        for fmt, g in table.groupby("format"):
            g = g.set_index("rows")
            growth = g.loc[sizes[-1], "evalkit_s"] / g.loc[sizes[0], "evalkit_s"]
            print(f"{fmt}: evalkit time grows {growth:.1f}× for {sizes[-1] // sizes[0]}× the rows")


if __name__ == "__main__":
    main()
