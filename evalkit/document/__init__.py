"""The documents: their pieces and their writers. Formatting only; nothing here computes a
statistic (the evaluation and the trends do, and the documents read them).

``from evalkit import document as doc`` gives the pieces of a per-year document
(:mod:`evalkit.document.year`: ``doc.title(ev)``, ``doc.piece(ev, name)``, ``doc.figure``,
``doc.table``, ``doc.save`` …), loaded on first use, so that the runner imports a writer or the
numbering without pandas or matplotlib (``tests/test_fast_cached.py``). The modules:

- ``year.py`` and ``trends.py``: the pieces of the per-year and the trends document;
- ``numbered.py``: tables and figures with number, caption, source and notes, and a
  researcher's own (``doc.figure``, ``doc.table``); ``counters.py``: the numbers they take, in
  the order shown;
- ``text.py``: the Norwegian sentences (summary, alt texts, notes) and escaping; the number
  formats are :mod:`evalkit.formats`; ``plots.py``: the figures and the house style;
- the writers: ``html.py`` (``report.html``), ``pdf.py`` (``report.pdf``), ``excel.py``
  (``tables.xlsx``), ``notebook.py`` (``evalkit notebook SCHEME``).

:func:`heading` shows a section heading from the message catalog in the document's language
(``doc.heading("year.heading.summary")`` is «## Sammendrag», «## Samandrag» or «## Summary»),
so that a notebook holds no Norwegian or English text of its own.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any


def heading(key: str, level: int = 2) -> Any:
    """The section heading ``key`` of the message catalog (:func:`evalkit.i18n.t`) in the
    current language, as Markdown (``## Sammendrag``): the HTML and the PDF number and link it
    in the table of contents as a heading of a Markdown cell.

    Parameters
    ----------
    key
        A catalog key, e.g. ``"year.heading.summary"``.
    level
        2 for a section (``##``), 3 for a subsection (``###``).
    """
    from IPython.display import Markdown

    from evalkit.i18n import t

    if level not in (2, 3):
        raise ValueError(f"a heading's level is 2 or 3, not {level!r}")
    text = " ".join(t(key).split())  # one line: a heading is never broken
    return Markdown(f"{'#' * level} {text}")


def _year() -> Any:
    return importlib.import_module(f"{__name__}.year")


def __getattr__(name: str) -> Any:
    """A module of the package (``doc.pdf``), else a piece of the per-year document
    (``doc.title``) from :mod:`evalkit.document.year`."""
    if not name.startswith("__"):
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            return importlib.import_module(f"{__name__}.{name}")
        try:
            return getattr(_year(), name)
        except AttributeError:
            pass
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(dir(_year())))
