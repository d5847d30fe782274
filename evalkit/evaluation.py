"""One year of one scheme, evaluated: read → clean → validate → metrics → comparisons.

This is the single entry point notebooks and commands call; everything a document shows is
computed here once and saved by :meth:`Evaluation.save` as ``metrics.json`` and
``data_quality.csv``. The documents (:mod:`evalkit.document`) read it; it knows nothing of them.
"""

from __future__ import annotations

import collections
import json
import logging
import numbers
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import cleaned_cache, inert, paths, stats, wording
from evalkit.analysis import analysis_frame, data_dictionary
from evalkit.clean import CleanResult, clean_export
from evalkit.config import Scheme, load_scheme, load_scheme_file
from evalkit.errors import EvalkitError, ParameterError
from evalkit.i18n import check_language, set_language
from evalkit.metrics import compute_metrics
from evalkit.read import read_export
from evalkit.years import check_compare_with, check_year_covered

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
    scheme: str | Scheme,
    year: int,
    data_dir: Path | str | None = None,
    *,
    strict: bool = False,
    cache_dir: Path | str | None = None,
) -> CleanResult:
    """Read and clean the export of ``scheme`` for ``year`` found in ``data_dir``.

    The read is recorded, with the sha256 of the export's bytes, for :func:`take_reads`.

    Parameters
    ----------
    scheme, year, data_dir, strict
        As :func:`evaluate` takes them.
    cache_dir : Path or str, optional
        Folder of cleaned years (:mod:`evalkit.cleaned_cache`; the runner passes
        ``<out>/_cache/cleaned``). The export's bytes are hashed as they are now; a year
        cleaned before from the same bytes (with the same scheme, evalkit and ``strict``) is
        taken from there instead of being read and cleaned again, and a year cleaned now is
        kept there. None (and a folder inside ``data_dir``): no cache.
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
    if cache_dir in (None, "") or not cleaned_cache.usable_folder(cache_dir, data_dir):
        cache_dir = None
    else:
        kept = _cleaned_before(Path(cache_dir), sch, int(year), Path(path), strict)
        if kept is not None:
            return kept
    raw = read_export(path, sch)
    _record_read(path, raw.sha256)
    result = clean_export(raw, sch, int(year), strict=strict)
    if cache_dir is not None:
        # keyed by the bytes parsed (the file may have changed since it was hashed above)
        key = cleaned_cache.cache_key(raw.sha256, sch, int(year), strict=strict)
        if key:
            cleaned_cache.store(cache_dir, sch, key, result, raw.sha256)
    return result


def _cleaned_before(
    cache_dir: Path, scheme: Scheme, year: int, path: Path, strict: bool
) -> CleanResult | None:
    """The year as cleaned before from the export's bytes as they are now (their read
    recorded), or None."""
    try:
        digest = paths.sha256_file(path)
    except OSError:
        return None  # read_export says what is wrong with the file
    key = cleaned_cache.cache_key(digest, scheme, year, strict=strict)
    kept = cleaned_cache.load(cache_dir, scheme, key, path) if key else None
    if kept is not None:
        _record_read(path, digest)
    return kept


def _record_read(path: Path | str, digest: str) -> None:
    with _READS_LOCK:
        _READS.append((str(Path(path).resolve()), digest))


def _whole_number(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _year_text(value: object) -> int | None:
    """The year a text such as ``"2023"`` holds, or None."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 4:
        return int(value.strip())
    return None


def check_arguments(
    year: object,
    compare_with: object = None,
    *,
    strict: object = False,
    data_dir: object = None,
    scheme_file: object = None,
) -> None:
    """Check the types of what a notebook's parameters cell passes to :func:`evaluate`.

    The runner checks the parameters it passes against the cell; in JupyterLab the cell is
    edited by hand, so a quoted year or a single compared year without brackets reaches
    :func:`evaluate` as it is. Each wrong type is one sentence saying what to change in the
    parameters cell (:class:`~evalkit.errors.ParameterError`).
    """
    if not _whole_number(year):
        if (number := _year_text(year)) is not None:
            raise ParameterError(
                f'year must be a whole number such as {number}, not the text "{year}": remove '
                "the quotes in the parameters cell."
            )
        raise ParameterError(
            f"year must be a whole number such as 2023, not {year!r}: write the year as four "
            "digits without quotes in the parameters cell."
        )
    if compare_with is not None:
        if _whole_number(compare_with):
            raise ParameterError(
                f"compare_with must be a list of years such as [{compare_with}], not the single "
                f"number {compare_with}: put it in brackets in the parameters cell "
                f"(compare_with: list[int] | None = [{compare_with}])."
            )
        if (number := _year_text(compare_with)) is not None:
            raise ParameterError(
                f"compare_with must be a list of years such as [{number}], not the text "
                f'"{compare_with}": write it without quotes, in brackets, in the parameters '
                f"cell (compare_with: list[int] | None = [{number}])."
            )
        if not isinstance(compare_with, (list, tuple)):
            raise ParameterError(
                f"compare_with must be a list of years such as [2022], or None, not "
                f"{compare_with!r}: correct it in the parameters cell."
            )
        for item in compare_with:
            if _whole_number(item):
                continue
            if (number := _year_text(item)) is not None:
                raise ParameterError(
                    f"compare_with must hold whole numbers such as [{number}], not the text "
                    f'"{item}": remove the quotes in the parameters cell.'
                )
            raise ParameterError(
                f"compare_with must hold years such as [2022], not {item!r}: correct it in the "
                "parameters cell."
            )
    if not isinstance(strict, (bool, np.bool_)):
        raise ParameterError(
            f"strict must be True or False, not {strict!r}: write strict: bool = False (or "
            "True) in the parameters cell."
        )
    for name, value in (("data_dir", data_dir), ("scheme_file", scheme_file)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise ParameterError(
                f'{name} must be a path in quotes (or ""), not {value!r}: correct it in the '
                "parameters cell."
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
    #: The document's language (``nb``, ``nn`` or ``en``; :mod:`evalkit.i18n`).
    lang: str = "nb"

    @property
    def tidy(self) -> pd.DataFrame:
        """The year's cleaned rows, one per project (or application), as the metrics read
        them: do not change it. For an analysis of your own use :attr:`data`.

        Types are pandas' nullable ones, ``<NA>`` for a missing value. The columns, in order:

        - ``_row`` (Int64): the row of the export, as Excel numbers it;
        - the scheme's id field (string), unique;
        - ``county_code`` and ``county_name`` (string): the county field, as SSB's number and
          name in the year (``<NA>`` where it could not be placed, flagged);
        - then each field of the scheme's YAML, in its order: a yes/no field ``boolean``
          (``<NA>``: not answered, or an answer that is neither yes nor no, flagged); a
          checkbox ``bool`` (blank is not checked); a category the vocabulary's code
          (string); an amount whole kroner (Int64; an implausible one is ``<NA>``, flagged);
          a round Int64 (1 or 2); a reasons field one ``boolean`` column
          ``<target>.<code>`` per code of its vocabulary; text and municipality numbers as
          string;
        - ``municipalities_reached`` (string): every municipality number of the row, and
          ``municipalities_by_name`` (bool): whether some of them were found by their names
          (no code could be kept, or a list gave names), when the scheme has municipality
          fields; then the YAML's ``derived`` yes/no columns (``boolean``).

        :meth:`dictionary` lists the columns with their labels, values and missing counts.
        """
        return self.result.tidy

    @property
    def data(self) -> pd.DataFrame:
        """A copy of :attr:`tidy` that pandas, seaborn and statsmodels formulas take as it
        is: yes/no, checkbox and reason columns 1.0/0.0 (NaN when missing), whole numbers
        int64 (float64 with NaN when some are missing), categories and text as Python strings
        (None when missing). A new copy each time: ``df = ev.data``, then change ``df``.
        Same as ``ev.analysis_frame()``; see :mod:`evalkit.analysis`.
        """
        return analysis_frame(self.tidy, self.scheme)

    def analysis_frame(self, *, labels: bool = False) -> pd.DataFrame:
        """:attr:`data`; with ``labels``, category columns hold the vocabulary's labels
        instead of its codes (for figures)."""
        return analysis_frame(self.tidy, self.scheme, labels=labels)

    def dictionary(self) -> pd.DataFrame:
        """The data dictionary of :attr:`tidy` and :attr:`data`, from the scheme's YAML: one
        row per column with its ``label``, ``field``, ``type``, ``dtype`` (in :attr:`data`),
        ``values`` (a category's codes and labels) and ``missing`` (rows without a value)."""
        return data_dictionary(self.tidy, self.scheme)

    @property
    def data_quality(self) -> pd.DataFrame:
        return self.result.data_quality()

    @property
    def scheme_override(self) -> Path | None:
        """The YAML read instead of the scheme of the same name bundled with evalkit (a copy
        in the project's ``schemes/``), or None; ``scheme.override_line()`` says so in words."""
        return self.scheme.path if self.scheme.replaces_bundled else None

    def save(self, out_dir: Path | str) -> list[Path]:
        """Write ``metrics.json`` and ``data_quality.csv`` (``tables.xlsx`` is the document's:
        :func:`evalkit.document.year.save`).

        Each file is written to a temporary name and renamed, so a reader never sees half a
        file. Returns the paths written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return [
            paths.write_atomic(out / "metrics.json", metrics_json(self.metrics)),
            inert.write_csv(out / "data_quality.csv", self.data_quality),
        ]


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
    cache_dir: Path | str | None = None,
    lang: str = "nb",
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
    cache_dir
        Folder of cleaned years, reused across documents (see :func:`load_year`); None reads
        and cleans every year here.
    lang
        The document's language: ``nb`` (bokmål), ``nn`` (nynorsk) or ``en`` (English). It
        becomes the current language of the kernel (:func:`evalkit.i18n.set_language`), so
        every piece shown after is written in it; kept as ``ev.lang``.
    """
    set_language(check_language(lang))
    check_arguments(year, compare_with, strict=strict, data_dir=data_dir, scheme_file=scheme_file)
    sch = resolve_scheme(scheme, scheme_file)
    check_compare_with(year, compare_with)
    data_dir = Path(data_dir) if data_dir else paths.default_data_dir(sch.name)
    result = load_year(sch, year, data_dir, strict=strict, cache_dir=cache_dir)
    synthetic = paths.is_synthetic(data_dir)
    metrics = compute_metrics(result, sch, synthetic=synthetic)
    metrics["data_dir"] = str(data_dir)
    if compare_with is None:
        default = default_compare_year(sch.name, year, data_dir)
        compare_with = [default] if default is not None else []
    others: dict[int, dict] = {}
    for other in compare_with:
        other_result = load_year(sch, other, data_dir, strict=False, cache_dir=cache_dir)
        others[int(other)] = compute_metrics(other_result, sch, synthetic=synthetic)
    metrics["compare_with"] = [int(y) for y in compare_with]
    metrics["comparisons"] = compare_years(metrics, others)
    metrics["comparison_counts"] = stats.comparison_counts(metrics["comparisons"])
    return Evaluation(sch, int(year), data_dir, synthetic, result, metrics, others, lang=lang)
