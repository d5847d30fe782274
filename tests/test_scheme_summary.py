"""The facts of a checked scheme are kept, and only for the bytes that were checked
(evalkit/scheme_summary.py): a cached answer learns a scheme's languages, first year and
notebook without PyYAML or pydantic, and a changed, broken or tampered file is never answered
from what was kept.

Expected values come from the YAML files read with PyYAML in the test, and from the full check
(:func:`evalkit.config.load_scheme`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evalkit import kept, scheme_files, scheme_summary
from evalkit.config import load_scheme, text_fallbacks
from evalkit.errors import EvalkitError
from evalkit.scheme_files import available_schemes, bundled_folder
from evalkit.scheme_summary import summarize

ROOT = Path(__file__).resolve().parent.parent
SCHEME = "frisklivs_lms"

#: Prints, as JSON, the summary's languages and first year and whether the check's modules
#: were imported, for the scheme named in argv[1].
PROBE = """
import json, sys
from evalkit.scheme_summary import summarize
s = summarize(sys.argv[1])
print(json.dumps({"languages": list(s.languages), "first_year": s.first_year,
                  "checked": sorted(m for m in ("evalkit.config", "pydantic", "yaml")
                                    if m in sys.modules)}))
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(kept.CACHE_ENV, str(folder))
    monkeypatch.setattr(scheme_summary, "_seen", {})
    return folder


@pytest.fixture
def project(tmp_path, monkeypatch, cache) -> Path:
    """A working folder whose schemes/ holds a copy of the bundled frisklivs_lms.yaml."""
    (tmp_path / "schemes").mkdir()
    shutil.copy(bundled_folder() / f"{SCHEME}.yaml", tmp_path / "schemes" / f"{SCHEME}.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scheme_files, "_NAMED_FILES", {})
    return tmp_path


def kept_files(cache: Path) -> list[Path]:
    return sorted((cache / "schemes").glob("*.json")) if (cache / "schemes").is_dir() else []


@pytest.mark.parametrize("name", available_schemes())
def test_the_facts_are_those_of_the_yaml_and_of_the_full_check(name, cache):
    raw = yaml.safe_load((bundled_folder() / f"{name}.yaml").read_text(encoding="utf-8"))
    full = load_scheme(name)
    for _ in range(2):  # checked and kept, then read from what was kept
        scheme_summary._seen.clear()
        s = summarize(name)
        assert s.name == raw["scheme"] == name
        assert s.first_year == raw["first_year"]
        assert list(s.languages) == raw.get("languages", ["nb"])
        assert s.notebook == raw.get("notebook")
        assert s.short_title_nb == raw["short_title_nb"]
        assert s.path == full.path
        for lang in ("nn", "en"):
            assert s.text_fallbacks(lang) == text_fallbacks(full, lang)
        assert s.text_fallbacks("nb") == []
    assert len(kept_files(cache)) == 1


def test_a_second_process_answers_without_pyyaml_or_pydantic(cache):
    env = {**os.environ, kept.CACHE_ENV: str(cache), "PYTHONPATH": str(ROOT)}

    def run() -> dict:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, SCHEME],
            env=env,
            cwd=cache.parent,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first, second = run(), run()
    assert first["checked"] == ["evalkit.config", "pydantic", "yaml"]  # checked, then kept
    assert second["checked"] == []
    assert first["languages"] == second["languages"] == ["nb", "nn", "en"]
    assert first["first_year"] == second["first_year"]


def test_a_changed_byte_is_checked_again(project, cache):
    path = project / "schemes" / f"{SCHEME}.yaml"
    before = summarize(SCHEME)
    assert before.path == path.absolute() and before.languages == ("nb", "nn", "en")
    text = path.read_text(encoding="utf-8")
    assert "languages: [nb, nn, en]" in text
    path.write_text(text.replace("languages: [nb, nn, en]", "languages: [nb, en]"), "utf-8")
    after = summarize(SCHEME)
    assert after.languages == ("nb", "en")
    assert len(kept_files(cache)) == 2


def test_a_broken_file_is_never_kept(project, cache):
    path = project / "schemes" / f"{SCHEME}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("first_year:", "first_yaer:", 1), "utf-8")
    for _ in range(2):  # the same error every time: nothing was kept to answer from
        with pytest.raises(EvalkitError, match="first_yaer"):
            summarize(SCHEME)
    assert kept_files(cache) == []


def test_kept_facts_of_the_wrong_shape_are_not_used(cache):
    summarize(SCHEME)
    (memo,) = kept_files(cache)
    facts = json.loads(memo.read_text(encoding="utf-8"))
    facts["languages"] = ["nb", "<script>"]
    memo.write_text(json.dumps(facts), encoding="utf-8")
    scheme_summary._seen.clear()
    assert summarize(SCHEME).languages == ("nb", "nn", "en")  # checked again, and kept again
    assert json.loads(memo.read_text(encoding="utf-8"))["languages"] == ["nb", "nn", "en"]


def test_the_same_bytes_under_another_name_are_refused_as_the_check_refuses_them(project, cache):
    summarize(SCHEME)  # kept under the bytes of frisklivs_lms.yaml
    shutil.copy(project / "schemes" / f"{SCHEME}.yaml", project / "schemes" / "kopi.yaml")
    with pytest.raises(EvalkitError, match="differs from the file's name"):
        summarize("kopi")


def test_a_cache_folder_that_cannot_be_written_changes_nothing_but_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(kept.CACHE_ENV, str(blocker / "cache"))
    monkeypatch.setattr(scheme_summary, "_seen", {})
    assert summarize(SCHEME).first_year == load_scheme(SCHEME).first_year


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "a"))
    assert kept.cache_folder() == tmp_path / "a"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(kept.CACHE_ENV, "~/evalkit-cache")  # a tilde the shell left as it is
    assert kept.cache_folder() == tmp_path / "home" / "evalkit-cache"
    monkeypatch.delenv(kept.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert kept.cache_folder() == tmp_path / "xdg" / "evalkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert kept.cache_folder() == tmp_path / "home" / ".cache" / "evalkit"


def test_a_file_changed_while_it_is_checked_is_not_kept_under_its_old_bytes(
    project, cache, monkeypatch
):
    """The YAML is replaced between reading its bytes (the key) and checking it: what the
    check found belongs to the new bytes, so it is not kept under the old ones."""
    from evalkit import config

    path = project / "schemes" / f"{SCHEME}.yaml"
    original = path.read_text(encoding="utf-8")
    real = config.load_scheme

    def replaced_meanwhile(name):
        path.write_text(original.replace("languages: [nb, nn, en]", "languages: [nb, en]"), "utf-8")
        return real(name)

    monkeypatch.setattr(config, "load_scheme", replaced_meanwhile)
    assert summarize(SCHEME).languages == ("nb", "en")  # what was checked
    monkeypatch.setattr(config, "load_scheme", real)
    path.write_text(original, encoding="utf-8")  # the old bytes again
    scheme_summary._seen.clear()
    assert summarize(SCHEME).languages == ("nb", "nn", "en")
