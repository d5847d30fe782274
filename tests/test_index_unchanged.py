"""``index.html`` is made again only when something it is made from changed
(evalkit/runner/index.py, ``_inputs_key``): an unchanged build leaves it as it is, and a
changed metrics.json, a report.pdf made or removed, a page edited by hand or a scheme's new
title each make it again. The outputs folder is written by hand here; the expected texts too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalkit import scheme_files
from evalkit.runner import write_index
from evalkit.scheme_files import bundled_folder

SCHEME = "frisklivs_lms"
NBSP = "\u00a0"


def document(folder: Path, n_projects: int, total: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(
        json.dumps({"created": "2026-03-01T10:00:00+01:00", "title": "Rapport 2022"}), "utf-8"
    )
    (folder / "metrics.json").write_text(
        json.dumps({"n_projects": n_projects, "grant_total_nok": total, "synthetic": True}),
        "utf-8",
    )
    (folder / "report.html").write_text("<html></html>", "utf-8")


@pytest.fixture
def out(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no schemes/ of a project: the bundled schemes
    monkeypatch.setattr(scheme_files, "_NAMED_FILES", {})
    folder = tmp_path / "out"
    document(folder / SCHEME / "2022", 3, 1_500_000)
    return folder


def made(out: Path) -> tuple[int, str]:
    page = out / "index.html"
    return page.stat().st_mtime_ns, page.read_text(encoding="utf-8")


def test_an_unchanged_index_is_left_as_it_is(out):
    write_index(out)
    first = made(out)
    assert '<td class="num">3 prosjekter</td>' in first[1]
    assert f'<td class="num">1{NBSP}500{NBSP}000{NBSP}kr</td>' in first[1]
    write_index(out)
    assert made(out) == first


def test_a_changed_metrics_file_makes_it_again(out):
    write_index(out)
    document(out / SCHEME / "2022", 12, 2_250_000)
    write_index(out)
    page = made(out)[1]
    assert '<td class="num">12 prosjekter</td>' in page
    assert f'<td class="num">2{NBSP}250{NBSP}000{NBSP}kr</td>' in page
    assert "3 prosjekter" not in page


def test_a_pdf_made_or_removed_makes_it_again(out):
    write_index(out)
    assert "2022/report.pdf" not in made(out)[1]
    (out / SCHEME / "2022" / "report.pdf").write_bytes(b"%PDF-1.7\n")
    write_index(out)
    assert 'href="frisklivs_lms/2022/report.pdf"' in made(out)[1]
    (out / SCHEME / "2022" / "report.pdf").unlink()
    write_index(out)
    assert "2022/report.pdf" not in made(out)[1]


def test_a_year_added_makes_it_again(out):
    write_index(out)
    document(out / SCHEME / "2023", 5, 700_000)
    write_index(out)
    assert '<td class="num">5 prosjekter</td>' in made(out)[1]


def test_a_page_edited_by_hand_is_made_again(out):
    write_index(out)
    page = out / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("3 prosjekter", "9 prosjekter"))
    write_index(out)
    assert '<td class="num">3 prosjekter</td>' in made(out)[1]


def test_a_new_title_of_the_scheme_makes_it_again(out, tmp_path):
    write_index(out)
    text = (bundled_folder() / f"{SCHEME}.yaml").read_text(encoding="utf-8")
    assert "short_title_nb: Frisklivs-, lærings- og mestringstilbud" in text
    (tmp_path / "schemes").mkdir()
    (tmp_path / "schemes" / f"{SCHEME}.yaml").write_text(
        text.replace(
            "short_title_nb: Frisklivs-, lærings- og mestringstilbud",
            "short_title_nb: Vår egen frisklivsordning",
        ),
        encoding="utf-8",
    )
    write_index(out)
    page = made(out)[1]
    assert "Vår egen frisklivsordning" in page
    assert "Ordningen er lest fra" in page  # the copy is read instead of the bundled one
    shutil.rmtree(tmp_path / "schemes")
    write_index(out)
    assert "Vår egen frisklivsordning" not in made(out)[1]
