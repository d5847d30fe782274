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
