"""The data-quality record: every flagged cell and every excluded row.

Every cleaning step returns ``(frame, flags)``; ``flags`` has the columns of
:data:`FLAG_COLUMNS`. ``row`` is the row number as the user sees it in the source file (the
header is row 1, the first data row is row 2), taken from the frame's ``_row`` column.

The explanation of a flag in every language
    A year is cleaned once for all the documents' languages (and kept in the cleaned-year
    cache), so a flag holds its explanation as a catalog key and its fields, not as a
    finished sentence: ``detail_key`` (``dq.unknown_county``) and ``detail_args``, a JSON
    object of the message's fields (``{"text": "Vestfold og Telemark", "year": 2019}``).
    ``detail`` is the same sentence in bokmål, written when the year is cleaned, so that
    ``data_quality.csv`` reads on its own. A document shows :func:`detail_text`: the message
    in its language. A field's value is a string or a number as it is, or one of:

    - ``{"key": k, "args": {...}}``: the message ``k`` (its fields rendered the same way);
    - ``{"nb": …, "nn": …, "en": …}``: a text of the scheme in each language (a vocabulary's
      labels), the current language's taken (bokmål where it has none);
    - ``{"int": n}``: a whole number in the current language's format (``20 000``,
      ``20,000``);
    - a list: its items rendered and joined with ``"; "``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit import parse
from evalkit.i18n import LANGUAGES, Keyed, current_language, language, t

#: Columns of a flags frame and of ``data_quality.csv``: ``detail`` is the explanation in
#: bokmål, ``detail_key`` and ``detail_args`` the same as a catalog key and its fields (see the
#: module), from which a document writes it in its own language.
FLAG_COLUMNS = [
    "row",
    "column",
    "field",
    "value",
    "problem",
    "detail",
    "action",
    "detail_key",
    "detail_args",
]

#: ``action`` values: the cell was set to missing, the value was corrected/mapped and kept, the
#: row was excluded from the analysis, or the cell is only noted.
ACTIONS = ("set_missing", "mapped", "excluded", "noted")

#: Each ``problem`` code the cleaning steps and readers flag. Its words in the documents'
#: data-quality appendix are the catalog's ``flags.problem.<code>`` (``data_quality.csv``
#: keeps the codes).
PROBLEM_CODES = (
    # the file
    "extra_column",
    "sheet_not_first",
    "header_not_first_row",
    "formula_without_value",
    # the rows and cells
    "empty_response",
    "missing_required",
    "control_character",
    "bidi_control",
    "zero_width_character",
    "unknown_yesno",
    "unknown_category",
    "unreadable_amount",
    "implausible_amount",
    "unknown_round",
    "blank_round",
    "granted_above_applied",
    "refused_with_amount",
    # counties and municipalities
    "missing_county",
    "unknown_county",
    "county_not_valid_in_year",
    "county_municipality_mismatch",
    "invalid_municipality_code",
    "unknown_municipality_code",
    "municipality_not_valid_in_year",
    "unknown_municipality_name",
    "ambiguous_municipality_name",
)

#: Each ``action`` and ``problem`` code in the words of the current language (the catalog's
#: ``flags.action.<code>`` and ``flags.problem.<code>``), read when looked up.
ACTION_WORDS = Keyed("flags.action.{}", ACTIONS)
PROBLEM_WORDS = Keyed("flags.problem.{}", PROBLEM_CODES)


def problem_text(code: object) -> str:
    """A ``problem`` code in the current language («Ukjent fylke», «Unknown county»); a code
    without words as it is."""
    return PROBLEM_WORDS.get(str(code), "" if code is None else str(code))


def action_text(code: object) -> str:
    """An ``action`` code in the current language («Holdt utenfor», «Excluded»)."""
    return ACTION_WORDS.get(str(code), "" if code is None else str(code))


def _empty_flags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="Int64"),
            **{c: pd.Series(dtype="string") for c in FLAG_COLUMNS[1:]},
        }
    )


_EMPTY = _empty_flags()


def empty_flags() -> pd.DataFrame:
    """Return an empty flags frame with the right columns and dtypes."""
    return _EMPTY.copy()


def _strings(value: object, n: int) -> pd.api.extensions.ExtensionArray:
    """A scalar or array as ``n`` strings, converted as ``astype("string")`` converts."""
    if isinstance(value, pd.api.extensions.ExtensionArray) and isinstance(
        value.dtype, pd.StringDtype
    ):
        return value
    values = np.full(n, value, dtype=object) if np.ndim(value) == 0 else value
    return pd.Series(values, dtype=object, copy=False).astype("string").array


def make_flags(
    frame: pd.DataFrame,
    mask: pd.Series,
    *,
    column: str,
    field: str,
    values: pd.Series | None,
    problem: str,
    detail: str | pd.Series,
    action: str,
    args: Mapping[str, Any] | pd.Series | None = None,
) -> pd.DataFrame:
    """Build flag rows for the rows of ``frame`` where ``mask`` is true (vectorised).

    Parameters
    ----------
    frame : DataFrame
        Frame with a ``_row`` column (source row numbers).
    mask : Series of bool
        Which rows to flag; aligned with ``frame``.
    column, field : str
        The raw header and the field name.
    values : Series, optional
        The raw values shown in the report (aligned with ``frame``).
    problem : str
        Short machine-readable code, e.g. ``"unknown_category"``.
    detail : str or Series
        The catalog key of the explanation in the data-quality appendix (one of
        :data:`DETAIL_KEYS`), or one per row (aligned with ``frame``).
    action : str
        One of :data:`ACTIONS`.
    args : mapping or Series of mappings, optional
        The fields of the explanation (see the module for the values): one mapping for every
        row, or one per row (aligned with ``frame``; rows that share a mapping object are
        written once).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    keys = set(detail.dropna().unique()) if isinstance(detail, pd.Series) else {detail}
    if unknown := keys - set(DETAIL_KEYS):
        raise ValueError(f"unknown explanation(s) {sorted(unknown)}; add them to DETAIL_KEYS")
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return empty_flags()
    if not (
        mask.index.equals(frame.index)
        and (values is None or values.index.equals(mask.index))
        and (not isinstance(args, pd.Series) or args.index.equals(mask.index))
        and (not isinstance(detail, pd.Series) or detail.index.equals(mask.index))
    ):  # align by label, as .loc does
        frame = frame.loc[mask]
        values = None if values is None else values.loc[mask]
        args = args.loc[mask] if isinstance(args, pd.Series) else args
        detail = detail.loc[mask] if isinstance(detail, pd.Series) else detail
        mask = pd.Series(True, index=frame.index)
    pos = np.flatnonzero(mask.to_numpy())
    n = len(pos)
    if isinstance(args, pd.Series) or isinstance(detail, pd.Series):
        key = (
            detail.iloc[pos].to_numpy(dtype=object)
            if isinstance(detail, pd.Series)
            else np.full(n, detail, dtype=object)
        )
        arg = (
            args.iloc[pos].to_numpy(dtype=object)
            if isinstance(args, pd.Series)
            else np.full(n, args or {}, dtype=object)
        )
        bokmal, encoded = _written(key, arg)
        detail = _strings(key, n)
    else:
        bokmal, encoded = (_strings(x, n) for x in _written_one(detail, args or {}))
        detail = _strings(detail, n)
    out = pd.DataFrame(
        {
            "row": frame["_row"].iloc[pos].astype("Int64").to_numpy(),
            "column": _strings(column, n),
            "field": _strings(field, n),
            "value": (
                values.iloc[pos].astype("string").array
                if values is not None
                else _strings(pd.NA, n)
            ),
            "problem": _strings(problem, n),
            "detail": bokmal,
            "action": _strings(action, n),
            "detail_key": detail,
            "detail_args": encoded,
        },
        copy=False,
    )
    return out


#: The explanations of the flags (catalog keys; their fields in the comment). Each is in the
#: catalogs of every language; ``make_flags`` refuses another key.
DETAIL_KEYS = (
    # reading the file
    "dq.extra_column",
    "dq.sheet_not_first",  # sheet, number
    "dq.sheet_not_first.others",  # sheet, number, others
    "dq.header_not_first_row.one",  # row, sheet
    "dq.header_not_first_row.many",  # row, sheet, last
    "dq.formula_without_value",
    # rows and cells
    "dq.empty_response",
    "dq.missing_required",
    "dq.invisible",  # what, done
    "dq.invisible.control_character",
    "dq.invisible.bidi_control",
    "dq.invisible.zero_width_character",
    "dq.invisible.removed",  # chars
    "dq.invisible.spaced",  # chars
    "dq.unknown_yesno",
    "dq.unknown_category",  # labels
    "dq.unreadable_amount",
    "dq.implausible_amount",  # low, high, file
    "dq.unknown_round",
    "dq.blank_round",  # round, file
    "dq.granted_above_applied",
    "dq.refused_with_amount",
    # counties and municipalities
    "dq.missing_county",
    "dq.unknown_county",  # text
    "dq.county_not_valid_in_year.whole",  # text, year, name, code
    "dq.county_not_valid_in_year.chosen",  # text, year, name, code
    "dq.county_not_valid_in_year.split",  # text, year, candidates
    "dq.county_municipality_mismatch",  # name, municipalities (a list of dq.geo.lies_in)
    "dq.geo.lies_in",  # code, name, county
    "dq.invalid_municipality_code",  # token
    "dq.unknown_municipality_code",  # code, year
    "dq.municipality_code_mapped",  # old, year, new
    "dq.municipality_code_several",  # old, year, listed
    "dq.municipality_code_none",  # old, year
    "dq.unknown_municipality_name",  # name, year
    "dq.ambiguous_municipality_name",  # name, year, candidates
    "dq.municipality_name_mapped",  # name, year, code, new_name
    "dq.municipality_name_several",  # name, year, candidates
)


def quoted(text: str, lang: str | None = None) -> str:
    """``text`` in the quotation marks of ``lang`` (default: the current language): «…» in
    bokmål and nynorsk, ‘…’ in English."""
    if lang is None:
        return t("dq.quoted", text=text)
    with language(lang):
        return t("dq.quoted", text=text)


def explained(key: str, args: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The ``detail``, ``detail_key`` and ``detail_args`` of a flag explained by ``key`` with
    the fields ``args`` (for flags built one by one)."""
    text, encoded = _written_one(key, args or {})
    return {"detail": text, "detail_key": key, "detail_args": encoded}


def _written_one(key: str, args: Mapping[str, Any]) -> tuple[str, str]:
    """The explanation ``key`` with ``args`` in bokmål, and ``args`` as JSON."""
    with language("nb"):
        text = render_detail(key, args)
    return text, json.dumps(dict(args), ensure_ascii=False, sort_keys=True)


def _written(keys: np.ndarray, args: np.ndarray) -> tuple[Any, Any]:
    """:func:`_written_one` for arrays of keys and mappings, once per distinct pair of a key
    and a mapping object."""
    ids = np.fromiter(map(id, args), dtype=np.int64, count=len(args))
    id_codes, id_uniques = pd.factorize(ids)
    key_codes, _ = pd.factorize(keys)
    codes, _ = pd.factorize(key_codes.astype(np.int64) * max(len(id_uniques), 1) + id_codes)
    _, firsts = np.unique(codes, return_index=True)
    done = [_written_one(keys[f], args[f]) for f in firsts]
    text = np.array([d[0] for d in done], dtype=object)[codes]
    encoded = np.array([d[1] for d in done], dtype=object)[codes]
    n = len(args)
    return _strings(text, n), _strings(encoded, n)


def _field(value: Any) -> Any:
    """One field of an explanation in the current language (see the module)."""
    if isinstance(value, list | tuple):
        return "; ".join(str(_field(v)) for v in value)
    if isinstance(value, Mapping):
        if "key" in value:
            return render_detail(value["key"], value.get("args") or {})
        if "int" in value:
            from evalkit.formats import fmt_int

            return fmt_int(value["int"])
        if set(value) <= set(LANGUAGES):
            return value.get(current_language()) or value.get("nb", "")
    return value


def render_detail(key: str, args: Mapping[str, Any]) -> str:
    """The explanation ``key`` with its fields ``args`` in the current language."""
    return t(key, **{name: _field(v) for name, v in args.items()})


def detail_text(flags: pd.DataFrame) -> pd.Series:
    """The explanation of each flag in the current language (the appendix's «Forklaring»):
    ``detail_key`` with ``detail_args``, written once per distinct pair; a flag without a key
    (a frame from before the keys) shows its ``detail``. Empty where there is none."""
    fallback = flags["detail"].astype("string").fillna("")
    if "detail_key" not in flags or not len(flags):
        return fallback
    pairs = pd.DataFrame({"k": flags["detail_key"], "a": flags["detail_args"]})
    has = pairs["k"].notna() & (pairs["k"] != "")
    out = fallback.copy()
    if has.any():
        sub = pairs[has].fillna({"a": "{}"})
        codes, uniques = pd.MultiIndex.from_frame(sub).factorize()
        texts = [render_detail(k, json.loads(a)) for k, a in uniques]
        out[has] = pd.array(np.array(texts, dtype=object)[codes], dtype="string")
    return out


def concat_flags(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate flag frames, sorted by row then column (stable)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_flags()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["row", "column"], kind="stable", ignore_index=True)


def show_invisible(flags: pd.DataFrame) -> pd.DataFrame:
    """Flags with every control, bidirectional or zero-width character in ``column`` and
    ``value`` written as a visible ``[U+0007]`` (:func:`evalkit.parse.show_invisible`).

    The characters are taken out of the cells before cleaning, but a flag shows the value as
    it was; written out as they are, they would break a workbook (Excel cannot store most
    control characters) or turn a line around on the page.
    """
    if not len(flags):
        return flags
    return flags.assign(
        column=parse.show_invisible(flags["column"]), value=parse.show_invisible(flags["value"])
    )
