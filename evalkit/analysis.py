"""A year's rows for a researcher's own analysis, and the data dictionary of its columns.

The tidy frame (:attr:`evalkit.evaluation.Evaluation.tidy`) holds pandas' nullable types
(``boolean``, ``Int64``, ``string``), which the metrics rely on but statsmodels formulas refuse
(«Cannot interpret 'BooleanDtype' as a data type»). :func:`analysis_frame` makes a copy in
the plain NumPy types pandas, seaborn and statsmodels formulas take as they are:

- yes/no, checkbox, reason and derived columns: ``float64``, 1.0 for yes (checked, given),
  0.0 for no, NaN for missing, so that a column's mean is its share and it serves as the
  outcome of ``smf.logit`` or a predictor;
- whole numbers (amounts, the round, the row): ``int64``, or ``float64`` with NaN when some
  are missing;
- categories and text: ``object`` holding Python strings, ``None`` for missing. Categories
  are not a pandas ``Categorical``: a formula makes a column of zeros for a category no row
  has, and the model cannot be fitted.

:func:`data_dictionary` describes every column from the scheme's YAML: its label, the field
and field type it comes from, its type in the analysis frame, the values it may hold
(the vocabulary's codes and labels) and how many rows miss it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.config import Scheme

#: The columns of :func:`data_dictionary`, in order.
DICTIONARY_COLUMNS = ("column", "label", "field", "type", "dtype", "values", "missing")


@dataclass(frozen=True)
class Column:
    """What the scheme's YAML says of one column of the tidy frame."""

    label: str
    field: str
    type: str
    values: str
    #: The vocabulary's code -> label, for a category column.
    codes: dict[str, str] | None = None


_YES_NO = "1 = yes, 0 = no, NaN = not answered"
_CHECKBOX = "1 = checked, 0 = not checked (blank)"


def _range(scheme: Scheme, name: str) -> str:
    spec = scheme.fields[name]
    if spec.plausible is None:
        return "whole kroner"
    low, high = spec.plausible.min, spec.plausible.max
    return f"whole kroner, {low:,}–{high:,} (outside the range: missing, flagged)"


def columns(scheme: Scheme) -> dict[str, Column]:
    """Every column the cleaning of ``scheme`` makes, in the tidy frame's order, with its
    label, field, field type and values from the YAML."""
    out: dict[str, Column] = {
        "_row": Column("Rad i filen", "", "row", "the row of the export, as Excel numbers it"),
    }
    id_spec = scheme.fields[scheme.id_field]
    out[scheme.id_field] = Column(id_spec.label_nb, scheme.id_field, "id", "unique per row")
    for name, spec in scheme.fields.items():
        kind = spec.type
        if kind == "id":
            continue
        if kind == "county":
            out["county_code"] = Column(
                "Fylkesnummer", name, kind, "SSB's county number in the year (classification 104)"
            )
            out["county_name"] = Column(spec.label_nb, name, kind, "the county's name in the year")
        elif kind in ("municipality_codes", "municipality_list"):
            out[name] = Column(
                spec.label_nb, name, kind, "municipality numbers (4 digits), several joined by ;"
            )
        elif kind in ("text", "municipality_names"):
            out[name] = Column(spec.label_nb, name, kind, "text as written")
        elif kind == "yesno":
            out[name] = Column(spec.label_nb, name, kind, _YES_NO)
        elif kind == "checkbox":
            out[name] = Column(spec.label_nb, name, kind, _CHECKBOX)
        elif kind == "category":
            vocab = scheme.vocabularies[spec.vocabulary]
            codes = {t.code: t.label_nb for t in vocab.terms}
            text = "; ".join(f"{c} = {label}" for c, label in codes.items())
            out[name] = Column(spec.label_nb, name, kind, text, codes)
        elif kind == "amount":
            out[name] = Column(spec.label_nb, name, kind, _range(scheme, name))
        elif kind == "round":
            out[name] = Column(spec.label_nb, name, kind, "1 or 2")
        elif kind == "reasons":
            for t in scheme.vocabularies[spec.vocabulary].terms:
                out[f"{spec.target}.{t.code}"] = Column(
                    t.label_nb,
                    name,
                    kind,
                    f"1 = given as a reason in {name}, 0 = not given, NaN = no reason given",
                )
    if scheme.fields_of_type("municipality_codes", "municipality_list"):
        with i18n.language(i18n.SOURCE_LANGUAGE):  # the dictionary's labels are the YAML's bokmål
            reached = i18n.t("defaults.municipalities_reached")
            by_name = i18n.t("analysis.by_name")
        out["municipalities_reached"] = Column(
            reached,
            "",
            "derived",
            "every municipality number of the row, sorted, joined by ;",
        )
        out["municipalities_by_name"] = Column(
            by_name,
            "",
            "derived",
            "1 = some of the row's municipalities were found by their names (no code could be "
            "kept, or a list gave names), 0 = every one by its code",
        )
    for name, rule in (scheme.doc.derived if scheme.doc is not None else {}).items():
        source = scheme.fields[rule.source]
        if rule.equals is not None:
            code_label = scheme.vocabularies[source.vocabulary].label(rule.equals)
            label = f"{source.label_nb}: {code_label}"
            values = f"1 = {rule.source} is {rule.equals}, 0 = another answer, NaN = missing"
        else:
            with i18n.language(i18n.SOURCE_LANGUAGE):
                label = i18n.t("analysis.filled_in", label=source.label_nb)
            values = f"1 = {rule.source} is filled in, 0 = empty"
        out[name] = Column(label, rule.source, "derived", values)
    return out


def _plain(values: pd.Series, codes: dict[str, str] | None) -> pd.Series:
    """One column in NumPy types (see the module's docstring); ``codes`` maps a category's
    codes to the labels to show instead."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        data = values.to_numpy(dtype="float64", na_value=np.nan)
    elif pd.api.types.is_integer_dtype(dtype):
        missing = bool(values.isna().any())
        data = values.to_numpy(
            dtype="float64" if missing else "int64", **({"na_value": np.nan} if missing else {})
        )
    elif pd.api.types.is_float_dtype(dtype):
        data = values.to_numpy(dtype="float64", na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return values.copy()
    else:
        data = values.to_numpy(dtype=object, na_value=None)
        if codes is not None:
            data = np.array([None if v is None else codes.get(v, v) for v in data], dtype=object)
        return pd.Series(data, index=values.index, dtype=object, name=values.name)
    return pd.Series(data, index=values.index, name=values.name)


def analysis_frame(tidy: pd.DataFrame, scheme: Scheme, *, labels: bool = False) -> pd.DataFrame:
    """A copy of ``tidy`` in the types pandas, seaborn and statsmodels formulas take as they
    are (the module's docstring says which); the columns and rows of ``tidy``, in its order.

    Parameters
    ----------
    tidy : DataFrame
        The tidy frame of a year (:attr:`~evalkit.evaluation.Evaluation.tidy`), or several
        years' (a further column, such as ``year``, is converted by its type).
    scheme : Scheme
        The scheme the frame was cleaned with.
    labels : bool
        Category columns hold the vocabulary's labels («Diagnosespesifikt tilbud») instead of
        its codes (``diagnosespesifikk``): for figures and tables to read.
    """
    info = columns(scheme)
    return pd.DataFrame(
        {
            name: _plain(tidy[name], info[name].codes if labels and str(name) in info else None)
            for name in tidy.columns
        },
        index=tidy.index,
    )


class DataDictionary(pd.DataFrame):
    """A data dictionary: a DataFrame shown whole in JupyterLab (no text cut short)."""

    @property
    def _constructor(self) -> type[DataDictionary]:
        return DataDictionary

    def _repr_html_(self) -> str | None:
        with pd.option_context("display.max_colwidth", None, "display.max_rows", None):
            return super()._repr_html_()


def data_dictionary(tidy: pd.DataFrame, scheme: Scheme) -> DataDictionary:
    """Every column of ``tidy``, described from the scheme's YAML.

    Returns
    -------
    DataDictionary
        One row per column, in the frame's order: ``column``; ``label`` (the YAML's
        ``label_nb``, a vocabulary label for a reason column); ``field`` and ``type`` (the
        YAML field the column comes from and its type; ``derived`` for columns computed by
        the cleaning); ``dtype`` (in :func:`analysis_frame`); ``values`` (what the column
        holds: a category's codes with their labels); ``missing`` (rows without a value).
    """
    info = columns(scheme)
    plain = analysis_frame(tidy, scheme)
    unknown = Column("", "", "", "")
    rows = []
    for name in tidy.columns:
        col = info.get(str(name), unknown)
        rows.append(
            {
                "column": name,
                "label": col.label,
                "field": col.field,
                "type": col.type,
                "dtype": str(plain[name].dtype),
                "values": col.values,
                "missing": int(tidy[name].isna().sum()),
            }
        )
    return DataDictionary(pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)))
