"""Every figure of a year, computed once from the tidy frame: counts, shares with Wilson
intervals (missing answers left out of the denominator and reported beside it), figures per
county and per category, municipalities reached, amounts.

The result is the ``metrics.json`` of :doc:`spec/outputs`; notebooks only display it.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit import geography, parse, stats, wording
from evalkit.clean import CleanResult
from evalkit.config import Scheme, ShareSpec, scheme_text
from evalkit.disclosure import UNKNOWN_COUNTY_NB
from evalkit.i18n import t

#: 2: every figure a document shows is here (see README, «metrics.json»); every key of 1 kept
#: with its meaning.
SCHEMA_VERSION = 2


def _counts(flags: pd.Series) -> tuple[int, int, int]:
    """(True, non-missing, missing) of a boolean column, as ``astype("boolean")`` reads it."""
    if flags.dtype == bool:  # a checkbox: never missing
        return int(np.count_nonzero(flags.to_numpy())), len(flags), 0
    if not isinstance(flags.dtype, pd.BooleanDtype):
        flags = flags.astype("boolean")
    values = flags.array
    missing = values.isna()
    n_missing = int(np.count_nonzero(missing))
    count = int(np.count_nonzero(values.to_numpy(dtype=bool, na_value=False)))
    return count, len(flags) - n_missing, n_missing


def _count_share(flags: pd.Series) -> dict:
    """Share of True among the non-missing values of a nullable boolean Series."""
    count, n, missing = _counts(flags)
    return stats.share_with_ci(count, n, missing)


def _code_shares(codes: pd.Series, wanted: list[str]) -> list[dict]:
    """Share of each of ``wanted`` among the non-missing values of a code column."""
    arr = parse.arrow_strings(codes)
    counted = pc.value_counts(arr.drop_null())
    counts = dict(
        zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True)
    )
    n, missing = len(arr) - arr.null_count, arr.null_count
    return [stats.share_with_ci(counts.get(code, 0), n, missing) for code in wanted]


def share_entries(tidy: pd.DataFrame, scheme: Scheme, spec: ShareSpec) -> dict[str, dict]:
    """The share metrics one entry of the scheme's ``shares`` list stands for."""
    out: dict[str, dict] = {}
    if spec.kind == "yesno":
        out[spec.key or spec.field] = _count_share(tidy[spec.field])
    elif spec.kind == "checked":
        for name in scheme.expand_fields(spec.field):
            out[name] = _count_share(tidy[name])
    elif spec.kind in ("category", "category_one"):
        codes = tidy[spec.field]
        vocab = scheme.vocabularies[scheme.fields[spec.field].vocabulary]
        wanted = [spec.code] if spec.kind == "category_one" else vocab.codes
        for code, share in zip(wanted, _code_shares(codes, wanted), strict=True):
            key = spec.key if spec.kind == "category_one" and spec.key else f"{spec.field}.{code}"
            out[key] = share
    elif spec.kind == "reasons":
        among = slice(None)
        if spec.among:
            among = (tidy[spec.among["field"]] == spec.among["equals"]).fillna(False).to_numpy(bool)
        field = next(f for f in scheme.fields.values() if f.target == spec.field)
        for code in scheme.vocabularies[field.vocabulary].codes:
            out[f"{spec.field}.{code}"] = _count_share(tidy[f"{spec.field}.{code}"][among])
    return out


def compute_shares(tidy: pd.DataFrame, scheme: Scheme) -> dict[str, dict]:
    shares: dict[str, dict] = {}
    for spec in scheme.shares:
        shares.update(share_entries(tidy, scheme, spec))
    return shares


def share_labels(scheme: Scheme) -> dict[str, dict[str, str]]:
    """The label of every share key, in bokmål (``label_nb``) and in the current language
    (``label``), and its group (for tables and figures)."""
    out: dict[str, dict[str, str]] = {}

    def entry(obj: Any, group: str) -> dict[str, str]:
        return {"label_nb": obj.label_nb, "label": scheme_text(obj, "label"), "group": group}

    for spec in scheme.shares:
        if spec.kind == "yesno":
            out[spec.key or spec.field] = entry(spec, spec.group)
        elif spec.kind == "checked":
            for name in scheme.expand_fields(spec.field):
                out[name] = entry(scheme.fields[name], spec.group)
        elif spec.kind == "category_one":
            out[spec.key or f"{spec.field}.{spec.code}"] = entry(spec, spec.group)
        elif spec.kind == "category":
            vocab = scheme.vocabularies[scheme.fields[spec.field].vocabulary]
            for term in vocab.terms:
                out[f"{spec.field}.{term.code}"] = entry(term, spec.group)
        elif spec.kind == "reasons":
            field = next(f for f in scheme.fields.values() if f.target == spec.field)
            for t in scheme.vocabularies[field.vocabulary].terms:
                out[f"{spec.field}.{t.code}"] = entry(t, spec.group)
    return out


def total_nok(values: pd.Series) -> int:
    """The exact sum of an amount column (NA left out) as a Python int; it never wraps
    around (:func:`evalkit.stats.exact_total`)."""
    return stats.exact_total(values.dropna().to_numpy(dtype=np.int64))


def amount_summary(values: pd.Series) -> dict:
    """Total, missing, and the distribution of an amount column
    (:func:`evalkit.stats.amount_distribution`), with ``metrics.json``'s keys."""
    d = stats.amount_distribution(values.astype("Float64").to_numpy(dtype=float, na_value=np.nan))
    out = {"total_nok": d["total"], "n": d["n"], "missing": d["missing"]}
    if d["n"]:
        out |= {f"{k}_nok": d[k] for k in ("median", "q1", "q3", "min", "max")}
        out["quantile_method"] = "type7_linear"
    return out


def distinct_municipalities(codes: pd.Series) -> int:
    """Number of distinct municipality codes in a column of ;-joined code lists."""
    cells = pc.unique(parse.arrow_strings(codes).drop_null())  # the codes of distinct cells
    _, split = parse.split_long(cells, ";", regex=False)
    return len(pc.unique(split.filter(pc.not_equal(split, ""))))


def _group_figures(
    tidy: pd.DataFrame, scheme: Scheme, group: np.ndarray, n: int, *, municipalities: bool
) -> dict[str, np.ndarray]:
    """The figures of each group ``0 … n - 1`` of rows: the number of rows, the rows where
    each counted flag is yes, each amount's total, distinct municipalities, the award rate."""
    doc = scheme.doc
    out: dict[str, np.ndarray] = {scheme.count_key: np.bincount(group, minlength=n)}
    flags = list(doc.by_county.flags)
    if doc.award is not None and doc.award.flag not in flags:
        flags.insert(0, doc.award.flag)
    for flag in flags:
        yes = np.zeros(n, dtype=np.int64)
        np.add.at(yes, group, tidy[flag].fillna(False).to_numpy(dtype=np.int64))
        out[f"n_{flag}"] = yes
    for a in doc.amounts:
        amounts = tidy[a.field].fillna(0).to_numpy(dtype=np.int64)
        if not stats.sum_is_exact(amounts):  # Python integers: a group's total cannot wrap
            amounts = amounts.astype(object)
        total = np.zeros(n, dtype=amounts.dtype)
        np.add.at(total, group, amounts)
        out[a.field] = total
    if municipalities and "municipalities_reached" in tidy:
        out["n_municipalities"] = _distinct_municipalities_by(
            group, tidy["municipalities_reached"], n
        )
    return out


def _rows(figures: dict[str, np.ndarray], i: int, award: str | None, count: str) -> dict:
    row = {k: int(v[i]) for k, v in figures.items()}
    if award is not None:
        row["award_rate"] = row[f"n_{award}"] / row[count] if row[count] else None
    return row


def _by_county(tidy: pd.DataFrame, scheme: Scheme, year: int) -> list[dict]:
    """One row per county of the year (and «Ukjent fylke» for rows without one): the figures
    of :func:`_group_figures`. A county not valid in the year is left out."""
    counties = geography.counties_in(year)
    k = len(counties)
    # group of each row: its county's position, k for no county, k + 1 for a county not
    # valid in the year (left out, as a left join on the counties leaves it out)
    code = parse.arrow_strings(tidy["county_code"])
    where = pc.index_in(code, value_set=parse.arrow_strings(counties["county_code"]))
    group = np.where(
        code.is_null().to_numpy(zero_copy_only=False),
        k,
        where.fill_null(k + 1).to_numpy(zero_copy_only=False),
    ).astype(np.int64)
    figures = _group_figures(
        tidy, scheme, group, k + 2, municipalities=bool(scheme.doc.by_county.municipalities)
    )
    award = scheme.doc.award.flag if scheme.doc.award else None
    count = scheme.count_key
    rows = [
        {"county_code": str(c), "county_name": name, **_rows(figures, i, award, count)}
        for i, (c, name) in enumerate(
            zip(counties["county_code"], counties["county_name"], strict=True)
        )
    ]  # one row per county (at most 19), not per data row
    if figures[count][k]:
        rows.append(
            {
                "county_code": None,
                "county_name": UNKNOWN_COUNTY_NB,
                **_rows(figures, k, award, count),
            }
        )
    return rows


def _total_row(rows: list[dict], scheme: Scheme) -> dict:
    """The sums of the rows (the «I alt» row of the county table), with its award rate."""
    keys = [k for k in rows[0] if k.startswith("n_") or k in {a.field for a in scheme.doc.amounts}]
    total = {k: sum(r[k] for r in rows) for k in keys}
    if scheme.doc.award is not None:
        n = total[scheme.count_key]
        total["award_rate"] = total[f"n_{scheme.doc.award.flag}"] / n if n else None
    return total


def _by_codes(tidy: pd.DataFrame, scheme: Scheme, field: str) -> list[dict]:
    """One row per code of a category field (and «Ukjent» for rows without one)."""
    terms = scheme.vocabularies[scheme.fields[field].vocabulary].terms
    codes = [t.code for t in terms]
    arr = parse.arrow_strings(tidy[field])
    at = pc.index_in(arr, value_set=pa.array(codes, pa.string()))
    group = at.fill_null(len(codes)).to_numpy(zero_copy_only=False).astype(np.int64)
    figures = _group_figures(tidy, scheme, group, len(codes) + 1, municipalities=False)
    award = scheme.doc.award.flag if scheme.doc.award else None
    rows = [
        {field: t.code, f"{field}_name": t.label_nb, **_rows(figures, i, award, scheme.count_key)}
        for i, t in enumerate(terms)
    ]
    if figures[scheme.count_key][len(codes)]:
        rows.append(
            {
                field: None,
                f"{field}_name": UNKNOWN_CODE_NB,
                **_rows(figures, len(codes), award, scheme.count_key),
            }
        )
    return rows


#: The ``<field>_name`` of the row of a category table without a code (a key of
#: ``metrics.json``, in bokmål in every language; a document shows :func:`code_label`).
UNKNOWN_CODE_NB = "Ukjent"


def code_label(scheme: Scheme, field: str, code: object) -> str:
    """The label a document shows for a code of the category field ``field`` (a row of
    ``by_<field>`` in ``metrics.json``), in the current language: the vocabulary's label,
    and «Ukjent» / «Unknown» for the row without a code."""
    if code is None or code is pd.NA or (isinstance(code, float) and np.isnan(code)):
        return t("config.unknown")
    for term in scheme.vocabularies[scheme.fields[field].vocabulary].terms:
        if term.code == code:
            return scheme_text(term, "label")
    return str(code)


def _by_round(tidy: pd.DataFrame, scheme: Scheme, field: str) -> list[dict]:
    """One row per round (the rounds with rows, in order)."""
    values = tidy[field]
    known = values.notna().to_numpy()
    rounds = np.unique(values[known].astype("int64").to_numpy())
    group = np.full(len(tidy), len(rounds), dtype=np.int64)
    group[known] = np.searchsorted(rounds, values[known].astype("int64").to_numpy())
    figures = _group_figures(tidy, scheme, group, len(rounds) + 1, municipalities=False)
    return [
        {"round": int(r), **{k: int(v[i]) for k, v in figures.items()}}
        for i, r in enumerate(rounds)
    ]


def _distinct_municipalities_by(group: np.ndarray, codes: pd.Series, n: int) -> np.ndarray:
    """:func:`distinct_municipalities` of the rows of each group (``0 … n - 1``)."""
    cell, cells = parse.distinct(codes)  # the last of the distinct cells is NA
    pairs = np.unique(group * len(cells) + cell)  # distinct (group, cell)
    pair_group, pair_cell = pairs // len(cells), pairs % len(cells)
    at, split = parse.split_long(cells, ";", regex=False)
    keep = pc.fill_null(pc.not_equal(split, ""), False).to_numpy(zero_copy_only=False)
    at = at[keep]
    token = pc.dictionary_encode(split.filter(keep)).indices.to_numpy().astype(np.int64)
    # the codes of each pair's cell
    per_cell = np.bincount(at, minlength=len(cells))
    first = np.cumsum(per_cell) - per_cell
    reps = per_cell[pair_cell]
    which = np.repeat(np.arange(len(pairs)), reps)
    within = np.arange(len(which)) - np.repeat(np.cumsum(reps) - reps, reps)
    order = np.argsort(at, kind="stable")
    tokens = token[order][first[pair_cell][which] + within]
    width = int(token.max(initial=0)) + 1
    distinct = np.unique(pair_group[which] * width + tokens)
    return np.bincount(distinct // width, minlength=n)


def combined_shares(tidy: pd.DataFrame, scheme: Scheme) -> dict[str, dict]:
    """Each ``combined_shares`` entry of the YAML: the rows answering one of its codes among
    those who answered, and (given ``assessable``) among the assessable answers only."""
    out: dict[str, dict] = {}
    for c in scheme.doc.combined_shares:
        values = tidy[c.field]
        answered = int(values.notna().sum())
        missing = len(values) - answered
        count = int(values.isin(c.codes).fillna(False).sum())
        entry = {"label_nb": c.label_nb, "codes": list(c.codes)}
        entry |= stats.share_with_ci(count, answered, missing)
        if c.assessable is not None:
            n = int(values.isin(c.assessable).fillna(False).sum())
            entry["not_assessable"] = answered - n
            entry["assessable"] = {
                "codes": list(c.assessable),
                **stats.share_with_ci(count, n, missing + answered - n),
            }
        out[c.key] = entry
    return out


def checked_counts(tidy: pd.DataFrame, scheme: Scheme) -> dict[str, dict]:
    """Each ``checked_counts`` entry of the YAML: among the rows where its ``among`` column is
    yes (every row without one), those with at least ``at_least`` of its checkboxes checked
    (``count`` of ``n``, with the share and its interval) and those with fewer (``fewer``)."""
    out: dict[str, dict] = {}
    for c in scheme.doc.checked_counts:
        rows = tidy[tidy[c.among].fillna(False).to_numpy(bool)] if c.among else tidy
        boxes = scheme.expand_fields(c.fields)
        checked = rows[boxes].to_numpy(dtype=np.int64).sum(axis=1)
        count, n = int(np.count_nonzero(checked >= c.at_least)), len(rows)
        out[c.key] = {
            "fields": boxes,
            "at_least": c.at_least,
            "among": c.among,
            **stats.share_with_ci(count, n, 0),
            "fewer": n - count,
        }
    return out


def share_ranges(shares: dict[str, dict], scheme: Scheme) -> dict[str, dict]:
    """Each ``share_ranges`` entry: the lowest and highest of the shares it names."""
    out: dict[str, dict] = {}
    for r in scheme.doc.share_ranges:
        keys = [k for k in shares if any(fnmatch.fnmatchcase(k, p) for p in r.fields)]
        values = [shares[k]["share"] for k in keys if shares[k]["share"] is not None]
        out[r.key] = {
            "keys": keys,
            "min": min(values) if values else None,
            "max": max(values) if values else None,
        }
    return out


def compute_metrics(result: CleanResult, scheme: Scheme, *, synthetic: bool) -> dict:
    """All figures of one year as a JSON-ready dict (``comparisons`` left empty)."""
    tidy = result.tidy
    flags = result.flags
    doc = scheme.doc
    out = (flags["action"] == "excluded").to_numpy(dtype=bool, na_value=False)
    excluded = [
        {"row": int(row), "reason": str(problem), "detail": str(detail)}
        for row, problem, detail in zip(
            flags["row"][out], flags["problem"][out], flags["detail"][out], strict=True
        )
    ]  # one entry per excluded row (as CleanResult.excluded lists them)
    m: dict = {
        "schema_version": SCHEMA_VERSION,
        "scheme": scheme.name,
        "unit": scheme.unit,
        "year": int(result.year),
        "synthetic": bool(synthetic),
        "source_file": result.path.name,
        "layout": result.layout,
        "rows": {
            "read": result.n_read,
            "kept": result.n_kept,
            "excluded": excluded,
            "n_excluded": len(excluded),
        },
        "n_flagged_cells": int((result.flags["action"] != "excluded").sum()),
        "n_counties": int(tidy["county_code"].nunique()),
        "n_counties_in_year": int(len(geography.counties_in(result.year))),
        scheme.count_key: int(len(tidy)),
    }
    award = doc.award
    awarded = tidy[tidy[award.flag].fillna(False)] if award else tidy
    if award is not None:
        m[f"n_{award.flag}"] = int(len(awarded))
    for a in doc.amounts:
        m[f"{a.field.removesuffix('_nok')}_total_nok"] = total_nok(tidy[a.field])
    for a in doc.amounts:
        rows = tidy[tidy[a.among].fillna(False)] if a.among else tidy
        m[a.field] = amount_summary(rows[a.field])
    if "municipalities_reached" in tidy:
        m["n_municipalities"] = distinct_municipalities(awarded["municipalities_reached"])
        if award is not None:
            m["n_municipalities_applied"] = distinct_municipalities(tidy["municipalities_reached"])
    if award is not None:
        m["applied_vs_granted"] = wording.named_summary(
            stats.applied_vs_granted(
                awarded[award.applied].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                awarded[award.granted].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            )
        )
    for name in scheme.fields_of_type("round"):
        m["by_round"] = _by_round(tidy, scheme, name)
        m["round_missing"] = int(tidy[name].isna().sum())
        break
    m["by_county"] = _by_county(tidy, scheme, result.year)
    m["by_county_total"] = _total_row(m["by_county"], scheme)
    if doc.by_category is not None:
        m["by_category"] = _by_codes(tidy, scheme, doc.by_category)
    m["shares"] = compute_shares(tidy, scheme)
    m["combined"] = combined_shares(tidy, scheme)
    m["checked_counts"] = checked_counts(tidy, scheme)
    m["share_ranges"] = share_ranges(m["shares"], scheme)
    m["group_tests"] = group_tests(tidy, scheme)
    m["comparisons"] = []
    return m


def _yes_no_table(group: pd.Series, outcome: pd.Series, judged: np.ndarray) -> pd.DataFrame:
    """Groups × (yes, no) counts of the rows with a group and an outcome (where ``judged``),
    groups sorted, as ``groupby`` makes them."""
    valid = group.notna().to_numpy() & outcome.notna().to_numpy() & judged
    if isinstance(group.dtype, pd.StringDtype):
        encoded = pc.dictionary_encode(parse.arrow_strings(group).filter(valid))
        order = pc.sort_indices(encoded.dictionary).to_numpy()  # groupby sorts the groups
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = rank[encoded.indices.to_numpy()]
        uniques = parse.string_array(encoded.dictionary.take(order))
    else:
        codes, uniques = pd.factorize(group[valid], sort=True)
    yes = outcome[valid].astype(bool).to_numpy()
    n_all = np.bincount(codes, minlength=len(uniques))
    n_yes = np.bincount(codes[yes], minlength=len(uniques))
    return pd.DataFrame(
        {"yes": n_yes, "no": n_all - n_yes}, index=pd.Index(uniques, name=group.name)
    )


def group_tests(tidy: pd.DataFrame, scheme: Scheme) -> list[dict]:
    """Is a share alike across counties (or categories) within the year? One test per entry
    of the YAML's ``group_tests``, on the groups × (yes, no) table of answered rows; an
    outcome that is a combined share with ``assessable`` counts only the assessable rows."""
    everywhere = np.ones(len(tidy), dtype=bool)
    combined = {c.key: c for c in scheme.doc.combined_shares}
    out = []
    for g in scheme.doc.group_tests:
        c = combined.get(g.outcome)
        if c is not None:
            values = tidy[c.field].isin(c.codes)
            judged = tidy[c.field].isin(c.assessable or c.codes).to_numpy(bool)
            if c.assessable is None:
                judged = tidy[c.field].notna().to_numpy(bool)
        else:
            values, judged = tidy[g.outcome], everywhere
        table = _yes_no_table(tidy[g.by], values, judged)
        res = stats.between_groups_test(table)
        out.append(
            {
                "key": g.key,
                "label_nb": g.label_nb,
                "groups": int((table.sum(axis=1) > 0).sum()),
                "n": int(table.to_numpy().sum()),
                **wording.named_test(
                    res, unit=scheme.unit, group=wording.group_kind(g.by, scheme.doc.by_category)
                ),
            }
        )
    return out
