"""The ``evalkit`` command (``python -m evalkit`` does the same).

Errors go to stderr as plain sentences (what, where, how to fix); ``--debug`` shows the
traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from evalkit import __version__
from evalkit.errors import EvalkitError, StructuralError

log = logging.getLogger("evalkit")


def default_jobs() -> int:
    """Documents built at once by default: one per processor available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _jobs(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("--jobs must be 1 or more")
    return value


def _years(text: str) -> list[int]:
    """``2019-2024`` or ``2019,2021`` or ``2022``."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            out.extend(range(a, b + 1))
        elif part:
            out.append(int(part))
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    from evalkit.clean import clean_export
    from evalkit.config import load_scheme
    from evalkit.read import read_export

    scheme = load_scheme(args.scheme)
    try:
        result = clean_export(read_export(args.file, scheme), scheme, args.year, strict=args.strict)
    except StructuralError as err:
        print(f"Structural error: {err.message}", file=sys.stderr)
        print("Nothing was written.", file=sys.stderr)
        return 2
    dq = result.data_quality()
    flagged = dq[dq["action"] != "excluded"]
    excluded = dq[dq["action"] == "excluded"]
    print(
        f"{args.file}: {result.n_read} rows read, {result.n_kept} kept, {len(excluded)} excluded "
        f"(layout {result.layout})."
    )
    if len(excluded):
        for reason, n in excluded["problem"].value_counts().items():
            print(f"  excluded: {n} × {reason}")
    if len(flagged):
        print(f"{len(flagged)} flagged cell(s):")
        for (column, problem), n in flagged.groupby(["column", "problem"]).size().items():
            rows = flagged[(flagged["column"] == column) & (flagged["problem"] == problem)]["row"]
            shown = ", ".join(str(r) for r in rows.dropna().head(8))
            print(f"  {column}: {n} × {problem}" + (f" (rows {shown})" if shown else ""))
        return 1
    print("No flagged cells.")
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from evalkit.evaluation import evaluate, metrics_json

    ev = evaluate(
        args.scheme,
        args.year,
        data_dir=args.data_dir,
        compare_with=args.compare_with,
        strict=args.strict,
    )
    sys.stdout.write(metrics_json(ev.metrics))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from evalkit.demo import generate

    for path in generate(args.out):
        print(path)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from evalkit.runner import report_year

    res = report_year(
        args.scheme,
        args.year,
        compare_with=args.compare_with,
        data_dir=args.data_dir,
        out_dir=args.out,
        force=args.force,
        strict=args.strict,
    )
    stream = sys.stdout if res.status != "failed" else sys.stderr
    print(f"{args.scheme} {args.year}: {res.status}. {res.message or ''}".rstrip(), file=stream)
    return 0 if res.status != "failed" else 1


def cmd_build(args: argparse.Namespace) -> int:
    from evalkit.runner import build
    from evalkit.runner.plan import output_root

    schemes = [args.scheme] if args.scheme else None
    results = build(
        schemes,
        args.years,
        data_dir=args.data_dir,
        out_dir=args.out,
        jobs=args.jobs,
        force=args.force,
        fresh_kernels=args.fresh_kernel,
    )
    print(f"Index: {output_root(args.out) / 'index.html'}")
    return 1 if any(r.status == "failed" for r in results) else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"evalkit {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("report", help="build one per-year document")
    r.add_argument("scheme")
    r.add_argument("year", type=int)
    r.add_argument("--compare-with", type=int, nargs="*", default=None, metavar="Y")
    r.add_argument("--data-dir", type=Path, default=None)
    r.add_argument("--out", type=Path, default=None, help="default: outputs/ in the project")
    r.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    r.add_argument("--strict", action="store_true", help="stop on unknown category values")
    r.set_defaults(func=cmd_report)

    b = sub.add_parser("build", help="build every year found in the data, then outputs/index.html")
    b.add_argument("--scheme", default=None)
    b.add_argument("--years", type=_years, default=None, help="e.g. 2019-2024 or 2021,2023")
    b.add_argument("--data-dir", type=Path, default=None)
    b.add_argument("--out", type=Path, default=None, help="default: outputs/ in the project")
    b.add_argument(
        "--jobs",
        type=_jobs,
        default=default_jobs(),
        help=f"documents built at the same time, each in its own kernel (default: the number "
        f"of processors, here {default_jobs()})",
    )
    b.add_argument("--force", action="store_true")
    b.add_argument(
        "--fresh-kernel",
        action="store_true",
        help="start a fresh kernel for every document (default: each worker reuses its kernel)",
    )
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="read and clean one file; print the data-quality summary")
    v.add_argument("file", type=Path)
    v.add_argument("--scheme", required=True)
    v.add_argument("--year", type=int, required=True)
    v.add_argument("--strict", action="store_true")
    v.set_defaults(func=cmd_validate)

    m = sub.add_parser("metrics", help="print a year's metrics.json (comparisons included)")
    m.add_argument("scheme")
    m.add_argument("year", type=int)
    m.add_argument("--data-dir", type=Path, default=None)
    m.add_argument("--compare-with", type=int, nargs="*", default=None, metavar="Y")
    m.add_argument("--strict", action="store_true")
    m.set_defaults(func=cmd_metrics)

    d = sub.add_parser("demo", help="regenerate the synthetic demo data, byte for byte")
    d.add_argument("--out", type=Path, default=Path("data/demo"))
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except EvalkitError as err:
        if args.debug:
            raise
        print(f"evalkit: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:  # a build says what was finished and what was not
        if getattr(err, "message", None):
            print(f"evalkit: {err.message}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
