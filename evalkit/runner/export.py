"""``report.html`` from an executed notebook: no code, no prompts, figures embedded, nothing
loaded from the network. The nbconvert template is ``evalkit/templates/report.html.j2``.

:func:`export_html` is the HTML export; a PDF export goes beside it as ``export_pdf``.
"""

from __future__ import annotations

import copy
import functools
import html
import logging
import re
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


def export_html(nb: Any, title: str) -> str:
    """``report.html``: no code, no prompts, figures embedded, nothing loaded from the network."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    reader_nb = copy.deepcopy(nb)
    cells = []
    for cell in reader_nb.cells:
        if _RUNNER_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":  # warnings are for the record (report.ipynb), not readers
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
        cells.append(cell)
    reader_nb.cells = cells
    reader_nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"evalkit_report.html.j2": _report_template()})],
        template_file="evalkit_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
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
    body, _ = exporter.from_notebook_node(reader_nb, resources={"metadata": {"name": title}})
    body = body.replace(f'alt="{_NBCONVERT_ALT}"', 'alt="Figur"')
    stripped = _EXTERNAL_LINK.sub("", _EXTERNAL_SCRIPT.sub("", body))
    if stripped != body:
        log.warning("Removed script or stylesheet links to the network from report.html")
    return stripped
