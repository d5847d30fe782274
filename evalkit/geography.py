"""Norwegian counties and municipalities by period (SSB classifications 104 and 131).

The reference tables in ``evalkit/reference/`` give every county and municipality code with
the dates it was valid, and the changes between them (the 2018 Trøndelag merger, the 2020
regional reform, the 2024 splits, and every municipal merger, split and renumbering). These
functions resolve what people write in a form (a county name in any spelling or its code,
municipality codes or names) to the codes valid in the funding year, and record what they
did in flags.

All functions work on the distinct values of a column and map the result back, so the cost
grows with the number of distinct spellings, not with the number of rows.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources

import pandas as pd

from evalkit.config import normalise_key
from evalkit.flags import FLAG_COLUMNS, empty_flags, make_flags
from evalkit.parse import join_sorted_unique

log = logging.getLogger(__name__)

_MAJORITY = 0.9  # a county whose municipalities went ≥ 90 % to one county maps to it


@functools.cache
def _table(name: str) -> pd.DataFrame:
    with resources.files("evalkit").joinpath("reference", name).open(encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype="string", keep_default_na=False)
    return frame


def _valid_on(frame: pd.DataFrame, date: str) -> pd.DataFrame:
    to = frame["valid_to"]
    return frame[(frame["valid_from"] <= date) & ((to == "") | (to >= date))]


def _mid(year: int) -> str:
    return f"{int(year)}-07-01"


@functools.cache
def counties_in(year: int) -> pd.DataFrame:
    """Counties valid in ``year`` (on 1 July): ``county_code``, ``county_name``."""
    f = _valid_on(_table("fylker.csv"), _mid(year))
    return f.rename(columns={"code": "county_code", "name": "county_name"})[
        ["county_code", "county_name"]
    ].reset_index(drop=True)


@functools.cache
def municipalities_in(year: int) -> pd.DataFrame:
    """Municipalities valid in ``year``: ``municipality_code``, ``municipality_name``,
    ``county_code``."""
    k = _valid_on(_table("kommuner.csv"), _mid(year))
    return k.rename(columns={"code": "municipality_code", "name": "municipality_name"})[
        ["municipality_code", "municipality_name", "county_code"]
    ].reset_index(drop=True)


def county_name(code: str, year: int) -> str:
    """The name of county ``code`` in ``year``."""
    c = counties_in(year)
    hit = c.loc[c["county_code"] == code, "county_name"]
    if hit.empty:
        raise KeyError(f"county {code} is not valid in {year}")
    return str(hit.iloc[0])


# --- counties -----------------------------------------------------------------------------
@functools.cache
def _county_keys() -> dict[str, tuple[str, ...]]:
    """Normalised name or alt name -> county codes (of any period) it names."""
    out: dict[str, set[str]] = {}
    for r in _table("fylker.csv").itertuples():  # 33 rows
        names = [r.name, *[a for a in r.alt_names.split(";") if a]]
        for n in names:
            for variant in (
                n,
                f"{n} fylke",
                f"{n} fylkeskommune",
                f"fylkesmannen i {n}",
                f"statsforvalteren i {n}",
            ):
                out.setdefault(normalise_key(variant), set()).add(r.code)
        out.setdefault(r.code, set()).add(r.code)
        out.setdefault(str(int(r.code)), set()).add(r.code)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _county_periods() -> pd.DataFrame:
    return _table("fylker.csv")


@functools.cache
def _county_candidates(code: str, year: int) -> tuple[tuple[str, int], ...]:
    """Counties valid in ``year`` that took over (or came before) county ``code``, with the
    number of municipalities that moved between them."""
    changes = _table("fylker_changes.csv")
    mid = _mid(year)
    valid = set(counties_in(year)["county_code"])
    found: dict[str, int] = {}
    # forward: follow changes dated on or before the year
    frontier = [(code, 10**6)]
    seen = set()
    while frontier:
        c, weight = frontier.pop()
        if c in seen:
            continue
        seen.add(c)
        rows = changes[(changes["old_code"] == c) & (changes["change_date"] <= mid)]
        for r in rows.itertuples():
            n = min(weight, int(r.n_municipalities))
            if r.new_code in valid:
                found[r.new_code] = found.get(r.new_code, 0) + n
            else:
                frontier.append((r.new_code, n))
    if not found:  # backward: the county came after the year
        frontier = [(code, 10**6)]
        seen = set()
        while frontier:
            c, weight = frontier.pop()
            if c in seen:
                continue
            seen.add(c)
            rows = changes[(changes["new_code"] == c) & (changes["change_date"] > mid)]
            for r in rows.itertuples():
                n = min(weight, int(r.n_municipalities))
                if r.old_code in valid:
                    found[r.old_code] = found.get(r.old_code, 0) + n
                else:
                    frontier.append((r.old_code, n))
    return tuple(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


def _county_lookup(year: int) -> pd.DataFrame:
    """One row per known key: code valid in year (or NA), the period code, candidates."""
    valid = set(counties_in(year)["county_code"])
    rows = []
    for key, codes in _county_keys().items():
        in_year = [c for c in codes if c in valid]
        rows.append(
            {
                "key": key,
                "code": in_year[0] if in_year else pd.NA,
                "other": codes[-1] if not in_year else pd.NA,
            }
        )
    return pd.DataFrame(rows).set_index("key")


def resolve_counties(
    frame: pd.DataFrame,
    field: str,
    column: str,
    year: int,
    municipality_codes: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resolve the county column to the county valid in ``year``.

    Accepts the official name, alt names (Sami names, «… fylke», «… fylkeskommune», without
    diacritics), any case and punctuation, or the code (``3``, ``03``). A county of another
    period is mapped to the county valid in ``year`` when that is clear (all or nearly all of
    its municipalities went there, or the row's municipality codes say which) and flagged.

    Returns
    -------
    result : DataFrame
        ``county_code``, ``county_name`` aligned with ``frame`` (NA when unknown).
    flags : DataFrame
        ``missing_county``, ``unknown_county``, ``county_not_valid_in_year`` (``mapped`` or
        ``set_missing``) and ``county_municipality_mismatch`` (``noted``).
    """
    names = counties_in(year).set_index("county_code")["county_name"]
    text = frame[field].astype("string").str.strip().str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    key = text.str.normalize("NFC").str.casefold().str.replace(r"[\W_]+", "", regex=True)
    blank = (key.isna() | (key == "")).fillna(True)
    lookup = _county_lookup(year)
    code = key.map(lookup["code"]).astype("string")
    other = key.map(lookup["other"]).astype("string")
    unknown = ~blank & code.isna() & other.isna()
    stale = (~blank & code.isna() & other.notna()).fillna(False)

    # counties of the row's municipalities, for stale counties and the mismatch check
    muni_county = pd.Series(pd.NA, index=frame.index, dtype="string")
    if municipality_codes is not None:
        muni_county = municipality_counties(municipality_codes, year)

    detail = pd.Series(pd.NA, index=frame.index, dtype="string")
    mapped = pd.Series(False, index=frame.index)
    if stale.any():
        for old, idx in other[stale].groupby(other[stale]).groups.items():  # few distinct
            cands = _county_candidates(str(old), year)
            codes = [c for c, _ in cands]
            total = sum(n for _, n in cands)
            choice = pd.Series(pd.NA, index=idx, dtype="string")
            if len(codes) == 1:
                choice[:] = codes[0]
            else:
                by_muni = muni_county.loc[idx]
                ok = by_muni.isin(codes).fillna(False)
                choice[ok] = by_muni[ok]
                if codes and cands[0][1] >= _MAJORITY * total:
                    choice = choice.fillna(codes[0])
            code.loc[idx] = choice
            mapped.loc[idx] = choice.notna()
            cand_names = ", ".join(names.get(c, c) for c in codes) or "ingen"
            detail.loc[idx] = choice.map(
                lambda c, cn=cand_names, o=old: (
                    f"Fylket fantes ikke i {year}; satt til {names.get(c, c)}, som det nå hører til."
                    if pd.notna(c)
                    else f"Fylket fantes ikke i {year} og kan høre til flere fylker ({cn}); satt som manglende. "
                    "Oppgi kommunenummer, eller skriv fylket slik det het i tilskuddsåret."
                )
            ).astype("string")
    result = pd.DataFrame({"county_code": code.astype("string")}, index=frame.index)
    result["county_name"] = result["county_code"].map(names).astype("string")

    flags = [
        make_flags(
            frame,
            blank,
            column=column,
            field="county",
            values=None,
            problem="missing_county",
            detail="Fylke mangler.",
            action="set_missing",
        ),
        make_flags(
            frame,
            unknown,
            column=column,
            field="county",
            values=frame[field],
            problem="unknown_county",
            detail=f"Ukjent fylke; satt som manglende. Skriv fylkets navn eller nummer slik det var i {year}.",
            action="set_missing",
        ),
        make_flags(
            frame,
            stale & mapped,
            column=column,
            field="county",
            values=frame[field],
            problem="county_not_valid_in_year",
            detail=detail,
            action="mapped",
        ),
        make_flags(
            frame,
            stale & ~mapped,
            column=column,
            field="county",
            values=frame[field],
            problem="county_not_valid_in_year",
            detail=detail,
            action="set_missing",
        ),
    ]
    if municipality_codes is not None:
        mismatch = (
            result["county_code"].notna()
            & muni_county.notna()
            & (muni_county != result["county_code"])
            & ~stale
        ).fillna(False)
        mismatch &= muni_county != "*"
        flags.append(
            make_flags(
                frame,
                mismatch,
                column=column,
                field="county",
                values=frame[field],
                problem="county_municipality_mismatch",
                detail=(
                    "Kommunenummeret hører til "
                    + muni_county.map(names).fillna(muni_county)
                    + "; fylket er beholdt."
                ).astype("string"),
                action="noted",
            )
        )
    return result, _concat(flags)


def municipality_counties(codes: pd.Series, year: int) -> pd.Series:
    """The county of a row's municipalities (;-joined codes valid in ``year``); ``*`` when
    they lie in more than one county, NA when there are none."""
    split = codes.astype("string").str.split(";").explode()
    split = split[split.notna() & (split != "")]
    if split.empty:
        return pd.Series(pd.NA, index=codes.index, dtype="string")
    g = split.str[:2].groupby(level=0)
    agg = g.first().where(g.nunique() == 1, "*")
    return agg.reindex(codes.index).astype("string")


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_flags()


# --- municipalities -----------------------------------------------------------------------
@functools.cache
def _municipality_successor(year: int) -> dict[str, str]:
    """Code of another period -> the one code valid in ``year`` it became (or came from),
    where that is one-to-one."""
    changes = _table("kommuner_changes.csv")
    changes = changes[changes["change_type"] != "boundary"]
    mid = _mid(year)
    valid = set(municipalities_in(year)["municipality_code"])
    every = set(_table("kommuner.csv")["code"])
    fwd = (
        changes[changes["change_date"] <= mid]
        .groupby("old_code")["new_code"]
        .agg(lambda s: sorted(set(s)))
    )
    back = (
        changes[changes["change_date"] > mid]
        .groupby("new_code")["old_code"]
        .agg(lambda s: sorted(set(s)))
    )
    out: dict[str, str] = {}
    for code in every - valid:
        seen, current = set(), code
        while current not in valid and current not in seen:
            seen.add(current)
            nxt = fwd.get(current) or back.get(current)
            if not nxt or len(nxt) != 1:
                break
            current = nxt[0]
        if current in valid and current != code:
            out[code] = current
    return out


def _explode_codes(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    text = frame[field].astype("string").str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    tokens = text.str.split(r"[\s,;/]+", regex=True).explode()
    tokens = tokens[tokens.notna() & (tokens != "")]
    return pd.DataFrame({"token": tokens, "_row": frame.loc[tokens.index, "_row"]})


def _join(codes: pd.Series, index: pd.Index) -> pd.Series:
    return join_sorted_unique(codes.astype("string"), index)


def _token_flags(
    tokens: pd.DataFrame,
    mask: pd.Series,
    column: str,
    field: str,
    problem: str,
    detail: pd.Series | str,
    action: str,
) -> pd.DataFrame:
    if not mask.any():
        return empty_flags()
    sub = tokens[mask]
    out = pd.DataFrame(
        {
            "row": sub["_row"].astype("Int64").to_numpy(),
            "column": column,
            "field": field,
            "value": sub["token"].astype("string").to_numpy(),
            "problem": problem,
            "detail": detail[mask].to_numpy() if isinstance(detail, pd.Series) else detail,
            "action": action,
        }
    )
    return out.astype({c: "string" for c in FLAG_COLUMNS[1:]})


def resolve_municipality_codes(
    frame: pd.DataFrame, field: str, column: str, year: int
) -> tuple[pd.Series, pd.DataFrame]:
    """Municipality codes valid in ``year`` from text such as ``0301``, ``301``,
    ``1103, 1106``, ``1103;1106``, ``1103 / 1106``.

    Returns the ;-joined sorted codes per row (NA when none) and flags:
    ``invalid_municipality_code`` (not a 3–4 digit code), ``unknown_municipality_code`` (no
    such code in any period), ``municipality_not_valid_in_year`` (a code of another period:
    mapped when it became exactly one code valid in ``year``, else dropped).
    """
    tokens = _explode_codes(frame, field)
    if tokens.empty:
        return pd.Series(pd.NA, index=frame.index, dtype="string"), empty_flags()
    padded = tokens["token"].str.zfill(4)
    well_formed = tokens["token"].str.fullmatch(r"\d{3,4}").fillna(False)
    valid = set(municipalities_in(year)["municipality_code"])
    every = set(_table("kommuner.csv")["code"])
    succ = _municipality_successor(year)
    ok = well_formed & padded.isin(valid)
    other = well_formed & ~ok & padded.isin(every)
    mapped_to = padded.map(succ).where(other)
    mapped = other & mapped_to.notna()
    unknown = well_formed & ~padded.isin(every)
    code = padded.where(ok).fillna(mapped_to.where(mapped))
    names = municipalities_in(year).set_index("municipality_code")["municipality_name"]
    flags = _concat(
        [
            _token_flags(
                tokens,
                ~well_formed,
                column,
                field,
                "invalid_municipality_code",
                "Ikke et kommunenummer (fire sifre); tatt ut.",
                "set_missing",
            ),
            _token_flags(
                tokens,
                unknown,
                column,
                field,
                "unknown_municipality_code",
                f"Kommunenummeret finnes ikke; tatt ut. Bruk kommunenummeret fra {year}.",
                "set_missing",
            ),
            _token_flags(
                tokens,
                mapped,
                column,
                field,
                "municipality_not_valid_in_year",
                (
                    f"Kommunenummeret gjaldt ikke i {year}; satt til "
                    + mapped_to
                    + " "
                    + mapped_to.map(names).fillna("")
                    + "."
                ),
                "mapped",
            ),
            _token_flags(
                tokens,
                other & ~mapped,
                column,
                field,
                "municipality_not_valid_in_year",
                f"Kommunenummeret gjaldt ikke i {year} og kan ikke oversettes entydig; tatt ut.",
                "set_missing",
            ),
        ]
    )
    return _join(code, frame.index), flags


@functools.cache
def _name_lookup(year: int) -> dict[str, tuple[str, ...]]:
    k = _valid_on(_table("kommuner.csv"), _mid(year))
    out: dict[str, set[str]] = {}
    for r in k.itertuples():  # ≤ 430 rows
        for n in [r.name, *[a for a in r.alt_names.split(";") if a]]:
            out.setdefault(normalise_key(n), set()).add(r.code)
    return {key: tuple(sorted(v)) for key, v in out.items()}


def resolve_municipality_names(
    frame: pd.DataFrame, field: str, column: str, year: int, county_codes: pd.Series | None = None
) -> tuple[pd.Series, pd.DataFrame]:
    """Municipality codes valid in ``year`` from names separated by ``,`` ``;`` ``/`` or
    « og » (whole official names such as «Nore og Uvdal» are matched first), with an optional
    «kommune(r)» suffix. A name shared by two municipalities (``Våler``, ``Herøy``) is resolved
    with the row's county when given.

    Flags: ``unknown_municipality_name``, ``ambiguous_municipality_name``.
    """
    lookup = _name_lookup(year)
    text = frame[field].astype("string").str.strip()
    text = text.str.replace(r"\s+kommuner?\b", "", regex=True, case=False)
    whole_key = text.str.normalize("NFC").str.casefold().str.replace(r"[\W_]+", "", regex=True)
    # a whole cell that is one official name («Nore og Uvdal») is matched before splitting;
    # a name shared by two municipalities goes on to be resolved with the county
    whole = whole_key.map(
        lambda k: lookup[k] if isinstance(k, str) and len(lookup.get(k, ())) == 1 else None
    )
    parts = text.where(whole.isna()).str.split(r"\s*(?:[,;/]|\bog\b)\s*", regex=True).explode()
    parts = parts[parts.notna() & (parts.str.strip() != "")]
    tokens = pd.DataFrame({"token": parts, "_row": frame.loc[parts.index, "_row"]})
    keys = parts.str.normalize("NFC").str.casefold().str.replace(r"[\W_]+", "", regex=True)
    found = keys.map(lambda k: lookup.get(k, ()))
    single = found.map(len) == 1
    multiple = found.map(len) > 1
    code = found.where(single).map(lambda t: t[0] if isinstance(t, tuple) else pd.NA)
    if county_codes is not None and multiple.any():
        row_county = county_codes.reindex(parts.index)
        pick = [
            next((c for c in cands if c[:2] == rc), pd.NA) if isinstance(rc, str) else pd.NA
            for cands, rc in zip(found[multiple], row_county[multiple], strict=True)
        ]
        code.loc[multiple] = pick
    ambiguous = multiple & code.isna()
    unknown = found.map(len) == 0
    whole_codes = whole.dropna().map(lambda t: t[0])
    all_codes = pd.concat([code.dropna().astype("string"), whole_codes.astype("string")])
    flags = _concat(
        [
            _token_flags(
                tokens,
                unknown,
                column,
                field,
                "unknown_municipality_name",
                f"Fant ingen kommune med dette navnet i {year}; tatt ut.",
                "set_missing",
            ),
            _token_flags(
                tokens,
                ambiguous,
                column,
                field,
                "ambiguous_municipality_name",
                "Flere kommuner har dette navnet; oppgi kommunenummer. Tatt ut.",
                "set_missing",
            ),
        ]
    )
    return _join(all_codes, frame.index), flags


# --- across reforms -----------------------------------------------------------------------
def county_in_year(municipality_codes: pd.Series, from_year: int, to_year: int) -> pd.Series:
    """The county valid in ``to_year`` of each row's municipalities (codes valid in
    ``from_year``), through the change tables: a common geography across county reforms.
    NA when the municipalities land in different counties or cannot be followed."""
    split = municipality_codes.astype("string").str.split(";").explode()
    split = split[split.notna() & (split != "")]
    if split.empty:
        return pd.Series(pd.NA, index=municipality_codes.index, dtype="string")
    valid = set(municipalities_in(to_year)["municipality_code"])
    succ = _municipality_successor(to_year)
    to_code = split.where(split.isin(valid)).fillna(split.map(succ))
    county = to_code.str[:2]
    agg = county.groupby(level=0).agg(
        lambda s: s.iloc[0] if s.notna().all() and s.nunique() == 1 else pd.NA
    )
    return agg.reindex(municipality_codes.index).astype("string")


def counties_unchanged(year_a: int, year_b: int) -> list[str]:
    """County codes valid in both years with no county change between them."""
    lo, hi = sorted((int(year_a), int(year_b)))
    changes = _table("fylker_changes.csv")
    between = changes[(changes["change_date"] > _mid(lo)) & (changes["change_date"] <= _mid(hi))]
    touched = set(between["old_code"]) | set(between["new_code"])
    both = set(counties_in(lo)["county_code"]) & set(counties_in(hi)["county_code"])
    return sorted(both - touched)
