"""Parsers for the answers people type into forms: yes/no, checkboxes, categories, amounts
and free-text reasons.

Each parser works on the distinct values of a column (:func:`distinct_text`) with vectorised
string operations, then maps the result back, so its cost grows with the number of distinct
spellings, not with the number of rows. Each returns the parsed values and a boolean mask of
the non-blank cells it could not read; the cleaning step turns the mask into flags.

The string operations run in pyarrow. Regular expressions are given to pandas as pattern
strings, so pandas runs them with pyarrow's RE2 when that gives the same result as Python's
``re`` and with ``re`` otherwise (``\\d`` on non-ASCII text, for one); the whitespace class is
spelled out character by character, so RE2 and ``re`` read it alike on any text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.config import Vocabulary

#: Spellings of «yes» (compared after trimming and case folding).
YES = ("ja", "j", "yes", "y", "1", "x", "true", "sant")
#: Spellings of «no».
NO = ("nei", "n", "no", "0", "false", "usant")
#: Answers that mean «no answer»: missing, not an error.
NO_ANSWER = ("", "-", "vet ikke", "vet ikkje", "ikke besvart", "ikkje svart", "nan", "none")

#: Every character Python's ``re`` counts as ``\s`` (those for which ``str.isspace`` is
#: true), among them the no-break space U+00A0, the figure space U+2007, the thin space
#: U+2009 and the narrow no-break space U+202F. Written out so that RE2 reads the class as
#: ``re`` does (RE2's ``\s`` is ASCII only).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACES = f"[{WHITESPACE}]+"
_NOT_SINGLE_SPACE = "[{}]|  ".format(WHITESPACE.replace(" ", ""))
_INTEGRAL = r"^(-?\d+)\.0$"

_YES = pa.array(YES)
_NO = pa.array(NO)
_NO_ANSWER = pa.array(NO_ANSWER)
_NOT_TICKED = pa.array(NO_ANSWER + NO)


# --- pyarrow <-> pandas ---------------------------------------------------------------------
def arrow_strings(values) -> pa.Array:
    """The values of a string Series (or pandas or pyarrow array) as one pyarrow string array.

    Values of another dtype are converted as ``astype("string")`` converts them.
    """
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    arr = values.array if isinstance(values, pd.Series) else values
    if not isinstance(arr.dtype, pd.StringDtype):
        arr = pd.Series(np.asarray(arr, dtype=object), copy=False).astype("string").array
    out = pa.array(arr)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def string_array(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A pyarrow string array as a pandas array of the ``"string"`` dtype."""
    return pd.StringDtype().__from_arrow__(values)


def string_series(values: pa.Array, index: pd.Index | None = None, name=None) -> pd.Series:
    """A pyarrow string array as a Series of the ``"string"`` dtype."""
    return pd.Series(string_array(values), index=index, name=name, copy=False)


def _bools(values: pa.Array) -> np.ndarray:
    """A pyarrow boolean array as a numpy bool array, null read as False."""
    return values.fill_null(False).to_numpy(zero_copy_only=False)


def _na_last(codes: np.ndarray, n: int) -> np.ndarray:
    """Codes with the NA sentinel (-1) pointing at position ``n``."""
    return np.where(codes < 0, n, codes).astype(np.int64, copy=False)


def distinct(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """The distinct values of a column and where each row's value is among them.

    Returns
    -------
    codes : ndarray of int64
        For each row, the position of its value in ``uniques``; NA points at the last
        position.
    uniques : pyarrow string array
        The distinct non-missing values as text, in order of first appearance, followed by
        one null that stands for NA.
    """
    arr = values.array if isinstance(values, pd.Series) else values
    if isinstance(arr.dtype, pd.StringDtype):
        encoded = pc.dictionary_encode(arrow_strings(arr))
        uniques = encoded.dictionary
        codes = encoded.indices.fill_null(len(uniques)).to_numpy().astype(np.int64)
    else:
        codes, found = pd.factorize(arr, use_na_sentinel=True)
        uniques = arrow_strings(pd.Series(found, dtype=object).astype("string"))
        codes = _na_last(codes, len(uniques))
    return codes, pa.concat_arrays([uniques, pa.nulls(1, uniques.type)])


def distinct_rows(*columns: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Rows with the same values in ``columns`` share a key.

    Returns
    -------
    key : ndarray of int64
        The key of each row, ``0 … k - 1``.
    first : ndarray of int64
        The first row (position) of each key.
    """
    key = None
    for col in columns:
        codes = distinct(col)[0]  # 0 … m - 1, and m for NA: no gaps
        if key is not None:
            key = pd.factorize(key * (int(codes.max(initial=0)) + 1) + codes)[0]
        else:
            key = codes
    key = np.asarray(key, dtype=np.int64)
    return key, np.unique(key, return_index=True)[1]


def distinct_text(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Like :func:`distinct`, with the distinct values as :func:`_text` makes them."""
    codes, uniques = distinct(values)
    return codes, text_array(uniques)


# --- text ---------------------------------------------------------------------------------
def text_array(values: pa.Array) -> pa.Array:
    """Trimmed strings with one plain space between words; blank becomes null; an integral
    Excel number (``1.0``) is written without ``.0``."""
    # only a string with white space other than single plain spaces changes before trimming
    spaced = _bools(pc.match_substring_regex(values, _NOT_SINGLE_SPACE))
    if spaced.any():
        sub = pc.replace_substring_regex(values.filter(spaced), _SPACES, " ")
        values = pc.replace_with_mask(values, pa.array(spaced), sub)
    s = pc.utf8_trim_whitespace(values)
    integral = _bools(pc.ends_with(s, ".0"))  # the only candidates for the «.0» rule
    if integral.any():
        sub = string_series(s.filter(integral)).str.replace(_INTEGRAL, r"\1", regex=True)
        s = pc.replace_with_mask(s, pa.array(integral), arrow_strings(sub))
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, s.type), s)


def casefold(values: pa.Array) -> pa.Array:
    """``str.casefold`` of every string (ASCII ones in pyarrow, the others in Python)."""
    lower = pc.ascii_lower(values)
    other = _bools(pc.invert(pc.string_is_ascii(values)))
    if not other.any():
        return lower
    folded = string_series(values.filter(other)).str.casefold()
    return pc.replace_with_mask(lower, pa.array(other), arrow_strings(folded))


def _text(values: pd.Series) -> pd.Series:
    """Values as trimmed strings with one plain space between words; blank and NA become NA.

    Excel numbers arrive as ``1.0``: integral floats are written without ``.0``. Works on the
    distinct values and maps back.
    """
    codes, text = distinct_text(values)
    return string_series(text.take(codes), index=values.index)


def is_blank(values: pd.Series) -> pd.Series:
    """True where a cell is empty (NA or only spaces)."""
    return pd.Series(blank_mask(values), index=values.index)


def blank_mask(values: pd.Series) -> np.ndarray:
    """:func:`is_blank` as a numpy bool array."""
    s = arrow_strings(values)
    return _bools(pc.or_kleene(pc.is_null(s), pc.equal(pc.utf8_trim_whitespace(s), "")))


# --- joining lists ------------------------------------------------------------------------
def join_groups(groups: np.ndarray, values: pa.Array, n: int, sep: str = ";") -> pa.Array:
    """Join the values of each group into one sorted, de-duplicated string.

    Parameters
    ----------
    groups : ndarray of int
        The group (``0 … n - 1``) of each value.
    values : pyarrow string array
        The values; nulls and empty strings are left out.
    n : int
        The number of groups.
    sep : str
        The separator.

    Returns
    -------
    pyarrow string array
        ``n`` strings, null for a group without values.
    """
    keep = _bools(pc.not_equal(values, ""))
    groups = np.asarray(groups, dtype=np.int64)[keep]
    values = values.filter(keep)
    if not len(values):
        return pa.nulls(n, pa.large_string())
    order = pc.sort_indices(
        pa.table({"g": groups, "v": values}), [("g", "ascending"), ("v", "ascending")]
    ).to_numpy()
    groups = groups[order]
    values = values.take(order)
    # sorted, each group's values are together and a repeated value follows its first
    first = np.ones(len(groups), dtype=bool)
    first[1:] = groups[1:] != groups[:-1]
    repeated = np.zeros(len(groups), dtype=bool)
    repeated[1:] = ~first[1:] & _bools(pc.equal(values[1:], values[:-1]))
    keep = ~repeated
    groups, values, first = groups[keep], values.filter(keep), first[keep]
    starts = np.flatnonzero(first)
    offsets = pa.array(np.append(starts, len(groups)), type=pa.int64())
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(offsets, values), pa.scalar(sep, values.type)
    )
    where = np.full(n, -1, dtype=np.int64)
    where[groups[starts]] = np.arange(len(starts))
    return joined.take(pa.array(where, mask=where < 0))


def join_sorted_unique(long: pd.Series, index: pd.Index, sep: str = ";") -> pd.Series:
    """Join the values of a long Series (index = row label) into one sorted, de-duplicated
    string per row, aligned with ``index`` (NA for rows with none)."""
    labels, found = pd.factorize(long.index)
    joined = join_groups(labels, arrow_strings(long), len(found), sep)
    where = pd.Index(found).get_indexer(index)
    return string_series(joined.take(pa.array(where, mask=where < 0)), index=index)


def split_long(values: pa.Array, pattern: str, regex: bool = True) -> tuple[np.ndarray, pa.Array]:
    """Split every string on a pattern into (position, piece) pairs, as ``str.split`` (or,
    with ``regex``, ``re.split``) does.

    The pattern is run by RE2, so it must mean the same to RE2 as to ``re`` on ``values``
    (no ``\\s``, ``\\d``, ``\\w``, ``\\b`` unless the text is ASCII) and must not match the
    empty string. Nulls give no pieces; empty pieces are kept.
    """
    split = pc.split_pattern_regex if regex else pc.split_pattern
    parts = split(values, pattern)
    return pc.list_parent_indices(parts).to_numpy(), pc.list_flatten(parts)


# --- the parsers on distinct values ---------------------------------------------------------
def yesno_of(text: pa.Array) -> tuple[pd.arrays.BooleanArray, np.ndarray]:
    """Yes/no of normalised text: (nullable boolean answer, unreadable)."""
    key = casefold(text)
    yes = _bools(pc.is_in(key, value_set=_YES))
    no = _bools(pc.is_in(key, value_set=_NO))
    blank = _bools(pc.or_kleene(pc.is_null(key), pc.is_in(key, value_set=_NO_ANSWER)))
    return pd.arrays.BooleanArray(yes, ~(yes | no)), ~(yes | no | blank)


def checkbox_of(text: pa.Array) -> np.ndarray:
    """Ticked, for normalised text."""
    key = casefold(text)
    return ~_bools(pc.or_kleene(pc.is_null(key), pc.is_in(key, value_set=_NOT_TICKED)))


def category_key(text: pa.Array) -> pa.Array:
    """The matching key of normalised text: NFC, case folded, spaces and punctuation gone."""
    nfc = arrow_strings(string_series(text).str.normalize("NFC"))
    return arrow_strings(string_series(casefold(nfc)).str.replace(r"[\W_]+", "", regex=True))


def category_of(
    text: pa.Array, lookup: dict[str, str], key: pa.Array | None = None
) -> tuple[pa.Array, np.ndarray]:
    """Vocabulary codes of normalised text (null when blank or unknown), and unknown."""
    key = category_key(text) if key is None else key
    spellings = pa.array(list(lookup), type=pa.large_string())
    codes = pa.array(list(lookup.values()), type=pa.large_string())
    code = codes.take(pc.index_in(key, value_set=spellings))
    blank = _bools(pc.or_kleene(pc.is_null(text), pc.is_in(casefold(text), value_set=_NO_ANSWER)))
    return code, ~blank & _bools(pc.is_null(code))


# Amounts: «150 000», «150.000», «kr 150 000,-», «150000 NOK», «1,2 mill.», «150 000,00».
# The text is normalised first, so a plain space is the only white space left in it.
_CURRENCY = r"^(?:nok|kr\.?|kroner) *| *(?:nok|kr\.?|kroner|,-|\.-) *$"
#: Every match of ``_CURRENCY`` holds one of these.
_CURRENCY_PARTS = ("nok", "kr", ",-", ".-")
_MILLION = r"^(\d+(?:[.,]\d+)?) *(?:mill\.?|millioner|million|mnok|mill\. kr)$"
#: Every match of ``_MILLION`` holds one of these.
_MILLION_PARTS = ("mill", "mnok")
_DECIMALS = r"^(\d[\d .,]*?)[.,](\d{2})$"
#: Digits in groups of three after one to three, all separated by the same mark.
_GROUPED = r"^\d{1,3}(?:(?: \d{3})+|(?:\.\d{3})+|(?:,\d{3})+)?$"
#: ``_GROUPED`` or plain digits.
_WHOLE = r"^(?:\d+|\d{1,3}(?:(?: \d{3})+|(?:\.\d{3})+|(?:,\d{3})+))$"


def _holding(values: pa.Array, parts: tuple[str, ...]) -> np.ndarray:
    """True where a string holds one of ``parts`` (literal substrings)."""
    return np.logical_or.reduce([_bools(pc.match_substring(values, p)) for p in parts])


# The amount rules run in RE2 (pyarrow) when every value is ASCII: their patterns use no
# \\s, \\w or \\b, the text holds no newline, and on ASCII text RE2's \\d is re's. Otherwise
# pandas runs them (with re where RE2 would differ).
def _fullmatch(values: pa.Array, pattern: str, ascii_: bool) -> np.ndarray:
    """Whether each string matches ``pattern`` (``^…$``) as a whole; False for null."""
    if ascii_:
        return _bools(pc.match_substring_regex(values, pattern))
    return string_series(values).str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)


def _sub(values: pa.Array, pattern: str, repl: str, ascii_: bool) -> pa.Array:
    """``re.sub(pattern, repl, value)`` of each string."""
    if ascii_:
        return pc.replace_substring_regex(values, pattern, repl)
    return arrow_strings(string_series(values).str.replace(pattern, repl, regex=True))


def _floats(values: pa.Array, ascii_: bool) -> np.ndarray:
    """``float(value)`` of strings of digits with at most one decimal point."""
    if ascii_:  # pyarrow parses decimal text correctly rounded, as float() does
        return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    return string_series(values).astype(float).to_numpy()


def amount_of(text: pa.Array) -> tuple[pd.array, np.ndarray]:
    """Whole kroner of normalised text (Int64, NA when blank or unreadable), and unreadable.

    Each rule runs only on the values that can match it (found by plain substring tests):
    the currency words come off (twice: «kr 100,-»), then millions, øre after a decimal
    mark, and digits grouped in threes.
    """
    key = casefold(text)
    blank = _bools(pc.or_kleene(pc.is_null(key), pc.is_in(key, value_set=_NO_ANSWER)))
    ascii_ = not _bools(pc.invert(pc.string_is_ascii(key))).any()
    currency = _holding(key, _CURRENCY_PARTS)
    if currency.any():
        sub = _sub(key.filter(currency), _CURRENCY, "", ascii_)
        sub = _sub(sub, _CURRENCY, "", ascii_)
        key = pc.replace_with_mask(key, pa.array(currency), sub)
    core = pc.utf8_trim_whitespace(key)
    amount = np.full(len(core), np.nan)
    # millions
    has_mill = _holding(core, _MILLION_PARTS)
    if has_mill.any():
        has_mill[has_mill] = _fullmatch(core.filter(has_mill), _MILLION, ascii_)
    if has_mill.any():
        mill = _sub(core.filter(has_mill), _MILLION, r"\1", ascii_)
        amount[has_mill] = _floats(pc.replace_substring(mill, ",", "."), ascii_) * 1_000_000
    # øre after a decimal mark (a grouped number never matches _DECIMALS: its third last
    # character is a digit)
    has_dec = ~has_mill & _fullmatch(core, _DECIMALS, ascii_)
    if has_dec.any():
        has_dec[has_dec] = ~_fullmatch(core.filter(has_dec), _GROUPED, ascii_)
    whole = core
    if has_dec.any():
        dec = core.filter(has_dec)
        whole = pc.replace_with_mask(core, pa.array(has_dec), _sub(dec, _DECIMALS, r"\1", ascii_))
        ore = _floats(_sub(dec, _DECIMALS, r"\2", ascii_), ascii_)
    ok = ~has_mill & _fullmatch(whole, _WHOLE, ascii_)
    digits = whole.filter(ok)
    for mark in " .,":
        digits = pc.replace_substring(digits, mark, "")
    amount[ok] = _floats(digits, ascii_)
    if has_dec.any():
        with_ore = ok & has_dec
        amount[with_ore] = amount[with_ore] + ore[ok[has_dec]] / 100
    amount = np.floor(amount + 0.5)
    bad = ~blank & np.isnan(amount)
    return pd.array(amount, dtype="Int64"), bad


def reasons_of(text: pa.Array, vocabulary: Vocabulary) -> pd.DataFrame:
    """Reason codes of normalised text: one nullable boolean column per code."""
    fallback = [t.code for t in vocabulary.terms if t.fallback]
    ruled = [t for t in vocabulary.terms if not t.fallback]
    key = casefold(text)
    blank = _bools(pc.or_kleene(pc.is_null(key), pc.is_in(key, value_set=_NO_ANSWER)))
    cols: dict[str, np.ndarray] = {}
    for term in ruled:
        if term.keywords:  # keywords are plain substrings
            cols[term.code] = _holding(key, tuple(term.keywords))
        else:
            cols[term.code] = np.zeros(len(key), dtype=bool)
    for code in fallback:  # «none of the codes so far»
        cols[code] = (
            ~np.logical_or.reduce(list(cols.values())) if cols else np.ones(len(key), dtype=bool)
        )
    return pd.DataFrame(
        {code: pd.arrays.BooleanArray(v, blank) for code, v in cols.items()}, copy=False
    )


# --- the parsers on a column ----------------------------------------------------------------
def parse_yesno(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read yes/no answers.

    Returns
    -------
    answer : Series of boolean (nullable)
        True for a «yes» spelling, False for «no», NA for blank, «-», «Vet ikke», «Ikke
        besvart» and for anything unrecognised.
    unreadable : Series of bool
        True where a non-blank value was not recognised (set to missing and flagged).
    """
    codes, text = distinct_text(values)
    answer, bad = yesno_of(text)
    return (
        pd.Series(answer.take(codes), index=values.index, name="answer"),
        pd.Series(bad[codes], index=values.index, name="bad"),
    )


def parse_checkbox(values: pd.Series) -> pd.Series:
    """Read a checkbox: any non-blank value that is not a «no» spelling is ticked.

    A checkbox is never missing: blank means not ticked.
    """
    codes, text = distinct_text(values)
    return pd.Series(checkbox_of(text)[codes], index=values.index, name="ticked")


def parse_category(values: pd.Series, vocabulary: Vocabulary) -> tuple[pd.Series, pd.Series]:
    """Match answers to a vocabulary on the code, the Norwegian label or an accepted spelling,
    ignoring case, spaces and punctuation.

    Returns the codes (string, NA when blank or unknown) and a mask of unknown non-blank values.
    """
    codes, text = distinct_text(values)
    code, bad = category_of(text, vocabulary.lookup)
    return (
        string_series(code.take(codes), index=values.index, name="code"),
        pd.Series(bad[codes], index=values.index, name="bad"),
    )


def parse_amount(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read amounts in whole kroner written every way people write them.

    Accepted: plain numbers (also Excel numbers), thousands grouped with spaces (normal,
    non-breaking or thin), dots or commas (``150 000``, ``150.000``, ``150,000``), a currency
    word before or after (``kr``, ``kr.``, ``NOK``, ``kroner``), a trailing ``,-``, øre
    with two decimals (``150 000,50`` is rounded half up to whole kroner), and millions (``1,2 mill.`` =
    1 200 000). Anything else, and negative amounts, are unreadable.

    Returns
    -------
    amount : Series of Int64
        NA when blank or unreadable.
    unreadable : Series of bool
        True where a non-blank value could not be read.
    """
    codes, text = distinct_text(values)
    amount, bad = amount_of(text)
    return (
        pd.Series(amount.take(codes), index=values.index, name="amount"),
        pd.Series(bad[codes], index=values.index, name="bad"),
    )


def parse_reasons(values: pd.Series, vocabulary: Vocabulary) -> pd.DataFrame:
    """Sort free-text reasons into vocabulary codes by keyword rules.

    A text gets every code one of whose keywords (lower-case substrings, listed in the scheme
    YAML) occurs in it; a non-blank text that matches none gets the vocabulary's fallback code
    (``annet``). Blank texts get NA in every column.

    Returns
    -------
    DataFrame
        One boolean (nullable) column per code, named by the code.
    """
    codes, text = distinct_text(values)
    out = reasons_of(text, vocabulary).take(codes)
    out.index = values.index
    return out[[t.code for t in vocabulary.terms]]
