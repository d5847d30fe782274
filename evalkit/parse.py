"""Parsers for the answers people type into forms: yes/no, checkboxes, categories, amounts
and free-text reasons.

Each parser works on the distinct values of a column (``pd.factorize``) with vectorised
string operations, then maps the result back, so its cost grows with the number of distinct
spellings, not with the number of rows. Each returns the parsed values and a boolean mask of
the non-blank cells it could not read; the cleaning step turns the mask into flags.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from evalkit.config import Vocabulary

#: Spellings of «yes» (compared after trimming and case folding).
YES = ("ja", "j", "yes", "y", "1", "x", "true", "sant")
#: Spellings of «no».
NO = ("nei", "n", "no", "0", "false", "usant")
#: Answers that mean «no answer»: missing, not an error.
NO_ANSWER = ("", "-", "vet ikke", "vet ikkje", "ikke besvart", "ikkje svart", "nan", "none")

_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")


def _text(values: pd.Series) -> pd.Series:
    """Values as trimmed strings with one plain space between words; blank and NA become NA.

    Excel numbers arrive as ``1.0``: integral floats are written without ``.0``. Works on the
    distinct values and maps back.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    done = _text_uniques(pd.Series(uniques, dtype=object))
    out = pd.array(done.to_numpy(), dtype="string").take(codes, allow_fill=True)
    return pd.Series(out, index=values.index, dtype="string")


def _text_uniques(values: pd.Series) -> pd.Series:
    s = values.astype("string")
    s = s.str.replace(_SPACES, " ", regex=True).str.strip()
    s = s.str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)
    return s.mask(s == "")


def is_blank(values: pd.Series) -> pd.Series:
    """True where a cell is empty (NA or only spaces)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="string").str.strip()
    blank_u = np.append((u.isna() | (u == "")).fillna(True).to_numpy(dtype=bool), True)
    return pd.Series(blank_u[np.where(codes < 0, len(blank_u) - 1, codes)], index=values.index)


def join_sorted_unique(long: pd.Series, index: pd.Index, sep: str = ";") -> pd.Series:
    """Join the values of a long Series (index = row label) into one sorted, de-duplicated
    string per row, aligned with ``index`` (NA for rows with none). Rows with one value (most
    of them) are taken as they are; only rows with several are joined."""
    long = long.dropna()
    long = long[long != ""]
    if long.empty:
        return pd.Series(pd.NA, index=index, dtype="string")
    frame = pd.DataFrame({"row": long.index, "v": long.to_numpy()}).drop_duplicates()
    frame = frame.sort_values(["row", "v"], kind="stable")
    size = frame.groupby("row", sort=False)["v"].transform("size")
    single = frame[size == 1].set_index("row")["v"]
    multi = frame[size > 1].groupby("row", sort=False)["v"].agg(sep.join)
    out = pd.concat([single, multi])
    return out.reindex(index).astype("string")


def _by_unique(
    values: pd.Series, parse_uniques: Callable[[pd.Series], pd.DataFrame]
) -> pd.DataFrame:
    """Apply ``parse_uniques`` to the distinct values of ``values`` and map back by position."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = parse_uniques(pd.Series(uniques, dtype="string")).reset_index(drop=True)
    # one extra row for NA (sentinel -1 -> last position)
    na_row = parse_uniques(pd.Series([pd.NA], dtype="string")).reset_index(drop=True)
    table = pd.concat([parsed, na_row], ignore_index=True)
    taken = table.take(np.where(codes < 0, len(table) - 1, codes))
    taken.index = values.index
    return taken


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

    def parse(u: pd.Series) -> pd.DataFrame:
        key = _text(u).str.casefold()
        yes = key.isin(YES)
        no = key.isin(NO)
        blank = key.isna() | key.isin(NO_ANSWER)
        answer = pd.Series(pd.NA, index=u.index, dtype="boolean")
        answer[yes.fillna(False)] = True
        answer[no.fillna(False)] = False
        return pd.DataFrame({"answer": answer, "bad": ~(yes | no | blank).fillna(False)})

    out = _by_unique(values, parse)
    return out["answer"].astype("boolean"), out["bad"].astype(bool)


def parse_checkbox(values: pd.Series) -> pd.Series:
    """Read a checkbox: any non-blank value that is not a «no» spelling is ticked.

    A checkbox is never missing: blank means not ticked.
    """

    def parse(u: pd.Series) -> pd.DataFrame:
        key = _text(u).str.casefold()
        ticked = ~(key.isna() | key.isin(NO_ANSWER) | key.isin(NO))
        return pd.DataFrame({"ticked": ticked.fillna(False).astype(bool)})

    return _by_unique(values, parse)["ticked"].astype(bool)


def parse_category(values: pd.Series, vocabulary: Vocabulary) -> tuple[pd.Series, pd.Series]:
    """Match answers to a vocabulary on the code, the Norwegian label or an accepted spelling,
    ignoring case, spaces and punctuation.

    Returns the codes (string, NA when blank or unknown) and a mask of unknown non-blank values.
    """
    lookup = vocabulary.lookup

    def parse(u: pd.Series) -> pd.DataFrame:
        text = _text(u)
        key = text.str.normalize("NFC").str.casefold().str.replace(r"[\W_]+", "", regex=True)
        code = key.map(lookup).astype("string")
        blank = text.isna() | text.str.casefold().isin(NO_ANSWER)
        return pd.DataFrame({"code": code, "bad": (code.isna() & ~blank).fillna(False)})

    out = _by_unique(values, parse)
    return out["code"].astype("string"), out["bad"].astype(bool)


# Amounts: «150 000», «150.000», «kr 150 000,-», «150000 NOK», «1,2 mill.», «150 000,00».
_CURRENCY = re.compile(r"^(?:nok|kr\.?|kroner)\s*|\s*(?:nok|kr\.?|kroner|,-|\.-)\s*$")
_MILLION = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:mill\.?|millioner|million|mnok|mill\. kr)$")
_DECIMALS = re.compile(r"^(\d[\d .,]*?)[.,](\d{2})$")
_GROUPED = re.compile(r"^\d{1,3}(?:([ .,])\d{3})?(?:\1\d{3})*$")


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

    def parse(u: pd.Series) -> pd.DataFrame:
        text = _text(u).str.casefold()
        blank = text.isna() | text.isin(NO_ANSWER)
        core = text.str.replace(_CURRENCY, "", regex=True).str.replace(_CURRENCY, "", regex=True)
        core = core.str.strip()
        amount = pd.Series(np.nan, index=u.index, dtype="float64")
        # millions
        mill = core.str.extract(_MILLION)[0]
        has_mill = mill.notna()
        amount[has_mill] = mill[has_mill].str.replace(",", ".").astype(float) * 1_000_000
        # øre after a decimal mark
        dec = core.str.extract(_DECIMALS)
        has_dec = (~has_mill & dec[0].notna() & ~core.str.fullmatch(_GROUPED).fillna(False)).fillna(
            False
        )
        whole = core.where(~has_dec, dec[0])
        ore = dec[1].where(has_dec)
        grouped = whole.str.fullmatch(_GROUPED).fillna(False) | whole.str.fullmatch(r"\d+").fillna(
            False
        )
        ok = (~has_mill & grouped).fillna(False)
        digits = whole.where(ok).str.replace(r"[ .,]", "", regex=True)
        amount[ok] = digits[ok].astype(float)
        with_ore = ok & has_dec
        amount[with_ore] = amount[with_ore] + ore[with_ore].astype(float) / 100
        amount = np.floor(amount + 0.5)
        bad = (~blank & amount.isna()).fillna(False)
        return pd.DataFrame({"amount": amount.astype("Int64"), "bad": bad})

    out = _by_unique(values, parse)
    return out["amount"].astype("Int64"), out["bad"].astype(bool)


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
    fallback = [t.code for t in vocabulary.terms if t.fallback]
    ruled = [t for t in vocabulary.terms if not t.fallback]

    def parse(u: pd.Series) -> pd.DataFrame:
        text = _text(u).str.casefold()
        blank = text.isna() | text.isin(NO_ANSWER)
        cols: dict[str, pd.Series] = {}
        for term in ruled:
            if term.keywords:
                pattern = "|".join(re.escape(k) for k in term.keywords)
                hit = text.str.contains(pattern, regex=True).fillna(False)
            else:
                hit = pd.Series(False, index=u.index)
            cols[term.code] = hit.astype(bool)
        frame = pd.DataFrame(cols, index=u.index)
        for code in fallback:
            frame[code] = ~frame.any(axis=1) if len(frame.columns) else True
        frame = frame.astype("boolean")
        frame[blank.to_numpy()] = pd.NA
        return frame

    out = _by_unique(values, parse)
    return out[[t.code for t in vocabulary.terms]].astype("boolean")
