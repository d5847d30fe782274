"""The message catalogs are compiled once and kept (evalkit/i18n.py, evalkit/kept.py): what a
document reads from a kept catalog is what Babel reads from the ``.po`` file, a changed
``.po`` is compiled again, and a kept catalog of the wrong shape is never used.

Expected values come from the ``.po`` files read with Babel in the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from evalkit import i18n, kept
from evalkit.i18n import language, t

ROOT = Path(__file__).resolve().parent.parent

#: Prints «Sammendrag» in English, and whether Babel's .po reader was imported.
PROBE = """
import json, sys
from evalkit.i18n import language, t
with language("en"):
    text = t("year.heading.summary")
print(json.dumps({"text": text, "read_po": "babel.messages.pofile" in sys.modules}))
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(kept.CACHE_ENV, str(folder))
    i18n.reload_catalogs()
    yield folder
    monkeypatch.undo()
    i18n.reload_catalogs()


def babel_view(lang: str) -> dict[str, tuple[object, bool]]:
    """Each key's msgid (a pair for a plural message, None else) and whether all its forms are
    translated, as Babel reads the .po file."""
    with i18n.catalog_path(lang).open("rb") as fh:
        cat = read_po(fh)
    out = {}
    for m in cat:
        if not m.id:
            continue
        forms = m.string if isinstance(m.string, tuple | list) else (m.string,)
        plural = isinstance(m.id, tuple | list)
        out[m.id[0] if plural else m.id] = (tuple(m.id) if plural else None, all(forms))
    return out


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_kept_catalog_says_what_babel_reads_in_the_po_file(lang, cache):
    for _ in range(2):  # compiled and kept, then read from what was kept
        i18n._load.cache_clear()
        compiled = i18n._load(lang)
        assert compiled.messages == babel_view(lang)
        with i18n.catalog_path(lang).open("rb") as fh:
            cat = read_po(fh)
        singular = [m for m in cat if m.id and isinstance(m.id, str) and m.string]
        assert len(singular) > 100
        for m in singular:
            assert compiled.translations.gettext(m.id) == m.string
    assert len(list((cache / "catalogs").glob("*.json"))) == 1


def test_a_second_process_reads_the_kept_catalog_without_babel_reading_the_po(cache):
    env = {**os.environ, kept.CACHE_ENV: str(cache), "PYTHONPATH": str(ROOT)}

    def run() -> dict:
        done = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert run() == {"text": "Summary", "read_po": True}
    assert run() == {"text": "Summary", "read_po": False}


def test_a_changed_po_file_is_compiled_again(tmp_path, cache, monkeypatch):
    target = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, target)
    monkeypatch.setattr(i18n, "LOCALE_DIR", target)
    i18n.reload_catalogs()
    with language("en"):
        assert t("year.heading.summary") == "Summary"
    path = i18n.catalog_path("en", target)
    with path.open("rb") as fh:
        cat = read_po(fh)
    cat.get("year.heading.summary").string = "Overview"
    with path.open("wb") as fh:
        write_po(fh, cat)
    i18n.reload_catalogs()
    with language("en"):
        assert t("year.heading.summary") == "Overview"


def test_a_kept_catalog_of_the_wrong_shape_is_compiled_again(cache):
    with language("en"):
        assert t("year.heading.summary") == "Summary"
    files = list((cache / "catalogs").glob("*.json"))
    assert len(files) == 1  # English: found there, bokmål is not read
    for path in files:
        path.write_text(json.dumps({"messages": {"year.heading.summary": [None]}, "mo": ""}))
    i18n.reload_catalogs()
    with language("en"):
        assert t("year.heading.summary") == "Summary"


def test_kept_bytes_that_are_no_mo_file_are_compiled_again(cache):
    with language("en"):
        t("year.heading.summary")
    for path in (cache / "catalogs").glob("*.json"):
        value = json.loads(path.read_text())
        value["mo"] = "bm90IGEgbW8gZmlsZQ=="  # «not a mo file»
        path.write_text(json.dumps(value))
    i18n.reload_catalogs()
    with language("en"):
        assert t("year.heading.summary") == "Summary"


def test_kept_plural_ids_that_are_no_texts_are_compiled_again(cache):
    from evalkit.i18n import tn

    with language("en"):
        assert tn("formats.counties", 3) == "3 counties"
    for path in (cache / "catalogs").glob("*.json"):
        value = json.loads(path.read_text())
        value["messages"]["formats.counties"][0] = [1, 2]
        path.write_text(json.dumps(value))
    i18n.reload_catalogs()
    with language("en"):
        assert tn("formats.counties", 3) == "3 counties"
