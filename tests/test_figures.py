"""The county figures hide exactly what the county table hides (a figure that showed a
secondarily suppressed count would give the primary one away through the table's total), and
hidden bars come last so their place in the order says nothing about their size."""

from __future__ import annotations

import contextlib
import io
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


def _forest_frame() -> pd.DataFrame:
    """Five differences: two that hold after Holm, two that do not, one not tested."""
    return pd.DataFrame(
        {
            "label": ["Barn", "Unge", "Eldre", "Voksne", "Innvandrere"],
            "group": ["Målgruppe"] * 3 + ["Samarbeid"] * 2,
            "diff": [0.10, -0.05, 0.02, 0.30, 0.0],
            "diff_ci_low": [0.04, -0.09, -0.03, 0.20, float("nan")],
            "diff_ci_high": [0.16, -0.01, 0.07, 0.40, float("nan")],
            "p_value": [0.001, 0.01, 0.4, 0.0001, None],
            "holds_after_holm": [True, False, False, True, None],
        }
    )


def test_the_forest_marks_each_difference_by_what_its_test_says():
    """Filled points where the difference holds after Holm, open ones where it does not, a
    cross where it was not tested, each at its difference in percentage points, and one
    error bar per tested difference from its lower to its upper bound."""
    from matplotlib.collections import LineCollection

    fig = plots.forest(_forest_frame(), year=2023)
    ax = fig.axes[0]
    marks = {}
    for line in ax.get_lines():
        x = list(line.get_xdata())
        if not x:
            continue
        kind = (line.get_marker(), line.get_markerfacecolor() == "white")
        marks.setdefault(kind, []).extend(round(float(v), 6) for v in x)
    # the differences ×100, read off the frame above by hand
    assert sorted(marks[("o", False)]) == [10.0, 30.0]
    assert sorted(marks[("o", True)]) == [-5.0, 2.0]
    assert marks[("x", False)] == [0.0]
    segments = [
        seg for c in ax.collections if isinstance(c, LineCollection) for seg in c.get_segments()
    ]
    spans = sorted((round(float(s[0][0]), 6), round(float(s[1][0]), 6)) for s in segments if len(s))
    assert [s for s in spans if s[0] == s[0]] == [
        (-9.0, -1.0),
        (-3.0, 7.0),
        (4.0, 16.0),
        (20.0, 40.0),
    ]


def test_svg_text_sizes_kept_are_those_matplotlib_measures():
    """The SVG renderer keeps the sizes it measured (:func:`plots.keep_svg_text_sizes`): asked
    again, for one text in several sizes and weights, it gives what matplotlib's own
    ``TextToPath`` measures for each, not the size of another."""
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    plots.keep_svg_text_sizes()
    renderer = RendererSVG(100, 100, io.StringIO())
    fonts = [
        FontProperties(family=plots.SANS_SERIF, size=size, weight=weight)
        for size in (6, 8.5, 16)
        for weight in ("normal", "bold")
    ]
    texts = ["Innvandrere", "Møre og Romsdal", "0", "−1 234"]
    plots._SVG_TEXT_SIZES.clear()
    for _ in range(2):  # measured, then kept
        for s in texts:
            for prop in fonts:
                expected = TextToPath().get_text_width_height_descent(s, prop, ismath=False)
                assert renderer.get_text_width_height_descent(s, prop, False) == expected
    assert len(plots._SVG_TEXT_SIZES) == len(texts) * len(fonts)


def test_svg_text_sizes_kept_give_the_same_figure_byte_for_byte():
    """A document's figures drawn with the kept sizes and again with matplotlib's own
    measuring are the same bytes."""
    from matplotlib.backends.backend_svg import RendererSVG

    def draw() -> list[bytes]:
        return [
            doc.Figure("f", "T", plots.forest(_forest_frame(), year=2023, title="Barn"), "A").svg(),
            doc.Figure("g", "T", _bars(labels=("Møre og\nRomsdal", "Oslo")), "A").svg(),
        ]

    plots.keep_svg_text_sizes()
    kept = RendererSVG.get_text_width_height_descent
    assert getattr(kept, "_evalkit_kept", False)
    plots._SVG_TEXT_SIZES.clear()
    first = draw()
    assert plots._SVG_TEXT_SIZES  # the labels were measured and kept
    again = draw()  # every size taken from what was kept
    try:
        RendererSVG.get_text_width_height_descent = kept.__wrapped__
        plain = draw()
    finally:
        RendererSVG.get_text_width_height_descent = kept
    assert first == again == plain


def test_a_figure_is_laid_out_and_drawn_once_and_the_same_bytes(ev_2012):
    """``savefig`` of a figure with a layout engine goes through every artist twice (a pass with
    the drawing switched off for the layout, then the real one); within ``layout_once`` the
    first pass only lays the figure out. The same SVG bytes as matplotlib's own two passes,
    for the county figures of a real year, the forest and a plain bar chart, with each text
    drawn once instead of twice."""
    import matplotlib.text

    def figures() -> list:  # made anew for each way: a figure laid out once is not as new
        made = [p.figure for p in doc.county_figures(ev_2012)]
        return [*made, plots.forest(_forest_frame(), year=2023, title="Barn"), _bars()]

    drawn = []
    real_draw = matplotlib.text.Text.draw

    def counting_draw(self, renderer):
        drawn.append(self)
        return real_draw(self, renderer)

    def save(fig, once: bool) -> tuple[bytes, int]:
        buf = io.BytesIO()
        drawn.clear()
        with (
            matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "evalkit"}),
            plots.layout_once(fig) if once else contextlib.nullcontext(),
        ):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue(), len(drawn)

    matplotlib.text.Text.draw = counting_draw
    try:
        for plain, laid_out_once in zip(figures(), figures(), strict=True):
            assert plain.get_layout_engine() is not None  # evalkit's style: constrained layout
            twice, texts_twice = save(plain, once=False)
            once, texts_once = save(laid_out_once, once=True)
            assert once == twice
            assert texts_once > 0 and texts_twice == 2 * texts_once
            assert "draw" not in vars(laid_out_once)  # the figure's own draw is back
            plt.close(plain)
            plt.close(laid_out_once)
    finally:
        matplotlib.text.Text.draw = real_draw
