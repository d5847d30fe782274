"""The pieces of a per-year document, ready to display: Markdown texts, tables (with
disclosure control applied) and figures.

Notebooks call these one per cell and show the result; they compute nothing themselves.
Every table here is also what goes into ``tables.xlsx``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from IPython.display import Markdown

from evalkit import plots, text, wording
from evalkit.disclosure import DisclosureRule, SuppressedTable, suppress
from evalkit.evaluation import Evaluation
from evalkit.metrics import share_labels
from evalkit.text import esc, fmt_ci, fmt_int, fmt_nok, fmt_p, fmt_pct, fmt_pp

RULE = DisclosureRule()


@dataclass
class Table:
    """A document table: display strings, the numbers behind them, and a footnote."""

    name: str
    title: str
    display: pd.DataFrame
    data: pd.DataFrame
    footnote: str | None = None
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        html = f"<p class='table-title'><strong>{esc(self.title)}</strong></p>"
        html += self.display.to_html(
            index=False, escape=True, border=0, classes="evalkit-table", na_rep="–"
        )
        for note in ([self.footnote] if self.footnote else []) + self.notes:
            html += f"<p class='footnote'><small>{esc(note)}</small></p>"
        return html

    def for_excel(self) -> pd.DataFrame:
        """Numbers where shown, the disclosure symbol where hidden."""
        return self.data


def _md(body: str) -> Markdown:
    return Markdown(body)


# --- front matter -------------------------------------------------------------------------
def title(ev: Evaluation) -> Markdown:
    if ev.scheme.unit == "project":
        head = f"# {esc(ev.scheme.title_nb)} {ev.year}"
    else:
        head = f"# {esc(ev.scheme.title_nb)}: tildelinger {ev.year}"
    return _md(head)


def banner(ev: Evaluation) -> Markdown:
    """A clear notice of which data the document rests on, and whether they are synthetic."""
    source = f"Datagrunnlag: `{esc(ev.result.path.name)}` i `{esc(ev.data_dir)}` (skjemaoppsett {esc(ev.result.layout)})."
    if ev.synthetic:
        return _md(
            "<div style='border:3px solid #c8553d;background:#fdf0ec;padding:0.8em 1em;"
            "margin:0.5em 0;font-size:1.05em'><strong>SYNTETISKE DATA.</strong> Dette dokumentet "
            "er laget fra syntetiske demodata generert av <code>evalkit demo</code>. Det er ikke "
            "reelle rapporter fra fylkene; bare de publiserte totaltallene er virkelige. "
            f"{source}</div>"
        )
    return _md(f"*{source}*")


def key_figures(ev: Evaluation) -> Table:
    m = ev.metrics
    sh = m["shares"]
    rows: list[tuple[str, str]] = []
    if ev.scheme.unit == "project":
        rows += [
            ("Fylker som har gitt tilskudd", fmt_int(m["n_counties"])),
            ("Prosjekter", fmt_int(m["n_projects"])),
            ("Kommuner nådd", fmt_int(m["n_municipalities"])),
            ("Tildelt i alt", fmt_nok(m["grant_total_nok"])),
            ("Median tilskudd per prosjekt", fmt_nok(m["grant_nok"].get("median_nok"))),
        ]
        for key, label in (
            ("collaboration", "Samarbeidsprosjekter"),
            ("intermunicipal", "Interkommunale prosjekter"),
        ):
            if key in sh:
                rows.append((label, f"{fmt_int(sh[key]['count'])} ({fmt_pct(sh[key]['share'])})"))
    else:
        g = sh["granted"]
        rows += [
            ("Søknader", fmt_int(m["n_applications"])),
            ("Innvilgede søknader", f"{fmt_int(m['n_granted'])} ({fmt_pct(g['share'])})"),
            ("Søkt beløp i alt", fmt_nok(m["applied_total_nok"])),
            ("Tildelt i alt", fmt_nok(m["granted_total_nok"])),
            ("Kommuner i innvilgede prosjekter", fmt_int(m["n_municipalities"])),
        ]
    frame = pd.DataFrame(rows, columns=["Nøkkeltall", str(ev.year)])
    return Table("nokkeltall", f"Nøkkeltall {ev.year}", frame, frame)


def summary(ev: Evaluation) -> Markdown:
    if ev.scheme.unit == "project":
        body = text.summary_frisklivs(ev.metrics, share_labels(ev.scheme))
    else:
        body = text.summary_samhandling(ev.metrics)
    return _md(body)


def method(ev: Evaluation) -> Markdown:
    """Background, purpose and method, with the numbers of this year."""
    m = ev.metrics
    rows = m["rows"]
    projects = ev.scheme.unit == "project"
    one_row = "ett prosjekt" if projects else "én søknad"
    has_checkboxes = any(spec.type == "checkbox" for spec in ev.scheme.fields.values())
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
            " For avkrysningsspørsmål (aktører, delmål) betyr tomt «ikke krysset av», og nevneren "
            "er alle prosjektene."
            if has_checkboxes
            else ""
        ),
        "**Usikkerhet.** Hver andel vises med et 95 % konfidensintervall. "
        + esc(wording.METHODS["wilson"]["description_nb"]),
        f"**Fullstendige tall.** Tallene omfatter {counted}, ikke et utvalg. Intervaller og "
        "tester sier derfor noe om prosessen som har frambrakt tallene (hvor mye en andel kunne "
        "variert fra år til år av tilfeldige grunner), ikke om usikkerhet fra utvalg.",
        f"**Skjerming.** I tabeller på fylkesnivå vises antall på 1 og 2 som «{RULE.symbol}», og "
        "flere celler skjules der det trengs for at de skjulte tallene ikke skal kunne regnes ut "
        "fra summene (sekundærskjerming).",
    ]
    if m.get("comparisons"):
        names = sorted({c["test"] for c in m["comparisons"]})
        lines.append(
            "**Sammenligning med tidligere år.** Forskjellen mellom to års andeler vises i "
            "prosentpoeng med 95 % konfidensintervall etter Newcombes hybride score-metode. "
            "Hver forskjell testes med Pearsons kjikvadrattest uten kontinuitetskorreksjon når "
            "alle forventede antall er minst 5, ellers med Fishers eksakte test (tosidig); her "
            f"er brukt {esc(text.join_nb(names))}. p-verdiene er justert med Holms metode over "
            f"alle de {len(m['comparisons'])} sammenligningene i dokumentet. Effektstørrelsen "
            "er Cohens h."
        )
    return _md("\n\n".join(lines))


# --- results ------------------------------------------------------------------------------
def _county_frame(ev: Evaluation) -> pd.DataFrame:
    by = pd.DataFrame(ev.metrics["by_county"])
    by["county_name"] = by["county_name"].astype(str)
    return by


def _county_suppression(ev: Evaluation) -> tuple[pd.DataFrame, SuppressedTable, dict[str, str]]:
    """The county table with its «I alt» row, the cells hidden in it, and the column titles.

    The table and the county figures show the same counts, so they hide the same cells: a
    figure that showed a count hidden in the table only as secondary suppression would let the
    reader work out the primary one from the table's total.
    """
    by = _county_frame(ev)
    if ev.scheme.unit == "project":
        cols = {
            "county_name": "Fylke",
            "n_projects": "Prosjekter",
            "n_municipalities": "Kommuner",
            "grant_nok": "Tildelt (kr)",
        }
        counts = ["n_projects"]
        linked = {"n_projects": ["grant_nok", "n_municipalities"]}
    else:
        by["award_rate"] = by["n_granted"] / by["n_applications"].where(by["n_applications"] > 0)
        cols = {
            "county_name": "Fylke",
            "n_applications": "Søknader",
            "n_granted": "Innvilget",
            "award_rate": "Andel innvilget",
            "applied_nok": "Søkt (kr)",
            "granted_nok": "Tildelt (kr)",
        }
        counts = ["n_applications", "n_granted"]
        linked = {
            "n_granted": ["granted_nok", "award_rate"],
            "n_applications": ["applied_nok", "award_rate"],
        }
    table = by[list(cols)].set_index("county_name")
    total = table.drop(columns=[c for c in ("award_rate",) if c in table]).sum(numeric_only=True)
    table.loc["I alt"] = total
    if "award_rate" in table:
        table.loc["I alt", "award_rate"] = total["n_granted"] / total["n_applications"]
    sup = suppress(table, counts, rule=RULE, total_row="I alt", linked=linked)
    return table, sup, cols


def county_table(ev: Evaluation) -> Table:
    """Projects (or applications), grants and municipalities per county, suppressed."""
    table, sup, cols = _county_suppression(ev)
    fmt = {c: fmt_int for c in table.columns}
    if "award_rate" in table:
        fmt["award_rate"] = fmt_pct
    display = sup.display(formatters=fmt).reset_index().rename(columns=cols)
    data = table.astype(object).mask(sup.mask, RULE.symbol).reset_index().rename(columns=cols)
    title_ = (
        "Prosjekter, kommuner og tilskudd per fylke"
        if ev.scheme.unit == "project"
        else "Søknader og tildelinger per fylke"
    )
    return Table("fylker", f"{title_} {ev.year}", display, data, sup.footnote)


def county_figures(ev: Evaluation) -> list:
    """Projects (or granted applications) and amounts per county, with the cells hidden in the
    county table hidden here too."""
    by = _county_frame(ev)
    _, sup, _ = _county_suppression(ev)
    mask = sup.mask.iloc[: len(by)].reset_index(drop=True)  # the body rows, in ``by`` order
    known = by["county_code"].notna().to_numpy()
    by = by[known].reset_index(drop=True)
    mask = mask[known].reset_index(drop=True)
    if ev.scheme.unit == "project":
        count, amount, what = "n_projects", "grant_nok", "Antall prosjekter"
    else:
        count, amount, what = "n_granted", "granted_nok", "Antall innvilgede søknader"
    return [
        plots.bar_by_county(
            by, count, title=f"{what} per fylke {ev.year}", xlabel=what, hidden=mask[count]
        ),
        plots.bar_by_county(
            by,
            amount,
            title=f"Tildelt beløp per fylke {ev.year} (kr)",
            xlabel="Kroner",
            hidden=mask[amount],
        ),
    ]


def shares_frame(ev: Evaluation, group: str) -> pd.DataFrame:
    labels = share_labels(ev.scheme)
    rows = []
    for key, s in ev.metrics["shares"].items():
        if labels.get(key, {}).get("group") == group:
            rows.append({"key": key, "label": labels[key]["label_nb"], **s})
    return pd.DataFrame(rows)


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
    return Table(name, f"{title} {ev.year}", display, data)


def shares_figure(ev: Evaluation, group: str, title: str):
    return plots.shares_with_ci(shares_frame(ev, group), title=f"{title} {ev.year}")


def amounts_table(ev: Evaluation) -> Table:
    m = ev.metrics
    blocks = (
        [("Tildelt per prosjekt", m["grant_nok"])]
        if ev.scheme.unit == "project"
        else [
            ("Søkt per søknad", m["applied_nok"]),
            ("Tildelt per innvilget søknad", m["granted_nok"]),
        ]
    )
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
    return Table(
        "belop",
        f"Beløp {ev.year}",
        pd.DataFrame(rows),
        data,
        notes=["Kvartiler etter lineær interpolasjon (Hyndman og Fan type 7)."],
    )


def category_table(ev: Evaluation) -> Table:
    """Samhandling: applications and grants per project category (national level)."""
    by = pd.DataFrame(ev.metrics["by_category"])
    by["award_rate"] = by["n_granted"] / by["n_applications"].where(by["n_applications"] > 0)
    display = pd.DataFrame(
        {
            "Kategori": by["category_name"],
            "Søknader": by["n_applications"].map(fmt_int),
            "Innvilget": by["n_granted"].map(fmt_int),
            "Andel innvilget": by["award_rate"].map(fmt_pct),
            "Søkt": by["applied_nok"].map(fmt_nok),
            "Tildelt": by["granted_nok"].map(fmt_nok),
        }
    )
    return Table("kategorier", f"Søknader og tildelinger per kategori {ev.year}", display, by)


def funded_projects(ev: Evaluation) -> Table:
    """Samhandling: the funded projects county by county, as the ministry listed them."""
    t = ev.tidy
    g = t[t["granted"].fillna(False)].sort_values(
        ["county_name", "applicant", "project_name"], kind="stable"
    )
    data = pd.DataFrame(
        {
            "Fylke": g["county_name"].fillna("Ukjent fylke"),
            "Søker": g["applicant"].fillna(""),
            "Prosjekt": g["project_name"].fillna(""),
            "Kategori": g["category"].map(
                {t_.code: t_.label_nb for t_ in ev.scheme.vocabularies["category"].terms}
            ),
            "Tildelt (kr)": g["granted_nok"],
        }
    )
    display = data.assign(**{"Tildelt (kr)": data["Tildelt (kr)"].map(fmt_int)})
    return Table(
        "innvilgede_prosjekter",
        f"Fylkesvis liste over prosjekter som fikk støtte {ev.year}",
        display,
        data,
    )


def applied_granted_figure(ev: Evaluation):
    """Granted against applied amount, one point per granted application."""
    tidy = ev.result.tidy
    granted = tidy[tidy["granted"].fillna(False)][["applied_nok", "granted_nok"]].dropna()
    return plots.applied_vs_granted(
        granted, title=f"Søkt og tildelt beløp for innvilgede søknader {ev.year}"
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
    return Table(
        "sokt_og_tildelt",
        f"Søkt og tildelt for innvilgede søknader {ev.year}",
        frame,
        pd.DataFrame([{**{k: v for k, v in a.items() if k not in ("ratio", "test")}, **r}]),
        notes=notes,
    )


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
        f"Tallene er alle {'prosjektene' if ev.scheme.unit == 'project' else 'søknadene'} i "
        "året, så testen sier noe om prosessen bak tallene."
    ]
    return Table(
        "forskjeller_mellom_grupper",
        f"Forskjeller mellom {'fylker' if ev.scheme.unit == 'project' else 'fylker og kategorier'}"
        f" {ev.year}",
        display,
        g,
        notes=notes,
    )


def comparison_table(ev: Evaluation) -> Table | Markdown:
    comps = ev.metrics.get("comparisons") or []
    if not comps:
        return _md("*Ingen tidligere år å sammenligne med i dataene.*")
    labels = share_labels(ev.scheme)
    c = pd.DataFrame(comps)
    display = pd.DataFrame(
        {
            "": c["metric"].map(lambda k: labels.get(k, {}).get("label_nb", k)),
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
                f"{fmt_pp(lo)} til {fmt_pp(hi)}"
                for lo, hi in zip(c["diff_ci_low"], c["diff_ci_high"], strict=True)
            ],
            "Test": c["test"],
            "p": c["p_value"].map(fmt_p),
            "p (Holm)": c["p_adjusted"].map(fmt_p),
            "Cohens h": c["effect_size_h"].map(lambda h: text.fmt_dec(h, 2)),
        }
    )
    return Table("sammenligning", f"{ev.year} sammenlignet med tidligere år", display, c)


# --- appendix -----------------------------------------------------------------------------
def quality_summary(ev: Evaluation) -> Markdown:
    rows = ev.metrics["rows"]
    dq = ev.data_quality
    flagged = dq[dq["action"] != "excluded"]
    body = (
        f"Filen har {fmt_int(rows['read'])} rader. {fmt_int(rows['kept'])} er med i analysen og "
        f"{fmt_int(len(rows['excluded']))} er holdt utenfor. {fmt_int(len(flagged))} celler er "
        "merket: verdier som ikke kunne leses er satt som manglende, og verdier som er rettet "
        "(for eksempel et fylke fra en annen periode) er oppgitt med hva de ble rettet til. "
        "Personopplysninger (kontaktperson, e-post, telefon) leses ikke inn."
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
    return Table("datakvalitet", "Merkede celler og rader holdt utenfor", display, dq, notes=notes)


def tables(ev: Evaluation) -> dict[str, pd.DataFrame]:
    """Every table of the document, for ``tables.xlsx`` (suppression applied)."""
    out: list[Table] = [key_figures(ev), county_table(ev)]
    for spec in ev.scheme.shares:
        out.append(shares_table(ev, spec.group, spec.label_nb))
    out.append(amounts_table(ev))
    if ev.scheme.unit != "project":
        out += [category_table(ev), applied_granted_table(ev), funded_projects(ev)]
    out.append(group_tests_table(ev))
    comp = comparison_table(ev)
    if isinstance(comp, Table):
        out.append(comp)
    out.append(quality_table(ev))
    seen: dict[str, pd.DataFrame] = {}
    for t in out:
        seen.setdefault(t.name, t.for_excel())
    return seen


def save(ev: Evaluation, output_dir: str) -> Markdown | None:
    """Write metrics.json, data_quality.csv and tables.xlsx when an output folder is given."""
    if not output_dir:
        return None
    ev.save(output_dir, tables=tables(ev))
    return None


#: Facts about the samhandling years that are not in the data, stated in the document.
SAMHANDLING_NOTES = {
    2010: "Antall søknader i 2010 er ikke publisert; søknadstallene i demodataene er syntetiske.",
    2011: (
        "Rammen i 2011 var 133 millioner kroner, fordelt i to runder. Fire millioner kroner gikk "
        "til KS (råd til kommunene) og ikke til et prosjekt; de er ikke med i prosjektdataene. "
        "Antall søknader i 2011 er ikke publisert; søknadstallene i demodataene er syntetiske."
    ),
}


def samhandling_notes(ev: Evaluation) -> Markdown:
    note = SAMHANDLING_NOTES.get(ev.year)
    return _md(f"*{note}*" if note else "")
