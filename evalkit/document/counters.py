"""Figure and table numbers of a document, taken in the order the pieces are shown.

A document object (an :class:`~evalkit.evaluation.Evaluation` or a
:class:`~evalkit.trends.Trends`) carries one :class:`Numbering`. A figure or a table takes its
number when it is shown (displayed in the notebook) or when a text refers to it first (the
text asks for the number by the piece's name just before the piece itself is shown); a piece
that is made and never shown takes none. The numbering also keeps the pieces shown, in order,
so that ``tables.xlsx`` holds the tables the document shows, with their numbers.

The *current document* is the one a researcher's own figure or table
(:func:`evalkit.document.numbered.figure`, :func:`evalkit.document.numbered.table`) belongs to
when no document is named: the one whose title was made last (``doc.title(ev)``, the first
cell of every notebook: :func:`evalkit.document.numbered.begin`) or whose piece was shown last.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field
from typing import Any

#: The document a researcher's figure or table goes into when none is named (a weak
#: reference: a document no longer held by the notebook is no one's current document).
_current: weakref.ReferenceType | None = None


@dataclass
class Numbering:
    """Figure and table numbers of one document, in order of first use, and the pieces shown.

    ``figure(key)`` and ``table(key)`` give the number of the piece named ``key``: the number
    it took, or the next one. :meth:`show` records a piece as shown (a piece shown again, as
    when a cell is run twice, keeps its number and its place).
    """

    figures: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    #: The figures and tables shown, in order; one entry per kind and name.
    shown: list[Any] = field(default_factory=list)
    document: Any = field(default=None, repr=False, compare=False)

    def figure(self, key: str) -> int:
        """The number of the figure ``key`` (the next one if it has none yet)."""
        return self.figures.setdefault(key, len(self.figures) + 1)

    def table(self, key: str) -> int:
        """The number of the table ``key`` (the next one if it has none yet)."""
        return self.tables.setdefault(key, len(self.tables) + 1)

    def show(self, piece: Any) -> int:
        """Record ``piece`` (a table or a figure: ``KIND``, ``name``) as shown and give it its
        number; its document becomes the current one."""
        number = self.figure(piece.name) if piece.KIND == "Figur" else self.table(piece.name)
        piece.number = number
        for i, earlier in enumerate(self.shown):
            if earlier.KIND == piece.KIND and earlier.name == piece.name:
                self.shown[i] = piece
                break
        else:
            self.shown.append(piece)
        if self.document is not None:
            use(self.document())
        return number

    def shown_tables(self) -> list[Any]:
        """The tables shown, in the order they were first shown."""
        return [p for p in self.shown if p.KIND == "Tabell"]

    def referred_not_shown(self) -> list[str]:
        """«Figur 5», «Tabell 2» (in the current language): numbers a text referred to whose
        piece was never shown."""
        from evalkit.i18n import t

        shown = {(p.KIND, p.name) for p in self.shown}
        kinds = (("Figur", "piece.figure", self.figures), ("Tabell", "piece.table", self.tables))
        return [
            t(word, number=str(number))
            for kind, word, numbers in kinds
            for name, number in numbers.items()
            if (kind, name) not in shown
        ]


def warn_referred_not_shown(registry: Numbering) -> None:
    """A line under the cell (stderr) naming the numbers a text referred to whose piece the
    notebook did not show."""
    missing = registry.referred_not_shown()
    if missing:
        print(
            f"evalkit: the text refers to {', '.join(missing)}, which the notebook does not "
            "show; show the piece, or drop the text that refers to it.",
            file=sys.stderr,
        )


def numbering(document: Any) -> Numbering:
    """The :class:`Numbering` of a document object, made on first use."""
    found = document.__dict__.get("_evalkit_numbering")
    if found is None:
        try:
            ref = weakref.ref(document)
        except TypeError:  # an object without weak references is no one's current document
            ref = None
        found = Numbering(document=ref)
        document.__dict__["_evalkit_numbering"] = found
    return found


def current() -> Any | None:
    """The current document (see the module's docstring), or None."""
    return _current() if _current is not None else None


def use(document: Any) -> None:
    """Make ``document`` the current document."""
    global _current
    if document is None:
        return
    try:
        _current = weakref.ref(document)
    except TypeError:
        _current = None


def forget() -> None:
    """No current document (the runner's warm kernel, before each document)."""
    global _current
    _current = None
