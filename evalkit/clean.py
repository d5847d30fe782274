"""Cleaning: from the raw frame (text as typed) to the tidy frame every metric relies on.

Each step is a pure function that returns the frame it made and the flags it raised
(:mod:`evalkit.flags`). Every raw row ends up either kept or excluded with a reason:
``read = kept + excluded``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from evalkit import geography, parse
from evalkit.config import Scheme
from evalkit.errors import StructuralError
from evalkit.flags import FLAG_COLUMNS, concat_flags, empty_flags, make_flags
from evalkit.read import RawExport

log = logging.getLogger(__name__)

#: Share of rows whose county is not valid in the year above which the file is taken to be
#: an export of another year (a structural error).
OTHER_YEAR_SHARE = 0.5


@dataclass
class CleanResult:
    """The tidy frame of a year with everything cleaning found."""

    scheme: str
    year: int
    path: Path
    layout: str
    tidy: pd.DataFrame
    flags: pd.DataFrame  # FLAG_COLUMNS; includes the excluded rows (action "excluded")
    n_read: int

    @property
    def excluded(self) -> pd.DataFrame:
        """One row per excluded raw row: ``row``, ``problem`` (the reason), ``detail``."""
        ex = self.flags[self.flags["action"] == "excluded"]
        return ex[["row", "problem", "detail"]].reset_index(drop=True)

    @property
    def n_kept(self) -> int:
        return len(self.tidy)

    def data_quality(self) -> pd.DataFrame:
        """The data-quality table (``data_quality.csv``): every flagged cell, excluded row and
        extra column."""
        return self.flags[FLAG_COLUMNS].reset_index(drop=True)


def _yesno(frame: pd.DataFrame, name: str, column: str) -> tuple[pd.Series, pd.DataFrame]:
    answer, bad = parse.parse_yesno(frame[name])
    flags = make_flags(
        frame,
        bad,
        column=column,
        field=name,
        values=frame[name],
        problem="unknown_yesno",
        detail="Svaret er verken ja eller nei; satt som manglende.",
        action="set_missing",
    )
    return answer, flags


def _category(frame, name, column, vocabulary) -> tuple[pd.Series, pd.DataFrame]:
    codes, bad = parse.parse_category(frame[name], vocabulary)
    labels = "; ".join(t.label_nb for t in vocabulary.terms)
    flags = make_flags(
        frame,
        bad,
        column=column,
        field=name,
        values=frame[name],
        problem="unknown_category",
        detail=f"Ukjent verdi; satt som manglende. Gyldige svar: {labels}.",
        action="set_missing",
    )
    return codes, flags


def _amount(frame, name, column) -> tuple[pd.Series, pd.DataFrame]:
    amount, bad = parse.parse_amount(frame[name])
    flags = make_flags(
        frame,
        bad,
        column=column,
        field=name,
        values=frame[name],
        problem="unreadable_amount",
        detail="Beløpet kan ikke leses som hele kroner; satt som manglende.",
        action="set_missing",
    )
    return amount, flags


def _required_blank(frame, name, column, values) -> pd.DataFrame:
    blank = (
        values.isna() if values.dtype != "string" else (values.isna() | (values.str.strip() == ""))
    )
    return make_flags(
        frame,
        blank,
        column=column,
        field=name,
        values=None,
        problem="missing_required",
        detail="Obligatorisk felt er tomt.",
        action="noted",
    )


def exclude_empty_responses(
    frame: pd.DataFrame, scheme: Scheme
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exclude rows where nothing but the id is filled in (Questback's unanswered forms)."""
    answer_cols = [c for c in frame.columns if c not in ("_row", scheme.id_field)]
    empty = frame[answer_cols].apply(parse.is_blank).all(axis=1) if answer_cols else None
    if empty is None or not empty.any():
        return frame, empty_flags()
    flags = make_flags(
        frame,
        empty,
        column="",
        field="",
        values=frame.get(scheme.id_field),
        problem="empty_response",
        detail="Skjemaet er tomt (bare id er fylt ut); raden er holdt utenfor.",
        action="excluded",
    )
    return frame.loc[~empty].reset_index(drop=True), flags


def _split_tokens(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split a list of municipalities given as codes and/or names into two ;-joined columns.

    Works on the distinct cells; ``values`` has unique index labels.
    """
    codes, text = parse.distinct_text(values)
    # the text is normalised: a plain space is the only white space left in it
    pos, tokens = parse.split_long(text, r" *(?:[,;/]| +og +) *")
    is_code = parse.string_series(tokens).str.fullmatch(r"\d{3,4}").fillna(False).to_numpy(bool)
    joined = [
        parse.join_groups(pos[mask], tokens.filter(mask), len(text)).take(codes)
        for mask in (is_code, ~is_code)
    ]
    return tuple(parse.string_series(j, index=values.index) for j in joined)


def _join_codes(*parts: pd.Series) -> pd.Series:
    """The union of several ;-joined code columns (with one index), sorted and de-duplicated
    per row. Works on the distinct combinations of values."""
    key, first = parse.distinct_rows(*parts)
    split = [
        parse.split_long(parse.arrow_strings(p.array.take(first)), ";", regex=False) for p in parts
    ]
    joined = parse.join_groups(
        np.concatenate([pos for pos, _ in split]),
        pa.concat_arrays([codes for _, codes in split]),
        len(first),
    )
    return parse.string_series(joined.take(key), index=parts[0].index)


def clean_geography(
    frame: pd.DataFrame, raw: RawExport, scheme: Scheme, year: int
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """County and municipalities valid in ``year``; checks the county against the codes."""
    flags: list[pd.DataFrame] = []
    out = pd.DataFrame(index=frame.index)
    col = raw.headers.get
    code_fields = scheme.fields_of_type("municipality_codes")
    name_fields = scheme.fields_of_type("municipality_names")
    list_fields = scheme.fields_of_type("municipality_list")
    main_codes = pd.Series(pd.NA, index=frame.index, dtype="string")
    if code_fields and code_fields[0] in frame:
        main_codes, f = geography.resolve_municipality_codes(
            frame, code_fields[0], col(code_fields[0]), year
        )
        flags.append(f)
    if name_fields and name_fields[0] in frame:
        need = main_codes.isna() & ~parse.is_blank(frame[name_fields[0]])
        if need.any():
            sub = frame.loc[need]
            by_name, f = geography.resolve_municipality_names(
                sub, name_fields[0], col(name_fields[0]), year
            )
            main_codes = main_codes.mask(need, by_name.reindex(frame.index))
            flags.append(f)
    county, f = geography.resolve_counties(
        frame, "county", col("county"), year, municipality_codes=main_codes
    )
    flags.append(f)
    out["county_code"] = county["county_code"].astype("string")
    out["county_name"] = county["county_name"].astype("string")
    target = code_fields[0] if code_fields else "municipality_codes"
    out[target] = main_codes
    for lf in list_fields:
        if lf not in frame:
            out[lf] = pd.Series(pd.NA, index=frame.index, dtype="string")
            continue
        codes_txt, names_txt = _split_tokens(frame[lf])
        tmp = pd.DataFrame({"_row": frame["_row"], "_codes": codes_txt, "_names": names_txt})
        by_code, f1 = geography.resolve_municipality_codes(tmp, "_codes", col(lf), year)
        has_names = tmp["_names"].notna()
        by_name = pd.Series(pd.NA, index=frame.index, dtype="string")
        f2 = empty_flags()
        if has_names.any():
            by_name_sub, f2 = geography.resolve_municipality_names(
                tmp.loc[has_names],
                "_names",
                col(lf),
                year,
                county_codes=out.loc[has_names, "county_code"],
            )
            by_name = by_name_sub.reindex(frame.index).astype("string")
        for fl in (f1, f2):
            if len(fl):
                fl = fl.assign(field=lf)
            flags.append(fl)
        out[lf] = _join_codes(by_code, by_name)
    return out, flags


def check_year(raw: RawExport, flags: pd.DataFrame, n_rows: int, year: int) -> None:
    """Stop when the file looks like an export of another year.

    Two signs: a four-digit year in the file name other than ``year``, or most counties not
    valid in ``year`` (e.g. the 18 counties of 2019 in a file given as 2022).
    """
    years_in_name = {int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", raw.path.name)}
    if years_in_name and year not in years_in_name:
        raise StructuralError(
            f"The file name says {sorted(years_in_name)[0]}, but it was given as the export for {year}",
            file=raw.path,
            fix=f"give the right year (--year {sorted(years_in_name)[0]}) or rename the file to {year}{raw.path.suffix}",
        )
    wrong = flags[flags["problem"] == "county_not_valid_in_year"]
    if n_rows and len(wrong) / n_rows > OTHER_YEAR_SHARE:
        example = wrong.iloc[0]
        raise StructuralError(
            f"{len(wrong)} of {n_rows} rows name a county that did not exist in {year} "
            f"(e.g. {example['value']!r}); this looks like the export of another year",
            file=raw.path,
            row=int(example["row"]),
            column=str(example["column"]),
            fix=f"check that the file is the {year} export, or give the year it belongs to",
        )


def clean_export(raw: RawExport, scheme: Scheme, year: int, *, strict: bool = False) -> CleanResult:
    """Clean a raw export into the tidy frame of ``year``.

    Parameters
    ----------
    raw : RawExport
        The export as read by :func:`evalkit.read.read_export`.
    scheme : Scheme
        The scheme configuration.
    year : int
        The funding (or allocation) year: counties and municipalities must be valid in it.
    strict : bool
        Turn unknown category values into a structural error instead of a flag.

    Raises
    ------
    StructuralError
        Empty or duplicate ids, a file of another year, or (``strict``) an unknown category.
    """
    from evalkit.validate import raw_gate, validate_tidy  # validate imports this module's deps

    raw_gate(raw, scheme)
    n_read = raw.n_rows
    flags: list[pd.DataFrame] = [raw.extra_column_flags()]
    frame, excluded = exclude_empty_responses(raw.frame, scheme)
    flags.append(excluded)
    col = raw.headers.get
    tidy = pd.DataFrame({"_row": frame["_row"]})
    tidy[scheme.id_field] = parse._text(frame[scheme.id_field])

    geo, geo_flags = clean_geography(frame, raw, scheme, year)
    flags.extend(geo_flags)

    for name, spec in scheme.fields.items():
        present = name in frame
        values = frame[name] if present else pd.Series(pd.NA, index=frame.index, dtype="string")
        column = col(name, name)
        if spec.type == "id":
            continue
        if spec.type in ("county", "municipality_codes", "municipality_list"):
            if spec.type == "county":
                tidy["county_code"] = geo["county_code"]
                tidy["county_name"] = geo["county_name"]
            else:
                tidy[name] = geo[name]
            continue
        if spec.type == "municipality_names":
            tidy[name] = parse._text(values)
            continue
        if spec.type == "text":
            tidy[name] = parse._text(values)
            if spec.required:
                flags.append(_required_blank(frame, name, column, tidy[name]))
        elif spec.type == "yesno":
            tidy[name], f = _yesno(frame.assign(**{name: values}), name, column)
            flags.append(f)
        elif spec.type == "checkbox":
            tidy[name] = parse.parse_checkbox(values)
        elif spec.type == "category":
            tidy[name], f = _category(
                frame.assign(**{name: values}), name, column, scheme.vocabularies[spec.vocabulary]
            )
            flags.append(f)
        elif spec.type == "amount":
            tidy[name], f = _amount(frame.assign(**{name: values}), name, column)
            flags.append(f)
        elif spec.type == "round":
            rnd = parse._text(values).fillna("1")
            ok = rnd.isin(["1", "2"])
            flags.append(
                make_flags(
                    frame,
                    ~ok,
                    column=column,
                    field=name,
                    values=values,
                    problem="unknown_round",
                    detail="Runde må være 1 eller 2; satt som manglende.",
                    action="set_missing",
                )
            )
            tidy[name] = pd.to_numeric(rnd.where(ok), errors="coerce").astype("Int64")
        elif spec.type == "reasons":
            vocab = scheme.vocabularies[spec.vocabulary]
            reasons = parse.parse_reasons(values, vocab)
            for code in vocab.codes:
                tidy[f"{spec.target}.{code}"] = reasons[code]
        if spec.required and spec.type in ("yesno", "category", "amount"):
            flags.append(_required_blank(frame, name, column, parse._text(values)))

    tidy, derived_flags = derive_fields(tidy, frame, raw, scheme)
    flags.extend(derived_flags)
    all_flags = concat_flags(flags)
    check_year(raw, all_flags, len(frame), year)
    if strict:
        unknown = all_flags[all_flags["problem"] == "unknown_category"]
        if len(unknown):
            first = unknown.iloc[0]
            raise StructuralError(
                f"Unknown value {first['value']!r} ({len(unknown)} unknown value(s) in all; "
                "--strict stops on them)",
                file=raw.path,
                row=int(first["row"]),
                column=str(first["column"]),
                fix=f"correct the value, or add the spelling to {scheme.path.name}",
            )
    tidy = tidy.reset_index(drop=True)
    validate_tidy(tidy, scheme, year)
    return CleanResult(
        scheme=scheme.name,
        year=year,
        path=raw.path,
        layout=raw.layout,
        tidy=tidy,
        flags=all_flags,
        n_read=n_read,
    )


def derive_fields(
    tidy: pd.DataFrame, frame: pd.DataFrame, raw: RawExport, scheme: Scheme
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Fields computed from others: municipality counts; for application schemes the award
    (``granted``), intermunicipal applications and granted-above-applied checks."""
    flags: list[pd.DataFrame] = []
    code_cols = scheme.fields_of_type("municipality_codes") + scheme.fields_of_type(
        "municipality_list"
    )
    if code_cols:
        tidy["municipalities_reached"] = _join_codes(*(tidy[c] for c in code_cols))
    if "decision" in tidy:
        tidy["granted"] = (tidy["decision"] == "innvilget").astype("boolean")
        tidy.loc[tidy["decision"].isna(), "granted"] = pd.NA
        partners = tidy["partner_municipalities"]
        tidy["intermunicipal"] = (partners.notna() & (partners != "")).astype("boolean")
        granted_nok = tidy["granted_nok"]
        refused_blank = (tidy["decision"] == "avslatt") & granted_nok.isna()
        tidy.loc[refused_blank.fillna(False), "granted_nok"] = 0
        above = (tidy["granted_nok"] > tidy["applied_nok"]).fillna(False)
        flags.append(
            make_flags(
                tidy,
                above,
                column=raw.headers.get("granted_nok", "granted_nok"),
                field="granted_nok",
                values=tidy["granted_nok"],
                problem="granted_above_applied",
                detail="Tildelt beløp er større enn søkt beløp; beløpet er beholdt, men bør sjekkes.",
                action="noted",
            )
        )
        refused_paid = ((tidy["decision"] == "avslatt") & (tidy["granted_nok"] > 0)).fillna(False)
        flags.append(
            make_flags(
                tidy,
                refused_paid,
                column=raw.headers.get("granted_nok", "granted_nok"),
                field="granted_nok",
                values=tidy["granted_nok"],
                problem="refused_with_amount",
                detail="Søknaden er avslått, men har tildelt beløp; beløpet er ikke regnet med.",
                action="set_missing",
            )
        )
        tidy.loc[refused_paid, "granted_nok"] = pd.NA
    return tidy, flags
