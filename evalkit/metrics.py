"""Every figure of a year, computed once from the tidy frame: counts, shares with Wilson
intervals (missing answers left out of the denominator and reported beside it), figures per
county and per category, municipalities reached, amounts.

The result is the ``metrics.json`` of :doc:`spec/outputs`; notebooks only display it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from evalkit import geography, parse, stats, wording
from evalkit.clean import CleanResult
from evalkit.config import Scheme, ShareSpec

SCHEMA_VERSION = 1


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
    """Norwegian label and group of every share key (for tables and figures)."""
    out: dict[str, dict[str, str]] = {}
    for spec in scheme.shares:
        if spec.kind == "yesno":
            out[spec.key or spec.field] = {"label_nb": spec.label_nb, "group": spec.group}
        elif spec.kind == "checked":
            for name in scheme.expand_fields(spec.field):
                out[name] = {"label_nb": scheme.fields[name].label_nb, "group": spec.group}
        elif spec.kind == "category_one":
            out[spec.key or f"{spec.field}.{spec.code}"] = {
                "label_nb": spec.label_nb,
                "group": spec.group,
            }
        elif spec.kind == "category":
            vocab = scheme.vocabularies[scheme.fields[spec.field].vocabulary]
            for t in vocab.terms:
                out[f"{spec.field}.{t.code}"] = {"label_nb": t.label_nb, "group": spec.group}
        elif spec.kind == "reasons":
            field = next(f for f in scheme.fields.values() if f.target == spec.field)
            for t in scheme.vocabularies[field.vocabulary].terms:
                out[f"{spec.field}.{t.code}"] = {"label_nb": t.label_nb, "group": spec.group}
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


def _by_county_projects(tidy: pd.DataFrame, year: int) -> list[dict]:
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
    n_projects = np.bincount(group, minlength=k + 2)
    amounts = tidy["grant_nok"].fillna(0).to_numpy(dtype=np.int64)
    if not stats.sum_is_exact(amounts):  # Python integers: a county's total cannot wrap
        amounts = amounts.astype(object)
    grant = np.zeros(k + 2, dtype=amounts.dtype)
    np.add.at(grant, group, amounts)
    intermunicipal = np.zeros(k + 2, dtype=np.int64)
    np.add.at(intermunicipal, group, tidy["intermunicipal"].fillna(False).to_numpy(dtype=np.int64))
    municipalities = _distinct_municipalities_by(group, tidy["municipalities_reached"], k + 2)
    rows = [
        {
            "county_code": str(c),
            "county_name": name,
            "n_projects": int(n_projects[i]),
            "grant_nok": int(grant[i]),
            "n_intermunicipal": int(intermunicipal[i]),
            "n_municipalities": int(municipalities[i]),
        }
        for i, (c, name) in enumerate(
            zip(counties["county_code"], counties["county_name"], strict=True)
        )
    ]  # one row per county (at most 19), not per data row
    if n_projects[k]:
        rows.append(
            {
                "county_code": None,
                "county_name": "Ukjent fylke",
                "n_projects": int(n_projects[k]),
                "grant_nok": int(grant[k]),
                "n_intermunicipal": int(intermunicipal[k]),
                "n_municipalities": int(municipalities[k]),
            }
        )
    return rows


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


def _by_group_applications(tidy: pd.DataFrame, key: str) -> pd.DataFrame:
    g = tidy.groupby(key, dropna=False)
    return pd.DataFrame(
        {
            "n_applications": g.size(),
            "n_granted": g["granted"].sum(),
            "applied_nok": g["applied_nok"].agg(total_nok),
            "granted_nok": g["granted_nok"].agg(total_nok),
        }
    )


def _records(table: pd.DataFrame, key: str, labels: pd.DataFrame, name_col: str) -> list[dict]:
    full = labels.set_index(key).join(table, how="left").fillna(0)
    rows = []
    for code, r in full.iterrows():
        rows.append(
            {key: str(code), name_col: r[name_col], **{c: int(r[c]) for c in table.columns}}
        )
    unknown = table[table.index.isna()]
    if len(unknown):
        rows.append(
            {key: None, name_col: "Ukjent", **{c: int(unknown.iloc[0][c]) for c in table.columns}}
        )
    return rows


def compute_metrics(result: CleanResult, scheme: Scheme, *, synthetic: bool) -> dict:
    """All figures of one year as a JSON-ready dict (``comparisons`` left empty)."""
    tidy = result.tidy
    flags = result.flags
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
        "year": int(result.year),
        "synthetic": bool(synthetic),
        "source_file": result.path.name,
        "layout": result.layout,
        "rows": {"read": result.n_read, "kept": result.n_kept, "excluded": excluded},
        "n_flagged_cells": int((result.flags["action"] != "excluded").sum()),
        "n_counties": int(tidy["county_code"].nunique()),
        "n_counties_in_year": int(len(geography.counties_in(result.year))),
    }
    if scheme.unit == "project":
        m["n_projects"] = int(len(tidy))
        m["n_municipalities"] = distinct_municipalities(tidy["municipalities_reached"])
        amounts = amount_summary(tidy["grant_nok"])
        m["grant_total_nok"] = amounts["total_nok"]
        m["grant_nok"] = amounts
        m["by_county"] = _by_county_projects(tidy, result.year)
    else:
        granted = tidy[tidy["granted"].fillna(False)]
        m["n_applications"] = int(len(tidy))
        m["n_granted"] = int(len(granted))
        m["applied_total_nok"] = total_nok(tidy["applied_nok"])
        m["granted_total_nok"] = total_nok(tidy["granted_nok"])
        m["applied_nok"] = amount_summary(tidy["applied_nok"])
        m["granted_nok"] = amount_summary(granted["granted_nok"])
        m["n_municipalities"] = distinct_municipalities(granted["municipalities_reached"])
        m["n_municipalities_applied"] = distinct_municipalities(tidy["municipalities_reached"])
        m["applied_vs_granted"] = wording.named_summary(
            stats.applied_vs_granted(
                granted["applied_nok"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                granted["granted_nok"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            )
        )
        rounds = tidy.groupby("round")
        m["by_round"] = [
            {
                "round": int(r),
                "n_applications": int(len(g)),
                "n_granted": int(g["granted"].sum()),
                "granted_nok": total_nok(g["granted_nok"]),
            }
            for r, g in rounds
        ]
        counties = geography.counties_in(result.year)
        m["by_county"] = _records(
            _by_group_applications(tidy, "county_code"), "county_code", counties, "county_name"
        )
        vocab = scheme.vocabularies["category"]
        cats = pd.DataFrame(
            {"category": vocab.codes, "category_name": [t.label_nb for t in vocab.terms]}
        )
        m["by_category"] = _records(
            _by_group_applications(tidy, "category"), "category", cats, "category_name"
        )
    m["shares"] = compute_shares(tidy, scheme)
    m["group_tests"] = group_tests(tidy, scheme)
    m["comparisons"] = []
    return m


#: Between-group comparisons within a year: (key, Norwegian label, group column, outcome).
GROUP_TESTS = {
    "project": [
        (
            "intermunicipal_by_county",
            "Andel interkommunale prosjekter, mellom fylkene",
            "county_code",
            "intermunicipal",
        ),
        (
            "goal_reached_by_county",
            "Andel som har nådd målene helt eller delvis, mellom fylkene",
            "county_code",
            "goal_reached",
        ),
    ],
    "application": [
        (
            "granted_by_county",
            "Andel innvilgede søknader, mellom fylkene",
            "county_code",
            "granted",
        ),
        (
            "granted_by_category",
            "Andel innvilgede søknader, mellom kategoriene",
            "category",
            "granted",
        ),
    ],
}


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
    of :data:`GROUP_TESTS`, on the groups × (yes, no) table of answered rows."""
    everywhere = np.ones(len(tidy), dtype=bool)
    out = []
    for key, label, group, outcome in GROUP_TESTS[scheme.unit]:
        if outcome == "goal_reached" and "goal_achievement" in tidy:  # among the judged
            achievement = tidy["goal_achievement"]
            values = achievement.isin(["oppnadd", "delvis"])
            judged = achievement.isin(["oppnadd", "delvis", "ikke_oppnadd"]).to_numpy(bool)
        else:
            values, judged = tidy[outcome], everywhere
        table = _yes_no_table(tidy[group], values, judged)
        res = stats.between_groups_test(table)
        out.append(
            {
                "key": key,
                "label_nb": label,
                "groups": int((table.sum(axis=1) > 0).sum()),
                "n": int(table.to_numpy().sum()),
                **wording.named_test(res),
            }
        )
    return out
