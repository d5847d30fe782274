"""The pieces of the trends document (every year of one scheme), ready to display."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from evalkit import excel, inert, plots, text, trends, wording
from evalkit.disclosure import suppress
from evalkit.document import RULE, Table
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


def banner(tr: Trends) -> Markdown:
    if tr.synthetic:
        return Markdown(
            "<div style='border:3px solid #c8553d;background:#fdf0ec;padding:0.8em 1em;'>"
            "<strong>SYNTETISKE DATA.</strong> Dette dokumentet er laget fra syntetiske demodata "
            "generert av <code>evalkit demo</code>, ikke fra reelle rapporter. Bare de publiserte "
            f"totaltallene er virkelige. Datagrunnlag: <code>{esc(tr.data_dir)}</code>.</div>"
        )
    return Markdown(f"*Datagrunnlag: `{esc(tr.data_dir)}`.*")


def _tests_frame(tr: Trends) -> pd.DataFrame:
    return pd.DataFrame(trends.trend_tests(tr))


def summary(tr: Trends) -> Markdown:
    y0, y1 = tr.years[0], tr.years[-1]
    m0, m1 = tr.metrics[y0], tr.metrics[y1]
    count = "n_projects" if tr.scheme.unit == "project" else "n_applications"
    word = "prosjekter" if tr.scheme.unit == "project" else "søknader"
    parts = [
        f"Dokumentet dekker {len(tr.years)} år, {y0}–{y1}: fra {fmt_int(m0[count])} {word} i {y0} "
        f"til {fmt_int(m1[count])} i {y1}."
    ]
    tests = _tests_frame(tr)
    if len(tests):
        sig = tests[tests["p_adjusted"] < 0.05]
        labels = _labels(tr)
        if len(sig):
            ups = [
                labels.get(k, k).lower()
                for k, z in zip(sig["metric"], sig["statistic"], strict=True)
                if z > 0
            ]
            downs = [
                labels.get(k, k).lower()
                for k, z in zip(sig["metric"], sig["statistic"], strict=True)
                if z < 0
            ]
            if ups:
                parts.append(f"Andelen har økt over perioden for {esc(text.join_nb(ups))}.")
            if downs:
                parts.append(f"Andelen har gått ned for {esc(text.join_nb(downs))}.")
            parts.append("(Cochran–Armitage-test, Holm-justert p under 0,05.)")
        else:
            parts.append(
                "Ingen av andelene viser en klar trend over perioden når det er tatt hensyn "
                "til at mange andeler er testet (Holm-justert p ≥ 0,05 for alle)."
            )
    return Markdown(" ".join(parts))


def method(tr: Trends) -> Markdown:
    lines = [
        "**Trend.** For hver andel testes det om den øker eller minker jevnt over årene med "
        "Cochran–Armitage-testen for trend, med de faktiske årstallene som skårer. p-verdiene er "
        "justert med Holms metode over alle andelene i dokumentet.",
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


def trend_figures(tr: Trends) -> list:
    long = trends.shares_long(tr)
    figs = []
    for group, name in FIGURE_GROUPS.get(tr.scheme.name, []):
        g = long[long["group"] == group].dropna(subset=["share"])
        if len(g):
            figs.append(plots.trend(g, title=f"{name} {tr.years[0]}–{tr.years[-1]}"))
    return figs


def trend_table(tr: Trends) -> Table:
    long = trends.shares_long(tr)
    wide = long.pivot(index="key", columns="year", values="share")
    tests = _tests_frame(tr).set_index("metric") if len(_tests_frame(tr)) else pd.DataFrame()
    labels = _labels(tr)
    rows = []
    for key in long["key"].drop_duplicates():
        row = {"": labels.get(key, key)}
        for y in tr.years:
            row[str(y)] = fmt_pct(wide.loc[key, y]) if y in wide.columns else "–"
        if key in tests.index:
            t = tests.loc[key]
            row |= {
                "z": text.fmt_dec(t["statistic"], 2),
                "p": fmt_p(t["p_value"]),
                "p (Holm)": fmt_p(t["p_adjusted"]),
            }
        rows.append(row)
    data = tests.reset_index() if len(tests) else pd.DataFrame()
    return Table(
        "trender", "Andeler per år og Cochran–Armitage-test for trend", pd.DataFrame(rows), data
    )


def amounts_figure(tr: Trends):
    col = "grant_nok" if tr.scheme.unit == "project" else "granted_nok"
    t = tr.tidy if tr.scheme.unit == "project" else tr.tidy[tr.tidy["granted"].fillna(False)]
    data = pd.DataFrame({"year": t["year"], "amount_nok": t[col]}).dropna()
    return plots.amounts_by_year(data.astype({"amount_nok": float}), title="Tilskudd per prosjekt")


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
    return Table(
        "belop_per_ar",
        "Tilskudd per prosjekt per år",
        pd.DataFrame(rows),
        pd.DataFrame(rows),
        notes=[note],
    )


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
    return Table(
        "fylker_over_tid",
        f"{count} per fylke og år (fylkene i {last})",
        display,
        data,
        sup.footnote,
        notes=[note],
    )


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
    notes += wording.regression_warnings(res)
    return Table(
        "maloppnaelse_regresjon",
        "Oddsforhold for å nå målene (helt eller delvis)",
        pd.DataFrame(rows),
        pd.DataFrame(res["predictors"]),
        notes=notes,
    )


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
    (out / "metrics.json").write_text(metrics_json(payload), encoding="utf-8")
    inert.write_csv(out / "data_quality.csv", tr.data_quality)
    tables = [trend_table(tr), amounts_table(tr), county_table(tr)]
    reg = regression_table(tr)
    if isinstance(reg, Table):
        tables.append(reg)
    excel.write_frames(out / "tables.xlsx", {t.name: t.for_excel() for t in tables})
    return None
