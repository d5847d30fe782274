"""One year of one scheme, evaluated: read → clean → validate → metrics → comparisons.

This is the single entry point notebooks and commands call; everything a document shows is
computed here once and saved by :meth:`Evaluation.save` as ``metrics.json``,
``data_quality.csv`` and ``tables.xlsx``.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit import excel, inert, paths, stats, wording
from evalkit.clean import CleanResult, clean_export
from evalkit.config import Scheme, load_scheme, load_scheme_file
from evalkit.errors import EvalkitError, ParameterError
from evalkit.geography import check_year_covered
from evalkit.metrics import compute_metrics
from evalkit.read import read_export

log = logging.getLogger(__name__)

#: The exports :func:`load_year` read in this process, as (resolved path, sha256 of the bytes
#: parsed), since :func:`take_reads` last emptied it. The runner takes them from the kernel
#: after a document has run and checks them against the hashes its cache key was made from;
#: bounded, so that a long session reading many files keeps only the latest reads.
_READS: collections.deque[tuple[str, str]] = collections.deque(maxlen=10_000)
_READS_LOCK = threading.Lock()


def take_reads() -> list[tuple[str, str]]:
    """The exports read by :func:`load_year` since the last call, as (resolved path, sha256
    of the bytes parsed); empties the record."""
    with _READS_LOCK:
        reads = list(_READS)
        _READS.clear()
    return reads


def load_year(
    scheme: str | Scheme, year: int, data_dir: Path | str | None = None, *, strict: bool = False
) -> CleanResult:
    """Read and clean the export of ``scheme`` for ``year`` found in ``data_dir``.

    The read is recorded, with the sha256 of the bytes parsed, for :func:`take_reads`.
    """
    sch = load_scheme(scheme) if isinstance(scheme, str) else scheme
    check_year_covered(int(year))
    data_dir = Path(data_dir) if data_dir else paths.default_data_dir(sch.name)
    path = paths.find_export(data_dir, sch.name, year)
    if path is None:
        years = paths.available_years(data_dir, sch.name)
        have = f"choose one of {', '.join(map(str, years))}" if years else "no year has data yet"
        raise EvalkitError(
            f"No export for {sch.name} {year} in {data_dir / sch.name}/. Put the file at "
            f"data/raw/{sch.name}/{year}.xlsx, or {have}."
        )
    raw = read_export(path, sch)
    with _READS_LOCK:
        _READS.append((str(Path(path).resolve()), raw.sha256))
    return clean_export(raw, sch, int(year), strict=strict)


def check_compare_with(year: int, compare_with: list[int] | None) -> None:
    """Refuse comparing a year with itself, or naming a year twice."""
    if not compare_with:
        return
    if int(year) in {int(y) for y in compare_with}:
        raise ParameterError(
            f"compare_with names {year}, the year of the document itself; compare with "
            "earlier or later years (or leave compare_with out for the latest earlier year)."
        )
    seen: set[int] = set()
    twice = sorted({int(y) for y in compare_with if int(y) in seen or seen.add(int(y))})
    if twice:
        raise ParameterError(
            f"compare_with names {', '.join(map(str, twice))} more than once; name each year once."
        )


def default_compare_year(scheme: str, year: int, data_dir: Path | str) -> int | None:
    """The latest year before ``year`` that has data, or None."""
    earlier = [y for y in paths.available_years(data_dir, scheme) if y < year]
    return max(earlier) if earlier else None


@dataclass
class Evaluation:
    """Everything a per-year document shows."""

    scheme: Scheme
    year: int
    data_dir: Path
    synthetic: bool
    result: CleanResult
    metrics: dict
    others: dict[int, dict] = field(default_factory=dict)  # compared years' metrics

    @property
    def tidy(self) -> pd.DataFrame:
        return self.result.tidy

    @property
    def data_quality(self) -> pd.DataFrame:
        return self.result.data_quality()

    def save(
        self,
        out_dir: Path | str,
        tables: Mapping[str, pd.DataFrame] | list[excel.Sheet] | None = None,
    ) -> list[Path]:
        """Write ``metrics.json``, ``data_quality.csv`` and (given tables) ``tables.xlsx``.

        Each file is written to a temporary name and renamed, so a reader never sees half a
        file. Returns the paths written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            paths.write_atomic(out / "metrics.json", metrics_json(self.metrics)),
            inert.write_csv(out / "data_quality.csv", self.data_quality),
        ]
        if tables is not None:
            writer = excel.write_frames if isinstance(tables, Mapping) else excel.write_workbook
            written.append(writer(out / "tables.xlsx", tables))
        return written


def metrics_json(metrics: dict) -> str:
    """Stable, readable JSON (sorted keys are not used: the order is the contract's)."""
    return json.dumps(metrics, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def compare_years(metrics: dict, others: dict[int, dict]) -> list[dict]:
    """Every share of this year against the same share in each compared year.

    The family for Holm's adjustment is every comparison in the document: with several
    compared years the p-values are adjusted together.
    """
    records: list[dict] = []
    for other_year, other in sorted(others.items(), reverse=True):
        records += [
            wording.named_test(r)
            for r in stats.compare_shares(
                metrics["shares"], other["shares"], metrics["year"], other_year
            )
        ]
    if len({r["other_year"] for r in records}) > 1:
        stats.adjust_holm(records)  # p_adjusted and holds_after_holm over the whole family
    return records


def resolve_scheme(scheme: str | Scheme, scheme_file: Path | str | None = None) -> Scheme:
    """The scheme: loaded from ``scheme_file`` when given (its ``scheme:`` must be
    ``scheme``), else by name; a loaded :class:`~evalkit.config.Scheme` as it is."""
    if not isinstance(scheme, str):
        return scheme
    if scheme_file:
        sch = load_scheme_file(scheme_file)
        if sch.name != scheme:
            raise ParameterError(
                f"{scheme_file} is the scheme {sch.name!r}, not {scheme!r}. Pass the file of "
                f"{scheme}, or scheme={sch.name!r}."
            )
        return sch
    return load_scheme(scheme)


def evaluate(
    scheme: str | Scheme,
    year: int,
    *,
    scheme_file: Path | str | None = None,
    data_dir: Path | str | None = None,
    compare_with: list[int] | None = None,
    strict: bool = False,
) -> Evaluation:
    """Evaluate one year and compare it with earlier years.

    Parameters
    ----------
    scheme, year
        The grant scheme (a name or a loaded :class:`~evalkit.config.Scheme`) and the funding
        year.
    data_dir
        Folder holding ``<scheme>/<year>.<ext>``; default ``data/raw`` when it has the
        scheme's files, else the bundled synthetic ``data/demo``.
    compare_with
        Years to compare with; default the latest earlier year with data. ``[]`` compares
        with none.
    strict
        Stop on unknown category values instead of flagging them.
    scheme_file
        The scheme's YAML, when it is not found by its name (a scheme of the user's own
        outside the project's ``schemes/``).
    """
    sch = resolve_scheme(scheme, scheme_file)
    check_compare_with(year, compare_with)
    data_dir = Path(data_dir) if data_dir else paths.default_data_dir(sch.name)
    result = load_year(sch, year, data_dir, strict=strict)
    synthetic = paths.is_synthetic(data_dir)
    metrics = compute_metrics(result, sch, synthetic=synthetic)
    metrics["data_dir"] = str(data_dir)
    if compare_with is None:
        default = default_compare_year(sch.name, year, data_dir)
        compare_with = [default] if default is not None else []
    others: dict[int, dict] = {}
    for other in compare_with:
        other_result = load_year(sch, other, data_dir, strict=False)
        others[int(other)] = compute_metrics(other_result, sch, synthetic=synthetic)
    metrics["compare_with"] = [int(y) for y in compare_with]
    metrics["comparisons"] = compare_years(metrics, others)
    ev = Evaluation(sch, int(year), data_dir, synthetic, result, metrics, others)
    from evalkit.numbering import begin

    begin(ev)  # the document a researcher's own figures and tables go into; house style
    return ev
