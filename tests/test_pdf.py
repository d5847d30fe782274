"""``report.pdf``: A4, tagged PDF/UA-1 with language and title, «side X av Y», table headers
repeated on every page, figures' alt texts kept (issue 11, item 4). Checked with pypdf, a
library independent of WeasyPrint."""

from __future__ import annotations

import base64
import io
import re

import pytest

pypdf = pytest.importorskip("pypdf")
pdf = pytest.importorskip("evalkit.document.pdf")

try:
    pdf._weasyprint()
except pdf.PdfUnavailable as exc:  # pragma: no cover - depends on the machine
    pytest.skip(f"WeasyPrint cannot start here: {exc}", allow_module_level=True)


def _png() -> str:
    """A 2×2 PNG made with matplotlib, as the documents embed figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.barh(["Oslo", "Rogaland"], [11, 5])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _html(rows: int = 90) -> str:
    body = "".join(f"<tr><td>Fylke {i}</td><td>{i}</td></tr>" for i in range(rows))
    return (
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8">'
        "<title>Prøvedokument 2022</title></head><body><main>"
        "<h1>Prøvedokument 2022</h1>"
        '<nav class="toc"><ol><li><a href="#res">Resultater</a></li></ol></nav>'
        "<figure><img alt='Liggende stolpediagram. Flest i Oslo (11), færrest i Rogaland (5).' "
        f"src='data:image/png;base64,{_png()}'><figcaption>Figur 1. Prosjekter</figcaption>"
        "</figure>"
        '<h2 id="res">Resultater</h2>'
        "<table><thead><tr><th scope='col'>Fylke</th><th scope='col'>Prosjekter</th></tr>"
        f"</thead><tbody>{body}</tbody></table></main></body></html>"
    )


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pdf.write_pdf(_html(), path, title="Prøvedokument 2022")
    return pypdf.PdfReader(path)


def test_a4_pages_numbered_side_x_av_y(reader):
    n = len(reader.pages)
    assert n >= 2  # 90 table rows do not fit one page
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
    for i, page in enumerate(reader.pages, start=1):
        assert f"side {i} av {n}" in page.extract_text()


def test_table_header_repeats_on_every_page(reader):
    for page in reader.pages[1:]:
        assert "Fylke Prosjekter" in page.extract_text().replace("\n", " ")


def test_tagged_with_language_title_and_alt_text(reader):
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "nb"
    assert reader.metadata.title == "Prøvedokument 2022"
    assert "/StructTreeRoot" in root
    xmp = reader.xmp_metadata  # PDF/UA identification
    assert xmp is not None and b"pdfuaid" in xmp.stream.get_data()

    alts = []

    def walk(node):
        node = node.get_object()
        if "/Alt" in node:
            alts.append(str(node["/Alt"]))
        kids = node.get("/K")
        if kids is None:
            return
        kids = kids.get_object()
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    walk(root["/StructTreeRoot"])
    assert "Liggende stolpediagram. Flest i Oslo (11), færrest i Rogaland (5)." in alts


def test_table_of_contents_has_page_numbers(reader):
    first = reader.pages[0].extract_text()
    line = next(li for li in first.splitlines() if li.startswith("Resultater"))
    assert line.rstrip()[-1].isdigit()


def test_missing_weasyprint_is_one_sentence(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(pdf.PdfUnavailable) as info:
        pdf._weasyprint()
    assert "libpango-1.0-0" in str(info.value) and "--no-pdf" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_report_pdf_beside_report_html_and_no_pdf(tmp_path, request, capsys, demo_document):
    """A built document has report.pdf, recorded in its manifest; --no-pdf leaves it out; a
    build that wants the PDF after one without it rebuilds and says why; where WeasyPrint
    cannot start, the HTML is still built and one line says what to install.

    The build without the PDF is the demo document built once for the run as ``evalkit
    report --no-pdf`` does (tests/conftest.py), copied; the one without WeasyPrint builds the
    runner's tiny notebook (what is checked is the runner's, not the notebook's)."""
    import json
    import shutil
    from pathlib import Path

    from conftest import DEMO, make_data

    from evalkit.runner import report_year

    out = tmp_path / "out"
    folder = out / "samhandling" / "2012"
    shutil.copytree(demo_document("samhandling", 2012).out_path, folder)
    assert not (folder / "report.pdf").exists()
    # the copy is what `evalkit report --no-pdf` built here: served as it is without the PDF
    res = report_year("samhandling", 2012, data_dir=DEMO, out_dir=out, pdf=False)
    assert res.status == "cached" and not (folder / "report.pdf").exists()
    res = report_year("samhandling", 2012, data_dir=DEMO, out_dir=out)
    assert res.status == "built" and "report.pdf was not made last time" in res.message
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "report.pdf" in {o["path"] for o in manifest["outputs"]}
    reader = pypdf.PdfReader(folder / "report.pdf")
    first = reader.pages[0].extract_text()
    assert "SYNTETISKE DATA" in first  # the synthetic-data banner in the title block
    assert f"side 1 av {len(reader.pages)}" in first
    assert reader.trailer["/Root"]["/Lang"] == "nb"
    # no WeasyPrint: the HTML is still built, one line says what to install
    request.getfixturevalue("no_weasyprint")  # from here on, the PDF worker cannot start it
    tiny = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
    data = make_data(tmp_path / "data")
    res = report_year("frisklivs_lms", 2022, data_dir=data, out_dir=out, notebook=tiny)
    assert res.status == "built", res.message
    assert (out / "frisklivs_lms" / "2022" / "report.html").exists()
    assert not (out / "frisklivs_lms" / "2022" / "report.pdf").exists()
    assert capsys.readouterr().err.count("install Pango") == 1


# --- fitting tables to the printed page, headings, images (issue 11: the PDF's cost) -------
def test_column_widths_by_hand():
    """Widths in ch: a letter 0,9, a digit 1, a space 0,5, the header bold (8/7 wider), two
    more for the padding."""
    texts = [["Fylke", "Oslo", "Møre og Romsdal"], ["Tildelt (kr)", "1 310 000"]]
    # «Møre og Romsdal»: 13 letters and 2 spaces, 12,7 ch: asks 14,7; needs «Romsdal», 6,3 + 2.
    # «Tildelt (kr)» in bold: (11 × 0,9 + 0,5) × 8/7 = 11,886 ch, wider than «1 310 000» (8 ch);
    # a number is never wrapped, so it asks and needs 13,886
    assert pdf._column_widths(texts, 100, [False, True]) == pytest.approx([14.7, 13.885714])
    # room 25: 3,586 ch too many; the text column gives up that much of the 6,4 ch it asks
    # beyond its need: 8,3 + 6,4 − 3,586 = 11,114 ch
    assert pdf._column_widths(texts, 25, [False, True]) == pytest.approx([11.114286, 13.885714])
    # a text wider than 45 ch asks for 45 (+2) and wraps
    assert pdf._column_widths([["a " * 40]], 1000) == pytest.approx([47.0])
    # so does one word of 300 letters (270 ch): it is broken in its cell, and the table
    # keeps to the page
    word = [["Prosjekt", "x" * 300], ["Kr", "100"]]
    assert sum(pdf._column_widths(word, 101, [False, True])) <= 101


def _cell_page(*cells: str) -> str:
    """A page in nbconvert's lab markup: one rendered cell per argument."""
    body = "".join(
        f'<div class="jp-Cell"><div class="jp-RenderedHTMLCommon jp-RenderedHTML">{c}</div></div>'
        for c in cells
    )
    return (
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>T</title></head>'
        f'<body class="jp-Notebook"><main>{body}</main></body></html>'
    )


def _table_block(rows: list[list[str]], header: list[str], *, wide: bool = False) -> str:
    kinds = ["num" if any(ch.isdigit() for ch in c) else "txt" for c in rows[0]]
    head = "".join(
        f"<th scope='col' class='{k}'>{h}</th>" for h, k in zip(header, kinds, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td class='{k}'>{c}</td>" for c, k in zip(r, kinds, strict=True))
        + "</tr>"
        for r in rows
    )
    w = " wide" if wide else ""
    return (
        f"<div class='evalkit-table-block{w}' id='tabell-1'><div class='evalkit-table-scroll'>"
        f"<table class='evalkit-table{w}'><caption>Tabell 1. Liste</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></div>"
    )


def test_long_table_gets_fixed_widths_within_the_page():
    rows = [["Møre og Romsdal", f"Prosjekt nummer {i}", f"{i} 000"] for i in range(40)]
    page = pdf.print_html(_cell_page(_table_block(rows, ["Fylke", "Prosjekt", "Kr"])), "T")
    table = page[page.index("<table") : page.index("</table>")]
    assert "evalkit-fixed" in table and "<colgroup>" in table
    widths = [float(w) for w in re.findall(r"width:([\d.]+)ch", table)]
    # the table (their sum), then the three columns: «Møre og Romsdal» 12,7 + 2,
    # «Prosjekt nummer 39» (14 letters, 2 digits, 2 spaces) 15,6 + 2, «39 000» 5,5 + 2
    assert widths == [39.8, 14.7, 17.6, 7.5]
    short = pdf.print_html(_cell_page(_table_block(rows[:5], ["Fylke", "Prosjekt", "Kr"])), "T")
    short_table = short[short.index("<table") : short.index("</table>")]
    assert "evalkit-fixed" not in short_table and "<colgroup>" not in short_table


def _landscape_pages(reader) -> list[int]:
    return [
        i
        for i, p in enumerate(reader.pages, start=1)
        if float(p.mediabox.width) > float(p.mediabox.height)
    ]


def test_wide_table_on_landscape_only_when_it_needs_it(tmp_path):
    header = [f"Kolonne {i}" for i in range(9)]
    narrow = [["a", *[str(i) for i in range(8)]]]  # 9 columns, but short texts: fits portrait
    broad = [
        ["Personer med økt risiko for sykdom", *["2022: 16,5 % (10,7–24,6)"] * 8]
    ]  # 9 columns of 24 characters: about 230 ch, more than a portrait page holds
    for rows, landscape in [(narrow, False), (broad, True)]:
        path = tmp_path / "wide.pdf"
        html = _cell_page(
            "<h3>Overskrift</h3>", _table_block(rows, header, wide=True), "<p>Etterpå</p>"
        )
        pdf.write_pdf(html, path, title="T")
        reader = pypdf.PdfReader(path)
        pages = _landscape_pages(reader)
        assert bool(pages) == landscape
        if landscape:  # the heading goes with its table onto the landscape page
            (only,) = pages
            text = reader.pages[only - 1].extract_text()
            assert "Overskrift" in text and "Kolonne 8" in text and "Etterpå" not in text
            # and what follows the table is back on a portrait page
            assert "Etterpå" in reader.pages[only].extract_text()


def test_heading_that_ends_a_cell_stays_with_the_next_cell():
    """A Markdown cell ending in a heading, then the table's cell: in print the heading and
    the table are siblings, so that ``break-after: avoid`` keeps them on one page."""
    rows = [["Oslo", "11"], ["Rogaland", "5"]]
    html = _cell_page("<p>Tekst.</p><h3>Tilskuddsbeløp</h3>", _table_block(rows, ["Fylke", "N"]))
    page = pdf.print_html(html, "T")
    assert re.search(
        r"<p>Tekst.</p></div><div[^>]*><h3>Tilskuddsbeløp</h3><div class=.evalkit-table-block", page
    )
    assert "break-after: avoid" in page


def test_images_embedded_and_nothing_else_fetched(tmp_path):
    """The figure's data URL reaches the PDF as an image; an address to a file or the network
    is refused (a PDF is made from the page alone)."""
    path = tmp_path / "i.pdf"
    secret = tmp_path / "secret.png"
    secret.write_bytes(base64.b64decode(_png()))
    html = _cell_page(
        f"<img alt='Figur' src='data:image/png;base64,{_png()}'>",
        f"<img alt='Fil' src='file://{secret}'><img alt='Nett' src='http://example.invalid/x.png'>",
    )
    pdf.write_pdf(html, path, title="T")
    reader = pypdf.PdfReader(path)
    images = [img for p in reader.pages for img in p.images]
    assert len(images) == 1  # the embedded figure, not the file nor the network address
    images_in_page: dict = {}
    page = pdf.print_html(html, "T", images_in_page)
    assert "base64" not in page and list(images_in_page) == ["evalkit-image:0"]
    weasyprint = pdf._weasyprint()
    fetcher = pdf._fetcher(weasyprint, images_in_page)
    with pytest.raises(ValueError):
        fetcher.fetch(f"file://{secret}")
    assert fetcher.fetch("evalkit-image:0").read() == base64.b64decode(_png())


# --- issue 19: figures as SVG, links to headings with æøå, the PDF made where it is cheapest --
def test_a_figure_is_vector_text_in_the_pdf(tmp_path):
    """A document figure (SVG, text as text) reaches the PDF drawn, not as pixels: no raster
    image on the page, and its labels are text a reader can search."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evalkit import document as doc
    from evalkit.document import plots

    plots.set_style()
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.barh(["Vestfold og Telemark", "Oslo"], [11, 5])
    plt.close(fig)
    figure = doc.Figure("f", "Prosjekter", fig, "Flest i Vestfold og Telemark (11).", 1)
    path = tmp_path / "f.pdf"
    pdf.write_pdf(_cell_page(figure._repr_html_()), path, title="T")
    page = pypdf.PdfReader(path).pages[0]
    assert list(page.images) == []
    assert "Vestfold og Telemark" in page.extract_text()


def test_contents_link_to_a_heading_with_aeoeaa(tmp_path):
    """nbconvert writes a heading's id percent-encoded (``form%C3%A5l``); the contents' link
    to it leads to its page in the PDF, and the page number stands beside it."""
    heading = "Bakgrunn,-form%C3%A5l-og-metode"
    html = _cell_page(
        f'<nav class="toc"><ol><li><a href="#{heading}">Bakgrunn, formål og metode</a></li>'
        "</ol></nav>",
        "<p>Tekst.</p>" * 80,
        f'<h2 id="{heading}">Bakgrunn, formål og metode</h2><p>Mer.</p>',
    )
    path = tmp_path / "toc.pdf"
    pdf.write_pdf(html, path, title="T")
    reader = pypdf.PdfReader(path)
    target = next(i for i, p in enumerate(reader.pages) if "Mer." in p.extract_text())
    assert target >= 1  # the heading is on a later page than the contents
    links = [a.get_object() for a in reader.pages[0].get("/Annots", [])]
    dests = {str(link["/Dest"]) for link in links if "/Dest" in link}
    assert dests, "the contents' link leads nowhere"
    for name in dests:
        assert reader.get_destination_page_number(reader.named_destinations[name]) == target
    line = next(ln for ln in reader.pages[0].extract_text().splitlines() if "Bakgrunn" in ln)
    assert line.rstrip().endswith(str(target + 1))


def test_no_garbage_collection_while_weasyprint_works(monkeypatch):
    """Python's cyclic collector is off while WeasyPrint makes the PDF, and back on after,
    also when WeasyPrint fails."""
    import gc

    weasyprint = pdf._weasyprint()
    seen = []

    def write_pdf(self, *args, **kwargs):
        seen.append(gc.isenabled())
        raise RuntimeError("WeasyPrint failed")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", write_pdf)
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        pdf.write_pdf_bytes(_cell_page("<p>x</p>"), title="T")
    assert seen == [False] and gc.isenabled()


def test_the_pdf_check_does_not_hold_up_the_document(no_weasyprint, capsys):
    """Whether WeasyPrint can run is found out in the PDF worker process: the document goes
    on meanwhile, and the PDF's maker waits for the answer. Where it cannot run, one line says
    so, once."""
    import time

    from evalkit.runner import pdfworker

    no_weasyprint.setenv("EVALKIT_TEST_WEASYPRINT_DELAY", "2")  # its import takes 2 s
    start = time.perf_counter()
    assert pdfworker.pdf_wanted(True, wait=False) is True  # not known yet
    assert time.perf_counter() - start < 1
    assert pdfworker.pdf_wanted(True) is False
    assert time.perf_counter() - start >= 2
    assert pdfworker.pdf_wanted(True) is False
    assert capsys.readouterr().err.count("install Pango") == 1
    assert pdfworker.pdf_wanted(True, wait=False) is False  # known now
    with pytest.raises(pdfworker.PdfNotMade, match="install Pango"):
        pdfworker.make_pdf("report.html", "report.pdf", title="T")


def test_one_worker_makes_the_pdf_in_the_pdf_worker_process(tmp_path, monkeypatch, capsys):
    """With one worker the PDF is made by the PDF worker process, not in the kernel (none is
    given here) nor in the runner's process (its writer fails here), and WeasyPrint's notes on
    the page (CSS it ignores) go to the build's log, not to the terminal."""
    import importlib
    import logging
    import sys

    execute = importlib.import_module("evalkit.runner.execute")

    def not_here(*args, **kwargs):
        raise AssertionError("the PDF was made in the runner's process")

    monkeypatch.setattr(pdf, "write_pdf_file", not_here)
    monkeypatch.setattr(pdf, "write_pdf_bytes", not_here)
    page = _cell_page("<p style='overflow-x: auto'>Tekst</p>")
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    terminal = logging.StreamHandler(sys.stderr)
    logfile = tmp_path / "build.log"
    to_log = logging.FileHandler(logfile, encoding="utf-8")
    root = logging.getLogger()
    root.addHandler(terminal)
    root.addHandler(to_log)
    try:
        problem = execute._start_pdf(None, tmp_path, "T", here=True).finish()
    finally:
        root.removeHandler(terminal)
        root.removeHandler(to_log)
        to_log.close()
    assert problem is None
    assert pypdf.PdfReader(tmp_path / "report.pdf").pages[0].extract_text().startswith("Tekst")
    assert "overflow-x" not in capsys.readouterr().err
    assert "overflow-x" in logfile.read_text(encoding="utf-8")
    # a page the worker cannot read: no PDF, one sentence says why, the worker goes on
    (tmp_path / "report.html").unlink()
    (tmp_path / "report.pdf").unlink()
    problem = execute._start_pdf(None, tmp_path, "T", here=True).finish()
    assert problem.startswith("report.pdf was not made (FileNotFoundError: ")
    assert problem.endswith("the HTML is complete.") and "report.html" in problem
    assert not (tmp_path / "report.pdf").exists()


def test_the_warm_up_page_has_what_a_document_has():
    """WeasyPrint is warmed up on a page like a document: the template's stylesheet, a long
    table with fixed column widths and a wide one on a landscape page, an SVG figure with its
    text as text, and contents with page numbers; its PDF shows each of them."""
    page = pdf._warm_up_page()
    assert "evalkit-table-scroll" in page and ".evalkit-table-block" in page  # the template
    images: dict = {}
    printed = pdf.print_html(page, "T", images)
    assert "evalkit-fixed long" in printed and "evalkit-table-block wide" in printed
    assert [mime for mime, _ in images.values()] == ["image/svg+xml"]
    reader = pypdf.PdfReader(io.BytesIO(pdf.write_pdf_bytes(page, title="T")))
    landscape = [p.mediabox.width > p.mediabox.height for p in reader.pages]
    assert True in landscape and not landscape[0] and not landscape[-1]  # and back
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Kommune 29" in text and "nummer 29" in text and "Kolonne 8" in text
    assert "Romsdal 1 234" in text  # the figure's text, as text
    assert re.search(r"Sammendrag \.+ 1", text)  # the contents' page numbers


def test_a_pdf_the_worker_cannot_write_is_a_write_error(tmp_path, monkeypatch):
    """The worker cannot write report.pdf (a folder no one may write in, even root: /sys):
    the runner gets the OSError with its number, which it reports as a write error of the
    output folder, as for the files it writes itself."""
    import errno
    import importlib
    import os
    import tempfile

    try:
        fd, name = tempfile.mkstemp(dir="/sys")
    except OSError as err:
        assert err.errno == errno.EACCES
    else:  # pragma: no cover - a machine where /sys can be written
        os.close(fd)
        os.unlink(name)
        pytest.skip("/sys can be written here")
    execute = importlib.import_module("evalkit.runner.execute")
    (tmp_path / "report.html").write_text(_cell_page("<p>Tekst</p>"), encoding="utf-8")
    monkeypatch.setattr(execute, "PDF_FILE", "/sys/evalkit-report.pdf")  # staging / it
    with pytest.raises(OSError) as info:
        execute._start_pdf(None, tmp_path, "T", here=True).finish()
    assert info.value.errno == errno.EACCES
    assert info.value.filename == "/sys/evalkit-report.pdf"
    assert execute.WRITE_ERRNOS >= {errno.EACCES}


def test_a_stopped_build_does_not_wait_for_its_pdf(tmp_path):
    """Ctrl-C (the build's stop event) while the worker makes a PDF: the wait ends at once,
    the worker is stopped and no PDF is left; the next PDF gets a new worker."""
    import threading
    import time

    from evalkit.runner import pdfworker

    rows = [[f"Prosjekt {i}", f"{i} 000"] for i in range(600)]  # some seconds of layout
    html = tmp_path / "report.html"
    html.write_text(_cell_page(_table_block(rows, ["Prosjekt", "Kroner"])), encoding="utf-8")
    assert pdfworker.pdf_wanted(True)  # the worker is ready
    worker = pdfworker._WORKER
    stop = threading.Event()
    stop.set()
    start = time.perf_counter()
    with pytest.raises(pdfworker.PdfNotMade, match="stopped"):
        pdfworker.make_pdf(html, tmp_path / "report.pdf", title="T", stop=stop)
    assert time.perf_counter() - start < 0.5
    assert worker.proc.poll() is not None and pdfworker._WORKER is None
    assert not (tmp_path / "report.pdf").exists()
    small = tmp_path / "small.html"
    small.write_text(_cell_page("<p>Tekst</p>"), encoding="utf-8")
    pdfworker.make_pdf(small, tmp_path / "small.pdf", title="T")
    assert pdfworker._WORKER is not worker
    assert pypdf.PdfReader(tmp_path / "small.pdf").pages[0].extract_text().startswith("Tekst")


# --- issue 19, item 4: less for WeasyPrint to do, the same PDF --------------------------------
def test_the_page_is_parsed_once(monkeypatch):
    """WeasyPrint's parse of the page is the only one: the page is made ready for print on the
    tree WeasyPrint parsed (it was parsed, written out and parsed again, 0,09 s of 1,7 s)."""
    import tinyhtml5

    pdf.warm_up()
    calls = []
    parse = tinyhtml5.parse

    def counting(*args, **kwargs):
        calls.append(1)
        return parse(*args, **kwargs)

    monkeypatch.setattr(tinyhtml5, "parse", counting)
    rows = [[f"Fylke {i}", str(i)] for i in range(30)]
    data = pdf.write_pdf_bytes(
        _cell_page("<h2>Resultater</h2>", _table_block(rows, ["Fylke", "N"])), title="T"
    )
    assert len(calls) == 1
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Resultater" in text and "Fylke 29" in text  # the flattened cells, in print


_SVG_NS = "{http://www.w3.org/2000/svg}"


def _svg(body: str, style: str = "*{stroke-linejoin: round; stroke-linecap: butt}") -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="40pt" height="20pt" viewBox="0 0 40 20"><metadata>m</metadata>'
        f'<defs><style type="text/css">{style}</style></defs>{body}</svg>'
    ).encode()


def test_lean_svg_is_what_weasyprint_makes_of_matplotlibs_svg():
    """matplotlib's one stylesheet rule and the ``style`` attributes become attributes (a
    style attribute outweighs the rule, which outweighs an attribute); groups with nothing but
    an id are unwrapped unless something refers to them; the metadata goes."""
    import xml.etree.ElementTree as ET

    body = (
        '<g id="figure_1"><g id="patch_1"><path d="M 0 0 L 4 4" stroke-linecap="square" '
        'style="fill: #ffffff; stroke: #0173b2"/></g>'
        '<g id="line2d_1"><path d="M 0 0 L 1 1" style="stroke-linecap: round"/></g>'
        '<g id="marker"><circle r="1"/></g><use xlink:href="#marker" x="3" y="3"/>'
        "<text style=\"font-size: 10.45px; font-family: 'DejaVu Sans', sans-serif\">1</text>"
        "</g>"
    )
    root = ET.fromstring(pdf._lean_svg(_svg(body)))
    assert root.find(f"{_SVG_NS}metadata") is None
    assert not any(el.tag == f"{_SVG_NS}style" for el in root.iter())
    assert not any(el.get("style") for el in root.iter())
    first, second = root.iter(f"{_SVG_NS}path")
    # the rule over the attribute, the style attribute over the rule
    assert (first.get("stroke-linecap"), first.get("fill"), first.get("stroke")) == (
        "butt",
        "#ffffff",
        "#0173b2",
    )
    assert (second.get("stroke-linecap"), second.get("stroke-linejoin")) == ("round", "round")
    assert [g.get("id") for g in root.iter(f"{_SVG_NS}g")] == ["marker"]  # <use> refers to it
    assert first in list(root)  # unwrapped from figure_1 and patch_1
    text = root.find(f"{_SVG_NS}text")
    assert text.get("font-family") == "'DejaVu Sans', sans-serif" and text.text == "1"


@pytest.mark.parametrize(
    "svg",
    [
        _svg('<path d="M 0 0 L 1 1" style="fill: red"/>', style=".c{fill: blue}"),  # other rule
        _svg('<path d="M 0 0 L 1 1"/>', style="*{fill: red} path{fill: blue}"),
        b"<svg xmlns='http://www.w3.org/2000/svg'><path d='M 0 0'></svg>",  # not well formed
        b'<!DOCTYPE s [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    ],
)
def test_lean_svg_leaves_what_it_does_not_know(svg):
    """Any other stylesheet, a broken SVG or one with entities: handed over as it is, for
    WeasyPrint to draw or to refuse."""
    assert pdf._lean_svg(svg) == svg


def test_lean_svg_keeps_style_it_cannot_read_plainly():
    """``!important``, a comment or a semicolon in quotes stay in the ``style`` attribute, for
    WeasyPrint's own CSS parser."""
    import xml.etree.ElementTree as ET

    body = (
        '<path d="M 0 0" style="fill: red !important"/>'
        '<path d="M 0 0" style="/* c */ fill: red"/>'
        "<text style=\"font-family: 'a;b'\">x</text>"
        '<path d="M 0 0" style="fill: red; stroke: blue"/>'
    )
    root = ET.fromstring(pdf._lean_svg(_svg(body, style=" ")))
    kept = [el.get("style") for el in root if el.tag != f"{_SVG_NS}defs"]
    assert kept == ["fill: red !important", "/* c */ fill: red", "font-family: 'a;b'", None]


def test_a_matplotlib_figure_prints_the_same_lean(tmp_path, monkeypatch):
    """The PDF of a real figure is drawn the same from the lean SVG as from matplotlib's own
    (pages rendered by poppler, an independent renderer, and compared pixel by pixel)."""
    import shutil
    import subprocess

    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image, ImageChops

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.scatter([1, 2, 3, 4], [2, 1, 4, 3], alpha=0.6, label="Søknad")
    ax.plot([0, 4], [0, 4], "--", label="Tildelt = søkt")
    ax.set_xlabel("Søkt beløp (millioner kroner)")
    ax.legend()
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    assert pdf._lean_svg(svg) != svg
    page = _cell_page("<img alt='Figur' src='evalkit-image:0' style='width: 12cm'>")
    weasyprint = pdf._weasyprint()
    lean_svg = pdf._lean_svg
    pngs = []
    for name, hand_over in (("matplotlib", lambda data: data), ("lean", lean_svg)):
        path = tmp_path / f"{name}.pdf"
        monkeypatch.setattr(pdf, "_lean_svg", hand_over)  # what the fetcher hands over
        fetcher = pdf._fetcher(weasyprint, {"evalkit-image:0": ("image/svg+xml", svg)})
        weasyprint.HTML(string=page, url_fetcher=fetcher).write_pdf(path)
        subprocess.run(["pdftoppm", "-png", "-r", "100", path, tmp_path / name], check=True)
        pngs.append(Image.open(next(tmp_path.glob(f"{name}-*.png"))).convert("RGB"))
    assert ImageChops.difference(*pngs).getbbox() is None
    assert ImageChops.invert(pngs[0]).getbbox() is not None  # not a blank page
