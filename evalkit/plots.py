"""Figures for the documents, drawn with seaborn in one style: Norwegian labels, decimal
commas, and the Wilson interval drawn wherever a share is shown."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from evalkit.text import fmt_dec, fmt_int

COLOR = "#1f5a96"
ACCENT = "#c8553d"


def set_style() -> None:
    """The one style of every evalkit figure."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.autolayout": True,
        }
    )


def _done(fig: plt.Figure) -> plt.Figure:
    """Close the figure in pyplot's registry, so a notebook shows it once (where the cell
    displays it) and not again when the inline backend flushes open figures."""
    plt.close(fig)
    return fig


_PCT = FuncFormatter(lambda x, _pos: f"{fmt_dec(x, 0)} %")
_INT = FuncFormatter(lambda x, _pos: fmt_int(x))


def bar_by_county(
    by_county: pd.DataFrame,
    value: str,
    *,
    title: str,
    xlabel: str,
    hidden: pd.Series | None = None,
    symbol: str = ":",
) -> plt.Figure:
    """Horizontal bars per county, largest first. ``hidden`` marks suppressed counts: their
    bar is not drawn, the disclosure symbol stands in its place, and they come last."""
    set_style()
    data = by_county.copy()
    data["_hidden"] = hidden.to_numpy() if hidden is not None else False
    data["_shown"] = data[value].where(~data["_hidden"], 0)
    # hidden counts go last: sorted by their true value they would give their rank away
    data = data.sort_values(["_hidden", "_shown"], ascending=[True, False], kind="stable")
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(data) + 1.2))
    sns.barplot(data=data, y="county_name", x="_shown", color=COLOR, ax=ax, orient="h")
    for i, (_, r) in enumerate(data.iterrows()):
        label = symbol if r["_hidden"] else fmt_int(r[value])
        ax.text(r["_shown"], i, f" {label}", va="center", fontsize=9)
    ax.set(title=title, xlabel=xlabel, ylabel="")
    ax.xaxis.set_major_formatter(_INT)
    return _done(fig)


def shares_with_ci(shares: pd.DataFrame, *, title: str) -> plt.Figure:
    """Shares (in percent) with their Wilson 95 % intervals as error bars.

    ``shares`` has columns ``label``, ``share``, ``ci_low``, ``ci_high`` (0–1) and ``n``.
    """
    set_style()
    data = shares.dropna(subset=["share"]).sort_values("share", ascending=False, kind="stable")
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(data) + 1.2))
    y = range(len(data))
    ax.barh(list(y), data["share"] * 100, color=COLOR, alpha=0.85)
    ax.errorbar(
        data["share"] * 100,
        list(y),
        xerr=[(data["share"] - data["ci_low"]) * 100, (data["ci_high"] - data["share"]) * 100],
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    ax.set_yticks(list(y), data["label"])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(_PCT)
    ax.set(
        title=title,
        xlabel="Andel av prosjektene (strek: 95 % konfidensintervall, Wilson)",
        ylabel="",
    )
    return _done(fig)


def trend(per_year: pd.DataFrame, *, title: str) -> plt.Figure:
    """Shares over the years, one line per metric, with the Wilson interval as a band.

    ``per_year`` has columns ``year``, ``label``, ``share``, ``ci_low``, ``ci_high``.
    """
    set_style()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    palette = sns.color_palette("colorblind", per_year["label"].nunique())
    for color, (label, g) in zip(palette, per_year.groupby("label", sort=False), strict=False):
        g = g.sort_values("year")
        ax.plot(g["year"], g["share"] * 100, marker="o", color=color, label=label)
        ax.fill_between(g["year"], g["ci_low"] * 100, g["ci_high"] * 100, color=color, alpha=0.15)
    ax.yaxis.set_major_formatter(_PCT)
    ax.set_xticks(sorted(per_year["year"].unique()))
    ax.set(title=title, xlabel="Tilskuddsår", ylabel="Andel av prosjektene")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return _done(fig)


def amounts_by_year(
    amounts: pd.DataFrame, *, title: str, ylabel: str = "Tildelt beløp per prosjekt"
) -> plt.Figure:
    """Box plot of amounts per year (``year``, ``amount_nok``)."""
    set_style()
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.boxplot(data=amounts, x="year", y="amount_nok", color=COLOR, ax=ax, fliersize=2)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{fmt_int(x)} kr"))
    ax.set(title=title, xlabel="Tilskuddsår", ylabel=ylabel)
    return _done(fig)


def applied_vs_granted(pairs: pd.DataFrame, *, title: str) -> plt.Figure:
    """Granted against applied amount, one point per granted application (``applied_nok``,
    ``granted_nok``), in millions of kroner, with the line where the whole amount was granted."""
    set_style()
    data = pairs.assign(
        applied=pairs["applied_nok"].astype(float) / 1e6,
        granted=pairs["granted_nok"].astype(float) / 1e6,
    )
    fig, ax = plt.subplots(figsize=(6.5, 5))
    sns.scatterplot(data=data, x="applied", y="granted", color=COLOR, alpha=0.6, s=22, ax=ax)
    top = float(max(data["applied"].max(), data["granted"].max(), 0.1)) * 1.05
    ax.plot([0, top], [0, top], color=ACCENT, linewidth=1, label="Tildelt = søkt")
    ax.set(xlim=(0, top), ylim=(0, top), title=title)
    ax.set(xlabel="Søkt beløp (millioner kr)", ylabel="Tildelt beløp (millioner kr)")
    mill = FuncFormatter(lambda x, _p: fmt_dec(x, 1))
    ax.xaxis.set_major_formatter(mill)
    ax.yaxis.set_major_formatter(mill)
    ax.legend(loc="upper left", frameon=False)
    return _done(fig)
