"""A scheme YAML is data, and nothing read from it can escape (issue 16).

A scheme YAML is untrusted input, like an export. Each attack below is built here and placed in
every text of a small scheme (the one of ``test_new_scheme.py`` with every document key spelt
out), all texts at once, each marked as its own; the pieces of the per-year and the trends
document are shown the way the notebooks show them (IPython's display formatter) and exported
the way the runner exports them (:func:`evalkit.document.html.export_html`), the pages are read
with an HTML parser, and each text is then checked on its own (one test per text and attack):

* markup: ``<img src=x onerror=…>``, ``[x](javascript:…)``, ``![](http://…)``, ``$x^$``,
  ``</style><h1>…``, a form feed and a carriage return: no element, attribute, link or image
  of the text's making, and the text shows as itself;
* a file: the text is the path of a secret file (IPython's ``Markdown`` reads it);
* a web address: the text is a URL on a server the test runs (IPython's ``Markdown`` fetches
  it): the server gets no request.

Summary placeholders that reach Python internals or build huge strings are refused when the
YAML is loaded, naming the key, and again when a sentence is filled in. The print stylesheet
holds the title as one CSS string, read back with tinycss2. One end-to-end build holds every
attack at once.
"""

from __future__ import annotations

import base64
import copy
import functools
import http.server
import json
import os
import string
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
import yaml
from aktivitet_scheme import write_project
from IPython.core.formatters import DisplayFormatter

from evalkit.config import load_scheme_file
from evalkit.document import plots
from evalkit.document.text import SummaryFormatter
from evalkit.errors import EvalkitError

ROOT = Path(__file__).resolve().parent.parent

# The scheme of test_new_scheme.py, with every document key written out, so that every kind of
# text a scheme YAML holds is here once.
SCHEME = """\
scheme: aktivitet
title_nb: Tilskudd til aktivitetstiltak
short_title_nb: Aktivitetstiltak
unit: project
id_field: case_id
first_year: 2020
layouts:
  v1:
    headers:
      Saksnummer: case_id
      Fylke: county
      Kommunenummer: municipality_codes
      Tiltak: project_name
      Beløp: grant_nok
      Målgruppe: audience
      Frivillige med: volunteers
fields:
  case_id: {type: id, required: true, label_nb: Saksnummer}
  county: {type: county, required: true, label_nb: Fylke}
  municipality_codes: {type: municipality_codes, label_nb: Kommunenummer}
  project_name: {type: text, label_nb: Tiltak}
  grant_nok: {type: amount, required: true, label_nb: Tildelt beløp}
  audience: {type: category, vocabulary: audience, label_nb: Målgruppe}
  volunteers: {type: yesno, label_nb: Frivillige med}
vocabularies:
  audience:
    - {code: barn, label_nb: Barn og unge}
    - {code: eldre, label_nb: Eldre}
shares:
  - {field: audience, kind: category, group: målgruppe, label_nb: Målgruppe}
  - {field: volunteers, kind: yesno, group: frivillige, label_nb: Tiltak med frivillige,
     among: {field: audience, equals: barn}}
by_category: audience
combined_shares:
  - {key: barn_av_alle, label_nb: Barn og unge, field: audience, codes: [barn],
     assessable: [barn, eldre], assessable_nb: med kjent målgruppe}
source_nb: kommunenes rapporter
background_nb: Ordningen gir tilskudd til aktivitetstiltak.
summary:
  - I {year} omfatter dataene {n_projects:int} prosjekter.
  - text: Flest prosjekter var det i {most[n_projects]}.
    if: n_projects
  - each: by_county
    item: "{county_name} ({n_projects:int})"
    text: "Prosjekter per fylke: {items}."
key_figures:
  - {label_nb: Prosjekter, value: n_projects}
  - {label_nb: Med frivillige, share: volunteers}
amounts:
  - {field: grant_nok, label_nb: Tildelt beløp per prosjekt}
county_table:
  title_nb: Prosjekter per fylke
  columns:
    - {key: n_projects, label_nb: Prosjekter, count: true}
    - {key: grant_nok, label_nb: Tildelt (kr), linked_to: [n_projects]}
  figures: {count: n_projects, count_label_nb: Antall prosjekter, amount: grant_nok}
group_tests:
  - {key: frivillige_fylke, label_nb: Frivillige mellom fylkene, by: county_code,
     outcome: volunteers}
  - {key: barn_fylke, label_nb: Barn og unge mellom fylkene, by: county_code,
     outcome: barn_av_alle}
sections:
  - title_nb: Fylker
    text_nb: Prosjektene fylke for fylke.
    show: [county_table, county_figures]
  - title_nb: Hvem tiltakene er for
    show: [{shares: målgruppe, title_nb: Målgruppe, figure: true}, {shares: frivillige,
           title_nb: Frivillige, figure: true}]
  - title_nb: Alle tiltak
    show:
      - list:
          title_nb: Tiltakene
          columns: {county_name: Fylke, project_name: Tiltak, audience: Målgruppe}
          group_by: county_name
  - title_nb: Beløp og forskjeller
    show: [category_table, amounts_table, group_tests]
notes_nb: {2023: Rammen var den samme som året før.}
synthetic_notes_nb: {2023: Tallene er laget for prøven.}
trends:
  figures: [{group: målgruppe, title_nb: Målgruppe over tid}]
  amount: grant_nok
  regression:
    outcome: barn_av_alle
    title_nb: Hva henger sammen med tiltak for barn
    label_nb: Tiltak for barn og unge
    predictors: [{name: frivillige, field: volunteers, label_nb: Med frivillige}]
"""

ROWS = {
    2022: [
        "1;Oslo;0301;Lek i parken;100000;Barn og unge;Ja",
        "2;Oslo;0301;Seniordans;50000;Eldre;Nei",
        "3;Rogaland;1103;Sykkelglede;200000;Barn og unge;Ja",
        "4;Vestland;4601;Turlag;150000;Eldre;Ja",
        "5;Vestland;4601;Svømming;100000;Barn og unge;Nei",
        "6;Rogaland;1103;Dans;70000;Eldre;Nei",
    ],
    2023: [
        "11;Oslo;0301;Lek i parken;120000;Barn og unge;Ja",
        "12;Rogaland;1103;Sykkelglede;80000;Barn og unge;Ja",
        "13;Rogaland;1103;Boccia;60000;Eldre;Ja",
        "14;Vestland;4601;Turlag;150000;Eldre;Nei",
        "15;Vestland;4601;Klatring;90000;Barn og unge;Ja",
        "16;Vestland;4601;Dans;50000;Eldre;Ja",
        "17;Oslo;0301;Sjakk;40000;Eldre;Nei",
    ],
}

#: Markup of every kind a text could try: raw HTML with a script in an attribute, a link to
#: ``javascript:``, an image from the network, mathtext, the end of the print stylesheet with
#: a heading, and the two line breaks that ended the old CSS string.
MARKUP = (
    "<img src=x onerror=alert(1)> [klikk](javascript:alert(1)) "
    "![](http://127.0.0.1:{port}/bilde.png) $x^$ </style><h1>Kapret</h1>"
    "\f table {{ display: none }} \r slutt"
)
SECRET = "HEMMELIG-INNHOLD-7351"


class _Server:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                seen.append(self.path)
                body = f"# {SECRET}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/markdown; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.close()


def test_the_attacks_are_real(server, tmp_path):
    """What IPython's ``Markdown`` (the display the documents used) does with such texts: it
    reads the file and fetches the URL; and mathtext fails on ``$x^$``."""
    from IPython.display import Markdown

    secret = tmp_path / "hemmelig.md"
    secret.write_text(SECRET, encoding="utf-8")
    assert Markdown(str(secret)).data == SECRET
    url = f"http://127.0.0.1:{server.port}/x.md"
    try:
        assert SECRET in Markdown(url).data
    finally:
        server.requests.clear()
    # a Text takes ``text.parse_math`` when it is made: make the figure inside the context
    # (evalkit's house style, once imported, turns it off for the whole process)
    with matplotlib.rc_context({"text.parse_math": True}):
        fig, ax = plt.subplots()
        ax.set_title("$x^$")
        with pytest.raises(ValueError):
            fig.canvas.draw()
    plt.close(fig)


# --- the scheme with an attack in its texts --------------------------------------------------
def _text_paths(node, path=()) -> list[tuple]:
    """The key path of every text of the scheme that a document may show: the values of
    ``*_nb`` keys, summary sentences, the headers of a list, share groups."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            here = (*path, k)
            if isinstance(v, str) and (
                str(k).endswith("_nb")
                or (k == "group" and path[:1] == ("shares",))
                or (path and path[-1] == "columns" and "list" in path)
                or (k in ("text", "item") and "summary" in path)
                or (path and path[-1] in ("notes_nb", "synthetic_notes_nb"))
            ):
                out.append(here)
            else:
                out += _text_paths(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, str) and path == ("summary",):
                out.append((*path, i))
            else:
                out += _text_paths(v, (*path, i))
    return out


BASE = yaml.safe_load(SCHEME)
KEYS = _text_paths(BASE)


def _key_name(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _with_texts(texts: dict[tuple, str]) -> dict:
    """The scheme with each text of ``texts`` at its key path (a share group renamed wherever
    it is named; braces of a summary sentence doubled, they are text there; the text of a
    sentence over a list keeps its ``{items}``)."""
    doc = copy.deepcopy(BASE)
    for path, text in texts.items():
        node = doc
        for p in path[:-1]:
            node = node[p]
        if path[0] == "summary":
            text = text.replace("{", "{{").replace("}", "}}")
            if path[-1] == "text" and "each" in node:  # the list it is about, too
                text += " {items}"
        old, node[path[-1]] = node[path[-1]], text
        if path[-1] == "group":
            for section in doc["sections"]:
                for item in section["show"]:
                    if isinstance(item, dict) and item.get("shares") == old:
                        item["shares"] = text
            for figure in doc["trends"]["figures"]:
                if figure["group"] == old:
                    figure["group"] = text
    return doc


def _project(folder: Path, scheme: dict) -> Path:
    """A scheme file and its data (data/aktivitet/<year>.csv) in ``folder``."""
    return write_project(folder, scheme, ROWS, scheme_path=folder / "aktivitet.yaml")


# --- the documents' pieces, shown and exported as the runner does ---------------------------
def _year_pieces(ev) -> list:
    from evalkit import document as doc

    pieces = [doc.title(ev), doc.banner(ev), doc.summary(ev), doc.key_figures(ev)]
    pieces += [doc.notes(ev), doc.background(ev), doc.method(ev), *doc.results(ev)]
    pieces += [doc.comparison_intro(ev), doc.comparison_figure(ev), doc.comparison_table(ev)]
    return [*pieces, doc.quality_summary(ev), doc.quality_table(ev)]


def _trend_pieces(tr) -> list:
    from evalkit.document import trends as tdoc

    pieces = [tdoc.title(tr), tdoc.banner(tr), tdoc.summary(tr), tdoc.method(tr)]
    pieces += [*tdoc.trend_figures(tr), tdoc.trend_table(tr), tdoc.amounts_figure(tr)]
    return [*pieces, tdoc.amounts_table(tr), tdoc.county_table(tr), *tdoc.regression(tr)]


@functools.cache
def _formatter() -> DisplayFormatter:
    return DisplayFormatter()


def _page(pieces: list) -> str:
    """``report.html`` of a notebook showing ``pieces``, one cell each, as the kernel shows
    them (the display formatter's bundle) and the runner exports it."""
    from evalkit.document.html import export_html, first_heading

    nb = nbformat.v4.new_notebook()
    for piece in pieces:
        data, metadata = _formatter().format(piece)
        data = {
            k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in data.items()
        }
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
        nb.cells.append(cell)
    return export_html(nb, first_heading(nb) or "Dokument")


class _Page(HTMLParser):
    """What a browser would make of a page: its elements, their attributes, its text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.chunks: list[str] = []
        self._skip = 0
        self.feed(page)
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag) -> None:
        self._skip -= tag in ("style", "script") and self._skip > 0

    def handle_data(self, data) -> None:
        if not self._skip:
            self.chunks.append(data)


def _assert_inert_svg(svg: bytes) -> None:
    """A figure's SVG (its text as ``<text>``) is well-formed XML with no element of a text's
    making: no script, no foreign object, no link but to its own ids."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(svg)  # a control character in a label would make it unreadable
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        assert name not in ("script", "foreignObject", "a", "iframe"), name
        assert not [a for a in element.attrib if a.rsplit("}", 1)[-1].startswith("on")]
        for key, value in element.attrib.items():
            if key.rsplit("}", 1)[-1] == "href":
                assert value.startswith(("#", "data:image/png;base64,")), value[:80]


def _assert_inert(page: str, *, headings: int, server: _Server) -> _Page:
    """No element, attribute, link or image of a text's making in ``page``, no secret."""
    read = _Page(page)
    for tag, attrs in read.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for a in ("href", "src", "action", "formaction", "xlink:href"):
            value = attrs.get(a, "").strip().lower()
            if value.startswith("#"):  # a heading's own anchor on the page
                continue
            assert not value.startswith(("javascript:", "vbscript:")), (tag, attrs)
            assert "127.0.0.1" not in value, (tag, attrs)
        if tag == "img":  # only the figures, embedded
            assert attrs["src"].startswith("data:image/svg+xml;base64,"), attrs["src"][:80]
            _assert_inert_svg(base64.b64decode(attrs["src"].split(",", 1)[1]))
    assert [t for t, _ in read.tags].count("h1") == headings
    assert SECRET not in page
    assert not server.requests, server.requests
    return read


def _build(folder: Path, scheme: dict, year: int = 2023):
    from evalkit.evaluation import evaluate
    from evalkit.trends import evaluate_trends

    path = _project(folder, scheme)
    s = load_scheme_file(path)
    ev = evaluate(s.name, year, scheme_file=path, data_dir=folder / "data")
    tr = evaluate_trends(s.name, scheme_file=path, data_dir=folder / "data")
    return ev, tr


ATTACKS = ["markup", "file", "url"]


def _attack(attack: str, i: int, folder: Path, port: int) -> str:
    """The text of ``attack`` for the ``i``-th text of the scheme (each a text of its own:
    two labels alike would be two spellings of one code)."""
    if attack == "markup":
        return MARKUP.format(port=port) + f" «k{i}»"
    if attack == "file":
        secret = folder / f"hemmelig{i}.md"
        secret.write_text(f"{SECRET}-{i}", encoding="utf-8")
        return str(secret)
    return f"http://127.0.0.1:{port}/k{i}.md"


@pytest.fixture(scope="module")
def documents(tmp_path_factory, server):
    """The per-year and the trends document of the scheme with one attack in every text at
    once: the texts, both pages as read by :class:`_Page`, and the tables.xlsx sheets."""
    built: dict[str, tuple | Exception] = {}

    def make(attack: str) -> tuple:
        from evalkit import document as doc

        folder = tmp_path_factory.mktemp(attack)
        texts = {key: _attack(attack, i, folder, server.port) for i, key in enumerate(KEYS)}
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(plots, "PNG_DPI", 20)  # drawn in full (mathtext would fail), quickly
            ev, tr = _build(folder, _with_texts(texts))
            pages = [_page(_year_pieces(ev)), _page(_trend_pieces(tr))]
        read = [_assert_inert(page, headings=1, server=server) for page in pages]
        return (texts, *read, doc.tables(ev))

    def get(attack: str) -> tuple:
        if attack not in built:
            try:
                built[attack] = make(attack)
            except Exception as err:  # made once: every test of the attack fails with it
                built[attack] = err
        if isinstance(built[attack], Exception):
            raise built[attack]
        return built[attack]

    return get


#: Texts the documents of this scheme do not show: the short title (the index page's), notes
#: said of synthetic data only (these data are not), the label of a share of a category (each
#: code has its own), a yes/no share's group (drawn in a figure only), the header of the
#: column a list is grouped by (its values head the groups), and the labels of fields that
#: only the defaults this scheme overrides would show.
NOT_SHOWN = {
    "short_title_nb",
    "synthetic_notes_nb[2023]",
    "shares[0].label_nb",
    "shares[1].group",
    "sections[2].show[0].list.columns.county_name",
    *(f"fields.{f}.label_nb" for f in BASE["fields"] if f != "audience"),
}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("key", KEYS, ids=_key_name)
def test_a_text_of_the_scheme_is_text(documents, server, key, attack):
    texts, year, trends, sheets = documents(attack)
    text = texts[key]
    # (_assert_inert: no element, attribute, link or image of the texts' making, one <h1>)
    assert SECRET not in year.text + trends.text
    assert not server.requests
    if attack == "markup" and _key_name(key) not in NOT_SHOWN:
        # the text shows as itself (its line breaks as spaces; some in lower case) in one of
        # the documents
        shown = " ".join(text.split()).lower()
        assert shown in (year.text + trends.text).lower(), _key_name(key)
    if attack == "markup":  # tables.xlsx holds text, not HTML
        for sheet in sheets:
            words = " ".join(
                [sheet.name, sheet.title or "", *sheet.notes, *map(str, sheet.frame.columns)]
            )
            assert "&lt;" not in words and "&lpar;" not in words, sheet.name


# --- placeholders are names -------------------------------------------------------------------
HIDDEN = "EVALKIT_TEST_HIDDEN"
#: Placeholders that are not a name and a known format: Python internals (an environment
#: variable), a 500 MB string, a conversion, an attribute, a nested format, no name.
PLACEHOLDERS = {
    "globals": f"{{most.__init__.__globals__[re].enum.sys.modules[os].environ[{HIDDEN}]}}",
    "width": "{n_projects:>500000000}",
    "conversion": "{n_projects!r}",
    "attribute": "{by_county[0].county_name}",
    "nested": "{n_projects:{year}}",
    "fill": "{n_projects:_^9}",
    "empty": "{}",
    "numbered": "{0}",
}


def test_the_placeholder_attacks_are_real(monkeypatch):
    """``str.format`` (which the summary used) reads the environment through an object of
    evalkit.document.text and pads to any width."""
    monkeypatch.setenv(HIDDEN, "geheim-verdi")
    formatter = string.Formatter()
    assert formatter.format(PLACEHOLDERS["globals"], most=SummaryFormatter({})) == "geheim-verdi"
    assert len(formatter.format("{n_projects:>5000}", n_projects=7)) == 5000


def _summary_with(where: str, placeholder: str) -> dict:
    """The scheme with ``placeholder`` in the summary text ``where`` names."""
    doc = copy.deepcopy(BASE)
    summary = doc["summary"]
    if where == "summary[0]":
        summary[0] = f"I {{year}} {placeholder}."
    elif where == "summary[1].text":
        summary[1]["text"] = f"Flest i {placeholder}."
    elif where == "summary[1].otherwise":
        summary[1]["otherwise"] = f"Flest i {placeholder}."
    elif where == "summary[1].if":
        summary[1]["if"] = placeholder.strip("{}")
    elif where == "summary[2].item":
        summary[2]["item"] = f"{{county_name}} {placeholder}"
    else:
        summary[2]["text"] = f"Fylkene: {{items}} {placeholder}."
    return doc


@pytest.mark.parametrize("attack", list(PLACEHOLDERS))
@pytest.mark.parametrize(
    "where",
    [
        "summary[0]",
        "summary[1].text",
        "summary[1].otherwise",
        "summary[1].if",
        "summary[2].item",
        "summary[2].text",
    ],
)
def test_a_placeholder_that_is_no_name_is_refused_at_load(tmp_path, monkeypatch, where, attack):
    monkeypatch.setenv(HIDDEN, "geheim-verdi")
    path = tmp_path / "aktivitet.yaml"
    path.write_text(yaml.safe_dump(_summary_with(where, PLACEHOLDERS[attack]), allow_unicode=True))
    with pytest.raises(EvalkitError) as err:
        load_scheme_file(path)
    message = str(err.value)
    assert f"{where}: " in message, message  # the key path
    assert "To fix: write a placeholder as {key} or {key[sub][sub]}" in message
    assert "geheim-verdi" not in message and str(path) in message


def test_the_text_of_a_sentence_over_a_list_names_only_count_and_items(tmp_path):
    path = tmp_path / "aktivitet.yaml"
    path.write_text(yaml.safe_dump(_summary_with("summary[2].text", "{year}"), allow_unicode=True))
    with pytest.raises(EvalkitError, match=r"summary\[2\]\.text: \{year\}: this text names only"):
        load_scheme_file(path)


@pytest.mark.parametrize("attack", list(PLACEHOLDERS))
def test_the_formatter_refuses_them_too(monkeypatch, attack):
    """Defence in depth: a sentence that did not come through the loader is refused when it is
    filled in, without building anything (the 500 MB string) or reading anything."""
    import tracemalloc

    monkeypatch.setenv(HIDDEN, "geheim-verdi")
    county = {"county_code": "03", "county_name": "Oslo", "n_projects": 7}
    formatter = SummaryFormatter({"year": 2023, "n_projects": 7, "by_county": [county]})
    tracemalloc.start()
    try:
        with pytest.raises(EvalkitError, match="cannot be filled in") as err:
            formatter.format(f"I {{year}} {PLACEHOLDERS[attack]}.")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert "geheim-verdi" not in str(err.value)


def test_names_and_known_formats_still_fill_in():
    """What a summary may say: values by key path, counties, lists, every known format."""
    m = {
        "year": 2023,
        "n_projects": 1234,
        "grant_total_nok": 81_600_000,
        "shares": {"a.b": {"share": 0.9174, "keys": ["a.b"]}},
        "by_round": [{"round": 1}, {"round": 2}],
        "by_county": [
            {"county_code": "03", "county_name": "Oslo <Øst>", "n_projects": 9},
            {"county_code": "11", "county_name": "Rogaland", "n_projects": 2},
        ],
    }
    f = SummaryFormatter(m, {"a.b": {"label_nb": "Barn [og] unge"}})
    nb = "\u00a0"
    assert f.format("{n_projects:int} {grant_total_nok:mill}") == f"1{nb}234 81,6{nb}millioner"
    assert f.format("{shares[a.b][share]:prosent}") == f"91,7{nb}prosent"
    assert f.format("{shares[a.b][share]:pct0} {by_round[1][round]}") == "92 2"
    # text from the data or the YAML escaped, as everywhere
    assert f.format("{most[n_projects]}") == "Oslo &lt;Øst&gt;"
    assert f.format("{shares[a.b][keys]:labels}") == "barn &lbrack;og&rbrack; unge"
    assert f.format("<b>{{ja}}</b>") == "&lt;b&gt;{ja}&lt;/b&gt;"


def test_a_label_in_a_sentence_of_the_default_summary_is_text(tmp_path):
    """A YAML without ``summary`` gets sentences written around its labels: a brace in a
    label is text there, not a placeholder."""
    from html import unescape

    from evalkit.document.text import summary

    doc = copy.deepcopy(BASE)
    del doc["summary"]
    doc["shares"][1]["label_nb"] = "{most.__init__.__globals__} med frivillige"
    doc["fields"]["grant_nok"]["label_nb"] = "{n_projects:>500000000}"
    scheme = load_scheme_file(_project(tmp_path, doc))
    share = {"count": 4, "n": 7, "missing": 0, "share": 4 / 7}
    m = {"year": 2023, "n_projects": 7, "n_counties": 3, "grant_total_nok": 710_000,
         "shares": {"volunteers": share}, "by_county": []}  # fmt: skip
    said = unescape(summary(m, scheme))
    nb = "\u00a0"
    assert f"{{n_projects:>500000000}} i alt: 710{nb}000{nb}kr." in said
    assert (
        f"{{most.__init__.__globals__}} med frivillige: 4 av de 7 prosjektene (57,1{nb}prosent)."
        in said
    )


# --- figures: no mathtext ---------------------------------------------------------------------
def test_a_label_with_dollars_is_drawn_as_text():
    """«$x^$» raises in matplotlib's mathtext (test_the_attacks_are_real); every figure draws
    it as text."""
    import io

    label = "$x^$ og $\\frac{a}{$"
    shares = pd.DataFrame(
        {"label": [label], "share": [0.5], "ci_low": [0.4], "ci_high": [0.6], "n": [10]}
    )
    counties = pd.DataFrame({"county_name": [label, "Oslo"], "n": [3, 4]})
    forest = pd.DataFrame(
        {"label": [label], "group": [label], "diff": [0.1], "diff_ci_low": [0.0],
         "diff_ci_high": [0.2], "p_value": [0.04], "p_adjusted": [0.04], "holds_after_holm": [True]}
    )  # fmt: skip
    trend = pd.DataFrame(
        {"year": [2022, 2023], "label": [label] * 2, "share": [0.4, 0.5], "ci_low": [0.3] * 2,
         "ci_high": [0.6] * 2}
    )  # fmt: skip
    figures = [
        plots.shares_with_ci(shares, xlabel=label, title=label),
        plots.bar_by_county(counties, "n", xlabel=label, title=label),
        plots.forest(forest, year=2023, title=label),
        plots.trend(trend, title=label, ylabel=label),
    ]
    for fig in figures:
        fig.savefig(io.BytesIO(), format="png", dpi=20)
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        assert any("$x^$" in t for t in texts)


# --- the print stylesheet ---------------------------------------------------------------------
def _rules(css: str) -> list[tuple[str, str]]:
    import tinycss2

    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    return [(r.type, tinycss2.serialize(r.prelude).strip()) for r in rules]


def _running_title(css: str) -> str:
    """The string of ``@top-left { content: … }`` in the first ``@page`` rule, by tinycss2."""
    import tinycss2

    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    page = next(
        r
        for r in rules
        if r.type == "at-rule"
        and r.lower_at_keyword == "page"
        and not tinycss2.serialize(r.prelude).strip()
    )
    inner = tinycss2.parse_blocks_contents(page.content, skip_whitespace=True, skip_comments=True)
    top = next(r for r in inner if r.type == "at-rule" and r.lower_at_keyword == "top-left")
    decls = tinycss2.parse_blocks_contents(top.content, skip_whitespace=True, skip_comments=True)
    content = next(d for d in decls if d.type == "declaration" and d.lower_name == "content")
    tokens = [t for t in content.value if t.type != "whitespace"]
    assert [t.type for t in tokens] == ["string"], tokens
    return tokens[0].value


TITLES = [
    "</style><h1>Kapret</h1>",
    'Tittel"; } table { display: none } @page { x: "',
    "Tittel\f table { display: none } \r slutt",
    "Tittel\\\n} table { display: none }",
    "Tittel </STYLE ><script>alert(1)</script>",
]


@pytest.mark.parametrize("title", TITLES)
def test_the_title_is_one_css_string_in_the_print_stylesheet(title):
    from evalkit.document import pdf

    page = "<!DOCTYPE html><html><head><title>T</title></head><body><main></main></body></html>"
    printed = pdf.print_html(page, title)
    harmless = pdf.print_html(page, "Tittel")
    # one <style> element, ending where evalkit's ends, and nothing of the title's making
    assert printed.lower().count("</style") == harmless.lower().count("</style") == 1
    read = _Page(printed)
    assert [t for t, _ in read.tags] == [t for t, _ in _Page(harmless).tags]
    css = printed.split('media="print">', 1)[1].split("</style>", 1)[0]
    plain_css = harmless.split('media="print">', 1)[1].split("</style>", 1)[0]
    assert _rules(css) == _rules(plain_css)  # the same rules, no more
    # and the running header holds the title (control characters as spaces)
    expected = "".join(" " if ord(c) < 0x20 else c for c in title)
    assert _running_title(css) == expected


# --- one build with every attack at once ------------------------------------------------------
@pytest.mark.slow
def test_a_document_of_a_hostile_scheme(tmp_path, server):
    """`evalkit report --scheme-file` with every attack at once, PDF included: report.html
    holds nothing of the texts' making, report.pdf keeps its stylesheet (the tables are
    printed, no CSS on page 1, no heading of the title's making) and tables.xlsx holds text."""
    import openpyxl
    from pypdf import PdfReader

    secret = tmp_path / "hemmelig.md"
    secret.write_text(SECRET, encoding="utf-8")
    title = "Tilskudd </style><h1>Kapret</h1>\f table { display: none } \r slutt"
    texts = {
        ("title_nb",): title,
        ("background_nb",): str(secret),
        ("sections", 0, "text_nb"): f"http://127.0.0.1:{server.port}/x.md",
        ("summary", 0): "<img src=x onerror=alert(1)> I {year} var det {n_projects:int} tiltak.",
        ("shares", 1, "label_nb"): "[klikk](javascript:alert(1)) Med frivillige",
        ("county_table", "title_nb"): f"![](http://127.0.0.1:{server.port}/b.png) Per fylke",
        ("county_table", "figures", "count_label_nb"): "Antall $x^$ prosjekter",
    }
    scheme = _with_texts({k: v for k, v in texts.items() if k != ("summary", 0)})
    scheme["summary"][0] = texts[("summary", 0)]  # its placeholders are placeholders
    path = _project(tmp_path, scheme)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "evalkit", "report", "--scheme-file", str(path), "2023",
         "--data-dir", "data", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    folder = out / "aktivitet" / "2023"
    nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"]  # no glyph or layout warning
    page = _assert_inert((folder / "report.html").read_text(encoding="utf-8"), headings=1,
                         server=server)  # fmt: skip
    heading = "Tilskudd </style><h1>Kapret</h1> table { display: none } slutt 2023"
    for shown in (heading, str(secret), "<img src=x onerror=alert(1)> I 2023 var det 7 tiltak",
                  "[klikk](javascript:alert(1)) Med frivillige", "![](http://127.0.0.1:"):  # fmt: skip
        assert shown in page.text, shown

    reader = PdfReader(folder / "report.pdf")
    assert " ".join(reader.metadata.title.split()) == heading
    words = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "bookmark-level" not in words and "@page" not in words  # no CSS as text
    assert "Fylke Prosjekter" in words and "I alt 7" in words  # the tables are printed
    assert "Kapret" not in [o.title for o in reader.outline if not isinstance(o, list)]
    assert SECRET not in words
    links = [
        str(a.get_object().get("/A", {}).get("/URI", ""))
        for p in reader.pages
        for a in p.get("/Annots") or []
    ]
    assert not [u for u in links if not u.startswith("#") and u], links  # no link of a text

    book = openpyxl.load_workbook(folder / "tables.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(
        f"![](http://127.0.0.1:{server.port}/b.png) Per fylke" in str(c.value) for c in cells
    )
    assert not [c for c in cells if "&lt;" in str(c.value) or "&lpar;" in str(c.value)]
