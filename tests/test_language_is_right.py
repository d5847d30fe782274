"""Each document is in its language (issue 20, items 1, 5 and 6): the nynorsk documents hold no
bokmål word, the English ones no Norwegian word, outside the data; every document declares
its language (``<html lang>``, the PDF's ``/Lang`` and title, the workbook's sheet names, title
rows and headers); the workbooks of the three languages hold the same numbers; and
``index.html`` links every document of every language.

The documents are the runner's demo build in every language (the ``demo_outputs`` fixture of
tests/conftest.py, shared with tests/test_spelling.py and tests/test_a11y.py). The text checked
is the reader's (:func:`test_spelling.visible_text`): the data (the exports' values and
headers: project and applicant names in the samhandling project list, the data-quality
appendix's «Verdi» column) are exempt by where they come from, and the names of municipalities
and counties (reference tables) by what they are: «Møre og Romsdal» is a name in every
language.

The marker words are chosen so that a hit is never right: each is a bokmål form that is not
nynorsk (resp. a Norwegian word that is not English), which
:func:`test_marker_words_are_wrong_in_the_language_and_right_in_bokmal` checks against the
dictionaries themselves.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import DEMO_PDFS_USERS, demo_document_folder, demo_documents
from test_spelling import (
    DICTIONARY_USERS,
    data_values,
    read_document,
    speller,
    without_place_names,
)

pytestmark = pytest.mark.slow

#: Bokmål forms that nynorsk does not have (the nynorsk form after the arrow). Whole words,
#: any case. Left out on purpose, though the issue names them: «også» (nynorsk too, beside
#: «òg»), «bare» (nynorsk «bar», «bare» = bare, naked), «mellom», «etter», «de» (nynorsk «de»
#: = you, plural), «dem» (nynorsk object form of «dei»), «uten», «regnet» (nynorsk «regnet»,
#: the rain) and «gjelder», which hunspell-no's nynorsk list accepts.
NN_MARKERS = {
    "ikke": "ikkje",  # «for ikke», «ikke-kommunale» too
    "hva": "kva",
    "hvem": "kven",
    "hvilke": "kva for",
    "hvilken": "kva for ein",
    "hvilket": "kva for eit",
    "hvor": "kvar, kor",
    "hvordan": "korleis",
    "hvorfor": "kvifor",
    "hvis": "viss, dersom",
    "hver": "kvar",
    "hvert": "kvart",  # «etter hvert» too
    "noen": "nokon",
    "noe": "noko",
    "fra": "frå",
    "sammen": "saman",
    "tidligere": "tidlegare",
    "flere": "fleire",
    "mer": "meir",
    "være": "vere, vera",
    "deres": "deira",
    "selv": "sjølv",
    "samme": "same",
    "annet": "anna",
    "prosjektene": "prosjekta",
    "kommuner": "kommunar",
    "kommunene": "kommunane",
    "fylker": "fylke",
    "fylkene": "fylka",
    "målene": "måla",
    "tjenester": "tenester",
    "tilskudd": "tilskot",
    "tilskuddet": "tilskotet",
    "antall": "talet på",
    "kilde": "kjelde",
    "sammenligning": "samanlikning",
    "beregninger": "utrekningar",
}
#: Not nynorsk since the 2012 reform (Nynorskordboka: «mykje»; «blei», «vart»), though
#: hunspell-no's older nynorsk list still has them as side forms.
NN_MARKERS_SIDE_FORMS = {"mye": "mykje", "ble": "blei, vart"}

#: Norwegian words that are not English (whole words, any case, but «i»: lower case only,
#: not «(i)», English has «I» and roman numerals).
EN_MARKERS = (
    "og", "i", "av", "som", "er", "det", "ikke", "på", "med", "til", "fra", "har", "var",
    "ble", "eller", "ved", "etter", "hver", "alle", "ingen", "også", "mellom", "enn", "når",
    "kan", "skal", "blir", "denne", "andre", "antall", "prosent", "tabell", "figur", "kilde",
    "kr", "fikk", "hadde",
)  # fmt: skip
#: Accepted by the English dictionary, never English prose: «i» (the pronoun is «I»), «er»
#: (a hesitation).
EN_MARKERS_IN_ENGLISH_DICTIONARY = {"i", "er"}
#: The first word of a table's title and sheet name.
TABLE_WORD = {"nb": "Tabell", "nn": "Tabell", "en": "Table"}

DOCUMENTS = [
    pytest.param(s, label, lang, id=f"{s}-{label}-{lang}") for s, label, lang in demo_documents()
]
TRANSLATED = [p for p in DOCUMENTS if p.values[2] != "nb"]


# --- the checks -------------------------------------------------------------------------------
@functools.cache
def _marker_pattern(lang: str) -> re.Pattern[str]:
    if lang == "nn":
        found = [*NN_MARKERS, *NN_MARKERS_SIDE_FORMS]
        return re.compile(rf"(?<!\w)(?:{'|'.join(found)})(?!\w)", re.IGNORECASE)
    others = [w for w in EN_MARKERS if w != "i"]
    return re.compile(
        rf"(?<!\w)(?i:{'|'.join(others)})(?!\w)|(?<![\w(])i(?![\w)])",
    )


def wrong_words(text: str, lang: str) -> dict[str, list[str]]:
    """The marker words of ``lang`` found in ``text`` (place names left out), each with up to
    three places it stands («…context…»)."""
    text = " ".join(without_place_names(text).split())
    found: dict[str, list[str]] = {}
    for m in _marker_pattern(lang).finditer(text):
        places = found.setdefault(m[0].lower(), [])
        if len(places) < 3:
            places.append("…" + text[max(0, m.start() - 45) : m.end() + 30] + "…")
    return found


def _report(found: dict[str, list[str]], what: str) -> str:
    return f"{len(found)} {what} word(s):\n" + "\n".join(
        f"{word!r}: " + " | ".join(places) for word, places in sorted(found.items())
    )


# --- the premises -----------------------------------------------------------------------------
@DICTIONARY_USERS  # on the worker that has loaded the dictionaries for tests/test_spelling.py
def test_marker_words_are_wrong_in_the_language_and_right_in_bokmal():
    nb, nn, en = speller("nb"), speller("nn"), speller("en")
    assert [w for w in [*NN_MARKERS, *NN_MARKERS_SIDE_FORMS] if not nb(w)] == []
    assert [w for w in NN_MARKERS if nn(w)] == []  # hunspell-no's nynorsk rejects each
    # the nynorsk forms given are nynorsk
    forms = {f for v in NN_MARKERS.values() for f in re.split(r",? | ", v)} - {"for", "på"}
    assert [f for f in forms if not nn(f)] == []
    accepted = {w for w in EN_MARKERS if en(w)}
    assert accepted == EN_MARKERS_IN_ENGLISH_DICTIONARY
    assert [w for w in EN_MARKERS if w != "kr" and not nb(w)] == []  # «kr» = kroner


def test_the_checks_find_the_words_and_leave_names_out():
    text = "Frå 2023 er det ikkje meir. Men for ikke å nemne Etter hvert i Møre og Romsdal."
    assert set(wrong_words(text, "nn")) == {"ikke", "hvert"}
    english = "In (i) Møre og Romsdal and Sogn og Fjordane, I saw 3 av 4 prosjekter i alt."
    assert set(wrong_words(english, "en")) == {"av", "i"}
    assert wrong_words("The county of Troms og Finnmark; Aust-Agder.", "en") == {}


# --- the documents ----------------------------------------------------------------------------
@pytest.mark.parametrize(("scheme", "label", "lang"), TRANSLATED)
def test_document_holds_no_word_of_another_language(demo_outputs, scheme, label, lang):
    text = read_document(demo_outputs, scheme, label, lang)
    found = wrong_words(text, lang)
    what = "bokmål" if lang == "nn" else "Norwegian"
    assert not found, _report(found, what)


def test_every_document_declares_its_language_in_html(demo_outputs):
    wrong = []
    for scheme, label, lang in demo_documents():
        page = demo_document_folder(demo_outputs, scheme, label, lang) / "report.html"
        head = page.read_text(encoding="utf-8")[:2000]
        if f'<html lang="{lang}">' not in head:
            declared = re.search(r"<html[^>]*>", head)
            wrong.append(f"{scheme} {label} {lang}: {declared[0] if declared else 'no <html>'}")
    assert not wrong, "\n".join(wrong)


def _workbook_text(path: Path, data: frozenset[str]) -> tuple[list[str], list[str], str]:
    """(sheet names, first cells, every text cell that is not data) of a tables.xlsx."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        names = list(book.sheetnames)
        firsts, texts = [], list(names)
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            first = next(rows, ())
            firsts.append(str(first[0]) if first and first[0] is not None else "")
            for row in [first, *rows]:
                texts += [v for v in row if isinstance(v, str) and " ".join(v.split()) not in data]
    finally:
        book.close()
    return names, firsts, "\n".join(texts)


@pytest.mark.parametrize(("scheme", "label", "lang"), DOCUMENTS)
def test_workbook_is_in_the_documents_language(demo_outputs, scheme, label, lang):
    """The sheets are named and titled «Tabell N. …» / «Table N. …» (the table index sheet
    aside), and no text of the workbook is of another language."""
    path = demo_document_folder(demo_outputs, scheme, label, lang) / "tables.xlsx"
    names, firsts, text = _workbook_text(path, data_values(scheme))
    word = TABLE_WORD[lang]
    tables = [(n, f) for n, f in zip(names, firsts, strict=True) if re.match(r"\w+ \d", n)]
    assert len(tables) >= len(names) - 1  # at most one sheet (the list of tables) is not one
    wrong = [n for n, f in tables if not (n.startswith(f"{word} ") and f.startswith(f"{word} "))]
    assert not wrong, f"sheets not named and titled «{word} N. …»: {wrong}"
    if lang != "nb":
        found = wrong_words(text, lang)
        assert not found, _report(found, "bokmål" if lang == "nn" else "Norwegian")


def _numbers(path: Path) -> list[list[float]]:
    """The numeric cells of each sheet, in reading order."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [
            [
                float(v)
                for row in sheet.iter_rows(values_only=True)
                for v in row
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
            for sheet in book.worksheets
        ]
    finally:
        book.close()


@pytest.mark.parametrize(("scheme", "label", "lang"), TRANSLATED)
def test_workbook_holds_the_same_numbers_as_the_bokmal_one(demo_outputs, scheme, label, lang):
    """Same numbers, same order, as numbers (issue 20, item 1): a translation formats text, not
    the workbook's values."""
    mine = _numbers(demo_document_folder(demo_outputs, scheme, label, lang) / "tables.xlsx")
    bokmal = _numbers(demo_document_folder(demo_outputs, scheme, label, "nb") / "tables.xlsx")
    assert len(mine) == len(bokmal)
    differ = [i + 1 for i, (a, b) in enumerate(zip(mine, bokmal, strict=True)) if a != b]
    assert not differ, (
        f"sheets {differ} differ from bokmål's; e.g. sheet {differ[0]}: "
        f"{len(mine[differ[0] - 1])} numbers, bokmål {len(bokmal[differ[0] - 1])}"
    )


@pytest.fixture
def pdfs(request) -> Path:
    """frisklivs_lms 2023 in each language, with report.pdf, built by the runner once for the
    run (``demo_pdfs``, tests/conftest.py)."""
    from evalkit.runner.pdfworker import pdf_wanted

    if not pdf_wanted(True):
        pytest.skip("WeasyPrint cannot make PDFs here (Pango is missing)")
    return request.getfixturevalue("demo_pdfs")


@DEMO_PDFS_USERS
@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_the_pdf_declares_its_language_and_title(pdfs, lang):
    import pypdf

    from evalkit.config import load_scheme

    folder = demo_document_folder(pdfs, "frisklivs_lms", 2023, lang)
    reader = pypdf.PdfReader(folder / "report.pdf")
    assert reader.trailer["/Root"]["/Lang"] == lang
    title = reader.metadata.title
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert f"<title>{title}</title>" in page  # the HTML's title
    # the scheme's title in the language, as its YAML gives it
    assert load_scheme("frisklivs_lms").text("title", lang) in title


# --- the index --------------------------------------------------------------------------------
def test_index_links_every_document_of_every_language(demo_outputs):
    from bs4 import BeautifulSoup

    index = demo_outputs / "index.html"
    soup = BeautifulSoup(index.read_text(encoding="utf-8"), "html.parser")
    linked = {
        (demo_outputs / unquote(urlsplit(a["href"]).path)).resolve()
        for a in soup.find_all("a", href=True)
        if not urlsplit(a["href"]).scheme
    }
    pages = {
        p.resolve()
        for p in demo_outputs.rglob("report.html")
        if not any(part.startswith("_") for part in p.relative_to(demo_outputs).parts)
    }  # _cache, _failed and _logs hold no document
    expected = {
        (demo_document_folder(demo_outputs, s, label, lang) / "report.html").resolve()
        for s, label, lang in demo_documents()
    }
    assert pages == expected  # every document was built, in its language's folder
    missing = sorted(str(p.relative_to(demo_outputs.resolve())) for p in pages - linked)
    assert not missing, f"index.html does not link: {missing}"
