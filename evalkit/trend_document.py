"""The pieces of the trends document (every year of one scheme), ready to display."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from evalkit import excel, inert, paths, plots, text, trends, wording
from evalkit.disclosure import suppress
from evalkit.document import RULE, Figure, Table, numbering, source_line
from evalkit.evaluation import metrics_json
from evalkit.text import esc, fmt_int, fmt_nok, fmt_p, fmt_pct
from evalkit.trends import Trends

#: Share groups drawn as one trend figure each, with their Norwegian titles.
FIGURE_GROUPS = {
    "frisklivs_lms": [
        ("samarbeid", "Samarbeid"),
        ("målgruppe", "Målgruppe"),
        ("tilbud", "Type tilbud"),
        ("aktører", "Aktører involvert"),
        ("delmål", "Delmål"),
        ("måloppnåelse", "Måloppnåelse"),
    ],
    "samhandling": [
        ("tildeling", "Andel innvilgede søknader"),
        ("samarbeid", "Samarbeid"),
        ("kategori", "Kategori"),
    ],
}


def title(tr: Trends) -> Markdown:
    return Markdown(f"# {esc(tr.scheme.title_nb)}: utviklingen {tr.years[0]}–{tr.years[-1]}")


def _source(tr: Trends) -> str:
    return source_line(tr.scheme.unit, f"{tr.years[0]}–{tr.years[-1]}", synthetic=tr.synthetic)


def _table(tr: Trends, table: Table) -> Table:
    table.number = numbering(tr).table(table.name)
    table.source = _source(tr)
    return table


def _figure(tr: Trends, name: str, title: str, fig, alt: str, notes=()) -> Figure:
    return Figure(name, title, fig, alt, numbering(tr).figure(name), _source(tr), list(notes))


def banner(tr: Trends) -> Markdown:
    if tr.synthetic:
        return Markdown(
            "<div class='evalkit-banner' role='note' style='border:3px solid #b5452f;"
            "background:#fdf0ec;color:#1a1a1a;padding:0.8em 1em;'>"
            "<strong>SYNTETISKE DATA.</strong> Dette dokumentet er laget fra syntetiske demodata "
            "generert av <code>evalkit demo</code>, ikke fra reelle rapporter. Bare de publiserte "
            f"totaltallene er virkelige. Datagrunnlag: <code>{esc(tr.data_dir)}</code>.</div>"
        )
    return Markdown(f"<p><em>Datagrunnlag: <code>{esc(tr.data_dir)}</code>.</em></p>")


def summary(tr: Trends) -> Markdown:
    y0, y1 = tr.years[0], tr.years[-1]
    m0, m1 = tr.metrics[y0], tr.metrics[y1]
    count = "n_projects" if tr.scheme.unit == "project" else "n_applications"
    word = "prosjekter" if tr.scheme.unit == "project" else "søknader"
    parts = [
        f"Dokumentet dekker {len(tr.years)} år, {y0}–{y1}: fra {fmt_int(m0[count])} {word} i {y0} "
        f"til {fmt_int(m1[count])} i {y1}."
    ]
    parts += _trend_sentences(tr)
    return Markdown(" ".join(parts))


def _trend_sentences(tr: Trends) -> list[str]:
    """«Andelen økte …» only where the trend test holds after Holm and the departure from a
    linear trend does not; an uneven course is called that."""
    records = trends.trend_tests(tr)
    if not records:
        return []
    from evalkit.metrics import share_labels

    labels = share_labels(tr.scheme)
    by: dict[str, list[str]] = {"increasing": [], "decreasing": [], "uneven": [], "none": []}
    for r in records:
        lab = labels.get(r["metric"], {"label_nb": r["metric"], "group": ""})
        by[trends.trend_verdict(r)].append(f"«{esc(lab['label_nb'])}» ({esc(lab['group'])})")
    out = []
    if by["increasing"]:
        out.append(f"Andelen økte jevnt over perioden for {text.join_nb(by['increasing'])}.")
    if by["decreasing"]:
        out.append(f"Andelen gikk jevnt ned for {text.join_nb(by['decreasing'])}.")
    if by["increasing"] or by["decreasing"]:
        out.append(
            "(Cochran–Armitage-test for trend, Holm-justert p under 0,05, og ikke noe "
            "signifikant avvik fra en lineær trend.)"
        )
    if by["uneven"]:
        out.append(
            f"For {text.join_nb(by['uneven'])} varierte andelen fra år til år uten en jevn trend "
            "(avviket fra en lineær trend har p under 0,05), så den har verken økt eller gått "
            "jevnt ned."
        )
    if not (by["increasing"] or by["decreasing"]):
        out.append(
            "Ingen av andelene viser en jevn økning eller nedgang over perioden når det er tatt "
            "hensyn til at mange andeler er testet."
        )
    n_table = numbering(tr).table("trender")
    out.append(f"Tabell {n_table} viser andelene år for år med testene.")
    return out


def method(tr: Trends) -> Markdown:
    lines = [
        "**Trend.** For hver andel testes det om den øker eller minker jevnt over årene med "
        "Cochran–Armitage-testen for trend, med de faktiske årstallene som skårer. p-verdiene er "
        "justert med Holms metode over alle andelene i dokumentet. Testen ser bare etter en "
        "lineær trend: kjikvadratet for alle årene deles derfor i trenden (1 frihetsgrad) og "
        "avviket fra en lineær trend (antall år minus 2 frihetsgrader). En andel sies å ha økt "
        "eller gått ned bare når trenden holder etter Holm-justering og avviket ikke er "
        "signifikant (p ≥ 0,05, ikke justert, som gjør det lettere å oppdage et avvik); ellers "
        "varierte den fra år til år uten en jevn trend.",
        "**Intervaller.** Båndene i figurene er 95 % konfidensintervaller etter Wilsons metode.",
        "**Beløp.** Tilskudd per prosjekt er beskrevet med median og kvartiler (type 7); "
        "forskjeller mellom år er testet med en rangtest (Kruskal–Wallis for flere år, "
        "Mann–Whitney for to).",
        "**Fullstendige tall.** Tallene er alle "
        + ("finansierte prosjekter" if tr.scheme.unit == "project" else "behandlede søknader")
        + ", ikke et utvalg; testene sier noe om prosessen bak tallene, ikke om "
        "utvalgsusikkerhet.",
        f"**Fylker.** Tabellen over fylker bruker fylkene slik de var i {tr.years[-1]} for alle "
        "årene: hvert prosjekt er plassert ut fra kommunenumrene, og kommuner som er slått "
        "sammen, delt eller har fått nytt nummer er fulgt fram til kommunen det året. Slik kan "
        "tallene sammenlignes også over regionreformene i 2020 og 2024.",
    ]
    if tr.scheme.unit == "project":
        lines.append(
            "**Måloppnåelse.** Sammenhengen mellom å nå målene (helt eller delvis) og kjennetegn ved "
            "prosjektene er estimert med logistisk regresjon på alle årene samlet, med år som "
            "kategorisk kovariat. Prosjekter der måloppnåelsen ikke kan vurderes er holdt utenfor. "
            "Resultatet vises som oddsforhold med 95 % Wald-intervall."
        )
    return Markdown("\n\n".join(lines))


def _labels(tr: Trends) -> dict[str, str]:
    from evalkit.metrics import share_labels

    return {k: v["label_nb"] for k, v in share_labels(tr.scheme).items()}


def trend_figures(tr: Trends) -> list[Figure]:
    long = trends.shares_long(tr)
    who = "prosjektene" if tr.scheme.unit == "project" else "søknadene"
    figs = []
    for group, name in FIGURE_GROUPS.get(tr.scheme.name, []):
        g = long[long["group"] == group].dropna(subset=["share"])
        if len(g):
            title_ = f"{name} {tr.years[0]}–{tr.years[-1]}"
            figs.append(
                _figure(
                    tr,
                    "trend_" + text.normalise_sheet(group),
                    title_,
                    plots.trend(g, ylabel=f"Andel av {who} (%)"),
                    text.alt_trend(g, title=title_),
                    ["Båndene viser 95 % konfidensintervall etter Wilsons metode."],
                )
            )
    return figs


def trend_table(tr: Trends) -> Table:
    long = trends.shares_long(tr)
    wide = long.pivot(index="key", columns="year", values="share")
    records = trends.trend_tests(tr)
    tests = {r["metric"]: r for r in records}
    labels = _labels(tr)
    verdict_nb = {
        "increasing": "økte",
        "decreasing": "gikk ned",
        "uneven": "ujevn",
        "none": "ingen jevn trend",
    }
    rows = []
    for key in long["key"].drop_duplicates():
        row = {"": labels.get(key, key)}
        for y in tr.years:
            row[str(y)] = fmt_pct(wide.loc[key, y]) if y in wide.columns else "–"
        t = tests.get(key)
        dep = (t or {}).get("departure") or {}
        row |= {
            "z": text.fmt_dec(t["statistic"], 2) if t else "–",
            "p (Holm)": fmt_p(t["p_adjusted"]) if t else "–",
            "Avvik χ² (fg)": (
                f"{text.fmt_dec(dep['chi2_departure'], 2)} ({dep['df_departure']})"
                if dep.get("chi2_departure") is not None
                else "–"
            ),
            "p (avvik)": fmt_p(dep.get("p_value")) if t else "–",
            "Utvikling": verdict_nb[trends.trend_verdict(t)] if t else "ikke testet",
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
        "«Økte» eller «gikk ned» bare når p (Holm) < 0,05 og p (avvik) ≥ 0,05; «ujevn»: "
        "avviket er signifikant."
    ]
    table = Table(
        "trender",
        "Andeler per år og Cochran–Armitage-test for trend",
        pd.DataFrame(rows),
        data,
        notes=notes,
    )
    return _table(tr, table)


def amounts_figure(tr: Trends) -> Figure:
    col = "grant_nok" if tr.scheme.unit == "project" else "granted_nok"
    t = tr.tidy if tr.scheme.unit == "project" else tr.tidy[tr.tidy["granted"].fillna(False)]
    data = pd.DataFrame({"year": t["year"], "amount_nok": t[col]}).dropna()
    title_ = f"Tilskudd per prosjekt {tr.years[0]}–{tr.years[-1]}"
    return _figure(
        tr,
        "belop_per_ar",
        title_,
        plots.amounts_by_year(data.astype({"amount_nok": float})),
        text.alt_amounts(trends.amounts(tr)["by_year"], title=title_),
        [
            "Boksen går fra nedre til øvre kvartil, streken i boksen er medianen; punktene er "
            "prosjekter langt fra de andre."
        ],
    )


def amounts_table(tr: Trends) -> Table:
    a = trends.amounts(tr)
    rows = [
        {
            "År": str(y),
            "Prosjekter": fmt_int(s["n"]),
            "Nedre kvartil": fmt_nok(s["q1"]),
            "Median": fmt_nok(s["median"]),
            "Øvre kvartil": fmt_nok(s["q3"]),
        }
        for y, s in sorted(a["by_year"].items())
    ]
    note = f"Test mellom årene: {a['test']['name']}, p = {fmt_p(a['test']['p_value'])}."
    table = Table(
        "belop_per_ar",
        "Tilskudd per prosjekt per år",
        pd.DataFrame(rows),
        pd.DataFrame(rows),
        notes=[note],
        align={"År": "txt"},
    )
    return _table(tr, table)


def county_table(tr: Trends) -> Table:
    """Projects per county and year in the last year's counties, suppressed."""
    table, n_unplaced = trends.projects_by_common_county(tr)
    count = "Prosjekter" if tr.scheme.unit == "project" else "Søknader"
    years = [str(y) for y in table.columns]
    table.columns = years
    table.index.name = "county_name"
    table.loc["I alt"] = table.sum()
    sup = suppress(table, years, rule=RULE, total_row="I alt")
    display = sup.display(formatters=dict.fromkeys(years, fmt_int))
    display = display.reset_index().rename(columns={"county_name": "Fylke"})
    data = table.astype(object).mask(sup.mask, RULE.symbol).reset_index()
    last = tr.years[-1]
    reforms = [y for y in (2018, 2020, 2024) if tr.years[0] < y <= last]
    across = (
        f"For å kunne sammenligne over regionreformene ({text.join_nb([str(y) for y in reforms])}) "
        if reforms
        else ""
    )
    note = (
        f"{across}er hvert prosjekt plassert i fylket slik fylkene var i {last}, ut fra "
        "kommunenumrene (kommuner som er slått sammen, delt eller har fått nytt nummer er fulgt "
        "til kommunen i "
        f"{last}). "
    )
    note = note[0].upper() + note[1:]
    if n_unplaced:
        note += (
            f"{fmt_int(n_unplaced)} rader uten kommunenummer eller med kommuner i flere fylker står "
            f"i raden «{trends.UNPLACED_NB}»."
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


def regression_table(tr: Trends) -> Table | Markdown:
    res = trends.goal_regression(tr)
    if res is None:
        return Markdown("*Skjemaet har ikke spørsmål om måloppnåelse.*")
    rows = [
        {
            "": trends.PREDICTOR_LABELS.get(p["name"], p["name"]),
            "Oddsforhold": text.fmt_dec(p["odds_ratio"], 2),
            "95 % KI (Wald)": f"{text.fmt_dec(p['ci_low'], 2)}–{text.fmt_dec(p['ci_high'], 2)}",
            "p": fmt_p(p["p_value"]),
        }
        for p in res["predictors"]
    ]
    notes = [
        f"{fmt_int(res['n'])} prosjekter, {fmt_int(res['events'])} nådde målene helt eller delvis."
    ]
    notes.append(
        "Nevner: prosjektene der måloppnåelsen kunne vurderes; «kan ikke vurderes» er holdt "
        "utenfor. Dokumentene for hvert år regner andelen som har nådd målene av alle som svarte."
    )
    notes += wording.regression_warnings(res)
    table = Table(
        "maloppnaelse_regresjon",
        "Oddsforhold for å nå målene (helt eller delvis)",
        pd.DataFrame(rows),
        pd.DataFrame(res["predictors"]),
        notes=notes,
    )
    return _table(tr, table)


def save(tr: Trends, output_dir: str) -> None:
    """Write metrics.json (per-year shares and trend tests) and tables.xlsx."""
    if not output_dir:
        return None
    from pathlib import Path

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "schema_version": 1,
        "scheme": tr.scheme.name,
        "years": tr.years,
        "synthetic": tr.synthetic,
        "trend_tests": trends.trend_tests(tr),
    }
    paths.write_atomic(out / "metrics.json", metrics_json(payload))
    inert.write_csv(out / "data_quality.csv", tr.data_quality)
    tables = [trend_table(tr), amounts_table(tr), county_table(tr)]
    reg = regression_table(tr)
    if isinstance(reg, Table):
        tables.append(reg)
    excel.write_workbook(out / "tables.xlsx", [t.sheet() for t in tables])
    return None
