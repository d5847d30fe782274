"""Parsers for the answers people type into forms: yes/no, checkboxes, categories, amounts
and free-text reasons.

Each parser (``yesno_of``, ``checkbox_of``, ``category_of``, ``amount_of``, ``reasons_of``)
works with vectorised string operations on the distinct normalised values of a column, as
:func:`distinct_text` gives them; the cleaning step maps the result back to the rows with the
codes :func:`distinct_text` returns, so the cost grows with the number of distinct spellings,
not with the number of rows. Each returns the parsed values and a boolean mask of the
non-blank values it could not read; the cleaning step turns the mask into flags.

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

from evalkit.config import MAX_EXACT_AMOUNT, AmountRange, Vocabulary

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


# --- control and invisible characters --------------------------------------------------
#: The characters taken out of every cell before cleaning, by class (the class is the
#: ``problem`` of their flag), as ranges of code points, both ends included:
#:
#: * ``control_character``: the C0 and C1 control characters other than tab, line feed and
#:   carriage return (a line break; ``\r\n`` and ``\r`` are line breaks too). Excel cannot
#:   store most of them and none belongs in an answer.
#: * ``bidi_control``: the bidirectional embeddings and overrides U+202A–U+202E, the isolates
#:   U+2066–U+2069 and the marks U+200E, U+200F and U+061C; they can show a text in
#:   another order than it has.
#: * ``zero_width_character``: zero-width space, non-joiner and joiner U+200B–U+200D, the
#:   word joiner U+2060 and the byte-order mark U+FEFF; invisible, they keep an id, a code
#:   or a name from matching its twin.
INVISIBLE: dict[str, tuple[tuple[int, int], ...]] = {
    "control_character": ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F)),
    "bidi_control": ((0x061C, 0x061C), (0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069)),
    "zero_width_character": ((0x200B, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF)),
}
#: Control characters that Python counts as white space (vertical tab, form feed, the
#: information separators, next line) become a space rather than nothing, so that the words
#: around them stay apart (Word's manual line break, pasted, is a vertical tab).
SPACE_LIKE_CONTROLS = "\x0b\x0c\x1c\x1d\x1e\x1f\x85"


def _re2_class(ranges) -> str:
    """A character class of code-point ranges, in RE2's syntax (for pyarrow)."""
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


_ALL_INVISIBLE = tuple(r for ranges in INVISIBLE.values() for r in ranges)
_INVISIBLE_RE2 = _re2_class(_ALL_INVISIBLE)
_NOT_INVISIBLE_RE2 = "[^" + _INVISIBLE_RE2[1:] + "+"
_SPACE_LIKE_RE2 = _re2_class((ord(c), ord(c)) for c in SPACE_LIKE_CONTROLS)


def _utf8_key(b0: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """The first bytes of a UTF-8 sequence packed into one number: as many of ``b0 b1 b2``
    as the lead byte ``b0`` says the sequence has (continuation bytes give keys no
    character of :data:`INVISIBLE` has)."""
    b0, b1, b2 = (np.asarray(b, dtype=np.uint32) for b in (b0, b1, b2))
    n = np.where(b0 < 0x80, 1, np.where(b0 < 0xE0, 2, 3))
    return (b0 << 16) | (np.where(n >= 2, b1, 0) << 8) | np.where(n >= 3, b2, 0)


_INVISIBLE_KEYS = np.unique(
    [
        _utf8_key(*(list(chr(c).encode()) + [0, 0])[:3])
        for a, b in _ALL_INVISIBLE
        for c in range(a, b + 1)
    ]
)


#: The bytes that can begin the UTF-8 of a character of :data:`INVISIBLE`.
_INVISIBLE_LEADS = np.zeros(256, dtype=bool)
_INVISIBLE_LEADS[_INVISIBLE_KEYS >> 16] = True


def holds_invisible(values: pa.Array) -> bool:
    """Whether any string of ``values`` may hold a character of :data:`INVISIBLE`.

    A test on the bytes of the array's UTF-8 data, without looking at strings one by one:
    a column of printable ASCII is answered from its smallest and largest byte; otherwise
    only the bytes outside printable ASCII are looked up. Never false when a string holds
    one (it may be true for bytes outside the array's own strings, when the array is a
    slice of a larger one).
    """
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return True  # another layout of text: the caller looks string by string
    data = values.buffers()[2]
    if data is None or data.size == 0:
        return False
    buf = np.frombuffer(data, dtype=np.uint8)
    if buf.min() >= 0x20 and buf.max() < 0x7F:
        return False
    at = np.flatnonzero((buf < 0x20) | (buf >= 0x7F))
    at = at[_INVISIBLE_LEADS[buf[at]]]  # æ, ø and å (lead byte 0xC3) drop out here
    if not len(at):
        return False
    last = len(buf) - 1
    after = [np.where(at + k <= last, buf[np.minimum(at + k, last)], 0) for k in (1, 2)]
    return bool(np.isin(_utf8_key(buf[at], *after), _INVISIBLE_KEYS).any())


def invisible_mask(values: pa.Array) -> np.ndarray:
    """True for each string that holds a character of :data:`INVISIBLE` (cheap when none
    does: see :func:`holds_invisible`)."""
    if not holds_invisible(values):
        return np.zeros(len(values), dtype=bool)
    return _bools(pc.match_substring_regex(values, _INVISIBLE_RE2))


def code_points(text: str) -> str:
    """``"a\x07"`` → ``"U+0007"``: the characters as code points, each once, in order."""
    return ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(text))


def strip_invisible(values: pa.Array) -> pa.Array:
    """The strings without the characters of :data:`INVISIBLE` (the space-like control
    characters become a space)."""
    spaced = pc.replace_substring_regex(values, _SPACE_LIKE_RE2, " ")
    return pc.replace_substring_regex(spaced, _INVISIBLE_RE2 + "+", "")


def invisible_only(values: pa.Array) -> pa.Array:
    """Each string reduced to its characters of :data:`INVISIBLE`, in order."""
    return pc.replace_substring_regex(values, _NOT_INVISIBLE_RE2, "")


def invisible_by_class(chars: str) -> dict[str, str]:
    """The characters of ``chars`` by class of :data:`INVISIBLE` (classes with none left
    out)."""
    out = {}
    for problem, ranges in INVISIBLE.items():
        found = "".join(c for c in chars if any(a <= ord(c) <= b for a, b in ranges))
        if found:
            out[problem] = found
    return out


def show_invisible(values: pd.Series) -> pd.Series:
    """Strings with each character of :data:`INVISIBLE` written as a visible ``[U+0007]``,
    so that a value can be shown (in ``data_quality.csv``, a workbook, a page) without
    carrying the character itself. Strings without one are returned as they are."""
    strings = values.astype("string")
    text = arrow_strings(strings)
    hit = invisible_mask(text)
    if not hit.any():
        return strings
    shown = text.filter(hit)
    chars = "".join(pc.unique(invisible_only(shown)).drop_null().to_pylist())
    for char in dict.fromkeys(chars):  # each character present, once
        shown = pc.replace_substring(shown, char, f"[U+{ord(char):04X}]")
    return string_series(pc.replace_with_mask(text, pa.array(hit), shown), index=values.index)


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


def blank_mask(values: pd.Series) -> np.ndarray:
    """True where a cell is empty (NA or only spaces), as a numpy bool array."""
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


def amount_values(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Whole kroner of normalised text as float64 (NaN when blank or unreadable), and
    unreadable.

    Each rule runs only on the values that can match it (found by plain substring tests):
    the currency words come off (twice: «kr 100,-»), then millions, øre after a decimal
    mark, and digits grouped in threes. A value too large for an integer type stays a float
    here (``inf`` when beyond float64): :func:`amount_of` compares it with the plausible
    range before any integer conversion.
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
    return amount, ~blank & np.isnan(amount)


def amount_of(
    text: pa.Array, plausible: AmountRange | None = None
) -> tuple[pd.arrays.IntegerArray, np.ndarray, np.ndarray]:
    """Whole kroner of normalised text: (Int64 amount, unreadable, implausible).

    The amount is NA when blank, unreadable or outside ``plausible`` (default: 0 to
    :data:`~evalkit.config.MAX_EXACT_AMOUNT`, the amounts an exact integer holds). The range
    is checked on the float values, before any conversion to integers, so an amount no
    integer type holds (``12 000 000 000 000 000 000``) is implausible, never an overflow;
    the range ends at 2**53 at most, so the comparison is exact.
    """
    value, bad = amount_values(text)
    low, high = (0, MAX_EXACT_AMOUNT) if plausible is None else (plausible.min, plausible.max)
    read = ~np.isnan(value)
    with np.errstate(invalid="ignore"):
        implausible = read & ((value < low) | (value > high))
    keep = read & ~implausible
    whole = np.zeros(len(value), dtype=np.int64)
    whole[keep] = value[keep]  # exact: every kept value is an integer of at most 2**53
    return pd.arrays.IntegerArray(whole, ~keep), bad, implausible


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
