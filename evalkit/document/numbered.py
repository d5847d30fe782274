"""The pieces every document is made of: numbered tables and figures, and a researcher's own.

A :class:`Table` or a :class:`Figure` shows as HTML (and a figure as SVG) with its number,
caption, source line and notes. It takes its number when it is shown
(:class:`~evalkit.document.counters.Numbering`), so the numbers run 1, 2, 3 … down the page
whatever cells are dropped, moved or added, and ``tables.xlsx`` holds the tables shown.

:func:`figure` and :func:`table` make a researcher's own figure (a matplotlib Figure or Axes,
or a seaborn grid) and table (a DataFrame) into pieces like the built-in ones: the house style
and the YAML's labels on the figure, small counts hidden in the table, the scheme's source line
under both. In a notebook, a matplotlib figure shown as it is still gets its number and a
placeholder caption, with a note under the cell saying what to add (:func:`prepare_notebook`).
"""

from __future__ import annotations

import base64
import io
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from evalkit.config import scheme_text
from evalkit.disclosure import RULE as RULE  # the rule of every published table
from evalkit.disclosure import suppress as suppress_table
from evalkit.document import excel, plots, text
from evalkit.document.counters import Numbering, current, numbering, use
from evalkit.document.text import esc
from evalkit.errors import EvalkitError
from evalkit.formats import fmt_dec, fmt_int, fmt_p
from evalkit.i18n import t

#: Characters XML 1.0 does not allow (an SVG holding one is not read).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def source_line(source: str, years: str, *, synthetic: bool) -> str:
    """«Kilde: fylkenes rapportering til Helsedirektoratet 2022; beregninger: evalkit.» in the
    current language (``source``: the scheme YAML's ``source_nb`` or its translation)."""
    origin = t("piece.origin", source=source, years=years)
    if synthetic:
        origin = t("piece.origin_synthetic", origin=origin)
    return t("piece.source", origin=origin)


def _source_prefix() -> str:
    """What a source line begins with in the current language («Kilde: »): ``tables.xlsx``
    writes its own."""
    return t("piece.source", origin="\x00").split("\x00", 1)[0]


def total_label() -> str:
    """«I alt», the label of a table's total row or column, in the current language."""
    return t("piece.total")


_NUMERIC_TOKENS = re.compile(
    r"(p\.p\.|pp|kr|NOK|prosent|per cent|til|to|[\d\s\u00a0\u2212±+\-–.,:%()<>=])"
)


def _looks_numeric(value: str) -> bool:
    """A display cell that is a number (with its unit, interval or disclosure symbol)."""
    return _NUMERIC_TOKENS.sub("", value) == ""


def column_kinds(display: pd.DataFrame) -> list[str]:
    """``"num"`` for a column whose every cell is a number (or «–», «:», empty) and at least
    one holds a digit, else ``"txt"``."""
    kinds = []
    for col in display.columns:
        cells = [("" if pd.isna(v) else str(v)) for v in display[col]]
        numeric = all(_looks_numeric(c) for c in cells) and any(
            any(ch.isdigit() for ch in c) for c in cells
        )
        kinds.append("num" if numeric else "txt")
    return kinds


class _Numbered:
    """What a numbered table and a numbered figure share: «Tabell 3» / «Figur 2», the caption,
    the anchor the text links to, and the caption as HTML. ``KIND`` names the kind (the same
    in every language; :attr:`label` is in the current one)."""

    KIND: ClassVar[str]
    name: str
    title: str
    number: int | None

    @property
    def label(self) -> str:
        """«Tabell 3», «Figur 2» in the current language («Table 3» in English)."""
        number = fmt_int(self.number) if self.number else None
        if self.KIND == "Tabell":
            return t("piece.table", number=number) if number else t("piece.table_unnumbered")
        return t("piece.figure", number=number) if number else t("piece.figure_unnumbered")

    @property
    def caption(self) -> str:
        """«Tabell 3. Prosjekter per fylke 2022»."""
        return f"{self.label}. {self.title}" if self.number else self.title

    @property
    def anchor(self) -> str:
        kind = self.KIND.lower()
        return f"{kind}-{self.number}" if self.number else f"{kind}-{self.name}"

    def caption_html(self) -> str:
        """The caption, its label in bold (``caption-label``), escaped."""
        if not self.number:
            return esc(self.title)
        return f"<span class='caption-label'>{esc(self.label)}.</span> {esc(self.title)}"

    def _shown(self) -> None:
        """The piece is being shown: it takes its number from its document's numbering."""
        registry = getattr(self, "registry", None)
        if registry is not None:
            registry.show(self)


@dataclass
class Table(_Numbered):
    """A document table: the display strings, the numbers behind them, and what a published
    table carries around it: number, caption, source line and notes. ``tables.xlsx`` holds
    the table as displayed (:meth:`sheet`); ``data`` (machine columns, full precision) is for
    code that reads the table, not for the sheet.

    ``footnote`` and ``notes`` are printed under the table after the source line (the Excel
    writer and the print stylesheet read the same fields). ``align`` overrides the alignment
    worked out from the cells (``"num"``: right, tabular figures; ``"txt"``: left) per column.
    The first column is a row header (``<th scope="row">``) when it holds text.
    """

    name: str
    title: str
    display: pd.DataFrame
    data: pd.DataFrame
    footnote: str | None = None
    notes: list[str] = field(default_factory=list)
    number: int | None = None
    source: str | None = None
    align: dict[str, str] = field(default_factory=dict)
    total_label: str = field(default_factory=total_label)
    #: A display column whose value heads each group of rows (``<th scope="rowgroup">``)
    #: instead of being repeated on every row; ``tables.xlsx`` keeps it as a column.
    group_by: str | None = None
    #: The numbering of the document the table belongs to: the table takes its number from
    #: it when shown (None: the number is set by hand).
    registry: Numbering | None = field(default=None, repr=False, compare=False)

    KIND: ClassVar[str] = "Tabell"

    @property
    def all_notes(self) -> list[str]:
        """Source line first, then the footnote and the notes, as printed under the table."""
        return [n for n in [self.source, self.footnote, *self.notes] if n]

    def kinds(self, display: pd.DataFrame | None = None) -> list[str]:
        """Alignment kind per column (of ``display``, the shown table by default): ``"num"``
        or ``"txt"``."""
        display = self.display if display is None else display
        inferred = column_kinds(display)
        return [self.align.get(str(c), k) for c, k in zip(display.columns, inferred, strict=True)]

    def _repr_html_(self) -> str:
        shown_frame, groups = self.display, None
        if self.group_by is not None:
            groups = self.display[self.group_by].tolist()
            shown_frame = self.display.drop(columns=[self.group_by])
        kinds = self.kinds(shown_frame)
        row_header = bool(kinds) and kinds[0] == "txt"
        head = []
        for col, kind in zip(shown_frame.columns, kinds, strict=True):
            name = str(col)
            hidden = esc(t("piece.description"))
            inner = esc(name) if name else f"<span class='visually-hidden'>{hidden}</span>"
            head.append(f"<th scope='col' class='{kind}'>{inner}</th>")
        body = []
        for r, values in enumerate(shown_frame.itertuples(index=False, name=None)):
            if groups is not None and (r == 0 or groups[r] != groups[r - 1]):
                if r:
                    body.append("</tbody><tbody>")
                body.append(
                    f"<tr class='group'><th scope='rowgroup' colspan='{len(kinds)}' "
                    f"class='txt'>{esc(str(groups[r]))}</th></tr>"
                )
            cells = []
            for i, (value, kind) in enumerate(zip(values, kinds, strict=True)):
                shown = (
                    "–"
                    if value is None or (not isinstance(value, str) and pd.isna(value))
                    else str(value)
                )
                if i == 0 and row_header:
                    cells.append(f"<th scope='row' class='{kind}'>{esc(shown)}</th>")
                else:
                    cells.append(f"<td class='{kind}'>{esc(shown)}</td>")
            total = bool(values) and str(values[0]) == self.total_label
            row_class = " class='total'" if total else ""
            body.append(f"<tr{row_class}>{''.join(cells)}</tr>")
        notes = "".join(f"<p class='note'>{esc(n)}</p>" for n in self.all_notes)
        # eight columns or more: printed on a landscape page, so that it keeps to the paper
        wide = " wide" if len(kinds) >= 8 else ""
        caption = self.caption_html()
        anchor = esc(self.anchor)  # a table's name may hold the words of a scheme's title
        return (
            f"<div class='evalkit-table-block{wide}' id='{anchor}'>"
            f"<div class='evalkit-table-scroll' role='region' tabindex='0' "
            f"aria-labelledby='{anchor}-caption'>"
            f"<table class='evalkit-table{wide}'><caption id='{anchor}-caption'>{caption}</caption>"
            f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"</div>{notes}</div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What a notebook shows: the table as HTML (and as text), numbered as it is shown."""
        self._shown()
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"{self.caption}\n{self.display.to_string(index=False)}"

    def sheet(self) -> excel.Sheet:
        """This table as a sheet of ``tables.xlsx``, as the document shows it: the caption as
        its title row, the same column headers and rows (a ``group_by`` column kept as a
        column), each cell of a column of numbers that shows one number written as that number
        rounded as shown (:func:`evalkit.document.excel.shown_number`), any other cell as the
        text shown, then the source and the notes. The full-precision values are in
        ``metrics.json``."""
        frame = self.display
        if frame.columns.has_duplicates or None in list(frame.columns):
            frame = frame.set_axis([c if c is not None else "" for c in frame.columns], axis=1)
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        kinds = {
            column: excel.SHOWN_NUMBER if kind == "num" else "text"
            for column, kind in zip(frame.columns, self.kinds(self.display), strict=True)
        }
        return excel.Sheet(
            name=self.caption,  # «Tabell 3. Målgruppe 2022», cut to 31 characters
            frame=frame,
            title=self.caption,
            kinds=kinds,
            source=(self.source or "").removeprefix(_source_prefix()) or None,
            notes=[n for n in [self.footnote, *self.notes] if n],
            shown=True,
        )


@dataclass
class Figure(_Numbered):
    """A document figure: the drawing, its number, caption, alt text, source and notes.

    In a notebook and in ``report.html`` it shows as ``<figure>`` with the drawing embedded
    (:meth:`image`: an SVG, drawn once), the alt text written from the data, and
    ``<figcaption>`` holding «Figur N. caption», the source line and the notes. JupyterLab
    without HTML gets the SVG.
    """

    name: str
    title: str
    figure: Any  # matplotlib.figure.Figure
    alt: str
    number: int | None = None
    source: str | None = None
    notes: list[str] = field(default_factory=list)
    _png: bytes | None = field(default=None, repr=False)
    registry: Numbering | None = field(default=None, repr=False, compare=False)
    #: Shown without :func:`figure` (no title, no alt text): the caption asks for them.
    untitled: bool = False
    _image: tuple[str, bytes] | None = field(default=None, repr=False, compare=False)

    KIND: ClassVar[str] = "Figur"
    #: An SVG larger than this (bytes) is embedded as a PNG instead (see :meth:`image`).
    SVG_LIMIT: ClassVar[int] = 400_000

    @property
    def all_notes(self) -> list[str]:
        return [n for n in [self.source, *self.notes] if n]

    def image(self) -> tuple[str, bytes]:
        """The figure as the document embeds it: its MIME type and its bytes, drawn once.

        An SVG with its text as text (:meth:`svg`): sharp in print at any size, searchable in
        the PDF, a third of the bytes of the 150 dpi PNG, drawn in half the time (no pixels to
        fill and compress), and laid out by WeasyPrint about as fast as the PNG (which it
        decodes and compresses again). A drawing whose SVG is larger than ``SVG_LIMIT`` bytes
        (a scatter of many thousand points) is a PNG (:meth:`png`) instead: WeasyPrint draws
        an SVG element by element."""
        if self._image is None:
            svg = self.svg()
            if len(svg) <= self.SVG_LIMIT:
                self._image = ("image/svg+xml", svg)
            else:
                self._image = ("image/png", self.png())
        return self._image

    def svg(self) -> bytes:
        """The figure as SVG, its text as ``<text>`` in the font matplotlib measured it with
        (``svg.fonttype: none``; :data:`evalkit.document.plots.SANS_SERIF`); the same figure gives the
        same bytes (no date, ids from a fixed salt). Characters XML does not allow (control
        characters a label may hold) are written as spaces."""
        import matplotlib

        plots.keep_svg_text_sizes()
        buf = io.BytesIO()
        with (
            matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "evalkit"}),
            plots.layout_once(self.figure),
        ):
            self.figure.savefig(
                buf, format="svg", dpi=plots.PNG_DPI, metadata={"Date": None, "Creator": None}
            )
        return _NOT_XML.sub(" ", buf.getvalue().decode("utf-8")).encode("utf-8")

    def png(self) -> bytes:
        """The figure as PNG (150 dpi, no timestamp: the same figure gives the same bytes).

        Without an alpha channel: the figures are opaque (a white background), and an RGB PNG is
        smaller and is put into ``report.pdf`` without splitting off a transparency mask.
        matplotlib's RGBA PNG is written uncompressed (``compress_level`` 0): only the RGB PNG
        is compressed."""
        if self._png is None:
            from PIL import Image

            buf = io.BytesIO()
            self.figure.savefig(
                buf,
                format="png",
                dpi=plots.PNG_DPI,
                metadata={"Software": None},
                pil_kwargs={"compress_level": 0},
            )
            rgba = Image.open(io.BytesIO(buf.getvalue()))
            rgb = Image.new("RGB", rgba.size, "white")
            rgb.paste(rgba, mask=rgba.getchannel("A"))
            out = io.BytesIO()
            rgb.save(out, format="png", dpi=rgba.info.get("dpi", (plots.PNG_DPI, plots.PNG_DPI)))
            self._png = out.getvalue()
        return self._png

    def _repr_html_(self) -> str:
        mime, image = self.image()
        data = base64.b64encode(image).decode("ascii")
        width = round(self.figure.get_figwidth() * 96)
        # blocks, not spans: the caption, the source and each note on a line of its own also
        # where the page's stylesheet is not loaded (JupyterLab)
        notes = "".join(f"<div class='note'>{esc(n)}</div>" for n in self.all_notes)
        caption = self.caption_html()
        kind = "evalkit-figure evalkit-untitled" if self.untitled else "evalkit-figure"
        return (
            f"<figure class='{kind}' id='{esc(self.anchor)}'>"
            f"<img src='data:{mime};base64,{data}' alt='{esc(self.alt)}' "
            f"style='width:{width}px;max-width:100%;height:auto'>"
            f"<figcaption><div class='caption'>{caption}</div>{notes}</figcaption></figure>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What a notebook shows: the figure as HTML with its caption, and as the image alone
        (SVG text, or a PNG in base64) for a front end without HTML, numbered as it is shown.
        No ``_repr_png_``: IPython would draw the figure again for a PNG the bundle lacks."""
        self._shown()
        mime, image = self.image()
        svg = mime == "image/svg+xml"
        alone = image.decode("utf-8") if svg else base64.b64encode(image).decode("ascii")
        return {"text/html": self._repr_html_(), mime: alone, "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"{self.caption}. {self.alt}"


# --- the document a piece belongs to --------------------------------------------------------
def document_source(document: Any) -> str:
    """The source line of a document's pieces: the scheme's ``source_nb`` (in the current
    language) and the year (a per-year document) or the span of years (the trends document)."""
    years = getattr(document, "years", None)
    span = f"{years[0]}–{years[-1]}" if years else str(document.year)
    source = scheme_text(document.scheme.doc, "source")
    return source_line(source, span, synthetic=document.synthetic)


def column_labels(scheme: Any) -> dict[str, str]:
    """Each column of the row-level data (``ev.tidy``) that has a label in the scheme YAML →
    that label in the current language: every field's ``label_nb``, the county's name and
    number, the year."""
    labels = {name: scheme_text(f, "label") for name, f in scheme.fields.items() if f.label_nb}
    for name in scheme.fields_of_type("county"):
        county = scheme_text(scheme.fields[name], "label") or t("piece.county")
        labels |= {"county_name": county, "county_code": t("piece.county_number", county=county)}
    labels.setdefault("year", t("piece.year"))
    return labels


def value_labels(scheme: Any) -> dict[str, dict[str, str]]:
    """Each category field of the scheme → its codes' labels (``target_group`` →
    ``{"begge": "Begge", …}``), in the current language."""
    out = {}
    for name, f in scheme.fields.items():
        if f.vocabulary and f.vocabulary in scheme.vocabularies:
            terms = scheme.vocabularies[f.vocabulary].terms
            out[name] = {term.code: scheme_text(term, "label") for term in terms}
    return out


def _document(ev: Any, call: str) -> Any:
    """The document named, else the current one; an error saying what to do when none."""
    document = ev if ev is not None else current()
    if document is None:
        raise EvalkitError(
            f"{call} does not know which document the piece belongs to: run the notebook's "
            f"first cell (ev = evaluate(…); doc.title(ev)) before it, or pass the document, "
            f"{call}(…, ev=ev)."
        )
    return document


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def piece_name(words: object) -> str:
    """A piece's name made from words: ASCII letters, digits and ``_`` (``Målgruppe og
    tilbud`` → ``malgruppe_og_tilbud``)."""
    plain = _SLUG_DROP.sub("_", text.normalise_sheet(str(words))).strip("_")
    return plain or "x"


def _notes(notes: Iterable[str] | str | None) -> list[str]:
    if notes is None:
        return []
    if isinstance(notes, str):
        notes = [notes]
    return [str(n).strip() for n in notes if str(n).strip()]


# --- a researcher's own figure -----------------------------------------------------------------
#: What :func:`figure` says when the alt text is missing.
ALT_ADVICE = (
    "doc.figure needs alt text for readers who cannot see the figure: one or two sentences in "
    "the document's language saying what it shows and what stands out, with the numbers a reader needs, e.g. "
    'alt="Stolpediagram over prosjekter per fylke. Flest i Vestland (14), færrest i Oslo '
    '(3)."'
)


def _matplotlib_figure(fig: Any) -> Any:
    """The matplotlib Figure of a Figure, an Axes (or an array of them) or a seaborn grid."""
    from matplotlib.figure import Figure as MplFigure

    if isinstance(fig, MplFigure):
        return fig
    flat = getattr(fig, "flat", None)
    if flat is not None and not isinstance(fig, pd.DataFrame):  # an array of Axes
        fig = next(iter(flat), None)
    for attribute in ("figure", "fig"):  # an Axes; a seaborn FacetGrid, PairGrid, JointGrid
        found = getattr(fig, attribute, None)
        if isinstance(found, MplFigure):
            return found
    raise EvalkitError(
        f"doc.figure takes a matplotlib Figure or Axes, or a seaborn grid (FacetGrid, "
        f"PairGrid, JointGrid); it was given a {type(fig).__name__}. Pass the figure, e.g. "
        "fig, ax = plt.subplots(); sns.histplot(…, ax=ax); doc.figure(fig, title=…, alt=…)."
    )


def figure(
    fig: Any,
    *,
    title: str,
    alt: str,
    notes: Iterable[str] | str | None = None,
    name: str | None = None,
    ev: Any = None,
) -> Figure:
    """A researcher's own figure as a numbered piece of the document.

    Parameters
    ----------
    fig : matplotlib Figure or Axes, or a seaborn FacetGrid, PairGrid or JointGrid
        The drawing. It is given the house style: the YAML's label on an axis named by a column
        (``county_name`` → «Fylke»), Norwegian numbers on the axes, crowded tick labels wrapped
        or turned.
    title : str
        The caption, after «Figur N.».
    alt : str
        The alternative text: what the figure shows, for a reader who cannot see it. Required.
    notes : str or list of str, optional
        Notes under the source line.
    name : str, optional
        The piece's name (default: made from the title). Shown again under the same name, as
        when its cell is run again, it keeps its number.
    ev : Evaluation or Trends, optional
        The document; default the current one (:func:`evalkit.document.counters.current`).

    Returns
    -------
    Figure
        Shown as the cell's result (or with ``display``), it takes the next figure number.

    Raises
    ------
    EvalkitError
        No title, no alt text, or not a figure.
    """
    if title is None or not str(title).strip():
        raise EvalkitError(
            'doc.figure needs a title, the caption after «Figur N.»: e.g. title="Prosjekter '
            'per fylke 2023".'
        )
    if alt is None or not str(alt).strip():
        raise EvalkitError(ALT_ADVICE)
    drawing = _matplotlib_figure(fig)
    document = _document(ev, "doc.figure")
    plots.house_style(drawing, column_labels(document.scheme))
    plots.close(drawing)  # shown once, where the cell shows the piece
    title = plots.plain(title).strip()
    piece = Figure(
        name or "egen_" + piece_name(title),
        title,
        drawing,
        " ".join(str(alt).split()),
        source=document_source(document),
        notes=_notes(notes),
    )
    piece.registry = numbering(document)
    return piece


# --- a researcher's own table -----------------------------------------------------------------
#: Column names of p-values (shown as «0,034», «< 0,001»).
_P_COLUMN = re.compile(r"^(p|p-?verdi|p[ _-]?value|pvalue|p>\|[zt]\||p \(.*\))$", re.IGNORECASE)
#: The name pandas gives the margins of ``crosstab`` and ``pivot_table`` (``margins=True``).
_MARGINS = ("All",)


def _flat_columns(
    frame: pd.DataFrame, labels: Mapping[str, str], values: Mapping[str, Mapping[str, str]]
) -> pd.DataFrame:
    """Columns as text: a MultiIndex's levels joined with «, », field names as their labels,
    a category field's codes (the columns or rows of a ``crosstab`` by it) as their labels,
    pandas' «All» margin as «I alt» (:func:`total_label`)."""
    total = total_label()
    codes = values.get(str(frame.columns.name), {}) if frame.columns.nlevels == 1 else {}

    def label(value: Any) -> str:
        if isinstance(value, tuple):
            return ", ".join(label(v) for v in value if str(v) != "")
        value = "" if value is None else str(value)
        return total if value == "All" else codes.get(value, labels.get(value, value))

    frame = frame.copy()
    frame.columns = [label(c) for c in frame.columns]
    if frame.index.nlevels == 1:
        rows = values.get(str(frame.index.name), {})
        if rows:
            frame.index = frame.index.map(lambda v: rows.get(str(v), v))
        if len(frame) and str(frame.index[-1]) in (*_MARGINS, total):
            frame = frame.rename(index={frame.index[-1]: total})
    names = [labels.get(str(n), str(n)) if n is not None else None for n in frame.index.names]
    frame.index = frame.index.set_names(names)
    return frame


def _count_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of whole numbers (integer dtypes; not yes/no)."""
    return [
        c
        for c in frame.columns
        if pd.api.types.is_integer_dtype(frame[c].dtype)
        and not pd.api.types.is_bool_dtype(frame[c].dtype)
    ]


def _formatter(column: str, series: pd.Series, decimals: int):
    if pd.api.types.is_bool_dtype(series.dtype):
        yes, no = t("piece.yes"), t("piece.no")
        return lambda v: yes if v else no
    if pd.api.types.is_integer_dtype(series.dtype):
        return fmt_int
    if pd.api.types.is_numeric_dtype(series.dtype):
        if _P_COLUMN.match(column.strip()):
            return fmt_p
        return lambda v: fmt_dec(v, decimals)
    return lambda v: str(v)


def _with_index(frame: pd.DataFrame) -> pd.DataFrame:
    """The index as the first column(s); a plain 0, 1, 2 … index left out."""
    plain = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    if plain:
        return frame.reset_index(drop=True)
    names = [n if n is not None else "" for n in frame.index.names]
    out = frame.copy()
    out.index = out.index.set_names(names)
    if len(names) == 1 and names[0] in out.columns:  # a column of that name already
        out.index = out.index.set_names([f"{names[0]} "])
    return out.reset_index()


def table(
    frame: pd.DataFrame | pd.Series,
    *,
    title: str,
    notes: Iterable[str] | str | None = None,
    suppress: bool = True,
    reason: str | None = None,
    counts: list[str] | None = None,
    decimals: int = 2,
    name: str | None = None,
    ev: Any = None,
) -> Table:
    """A researcher's own table as a numbered piece of the document.

    Parameters
    ----------
    frame : DataFrame or Series
        The table. A named or non-default index becomes the first column(s) (the rows of a
        ``pd.crosstab``); field names among the column and index names are shown as the YAML's
        labels, and pandas' «All» margins as «I alt».
    title : str
        The caption, after «Tabell N.»; also the name of its sheet in ``tables.xlsx``.
    notes : str or list of str, optional
        Notes under the source line.
    suppress : bool, default True
        Hide small counts as the built-in tables do: counts of 1 and 2 in the count columns
        show «:», and so do the cells that would let a reader work them out from a total
        shown («I alt» row or column), with the footnote under the table.
    reason : str, optional
        Required with ``suppress=False``: why the table may show small counts; printed under
        the table.
    counts : list of str, optional
        The count columns (after relabelling); default every column of whole numbers.
    decimals : int, default 2
        Decimals of the other numbers (p-values, in a column named «p», «P>|z|» …, as
        «0,034» and «< 0,001»).
    name : str, optional
        The piece's name (default: made from the title).
    ev : Evaluation or Trends, optional
        The document; default the current one.

    Returns
    -------
    Table
        Shown as the cell's result, it takes the next table number and goes into
        ``tables.xlsx``.

    Raises
    ------
    EvalkitError
        No title, ``suppress=False`` without a reason, or counts that are not counts.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise EvalkitError(
            f"doc.table takes a pandas DataFrame (or Series); it was given a "
            f"{type(frame).__name__}. Make a frame first, e.g. pd.DataFrame(…) or "
            "pd.crosstab(…)."
        )
    if title is None or not str(title).strip():
        raise EvalkitError(
            'doc.table needs a title, the caption after «Tabell N.»: e.g. title="Prosjekter '
            'per fylke og målgruppe 2023".'
        )
    why = " ".join(str(reason).split()) if reason is not None else ""
    if not suppress and not why:
        raise EvalkitError(
            "doc.table(…, suppress=False) needs reason=…: say in the document's language why "
            'this table may show counts of 1 and 2 (e.g. reason="Tallene er offentlige '
            'vedtak."); it is printed under the table.'
        )
    document = _document(ev, "doc.table")
    title = plots.plain(title).strip()
    shown = _flat_columns(frame, column_labels(document.scheme), value_labels(document.scheme))
    if not shown.columns.is_unique:
        raise EvalkitError(
            f"doc.table: the table «{title}» has two columns named "
            f"{shown.columns[shown.columns.duplicated()][0]!r}; give each column its own name."
        )
    columns = [str(c) for c in shown.columns]
    found = _count_columns(shown) if counts is None else list(counts)
    unknown = [c for c in found if c not in columns]
    if unknown:
        raise EvalkitError(
            f"doc.table: counts names {', '.join(map(repr, unknown))}, not a column of «{title}» "
            f"(its columns: {', '.join(map(repr, columns))})."
        )
    total = total_label()
    row_total = total if total in found and len(found) > 1 else None
    found = [c for c in found if c != row_total]
    total_row = total if shown.index.nlevels == 1 and (shown.index == total).sum() == 1 else None
    formatters = {c: _formatter(c, shown[c], decimals) for c in columns}
    notes_out: list[str] = []
    footnote = None
    if suppress and found:
        try:
            sup = suppress_table(shown, found, rule=RULE, total_row=total_row, row_total=row_total)
        except ValueError as err:
            raise EvalkitError(
                f"doc.table: the count columns of «{title}» ({', '.join(found)}) cannot be "
                f"checked for small counts: {err}. Name the columns of counts with counts=[…] "
                "(counts=[] for none)."
            ) from err
        display = sup.display(formatters=formatters)
        data = shown.astype(object).mask(sup.mask, RULE.symbol)
        footnote = sup.footnote
    else:
        display = pd.DataFrame(
            {
                c: ["–" if _missing(v) else formatters[c](v) for v in shown[c].tolist()]
                for c in columns
            },
            index=shown.index,
        )
        data = shown
        if not suppress:
            notes_out.append(t("piece.small_counts_shown", reason=why))
    piece = Table(
        name or "egen_" + piece_name(title),
        title,
        _with_index(display).astype(object),
        _with_index(data),
        footnote,
        notes=notes_out + _notes(notes),
        source=document_source(document),
        total_label=total,
    )
    piece.registry = numbering(document)
    return piece


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


# --- a figure shown as it is ------------------------------------------------------------------
#: Per cell: the run it was last seen in and how many figures it has shown in that run.
_SEEN_IN_CELL: dict[str, tuple[int, int]] = {}


def _cell_key() -> str:
    """A name for a figure shown as it is: its cell (JupyterLab's cell id where the front end
    sends it, else the run) and its place among the figures the cell shows; the same when
    the cell is run again."""
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    cell = None
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        try:
            parent = kernel.get_parent()
        except Exception:  # an older kernel
            parent = getattr(shell, "parent_header", {}) or {}
        cell = (parent.get("metadata") or {}).get("cellId")
    run = int(getattr(shell, "execution_count", 0) or 0)
    where = cell or f"run-{run}"
    last_run, count = _SEEN_IN_CELL.get(where, (run, 0))
    count = count + 1 if last_run == run else 1
    _SEEN_IN_CELL[where] = (run, count)
    return f"uten_tittel_{piece_name(where)}_{count}"


def plain_figure_bundle(fig: Any) -> dict[str, str] | None:
    """A matplotlib figure shown as it is in a notebook with a current document: numbered
    like every figure, in the house style, with a caption that asks for a title and alt text
    (and a line under the cell saying how). None without a document: shown as usual."""
    document = current()
    if document is None:
        return None
    plots.house_style(fig, column_labels(document.scheme))
    piece = Figure(
        _cell_key(),
        t("piece.untitled"),  # the caption of a figure shown without doc.figure
        fig,
        t("piece.untitled_alt"),
        source=document_source(document),
        untitled=True,
    )
    piece.registry = numbering(document)
    bundle = piece._repr_mimebundle_()
    plots.close(fig)
    print(
        f"evalkit: this figure is published as «{piece.label}» without a title or alt text. "
        f'Show it with doc.figure(fig, title="…", alt="…") (for a seaborn call: '
        f"doc.figure(sns.….figure, …)).",
        file=sys.stderr,
    )
    return bundle


def prepare_notebook(shell: Any) -> None:
    """In a notebook's kernel: the house style for every figure drawn from now on, and
    :func:`plain_figure_bundle` for every matplotlib figure shown (registered once)."""
    plots.set_style()
    formatter = shell.display_formatter.mimebundle_formatter
    from matplotlib.figure import Figure as MplFigure

    try:
        formatter.lookup_by_type(MplFigure)
    except KeyError:
        formatter.for_type(MplFigure, plain_figure_bundle)


def begin(document: Any) -> None:
    """``document`` (an evaluation or the trends) begins: its title is made, the first cell of
    every notebook. It becomes the current document; in a notebook's kernel the house style is
    set, and a figure shown without :func:`figure` still gets its number
    (:func:`prepare_notebook`)."""
    use(document)
    if "IPython" not in sys.modules:  # not in a notebook's kernel
        return
    shell = sys.modules["IPython"].get_ipython()
    if shell is not None:
        prepare_notebook(shell)
