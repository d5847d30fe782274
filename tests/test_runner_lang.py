"""Documents in bokmål, nynorsk and English (issue 20), the runner's side: ``--lang`` parsed and
checked; one job per language, each with its own folder (bokmål in ``<scheme>/<year>/``, the
others in ``<scheme>/<lang>/<year>/``) and its own cache key; a rebuild of one language leaves
another's folder as it was; the build writes both languages and an index linking both; the
notebook receives ``lang``.

Until the scheme YAML has ``languages:`` (t-lang's branch), a scheme listing [nb, nn] is
made by replacing :func:`evalkit.runner.plan.scheme_languages`, the one place the runner reads
them."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import make_data

from evalkit import cli
from evalkit.errors import ParameterError
from evalkit.runner import build, report_year
from evalkit.runner import execute as execute_module
from evalkit.runner import plan as plan_module
from evalkit.runner.build import _plan_trends, _prepare_outputs
from evalkit.runner.params import validate_parameters
from evalkit.runner.plan import languages_for, plan, scheme_languages

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"
SCHEME = "frisklivs_lms"
LANG_LINE = 'lang: str = "nb"  # nb, nn or en: the document\'s language\n'


def _tiny_with_lang(target: Path) -> Path:
    """The tiny test notebook with the ``lang`` parameter the runner passes."""
    text = TINY.read_text(encoding="utf-8")
    anchor = "strict: bool = False\n"
    assert anchor in text
    target.write_text(text.replace(anchor, anchor + LANG_LINE, 1), encoding="utf-8")
    return target


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project whose scheme's own notebook is the tiny one with ``lang`` (and the trends
    notebook); exports of 2021 and 2022 in data/raw; the scheme lists [nb, nn]."""
    (tmp_path / "notebooks").mkdir()
    _tiny_with_lang(tmp_path / "notebooks" / f"{SCHEME}.py")
    shutil.copy(ROOT / "notebooks" / "trends.py", tmp_path / "notebooks" / "trends.py")
    make_data(tmp_path / "data" / "raw")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(plan_module, "scheme_languages", lambda config: ["nb", "nn"])
    return tmp_path


def _plan(lang: str | None, **kw):
    args = {
        "compare_with": None,
        "data_dir": None,
        "out_dir": "out",
        "strict": False,
        "notebook": None,
        "kernel_name": "evalkit",
        "parameters": None,
        "title": None,
    }
    return plan(SCHEME, 2022, lang=lang, **{**args, **kw})


# --- the flag -----------------------------------------------------------------------------
def test_lang_flag_is_parsed_and_checked(capsys):
    p = cli.parser()
    assert p.parse_args(["report", SCHEME, "2022", "--lang", "nn"]).lang == "nn"
    assert p.parse_args(["build", "--lang", "en"]).lang == "en"
    assert p.parse_args(["build"]).lang is None  # every language the scheme lists
    for wrong in ("de", "nno", "no"):
        with pytest.raises(SystemExit) as stop:
            p.parse_args(["report", SCHEME, "2022", "--lang", wrong])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"{wrong!r} is not a language" in err and "nn (nynorsk)" in err


def test_languages_for_the_scheme_or_the_flag(monkeypatch):
    assert scheme_languages(type("S", (), {"languages": ["nb", "en"]})()) == ["nb", "en"]
    monkeypatch.setattr(plan_module, "scheme_languages", lambda config: ["nb", "nn"])
    assert languages_for(SCHEME) == (["nb", "nn"], "")
    assert languages_for(SCHEME, "nn") == (["nn"], "")
    # a language the scheme does not list is built, with a note naming the listed ones
    langs, note = languages_for(SCHEME, "en")
    assert langs == ["en"]
    assert "lists the language(s) nb, nn" in note and "add en to `languages:`" in note
    with pytest.raises(ParameterError, match="not a language"):
        languages_for(SCHEME, "sv")


# --- planning and the cache key -----------------------------------------------------------
def test_one_job_per_language_with_its_own_folder_and_key(project):
    out = (project / "out").absolute()
    jobs = {lang: _plan(lang) for lang in ("nb", "nn", "en")}
    assert jobs["nb"].target == out / SCHEME / "2022"
    assert jobs["nn"].target == out / SCHEME / "nn" / "2022"
    assert jobs["en"].target == out / SCHEME / "en" / "2022"
    assert jobs["nn"].failed_dir == out / SCHEME / "nn" / "_failed" / "2022"
    assert jobs["nb"].failed_dir == out / SCHEME / "_failed" / "2022"
    assert {j.params["lang"] for j in jobs.values()} == {"nb", "nn", "en"}
    assert len({j.key for j in jobs.values()}) == 3
    # the default is the first language the scheme lists
    assert _plan(None).key == jobs["nb"].key
    trends = {lang: _plan_trends(SCHEME, None, "out", "evalkit", lang) for lang in ("nb", "en")}
    assert trends["nb"].target == out / SCHEME / "trends"
    assert trends["en"].target == out / SCHEME / "en" / "trends"
    assert trends["nb"].key != trends["en"].key


def test_the_lang_parameter_is_checked(project):
    notebook = project / "notebooks" / f"{SCHEME}.py"
    with pytest.raises(ParameterError, match="lang is 'de', which is not a language"):
        validate_parameters(notebook, {"scheme": SCHEME, "year": 2022, "lang": "de"})
    assert validate_parameters(notebook, {"scheme": SCHEME, "year": 2022})["lang"] == "nb"
    with pytest.raises(ParameterError, match="not a language"):
        _plan("de")
    with pytest.raises(ParameterError, match="parameters= may not set lang"):
        _plan("nb", parameters={"lang": "nn"})
    # a notebook without `lang` can write bokmål only
    shutil.copy(TINY, notebook)
    assert _plan("nb").target.name == "2022"
    with pytest.raises(ParameterError, match="declares no lang parameter.*nn document"):
        _plan("nn")


# --- building: both languages, then one alone ----------------------------------------------
def _state(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``folder`` with its inode, mtime and bytes."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_build_writes_each_language_and_a_rebuild_of_one_leaves_the_other(
    project, monkeypatch, capsys
):
    fallbacks = {"nn": ["title", "sections.bakgrunn"]}
    monkeypatch.setattr(plan_module, "fallback_keys", lambda config, lang: fallbacks.get(lang))
    out = project / "out"
    code = cli.main(
        ["build", "--scheme", SCHEME, "--years", "2022", "--out", "out", "--jobs", "1", "--no-pdf"]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"{SCHEME} 2022: built" in printed and f"{SCHEME} 2022 nn: built" in printed
    assert "2 scheme text(s) have no nn text and fall back to bokmål: title, sections.bakgrunn" in (
        printed
    )
    nb, nn = out / SCHEME / "2022", out / SCHEME / "nn" / "2022"
    manifests = {d: json.loads((d / "manifest.json").read_text(encoding="utf-8")) for d in (nb, nn)}
    assert [manifests[d]["lang"] for d in (nb, nn)] == ["nb", "nn"]
    assert [manifests[d]["parameters"]["lang"] for d in (nb, nn)] == ["nb", "nn"]
    assert manifests[nb]["cache_key"] != manifests[nn]["cache_key"]
    # the notebook received lang: papermill's injected cell in the executed notebook
    injected = [
        "".join(c["source"])
        for c in json.loads((nn / "report.ipynb").read_text(encoding="utf-8"))["cells"]
        if "injected-parameters" in c["metadata"].get("tags", [])
    ]
    assert len(injected) == 1 and re.search(r'^lang = "nn"$', injected[0], re.M), injected

    # the index: one row for 2022 (no row for «nn»), linking both languages
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{SCHEME}/2022/report.html"' in page
    assert f'href="{SCHEME}/nn/2022/report.html" hreflang="nn" lang="nn">nynorsk</a>' in page
    assert re.findall(r"<tr>\s*<td>([^<]*)</td>", page) == ["2022"]

    # a leftover staging folder of a killed run in the language's folder is removed
    leftover = out / SCHEME / "nn" / ".2022.staging-999999999-0123abcd"
    leftover.mkdir()
    _prepare_outputs(out)
    assert not leftover.exists() and nn.is_dir()

    # bokmål rebuilt (with the swap used where folders cannot be exchanged in one step):
    # nynorsk's folder is not touched
    before, folder_ino = _state(nn), nn.stat().st_ino
    monkeypatch.setattr(execute_module, "_exchange", lambda a, b: False)
    result = report_year(SCHEME, 2022, out_dir="out", force=True, pdf=False, lang="nb")
    assert (result.status, result.lang, result.out_path) == ("built", "nb", nb.absolute())
    assert _state(nn) == before and nn.stat().st_ino == folder_ino
    assert sorted(p.name for p in (out / SCHEME).iterdir()) == ["2022", "nn"]  # no .old-…

    # nothing changed: each language served from its own cache
    again = build([SCHEME], [2022], out_dir="out", jobs=1, progress=False, pdf=False)
    assert [(r.lang, r.status) for r in again] == [("nb", "cached"), ("nn", "cached")]

    # evalkit report: every listed language by default; --lang one alone, even one the
    # scheme does not list (with a note saying so)
    capsys.readouterr()
    assert cli.main(["report", SCHEME, "2022", "--out", "out", "--no-pdf"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(".")[0] for line in lines] == [
        f"{SCHEME} 2022: cached",
        f"{SCHEME} 2022 nn: cached",
    ]
    assert cli.main(["report", SCHEME, "2022", "--out", "out", "--no-pdf", "--lang", "en"]) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith(f"{SCHEME} 2022 en: built.")
    assert f"{SCHEME} lists the language(s) nb, nn" in printed.err
    assert (out / SCHEME / "en" / "2022" / "report.html").is_file()
    assert _state(nn) == before


@pytest.mark.slow
def test_the_demo_in_bokmal_and_nynorsk(demo_outputs):
    """The demo's own notebook (notebooks/year.py) on the demo data, the scheme listing nb, nn
    and en (``evalkit build --no-pdf``, built once for the run: tests/conftest.py): both
    folders, the index linking both, lang = "nn" in the executed notebook."""
    out = demo_outputs
    for folder in (out / "samhandling" / "2012", out / "samhandling" / "nn" / "2012"):
        for name in ("report.html", "report.ipynb", "metrics.json", "manifest.json"):
            assert (folder / name).is_file(), folder / name
    executed = json.loads(
        (out / "samhandling" / "nn" / "2012" / "report.ipynb").read_text(encoding="utf-8")
    )
    params = executed["metadata"]["papermill"]["parameters"]
    assert params["lang"] == "nn" and params["year"] == 2012
    page = html.unescape((out / "index.html").read_text(encoding="utf-8"))
    assert 'href="samhandling/2012/report.html"' in page
    assert 'href="samhandling/nn/2012/report.html"' in page
    assert os.path.isfile(out / "samhandling" / "nn" / "2012" / "tables.xlsx")
