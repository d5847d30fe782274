"""The county figures hide exactly what the county table hides (a figure that showed a
secondarily suppressed count would give the primary one away through the table's total), and
hidden bars come last so their place in the order says nothing about their size."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from evalkit import document as doc
from evalkit.config import load_scheme_file
from evalkit.document import plots
from evalkit.evaluation import evaluate

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"


def _bar_labels(fig) -> dict[str, str]:
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    values = [t.get_text().strip() for t in ax.texts]
    return dict(zip(names, values, strict=True))


@pytest.fixture(scope="module")
def ev_2012(tmp_path_factory):
    """samhandling 2012 with its awards not declared public (``disclosure``), so that the
    county table hides counts the figures draw (public, the figures' columns hide nothing)."""
    text = (ROOT / "evalkit" / "schemes" / "samhandling.yaml").read_text(encoding="utf-8")
    head, _, rest = text.partition("\ndisclosure:\n")
    assert rest, "samhandling.yaml has a disclosure block"
    copy = tmp_path_factory.mktemp("scheme") / "samhandling.yaml"
    copy.write_text(head + "\n" + rest.partition("\n\n")[2], encoding="utf-8")
    return evaluate(load_scheme_file(copy), 2012, data_dir=DEMO, compare_with=[])


def test_figures_hide_what_the_table_hides(ev_2012):
    table = doc.county_table(ev_2012).display.set_index("Fylke").drop(index="I alt")
    hidden_in_table = set(table.index[table["Innvilget"] == ":"])
    assert len(hidden_in_table) >= 2  # a primary cell and its secondary partner
    count_fig, amount_fig = doc.county_figures(ev_2012)
    for fig in (count_fig.figure, amount_fig.figure):
        labels = _bar_labels(fig)
        assert {c for c, v in labels.items() if v == ":"} == hidden_in_table
        plt.close(fig)


def test_hidden_bars_come_last():
    by = pd.DataFrame(
        {
            "county_name": ["A", "B", "C", "D"],
            "county_code": ["1", "2", "3", "4"],
            "n": [9, 2, 5, 7],
        }
    )
    fig = plots.bar_by_county(by, "n", xlabel="x", hidden=pd.Series([False, True, True, False]))
    assert list(_bar_labels(fig)) == ["A", "D", "B", "C"]
    assert list(_bar_labels(fig).values()) == ["9", "7", ":", ":"]
    plt.close(fig)


def test_figure_png_is_opaque_rgb_with_the_same_pixels():
    """The document's PNG has no alpha channel (smaller, and put into the PDF as it is) and
    the same pixels as matplotlib's own RGBA PNG of the figure on its white background."""
    import io

    import numpy as np
    from PIL import Image

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.barh(["Oslo", "Rogaland"], [11, 5])
    ours = Image.open(io.BytesIO(doc.Figure("f", "Tittel", fig, "Alt").png()))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=plots.PNG_DPI)
    plt.close(fig)
    theirs = np.asarray(Image.open(buf))
    assert ours.mode == "RGB"
    assert (theirs[..., 3] == 255).all()  # matplotlib's figure is opaque
    assert (np.asarray(ours) == theirs[..., :3]).all()
    assert round(ours.info["dpi"][0]) == plots.PNG_DPI


# --- each figure drawn once, as SVG with its text as text (issue 19, item 4) ----------------
def _bars(labels=("Møre og Romsdal", "Oslo")):
    plots.set_style()
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.barh(list(labels), [11, 5])
    ax.set_xlabel("Prosjekter")
    plots.close(fig)
    return fig


def _svg_texts(svg: bytes) -> list[tuple[str, str]]:
    """Each ``<text>`` of an SVG: its text and its style, read with defusedxml."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(svg)
    return [
        ("".join(t.itertext()), t.get("style", ""))
        for t in root.iter("{http://www.w3.org/2000/svg}text")
    ]


def test_a_figure_shown_is_drawn_once_as_svg_with_its_text_as_text(monkeypatch):
    """Shown the way a notebook shows it (IPython's display formatter asks for every format
    it knows), the figure is drawn once, to SVG: the HTML embeds that SVG, a front end
    without HTML gets the same SVG, and IPython asks for no PNG (which would draw it again).
    The labels are ``<text>`` set in DejaVu Sans, the font matplotlib measured them in."""
    import base64

    from IPython.core.formatters import DisplayFormatter

    fig = _bars()
    formats = []
    real = fig.savefig
    monkeypatch.setattr(
        fig, "savefig", lambda *a, **k: formats.append(k.get("format")) or real(*a, **k)
    )
    piece = doc.Figure("f", "Prosjekter per fylke", fig, "Flest i Møre og Romsdal (11).")
    data, _ = DisplayFormatter().format(piece)
    assert formats == ["svg"]
    assert set(data) == {"text/html", "image/svg+xml", "text/plain"}
    svg = data["image/svg+xml"].encode("utf-8")
    src = data["text/html"].split("src='", 1)[1].split("'", 1)[0]
    assert src == "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    texts = dict(_svg_texts(svg))
    assert {"Møre og Romsdal", "Oslo", "Prosjekter"} <= set(texts)
    assert texts["Oslo"].split("font-family: ", 1)[1].startswith("'DejaVu Sans'")


def test_the_same_figure_gives_the_same_svg():
    """No date, and the ids of clip paths from a fixed salt: a figure drawn again (a rebuild)
    gives the same bytes, so the cache and the HTML compare equal."""
    first = doc.Figure("f", "T", _bars(), "A").svg()
    again = doc.Figure("f", "T", _bars(), "A").svg()
    assert first == again
    assert b"<dc:date>" not in first and b"clip-path" in first


def test_a_label_with_control_characters_gives_readable_svg():
    """A researcher's own label may hold control characters XML does not allow (a vertical
    tab, an escape): they are written as spaces, and the SVG stays readable."""
    fig = _bars(labels=("Agder\x0bvest", "Oslo\x1b"))
    texts = [t for t, _ in _svg_texts(doc.Figure("f", "T", fig, "A").svg())]
    assert "Agder vest" in texts and "Oslo " in texts


def test_a_drawing_of_many_thousand_points_is_a_png():
    """An SVG has an element per point, which WeasyPrint draws one by one: over the limit,
    the figure is embedded as a PNG."""
    import numpy as np

    fig, ax = plt.subplots(figsize=(4, 3))
    rng = np.random.default_rng(1)
    ax.scatter(rng.random(20_000), rng.random(20_000), s=2)
    plt.close(fig)
    piece = doc.Figure("f", "T", fig, "A")
    assert len(piece.svg()) > doc.Figure.SVG_LIMIT
    mime, image = piece.image()
    assert mime == "image/png" and image.startswith(b"\x89PNG")
    assert "src='data:image/png;base64," in piece._repr_html_()
