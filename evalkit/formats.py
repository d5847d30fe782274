"""Number formats by locale (Babel/CLDR), and the summary placeholders that name them.

Every function takes a Babel ``locale``; left out, it is the current language's
(:func:`evalkit.i18n.current_locale`: ``nb_NO``, ``nn_NO`` or ``en_GB``). Norwegian
typography (bokmål and nynorsk alike): a non-breaking space groups thousands (``20 000 000``),
a decimal comma (``91,7``), a non-breaking space before ``%`` and ``kr``, the minus sign
U+2212. British English: ``20,000,000``, ``91.7%``, ``NOK 20,000,000``, ``NOK 20 million``.
The words among the numbers (``prosent``, ``millioner``, the unit's noun, «av de 15
prosjektene») come from the message catalogs (:mod:`evalkit.i18n`), lists are joined by
Babel (``a, b og c`` / ``a, b and c``).
Every layer that writes Norwegian uses them: the cleaning's data-quality sentences, the test
names of ``metrics.json`` (:mod:`evalkit.wording`), the documents (:mod:`evalkit.document`) and
``outputs/index.html``. A summary sentence of the scheme YAML names a value and one of these
formats (``{n_projects:int}``); :func:`placeholder_problems` is the check the scheme loader
and the documents' :class:`~evalkit.document.text.SummaryFormatter` share. Nothing here
imports more than Babel.
"""

from __future__ import annotations

import contextlib
import functools
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from babel import Locale
from babel.lists import format_list
from babel.numbers import (
    NumberPattern,
    get_currency_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    parse_pattern,
)

from evalkit.errors import EvalkitError
from evalkit.i18n import LANGUAGES, current_language, current_locale, language, t, tn

NBSP = "\u00a0"
#: The minus sign of Norwegian typography (U+2212), not the hyphen.
MINUS = "\u2212"


#: The bokmål locale (Babel/CLDR): ``nb_NO`` groups thousands with U+00A0, writes a decimal
#: comma, the minus sign U+2212 and a non-breaking space before ``%``/``kr``. The functions'
#: default is the current language's locale, not this.
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
    loc = _parsed(locale)
    pattern = loc.percent_formats[None] if kind == "percent" else loc.currency_formats["standard"]
    return pattern.prefix[0], pattern.suffix[0]


def _locale(locale: str | None) -> str:
    """``locale``, or the current language's when None."""
    return current_locale() if locale is None else locale


def _words_of(locale: str) -> contextlib.AbstractContextManager[str]:
    """The catalog's words in the language of ``locale`` (``en_GB`` → ``en``) inside the
    ``with`` block, so that a locale given to a format writes its words too; the current
    language's for a locale of no language of evalkit."""
    lang = locale.replace("-", "_").split("_")[0]
    return language(lang if lang in LANGUAGES else current_language())


@functools.cache
def _parsed(locale: str) -> Locale:
    """Babel's ``Locale`` of ``locale``, parsed once: Babel parses a locale given by its name
    on every call, a fifth of the time of a number written (a workbook writes thousands)."""
    return Locale.parse(locale)


@functools.cache
def _pattern(decimals: int) -> NumberPattern:
    """The grouped number pattern with ``decimals`` places (``#,##0.0``), parsed once (what
    :func:`babel.numbers.format_decimal` does with a pattern on every call)."""
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals > 0 else ""))


def _number(d: Decimal, decimals: int, locale: str, prefix: str = "", suffix: str = "") -> str:
    """A rounded number in ``locale`` (Babel): grouped, with the decimal sign of the locale and
    its minus sign before ``prefix`` (U+2212 in nb_NO; Babel itself writes a hyphen); a value
    that rounded to zero has no sign."""
    with localcontext(_context(d, decimals)):
        digits = _pattern(decimals).apply(abs(d), _parsed(locale))
    sign = get_minus_sign_symbol(_parsed(locale)) if d < 0 else ""
    return f"{sign}{prefix}{digits}{suffix}"


def fmt_int(value: float | int | None, locale: str | None = None) -> str:
    """``20000000`` → ``20 000 000`` (non-breaking spaces), ``-1234`` → ``−1 234``, ``2.5`` →
    ``3`` (half away from zero); None/NaN → ``–``."""
    if _is_missing(value):
        return MISSING
    return _number(_rounded(value, 0), 0, _locale(locale))


def fmt_dec(value: float | None, decimals: int = 1, locale: str | None = None) -> str:
    """``91.74`` → ``91,7``; ``-0.05`` → ``−0,05`` (minus sign, U+2212); ``-0.001`` → ``0,0``."""
    if _is_missing(value):
        return MISSING
    return _number(_rounded(value, decimals), decimals, _locale(locale))


def fmt_pct(
    share: float | None, decimals: int = 1, sign: str | None = None, locale: str | None = None
) -> str:
    """A share 0–1 as a percentage: ``0.9174`` → ``91,7 %``, ``0.125`` → ``12,5 %``.

    ``sign``: the text after the number; by default the percent sign as ``locale`` writes it.
    """
    if _is_missing(share):
        return MISSING
    locale = _locale(locale)
    d = _rounded(share, decimals, scale=2)
    prefix, suffix = ("", sign) if sign is not None else _affixes(locale, "percent")
    return _number(d, decimals, locale, prefix, suffix)


def fmt_prosent(share: float | None, decimals: int = 1, locale: str | None = None) -> str:
    """As running text uses it: ``91,7 prosent``, ``91.7 per cent``."""
    return fmt_pct(
        share,
        decimals,
        sign=f"{NBSP}{_per_cent(_locale(locale))}",
        locale=locale,
    )


def _per_cent(locale: str) -> str:
    with _words_of(locale):
        return t("formats.per_cent")


def _points(locale: str) -> str:
    with _words_of(locale):
        return t("formats.percentage_points")


def fmt_pp(diff: float | None, decimals: int = 1, locale: str | None = None) -> str:
    """A difference of shares in percentage points with its sign: ``+3,2 p.p.``, ``−3,2 p.p.``,
    ``±0,0 p.p.`` (also for a difference that rounds to zero); ``+3.2 pp`` in English."""
    if _is_missing(diff):
        return MISSING
    locale = _locale(locale)
    d = _rounded(diff, decimals, scale=2)
    sign = get_plus_sign_symbol(_parsed(locale)) if d > 0 else ("" if d < 0 else "±")
    return f"{sign}{_number(d, decimals, locale)}{NBSP}{_points(locale)}"


def fmt_signed(value: float | None, decimals: int = 1, locale: str | None = None) -> str:
    """A number with its sign: ``+7,9``, ``−11,1``, ``0,0``."""
    if _is_missing(value):
        return MISSING
    locale = _locale(locale)
    d = _rounded(value, decimals)
    plus = get_plus_sign_symbol(_parsed(locale)) if d > 0 else ""
    return plus + _number(d, decimals, locale)


def fmt_nok(value: float | int | None, locale: str | None = None) -> str:
    """``20000000`` → ``20 000 000 kr`` (whole kroner), ``NOK 20,000,000`` in English;
    None/NaN → ``–``."""
    if _is_missing(value):
        return MISSING
    locale = _locale(locale)
    prefix, suffix = _affixes(locale, "currency")
    prefix, suffix = _currency(prefix, locale, True), _currency(suffix, locale, False)
    return _number(_rounded(value, 0), 0, locale, prefix, suffix)


def _currency(affix: str, locale: str, before: bool) -> str:
    """A currency pattern's text before (``before``) or after the digits with the krone's symbol
    in it; a symbol of letters right next to the digits gets a non-breaking space (CLDR's
    currency spacing, which Babel leaves out: ``NOK 20,000,000``, not ``NOK20,000,000``)."""
    symbol = get_currency_symbol("NOK", _parsed(locale))
    if before and affix.endswith("¤") and symbol[-1:].isalpha():
        affix += NBSP
    if not before and affix.startswith("¤") and symbol[:1].isalpha():
        affix = NBSP + affix
    return affix.replace("¤", symbol)


def fmt_mill(value: float | int | None, locale: str | None = None) -> str:
    """``81600000`` → ``81,6 millioner``, ``81.6 million``; whole millions without decimals;
    «1 million» for exactly one."""
    if _is_missing(value):
        return MISSING
    locale = _locale(locale)
    mill = Decimal(str(value)).scaleb(-6)
    decimals = 0 if mill == mill.to_integral_value() else 1
    rounded = _rounded(mill, decimals)
    shown = _number(rounded, decimals, locale)
    with _words_of(locale):
        words = tn("formats.million", 1 if rounded == 1 else 2, n=shown)
    return words.replace(" ", NBSP, 1)


def fmt_p(p: float | None, locale: str | None = None) -> str:
    """A p-value: ``0,034``; below 0,001 as ``< 0,001``."""
    if _is_missing(p):
        return MISSING
    locale = _locale(locale)
    if p < 0.001:
        return f"<{NBSP}{fmt_dec(0.001, 3, locale)}"
    return fmt_dec(p, 3, locale)


def join_list(items: list[str], locale: str | None = None) -> str:
    """``a, b og c`` (bokmål and nynorsk), ``a, b and c`` (English), by Babel's
    :func:`~babel.lists.format_list`; empty items are left out."""
    items = [str(i) for i in items if i]
    return format_list(items, locale=_locale(locale)) if items else ""


def p_equals(p: float | None, locale: str | None = None) -> str:
    """A p-value as running text states it: ``p = 0,034``, ``p < 0,001`` (never «p = < 0,001»);
    ``p = –`` when there is none."""
    shown = fmt_p(p, locale)
    return f"p{NBSP}{shown}" if shown.startswith("<") else f"p = {shown}"


# --- counts of rows in words ------------------------------------------------------------------
#: The units a scheme counts its rows in (``unit:`` of the YAML). Their words are the catalog's
#: ``unit.<unit>.<form>``: ``one`` «prosjekt», ``many`` «prosjekter», ``the`` «prosjektene»,
#: ``each`` «hvert prosjekt», ``the_one`` «det ene prosjektet», ``the_n`` «de {n}
#: prosjektene», ``answered`` «som svarte», and the plural ``count`` «{n} prosjekt(er)».
UNITS = ("project", "application")
#: Whether the words of the rows that answered (``unit.<unit>.answered``) are a relative
#: clause (a project answers its form: «som svarte» / «that answered»), after which a comma
#: goes before the verb; an application's field is filled in or not («med svar»).
ANSWERED_IS_CLAUSE = {"project": True, "application": False}


def _check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise EvalkitError(f"unknown unit {unit!r}; a scheme's unit is one of {', '.join(UNITS)}")
    return unit


def unit_form(unit: str, form: str, **fields: Any) -> str:
    """One form of the unit's noun in the current language (see :data:`UNITS`):
    ``unit_form("project", "each")`` → «hvert prosjekt» / «kvart prosjekt» / «each project»."""
    return t(f"unit.{_check_unit(unit)}.{form}", **fields)


def unit_words(unit: str) -> tuple[str, str, str]:
    """The unit's noun in the current language: one, many, the many (definite): («prosjekt»,
    «prosjekter», «prosjektene»), («prosjekt», «prosjekt», «prosjekta»), («project»,
    «projects», «projects»)."""
    one, many, the = (unit_form(unit, form) for form in ("one", "many", "the"))
    return one, many, the


def units(n: int, unit: str) -> str:
    """A number of rows with the unit's noun: «1 prosjekt», «15 prosjekter», «0 søknader»."""
    return tn(f"unit.{_check_unit(unit)}.count", n, n=fmt_int(n))


def the_units(n: int, unit: str) -> str:
    """The rows counted, definite: «de 15 prosjektene», «det ene prosjektet», «0 søknader»."""
    if n == 1:
        return unit_form(unit, "the_one")
    return units(n, unit) if n == 0 else unit_form(unit, "the_n", n=fmt_int(n))


def denominator(n: int, missing: int, unit: str, total: int | None = None) -> tuple[str, bool]:
    """What a share is a share of, in words, and whether the words end in a relative clause.

    ``n`` rows answered, ``missing`` did not; ``total``: the rows of the year (``n +
    missing`` when not given). Every row answered: «av de 132 prosjektene»; some did not:
    «av de 131 prosjektene som svarte» (a clause: a comma follows it before the verb), «av de
    379 søknadene med svar»; a share of some of the rows only (``n + missing`` is not
    ``total``): «av 13 prosjekter», its words to be said by the sentence. ``n`` of 0 raises
    :class:`ValueError`: a share of nothing.
    """
    if n <= 0:
        raise ValueError("a share of no rows has no denominator")
    total = n + missing if total is None else total
    rows = units(n, unit) if n + missing != total else the_units(n, unit)
    if missing:
        answered = unit_form(unit, "answered")
        return t("formats.share_of", rows=f"{rows} {answered}"), ANSWERED_IS_CLAUSE[unit]
    return t("formats.share_of", rows=rows), False


def fmt_ci(
    low: float | None, high: float | None, decimals: int = 1, locale: str | None = None
) -> str:
    """A share interval as ``10,7–24,6`` in percent; ``–`` when either end is missing."""
    if _is_missing(low) or _is_missing(high):
        return MISSING
    locale = _locale(locale)
    ends = [_number(_rounded(x, decimals, scale=2), decimals, locale) for x in (low, high)]
    return "–".join(ends)


@dataclass(frozen=True)
class Shown:
    """The one number a shown cell holds (:func:`read_shown`).

    Attributes
    ----------
    value : Decimal
        The number as shown: ``"11,1 %"`` → 11.1, ``"−1,4 p.p."`` → −1.4, ``"22 000 000 kr"``
        → 22000000.
    kind : {"int", "dec", "pct", "nok", "pp"}
        The format that wrote it: :func:`fmt_int`, :func:`fmt_dec`, :func:`fmt_pct`,
        :func:`fmt_nok` or :func:`fmt_pp`.
    decimals : int
        The decimals shown.
    """

    value: Decimal
    kind: str
    decimals: int


def around(shown: str, number: str) -> tuple[str, str]:
    """The text before and after ``number`` in ``shown``, a format's output:
    ``"0\xa0kr"`` → ``("", "\xa0kr")``, ``"NOK\xa00"`` → ``("NOK\xa0", "")``."""
    before, _, after = shown.partition(number)
    return before, after


@functools.cache
def _unit_words(locale: str, points: str) -> tuple[tuple[str, tuple[str, str]], ...]:
    """Each unit's words in ``locale``, as its format writes them around a number (the same
    for every cell: kept, not written again for each of a workbook's thousands of cells).
    ``points``: the catalog's word for percentage points, part of the key, so that a catalog
    read again (:func:`evalkit.i18n.reload_catalogs`) is not read past."""
    return (
        ("pct", around(fmt_pct(0.5, 0, locale=locale), "50")),
        ("nok", around(fmt_nok(0, locale), "0")),
        ("pp", ("", around(fmt_pp(0.01, 0, locale), "1")[1])),
    )


@functools.cache
def _decimal_sign(locale: str) -> str:
    return _parsed(locale).number_symbols["latn"]["decimal"]


def read_shown(text: str, locale: str | None = None) -> Shown | None:
    """The number a cell shows, when the cell is one number written by one of this module's
    formats in ``locale`` (the current language's when None): ``"126"``, ``"0,034"``,
    ``"11,1 %"``, ``"1 865 000 kr"``, ``"+1,2 p.p."``; in English ``"11.1%"``, ``"NOK
    1,865,000"``, ``"+1.2 pp"``. None for anything else (``"< 0,001"``, ``"82 (65,1 %)"``,
    ``"6,7–17,8"``, ``":"``, a name, ``"0301"``, ``"1234"``).

    The words around the digits are those the formats write in ``locale``, the digits are
    read by Babel (:func:`babel.numbers.parse_decimal`, strict), and the number is written
    again by the format the unit names: only a cell that comes back the same is a number, so a
    value as a file wrote it (a code with a leading zero, a hyphen for the minus sign, digits
    of another script) stays text.
    """
    from babel.numbers import NumberFormatError, parse_decimal

    if not isinstance(text, str) or not text:
        return None
    locale = _locale(locale)
    kind, digits = "num", text
    for name, (before, after) in _unit_words(locale, _points(locale)):
        if (before or after) and text.startswith(before) and text.endswith(after):
            kind, digits = name, text[len(before) : len(text) - len(after)]
            break
    minus = get_minus_sign_symbol(_parsed(locale))
    sign = 1
    if digits.startswith(minus):
        sign, digits = -1, digits[len(minus) :]
    elif kind == "pp" and digits[:1] in ("±", get_plus_sign_symbol(_parsed(locale))):
        digits = digits[1:]
    if not digits[:1].isdigit():
        return None
    try:
        number = parse_decimal(digits, locale=_parsed(locale), strict=True) * sign
    except NumberFormatError:
        return None
    decimal_sign = _decimal_sign(locale)
    decimals = len(digits.rsplit(decimal_sign, 1)[1]) if decimal_sign in digits else 0
    if kind == "num":
        kind = "dec" if decimals else "int"
    written = {
        "int": lambda: fmt_int(number, locale),
        "dec": lambda: fmt_dec(number, decimals, locale),
        "pct": lambda: fmt_pct(number.scaleb(-2), decimals, locale=locale),
        "nok": lambda: fmt_nok(number, locale),
        "pp": lambda: fmt_pp(number.scaleb(-2), decimals, locale),
    }[kind]()
    return Shown(number, kind, decimals) if written == text else None


#: The formats a summary placeholder may name after ``:`` (and ``labels``, see
#: :class:`~evalkit.document.text.SummaryFormatter`).
SUMMARY_FORMATS: dict[str, Callable[[Any], str]] = {
    "int": fmt_int,
    "nok": fmt_nok,
    "mill": fmt_mill,
    "prosent": fmt_prosent,
    "pct": fmt_pct,
    "pct0": lambda v: fmt_dec(v * 100, 0),
    "counties": lambda v: tn("formats.counties", v, n=fmt_int(v)),
    "municipalities": lambda v: tn("formats.municipalities", v, n=fmt_int(v)),
}
#: The formats that write the rows counted in the scheme's unit (:func:`units`,
#: :func:`the_units`) and a share's denominator (:func:`denominator`).
UNIT_FORMATS = ("units", "the_units", "of")
_KNOWN_FORMATS = (*SUMMARY_FORMATS, "labels", *UNIT_FORMATS)
#: A placeholder's name: a metrics.json key, then keys (or list positions) in brackets.
PLACEHOLDER_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]{}]+\])*)")
#: One key (or list position) in brackets.
PLACEHOLDER_KEY = re.compile(r"\[([^\[\]]+)\]")
#: Splits a summary text into its text and its placeholders (the grammar of ``str.format``).
TEMPLATE_PARSER = string.Formatter()
#: How to write a placeholder: the fix said with every problem found in one.
PLACEHOLDER_FIX = (
    "write a placeholder as {key} or {key[sub][sub]}, naming a value of metrics.json (or "
    "{most[key]} / {fewest[key]}), with nothing or one of the formats "
    + ", ".join(_KNOWN_FORMATS)
    + " after a colon ({n_projects:int}); write a brace that is text as {{ or }}"
)


def placeholder_text(field: str, spec: str, conversion: str | None) -> str:
    """A placeholder as it is written: ``{shares[x][share]:pct}``."""
    conv = f"!{conversion}" if conversion else ""
    return "{" + field + conv + (f":{spec}" if spec else "") + "}"


def placeholder_problem(field: str, spec: str = "", conversion: str | None = None) -> str | None:
    """What is wrong with one summary placeholder (its name, format and conversion as
    :meth:`string.Formatter.parse` gives them), or None when it names a value and a known
    format.

    Allowed: a metrics.json key followed by keys or list positions in brackets
    (``{shares[collaboration][share]}``, ``{by_round[0][round]}``), ``{most[key]}`` and
    ``{fewest[key]}``; after ``:`` nothing or one of ``int``, ``nok``, ``mill``, ``prosent``,
    ``pct``, ``pct0``, ``counties``, ``municipalities``, ``labels``, ``units``, ``the_units``,
    ``of``. Refused: a conversion (``!r``), an attribute (a dot outside brackets), any other format (width, fill, alignment, a nested placeholder), an empty or a
    numbered placeholder.
    """
    shown = placeholder_text(field, spec, conversion)
    if conversion is not None:
        return f"{shown}: a conversion (!{conversion}) is not allowed"
    match = PLACEHOLDER_NAME.fullmatch(field)
    if match is None:
        if not field:
            return f"{shown}: an empty placeholder names no value"
        if "." in PLACEHOLDER_KEY.sub("", field):
            return f"{shown}: an attribute (a dot outside brackets) is not allowed"
        return f"{shown}: {field!r} is not a metrics.json key with keys in brackets"
    name, keys = match.group(1), PLACEHOLDER_KEY.findall(match.group(2))
    if name in ("most", "fewest") and len(keys) != 1:
        return f"{shown}: {name} takes one county figure in brackets ({{{name}[n_projects]}})"
    if spec and spec not in _KNOWN_FORMATS:
        return f"{shown}: {spec!r} is not a known format"
    return None


def placeholder_problems(template: str, names: tuple[str, ...] | None = None) -> list[str]:
    """Every problem with the placeholders of one summary text (:func:`placeholder_problem`),
    unbalanced braces included. ``names``: the only names the text may use (``count`` and
    ``items`` in the text of a sentence over a list)."""
    try:
        pieces = list(TEMPLATE_PARSER.parse(template))
    except ValueError as err:
        return [f"{err} in {template!r}"]
    out = []
    for _literal, field, spec, conversion in pieces:
        if field is None:
            continue
        problem = placeholder_problem(field, spec or "", conversion)
        name = field.split("[", 1)[0]
        if problem is None and names is not None and name not in names:
            problem = (
                f"{placeholder_text(field, spec or '', None)}: this text names only "
                + " and ".join(f"{{{n}}}" for n in names)
            )
        if problem is not None:
            out.append(problem)
    return out
