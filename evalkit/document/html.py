"""``report.html`` from an executed notebook: no code, no prompts, figures embedded, nothing
loaded from the network, no stray return values (:func:`is_plot_repr`). The nbconvert template
is ``evalkit/templates/report.html.j2``. A figure shown without a title or alt text is named,
with its cell, in the build's log.

:func:`export_html` is the HTML export; a PDF export goes beside it as ``export_pdf``.
"""

from __future__ import annotations

import copy
import functools
import html
import logging
import re
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "templates" / "report.html.j2"


_EXTERNAL_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL
)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.IGNORECASE)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.IGNORECASE | re.DOTALL)
_RUNNER_TAGS = {"parameters", "injected-parameters"}
_NBCONVERT_ALT = "No description has been provided for this image"
#: nbconvert warns about figures without alternative text on every export; errors only.
_NBCONVERT_LOG = logging.getLogger(f"{__name__}.nbconvert")
_NBCONVERT_LOG.setLevel(logging.ERROR)


#: What a matplotlib or seaborn call returns, as the notebook prints it when it is a cell's last
#: expression (``Text(0, 0.5, '')`` from ``ax.set_ylabel('')``, ``<Axes: …>``,
#: ``[<matplotlib.lines.Line2D at 0x…>]``, ``<BarContainer object of 3 artists>``,
#: ``<seaborn.axisgrid.FacetGrid at 0x…>``): none of it is for readers.
_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|nan|-?inf"
_STRING = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_PLOT_ITEM = (
    rf"Text\((?:{_NUMBER}), (?:{_NUMBER}), (?:{_STRING})\)"
    r"|<(?:matplotlib|seaborn|mpl_toolkits)\.[\w.]+ (?:at 0x[0-9a-fA-F]+|object at 0x[0-9a-fA-F]+)>"
    r"|<\w*Axes\w*:[^<>]*>"
    r"|<Figure size [\d.]+x[\d.]+ with \d+ Axes>"
    r"|<\w+Container object of \d+ artists>"
)
_PLOT_REPR = re.compile(
    rf"(?:array\()?[\[(]?\s*(?:{_PLOT_ITEM})(?:\s*,\s*(?:{_PLOT_ITEM}))*\s*,?\s*[\])]?"
    r"(?:,\s*dtype=object\))?",
    re.DOTALL,
)


def is_plot_repr(text: str) -> bool:
    """Whether ``text`` is only what matplotlib or seaborn objects print as (a label, an Axes,
    a list of lines, a grid …): a cell's stray return value, left out of the document."""
    return bool(_PLOT_REPR.fullmatch(text.strip()))


def _stray(output: Any) -> bool:
    """A cell's result that is only the text of a matplotlib or seaborn object."""
    data = output.get("data", {})
    return (
        output.get("output_type") == "execute_result"
        and set(data) == {"text/plain"}
        and is_plot_repr(_join(data["text/plain"]))
    )


_UNTITLED_LABEL = re.compile(r"<span class='caption-label'>([^<]+)\.</span>")


def _cell_number(cell: Any, position: int) -> int:
    """The cell's number in the notebook file (the runner gives each cell the id
    ``cell-N``), else its position."""
    m = re.fullmatch(r"cell-(\d+)", str(cell.get("id", "")))
    return int(m.group(1)) if m else position


def _check_figures(cell: Any, position: int) -> None:
    """Say in the build's log which cell shows a figure without a title or alt text, and
    what to write instead."""
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        html_text = _join(data.get("text/html", ""))
        first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
        where = f"cell {_cell_number(cell, position)} ({first_line.strip()[:60]!r})"
        if "evalkit-untitled" in html_text:
            m = _UNTITLED_LABEL.search(html_text)
            log.warning(
                "%s shows a figure without a title or alt text, published as «%s» with a "
                'placeholder caption. Show it with doc.figure(fig, title="…", alt="…").',
                where,
                m.group(1) if m else "Figur",
            )
        elif "image/png" in data and "text/html" not in data:
            log.warning(
                "%s shows an image without a number, caption or alt text. Show figures with "
                'doc.figure(fig, title="…", alt="…").',
                where,
            )


@functools.cache
def _report_template() -> str:
    return TEMPLATE_PATH.read_text(encoding="utf-8")


def first_heading(nb: Any) -> str | None:
    """The first heading a reader sees: a Markdown cell's, or a displayed Markdown/HTML one."""
    for cell in nb.cells:
        texts: list[tuple[str, str]] = []
        if cell.cell_type == "markdown":
            texts.append(("md", cell.source))
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/markdown" in data:
                    texts.append(("md", _join(data["text/markdown"])))
                elif "text/html" in data:
                    texts.append(("html", _join(data["text/html"])))
        for kind, text in texts:
            m = (_MD_HEADING if kind == "md" else _HTML_HEADING).search(text)
            if m:
                plain = re.sub(r"<[^>]+>", "", m.group(1))
                plain = re.sub(r"[*_`]+", "", plain)
                return html.unescape(plain).strip() or None
    return None


def _join(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_language(nb: Any) -> str:
    """The language a run notebook was written in: its ``lang`` parameter as papermill
    recorded it (``metadata.papermill.parameters``), else the notebook's default, else ``nb``."""
    from evalkit.i18n import SOURCE_LANGUAGE, check_language

    params = nb.get("metadata", {}).get("papermill", {}).get("parameters", {}) or {}
    lang = params.get("lang")
    if lang is None:  # the value of the parameters cell (a notebook run as it is)
        for cell in nb.cells:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                m = re.search(r'^lang\s*(?::\s*str)?\s*=\s*["\']([a-z]+)["\']', cell.source, re.M)
                lang = m.group(1) if m else None
                break
    return check_language(lang or SOURCE_LANGUAGE, "the notebook's lang parameter")


def export_html(nb: Any, title: str, lang: str | None = None) -> str:
    """``report.html``: no code, no prompts, figures embedded, nothing loaded from the network.

    ``lang``: the document's language (``<html lang="…">``, from which the PDF takes its
    ``/Lang``, and the template's words); default the notebook's ``lang`` parameter
    (:func:`notebook_language`)."""
    from evalkit.i18n import language, t

    reader_nb = copy.deepcopy(nb)
    cells = []
    for position, cell in enumerate(reader_nb.cells, start=1):
        if _RUNNER_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            # warnings are for the record (report.ipynb), not readers; nor is the text of a
            # matplotlib object a cell happened to end on
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.output_type == "stream" and o.name == "stderr") and not _stray(o)
            ]
            _check_figures(cell, position)
        cells.append(cell)
    reader_nb.cells = cells
    reader_nb.metadata["title"] = title
    lang = notebook_language(nb) if lang is None else lang
    exporter = _html_exporter()
    exporter.language_code = lang
    exporter.environment.globals["t"] = t
    with language(lang):
        body, _ = exporter.from_notebook_node(reader_nb, resources={"metadata": {"name": title}})
        figure = html.escape(t("html.figure_alt"))  # an image without alt text: «Figur»
    body = body.replace(f'alt="{_NBCONVERT_ALT}"', f'alt="{figure}"')
    stripped = _EXTERNAL_LINK.sub("", _EXTERNAL_SCRIPT.sub("", body))
    if stripped != body:
        log.warning("Removed script or stylesheet links to the network from report.html")
    return stripped


def warm_up(lang: str = "nb") -> Any:
    """Export a small notebook like a document's (a Markdown cell, a code cell showing
    Markdown, HTML and text), throwing the page away, so that this thread's exporter is made,
    the templates compiled and the modules the export imports on first use imported: the first
    export in a process took 0,55 s where the next took 0,16 s.

    Returns the exporter it made: the runner warms up in a thread of its own while the
    notebook runs and hands the exporter to the thread that exports (:func:`adopt_exporter`).
    """
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tittel\n\nTekst med **fet** skrift og en [lenke](#a)."),
        nbformat.v4.new_code_cell(
            "vis()",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/markdown": "## Del\n\n- punkt med *kursiv*\n- 1 234,5 %\n\n"
                        "| A | B |\n|---|--:|\n| a | 1 |\n",
                        "text/plain": "Del",
                    },
                ),
                nbformat.v4.new_output(
                    "display_data",
                    data={"text/html": "<p>Tabell</p>", "text/plain": "Tabell"},
                ),
                nbformat.v4.new_output("stream", name="stdout", text="tekst\n"),
            ],
        ),
    ]
    export_html(nb, "Tittel", lang=lang)
    return _html_exporter()


def adopt_exporter(exporter: Any) -> None:
    """Make ``exporter`` (made by :func:`warm_up` in a thread that no longer uses it) this
    thread's HTML exporter."""
    _EXPORTERS.html = exporter


#: Each thread's HTML exporter (:func:`_html_exporter`).
_EXPORTERS = threading.local()


def exporter_ready() -> bool:
    """Whether this thread has its HTML exporter (it has exported, or adopted one)."""
    return getattr(_EXPORTERS, "html", None) is not None


def _html_exporter() -> Any:
    """nbconvert's HTML exporter with evalkit's template, made once per thread and used for
    document after document: made anew, it compiled its templates again for every document
    (0,07 s of the 0,15 s an export takes). One per thread, as the build's workers export side
    by side."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is not None:
        return exporter
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"evalkit_report.html.j2": _report_template()})],
        template_file="evalkit_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        # the notebook checked against nbformat's schema once, after the preprocessors, not
        # after each of the twelve (a twelfth of the checks)
        optimistic_validation=True,
        language_code="nb",
        mathjax_url="",
        require_js_url="",
        jquery_url="",
        mermaid_js_url="",
        mermaid_layout_elk_js_url="",
        widget_renderer_url="",
        jupyter_widgets_base_url="",
        log=_NBCONVERT_LOG,
    )
    # the templates compiled once for every thread's exporter
    exporter.environment.bytecode_cache = _compiled_templates()
    _EXPORTERS.html = exporter
    return exporter


@functools.cache
def _compiled_templates() -> Any:
    """Jinja's in-memory cache of the compiled templates, shared by the exporters of every
    thread (each would compile the dozen templates of nbconvert's lab template again, 0,1 s).
    A template is looked up by its name and checked against its source (Jinja's checksum), so
    a changed template is compiled again."""
    from jinja2 import BytecodeCache

    class InMemory(BytecodeCache):
        def __init__(self) -> None:
            self.compiled: dict[str, bytes] = {}

        def load_bytecode(self, bucket) -> None:
            code = self.compiled.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket) -> None:
            self.compiled[bucket.key] = bucket.bytecode_to_string()

    return InMemory()
