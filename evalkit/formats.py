"""Norwegian number formats (Babel/CLDR), and the summary placeholders that name them.

Numbers follow Norwegian typography: a non-breaking space groups thousands
(``20 000 000``), a decimal comma (``91,7``), a non-breaking space before ``%`` and ``kr``.
Every layer that writes Norwegian uses them: the cleaning's data-quality sentences, the test
names of ``metrics.json`` (:mod:`evalkit.wording`), the documents (:mod:`evalkit.document`) and
``outputs/index.html``. A summary sentence of the scheme YAML names a value and one of these
formats (``{n_projects:int}``); :func:`placeholder_problems` is the check the scheme loader
and the documents' :class:`~evalkit.document.text.SummaryFormatter` share. Nothing here
imports more than Babel.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from babel import Locale
from babel.numbers import (
    format_decimal,
    get_currency_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

from evalkit.errors import EvalkitError

NBSP = "\u00a0"
#: The minus sign of Norwegian typography (U+2212), not the hyphen.
MINUS = "\u2212"


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


def join_nb(items: list[str]) -> str:
    """``a, b og c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def p_equals(p: float | None, locale: str = LOCALE) -> str:
    """A p-value as running text states it: ``p = 0,034``, ``p < 0,001`` (never «p = < 0,001»);
    ``p = –`` when there is none."""
    shown = fmt_p(p, locale)
    return f"p{NBSP}{shown}" if shown.startswith("<") else f"p = {shown}"


# --- counts of rows in words ------------------------------------------------------------------
#: More forms of each unit's noun than :data:`evalkit.config.UNIT_NB` has: «hvert
#: prosjekt», «prosjektet», «det ene prosjektet».
UNIT_FORMS_NB = {
    "project": {"each": "hvert prosjekt", "the": "prosjektet", "the_one": "det ene prosjektet"},
    "application": {"each": "hver søknad", "the": "søknaden", "the_one": "den ene søknaden"},
}
#: The rows that answered a question, after the unit's noun: a project answers its form
#: (a relative clause), an application's field is filled in or not.
ANSWERED_NB = {"project": "som svarte", "application": "med svar"}


def unit_words(unit: str) -> tuple[str, str, str]:
    from evalkit.config import UNIT_NB  # the scheme's words; config imports this module late

    try:
        return UNIT_NB[unit]
    except KeyError:
        raise EvalkitError(
            f"unknown unit {unit!r}; a scheme's unit is one of {', '.join(UNIT_NB)}"
        ) from None


def units(n: int, unit: str) -> str:
    """A number of rows with the unit's noun: «1 prosjekt», «15 prosjekter», «0 søknader»."""
    one, many, _the = unit_words(unit)
    return f"{fmt_int(n)} {one if n == 1 else many}"


def the_units(n: int, unit: str) -> str:
    """The rows counted, definite: «de 15 prosjektene», «det ene prosjektet», «0 søknader»."""
    _one, many, the = unit_words(unit)
    if n == 1:
        return UNIT_FORMS_NB[unit]["the_one"]
    return f"{fmt_int(n)} {many}" if n == 0 else f"de {fmt_int(n)} {the}"


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
    answered = ANSWERED_NB[unit]
    clause = answered.startswith("som ")
    if n + missing != total:
        if missing:
            return f"av {units(n, unit)} {answered}", clause
        return f"av {units(n, unit)}", False
    if missing:
        return f"av {the_units(n, unit)} {answered}", clause
    return f"av {the_units(n, unit)}", False


def fmt_ci(low: float | None, high: float | None, decimals: int = 1, locale: str = LOCALE) -> str:
    """A share interval as ``10,7–24,6`` in percent; ``–`` when either end is missing."""
    if _is_missing(low) or _is_missing(high):
        return MISSING
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


def read_shown(text: str, locale: str = LOCALE) -> Shown | None:
    """The number a cell shows, when the cell is one number written by one of this module's
    formats (``"126"``, ``"0,034"``, ``"11,1 %"``, ``"1 865 000 kr"``, ``"+1,2 p.p."``);
    None for anything else (``"< 0,001"``, ``"82 (65,1 %)"``, ``"6,7–17,8"``, ``":"``, a
    name, ``"0301"``, ``"1234"``).

    The digits are read by Babel (:func:`babel.numbers.parse_decimal`, strict), and the
    number is written again by the format the unit names: only a cell that comes back the
    same is a number, so a value as a file wrote it (a code with a leading zero, a hyphen for
    the minus sign, digits of another script) stays text.
    """
    from babel.numbers import NumberFormatError, parse_decimal

    if not isinstance(text, str) or not text:
        return None
    units = {
        "pct": _affixes(locale, "percent")[1],
        "nok": _affixes(locale, "currency")[1].replace("¤", get_currency_symbol("NOK", locale)),
        "pp": f"{NBSP}p.p.",
    }
    kind, digits = "num", text
    for name, suffix in units.items():
        if suffix and text.endswith(suffix):
            kind, digits = name, text[: -len(suffix)]
            break
    minus = get_minus_sign_symbol(locale)
    sign = 1
    if digits.startswith(minus):
        sign, digits = -1, digits[len(minus) :]
    elif kind == "pp" and digits[:1] in ("±", get_plus_sign_symbol(locale)):
        digits = digits[1:]
    if not digits[:1].isdigit():
        return None
    try:
        number = parse_decimal(digits, locale=locale, strict=True) * sign
    except NumberFormatError:
        return None
    decimal_sign = Locale.parse(locale).number_symbols["latn"]["decimal"]
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
    "counties": lambda v: f"{fmt_int(v)} {'fylke' if v == 1 else 'fylker'}",
    "municipalities": lambda v: f"{fmt_int(v)} {'kommune' if v == 1 else 'kommuner'}",
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
