"""Run one planned document in a kernel, export it, swap it into place.

The notebook runs in a staging folder beside the target; ``report.ipynb``, ``report.html`` and
``manifest.json`` are written there, and the staging folder replaces the year's folder in one
rename. A failed run keeps the previous output and puts the partial notebook in
``_failed/<year>/``.
"""

from __future__ import annotations

import copy
import errno
import json
import logging
import os
import platform
import re
import secrets
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit import paths
from evalkit.errors import OutputWriteError
from evalkit.paths import relative_path, sha256_file, show_path, write_atomic
from evalkit.runner.export import export_html, first_heading
from evalkit.runner.kernels import KERNEL_DISPLAY_NAME, KERNEL_NAME, KernelError, WarmKernel
from evalkit.runner.plan import (
    FAILURE_FILE,
    MANIFEST_SCHEMA_VERSION,
    PDF_FILE,
    RECORDED_PACKAGES,
    BuildResult,
    Job,
    package_version,
)

log = logging.getLogger(__name__)


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


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging``: move the old one aside, move the new one in, remove
    the old one. If the second rename fails the old one is put back."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
    if failed.exists():
        shutil.rmtree(failed)
    failed.parent.mkdir(parents=True, exist_ok=True)
    if executed is not None and partial.exists():
        import nbformat

        try:
            _patch_record(executed, job, staging_text, relative_path(failed, job.root))
            nbformat.write(executed, str(partial))
        except Exception:  # the record is a courtesy; the failure is what matters
            log.debug("could not tidy the partial notebook", exc_info=True)
    os.replace(staging, failed)
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
        "status": "failed",
        "message": message,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "cache_key": job.key,
        **details,
    }
    write_atomic(failed / FAILURE_FILE, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    log.error("%s %s failed: %s", job.scheme, job.year, message)
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


def write_error(err: OSError, folder: Path) -> OutputWriteError:
    """One sentence naming the output folder and the cause (``os.strerror``)."""
    folder = Path(folder)
    for above in (folder, *folder.parents):
        if above.is_dir():
            break
        if above.exists() or above.is_symlink():
            return OutputWriteError(
                f"Cannot write to the output folder {show_path(folder)}: {show_path(above)} is "
                f"a file, not a folder ({os.strerror(errno.ENOTDIR)})."
            )
    cause = os.strerror(err.errno) if err.errno else str(err)
    return OutputWriteError(f"Cannot write to the output folder {show_path(folder)}: {cause}.")


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


def _make_pdf(kernel: WarmKernel, staging: Path, title: str) -> str | None:
    """Make ``report.pdf`` from ``report.html`` in the document's kernel (so that workers make
    their PDFs in parallel); returns None, or one sentence on why there is no PDF."""
    html, pdf = (staging / "report.html").resolve(), (staging / PDF_FILE).resolve()
    try:
        kernel.run(
            "__import__('evalkit.pdf', fromlist=['_']).write_pdf_file("
            f"{str(html)!r}, {str(pdf)!r}, title={title!r})"
        )
    except KernelError as err:
        ename = getattr(err, "ename", None)
        reason = getattr(err, "evalue", None) or str(err)
        log.warning("%s: report.pdf not made: %s: %s", staging.name, ename, reason)
        if ename == "PdfUnavailable":
            return reason
        return f"report.pdf was not made ({ename}: {reason}); the HTML is complete."
    return None


def execute(
    job: Job, started: float, kernel: WarmKernel, stop: threading.Event | None = None
) -> BuildResult:
    """Run ``job`` in ``kernel`` and finish its document.

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
        return _execute_in(job, staging, source_nb, started, kernel, stop)
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
) -> BuildResult:
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    shown_nb = show_path(job.notebook)
    staging_text = relative_path(staging, job.root)
    final_text = relative_path(job.target, job.root)
    parameters = {**job.params, "output_dir": staging_text}
    log.info("%s %s: running %s", job.scheme, job.year, shown_nb)

    def interrupted() -> BuildResult:
        log.info("%s %s: interrupted", job.scheme, job.year)
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
            # the notebook is written once at the end (or with the error), not after every cell
            request_save_on_cell_execute=False,
            # the worker's running kernel (nbclient leaves a kernel it did not start running)
            km=kernel.km,
            on_cell_execute=before_cell,
            resources={"metadata": {"path": str(job.root)}},
        )
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
        line = None
        if job.notebook.suffix == ".py" and err.source.strip():
            text = job.notebook.read_text(encoding="utf-8")
            at = text.find(err.source.strip().splitlines()[0])
            line = text.count("\n", 0, at) + 1 if at >= 0 else None
        partial = None
        try:
            partial = nbformat.read(str(staging / "report.ipynb"), as_version=4)
        except Exception:
            log.debug("no partial notebook", exc_info=True)
        return _fail(
            job,
            staging,
            started,
            f"{shown_nb}, cell {number}: {err.ename}: {evalue}",
            {
                "notebook": relative_path(job.notebook, job.root),
                "cell": number,
                "line": line,
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

    try:
        _patch_record(executed, job, staging_text, final_text)
        write_atomic(staging / "report.ipynb", nbformat.writes(executed) + "\n")
        title = job.title or first_heading(executed) or f"{job.scheme} {job.year}"
        write_atomic(staging / "report.html", export_html(executed, title))
        pdf_problem = _make_pdf(kernel, staging, title) if job.pdf else None
        if not (staging / "metrics.json").exists():
            log.warning("%s %s: the notebook wrote no metrics.json", job.scheme, job.year)
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
            "title": title,
            "status": "built",
            "cache_key": job.key,
            "cache_key_covers": [
                "notebook.sha256",
                "parameters",
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
            "inputs": job.records["inputs"],
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
    log.info("%s %s: built in %.1f s", job.scheme, job.year, seconds)
    message = f"Built {show_path(job.target)}/"
    message += f" (rebuilt because {job.reason})." if job.reason else "."
    if pdf_problem:
        message += f" {pdf_problem}"
    return BuildResult(job.scheme, job.year, "built", job.target, message, seconds)
