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

from evalkit import disclosure, formats, metrics, wording
from evalkit.config import scheme_text
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
from evalkit.flags import action_text, detail_text, problem_text
from evalkit.formats import fmt_ci, fmt_int, fmt_nok, fmt_p, fmt_pct, fmt_pp, join_list
from evalkit.i18n import SOURCE_LANGUAGE, current_language, t, tn


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
    title_ = esc(ev.scheme.text("title"))
    if ev.scheme.unit == "project":
        return _md("# " + t("year.title.project", title=title_, year=ev.year))
    return _md("# " + t("year.title.application", title=title_, year=ev.year))


def banner(ev: Evaluation) -> MarkdownText:
    """A clear notice of which data the document rests on, and whether they are synthetic."""
    where = t(
        "year.banner.where",
        file=f"<code>{esc(ev.result.path.name)}</code>",
        folder=f"<code>{esc(ev.data_dir)}</code>",
        layout=esc(ev.result.layout),
    ) + (f"; {esc(ev.scheme.override_line(nb=True))}" if ev.scheme.replaces_bundled else "")
    if ev.synthetic:
        head = t("year.banner.synthetic_head")
        return _md(
            "<div class='evalkit-banner' role='note' style='border:3px solid #b5452f;"
            "background:#fdf0ec;color:#1a1a1a;padding:0.8em 1em;margin:0.5em 0;font-size:1.05em'>"
            + f"<strong>{esc(head)}</strong> "
            + t("year.banner.synthetic", command="<code>evalkit demo</code>", where=where)
            + "</div>"
        )
    data = t("year.banner.data", where=where)
    return _md(f"<p class='evalkit-source'><em>{data}</em></p>")


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
        label = scheme_text(k, "label")
        if k.share is not None:
            s = m["shares"].get(k.share)
            if s is None:
                continue
            rows.append((label, f"{fmt_int(s['count'])} ({fmt_pct(s['share'])})"))
            values.append((label, s["count"]))
        else:
            value = _metric(m, k.value)
            rows.append((label, fmt_nok(value) if k.format == "nok" else fmt_int(value)))
            values.append((label, value))
    columns = [t("year.key_figures.column"), str(ev.year)]
    frame = pd.DataFrame(rows, columns=columns)
    data = pd.DataFrame(values, columns=columns)
    table = Table("nokkeltall", t("year.key_figures.title", year=ev.year), frame, data)
    return _table(ev, table, _ev_source(ev))


def summary(ev: Evaluation) -> MarkdownText:
    """The summary: the YAML's ``summary`` sentences, filled in from metrics.json."""
    return _md(text.summary(ev.metrics, ev.scheme, _county_suppression(ev)[1]))


def notes(ev: Evaluation) -> MarkdownText:
    """Facts about the year that are not in the data (the YAML's ``notes_nb``), and those
    said only of synthetic data (``synthetic_notes_nb``), in the current language."""
    notes_, synthetic = (
        scheme_text(ev.scheme.doc, "notes"),
        scheme_text(ev.scheme.doc, "synthetic_notes"),
    )
    found = [notes_[ev.year]] if ev.year in notes_ else []
    if ev.synthetic and ev.year in synthetic:
        found.append(synthetic[ev.year])
    return _md(f"*{esc(' '.join(found))}*" if found else "")


def background(ev: Evaluation) -> MarkdownText:
    """The scheme's background and purpose (the YAML's ``background_nb``)."""
    return _md(text.esc_paragraphs(scheme_text(ev.scheme.doc, "background") or ""))


def method(ev: Evaluation) -> MarkdownText:
    """Background, purpose and method, with the numbers of this year."""
    m = ev.metrics
    rows = m["rows"]
    unit = ev.scheme.unit
    checked = [
        _group_label(ev, g)
        for g in dict.fromkeys(s.group for s in ev.scheme.shares if s.kind == "checked")
    ]

    def paragraph(head: str, body: str) -> str:
        return f"**{head}** {body}"

    denominators = t("year.method.denominators", column=t("year.col.missing"))
    if checked:
        denominators += " " + t(
            "year.method.denominators_checked",
            groups=esc(join_list(checked)),
            the=ev.scheme.words()[2],
        )
    lines = [
        paragraph(
            t("year.method.data.head"),
            t(
                "year.method.data",
                file=esc(ev.result.path.name),
                read=fmt_int(rows["read"]),
                kept=fmt_int(rows["kept"]),
                excluded=fmt_int(rows["n_excluded"]),
            )
            + " "
            + (
                t("year.method.one_row.project")
                if unit == "project"
                else t("year.method.one_row.application")
            ),
        ),
        paragraph(t("year.method.denominators.head"), denominators),
        paragraph(
            t("year.method.uncertainty.head"),
            t("year.method.uncertainty") + " " + esc(wording.method_description("wilson")),
        ),
        paragraph(
            t("year.method.complete.head"),
            (
                t("year.method.complete.project")
                if unit == "project"
                else t("year.method.complete.application")
            ),
        ),
        paragraph(
            t("year.method.suppression.head"), esc(disclosure.method_text(ev.scheme.doc, RULE))
        ),
    ]
    if m.get("comparisons"):
        names = sorted({wording.test_name(c) for c in m["comparisons"] if c["p_value"] is not None})
        holm = text.holm_sentence(m["comparisons"], _labels(ev), m.get("comparison_counts"))
        lines.append(
            paragraph(
                t("year.method.comparison.head"),
                t("year.method.comparison", tests=esc(join_list(names)), holm=esc(holm)),
            )
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
    cols = {"county_name": t("piece.county"), **{c.key: scheme_text(c, "label") for c in columns}}
    table, sup = disclosure.county_suppression(ev.metrics, ev.scheme.doc, rule=RULE)
    return table, sup, cols


def _formats(ev: Evaluation) -> dict[str, Any]:
    return {
        c.key: fmt_pct if c.format == "pct" else fmt_int for c in ev.scheme.doc.county_table.columns
    }


def county_table(ev: Evaluation) -> Table:
    """Rows, amounts and municipalities per county (the YAML's ``county_table``), suppressed."""
    table, sup, cols = _county_suppression(ev)
    display = sup.display(formatters=_formats(ev))
    # the rows keep their keys («I alt») in the data; the reader sees them in the language
    display = display.rename(index=disclosure.row_label).reset_index().rename(columns=cols)
    data = table.astype(object).mask(sup.mask, RULE.symbol).reset_index().rename(columns=cols)
    title_ = _titled(scheme_text(ev.scheme.doc.county_table, "title"), ev.year)
    return _table(ev, Table("fylker", title_, display, data, sup.footnote), _ev_source(ev))


def _titled(title: str, year: int) -> str:
    """«Prosjekter per fylke 2023»: a title of the YAML with the year."""
    return t("year.titled", title=title, year=year)


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
    count, amount, what = spec.count, spec.amount, scheme_text(spec, "count_label")
    shown = [c for c in (count, amount) if c is not None and c in mask]
    notes = [RULE.footnote_text] if shown and mask[shown].any().any() else []
    if which == "count":
        count_title = t("year.county.count_title", what=what, year=ev.year)
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
    amount_title = t("year.county.amount_title", year=ev.year)
    hidden = _hidden(mask, amount, by)
    return _figure(
        ev,
        "fylker_belop",
        amount_title,
        plots.bar_by_county(by, amount, xlabel=t("year.county.kroner"), hidden=hidden, money=True),
        text.alt_bars_by_county(by, amount, hidden, title=amount_title, money=True),
        _ev_source(ev),
        notes,
    )


def _hidden(mask: pd.DataFrame, column: str, by: pd.DataFrame) -> pd.Series:
    """The cells of ``column`` hidden in the county table (none when it is not shown there)."""
    if column in mask:
        return mask[column]
    return pd.Series(False, index=by.index)


def _group_label(ev: Evaluation, group: str) -> str:
    """A share group as text names it: its code in bokmål (the YAML's groups are bokmål
    words: «aktører»), else the label of its first share in the current language, lower case."""
    if current_language() == SOURCE_LANGUAGE:
        return group
    for spec in ev.scheme.shares:
        if spec.group == group:
            label = scheme_text(spec, "label")
            return label[:1].lower() + label[1:] if label else group
    return group


def shares_frame(ev: Evaluation, group: str) -> pd.DataFrame:
    labels = metrics.share_labels(ev.scheme)
    rows = []
    for key, s in ev.metrics["shares"].items():
        if labels.get(key, {}).get("group") == group:
            rows.append({"key": key, "label": labels[key]["label"], **s})
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
            return t("year.among", field=scheme_text(f, "label").lower(), value=value)
    return None


def shares_table(ev: Evaluation, group: str, title: str) -> Table:
    f = shares_frame(ev, group)
    display = pd.DataFrame(
        {
            "": f["label"],
            t("year.col.count"): f["count"].map(fmt_int),
            t("year.col.of"): f["n"].map(fmt_int),
            t("year.col.missing"): f["missing"].map(fmt_int),
            t("year.col.share"): f["share"].map(fmt_pct),
            t("year.col.ci_wilson"): [
                fmt_ci(lo, hi) for lo, hi in zip(f["ci_low"], f["ci_high"], strict=True)
            ],
        }
    )
    data = f[["key", "label", "count", "n", "missing", "share", "ci_low", "ci_high"]]
    name = "andeler_" + piece_name(group)
    notes = [
        text.share_denominator_note(f, ev.scheme.unit, _among(ev, group)),
        t("year.shares.wilson_note"),  # the note under every share with an interval
    ]
    table = Table(name, _titled(title, ev.year), display, data, notes=notes)
    return _table(ev, table, _ev_source(ev))


def shares_figure(ev: Evaluation, group: str, title: str) -> Figure:
    """The shares of one group as bars with their Wilson intervals."""
    f = shares_frame(ev, group)
    title_ = _titled(title, ev.year)
    who = ev.scheme.words()[2]
    return _figure(
        ev,
        "andeler_" + piece_name(group) + "_figur",
        title_,
        plots.shares_with_ci(f, xlabel=t("year.shares.axis", the=who)),
        text.alt_shares(f, title=title_),
        _ev_source(ev),
        [
            text.share_denominator_note(f, ev.scheme.unit, _among(ev, group)),
            t("year.shares.figure_note"),
        ],
    )


def amounts_table(ev: Evaluation) -> Table:
    m = ev.metrics
    blocks = [(scheme_text(a, "label"), m[a.field]) for a in ev.scheme.doc.amounts]
    rows = [
        {
            "": name,
            t("year.col.count"): fmt_int(a["n"]),
            t("year.col.missing"): fmt_int(a["missing"]),
            t("piece.total"): fmt_nok(a["total_nok"]),
            t("year.amounts.q1"): fmt_nok(a.get("q1_nok")),
            t("year.amounts.median"): fmt_nok(a.get("median_nok")),
            t("year.amounts.q3"): fmt_nok(a.get("q3_nok")),
            t("year.amounts.max"): fmt_nok(a.get("max_nok")),
        }
        for name, a in blocks
    ]
    data = pd.DataFrame([{"": name, **a} for name, a in blocks])
    table = Table(
        "belop",
        t("year.amounts.title", year=ev.year),
        pd.DataFrame(rows),
        data,
        notes=[t("year.amounts.note")],
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
    label = scheme_text(ev.scheme.fields[field_], "label")
    display = pd.DataFrame(
        {
            label: [metrics.code_label(ev.scheme, field_, c) for c in by[field_]],
            **{scheme_text(c, "label"): by[c.key].map(formats[c.key]) for c in columns},
        }
    )
    many = ev.scheme.words()[1]
    title_ = t("year.category.title", many=many.capitalize(), field=label.lower(), year=ev.year)
    return _table(ev, Table("kategorier", title_, display, by), _ev_source(ev))


def list_table(ev: Evaluation, spec: Any) -> Table:
    """A list of rows (``sections[].show[].list`` of the YAML): the named columns of the rows
    where ``among`` is yes, sorted. Category codes are shown by their labels. With
    ``group_by``, the rows come group by group, each group headed by its value."""
    tidy = ev.tidy
    rows = tidy[tidy[spec.among].fillna(False)] if spec.among else tidy
    order = spec.sort or [next(iter(spec.columns))]
    if spec.group_by is not None:  # the groups in order, each in one piece
        order = [spec.group_by, *[c for c in order if c != spec.group_by]]
    rows = rows.sort_values(order, kind="stable")
    # no county's rows where its count is hidden in the county table (unless they are public)
    kept = disclosure.protect_list(rows, spec, ev.scheme.doc, _county_suppression(ev)[1])
    rows = kept.rows
    data = pd.DataFrame(index=rows.index)
    headers = scheme_text(spec, "columns")  # the YAML's columns_nn/columns_en, else bokmål
    for col, header in headers.items():
        f = ev.scheme.fields.get(col)
        values = rows[col]
        if col == "county_name":
            values = values.fillna(disclosure.row_label(disclosure.UNKNOWN_COUNTY_NB))
        elif f is not None and f.vocabulary:
            vocab = ev.scheme.vocabularies[f.vocabulary]
            values = values.map({term.code: scheme_text(term, "label") for term in vocab.terms})
        elif f is None or f.type != "amount":
            values = values.fillna("")
        data[header] = values
    data = data.reset_index(drop=True)
    amounts = [h for c, h in headers.items() if c in ev.scheme.fields_of_type("amount")]
    display = data.assign(**{h: data[h].map(fmt_int) for h in amounts})
    name = "liste_" + piece_name(spec.title_nb)[:20]
    group = headers[spec.group_by] if spec.group_by is not None else None
    notes = [n for n in [disclosure.withheld_note_text(kept.withheld, ev.scheme.doc)] if n]
    title_ = _titled(scheme_text(spec, "title"), ev.year)
    table = Table(name, title_, display, data, notes=notes, group_by=group)
    return _table(ev, table, _ev_source(ev))


def applied_granted_figure(ev: Evaluation) -> Figure:
    """Granted against applied amount, one point per granted application."""
    award = ev.scheme.doc.award
    tidy = ev.result.tidy
    granted = tidy[tidy[award.flag].fillna(False)][[award.applied, award.granted]].dropna()
    granted = granted.set_axis(["applied_nok", "granted_nok"], axis=1)
    title_ = t("year.applied_granted.figure_title", year=ev.year)
    return _figure(
        ev,
        "sokt_og_tildelt_figur",
        title_,
        plots.applied_vs_granted(granted),
        text.alt_applied_granted(ev.metrics["applied_vs_granted"], title=title_),
        _ev_source(ev),
        [t("year.applied_granted.figure_note")],
    )


def applied_granted_table(ev: Evaluation) -> Table:
    """How much of what was applied for the granted applications got (``applied_vs_granted``)."""
    a = ev.metrics["applied_vs_granted"]
    r, test = a["ratio"], a["test"]
    rows = [
        (t("year.applied_granted.n"), fmt_int(a["n"])),
        (t("year.applied_granted.applied_total"), fmt_nok(a["applied_total_nok"])),
        (t("year.applied_granted.granted_total"), fmt_nok(a["granted_total_nok"])),
        (t("year.applied_granted.granted_share"), fmt_pct(a["granted_share"])),
        (t("year.applied_granted.n_full"), fmt_int(a["n_full"])),
        (
            t("year.applied_granted.ratio"),
            f"{fmt_pct(r['median'])} ({fmt_pct(r['q1'])}–{fmt_pct(r['q3'])})",
        ),
        (
            t("year.applied_granted.test", test=wording.test_name(test)),
            "–"
            if test["statistic"] is None
            else f"{formats.fmt_dec(test['statistic'], 2)} ({fmt_p(test['p_value'])})",
        ),
    ]
    frame = pd.DataFrame(rows, columns=["", str(ev.year)])
    notes = []
    if a["missing"]:
        notes.append(t("year.applied_granted.missing", n=fmt_int(a["missing"])))
    table = Table(
        "sokt_og_tildelt",
        t("year.applied_granted.title", year=ev.year),
        frame,
        pd.DataFrame([{**{k: v for k, v in a.items() if k not in ("ratio", "test")}, **r}]),
        notes=notes,
    )
    return _table(ev, table, _ev_source(ev))


def group_tests_table(ev: Evaluation) -> Table:
    """Are the shares alike across counties (and, for applications, categories)?"""
    tests = ev.metrics["group_tests"]
    g = pd.DataFrame(tests)
    display = pd.DataFrame(
        {
            "": [text.group_test_label(r, ev.scheme) for r in tests],
            t("year.group_tests.groups"): g["groups"].map(fmt_int),
            t("year.group_tests.answers"): g["n"].map(fmt_int),
            t("year.col.test"): [wording.test_name(r) for r in tests],
            "p": g["p_value"].map(fmt_p),
            t("year.col.note"): [text.group_test_warning(r, ev.scheme) or "" for r in tests],
        }
    )
    notes = [t("year.group_tests.note", the=ev.scheme.words()[2])]
    notes += text.group_test_denominator_notes(ev.metrics, ev.scheme)
    by_county = all(test.by == "county_code" for test in ev.scheme.doc.group_tests)
    return _table(
        ev,
        Table(
            "forskjeller_mellom_grupper",
            t("year.group_tests.title.counties", year=ev.year)
            if by_county
            else t("year.group_tests.title.counties_categories", year=ev.year),
            display,
            g,
            notes=notes,
        ),
        _ev_source(ev),
    )


def _labels(ev: Evaluation) -> dict[str, str]:
    """«Annet (målgruppe)»: a share's label with its group, for text that names shares."""
    return {
        k: t("year.label_with_group", label=v["label"], group=_group_label(ev, v["group"]))
        for k, v in metrics.share_labels(ev.scheme).items()
    }


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
    labels = metrics.share_labels(ev.scheme)
    c = pd.DataFrame(comps)
    c["label"] = c["metric"].map(lambda k: labels.get(k, {}).get("label", k))
    c["group"] = c["metric"].map(lambda k: labels.get(k, {}).get("group", ""))
    others = sorted(set(c["other_year"]))
    title_ = t(
        "year.comparison.figure_title",
        year=ev.year,
        others=join_list([str(y) for y in others]),
    )
    return _figure(
        ev,
        "sammenligning",
        title_,
        plots.forest(c, year=ev.year),
        text.alt_forest(comps, _labels(ev), title=title_, counts=counts),
        source_line(
            scheme_text(ev.scheme.doc, "source"),
            join_list([str(y) for y in sorted({*others, ev.year})]),
            synthetic=ev.synthetic,
        ),
        [t("year.comparison.figure_note", alpha=formats.fmt_dec(0.05, 2))],
    )


#: Short test names for the comparison table (the note spells them out); names, the same in
#: every language.
TEST_SHORT = {"pearson_chi2": "Pearson", "fisher_exact": "Fisher"}


def _distinct_labels(ev: Evaluation, keys: list[str]) -> list[str]:
    """Share labels, with the group added where two shares have the same label
    («Annet (målgruppe)», «Annet (tilbud)»)."""
    labels = metrics.share_labels(ev.scheme)
    plain = [labels.get(k, {}).get("label", k) for k in keys]
    return [
        t("year.label_with_group", label=lab, group=_group_label(ev, labels[k]["group"]))
        if plain.count(lab) > 1 and k in labels
        else lab
        for k, lab in zip(keys, plain, strict=True)
    ]


def comparison_table(ev: Evaluation) -> Table | MarkdownText:
    comps = ev.metrics.get("comparisons") or []
    counts = ev.metrics.get("comparison_counts")
    if not comps:
        none = t("year.comparison.none")
        return _md(f"*{none}*")
    c = pd.DataFrame(comps)
    display = pd.DataFrame(
        {
            "": _distinct_labels(ev, list(c["metric"])),
            str(ev.year): [
                f"{fmt_pct(s)} ({fmt_ci(lo, hi)})"
                for s, lo, hi in zip(c["share"], c["ci_low"], c["ci_high"], strict=True)
            ],
            t("year.comparison.col.with"): [
                f"{y}: {fmt_pct(s)} ({fmt_ci(lo, hi)})"
                for y, s, lo, hi in zip(
                    c["other_year"],
                    c["other_share"],
                    c["other_ci_low"],
                    c["other_ci_high"],
                    strict=True,
                )
            ],
            t("year.comparison.col.difference"): c["diff"].map(fmt_pp),
            t("year.comparison.col.ci"): [
                t(
                    "year.comparison.interval",
                    low=formats.fmt_signed(lo * 100),
                    high=formats.fmt_signed(hi * 100),
                )
                for lo, hi in zip(c["diff_ci_low"], c["diff_ci_high"], strict=True)
            ],
            t("year.col.test"): c["test_method"].map(TEST_SHORT).fillna(wording.method_name(None)),
            "p": c["p_value"].map(fmt_p),
            "p (Holm)": c["p_adjusted"].map(fmt_p),
            t("year.comparison.col.h"): c["effect_size_h"].map(lambda h: formats.fmt_dec(h, 2)),
        }
    )
    notes = [t("year.comparison.note"), text.holm_sentence(comps, _labels(ev), counts)]
    table = Table(
        "sammenligning", t("year.comparison.title", year=ev.year), display, c, notes=notes
    )
    return _table(ev, table, _ev_source(ev))


# --- appendix -----------------------------------------------------------------------------
def quality_summary(ev: Evaluation) -> MarkdownText:
    rows = ev.metrics["rows"]
    n_flagged = ev.metrics["n_flagged_cells"]
    table_no = numbering(ev).table("datakvalitet")
    body = tn(
        "year.quality.summary",
        n_flagged,
        read=fmt_int(rows["read"]),
        kept=fmt_int(rows["kept"]),
        excluded=fmt_int(rows["n_excluded"]),
        n=fmt_int(n_flagged),
        table=fmt_int(table_no),
    )
    return _md(body)


def row_ranges(rows: list[int]) -> str:
    """Row numbers as the appendix shows them: sorted, runs joined («2–5, 7, 9–10»)."""
    out: list[str] = []
    numbers = sorted(set(rows))
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        first, last = numbers[i], numbers[j]
        out.append(str(first) if first == last else f"{first}–{last}")  # as the file numbers rows
        i = j + 1
    return ", ".join(out)


def quality_table(ev: Evaluation) -> Table:
    """The data-quality appendix: one row for each flag that is the same but for its row
    (column, value, problem, explanation, action), its rows as runs («2–5, 7»), in the order
    of their first row. ``data_quality.csv`` keeps one line per flagged cell."""
    dq = ev.data_quality
    shown = pd.DataFrame(
        {
            "column": dq["column"].fillna(""),
            "value": dq["value"].fillna(""),
            "problem": dq["problem"].map(problem_text),
            "detail": detail_text(dq),
            "action": dq["action"].map(action_text),
        }
    ).astype(str)
    keys = list(shown.columns)
    shown["row"] = dq["row"]
    groups = shown.groupby(keys, sort=False, dropna=False)["row"]
    grouped = groups.agg(lambda r: row_ranges([int(x) for x in r.dropna()])).reset_index()
    display = pd.DataFrame(
        {
            t("year.quality.col.row"): grouped["row"],
            t("year.quality.col.column"): grouped["column"],
            t("year.quality.col.value"): grouped["value"],
            t("year.quality.col.problem"): grouped["problem"],
            t("year.quality.col.detail"): grouped["detail"],
            t("year.quality.col.action"): grouped["action"],
        }
    )
    notes = [] if len(dq) else [t("year.quality.none")]
    # the workbook as the document shows it, in its language; data_quality.csv keeps the codes
    piece = Table("datakvalitet", t("year.quality.title"), display, grouped, notes=notes)
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
    title_ = scheme_text(section, "title")
    slug = piece_name(section.title_nb)  # the same name in every language
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
        body = scheme_text(section, "text")
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


#: The built-in pieces a section's ``show`` may name: (piece name, kind, maker, about: the
#: catalog key of what it is, ``year.about.<name>``).
_NAMED: dict[str, list[tuple[str, str, Callable[[Evaluation], Any]]]] = {
    "county_table": [("fylker", "table", lambda ev: county_table(ev))],
    "county_figures": [
        ("fylker_antall", "figure", lambda ev: county_figure(ev, "count")),
        ("fylker_belop", "figure", lambda ev: county_figure(ev, "amount")),
    ],
    "amounts_table": [("belop", "table", lambda ev: amounts_table(ev))],
    "category_table": [("kategorier", "table", lambda ev: category_table(ev))],
    "applied_granted_table": [("sokt_og_tildelt", "table", lambda ev: applied_granted_table(ev))],
    "applied_granted_figure": [
        ("sokt_og_tildelt_figur", "figure", lambda ev: applied_granted_figure(ev))
    ],
    "group_tests": [("forskjeller_mellom_grupper", "table", lambda ev: group_tests_table(ev))],
}

#: What each piece is, in words (:attr:`PieceSpec.about`): catalog keys by piece name.
_ABOUT: dict[str, Callable[[], str]] = {
    "fylker": lambda: t("year.about.county_table"),
    "fylker_antall": lambda: t("year.about.county_count"),
    "fylker_belop": lambda: t("year.about.county_amount"),
    "belop": lambda: t("year.about.amounts"),
    "kategorier": lambda: t("year.about.categories"),
    "sokt_og_tildelt": lambda: t("year.about.applied_granted"),
    "sokt_og_tildelt_figur": lambda: t("year.about.applied_granted"),
    "forskjeller_mellom_grupper": lambda: t("year.about.group_tests"),
    "tittel": lambda: t("year.about.title"),
    "datagrunnlag": lambda: t("year.about.banner"),
    "sammendrag": lambda: t("year.about.summary"),
    "nokkeltall": lambda: t("year.about.key_figures"),
    "merknader": lambda: t("year.about.notes"),
    "bakgrunn": lambda: t("year.about.background"),
    "metode": lambda: t("year.about.method"),
    "sammenligning_innledning": lambda: t("year.about.comparison_intro"),
    "sammenligning_figur": lambda: t("year.about.comparison"),
    "sammenligning": lambda: t("year.about.comparison"),
    "datakvalitet_sammendrag": lambda: t("year.about.quality_summary"),
    "datakvalitet": lambda: t("year.about.quality_table"),
}


def _item_pieces(scheme: Any, item: Any) -> list[PieceSpec]:
    """The pieces one entry of a section's ``show`` stands for."""
    if isinstance(item, str):
        named = _NAMED[item]
        if item == "county_figures" and scheme.doc.county_table.figures.amount is None:
            named = named[:1]
        return [PieceSpec(n, k, make, _ABOUT[n](), True) for n, k, make in named]
    if hasattr(item, "shares"):
        group, title_ = item.shares, scheme_text(item, "title")
        name = "andeler_" + piece_name(group)
        out = [PieceSpec(name, "table", lambda ev: shares_table(ev, group, title_), title_, True)]
        if item.figure:
            figure_ = name + "_figur"
            make = lambda ev: shares_figure(ev, group, title_)  # noqa: E731
            out.append(PieceSpec(figure_, "figure", make, title_, True))
        return out
    spec = item.list
    name = "liste_" + piece_name(spec.title_nb)[:20]
    about = scheme_text(spec, "title")
    return [PieceSpec(name, "table", lambda ev: list_table(ev, spec), about, True)]


#: The pieces every per-year document has besides its sections: (name, kind, function), in
#: the order of the generic notebook (``notebooks/year.py``); what each is: :data:`_ABOUT`.
#: The sections' pieces come after ``metode``.
_FIXED_BEFORE: list[tuple[str, str, str]] = [
    ("tittel", "heading", "title"),
    ("datagrunnlag", "text", "banner"),
    ("sammendrag", "text", "summary"),
    ("nokkeltall", "table", "key_figures"),
    ("merknader", "text", "notes"),
    ("bakgrunn", "text", "background"),
    ("metode", "text", "method"),
]
_FIXED_AFTER: list[tuple[str, str, str]] = [
    ("sammenligning_innledning", "text", "comparison_intro"),
    ("sammenligning_figur", "figure", "comparison_figure"),
    ("sammenligning", "table", "comparison_table"),
    ("datakvalitet_sammendrag", "text", "quality_summary"),
    ("datakvalitet", "table", "quality_table"),
]


def layout(scheme: Any) -> list[PieceSpec]:
    """Every piece of a per-year document of ``scheme``, in the order of the generic
    notebook: the front matter, each section's heading, text, tables and figures, the
    comparison with earlier years and the data-quality appendix. Read from the YAML alone.
    Names repeated (two sections with the same title) get ``_2``, ``_3`` …"""

    def fixed(rows: list[tuple[str, str, str]]) -> list[PieceSpec]:
        return [PieceSpec(n, k, globals()[f], _ABOUT[n]()) for n, k, f in rows]

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
        return [piece_.sheet() for piece_ in shown]
    made = [spec.make(ev) for spec in layout(ev.scheme) if spec.kind == "table"]
    found: list[Table] = []
    for made_ in made:
        if isinstance(made_, Table) and made_.name not in {f.name for f in found}:
            found.append(made_)
    for number, table_ in enumerate(found, start=1):
        table_.number = number
    return [table_.sheet() for table_ in found]


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
        Path(output_dir) / "tables.xlsx", [piece_.sheet() for piece_ in registry.shown_tables()]
    )
    return None
