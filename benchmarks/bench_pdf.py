"""Benchmark: what ``report.pdf`` costs, in one run.

Three measures, each with the load average over it (the machine may be shared) and the CPU
time of the commands (user + sys, kernels included):

* what the PDF adds to a cold ``evalkit build`` of every demo document (the same build with
  and without ``--no-pdf``, into empty folders), per document. Goal: at most 1,0 s;
* what it adds to ``evalkit report SCHEME YEAR`` of each demo year document alone, what a user
  waits for: the same command (``--force``) with and without ``--no-pdf``, one after the
  other, after an untimed build has filled the folder's cache of cleaned years, so both read
  the same; with ``--reports N``, N pairs each, the best pair counts (the median and the worst
  are printed beside it). Goal: at most 1,5 s for each. (There the PDF is made by the PDF
  worker process, :mod:`evalkit.runner.pdfworker`, which imports and warms up WeasyPrint while
  the notebook runs and makes the PDF while the runner checks the kernel's reads and lists the
  outputs; a build of several workers makes its PDFs in the kernels.) CPU: the command's and its
  processes' (kernel, PDF worker);
* each ``report.pdf`` made from its ``report.html`` with :func:`evalkit.document.pdf.write_pdf` in this
  process (WeasyPrint imported and warmed up before the clock starts), the best of --repeat
  runs (default 3), as ``timeit`` counts: the PDF's own cost on one processor.

    python benchmarks/bench_pdf.py [--repeat N] [--reports N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_env import environment  # noqa: E402  (beside this script)

from evalkit.document import pdf  # noqa: E402

BUILD_GOAL = 1.0
REPORT_GOAL = 1.5
#: This checkout's evalkit, also in the kernels; bytecode kept (bench_env.py).
ENV = environment(ROOT)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def evalkit(*args: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``evalkit`` command (its kernels included)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "evalkit", *args],
        check=True, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start, _children_cpu() - cpu


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per PDF made here (best counts)")
    ap.add_argument("--reports", type=int, default=1, help="runs of each evalkit report pair")
    args = ap.parse_args()
    problem = pdf.unavailable()  # imports WeasyPrint (untimed)
    if problem:
        sys.exit(problem)
    pdf.warm_up()
    data = ["--data-dir", "data/demo", "--lang", "nb"]  # one language: what a PDF costs
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        # 1. a cold build of every demo document, without and with the PDF
        before = load()
        html_only, html_cpu = evalkit("build", *data, "--no-pdf", "--out", str(tmp / "html"))
        with_pdf, pdf_cpu = evalkit("build", *data, "--out", str(tmp / "pdf"))
        n = len(list((tmp / "pdf").glob("*/*/report.pdf")))
        added = (with_pdf - html_only) / n
        print(
            f"cold build of {n} documents: {html_only:.1f} s without the PDF (CPU "
            f"{html_cpu:.1f} s), {with_pdf:.1f} s with it (CPU {pdf_cpu:.1f} s; {before}, "
            f"then {load()}): {added:.2f} s added per document, {(pdf_cpu - html_cpu) / n:.2f} s "
            f"of CPU; goal ≤ {BUILD_GOAL} s: {'met' if added <= BUILD_GOAL else 'MISSED'}",
            flush=True,
        )
        # 2. evalkit report of each year document alone, without and with the PDF
        out = tmp / "pdf"  # its cache of cleaned years is filled
        years = sorted(
            (html.parent.parent.name, html.parent.name) for html in out.glob("*/[0-9]*/report.html")
        )
        report_added = {}
        for scheme, year in years:
            runs = []
            for _ in range(args.reports):
                common = ["report", scheme, year, *data, "--out", str(out), "--force"]
                without, without_cpu = evalkit(*common, "--no-pdf")
                with_, with_cpu = evalkit(*common)
                runs.append((with_ - without, without, with_, with_cpu - without_cpu))
            best = min(runs)
            report_added[f"{scheme} {year}"] = best[0]
            spread = (
                f"; median of {len(runs)} pairs {statistics.median(r[0] for r in runs):.2f} s, "
                f"worst {max(runs)[0]:.2f} s"
                if len(runs) > 1
                else ""
            )
            print(
                f"evalkit report {scheme} {year}: {best[1]:.2f} s with --no-pdf, {best[2]:.2f} s "
                f"with the PDF: {best[0]:.2f} s added ({best[3]:.2f} s of CPU{spread}; {load()})",
                flush=True,
            )
        worst = max(report_added, key=report_added.get)
        print(
            f"evalkit report alone: the PDF adds {statistics.mean(report_added.values()):.2f} s "
            f"on average, at most {report_added[worst]:.2f} s ({worst}); goal ≤ {REPORT_GOAL} s "
            f"for each: {sum(t <= REPORT_GOAL for t in report_added.values())} of "
            f"{len(report_added)} within it",
            flush=True,
        )
        # 3. each PDF made in this process, WeasyPrint warm
        documents = sorted((tmp / "html").glob("*/*/report.html"))
        pages = {
            html: (
                json.loads((html.parent / "manifest.json").read_text("utf-8"))["title"],
                html.read_text(encoding="utf-8"),
            )
            for html in documents
        }
        runs_here: dict[Path, list[tuple[float, float]]] = {html: [] for html in documents}
        for _ in range(args.repeat):  # round after round, so that a slow spell hits them all
            for html, (title, text) in pages.items():
                cpu, start = time.process_time(), time.perf_counter()
                pdf.write_pdf(text, tmp / "report.pdf", title=title)
                runs_here[html].append((time.perf_counter() - start, time.process_time() - cpu))
        times = {}
        for html, seconds in runs_here.items():
            name = f"{html.parent.parent.name} {html.parent.name}"
            times[name] = min(s for s, _ in seconds)
            print(
                f"{name:<20} best {times[name]:5.2f} s, CPU {min(c for _, c in seconds):5.2f} s "
                f"(runs: {', '.join(f'{s:.2f}' for s, _ in seconds)})  "
                f"{len(pages[html][1]) // 1024:4d} KiB of HTML",
                flush=True,
            )
    print(
        f"each PDF made here, best of {args.repeat}: mean {statistics.mean(times.values()):.2f} s, "
        f"worst {max(times.values()):.2f} s ({max(times, key=times.get)}); {load()}"
    )


if __name__ == "__main__":
    import speed_probe  # beside this script: how fast the processor is, before and after

    print(speed_probe.line("start"), flush=True)
    main()
    print(speed_probe.line("end"))
