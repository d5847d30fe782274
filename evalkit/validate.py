"""Validation with pandera, in two gates.

* The **raw gate** (:func:`raw_gate`) runs on the frame as read, permissively
  (``lazy=True``): it collects every failure of the checks that make a file unusable as a
  whole (ids missing or duplicated) and raises one :class:`~evalkit.errors.StructuralError`
  that lists them. Cell-level problems (an unreadable amount, an unknown category…) are not
  errors: cleaning sets them to missing and records them in the data-quality report.
* The **tidy gate** (:func:`validate_tidy`) is strict: the tidy frame must have exactly the
  types and value sets the metric functions rely on. A failure there is a bug in evalkit,
  not in the data, and stops the run.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine

from evalkit import geography
from evalkit.config import Scheme
from evalkit.errors import StructuralError
from evalkit.read import RawExport


class _Text(pandas_engine.STRING):
    """pandera's ``"string"`` dtype, answering its dtype check with one ``True`` when every
    element passes.

    For a column that already has the dtype, pandera's ``STRING`` answers with one ``True``
    per element, and pandera then builds an (empty) table of failure cases and a message
    for the column, which costs about a millisecond per text column. Any other answer, and
    so every failure, is pandera's own.
    """

    def check(self, pandera_dtype, data_container=None):
        result = super().check(pandera_dtype, data_container)
        if isinstance(result, np.ndarray) and result.all():
            return True
        return result


#: The ``"string"`` dtype of the tidy schema.
TEXT = _Text()


@functools.cache
def raw_schema(scheme: Scheme) -> pa.DataFrameSchema:
    """Permissive schema of a raw frame: every cell is text; ids present and unique."""
    columns = {
        "_row": pa.Column("Int64", nullable=False, unique=True),
        scheme.id_field: pa.Column(
            TEXT,
            checks=pa.Check(lambda s: s.str.strip() != "", name="id_not_blank"),
            nullable=False,
            unique=True,
        ),
    }
    return pa.DataFrameSchema(columns, strict=False, coerce=False, name=f"{scheme.name}_raw")


def raw_gate(raw: RawExport, scheme: Scheme) -> None:
    """Run the raw gate; raise a StructuralError naming file, rows and column on failure."""
    schema = raw_schema(scheme)
    # the schema is not strict: only its columns are checked, so only they are handed over
    checked = [c for c in raw.frame.columns if c in schema.columns]
    try:
        schema.validate(raw.frame[checked], lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        column = raw.headers.get(scheme.id_field, scheme.id_field)
        rows = raw.frame["_row"]
        idx = pd.to_numeric(cases["index"], errors="coerce").dropna().astype(int)
        row_numbers = sorted({int(rows.iloc[i]) for i in idx})
        kinds = set(cases["check"].astype(str))
        if "field_uniqueness" in kinds:
            dup = cases[cases["check"] == "field_uniqueness"]
            value = dup["failure_case"].iloc[0]
            same = sorted(
                int(rows.iloc[int(i)]) for i in dup[dup["failure_case"] == value]["index"]
            )
            raise StructuralError(
                f"The id {value!r} appears in rows {', '.join(map(str, same))}; ids must be unique "
                f"({len(dup)} rows share an id)",
                file=raw.path,
                row=same[-1],
                column=column,
                fix="remove the duplicate rows (a form exported twice) or correct the id",
            ) from None
        raise StructuralError(
            f"The id is empty in {len(row_numbers)} row(s): {', '.join(map(str, row_numbers[:10]))}",
            file=raw.path,
            row=row_numbers[0] if row_numbers else None,
            column=column,
            fix="fill in the id from the original export, or delete rows that are not reports",
        ) from None


@functools.cache
def tidy_schema(scheme: Scheme, year: int) -> pa.DataFrameSchema:
    """Strict schema of the tidy frame of ``scheme`` in ``year``."""
    counties = set(geography.counties_in(year)["county_code"])
    columns: dict[str, pa.Column] = {
        "_row": pa.Column("Int64", nullable=False, unique=True),
        scheme.id_field: pa.Column(TEXT, nullable=False, unique=True),
        "county_code": pa.Column(TEXT, pa.Check.isin(sorted(counties)), nullable=True),
        "county_name": pa.Column(TEXT, nullable=True),
    }
    for name, spec in scheme.fields.items():
        if spec.type in ("id", "county"):
            continue
        if spec.type in ("municipality_codes", "municipality_list"):
            columns[name] = pa.Column(
                TEXT, pa.Check.str_matches(r"^\d{4}(;\d{4})*$"), nullable=True
            )
        elif spec.type in ("text", "municipality_names"):
            columns[name] = pa.Column(TEXT, nullable=True)
        elif spec.type == "yesno":
            columns[name] = pa.Column("boolean", nullable=True)
        elif spec.type == "checkbox":
            columns[name] = pa.Column(bool, nullable=False)
        elif spec.type == "category":
            codes = scheme.vocabularies[spec.vocabulary].codes
            columns[name] = pa.Column(TEXT, pa.Check.isin(codes), nullable=True)
        elif spec.type == "amount":
            columns[name] = pa.Column("Int64", pa.Check.ge(0), nullable=True)
        elif spec.type == "round":
            columns[name] = pa.Column("Int64", pa.Check.isin([1, 2]), nullable=True)
        elif spec.type == "reasons":
            for code in scheme.vocabularies[spec.vocabulary].codes:
                columns[f"{spec.target}.{code}"] = pa.Column("boolean", nullable=True)
    return pa.DataFrameSchema(columns, strict=False, name=f"{scheme.name}_tidy_{year}")


def validate_tidy(tidy: pd.DataFrame, scheme: Scheme, year: int) -> pd.DataFrame:
    """Validate the tidy frame strictly (all failures reported at once)."""
    return tidy_schema(scheme, year).validate(tidy, lazy=True)
