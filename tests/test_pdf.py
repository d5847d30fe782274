"""``report.pdf``: A4, tagged PDF/UA-1 with language and title, «side X av Y», table headers
repeated on every page, figures' alt texts kept (issue 11, item 4). Checked with pypdf, a
library independent of WeasyPrint."""

from __future__ import annotations

import base64
import io

import pytest

pypdf = pytest.importorskip("pypdf")
pdf = pytest.importorskip("evalkit.pdf")

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
def test_report_pdf_beside_report_html_and_no_pdf(tmp_path, monkeypatch, capsys):
    """A built document has report.pdf, recorded in its manifest; --no-pdf leaves it out; a
    build that wants the PDF after one without it rebuilds and says why; where WeasyPrint
    cannot start, the HTML is still built and one line says what to install."""
    import importlib
    import json

    from evalkit.runner import report_year

    runner_build = importlib.import_module("evalkit.runner.build")

    out = tmp_path / "out"
    res = report_year("samhandling", 2012, out_dir=out, pdf=False)
    folder = out / "samhandling" / "2012"
    assert res.status == "built" and not (folder / "report.pdf").exists()
    res = report_year("samhandling", 2012, out_dir=out)
    assert res.status == "built" and "report.pdf was not made last time" in res.message
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "report.pdf" in {o["path"] for o in manifest["outputs"]}
    reader = pypdf.PdfReader(folder / "report.pdf")
    first = reader.pages[0].extract_text()
    assert "SYNTETISKE DATA" in first  # the synthetic-data banner in the title block
    assert f"side 1 av {len(reader.pages)}" in first
    assert reader.trailer["/Root"]["/Lang"] == "nb"
    # no WeasyPrint: the HTML is still built, one line says what to install
    monkeypatch.setattr(runner_build, "_PDF_CHECKED", {})
    monkeypatch.setattr(pdf, "unavailable", lambda: "report.pdf was not made: install Pango")
    res = report_year("samhandling", 2011, out_dir=out)
    assert res.status == "built"
    assert (out / "samhandling" / "2011" / "report.html").exists()
    assert not (out / "samhandling" / "2011" / "report.pdf").exists()
    assert capsys.readouterr().err.count("install Pango") == 1
