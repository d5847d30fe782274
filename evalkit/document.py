"""The pieces of a per-year document, ready to display: Markdown texts, tables (with
disclosure control applied) and figures.

Notebooks call these one per cell and show the result; they compute nothing themselves.
Every table here is also what goes into ``tables.xlsx``.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from evalkit import disclosure, excel, plots, text, wording
from evalkit.disclosure import DisclosureRule, SuppressedTable, suppress
from evalkit.evaluation import Evaluation
from evalkit.metrics import share_labels
from evalkit.text import MarkdownText, esc, fmt_ci, fmt_int, fmt_nok, fmt_p, fmt_pct, fmt_pp

RULE = DisclosureRule()


# --- numbering, figures and tables ----------------------------------------------------------
@dataclass
class Numbering:
    """Figure and table numbers of one document, in order of first use.

    A document object (an :class:`~evalkit.evaluation.Evaluation` or a trends object) carries
    one; each figure or table takes the next number the first time it is made, and keeps it
    when its cell is run again. Text that points at a figure asks for its number with the same
    key, just before the figure itself is shown, so numbers stay in order of appearance.
    """

    figures: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)

    def figure(self, key: str) -> int:
        return self.figures.setdefault(key, len(self.figures) + 1)

    def table(self, key: str) -> int:
        return self.tables.setdefault(key, len(self.tables) + 1)


def numbering(document: Any) -> Numbering:
    """The :class:`Numbering` of a document object, made on first use."""
    found = document.__dict__.get("_evalkit_numbering")
    if found is None:
        found = Numbering()
        document.__dict__["_evalkit_numbering"] = found
    return found


def source_line(source_nb: str, years: str, *, synthetic: bool) -> str:
    """«Kilde: fylkenes rapportering til Helsedirektoratet 2022; beregninger: evalkit.»
    (``source_nb``: the scheme YAML's ``source_nb``)."""
    origin = f"{source_nb} {years}"
    if synthetic:
        origin = f"syntetiske demodata (evalkit demo) etter mønster av {origin}"
    return f"Kilde: {origin}; beregninger: evalkit."


def _ev_source(ev: Evaluation) -> str:
    return source_line(ev.scheme.doc.source_nb, str(ev.year), synthetic=ev.synthetic)


_NUMERIC_TOKENS = re.compile(r"(p\.p\.|kr|prosent|til|[\d\s\u00a0\u2212+\-–.,:%()<>=])")


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
    the anchor the text links to, and the caption as HTML. ``KIND`` names the kind."""

    KIND: ClassVar[str]
    name: str
    title: str
    number: int | None

    @property
    def label(self) -> str:
        """«Tabell 3», «Figur 2»."""
        return f"{self.KIND} {self.number}" if self.number else self.KIND

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


@dataclass
class Table(_Numbered):
    """A document table: the display strings, the numbers behind them, and what a published
    table carries around it: number, caption, source line and notes.

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
    total_label: str = "I alt"
    row_kinds: list[str] | None = None  # Excel kind of each row's value (mixed key figures)
    #: A display column whose value heads each group of rows (``<th scope="rowgroup">``)
    #: instead of being repeated on every row; ``tables.xlsx`` keeps it as a column.
    group_by: str | None = None

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
            inner = esc(name) if name else "<span class='visually-hidden'>Beskrivelse</span>"
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

    def __repr__(self) -> str:
        return f"{self.caption}\n{self.display.to_string(index=False)}"

    def for_excel(self) -> pd.DataFrame:
        """Numbers where shown, the disclosure symbol where hidden."""
        return self.data

    def sheet(self) -> excel.Sheet:
        """This table as a sheet of ``tables.xlsx``: the caption as its title row, Norwegian
        column headers, numbers as numbers with their formats, then the source and notes."""
        frame = self.data
        if frame.columns.has_duplicates or None in list(frame.columns):
            frame = frame.set_axis([c if c is not None else "" for c in frame.columns], axis=1)
        headers, kinds = {}, {}
        for column in frame.columns:
            header, kind = wording.excel_column(column)
            headers[column] = header
            if kind:
                kinds[header] = kind
        frame = frame.rename(columns=headers)
        return excel.Sheet(
            name=self.title,
            frame=frame,
            title=self.caption,
            kinds=kinds,
            source=(self.source or "").removeprefix("Kilde: ") or None,
            notes=[n for n in [self.footnote, *self.notes] if n],
            row_kinds=self.row_kinds,
            row_kind_column=None if self.row_kinds is None else str(frame.columns[-1]),
        )


@dataclass
class Figure(_Numbered):
    """A document figure: the drawing, its number, caption, alt text, source and notes.

    In a notebook and in ``report.html`` it shows as ``<figure>`` with the PNG embedded, the
    alt text written from the data, and ``<figcaption>`` holding «Figur N. caption», the
    source line and the notes. JupyterLab without HTML gets the PNG.
    """

    name: str
    title: str
    figure: Any  # matplotlib.figure.Figure
    alt: str
    number: int | None = None
    source: str | None = None
    notes: list[str] = field(default_factory=list)
    _png: bytes | None = field(default=None, repr=False)

    KIND: ClassVar[str] = "Figur"

    @property
    def all_notes(self) -> list[str]:
        return [n for n in [self.source, *self.notes] if n]

    def png(self) -> bytes:
        """The figure as PNG (150 dpi, no timestamp: the same figure gives the same bytes).

        Without an alpha channel: the figures are opaque (a white background), and an RGB PNG is
        smaller and is put into ``report.pdf`` without splitting off a transparency mask."""
        if self._png is None:
            from PIL import Image

            buf = io.BytesIO()
            self.figure.savefig(buf, format="png", dpi=plots.PNG_DPI, metadata={"Software": None})
            rgba = Image.open(io.BytesIO(buf.getvalue()))
            rgb = Image.new("RGB", rgba.size, "white")
            rgb.paste(rgba, mask=rgba.getchannel("A"))
            out = io.BytesIO()
            rgb.save(out, format="png", dpi=rgba.info.get("dpi", (plots.PNG_DPI, plots.PNG_DPI)))
            self._png = out.getvalue()
        return self._png

    def _repr_png_(self) -> bytes:
        return self.png()

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png()).decode("ascii")
        width = round(self.figure.get_figwidth() * 96)
        notes = "".join(f"<span class='note'>{esc(n)}</span>" for n in self.all_notes)
        caption = self.caption_html()
        return (
            f"<figure class='evalkit-figure' id='{esc(self.anchor)}'>"
            f"<img src='data:image/png;base64,{data}' alt='{esc(self.alt)}' "
            f"style='width:{width}px;max-width:100%;height:auto'>"
            f"<figcaption><span class='caption'>{caption}</span>{notes}</figcaption></figure>"
        )

    def __repr__(self) -> str:
        return f"{self.caption}. {self.alt}"


def _table(doc: Any, table: Table, source: str) -> Table:
    table.number = numbering(doc).table(table.name)
    table.source = source
    return table


def _figure(doc: Any, name: str, title: str, fig: Any, alt: str, source: str, notes=()) -> Figure:
    return Figure(name, title, fig, alt, numbering(doc).figure(name), source, list(notes))


def _md(body: str) -> MarkdownText:
    """Markdown to display (scheme and data text in it escaped with :func:`~evalkit.text.esc`);
    never read from a file or the network, as IPython's ``Markdown`` would."""
    return MarkdownText(body)


# --- front matter -------------------------------------------------------------------------
def title(ev: Evaluation) -> MarkdownText:
    if ev.scheme.unit == "project":
        head = f"# {esc(ev.scheme.title_nb)} {ev.year}"
    else:
        head = f"# {esc(ev.scheme.title_nb)}: tildelinger {ev.year}"
    return _md(head)


def banner(ev: Evaluation) -> MarkdownText:
    """A clear notice of which data the document rests on, and whether they are synthetic."""
    where = (
        f"<code>{esc(ev.result.path.name)}</code> i <code>{esc(ev.data_dir)}</code> "
        f"(skjemaoppsett {esc(ev.result.layout)})"
        + (f"; {esc(ev.scheme.override_line(nb=True))}" if ev.scheme.replaces_bundled else "")
    )
    if ev.synthetic:
        return _md(
            "<div class='evalkit-banner' role='note' style='border:3px solid #b5452f;"
            "background:#fdf0ec;color:#1a1a1a;padding:0.8em 1em;margin:0.5em 0;font-size:1.05em'>"
            "<strong>SYNTETISKE DATA.</strong> Dette dokumentet er laget fra syntetiske demodata "
            "generert av <code>evalkit demo</code>. Det er ikke reelle rapporter fra fylkene; bare "
            f"de publiserte totaltallene er virkelige. Datagrunnlag: {where}.</div>"
        )
    return _md(f"<p class='evalkit-source'><em>Datagrunnlag: {where}.</em></p>")


def _metric(m: dict, path: str) -> Any:
    """A metrics.json value by its dotted key (``grant_nok.median_nok``); None when absent."""
    value: Any = m
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def key_figures(ev: Evaluation) -> Table:
    """The key figures the YAML's ``key_figures`` lists, from metrics.json."""
    m = ev.metrics
    rows: list[tuple[str, str]] = []
    values: list[tuple[str, object, str]] = []  # the same figures as numbers, for Excel
    for k in ev.scheme.doc.key_figures:
        if k.share is not None:
            s = m["shares"].get(k.share)
            if s is None:
                continue
            rows.append((k.label_nb, f"{fmt_int(s['count'])} ({fmt_pct(s['share'])})"))
            values += [
                (k.label_nb, s["count"], "int"),
                (f"{k.label_nb}, andel", s["share"], "share"),
            ]
        else:
            value = _metric(m, k.value)
            rows.append((k.label_nb, fmt_nok(value) if k.format == "nok" else fmt_int(value)))
            values.append((k.label_nb, value, k.format))
    frame = pd.DataFrame(rows, columns=["Nøkkeltall", str(ev.year)])
    data = pd.DataFrame([v[:2] for v in values], columns=["Nøkkeltall", str(ev.year)])
    table = Table("nokkeltall", f"Nøkkeltall {ev.year}", frame, data)
    table.row_kinds = [v[2] for v in values]
    return _table(ev, table, _ev_source(ev))


def summary(ev: Evaluation) -> MarkdownText:
    """The summary: the YAML's ``summary`` sentences, filled in from metrics.json."""
    return _md(text.summary(ev.metrics, ev.scheme))


def notes(ev: Evaluation) -> MarkdownText:
    """Facts about the year that are not in the data (the YAML's ``notes_nb``), and those
    said only of synthetic data (``synthetic_notes_nb``)."""
    d = ev.scheme.doc
    found = [d.notes_nb[ev.year]] if ev.year in d.notes_nb else []
    if ev.synthetic and ev.year in d.synthetic_notes_nb:
        found.append(d.synthetic_notes_nb[ev.year])
    return _md(f"*{esc(' '.join(found))}*" if found else "")


def background(ev: Evaluation) -> MarkdownText:
    """The scheme's background and purpose (the YAML's ``background_nb``)."""
    return _md(text.esc_paragraphs(ev.scheme.doc.background_nb or ""))


def method(ev: Evaluation) -> MarkdownText:
    """Background, purpose and method, with the numbers of this year."""
    m = ev.metrics
    rows = m["rows"]
    projects = ev.scheme.unit == "project"
    one_row = "ett prosjekt" if projects else "én søknad"
    checked = list(dict.fromkeys(s.group for s in ev.scheme.shares if s.kind == "checked"))
    counted = (
        "alle finansierte prosjekter det er rapportert for"
        if projects
        else "alle søknader som er behandlet i året"
    )
    lines = [
        f"**Datagrunnlag.** {esc(ev.result.path.name)}: {fmt_int(rows['read'])} rader lest, "
        f"{fmt_int(rows['kept'])} med i analysen, {len(rows['excluded'])} holdt utenfor (se vedlegget "
        f"om datakvalitet). Én rad er {one_row}.",
        "**Nevnere.** Andeler regnes av dem som har svart på spørsmålet. Manglende svar holdes "
        "utenfor nevneren og oppgis ved siden av (kolonnen «Mangler»)."
        + (
            f" For avkrysningsspørsmål ({esc(text.join_nb(checked))}) betyr tomt «ikke krysset "
            f"av», og nevneren er alle {ev.scheme.words()[2]}."
            if checked
            else ""
        ),
        "**Usikkerhet.** Hver andel vises med et 95 % konfidensintervall. "
        + esc(wording.METHODS["wilson"]["description_nb"]),
        f"**Fullstendige tall.** Tallene omfatter {counted}, ikke et utvalg. Intervaller og "
        "tester sier derfor noe om prosessen som har frambrakt tallene (hvor mye en andel kunne "
        "variert fra år til år av tilfeldige grunner), ikke om usikkerhet fra utvalg.",
        f"**Skjerming.** {esc(disclosure.method_nb(ev.scheme.doc, RULE))}",
    ]
    if m.get("comparisons"):
        names = sorted({c["test"] for c in m["comparisons"] if c["p_value"] is not None})
        lines.append(
            "**Sammenligning med tidligere år.** Forskjellen mellom to års andeler vises i "
            "prosentpoeng med 95 % konfidensintervall etter Newcombes hybride score-metode. "
            "Hver forskjell testes med Pearsons kjikvadrattest uten kontinuitetskorreksjon når "
            "alle forventede antall er minst 5, ellers med Fishers eksakte test (tosidig); her "
            f"er brukt {esc(text.join_nb(names))}. "
            + esc(text.holm_sentence(m["comparisons"], _labels(ev)))
            + " Effektstørrelsen er Cohens h."
        )
    return _md("\n\n".join(lines))


# --- results ------------------------------------------------------------------------------
def _county_frame(ev: Evaluation) -> pd.DataFrame:
    by = pd.DataFrame(ev.metrics["by_county"])
    by["county_name"] = by["county_name"].astype(str)
    return by


def _county_suppression(ev: Evaluation) -> tuple[pd.DataFrame, SuppressedTable, dict[str, str]]:
    """The county table with its «I alt» row, the cells hidden in it, and the column titles
    (the YAML's ``county_table.columns``).

    The table and the county figures show the same counts, so they hide the same cells: a
    figure that showed a count hidden in the table only as secondary suppression would let the
    reader work out the primary one from the table's total.
    """
    by = _county_frame(ev)
    columns = ev.scheme.doc.county_table.columns
    cols = {"county_name": "Fylke", **{c.key: c.label_nb for c in columns}}
    counts = [c.key for c in columns if c.count]
    linked = {n: [c.key for c in columns if n in c.linked_to] for n in counts}
    table = by[list(cols)].set_index("county_name")
    total = ev.metrics.get("by_county_total") or {}
    table.loc["I alt"] = [total.get(c) for c in table.columns]
    options = disclosure.county_options(ev.scheme.doc)  # public counts; refusals protected
    sup = suppress(table, counts, rule=RULE, total_row="I alt", linked=linked, **options)
    return table, sup, cols


def _formats(ev: Evaluation) -> dict[str, Any]:
    return {
        c.key: fmt_pct if c.format == "pct" else fmt_int for c in ev.scheme.doc.county_table.columns
    }


def county_table(ev: Evaluation) -> Table:
    """Rows, amounts and municipalities per county (the YAML's ``county_table``), suppressed."""
    table, sup, cols = _county_suppression(ev)
    display = sup.display(formatters=_formats(ev)).reset_index().rename(columns=cols)
    data = table.astype(object).mask(sup.mask, RULE.symbol).reset_index().rename(columns=cols)
    title_ = ev.scheme.doc.county_table.title_nb
    return _table(
        ev, Table("fylker", f"{title_} {ev.year}", display, data, sup.footnote), _ev_source(ev)
    )


def county_figures(ev: Evaluation) -> list[Figure]:
    """Rows (or granted rows) and amounts per county, with the cells hidden in the county
    table hidden here too."""
    by = _county_frame(ev)
    _, sup, _ = _county_suppression(ev)
    mask = sup.mask.iloc[: len(by)].reset_index(drop=True)  # the body rows, in ``by`` order
    known = by["county_code"].notna().to_numpy()
    by = by[known].reset_index(drop=True)
    mask = mask[known].reset_index(drop=True)
    spec = ev.scheme.doc.county_table.figures
    count, amount, what = spec.count, spec.amount, spec.count_label_nb
    shown = [c for c in (count, amount) if c is not None and c in mask]
    notes = [RULE.footnote_nb] if shown and mask[shown].any().any() else []
    count_title = f"{what} per fylke {ev.year}"
    out = [
        _figure(
            ev,
            "fylker_antall",
            count_title,
            plots.bar_by_county(by, count, xlabel=what, hidden=_hidden(mask, count, by)),
            text.alt_bars_by_county(by, count, _hidden(mask, count, by), title=count_title),
            _ev_source(ev),
            notes,
        )
    ]
    if amount is not None:
        amount_title = f"Tildelt beløp per fylke {ev.year}"
        hidden = _hidden(mask, amount, by)
        out.append(
            _figure(
                ev,
                "fylker_belop",
                amount_title,
                plots.bar_by_county(by, amount, xlabel="Kroner", hidden=hidden, money=True),
                text.alt_bars_by_county(by, amount, hidden, title=amount_title, money=True),
                _ev_source(ev),
                notes,
            )
        )
    return out


def _hidden(mask: pd.DataFrame, column: str, by: pd.DataFrame) -> pd.Series:
    """The cells of ``column`` hidden in the county table (none when it is not shown there)."""
    if column in mask:
        return mask[column]
    return pd.Series(False, index=by.index)


def shares_frame(ev: Evaluation, group: str) -> pd.DataFrame:
    labels = share_labels(ev.scheme)
    rows = []
    for key, s in ev.metrics["shares"].items():
        if labels.get(key, {}).get("group") == group:
            rows.append({"key": key, "label": labels[key]["label_nb"], **s})
    return pd.DataFrame(rows)


def _among(ev: Evaluation, group: str) -> str | None:
    """«med måloppnåelse «Kan ikke vurderes»» for a group counted among a subgroup only (plain
    text, for notes)."""
    for spec in ev.scheme.shares:
        if spec.group == group and spec.among:
            f = ev.scheme.fields[spec.among["field"]]
            value = str(spec.among["equals"])
            if f.vocabulary:
                value = ev.scheme.vocabularies[f.vocabulary].label(value)
            return f"med {f.label_nb.lower()} «{value}»"
    return None


def shares_table(ev: Evaluation, group: str, title: str) -> Table:
    f = shares_frame(ev, group)
    display = pd.DataFrame(
        {
            "": f["label"],
            "Antall": f["count"].map(fmt_int),
            "Av": f["n"].map(fmt_int),
            "Mangler": f["missing"].map(fmt_int),
            "Andel": f["share"].map(fmt_pct),
            "95 % KI (Wilson)": [
                fmt_ci(lo, hi) for lo, hi in zip(f["ci_low"], f["ci_high"], strict=True)
            ],
        }
    )
    data = f[["key", "label", "count", "n", "missing", "share", "ci_low", "ci_high"]]
    name = "andeler_" + text.normalise_sheet(group)
    notes = [text.share_denominator_note(f, ev.scheme.unit, _among(ev, group)), WILSON_NOTE]
    return _table(ev, Table(name, f"{title} {ev.year}", display, data, notes=notes), _ev_source(ev))


#: The note under every share with an interval.
WILSON_NOTE = "KI: 95 % konfidensintervall etter Wilsons metode."


def shares_figure(ev: Evaluation, group: str, title: str) -> Figure:
    """The shares of one group as bars with their Wilson intervals."""
    f = shares_frame(ev, group)
    title_ = f"{title} {ev.year}"
    who = ev.scheme.words()[2]
    return _figure(
        ev,
        "andeler_" + text.normalise_sheet(group),
        title_,
        plots.shares_with_ci(f, xlabel=f"Andel av {who} (%)"),
        text.alt_shares(f, title=title_),
        _ev_source(ev),
        [
            text.share_denominator_note(f, ev.scheme.unit, _among(ev, group)),
            "Strekene viser 95 % konfidensintervall etter Wilsons metode.",
        ],
    )


def amounts_table(ev: Evaluation) -> Table:
    m = ev.metrics
    blocks = [(a.label_nb, m[a.field]) for a in ev.scheme.doc.amounts]
    rows = [
        {
            "": name,
            "Antall": fmt_int(a["n"]),
            "Mangler": fmt_int(a["missing"]),
            "I alt": fmt_nok(a["total_nok"]),
            "Nedre kvartil": fmt_nok(a.get("q1_nok")),
            "Median": fmt_nok(a.get("median_nok")),
            "Øvre kvartil": fmt_nok(a.get("q3_nok")),
            "Største": fmt_nok(a.get("max_nok")),
        }
        for name, a in blocks
    ]
    data = pd.DataFrame([{"": name, **a} for name, a in blocks])
    table = Table(
        "belop",
        f"Beløp {ev.year}",
        pd.DataFrame(rows),
        data,
        notes=["Kvartiler etter lineær interpolasjon (Hyndman og Fan type 7)."],
    )
    return _table(ev, table, _ev_source(ev))


def category_table(ev: Evaluation) -> Table | MarkdownText:
    """Rows, grants and amounts per code of the YAML's ``by_category`` field (national level),
    with the county table's columns."""
    field_ = ev.scheme.doc.by_category
    if field_ is None or "by_category" not in ev.metrics:
        return _md("")
    by = pd.DataFrame(ev.metrics["by_category"])
    columns = [c for c in ev.scheme.doc.county_table.columns if c.key in by]
    formats = _formats(ev)
    display = pd.DataFrame(
        {
            ev.scheme.fields[field_].label_nb: by[f"{field_}_name"],
            **{c.label_nb: by[c.key].map(formats[c.key]) for c in columns},
        }
    )
    label = ev.scheme.fields[field_].label_nb.lower()
    title_ = f"{ev.scheme.words()[1].capitalize()} per {label} {ev.year}"
    return _table(ev, Table("kategorier", title_, display, by), _ev_source(ev))


def list_table(ev: Evaluation, spec: Any) -> Table:
    """A list of rows (``sections[].show[].list`` of the YAML): the named columns of the rows
    where ``among`` is yes, sorted. Category codes are shown by their labels. With
    ``group_by``, the rows come group by group, each group headed by its value."""
    t = ev.tidy
    rows = t[t[spec.among].fillna(False)] if spec.among else t
    order = spec.sort or [next(iter(spec.columns))]
    if spec.group_by is not None:  # the groups in order, each in one piece
        order = [spec.group_by, *[c for c in order if c != spec.group_by]]
    rows = rows.sort_values(order, kind="stable")
    # no county's rows where its count is hidden in the county table (unless they are public)
    kept = disclosure.protect_list(rows, spec, ev.scheme.doc, _county_suppression(ev)[1])
    rows = kept.rows
    data = pd.DataFrame(index=rows.index)
    for col, header in spec.columns.items():
        f = ev.scheme.fields.get(col)
        values = rows[col]
        if col == "county_name":
            values = values.fillna("Ukjent fylke")
        elif f is not None and f.vocabulary:
            vocab = ev.scheme.vocabularies[f.vocabulary]
            values = values.map({t_.code: t_.label_nb for t_ in vocab.terms})
        elif f is None or f.type != "amount":
            values = values.fillna("")
        data[header] = values
    data = data.reset_index(drop=True)
    amounts = [h for c, h in spec.columns.items() if c in ev.scheme.fields_of_type("amount")]
    display = data.assign(**{h: data[h].map(fmt_int) for h in amounts})
    name = "liste_" + text.normalise_sheet(spec.title_nb)[:20]
    group = spec.columns[spec.group_by] if spec.group_by is not None else None
    notes = [n for n in [disclosure.withheld_note_nb(kept.withheld, ev.scheme.doc)] if n]
    table = Table(name, f"{spec.title_nb} {ev.year}", display, data, notes=notes, group_by=group)
    return _table(ev, table, _ev_source(ev))


def applied_granted_figure(ev: Evaluation) -> Figure:
    """Granted against applied amount, one point per granted application."""
    award = ev.scheme.doc.award
    tidy = ev.result.tidy
    granted = tidy[tidy[award.flag].fillna(False)][[award.applied, award.granted]].dropna()
    granted = granted.set_axis(["applied_nok", "granted_nok"], axis=1)
    title_ = f"Søkt og tildelt beløp for innvilgede søknader {ev.year}"
    return _figure(
        ev,
        "sokt_og_tildelt",
        title_,
        plots.applied_vs_granted(granted),
        text.alt_applied_granted(ev.metrics["applied_vs_granted"], title=title_),
        _ev_source(ev),
        [
            "Ett punkt per innvilget søknad med både søkt og tildelt beløp. Punktene på den "
            "stiplede linjen fikk hele beløpet de søkte om."
        ],
    )


def applied_granted_table(ev: Evaluation) -> Table:
    """How much of what was applied for the granted applications got (``applied_vs_granted``)."""
    a = ev.metrics["applied_vs_granted"]
    r, t = a["ratio"], a["test"]
    rows = [
        ("Innvilgede søknader med begge beløp", fmt_int(a["n"])),
        ("Søkt i alt", fmt_nok(a["applied_total_nok"])),
        ("Tildelt i alt", fmt_nok(a["granted_total_nok"])),
        ("Andel av søkt beløp som ble tildelt", fmt_pct(a["granted_share"])),
        ("Fikk hele beløpet de søkte om", fmt_int(a["n_full"])),
        (
            "Tildelt som andel av søkt, median (kvartiler)",
            f"{fmt_pct(r['median'])} ({fmt_pct(r['q1'])}–{fmt_pct(r['q3'])})",
        ),
        (
            f"{t['name']}: rho (p)",
            "–"
            if t["statistic"] is None
            else f"{text.fmt_dec(t['statistic'], 2)} ({fmt_p(t['p_value'])})",
        ),
    ]
    frame = pd.DataFrame(rows, columns=["", str(ev.year)])
    notes = []
    if a["missing"]:
        notes.append(f"{fmt_int(a['missing'])} innvilgede søknader mangler søkt beløp.")
    table = Table(
        "sokt_og_tildelt",
        f"Søkt og tildelt for innvilgede søknader {ev.year}",
        frame,
        pd.DataFrame([{**{k: v for k, v in a.items() if k not in ("ratio", "test")}, **r}]),
        notes=notes,
    )
    return _table(ev, table, _ev_source(ev))


def group_tests_table(ev: Evaluation) -> Table:
    """Are the shares alike across counties (and, for applications, categories)?"""
    g = pd.DataFrame(ev.metrics["group_tests"])
    display = pd.DataFrame(
        {
            "": g["label_nb"],
            "Grupper": g["groups"].map(fmt_int),
            "Svar": g["n"].map(fmt_int),
            "Test": g["test"],
            "p": g["p_value"].map(fmt_p),
            "Merknad": g["warning"].fillna(""),
        }
    )
    notes = [
        "Pearsons kjikvadrattest når alle forventede antall er minst 5; ellers en "
        "permutasjonstest med faste marginer og fast frø (samme svar ved hver kjøring). "
        f"Tallene er alle {ev.scheme.words()[2]} i året, så testen sier noe om prosessen bak "
        "tallene."
    ]
    notes += text.group_test_denominator_notes(ev.metrics, ev.scheme)
    by_county = all(t.by == "county_code" for t in ev.scheme.doc.group_tests)
    return _table(
        ev,
        Table(
            "forskjeller_mellom_grupper",
            f"Forskjeller mellom {'fylker' if by_county else 'fylker og kategorier'} {ev.year}",
            display,
            g,
            notes=notes,
        ),
        _ev_source(ev),
    )


def _labels(ev: Evaluation) -> dict[str, str]:
    """«Annet (målgruppe)»: a share's label with its group, for text that names shares."""
    return {k: f"{v['label_nb']} ({v['group']})" for k, v in share_labels(ev.scheme).items()}


def comparison_intro(ev: Evaluation) -> MarkdownText:
    """The lead-in of the year comparison: where the figure and the table are, and which
    differences hold after Holm's adjustment."""
    comps = ev.metrics.get("comparisons") or []
    if not comps:
        return _md("")
    fig_no = numbering(ev).figure("sammenligning")
    table_no = numbering(ev).table("sammenligning")
    return _md(esc(text.comparison_lead(comps, _labels(ev), fig_no, table_no)))


def comparison_figure(ev: Evaluation) -> Figure | MarkdownText:
    """The year comparison as a forest figure: each difference with its Newcombe interval,
    grouped as the table, the differences that hold after Holm filled."""
    comps = ev.metrics.get("comparisons") or []
    if not comps:
        return _md("")
    labels = share_labels(ev.scheme)
    c = pd.DataFrame(comps)
    c["label"] = c["metric"].map(lambda k: labels.get(k, {}).get("label_nb", k))
    c["group"] = c["metric"].map(lambda k: labels.get(k, {}).get("group", ""))
    others = sorted(set(c["other_year"]))
    title_ = (
        f"Forskjell i andeler mellom {ev.year} og "
        f"{text.join_nb([str(y) for y in others])}, i prosentpoeng"
    )
    return _figure(
        ev,
        "sammenligning",
        title_,
        plots.forest(c, year=ev.year),
        text.alt_forest(comps, _labels(ev), title=title_),
        source_line(
            ev.scheme.doc.source_nb,
            text.join_nb([str(y) for y in sorted({*others, ev.year})]),
            synthetic=ev.synthetic,
        ),
        [
            "Punkt: forskjellen; strek: 95 % konfidensintervall (Newcombe). Fylt punkt: "
            "forskjellen holder etter Holm-justering (p (Holm) < 0,05); åpent punkt: gjør det "
            "ikke; kryss: ingen test (andelen er 0 eller 100 % i begge år)."
        ],
    )


#: Short test names for the comparison table (the note spells them out).
TEST_SHORT_NB = {"pearson_chi2": "Pearson", "fisher_exact": "Fisher"}


def _distinct_labels(ev: Evaluation, keys: list[str]) -> list[str]:
    """Share labels, with the group added where two shares have the same label
    («Annet (målgruppe)», «Annet (tilbud)»)."""
    labels = share_labels(ev.scheme)
    plain = [labels.get(k, {}).get("label_nb", k) for k in keys]
    return [
        f"{lab} ({labels[k]['group']})" if plain.count(lab) > 1 and k in labels else lab
        for k, lab in zip(keys, plain, strict=True)
    ]


def comparison_table(ev: Evaluation) -> Table | MarkdownText:
    comps = ev.metrics.get("comparisons") or []
    if not comps:
        return _md("*Ingen tidligere år å sammenligne med i dataene.*")
    c = pd.DataFrame(comps)
    display = pd.DataFrame(
        {
            "": _distinct_labels(ev, list(c["metric"])),
            str(ev.year): [
                f"{fmt_pct(s)} ({fmt_ci(lo, hi)})"
                for s, lo, hi in zip(c["share"], c["ci_low"], c["ci_high"], strict=True)
            ],
            "Sammenlignet med": [
                f"{y}: {fmt_pct(s)} ({fmt_ci(lo, hi)})"
                for y, s, lo, hi in zip(
                    c["other_year"],
                    c["other_share"],
                    c["other_ci_low"],
                    c["other_ci_high"],
                    strict=True,
                )
            ],
            "Forskjell": c["diff"].map(fmt_pp),
            "95 % KI (Newcombe)": [
                f"{text.fmt_signed(lo * 100)} til {text.fmt_signed(hi * 100)}"
                for lo, hi in zip(c["diff_ci_low"], c["diff_ci_high"], strict=True)
            ],
            "Test": c["test_method"].map(TEST_SHORT_NB).fillna("ingen test"),
            "p": c["p_value"].map(fmt_p),
            "p (Holm)": c["p_adjusted"].map(fmt_p),
            "Cohens h": c["effect_size_h"].map(lambda h: text.fmt_dec(h, 2)),
        }
    )
    notes = [
        "Andeler med 95 % konfidensintervall (Wilson) i parentes. Forskjell: dette årets andel "
        "minus det andre årets, i prosentpoeng (p.p.), med 95 % konfidensintervall (Newcombe) "
        "i prosentpoeng. Test: Pearson = Pearsons kjikvadrattest uten kontinuitetskorreksjon; "
        "Fisher = Fishers eksakte test (tosidig).",
        text.holm_sentence(comps, _labels(ev)),
    ]
    table = Table(
        "sammenligning", f"{ev.year} sammenlignet med tidligere år", display, c, notes=notes
    )
    return _table(ev, table, _ev_source(ev))


# --- appendix -----------------------------------------------------------------------------
def quality_summary(ev: Evaluation) -> MarkdownText:
    rows = ev.metrics["rows"]
    dq = ev.data_quality
    flagged = dq[dq["action"] != "excluded"]
    table_no = numbering(ev).table("datakvalitet")
    body = (
        f"Filen har {fmt_int(rows['read'])} rader. {fmt_int(rows['kept'])} er med i analysen og "
        f"{fmt_int(len(rows['excluded']))} er holdt utenfor. {fmt_int(len(flagged))} "
        f"{'celle er' if len(flagged) == 1 else 'celler er'} merket: verdier som ikke kunne leses er satt som manglende, og verdier som er rettet "
        "(for eksempel et fylke fra en annen periode) er oppgitt med hva de ble rettet til "
        f"(tabell {table_no}). Personopplysninger (kontaktperson, e-post, telefon) leses ikke inn."
    )
    return _md(body)


def quality_table(ev: Evaluation) -> Table:
    dq = ev.data_quality
    display = pd.DataFrame(
        {
            "Rad": dq["row"].map(lambda r: "" if pd.isna(r) else str(int(r))),
            "Kolonne": dq["column"].fillna(""),
            "Verdi": dq["value"].fillna(""),
            "Problem": dq["problem"],
            "Forklaring": dq["detail"].fillna(""),
            "Tiltak": dq["action"],
        }
    )
    notes = [] if len(dq) else ["Ingen celler er merket, og ingen rader er holdt utenfor."]
    table = Table("datakvalitet", "Merkede celler og rader holdt utenfor", display, dq, notes=notes)
    return _table(ev, table, _ev_source(ev))


#: The pieces that are figures (left out of ``tables.xlsx``).
_FIGURES = ("county_figures", "applied_granted_figure")


def _piece(ev: Evaluation, item: Any, *, figures: bool = True) -> list[Any]:
    """What one entry of a section's ``show`` displays (``figures=False``: its tables only)."""
    if isinstance(item, str):
        if not figures and item in _FIGURES:
            return []
        made = {
            "county_table": county_table,
            "county_figures": county_figures,
            "amounts_table": amounts_table,
            "category_table": category_table,
            "applied_granted_table": applied_granted_table,
            "applied_granted_figure": applied_granted_figure,
            "group_tests": group_tests_table,
        }[item](ev)
        return made if isinstance(made, list) else [made]
    if hasattr(item, "shares"):
        out: list[Any] = [shares_table(ev, item.shares, item.title_nb)]
        if item.figure and figures:
            out.append(shares_figure(ev, item.shares, item.title_nb))
        return out
    return [list_table(ev, item.list)]


def results(ev: Evaluation) -> list[Any]:
    """The results part of the document as the YAML's ``sections`` lay it out: each section's
    heading, its text, then its tables and figures (show each in turn)."""
    out: list[Any] = []
    for section in ev.scheme.doc.sections:
        out.append(_md(f"### {esc(section.title_nb)}"))
        if section.text_nb:
            out.append(_md(text.esc_paragraphs(section.text_nb)))
        for item in section.show:
            out += _piece(ev, item)
    return out


def tables(ev: Evaluation) -> list[excel.Sheet]:
    """Every table of the document, for ``tables.xlsx`` (suppression applied)."""
    out: list[Table] = [key_figures(ev)]
    for section in ev.scheme.doc.sections:
        for item in section.show:
            out += [t for t in _piece(ev, item, figures=False) if isinstance(t, Table)]
    comp = comparison_table(ev)
    if isinstance(comp, Table):
        out.append(comp)
    out.append(quality_table(ev))
    seen: dict[str, Table] = {}
    for t in out:
        seen.setdefault(t.name, t)
    return [t.sheet() for t in seen.values()]


def save(ev: Evaluation, output_dir: str) -> MarkdownText | None:
    """Write metrics.json, data_quality.csv and tables.xlsx when an output folder is given."""
    if not output_dir:
        return None
    ev.save(output_dir, tables=tables(ev))
    return None
