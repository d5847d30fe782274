"""An English year document and an English trends document say nothing in Norwegian outside
the data (issue 20): test names, group-test labels and warnings, share and category labels,
the county tables' rows and the method texts all come in English. Built in-process from the
demo data (the pieces the generic notebooks show), without a kernel."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from evalkit.document import trends as tdoc
from evalkit.document import year as doc
from evalkit.document.numbered import Figure, Table
from evalkit.document.text import MarkdownText
from evalkit.evaluation import evaluate
from evalkit.i18n import language
from evalkit.trends import evaluate_trends

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"

#: Norwegian words (bokmål, and the bokmål names of tests and rows) that no English sentence,
#: header, row label or note of these documents holds; the demo's data (county and
#: municipality names) hold none of them either. Each was in an English document once.
NORWEGIAN = re.compile(
    r"\b(ikke|ikkje|prosjekter|prosjekt|fylke|fylket|andel|andelen|søknader|kjikvadrattest"
    r"|eksakte|permutasjonstest|tabeller|rangkorrelasjon|Kruskal–Wallis-test|ingen test"
    r"|I alt|Ukjent|Kan ikke plasseres|for få|konklusjon)\b",
    re.IGNORECASE,
)


def _text(piece: object) -> str:
    """The words a reader sees of one piece: a text, a table (caption, headers, every cell,
    source and notes) or a figure (caption, notes, alt text)."""
    if isinstance(piece, MarkdownText):
        return html.unescape(piece.data)
    if isinstance(piece, Table):
        return BeautifulSoup(piece._repr_html_(), "html.parser").get_text(" ")
    if isinstance(piece, Figure):
        return " ".join([piece.title, piece.alt, *piece.notes])
    if isinstance(piece, list):
        return " ".join(_text(p) for p in piece)
    return "" if piece is None else str(piece)


def _norwegian(pieces: dict[str, object]) -> dict[str, list[str]]:
    found = {}
    for name, piece in pieces.items():
        hits = sorted({m.group(0) for m in NORWEGIAN.finditer(_text(piece))})
        if hits:
            found[name] = hits
    return found


@pytest.fixture(scope="module")
def english_year(demo_cache_dir):
    ev = evaluate(
        "frisklivs_lms",
        2023,
        data_dir=DEMO,
        compare_with=[2022],
        lang="en",
        cache_dir=demo_cache_dir,
    )
    with language("en"):
        # every piece of the generic year document (the data-quality table holds the file's
        # own headers and values: its rows are data, and this year flags none)
        return {spec.name: spec.make(ev) for spec in doc.layout(ev.scheme)}


def test_the_english_year_document_has_no_norwegian_words(english_year):
    assert _norwegian(english_year) == {}
    # and what used to be Norwegian is there in English
    method = _text(english_year["metode"])
    assert "used here: Fisher's exact test and Pearson's chi-squared test" in method
    groups = _text(english_year["forskjeller_mellom_grupper"])
    assert "Permutation test (20,000 tables)" in groups
    assert "Too few projects per county to draw any conclusion." in groups
    county = english_year["fylker"]
    assert county.display.iloc[-1, 0] == "Total"  # the key «I alt» shown in English
    assert county.data.iloc[-1, 0] == "I alt"  # the data keep the key


def test_english_amounts_are_numbers_in_the_year_workbook(english_year, tmp_path):
    """«NOK 70,000» is an amount: right-aligned in the table, a number in tables.xlsx."""
    from openpyxl import load_workbook

    from evalkit.document import excel

    table = english_year["belop"]
    with language("en"):
        assert table.kinds() == ["txt"] + ["num"] * 7
        assert table.display.iloc[0, 4] == "NOK\u00a070,000"
        excel.write_workbook(tmp_path / "tables.xlsx", [table.sheet()])
    sheet = load_workbook(tmp_path / "tables.xlsx").worksheets[0]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Granted per project")
    # count, missing, total, lower quartile, median, upper quartile, largest (demo data 2023)
    assert row[1:] == (126, 0, 22_000_000, 70_000, 125_000, 230_000, 1_000_000)


def test_the_english_trends_document_has_no_norwegian_words(demo_cache_dir):
    tr = evaluate_trends("frisklivs_lms", data_dir=DEMO, lang="en", cache_dir=demo_cache_dir)
    with language("en"):
        pieces = {
            "title": tdoc.title(tr),
            "banner": tdoc.banner(tr),
            "summary": tdoc.summary(tr),
            "method": tdoc.method(tr),
            "trend_figures": tdoc.trend_figures(tr),
            "trend_table": tdoc.trend_table(tr),
            "amounts_figure": tdoc.amounts_figure(tr),
            "amounts_table": tdoc.amounts_table(tr),
            "county_table": tdoc.county_table(tr),
            "regression": tdoc.regression(tr),
        }
    assert _norwegian(pieces) == {}
    assert "(Kruskal–Wallis test)" in _text(pieces["method"])
    rows = pieces["county_table"].display.iloc[:, 0].tolist()
    assert rows[-2:] == ["Cannot be placed", "Total"]
