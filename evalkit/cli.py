"""The ``evalkit`` command (``python -m evalkit`` does the same).

Errors go to stderr as plain sentences (what, where, how to fix); ``--debug`` shows the
traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
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


#: The most years one ``--years`` may name: more is a typing mistake, not a request.
MAX_YEARS = 100
_YEAR_PART = re.compile(r"^\s*([0-9]{4})\s*(?:[-–]\s*([0-9]{4})\s*)?$")


def _year(text: str) -> int:
    """A four-digit year written with 0-9 (``２０２２`` in fullwidth digits is refused, not
    read as 2022)."""
    m = _YEAR_PART.match(text)
    if not m or m.group(2):
        raise argparse.ArgumentTypeError(
            f"{text.strip()!r} is not a year; write four digits 0-9, e.g. 2023"
        )
    return int(m.group(1))


def _years(text: str) -> list[int]:
    """``2019-2024`` or ``2019,2021`` or ``2022``: four-digit years, ranges low to high."""
    out: list[int] = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = _YEAR_PART.match(part)
        if not m:
            raise argparse.ArgumentTypeError(
                f"{part.strip()!r} is not a year or a range of years; write e.g. 2019-2024 or "
                "2021,2023 (four-digit years)"
            )
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if last < first:
            raise argparse.ArgumentTypeError(
                f"the range {first}-{last} runs backwards; write {last}-{first}"
            )
        out.extend(range(first, last + 1))
        if len(out) > MAX_YEARS:
            raise argparse.ArgumentTypeError(
                f"{text!r} names more than {MAX_YEARS} years; name the years that have data, "
                "e.g. 2019-2024"
            )
    if not out:
        raise argparse.ArgumentTypeError("no year given; write e.g. 2019-2024 or 2021,2023")
    return sorted(set(out))


def _scheme_name(text: str) -> str:
    """A scheme's name (letters, digits, ``_`` and ``-``), never a path: a YAML file elsewhere
    is named with ``--scheme-file``."""
    if not _SCHEME_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a scheme name (letters, digits, _ and - only); to use a scheme "
            "file elsewhere, pass its path with --scheme-file"
        )
    return text


_SCHEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _lang(text: str) -> str:
    """``--lang``: nb (bokmål), nn (nynorsk) or en (English)."""
    from evalkit.paths import LANGUAGES

    lang = text.strip().lower()
    if lang not in LANGUAGES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a language evalkit writes documents in; write nb (bokmål), "
            "nn (nynorsk) or en (English)"
        )
    return lang


def _folder(text: str) -> Path:
    """An existing folder (``--data-dir``)."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"the folder {text} does not exist")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text} is a file, not a folder; give the folder that holds <scheme>/<year>.xlsx"
        )
    return path


def _scheme(args: argparse.Namespace):
    """The scheme named by ``--scheme``/``SCHEME``, or read from ``--scheme-file``."""
    from evalkit.config import load_scheme, load_scheme_file

    if getattr(args, "scheme_file", None) is not None:
        return load_scheme_file(args.scheme_file)
    return load_scheme(args.scheme)


def _check_year(year: int) -> None:
    from evalkit.years import check_year_covered

    check_year_covered(year)


def _check_compare_with(args: argparse.Namespace) -> None:
    from evalkit.years import check_compare_with

    check_compare_with(args.year, args.compare_with)


def cmd_validate(args: argparse.Namespace) -> int:
    from evalkit.clean import clean_export
    from evalkit.read import read_export

    scheme = _scheme(args)
    _check_year(args.year)
    try:
        result = clean_export(read_export(args.file, scheme), scheme, args.year, strict=args.strict)
    except StructuralError as err:
        print(f"Structural error: {err.message}", file=sys.stderr)
        print("Nothing was written.", file=sys.stderr)
        return 2
    dq = result.data_quality()
    flagged = dq[dq["action"] != "excluded"]
    flagged = flagged.assign(column=flagged["column"].fillna("(the file)"))
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

    if (args.scheme is None) == (args.scheme_file is None):
        raise EvalkitError(
            "Name the scheme (evalkit metrics SCHEME YEAR) or give its YAML file "
            "(evalkit metrics --scheme-file FILE YEAR), one of the two."
        )

    _check_year(args.year)
    _check_compare_with(args)
    ev = evaluate(
        _scheme(args),
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


def _named_scheme(args: argparse.Namespace, command: str) -> None:
    """``--scheme-file``: the YAML made known by its name, which ``args.scheme`` then holds."""
    if args.scheme_file is None:
        return
    if args.scheme is not None:
        raise EvalkitError(
            f"Name the scheme or give its YAML file (evalkit {command} --scheme-file FILE …), "
            "not both."
        )
    from evalkit.config import use_scheme_file

    args.scheme = use_scheme_file(args.scheme_file)


def cmd_report(args: argparse.Namespace) -> int:
    """One document per language: ``--lang``'s, else every one the scheme lists."""
    from evalkit.runner import report_year
    from evalkit.runner.plan import fallback_line, languages_for
    from evalkit.scheme_summary import summarize

    _named_scheme(args, "report")
    if args.scheme is None:
        raise EvalkitError(
            "Name the scheme (evalkit report SCHEME YEAR) or give its YAML file "
            "(evalkit report --scheme-file FILE YEAR)."
        )
    _check_year(args.year)
    _check_compare_with(args)
    langs, note = languages_for(args.scheme, args.lang)
    if note:
        print(f"evalkit: {note}", file=sys.stderr)
    failed = False
    for lang in langs:
        if line := fallback_line(summarize(args.scheme), lang):
            print(f"evalkit: {line}", file=sys.stderr)
        res = report_year(
            args.scheme,
            args.year,
            compare_with=args.compare_with,
            data_dir=args.data_dir,
            out_dir=args.out,
            force=args.force,
            strict=args.strict,
            pdf=not args.no_pdf,
            lang=lang,
        )
        failed = failed or res.status == "failed"
        stream = sys.stdout if res.status != "failed" else sys.stderr
        print(f"{res.name}: {res.status}. {res.message or ''}".rstrip(), file=stream)
    return 1 if failed else 0


def cmd_layout(args: argparse.Namespace) -> int:
    """Propose a layout for an export whose headers changed: YAML on stdout, summary on stderr.

    The header row is found as ``validate`` finds it, and a file without one (its first rows
    are data) exits 2 with nothing proposed. No cell value is printed, and every header and
    error is made safe for the terminal (:func:`evalkit.inert.visible`).
    """
    from evalkit.inert import visible
    from evalkit.layout import proposal_summary, proposal_yaml, propose_layout_for_file

    scheme = _scheme(args)
    try:
        proposal = propose_layout_for_file(args.file, scheme, name=args.name)
    except EvalkitError as err:  # a reader's message may quote what the file holds
        raise EvalkitError(visible(err)) from err
    sys.stdout.write(proposal_yaml(proposal, scheme))
    sys.stderr.write(proposal_summary(proposal, scheme))
    return 0


def cmd_notebook(args: argparse.Namespace) -> int:
    """Write ``notebooks/<scheme>.py``, one cell per piece of the document."""
    from evalkit.config import load_scheme
    from evalkit.document.notebook import write_notebook
    from evalkit.paths import show_path

    scheme = load_scheme(args.scheme)
    path = write_notebook(scheme, force=args.force)
    print(f"Wrote {show_path(path)}: one cell per piece of the document.")
    if scheme.notebook and scheme.notebook != path.name:
        print(
            f"Note: {show_path(scheme.path)} names `notebook: {scheme.notebook}`, which the "
            f"runner builds instead; change it to `notebook: {path.name}` (or remove the line) "
            "to build this one.",
            file=sys.stderr,
        )
    print(f"Open it in JupyterLab, or build it: evalkit report {scheme.name} YEAR")
    return 0


def _check_years_have_data(
    schemes: list[str] | None, years: list[int], data_dir: Path | None
) -> None:
    """Refuse a ``--years`` that matches no export, naming the folders looked in."""
    from evalkit import paths
    from evalkit.scheme_files import available_schemes
    from evalkit.scheme_summary import summarize

    looked: list[str] = []
    for name in schemes or available_schemes():
        scheme = summarize(name)  # an unknown name is an error here, before anything runs
        folder = data_dir if data_dir else paths.default_data_dir(scheme.name)
        found = paths.available_years(folder, scheme.name)
        if set(found) & set(years):
            return
        have = f"years with data: {_span(found)}" if found else "no exports"
        looked.append(f"{folder / scheme.name}/ ({have})")
    raise EvalkitError(
        f"No export for {_span(years)} in " + "; ".join(looked) + ". Choose years that have "
        "data, or point --data-dir at the folder that holds <scheme>/<year>.xlsx."
    )


def _span(years: list[int]) -> str:
    years = sorted(years)
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


def cmd_build(args: argparse.Namespace) -> int:
    from evalkit.runner import build
    from evalkit.runner.plan import output_root

    _named_scheme(args, "build")
    schemes = [args.scheme] if args.scheme else None
    if args.years is not None:
        _check_years_have_data(schemes, args.years, args.data_dir)
    results = build(
        schemes,
        args.years,
        data_dir=args.data_dir,
        out_dir=args.out,
        jobs=args.jobs,
        force=args.force,
        fresh_kernels=args.fresh_kernel,
        pdf=not args.no_pdf,
        langs=None if args.lang is None else [args.lang],
    )
    print(f"Index: {output_root(args.out) / 'index.html'}")
    return 1 if any(r.status == "failed" for r in results) else 0


_OS_FIXES = {
    errno.ENOSPC: "the disk is full: free some space and run again",
    errno.EDQUOT: "the disk quota is used up: free some space and run again",
    errno.EACCES: "you may not write there: choose another --out or change the folder's permissions",
    errno.EPERM: "the folder may not be changed (it may be immutable): choose another --out",
    errno.EROFS: "the disk is read-only: choose another --out",
    errno.ENOTDIR: "a file stands where a folder is needed: choose another --out or move the file",
    errno.EEXIST: "a file stands where a folder is needed: choose another --out or move the file",
    errno.ENOENT: "check the path",
}


def describe_os_error(err: OSError) -> str:
    """One sentence for a failed read or write: which path, why, and what to do."""
    where = err.filename if err.filename is not None else "(unknown path)"
    cause = err.strerror or type(err).__name__
    fix = _OS_FIXES.get(err.errno or 0, "check the path and its permissions")
    return (
        f"Could not use {where}: {cause}. To fix: {fix}. Outputs written earlier are kept as "
        "they were."
    )


LANG_HELP = (
    "only the document in this language: nb (bokmål), nn (nynorsk) or en (English); default: "
    "every language the scheme lists (bokmål when it lists none)"
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"evalkit {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("report", help="build one per-year document")
    r.add_argument("scheme", type=_scheme_name, nargs="?", default=None)
    r.add_argument(
        "--scheme-file", type=Path, help="a scheme YAML file (instead of SCHEME)", metavar="YAML"
    )
    r.add_argument("year", type=_year)
    r.add_argument("--compare-with", type=_year, nargs="*", default=None, metavar="Y")
    r.add_argument("--data-dir", type=_folder, default=None)
    r.add_argument("--out", type=Path, default=None, help="default: outputs/ in the project")
    r.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    r.add_argument("--strict", action="store_true", help="stop on unknown category values")
    r.add_argument("--no-pdf", action="store_true", help="skip report.pdf (quicker iterations)")
    r.add_argument("--lang", type=_lang, default=None, help=LANG_HELP, metavar="nb|nn|en")
    r.set_defaults(func=cmd_report)

    b = sub.add_parser("build", help="build every year found in the data, then outputs/index.html")
    b.add_argument("--scheme", type=_scheme_name, default=None)
    b.add_argument(
        "--scheme-file", type=Path, help="a scheme YAML file (instead of --scheme)", metavar="YAML"
    )
    b.add_argument("--years", type=_years, default=None, help="e.g. 2019-2024 or 2021,2023")
    b.add_argument("--data-dir", type=_folder, default=None)
    b.add_argument("--out", type=Path, default=None, help="default: outputs/ in the project")
    b.add_argument(
        "--jobs",
        type=_jobs,
        default=default_jobs(),
        help=f"documents built at the same time, each in its own kernel (default: the number "
        f"of processors, here {default_jobs()})",
    )
    b.add_argument("--force", action="store_true")
    b.add_argument("--no-pdf", action="store_true", help="skip report.pdf (quicker iterations)")
    b.add_argument("--lang", type=_lang, default=None, help=LANG_HELP, metavar="nb|nn|en")
    b.add_argument(
        "--fresh-kernel",
        action="store_true",
        help="start a fresh kernel for every document (default: each worker reuses its kernel)",
    )
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="read and clean one file; print the data-quality summary")
    v.add_argument("file", type=Path)
    which = v.add_mutually_exclusive_group(required=True)
    which.add_argument("--scheme", type=_scheme_name, help="a bundled scheme's name")
    which.add_argument(
        "--scheme-file", type=Path, help="a scheme YAML file (instead of --scheme)", metavar="YAML"
    )
    v.add_argument("--year", type=_year, required=True)
    v.add_argument("--strict", action="store_true")
    v.set_defaults(func=cmd_validate)

    m = sub.add_parser("metrics", help="print a year's metrics.json (comparisons included)")
    m.add_argument("scheme", type=_scheme_name, nargs="?", default=None)
    m.add_argument(
        "--scheme-file", type=Path, help="a scheme YAML file (instead of SCHEME)", metavar="YAML"
    )
    m.add_argument("year", type=_year)
    m.add_argument("--data-dir", type=_folder, default=None)
    m.add_argument("--compare-with", type=_year, nargs="*", default=None, metavar="Y")
    m.add_argument("--strict", action="store_true")
    m.set_defaults(func=cmd_metrics)

    lay = sub.add_parser(
        "layout",
        help="propose a layout for an export whose headers changed (YAML to paste under layouts:)",
    )
    lay.add_argument("file", type=Path)
    which = lay.add_mutually_exclusive_group(required=True)
    which.add_argument("--scheme", type=_scheme_name, help="a bundled scheme's name")
    which.add_argument(
        "--scheme-file", type=Path, help="a scheme YAML file (instead of --scheme)", metavar="YAML"
    )
    lay.add_argument(
        "--name", default=None, help="the new layout's name (default: proposed-<year or file name>)"
    )
    lay.set_defaults(func=cmd_layout)

    nb = sub.add_parser(
        "notebook",
        help="write notebooks/SCHEME.py: the document with one cell per piece, to edit",
    )
    nb.add_argument("scheme", type=_scheme_name)
    nb.add_argument(
        "--force", action="store_true", help="overwrite an existing notebooks/SCHEME.py"
    )
    nb.set_defaults(func=cmd_notebook)

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
    except OSError as err:  # a folder that cannot be made or written, a full disk, …
        if args.debug:
            raise
        print(f"evalkit: {describe_os_error(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:  # a build says what was finished and what was not
        if getattr(err, "message", None):
            print(f"evalkit: {err.message}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
