"""The pieces of a per-year document, ready to display: Markdown texts, tables (with
disclosure control applied) and figures.

Notebooks call these one per cell and show the result; they compute nothing themselves.
A table or figure takes its number when it is shown (:mod:`evalkit.document.counters`), and
``tables.xlsx`` (:func:`save`) holds the tables shown, in their order. The YAML's sections
are pieces with names (:func:`pieces` lists them, :func:`piece` makes one), so that a notebook
of a scheme's own (``evalkit notebook SCHEME``) shows each in a cell of its own; a
researcher's own figures and tables are :func:`figure` and :func:`table`
(:mod:`evalkit.document.numbered`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import disclosure, formats, wording
from evalkit.disclosure import SuppressedTable
from evalkit.document import excel, plots, text
from evalkit.document.counters import numbering, warn_referred_not_shown
from evalkit.document.numbered import (
    RULE,
    Figure,
    Table,
    begin,
    document_source,
    piece_name,
    source_line,
)
from evalkit.document.numbered import column_kinds as column_kinds  # re-exported: doc.column_kinds
from evalkit.document.numbered import figure as figure  # re-exported: doc.figure(fig, …)
from evalkit.document.numbered import table as table  # re-exported: doc.table(frame, title=…)
from evalkit.document.text import MarkdownText, esc
from evalkit.errors import EvalkitError
from evalkit.evaluation import Evaluation
from evalkit.flags import action_nb, detail_text, problem_nb
from evalkit.formats import fmt_ci, fmt_int, fmt_nok, fmt_p, fmt_pct, fmt_pp
from evalkit.metrics import share_labels


def _ev_source(ev: Evaluation) -> str:
    return document_source(ev)


def _table(doc: Any, piece: Table, source: str) -> Table:
    """A table of the document ``doc``: it takes its number when it is shown."""
    piece.source = source
    piece.registry = numbering(doc)
    return piece


def _figure(doc: Any, name: str, title: str, fig: Any, alt: str, source: str, notes=()) -> Figure:
    """A figure of the document ``doc``: it takes its number when it is shown."""
    return Figure(name, title, fig, alt, None, source, list(notes), registry=numbering(doc))


def _md(body: str) -> MarkdownText:
    """Markdown to display (scheme and data text in it escaped with
    :func:`~evalkit.document.text.esc`); never read from a file or the network, as IPython's
    ``Markdown`` would."""
    return MarkdownText(body)


# --- front matter -------------------------------------------------------------------------
def title(ev: Evaluation) -> MarkdownText:
    """The document's title; the document becomes the one a researcher's own figures and
    tables go into (:func:`evalkit.document.counters.current`)."""
    begin(ev)
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
    values: list[tuple[str, object]] = []  # the same figures as numbers
    for k in ev.scheme.doc.key_figures:
        if k.share is not None:
            s = m["shares"].get(k.share)
            if s is None:
                continue
            rows.append((k.label_nb, f"{fmt_int(s['count'])} ({fmt_pct(s['share'])})"))
            values.append((k.label_nb, s["count"]))
        else:
            value = _metric(m, k.value)
            rows.append((k.label_nb, fmt_nok(value) if k.format == "nok" else fmt_int(value)))
            values.append((k.label_nb, value))
    frame = pd.DataFrame(rows, columns=["Nøkkeltall", str(ev.year)])
    data = pd.DataFrame(values, columns=["Nøkkeltall", str(ev.year)])
    table = Table("nokkeltall", f"Nøkkeltall {ev.year}", frame, data)
    return _table(ev, table, _ev_source(ev))


def summary(ev: Evaluation) -> MarkdownText:
    """The summary: the YAML's ``summary`` sentences, filled in from metrics.json."""
    return _md(text.summary(ev.metrics, ev.scheme, _county_suppression(ev)[1]))


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
        f"{fmt_int(rows['kept'])} med i analysen, {fmt_int(rows['n_excluded'])} holdt utenfor (se vedlegget "
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
            + esc(text.holm_sentence(m["comparisons"], _labels(ev), m.get("comparison_counts")))
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
    reader work out the primary one from the table's total. The cells hidden are the year's
    own (:func:`evalkit.disclosure.county_suppression`): the trends document hides the same.
    """
    columns = ev.scheme.doc.county_table.columns
    cols = {"county_name": "Fylke", **{c.key: c.label_nb for c in columns}}
    table, sup = disclosure.county_suppression(ev.metrics, ev.scheme.doc, rule=RULE)
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
    out = [county_figure(ev, "count")]
    if ev.scheme.doc.county_table.figures.amount is not None:
        out.append(county_figure(ev, "amount"))
    return out


def county_figure(ev: Evaluation, which: str) -> Figure:
    """Rows (``which="count"``) or amounts (``"amount"``) per county, with the cells hidden
    in the county table hidden here too."""
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
    if which == "count":
        count_title = f"{what} per fylke {ev.year}"
        hidden = _hidden(mask, count, by)
        return _figure(
            ev,
            "fylker_antall",
            count_title,
            plots.bar_by_county(by, count, xlabel=what, hidden=hidden),
            text.alt_bars_by_county(by, count, hidden, title=count_title),
            _ev_source(ev),
            notes,
        )
    amount_title = f"Tildelt beløp per fylke {ev.year}"
    hidden = _hidden(mask, amount, by)
    return _figure(
        ev,
        "fylker_belop",
        amount_title,
        plots.bar_by_county(by, amount, xlabel="Kroner", hidden=hidden, money=True),
        text.alt_bars_by_county(by, amount, hidden, title=amount_title, money=True),
        _ev_source(ev),
        notes,
    )


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
    name = "andeler_" + piece_name(group)
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
        "andeler_" + piece_name(group) + "_figur",
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
    name = "liste_" + piece_name(spec.title_nb)[:20]
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
        "sokt_og_tildelt_figur",
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
            else f"{formats.fmt_dec(t['statistic'], 2)} ({fmt_p(t['p_value'])})",
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
    counts = ev.metrics.get("comparison_counts")
    if not comps:
        return _md("")
    fig_no = numbering(ev).figure("sammenligning")
    table_no = numbering(ev).table("sammenligning")
    return _md(esc(text.comparison_lead(comps, _labels(ev), fig_no, table_no, counts)))


def comparison_figure(ev: Evaluation) -> Figure | MarkdownText:
    """The year comparison as a forest figure: each difference with its Newcombe interval,
    grouped as the table, the differences that hold after Holm filled."""
    comps = ev.metrics.get("comparisons") or []
    counts = ev.metrics.get("comparison_counts")
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
        text.alt_forest(comps, _labels(ev), title=title_, counts=counts),
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
    counts = ev.metrics.get("comparison_counts")
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
                f"{formats.fmt_signed(lo * 100)} til {formats.fmt_signed(hi * 100)}"
                for lo, hi in zip(c["diff_ci_low"], c["diff_ci_high"], strict=True)
            ],
            "Test": c["test_method"].map(TEST_SHORT_NB).fillna("ingen test"),
            "p": c["p_value"].map(fmt_p),
            "p (Holm)": c["p_adjusted"].map(fmt_p),
            "Cohens h": c["effect_size_h"].map(lambda h: formats.fmt_dec(h, 2)),
        }
    )
    notes = [
        "Andeler med 95 % konfidensintervall (Wilson) i parentes. Forskjell: dette årets andel "
        "minus det andre årets, i prosentpoeng (p.p.), med 95 % konfidensintervall (Newcombe) "
        "i prosentpoeng. Test: Pearson = Pearsons kjikvadrattest uten kontinuitetskorreksjon; "
        "Fisher = Fishers eksakte test (tosidig).",
        text.holm_sentence(comps, _labels(ev), counts),
    ]
    table = Table(
        "sammenligning", f"{ev.year} sammenlignet med tidligere år", display, c, notes=notes
    )
    return _table(ev, table, _ev_source(ev))


# --- appendix -----------------------------------------------------------------------------
def quality_summary(ev: Evaluation) -> MarkdownText:
    rows = ev.metrics["rows"]
    n_flagged = ev.metrics["n_flagged_cells"]
    table_no = numbering(ev).table("datakvalitet")
    body = (
        f"Filen har {fmt_int(rows['read'])} rader. {fmt_int(rows['kept'])} er med i analysen og "
        f"{fmt_int(rows['n_excluded'])} er holdt utenfor. {fmt_int(n_flagged)} "
        f"{'celle er' if n_flagged == 1 else 'celler er'} merket: verdier som ikke kunne leses er satt som manglende, og verdier som er rettet "
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
            "Problem": dq["problem"].map(problem_nb),
            "Forklaring": detail_text(dq),
            "Tiltak": dq["action"].map(action_nb),
        }
    )
    notes = [] if len(dq) else ["Ingen celler er merket, og ingen rader er holdt utenfor."]
    # the workbook in Norwegian too; data_quality.csv keeps the codes
    data = dq.assign(
        problem=dq["problem"].map(problem_nb),
        action=dq["action"].map(action_nb),
        detail=detail_text(dq),
    ).drop(columns=["detail_key", "detail_args"], errors="ignore")
    piece = Table(
        "datakvalitet", "Merkede celler og rader holdt utenfor", display, data, notes=notes
    )
    return _table(ev, piece, _ev_source(ev))


# --- the pieces by name ---------------------------------------------------------------------
@dataclass(frozen=True)
class PieceSpec:
    """One piece of the document as the scheme YAML lays it out.

    Attributes
    ----------
    name : str
        What :func:`piece` takes: ASCII letters, digits and ``_``, unique in the document.
    kind : {"heading", "text", "table", "figure"}
        What the piece is (a text is Markdown; the comparison's lead-in and the appendix's
        summary name the numbers of the pieces after them).
    make : callable
        ``make(ev)`` makes the piece.
    about : str
        What it is, in a few words, before the data are read (a heading's or a text's words,
        else the kind of table or figure).
    """

    name: str
    kind: str
    make: Callable[[Evaluation], Any]
    about: str = ""
    #: In the results (the YAML's sections), not the fixed parts around them.
    in_results: bool = False


def _section_pieces(scheme: Any, section: Any) -> list[PieceSpec]:
    """The pieces of the YAML's ``sections[index]``: its heading, its text, then what it
    shows."""
    title_ = section.title_nb
    slug = piece_name(title_)
    out = [
        PieceSpec(
            f"avsnitt_{slug}",
            "heading",
            lambda ev: _md(f"### {esc(title_)}"),
            plots.plain(title_),
            in_results=True,
        )
    ]
    if section.text_nb:
        body = section.text_nb
        out.append(
            PieceSpec(
                f"tekst_{slug}",
                "text",
                lambda ev: _md(text.esc_paragraphs(body)),
                plots.plain(body)[:60],
                in_results=True,
            )
        )
    for item in section.show:
        out += _item_pieces(scheme, item)
    return out


#: The built-in pieces a section's ``show`` may name: (piece name, kind, maker, about).
_NAMED: dict[str, list[tuple[str, str, Callable[[Evaluation], Any], str]]] = {
    "county_table": [("fylker", "table", lambda ev: county_table(ev), "tabell per fylke")],
    "county_figures": [
        ("fylker_antall", "figure", lambda ev: county_figure(ev, "count"), "antall per fylke"),
        ("fylker_belop", "figure", lambda ev: county_figure(ev, "amount"), "beløp per fylke"),
    ],
    "amounts_table": [("belop", "table", lambda ev: amounts_table(ev), "beløp")],
    "category_table": [("kategorier", "table", lambda ev: category_table(ev), "per kategori")],
    "applied_granted_table": [
        ("sokt_og_tildelt", "table", lambda ev: applied_granted_table(ev), "søkt og tildelt")
    ],
    "applied_granted_figure": [
        (
            "sokt_og_tildelt_figur",
            "figure",
            lambda ev: applied_granted_figure(ev),
            "søkt og tildelt",
        )
    ],
    "group_tests": [
        (
            "forskjeller_mellom_grupper",
            "table",
            lambda ev: group_tests_table(ev),
            "forskjeller mellom grupper",
        )
    ],
}


def _item_pieces(scheme: Any, item: Any) -> list[PieceSpec]:
    """The pieces one entry of a section's ``show`` stands for."""
    if isinstance(item, str):
        named = _NAMED[item]
        if item == "county_figures" and scheme.doc.county_table.figures.amount is None:
            named = named[:1]
        return [PieceSpec(n, k, make, about, True) for n, k, make, about in named]
    if hasattr(item, "shares"):
        group, title_ = item.shares, item.title_nb
        name = "andeler_" + piece_name(group)
        out = [PieceSpec(name, "table", lambda ev: shares_table(ev, group, title_), title_, True)]
        if item.figure:
            figure_ = name + "_figur"
            make = lambda ev: shares_figure(ev, group, title_)  # noqa: E731
            out.append(PieceSpec(figure_, "figure", make, title_, True))
        return out
    spec = item.list
    name = "liste_" + piece_name(spec.title_nb)[:20]
    return [PieceSpec(name, "table", lambda ev: list_table(ev, spec), spec.title_nb, True)]


#: The pieces every per-year document has besides its sections: (name, kind, function,
#: about), in the order of the generic notebook (``notebooks/year.py``). The sections' pieces
#: come after ``metode``.
_FIXED_BEFORE: list[tuple[str, str, str, str]] = [
    ("tittel", "heading", "title", "dokumentets tittel"),
    ("datagrunnlag", "text", "banner", "hvilke data dokumentet bygger på"),
    ("sammendrag", "text", "summary", "sammendraget"),
    ("nokkeltall", "table", "key_figures", "nøkkeltall"),
    ("merknader", "text", "notes", "merknader om året"),
    ("bakgrunn", "text", "background", "bakgrunn og formål"),
    ("metode", "text", "method", "metode"),
]
_FIXED_AFTER: list[tuple[str, str, str, str]] = [
    ("sammenligning_innledning", "text", "comparison_intro", "innledning til sammenligningen"),
    ("sammenligning_figur", "figure", "comparison_figure", "sammenligning med tidligere år"),
    ("sammenligning", "table", "comparison_table", "sammenligning med tidligere år"),
    ("datakvalitet_sammendrag", "text", "quality_summary", "datakvaliteten i ord"),
    ("datakvalitet", "table", "quality_table", "merkede celler og rader holdt utenfor"),
]


def layout(scheme: Any) -> list[PieceSpec]:
    """Every piece of a per-year document of ``scheme``, in the order of the generic
    notebook: the front matter, each section's heading, text, tables and figures, the
    comparison with earlier years and the data-quality appendix. Read from the YAML alone.
    Names repeated (two sections with the same title) get ``_2``, ``_3`` …"""

    def fixed(rows: list[tuple[str, str, str, str]]) -> list[PieceSpec]:
        return [PieceSpec(n, k, globals()[f], about) for n, k, f, about in rows]

    out = fixed(_FIXED_BEFORE)
    for section in scheme.doc.sections:
        out += _section_pieces(scheme, section)
    out += fixed(_FIXED_AFTER)
    seen: dict[str, int] = {}
    named = []
    for spec in out:
        seen[spec.name] = seen.get(spec.name, 0) + 1
        if seen[spec.name] > 1:  # the piece made under its own name too, so numbered apart
            new = f"{spec.name}_{seen[spec.name]}"
            spec = replace(spec, name=new, make=_named(spec.make, new))
        named.append(spec)
    return named


def _named(make: Callable[[Evaluation], Any], name: str) -> Callable[[Evaluation], Any]:
    def renamed(ev: Evaluation) -> Any:
        made = make(ev)
        if isinstance(made, Table | Figure):
            made.name = name
        return made

    return renamed


def _spec(ev: Evaluation, name: str) -> PieceSpec:
    specs = layout(ev.scheme)
    for spec in specs:
        if spec.name == name:
            return spec
    import difflib

    close = difflib.get_close_matches(str(name), [s.name for s in specs], n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    raise EvalkitError(
        f"{ev.scheme.name} has no piece named {name!r}. {hint}doc.pieces(ev) lists the pieces "
        "with their names (they follow the sections of the scheme's YAML)."
    )


def piece(ev: Evaluation, name: str) -> Any:
    """The piece of the document named ``name`` (:func:`pieces` lists them), ready to show:
    a heading, a text, a table or a figure. A table or figure takes its number when shown."""
    return _spec(ev, name).make(ev)


def pieces(ev: Evaluation) -> pd.DataFrame:
    """The pieces of the document by name, in the order of the generic notebook: ``name``
    (what :func:`piece` takes), ``kind`` (heading, text, table, figure) and ``title`` (a
    table's or figure's title, a heading's words, what a text is about)."""
    rows = []
    for spec in layout(ev.scheme):
        title_ = spec.about
        if spec.kind in ("table", "figure"):
            made = spec.make(ev)
            if isinstance(made, Table | Figure):
                title_ = made.title
                if isinstance(made, Figure):
                    plots.close(made.figure)
        rows.append({"name": spec.name, "kind": spec.kind, "title": title_})
    return pd.DataFrame(rows, columns=["name", "kind", "title"])


def results(ev: Evaluation) -> list[Any]:
    """The results part of the document as the YAML's ``sections`` lay it out: each section's
    heading, its text, then its tables and figures (show each in turn)."""
    return [spec.make(ev) for spec in layout(ev.scheme) if spec.in_results]


def tables(ev: Evaluation) -> list[excel.Sheet]:
    """The tables of the document, for ``tables.xlsx``: those shown, in the order shown, with
    their numbers. When none has been shown (a script, not a notebook), the tables of the
    generic document (``notebooks/year.py``), numbered in its order."""
    shown = numbering(ev).shown_tables()
    if shown:
        return [t.sheet() for t in shown]
    made = [spec.make(ev) for spec in layout(ev.scheme) if spec.kind == "table"]
    found: list[Table] = []
    for t in made:
        if isinstance(t, Table) and t.name not in {f.name for f in found}:
            found.append(t)
    for number, t in enumerate(found, start=1):
        t.number = number
    return [t.sheet() for t in found]


def save(ev: Evaluation, output_dir: str) -> MarkdownText | None:
    """Write metrics.json, data_quality.csv and tables.xlsx when an output folder is given.

    ``tables.xlsx`` holds the tables the notebook has shown, in their order and with their
    numbers: nothing that is not shown, nothing shown left out. A text that refers to a
    figure or table never shown is named in a warning under the cell."""
    if not output_dir:
        return None
    registry = numbering(ev)
    warn_referred_not_shown(registry)
    ev.save(output_dir)  # metrics.json, data_quality.csv
    excel.write_workbook(
        Path(output_dir) / "tables.xlsx", [t.sheet() for t in registry.shown_tables()]
    )
    return None
