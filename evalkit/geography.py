"""Norwegian counties and municipalities by period (SSB classifications 104 and 131).

The reference tables in ``evalkit/reference/`` (see ``SOURCES.md`` there) give every county
and municipality code with the dates it was valid, and every change between them: the 2018
Trøndelag merger, the 2020 regional reform, the 2024 splits and every municipal merger, split,
renumbering and renaming. The functions here resolve what people write in a form (a county in
any spelling or its code, municipality codes, municipality names) to the codes valid in the
funding year, and record what they did in a flags frame (:mod:`evalkit.flags`).

A year means the division in force on 1 July of that year (every change in the period is on
1 January). Codes are strings with leading zeros (``"03"``, ``"0301"``).

Every function works on the distinct values of a column (there are few) and maps the result
back to the rows, so its cost grows with the number of distinct spellings, not with the number
of rows. Lists of municipalities are ``;``-joined, sorted, de-duplicated 4-digit codes.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit import parse
from evalkit.config import normalise_key
from evalkit.flags import concat_flags, empty_flags, make_flags

log = logging.getLogger(__name__)

#: Last day of open-ended rows (``valid_to`` empty).
_OPEN_END = "9999-12-31"
#: Words around a county name that do not change which county it is (normalised keys).
_COUNTY_PREFIXES = ("fylkesmanneni", "statsforvaltereni", "fylkeskommuneni")
_COUNTY_SUFFIXES = ("fylkeskommune", "fylke")
_NAME_SUFFIX = re.compile(r"\s+kommuner?\s*$", re.IGNORECASE)
_OG = re.compile(r"\s+og\s+", re.IGNORECASE)
_LIST_SEPARATORS = re.compile(r"\s*[,;/]\s*")


# --- reference tables ---------------------------------------------------------------------
@functools.cache
def _table(name: str) -> pd.DataFrame:
    """One reference CSV, every column as a string (codes keep their leading zeros)."""
    with resources.files("evalkit").joinpath("reference", name).open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype="string", keep_default_na=False, na_filter=False)
    if "valid_to" in frame:
        frame["valid_to"] = frame["valid_to"].mask(frame["valid_to"] == "", _OPEN_END)
    return frame


def _mid(year: int) -> str:
    """The date that stands for ``year``: 1 July."""
    return f"{int(year):04d}-07-01"


def _valid_on(frame: pd.DataFrame, date: str) -> pd.DataFrame:
    return frame[(frame["valid_from"] <= date) & (frame["valid_to"] >= date)]


@functools.cache
def _counties(year: int) -> pd.DataFrame:
    f = _valid_on(_table("fylker.csv"), _mid(year))
    out = f.rename(columns={"code": "county_code", "name": "county_name"})
    return out[["county_code", "county_name"]].sort_values("county_code", ignore_index=True)


@functools.cache
def _municipalities(year: int) -> pd.DataFrame:
    k = _valid_on(_table("kommuner.csv"), _mid(year))
    out = k.rename(columns={"code": "municipality_code", "name": "municipality_name"})
    cols = ["municipality_code", "municipality_name", "county_code"]
    return out[cols].sort_values("municipality_code", ignore_index=True)


def counties_in(year: int) -> pd.DataFrame:
    """Counties valid in ``year`` (on 1 July).

    Parameters
    ----------
    year : int
        The year.

    Returns
    -------
    DataFrame
        ``county_code`` (2 digits) and ``county_name`` (bokmål), sorted by code: 19 counties
        in 2010–2017, 18 in 2018–2019, 11 in 2020–2023 and 15 from 2024.
    """
    return _counties(int(year)).copy()


def county_pairs(from_year: int, to_year: int) -> frozenset[tuple[str, str]]:
    """The pairs of counties (valid in ``from_year``, valid in ``to_year``) that hold a
    municipality in common: the counties of ``to_year`` that :func:`county_in_year` can place
    a row of a county of ``from_year`` in (its municipalities followed through mergers, splits
    and renumberings).

    Examples
    --------
    >>> ("04", "34") in county_pairs(2019, 2024)  # Hedmark is part of Innlandet
    True
    >>> ("04", "03") in county_pairs(2019, 2024)
    False
    """
    succ = _successors(int(to_year))
    return frozenset(
        (county, new[:2])
        for code, county in _municipality_county(int(from_year)).items()
        for new in succ.get(code, frozenset())
    )


def county_change_years(first: int, last: int) -> list[int]:
    """The years after ``first`` up to ``last`` in which the county division changed (the
    2018 Trøndelag merger, the 2019 move of one municipality, the 2020 reform, the 2024
    splits): the changes a table of ``first``–``last`` in the counties of ``last`` bridges.

    Examples
    --------
    >>> county_change_years(2019, 2024)
    [2020, 2024]
    >>> county_change_years(2010, 2012)
    []
    """
    dates = _table("fylker_changes.csv")["change_date"]
    years = {int(d[:4]) for d in dates}
    return sorted(y for y in years if int(first) < y <= int(last))


@functools.cache
def _county_names(year: int) -> dict[str, str]:
    c = _counties(year)
    return dict(zip(c["county_code"], c["county_name"], strict=True))


@functools.cache
def _municipality_names(year: int) -> dict[str, str]:
    m = _municipalities(year)
    return dict(zip(m["municipality_code"], m["municipality_name"], strict=True))


@functools.cache
def _municipality_county(year: int) -> dict[str, str]:
    m = _municipalities(year)
    return dict(zip(m["municipality_code"], m["county_code"], strict=True))


# --- following codes through the change tables ---------------------------------------------
_Links = dict[str, tuple[str, ...]]


@functools.cache
def _change_steps() -> tuple[tuple[str, _Links, _Links], ...]:
    """Per change date (ascending): old code -> new codes, new code -> old codes.

    ``boundary`` rows are left out: both codes continue (see ``SOURCES.md``).
    """
    changes = _table("kommuner_changes.csv")
    changes = changes[changes["change_type"] != "boundary"]
    steps = []
    for date, group in changes.groupby("change_date", sort=True):  # ~12 dates
        forward = {
            old: tuple(sorted(set(new))) for old, new in group.groupby("old_code")["new_code"]
        }
        backward = {
            new: tuple(sorted(set(old))) for new, old in group.groupby("new_code")["old_code"]
        }
        steps.append((str(date), forward, backward))
    return tuple(steps)


def _walk(codes: frozenset[str], start: str, target: str) -> frozenset[str]:
    """Municipality codes valid on ``target`` that correspond to ``codes`` valid on ``start``.

    Forward in time a code becomes its successors; backward it becomes its predecessors. A
    code without a change row on a date continues unchanged.
    """
    current = set(codes)
    if target >= start:
        for date, forward, _ in _change_steps():
            if start < date <= target:
                current = {new for c in current for new in forward.get(c, (c,))}
    else:
        for date, _, backward in reversed(_change_steps()):
            if target < date <= start:
                current = {old for c in current for old in backward.get(c, (c,))}
    return frozenset(current)


@functools.cache
def _code_spans() -> dict[str, tuple[str, str, str, str]]:
    """Municipality code -> (first valid day, last valid day, first name, last name)."""
    k = _table("kommuner.csv").sort_values(["code", "valid_from"])
    first = k.groupby("code").first()
    last = k.groupby("code").last()
    return {
        code: (
            first.at[code, "valid_from"],
            last.at[code, "valid_to"],
            first.at[code, "name"],
            last.at[code, "name"],
        )
        for code in first.index
    }


@functools.cache
def _successors(year: int) -> dict[str, frozenset[str]]:
    """Every municipality code of any period -> the codes valid in ``year`` it corresponds to.

    A code valid in ``year`` is itself; a code that ended before is followed forward from its
    last day (merged, renumbered, split); a code that started after is followed backward from
    its first day.
    """
    mid = _mid(year)
    valid = set(_municipality_names(year))
    out: dict[str, frozenset[str]] = {}
    for code, (start, end, _, _) in _code_spans().items():  # ~700 codes, reference data
        if start <= mid <= end:
            out[code] = frozenset({code})
            continue
        found = (
            _walk(frozenset({code}), end, mid)
            if end < mid
            else _walk(frozenset({code}), start, mid)
        )
        if not found <= valid:  # cannot happen with a consistent table (verify.py)
            log.warning(
                "code %s leads to codes not valid in %s: %s", code, year, sorted(found - valid)
            )
        out[code] = frozenset(found & valid)
    return out


def _old_name(code: str, year: int) -> str:
    """The name of a code of another period, as it was nearest to ``year``."""
    start, end, first, last = _code_spans()[code]
    return last if end < _mid(year) else first


# --- counties -----------------------------------------------------------------------------
def _county_key(text: str) -> str:
    """Normalised county spelling: «&» read as «og», «fylke», «fylkeskommune»,
    «Fylkesmannen i», «Statsforvalteren i» removed, case, spaces and punctuation ignored."""
    key = normalise_key(str(text).replace("&", " og "))
    for prefix in _COUNTY_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    for suffix in _COUNTY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
            break
    return key


def _ascii_fold(key: str) -> str:
    """``ø→o``, ``æ→ae``, ``å→a`` and diacritics dropped: a last resort for spellings
    without Norwegian letters (``Ostfold``, ``Finnmarku``)."""
    key = key.replace("ø", "o").replace("æ", "ae").replace("ð", "d")
    decomposed = unicodedata.normalize("NFKD", key)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.cache
def _county_lookup() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Normalised spelling -> county codes of any period it names; and the same on
    diacritic-free keys. Names of different periods may share a spelling (``Østfold`` is 01
    until 2019 and 31 from 2024); on any one date a spelling names one county."""
    exact: dict[str, set[str]] = {}
    folded: dict[str, set[str]] = {}
    for code, name, alt in _table("fylker.csv")[["code", "name", "alt_names"]].itertuples(
        index=False
    ):  # 33 rows
        spellings = {name, *(a for a in alt.split(";") if a)}
        spellings |= {part for s in spellings for part in re.split(r"\s+[-–]\s+", s)}
        for s in spellings:
            key = _county_key(s)
            exact.setdefault(key, set()).add(code)
            folded.setdefault(_ascii_fold(key), set()).add(code)
    return (
        {k: frozenset(v) for k, v in exact.items()},
        {k: frozenset(v) for k, v in folded.items()},
    )


@functools.cache
def _county_targets(year: int) -> dict[str, frozenset[str]]:
    """County code of any period -> the counties valid in ``year`` that hold its
    municipalities (all of them; more than one when it was split or parts moved).

    Follows the municipalities of the county through the change tables, so chains are
    exact: 01 Østfold (2019) -> 30 Viken (2020) -> 31 Østfold (2024), not all of Viken.
    """
    mid = _mid(year)
    kommuner = _table("kommuner.csv")
    out: dict[str, frozenset[str]] = {}
    fylker = _table("fylker.csv").groupby("code").agg({"valid_from": "min", "valid_to": "max"})
    for code, (start, end) in fylker.iterrows():  # 33 rows
        if start <= mid <= end:
            out[code] = frozenset({code})
            continue
        day = end if end < mid else start
        on_day = _valid_on(kommuner, day)
        members = frozenset(on_day.loc[on_day["county_code"] == code, "code"])
        out[code] = frozenset(c[:2] for c in _walk(members, day, mid))
    return out


def _describe_counties(codes: list[str], year: int) -> str:
    names = _county_names(year)
    return "; ".join(f"{names[c]} ({c})" for c in sorted(codes))


@functools.cache
def _resolve_county_text(text: str, year: int) -> tuple[str, str | None, tuple[str, ...]]:
    """One distinct county spelling -> (status, county code, candidate codes).

    ``status`` is ``valid`` (a county of ``year``), ``mapped`` (a county of another period
    that lies wholly in one county of ``year``), ``split`` (it lies in several: the
    candidates) or ``unknown``.
    """
    digits = re.fullmatch(r"(\d{1,2})(?:[.,]0+)?", text)
    if digits:
        codes = frozenset({digits[1].zfill(2)}) & set(_county_targets(year))
    else:
        exact, folded = _county_lookup()
        key = _county_key(text)
        codes = exact.get(key) or folded.get(_ascii_fold(key)) or frozenset()
    if not codes:
        return "unknown", None, ()
    valid = set(_county_names(year))
    if codes & valid:
        return "valid", sorted(codes & valid)[0], ()
    targets = sorted(set().union(*(_county_targets(year)[c] for c in codes)))
    if len(targets) == 1:
        return "mapped", targets[0], tuple(targets)
    return "split", None, tuple(targets)


def _long_codes(codes: pd.Series) -> pd.DataFrame:
    """``;``-joined codes -> one row per (position, code)."""
    pos, long = parse.split_long(parse.arrow_strings(codes), ";", regex=False)
    long = pc.utf8_trim_whitespace(long)
    keep = pc.fill_null(pc.not_equal(long, ""), False)
    return pd.DataFrame(
        {
            "pos": pos[keep.to_numpy(zero_copy_only=False)].astype(np.int64),
            "code": parse.string_array(long.filter(keep)),
        }
    )


# --- pyarrow helpers ----------------------------------------------------------------------
_STR = pa.large_string()


def _lookup(values: pa.Array, mapping: dict) -> pa.Array:
    """``values`` mapped through ``mapping`` (null where a value is not a key), as
    ``Series.map(mapping).astype("string")`` maps them."""
    keys = pa.array(list(mapping), type=_STR)
    return pa.array(list(mapping.values()), type=_STR).take(pc.index_in(values, value_set=keys))


def _cat(*parts: pa.Array | str) -> pa.Array:
    """Strings and string arrays joined element-wise (null where a part is null)."""
    return pc.binary_join_element_wise(
        *(pa.scalar(p, _STR) if isinstance(p, str) else p for p in parts), pa.scalar("", _STR)
    )


def _filled(values: pa.Array) -> pa.Array:
    return pc.fill_null(values, "")


def _is(values: pa.Array, value: str) -> np.ndarray:
    """True where ``values`` equals ``value`` (null is not equal)."""
    return pc.fill_null(pc.equal(values, value), False).to_numpy(zero_copy_only=False)


def _valid(values: pa.Array) -> np.ndarray:
    return values.is_valid().to_numpy(zero_copy_only=False)


def _per_row(mask: np.ndarray, make) -> list:
    """``make(i)`` for each ``i`` where ``mask`` holds, None elsewhere (the fields of a flag's
    explanation, built only for the rows flagged)."""
    out: list = [None] * len(mask)
    for i in np.flatnonzero(mask).tolist():
        out[i] = make(i)
    return out


def _flags(rows: np.ndarray, mask: np.ndarray, *, values, detail, args=None, **kw) -> pd.DataFrame:
    """:func:`make_flags` for flat arrays: ``rows`` the source rows, ``values`` a pyarrow
    string array (or ``None``), ``detail`` the explanation's key (or a list of them, one per
    row) and ``args`` its fields (a mapping, or a list of them, one per row)."""
    if not mask.any():
        return empty_flags()
    return make_flags(
        pd.DataFrame({"_row": rows}),
        pd.Series(mask),
        values=None if values is None else parse.string_series(values),
        detail=detail if isinstance(detail, str) else pd.Series(detail, dtype=object),
        args=args if args is None or isinstance(args, dict) else pd.Series(args, dtype=object),
        **kw,
    )


# --- distinct keys ------------------------------------------------------------------------
def _expand_flags(flags: pd.DataFrame, key: np.ndarray, rows: pd.Series) -> pd.DataFrame:
    """Flags raised on distinct keys (``row`` holds the key) as the flags of every row with
    that key (``row`` from ``rows``), sorted by row (stable: a row's flags keep their order)."""
    if not len(flags):
        return flags
    flag_key = flags["row"].to_numpy(dtype=np.int64)
    by_key = np.argsort(key, kind="stable")
    counts = np.bincount(key)
    starts = np.cumsum(counts) - counts
    reps = counts[flag_key]
    which = np.repeat(np.arange(len(flag_key)), reps)
    within = np.arange(len(which)) - np.repeat(np.cumsum(reps) - reps, reps)
    pos = by_key[starts[flag_key][which] + within]
    out = flags.take(which).reset_index(drop=True)
    out["row"] = rows.astype("Int64").to_numpy()[pos]
    return out.sort_values(["row", "column"], kind="stable", ignore_index=True)


def _on_distinct(frame: pd.DataFrame, field: str, extra: pd.Series | None, resolve):
    """Run ``resolve(sub, extra_sub)`` once per distinct (``field``, ``extra``) pair and map
    its result (aligned with ``sub``) and flags back to the rows of ``frame``.

    ``extra`` is positional (aligned with ``frame``'s rows) or None. The result of each row
    depends only on its pair, so the distinct pairs stand for all rows."""
    columns = [frame[field]] if extra is None else [frame[field], extra]
    key, first = parse.distinct_rows(*columns)
    sub = pd.DataFrame(
        {
            "_row": pd.arrays.IntegerArray(np.arange(len(first)), np.zeros(len(first), bool)),
            field: frame[field].array.take(first),
        },
        copy=False,
    )
    sub_extra = None if extra is None else pd.Series(extra.array.take(first))
    result, flags = resolve(sub, sub_extra)
    result = result.take(key)
    result.index = frame.index
    return result, _expand_flags(flags, key, frame["_row"])


def _aligned(series: pd.Series | None, frame: pd.DataFrame) -> pd.Series:
    """``series`` aligned with ``frame`` (by label) as a positional string Series."""
    if series is None:
        return pd.Series(pd.NA, index=range(len(frame)), dtype="string")
    if not series.index.equals(frame.index):
        series = series.reindex(frame.index)
    return parse.string_series(parse.arrow_strings(series))


def resolve_counties(
    frame: pd.DataFrame,
    field: str,
    column: str,
    year: int,
    municipality_codes: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resolve a county column to the counties valid in ``year``.

    Accepts the official name, any alternative name of ``fylker.csv`` (Sami and
    multilingual forms, ``&`` for ``og``, without diacritics), with «fylke»,
    «fylkeskommune», «Fylkesmannen i» or «Statsforvalteren i» around it, in any case and
    punctuation, or the code (``3``, ``03``, ``3.0``).

    A county of another period is flagged ``county_not_valid_in_year``. When all its
    municipalities lie in one county of ``year`` (Hordaland -> Vestland in 2020–2023,
    Trøndelag's predecessors, Troms -> Troms og Finnmark), it is mapped to that county;
    when they lie in several (Viken in 2024, Oppland in 2020–2023, Trøndelag before 2018),
    the row's municipality codes choose among them, and otherwise the county is set missing.

    Parameters
    ----------
    frame : DataFrame
        Has a ``_row`` column (source row numbers) and the raw county text in ``field``.
    field : str
        Column of ``frame`` with the county text; also the ``field`` of the flags.
    column : str
        The raw header, for the flags.
    year : int
        The funding year.
    municipality_codes : Series, optional
        ``;``-joined municipality codes valid in ``year`` per row (aligned with ``frame``,
        NA allowed). Used to choose among the parts of a split county and to check the
        county: a row whose municipalities lie outside its county is flagged
        ``county_municipality_mismatch`` (noted; the county is kept).

    Returns
    -------
    result : DataFrame
        ``county_code`` and ``county_name`` (string dtype, NA when unknown), index-aligned
        with ``frame``.
    flags : DataFrame
        ``missing_county``, ``unknown_county`` (``set_missing``),
        ``county_not_valid_in_year`` (``mapped`` or ``set_missing``) and
        ``county_municipality_mismatch`` (``noted``).
    """
    year = int(year)
    if municipality_codes is not None:
        municipality_codes = _aligned(municipality_codes, frame)

    def resolve(sub: pd.DataFrame, codes: pd.Series | None):
        return _resolve_counties(sub, field, column, year, codes)

    result, out = _on_distinct(frame, field, municipality_codes, resolve)
    log.debug("counties %s: %d rows, %d flags", year, len(frame), len(out))
    return result, out


def _resolve_counties(
    frame: pd.DataFrame,
    field: str,
    column: str,
    year: int,
    municipality_codes: pd.Series | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`resolve_counties` on rows given once per distinct (text, codes) pair."""
    year = int(year)
    names = _county_names(year)
    n = len(frame)
    rows = frame["_row"].to_numpy()
    text = parse.arrow_strings(parse._text(frame[field]))
    blank = ~_valid(text)

    resolved = {
        t: _resolve_county_text(t, year) for t in pc.unique(text.drop_null()).to_pylist()
    }  # distinct spellings
    status = _lookup(text, {t: r[0] for t, r in resolved.items()})
    code = _lookup(text, {t: r[1] for t, r in resolved.items()})
    candidates = _lookup(text, {t: ";".join(r[2]) for t, r in resolved.items()})

    # counties of each row's municipalities (codes valid in the year; others are ignored)
    muni = _long_codes(_aligned(municipality_codes, frame))
    muni_code = parse.arrow_strings(muni["code"])
    muni_county = _lookup(muni_code, _municipality_county(year))
    known = _valid(muni_county)
    muni_pos = muni["pos"].to_numpy()[known]
    muni_code, muni_county = muni_code.filter(known), muni_county.filter(known)

    # a split county: the row's municipalities choose, when they point to one part
    split = _is(status, "split")
    by_municipality = np.zeros(n, dtype=bool)
    if split.any() and len(muni_pos):
        cand_pos, cand_county = parse.split_long(candidates.filter(split), ";", regex=False)
        cand = pd.DataFrame(
            {
                "pos": np.flatnonzero(split)[cand_pos],
                "county": parse.string_array(cand_county),
            }
        )
        found = pd.DataFrame({"pos": muni_pos, "county": parse.string_array(muni_county)})
        hits = cand.merge(found.drop_duplicates(), on=["pos", "county"])
        one = hits.groupby("pos")["county"].agg(["nunique", "first"])
        one = one[one["nunique"] == 1]
        chosen = np.zeros(n, dtype=bool)
        chosen[one.index.to_numpy()] = True
        where = np.full(n, -1)
        where[one.index.to_numpy()] = np.arange(len(one))
        firsts = parse.arrow_strings(one["first"].astype("string"))
        code = pc.replace_with_mask(code, pa.array(chosen), firsts.take(where[chosen]))
        by_municipality = chosen

    unknown = _is(status, "unknown")
    stale = _is(status, "mapped") | split
    mapped = stale & _valid(code)
    name = _lookup(code, names)

    flagged = unknown | stale
    raw_list = _filled(text).to_pylist() if flagged.any() else []
    name_list = _filled(name).to_pylist() if flagged.any() else []
    code_list = _filled(code).to_pylist() if mapped.any() else []
    described = {
        c: _describe_counties(c.split(";"), year)
        for c in pc.unique(candidates.filter(split).drop_null()).to_pylist()
    }
    cand_list = _filled(_lookup(candidates, described)).to_pylist() if split.any() else []
    texts = _per_row(unknown, lambda i: {"text": raw_list[i], "year": year})
    mapped_args = _per_row(
        mapped,
        lambda i: {"text": raw_list[i], "year": year, "name": name_list[i], "code": code_list[i]},
    )
    mapped_key = np.where(
        by_municipality, "dq.county_not_valid_in_year.chosen", "dq.county_not_valid_in_year.whole"
    ).tolist()
    split_args = _per_row(
        stale & ~mapped,
        lambda i: {"text": raw_list[i], "year": year, "candidates": cand_list[i]},
    )
    kw = {"column": column, "field": field}
    flags = [
        _flags(
            rows,
            blank,
            values=None,
            problem="missing_county",
            detail="dq.missing_county",
            action="set_missing",
            **kw,
        ),
        _flags(
            rows,
            unknown,
            values=text,
            problem="unknown_county",
            detail="dq.unknown_county",
            args=texts,
            action="set_missing",
            **kw,
        ),
        _flags(
            rows,
            mapped,
            values=text,
            problem="county_not_valid_in_year",
            detail=mapped_key,
            args=mapped_args,
            action="mapped",
            **kw,
        ),
        _flags(
            rows,
            stale & ~mapped,
            values=text,
            problem="county_not_valid_in_year",
            detail="dq.county_not_valid_in_year.split",
            args=split_args,
            action="set_missing",
            **kw,
        ),
    ]

    if municipality_codes is not None and len(muni_pos):
        resolved_code = code.take(muni_pos)
        outside = _valid(resolved_code) & ~_is(pc.equal(muni_county, resolved_code), True)
        if outside.any():
            o_code, o_county = muni_code.filter(outside), muni_county.filter(outside)
            o_name = _lookup(o_code, _municipality_names(year))
            lies: dict[int, list[dict]] = {}
            for p, c, nm, k in zip(
                muni_pos[outside].tolist(),
                o_code.to_pylist(),
                o_name.to_pylist(),
                _lookup(o_county, names).to_pylist(),
                strict=True,
            ):
                item = {"code": c, "name": nm, "county": k}
                lies.setdefault(p, []).append({"key": "dq.geo.lies_in", "args": item})
            has = np.zeros(n, dtype=bool)
            has[list(lies)] = True
            names_of = _filled(name).to_pylist()
            mismatch_args = _per_row(
                has, lambda i: {"name": names_of[i], "municipalities": lies[i]}
            )
            flags.append(
                _flags(
                    rows,
                    has,
                    values=text,
                    problem="county_municipality_mismatch",
                    detail="dq.county_municipality_mismatch",
                    args=mismatch_args,
                    action="noted",
                    **kw,
                )
            )

    result = pd.DataFrame(
        {"county_code": parse.string_array(code), "county_name": parse.string_array(name)},
        index=frame.index,
    )
    return result, concat_flags(flags)


# --- municipality codes -------------------------------------------------------------------
def _describe_municipalities(codes: frozenset[str] | tuple[str, ...], year: int) -> str:
    names = _municipality_names(year)
    return ", ".join(f"{c} {names[c]}" for c in sorted(codes))


@functools.cache
def _resolve_code_token(token: str, year: int) -> tuple[str, str | None, tuple[str, dict]]:
    """One distinct code token -> (problem or ``""``, code valid in ``year`` or None, the
    explanation's key and fields)."""
    plain = re.sub(r"[.,]0+$", "", token)
    if not re.fullmatch(r"\d{3,4}", plain):
        return (
            "invalid_municipality_code",
            None,
            ("dq.invalid_municipality_code", {"token": token}),
        )
    code = plain.zfill(4)
    succ = _successors(year).get(code)
    if succ is None:
        return (
            "unknown_municipality_code",
            None,
            ("dq.unknown_municipality_code", {"code": code, "year": year}),
        )
    if succ == {code}:
        return "", code, ("", {})
    old = f"{code} {_old_name(code, year)}"
    if len(succ) == 1:
        (new,) = succ
        new_text = _describe_municipalities(succ, year)
        args = {"old": old, "year": year, "new": new_text}
        return "municipality_not_valid_in_year", new, ("dq.municipality_code_mapped", args)
    if not succ:
        args = {"old": old, "year": year}
        return "municipality_not_valid_in_year", None, ("dq.municipality_code_none", args)
    args = {"old": old, "year": year, "listed": _describe_municipalities(succ, year)}
    return "municipality_not_valid_in_year", None, ("dq.municipality_code_several", args)


def resolve_municipality_codes(
    frame: pd.DataFrame, field: str, column: str, year: int
) -> tuple[pd.Series, pd.DataFrame]:
    """Municipality codes valid in ``year`` from text such as ``0301``, ``301``, ``301.0``,
    ``1103, 1106``, ``1103;1106``, ``1103 / 1106``, ``1103 1106`` or ``1103 og 1106``.

    Parameters
    ----------
    frame : DataFrame
        Has a ``_row`` column and the raw text in ``field``.
    field : str
        Column of ``frame`` with the codes; also the ``field`` of the flags.
    column : str
        The raw header, for the flags.
    year : int
        The funding year.

    Returns
    -------
    codes : Series
        ``;``-joined sorted unique 4-digit codes valid in ``year`` (string dtype), aligned
        with ``frame``; NA when blank or when no code could be kept.
    flags : DataFrame
        One row per code that was not kept as written (``value`` is that code):
        ``invalid_municipality_code`` (not 3–4 digits; dropped, ``set_missing``),
        ``unknown_municipality_code`` (4 digits but no municipality in any period since
        2010; dropped), ``municipality_not_valid_in_year`` (a code of another period:
        ``mapped`` to the one code of ``year`` it became or came from — renumbering, merger,
        renaming — else dropped, ``set_missing``). The other codes of the cell are kept.
    """
    year = int(year)
    return _on_distinct(
        frame, field, None, lambda sub, _: _resolve_municipality_codes(sub, field, column, year)
    )


def _resolve_municipality_codes(
    frame: pd.DataFrame, field: str, column: str, year: int
) -> tuple[pd.Series, pd.DataFrame]:
    """:func:`resolve_municipality_codes` on rows given once per distinct text."""
    year = int(year)
    text = parse._text(frame[field])
    # «og», «&» and «+» between codes are separators; only cells holding them are rewritten
    joined = _is(pc.match_substring_regex(parse.arrow_strings(text), "[oO][gG]|[&+]"), True)
    if joined.any():
        rewritten = text[joined].str.replace(r"(?i)\bog\b|&|\+", " ", regex=True)
        text = text.mask(joined, rewritten)
    # the text is normalised: a plain space is the only white space left in it
    pos, tokens = parse.split_long(parse.arrow_strings(text), "[ ,;/]+")
    keep = _is(pc.not_equal(tokens, ""), True)
    pos, tokens = pos[keep], tokens.filter(keep)
    if not len(tokens):
        return pd.Series(pd.NA, index=frame.index, dtype="string"), empty_flags()
    rows = frame["_row"].to_numpy()[pos]
    resolved = {t: _resolve_code_token(t, year) for t in pc.unique(tokens).to_pylist()}
    problem = _lookup(tokens, {t: r[0] for t, r in resolved.items()})
    code = _lookup(tokens, {t: r[1] for t, r in resolved.items()})
    explained = [resolved[t][2] for t in tokens.to_pylist()]
    kw = {
        "column": column,
        "field": field,
        "values": tokens,
        "detail": [e[0] or None for e in explained],
        "args": [e[1] for e in explained],
    }
    flags = [
        _flags(rows, _is(problem, prob), problem=prob, action="set_missing", **kw)
        for prob in ("invalid_municipality_code", "unknown_municipality_code")
    ]
    stale = _is(problem, "municipality_not_valid_in_year")
    for mask, action in ((stale & _valid(code), "mapped"), (stale & ~_valid(code), "set_missing")):
        flags.append(
            _flags(rows, mask, problem="municipality_not_valid_in_year", action=action, **kw)
        )
    joined = parse.join_groups(pos, code, len(frame))
    return parse.string_series(joined, index=frame.index), concat_flags(flags)


# --- municipality names -------------------------------------------------------------------
def _name_spellings(name: str, alt_names: str) -> set[str]:
    """A municipality's name, its alt names, the parts of a multilingual name and the
    qualified forms ``Våler (Østfold)`` -> ``Våler``, ``Våler i Østfold``."""
    out = {name, *(a for a in alt_names.split(";") if a)}
    for s in list(out):
        out |= set(re.split(r"\s+[-–]\s+", s))
        m = re.fullmatch(r"(.+?)\s*\((.+)\)", s)
        if m:
            out |= {m[1], f"{m[1]} i {m[2]}"}
    return out


@functools.cache
def _names_of_year(year: int) -> dict[str, tuple[str, ...]]:
    """Normalised name -> codes valid in ``year`` with that name (two for ``Våler`` …)."""
    k = _valid_on(_table("kommuner.csv"), _mid(year))
    out: dict[str, set[str]] = {}
    for code, name, alt in k[["code", "name", "alt_names"]].itertuples(index=False):
        for s in _name_spellings(name, alt):
            out.setdefault(normalise_key(s), set()).add(code)
    return {key: tuple(sorted(v)) for key, v in out.items()}


@functools.cache
def _names_of_any_period() -> dict[str, frozenset[str]]:
    """Normalised name -> codes of any period that had that name."""
    out: dict[str, set[str]] = {}
    k = _table("kommuner.csv")
    for code, name, alt in k[["code", "name", "alt_names"]].itertuples(index=False):
        for s in _name_spellings(name, alt):
            out.setdefault(normalise_key(s), set()).add(code)
    return {key: frozenset(v) for key, v in out.items()}


def _match_name(name: str, year: int) -> tuple[str, tuple[str, ...]] | None:
    """(kind, candidate codes valid in ``year``) for one name, or None when unknown.

    ``kind`` is ``current`` (a name of ``year``) or ``old`` (a name of another period, followed
    through the change tables)."""
    key = normalise_key(_NAME_SUFFIX.sub("", name))
    if not key:
        return None
    current = _names_of_year(year).get(key)
    if current:
        return "current", current
    old = _names_of_any_period().get(key)
    if old:
        succ = _successors(year)
        return "old", tuple(sorted(set().union(*(succ[c] for c in old))))
    return None


@functools.lru_cache(maxsize=8192)
def _parse_names(text: str, year: int) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """One distinct cell -> its names as (name, kind, candidate codes); kind ``unknown``
    when no municipality has that name.

    The whole cell is tried first, then each part between ``,`` ``;`` ``/``; a part is split
    on « og » only where the longer name is not a municipality (``Nore og Uvdal`` stays
    one name, ``Lom og Skjåk`` is two)."""
    whole = _match_name(text, year)
    if whole:
        return ((_NAME_SUFFIX.sub("", text).strip(), *whole),)
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for piece in _LIST_SEPARATORS.split(text):
        piece = _NAME_SUFFIX.sub("", piece).strip()
        if not piece:
            continue
        parts = _OG.split(piece)
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):  # longest name first
                candidate = " og ".join(parts[i:j])
                found = _match_name(candidate, year)
                if found:
                    out.append((_NAME_SUFFIX.sub("", candidate).strip(), *found))
                    i = j
                    break
            else:
                if parts[i].strip():
                    out.append((parts[i].strip(), "unknown", ()))
                i += 1
    return tuple(out)


def resolve_municipality_names(
    frame: pd.DataFrame,
    field: str,
    column: str,
    year: int,
    county_codes: pd.Series | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Municipality codes valid in ``year`` from names.

    Names are separated by ``,`` ``;`` ``/`` or « og » (official names that contain « og »,
    ``Nore og Uvdal``, ``Evje og Hornnes``, ``Herøy i Møre og Romsdal``, are matched whole
    first) and may end in «kommune»/«kommuner». Each is matched, ignoring case, spaces and
    punctuation, against the names and alt names valid in ``year`` (Sami and multilingual
    forms, ``Våler i Østfold``). A name two municipalities share (``Våler``, ``Herøy``;
    before 2020 also ``Nes``, ``Os``, ``Bø``, ``Sande``) is resolved with the row's county.
    A name of another period (``Nøtterøy`` in 2022) is followed through the change tables
    like a code.

    Parameters
    ----------
    frame : DataFrame
        Has a ``_row`` column and the raw names in ``field``.
    field : str
        Column of ``frame`` with the names; also the ``field`` of the flags.
    column : str
        The raw header, for the flags.
    year : int
        The funding year.
    county_codes : Series, optional
        The row's county code valid in ``year`` (aligned with ``frame``), to resolve
        shared names.

    Returns
    -------
    codes : Series
        ``;``-joined sorted unique codes valid in ``year`` (string dtype), aligned with
        ``frame``; NA when blank or nothing could be matched.
    flags : DataFrame
        One row per name not kept as written (``value`` is that name):
        ``unknown_municipality_name``, ``ambiguous_municipality_name`` (both
        ``set_missing``) and ``municipality_not_valid_in_year`` (``mapped`` or
        ``set_missing``).
    """
    year = int(year)
    if county_codes is not None:
        county_codes = _aligned(county_codes, frame)

    def resolve(sub: pd.DataFrame, counties: pd.Series | None):
        return _resolve_municipality_names(sub, field, column, year, counties)

    return _on_distinct(frame, field, county_codes, resolve)


def _resolve_municipality_names(
    frame: pd.DataFrame,
    field: str,
    column: str,
    year: int,
    county_codes: pd.Series | None,
) -> tuple[pd.Series, pd.DataFrame]:
    """:func:`resolve_municipality_names` on rows given once per distinct (text, county)."""
    year = int(year)
    n = len(frame)
    text = parse.arrow_strings(parse._text(frame[field]))
    # the names of each distinct cell, in order: (cell, token, kind, candidates, count)
    cells = pc.unique(text.drop_null())
    parsed = [_parse_names(cell, year) for cell in cells.to_pylist()]  # distinct cells
    per_cell = np.array([len(p) for p in parsed], dtype=np.int64)
    entries = [entry for p in parsed for entry in p]
    if not entries:
        return pd.Series(pd.NA, index=frame.index, dtype="string"), empty_flags()
    cell = pc.fill_null(pc.index_in(text, value_set=cells), -1).to_numpy(zero_copy_only=False)
    # one token per (row, name of its cell), in row order then name order
    reps = np.where(cell >= 0, per_cell[np.maximum(cell, 0)], 0)
    take = np.repeat(np.arange(n), reps)
    within = np.arange(len(take)) - np.repeat(np.cumsum(reps) - reps, reps)
    entry = (np.cumsum(per_cell) - per_cell)[cell[take]] + within
    if not len(entry):
        return pd.Series(pd.NA, index=frame.index, dtype="string"), empty_flags()
    name = pa.array([e[0] for e in entries], type=_STR).take(entry)
    kind = pa.array([e[1] for e in entries], type=_STR).take(entry)
    cands = pa.array([";".join(e[2]) for e in entries], type=_STR).take(entry)
    n_cands = np.array([len(e[2]) for e in entries], dtype=np.int64)[entry]
    rows = frame["_row"].to_numpy()[take]
    county = parse.arrow_strings(_aligned(county_codes, frame)).take(take)

    code = pc.if_else(pa.array(n_cands == 1), cands, pa.scalar(None, _STR))
    several = n_cands > 1
    if several.any():
        at, cand = parse.split_long(cands.filter(several), ";", regex=False)
        token = np.flatnonzero(several)[at]
        in_county = _is(pc.equal(pc.utf8_slice_codeunits(cand, 0, 2), county.take(token)), True)
        hit_token, first, count = np.unique(token[in_county], return_index=True, return_counts=True)
        one = count == 1
        chosen = np.zeros(len(entry), dtype=bool)
        chosen[hit_token[one]] = True
        code = pc.replace_with_mask(code, pa.array(chosen), cand.filter(in_county).take(first[one]))

    described = {
        c: _describe_municipalities(tuple(c.split(";")), year)
        for c in pc.unique(cands.filter(several)).to_pylist()
    }
    cand_text = _filled(_lookup(cands, described)).to_pylist()
    current = _is(kind, "current")
    old = _is(kind, "old")
    has_code = _valid(code)
    names_, codes_ = name.to_pylist(), _filled(code).to_pylist()
    new_names = _filled(_lookup(code, _municipality_names(year))).to_pylist()
    kw = {"column": column, "field": field, "values": name}

    def named(i: int) -> dict:
        return {"name": names_[i], "year": year}

    def with_candidates(i: int) -> dict:
        return {"name": names_[i], "year": year, "candidates": cand_text[i]}

    def mapped(i: int) -> dict:
        return {"name": names_[i], "year": year, "code": codes_[i], "new_name": new_names[i]}

    cases = [
        (_is(kind, "unknown"), "unknown_municipality_name", "dq.unknown_municipality_name",
         named, "set_missing"),
        (current & ~has_code, "ambiguous_municipality_name", "dq.ambiguous_municipality_name",
         with_candidates, "set_missing"),
        (old & has_code, "municipality_not_valid_in_year", "dq.municipality_name_mapped",
         mapped, "mapped"),
        (old & ~has_code, "municipality_not_valid_in_year", "dq.municipality_name_several",
         with_candidates, "set_missing"),
    ]  # fmt: skip
    flags = [
        _flags(
            rows, mask, problem=problem, detail=key, args=_per_row(mask, make), action=action, **kw
        )
        for mask, problem, key, make, action in cases
    ]
    joined = parse.join_groups(take, code, n)
    return parse.string_series(joined, index=frame.index), concat_flags(flags)


# --- counties of municipalities, across reforms -------------------------------------------
def _one_county_per_row(long: pd.DataFrame, n: int) -> np.ndarray:
    """``long`` has ``pos`` and ``county`` (NA where unknown): the county when every code of
    the row has one and they agree, else NA."""
    g = long.groupby("pos")["county"]
    ok = (g.count() == g.size()) & (g.nunique() == 1)
    first = g.first()[ok]
    out = pd.Series(pd.NA, index=range(n), dtype="string")
    out.loc[first.index] = first.astype("string").to_numpy()
    return out.to_numpy()


def county_in_year(municipality_codes: pd.Series, from_year: int, to_year: int) -> pd.Series:
    """The county valid in ``to_year`` that holds each row's municipalities of ``from_year``:
    a common geography across county reforms.

    Parameters
    ----------
    municipality_codes : Series
        ``;``-joined municipality codes valid in ``from_year``.
    from_year, to_year : int
        The year of the codes and the year of the county division wanted.

    Returns
    -------
    Series
        County code valid in ``to_year`` (string dtype), aligned with the input; NA when
        blank, when a code is unknown, or when the municipalities (or the parts of a split
        municipality) land in different counties.
    """
    from_year, to_year = int(from_year), int(to_year)
    long = _long_codes(municipality_codes)
    valid_from = set(_municipality_names(from_year))
    stray = sorted(set(long["code"]) - valid_from)
    if stray:
        log.debug("codes not valid in %s followed from their own period: %s", from_year, stray)
    succ = _successors(to_year)
    county_of = {}
    for c in long["code"].unique():  # distinct codes
        counties = {s[:2] for s in succ.get(c, frozenset())}
        county_of[c] = counties.pop() if len(counties) == 1 else None
    long["county"] = long["code"].map(county_of).astype("string")
    return pd.Series(
        _one_county_per_row(long, len(municipality_codes)),
        index=municipality_codes.index,
        dtype="string",
    )
