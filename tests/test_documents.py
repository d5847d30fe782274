"""Each notebook run end to end through the runner on the demo data: no code in the HTML,
figures embedded, the published key figures present in Norwegian format, no error output,
data from the export escaped, and the files of spec/outputs.md written."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from evalkit.runner import build

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
NBSP = "\u00a0"

pytestmark = pytest.mark.slow


def _html(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _text(html: str) -> str:
    """The visible text of a page, tags stripped, entities and spaces kept."""
    import html as h

    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return h.unescape(re.sub(r"<[^>]+>", " ", body))


def _common_checks(folder: Path) -> str:
    for name in (
        "report.html",
        "report.ipynb",
        "metrics.json",
        "tables.xlsx",
        "data_quality.csv",
        "manifest.json",
    ):
        assert (folder / name).is_file(), name
    html = _html(folder / "report.html")
    assert "data:image/svg+xml;base64" in html  # figures embedded (vector, text as text)
    assert "<script" not in html and 'src="http' not in html  # opens from disk, no network
    assert "from evalkit" not in html and "evaluate(" not in html  # no code cells
    nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
    errors = [
        o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
    assert "Traceback" not in html
    assert "SYNTETISKE DATA" in html  # the demo data are synthetic and the document says so
    # a reader (and the Excel sheet names) must tell every table and figure apart by its title
    for kind in ("Tabell", "Figur"):
        titles = re.findall(rf"{kind} \d+\.</span> ([^<]+)<", html)
        assert len(titles) == len(set(titles)), titles
    return _text(html)


def test_frisklivs_2022_document(demo_document):
    folder = demo_document("frisklivs_lms", 2022).out_path
    assert (folder.parent.name, folder.name) == ("frisklivs_lms", "2022")
    text = _common_checks(folder)
    # the seed summary, in its own words, with Norwegian number formats
    assert "I 2022 har 11 fylker gitt tilskudd til totalt 109 prosjekter" in text
    assert f"91,7{NBSP}prosent av de 109 prosjektene var samarbeidsprosjekter" in text
    assert "i alt 18 interkommunale prosjekter" in text
    assert "Mellom 78 og 93 prosent av prosjektene" in text
    assert "18 prosent av prosjektene hadde som mål" in text and "og 22 prosent å" in text
    assert f"20{NBSP}000{NBSP}000{NBSP}kr" in text
    assert f"16,5{NBSP}%" in text
    assert "Flest prosjekter var det i Troms og Finnmark, færrest i Rogaland" in text
    # compared with the year before by default, in the document and in metrics.json
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["compare_with"] == [2021] and metrics["comparisons"]
    assert "Newcombe" in text and "Holm" in text
    # tables.xlsx holds the document's tables
    sheets = pd.read_excel(folder / "tables.xlsx", sheet_name=None)
    # Norwegian sheet names: the tables' numbers and titles, as the document shows them
    assert "Tabell 1. Nøkkeltall 2022" in sheets
    assert any(name.startswith("Tabell 2. Prosjekter, kommuner") for name in sheets)
    assert any("Merkede celler" in name for name in sheets)
    county = next(v for k, v in sheets.items() if "Prosjekter, kommuner" in k)
    header = county.index[county.iloc[:, 0] == "Fylke"][0]  # the title row comes first
    table = county.iloc[header + 1 :].set_axis(list(county.iloc[header]), axis=1)
    total = table[table["Fylke"] == "I alt"]
    assert total["Prosjekter"].item() == 109  # the published 109 projects of 2022


def test_project_names_from_the_data_are_escaped(demo_document):
    # every demo year holds one project name that needs escaping; the samhandling document
    # lists the funded projects by name
    html = _html(demo_document("samhandling", 2012).out_path / "report.html")
    names = pd.read_excel(DEMO / "samhandling" / "2012.xlsx", dtype=str)["Prosjekt"]
    hostile = [n for n in names if "<" in n]
    assert hostile, "the demo data should hold a name with <"
    for name in hostile:
        assert name not in html  # never raw
        assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html


def test_samhandling_2012_document(demo_document):
    folder = demo_document("samhandling", 2012).out_path
    assert (folder.parent.name, folder.name) == ("samhandling", "2012")
    text = _common_checks(folder)
    assert f"81,6{NBSP}millioner kroner til 199 samhandlingsprosjekter" in text
    assert "I bunken med 380 søknader" in text
    assert "Fylkesvis liste over prosjekter som fikk støtte" in text
    # the list goes county by county, each county heading its projects once: the 199
    # published projects, under as many headings as counties with a project, each once
    html = _html(folder / "report.html")
    listing = html[
        html.index("Fylkesvis liste over") : html.index(
            "</table>", html.index("Fylkesvis liste over")
        )
    ]
    counties = re.findall(r"scope=[\"']rowgroup[\"'][^>]*>([^<]+)<", listing)
    assert len(counties) == len(set(counties)) >= 15 and counties == sorted(counties)
    assert listing.count("<tr>") - 1 == 199  # the header row, then one row per project


def test_trends_document(demo_document):
    # built once for the run (tests/conftest.py), without the PDF, which no test here reads
    res = demo_document("frisklivs_lms", "trends")
    folder = res.out_path
    assert folder.name == "trends" and folder.parent.name == "frisklivs_lms"
    text = _common_checks(folder)
    assert "2019–2024" in text and "Cochran–Armitage" in text
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["years"] == [2019, 2020, 2021, 2022, 2023, 2024]
    assert metrics["trend_tests"]


def test_build_writes_index_and_a_rebuild_is_cached(tmp_path):
    """The runner's index and cache, shown with its tiny notebook (the demo documents' own
    notebooks are run above): what is checked is the HTML, the index and the cache."""
    from conftest import make_data

    data = make_data(tmp_path / "data")  # frisklivs_lms 2021 and 2022, 2021 compared by 2022
    (data / "SYNTHETIC.txt").write_text("synthetic", encoding="utf-8")
    tiny = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
    # the PDF is test_pdf's; the other languages: test_runner_lang
    kw = {"data_dir": data, "out_dir": tmp_path / "out", "progress": False, "pdf": False}
    kw |= {"langs": ["nb"], "notebook": tiny}
    results = build(["frisklivs_lms"], [2021, 2022], **kw)
    assert [r.status for r in results] == ["built", "built"]
    index = _html(tmp_path / "out" / "index.html")
    assert "frisklivs_lms/2022/report.html" in index
    assert "frisklivs_lms/2021/report.html" in index
    again = build(["frisklivs_lms"], [2021, 2022], **kw)
    assert [r.status for r in again] == ["cached", "cached"]
    # changing the compared year's export invalidates the later year: the same cells in
    # other bytes (CRLF line ends, as Excel on Windows saves a CSV), so 2022 is rebuilt
    compared = data / "frisklivs_lms" / "2021.csv"
    before = compared.read_bytes()
    compared.write_bytes(before.replace(b"\n", b"\r\n"))
    assert compared.read_bytes() != before
    assert pd.read_csv(compared).equals(pd.read_csv(io.BytesIO(before)))
    third = build(["frisklivs_lms"], [2022], **kw)
    assert [r.status for r in third] == ["built"]


def _wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval written out by hand (Newcombe 1998, method 3)."""
    centre = (x + z * z / 2) / (n + z * z)
    half = z * (x * (n - x) / n + z * z / 4) ** 0.5 / (n + z * z)
    return centre - half, centre + half


def test_frisklivs_2023_document_compares_each_share_with_2022(demo_document):
    folder = demo_document("frisklivs_lms", 2023).out_path
    assert (folder.parent.name, folder.name) == ("frisklivs_lms", "2023")
    text = _common_checks(folder)
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["compare_with"] == [2022]
    comps = {c["metric"]: c for c in metrics["comparisons"]}
    # every share of both years is compared
    both = {k for k, s in metrics["shares"].items() if s["n"]}
    assert set(comps) == both
    # intermunicipal: 19 of 126 (published 2023) against 18 of 109 (published 2022)
    c = comps["intermunicipal"]
    assert (c["count"], c["n"], c["other_count"], c["other_n"]) == (19, 126, 18, 109)
    l1, u1 = _wilson(19, 126)
    l2, u2 = _wilson(18, 109)
    p1, p2 = 19 / 126, 18 / 109
    low = (p1 - p2) - ((p1 - l1) ** 2 + (u2 - p2) ** 2) ** 0.5
    high = (p1 - p2) + ((u1 - p1) ** 2 + (p2 - l2) ** 2) ** 0.5
    assert c["diff"] == pytest.approx(p1 - p2, abs=1e-12)
    assert (c["diff_ci_low"], c["diff_ci_high"]) == pytest.approx((low, high), abs=1e-9)
    # all expected counts ≥ 5, so Pearson's chi-square without correction, from scipy
    from scipy.stats import chi2_contingency

    chi2 = chi2_contingency([[19, 107], [18, 91]], correction=False)
    assert c["test"] == "Pearsons kjikvadrattest"
    assert c["p_value"] == pytest.approx(chi2.pvalue, rel=1e-9)
    assert c["adjust_method"] == "holm" and c["p_adjusted"] >= c["p_value"]
    # the document shows it in Norwegian: both shares with intervals, the difference, its
    # interval, the test and the adjusted p
    assert "2023 sammenlignet med tidligere år" in text
    assert f"2022: 16,5{NBSP}%" in text
    pp = f"\u2212{abs(p1 - p2) * 100:.1f}".replace(".", ",") + f"{NBSP}p.p."
    assert pp in text
    assert "p (Holm)" in text and "95 % KI (Newcombe)" in text
