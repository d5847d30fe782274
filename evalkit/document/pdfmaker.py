"""The PDF worker process: ``python -m evalkit.document.pdfmaker``, started by the runner
(:mod:`evalkit.runner.pdfworker`, which describes it).

It imports WeasyPrint and warms it up (:func:`evalkit.document.pdf.warm_up`), says in one JSON
line on its standard output whether it can make PDFs (``{"problem": null}`` or the sentence
saying what to install), then reads requests, one JSON line each on its standard input
(``{"html": path, "pdf": path, "title": text}``), and answers each in one line: ``{"ok": true,
"notes": [[logger, level, message], ...]}`` (WeasyPrint's notes on the page, and Python's
warnings) or ``{"ename": ..., "reason": ..., "errno": ...}``. It ends when its input closes.
Anything else printed goes to its standard error.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any


class _Notes(logging.Handler):
    """WeasyPrint's notes (and Python's warnings) on the page being made."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _serve(answers, requests) -> None:
    """Import WeasyPrint, warm it up, say whether it runs, then make each page asked for.

    Python's cyclic garbage collector is off in the worker and collects after each answer
    instead: WeasyPrint leaves about a million objects per page, and with the collector on,
    collecting them (0,2–0,5 s) came before the answer, while the runner waited for it
    (:func:`evalkit.document.pdf.write_pdf_bytes` keeps the collector as it finds it)."""
    import gc

    from evalkit.document import pdf

    gc.disable()

    def say(answer: dict[str, Any]) -> None:
        answers.write(json.dumps(answer, ensure_ascii=False) + "\n")
        answers.flush()

    try:
        problem = pdf.unavailable()
        if problem is None:
            pdf.warm_up()
    except Exception as err:  # WeasyPrint imported but cannot make a page
        problem = f"report.pdf was not made: WeasyPrint failed ({type(err).__name__}: {err})."
    say({"problem": problem})
    gc.collect()
    if problem is not None:
        return
    notes = _Notes()
    for name in ("weasyprint", "py.warnings"):
        logging.getLogger(name).addHandler(notes)
    logging.captureWarnings(True)
    for line in requests:
        request = json.loads(line)
        notes.records = []
        try:
            pdf.write_pdf_file(request["html"], request["pdf"], title=request["title"])
        except Exception as err:
            errno = err.errno if isinstance(err, OSError) else None
            say({"ename": type(err).__name__, "reason": str(err), "errno": errno})
        else:
            say({"ok": True, "notes": notes.records})
        gc.collect()


def main() -> None:
    """The worker: JSON lines out on what was standard output (anything printed goes to
    standard error instead), requests in on standard input, until it closes. It then ends at
    once, without the interpreter's clean-up of WeasyPrint's modules (0,2 s that the runner
    would wait for at its exit): every PDF is written and every answer sent by then."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = (line for line in sys.stdin.buffer if line.strip())
    _serve(answers, requests)
    answers.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
