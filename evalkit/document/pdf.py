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

import base64
import re
from itertools import pairwise
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
  @bottom-right { content: %(page_of)s; font-size: 8pt; }
}
@page :first { @top-left { content: none; } }
html { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9.5pt;
       line-height: 1.4; color: #111; }
html body, html body.jp-Notebook { margin: 0; padding: 0; max-width: none; }
main { padding: 0; margin: 0; }
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
.evalkit-table-block.long { break-inside: auto; }
.evalkit-table-block .evalkit-table-scroll + .note, .evalkit-table-block .note + .note {
  break-before: avoid; }  /* the notes together, and with the last rows */
th, td { padding: 2pt 5pt; vertical-align: top; }
th { border-bottom: 0.8pt solid #333; }
tbody tr:last-child td { border-bottom: 0.8pt solid #333; }
img { max-width: 100%%; height: auto; }
figure.evalkit-figure img { max-height: 19cm; width: auto; max-width: 100%%;
                            object-fit: contain; object-position: left top; }
.evalkit-table-scroll { overflow: visible; }
table.evalkit-table { max-width: 100%%; }
th, td { overflow-wrap: break-word; }
table.evalkit-table.evalkit-fixed { table-layout: fixed !important; }
@page landscape { size: A4 landscape; margin: 1.7cm 2cm 1.7cm 2cm; }
@page portrait { size: A4; }
main > div { page: portrait; }  /* back to portrait after a landscape table */
.evalkit-table-block.wide, .evalkit-landscape { page: landscape; }
/* "main" outweighs the screen stylesheet's ".jp-RenderedHTMLCommon table.evalkit-table" */
main table.evalkit-table.wide, main table.evalkit-table.long { font-size: 7.5pt; }
main .evalkit-table.wide th, main .evalkit-table.wide td,
main .evalkit-table.long th, main .evalkit-table.long td { padding: 1pt 4pt; line-height: 1.3; }
main .evalkit-table tbody tr.group th { font-weight: bold; padding-top: 4pt;
                                        border-bottom: 0.5pt solid #999; }
tr.group { break-after: avoid; }
nav.evalkit-toc { break-inside: avoid; }
nav a, .toc a { color: inherit; text-decoration: none; }
nav a::after, .toc a::after { content: leader('.') " " target-counter(attr(href), page); }
a { color: #0b4f8a; }
.jp-OutputArea-output pre { white-space: pre-wrap; font-size: 8pt; }
"""


class PdfUnavailable(EvalkitError):
    """WeasyPrint or its system libraries are missing: no PDF, the HTML still stands."""


#: What stays as it is inside :func:`_css_string`: letters and digits (of any script), the
#: space and punctuation that means nothing to CSS or to HTML.
_CSS_SAFE = frozenset(" .,:;-–—?!%+«»")


def _css_string(text: str) -> str:
    """``text`` as the inside of a double-quoted CSS string that nothing in it can end.

    Every character but letters, digits, the space and harmless punctuation (``_CSS_SAFE``)
    is written as a CSS escape of six hex digits and a space (``<`` as ``\\00003C ``): no
    quote, backslash, line break (``\\n``, ``\\r``, ``\\f``) or ``</style>`` is left to end the
    string or the ``<style>`` element it stands in. Control characters (and NUL, which CSS
    reads as U+FFFD) are written as a space.
    """
    out = []
    for char in text:
        if char.isalnum() or char in _CSS_SAFE:
            out.append(char)
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            out.append(" ")
        else:
            out.append(f"\\{ord(char):06X} ")
    return "".join(out)


#: The rendered content of a notebook cell in nbconvert's lab template (Markdown, HTML,
#: images, text); the wrappers around it (cells, prompts, collapsers) are for the screen.
_RENDERED = ("jp-RenderedHTMLCommon", "jp-RenderedMarkdown", "jp-RenderedImage", "jp-RenderedText")
#: The page is parsed as WeasyPrint parses it (tinyhtml5, no namespace on the HTML elements),
#: so that the tags are plain names.
_XHTML = ""


#: A table with more body rows than this is printed in the small type of the wide tables.
LONG_TABLE_ROWS = 25
#: What a text column asks for at most, in characters (longer texts wrap).
_WIDEST_COLUMN_CHARS = 45
#: How many ``ch`` (the width of a digit) fit between the margins at 7,5 pt: 17 cm of a
#: portrait page, 25,7 cm of a landscape one.
_ROOM_CH = {"long": 101, "wide": 152}
_SPACES = " \u00a0\u202f\u2009"


def _width_ch(text: str, *, bold: bool = False) -> float:
    """About how wide ``text`` is set, in ``ch``: a digit is 1 ch (tabular figures), a space
    half of one, and any other character 0,9 ch (DejaVu Sans's letters average a little less,
    capitals a little more); bold is a seventh wider."""
    width = sum(1.0 if c.isdigit() else 0.5 if c in _SPACES else 0.9 for c in text)
    return width * 8 / 7 if bold else width


def _column_widths(
    texts: list[list[str]], room: float, unbroken: list[bool] | None = None
) -> list[float]:
    """Each column's width in ``ch``, from the lengths of its texts (``texts``: each column's
    texts, its header, set in bold, first).

    A column asks for its longest text (at most ``_WIDEST_COLUMN_CHARS`` characters wide) and
    needs at least its longest word, plus two for the cell's padding; a column of numbers
    (``unbroken``: its cells are never wrapped) needs its longest text. Widths are
    :func:`_width_ch`. When the asks do not fit in ``room``, the columns give up what they ask
    beyond what they need, in proportion, so that no word is broken where the needs fit side by
    side."""
    asks, needs = [], []
    for j, column in enumerate(texts):
        longest = max((_width_ch(t, bold=i == 0) for i, t in enumerate(column)), default=1.0)
        longest_word = max(
            (_width_ch(w, bold=i == 0) for i, t in enumerate(column) for w in t.split()),
            default=1.0,
        )
        if unbroken and unbroken[j]:
            longest_word = longest
        else:  # a longer word (a pasted web address, a hostile export) is broken in the cell
            longest_word = min(longest_word, _WIDEST_COLUMN_CHARS)
        needs.append(longest_word + 2)
        asks.append(max(min(longest, _WIDEST_COLUMN_CHARS), longest_word) + 2)
    slack = sum(a - n for a, n in zip(asks, needs, strict=True))
    over = sum(asks) - room
    if over > 0 and slack > 0:
        keep = max(0.0, 1 - over / slack)
        asks = [n + (a - n) * keep for a, n in zip(asks, needs, strict=True)]
    return [float(a) for a in asks]


def _cell_texts(table) -> tuple[list[list[str]], list[bool]] | None:
    """The texts of a table's columns (header first) and whether each column holds numbers
    (never wrapped); None for a table with merged or missing cells (other than the rows that
    head a group of rows)."""
    cell_tags = (f"{_XHTML}th", f"{_XHTML}td")
    rows = [[c for c in tr if c.tag in cell_tags] for tr in table.iter(f"{_XHTML}tr")]
    if not rows or not rows[0]:
        return None
    # a group's heading row (one cell across the table) does not set the columns' widths
    rows = [r for r in rows if not (len(r) == 1 and r[0].get("scope") == "rowgroup")]
    columns = len(rows[0])
    if any(len(r) != columns or any(c.get("colspan") or c.get("rowspan") for c in r) for r in rows):
        return None
    texts = [[" ".join("".join(r[j].itertext()).split()) for r in rows] for j in range(columns)]
    # the numbers' cells are not wrapped (white-space: nowrap), their header neither
    unbroken = [all("num" in r[j].get("class", "").split() for r in rows) for j in range(columns)]
    return texts, unbroken


def _print_tables(main) -> None:
    """Fit the tables to the printed page.

    * A wide table (eight columns or more: ``wide``, set in 7,5 pt) goes on a landscape page
      only when its columns need more than a portrait page holds.
    * A long table (more than ``LONG_TABLE_ROWS`` rows) gets fixed column widths, worked out
      from the lengths of its texts by :func:`_column_widths`, and the small type. Laid out
      automatically, WeasyPrint measured every cell of the list of all funded projects twice
      before laying it out page after page, and still made it narrow, with most rows wrapped
      onto two or three lines. With fixed widths (``table-layout: fixed``) the table is laid
      out once, as wide as it needs or the page allows.
    Shorter tables, and tables with merged cells, keep the automatic layout, which fits them
    well."""
    import xml.etree.ElementTree as ET

    parents = {child: parent for parent in main.iter() for child in parent}
    for table in list(main.iter(f"{_XHTML}table")):
        found = _cell_texts(table)
        if found is None:
            continue
        texts, unbroken = found
        block = parents.get(table)
        while block is not None and "evalkit-table-block" not in block.get("class", "").split():
            block = parents.get(block)
        block_classes = block.get("class", "").split() if block is not None else []
        # room 0: every column down to what it needs (its longest word, or its whole number)
        needed = sum(_column_widths(texts, 0, unbroken))
        if "wide" in block_classes and needed <= _ROOM_CH["long"]:
            block.set("class", " ".join(c for c in block_classes if c != "wide"))
            block_classes.remove("wide")
        if sum(1 for _ in table.iterfind(f"{_XHTML}tbody/{_XHTML}tr")) <= LONG_TABLE_ROWS:
            continue
        room = _ROOM_CH["wide" if "wide" in block_classes else "long"]
        widths = _column_widths(texts, room, unbroken)
        colgroup = ET.Element(f"{_XHTML}colgroup")
        for width in widths:
            ET.SubElement(colgroup, f"{_XHTML}col", {"style": f"width:{width:.1f}ch"})
        caption = table.find(f"{_XHTML}caption")
        table.insert(0 if caption is None else list(table).index(caption) + 1, colgroup)
        table.set("class", " ".join([*table.get("class", "").split(), "evalkit-fixed", "long"]))
        if block is not None:  # longer than a page: it starts right under its heading
            block.set("class", " ".join([*block_classes, "long"]))
        table.set("style", f"width:{min(sum(widths), room):.1f}ch")


_HEADINGS = {f"{_XHTML}h{level}" for level in range(1, 7)}


def _keep_headings_with_next(flat) -> None:
    """Keep each heading on the page of what follows it.

    A heading that ends a cell moves to the start of the next cell, so that it and what follows
    are siblings and ``break-after: avoid`` holds (a heading in a Markdown cell and its table in
    the next cell were split across pages otherwise); a heading just before a wide table goes
    on the table's landscape page."""
    blocks = list(flat)
    for block, following in pairwise(blocks):
        trailing = []
        while len(block) and block[-1].tag in _HEADINGS and not (block[-1].tail or "").strip():
            trailing.insert(0, block[-1])
            block.remove(block[-1])
        if trailing:
            if following.text and following.text.strip():
                trailing[-1].tail = (trailing[-1].tail or "") + following.text
            following.text = None
            for k, heading in enumerate(trailing):
                following.insert(k, heading)
    # a heading just before a table printed on a landscape page goes on that page with it
    for parent in flat.iter():
        children = list(parent)
        for heading, after in pairwise(children):
            if heading.tag in _HEADINGS and {"evalkit-table-block", "wide"} <= set(
                after.get("class", "").split()
            ):
                heading.set("class", f"{heading.get('class', '')} evalkit-landscape".strip())


def _decode_anchors(root) -> None:
    """Headings' ids and the links to them as text, not percent-encoded: nbconvert writes the
    id of «Bakgrunn, formål og metode» as ``Bakgrunn,-form%C3%A5l-og-metode``, and WeasyPrint
    decodes a link's ``#…`` before it looks for the id, so that the links of the table of
    contents to a heading with æ, ø or å led nowhere in the PDF («No anchor …»). The page
    numbers (``target-counter(attr(href))``) read the ``href`` as it is written, so both are
    decoded."""
    from urllib.parse import unquote

    for element in root.iter():
        anchor = element.get("id")
        if anchor and "%" in anchor:
            element.set("id", unquote(anchor))
        href = element.get("href")
        if href and href.startswith("#") and "%" in href:
            element.set("href", unquote(href))


def _parse(page: str):
    """``page`` parsed as WeasyPrint parses it (its own HTML parser, tinyhtml5, without the
    XHTML namespace on the tags)."""
    import tinyhtml5

    return tinyhtml5.parse(page, namespace_html_elements=False)


def _prepare(root, title: str) -> None:
    """Make the parsed page (``root``) ready for print, in place: the print stylesheet in
    its head, each cell's rendered content in one plain ``<div>`` under ``<main>`` (the same
    text, tables and figures in the same order, a third of the boxes to lay out), the table of
    contents kept where it stands (its page numbers come from the print stylesheet), the
    headings kept with what follows them, the anchors decoded (:func:`_decode_anchors`) and
    the tables fitted to the page (:func:`_print_tables`). A page without nbconvert's
    ``<main>`` and cells only gets the stylesheet and the anchors."""
    import xml.etree.ElementTree as ET

    head = root.find(f"{_XHTML}head")
    if head is None:
        head = ET.Element(f"{_XHTML}head")
        root.insert(0, head)
    style = ET.SubElement(head, f"{_XHTML}style", {"type": "text/css", "media": "print"})
    style.text = PRINT_CSS % {"title": _css_string(title), "page_of": page_of_css(root.get("lang"))}
    _decode_anchors(root)
    body = root.find(f"{_XHTML}body")
    main = body.find(f"{_XHTML}main") if body is not None else None
    if main is None:
        return
    _print_tables(main)
    flat = ET.Element(f"{_XHTML}main")

    def collect(element: ET.Element) -> None:
        classes = element.get("class", "").split()
        if element.tag == f"{_XHTML}nav":  # the table of contents, between the cells
            flat.append(element)
            return
        if any(c in classes for c in _RENDERED):
            block = ET.SubElement(flat, f"{_XHTML}div", {"class": " ".join(classes)})
            block.text = element.text
            block.extend(list(element))
            return
        for child in element:
            collect(child)

    collect(main)
    if not any(c.tag != f"{_XHTML}nav" for c in flat):  # not nbconvert's markup: as it is
        return
    _keep_headings_with_next(flat)
    body.remove(main)
    body.append(flat)


#: An image embedded in the page as a ``data:`` URL (how nbconvert and evalkit embed figures:
#: evalkit's as SVG, see :meth:`evalkit.document.numbered.Figure.image`).
_EMBEDDED_IMAGE = re.compile(
    r"""src=(["'])data:(image/(?:png|jpeg|gif|webp|svg\+xml));base64,([A-Za-z0-9+/=\s]*)\1"""
)
#: The URL scheme under which :func:`print_html` hands the embedded images to WeasyPrint.
_IMAGE_SCHEME = "evalkit-image"


def _take_out_images(html: str) -> tuple[str, dict[str, tuple[str, bytes]]]:
    """The page with each embedded image replaced by a short ``evalkit-image:N`` address, and
    the images by address: the HTML parsers then read a tenth of the text (the figures' base64
    is nine tenths of a document)."""
    images: dict[str, tuple[str, bytes]] = {}

    def take(match: re.Match) -> str:
        url = f"{_IMAGE_SCHEME}:{len(images)}"
        images[url] = (match.group(2), base64.b64decode(match.group(3)))
        return f'src="{url}"'

    return _EMBEDDED_IMAGE.sub(take, html), images


def _lean_page(report_html: str, images: dict | None) -> str:
    """``report.html`` without the screen stylesheets and, given ``images`` (a dict), with
    its embedded images taken out into it (:func:`_take_out_images`)."""
    page = _SCREEN_STYLE.sub("", report_html)
    if images is not None:
        page, taken = _take_out_images(page)
        images.update(taken)
    return page


def print_html(report_html: str, title: str, images: dict | None = None) -> str:
    """``report.html`` made ready for print (:func:`_prepare`), as the text WeasyPrint reads:
    screen stylesheets out, the print one in, the cells' screen wrappers gone. Given ``images``
    (a dict), the embedded images are taken out into it (:func:`_take_out_images`);
    otherwise they stay in the page. (:func:`write_pdf_bytes` does the same on the tree
    WeasyPrint parsed, without writing it out and parsing it again.)"""
    import xml.etree.ElementTree as ET

    root = _parse(_lean_page(report_html, images))
    _prepare(root, title)
    return "<!DOCTYPE html>\n" + ET.tostring(root, encoding="unicode", method="html")


def page_of_css(lang: str | None) -> str:
    """The footer's «side X av Y» as CSS ``content``, in the page's language (its ``<html
    lang>``; else the current one): the catalog's ``pdf.page_of`` with ``{page}`` and
    ``{pages}`` as the page counters."""
    from evalkit.i18n import LANGUAGES, current_language, language, t

    lang = (lang or "").lower()
    with language(lang if lang in LANGUAGES else current_language()):
        words = t("pdf.page_of", page="\x00page\x00", pages="\x00pages\x00")
    parts = []
    for i, part in enumerate(words.split("\x00")):
        if i % 2:
            parts.append(f"counter({part})")
        elif part:
            parts.append(f'"{_css_string(part)}"')
    return " ".join(parts)


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango could not be loaded
        raise PdfUnavailable(
            f"report.pdf was not made: WeasyPrint could not start ({type(exc).__name__}); "
            f"to fix: {INSTALL_HINT}."
        ) from exc
    return weasyprint


_SVG = "{http://www.w3.org/2000/svg}"
#: One plain declaration of a ``style`` attribute or rule: ``name: value``.
_DECLARATION = re.compile(r"\s*([A-Za-z][A-Za-z-]*)\s*:\s*(.*?)\s*", re.S)


def _declarations(style: str) -> list[tuple[str, str]] | None:
    """The declarations of a ``style`` attribute (or of a rule's block) as ``(name, value)``;
    None where it holds anything but plain declarations (a comment, ``!important``, an escape,
    a quote or a bracket that a semicolon could stand in), which WeasyPrint is left to read."""
    if any(mark in style for mark in ("!", "/*", "\\", "{", "}")):
        return None
    found = []
    for part in style.split(";"):
        if not part.strip():
            continue
        match = _DECLARATION.fullmatch(part)
        if match is None:
            return None
        value = match.group(2)
        if value.count("'") % 2 or value.count('"') % 2 or value.count("(") != value.count(")"):
            return None
        found.append((match.group(1).lower(), value))
    return found


def _lean_svg(data: bytes) -> bytes:
    """A figure's SVG as WeasyPrint draws it, with less for it to do: the same picture.

    matplotlib writes every shape's paint as a ``style`` attribute, one stylesheet rule for
    every element (``*{stroke-linejoin: round; stroke-linecap: butt}``), a ``<g id=…>``
    around nearly every shape and a ``<metadata>`` block; WeasyPrint parses each ``style``
    with its CSS parser and matches the rule against each element as it draws (a fifth of a
    document's PDF is its figures). Here the rule and then the ``style`` attributes become the
    elements' attributes, which is what WeasyPrint's SVG cascade makes of them (a style
    attribute outweighs a rule, which outweighs an attribute); the groups without any attribute
    but an id no other element refers to are unwrapped, and the metadata is dropped. An SVG
    with anything else in its stylesheet, or that does not parse, is left as it is."""
    import xml.etree.ElementTree as ET

    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except Exception:  # WeasyPrint says what is wrong with it
        return data
    if root.tag != f"{_SVG}svg":
        return data
    rule: list[tuple[str, str]] = []
    for defs in root.iter(f"{_SVG}defs"):
        for style in defs.findall(f"{_SVG}style"):
            if not (style.text or "").strip():  # an empty stylesheet
                defs.remove(style)
                continue
            match = re.fullmatch(r"\s*\*\s*\{([^{}]*)\}\s*", style.text or "")
            found = _declarations(match.group(1)) if match else None
            if found is None or rule:
                return data
            rule = found
            defs.remove(style)
    if any(el.tag == f"{_SVG}style" for el in root.iter()):
        return data
    for metadata in root.findall(f"{_SVG}metadata"):
        root.remove(metadata)
    referred = set(re.findall(r"#([^\s)\"']+)", data.decode("utf-8", "replace")))
    for element in root.iter():
        for name, value in rule:
            element.set(name, value)
        style = element.get("style")
        if style is not None:
            found = _declarations(style)
            if found is not None:
                del element.attrib["style"]
                for name, value in found:
                    element.set(name, value)

    def unwrap(parent) -> None:
        k = 0
        while k < len(parent):
            child = parent[k]
            unwrap(child)
            if (
                child.tag == f"{_SVG}g"
                and parent.tag != f"{_SVG}switch"  # a switch draws the first child that fits
                and set(child.attrib) <= {"id", *dict(rule)}  # every element has the rule's
                and child.get("id") not in referred
            ):
                grandchildren = list(child)
                parent.remove(child)
                for j, grandchild in enumerate(grandchildren):
                    parent.insert(k + j, grandchild)
                k += len(grandchildren)
            else:
                k += 1

    unwrap(root)
    return ET.tostring(root)


def _fetcher(weasyprint, images: dict[str, tuple[str, bytes]]):
    """WeasyPrint's URL fetcher for one page: it hands over the page's own embedded images and
    reads ``data:`` URLs in place, and refuses every other address, so that making a PDF never
    reads a file or the network."""
    from weasyprint.urls import URLFetcherResponse

    class EmbeddedOnly(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):  # other embedded data (an SVG, a font): read in place
                return super().fetch(url, headers)
            if url not in images:
                raise ValueError(f"report.pdf only uses the images embedded in the page: {url}")
            mime, data = images[url]
            if mime == "image/svg+xml":
                data = _lean_svg(data)
            return URLFetcherResponse(url, data, {"Content-Type": mime})

    return EmbeddedOnly()


def write_pdf(report_html: str, path: Path | str, *, title: str) -> Path:
    """Write ``report.pdf`` (tagged PDF/UA-1) from the document's HTML, atomically
    (:func:`write_pdf_bytes`)."""
    path = Path(path)
    data = write_pdf_bytes(report_html, title=title, base_url=str(path.parent))
    return paths.write_atomic(path, data)


def write_pdf_file(html_path: Path | str, pdf_path: Path | str, *, title: str) -> Path:
    """:func:`write_pdf` from the HTML file at ``html_path`` (the runner calls this in the
    document's kernel, or in its PDF worker process when it builds one document at a time)."""
    return write_pdf(Path(html_path).read_text(encoding="utf-8"), pdf_path, title=title)


#: A figure as matplotlib writes it for a document (see :func:`_lean_svg`): a stylesheet rule,
#: shapes painted by ``style`` attributes in groups, a clip path, tick marks drawn by ``<use>``
#: and its text as text in DejaVu Sans.
_WARM_UP_SVG = """<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="200pt" height="90pt"
 viewBox="0 0 200 90" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
 <defs><style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style></defs>
 <g id="figure_1"><g id="patch_1"><path d="M 0 90 L 200 90 L 200 0 L 0 0 z"
  style="fill: #ffffff"/></g>
  <g id="axes_1"><g id="patch_2"><path d="M 60 70 L 195 70 L 195 5 L 60 5 z"
   clip-path="url(#p1)" style="fill: #4c72b0; stroke: #ffffff; stroke-linejoin: miter"/></g>
   <g id="line2d_1"><defs><path id="m1" d="M 0 0 L 0 3.5 C 1 4 2 4 3 3.5"
    style="stroke: #262626; stroke-width: 0.8"/></defs>
    <use xlink:href="#m1" x="60" y="70" style="fill: #262626; stroke: #262626"/></g>
   <g id="text_1"><text style="font-size: 10.45px; font-family: 'DejaVu Sans', sans-serif;
    text-anchor: end; fill: #262626" x="55" y="40" transform="rotate(-0 55 40)">Møre og
    Romsdal 1 234</text></g>
   <g id="text_2"><text style="font-size: 11px; font-family: 'DejaVu Sans', sans-serif;
    font-weight: bold; text-anchor: middle; fill: #262626" x="120" y="85">Antall (%)</text></g>
  </g></g>
 <defs><clipPath id="p1"><rect x="60" y="5" width="135" height="65"/></clipPath></defs>
</svg>"""

#: The document template, whose stylesheet the warm-up page uses.
_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "report.html.j2"


def _warm_up_page() -> str:
    """A page like a document, in nbconvert's lab markup with the document template's
    stylesheet: a table of contents with page numbers, headings, text in bold and italic, a
    long table (fixed column widths, a group row), a wide one (a landscape page), a figure in
    SVG with its text and a caption: what :func:`warm_up` makes a PDF of."""
    try:
        template = _TEMPLATE.read_text(encoding="utf-8")
        css = template[template.index("<style>") : template.index("</style>") + 8]
    except (OSError, ValueError):  # no template here: the print stylesheet alone
        css = ""
    svg = base64.b64encode(_WARM_UP_SVG.encode("utf-8")).decode("ascii")
    rows = "".join(
        f"<tr><th class='txt' scope='row'>Kommune {k}</th><td class='txt'>Prosjekt om "
        f"samhandling nummer {k}</td><td class='txt'>Annet</td><td class='num'>{k} 000</td></tr>"
        for k in range(LONG_TABLE_ROWS + 5)
    )
    long_table = (
        "<div class='evalkit-table-block' id='tabell-1'><div class='evalkit-table-scroll'>"
        "<table class='evalkit-table'><caption><span class='caption-label'>Tabell 1.</span> "
        "Prosjekter</caption><thead><tr><th class='txt' scope='col'>Søker</th><th class='txt' "
        "scope='col'>Prosjekt</th><th class='txt' scope='col'>Kategori</th><th class='num' "
        "scope='col'>Tildelt (kr)</th></tr></thead><tbody><tr class='group'><th class='txt' "
        f"colspan='4' scope='rowgroup'>Akershus</th></tr>{rows}</tbody></table></div>"
        "<p class='note'>Kilde: syntetiske data.</p></div>"
    )
    wide_table = (  # too wide for a portrait page: a landscape one
        "<div class='evalkit-table-block wide' id='tabell-2'><div class='evalkit-table-scroll'>"
        "<table class='evalkit-table wide'><thead><tr>"
        + "".join(f"<th class='num' scope='col'>Kolonne {c}</th>" for c in range(9))
        + "</tr></thead><tbody>"
        + "".join(
            "<tr>" + "".join(f"<td class='num'>{r}2 345 678,{c}</td>" for c in range(9)) + "</tr>"
            for r in range(3)
        )
        + "</tbody></table></div></div>"
    )
    cells = [
        "<h1 id='Tittel'>Evaluering 2012</h1><p class='evalkit-banner'><strong>SYNTETISKE "
        "DATA</strong></p>",
        "<nav class='evalkit-toc'><h2 id='evalkit-innhold'>Innhold</h2><ol><li>"
        "<a href='#Sammendrag'>Sammendrag</a></li><li><a href='#Resultater'>Resultater</a>"
        "<ol><li><a href='#Beløp'>Beløp</a></li></ol></li></ol></nav>",
        "<h2 id='Sammendrag'>Sammendrag<a class='anchor-link' href='#Sammendrag'>¶</a></h2>"
        "<p>Tekst med <strong>fet</strong> og <em>kursiv</em> skrift, <code>kode</code> og "
        "tall som 1 234,5 %; <span class='visually-hidden'>skjult</span></p><ul><li>Punkt</li>"
        "</ul>",
        f"<h2 id='Resultater'>Resultater</h2><h3 id='Beløp'>Beløp</h3>{long_table}",
        wide_table,
        "<figure class='evalkit-figure' id='figur-1'><img alt='Stolpediagram. Antall.' "
        f"src='data:image/svg+xml;base64,{svg}' style='width:400px;max-width:100%;height:auto'>"
        "<figcaption><div class='caption'><span class='caption-label'>Figur 1.</span> Antall"
        "</div><div class='note'>Kilde: syntetiske data.</div></figcaption></figure>",
    ]
    body = "".join(
        "<div class='jp-Cell'><div class='jp-RenderedHTMLCommon jp-RenderedHTML "
        f"jp-OutputArea-output'>{cell}</div></div>"
        for cell in cells
    )
    return (
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>T</title>'
        f'{css}</head><body class="jp-Notebook"><main>{body}</main></body></html>'
    )


def warm_up() -> None:
    """Import WeasyPrint and make the PDF of a page like a document (:func:`_warm_up_page`),
    so that its fonts, its caches and the modules it imports on first use are set up before a
    document's PDF is made. The PDF worker process does this while the notebook runs
    (:mod:`evalkit.runner.pdfworker`).

    Raises
    ------
    PdfUnavailable
        WeasyPrint cannot start here.
    """
    write_pdf_bytes(_warm_up_page(), title="T")


#: The fonts WeasyPrint found, kept from one PDF to the next in a process (:func:`_font_config`).
_FONT_CONFIG: list = []


def _font_config(weasyprint):
    """One font configuration (Fontconfig's fonts, Pango's font map and the faces, glyph
    metrics and shapes it keeps) for every PDF this process makes: WeasyPrint makes a new one
    for each PDF unless it is given one, and the pages then measure their text with fonts
    loaded afresh. (The pages hold no ``@font-face`` rule that would add a font to it.)"""
    if not _FONT_CONFIG:
        from weasyprint.text.fonts import FontConfiguration

        _FONT_CONFIG.append(FontConfiguration())
    return _FONT_CONFIG[0]


def write_pdf_bytes(report_html: str, *, title: str, base_url: str | None = None) -> bytes:
    """``report.pdf`` (tagged PDF/UA-1) made from the document's HTML, as bytes: the embedded
    images handed over by :func:`_fetcher`, no other file or network address read.

    Python's cyclic garbage collector is off meanwhile: WeasyPrint makes a million short-lived
    objects, and every collection they set off also walks the objects already in the process
    (in the runner or a kernel, hundreds of thousands: 0,5 s of a 2 s PDF in the runner). The
    few megabytes of cycles it leaves are collected afterwards, as usual."""
    import gc

    weasyprint = _weasyprint()
    images: dict[str, tuple[str, bytes]] = {}
    page = _lean_page(report_html, images)
    fetcher = _fetcher(weasyprint, images)
    collecting = gc.isenabled()
    gc.disable()
    try:
        document = weasyprint.HTML(string=page, base_url=base_url, url_fetcher=fetcher)
        # made ready for print on the tree WeasyPrint parsed, before it looks at it: the page
        # is parsed once (parsing it, writing it out and parsing it again cost 0,09 s of a
        # document's 1,7 s)
        _prepare(document.etree_element, title)
        return document.write_pdf(pdf_variant="pdf/ua-1", font_config=_font_config(weasyprint))
    finally:
        if collecting:
            gc.enable()


def unavailable() -> str | None:
    """None when PDFs can be made here; otherwise the one sentence that says what to install."""
    try:
        _weasyprint()
    except PdfUnavailable as err:
        return str(err)
    return None
