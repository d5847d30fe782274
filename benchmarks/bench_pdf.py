"""Benchmark: what ``report.pdf`` costs per document, in one run.

Two measures:
* what the PDF adds to a cold ``evalkit build`` of every demo document (with and without
  ``--no-pdf``), per document: what a user waits for;
* each ``report.pdf`` made from its ``report.html`` with
  :func:`evalkit.document.pdf.write_pdf`, one at a
  time in this process, as a warm kernel does (WeasyPrint imported once, before the clock
  starts), each the best of --repeat runs (default 5), as ``timeit`` counts: a shared
  machine's speed wanders by a third from minute to minute and only ever adds time. The cost
  of one document on one processor.
Goal: at most 1,5 s per document.

    python benchmarks/bench_pdf.py [--out FOLDER] [--repeat N]   (FOLDER: an existing build)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evalkit.document import pdf  # noqa: E402

GOAL_SECONDS = 1.5


def build(out: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "evalkit", "build", "--data-dir", "data/demo", "--out", str(out),
         *extra],
        check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="reuse the documents of this build")
    ap.add_argument("--repeat", type=int, default=5, help="runs per document (the best counts)")
    args = ap.parse_args()
    problem = pdf.unavailable()  # imports WeasyPrint (untimed)
    if problem:
        sys.exit(problem)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "out"
        if args.out is None:
            html_only = build(out, "--no-pdf")
            with_pdf = build(Path(tmp) / "with-pdf")
            n = len(list(out.glob("*/*/report.html")))
            print(
                f"cold build of {n} documents: {html_only:.1f} s without the PDF, {with_pdf:.1f} s "
                f"with it: {(with_pdf - html_only) / n:.2f} s added per document (the PDFs are "
                "made in the workers' kernels, in parallel)",
                flush=True,
            )
        documents = sorted(out.glob("*/*/report.html"))
        pages = {html: (json.loads((html.parent / "manifest.json").read_text("utf-8"))["title"],
                        html.read_text(encoding="utf-8")) for html in documents}  # fmt: skip
        runs: dict[Path, list[float]] = {html: [] for html in documents}
        for _ in range(args.repeat):  # round after round, so that a slow spell hits them all
            for html, (title, text) in pages.items():
                start = time.perf_counter()
                pdf.write_pdf(text, Path(tmp) / "report.pdf", title=title)
                runs[html].append(time.perf_counter() - start)
        times = {}
        for html, seconds in runs.items():
            name = f"{html.parent.parent.name} {html.parent.name}"
            times[name] = min(seconds)
            print(
                f"{name:<20} best {times[name]:5.2f} s (runs: "
                f"{', '.join(f'{s:.2f}' for s in seconds)})  {len(pages[html][1]) // 1024:5d} KiB of HTML",
                flush=True,
            )
    worst = max(times.values())
    mean = statistics.mean(times.values())
    print(
        f"one at a time, {len(times)} documents, best of {args.repeat} runs each: mean "
        f"{mean:.2f} s, worst {worst:.2f} s ({max(times, key=times.get)}); goal ≤ {GOAL_SECONDS} s "
        f"per document: {'met' if worst <= GOAL_SECONDS else 'MISSED'} for the worst "
        f"({worst / GOAL_SECONDS:.2f} × the goal), {'met' if mean <= GOAL_SECONDS else 'MISSED'} "
        f"on average ({mean / GOAL_SECONDS:.2f} × the goal); "
        f"{sum(t <= GOAL_SECONDS for t in times.values())} of {len(times)} documents within it"
    )


if __name__ == "__main__":
    main()
