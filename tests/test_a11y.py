"""Universal design (WCAG 2.1 AA): axe-core, run in headless Chromium, finds no violation in
the demo documents (a year document and a trends document in each of bokmål, nynorsk and
English, a year of the other scheme) and the index page. The pages are those of the demo build
in every language that tests/test_spelling.py and tests/test_language_is_right.py read
(``demo_outputs`` in tests/conftest.py).

Skipped, with the reason, where Chromium or the Python packages are missing; `.ci/run`
installs Chromium from the distribution's packages so CI always runs these."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import demo_document_folder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (apt-get install chromium); axe needs a browser",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)
axe_module = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="axe-playwright-python is not installed (pip install -e '.[dev]')",
)


#: The documents axe checks: a year and the trends document in each language (issue 20, item 7),
#: another scheme's year in bokmål, and the index.
CHECKED = [
    *(("frisklivs_lms", 2023, lang) for lang in ("nb", "nn", "en")),
    *(("samhandling", "trends", lang) for lang in ("nb", "nn", "en")),
    ("samhandling", 2012, "nb"),
]


@pytest.fixture(scope="module")
def built(demo_outputs) -> dict[str, Path]:
    """The pages of the demo build in every language (tests/conftest.py)."""
    pages = {
        f"{scheme}-{label}-{lang}": demo_document_folder(demo_outputs, scheme, label, lang)
        / "report.html"
        for scheme, label, lang in CHECKED
    }
    pages["index"] = demo_outputs / "index.html"
    return pages


@pytest.fixture(scope="module")
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page()
        browser.close()


@pytest.mark.parametrize("name", [f"{s}-{label}-{lang}" for s, label, lang in CHECKED] + ["index"])
def test_axe_finds_no_violations(built, page, name):
    page.goto(built[name].as_uri())
    result = axe_module.Axe().run(page)
    violations = result.response["violations"]
    assert result.response["passes"], "axe ran no checks"
    assert not violations, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
    )


def test_documents_are_marked_up_for_assistive_technology(built):
    html = built["frisklivs_lms-2023-nb"].read_text(encoding="utf-8")
    assert '<html lang="nb">' in html
    assert '<figure class="evalkit-figure"' in html and "<figcaption>" in html
    assert 'alt="Figur"' not in html and "No description has been provided" not in html
    assert 'alt="Liggende stolpediagram. Antall prosjekter per fylke 2023. Flest i ' in html
    assert '<th class="txt" scope="col">' in html and '<th class="txt" scope="row">' in html
    assert '<td class="num">' in html
    assert '<nav aria-labelledby="evalkit-innhold" class="evalkit-toc">' in html
    assert 'href="#Bakgrunn,-form%C3%A5l-og-metode"' in html  # the id nbconvert gives the heading
    assert 'id="Bakgrunn,-form%C3%A5l-og-metode"' in html
