"""The pieces of the trends document (every year of one scheme), ready to display.

As in the per-year document (:mod:`evalkit.document.year`), a table or figure takes its number
when it is shown, ``tables.xlsx`` holds the tables shown, and a researcher's own figure and
table are :func:`figure` and :func:`table` (:mod:`evalkit.document.numbered`)."""

from __future__ import annotations

import pandas as pd

from evalkit import disclosure, formats, geography, inert, paths, stats, trends, wording
from evalkit.document import excel, plots, text
from evalkit.document.counters import numbering, warn_referred_not_shown
from evalkit.document.numbered import RULE, Figure, Table, begin, document_source, piece_name
from evalkit.document.numbered import figure as figure  # re-exported: tdoc.figure(fig, …)
from evalkit.document.numbered import table as table  # re-exported: tdoc.table(frame, title=…)
from evalkit.document.text import MarkdownText, esc
from evalkit.evaluation import metrics_json
from evalkit.formats import fmt_int, fmt_nok, fmt_p, fmt_pct, the_units, units
from evalkit.trends import Trends


def title(tr: Trends) -> MarkdownText:
    """The document's title; the document becomes the one a researcher's own figures and
    tables go into (:func:`evalkit.document.counters.current`)."""
    begin(tr)
    return MarkdownText(f"# {esc(tr.scheme.title_nb)}: utviklingen {tr.years[0]}–{tr.years[-1]}")


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
            "<strong>SYNTETISKE DATA.</strong> Dette dokumentet er laget fra syntetiske demodata "
            "generert av <code>evalkit demo</code>, ikke fra reelle rapporter. Bare de publiserte "
            f"totaltallene er virkelige. Datagrunnlag: {where}.</div>"
        )
    return MarkdownText(f"<p><em>Datagrunnlag: {where}.</em></p>")


def summary(tr: Trends) -> MarkdownText:
    y0, y1 = tr.years[0], tr.years[-1]
    m0, m1 = tr.metrics[y0], tr.metrics[y1]
    count = tr.scheme.count_key
    parts = [
        f"Dokumentet dekker {fmt_int(len(tr.years))} år, {y0}–{y1}: fra "
        f"{units(m0[count], tr.scheme.unit)} i {y0} til {fmt_int(m1[count])} i {y1}."
    ]
    parts += _trend_sentences(tr)
    return MarkdownText(" ".join(parts))


#: The summary's sentence for each verdict of :func:`evalkit.stats.trend_verdict` that names
#: a change ({names}: the shares, joined); «no_change» is said of the rest.
_VERDICT_SENTENCE_NB = {
    "increase": "Andelen økte over perioden for {names}.",
    "decrease": "Andelen gikk ned over perioden for {names}.",
    "increase_uneven": "Andelen økte over perioden, men ikke jevnt fra år til år, for {names}.",
    "decrease_uneven": (
        "Andelen gikk ned over perioden, men ikke jevnt fra år til år, for {names}."
    ),
    "uneven": "For {names} endret andelen seg fra år til år, men ikke i én retning.",
}


def _trend_sentences(tr: Trends) -> list[str]:
    """What the trend tests let the summary say, read from each record's ``verdict``
    (:func:`evalkit.stats.trend_verdict`): a rise or a fall only where the trend holds after
    Holm, «men ikke jevnt» where the departure from a linear trend is significant as well, and
    never «jevnt» (no test here shows a steady change)."""
    records = trends.trend_tests(tr)
    if not records:
        return []
    alpha = formats.fmt_dec(trends.TREND_ALPHA, 2)
    from evalkit.metrics import share_labels

    labels = share_labels(tr.scheme)
    by: dict[str, list[str]] = {v: [] for v in stats.TREND_VERDICTS}
    for r in records:
        if r["verdict"] is None:
            continue
        lab = labels.get(r["metric"], {"label_nb": r["metric"], "group": ""})
        by[r["verdict"]].append(f"«{esc(lab['label_nb'])}» ({esc(lab['group'])})")
    out = [
        sentence.format(names=text.join_nb(by[verdict]))
        for verdict, sentence in _VERDICT_SENTENCE_NB.items()
        if by[verdict]
    ]
    if out:
        marked = [
            f"«{word}»"
            for word, verdicts in (
                ("ikke jevnt", ("increase_uneven", "decrease_uneven")),
                ("ikke i én retning", ("uneven",)),
            )
            if any(by[v] for v in verdicts)
        ]
        departure = (
            f"; der det står {' eller '.join(marked)}, har også avviket fra en lineær trend p "
            f"under {alpha}"
            if marked
            else ""
        )
        out.append(f"(Cochran–Armitage-test for trend, Holm-justert p under {alpha}{departure}.)")
    rest = len(by["no_change"])
    if out and rest:
        others = "den andre andelen" if rest == 1 else "de andre andelene"
        out.append(
            f"For {others} er det ingen sikker endring over perioden når det er tatt hensyn "
            "til at mange andeler er testet."
        )
    elif not out:
        out.append(
            "Ingen av andelene viser en sikker endring over perioden når det er tatt hensyn til "
            "at mange andeler er testet."
        )
    n_table = numbering(tr).table("trender")
    out.append(f"Tabell {n_table} viser andelene år for år med testene.")
    return out


def method(tr: Trends) -> MarkdownText:
    alpha = formats.fmt_dec(trends.TREND_ALPHA, 2)
    lines = [
        "**Trend.** For hver andel testes det om den har en lineær trend over årene med "
        "Cochran–Armitage-testen for trend, med de faktiske årstallene som skårer. p-verdiene er "
        "justert med Holms metode over alle andelene i dokumentet. En andel sies å ha økt eller "
        f"gått ned når trenden holder etter Holm-justering (p under {alpha}); ellers er det "
        "ingen sikker endring. Testen kan ikke vise at en endring var jevn: også et sprang fra "
        "ett år til det neste kan gi en signifikant trend. Kjikvadratet for alle årene deles "
        "derfor i trenden (1 frihetsgrad) og avviket fra en lineær trend (antall år minus 2 "
        f"frihetsgrader). Er også avviket signifikant (p under {alpha}, ikke justert), står "
        "det at andelen økte eller gikk ned, men ikke jevnt fra år til år; lå andelen det "
        "siste året ikke på den siden av det første årets andel som trenden peker mot, står det "
        "at den endret seg, men ikke i én retning.",
        "**Intervaller.** Båndene i figurene er 95 % konfidensintervaller etter Wilsons metode.",
    ]
    a = trends.amounts(tr) if len(tr.tidy) else None  # no rows: no amounts to describe
    if a is not None:
        spec = next(x for x in tr.scheme.doc.amounts if x.field == a["field"])
        lines.append(
            f"**Beløp.** {esc(spec.label_nb)} er beskrevet med median og kvartiler (type 7). "
            + _amount_test_sentence(a)
        )
    lines += [
        "**Fullstendige tall.** Tallene er alle "
        + ("finansierte prosjekter" if tr.scheme.unit == "project" else "behandlede søknader")
        + ", ikke et utvalg; testene sier noe om prosessen bak tallene, ikke om "
        "utvalgsusikkerhet.",
        "**Fylker.** " + _county_method(tr),
        f"**Skjerming.** {esc(disclosure.trends_method_nb(tr.scheme.doc, RULE))}",
    ]
    reg = tr.scheme.doc.trends.regression
    if reg is not None:
        outcome = next(c for c in tr.scheme.doc.combined_shares if c.key == reg.outcome)
        left_out = (
            f" Modellen er regnet på {tr.scheme.words()[2]} {outcome.assessable_nb}."
            if (outcome.assessable_nb)
            else ""
        )
        lines.append(
            f"**Regresjon.** Sammenhengen mellom «{esc(outcome.label_nb.lower())}» og "
            f"kjennetegn ved {tr.scheme.words()[2]} er estimert med logistisk regresjon på alle "
            f"årene samlet, med år som kategorisk kovariat.{esc(left_out)} Resultatet vises som "
            "oddsforhold med 95 % Wald-intervall."
        )
    return MarkdownText("\n\n".join(lines))


def _amount_test_sentence(a: dict) -> str:
    """How the years' amounts were compared: the rank test used, or why there is none."""
    if a["test"]["method"] is not None:
        return f"Forskjellen mellom årene er testet med en rangtest ({a['test']['name']})."
    with_amounts = [y for y, s in sorted(a["by_year"].items()) if s["n"]]
    if len(with_amounts) < 2:
        which = f"bare {with_amounts[0]}" if with_amounts else "ingen av årene"
        return f"Årene er ikke testet mot hverandre: {which} har beløp."
    return "Årene er ikke testet mot hverandre: alle beløpene er like."


def _amount_test_note(a: dict) -> str:
    """The amounts table's note on the test between the years (``p = 0,068``, ``p < 0,001``)."""
    if a["test"]["method"] is None:
        return _amount_test_sentence(a)
    return f"Test mellom årene: {a['test']['name']}, {formats.p_equals(a['test']['p_value'])}."


def _county_method(tr: Trends) -> str:
    """How the rows are placed in the counties of the last year: by municipality codes, and by
    names where the scheme has them, across the county changes within the years covered."""
    last, unit = tr.years[-1], tr.scheme.unit
    named = bool(tr.scheme.fields_of_type("municipality_names", "municipality_list"))
    each = formats.UNIT_FORMS_NB[unit]["each"]
    out = (
        f"Tabellen over fylker bruker fylkene slik de var i {last} for alle årene. "
        f"{each.capitalize()} er plassert i fylket ut fra kommunenumrene"
        + (", og ut fra kommunenavnet der nummeret mangler eller ikke er gyldig" if named else "")
        + f"; kommuner som er slått sammen, delt eller har fått nytt nummer, er fulgt fram til "
        f"kommunen i {last}. {tr.scheme.words()[2].capitalize()} med kommuner i flere fylker, "
        f"eller uten kjent kommune, står i en egen rad («{trends.UNPLACED_NB}»)."
    )
    changes = geography.county_change_years(tr.years[0], last)
    if changes:
        out += (
            " Slik kan tallene sammenlignes også over endringene i fylkesinndelingen i "
            f"{text.join_nb([str(y) for y in changes])}."
        )
    return out


def _labels(tr: Trends) -> dict[str, str]:
    from evalkit.metrics import share_labels

    return {k: v["label_nb"] for k, v in share_labels(tr.scheme).items()}


def trend_figures(tr: Trends) -> list[Figure]:
    long = trends.shares_long(tr)
    who = tr.scheme.words()[2]
    figs = []
    for spec in tr.scheme.doc.trends.figures:
        group, name = spec.group, spec.title_nb
        g = long[long["group"] == group].dropna(subset=["share"])
        if len(g):
            title_ = f"{name} {tr.years[0]}–{tr.years[-1]}"
            figs.append(
                _figure(
                    tr,
                    "trend_" + piece_name(group),
                    title_,
                    plots.trend(g, ylabel=f"Andel av {who} (%)"),
                    text.alt_trend(g, title=title_),
                    ["Båndene viser 95 % konfidensintervall etter Wilsons metode."],
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
        t = tests.get(key)
        dep = (t or {}).get("departure") or {}
        row |= {
            "z": formats.fmt_dec(t["statistic"], 2) if t else "–",
            "p (Holm)": fmt_p(t["p_adjusted"]) if t else "–",
            "Avvik χ² (fg)": (
                f"{formats.fmt_dec(dep['chi2_departure'], 2)} ({dep['df_departure']})"
                if dep.get("chi2_departure") is not None
                else "–"
            ),
            "p (avvik)": fmt_p(dep.get("p_value")) if t else "–",
            "Utvikling": wording.TREND_VERDICT_NB[t["verdict"] if t else None],
        }
        rows.append(row)
    data = pd.DataFrame(
        [
            {k: v for k, v in r.items() if k != "departure"}
            | {f"departure_{k}": v for k, v in (r.get("departure") or {}).items()}
            for r in records
        ]
    )
    notes = [
        "z: Cochran–Armitage-testens z (positiv: økende). p (Holm): justert over alle andelene. "
        "Avvik: kjikvadrat for avvik fra lineær trend med frihetsgrader, og p-verdien. "
        f"Utvikling: «økte» eller «gikk ned» når p (Holm) < {alpha}, ellers «ingen sikker "
        f"endring»; «men ikke jevnt fra år til år» når også p (avvik) < {alpha}; «endret seg, "
        f"men ikke i én retning» når p (avvik) < {alpha} og andelen det siste året ikke lå på "
        "den siden av det første årets andel som trenden peker mot."
    ]
    table = Table(
        "trender",
        "Andeler per år og Cochran–Armitage-test for trend",
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
    t = tr.tidy[tr.tidy[spec.among].fillna(False)] if spec.among else tr.tidy
    data = pd.DataFrame({"year": t["year"], "amount_nok": t[a["field"]]}).dropna()
    title_ = f"{spec.label_nb} {tr.years[0]}–{tr.years[-1]}"
    return _figure(
        tr,
        "belop_per_ar",
        title_,
        plots.amounts_by_year(data.astype({"amount_nok": float})),
        text.alt_amounts(a["by_year"], title=title_),
        [
            "Boksen går fra nedre til øvre kvartil, streken i boksen er medianen; punktene er "
            f"{tr.scheme.words()[1]} langt fra de andre."
        ],
    )


def _amounts_missing_note(by_year: dict, words: tuple[str, str, str]) -> str | None:
    """«Beløpet mangler for 1 prosjekt i 2019 og 1 prosjekt i 2024: …», or None when every
    row of every year has its amount (the table's count is then the year's count)."""
    one, many, the = words
    parts = [
        f"{fmt_int(s['missing'])} {one if s['missing'] == 1 else many} i {y}"
        for y, s in sorted(by_year.items())
        if s["missing"]
    ]
    if not parts:
        return None
    return (
        f"Beløpet mangler for {text.join_nb(parts)} (tomt, eller satt som manglende fordi det "
        f"ikke kunne leses; se datakvaliteten). Kolonnen «{many.capitalize()}» teller {the} med "
        "beløp; kvartilene og testen er regnet uten de andre."
    )


def amounts_table(tr: Trends) -> Table | MarkdownText:
    a = trends.amounts(tr)
    if a is None:
        return MarkdownText("*Ordningen har ingen beløp.*")
    spec = next(x for x in tr.scheme.doc.amounts if x.field == a["field"])
    rows = [
        {
            "År": str(y),
            tr.scheme.words()[1].capitalize(): fmt_int(s["n"]),
            "Nedre kvartil": fmt_nok(s["q1"]),
            "Median": fmt_nok(s["median"]),
            "Øvre kvartil": fmt_nok(s["q3"]),
        }
        for y, s in sorted(a["by_year"].items())
    ]
    notes = [_amount_test_note(a)]
    missing = _amounts_missing_note(a["by_year"], tr.scheme.words())
    table = Table(
        "belop_per_ar",
        f"{spec.label_nb} per år",
        pd.DataFrame(rows),
        pd.DataFrame(rows),
        notes=[missing, *notes] if missing else notes,
        align={"År": "txt"},
    )
    return _table(tr, table)


def county_table(tr: Trends) -> Table:
    """Projects per county and year in the last year's counties, suppressed jointly with the
    county tables of the year documents (:func:`evalkit.trends.county_suppression`)."""
    table, sup = trends.county_suppression(tr)
    count = tr.scheme.words()[1].capitalize()
    years = list(table.columns)
    display = sup.display(formatters=dict.fromkeys(years, fmt_int))
    display = display.reset_index().rename(columns={"county_name": "Fylke"})
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
        f"{count} per fylke og år (fylkene i {last})",
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
    each = formats.UNIT_FORMS_NB[unit]["each"]
    out = f"{each.capitalize()} er plassert i fylket slik fylkene var i {last}"
    if changes:
        out += (
            "; da kan tallene sammenlignes over endringene i fylkesinndelingen i "
            f"{text.join_nb([str(y) for y in changes])}"
        )
    out += (
        f". Kommuner som er slått sammen, delt eller har fått nytt nummer, er fulgt fram til "
        f"kommunen i {last}."
    )
    total = sum(placed.values()) if total is None else total
    if not total:
        return out
    out += (
        f" Av {the_units(total, unit)} er {fmt_int(placed['by_code'])} plassert ut fra "
        "kommunenummer"
    )
    if placed["by_name"]:
        out += (
            f" og {fmt_int(placed['by_name'])} ut fra kommunenavn (alle eller noen av kommunene "
            "uten gyldig nummer)"
        )
    out += "."
    unplaced = [
        f"{units(placed[key], unit)} {words}"
        for key, words in (
            ("several_counties", "med kommuner i flere fylker"),
            ("no_municipality", "uten kjent kommune"),
        )
        if placed[key]
    ]
    if unplaced:
        out += f" {text.join_nb(unplaced)} står i raden «{trends.UNPLACED_NB}»."
    return out


def regression(tr: Trends) -> list[Table | MarkdownText]:
    """The YAML's ``trends.regression``: its heading and its table (nothing when it sets
    none). Show each in turn."""
    spec = tr.scheme.doc.trends.regression
    if spec is None:
        return []
    return [MarkdownText(f"## {esc(spec.title_nb)}"), regression_table(tr)]


def regression_table(tr: Trends) -> Table | MarkdownText:
    res = trends.regression(tr)
    if res is None:
        return MarkdownText("")
    spec = tr.scheme.doc.trends.regression
    outcome = next(c for c in tr.scheme.doc.combined_shares if c.key == spec.outcome)
    rows = [
        {
            "": p["label_nb"],
            "Oddsforhold": formats.fmt_dec(p["odds_ratio"], 2),
            "95 % KI (Wald)": f"{formats.fmt_dec(p['ci_low'], 2)}–{formats.fmt_dec(p['ci_high'], 2)}",
            "p": fmt_p(p["p_value"]),
        }
        for p in res["predictors"]
    ]
    notes = [
        f"{units(res['n'], tr.scheme.unit)}, {fmt_int(res['events'])} med "
        f"«{outcome.label_nb.lower()}»."
    ]
    if k := res["n_excluded_missing"]:
        one, many, _ = tr.scheme.words()
        notes.append(
            f"{fmt_int(k)} {one if k == 1 else many} mangler svar på minst én av de forklarende "
            f"variablene og er holdt utenfor ({fmt_int(res['n'])} av {fmt_int(res['n_rows'])})."
        )
    if outcome.assessable_nb:
        notes.append(
            f"Nevner: {tr.scheme.words()[2]} {outcome.assessable_nb}. Dokumentene for hvert år "
            "regner andelen også av alle som svarte."
        )
    notes += wording.regression_warnings(
        res, tr.scheme.unit, {p.name: p.label_nb for p in spec.predictors}
    )
    table = Table(
        "regresjon",
        spec.label_nb,
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
    excel.write_workbook(out / "tables.xlsx", [t.sheet() for t in registry.shown_tables()])
    return None
