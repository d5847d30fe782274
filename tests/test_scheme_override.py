"""A bundled scheme copied into the project and changed: ``schemes/frisklivs_lms.yaml`` is read
instead of the bundled one, the cache key follows the copy, and the build, the index and the
document say so in one line."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest

from evalkit import scheme_files
from evalkit.cli import main
from evalkit.config import load_scheme, use_scheme_file
from evalkit.runner import write_index
from evalkit.runner.plan import plan
from evalkit.scheme_files import available_schemes, scheme_path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "evalkit" / "schemes" / "frisklivs_lms.yaml"
OLD_TITLE = (
    "title_nb: Bruk av tilskuddsmidler til etablering og utvikling av kommunale frisklivs-, "
    "lærings- og mestringstilbud"
)
NEW_TITLE = "title_nb: Frisklivstilskuddet, vår egen utgave"
LINE = (
    "schemes/frisklivs_lms.yaml in the project is used instead of the scheme bundled with evalkit"
)
LINE_NB = (
    "ordningen er lest fra schemes/frisklivs_lms.yaml i prosjektet, ikke fra filen som følger "
    "med evalkit"
)


def _copy_with_new_title(target: Path) -> Path:
    text = BUNDLED.read_text(encoding="utf-8")
    assert OLD_TITLE in text  # the line changed below is the bundled scheme's title
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace(OLD_TITLE, NEW_TITLE, 1), encoding="utf-8")
    return target


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder (notebooks/, data/) whose schemes/ holds a changed frisklivs_lms.yaml,
    with the demo exports of 2022 and 2023."""
    (tmp_path / "notebooks").mkdir()
    for name in ("year.py", "trends.py"):
        shutil.copy(ROOT / "notebooks" / name, tmp_path / "notebooks" / name)
    data = tmp_path / "data" / "demo"
    (data / "frisklivs_lms").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "demo" / "SYNTHETIC.txt", data / "SYNTHETIC.txt")
    for year in (2022, 2023):
        shutil.copy(
            ROOT / "data" / "demo" / "frisklivs_lms" / f"{year}.xlsx",
            data / "frisklivs_lms" / f"{year}.xlsx",
        )
    _copy_with_new_title(tmp_path / "schemes" / "frisklivs_lms.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scheme_files, "_NAMED_FILES", {})
    return tmp_path


def test_the_project_copy_takes_the_place_of_the_bundled_scheme(project):
    copy = project / "schemes" / "frisklivs_lms.yaml"
    assert scheme_path("frisklivs_lms") == copy.absolute()
    scheme = load_scheme("frisklivs_lms")
    assert scheme.title_nb == "Frisklivstilskuddet, vår egen utgave"
    assert scheme.replaces_bundled
    assert scheme.override_line() == LINE
    assert scheme.override_line(nb=True) == LINE_NB
    assert available_schemes().count("frisklivs_lms") == 1
    # the other bundled scheme is untouched, and says nothing
    other = load_scheme("samhandling")
    assert other.path == ROOT / "evalkit" / "schemes" / "samhandling.yaml"
    assert not other.replaces_bundled and other.override_line() == ""


def test_without_a_copy_the_bundled_scheme_is_read_and_nothing_is_said(project):
    (project / "schemes" / "frisklivs_lms.yaml").unlink()
    scheme = load_scheme("frisklivs_lms")
    assert scheme.path.resolve() == BUNDLED.resolve()
    assert scheme.title_nb.startswith("Bruk av tilskuddsmidler")
    assert scheme.override_line() == "" and scheme.override_line(nb=True) == ""


def test_a_scheme_file_elsewhere_with_a_bundled_name_is_named_by_its_path(project, tmp_path):
    elsewhere = _copy_with_new_title(tmp_path.parent / f"{tmp_path.name}-x" / "frisklivs_lms.yaml")
    (project / "schemes" / "frisklivs_lms.yaml").unlink()
    assert use_scheme_file(elsewhere) == "frisklivs_lms"
    scheme = load_scheme("frisklivs_lms")
    assert scheme.path == elsewhere.resolve()
    assert scheme.override_line() == (
        f"{elsewhere.resolve()} is used instead of the scheme bundled with evalkit"
    )


def test_the_cache_key_follows_the_project_copy(project):
    def job():
        return plan(
            "frisklivs_lms", 2023, compare_with=None, data_dir=None, out_dir=project / "out",
            strict=False, notebook=None, kernel_name="evalkit", parameters=None, title=None,
        )  # fmt: skip

    first = job()
    assert first.records["scheme_config"]["path"] == "schemes/frisklivs_lms.yaml"
    # the kernel is told the file: it runs in notebooks/, whose schemes/ may be another
    assert first.params["scheme_file"] == str(project / "schemes" / "frisklivs_lms.yaml")
    copy = project / "schemes" / "frisklivs_lms.yaml"
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    second = job()
    assert second.key != first.key
    copy.unlink()  # back to the bundled scheme: another key again, and no scheme_file
    third = job()
    assert third.key not in (first.key, second.key)
    assert third.params["scheme_file"] == ""  # the notebook's default: found by its name
    assert third.records["scheme_config"]["sha256"] != first.records["scheme_config"]["sha256"]


def test_the_index_says_so_in_one_line(project):
    out = project / "out"
    folder = out / "frisklivs_lms" / "2023"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<p>rapport</p>", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"title": "T"}), encoding="utf-8")
    page = write_index(out).read_text(encoding="utf-8")
    assert f'<p class="meta">{LINE_NB[0].upper()}{LINE_NB[1:]}.</p>' in page
    assert page.count("ikke fra filen som følger med evalkit") == 1


def test_the_document_banner_says_so(project):
    from evalkit import document as doc
    from evalkit.evaluation import evaluate

    ev = evaluate("frisklivs_lms", 2023, data_dir=project / "data" / "demo", compare_with=[])
    assert ev.scheme_override == project / "schemes" / "frisklivs_lms.yaml"
    banner = html.unescape(doc.banner(ev).data)  # the Markdown escapes «_» as &lowbar;
    assert f"(skjemaoppsett {ev.result.layout}); {LINE_NB}." in banner
    assert "Frisklivstilskuddet, vår egen utgave 2023" in str(doc.title(ev).data)


@pytest.mark.slow
def test_evalkit_build_uses_the_copy_and_says_so(project, capsys):
    # `evalkit build` run in this process, in the project (the document runs in its kernel)
    out = project / "out"
    code = main(
        ["build", "--scheme", "frisklivs_lms", "--years", "2023", "--out", str(out),
         "--jobs", "1", "--no-pdf", "--lang", "nb"]
    )  # fmt: skip
    run = capsys.readouterr()
    assert code == 0, run.out + run.err
    assert run.out.count(f"frisklivs_lms: {LINE}.") == 1, run.out
    folder = out / "frisklivs_lms" / "2023"
    page = html.unescape((folder / "report.html").read_text(encoding="utf-8"))
    assert "Frisklivstilskuddet, vår egen utgave 2023" in page
    assert LINE_NB in page
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scheme_config"]["path"] == "schemes/frisklivs_lms.yaml"
    assert LINE_NB[1:] in (out / "index.html").read_text(encoding="utf-8")
