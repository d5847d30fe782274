"""Build documents: one year (:func:`report_year`), a scheme's trends (:func:`report_trends`),
every year found (:func:`build`), then ``index.html``.

Documents run in worker threads, each with its own kernel (:class:`WarmKernel`), started once
and used for document after document; a failed document gets its worker a fresh kernel. The
terminal shows a progress bar and one line per document; logs (evalkit's, papermill's and the
kernels' own) go to ``<out>/_logs/build.log``.

One evalkit at a time writes to an outputs folder: a build or report holds
``<out>/.evalkit.lock`` (:func:`output_lock`) from start to end, and a second one writing to
the same folder waits for it, saying so in one line.

The first Ctrl-C starts no new document, interrupts the running ones, keeps every finished
document and every earlier good one, rewrites ``index.html``, removes the staging folders,
shuts every kernel down and raises :class:`BuildInterrupted`, whose message says in one line
what was finished and what was not. Staging folders left by a killed run are removed by the
next build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no lock
    fcntl = None

from evalkit import paths
from evalkit.errors import EvalkitError, OutputWriteError, ParameterError
from evalkit.paths import DEFAULT_LANGUAGE, LANGUAGES, show_path
from evalkit.runner.index import scheme_errors, write_index
from evalkit.runner.kernels import KERNEL_NAME, WarmKernel
from evalkit.runner.params import check_scheme, years_text
from evalkit.runner.pdfworker import pdf_wanted
from evalkit.runner.plan import (
    PDF_NOT_MADE,
    TRENDS_FOLDER,
    TRENDS_NOTEBOOK,
    BuildResult,
    Job,
    check_cache,
    document_name,
    fallback_line,
    languages_for,
    output_root,
    plan,
    write_error,
)
from evalkit.scheme_files import available_schemes
from evalkit.scheme_summary import summarize

log = logging.getLogger(__name__)

LOG_DIR = "_logs"
LOG_FILE = "build.log"
#: The lock a build or report holds on its outputs folder (:func:`output_lock`).
LOCK_FILE = ".evalkit.lock"
#: Seconds the workers get to stop after Ctrl-C before their kernels are killed.
STOP_GRACE = 2.5
_STAGING = re.compile(r"^\..+\.(?:staging|old)-(?:(?P<pid>\d+)-)?[0-9a-f]{8}$")


class BuildInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the build. ``message`` says what was finished and what was not;
    ``results`` holds what became of each document."""

    def __init__(self, message: str, results: list[BuildResult]) -> None:
        super().__init__(message)
        self.message = message
        self.results = results


# --------------------------------------------------------------------------------------------
# One document
# --------------------------------------------------------------------------------------------
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
    fresh_kernel: bool = True,
    pdf: bool = True,
    lang: str | None = None,
) -> BuildResult:
    """Build (or find up to date) the document of one scheme, year and language.

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
    fresh_kernel : bool
        Run the notebook in a kernel started for it (default); False prepares a warm kernel
        (modules imported beforehand, state reset) as :func:`build` does.
    pdf : bool
        Make ``report.pdf`` beside ``report.html``.
    lang : {"nb", "nn", "en"}, optional
        The document's language, passed to the notebook as ``lang``. Default: the first
        language the scheme lists (bokmål when it lists none). Bokmål goes to
        ``out_dir/<scheme>/<year>/``, nynorsk and English to ``out_dir/<scheme>/<lang>/<year>/``.

    Returns
    -------
    BuildResult
        ``built``, ``cached`` or ``failed`` (a cell raised, or the kernel died: the partial
        notebook is kept in ``out_dir/<scheme>/_failed/<year>/``, the previous output is kept).

    Raises
    ------
    ParameterError
        A parameter is unknown, missing, of the wrong type or out of range; nothing is written.
    OutputWriteError
        The output folder cannot be created or written; earlier outputs are kept.
    BuildInterrupted
        Ctrl-C: the run was stopped, its kernel shut down, nothing of it kept.
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
        lang=lang,
    )
    return _build_one(job, started, force=force, pdf=pdf, out_dir=out_dir, fresh=fresh_kernel)


def _serve_cached(job: Job, force: bool, started: float) -> BuildResult | None:
    """The cached result when the existing output may be served; sets ``job.reason``.

    ``job.pdf`` comes in as asked for and leaves as whether ``report.pdf`` is to be made
    (:func:`~evalkit.runner.pdfworker.pdf_wanted`). Whether WeasyPrint can run here is asked
    only when it matters: for a document to build (answered by the PDF worker process while
    the document runs, and waited for when its PDF is made), or a cached one without
    ``report.pdf`` (waited for at once). A cached document is served without starting it.
    """
    if force:
        job.pdf = pdf_wanted(job.pdf, wait=False)
        job.reason = "--force was given"
        return None
    manifest, job.reason = check_cache(job)
    if manifest is None and job.reason == PDF_NOT_MADE and not pdf_wanted(job.pdf):
        job.pdf = False  # no WeasyPrint here: the HTML-only output is served as it is
        manifest, job.reason = check_cache(job)
    if manifest is None:
        job.pdf = pdf_wanted(job.pdf, wait=False)
        if job.reason:
            log.info("%s: rebuilding because %s", _job_name(job), job.reason)
        return None
    if job.failed_dir.exists():  # an older failure; the output matches the inputs now
        shutil.rmtree(job.failed_dir, ignore_errors=True)
    log.info("%s: up to date (cache key %s)", _job_name(job), job.key[:12])
    return BuildResult(
        job.scheme,
        _label(job),
        "cached",
        job.target,
        f"Up to date: nothing changed since {manifest.get('created', 'the last build')} "
        "(force=True / --force rebuilds).",
        time.perf_counter() - started,
        lang=job.lang,
    )


def _label(job: Job) -> Any:
    """The year, or ``trends`` for a trends document."""
    return TRENDS_FOLDER if job.target.name == TRENDS_FOLDER else job.year


def _job_name(job: Job) -> str:
    return document_name(job.scheme, _label(job), job.lang)


def _build_one(
    job: Job, started: float, *, force: bool, pdf: bool, out_dir: Path | str | None, fresh: bool
) -> BuildResult:
    """One planned document: served from the cache, or built in a kernel of its own; the
    outputs folder locked meanwhile (:func:`output_lock`)."""
    job.pdf = pdf
    out = output_root(out_dir)
    with output_lock(out):
        cached = _serve_cached(job, force, started)
        if cached is not None:
            return cached
        _prepare_outputs(out)
        with _log_to_file(out, quiet=False) as log_file:
            return _run_jobs([job], jobs=1, fresh=fresh, log_file=log_file)[0]


def _plan_trends(
    scheme: str,
    data_dir: Path | str | None,
    out_dir: Path | str | None,
    kernel_name: str,
    lang: str | None = None,
) -> Job:
    folder = (
        Path(data_dir) if data_dir else paths.default_data_dir(scheme, root=paths.project_root())
    )
    years = paths.available_years(folder, scheme)
    if len(years) < 2:
        raise ParameterError(
            f"A trends document needs at least two years of {scheme} in "
            f"{show_path(folder / scheme)} (found {years_text(years) or 'none'}). To fix this, "
            "add more years' exports."
        )
    return plan(
        scheme,
        years[-1],
        compare_with=years[:-1],
        data_dir=folder,
        out_dir=out_dir,
        strict=False,
        notebook=paths.project_root() / "notebooks" / TRENDS_NOTEBOOK,
        kernel_name=kernel_name,
        parameters=None,
        title=None,
        folder=TRENDS_FOLDER,
        lang=lang,
    )


def report_trends(
    scheme: str,
    *,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    force: bool = False,
    kernel_name: str = KERNEL_NAME,
    fresh_kernel: bool = True,
    pdf: bool = True,
    lang: str | None = None,
) -> BuildResult:
    """Build the trends document of ``scheme`` over every year with data, in ``lang``
    (default: the first language the scheme lists), into ``out_dir/<scheme>/trends/``
    (bokmål) or ``out_dir/<scheme>/<lang>/trends/``. Its cache covers every year's export."""
    started = time.perf_counter()
    job = _plan_trends(scheme, data_dir, out_dir, kernel_name, lang)
    return _build_one(job, started, force=force, pdf=pdf, out_dir=out_dir, fresh=fresh_kernel)


# --------------------------------------------------------------------------------------------
# Output folder, logs
# --------------------------------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _lock_holder(fd: int) -> int | None:
    """The pid the holder of the lock wrote into the lock file (it writes it right after
    taking the lock), or None."""
    for _ in range(20):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return int(text)
        time.sleep(0.01)
    return None


def _open_lock(path: Path) -> int | None:
    """The lock file, opened (created when missing); None where there is no ``flock``
    (Windows) or the file can be neither created nor opened."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    with contextlib.suppress(OSError):
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with contextlib.suppress(OSError):
        return os.open(path, os.O_RDONLY)  # flock needs no write access
    log.debug("%s cannot be opened: the folder is used without the lock", path)
    return None


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.evalkit.lock`` while writing to the outputs folder ``out``.

    The lock is ``flock``'s: the system lets it go when the process ends, however it ends. A
    second evalkit writing to ``out`` (a build or report) waits until the first is finished,
    after one line on stderr, «evalkit: waiting for another evalkit build writing to OUT (pid
    N)…»; Ctrl-C stops the wait. So two builds never write into one folder, nor into one
    ``build.log``, at once. Where the lock file cannot be written (a read-only folder) nothing
    can be built there either, and the folder is used without the lock.

    Raises
    ------
    OutputWriteError
        ``out`` cannot be created.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise write_error(err, out) from err
    fd = _open_lock(out / LOCK_FILE)
    if fd is None:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            line = f"waiting for another evalkit build writing to {show_path(out)}" + (
                f" (pid {holder})…" if holder else "…"
            )
            log.info("%s", line)
            print(f"evalkit: {line}", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        with contextlib.suppress(OSError):  # a lock file opened read-only
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # no pid of a finished build is read by the next waiter
    finally:
        os.close(fd)  # lets the lock go


def _prepare_outputs(out: Path) -> Path:
    """Create the outputs folder and remove staging folders a killed run left behind."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / LOG_DIR).mkdir(exist_ok=True)
    except OSError as err:
        raise write_error(err, out) from err
    for scheme_dir in out.iterdir():
        if not scheme_dir.is_dir() or scheme_dir.name.startswith("."):
            continue
        # the staging folders of bokmål sit in the scheme's folder, those of nynorsk and
        # English in the language's (paths.language_output_dir)
        lang_dirs = [
            d
            for lang in LANGUAGES
            if lang != DEFAULT_LANGUAGE and (d := scheme_dir / lang).is_dir()
        ]
        for leftover in [p for d in (scheme_dir, *lang_dirs) for p in d.iterdir()]:
            m = _STAGING.match(leftover.name)
            if not m or not leftover.is_dir():
                continue
            pid = int(m.group("pid")) if m.group("pid") else None
            if pid is not None and (pid == os.getpid() or _pid_alive(pid)):
                continue  # a build running now
            log.info("removing %s, left by a build that was stopped", show_path(leftover))
            shutil.rmtree(leftover, ignore_errors=True)
    return out


@contextlib.contextmanager
def _log_to_file(out: Path, *, quiet: bool) -> Iterator[IO[bytes]]:
    """Send logging (and the kernels' output) to ``out/_logs/build.log``.

    With ``quiet`` (a build on a terminal) the terminal's log handlers are set aside and
    warnings go to the log too, unless logging is at DEBUG (``--debug``).
    """
    path = out / LOG_DIR / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("ab")
    except OSError as err:
        raise write_error(err, path.parent) from err
    handler = logging.StreamHandler(
        open(stream.fileno(), "w", encoding="utf-8", closefd=False, buffering=1)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    package = logging.getLogger("evalkit")
    debug = root.getEffectiveLevel() <= logging.DEBUG
    set_aside = []
    old_level = package.level
    if quiet and not debug:
        set_aside = [
            h
            for h in root.handlers
            if isinstance(h, logging.StreamHandler)
            and getattr(h, "stream", None) in (sys.stderr, sys.stdout)
        ]
        for h in set_aside:
            root.removeHandler(h)
        package.setLevel(logging.INFO)
        logging.captureWarnings(True)
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        handler.close()
        if quiet and not debug:
            logging.captureWarnings(False)
            package.setLevel(old_level)
            for h in set_aside:
                root.addHandler(h)
        stream.close()


# --------------------------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------------------------
def _failed(job: Job, message: str, started: float) -> BuildResult:
    return BuildResult(
        job.scheme,
        _label(job),
        "failed",
        None,
        message,
        time.perf_counter() - started,
        lang=job.lang,
    )


def _run_jobs(
    jobs_list: list[Job],
    *,
    jobs: int,
    fresh: bool,
    log_file: IO[bytes] | None,
    on_result: Callable[[BuildResult], None] | None = None,
) -> list[BuildResult]:
    """Run planned jobs in ``jobs`` worker threads, one kernel each; see the module doc."""
    # imported here, where a document is to be built: an answer from the cache needs none of
    # nbconvert's side of evalkit.runner.execute
    from evalkit.runner.execute import execute

    stop = threading.Event()
    todo: queue.Queue[tuple[int, Job]] = queue.Queue()
    # the trends documents take longest: first, so no worker waits for one at the end
    for k in sorted(range(len(jobs_list)), key=lambda k: _label(jobs_list[k]) != TRENDS_FOLDER):
        todo.put((k, jobs_list[k]))
    done: queue.Queue[tuple[int, BuildResult | OutputWriteError] | None] = queue.Queue()
    kernels: dict[int, WarmKernel] = {}

    def worker(w: int) -> None:
        kernel: WarmKernel | None = None
        try:
            while not stop.is_set():
                try:
                    k, job = todo.get_nowait()
                except queue.Empty:
                    break
                started = time.perf_counter()
                result: BuildResult | OutputWriteError
                try:
                    if kernel is None:
                        kernel = WarmKernel(job.kernel_name, job.root, log_file, warm=not fresh)
                        kernels[w] = kernel
                    result = execute(
                        job, started, kernel, stop, pdf_here=pdf_here, warm_up_export=pdf_here
                    )
                    result = dataclasses.replace(result, year=_label(job), lang=job.lang)
                except OutputWriteError as err:
                    result = err
                except EvalkitError as err:
                    result = _failed(job, str(err), started)
                except Exception as err:  # a bug: report it for the document, go on
                    log.exception("%s failed", _job_name(job))
                    result = _failed(job, f"{type(err).__name__}: {err}", started)
                if kernel is not None and (
                    fresh or not isinstance(result, BuildResult) or result.status != "built"
                ):
                    kernels.pop(w, None)
                    kernel.shutdown()  # a failed document gets its worker a fresh kernel
                    kernel = None
                done.put((k, result))
        finally:
            if kernel is not None:
                kernels.pop(w, None)
                kernel.shutdown()
            done.put(None)

    n_workers = max(1, min(jobs, len(jobs_list)))
    # one worker: the PDFs are made by the worker process that imported and warmed up
    # WeasyPrint while the first notebook ran (:mod:`evalkit.runner.pdfworker`), not in the
    # kernel, which would import it again; several: in each worker's kernel, so that they are
    # made side by side on the processors. One worker also makes its HTML exporter while its
    # first notebook runs (evalkit.runner.execute._ExportWarmUp says why only then)
    pdf_here = n_workers == 1
    threads = [
        threading.Thread(target=worker, args=(w,), name=f"evalkit-{w}", daemon=True)
        for w in range(n_workers)
    ]
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    results: dict[int, BuildResult] = {}
    write_failure: OutputWriteError | None = None
    interrupted_at: float | None = None
    try:
        for t in threads:
            t.start()
        running = n_workers
        while running:
            if stop.is_set() and interrupted_at is None:
                interrupted_at = time.monotonic()
                for kernel in list(kernels.values()):
                    kernel.interrupt()
            if interrupted_at is not None and time.monotonic() - interrupted_at > STOP_GRACE:
                for kernel in list(kernels.values()):
                    kernel.kill()  # a worker that does not stop: its kernel goes
                break
            try:
                item = done.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is None:
                running -= 1
                continue
            k, result = item
            if isinstance(result, OutputWriteError):
                write_failure = write_failure or result
                stop.set()
                continue
            results[k] = result
            if on_result is not None:
                on_result(result)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        for t in threads:
            t.join(timeout=1.0)
        while True:  # results posted after the loop ended
            try:
                item = done.get_nowait()
            except queue.Empty:
                break
            if item is not None and isinstance(item[1], BuildResult):
                results.setdefault(item[0], item[1])
    if write_failure is not None:
        raise write_failure
    ordered = [
        results.get(k)
        or BuildResult(
            job.scheme, _label(job), "interrupted", None, "Not started.", 0.0, lang=job.lang
        )
        for k, job in enumerate(jobs_list)
    ]
    if stop.is_set():
        raise BuildInterrupted(_interrupted_line(ordered), ordered)
    return ordered


def _names(results: list[BuildResult]) -> str:
    by_scheme: dict[str, list[str]] = {}
    for r in results:
        label = str(r.year) + ("" if r.lang == DEFAULT_LANGUAGE else f" {r.lang}")
        by_scheme.setdefault(r.scheme, []).append(label)
    return "; ".join(f"{s} {', '.join(ys)}" for s, ys in by_scheme.items()) or "none"


def _interrupted_line(results: list[BuildResult]) -> str:
    finished = [r for r in results if r.status in ("built", "cached")]
    failed = [r for r in results if r.status == "failed"]
    rest = [r for r in results if r.status == "interrupted"]
    text = (
        f"Interrupted: {len(finished)} of {len(results)} documents finished "
        f"({_names(finished)}), not finished: {_names(rest)}"
    )
    if failed:
        text += f", failed: {_names(failed)}"
    return text + "; finished and earlier documents are kept."


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
    fresh_kernels: bool = False,
    pdf: bool = True,
    langs: Iterable[str] | None = None,
) -> list[BuildResult]:
    """Build every year found in the data in each language, go on past failures, then write
    ``index.html``.

    Parameters
    ----------
    schemes : list of str, optional
        Default: every scheme.
    years : list of int, optional
        Only these years (those without data are skipped). Default: every year with data.
    data_dir : Path or str, optional
        Default per scheme: ``data/raw`` when it holds the scheme's files, else ``data/demo``
        (under the project root, whatever the working folder).
    out_dir : Path or str, optional
        The outputs folder; default ``outputs/`` under the project root.
    jobs : int
        Documents built at the same time (worker threads, one kernel each).
    force : bool
        Rebuild even when nothing changed.
    progress : bool
        A terminal build: a progress bar (tqdm, on stderr) and one line per document (on
        stdout); logs go only to ``<out>/_logs/build.log``.
    notebook : Path or str, optional
        Run this notebook instead of each scheme's own.
    trends : bool
        Also build each scheme's trends document (``<scheme>/trends/``) when every year is
        built with the scheme's own notebooks.
    fresh_kernels : bool
        Start a fresh kernel for every document instead of reusing each worker's warm one.
    pdf : bool
        Make ``report.pdf`` beside each ``report.html`` (where WeasyPrint can run: otherwise
        one line says what to install, and the HTML is built).
    langs : list of {"nb", "nn", "en"}, optional
        Only these languages. Default: every language each scheme lists (bokmål when it lists
        none). A language a scheme does not list is built all the same, with a line saying so
        (:func:`~evalkit.runner.plan.languages_for`). Each (scheme, year, language) is a
        document of its own, cached on its own; bokmål goes to ``<scheme>/<year>/``, the
        others to ``<scheme>/<lang>/<year>/``.

    Returns
    -------
    list of BuildResult
        One per document, in scheme, year and language order (a scheme whose YAML fails to
        load first).

    Raises
    ------
    OutputWriteError
        The outputs folder cannot be created or written.
    BuildInterrupted
        Ctrl-C; every finished document is kept and ``index.html`` rewritten.
    """
    out = output_root(out_dir)
    with output_lock(out):
        return _build_locked(
            schemes,
            years,
            data_dir=data_dir,
            out=_prepare_outputs(out),
            jobs=jobs,
            force=force,
            progress=progress,
            notebook=notebook,
            trends=trends,
            fresh_kernels=fresh_kernels,
            pdf=pdf,
            langs=None if langs is None else list(langs),
        )


def _build_locked(
    schemes: Iterable[str] | None,
    years: Iterable[int] | None,
    *,
    data_dir: Path | str | None,
    out: Path,
    jobs: int,
    force: bool,
    progress: bool,
    notebook: Path | str | None,
    trends: bool,
    fresh_kernels: bool,
    pdf: bool,
    langs: list[str] | None = None,
) -> list[BuildResult]:
    """:func:`build`, with the outputs folder ``out`` locked."""
    wanted = None if years is None else {int(y) for y in years}
    tasks: list[tuple[str, Any, Path, str]] = []
    broken = scheme_errors()
    results: list[BuildResult | None] = []
    # «frisklivs_lms: schemes/frisklivs_lms.yaml in the project is …», a language the scheme
    # does not list, the scheme texts that fall back to bokmål: said once, before the documents
    overrides: list[str] = []
    for scheme in list(schemes) if schemes else available_schemes():
        check_scheme(scheme)
        if scheme in broken:
            message = f"The scheme's configuration could not be loaded: {broken[scheme]}"
            log.error("%s: %s", scheme, message)
            results.append(BuildResult(scheme, "config", "failed", None, message))
            continue
        config = summarize(scheme)
        if line := config.override_line():
            overrides.append(f"{scheme}: {line}.")
        scheme_langs: list[str] = []
        for asked in langs or [None]:
            chosen_langs, note = languages_for(scheme, asked)
            scheme_langs += [lang for lang in chosen_langs if lang not in scheme_langs]
            if note:
                overrides.append(note)
        # which of the scheme's texts fall back to bokmål, once per language
        overrides += [line for lang in scheme_langs if (line := fallback_line(config, lang))]
        folder = (
            Path(data_dir)
            if data_dir
            else paths.default_data_dir(scheme, root=paths.project_root())
        )
        found = paths.available_years(folder, scheme)
        chosen = [y for y in found if wanted is None or y in wanted]
        if not chosen:
            log.info("%s: no years to build in %s", scheme, show_path(folder / scheme))
        tasks.extend((scheme, y, folder, lang) for y in chosen for lang in scheme_langs)
        if trends and notebook is None and wanted is None and len(found) >= 2:
            tasks.extend((scheme, TRENDS_FOLDER, folder, lang) for lang in scheme_langs)

    # the progress bar starts with the first document to build; until then (and when every
    # document is up to date, without tqdm) each line is printed as the bar would print it
    bar: Any = None

    def say(line: str) -> None:
        if bar is None:
            print(line, flush=True)
        else:
            bar.write(line)

    def report(result: BuildResult) -> None:
        if progress and result.status != "interrupted":  # the closing line names those
            say(_document_line(result))
        if bar is not None:
            bar.update()

    pending: list[tuple[int, Job]] = []
    with _log_to_file(out, quiet=progress) as log_file, contextlib.ExitStack() as stack:
        for line in overrides:
            log.info("%s", line)
            if progress:
                say(line)
        for scheme, year, folder, lang in tasks:
            started = time.perf_counter()
            try:
                if year == TRENDS_FOLDER:
                    job = _plan_trends(scheme, folder, out, KERNEL_NAME, lang)
                else:
                    job = plan(
                        scheme,
                        year,
                        compare_with=None,
                        data_dir=folder,
                        out_dir=out,
                        strict=False,
                        notebook=notebook,
                        kernel_name=KERNEL_NAME,
                        parameters=None,
                        title=None,
                        lang=lang,
                    )
                job.pdf = pdf
                result = _serve_cached(job, force, started)
            except EvalkitError as err:
                log.error("%s failed: %s", document_name(scheme, year, lang), err)
                result = BuildResult(
                    scheme,
                    year,
                    "failed",
                    None,
                    str(err),
                    time.perf_counter() - started,
                    lang=lang,
                )
            results.append(result)
            if result is None:
                pending.append((len(results) - 1, job))
            else:
                report(result)
        if pending:
            bar = stack.enter_context(
                _progress_bar(len(tasks), len(tasks) - len(pending), disable=not progress)
            )
        try:
            ran = (
                _run_jobs(
                    [job for _, job in pending],
                    jobs=jobs,
                    fresh=fresh_kernels,
                    log_file=log_file,
                    on_result=report,
                )
                if pending
                else []
            )
        except BuildInterrupted as stopped:
            for (i, _), result in zip(pending, stopped.results, strict=True):
                results[i] = result
            _write_index_quietly(out)
            done = [r for r in results if r is not None]
            raise BuildInterrupted(_interrupted_line(done), done) from None
        except OutputWriteError:
            _write_index_quietly(out)
            raise
        for (i, _), result in zip(pending, ran, strict=True):
            results[i] = result
    try:
        write_index(out)
    except OSError as err:
        raise write_error(err, out) from err
    return [r for r in results if r is not None]


def _progress_bar(total: int, done: int, *, disable: bool) -> Any:
    """tqdm's bar of a build, ``done`` of ``total`` documents done (those up to date)."""
    if "ipykernel.zmqshell" in sys.modules:  # in a notebook: tqdm.auto draws a widget
        from tqdm.auto import tqdm
    else:  # a terminal (tqdm.auto's asyncio would only add to the start-up)
        from tqdm.std import tqdm

    return tqdm(total=total, initial=done, disable=disable, unit="dok", desc="evalkit")


def _write_index_quietly(out: Path) -> None:
    try:
        write_index(out)
    except Exception:  # the folder may be the very problem
        log.debug("index.html not written", exc_info=True)


def _document_line(result: BuildResult) -> str:
    """The one line a terminal build prints per document."""
    head = f"{result.name}: "
    if result.status == "built":
        line = head + f"built in {result.seconds:.1f} s"
        m = re.search(r"\(rebuilt because (.*)\)\.$", result.message)
        return line + (f", rebuilt because {m.group(1)}" if m else "")
    if result.status == "cached":
        return head + "up to date"
    if result.status == "failed":
        return head + "FAILED: " + " ".join(result.message.split())
    return head + "interrupted"
