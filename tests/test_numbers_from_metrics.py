"""Every number a demo document prints is in its ``metrics.json`` (issue 18, item 4).

The demo is built once for the module (``evalkit build --no-pdf``: the 11 documents of the two
demo schemes). Each ``report.html`` is read as a reader reads it: the visible text and every
table cell (not the figures' SVG, not code, not the figures' alt texts). Every number printed in
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
(:data:`EXEMPT`): table and figure numbers, the scheme's budget chapter, the constant 95 % of
the intervals and the 0–100 % an interval stays within, and the like. The row-level list a
document shows (the list of funded projects of an application scheme,
:data:`ROW_LISTS`) is checked against the rows it comes from, named in the contract:
``metrics.json`` holds its totals, the list its rows.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"

# --- reading the numbers of a page ------------------------------------------------------------
#: Spaces that group digits: no-break space, narrow no-break space, thin space, space.
_GROUP = "[\u00a0\u202f\u2009 ]"
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


def chunks(page: str) -> list[str]:
    """The pieces of text a reader sees, each table cell one piece and each paragraph (or
    list item, caption, heading) another; style, script, code, SVG and images left out."""
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["style", "script", "svg", "code", "img", "head"]):
        tag.decompose()
    out = []
    for cell in soup.find_all(["td", "th"]):
        out.append(cell.get_text(" ", strip=True))
        cell.decompose()
    for block in soup.find_all(["p", "li", "caption", "h1", "h2", "h3", "h4", "div", "span"]):
        if block.find(["p", "li", "div", "table"]) is None:  # innermost blocks only
            out.append(block.get_text(" ", strip=True))
            block.decompose()
    rest = soup.get_text(" ", strip=True)
    if rest:
        out.append(rest)
    return [" ".join(c.split()) for c in out if c.strip()]


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
        if sign in "-" and start and text[start - 1].isdigit():
            sign = ""
        dec = m.group("dec") or ""
        value = float(f"{digits}.{dec}" if dec else digits)
        if sign in ("\u2212", "-") and sign:
            value = -value
        out.append(Printed(m.group(), value, len(dec), text[:start], text[m.end() :], text))
    return out


# --- the exemptions ---------------------------------------------------------------------------
#: Numbers that are not figures of the data, each a pattern (the number in the group ``n``)
#: with the reason it is exempt. Keep each narrow: it exempts the number it names, no more.
EXEMPT: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:Tabell|tabell|Figur|figur|tabellen|figuren)\s(?P<n>\d+)\b"),
     "the number of a table or figure («Tabell 3», «figur 2»), given when it is shown"),
    (re.compile(r"^(?:Tabell|Figur)\s(?P<n>\d+)\.$"), "a caption's number («Tabell 3.»)"),
    (re.compile(r"\bkap\.\s(?P<n>\d+)\spost\s\d+|\bkap\.\s\d+\spost\s(?P<n2>\d+)"),
     "the state budget's chapter and item of the grant («kap. 762 post 60»), scheme text"),
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
        return p.value in self.exact or -p.value in self.exact and p.raw.startswith("±")


# --- one document -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Missing:
    raw: str
    where: str

    def __str__(self) -> str:
        return f"{self.raw!r} in «{self.where[:160]}»"


def missing_numbers(page: str, values: Values) -> tuple[list[Missing], int]:
    """The numbers of ``page`` not found in ``values`` (exemptions applied), and how many
    numbers were read."""
    missing, read = [], 0
    for text in chunks(page):
        spans = exempt_spans(text)
        for p in printed_numbers(text):
            start = len(p.before)
            digits_start = start + (len(p.raw) - len(p.raw.lstrip("\u2212+±-")))
            if any(a <= digits_start < b for a, b, _ in spans):
                continue
            read += 1
            if not values.holds(p):
                missing.append(Missing(p.raw, text))
    return missing, read
