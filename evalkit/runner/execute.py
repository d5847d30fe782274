"""Run one planned document in a kernel, export it, swap it into place.

The notebook runs in a staging folder beside the target; ``report.ipynb``, ``report.html`` and
``manifest.json`` are written there, and the staging folder replaces the year's folder in one
step (:func:`_swap_in`). A failed run keeps the previous output and puts the partial notebook
in ``_failed/<year>/``.

The document is tied to the bytes the kernel read: after the notebook has run, the runner takes
from the kernel the sha256 of every export evalkit read there
(:func:`evalkit.evaluation.take_reads`) and compares it with the hash the cache key was made
from; an export replaced in between fails the document (:func:`_changed_input`).
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import errno
import functools
import json
import logging
import os
import platform
import re
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit import paths
from evalkit.document.html import export_html, exporter_ready, first_heading
from evalkit.paths import relative_path, sha256_file, show_path, write_atomic
from evalkit.runner.kernels import KERNEL_DISPLAY_NAME, KERNEL_NAME, KernelError, WarmKernel
from evalkit.runner.pdfworker import (
    PdfNotMade,
    PendingPdf,
    pdf_wanted,
    start_pdf,
    warm_up_done,
)
from evalkit.runner.plan import (
    FAILURE_FILE,
    MANIFEST_SCHEMA_VERSION,
    PDF_FILE,
    READ_ROLE,
    RECORDED_PACKAGES,
    BuildResult,
    Job,
    document_name,
    package_version,
    write_error,
)

log = logging.getLogger(__name__)


def _name(job: Job) -> str:
    """«frisklivs_lms 2023», «frisklivs_lms 2023 nn»: the document in the log."""
    return document_name(job.scheme, job.target.name, job.lang)


def _patch_record(nb: Any, job: Job, staging_text: str, final_text: str) -> None:
    """Point the executed notebook's record at the notebook file and the final folder."""
    pm = nb.metadata.setdefault("papermill", {})
    pm["input_path"] = relative_path(job.notebook, job.root)
    pm["output_path"] = f"{final_text}/report.ipynb"
    if isinstance(pm.get("parameters"), dict) and "output_dir" in pm["parameters"]:
        pm["parameters"]["output_dir"] = final_text
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = cell.source.replace(staging_text, final_text)
            cell["id"] = "injected-parameters"  # papermill draws a random id
    nb.metadata["kernelspec"] = {
        "name": job.kernel_name,
        "display_name": KERNEL_DISPLAY_NAME if job.kernel_name == KERNEL_NAME else job.kernel_name,
        "language": "python",
    }


def _source_cell_number(nb_source: Any, cell_index: int) -> int:
    """1-based number of the failing cell in the notebook as written (papermill's index counts
    the injected parameters cell)."""
    params_at = next(
        (i for i, c in enumerate(nb_source.cells) if "parameters" in c.metadata.get("tags", [])),
        None,
    )
    if params_at is not None and cell_index > params_at:
        cell_index -= 1
    return cell_index + 1


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"Cell In\s*\[(\d+)\],\s*line (\d+)")
_CELL_HEADER = re.compile(r"^# %%")
#: At most this many characters of the failing line are quoted in the message.
CODE_CHARS = 80


def _line_in_cell(traceback: list[str], exec_count: int | None) -> int | None:
    """The line of the failing cell where the error was raised, from IPython's traceback
    («Cell In[5], line 2»): its deepest frame in that cell (a function defined in another
    cell is another cell's frame)."""
    text = _ANSI.sub("", "\n".join(str(part) for part in traceback or []))
    lines = [
        int(line)
        for count, line in _CELL_FRAME.findall(text)
        if exec_count is None or int(count) == exec_count
    ]
    return lines[-1] if lines else None


def _cell_start_line(text: str, number: int, n_cells: int, source: str) -> int | None:
    """The line of the file (py:percent) holding the first line of cell ``number`` (1-based,
    as written), whose code is ``source``; None when it cannot be found."""
    lines = text.splitlines()
    src = source.splitlines()
    first = next((i for i, line in enumerate(src) if line.strip()), None)
    if first is None:
        return None
    headers = [i for i, line in enumerate(lines) if _CELL_HEADER.match(line)]
    index = number - 1 - (n_cells - len(headers))  # cells before the first header, if any
    start = headers[index] + 1 if 0 <= index < len(headers) else 0
    for at in (start, 0):
        for i in range(at, len(lines)):
            if lines[i] == src[first]:
                return i + 1 - first
    return None


def _where_it_failed(
    job: Job, source_nb: Any, err: Any, number: int
) -> tuple[int | None, int | None, str]:
    """The failing line in the cell, in the notebook file (.py only) and its code."""
    in_cell = _line_in_cell(err.traceback, err.exec_count)
    src = (err.source or "").splitlines()
    if in_cell is None or not 1 <= in_cell <= len(src):
        return None, None, ""
    code = src[in_cell - 1].strip()
    if len(code) > CODE_CHARS:
        code = code[: CODE_CHARS - 1] + "…"
    in_file = None
    if job.notebook.suffix == ".py":
        start = _cell_start_line(
            job.notebook.read_text(encoding="utf-8"), number, len(source_nb.cells), err.source
        )
        in_file = start + in_cell - 1 if start is not None else None
    return in_cell, in_file, code


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
#: Tries of :func:`_swap_in` when other swaps into the same place keep putting a folder there.
_SWAP_TRIES = 100


@functools.cache
def _renameat2() -> Any:
    """libc's ``renameat2`` (Linux, glibc 2.28 and later), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Exchange the folders ``a`` and ``b`` in one step (``renameat2`` with
    ``RENAME_EXCHANGE``). False when the system or the file system cannot; raises
    :class:`OSError` (``FileNotFoundError`` when ``b`` is missing)."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap_in(staging: Path, target: Path) -> None:
    """Put the folder ``staging`` in the place of ``target`` and remove the old ``target``.

    Where the system can (Linux), the two folders are exchanged in one step: a reader finds
    the old folder or the new one at ``target``, never none. Elsewhere the old folder is moved
    aside, the new one moved in, and the old one put back if that fails. Either way another
    swap into the same place at the same time (another build writing to the same folder
    without the lock of :func:`evalkit.runner.build.output_lock`) no longer makes it fail:
    the first rename used to find the folder gone, or the second one to find a new one there
    (``ENOTEMPTY``); the swap is tried again, and the last one wins.
    """
    for _ in range(_SWAP_TRIES):
        with contextlib.suppress(FileNotFoundError):  # no target: a plain rename below
            if _exchange(staging, target):
                shutil.rmtree(staging, ignore_errors=True)  # the old folder now
                return
        old: Path | None = target.with_name(
            f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        )
        try:
            os.replace(target, old)
        except FileNotFoundError:
            old = None
        try:
            os.replace(staging, target)
        except OSError as err:
            if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
                # another swap put a folder there between the two renames: this one is newer
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
                continue
            if old is not None:
                with contextlib.suppress(OSError):
                    os.replace(old, target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return
    raise OSError(errno.ENOTEMPTY, os.strerror(errno.ENOTEMPTY), str(target))


def _fail(
    job: Job,
    staging: Path,
    started: float,
    reason: str,
    details: dict[str, Any],
    executed: Any = None,
    staging_text: str = "",
) -> BuildResult:
    """Keep the partial notebook in ``_failed/<year>/``; leave the good output alone."""
    try:
        return _keep_failure(job, staging, started, reason, details, executed, staging_text)
    except OSError as err:
        if err.errno in WRITE_ERRNOS:
            raise write_error(err, job.failed_dir.parent) from err
        raise


def _keep_failure(
    job: Job,
    staging: Path,
    started: float,
    reason: str,
    details: dict[str, Any],
    executed: Any,
    staging_text: str,
) -> BuildResult:
    failed = job.failed_dir
    partial = staging / "report.ipynb"
    failed.parent.mkdir(parents=True, exist_ok=True)
    if executed is not None and partial.exists():
        import nbformat

        try:
            _patch_record(executed, job, staging_text, relative_path(failed, job.root))
            nbformat.write(executed, str(partial))
        except Exception:  # the record is a courtesy; the failure is what matters
            log.debug("could not tidy the partial notebook", exc_info=True)
    _swap_in(staging, failed)
    has_partial = (failed / "report.ipynb").exists()
    message = f"{reason}."
    if has_partial:
        message += f" The partial notebook is at {show_path(failed / 'report.ipynb')}."
    if (job.target / "manifest.json").exists():
        message += f" The previous document in {show_path(job.target)}/ is kept."
    record = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "scheme": job.scheme,
        "year": job.year,
        "lang": job.lang,
        "status": "failed",
        "message": message,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "cache_key": job.key,
        **details,
    }
    write_atomic(failed / FAILURE_FILE, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    # the caller reports the failure once (the result's message); the log keeps a record
    log.info("%s failed: %s", _name(job), message)
    return BuildResult(
        job.scheme, job.year, "failed", failed, message, time.perf_counter() - started
    )


class _DropPapermillNoise(logging.Filter):
    """Papermill's regex reading of the parameters cell misreads typed parameters and comments
    ("Passed unknown parameter", "Unable to parse line"); the runner validated them with ast."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        return not text.startswith(("Passed unknown parameter", "Unable to parse line"))


_NOISE_FILTER = _DropPapermillNoise()


def _quiet_papermill() -> None:
    for name in ("papermill", "papermill.translators"):
        logger = logging.getLogger(name)
        if _NOISE_FILTER not in logger.filters:
            logger.addFilter(_NOISE_FILTER)


#: How long the export's warm-up waits for the PDF worker's (seconds); it needs about 0,6 s,
#: a notebook at least 3 s.
_WARM_UP_WAIT = 2.5


class _ExportWarmUp:
    """This thread's HTML exporter made in a thread of its own while the notebook runs
    (:func:`evalkit.document.html.warm_up`: nbconvert imported, its templates compiled, a
    small page exported), and handed over when the notebook has run (:meth:`finish`): the
    first export of a process took 0,55 s after the notebook, the next 0,16 s.

    Only in a build with one worker (``evalkit report``): its thread imports nothing while the
    notebook runs (papermill and what it needs are imported before), so nothing is imported in
    two threads at once. With several workers another worker may be starting its kernel
    meanwhile, and imports made side by side in two threads raced («partially initialized
    module»)."""

    def __init__(self, lang: str) -> None:
        from evalkit.document import html

        self._made: list[Any] = []
        self._cancel = threading.Event()  # the notebook ended before the warm-up began

        def make() -> None:
            try:
                # after the PDF worker's warm-up (if a PDF is made): the kernel has one
                # processor, the PDF worker the other, and this came on top of both
                warm_up_done(_WARM_UP_WAIT, self._cancel)
                if not self._cancel.is_set():
                    self._made.append(html.warm_up(lang))
            except Exception:  # the export after the notebook makes its own exporter
                log.debug("warming up the HTML export failed", exc_info=True)

        self._thread = threading.Thread(target=make, name="evalkit-export-warm-up", daemon=True)
        self._thread.start()

    def finish(self) -> None:
        """Wait for the warm-up (it ends long before the notebook does; one still waiting for
        the PDF worker is called off) and make its exporter this thread's."""
        from evalkit.document import html

        self._cancel.set()  # not begun yet: not begun at all
        self._thread.join()
        if self._made:
            html.adopt_exporter(self._made[0])


class Interrupted(Exception):
    """Raised before a cell runs once the build is stopped (Ctrl-C)."""


#: errno values that mean the output folder cannot be written.
WRITE_ERRNOS = {
    errno.ENOSPC,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EDQUOT,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.EISDIR,
    errno.EFBIG,
}


def _cell_write_error(err: Any, staging: Path) -> int | None:
    """The errno when a cell failed writing into the staging folder (disk full, ...)."""
    m = re.match(r"\[Errno (\d+)\][^:]*: '(.*)'", str(err.evalue))
    if not m or int(m.group(1)) not in WRITE_ERRNOS:
        return None
    written = Path(m.group(2))
    if not written.is_absolute():
        written = staging.parent / written
    try:
        written.resolve().relative_to(staging.resolve())
    except ValueError:
        return None  # a file outside the outputs (data, say): the notebook's own failure
    return int(m.group(1))


@contextlib.contextmanager
def _weasyprint_notes_to_log() -> Any:
    """WeasyPrint's notes on the printed page (CSS of the screen it ignores, …) go to the
    build's log and not to the terminal, as they do from a kernel: the terminal's handlers
    pass no record of the ``weasyprint`` logger meanwhile."""
    terminal = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and getattr(h, "stream", None) in (sys.stderr, sys.stdout)
    ]

    def not_weasyprint(record: logging.LogRecord) -> bool:
        return not record.name.startswith("weasyprint")

    for handler in terminal:
        handler.addFilter(not_weasyprint)
    try:
        yield
    finally:
        for handler in terminal:
            handler.removeFilter(not_weasyprint)


class _PdfStep:
    """``report.pdf`` on its way (:func:`_start_pdf`): :meth:`finish` waits for it and returns
    None or the sentence on why there is none; :meth:`abandon` lets it end unused (the
    document failed or the build was stopped meanwhile)."""

    def __init__(
        self,
        staging: Path,
        finish: Callable[[], None] | None = None,
        pending: PendingPdf | None = None,
    ) -> None:
        self.staging, self._finish, self._pending = staging, finish, pending

    def finish(self) -> str | None:
        pdf = (self.staging / PDF_FILE).resolve()
        try:
            if self._pending is not None:
                with _weasyprint_notes_to_log():
                    self._pending.result()
            elif self._finish is not None:
                self._finish()
        except PdfNotMade as err:
            if err.errno in WRITE_ERRNOS:
                raise OSError(err.errno, os.strerror(err.errno), str(pdf)) from None
            log.warning("%s: report.pdf not made: %s: %s", self.staging.name, err.ename, err.reason)
            return f"report.pdf was not made ({err.ename}: {err.reason}); the HTML is complete."
        except KernelError as err:
            ename = getattr(err, "ename", None)
            reason = getattr(err, "evalue", None) or str(err)
            log.warning("%s: report.pdf not made: %s: %s", self.staging.name, ename, reason)
            if ename == "PdfUnavailable":
                return reason
            return f"report.pdf was not made ({ename}: {reason}); the HTML is complete."
        return None

    def abandon(self) -> None:
        """Wait for a PDF the worker is making, whatever comes of it (it writes into the
        staging folder, which is about to be moved or removed); one still to be made in the
        kernel is not made."""
        if self._pending is not None:
            try:
                self._pending.result()
            except Exception:
                log.debug("an abandoned report.pdf", exc_info=True)


def _start_pdf(
    kernel: WarmKernel,
    staging: Path,
    title: str,
    *,
    here: bool = False,
    stop: threading.Event | None = None,
) -> _PdfStep:
    """Start ``report.pdf`` from ``report.html``: ``here``, in the PDF worker process (one
    worker: it imported and warmed up WeasyPrint while the notebook ran, see
    :mod:`evalkit.runner.pdfworker`), which makes it while the runner goes on; else in the
    document's kernel when it is finished (so that workers make their PDFs in parallel). None is
    made where WeasyPrint cannot run (one line on stderr has said so)."""
    if not pdf_wanted(True):
        return _PdfStep(staging)
    html, pdf = (staging / "report.html").resolve(), (staging / PDF_FILE).resolve()
    if here:
        return _PdfStep(staging, pending=start_pdf(html, pdf, title=title, stop=stop))
    return _PdfStep(
        staging,
        finish=lambda: kernel.run(
            "__import__('evalkit.document.pdf', fromlist=['_']).write_pdf_file("
            f"{str(html)!r}, {str(pdf)!r}, title={title!r})"
        ),
    )


#: The file in the staging folder the kernel writes its reads to (removed before the outputs
#: are listed).
READS_FILE = ".evalkit-reads.json"


def _kernel_reads(kernel: WarmKernel, staging: Path) -> list[tuple[str, str]]:
    """The exports evalkit read in ``kernel`` since the last call, as (resolved path, sha256 of
    the bytes parsed) (:func:`evalkit.evaluation.take_reads`, which also empties the record).
    Nothing is imported in the kernel that the notebook did not import."""
    path = (staging / READS_FILE).resolve()
    try:
        kernel.run(
            f"__import__('pathlib').Path({str(path)!r}).write_text(__import__('json').dumps("
            "getattr(__import__('sys').modules.get('evalkit.evaluation'), 'take_reads', list)()"
            "), encoding='utf-8')",
            60,
        )
        reads = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)
    return [(str(p), str(d)) for p, d in reads]


def _changed_input(
    job: Job, reads: list[tuple[str, str]]
) -> tuple[str | None, list[dict[str, Any]]]:
    """Whether every planned export is the file the cache key was made from.

    An export the document read through evalkit is checked by the sha256 of the bytes the
    kernel parsed (``reads``); one it did not read so (a notebook reading the file itself) is
    hashed again now. An export read that the plan does not name (a notebook reading another
    year) is recorded with the role ``read``, so that :func:`~evalkit.runner.plan.check_cache`
    checks it too; read twice with different bytes, it fails the document.

    Returns
    -------
    (str or None, list of dict)
        One sentence on the first export that changed (None when none did), and the
        manifest's input records, each with ``read``: whether its sha256 is that of the bytes
        read.
    """
    seen: dict[str, list[str]] = {}
    for path, digest in reads:
        seen.setdefault(path, []).append(digest)
    records = []
    for (_, _, export), record in zip(job.inputs, job.records["inputs"], strict=True):
        planned = record["sha256"]
        digests = seen.pop(str(export.resolve()), None)
        if digests:
            found, how = next((d for d in digests if d != planned), planned), "read"
        else:
            try:
                found, how = sha256_file(export), "now"
            except FileNotFoundError:
                found, how = "", "now"
        if found != planned:
            now = f"{how} {found[:12]}…" if found else "now missing"
            return (
                f"{show_path(export)} changed while the document was built (planned sha256 "
                f"{planned[:12]}…, {now}); run again",
                [],
            )
        records.append({**record, "read": bool(digests)})
    for path, digests in sorted(seen.items()):
        if len(set(digests)) > 1:
            return (
                f"{show_path(path)} changed while the document was built (read twice, sha256 "
                f"{digests[0][:12]}… and then {next(d for d in digests if d != digests[0])[:12]}…)"
                "; run again",
                [],
            )
        records.append(
            {"role": READ_ROLE, "path": relative_path(path, job.root), "sha256": digests[0]}
        )
    return None, records


def execute(
    job: Job,
    started: float,
    kernel: WarmKernel,
    stop: threading.Event | None = None,
    *,
    pdf_here: bool = False,
    warm_up_export: bool = False,
) -> BuildResult:
    """Run ``job`` in ``kernel`` and finish its document (``report.pdf`` made by the PDF worker
    process with ``pdf_here``, else in the kernel: :func:`_start_pdf`). ``warm_up_export``: in a
    build with one worker, this thread's HTML exporter, if it has none yet, is made while the
    notebook runs (:class:`_ExportWarmUp`).

    Returns a result with status ``built``, ``failed`` (the previous output kept, the partial
    notebook in ``_failed/``) or ``interrupted`` (``stop`` was set: nothing kept of this run).

    Raises
    ------
    OutputWriteError
        The output folder cannot be created or written; no staging folder is left.
    """
    import jupytext
    import nbformat

    _quiet_papermill()
    if job.notebook.suffix == ".ipynb":
        source_nb = nbformat.read(str(job.notebook), as_version=4)
    else:
        source_nb = jupytext.read(job.notebook, fmt="py:percent")
    source_nb.metadata["kernelspec"] = {
        "name": job.kernel_name,
        "display_name": job.kernel_name,
        "language": "python",
    }
    for number, cell in enumerate(source_nb.cells, start=1):
        cell["id"] = f"cell-{number}"  # jupytext draws random ids: the same bytes every run
    folder = job.target.parent
    staging = folder / f".{job.target.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as err:
        raise write_error(err, folder) from err
    try:
        return _execute_in(job, staging, source_nb, started, kernel, stop, pdf_here, warm_up_export)
    finally:  # swapped in or moved to _failed/ by now, unless interrupted or not writable
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _execute_in(
    job: Job,
    staging: Path,
    source_nb: Any,
    started: float,
    kernel: WarmKernel,
    stop: threading.Event | None,
    pdf_here: bool = False,
    warm_up_export: bool = False,
) -> BuildResult:
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    shown_nb = show_path(job.notebook)
    staging_text = relative_path(staging, job.root)
    final_text = relative_path(job.target, job.root)
    parameters = {**job.params, "output_dir": staging_text}
    if job.cache_dir is not None:
        parameters["cache_dir"] = relative_path(job.cache_dir, job.root)
    log.info("%s: running %s", _name(job), shown_nb)

    def interrupted() -> BuildResult:
        log.info("%s: interrupted", _name(job))
        return BuildResult(
            job.scheme,
            job.year,
            "interrupted",
            None,
            "Interrupted before it was finished.",
            time.perf_counter() - started,
        )

    def before_cell(**_: Any) -> None:
        if stop is not None and stop.is_set():
            raise Interrupted

    if stop is not None and stop.is_set():
        return interrupted()
    warming = _ExportWarmUp(job.lang) if warm_up_export and not exporter_ready() else None
    try:
        try:
            kernel.prepare(job.root)
            executed = pm.execute_notebook(
                copy.deepcopy(source_nb),
                str(staging / "report.ipynb"),
                parameters=parameters,
                kernel_name=job.kernel_name,
                language="python",
                progress_bar=False,
                log_output=False,
                # the notebook is written once at the end (or with the error), not after each cell
                request_save_on_cell_execute=False,
                # the worker's running kernel (nbclient leaves a kernel it did not start running)
                km=kernel.km,
                on_cell_execute=before_cell,
                resources={"metadata": {"path": str(job.root)}},
            )
        finally:  # before anything else is imported in this thread
            if warming is not None:
                warming.finish()
        kernel.notebook_ran()
    except PapermillExecutionError as err:
        if stop is not None and stop.is_set():
            return interrupted()
        code = _cell_write_error(err, staging)
        if code is not None:
            raise write_error(OSError(code, os.strerror(code)), job.target.parent) from None
        number = _source_cell_number(source_nb, err.cell_index)
        evalue = str(err.evalue).strip()
        if len(evalue) > 300:
            evalue = evalue[:297] + "..."
        in_cell, line, code = _where_it_failed(job, source_nb, err, number)
        where = f"{shown_nb}, cell {number}"
        if line is not None:
            where += f", line {line}"
        elif in_cell is not None:
            where += f", line {in_cell} of the cell"
        if code:
            where += f" ({code})"
        partial = None
        try:
            partial = nbformat.read(str(staging / "report.ipynb"), as_version=4)
        except Exception:
            log.debug("no partial notebook", exc_info=True)
        return _fail(
            job,
            staging,
            started,
            f"{where}: {err.ename}: {evalue}",
            {
                "notebook": relative_path(job.notebook, job.root),
                "cell": number,
                "line": line,
                "line_in_cell": in_cell,
                "code": code,
                "execution_count": err.exec_count,
                "ename": err.ename,
                "evalue": str(err.evalue),
            },
            partial,
            staging_text,
        )
    except Exception as err:  # the kernel died or timed out, papermill could not start, ...
        if isinstance(err, Interrupted) or (stop is not None and stop.is_set()):
            return interrupted()
        log.debug("notebook run failed", exc_info=True)
        return _fail(
            job,
            staging,
            started,
            f"{shown_nb}: {type(err).__name__}: {str(err).strip() or 'no message'}",
            {
                "notebook": relative_path(job.notebook, job.root),
                "ename": type(err).__name__,
                "evalue": str(err),
            },
        )

    if stop is not None and stop.is_set():
        return interrupted()
    # report.html is made from the run notebook alone: it is exported, and its PDF started in
    # the PDF worker, before the runner asks the kernel what it read, so that the PDF is made
    # while the reads are checked and the outputs listed
    pdf_step: _PdfStep | None = None
    record = staging_text  # the folder the notebook's record names (for _fail)
    finishing: Exception | None = None
    try:
        _patch_record(executed, job, staging_text, final_text)
        record = final_text
        write_atomic(staging / "report.ipynb", nbformat.writes(executed) + "\n")
        title = job.title or first_heading(executed) or f"{job.scheme} {job.year}"
        # the page declares its language (<html lang>, and from it the PDF's /Lang)
        write_atomic(staging / "report.html", export_html(executed, title, lang=job.lang))
        if job.pdf:
            pdf_step = _start_pdf(kernel, staging, title, here=pdf_here, stop=stop)
    except Exception as err:  # reported below, after the reads (an input replaced comes first)
        finishing = err

    def drop_document() -> None:
        """Let a PDF being made end, and take the document out of the staging folder: what
        failed keeps only what the notebook wrote."""
        if pdf_step is not None:
            pdf_step.abandon()
        for name in ("report.html", PDF_FILE):
            (staging / name).unlink(missing_ok=True)

    try:
        changed, inputs = _changed_input(job, _kernel_reads(kernel, staging))
        ename = "InputChanged"
    except Exception as err:  # the kernel died after the notebook, ...
        if stop is not None and stop.is_set():
            drop_document()
            return interrupted()
        log.debug("taking the reads from the kernel failed", exc_info=True)
        ename = type(err).__name__
        changed = f"{shown_nb} ran, but what it read could not be checked: {ename}: {err}"
    if changed:
        drop_document()
        return _fail(
            job,
            staging,
            started,
            changed,
            {"ename": ename, "evalue": changed},
            executed,
            record,
        )

    try:
        if finishing is not None:
            raise finishing
        pdf_problem = pdf_step.finish() if pdf_step is not None else None
        if stop is not None and stop.is_set():  # Ctrl-C while the PDF was made
            return interrupted()
        if not (staging / "metrics.json").exists():
            log.warning("%s: the notebook wrote no metrics.json", _name(job))
        outputs = [
            {
                "path": p.relative_to(staging).as_posix(),
                "sha256": sha256_file(p),
                "size": p.stat().st_size,
            }
            for p in sorted(staging.rglob("*"))
            if p.is_file() and p.name != "manifest.json"
        ]
        seconds = time.perf_counter() - started
        manifest = {
            "schema_version": MANIFEST_SCHEMA_VERSION,
            "scheme": job.scheme,
            "year": job.year,
            "lang": job.lang,
            "title": title,
            "status": "built",
            "cache_key": job.key,
            "cache_key_covers": [
                "notebook.sha256",
                "parameters",
                "lang",
                "inputs[].sha256",
                "scheme_config.sha256",
                "versions.evalkit",
            ],
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 2),
            "notebook": job.records["notebook"],
            "scheme_config": job.records["scheme_config"],
            "parameters": job.params,
            "data_dir": relative_path(job.data_dir, job.root),
            "synthetic": paths.is_synthetic(job.data_dir),
            "inputs": inputs,
            "outputs": outputs,
            "kernel": job.kernel_name,
            "versions": {
                "python": platform.python_version(),
                **{name: package_version(name) for name in RECORDED_PACKAGES},
            },
            "platform": platform.platform(),
        }
        write_atomic(
            staging / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
        )
        _swap_in(staging, job.target)
    except Exception as err:
        if isinstance(err, OSError) and err.errno in WRITE_ERRNOS:
            raise write_error(err, job.target.parent) from err
        log.debug("finishing the document failed", exc_info=True)
        return _fail(
            job,
            staging,
            started,
            f"{shown_nb} ran, but the document could not be finished: {type(err).__name__}: {err}",
            {"ename": type(err).__name__, "evalue": str(err)},
        )
    if job.failed_dir.exists():
        shutil.rmtree(job.failed_dir, ignore_errors=True)
    seconds = time.perf_counter() - started
    log.info("%s: built in %.1f s", _name(job), seconds)
    message = f"Built {show_path(job.target)}/"
    message += f" (rebuilt because {job.reason})." if job.reason else "."
    if pdf_problem:
        message += f" {pdf_problem}"
    return BuildResult(job.scheme, job.year, "built", job.target, message, seconds)
