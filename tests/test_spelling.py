"""Spelling of every demo document in every language (issue 20, item 6): the reader's text of
each ``report.html`` (every year document and the trends document of each demo scheme, in
bokmål, nynorsk and English) checked through spylls, a pure-Python port of hunspell, with
Debian's dictionaries: ``hunspell-no`` holds bokmål (/usr/share/hunspell/nb_NO.{aff,dic}) and
nynorsk (nn_NO), ``hunspell-en-gb`` British English (en_GB). Each language has a short project
word list (tests/fixtures/ordliste.txt, ordliste_nn.txt, wordlist_en.txt); a language whose
dictionary is not installed is skipped, saying which package to install.

The documents are the runner's (``evalkit build --no-pdf`` on the demo data, built once for
this module, tests/test_language_is_right.py and tests/test_a11y.py: the ``demo_outputs``
fixture of tests/conftest.py). What is checked is the page's visible text and the figures'
alt text (:func:`visible_text`); left out are code (``<code>``), the data (:func:`data_values`:
a table cell, or a «quoted» text, that is a value or a header of the exports, such as the
samhandling project list's project and applicant names or the data-quality appendix's
«Verdi» column: the data are what the counties wrote, in bokmål, whatever the document's
language), numbers, file names and other tokens with a digit or an underscore (identifiers
such as ``questback-2022`` or ``granted_above_applied``), single letters (``p``, ``z``, ``n``,
the parts of ``p.p.``), Greek letters (``χ²``), and the action codes of the data-quality table
(:data:`evalkit.flags.ACTIONS`). Municipality and county names are the names of the reference
tables that the documents show.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import html
import re
import shutil
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import yaml
from conftest import DEMO, DEMO_OUTPUTS_USERS, demo_document_folder, demo_documents

from evalkit import flags, paths
from evalkit.config import load_scheme

#: The tests that load the dictionaries (this module's, and the premise test of
#: tests/test_language_is_right.py) go to one xdist worker, which loads each dictionary once:
#: the worker of the tests that read the demo documents (tests/conftest.py).
DICTIONARY_USERS = DEMO_OUTPUTS_USERS
pytestmark = [pytest.mark.slow, DICTIONARY_USERS]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Debian's dictionaries (hunspell-no: nb_NO and nn_NO; hunspell-en-gb: en_GB) and the package
#: that installs each.
DICTIONARIES = {
    "nb": (Path("/usr/share/hunspell/nb_NO"), "hunspell-no"),
    "nn": (Path("/usr/share/hunspell/nn_NO"), "hunspell-no"),
    "en": (Path("/usr/share/hunspell/en_GB"), "hunspell-en-gb"),
}
#: The project's words each dictionary lacks.
WORD_LISTS = {
    "nb": FIXTURES / "ordliste.txt",
    "nn": FIXTURES / "ordliste_nn.txt",
    "en": FIXTURES / "wordlist_en.txt",
}


# --- the data: exempt wherever the document shows it ------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def data_values(scheme: str) -> frozenset[str]:
    """Every text of the scheme's demo exports (each cell and each header of every year, read
    as evalkit reads them), less the scheme's own bokmål texts (a vocabulary label that the
    export spells alike is the scheme's wording, which a nynorsk or English document must
    translate: it is not exempt)."""
    from evalkit.read import read_export

    config = load_scheme(scheme)
    values: set[str] = set()
    for path in paths.year_files(DEMO, scheme).values():
        raw = read_export(path, config)
        frame = raw.frame.drop(columns="_row", errors="ignore")
        for column in frame.columns:
            values.update(_norm(v) for v in frame[column].dropna().astype(str))
        values.update(_norm(h) for h in [*raw.headers.values(), *raw.extra_columns])
    return frozenset(values - _scheme_texts_nb(scheme) - {""})


def _scheme_texts_nb(scheme: str) -> set[str]:
    """The bokmål texts of the scheme's YAML (every string under a key ending in ``_nb``)."""
    found: set[str] = set()

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key.endswith("_nb"):
            found.add(_norm(node))

    walk(yaml.safe_load(load_scheme(scheme).path.read_text(encoding="utf-8")))
    return found


# --- the words of a page ----------------------------------------------------------------------
#: A «quoted» text (a column header of the export, an answer as the form spells it).
_QUOTED = re.compile(r"«([^«»]*)»")
#: Separators inside a token: «senter/kommunesamarbeid», «Cochran–Armitage», «p.p.».
_JOINERS = re.compile(r"[/–—.]")
_EDGE = re.compile(r"^[^\w]+|[^\w-]+$")  # a trailing hyphen stays: «frisklivs-, lærings- og»
#: A token with a digit, an underscore or an @ is a number, a file or an identifier.
_NOT_A_WORD = re.compile(r"[\d²³_@]")
#: A file name: «samhandling.yaml».
_FILE_NAME = re.compile(r"\w\.(?:ya?ml|csv|xlsx?|parquet|json|html|pdf|py|ipynb)\b", re.IGNORECASE)
_GREEK = re.compile(r"[\u0370-\u03ff]")


def visible_text(page: str, data: frozenset[str] = frozenset()) -> str:
    """The text a reader sees (the title, the body; styles, scripts and code dropped) and the
    figures' alt texts, with the data left out: a table body's cell (``td``, or a row's
    ``th``) whose text is one of ``data``, and a «quoted» text that is."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["style", "script", "code"]):
        tag.decompose()
    for table in soup.find_all("table"):  # the data-quality table: its Column and Value
        heads = tuple(_norm(th.get_text(" ")) for th in table.select("thead th"))
        if heads in _quality_headers():
            for row in table.select("tbody tr"):
                for cell in row.find_all(["td", "th"])[1:3]:
                    cell.decompose()
    for cell in soup.select("tbody td, tbody th"):
        if _norm(cell.get_text(" ")) in data:
            cell.decompose()
    alts = [img["alt"] for img in soup.find_all("img", alt=True)]
    text = " ".join([soup.get_text(" "), *alts])
    return _QUOTED.sub(lambda m: " " if _norm(m[1]) in data else m[0], html.unescape(text))


def words(text: str) -> list[str]:
    """The words of ``text`` to spell-check (see the module docstring for what is left out)."""
    out = []
    for raw in text.split():
        if _NOT_A_WORD.search(raw) or _FILE_NAME.search(raw):
            continue
        for part in _JOINERS.split(raw):
            word = _EDGE.sub("", part)
            if len(word.strip("-")) < 2 or _GREEK.search(word):
                continue
            if word in flags.ACTIONS:
                continue
            out.append(word)
    return out


@functools.cache
def read_document(out: Path, scheme: str, label: int | str, lang: str) -> str:
    """The visible text of one document of the demo build, its data and place names left
    out; read once per process (tests/test_language_is_right.py reads the nn and en ones
    again, on the same xdist worker: tests/conftest.py's ``DEMO_OUTPUTS_USERS``)."""
    page = demo_document_folder(out, scheme, label, lang) / "report.html"
    return without_place_names(visible_text(page.read_text(encoding="utf-8"), data_values(scheme)))


@functools.cache
def _place_names() -> re.Pattern[str]:
    """Every municipality and county name of the reference tables, the longest first: a name
    in every language («Møre og Romsdal» in English too)."""
    names: set[str] = set()
    for table in ("kommuner.csv", "fylker.csv"):
        with resources.files("evalkit").joinpath("reference", table).open(encoding="utf-8") as fh:
            names.update(row["name"] for row in csv.DictReader(fh))
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def without_place_names(text: str) -> str:
    return _place_names().sub(" ", text)


@functools.cache
def _quality_headers() -> frozenset[tuple[str, ...]]:
    """The header row of the data-quality table in each language (its «Column» and «Value»
    cells are the export's own headers and values: data)."""
    from evalkit.i18n import LANGUAGES, language, t

    keys = ("row", "column", "value", "problem", "detail", "action")
    out = set()
    for lang in LANGUAGES:
        with language(lang):
            out.add(tuple(t(f"year.quality.col.{k}") for k in keys))
    return frozenset(out)


# --- the dictionaries -------------------------------------------------------------------------
def _word_list(lang: str) -> list[tuple[str, str | None]]:
    """(word, model) of the language's project word list; model None for a word without one."""
    entries = []
    for line in WORD_LISTS[lang].read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            word, _, model = line.partition("/")
            entries.append((word, model or None))
    return entries


@functools.cache
def place_names() -> frozenset[str]:
    """The words of every municipality and county name in the reference tables, those with a
    capital letter only (the «og» of «Møre og Romsdal» is no name)."""
    names: set[str] = set()
    for table in ("kommuner.csv", "fylker.csv"):
        with resources.files("evalkit").joinpath("reference", table).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                names.update(w for w in words(row["name"]) if not w.islower())
    return frozenset(names)


def _encoding(aff: Path) -> str:
    """The dictionary's encoding, from the ``SET`` line of its .aff (hunspell's default:
    ISO8859-1)."""
    for line in aff.read_bytes().splitlines():
        if line.startswith(b"SET "):
            return line.split()[1].decode("ascii")
    return "ISO8859-1"


def speller(lang: str):
    """``known(word)``: in the language's dictionary with the project's words, or a place name;
    made once per process (tests/test_language_is_right.py uses them too). Skips the test,
    saying which package to install, when the dictionary is missing."""
    dictionary, package = DICTIONARIES[lang]
    if not dictionary.with_suffix(".dic").is_file():
        pytest.skip(
            f"the {lang} dictionary is not installed ({dictionary}.dic): apt-get install {package}"
        )
    return _speller(lang)


@contextlib.contextmanager
def _kept_out_of_collection() -> Iterator[None]:
    """Python's cyclic garbage collector off while a dictionary is loaded, and what is loaded
    kept out of its later collections (``gc.freeze``, as the warm kernels keep their modules:
    :func:`evalkit.kernel_side._freeze`). spylls makes millions of objects for a dictionary,
    none of them garbage: collections walking them took more than half of the loading (nb 4 s
    instead of 1,8 s) and, with the three loaded, 2 s for each full collection of the worker
    afterwards. Garbage is collected first, so none of it is kept."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@functools.cache
def _speller(lang: str):
    from spylls.hunspell import Dictionary

    dictionary = DICTIONARIES[lang][0]
    # the word list joins the dictionary as entries of its .dic, each with the flags (endings,
    # compounding) of its model word: hunspell's «word/model» of a personal dictionary
    encoding = _encoding(dictionary.with_suffix(".aff"))
    lines = dictionary.with_suffix(".dic").read_text(encoding=encoding).splitlines()
    flags_of: dict[str, str] = {}
    for line in lines[1:]:
        stem, _, rest = line.partition("/")
        flags_of.setdefault(stem, rest.split()[0] if rest else "")
    added = []
    for word, model in _word_list(lang):
        if model is not None and model not in flags_of:
            raise AssertionError(f"{WORD_LISTS[lang]}: the model {model!r} of {word!r} is no word")
        found = flags_of.get(model, "") if model else ""
        added.append(f"{word}/{found}" if found else word)
    entries = lines[1:] + added
    # spylls reads the files whole
    with tempfile.TemporaryDirectory() as tmp, _kept_out_of_collection():
        folder = Path(tmp)
        shutil.copyfile(dictionary.with_suffix(".aff"), folder / f"{dictionary.name}.aff")
        (folder / f"{dictionary.name}.dic").write_text(
            "\n".join([str(len(entries)), *entries]) + "\n", encoding=encoding
        )
        checker = Dictionary.from_files(str(folder / dictionary.name))
    places = place_names()

    @functools.cache
    def known(word: str) -> bool:
        return word in places or checker.lookup(word)

    return known


@pytest.fixture(scope="module")
def spellers():
    """``spellers(lang)``: the language's ``known`` (:func:`speller`), loaded once per process:
    under xdist this module's tests go to one worker (:data:`DICTIONARY_USERS`)."""
    return speller


# --- the tests --------------------------------------------------------------------------------
def test_the_words_of_a_page_leave_code_numbers_identifiers_and_data_out():
    page = (
        "<p>Andelen <code>økte_ikke</code> 91,7&nbsp;% (p&nbsp;&lt;&nbsp;0,05) i "
        "2019.csv og questback-2022 i samhandling.yaml; «Cochran–Armitage» frisklivs-, lærings- og "
        "senter/kommunesamarbeid, χ² noted; kolonnen «Søker (kommune)».</p>"
        "<table><thead><tr><th>Prosjekt</th><th>Kategori</th></tr></thead><tbody><tr>"
        "<th scope='row'>Samhandling om barn</th><td>Annet</td></tr></tbody></table>"
        "<img alt='x' src='a.png'><img src='b.png' alt=\"Figur med tekst\">"
    )
    data = frozenset({"Samhandling om barn", "Søker (kommune)", "Prosjekt"})
    assert words(visible_text(page, data)) == [
        "Andelen", "og", "Cochran", "Armitage", "frisklivs-", "lærings-", "og", "senter",
        "kommunesamarbeid", "kolonnen", "Prosjekt", "Kategori", "Annet",
        "Figur", "med", "tekst",
    ]  # fmt: skip
    # without data, every cell counts
    assert "Samhandling" in words(visible_text(page))


def test_the_data_are_the_exports_values_not_the_schemes_labels():
    values = data_values("samhandling")
    # a project name and an applicant municipality of the demo exports
    assert "Samhandling om barn med sammensatte behov" in values and "Aurskog-Høland" in values
    # the form's questions as the export's headers hold them (samhandling's headers are its
    # labels); never the personal data dropped on reading
    headers = load_scheme("frisklivs_lms").layouts["questback-2022"].headers
    assert sum(_norm(h) in data_values("frisklivs_lms") for h in headers) > 10
    assert "Kari Hemmelig" not in data_values("frisklivs_lms")
    # the category «Annet» is spelt in the export as the vocabulary's bokmål label: it is the
    # scheme's wording, which nn/en documents translate, not data
    assert "Annet" not in values and "Lokalmedisinsk senter/kommunesamarbeid" not in values


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_the_dictionary_knows_the_language_and_finds_a_misspelling(spellers, lang):
    # a premise of the document test: each dictionary is its language's and rejects a wrong word
    right, wrong = {
        "nb": (["konfidensintervall", "Helsedirektoratet", "ikke"], ["konfidensinterval"]),
        "nn": (["Helsedirektoratet", "ikkje", "prosjekta", "kommunar"], ["ikke", "prosjektene"]),
        "en": (["confidence", "municipality", "programme", "centre"], ["municipallity", "og"]),
    }[lang]
    known = spellers(lang)
    assert all(known(w) for w in right), [w for w in right if not known(w)]
    assert not any(known(w) for w in wrong), [w for w in wrong if known(w)]
    assert known("Guovdageaidnu")  # a municipality of the reference tables


def test_a_word_list_entry_takes_its_models_endings(spellers):
    known = spellers("nb")
    # «kjikvadrat/kvadrat» gives it kvadrat's endings and compounding
    assert known("kjikvadrat") and known("kjikvadrattest") and known("Kjikvadratet")


@pytest.mark.parametrize(
    ("scheme", "label", "lang"),
    [pytest.param(s, label, lang, id=f"{s}-{label}-{lang}") for s, label, lang in demo_documents()],
)
def test_demo_document_is_spelled_right(demo_outputs, spellers, scheme, label, lang):
    known = spellers(lang)
    text = read_document(demo_outputs, scheme, label, lang)
    found = words(text)
    assert len(found) > 300  # the page was read at all
    wrong = sorted({w for w in found if not known(w)}, key=str.lower)
    context = {
        w: " ".join(text[m.start() - 50 : m.end() + 30].split())
        for w in wrong
        if (m := re.search(rf"(?<![\w-]){re.escape(w)}(?![\w])", text))
    }
    assert not wrong, f"{len(wrong)} word(s) not in the {lang} dictionary:\n" + "\n".join(
        f"{w!r}: …{context.get(w, '')}…" for w in wrong
    )
