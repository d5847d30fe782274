"""Norwegian (bokmål) wording and number formats for the documents.

Numbers follow Norwegian typography: a non-breaking space groups thousands
(``20 000 000``), a decimal comma (``91,7``), a non-breaking space before ``%`` and ``kr``.
Every piece of text that comes from the data (county and project names, free text) is HTML
escaped before it goes into Markdown, so a project called ``<script>`` stays text.
"""

from __future__ import annotations

import functools
import html
import re
import string
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from babel import Locale
from babel.numbers import (
    format_decimal,
    get_currency_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

NBSP = "\u00a0"
#: The minus sign of Norwegian typography (U+2212), not the hyphen.
MINUS = "\u2212"


def esc(text: object) -> str:
    """HTML-escape text from the data for Markdown/HTML output."""
    return html.escape(str(text), quote=True)


#: The locale of the documents' numbers (Babel/CLDR): ``nb_NO`` groups thousands with U+00A0,
#: writes a decimal comma, the minus sign U+2212 and a non-breaking space before ``%``/``kr``.
LOCALE = "nb_NO"
#: What a missing value (None, NaN, NA) is shown as, once: never «– kr» or «––».
MISSING = "–"


def _is_missing(value: object) -> bool:
    """None, NaN and pandas' NA."""
    if value is None:
        return True
    if isinstance(value, (int, float)):  # bool, int, float, numpy's float64: only NaN is missing
        return value != value
    import pandas as pd  # imported here: a plain number (outputs/index.html) needs no pandas

    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _rounded(value: float | int | Decimal, decimals: int, scale: int = 0) -> Decimal:
    """``value × 10**scale`` rounded half away from zero (2,5 → 3) to ``decimals`` places.

    A float is taken as its shortest decimal string, the number it was written as: 2.675 is
    rounded as 2,675 (→ 2,68), not as the binary 2,67499… the float holds.
    """
    d = (value if isinstance(value, Decimal) else Decimal(str(value))).scaleb(scale)
    if not d.is_finite():
        return d
    return d.quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=_context(d, decimals)
    )


def _context(d: Decimal, decimals: int) -> Context:
    """A decimal context with the digits ``d`` needs at ``decimals`` places (28 at least)."""
    return Context(prec=max(28, d.adjusted() + decimals + 2))


@functools.cache
def _affixes(locale: str, kind: str) -> tuple[str, str]:
    """The text before and after the digits of a positive percent (``kind="percent"``) or
    currency (``"currency"``) in ``locale``: nb_NO ``("", "\\xa0%")``, ``("", "\\xa0¤")``."""
    loc = Locale.parse(locale)
    pattern = loc.percent_formats[None] if kind == "percent" else loc.currency_formats["standard"]
    return pattern.prefix[0], pattern.suffix[0]


def _number(d: Decimal, decimals: int, locale: str, prefix: str = "", suffix: str = "") -> str:
    """A rounded number in ``locale`` (Babel): grouped, with the decimal sign of the locale and
    its minus sign before ``prefix`` (U+2212 in nb_NO; Babel itself writes a hyphen); a value
    that rounded to zero has no sign."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    with localcontext(_context(d, decimals)):
        digits = format_decimal(abs(d), pattern, locale=locale)
    sign = get_minus_sign_symbol(locale) if d < 0 else ""
    return f"{sign}{prefix}{digits}{suffix}"


def fmt_int(value: float | int | None, locale: str = LOCALE) -> str:
    """``20000000`` → ``20 000 000`` (non-breaking spaces), ``-1234`` → ``−1 234``, ``2.5`` →
    ``3`` (half away from zero); None/NaN → ``–``."""
    if _is_missing(value):
        return MISSING
    return _number(_rounded(value, 0), 0, locale)


def fmt_dec(value: float | None, decimals: int = 1, locale: str = LOCALE) -> str:
    """``91.74`` → ``91,7``; ``-0.05`` → ``−0,05`` (minus sign, U+2212); ``-0.001`` → ``0,0``."""
    if _is_missing(value):
        return MISSING
    return _number(_rounded(value, decimals), decimals, locale)


def fmt_pct(
    share: float | None, decimals: int = 1, sign: str | None = None, locale: str = LOCALE
) -> str:
    """A share 0–1 as a percentage: ``0.9174`` → ``91,7 %``, ``0.125`` → ``12,5 %``.

    ``sign``: the text after the number; by default the percent sign as ``locale`` writes it.
    """
    if _is_missing(share):
        return MISSING
    d = _rounded(share, decimals, scale=2)
    prefix, suffix = ("", sign) if sign is not None else _affixes(locale, "percent")
    return _number(d, decimals, locale, prefix, suffix)


def fmt_prosent(share: float | None, decimals: int = 1, locale: str = LOCALE) -> str:
    """As running text uses it: ``91,7 prosent``."""
    return fmt_pct(share, decimals, sign=f"{NBSP}prosent", locale=locale)


def fmt_pp(diff: float | None, decimals: int = 1, locale: str = LOCALE) -> str:
    """A difference of shares in percentage points with its sign: ``+3,2 p.p.``, ``−3,2 p.p.``,
    ``±0,0 p.p.`` (also for a difference that rounds to zero)."""
    if _is_missing(diff):
        return MISSING
    d = _rounded(diff, decimals, scale=2)
    sign = get_plus_sign_symbol(locale) if d > 0 else ("" if d < 0 else "±")
    return f"{sign}{_number(d, decimals, locale)}{NBSP}p.p."


def fmt_signed(value: float | None, decimals: int = 1, locale: str = LOCALE) -> str:
    """A number with its sign: ``+7,9``, ``−11,1``, ``0,0``."""
    if _is_missing(value):
        return MISSING
    d = _rounded(value, decimals)
    plus = get_plus_sign_symbol(locale) if d > 0 else ""
    return plus + _number(d, decimals, locale)


def fmt_nok(value: float | int | None, locale: str = LOCALE) -> str:
    """``20000000`` → ``20 000 000 kr`` (whole kroner); None/NaN → ``–``."""
    if _is_missing(value):
        return MISSING
    prefix, suffix = _affixes(locale, "currency")
    symbol = get_currency_symbol("NOK", locale)
    return _number(
        _rounded(value, 0), 0, locale, prefix.replace("¤", symbol), suffix.replace("¤", symbol)
    )


def fmt_mill(value: float | int | None, locale: str = LOCALE) -> str:
    """``81600000`` → ``81,6 millioner``; whole millions without decimals."""
    if _is_missing(value):
        return MISSING
    mill = Decimal(str(value)).scaleb(-6)
    decimals = 0 if mill == mill.to_integral_value() else 1
    return f"{_number(_rounded(mill, decimals), decimals, locale)}{NBSP}millioner"


def fmt_p(p: float | None, locale: str = LOCALE) -> str:
    """A p-value: ``0,034``; below 0,001 as ``< 0,001``."""
    if _is_missing(p):
        return MISSING
    if p < 0.001:
        return f"<{NBSP}{fmt_dec(0.001, 3, locale)}"
    return fmt_dec(p, 3, locale)


def fmt_ci(low: float | None, high: float | None, decimals: int = 1, locale: str = LOCALE) -> str:
    """A share interval as ``10,7–24,6`` in percent; ``–`` when either end is missing."""
    if _is_missing(low) or _is_missing(high):
        return MISSING
    ends = [_number(_rounded(x, decimals, scale=2), decimals, locale) for x in (low, high)]
    return "–".join(ends)


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


class _Missing(Exception):
    """A value a summary sentence names is not in metrics.json (or is None)."""


class _Counties:
    """``{most[n_projects]}`` / ``{fewest[n_projects]}``: the counties with the most / fewest."""

    def __init__(self, by_county: list[dict], which: int) -> None:
        self.by_county, self.which = by_county, which

    def __getitem__(self, key: str) -> str:
        if not self.by_county or key not in self.by_county[0]:
            raise _Missing(key)
        names = _most_and_fewest(self.by_county, key)[self.which]
        if not names:
            raise _Missing(key)
        return join_nb(names)


class SummaryFormatter(string.Formatter):
    """Fills a summary sentence of the scheme YAML from metrics.json.

    ``{key}`` and ``{key[sub][sub]}`` name values of metrics.json; the format after ``:`` is
    one of ``int`` (``1 234``), ``nok`` (``20 000 000 kr``), ``mill`` (``81,6 millioner``),
    ``prosent`` (``91,7 prosent``), ``pct`` (``91,7 %``), ``pct0`` (``92``: a share in whole
    percent), ``labels`` (share keys as their labels in lower case, joined: «a, b og c»).
    A value that is absent or None raises :class:`_Missing`: the sentence is left out.
    """

    def __init__(self, context: dict, labels: dict[str, dict[str, str]] | None = None) -> None:
        super().__init__()
        self.context = context
        self.labels = labels or {}

    def get_value(self, key, args, kwargs):
        if key in ("most", "fewest"):
            return _Counties(self.context.get("by_county") or [], 0 if key == "most" else 1)
        if key not in self.context:
            raise _Missing(key)
        return self.context[key]

    def get_field(self, field_name, args, kwargs):
        try:
            return super().get_field(field_name, args, kwargs)
        except (KeyError, IndexError, TypeError) as err:
            raise _Missing(field_name) from err

    def format_field(self, value, format_spec):
        if value is None:
            raise _Missing(format_spec)
        if format_spec == "labels":
            names = [self.labels.get(k, {}).get("label_nb", k).lower() for k in value]
            return esc(join_nb(names))
        formats = {
            "int": fmt_int,
            "nok": fmt_nok,
            "mill": fmt_mill,
            "prosent": fmt_prosent,
            "pct": fmt_pct,
            "pct0": lambda v: fmt_dec(v * 100, 0),
        }
        if format_spec in formats:
            return formats[format_spec](value)
        return esc(value) if isinstance(value, str) else str(value)


def _sentence(fmt: SummaryFormatter, sentence: Any) -> str | None:
    """One summary sentence filled in, or None when a value it names is missing."""
    try:
        if isinstance(sentence, str):
            return fmt.format(sentence)
        if sentence.if_ is not None and not fmt.get_field(sentence.if_, (), {})[0]:
            return None
        if sentence.each is None:
            return fmt.format(sentence.text)
        entries = fmt.context.get(sentence.each) or []
        if len(entries) < sentence.min:
            return None
        items = [SummaryFormatter(e, fmt.labels).format(sentence.item) for e in entries]
        return sentence.text.format(count=len(entries), items=join_nb(items))
    except _Missing:
        return None


def summary(m: dict, scheme: Any) -> str:
    """The document's summary: the scheme YAML's ``summary`` sentences filled in from
    metrics.json (``m``), each left out when a value it names is missing."""
    from evalkit.metrics import share_labels

    fmt = SummaryFormatter(m, share_labels(scheme))
    parts = [_sentence(fmt, s) for s in scheme.doc.summary]
    # folded YAML text may hold line breaks; the non-breaking spaces of numbers stay
    return " ".join(re.sub(r"[ \t\r\n]+", " ", p).strip() for p in parts if p)


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


def group_test_denominator_notes(m: dict, scheme: Any) -> list[str]:
    """Which rows each between-group test counts: a test of a combined share with
    ``assessable`` counts only the assessable rows."""
    combined = {c.key: c for c in scheme.doc.combined_shares if c.assessable}
    outcome = {g.key: g.outcome for g in scheme.doc.group_tests}
    out = []
    for g in m.get("group_tests", []):
        c = combined.get(outcome.get(g.get("key"), ""))
        if c is not None:
            where = f" {c.assessable_nb}" if c.assessable_nb else " (bare vurderbare svar)"
            out.append(
                f"{esc(g['label_nb'])}: regnet av de {fmt_int(g['n'])} "
                f"{scheme.words()[2]}{esc(where)}."
            )
    return out
