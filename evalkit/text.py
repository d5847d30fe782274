"""Norwegian (bokmål) wording and number formats for the documents.

Numbers follow Norwegian typography: a non-breaking space groups thousands
(``20 000 000``), a decimal comma (``91,7``), a non-breaking space before ``%`` and ``kr``.
Every piece of text that comes from the data (county and project names, free text) is HTML
escaped before it goes into Markdown, so a project called ``<script>`` stays text.
"""

from __future__ import annotations

import html
import math

NBSP = "\u00a0"
#: The minus sign of Norwegian typography (U+2212), not the hyphen.
MINUS = "\u2212"


def esc(text: object) -> str:
    """HTML-escape text from the data for Markdown/HTML output."""
    return html.escape(str(text), quote=True)


def fmt_int(value: float | int | None) -> str:
    """``20000000`` → ``20 000 000`` (non-breaking spaces); None/NaN → ``–``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(value):,}".replace(",", NBSP)


def fmt_dec(value: float | None, decimals: int = 1) -> str:
    """``91.74`` → ``91,7``; ``-0.05`` → ``−0,05`` (minus sign, U+2212)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and text.strip("-0,.") == "":
        text = text[1:]  # -0,0 is 0,0
    text = text.replace(",", " ").replace(".", ",").replace(" ", NBSP)
    return text.replace("-", MINUS)


def fmt_pct(share: float | None, decimals: int = 1, sign: str = f"{NBSP}%") -> str:
    """A share 0–1 as a percentage: ``0.9174`` → ``91,7 %``."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return fmt_dec(share * 100, decimals) + sign


def fmt_prosent(share: float | None, decimals: int = 1) -> str:
    """As running text uses it: ``91,7 prosent``."""
    return fmt_pct(share, decimals, sign=f"{NBSP}prosent")


def fmt_pp(diff: float | None, decimals: int = 1) -> str:
    """A difference of shares in percentage points with its sign: ``+3,2 p.p.``."""
    if diff is None or (isinstance(diff, float) and math.isnan(diff)):
        return "–"
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    return f"{sign}{fmt_dec(abs(diff) * 100, decimals)}{NBSP}p.p."


def fmt_signed(value: float | None, decimals: int = 1) -> str:
    """A number with its sign: ``+7,9``, ``−11,1``, ``0,0``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = fmt_dec(value, decimals)
    return text if text.startswith(MINUS) or text.strip("0,") == "" else f"+{text}"


def fmt_nok(value: float | int | None) -> str:
    """``20000000`` → ``20 000 000 kr``."""
    return "–" if value is None else f"{fmt_int(value)}{NBSP}kr"


def fmt_mill(value: float | int) -> str:
    """``81600000`` → ``81,6 millioner``; whole millions without decimals."""
    mill = value / 1_000_000
    text = fmt_int(mill) if abs(mill - round(mill)) < 1e-9 else fmt_dec(mill, 1)
    return f"{text}{NBSP}millioner"


def fmt_p(p: float | None) -> str:
    """A p-value: ``0,034``; below 0,001 as ``< 0,001``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    if p < 0.001:
        return f"<{NBSP}0,001"
    return fmt_dec(p, 3)


def fmt_ci(low: float | None, high: float | None, decimals: int = 1) -> str:
    """A share interval as ``(10,7–24,6)`` in percent."""
    if low is None or high is None:
        return "–"
    return f"{fmt_dec(low * 100, decimals)}–{fmt_dec(high * 100, decimals)}"


def join_nb(items: list[str]) -> str:
    """``a, b og c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def _most_and_fewest(by_county: list[dict], key: str) -> tuple[list[str], list[str]]:
    rows = [r for r in by_county if r.get("county_code") and r[key] > 0]
    if not rows:
        return [], []
    hi = max(r[key] for r in rows)
    lo = min(r[key] for r in rows)
    return (
        [esc(r["county_name"]) for r in rows if r[key] == hi],
        [esc(r["county_name"]) for r in rows if r[key] == lo],
    )


MAIN_SUBGOALS = (
    "subgoal.fremme_helse",
    "subgoal.forebygge",
    "subgoal.mestring",
    "subgoal.samhandling",
    "subgoal.utvikle_fls",
    "subgoal.ressursutnyttelse",
    "subgoal.kompetanse",
)


def summary_frisklivs(m: dict, labels: dict[str, dict[str, str]]) -> str:
    """The document's summary, written from the figures in the register of the published
    report («I 2022 har 11 fylker gitt tilskudd til totalt 109 prosjekter …»)."""
    sh = m["shares"]
    year = m["year"]
    most, fewest = _most_and_fewest(m["by_county"], "n_projects")
    parts = [
        f"I {year} har {m['n_counties']} fylker gitt tilskudd til totalt {fmt_int(m['n_projects'])} "
        f"prosjekter, til sammen {fmt_nok(m['grant_total_nok'])}. Prosjektene nådde "
        f"{fmt_int(m['n_municipalities'])} kommuner."
    ]
    if most:
        parts.append(f"Flest prosjekter var det i {join_nb(most)}, færrest i {join_nb(fewest)}.")
    collab = sh.get("collaboration")
    if collab and collab["n"]:
        parts.append(
            f"{fmt_prosent(collab['share'])} av de {fmt_int(collab['n'])} prosjektene var "
            "samarbeidsprosjekter der flere kommunale tjenester og aktører deltok."
        )
    fls, other = sh.get("actor.frisklivssentralen"), sh.get("actor.andre_kommunale")
    if fls and other:
        parts.append(
            f"Frisklivssentralen var involvert i {fmt_prosent(fls['share'])} av alle prosjektene, "
            f"andre kommunale tjenester i {fmt_prosent(other['share'])}."
        )
    inter = sh.get("intermunicipal")
    if inter and inter["n"]:
        parts.append(
            f"I {year} var det i alt {fmt_int(inter['count'])} interkommunale samarbeidsprosjekter "
            f"({fmt_prosent(inter['share'])})."
        )
    main = [sh[k]["share"] for k in MAIN_SUBGOALS if k in sh and sh[k]["share"] is not None]
    if main:
        names = join_nb([labels[k]["label_nb"].lower() for k in MAIN_SUBGOALS if k in sh])
        parts.append(
            f"Mellom {fmt_dec(min(main) * 100, 0)} og {fmt_dec(max(main) * 100, 0)} prosent av "
            f"prosjektene hadde {names} som målsetting."
        )
    fls_new, lms_new = sh.get("subgoal.etablere_fls"), sh.get("subgoal.etablere_lms")
    if fls_new and lms_new and fls_new["share"] is not None:
        few = max(fls_new["share"], lms_new["share"]) < 0.5
        lead = "Få prosjekter har" if few else "Mange prosjekter har"
        parts.append(
            f"{lead} hatt som mål å etablere kommunal frisklivssentral "
            f"({fmt_dec(fls_new['share'] * 100, 0)} prosent) eller andre kommunale lærings- og "
            f"mestringstilbud ({fmt_dec(lms_new['share'] * 100, 0)} prosent)."
        )
    reached = [sh.get("goal_achievement.oppnadd"), sh.get("goal_achievement.delvis")]
    if all(r and r["n"] for r in reached):
        n = reached[0]["n"]
        yes = reached[0]["count"] + reached[1]["count"]
        cannot = sh.get("goal_achievement.kan_ikke_vurderes")
        k = int(cannot["count"]) if cannot else 0
        sentence = (
            f"{fmt_prosent(yes / n)} av de {fmt_int(n)} prosjektene som svarte, oppga at målene "
            "helt eller delvis er nådd."
        )
        if k and n - k > 0:
            sentence += (
                f" Denne andelen er regnet av alle som svarte, også de {fmt_int(k)} der "
                f"måloppnåelsen ikke kan vurderes. Av de {fmt_int(n - k)} prosjektene der den "
                f"kunne vurderes, har {fmt_prosent(yes / (n - k))} nådd målene helt eller "
                "delvis; sammenligningen mellom fylkene bruker denne nevneren."
            )
        parts.append(sentence)
    return " ".join(parts)


def summary_samhandling(m: dict) -> str:
    """Summary in the register of the ministry's press releases («… deler ut 81,6 millioner
    til 199 samhandlingsprosjekter … I bunken med 380 søknader …»)."""
    year = m["year"]
    granted = m["shares"].get("granted", {})
    parts = [
        f"I {year} ble det delt ut {fmt_mill(m['granted_total_nok'])} kroner til "
        f"{fmt_int(m['n_granted'])} samhandlingsprosjekter.",
        f"I bunken med {fmt_int(m['n_applications'])} søknader fikk "
        f"{fmt_prosent(granted.get('share'))} tilskudd. Det ble søkt om til sammen "
        f"{fmt_mill(m['applied_total_nok'])} kroner.",
        f"De innvilgede prosjektene omfattet {fmt_int(m['n_municipalities'])} kommuner, "
        "søkerkommuner og samarbeidskommuner medregnet.",
    ]
    rounds = m.get("by_round", [])
    if len(rounds) > 1:
        text = join_nb(
            [f"{fmt_mill(r['granted_nok'])} kroner i runde {r['round']}" for r in rounds]
        )
        parts.append(f"Midlene ble fordelt i {len(rounds)} runder: {text}.")
    most, _ = _most_and_fewest(m["by_county"], "n_granted")
    if most:
        parts.append(f"Flest innvilgede prosjekter var det i {join_nb(most)}.")
    return " ".join(parts)


def normalise_sheet(name: str) -> str:
    """A group name as an ASCII sheet-name part: ``aktører`` → ``aktorer``."""
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "_"})
    return name.lower().translate(table)


# --- the statistics in words ------------------------------------------------------------------
def _share_of(count: int, n: int, year: int) -> str:
    return f"{fmt_int(count)} av {fmt_int(n)} i {year}"


def holm_sentence(comparisons: list[dict], labels: dict[str, str]) -> str:
    """How many comparisons Holm's adjustment covered, naming those that had no test."""
    tested = [c for c in comparisons if c.get("p_value") is not None]
    untested = [c for c in comparisons if c.get("p_value") is None]
    word = "sammenligningen" if len(tested) == 1 else "sammenligningene"
    out = (
        f"p-verdiene er justert med Holms metode over de {fmt_int(len(tested))} {word} som "
        "kunne testes"
    )
    out += "." if not untested else f" (av {fmt_int(len(comparisons))} i alt)."
    if untested:
        details = [
            f"{esc(labels.get(c['metric'], c['metric']))}: "
            f"{_share_of(c['count'], c['n'], c['year'])} og "
            f"{_share_of(c['other_count'], c['other_n'], c['other_year'])}"
            for c in untested
        ]
        names = join_nb([esc(labels.get(c["metric"], c["metric"])) for c in untested])
        out += (
            f" For {names} finnes ingen test, fordi andelen var 0 % eller 100 % i begge årene "
            f"({'; '.join(details)})."
        )
    return out


def comparison_lead(
    comparisons: list[dict], labels: dict[str, str], figure_no: int, table_no: int
) -> str:
    """The sentences before the year comparison: where to look, and what holds after Holm."""
    years = sorted({c["other_year"] for c in comparisons})
    year = comparisons[0]["year"]
    tested = [c for c in comparisons if c.get("p_value") is not None]
    held = [c for c in tested if c.get("p_adjusted") is not None and c["p_adjusted"] < 0.05]
    out = (
        f"Figur {figure_no} viser forskjellen mellom {year} og {join_nb([str(y) for y in years])} "
        "for hver andel, i prosentpoeng med 95 % konfidensintervall. Tabell "
        f"{table_no} gir andelene, testene og de justerte p-verdiene."
    )
    if held:
        items = join_nb(
            [f"{esc(labels.get(c['metric'], c['metric']))} {fmt_pp(c['diff'])}" for c in held]
        )
        what = "forskjell" if len(held) == 1 else "forskjeller"
        out += (
            f" Etter Holm-justering over de {fmt_int(len(tested))} testede sammenligningene "
            f"holder {fmt_int(len(held))} {what}: {items}"
        )
        out += "" if out.endswith(".") else "."
    else:
        out += (
            f" Ingen av forskjellene holder etter Holm-justering over de {fmt_int(len(tested))} "
            "testede sammenligningene."
        )
    return out


# --- alternative texts of the figures -----------------------------------------------------------
def alt_bars_by_county(by_county, value: str, hidden, *, title: str, money: bool = False) -> str:
    """«Liggende stolpediagram. Antall prosjekter per fylke 2022. Flest i Troms og Finnmark
    (16), færrest i Rogaland (4).» Only the values the figure shows."""
    fmt = fmt_nok if money else fmt_int
    shown = by_county[~hidden.to_numpy(bool)]
    shown = shown[shown[value].fillna(0) > 0]
    out = f"Liggende stolpediagram. {title}."
    if len(shown):
        hi, lo = shown[value].max(), shown[value].min()
        top = join_nb([str(n) for n in shown.loc[shown[value] == hi, "county_name"]])
        bottom = join_nb([str(n) for n in shown.loc[shown[value] == lo, "county_name"]])
        most, least = ("Høyest beløp", "lavest") if money else ("Flest", "færrest")
        out += f" {most} i {top} ({fmt(hi)}), {least} i {bottom} ({fmt(lo)})."
    n_hidden = int(hidden.sum())
    if n_hidden:
        out += f" For {fmt_int(n_hidden)} fylker er tallet skjermet og vist som «:»."
    return out


def alt_shares(shares, *, title: str) -> str:
    """Bars with intervals: the largest and the smallest share with their intervals."""
    data = shares.dropna(subset=["share"]).sort_values("share", ascending=False, kind="stable")
    out = f"Liggende stolpediagram med 95 % konfidensintervall. {title}: {len(data)} andeler."
    if len(data):

        def one(r) -> str:
            return f"{r['label']} {fmt_pct(r['share'])} (KI {fmt_ci(r['ci_low'], r['ci_high'])})"

        first, last = data.iloc[0], data.iloc[-1]
        out += f" Høyest: {one(first)}."
        if len(data) > 1:
            out += f" Lavest: {one(last)}."
    return out


def alt_applied_granted(a: dict, *, title: str) -> str:
    """The scatter of granted against applied, in the numbers of ``applied_vs_granted``."""
    r = a["ratio"]
    return (
        f"Punktdiagram. {title}: {fmt_int(a['n'])} søknader, søkt beløp langs den vannrette "
        f"aksen og tildelt langs den loddrette. Tildelt i alt {fmt_nok(a['granted_total_nok'])} "
        f"av {fmt_nok(a['applied_total_nok'])} søkt ({fmt_pct(a['granted_share'])}); "
        f"{fmt_int(a['n_full'])} fikk hele beløpet. Median tildelt som andel av søkt: "
        f"{fmt_pct(r['median'])}."
    )


def alt_forest(comparisons: list[dict], labels: dict[str, str], *, title: str) -> str:
    """The forest figure: how many differences, the largest rise and fall, what holds."""
    tested = [c for c in comparisons if c.get("p_value") is not None]
    held = [c for c in tested if c.get("p_adjusted") is not None and c["p_adjusted"] < 0.05]

    def name(c: dict) -> str:
        return esc(labels.get(c["metric"], c["metric"]))

    out = (
        f"Forskjellsdiagram: punkt med 95 % konfidensintervall for hver andel. {title}: "
        f"{fmt_int(len(comparisons))} andeler."
    )
    up = max(comparisons, key=lambda c: c["diff"])
    down = min(comparisons, key=lambda c: c["diff"])
    if up["diff"] > 0:
        out += f" Størst økning: {name(up)} ({fmt_pp(up['diff'])})."
    if down["diff"] < 0:
        out += f" Størst nedgang: {name(down)} ({fmt_pp(down['diff'])})."
    if held:
        items = join_nb([f"{name(c)} ({fmt_pp(c['diff'])})" for c in held])
        out += (
            f" {fmt_int(len(held))} av {fmt_int(len(tested))} testede forskjeller holder etter "
            f"Holm-justering: {items}."
        )
    else:
        out += (
            f" Ingen av de {fmt_int(len(tested))} testede forskjellene holder etter Holm-justering."
        )
    return out


def alt_trend(per_year, *, title: str) -> str:
    """Shares over the years: each line from its first to its last year."""
    parts = []
    for label, g in per_year.groupby("label", sort=False):
        g = g.sort_values("year")
        a, b = g.iloc[0], g.iloc[-1]
        parts.append(
            f"{label} fra {fmt_pct(a['share'])} i {int(a['year'])} til {fmt_pct(b['share'])} "
            f"i {int(b['year'])}"
        )
    return f"Linjediagram med 95 % konfidensintervall. {title}: " + "; ".join(parts) + "."


def alt_amounts(by_year: dict, *, title: str) -> str:
    """Box plots of amounts per year: the median of the first and the last year."""
    years = sorted(by_year)
    out = f"Boksplott. {title}, ett boksplott per år."
    if years:
        a, b = by_year[years[0]], by_year[years[-1]]
        out += (
            f" Median {fmt_nok(a['median'])} i {years[0]} og {fmt_nok(b['median'])} i {years[-1]}."
        )
    return out


def share_denominator_note(shares, unit: str, among: str | None = None) -> str:
    """Which denominator the shares use: everyone, those who answered, or a subgroup."""
    who = "prosjektene" if unit == "project" else "søknadene"
    if not len(shares):
        return ""
    ns = sorted({int(n) for n in shares["n"]})
    missing = sorted({int(m) for m in shares["missing"]})
    if among:
        return f"Nevner: de {fmt_int(ns[0])} {who} {among}."
    if len(ns) > 1:
        return f"Nevner: {who} som har svart på hvert spørsmål (kolonnen «Av»)."
    if missing == [0]:
        return f"Nevner: alle de {fmt_int(ns[0])} {who}."
    return (
        f"Nevner: de {fmt_int(ns[0])} {who} som har svart; {fmt_int(missing[0])} uten svar er "
        "holdt utenfor."
    )


def group_test_denominator_notes(m: dict) -> list[str]:
    """Which rows each between-group test counts (goals: only the projects that could be
    assessed)."""
    out = []
    for g in m.get("group_tests", []):
        if g.get("key") == "goal_reached_by_county":
            out.append(
                f"Måloppnåelse mellom fylkene: regnet av de {fmt_int(g['n'])} prosjektene der "
                "måloppnåelsen kunne vurderes; «kan ikke vurderes» er holdt utenfor."
            )
    return out
