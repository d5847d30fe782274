"""The data behind a document, for a researcher's own analysis: ``ev.data`` in types pandas,
seaborn and statsmodels formulas take as they are, and ``ev.dictionary()`` from the YAML.

The export is written here, nine rows; every expected coefficient, count and share below is
worked out by hand from them."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import FRISKLIV, frisklivs_row, write_export

from evalkit.analysis import analysis_frame
from evalkit.evaluation import evaluate

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
TROMSO = {
    "county": "Troms og Finnmark",
    "municipality_codes": "5401",
    "municipality_names": "Tromsø",
}
OSLO = {"county": "Oslo", "municipality_codes": "0301", "municipality_names": "Oslo"}
BERGEN = {"county": "Vestland", "municipality_codes": "4601", "municipality_names": "Bergen"}
UAVH, SPES = "Diagnoseuavhengig tilbud", "Diagnosespesifikt tilbud"

# id, place, grant, intermunicipal, collaboration, offer type
ROWS = [
    ("1", TROMSO, "100 000", "Ja", "Ja", UAVH),
    ("2", TROMSO, "200 000", "Ja", "Ja", SPES),
    ("3", OSLO, "300 000", "Ja", "Ja", UAVH),
    ("4", OSLO, "400 000", "Ja", "Nei", UAVH),
    ("5", OSLO, "100 000", "Nei", "Ja", UAVH),
    ("6", BERGEN, "50 000", "Nei", "Ja", UAVH),
    ("7", BERGEN, "150 000", "Nei", "Nei", SPES),
    ("8", BERGEN, "100 000", "Nei", "Nei", ""),  # offer type not answered
    ("9", BERGEN, "999 999", "", "Ja", UAVH),  # intermunicipal not answered
]


@pytest.fixture(scope="module")
def ev(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    rows = [
        frisklivs_row(
            respondent_id=rid,
            grant_nok=grant,
            intermunicipal=inter,
            collaboration=collab,
            offer_type=offer,
            project_name=f"Prosjekt {rid}",
            **{"actor.spesialist": "x" if rid in ("1", "5") else ""},
            **place,
        )
        for rid, place, grant, inter, collab, offer in ROWS
    ]
    write_export(folder / "frisklivs_lms" / "2023.csv", rows)
    return evaluate("frisklivs_lms", 2023, data_dir=folder, compare_with=[])


def test_the_data_are_plain_numpy_and_python_types(ev):
    data = ev.data
    assert len(data) == 9 and list(data.columns) == list(ev.tidy.columns)
    assert data["intermunicipal"].dtype == np.float64
    assert data["intermunicipal"].tolist()[:8] == [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert math.isnan(data["intermunicipal"].iloc[8])
    assert data["actor.frivillige"].dtype == np.float64  # a checkbox: «x» in every row
    assert set(data["actor.frivillige"]) == {1.0}
    assert data["grant_nok"].dtype == np.int64 and data["grant_nok"].sum() == 1_400_000 + 999_999
    assert data["offer_type"].dtype == object
    assert data["offer_type"].iloc[1] == "diagnosespesifikk"
    assert data["offer_type"].iloc[7] is None
    assert data["target_group_other"].tolist() == [None] * 9  # blank in every row
    # the metrics' frame is left as it was
    assert str(ev.tidy["intermunicipal"].dtype) == "boolean"
    assert str(ev.tidy["grant_nok"].dtype) == "Int64"
    data.loc[0, "grant_nok"] = 0
    assert ev.tidy["grant_nok"].iloc[0] == 100_000 and ev.data["grant_nok"].iloc[0] == 100_000


def test_labels_put_the_vocabulary_labels_in_category_columns(ev):
    labelled = ev.analysis_frame(labels=True)
    assert labelled["offer_type"].tolist()[:3] == [UAVH, SPES, UAVH]
    assert labelled["offer_type"].iloc[7] is None
    assert labelled["intermunicipal"].equals(ev.data["intermunicipal"])


def test_a_whole_number_column_with_a_gap_is_float_with_nan():
    tidy = pd.DataFrame(
        {"grant_nok": pd.array([100, None], dtype="Int64"), "_row": pd.array([2, 3], "Int64")}
    )
    plain = analysis_frame(tidy, FRISKLIV)
    assert plain["grant_nok"].dtype == np.float64 and plain["grant_nok"].isna().tolist() == [
        False,
        True,
    ]
    assert plain["_row"].dtype == np.int64


def test_a_formula_logit_runs_on_the_data(ev):
    smf = pytest.importorskip("statsmodels.formula.api")
    fit = smf.logit("collaboration ~ intermunicipal", data=ev.data).fit(disp=0)
    # row 9 has no intermunicipal answer: left out. Intermunicipal: 3 of 4 collaborate
    # (odds 3); not: 2 of 4 (odds 1). The coefficient is the log odds ratio, ln 3.
    assert fit.nobs == 8
    assert fit.params["intermunicipal"] == pytest.approx(math.log(3), abs=1e-6)
    assert fit.params["Intercept"] == pytest.approx(0.0, abs=1e-6)


def test_a_formula_ols_runs_on_the_data(ev):
    smf = pytest.importorskip("statsmodels.formula.api")
    fit = smf.ols("grant_nok ~ intermunicipal", data=ev.data).fit()
    # rows 1-4: mean 250 000; rows 5-8: mean 100 000; row 9 left out
    assert fit.nobs == 8
    assert fit.params["Intercept"] == pytest.approx(100_000)
    assert fit.params["intermunicipal"] == pytest.approx(150_000)
    # a category as text: each observed code a level, the missing one (row 8) left out
    by_offer = smf.ols("grant_nok ~ offer_type", data=ev.data).fit()
    assert by_offer.nobs == 8
    assert by_offer.params["Intercept"] == pytest.approx((200_000 + 150_000) / 2)
    uavh = (100_000 + 300_000 + 400_000 + 100_000 + 50_000 + 999_999) / 6
    assert by_offer.params["offer_type[T.diagnoseuavhengig]"] == pytest.approx(uavh - 175_000)
    # a checkbox column, named with a dot, quoted as formulas quote names: rows 1 and 5
    # checked (100 000 each), the seven others unchecked; no row left out (blank is «no»)
    by_box = smf.ols('grant_nok ~ Q("actor.spesialist")', data=ev.data).fit()
    assert by_box.nobs == 9
    others = (200_000 + 300_000 + 400_000 + 50_000 + 150_000 + 100_000 + 999_999) / 7
    assert by_box.params['Q("actor.spesialist")'] == pytest.approx(100_000 - others)


def test_seaborn_draws_shares_and_counts_from_the_data(ev):
    import matplotlib.pyplot as plt
    import seaborn as sns

    counties = ["Troms og Finnmark", "Oslo", "Vestland"]
    fig, (left, right) = plt.subplots(1, 2)
    sns.barplot(
        data=ev.data, x="county_name", y="intermunicipal", order=counties, errorbar=None, ax=left
    )
    # the mean of a 1/0 column is its share: 2 of 2, 2 of 3, 0 of 3 (row 9 unanswered)
    heights = [p.get_height() for p in left.patches]
    assert heights == pytest.approx([1.0, 2 / 3, 0.0])
    sns.countplot(
        data=ev.data, x="offer_type", order=["diagnoseuavhengig", "diagnosespesifikk"], ax=right
    )
    assert [p.get_height() for p in right.patches] == [6, 2]  # row 8 has no answer
    plt.close(fig)


def test_the_dictionary_lists_every_column_with_its_yaml_label(ev):
    raw = yaml.safe_load((ROOT / "evalkit" / "schemes" / "frisklivs_lms.yaml").read_text("utf-8"))
    fields, vocabularies = raw["fields"], raw["vocabularies"]
    d = ev.dictionary().set_index("column")
    assert list(d.index) == list(ev.tidy.columns)
    assert list(ev.dictionary().columns) == [
        "column", "label", "field", "type", "dtype", "values", "missing",
    ]  # fmt: skip
    for name, spec in fields.items():
        if spec["type"] == "county":
            assert d.loc["county_name", "label"] == spec["label_nb"]
            assert d.loc["county_code", "field"] == name
        elif spec["type"] == "reasons":
            for term in vocabularies[spec["vocabulary"]]:
                column = f"{spec['target']}.{term['code']}"
                assert d.loc[column, "label"] == term["label_nb"], column
                assert d.loc[column, "field"] == name
        else:
            assert d.loc[name, "label"] == spec["label_nb"], name
            assert d.loc[name, "type"] == spec["type"], name
    for term in vocabularies["offer_type"]:
        assert f"{term['code']} = {term['label_nb']}" in d.loc["offer_type", "values"]
    assert d.loc["intermunicipal", "values"] == "1 = yes, 0 = no, NaN = not answered"
    assert d.loc["grant_nok", "values"].startswith("whole kroner, 1–50,000,000")
    # missing: counted by hand from the rows above
    assert d.loc["intermunicipal", "missing"] == 1
    assert d.loc["offer_type", "missing"] == 1
    assert d.loc["target_group_other", "missing"] == 9
    assert d.loc["grant_nok", "missing"] == 0
    assert d["dtype"].to_dict() == {c: str(t) for c, t in ev.data.dtypes.items()}
    # shown whole in JupyterLab: the longest label is not cut short
    assert vocabularies["target_group"][2]["label_nb"] in ev.dictionary()._repr_html_()
