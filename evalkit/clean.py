"""Cleaning: from the raw frame (text as typed) to the tidy frame every metric relies on.

Each step is a pure function that returns the frame it made and the flags it raised
(:mod:`evalkit.flags`). Every raw row ends up either kept or excluded with a reason:
``read = kept + excluded``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit import geography, parse
from evalkit.config import DEFAULT_AMOUNT_RANGE, AmountRange, Scheme, scheme_text
from evalkit.errors import StructuralError
from evalkit.flags import FLAG_COLUMNS, concat_flags, empty_flags, make_flags, show_invisible
from evalkit.i18n import LANGUAGES
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


#: The explanations (catalog keys) of the cell flags raised while parsing.
_UNKNOWN_YESNO = "dq.unknown_yesno"
_UNREADABLE_AMOUNT = "dq.unreadable_amount"
_UNKNOWN_ROUND = "dq.unknown_round"


def _blank_round(round_: int) -> tuple[str, dict]:
    return "dq.blank_round", {"round": round_}


def _implausible_amount(plausible: AmountRange, scheme: Scheme) -> tuple[str, dict]:
    args = {"low": {"int": plausible.min}, "high": {"int": plausible.max}}
    return "dq.implausible_amount", {**args, "file": scheme.path.name}


def _unknown_category(vocabulary) -> tuple[str, dict]:
    labels = {
        lang: "; ".join(scheme_text(term, "label", lang) for term in vocabulary.terms)
        for lang in LANGUAGES
    }
    return "dq.unknown_category", {"labels": labels}


def _cell_flags(frame, mask: np.ndarray, name, column, values, problem, detail, action):
    """Flags of the cells of field ``name`` where ``mask`` holds (none built when none);
    ``detail`` is a catalog key, or (key, fields)."""
    if not mask.any():
        return empty_flags()
    detail, args = (detail, None) if isinstance(detail, str) else detail
    return make_flags(
        frame,
        pd.Series(mask, index=frame.index),
        args=args,
        column=column,
        field=name,
        values=values,
        problem=problem,
        detail=detail,
        action=action,
    )


def _required_blank(frame, name, column, blank: np.ndarray) -> pd.DataFrame:
    return _cell_flags(
        frame, blank, name, column, None, "missing_required", "dq.missing_required", "noted"
    )


class _Distinct:
    """The distinct normalised values of the fields of a frame.

    ``self(name)`` gives each row's position in the field's distinct values and those values
    (a pyarrow string array whose last element is the null that stands for NA; see
    :func:`parse.distinct_text`). The values of all ``names`` are normalised in one pass. A
    field missing from the frame is NA in every row. The fields in ``whole`` (ids, free
    text: mostly distinct anyway) are normalised row by row, without looking for repeats.
    """

    def __init__(self, frame: pd.DataFrame, names: list[str], whole: set[str] = frozenset()):
        self.frame = frame
        self.codes: dict[str, np.ndarray] = {}
        self.text: dict[str, pa.Array] = {}
        self.whole: set[str] = set()
        present = [n for n in names if n in frame]
        found = []
        for n in present:
            if n in whole and isinstance(frame[n].dtype, pd.StringDtype):
                values = parse.arrow_strings(frame[n])
                found.append(
                    (np.arange(len(frame)), pa.concat_arrays([values, pa.nulls(1, values.type)]))
                )
                self.whole.add(n)
            else:
                found.append(parse.distinct(frame[n]))
        if found:
            text = parse.text_array(pa.concat_arrays([u for _, u in found]))
            start = 0
            for name, (codes, uniques) in zip(present, found, strict=True):
                self.codes[name] = codes
                self.text[name] = text[start : start + len(uniques)]
                start += len(uniques)

    def __call__(self, name: str) -> tuple[np.ndarray, pa.Array]:
        if name not in self.codes:
            if name in self.frame:
                self.codes[name], self.text[name] = parse.distinct_text(self.frame[name])
            else:
                self.codes[name] = np.zeros(len(self.frame), dtype=np.int64)
                self.text[name] = pa.nulls(1, pa.large_string())
        return self.codes[name], self.text[name]

    def series(self, name: str) -> pd.Series:
        """The field as :func:`parse._text` makes it."""
        codes, text = self(name)
        if name in self.whole:  # one value per row, in row order
            return parse.string_series(text[: len(codes)], index=self.frame.index)
        return parse.string_series(text.take(codes), index=self.frame.index)

    def blank(self, name: str) -> np.ndarray:
        """True where the normalised value is NA."""
        codes, text = self(name)
        return text.is_null().to_numpy(zero_copy_only=False)[codes]

    def batch(self, names: list[str], parse_text):
        """``parse_text`` run once on the distinct values of all ``names`` together; yields
        (name, codes, the part of the result for that field)."""
        parts = [self(n) for n in names]
        result = parse_text(pa.concat_arrays([t for _, t in parts])) if names else None
        start = 0
        for name, (codes, text) in zip(names, parts, strict=True):
            yield name, codes, _slice(result, start, start + len(text))
            start += len(text)


def _slice(result, start: int, stop: int):
    if isinstance(result, tuple):
        return tuple(_slice(r, start, stop) for r in result)
    return result[start:stop]


#: Detail sentences of the flags of :func:`remove_invisible`, by problem: what the
#: characters are, then the code points and what became of them.
def _invisible_detail(problem: str, found: str) -> dict:
    """The fields of the explanation ``dq.invisible`` of a cell that held ``found``."""
    spaced = "".join(c for c in found if c in parse.SPACE_LIKE_CONTROLS)
    removed = "".join(c for c in found if c not in spaced)
    done = [{"key": "dq.invisible.removed", "args": {"chars": parse.code_points(removed)}}]
    done = done if removed else []
    if spaced:
        chars = parse.code_points(spaced)
        done.append({"key": "dq.invisible.spaced", "args": {"chars": chars}})
    return {"what": {"key": f"dq.invisible.{problem}"}, "done": done}


def remove_invisible(raw: RawExport) -> tuple[RawExport, pd.DataFrame]:
    """Take the control, bidirectional and zero-width characters (:data:`parse.INVISIBLE`)
    out of every cell, with one flag per cell and class of character (action ``mapped``).

    Runs before anything else reads the cells, so the raw gate, the tidy frame, the other
    flags and every output see the cells without them. A column without any is found so by
    a test on its bytes (:func:`parse.holds_invisible`) and costs next to nothing; where
    there are some, the cells that hold them are rewritten in pyarrow, and the flags' details
    are written once per distinct set of characters found.
    """
    frame = raw.frame
    flags: list[pd.DataFrame] = []
    changed: dict[str, pd.Series] = {}
    for name in frame.columns:
        if name == "_row" or not isinstance(frame[name].dtype, pd.StringDtype):
            continue
        values = parse.arrow_strings(frame[name])
        hit = parse.invisible_mask(values)
        if not hit.any():
            continue
        rows = np.flatnonzero(hit)
        held = values.take(rows)
        changed[name] = parse.string_series(
            pc.replace_with_mask(values, pa.array(hit), parse.strip_invisible(held)),
            index=frame.index,
        )
        found = pc.dictionary_encode(parse.invisible_only(held))
        which = found.indices.to_numpy()
        by_class = [parse.invisible_by_class(chars) for chars in found.dictionary.to_pylist()]
        cells = frame.iloc[rows]
        for problem in parse.INVISIBLE:
            details = np.array(
                [
                    _invisible_detail(problem, f[problem]) if problem in f else None
                    for f in by_class
                ],
                dtype=object,
            )[which]
            flags.append(
                make_flags(
                    cells,
                    pd.Series(details != None, index=cells.index),  # noqa: E711
                    column=raw.headers.get(name, name),
                    field=name,
                    values=cells[name],
                    problem=problem,
                    detail="dq.invisible",
                    args=pd.Series(details, index=cells.index),
                    action="mapped",
                )
            )
    if not changed:
        return raw, empty_flags()
    return replace(raw, frame=frame.assign(**changed)), concat_flags(flags)


def exclude_empty_responses(
    frame: pd.DataFrame, scheme: Scheme
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exclude rows where nothing but the id is filled in (Questback's unanswered forms)."""
    answer_cols = [c for c in frame.columns if c not in ("_row", scheme.id_field)]
    if not answer_cols:
        return frame, empty_flags()
    # a row stays a candidate while every column so far is blank; few stay after the first
    empty = np.ones(len(frame), dtype=bool)
    for c in answer_cols:
        rows = np.flatnonzero(empty)
        if not len(rows):
            break
        values = parse.arrow_strings(frame[c])
        blank = parse.blank_mask(values if len(rows) == len(frame) else values.take(rows))
        empty[rows[~blank]] = False
    if not empty.any():
        return frame, empty_flags()
    empty = pd.Series(empty, index=frame.index)
    flags = make_flags(
        frame,
        empty,
        column="",
        field="",
        values=frame.get(scheme.id_field),
        problem="empty_response",
        detail="dq.empty_response",
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
    """County and municipalities valid in ``year``; checks the county against the codes.

    With municipality fields, ``municipalities_by_name`` says of each row whether some of its
    municipalities were found by their names (no code could be kept, or a list gave names)."""
    flags: list[pd.DataFrame] = []
    out: dict[str, pd.Series] = {}
    from_names = np.zeros(len(frame), dtype=bool)
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
        # names stand in for the codes where no code could be kept
        need = main_codes.isna().to_numpy() & ~parse.blank_mask(frame[name_fields[0]])
        if need.any():
            sub = frame[["_row", name_fields[0]]].iloc[np.flatnonzero(need)]
            by_name, f = geography.resolve_municipality_names(
                sub, name_fields[0], col(name_fields[0]), year
            )
            main_codes = parse.string_series(
                pc.replace_with_mask(
                    parse.arrow_strings(main_codes), pa.array(need), parse.arrow_strings(by_name)
                ),
                index=frame.index,
            )
            from_names |= need & main_codes.notna().to_numpy()
            flags.append(f)
    county, f = geography.resolve_counties(
        frame, "county", col("county"), year, municipality_codes=main_codes
    )
    flags.append(f)
    out["county_code"] = county["county_code"]
    out["county_name"] = county["county_name"]
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
                county_codes=out["county_code"][has_names],
            )
            by_name = by_name_sub.reindex(frame.index).astype("string")
            from_names |= by_name.notna().to_numpy()
        for fl in (f1, f2):
            if len(fl):
                fl = fl.assign(field=lf)
            flags.append(fl)
        out[lf] = _join_codes(by_code, by_name)
    if code_fields or list_fields:
        out["municipalities_by_name"] = pd.Series(from_names, index=frame.index)
    return pd.DataFrame(out, index=frame.index, copy=False), flags


def check_year(raw: RawExport, flags: pd.DataFrame, n_rows: int, year: int) -> None:
    """Stop when the file looks like an export of another year.

    Two signs: a four-digit year in the file name other than ``year``, or most counties not
    valid in ``year`` (e.g. the 18 counties of 2019 in a file given as 2022).
    """
    years_in_name = {
        int(y) for y in re.findall(r"(?<![0-9])(20[0-9][0-9])(?![0-9])", raw.path.name)
    }
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

    raw, invisible = remove_invisible(raw)
    raw_gate(raw, scheme)
    n_read = raw.n_rows
    flags: list[pd.DataFrame] = [raw.extra_column_flags(), raw.read_flags, invisible]
    frame, excluded = exclude_empty_responses(raw.frame, scheme)
    flags.append(excluded)
    col = raw.headers.get
    geographic = ("county", "municipality_codes", "municipality_list")
    fields = _Distinct(
        frame,
        [n for n, spec in scheme.fields.items() if spec.type not in geographic],
        whole={n for n, spec in scheme.fields.items() if spec.type in ("id", "text")},
    )
    tidy_cols: dict[str, pd.Series] = {
        "_row": frame["_row"],
        scheme.id_field: fields.series(scheme.id_field),
    }

    geo, geo_flags = clean_geography(frame, raw, scheme, year)
    flags.extend(geo_flags)

    # fields of one type are parsed together, on the distinct values of all of them
    of_type = {
        t: [n for n, spec in scheme.fields.items() if spec.type == t]
        for t in ("yesno", "checkbox", "category")
    }
    yesno = {n: (c, r) for n, c, r in fields.batch(of_type["yesno"], parse.yesno_of)}
    checkbox = {n: (c, r) for n, c, r in fields.batch(of_type["checkbox"], parse.checkbox_of)}
    category_key = {n: r for n, _, r in fields.batch(of_type["category"], parse.category_key)}

    for name, spec in scheme.fields.items():
        values = (
            frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
        column = col(name, name)
        if spec.type == "id":
            continue
        if spec.type in ("county", "municipality_codes", "municipality_list"):
            if spec.type == "county":
                tidy_cols["county_code"] = geo["county_code"]
                tidy_cols["county_name"] = geo["county_name"]
            else:
                tidy_cols[name] = geo[name]
            continue
        if spec.type in ("municipality_names", "text"):
            tidy_cols[name] = fields.series(name)
            if spec.type == "text" and spec.required:
                flags.append(_required_blank(frame, name, column, fields.blank(name)))
            continue
        codes, text = fields(name)
        if spec.type == "yesno":
            _, (answer, bad) = yesno[name]
            tidy_cols[name] = pd.Series(answer.take(codes), index=frame.index)
            flags.append(
                _cell_flags(
                    frame,
                    bad[codes],
                    name,
                    column,
                    values,
                    "unknown_yesno",
                    _UNKNOWN_YESNO,
                    "set_missing",
                )
            )
        elif spec.type == "checkbox":
            tidy_cols[name] = pd.Series(checkbox[name][1][codes], index=frame.index)
        elif spec.type == "category":
            vocab = scheme.vocabularies[spec.vocabulary]
            code, bad = parse.category_of(text, vocab.lookup, key=category_key[name])
            tidy_cols[name] = parse.string_series(code.take(codes), index=frame.index)
            flags.append(
                _cell_flags(
                    frame,
                    bad[codes],
                    name,
                    column,
                    values,
                    "unknown_category",
                    _unknown_category(vocab),
                    "set_missing",
                )
            )
        elif spec.type == "amount":
            amount, bad, implausible = parse.amount_of(text, spec.plausible)
            tidy_cols[name] = pd.Series(amount.take(codes), index=frame.index)
            flags.append(
                _cell_flags(
                    frame,
                    bad[codes],
                    name,
                    column,
                    values,
                    "unreadable_amount",
                    _UNREADABLE_AMOUNT,
                    "set_missing",
                )
            )
            flags.append(
                _cell_flags(
                    frame,
                    implausible[codes],
                    name,
                    column,
                    values,
                    "implausible_amount",
                    _implausible_amount(spec.plausible or DEFAULT_AMOUNT_RANGE, scheme),
                    "set_missing",
                )
            )
        elif spec.type == "round":
            # a blank round is unknown (missing), unless the scheme's YAML says which round a
            # blank stands for (``blank_is``); then each such cell is flagged as mapped
            blank = pc.is_null(text).to_numpy(zero_copy_only=False)
            rnd = text if spec.blank_is is None else pc.fill_null(text, str(spec.blank_is))
            ok = pc.fill_null(pc.is_in(rnd, value_set=pa.array(["1", "2"])), False)
            ok = ok.to_numpy(zero_copy_only=False)
            number = np.where(rnd.to_numpy(zero_copy_only=False) == "2", 2, 1)
            unknown = ~ok if spec.blank_is is not None else ~ok & ~blank
            flags.append(
                _cell_flags(
                    frame,
                    unknown[codes],
                    name,
                    column,
                    values,
                    "unknown_round",
                    _UNKNOWN_ROUND,
                    "set_missing",
                )
            )
            if spec.blank_is is not None:
                flags.append(
                    _cell_flags(
                        frame,
                        blank[codes],
                        name,
                        column,
                        values,
                        "blank_round",
                        _blank_round(spec.blank_is),
                        "mapped",
                    )
                )
            tidy_cols[name] = pd.Series(
                pd.arrays.IntegerArray(number[codes], ~ok[codes]), index=frame.index
            )
        elif spec.type == "reasons":
            vocab = scheme.vocabularies[spec.vocabulary]
            reasons = parse.reasons_of(text, vocab)
            for code in vocab.codes:
                tidy_cols[f"{spec.target}.{code}"] = pd.Series(
                    reasons[code].array.take(codes), index=frame.index
                )
        if spec.required and spec.type in ("yesno", "category", "amount"):
            flags.append(_required_blank(frame, name, column, fields.blank(name)))

    tidy = pd.DataFrame(tidy_cols, copy=False)
    tidy, derived_flags = derive_fields(tidy, frame, raw, scheme)
    if "municipalities_reached" in tidy and "municipalities_by_name" in geo:
        at = tidy.columns.get_loc("municipalities_reached") + 1
        tidy.insert(at, "municipalities_by_name", geo["municipalities_by_name"])
    flags.extend(derived_flags)
    all_flags = show_invisible(concat_flags(flags))
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
    """Columns computed from others, as the scheme's YAML declares them: the municipalities
    reached; each ``derived`` yes/no column; for an ``award`` with a decision field, refused
    rows' granted amounts and the granted-above-applied check."""
    flags: list[pd.DataFrame] = []
    code_cols = scheme.fields_of_type("municipality_codes") + scheme.fields_of_type(
        "municipality_list"
    )
    if code_cols:
        tidy["municipalities_reached"] = _join_codes(*(tidy[c] for c in code_cols))
    doc = scheme.doc
    for name, rule in (doc.derived if doc is not None else {}).items():
        source = tidy[rule.source]
        if rule.equals is not None:
            tidy[name] = (source == rule.equals).astype("boolean").mask(source.isna(), pd.NA)
        else:
            tidy[name] = (source.notna() & (source.astype("string") != "")).astype("boolean")
    award = doc.award if doc is not None else None
    if award is None or award.decision is None:
        return tidy, flags
    refused = (tidy[award.decision] == award.refused).fillna(False)
    granted = award.granted
    column = raw.headers.get(granted, granted)
    tidy.loc[refused & tidy[granted].isna(), granted] = 0
    above = (tidy[granted] > tidy[award.applied]).fillna(False)
    flags.append(
        make_flags(
            tidy,
            above,
            column=column,
            field=granted,
            values=tidy[granted],
            problem="granted_above_applied",
            detail="dq.granted_above_applied",
            action="noted",
        )
    )
    refused_paid = (refused & (tidy[granted] > 0)).fillna(False)
    flags.append(
        make_flags(
            tidy,
            refused_paid,
            column=column,
            field=granted,
            values=tidy[granted],
            problem="refused_with_amount",
            detail="dq.refused_with_amount",
            action="set_missing",
        )
    )
    tidy.loc[refused_paid, granted] = pd.NA
    return tidy, flags
