"""``report.pdf`` made in a process of its own, started when a build starts.

Whether WeasyPrint can run here, and the PDFs of a build with one worker (``evalkit report``,
``--jobs 1``), are the business of one worker process (``python -m evalkit.document.pdfmaker``,
which imports nothing of the runner), started by the first :func:`pdf_wanted` of a build that
makes PDFs. It imports WeasyPrint and warms it up on a page like a document
(:func:`evalkit.document.pdf.warm_up`) on a processor of its own while the document's kernel
starts and its notebook runs, says whether it can make PDFs, then makes each PDF it is asked for
(:func:`start_pdf`, whose result the runner takes when it has checked the kernel's reads and
listed the outputs; :func:`make_pdf` waits for it at once): it reads ``report.html``, writes
``report.pdf`` atomically beside it and answers with WeasyPrint's notes on the page (which go to
the build's log) or with what went wrong. (In a thread of the runner, the import and the
warm-up took turns of the interpreter with the thread that reads the kernel's messages.)

The two talk in JSON lines over the worker's standard input and output
(:mod:`evalkit.document.pdfmaker` describes them). The worker is in a session of its own (a
Ctrl-C at the terminal reaches the runner, which stops the worker when it is making a PDF). It
is killed at the runner's exit (:func:`shut_down`: every PDF asked for is answered by then), and
it ends when its input closes (the runner died). Where it cannot start WeasyPrint, or stops,
the HTML is built as before and one sentence says why there is no PDF.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

#: How often a wait for the worker looks whether the build was stopped (seconds).
_POLL = 0.05


class PdfNotMade(Exception):
    """The worker made no PDF of a page: ``ename`` and ``reason`` say why, ``errno`` is the
    error number of an :class:`OSError` in writing it (None otherwise)."""

    def __init__(self, ename: str, reason: str, errno: int | None = None) -> None:
        super().__init__(f"{ename}: {reason}")
        self.ename, self.reason, self.errno = ename, reason, errno


class _Worker:
    """The worker process, its answers (read by a thread into ``answers``) and what it said
    about WeasyPrint: ``problem`` (None, or the sentence saying what to install) once known,
    and whether that line was ``told``."""

    def __init__(self) -> None:
        import evalkit

        package_parent = str(Path(evalkit.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
        self.answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.lock = threading.Lock()  # one page at a time
        self.known = threading.Event()
        self.problem: str | None = None
        self.told = False
        self.stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "evalkit.document.pdfmaker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                env=env,
                start_new_session=os.name == "posix",
            )
        except OSError as err:  # no process can be started here (no memory, no executable)
            self.proc = None
            self.problem = (
                f"report.pdf was not made: the PDF worker could not start "
                f"({type(err).__name__}: {err})."
            )
            self.known.set()
            return
        threading.Thread(target=self._read, name="evalkit-pdf-answers", daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if not self.known.is_set() and "problem" in answer:
                self.problem = answer["problem"]
                self.known.set()
            else:
                self.answers.put(answer)
        if not self.known.is_set():
            self.problem = f"report.pdf was not made: {self._stopped()}."
            self.known.set()
        self.answers.put(None)

    def _stopped(self) -> str:
        """What the worker left on stderr when it stopped: its last line."""
        code = self.proc.wait()
        try:
            self.stderr.seek(0)
            last = self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        except (OSError, ValueError):
            last = []
        return f"the PDF worker stopped (exit code {code}{': ' + last[0] if last else ''})"

    def make(self, html: Path, pdf: Path, title: str, stop: threading.Event | None) -> list:
        """The PDF of ``html`` written to ``pdf``; WeasyPrint's notes on the page as
        ``(logger, level, message)``. Raises :class:`PdfNotMade`, at once when ``stop`` is
        set (no PDF; the worker is killed)."""
        with self.lock:
            request = {"html": str(html), "pdf": str(pdf), "title": title}
            try:
                self.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                self.proc.stdin.flush()
            except OSError:
                pass  # it stopped: its end of the answers says so
            while True:
                try:
                    answer = self.answers.get(timeout=_POLL)
                except queue.Empty:
                    if stop is not None and stop.is_set():
                        self.close(kill=True)
                        raise PdfNotMade("Interrupted", "the build was stopped") from None
                    continue
                if answer is None:
                    self.answers.put(None)  # every later page finds it stopped too
                    raise PdfNotMade("WorkerStopped", self._stopped())
                if answer.get("ok"):
                    return answer.get("notes", [])
                raise PdfNotMade(answer["ename"], answer["reason"], answer.get("errno"))

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker: its input closed (it ends after the page it is making), or
        ``kill``ed."""
        if self.proc is None:
            self.stderr.close()
            return
        try:
            if kill:
                self.proc.kill()
            else:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        finally:
            self.stderr.close()


_WORKER: _Worker | None = None
_LOCK = threading.Lock()


def _worker() -> _Worker:
    """The worker; one is started when there is none (the first question, or the last one
    stopped while it made a PDF)."""
    global _WORKER
    with _LOCK:
        if _WORKER is None:
            _WORKER = _Worker()
        return _WORKER


def pdf_wanted(pdf: bool, *, wait: bool = True) -> bool:
    """Whether to make ``report.pdf``: asked for, and WeasyPrint can run here. Where it cannot,
    one line on stderr (once per worker) says what to install; the HTML is still built.

    The first question starts the worker process (WeasyPrint's import and warm-up take
    0,5–1 s), so that the document's kernel starts and runs meanwhile. ``wait=False``: do not
    wait for the answer; True unless WeasyPrint is known not to run here (the PDF's maker asks
    again, waiting, before it makes it)."""
    if not pdf:
        return False
    worker = _worker()
    if not worker.known.is_set():
        if not wait:
            return True
        worker.known.wait()
    with _LOCK:
        if worker.problem and not worker.told:
            worker.told = True
            print(f"evalkit: {worker.problem}", file=sys.stderr)
    return worker.problem is None


def warm_up_done(timeout: float, cancel: threading.Event | None = None) -> None:
    """Wait until the worker process, if one is starting, has imported and warmed up WeasyPrint
    (or said that it cannot), at most ``timeout`` seconds and no longer than ``cancel`` is
    unset: what the runner warms up beside the notebook waits for it, so that the two do not
    share the processor the kernel leaves free."""
    worker = _WORKER
    if worker is None:
        return
    deadline = time.monotonic() + timeout
    while not worker.known.wait(_POLL):
        if time.monotonic() > deadline or (cancel is not None and cancel.is_set()):
            return


class PendingPdf:
    """A PDF the worker process is making (:func:`start_pdf`): the runner goes on meanwhile
    (it checks what the kernel read and lists the outputs) and then asks for the
    :meth:`result`. A thread of the runner sends the request and waits for the answer; the
    worker makes the page on a processor of its own."""

    def __init__(
        self, html: Path | str, pdf: Path | str, title: str, stop: threading.Event | None
    ) -> None:
        self._notes: list = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._make,
            args=(Path(html), Path(pdf), title, stop),
            name="evalkit-pdf-request",
            daemon=True,
        )
        self._thread.start()

    def _make(self, html: Path, pdf: Path, title: str, stop: threading.Event | None) -> None:
        try:
            self._notes = _make(html, pdf, title, stop)
        except BaseException as err:  # handed to the caller of result()
            self._error = err

    def result(self) -> None:
        """Wait until the PDF is written; WeasyPrint's notes on the page are logged here (in the
        caller's thread, under WeasyPrint's loggers' names).

        Raises
        ------
        PdfNotMade
            As :func:`make_pdf`.
        """
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        for name, level, message in self._notes:
            logging.getLogger(name).log(level, "%s", message)


def _make(html: Path, pdf: Path, title: str, stop: threading.Event | None) -> list:
    """The worker's notes on the PDF of ``html`` written to ``pdf``; raises
    :class:`PdfNotMade` (see :func:`make_pdf`)."""
    worker = _worker()
    worker.known.wait()
    if worker.problem is not None:
        raise PdfNotMade("PdfUnavailable", worker.problem)
    try:
        return worker.make(html.resolve(), pdf.resolve(), title, stop)
    finally:
        if worker.proc is not None and worker.proc.poll() is not None:
            with _LOCK:
                global _WORKER
                if _WORKER is worker:
                    _WORKER = None


def start_pdf(
    html: Path | str, pdf: Path | str, *, title: str, stop: threading.Event | None = None
) -> PendingPdf:
    """Start writing ``report.pdf`` (``pdf``) from ``report.html`` (``html``) in the worker
    process; the caller goes on and then waits for :meth:`PendingPdf.result`."""
    return PendingPdf(html, pdf, title, stop)


def make_pdf(
    html: Path | str, pdf: Path | str, *, title: str, stop: threading.Event | None = None
) -> None:
    """Write ``report.pdf`` (``pdf``) from ``report.html`` (``html``) in the worker process;
    WeasyPrint's notes on the page are logged here, under its loggers' names.

    Raises
    ------
    PdfNotMade
        WeasyPrint failed on the page, the worker stopped, the file could not be written
        (``errno`` set), or ``stop`` was set meanwhile.
    """
    start_pdf(html, pdf, title=title, stop=stop).result()


@atexit.register
def shut_down() -> None:
    """Stop the worker, if one runs (at exit; tests start a new one with another setting).

    It is killed: every PDF asked for has been answered by then (written, or said why not),
    and after its last answer the worker collects the page's garbage (0,2–0,5 s), which the
    runner's exit would otherwise wait for."""
    global _WORKER
    with _LOCK:
        worker, _WORKER = _WORKER, None
    if worker is not None:
        worker.close(kill=True)
