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
        both = (reached[0]["count"] + reached[1]["count"]) / reached[0]["n"]
        parts.append(
            f"{fmt_prosent(both)} av prosjektene som svarte, oppga at målene helt eller delvis "
            "er nådd."
        )
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
