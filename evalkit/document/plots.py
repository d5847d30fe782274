"""Figures for the documents, drawn with seaborn in one style: labels in the document's
language (the catalogs' ``plot.*``), numbers on the axes in its locale (:mod:`evalkit.formats`:
«20 %» and «0,5» in bokmål and nynorsk, «20%» and «0.5» in English), a colour-blind-safe
palette, and the Wilson interval drawn wherever a share is shown.

Figures carry no title: the document's caption («Figur 3. …») names them. Each is sized from
its content (rows, wrapped label lines, legend entries), so long category names and legends
never squeeze the plot; tick labels are thinned by a locator so they never run together.
"""

from __future__ import annotations

import contextlib
import re
import textwrap
from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

from evalkit.formats import fmt_dec, fmt_int, fmt_pct, unit_form
from evalkit.i18n import t

#: The colour-blind-safe palette of every figure (seaborn «colorblind», after Okabe and Ito).
PALETTE = sns.color_palette("colorblind")
COLOR = PALETTE[0]
ACCENT = PALETTE[3]
#: Markers that tell the lines of a trend figure apart without colour.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">"]
LINESTYLES = ["-", "--", "-.", ":"]
#: Resolution of a figure drawn as PNG (a drawing too large for SVG; images inside an SVG).
PNG_DPI = 150
#: Width of every figure (inches): the text column of the HTML page and of an A4 page.
WIDTH = 7.5
#: Category labels are wrapped to this many characters.
WRAP = 28
#: The fonts of a figure's text, first choice first (see :func:`set_style`).
SANS_SERIF = ["DejaVu Sans", "Bitstream Vera Sans", "Verdana", "sans-serif"]


def set_style() -> None:
    """The one style of every evalkit figure (text as text: no mathtext).

    The text is set in DejaVu Sans, which matplotlib ships, so a figure is measured the same on
    every machine; it comes first among the fonts an SVG figure names, so that WeasyPrint and a
    browser draw its text in the font it was measured in (seaborn names Arial first, which
    matplotlib here does not have and a browser does: its text would be drawn narrower than
    laid out). Verdana, of DejaVu's widths, stands in where DejaVu Sans is missing."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95, palette=PALETTE)
    plt.rcParams.update(
        {
            "font.sans-serif": SANS_SERIF,
            "figure.dpi": 100,
            "savefig.dpi": PNG_DPI,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
            # labels and titles come from the scheme YAML and the data: «$x^$» is text, never
            # mathtext (which would draw it as a formula, or fail the figure)
            "text.parse_math": False,
        }
    )


#: Text sizes measured for SVG, kept across a process's figures (see :func:`keep_svg_text_sizes`).
_SVG_TEXT_SIZES: dict[tuple[str, int, object], tuple[float, float, float]] = {}
_SVG_TEXT_SIZES_MAX = 50_000


def keep_svg_text_sizes() -> None:
    """Measure each text once for SVG, not once per renderer.

    matplotlib keeps the sizes of texts per renderer, and saving a figure as SVG makes new
    renderers each time, so FreeType measured every label again in every figure and document:
    411 measurements for the five figures of frisklivs_lms 2022 (a sixth of the time of
    drawing them). The SVG renderer measures a text by its string, font properties and
    ``ismath`` alone (at the SVG's fixed 72 dpi, through matplotlib's ``TextToPath``), so its
    :meth:`~matplotlib.backend_bases.RendererBase.get_text_width_height_descent` is wrapped
    once per process to keep what it measured, keyed as matplotlib keys its own cache (the font
    properties by their hash): 105 measurements for those figures, 8 for 2023's drawn after
    them in the same kernel. The sizes are those matplotlib measures and the figures the same
    bytes (``tests/test_figures.py``). Only the SVG renderer is touched."""
    from matplotlib.backends.backend_svg import RendererSVG

    measure = RendererSVG.__dict__["get_text_width_height_descent"]
    if getattr(measure, "_evalkit_kept", False):
        return

    def get_text_width_height_descent(self, s, prop, ismath):
        key = (s, hash(prop), ismath)
        size = _SVG_TEXT_SIZES.get(key)
        if size is None:
            size = measure(self, s, prop, ismath)
            if len(_SVG_TEXT_SIZES) >= _SVG_TEXT_SIZES_MAX:
                _SVG_TEXT_SIZES.clear()
            _SVG_TEXT_SIZES[key] = size
        return size

    get_text_width_height_descent._evalkit_kept = True  # type: ignore[attr-defined]
    get_text_width_height_descent.__wrapped__ = measure  # type: ignore[attr-defined]
    get_text_width_height_descent.__doc__ = measure.__doc__
    RendererSVG.get_text_width_height_descent = get_text_width_height_descent


@contextlib.contextmanager
def layout_once(fig: plt.Figure) -> Iterator[None]:
    """Within it, ``fig.savefig`` lays the figure out and draws it once.

    For a figure with a layout engine (evalkit's figures use constrained layout),
    :meth:`~matplotlib.figure.Figure.savefig` draws the figure twice: first with the renderer's
    drawing switched off, to run the layout engine, then for real with the engine switched
    off. The first pass goes through every artist after the layout, measuring and placing every
    text and tick, and throws that away: the real pass does it all again. Here the first pass
    runs the layout engine, as :meth:`~matplotlib.figure.Figure.draw` runs it, and nothing
    else; the figure is the same bytes (``tests/test_figures.py``), for half of the drawing.
    The first :meth:`~matplotlib.figure.Figure.draw` that reaches the figure is that pass
    (matplotlib's ``_get_renderer`` puts its own ``draw`` on the figure while it makes a
    renderer, and takes it away after)."""
    if fig.get_layout_engine() is None or "draw" in vars(fig):
        yield
        return
    first = [True]

    def draw(renderer: Any) -> Any:
        if first:
            first.clear()
            if fig.axes:
                with contextlib.suppress(ValueError):  # as Figure.draw
                    fig.get_layout_engine().execute(fig)
            return None
        return type(fig).draw(fig, renderer)

    fig.draw = draw
    try:
        yield
    finally:
        del fig.draw


def _done(fig: plt.Figure) -> plt.Figure:
    """Close the figure in pyplot's registry, so a notebook shows it once (where the cell
    displays it) and not again when the inline backend flushes open figures."""
    plt.close(fig)
    return fig


close = _done


#: Line breaks and control characters of a text (no font has a glyph for them).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def plain(label: object) -> str:
    """A label of the scheme YAML or the data on one line: its line breaks and control
    characters as spaces."""
    return _CONTROLS.sub(" ", str(label))


def wrap(label: object, width: int = WRAP) -> str:
    """A category label on lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(plain(label), width=width, break_long_words=False)) or ""


def _lines(labels) -> int:
    return sum(max(1, str(t).count("\n") + 1) for t in labels)


#: Percent ticks (the axis is in percent, 0–100) as the current locale writes a percentage.
_PCT = FuncFormatter(lambda x, _pos: fmt_pct(x / 100, 0))
_INT = FuncFormatter(lambda x, _pos: fmt_int(x))
_YEAR = FuncFormatter(lambda x, _pos: f"{x:.0f}")


def money_axis(max_value: float) -> tuple[float, str, FuncFormatter]:
    """Scale, axis label and tick formatter for amounts: millions of kroner from 2 million
    up («Millioner kroner», «NOK million»; ticks 0, 0,5, 1,0 …), thousands from 20 000, else
    kroner."""
    if max_value >= 2_000_000:
        return (
            1e6,
            t("plot.money.millions"),
            FuncFormatter(lambda x, _p: fmt_dec(x, 1 if x % 1 else 0)),
        )
    if max_value >= 20_000:
        return 1e3, t("plot.money.thousands"), FuncFormatter(lambda x, _p: fmt_int(x))
    return 1.0, t("plot.money.kroner"), _INT


def lower_first(words: str) -> str:
    """An axis label inside a longer one: «Millioner kroner» → «millioner kroner»; an
    abbreviation («NOK million») is kept."""
    return words if words[:2].isupper() else words[:1].lower() + words[1:]


def _share_of_projects() -> str:
    """«Andel av prosjektene (%)» in the current language."""
    return t("plot.axis.share_of", the=unit_form("project", "the"))


def bar_by_county(
    by_county: pd.DataFrame,
    value: str,
    *,
    xlabel: str,
    title: str | None = None,
    hidden: pd.Series | None = None,
    symbol: str = ":",
    money: bool = False,
) -> plt.Figure:
    """Horizontal bars per county, largest first. ``hidden`` marks suppressed counts: their
    bar is not drawn, the disclosure symbol stands in its place, and they come last.
    ``money``: amounts, drawn in thousands or millions of kroner as their size asks."""
    set_style()
    data = by_county.copy()
    data["_hidden"] = hidden.to_numpy() if hidden is not None else False
    data["_shown"] = data[value].where(~data["_hidden"], 0).astype(float)
    # hidden counts go last: sorted by their true value they would give their rank away
    data = data.sort_values(["_hidden", "_shown"], ascending=[True, False], kind="stable")
    scale, unit_label, formatter = (
        money_axis(float(data["_shown"].max()))
        if money
        else (
            1.0,
            xlabel,
            _INT,
        )
    )
    data["_bar"] = data["_shown"] / scale
    labels = [wrap(n, 22) for n in data["county_name"]]
    fig, ax = plt.subplots(figsize=(WIDTH, 0.3 * _lines(labels) + 1.0))
    y = np.arange(len(data))
    ax.barh(y, data["_bar"], color=COLOR)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    top = float(data["_bar"].max()) if len(data) else 1.0
    ax.set_xlim(0, (top or 1.0) * 1.18)  # room for the value labels
    for i, (_, r) in enumerate(data.iterrows()):
        if r["_hidden"]:
            label = symbol
        elif money:
            label = fmt_dec(r[value] / scale, 1) if scale == 1e6 else fmt_int(r[value] / scale)
        else:
            label = fmt_int(r[value])
        ax.text(r["_bar"], i, f" {label}", va="center", fontsize=8.5)
    ax.set(xlabel=unit_label if money else plain(xlabel), ylabel="")
    if title:
        ax.set_title(title)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(formatter)
    ax.grid(axis="y", visible=False)
    return _done(fig)


def shares_with_ci(
    shares: pd.DataFrame, *, title: str | None = None, xlabel: str | None = None
) -> plt.Figure:
    """Shares (in percent) with their Wilson 95 % intervals as lines with caps.

    ``shares`` has columns ``label``, ``share``, ``ci_low``, ``ci_high`` (0–1) and ``n``;
    ``xlabel`` by default «Andel av prosjektene (%)» in the current language.
    """
    set_style()
    xlabel = _share_of_projects() if xlabel is None else xlabel
    data = shares.dropna(subset=["share"]).sort_values("share", ascending=False, kind="stable")
    labels = [wrap(t) for t in data["label"]]
    fig, ax = plt.subplots(figsize=(WIDTH, 0.3 * _lines(labels) + 0.12 * len(data) + 1.0))
    y = np.arange(len(data))
    ax.barh(y, data["share"] * 100, color=COLOR, alpha=0.85)
    ax.errorbar(
        data["share"] * 100,
        y,
        xerr=[  # rounding can leave an interval end a hair beyond the share
            ((data["share"] - data["ci_low"]) * 100).clip(lower=0),
            ((data["ci_high"] - data["share"]) * 100).clip(lower=0),
        ],
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(_PCT)
    ax.set(xlabel=xlabel, ylabel="")
    if title:
        ax.set_title(title)
    ax.grid(axis="y", visible=False)
    return _done(fig)


def trend(
    per_year: pd.DataFrame, *, title: str | None = None, ylabel: str | None = None
) -> plt.Figure:
    """Shares over the years with the Wilson interval as a band.

    Up to four shares in one panel, told apart by marker and line style as well as colour,
    with the legend below the plot; more shares as small multiples, one panel each, on a
    common scale. ``per_year`` has columns ``year``, ``label``, ``share``, ``ci_low``,
    ``ci_high``; ``ylabel`` by default «Andel av prosjektene (%)» in the current language.
    """
    set_style()
    ylabel = _share_of_projects() if ylabel is None else ylabel
    groups = list(per_year.groupby("label", sort=False))
    years = sorted(per_year["year"].unique())
    if len(groups) > 4:
        return _trend_panels(groups, years, title=title, ylabel=ylabel)
    entries = [wrap(label, 40) for label, _ in groups]
    ncol = 2 if len(groups) > 1 else 1
    legend_lines = -(-sum(_lines([e]) for e in entries) // ncol)
    fig, ax = plt.subplots(figsize=(WIDTH, 3.4 + 0.22 * legend_lines))
    for i, (_label, g) in enumerate(groups):
        g = g.sort_values("year")
        color = PALETTE[i % len(PALETTE)]
        ax.plot(
            g["year"],
            g["share"] * 100,
            marker=MARKERS[i % len(MARKERS)],
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            color=color,
            label=entries[i],
        )
        ax.fill_between(g["year"], g["ci_low"] * 100, g["ci_high"] * 100, color=color, alpha=0.15)
    _year_axis(ax, years)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(_PCT)
    ax.set(xlabel=t("plot.axis.grant_year"), ylabel=ylabel)
    if title:
        ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=ncol, frameon=False, fontsize=8.5)
    return _done(fig)


def _year_axis(ax: plt.Axes, years: list[int]) -> None:
    ax.set_xticks(years)
    ax.xaxis.set_major_formatter(_YEAR)
    if len(years) > 8:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    pad = 0.3
    ax.set_xlim(min(years) - pad, max(years) + pad)


def _trend_panels(groups, years, *, title, ylabel) -> plt.Figure:
    ncols = 3
    nrows = -(-len(groups) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(WIDTH, 2.3 * nrows + 0.6), sharex=True, sharey=True, squeeze=False
    )
    for ax, (label, g) in zip(axes.flat, groups, strict=False):
        g = g.sort_values("year")
        ax.plot(g["year"], g["share"] * 100, marker="o", color=COLOR, markersize=4)
        ax.fill_between(g["year"], g["ci_low"] * 100, g["ci_high"] * 100, color=COLOR, alpha=0.2)
        ax.set_title(wrap(label, 30), fontsize=8.5, fontweight="normal", loc="left")
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
        ax.yaxis.set_major_formatter(_PCT)
        ax.set_xticks([years[0], years[-1]] if len(years) > 3 else years)
        ax.xaxis.set_major_formatter(_YEAR)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(groups) :]:
        ax.set_visible(False)
    fig.supylabel(ylabel, fontsize=9)
    fig.supxlabel(t("plot.axis.grant_year"), fontsize=9)
    if title:
        fig.suptitle(title, fontweight="bold")
    return _done(fig)


def amounts_by_year(
    amounts: pd.DataFrame, *, title: str | None = None, ylabel: str | None = None
) -> plt.Figure:
    """Box plot of amounts per year (``year``, ``amount_nok``); ``ylabel`` by default
    «Tildelt per prosjekt» in the current language."""
    set_style()
    ylabel = t("plot.axis.granted_per_project") if ylabel is None else ylabel
    scale, unit, formatter = money_axis(float(amounts["amount_nok"].max()))
    data = amounts.assign(amount=amounts["amount_nok"] / scale, year=amounts["year"].astype(str))
    fig, ax = plt.subplots(figsize=(WIDTH, 3.8))
    sns.boxplot(data=data, x="year", y="amount", color=COLOR, ax=ax, fliersize=2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(formatter)
    ax.set(
        xlabel=t("plot.axis.grant_year"),
        ylabel=t("plot.axis.amount_in", label=ylabel, unit=lower_first(unit)),
    )
    if title:
        ax.set_title(title)
    return _done(fig)


def applied_vs_granted(pairs: pd.DataFrame, *, title: str | None = None) -> plt.Figure:
    """Granted against applied amount, one point per granted application (``applied_nok``,
    ``granted_nok``), in millions of kroner, with the line where the whole amount was granted."""
    set_style()
    data = pairs.assign(
        applied=pairs["applied_nok"].astype(float) / 1e6,
        granted=pairs["granted_nok"].astype(float) / 1e6,
    )
    fig, ax = plt.subplots(figsize=(6.0, 5.2))
    ax.scatter(
        data["applied"],
        data["granted"],
        color=COLOR,
        alpha=0.6,
        s=18,
        label=t("plot.applied.application"),
    )
    top = float(max(data["applied"].max(), data["granted"].max(), 0.1)) * 1.05
    ax.plot(
        [0, top],
        [0, top],
        color=ACCENT,
        linewidth=1.2,
        linestyle="--",
        label=t("plot.applied.equal"),
    )
    ax.set(xlim=(0, top), ylim=(0, top))
    ax.set(xlabel=t("plot.applied.xlabel"), ylabel=t("plot.applied.ylabel"))
    if title:
        ax.set_title(title)
    mill = FuncFormatter(lambda x, _p: fmt_dec(x, 1))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(mill)
    ax.legend(loc="upper left", frameon=False)
    return _done(fig)


def forest(comparisons: pd.DataFrame, *, year: int, title: str | None = None) -> plt.Figure:
    """Differences of shares in percentage points with their Newcombe 95 % intervals, one row
    per share, grouped (``group``) in the order given, group names as bold row labels.

    ``comparisons`` has columns ``label``, ``group``, ``diff``, ``diff_ci_low``,
    ``diff_ci_high``, ``p_value`` and ``holds_after_holm`` (of the comparisons in
    ``metrics.json``). A filled point marks a difference that holds after Holm's adjustment,
    an open one a difference that does not, a cross a share that could not be tested: shape,
    not colour, tells them apart.
    """
    set_style()
    rows: list[tuple[str, pd.Series | None]] = []
    for group, g in comparisons.groupby("group", sort=False):
        rows.append((wrap(str(group).capitalize(), 40), None))
        rows += [(wrap(r["label"], 40), r) for _, r in g.iterrows()]
    labels = [t for t, _ in rows]
    # each row as tall as its label's lines, so wrapped labels never run into each other
    heights = np.array([0.4 + _lines([t]) for t in labels])
    ypos = np.cumsum(heights) - heights / 2
    fig, ax = plt.subplots(figsize=(WIDTH, 0.18 * heights.sum() + 1.5))
    # one artist per kind of mark, not one per row: a document's forest has some 20 rows, and
    # matplotlib makes, lays out and draws each artist on its own (a third of the figure's time)
    shown = [(y, r) for y, (_, r) in zip(ypos, rows, strict=True) if r is not None]
    y = np.array([y for y, _ in shown], dtype=float)
    d = np.array([r["diff"] for _, r in shown], dtype=float) * 100
    lo = np.array([r["diff_ci_low"] for _, r in shown], dtype=float) * 100
    hi = np.array([r["diff_ci_high"] for _, r in shown], dtype=float) * 100
    untested = np.array([r["p_value"] is None or pd.isna(r["p_value"]) for _, r in shown], bool)
    holds = np.array(
        [
            not u and not pd.isna(r["holds_after_holm"]) and bool(r["holds_after_holm"])
            for u, (_, r) in zip(untested, shown, strict=True)
        ],
        bool,
    )
    if len(shown):
        err = np.vstack([np.maximum(d - lo, 0.0), np.maximum(hi - d, 0.0)])
        ax.errorbar(d, y, xerr=err, fmt="none", ecolor="black", lw=1, capsize=2.5)
    ax.plot(d[untested], y[untested], marker="x", color="black", markersize=6, linestyle="none")
    ax.plot(d[holds], y[holds], marker="o", color=COLOR, markersize=6.5, linestyle="none")
    rest = ~untested & ~holds
    ax.plot(
        d[rest],
        y[rest],
        marker="o",
        markerfacecolor="white",
        markeredgecolor=COLOR,
        markeredgewidth=1.4,
        markersize=6.5,
        linestyle="none",
    )
    ax.axvline(0, color="0.35", lw=0.9)
    ax.set_yticks(ypos, labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), rows, strict=True):
        if r is None:
            tick.set_fontweight("bold")
    ax.set_ylim(heights.sum(), 0)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: fmt_dec(x, 0)))
    ax.set(xlabel=t("plot.forest.xlabel", year=year), ylabel="")
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(title)
    handles = [
        Line2D([], [], marker="o", color=COLOR, linestyle="none", label=t("plot.forest.holds")),
        Line2D(
            [],
            [],
            marker="o",
            markerfacecolor="white",
            markeredgecolor=COLOR,
            linestyle="none",
            label=t("plot.forest.not_holds"),
        ),
        Line2D([], [], marker="x", color="black", linestyle="none", label=t("plot.forest.no_test")),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8.5)
    return _done(fig)


# --- any figure in the house style ------------------------------------------------------------
class LocaleFormatter(ScalarFormatter):
    """Tick labels as matplotlib's default formatter chooses them (as many decimals as the
    ticks need, no offset, no powers of ten), written as the current locale writes numbers
    (:func:`evalkit.formats.fmt_dec`): ``1 000``, ``0,5``, ``−2`` in bokmål and nynorsk,
    ``1,000``, ``0.5``, ``-2`` in English."""

    def __init__(self) -> None:
        super().__init__(useOffset=False, useMathText=False)
        self.set_scientific(False)

    def __call__(self, x: float, pos: int | None = None) -> str:
        shown = super().__call__(x, pos)
        if not shown:
            return shown
        decimals = len(shown.split(".", 1)[1]) if "." in shown else 0
        return fmt_dec(x, decimals)


#: The name of before the languages.
NorwegianFormatter = LocaleFormatter


def stat_labels() -> dict[str, str]:
    """The words seaborn puts on a statistic's axis, in the current language: «Count» →
    «Antall» / «Talet på» / «Count» …"""
    return {
        "Count": t("plot.stat.count"),
        "Density": t("plot.stat.density"),
        "Proportion": t("plot.stat.proportion"),
        "Percent": t("plot.stat.percent"),
        "Frequency": t("plot.stat.frequency"),
    }


def _relabel(text: str, labels: Mapping[str, str]) -> str | None:
    """A label named by a column (``county_name``, or ``county_name = Oslo`` as seaborn titles
    a facet) with the column's label; None when it names none."""
    if text in labels:
        return labels[text]
    column, sep, rest = text.partition(" = ")
    if sep and column in labels:
        return f"{labels[column]} = {rest}"
    return None


def _overlap(labels: list, renderer) -> bool:
    boxes = sorted(
        (t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()),
        key=lambda b: b.x0,
    )
    return any(a.x1 > b.x0 + 1 for a, b in pairwise(boxes))


def _renderer(fig: plt.Figure):
    get = getattr(fig.canvas, "get_renderer", None)
    if get is None:  # a Figure made without pyplot: draw it with Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        get = FigureCanvasAgg(fig).get_renderer
    fig.canvas.draw()
    return get()


def house_style(fig: plt.Figure, labels: Mapping[str, str] | None = None) -> plt.Figure:
    """A figure drawn by anyone (seaborn, pandas, matplotlib) made to look like evalkit's own.

    * An axis label, legend title or facet title that is a column name with a label
      (``labels``: column → label, e.g. from the scheme YAML) shows the label; seaborn's
      «Count», «Density» … are written in the document's language (:func:`stat_labels`).
    * Numbers on the axes are written as the document's locale writes them
      (:class:`LocaleFormatter`), where the axis has matplotlib's default formatter.
    * Category labels on the x axis that run into each other are wrapped, and turned 45°
      if that is not enough.

    The figure is changed in place and returned.
    """
    labels = {**stat_labels(), **(labels or {})}
    legends = list(fig.legends)
    for ax in fig.axes:
        for axis, get, put in (
            (ax.xaxis, ax.get_xlabel, ax.set_xlabel),
            (ax.yaxis, ax.get_ylabel, ax.set_ylabel),
        ):
            new = _relabel(get(), labels)
            if new is not None:
                put(new)
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(LocaleFormatter())
        new = _relabel(ax.get_title(), labels)
        if new is not None:
            ax.set_title(new)
        legends.append(ax.get_legend())
    for legend in legends:
        if legend is None:
            continue
        new = _relabel(legend.get_title().get_text(), labels)
        if new is not None:
            legend.set_title(new)
    if not fig.axes:
        return fig
    renderer = _renderer(fig)
    for ax in fig.axes:
        ticks = ax.get_xticklabels()
        if not _overlap(ticks, renderer):
            continue
        ax.set_xticks(ax.get_xticks(), [wrap(t.get_text(), 14) for t in ticks])
        fig.canvas.draw()
        if _overlap(ax.get_xticklabels(), renderer):
            for t in ax.get_xticklabels():
                t.set(rotation=45, horizontalalignment="right", rotation_mode="anchor")
    return fig
