"""The pieces of the trends document (every year of one scheme), ready to display.

As in the per-year document (:mod:`evalkit.document.year`), a table or figure takes its number
when it is shown, ``tables.xlsx`` holds the tables shown, and a researcher's own figure and
table are :func:`figure` and :func:`table` (:mod:`evalkit.document.numbered`)."""

from __future__ import annotations

import pandas as pd
from babel.lists import format_list

from evalkit import disclosure, formats, geography, inert, paths, stats, trends, wording
from evalkit.config import scheme_text
from evalkit.document import excel, plots, text
from evalkit.document.counters import numbering, warn_referred_not_shown
from evalkit.document.numbered import RULE, Figure, Table, begin, document_source, piece_name
from evalkit.document.numbered import figure as figure  # re-exported: tdoc.figure(fig, …)
from evalkit.document.numbered import table as table  # re-exported: tdoc.table(frame, title=…)
from evalkit.document.text import MarkdownText, esc
from evalkit.evaluation import metrics_json
from evalkit.formats import fmt_int, fmt_nok, fmt_p, fmt_pct, join_list, the_units, units
from evalkit.i18n import SOURCE_LANGUAGE, current_language, current_locale, t, tn
from evalkit.trends import Trends


def title(tr: Trends) -> MarkdownText:
    """The document's title; the document becomes the one a researcher's own figures and
    tables go into (:func:`evalkit.document.counters.current`)."""
    begin(tr)
    heading = t(
        "trends.title",
        title=esc(tr.scheme.text("title")),
        first=tr.years[0],
        last=tr.years[-1],
    )
    return MarkdownText(f"# {heading}")


def _source(tr: Trends) -> str:
    return document_source(tr)


def _table(tr: Trends, piece: Table) -> Table:
    """A table of the document: it takes its number when it is shown."""
    piece.source = _source(tr)
    piece.registry = numbering(tr)
    return piece


def _figure(tr: Trends, name: str, title: str, fig, alt: str, notes=()) -> Figure:
    """A figure of the document: it takes its number when it is shown."""
    return Figure(name, title, fig, alt, None, _source(tr), list(notes), registry=numbering(tr))


def banner(tr: Trends) -> MarkdownText:
    where = f"<code>{esc(tr.data_dir)}</code>" + (
        f"; {esc(tr.scheme.override_line(nb=True))}" if tr.scheme.replaces_bundled else ""
    )
    if tr.synthetic:
        return MarkdownText(
            "<div class='evalkit-banner' role='note' style='border:3px solid #b5452f;"
            "background:#fdf0ec;color:#1a1a1a;padding:0.8em 1em;'>"
            + "<strong>"
            + t("trends.banner.synthetic_label")
            + "</strong> "
            + t("trends.banner.synthetic", command="<code>evalkit demo</code>", where=where)
            + "</div>"
        )
    return MarkdownText("<p><em>" + t("trends.banner.data", where=where) + "</em></p>")


def summary(tr: Trends) -> MarkdownText:
    y0, y1 = tr.years[0], tr.years[-1]
    m0, m1 = tr.metrics[y0], tr.metrics[y1]
    count = tr.scheme.count_key
    parts = [
        tn(
            "trends.summary.covers",
            len(tr.years),
            n=fmt_int(len(tr.years)),
            first=y0,
            last=y1,
            rows_first=units(m0[count], tr.scheme.unit),
            count_last=fmt_int(m1[count]),
        )
    ]
    parts += _trend_sentences(tr)
    return MarkdownText(" ".join(parts))


def _verdict_sentence(verdict: str, names: str) -> str:
    """The summary's sentence for a verdict of :func:`evalkit.stats.trend_verdict` that names
    a change (``names``: the shares, joined); «no_change» is said of the rest."""
    return {
        "increase": lambda: t("trends.verdict.increase", names=names),
        "decrease": lambda: t("trends.verdict.decrease", names=names),
        "increase_uneven": lambda: t("trends.verdict.increase_uneven", names=names),
        "decrease_uneven": lambda: t("trends.verdict.decrease_uneven", names=names),
        "uneven": lambda: t("trends.verdict.uneven", names=names),
    }[verdict]()


#: The verdicts :func:`_verdict_sentence` says, in the summary's order.
_VERDICTS_SAID = ("increase", "decrease", "increase_uneven", "decrease_uneven", "uneven")


def _group_name(tr: Trends, group: str) -> str:
    """A share group as the summary names it: its name in the YAML (``samarbeid``) in
    bokmål; in another language the title of the group's trend figure, else the label of the
    group's first share, with a lower-case first letter (the group names are bokmål)."""
    if current_language() == SOURCE_LANGUAGE:
        return group
    fig = next((f for f in tr.scheme.doc.trends.figures if f.group == group), None)
    share = next((s for s in tr.scheme.shares if s.group == group), None)
    name = (
        scheme_text(fig, "title")
        if fig is not None
        else (scheme_text(share, "label") if share is not None else group)
    )
    return plots.lower_first(name)


def _trend_sentences(tr: Trends) -> list[str]:
    """What the trend tests let the summary say, read from each record's ``verdict``
    (:func:`evalkit.stats.trend_verdict`): a rise or a fall only where the trend holds after
    Holm, «men ikke jevnt» where the departure from a linear trend is significant as well, and
    never «jevnt» (no test here shows a steady change)."""
    records = trends.trend_tests(tr)
    if not records:
        return []
    alpha = formats.fmt_dec(trends.TREND_ALPHA, 2)
    labels = _share_labels(tr)
    by: dict[str, list[str]] = {v: [] for v in stats.TREND_VERDICTS}
    for r in records:
        if r["verdict"] is None:
            continue
        lab = labels.get(r["metric"], {"label": r["metric"], "group": ""})
        by[r["verdict"]].append(
            t(
                "trends.summary.share_name",
                label=esc(lab["label"]),
                group=esc(_group_name(tr, lab["group"])),
            )
        )
    out = [
        _verdict_sentence(verdict, join_list(by[verdict]))
        for verdict in _VERDICTS_SAID
        if by[verdict]
    ]
    if out:
        marked = [
            word()
            for word, verdicts in (
                (
                    lambda: t("trends.summary.word_uneven"),
                    ("increase_uneven", "decrease_uneven"),
                ),
                (lambda: t("trends.summary.word_no_direction"), ("uneven",)),
            )
            if any(by[v] for v in verdicts)
        ]
        if marked:
            words = format_list(marked, style="or", locale=current_locale())
            out.append(t("trends.summary.tests_departure", alpha=alpha, words=words))
        else:
            out.append(t("trends.summary.tests", alpha=alpha))
    rest = len(by["no_change"])
    if out and rest:
        out.append(tn("trends.summary.rest_no_change", rest))
    elif not out:
        out.append(t("trends.summary.none_changed"))
    n_table = numbering(tr).table("trender")
    out.append(t("trends.summary.table_ref", table=n_table))
    return out


def method(tr: Trends) -> MarkdownText:
    alpha = formats.fmt_dec(trends.TREND_ALPHA, 2)
    lines = [
        _lead(t("trends.method.lead.trend"), t("trends.method.trend", alpha=alpha)),
        _lead(t("trends.method.lead.intervals"), t("trends.method.intervals")),
    ]
    a = trends.amounts(tr) if len(tr.tidy) else None  # no rows: no amounts to describe
    if a is not None:
        spec = next(x for x in tr.scheme.doc.amounts if x.field == a["field"])
        lines.append(
            _lead(
                t("trends.method.lead.amounts"),
                t("trends.method.amounts", label=esc(scheme_text(spec, "label")))
                + " "
                + _amount_test_sentence(a),
            )
        )
    complete = (
        t("trends.method.complete.project")
        if tr.scheme.unit == "project"
        else t("trends.method.complete.application")
    )
    lines += [
        _lead(t("trends.method.lead.complete"), complete),
        _lead(t("trends.method.lead.counties"), _county_method(tr)),
        _lead(
            t("trends.method.lead.suppression"),
            esc(disclosure.trends_method_text(tr.scheme.doc, RULE)),
        ),
    ]
    reg = tr.scheme.doc.trends.regression
    if reg is not None:
        outcome = next(c for c in tr.scheme.doc.combined_shares if c.key == reg.outcome)
        fields = {
            "outcome": esc(scheme_text(outcome, "label").lower()),
            "the": tr.scheme.words()[2],
        }
        assessable = scheme_text(outcome, "assessable")
        said = (
            t("trends.method.regression_assessable", assessable=esc(assessable), **fields)
            if assessable
            else t("trends.method.regression", **fields)
        )
        lines.append(_lead(t("trends.method.lead.regression"), said))
    return MarkdownText("\n\n".join(lines))


def _lead(lead: str, body: str) -> str:
    """A paragraph of the method with its lead-in in bold: «**Trend.** For hver andel …»."""
    return f"**{lead}** {body}"


def _amount_test_sentence(a: dict) -> str:
    """How the years' amounts were compared: the rank test used, or why there is none."""
    if a["test"]["method"] is not None:
        return t("trends.amounts.tested", test=wording.test_name(a))
    with_amounts = [y for y, s in sorted(a["by_year"].items()) if s["n"]]
    if len(with_amounts) == 1:
        return t("trends.amounts.untested_one_year", year=with_amounts[0])
    if not with_amounts:
        return t("trends.amounts.untested_no_year")
    return t("trends.amounts.untested_equal")


def _amount_test_note(a: dict) -> str:
    """The amounts table's note on the test between the years (``p = 0,068``, ``p < 0,001``)."""
    if a["test"]["method"] is None:
        return _amount_test_sentence(a)
    return t(
        "trends.amounts.test_note",
        test=wording.test_name(a),
        p=formats.p_equals(a["test"]["p_value"]),
    )


def _county_method(tr: Trends) -> str:
    """How the rows are placed in the counties of the last year: by municipality codes, and by
    names where the scheme has them, across the county changes within the years covered."""
    last, unit = tr.years[-1], tr.scheme.unit
    named = bool(tr.scheme.fields_of_type("municipality_names", "municipality_list"))
    fields = {
        "last": last,
        "each": formats.unit_form(unit, "each").capitalize(),
        "the": tr.scheme.words()[2].capitalize(),
        "unplaced": disclosure.row_label(disclosure.UNPLACED_NB),
    }
    out = (
        t("trends.method.counties_by_name", **fields)
        if named
        else t("trends.method.counties", **fields)
    )
    changes = geography.county_change_years(tr.years[0], last)
    if changes:
        out += " " + t("trends.method.counties_changes", years=join_list([str(y) for y in changes]))
    return out


def _share_labels(tr: Trends) -> dict[str, dict[str, str]]:
    """Each share's label (``label``: in the document's language) and its group
    (:func:`evalkit.metrics.share_labels`)."""
    from evalkit.metrics import share_labels

    return share_labels(tr.scheme)


def _labels(tr: Trends) -> dict[str, str]:
    return {k: v["label"] for k, v in _share_labels(tr).items()}


def trend_figures(tr: Trends) -> list[Figure]:
    long = trends.shares_long(tr)
    who = tr.scheme.words()[2]
    figs = []
    for spec in tr.scheme.doc.trends.figures:
        group, name = spec.group, scheme_text(spec, "title")
        g = long[long["group"] == group].dropna(subset=["share"])
        if len(g):
            title_ = f"{name} {tr.years[0]}–{tr.years[-1]}"
            figs.append(
                _figure(
                    tr,
                    "trend_" + piece_name(group),
                    title_,
                    plots.trend(g, ylabel=t("plot.axis.share_of", the=who)),
                    text.alt_trend(g, title=title_),
                    [t("trends.figure.bands")],
                )
            )
    return figs


def trend_table(tr: Trends) -> Table:
    long = trends.shares_long(tr)
    by_year = trends.shares_by_year(tr)
    records = trends.trend_tests(tr)
    tests = {r["metric"]: r for r in records}
    labels = _labels(tr)
    alpha = formats.fmt_dec(trends.TREND_ALPHA, 2)
    rows = []
    for key in long["key"].drop_duplicates():
        row = {"": labels.get(key, key)}
        for y in tr.years:
            share = by_year.get(key, {}).get(str(y))
            row[str(y)] = fmt_pct(share["share"]) if share else "–"
        test = tests.get(key)
        dep = (test or {}).get("departure") or {}
        row |= {
            t("trends.table.trend.z"): formats.fmt_dec(test["statistic"], 2) if test else "–",
            t("trends.table.trend.p_holm"): fmt_p(test["p_adjusted"]) if test else "–",
            t("trends.table.trend.departure"): (
                t(
                    "trends.table.trend.departure_cell",
                    chi2=formats.fmt_dec(dep["chi2_departure"], 2),
                    df=fmt_int(dep["df_departure"]),
                )
                if dep.get("chi2_departure") is not None
                else "–"
            ),
            t("trends.table.trend.p_departure"): fmt_p(dep.get("p_value")) if test else "–",
            t("trends.table.trend.verdict"): wording.trend_verdict_words(
                test["verdict"] if test else None
            ),
        }
        rows.append(row)
    data = pd.DataFrame(
        [
            {k: v for k, v in r.items() if k != "departure"}
            | {f"departure_{k}": v for k, v in (r.get("departure") or {}).items()}
            for r in records
        ]
    )
    notes = [t("trends.table.trend.note", alpha=alpha)]
    table = Table(
        "trender",
        t("trends.table.trend.title"),
        pd.DataFrame(rows),
        data,
        notes=notes,
    )
    return _table(tr, table)


def amounts_figure(tr: Trends) -> Figure | MarkdownText:
    """The amount of the YAML's ``trends.amount`` per row, one box plot per year."""
    a = trends.amounts(tr)
    if a is None:
        return MarkdownText("")
    spec = next(x for x in tr.scheme.doc.amounts if x.field == a["field"])
    rows = tr.tidy[tr.tidy[spec.among].fillna(False)] if spec.among else tr.tidy
    data = pd.DataFrame({"year": rows["year"], "amount_nok": rows[a["field"]]}).dropna()
    title_ = f"{scheme_text(spec, 'label')} {tr.years[0]}–{tr.years[-1]}"
    return _figure(
        tr,
        "belop_per_ar",
        title_,
        plots.amounts_by_year(data.astype({"amount_nok": float})),
        text.alt_amounts(a["by_year"], title=title_),
        [t("trends.figure.boxes", many=tr.scheme.words()[1])],
    )


def _amounts_missing_note(by_year: dict, words: tuple[str, str, str]) -> str | None:
    """«Beløpet mangler for 1 prosjekt i 2019 og 1 prosjekt i 2024: …», or None when every
    row of every year has its amount (the table's count is then the year's count)."""
    one, many, the = words
    parts = [
        t(
            "trends.amounts.missing_in_year",
            rows=f"{fmt_int(s['missing'])} {one if s['missing'] == 1 else many}",
            year=y,
        )
        for y, s in sorted(by_year.items())
        if s["missing"]
    ]
    if not parts:
        return None
    return t(
        "trends.amounts.missing_note", parts=join_list(parts), column=many.capitalize(), the=the
    )


def amounts_table(tr: Trends) -> Table | MarkdownText:
    a = trends.amounts(tr)
    if a is None:
        return MarkdownText("*" + t("trends.amounts.none") + "*")
    spec = next(x for x in tr.scheme.doc.amounts if x.field == a["field"])
    year, count = t("trends.table.amounts.year"), tr.scheme.words()[1].capitalize()
    amounts = [
        t("trends.table.amounts.q1"),
        t("trends.table.amounts.median"),
        t("trends.table.amounts.q3"),
    ]
    rows = [
        {
            year: str(y),
            count: fmt_int(s["n"]),
            **dict(zip(amounts, (fmt_nok(s[q]) for q in ("q1", "median", "q3")), strict=True)),
        }
        for y, s in sorted(a["by_year"].items())
    ]
    notes = [_amount_test_note(a)]
    missing = _amounts_missing_note(a["by_year"], tr.scheme.words())
    table = Table(
        "belop_per_ar",
        t("trends.table.amounts.title", label=scheme_text(spec, "label")),
        pd.DataFrame(rows),
        pd.DataFrame(rows),
        notes=[missing, *notes] if missing else notes,
        # amounts are numbers also where the krone's sign comes first («NOK 70,000»)
        align={year: "txt", count: "num", **dict.fromkeys(amounts, "num")},
    )
    return _table(tr, table)


def county_table(tr: Trends) -> Table:
    """Projects per county and year in the last year's counties, suppressed jointly with the
    county tables of the year documents (:func:`evalkit.trends.county_suppression`)."""
    table, sup = trends.county_suppression(tr)
    count = tr.scheme.words()[1].capitalize()
    years = list(table.columns)
    display = sup.display(formatters=dict.fromkeys(years, fmt_int))
    display = display.rename(index=disclosure.row_label).reset_index()
    display = display.rename(columns={"county_name": t("trends.table.county.county")})
    data = table.astype(object).mask(sup.mask, RULE.symbol).reset_index()
    last = tr.years[-1]
    common = trends.by_common_county(tr)
    note = county_note(
        common["placed"],
        tr.scheme.unit,
        last,
        common["county_change_years"],
        total=common["n_rows"],
    )
    table = Table(
        "fylker_over_tid",
        t("trends.table.county.title", count=count, last=last),
        display,
        data,
        sup.footnote,
        notes=[note],
    )
    return _table(tr, table)


def county_note(
    placed: dict[str, int],
    unit: str,
    last: int,
    changes: list[int],
    *,
    total: int | None = None,
) -> str:
    """The county table's note: which counties, across which changes, and how many rows were
    placed by municipality code, by name, and not at all (:func:`evalkit.trends.placement`);
    ``total``: all the rows (metrics.json's ``by_common_county.n_rows``; by default the sum of
    ``placed``)."""
    each = formats.unit_form(unit, "each").capitalize()
    if changes:
        years = join_list([str(y) for y in changes])
        out = t("trends.county_note.placed_changes", each=each, last=last, years=years)
    else:
        out = t("trends.county_note.placed", each=each, last=last)
    out += " " + t("trends.county_note.followed", last=last)
    total = sum(placed.values()) if total is None else total
    if not total:
        return out
    fields = {"the": the_units(total, unit), "by_code": fmt_int(placed["by_code"])}
    if placed["by_name"]:
        out += " " + t(
            "trends.county_note.by_code_and_name", by_name=fmt_int(placed["by_name"]), **fields
        )
    else:
        out += " " + t("trends.county_note.by_code", **fields)
    unplaced = []
    if placed["several_counties"]:
        rows = units(placed["several_counties"], unit)
        unplaced.append(t("trends.county_note.several_counties", rows=rows))
    if placed["no_municipality"]:
        rows = units(placed["no_municipality"], unit)
        unplaced.append(t("trends.county_note.no_municipality", rows=rows))
    if unplaced:
        out += " " + t(
            "trends.county_note.unplaced",
            rows=join_list(unplaced),
            label=disclosure.row_label(disclosure.UNPLACED_NB),
        )
    return out


def regression(tr: Trends) -> list[Table | MarkdownText]:
    """The YAML's ``trends.regression``: its heading and its table (nothing when it sets
    none). Show each in turn."""
    spec = tr.scheme.doc.trends.regression
    if spec is None:
        return []
    return [MarkdownText(f"## {esc(scheme_text(spec, 'title'))}"), regression_table(tr)]


def regression_table(tr: Trends) -> Table | MarkdownText:
    res = trends.regression(tr)
    if res is None:
        return MarkdownText("")
    spec = tr.scheme.doc.trends.regression
    outcome = next(c for c in tr.scheme.doc.combined_shares if c.key == spec.outcome)
    labels = {p.name: scheme_text(p, "label") for p in spec.predictors}
    rows = [
        {
            "": labels.get(p["name"], p["name"]),
            t("trends.table.regression.odds_ratio"): formats.fmt_dec(p["odds_ratio"], 2),
            t("trends.table.regression.ci"): t(
                "trends.table.regression.ci_cell",
                low=formats.fmt_dec(p["ci_low"], 2),
                high=formats.fmt_dec(p["ci_high"], 2),
            ),
            t("trends.table.regression.p"): fmt_p(p["p_value"]),
        }
        for p in res["predictors"]
    ]
    outcome_label = scheme_text(outcome, "label").lower()
    notes = [
        t(
            "trends.regression.counts",
            rows=units(res["n"], tr.scheme.unit),
            events=fmt_int(res["events"]),
            outcome=outcome_label,
        )
    ]
    if k := res["n_excluded_missing"]:
        one, many, _ = tr.scheme.words()
        notes.append(
            tn(
                "trends.regression.excluded",
                k,
                rows=f"{fmt_int(k)} {one if k == 1 else many}",
                used=fmt_int(res["n"]),
                total=fmt_int(res["n_rows"]),
            )
        )
    if assessable := scheme_text(outcome, "assessable"):
        notes.append(
            t("trends.regression.denominator", the=tr.scheme.words()[2], assessable=assessable)
        )
    notes += wording.regression_warnings(res, tr.scheme.unit, labels)
    table = Table(
        "regresjon",
        scheme_text(spec, "label"),
        pd.DataFrame(rows),
        pd.DataFrame(res["predictors"]),
        notes=notes,
    )
    return _table(tr, table)


def save(tr: Trends, output_dir: str) -> None:
    """Write metrics.json (every figure of the document, :func:`evalkit.trends.trends_metrics`),
    data_quality.csv and tables.xlsx (the tables shown, in their order, with their numbers)."""
    if not output_dir:
        return None
    from pathlib import Path

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths.write_atomic(out / "metrics.json", metrics_json(trends.trends_metrics(tr)))
    inert.write_csv(out / "data_quality.csv", tr.data_quality)
    registry = numbering(tr)
    warn_referred_not_shown(registry)
    excel.write_workbook(out / "tables.xlsx", [piece.sheet() for piece in registry.shown_tables()])
    return None
