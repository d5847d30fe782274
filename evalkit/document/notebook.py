"""``evalkit notebook SCHEME``: a notebook of a scheme's own, one cell per piece.

The generic ``notebooks/year.py`` shows the results of any scheme in one cell. The notebook
written here (``notebooks/<scheme>.py``, jupytext ``py:percent``, the same header and
parameters cell) shows every piece of the document in a cell of its own, each a single call
naming the piece (``doc.piece(ev, "fylker_belop")``), in the order the scheme's YAML lays them
out, so that a researcher drops, moves or adds one piece at a time. The runner builds a
scheme's own notebook in place of the generic one.

Nothing of the YAML's text is written into the notebook: the pieces are named by
:func:`evalkit.document.numbered.piece_name` (ASCII letters, digits and ``_``) and read their
words from the YAML when they run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from evalkit import paths
from evalkit.config import Scheme
from evalkit.document.year import layout
from evalkit.errors import EvalkitError

#: The intro cell of a scheme's own notebook (between the generic notebook's jupytext header
#: and its parameters cell, which are taken from ``notebooks/year.py`` as they are).
INTRO = """\
# %%
# Evaluation document for one year of the scheme {scheme}, written by
# `evalkit notebook {scheme}` from its YAML: one cell per piece of the document (heading,
# text, table, figure), each a call naming the piece. Drop, move or add cells: figures and
# tables are numbered in the order they are shown, and tables.xlsx holds the tables shown.
# doc.pieces(ev) lists the pieces by name. Your own figure or table in the document:
#   doc.figure(fig, title="…", alt="…")   (a matplotlib Figure or Axes, a seaborn grid)
#   doc.table(frame, title="…")           (counts of 1 and 2 hidden, as in every table)
# `evalkit report {scheme} YEAR` builds it.
"""


def _generic_parts(scheme: str, year: int) -> tuple[str, str, str]:
    """The jupytext header, the parameters cell (``scheme`` and ``year`` set to this scheme's)
    and the cell that evaluates the year, as the generic ``notebooks/year.py`` has them: one
    place declares the parameters every year notebook takes."""
    generic = paths.project_root() / "notebooks" / "year.py"
    try:
        source = generic.read_text(encoding="utf-8")
    except OSError as err:
        raise EvalkitError(
            f"{paths.show_path(generic)} cannot be read ({err.strerror}): a scheme's notebook "
            "is written from the generic one. Restore notebooks/year.py (git checkout "
            "notebooks/year.py) and run again."
        ) from None
    cells = re.split(r"(?m)^(?=# %%)", source)
    header = cells[0]
    found = [i for i, c in enumerate(cells) if c.startswith('# %% tags=["parameters"]')]
    if not found or found[0] + 1 >= len(cells):
        raise EvalkitError(
            f"{paths.show_path(generic)} has no cell tagged «parameters» followed by the cell "
            "that evaluates the year. Restore it (git checkout notebooks/year.py)."
        )
    at = found[0]
    parameters = re.sub(r"(?m)^scheme: str = .*$", f"scheme: str = {json.dumps(scheme)}", cells[at])
    parameters = re.sub(r"(?m)^year: int = .*$", f"year: int = {int(year)}", parameters)
    # the generic notebook displays parts in a loop of its own; the cells written here do not
    evaluation = re.sub(r"(?m)^from IPython\.display import display\n\n?", "", cells[at + 1])
    return header.rstrip() + "\n", parameters.rstrip() + "\n", evaluation.rstrip() + "\n"


#: Pieces called by their own function, as in the generic notebook.
_FUNCTIONS = {
    "datagrunnlag": "banner",
    "sammendrag": "summary",
    "nokkeltall": "key_figures",
    "merknader": "notes",
    "bakgrunn": "background",
    "metode": "method",
    "sammenligning_innledning": "comparison_intro",
    "sammenligning_figur": "comparison_figure",
    "sammenligning": "comparison_table",
    "datakvalitet_sammendrag": "quality_summary",
    "datakvalitet": "quality_table",
}


#: The section headings the notebook shows before a piece (catalog keys, :func:`doc.heading
#: <evalkit.document.heading>`), as in the generic ``notebooks/year.py``.
HEADING_BEFORE = {
    "sammendrag": "year.heading.summary",
    "bakgrunn": "year.heading.background",
    "sammenligning_innledning": "year.heading.comparison",
    "datakvalitet_sammendrag": "year.heading.quality",
}
#: The heading before the first piece of the results.
RESULTS_HEADING = "year.heading.results"


def _heading_cell(key: str) -> str:
    return f"# %%\ndoc.heading({json.dumps(key)})\n"


def _cell(name: str) -> str:
    if name in _FUNCTIONS:
        call = f"doc.{_FUNCTIONS[name]}(ev)"
    else:  # a name of ASCII letters, digits and _, written as a string literal all the same
        call = f"doc.piece(ev, {json.dumps(name)})"
    return f"# %%\n{call}\n"


def default_year(scheme: Scheme) -> int:
    """The latest year with data for the scheme (in ``data/raw``, else the demo data), else
    the scheme's first year."""
    found = paths.available_years(paths.default_data_dir(scheme.name), scheme.name)
    return max(found) if found else int(scheme.first_year)


def notebook_text(scheme: Scheme, year: int | None = None) -> str:
    """The notebook of ``scheme`` as jupytext ``py:percent`` text (see the module)."""
    year = default_year(scheme) if year is None else int(year)
    header, parameters, evaluation = _generic_parts(scheme.name, year)
    parts = [header, INTRO.format(scheme=scheme.name), parameters, evaluation]
    specs = [s for s in layout(scheme) if s.name != "tittel"]
    results_started = False
    for spec in specs:
        if spec.in_results and not results_started:
            parts.append(_heading_cell(RESULTS_HEADING))
            results_started = True
        if spec.name in HEADING_BEFORE:
            parts.append(_heading_cell(HEADING_BEFORE[spec.name]))
        parts.append(_cell(spec.name))
    parts.append("# %%\ndoc.save(ev, output_dir)\n")
    return "\n".join(parts)


def notebook_path(scheme: Scheme) -> Path:
    """Where the notebook of ``scheme`` goes: ``notebooks/<scheme>.py`` in the project."""
    return paths.project_root() / "notebooks" / f"{scheme.name}.py"


def write_notebook(scheme: Scheme, *, force: bool = False, year: int | None = None) -> Path:
    """Write ``notebooks/<scheme>.py`` (:func:`notebook_text`) and return its path.

    Raises
    ------
    EvalkitError
        The notebook exists and ``force`` is False.
    """
    path = notebook_path(scheme)
    if path.exists() and not force:
        raise EvalkitError(
            f"{paths.show_path(path)} exists already and was left as it is. To write it anew "
            f"from the YAML (the changes made in it are lost), run evalkit notebook "
            f"{scheme.name} --force; or move it away first."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return paths.write_atomic(path, notebook_text(scheme, year))
