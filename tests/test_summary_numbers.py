"""Every number in a demo document's summary is in its metrics.json (metrics.json is the one
source of the figures a document shows): each Norwegian number of the summary text is found
among the metrics values, rounded as the text shows it."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from evalkit import document as doc
from evalkit.document import trends as tdoc
from evalkit.evaluation import evaluate
from evalkit.trends import evaluate_trends, trends_metrics

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
NUMBER = re.compile(r"\d{1,3}(?:\u00a0\d{3})+(?:,\d+)?|\d+(?:,\d+)?")


def _leaves(value) -> list[float]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    if isinstance(value, bool) or value is None:
        return []
    return [float(value)] if isinstance(value, int | float) else []


def _shown(text: str) -> list[tuple[str, float, int, str]]:
    """(as written, value, decimals, what follows) of every number in the text."""
    out = []
    for m in NUMBER.finditer(text):
        raw = m.group()
        digits = raw.replace("\u00a0", "")
        decimals = len(digits.split(",")[1]) if "," in digits else 0
        out.append((raw, float(digits.replace(",", ".")), decimals, text[m.end() : m.end() + 20]))
    return out


def _round(v: float, decimals: int, scale: int = 0) -> float:
    """``v × 10**scale`` as the documents round it: the number as written (its shortest
    decimal string), half away from zero (91,25 → 91,3)."""
    d = Decimal(str(v)).scaleb(scale)
    return float(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _found(value: float, decimals: int, after: str, leaves: list[float]) -> bool:
    after = after.lstrip("\u00a0 ")
    for v in leaves:
        if after.startswith("millioner") and _round(v, decimals, -6) == value:
            return True
        percent = after.startswith("%") or "prosent" in after  # «Mellom 78 og 93 prosent»
        if percent and _round(v, decimals, 2) == value:
            return True
        if _round(v, decimals) == value:
            return True
    return False


@pytest.mark.parametrize(
    ("scheme", "year"),
    [("frisklivs_lms", 2019), ("frisklivs_lms", 2023), ("samhandling", 2011),
     ("samhandling", 2012)],
)  # fmt: skip
def test_every_number_of_the_summary_is_in_metrics_json(scheme, year, demo_cache_dir):
    ev = evaluate(scheme, year, data_dir=DEMO, cache_dir=demo_cache_dir)
    summary = doc.summary(ev).data
    numbers = _shown(summary)
    assert len(numbers) >= 5  # the test reads the summary's numbers at all
    leaves = _leaves(ev.metrics)
    missing = [raw for raw, v, d, after in numbers if not _found(v, d, after, leaves)]
    assert not missing, f"not in metrics.json: {missing} in {summary}"


def test_the_numbers_are_read_as_written():
    got = _shown("I 2023 fikk 91,7\u00a0prosent 20\u00a0000\u00a0000\u00a0kr, 81,6 millioner.")
    assert [(v, d) for _, v, d, _ in got] == [(2023, 0), (91.7, 1), (20_000_000, 0), (81.6, 1)]
    assert _found(91.7, 1, "\u00a0prosent", [0.9174]) and not _found(91.7, 1, " kr", [0.9174])
    # 73 of 80 is 91,25 %: shown 91,3 (half away from zero), as fmt_prosent writes it
    assert _found(91.3, 1, "\u00a0prosent", [73 / 80]) and not _found(91.2, 1, " %", [73 / 80])


@pytest.mark.parametrize("scheme", ["frisklivs_lms", "samhandling"])
def test_every_number_of_the_trends_summary_is_in_its_metrics_json(scheme, demo_cache_dir):
    tr = evaluate_trends(scheme, data_dir=DEMO, cache_dir=demo_cache_dir)
    summary = tdoc.summary(tr).data
    numbers = _shown(summary)
    leaves = _leaves(trends_metrics(tr))
    # «Tabell 1» is the table's number, not a figure
    missing = [
        raw
        for raw, v, d, after in numbers
        if not _found(v, d, after, leaves) and not summary.count(f"Tabell {raw}")
    ]
    assert not missing, f"not in metrics.json: {missing} in {summary}"
