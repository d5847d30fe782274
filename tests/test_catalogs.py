"""The message catalogs (evalkit/locale/<lang>/LC_MESSAGES/evalkit.po): every key the code uses
is translated in nb, nn and en with the same placeholders and every plural form; no key is left
unused; the bundled schemes' translated texts name the same placeholders as their bokmål; and
the check fails on a broken catalog."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from evalkit import catalogs, i18n
from evalkit.config import (
    SchemeModel,
    _parse_yaml,
    summary_problems,
    translation_problems,
)
from evalkit.scheme_files import bundled_folder

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extracted() -> dict:
    """The keys the code uses (:func:`catalogs.used_keys`: Babel's extraction over evalkit/ and
    notebooks/, 2 s of processor time), extracted once for this module's tests."""
    return catalogs.used_keys()


@pytest.fixture
def used_keys_once(extracted, monkeypatch):
    """The check and the update (:func:`catalogs.check_catalogs`, :func:`catalogs.update_catalogs`)
    take the keys from :func:`extracted`, which the code of this checkout gives, rather than
    extract them again each time (the catalogs they read are each test's own)."""

    def used_keys(root: Path | None = None) -> dict:
        assert root in (None, ROOT), root  # the extraction was of this checkout
        return copy.deepcopy(extracted)

    monkeypatch.setattr(catalogs, "used_keys", used_keys)


def test_every_key_used_is_translated_with_the_same_placeholders_and_none_is_unused(
    used_keys_once,
):
    problems = catalogs.check_catalogs()
    assert problems == [], "\n".join(problems)


def test_the_keys_used_include_the_converted_code(extracted):
    """Extraction finds the keys in the notebooks, the templates and the modules."""
    used = extracted
    assert "year.heading.summary" in used  # notebooks/year.py: doc.heading(...)
    assert "trends.heading.method" in used  # notebooks/trends.py
    assert "report.contents" in used  # evalkit/templates/report.html.j2
    assert "index.col.amount" in used  # evalkit/templates/index.html.j2
    assert used["formats.counties"][0] is True  # tn(): a plural key
    assert used["formats.per_cent"][0] is False


@pytest.fixture
def broken(tmp_path):
    """A copy of the catalogs with an nn message emptied, an en placeholder renamed and an
    en plural form dropped."""
    target = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, target)
    for lang, edit in (
        ("nn", lambda cat: setattr(cat.get("year.heading.summary"), "string", "")),
        ("en", lambda cat: setattr(cat.get("index.made"), "string", "Made {when} ({version}).")),
        ("en", lambda cat: setattr(cat.get("formats.counties"), "string", ("{n} county",))),
    ):
        path = i18n.catalog_path(lang, target)
        with path.open("rb") as fh:
            cat = read_po(fh)
        edit(cat)
        with path.open("wb") as fh:
            write_po(fh, cat)
    yield target
    i18n.reload_catalogs()


def test_the_check_fails_on_a_broken_catalog(broken, used_keys_once):
    problems = catalogs.check_catalogs(broken)
    assert any(p.startswith("year.heading.summary: has no translation in nn") for p in problems)
    assert any(
        p.startswith("index.made: placeholders ['version', 'when'] in en differ") for p in problems
    ), problems
    # a plural form missing: Babel reads it as empty
    assert any(p.startswith("formats.counties: has no translation in en") for p in problems)
    assert not any(
        p.startswith(("formats.counties", "index.made")) and " nn" in p for p in problems
    )


def test_update_adds_a_missing_key_with_the_bokmal_as_a_comment(tmp_path, used_keys_once):
    target = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, target)
    path = i18n.catalog_path("en", target)
    with path.open("rb") as fh:
        cat = read_po(fh)
    cat.delete("report.contents")
    with path.open("wb") as fh:
        write_po(fh, cat)
    try:
        report = catalogs.update_catalogs(target, ROOT)
        assert report["added"] == {"nb": [], "nn": [], "en": ["report.contents"]}
        assert report["unused"] == []
        text = path.read_text(encoding="utf-8")
        assert '#. nb: Innhold\nmsgid "report.contents"\nmsgstr ""\n' in text
        # an added key without a translation is what the check reports
        assert "report.contents: has no translation in en" in "\n".join(
            catalogs.check_catalogs(target)
        )
    finally:
        i18n.reload_catalogs()


@pytest.mark.parametrize("path", sorted(bundled_folder().glob("*.yaml")), ids=lambda p: p.stem)
def test_the_bundled_schemes_texts_name_the_same_placeholders_in_every_language(path):
    model = SchemeModel.model_validate(_parse_yaml(path))
    assert translation_problems(model) == []
    assert summary_problems(model) == []


def test_the_cache_key_covers_the_catalogs():
    """A changed translation is a changed document: every catalog is part of the code digest
    that keys the document cache and the cleaned-year cache."""
    from evalkit import paths

    covered = {p.relative_to(Path(paths.__file__).parent).as_posix() for p in paths.code_files()}
    for lang in ("nb", "nn", "en"):
        assert f"locale/{lang}/LC_MESSAGES/evalkit.po" in covered
    assert "schemes/samhandling.yaml" in covered and "i18n.py" in covered
