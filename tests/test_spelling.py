"""Spelling of every demo document: the reader's text of each ``report.html`` (every year
document and the trends document of each demo scheme) checked with Debian's bokmål dictionary
(``hunspell-no``: /usr/share/hunspell/nb_NO.aff and .dic) through spylls, a pure-Python
port of hunspell, with a short project word list (tests/fixtures/ordliste.txt).

The documents are made as the runner makes them, but in this process instead of a kernel: the
notebook's cells run in an IPython shell with the runner's parameters, each cell's displays
(and its last expression, as a kernel shows it) become the cell's outputs, and
:func:`evalkit.document.html.export_html` writes the page. What is checked is the page's
visible text and the figures' alt text; left out are code (``<code>``), numbers, file names
and other tokens with a digit or an underscore (identifiers such as ``questback-2022`` or
``granted_above_applied``), single letters (``p``, ``z``, ``n``, the parts of ``p.p.``), Greek
letters (``χ²``), and the action codes of the data-quality table (:data:`evalkit.flags.ACTIONS`).
Municipality and county names are the names of the reference tables that the documents show.
"""

from __future__ import annotations

import ast
import base64
import csv
import html
import re
import shutil
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import jupytext
import nbformat
import pytest

from evalkit import flags, paths
from evalkit.document.html import export_html, first_heading

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
#: Debian's hunspell-no: the bokmål dictionary as /usr/share/hunspell/nb_NO.{aff,dic}.
DICTIONARY = Path("/usr/share/hunspell/nb_NO")
WORD_LIST = Path(__file__).resolve().parent / "fixtures" / "ordliste.txt"
#: The dictionary's encoding (its .aff says ``SET ISO8859-1``).
DIC_ENCODING = "latin-1"


# --- the documents, made in this process --------------------------------------------------------
def _shown_last(source: str) -> str:
    """A cell whose last statement is an expression displays it, as a kernel does."""
    tree = ast.parse(source)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return source
    last = tree.body.pop()
    return (
        ast.unparse(tree)
        + f"\n_evalkit_last = {ast.unparse(last.value)}\n"
        + "if _evalkit_last is not None:\n"
        + "    __import__('IPython.display').display.display(_evalkit_last)\n"
    )


def _output(data: dict, metadata: dict) -> nbformat.NotebookNode:
    """A display output as a kernel sends it: binary data (PNG) base64-encoded."""
    data = {
        k: base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v
        for k, v in data.items()
    }
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata)


def _shell():
    """This process's IPython shell, made on first use: it shows Markdown and HTML as a kernel
    does, and keeps no history on disk (as the runner's kernels)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if not InteractiveShell.initialized():
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        InteractiveShell.instance(config=config)
    shell = InteractiveShell.instance()
    shell.display_formatter.active_types = list(shell.display_formatter.format_types)
    return shell


def build_report_html(notebook: Path, parameters: dict) -> str:
    """``report.html`` of ``notebook`` run with ``parameters`` (injected after its
    ``parameters`` cell, as papermill does) in this process's IPython shell, from a clean
    namespace."""
    from IPython.utils.capture import capture_output

    shell = _shell()
    shell.reset(new_session=False)
    nb = jupytext.read(notebook)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if "parameters" in cell.metadata.get("tags", []):
            source = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
            cells.append(
                nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
            )
    nb.cells = cells
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        with capture_output() as captured:
            shell.run_cell(_shown_last(cell.source), store_history=False).raise_error()
        cell.outputs = [_output(o.data, o.metadata) for o in captured.outputs]
    return export_html(nb, first_heading(nb) or notebook.stem)


def demo_documents() -> list[tuple[str, str, dict]]:
    """(id, notebook, parameters) of every document ``evalkit build`` makes of the demo data:
    each year of each demo scheme and each scheme's trends document."""
    out = []
    for folder in sorted(p for p in DEMO.iterdir() if p.is_dir()):
        years = paths.available_years(DEMO, folder.name)
        for year in years:
            params = {"scheme": folder.name, "year": year, "data_dir": str(DEMO)}
            out.append((f"{folder.name}-{year}", "year.py", params))
        params = {"scheme": folder.name, "year": max(years), "data_dir": str(DEMO)}
        out.append((f"{folder.name}-trends", "trends.py", params))
    return out


# --- the words of a page ----------------------------------------------------------------------
_HIDDEN = re.compile(r"<(style|script|code)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ALT = re.compile(r"\balt\s*=\s*\"([^\"]*)\"", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
#: Separators inside a token: «senter/kommunesamarbeid», «Cochran–Armitage», «p.p.».
_JOINERS = re.compile(r"[/–—.]")
_EDGE = re.compile(r"^[^\w]+|[^\w-]+$")  # a trailing hyphen stays: «frisklivs-, lærings- og»
#: A token with a digit, an underscore or an @ is a number, a file or an identifier.
_NOT_A_WORD = re.compile(r"[\d²³_@]")
_GREEK = re.compile(r"[\u0370-\u03ff]")


def visible_text(page: str) -> str:
    """The text a reader sees (tags, styles and code dropped) and the figures' alt texts."""
    alts = " ".join(html.unescape(a) for a in _ALT.findall(page))
    return html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", page))) + " " + alts


def words(text: str) -> list[str]:
    """The words of ``text`` to spell-check (see the module docstring for what is left out)."""
    out = []
    for raw in text.split():
        if _NOT_A_WORD.search(raw):
            continue
        for part in _JOINERS.split(raw):
            word = _EDGE.sub("", part)
            if len(word.strip("-")) < 2 or _GREEK.search(word):
                continue
            if word in flags.ACTIONS:
                continue
            out.append(word)
    return out


# --- the dictionary ---------------------------------------------------------------------------
def _word_list() -> list[tuple[str, str | None]]:
    """(word, model) of the project word list; model None for a word without one."""
    entries = []
    for line in WORD_LIST.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            word, _, model = line.partition("/")
            entries.append((word, model or None))
    return entries


def _place_names() -> set[str]:
    """The words of every municipality and county name in the reference tables."""
    names: set[str] = set()
    for table in ("kommuner.csv", "fylker.csv"):
        with resources.files("evalkit").joinpath("reference", table).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                names.update(words(row["name"]))
    return names


@pytest.fixture(scope="module")
def speller(tmp_path_factory):
    """``known(word)``: in the dictionary with the project's words, or a place name."""
    if not DICTIONARY.with_suffix(".dic").is_file():
        pytest.skip(
            f"Debian's bokmål dictionary is not installed ({DICTIONARY}.dic): "
            "apt-get install hunspell-no"
        )
    from spylls.hunspell import Dictionary

    # the word list joins the dictionary as entries of its .dic, each with the flags (endings,
    # compounding) of its model word: hunspell's «word/model» of a personal dictionary
    lines = DICTIONARY.with_suffix(".dic").read_text(encoding=DIC_ENCODING).splitlines()
    flags_of: dict[str, str] = {}
    for line in lines[1:]:
        stem, _, rest = line.partition("/")
        flags_of.setdefault(stem, rest.split()[0] if rest else "")
    added = []
    for word, model in _word_list():
        if model is not None and model not in flags_of:
            raise AssertionError(f"{WORD_LIST}: the model {model!r} of {word!r} is no word")
        found = flags_of.get(model, "") if model else ""
        added.append(f"{word}/{found}" if found else word)
    folder = tmp_path_factory.mktemp("hunspell")
    shutil.copyfile(DICTIONARY.with_suffix(".aff"), folder / "nb_NO.aff")
    entries = lines[1:] + added
    (folder / "nb_NO.dic").write_text(
        "\n".join([str(len(entries)), *entries]) + "\n", encoding=DIC_ENCODING
    )
    dictionary = Dictionary.from_files(str(folder / "nb_NO"))
    places = _place_names()

    def known(word: str) -> bool:
        return word in places or dictionary.lookup(word)

    return known


@pytest.fixture(scope="module", autouse=True)
def _no_shell_left_behind():
    """The IPython shell of :func:`build_report_html` goes with this module's tests."""
    yield
    from IPython.core.interactiveshell import InteractiveShell

    if InteractiveShell.initialized():
        InteractiveShell.instance().history_manager.end_session()
        InteractiveShell.clear_instance()


# --- the tests --------------------------------------------------------------------------------
def test_the_words_of_a_page_leave_code_numbers_and_identifiers_out():
    page = (
        "<p>Andelen <code>økte_ikke</code> 91,7&nbsp;% (p&nbsp;&lt;&nbsp;0,05) i "
        "2019.csv og questback-2022; «Cochran–Armitage» frisklivs-, lærings- og "
        "senter/kommunesamarbeid, χ² noted.</p><img alt='x' src='a.png' alt=\"Figur med tekst\">"
    )
    assert words(visible_text(page)) == [
        "Andelen", "og", "Cochran", "Armitage", "frisklivs-", "lærings-", "og", "senter",
        "kommunesamarbeid", "Figur", "med", "tekst",
    ]  # fmt: skip


def test_the_dictionary_knows_bokmal_and_finds_a_misspelling(speller):
    # a premise of the document test: the dictionary is bokmål and does reject a wrong word
    assert speller("konfidensintervall") and speller("Helsedirektoratet")
    assert not speller("konfidensinterval") and not speller("Helsedirektorratet")
    # the word list: «kjikvadrat/kvadrat» gives it kvadrat's endings and compounding
    assert speller("kjikvadrat") and speller("kjikvadrattest") and speller("Kjikvadratet")
    assert speller("Guovdageaidnu")  # a municipality of the reference tables


@pytest.mark.parametrize(
    ("notebook", "parameters"),
    [pytest.param(nb, params, id=doc_id) for doc_id, nb, params in demo_documents()],
)
def test_demo_document_is_spelled_right(notebook, parameters, speller, demo_cache_dir):
    # the cleaned years kept for the worker's demo documents, as the runner keeps them
    parameters = {**parameters, "cache_dir": str(demo_cache_dir)}
    page = build_report_html(ROOT / "notebooks" / notebook, parameters)
    text = visible_text(page)
    found = words(text)
    assert len(found) > 300  # the page was read at all
    wrong = sorted({w for w in found if not speller(w)}, key=str.lower)
    context = {
        w: " ".join(text[m.start() - 50 : m.end() + 30].split())
        for w in wrong
        if (m := re.search(rf"(?<![\w-]){re.escape(w)}(?![\w])", text))
    }
    assert not wrong, "\n".join(f"{w!r}: …{context.get(w, '')}…" for w in wrong)
