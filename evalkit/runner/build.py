"""Build documents: one year (:func:`report_year`), a scheme's trends (:func:`report_trends`),
every year found (:func:`build`), then ``index.html``."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evalkit import paths
from evalkit.config import available_schemes
from evalkit.errors import EvalkitError, ParameterError
from evalkit.paths import show_path
from evalkit.runner.execute import execute
from evalkit.runner.index import scheme_errors, write_index
from evalkit.runner.kernels import KERNEL_NAME
from evalkit.runner.params import check_scheme, years_text
from evalkit.runner.plan import (
    TRENDS_FOLDER,
    TRENDS_NOTEBOOK,
    BuildResult,
    check_cache,
    output_root,
    plan,
)

log = logging.getLogger(__name__)


def report_year(
    scheme: str,
    year: int,
    *,
    compare_with: Iterable[int] | None = None,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    force: bool = False,
    strict: bool = False,
    notebook: Path | str | None = None,
    kernel_name: str = KERNEL_NAME,
    parameters: Mapping[str, Any] | None = None,
    title: str | None = None,
    folder: str | None = None,
) -> BuildResult:
    """Build (or find up to date) the document of one scheme and year.

    Parameters
    ----------
    scheme : str
        Scheme name (a YAML in ``evalkit/schemes``).
    year : int
        The year; ``"2022"`` from a command line is accepted.
    compare_with : list of int, optional
        Years to compare with. Default: the latest earlier year with data (none if there is
        none); ``[]`` compares with nothing.
    data_dir : Path or str, optional
        Folder holding ``<scheme>/<year>.<ext>``. Default: ``data/raw`` when it holds the
        scheme's files, else ``data/demo``.
    out_dir : Path or str, optional
        The outputs folder (default ``outputs/`` under the project root); the year goes to
        ``out_dir/<scheme>/<year>/``.
    force : bool
        Rebuild even when the cache says nothing changed.
    strict : bool
        Passed to the notebook (stop on unknown category values).
    notebook : Path or str, optional
        The notebook to run; default ``notebooks/<scheme YAML's notebook>``.
    kernel_name : str
        Jupyter kernel, passed to papermill explicitly.
    parameters : mapping, optional
        Further notebook parameters (validated like the rest).
    title : str, optional
        Title of ``report.html``; default the document's first heading.
    folder : str, optional
        Output folder name under ``out_dir/<scheme>/`` instead of the year (``trends``).

    Returns
    -------
    BuildResult
        ``built``, ``cached`` or ``failed`` (a cell raised, or the kernel died: the partial
        notebook is kept in ``out_dir/<scheme>/_failed/<year>/``, the previous output is kept).

    Raises
    ------
    ParameterError
        A parameter is unknown, missing, of the wrong type or out of range; nothing is written.
    """
    started = time.perf_counter()
    job = plan(
        scheme,
        year,
        compare_with=compare_with,
        data_dir=data_dir,
        out_dir=out_dir,
        strict=strict,
        notebook=notebook,
        kernel_name=kernel_name,
        folder=folder,
        parameters=parameters,
        title=title,
    )
    if force:
        job.reason = "--force was given"
    else:
        manifest, job.reason = check_cache(job)
        if manifest is not None:
            if job.failed_dir.exists():  # an older failure; the output matches the inputs now
                shutil.rmtree(job.failed_dir, ignore_errors=True)
            log.info("%s %s: up to date (cache key %s)", job.scheme, job.year, job.key[:12])
            return BuildResult(
                job.scheme,
                job.year,
                "cached",
                job.target,
                f"Up to date: nothing changed since {manifest.get('created', 'the last build')} "
                "(force=True / --force rebuilds).",
                time.perf_counter() - started,
            )
    return execute(job, started)


def report_trends(
    scheme: str,
    *,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    force: bool = False,
    kernel_name: str = KERNEL_NAME,
) -> BuildResult:
    """Build the trends document of ``scheme`` over every year with data, into
    ``out_dir/<scheme>/trends/``. Its cache covers every year's export."""
    folder = (
        Path(data_dir) if data_dir else paths.default_data_dir(scheme, root=paths.project_root())
    )
    years = paths.available_years(folder, scheme)
    if len(years) < 2:
        raise ParameterError(
            f"A trends document needs at least two years of {scheme} in {show_path(folder / scheme)} "
            f"(found {years_text(years) or 'none'}). To fix this, add more years' exports."
        )
    result = report_year(
        scheme,
        years[-1],
        compare_with=years[:-1],
        data_dir=folder,
        out_dir=out_dir,
        force=force,
        notebook=paths.project_root() / "notebooks" / TRENDS_NOTEBOOK,
        kernel_name=kernel_name,
        folder=TRENDS_FOLDER,
    )
    return dataclasses.replace(result, year=TRENDS_FOLDER)


# --------------------------------------------------------------------------------------------
# Every year, and the index
# --------------------------------------------------------------------------------------------
def build(
    schemes: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    *,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    jobs: int = 1,
    force: bool = False,
    progress: bool = True,
    notebook: Path | str | None = None,
    trends: bool = True,
) -> list[BuildResult]:
    """Build every year found in the data, go on past failures, then write ``index.html``.

    Parameters
    ----------
    schemes : list of str, optional
        Default: every scheme.
    years : list of int, optional
        Only these years (those without data are skipped). Default: every year with data.
    data_dir : Path or str, optional
        Default per scheme: ``data/raw`` when it holds the scheme's files, else ``data/demo``.
    out_dir : Path or str
        The outputs folder.
    jobs : int
        Years run at the same time (threads; each run has its own kernel process).
    force : bool
        Rebuild even when nothing changed.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    notebook : Path or str, optional
        Run this notebook instead of each scheme's own.
    trends : bool
        Also build each scheme's trends document (``<scheme>/trends/``) when every year is
        built with the scheme's own notebooks.

    Returns
    -------
    list of BuildResult
        One per year, in scheme and year order.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm.auto import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    wanted = None if years is None else {int(y) for y in years}
    tasks: list[tuple[str, int, Path]] = []
    broken = scheme_errors()
    unbuildable: list[BuildResult] = []
    for scheme in list(schemes) if schemes else available_schemes():
        check_scheme(scheme)
        if scheme in broken:
            message = f"The scheme's configuration could not be loaded: {broken[scheme]}"
            log.error("%s: %s", scheme, message)
            unbuildable.append(BuildResult(scheme, "config", "failed", None, message))
            continue
        folder = (
            Path(data_dir)
            if data_dir
            else paths.default_data_dir(scheme, root=paths.project_root())
        )
        found = paths.available_years(folder, scheme)
        chosen = [y for y in found if wanted is None or y in wanted]
        if not chosen:
            log.info("%s: no years to build in %s", scheme, show_path(folder / scheme))
        tasks.extend((scheme, y, folder) for y in chosen)
        if trends and notebook is None and wanted is None and len(found) >= 2:
            tasks.append((scheme, TRENDS_FOLDER, folder))

    def one(task: tuple[str, Any, Path]) -> BuildResult:
        scheme, year, folder = task
        started = time.perf_counter()
        try:
            if year == TRENDS_FOLDER:
                return report_trends(scheme, data_dir=folder, out_dir=out_dir, force=force)
            return report_year(
                scheme, year, data_dir=folder, out_dir=out_dir, force=force, notebook=notebook
            )
        except EvalkitError as err:
            log.error("%s %s failed: %s", scheme, year, err)
            return BuildResult(
                scheme, year, "failed", None, str(err), time.perf_counter() - started
            )
        except Exception as err:  # a bug: report it for the year, go on with the others
            log.exception("%s %s failed", scheme, year)
            message = f"{type(err).__name__}: {err}"
            return BuildResult(scheme, year, "failed", None, message, time.perf_counter() - started)

    results: dict[int, BuildResult] = {}
    redirect = logging_redirect_tqdm() if progress else contextlib.nullcontext()
    bar = tqdm(total=len(tasks), disable=not progress, unit="år", desc="evalkit")
    with redirect, bar:
        if jobs <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                bar.set_postfix_str(f"{task[0]} {task[1]}")
                results[i] = one(task)
                bar.update()
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="evalkit") as pool:
                futures = {pool.submit(one, task): i for i, task in enumerate(tasks)}
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    bar.set_postfix_str(f"{tasks[i][0]} {tasks[i][1]}: {results[i].status}")
                    bar.update()
    ordered = unbuildable + [results[i] for i in range(len(tasks))]
    write_index(output_root(out_dir))
    return ordered
