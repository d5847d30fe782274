"""Every number a demo document prints is in its ``metrics.json`` (issue 18, item 4).

The demo is built once for the run (``evalkit build --no-pdf``, the ``demo_outputs`` fixture of
tests/conftest.py); the 11 bokmål documents of the two demo schemes are read. Each
``report.html`` is read as a reader reads it: the visible text, every table cell and the
figures' alt texts (not the figures' SVG, not code). Every number printed in
Norwegian format («1 234», «91,7 %», «−0,5», «12,5 prosent», «2 120 000 kr», «81,6
millioner», «p < 0,001», «(85,1–95,2)») must be found among the values of that document's
``metrics.json``, rounded as it is shown:

- a number with decimals matches a value rounded to as many decimals, or a share (0–1) × 100
  rounded so (a printed 91,7 matches 0,91666…);
- a whole number matches a whole value exactly (counts, amounts in kr), or, followed by «%» or
  «prosent», a share × 100 rounded to a whole number; followed by «millioner» or «mill.», an
  amount in millions rounded as shown;
- «< 0,001» (a p-value shown as below a bound) matches a value in metrics.json below the bound.

Numbers that are not figures of the data are exempt, each by a narrow pattern with its reason
(:data:`EXEMPT`): table and figure numbers, the constant 95 % of the intervals and the 0–100 %
an interval stays within, the suppression rule's 1 or 2, and the like; so are the numbers of
the scheme YAML's own texts (:func:`scheme_texts`: «kap. 762 post 60», «Rammen i 2011 var 133
millioner kroner»). A table that lists rows (:data:`ROW_LISTS`: the data-quality table, a
YAML ``list`` such as samhandling's funded projects) is checked against the rows it comes
from, as the contract (README, «metrics.json») names them: ``metrics.json`` holds its
totals, the list its rows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"

# --- reading the numbers of a page ------------------------------------------------------------
#: Spaces that group digits: no-break space, narrow no-break space, thin space (a plain space
#: separates two numbers).
_GROUP = "[\u00a0\u202f\u2009]"
#: A number as the documents print it: an optional sign (the minus sign U+2212, a hyphen, +,
#: ±), digits grouped by three with a space, an optional decimal comma.
NUMBER = re.compile(
    rf"(?P<sign>[\u2212+±-])?(?P<digits>\d{{1,3}}(?:{_GROUP}\d{{3}})+|\d+)(?:,(?P<dec>\d+))?"
    r"(?![\d.]*\w)"  # not the start of a word or file name: «2023.xlsx», «questback-2022»
)
#: What after a number makes it a percentage (of a share 0–1).
_PERCENT_AFTER = re.compile(r"^\s*(?:%|prosent\b|p\.p\.)")
_MILLION_AFTER = re.compile(r"^\s*(?:millioner|mill\.)")
_BELOW_BEFORE = re.compile(r"(?:<|under)\s*$")


@dataclass(frozen=True)
class Printed:
    """A number as printed: its text, value, decimals, and the text around it."""

    raw: str
    value: float
    decimals: int
    before: str
    after: str
    where: str  # the sentence or table cell it is in

    @property
    def percent(self) -> bool:
        return bool(_PERCENT_AFTER.match(self.after)) or _range_then_percent(self.after)

    @property
    def million(self) -> bool:
        return bool(_MILLION_AFTER.match(self.after))

    @property
    def below(self) -> bool:
        return bool(_BELOW_BEFORE.search(self.before))


def _range_then_percent(after: str) -> bool:
    """«78 og 93 prosent», «0–100 %»: the first number of a range shares the unit of the
    second."""
    m = re.match(rf"^\s*(?:og|til|–|-)\s*[\u2212+]?[\d{_GROUP[1:-1]},]+\s*(?:%|prosent\b)", after)
    return bool(m)


def chunks(page: str) -> list[tuple[str, str | None]]:
    """The pieces of text a reader sees, each with the caption of its table (None outside a
    table): each table cell one piece, each paragraph (or list item, caption, heading)
    another, each figure's alt text another (what a screen reader reads of it); style,
    script, code and the figures' SVG left out."""
    soup = BeautifulSoup(page, "html.parser")
    out: list[tuple[str, str | None]] = [(img.get("alt", ""), None) for img in soup("img")]
    for tag in soup(["style", "script", "svg", "code", "img", "head"]):
        tag.decompose()
    for cell in soup.find_all(["td", "th"]):
        caption = cell.find_parent("table").caption
        out.append((cell.get_text(" ", strip=True), caption and caption.get_text(" ", strip=True)))
        cell.decompose()
    for block in soup.find_all(["p", "li", "caption", "h1", "h2", "h3", "h4", "div", "span"]):
        if block.find(["p", "li", "div", "table"]) is None:  # innermost blocks only
            out.append((block.get_text(" ", strip=True), None))
            block.decompose()
    out.append((soup.get_text(" ", strip=True), None))
    return [(_squeeze(text), caption) for text, caption in out if text.strip()]


def _squeeze(text: str) -> str:
    """Runs of spaces and line breaks as one space; the no-break spaces inside numbers kept."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def printed_numbers(text: str) -> list[Printed]:
    """Every number of ``text`` as printed (a leading minus sign or hyphen is the number's
    sign only where no digit or letter comes just before it: «6,7–17,8» is two numbers)."""
    out = []
    for m in NUMBER.finditer(text):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == ","):
            continue  # inside a word or a number: «Delmål2», «kap.762»
        digits = re.sub(_GROUP, "", m.group("digits"))
        sign = m.group("sign") or ""
        if sign == "-" and start and text[start - 1].isdigit():
            sign = ""  # «2010-2012»: a range, not a negative number
        dec = m.group("dec") or ""
        value = float(f"{digits}.{dec}" if dec else digits)
        if sign in ("\u2212", "-"):
            value = -value
        out.append(Printed(m.group(), value, len(dec), text[:start], text[m.end() :], text))
    return out


# --- the exemptions ---------------------------------------------------------------------------
#: Numbers that are not figures of the data, each a pattern (the number in the group ``n``)
#: with the reason it is exempt. Keep each narrow: it exempts the number it names, no more.
EXEMPT: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:Tabell|tabell|Figur|figur|tabellen|figuren)\s(?P<n>\d+)\b"),
     "the number of a table or figure («Tabell 3», «figur 2»), given when it is shown"),
    (re.compile(r"(?P<n>95)\s%\s(?:konfidensintervall|KI)"),
     "the level of every interval (95 %), a constant of the method"),
    (re.compile(r"innenfor\s(?P<n>0)–(?P<n2>100)\s%"),
     "the range a Wilson interval stays within (0–100 %), a property of the method"),
    (re.compile(r"andeler nær (?P<n>0) eller (?P<n2>100)\s%"),
     "«andeler nær 0 eller 100 %», a property of the method"),
    (re.compile(r"andelen (?:er|var) (?P<n>0)\s(?:%\s)?eller\s(?P<n2>100)\s%"),
     "«andelen var 0 % eller 100 %»: why a difference has no test, a property of the test"),
    (re.compile(r"antall på (?P<n>1) eller (?P<n2>2)\b"),
     "the suppression rule (counts of 1 or 2 shown as «:»), the rule's constant"),
    (re.compile(r"\((?P<n>1) frihetsgrad\)|antall år minus (?P<n2>2)\b"),
     "degrees of freedom of the trend split, a property of the test"),
    (re.compile(r"\btype (?P<n>7)\b"), "Hyndman and Fan's quantile type 7, the method's name"),
    (re.compile(r"^Liggende stolpediagram med 95\s% konfidensintervall\. [^:]*: (?P<n>\d+) andeler\."),
     "an alt text's count of the bars its figure draws (the rows of the table beside it)"),
    (re.compile(r"minst (?P<n>5)\b"), "the rule for the chi-square test (expected counts of at "
     "least 5), a constant of the method"),
]  # fmt: skip


def exempt_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, reason) of every exempt number in ``text``."""
    out = []
    for pattern, reason in EXEMPT:
        for m in pattern.finditer(text):
            for name in ("n", "n2"):
                if name in pattern.groupindex and m.group(name) is not None:
                    out.append((m.start(name), m.end(name), reason))
    return out


# --- the values of metrics.json ---------------------------------------------------------------
def leaves(value) -> list[float]:
    """Every number of a JSON value (booleans and nulls left out)."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in leaves(v)]
    if isinstance(value, bool) or value is None:
        return []
    return [float(value)] if isinstance(value, int | float) else []


def _round(v: float, decimals: int, scale: int = 0) -> float:
    """``v × 10**scale`` rounded as the documents round it: half away from zero, from the
    number's shortest decimal string (91,25 → 91,3)."""
    d = Decimal(repr(v)).scaleb(scale)
    return float(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


class Values:
    """The numbers of one ``metrics.json`` (and of the row-level lists), indexed for lookup."""

    def __init__(self, numbers: list[float]):
        self.numbers = [v for v in numbers if v == v]  # NaN shows as «–»
        self.exact = set(self.numbers)
        self._rounded: dict[tuple[int, int], set[float]] = {}

    def rounded(self, decimals: int, scale: int) -> set[float]:
        key = (decimals, scale)
        if key not in self._rounded:
            self._rounded[key] = {_round(v, decimals, scale) for v in self.numbers}
        return self._rounded[key]

    def holds(self, p: Printed) -> bool:
        """Whether ``p`` is one of the values, rounded as it is shown."""
        if p.below:  # «p < 0,001»: a value below the bound
            bound = abs(p.value)
            return any(0 <= v < bound for v in self.numbers) or any(
                0 <= v * 100 < bound for v in self.numbers
            )
        if p.million:
            return p.value in self.rounded(p.decimals, -6)
        if p.percent:
            return p.value in self.rounded(p.decimals, 2) or (
                p.decimals == 0 and p.value in self.exact
            )
        if p.decimals:
            return p.value in self.rounded(p.decimals, 0) or p.value in self.rounded(p.decimals, 2)
        return p.value in self.exact


# --- one document -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Missing:
    raw: str
    where: str

    def __str__(self) -> str:
        return f"{self.raw!r} in «{self.where[:160]}»"


def missing_numbers(
    page: str,
    values: Values,
    lists: dict[str, Values] | None = None,
    texts: list[str] = (),
) -> tuple[list[Missing], int]:
    """The numbers of ``page`` not found in ``values`` (exemptions applied), and how many
    numbers were read. ``lists``: the row-level lists of the page, by a part of their
    table's caption, each with the values of the rows it lists (:data:`ROW_LISTS`); a number
    in such a table must be one of them. ``texts``: the scheme's own texts
    (:func:`scheme_texts`), whose numbers are the scheme's words."""
    missing, read = [], 0
    for text, caption in chunks(page):
        source = next(
            (v for part, v in (lists or {}).items() if caption and part in caption), values
        )
        spans = exempt_spans(text) + scheme_spans(text, list(texts))
        for p in printed_numbers(text):
            start = len(p.before)
            digits_start = start + (len(p.raw) - len(p.raw.lstrip("\u2212+±-")))
            if any(a <= digits_start < b for a, b, _ in spans):
                continue
            read += 1
            if not source.holds(p):
                missing.append(Missing(p.raw, text))
    return missing, read


# --- the scheme's own words -------------------------------------------------------------------
def scheme_texts(scheme: Any) -> list[str]:
    """Every text of the scheme's YAML with a digit in it, sentence by sentence, without
    placeholders: the scheme's words (a note «Rammen i 2011 var 133 millioner kroner», the
    budget chapter «kap. 762 post 60», a label «Delmål 2»), not figures of the data."""
    raw = yaml.safe_load(Path(scheme.path).read_text(encoding="utf-8"))
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and re.search(r"\d", value) and "{" not in value:
            for sentence in re.split(r"(?<=[.;:])\s+", _squeeze(value)):
                if re.search(r"\d", sentence):
                    out.append(sentence)

    walk(raw)
    return out


def scheme_spans(text: str, texts: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, reason) of each of the scheme's own texts found in ``text``."""
    return [
        (m.start(), m.end(), "the scheme YAML's own text")
        for t in texts
        for m in re.finditer(re.escape(t), text)
    ]


# --- the row-level lists ----------------------------------------------------------------------
#: The caption of the data-quality table (:func:`evalkit.document.year.quality_table`).
QUALITY_CAPTION = "Merkede celler og rader holdt utenfor"
#: The tables that list rows, by the part of their caption that names them, and the rows their
#: numbers come from. metrics.json holds the totals of such a list, not its rows; this is the
#: contract's list of sources (README, «metrics.json»).
ROW_LISTS = {
    QUALITY_CAPTION: (
        "data_quality.csv beside the document: every flagged cell and excluded row (row "
        "number, the value as read, the explanation)"
    ),
    "<the title_nb of a YAML list>": (
        "the year's cleaned rows where the list's `among` field is yes, the list's columns "
        "(samhandling: «Fylkesvis liste over prosjekter som fikk støtte», the granted "
        "applications with their amounts)"
    ),
}


def numbers_of_texts(texts) -> list[float]:
    """Every number printed in ``texts`` (the values of a row-level source)."""
    return [p.value for t in texts for p in printed_numbers(str(t))]


def quality_values(folder: Path) -> Values:
    """The numbers of ``data_quality.csv``: row numbers, values as read, explanations."""
    frame = pd.read_csv(folder / "data_quality.csv", dtype=str, keep_default_na=False)
    return Values(numbers_of_texts(frame.to_numpy().ravel()))


def list_values(scheme: Any, year: int, cache_dir: Path) -> dict[str, Values]:
    """Each YAML list of the scheme (by its title) with the numbers of the rows it lists: the
    year's cleaned rows where ``among`` is yes, in the list's columns."""
    from evalkit.evaluation import load_year

    specs = [
        item.list
        for section in scheme.doc.sections or []
        for item in section.show
        if hasattr(item, "list")
    ]
    if not specs:
        return {}
    tidy = load_year(scheme, year, DEMO, cache_dir=cache_dir).tidy
    out = {}
    for spec in specs:
        rows = tidy[tidy[spec.among].fillna(False)] if spec.among else tidy
        numbers: list[float] = []
        for col in spec.columns:
            values = rows[col].dropna()
            if col in scheme.fields_of_type("amount"):
                numbers += [float(v) for v in values]
            else:
                numbers += numbers_of_texts(values)
        out[spec.title_nb] = Values(numbers)
    return out


# --- the demo documents -----------------------------------------------------------------------
def demo_documents() -> list[tuple[str, str]]:
    """(scheme, year or «trends») of every document ``evalkit build`` makes of the demo."""
    from evalkit import paths

    out = []
    for folder in sorted(p for p in DEMO.iterdir() if p.is_dir()):
        out += [(folder.name, str(y)) for y in paths.available_years(DEMO, folder.name)]
        out.append((folder.name, "trends"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("scheme", "which"), demo_documents())
def test_every_number_a_demo_document_prints_is_in_its_metrics_json(demo_outputs, scheme, which):
    from evalkit.config import load_scheme

    sch = load_scheme(scheme)
    folder = demo_outputs / scheme / which
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    lists = {QUALITY_CAPTION: quality_values(folder)}
    if which != "trends":
        lists |= list_values(sch, int(which), demo_outputs / "_cache" / "cleaned")
    page = (folder / "report.html").read_text(encoding="utf-8")
    missing, read = missing_numbers(page, Values(leaves(metrics)), lists, scheme_texts(sch))
    assert read >= 150  # the page's numbers were read at all
    assert not missing, f"{len(missing)} of {read} numbers not in metrics.json:\n" + "\n".join(
        map(str, missing[:40])
    )


# --- the checker, on hand-written pages -------------------------------------------------------
def test_numbers_are_read_as_printed():
    text = (
        "I alt 1\u00a0234 prosjekter, 91,7\u00a0% (85,1–95,2), −0,5 p.p., 12,5 prosent, "
        "2\u00a0120\u00a0000 kr, 81,6 millioner, p < 0,001, ±0,0 p.p., −11,1 til +7,9; "
        "2023.xlsx og questback-2022."
    )
    got = [(p.raw, p.value, p.decimals) for p in printed_numbers(text)]
    assert got == [
        ("1\u00a0234", 1234, 0), ("91,7", 91.7, 1), ("85,1", 85.1, 1), ("95,2", 95.2, 1),
        ("\u22120,5", -0.5, 1), ("12,5", 12.5, 1), ("2\u00a0120\u00a0000", 2_120_000, 0),
        ("81,6", 81.6, 1), ("0,001", 0.001, 3), ("±0,0", 0.0, 1), ("\u221211,1", -11.1, 1),
        ("+7,9", 7.9, 1),
    ]  # fmt: skip
    p = {x.raw: x for x in printed_numbers(text)}
    assert p["91,7"].percent and p["12,5"].percent and not p["1\u00a0234"].percent
    assert p["81,6"].million and p["0,001"].below and not p["91,7"].below


def test_values_match_as_rounded_for_the_reader():
    # 11 of 12 is 91,666… %: shown 91,7; 73 of 80 is 91,25 %: shown 91,3 (half away from 0)
    v = Values([11 / 12, 73 / 80, 126, 2_120_000, 81_649_000, 0.0004, -0.0047])
    (a, b, c, d, e, f, g) = printed_numbers(
        "91,7 % 91,3 prosent 126 2\u00a0120\u00a0000 kr 81,6 millioner p < 0,001 −0,5 p.p."
    )
    assert all(v.holds(x) for x in (a, b, c, d, e, f, g))
    wrong = printed_numbers("91,6 % 91,2 prosent 125 2\u00a0120\u00a0001 kr 81,7 millioner")
    assert not any(v.holds(x) for x in wrong)
    # a whole number is a count or an amount: it matches exactly, never a rounded value
    assert not Values([125.4]).holds(printed_numbers("125")[0])
    assert not Values([0.5]).holds(printed_numbers("p < 0,001")[0])  # nothing below the bound


PAGE = """<html><head><style>.x{width:100px}</style></head><body><main>
<h1>Tilskudd 2023</h1>
<p>I 2023 fikk 126 prosjekter til sammen 22\u00a0000\u00a0000 kr; 92,1 prosent var
samarbeidsprosjekter (Tabell 2). Hver andel vises med 95 % konfidensintervall.</p>
<div class="evalkit-table-block"><table><caption><span>Tabell 2.</span> Samarbeid 2023</caption>
<thead><tr><th>Beskrivelse</th><th>Antall</th><th>Andel</th><th>95 % KI</th></tr></thead>
<tbody><tr><th>Samarbeidsprosjekter</th><td>116</td><td>92,1 %</td><td>86,0–95,6</td></tr>
</tbody></table></div>
<figure><svg><text>137</text></svg><img alt="Figur: 126 prosjekter" src="x.png"></figure>
<code>2023.xlsx</code>
</main></body></html>"""
METRICS = {
    "year": 2023,
    "n_projects": 126,
    "grant_total_nok": 22_000_000,
    "shares": {"collaboration": {"count": 116, "n": 126, "share": 116 / 126,
                                 "ci_low": 0.8600591, "ci_high": 0.9556}},
}  # fmt: skip


def test_the_checker_passes_a_page_whose_numbers_are_all_in_metrics():
    values = Values(leaves(METRICS))
    missing, read = missing_numbers(PAGE, values)
    assert not missing, missing
    # 2023 ×3 (heading, text, caption), 126 ×2 (text, alt text), 22 000 000, 92,1 ×2, 116,
    # 86,0, 95,6; not «Tabell 2» (twice), «95 %» of the interval, the SVG's 137 or the file name
    assert read == 11
    missing, _ = missing_numbers(PAGE.replace('126 prosjekter"', '999 prosjekter"'), values)
    assert [m.raw for m in missing] == ["999"]  # an alt text's number is checked too


def test_the_checker_fails_a_page_that_prints_a_number_metrics_json_lacks():
    lacking = json.loads(json.dumps(METRICS))
    del lacking["grant_total_nok"]  # the total the text prints
    lacking["shares"]["collaboration"]["ci_high"] = 0.9544  # shown 95,4, the page says 95,6
    missing, _ = missing_numbers(PAGE, Values(leaves(lacking)))
    assert sorted(m.raw for m in missing) == ["22\u00a0000\u00a0000", "95,6"]
    # a derived number the page prints but metrics.json does not hold: 126 − 116
    page = PAGE.replace("</main>", "<p>10 prosjekter var ikke samarbeidsprosjekter.</p></main>")
    missing, _ = missing_numbers(page, Values(leaves(METRICS)))
    assert [m.raw for m in missing] == ["10"]


def test_the_exemptions_are_narrow():
    text = "Tabell 3 viser det; 95 % konfidensintervall; antall på 1 eller 2 vises som «:»."
    spans = exempt_spans(text)
    exempt = {"3", "95", "1", "2"}
    assert {text[a:b] for a, b, _ in spans} == exempt
    # the same numbers elsewhere are figures, and are checked
    for text in ("3 tabeller", "95 % av prosjektene", "1 eller 2 prosjekter", "i 60 kommuner"):
        assert exempt_spans(text) == [], text
    assert all(reason for _, reason in EXEMPT)


def test_a_row_list_is_checked_against_its_rows_not_metrics_json():
    page = (
        "<table><caption>Tabell 7. Fylkesvis liste over prosjekter som fikk støtte 2012"
        "</caption><tr><th>Fet</th><td>Helsestasjon</td><td>450\u00a0000</td></tr></table>"
    )
    rows = {"Fylkesvis liste over prosjekter": Values([450_000, 120_000])}
    assert missing_numbers(page, Values([2012]), rows) == ([], 2)
    # the list's number must come from its rows: metrics.json's values do not stand in
    missing, _ = missing_numbers(page, Values([2012, 450_000]), {"Fylkesvis": Values([1])})
    assert [m.raw for m in missing] == ["450\u00a0000"]


def test_a_number_of_the_schemes_own_text_is_its_words():
    page = "<p>Rammen i 2011 var 133 millioner kroner, fordelt i to runder. Det var 133.</p>"
    texts = ["Rammen i 2011 var 133 millioner kroner, fordelt i to runder."]
    missing, _ = missing_numbers(page, Values([2011]), texts=texts)
    assert [m.raw for m in missing] == ["133"]  # the second 133 is not the scheme's text


# --- the numbers moved into the statistics layer ----------------------------------------------
def test_comparison_counts_count_the_records():
    from evalkit.stats import comparison_counts

    records = [
        {"p_value": 0.001, "holds_after_holm": True},
        {"p_value": None, "holds_after_holm": False},
        {"p_value": 0.4, "holds_after_holm": False},
    ]
    assert comparison_counts(records) == {"total": 3, "tested": 2, "held": 1}
    assert comparison_counts([]) == {"total": 0, "tested": 0, "held": 0}


@pytest.mark.slow
@pytest.mark.parametrize("scheme", sorted(p.name for p in DEMO.iterdir() if p.is_dir()))
def test_the_trends_metrics_hold_the_years_shares_and_the_county_totals(demo_outputs, scheme):
    folder = demo_outputs / scheme
    trend = json.loads((folder / "trends" / "metrics.json").read_text(encoding="utf-8"))
    common = trend["by_common_county"]
    assert trend["n_years"] == len(trend["years"]) >= 2
    for year in trend["years"]:
        m = json.loads((folder / str(year) / "metrics.json").read_text(encoding="utf-8"))
        # each year's shares, as that year's document has them
        assert {k: v[str(year)] for k, v in trend["shares_by_year"].items()} == m["shares"]
        # every row of the year is in one row of the county table (or «Kan ikke plasseres»)
        assert common["total"][str(year)] == trend["counts_by_year"][str(year)]
        assert common["total"][str(year)] == sum(r[str(year)] for r in common["rows"])
        # the comparison counts, counted here from the comparisons listed
        comps = m["comparisons"]
        tested = [c for c in comps if c["p_value"] is not None]
        assert m["comparison_counts"] == {
            "total": len(comps),
            "tested": len(tested),
            "held": len([c for c in tested if c["p_adjusted"] < 0.05]),
        }
    assert common["n_rows"] == sum(trend["counts_by_year"].values())
    reg = trend["regression"]
    if reg is not None:
        assert reg["n_rows"] == reg["n"] + reg["n_excluded_missing"]
