"""``report.pdf``: the document for print and archive, made from ``report.html`` by WeasyPrint.

The same content as the web page, with a print stylesheet: A4 with 2 cm margins, a title block
on the first page, a running header with the title, «side X av Y» in the footer, the table of
contents with page numbers, no figure or table split across pages and table headers repeated on
every page. The file is tagged PDF/UA-1 (``pdf_variant="pdf/ua-1"``): the language (``nb``)
and the title come from the HTML, and the figures' alt texts become the tags' alternate text.

WeasyPrint needs the Pango library from the system. Where it is missing, :func:`write_pdf`
raises :class:`PdfUnavailable` with one sentence saying what to install; the runner then builds
the HTML and says so.
"""

from __future__ import annotations

import re
from pathlib import Path

from evalkit import paths
from evalkit.errors import EvalkitError

#: What to install when WeasyPrint cannot load its system libraries (Debian/Ubuntu names).
INSTALL_HINT = (
    "install Pango (Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0; "
    "other systems: see WeasyPrint's installation page), or build with --no-pdf"
)

#: The screen stylesheets of nbconvert's lab template (JupyterLab's theme and the code
#: highlighting): a printed page has no use for them, and they are most of WeasyPrint's work.
_SCREEN_STYLE = re.compile(
    r"<style[^>]*>(?:(?!</style>).)*?(?:Copyright \(c\) Jupyter Development Team|"
    r"td\.linenos|Force rendering true colors)(?:(?!</style>).)*</style>",
    re.S,
)

PRINT_CSS = """
@page {
  size: A4;
  margin: 2.2cm 2cm 2.2cm 2cm;
  @top-left { content: "%(title)s"; font-size: 8pt; color: #444; }
  @bottom-right { content: "side " counter(page) " av " counter(pages); font-size: 8pt; }
}
@page :first { @top-left { content: none; } }
html { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9.5pt;
       line-height: 1.4; color: #111; }
body { margin: 0; }
main, .jp-Notebook { padding: 0; margin: 0; }
.jp-Collapser, .jp-InputPrompt, .jp-OutputPrompt, a.anchor-link { display: none; }
h1 { font-size: 18pt; line-height: 1.2; margin: 0 0 0.6em 0; bookmark-level: 1; }
h2 { font-size: 13.5pt; margin: 1.2em 0 0.4em 0; bookmark-level: 2; }
h3 { font-size: 11pt; margin: 1em 0 0.3em 0; bookmark-level: 3; }
h1, h2, h3, h4, .table-title, figcaption.above { break-after: avoid; }
p { orphans: 3; widows: 3; }
table { border-collapse: collapse; margin: 0.4em 0; font-variant-numeric: tabular-nums;
        font-size: 8.5pt; }
thead { display: table-header-group; }
tr, img, figure { break-inside: avoid; }
figure, .evalkit-table-block, .evalkit-figure { break-inside: avoid; margin: 0.6em 0; }
th, td { padding: 2pt 5pt; vertical-align: top; }
th { border-bottom: 0.8pt solid #333; }
tbody tr:last-child td { border-bottom: 0.8pt solid #333; }
img { max-width: 100%%; height: auto; }
figure.evalkit-figure img { max-height: 19cm; width: auto; max-width: 100%%; }
.evalkit-table-scroll { overflow: visible; }
table.evalkit-table { max-width: 100%%; }
th, td { overflow-wrap: break-word; }
@page landscape { size: A4 landscape; }
.evalkit-table-block.wide { page: landscape; }
table.evalkit-table.wide { font-size: 7.5pt; }
table.evalkit-table.wide th, table.evalkit-table.wide td { padding: 1.5pt 4pt; }
nav a, .toc a { color: inherit; text-decoration: none; }
nav a::after, .toc a::after { content: leader('.') " " target-counter(attr(href), page); }
a { color: #0b4f8a; }
.jp-OutputArea-output pre { white-space: pre-wrap; font-size: 8pt; }
"""


class PdfUnavailable(EvalkitError):
    """WeasyPrint or its system libraries are missing: no PDF, the HTML still stands."""


def _css_string(text: str) -> str:
    """``text`` inside a CSS string (quotes, backslashes and line breaks escaped)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def print_html(report_html: str, title: str) -> str:
    """``report.html`` made ready for print: screen stylesheets out, the print one in."""
    css = PRINT_CSS % {"title": _css_string(title)}
    body = _SCREEN_STYLE.sub("", report_html)
    style = f'<style type="text/css" media="print">{css}</style>'
    if "</head>" in body:
        return body.replace("</head>", style + "</head>", 1)
    return style + body


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango could not be loaded
        raise PdfUnavailable(
            f"report.pdf was not made: WeasyPrint could not start ({type(exc).__name__}); "
            f"to fix: {INSTALL_HINT}."
        ) from exc
    return weasyprint


def write_pdf(report_html: str, path: Path | str, *, title: str) -> Path:
    """Write ``report.pdf`` (tagged PDF/UA-1) from the document's HTML, atomically."""
    weasyprint = _weasyprint()
    path = Path(path)
    document = weasyprint.HTML(string=print_html(report_html, title), base_url=str(path.parent))
    return paths.write_atomic(path, document.write_pdf(pdf_variant="pdf/ua-1"))


def write_pdf_file(html_path: Path | str, pdf_path: Path | str, *, title: str) -> Path:
    """:func:`write_pdf` from the HTML file at ``html_path`` (the runner calls this in the
    document's kernel)."""
    return write_pdf(Path(html_path).read_text(encoding="utf-8"), pdf_path, title=title)


def unavailable() -> str | None:
    """None when PDFs can be made here; otherwise the one sentence that says what to install."""
    try:
        _weasyprint()
    except PdfUnavailable as err:
        return str(err)
    return None
