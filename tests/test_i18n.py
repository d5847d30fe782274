"""Languages: the catalog API (evalkit.i18n), the formats by locale, the scheme texts per
language (evalkit.config), ``lang`` of evaluate/evaluate_trends, the notebooks' headings.
Every expected string is written by hand here."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po, write_po
from conftest import DEMO_PDFS_USERS

from evalkit import flags, formats, i18n
from evalkit.config import load_scheme_file, scheme_text, text_fallbacks
from evalkit.errors import EvalkitError
from evalkit.i18n import language, t, tn

NB = "\u00a0"
ROOT = Path(__file__).resolve().parent.parent


# --- the API ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "summary", "one", "three"),
    [
        ("nb", "Sammendrag", "1 fylke", "3 fylker"),
        ("nn", "Samandrag", "1 fylke", "3 fylke"),
        ("en", "Summary", "1 county", "3 counties"),
    ],
)
def test_t_and_tn_in_each_language(lang, summary, one, three):
    with language(lang):
        assert i18n.current_language() == lang
        assert t("year.heading.summary") == summary
        assert tn("formats.counties", 1) == one
        assert tn("formats.counties", 3) == three
    assert i18n.current_language() == "nb"


def test_placeholders_are_filled_by_name():
    with language("en"):
        assert t("index.made", created="6.12.2026", version="1.0") == (
            "Overview made 6.12.2026 with evalkit 1.0."
        )
    with pytest.raises(i18n.MissingMessage, match=r"\{version\}"):
        t("index.made", created="x")


def test_the_language_and_its_locale():
    assert i18n.LOCALES == {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}
    with language("nn"):
        assert i18n.current_locale() == "nn_NO"
        with language("en"):
            assert i18n.current_locale() == "en_GB"
        assert i18n.current_language() == "nn"


def test_an_unknown_language_names_the_value_and_the_choices():
    with pytest.raises(EvalkitError, match=r"'de'.*nb, nn, en"):
        i18n.set_language("de")
    assert i18n.current_language() == "nb"


def test_a_key_unknown_to_bokmal_always_raises():
    with pytest.raises(i18n.MissingMessage, match="no.such.key"):
        t("no.such.key")


@pytest.fixture
def nn_without_summary(tmp_path, monkeypatch):
    """The catalogs with the nynorsk «year.heading.summary» left untranslated."""
    target = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, target)
    path = i18n.catalog_path("nn", target)
    with path.open("rb") as fh:
        cat = read_po(fh)
    cat.get("year.heading.summary").string = ""
    with path.open("wb") as fh:
        write_po(fh, cat)
    monkeypatch.setattr(i18n, "LOCALE_DIR", target)
    i18n.reload_catalogs()
    yield
    monkeypatch.undo()
    i18n.reload_catalogs()


def test_a_missing_translation_raises_in_strict_mode(nn_without_summary, monkeypatch):
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with language("nn"), pytest.raises(i18n.MissingMessage, match=r"year.heading.summary.*nn"):
        t("year.heading.summary")


def test_a_missing_translation_falls_back_to_bokmal_with_a_warning_at_run_time(
    nn_without_summary, monkeypatch, caplog
):
    monkeypatch.setenv(i18n.STRICT_ENV, "0")
    with language("nn"), caplog.at_level(logging.WARNING, logger="evalkit.i18n"):
        assert t("year.heading.summary") == "Sammendrag"
        assert t("year.heading.summary") == "Sammendrag"
        assert t("year.heading.results") == "Resultat"  # the rest is still nynorsk
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1  # once per key and language
    assert "'year.heading.summary' has no nn translation" in warned[0]


# --- the formats by locale ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "pct", "big", "nok", "mill", "prosent", "pp", "joined"),
    [
        ("nb", f"91,7{NB}%", f"20{NB}000{NB}000", f"20{NB}000{NB}000{NB}kr",
         f"81,6{NB}millioner", f"91,7{NB}prosent", f"−3,2{NB}p.p.", "a, b og c"),
        ("nn", f"91,7{NB}%", f"20{NB}000{NB}000", f"20{NB}000{NB}000{NB}kr",
         f"81,6{NB}millionar", f"91,7{NB}prosent", f"−3,2{NB}p.p.", "a, b og c"),
        ("en", "91.7%", "20,000,000", f"NOK{NB}20,000,000",
         f"81.6{NB}million", f"91.7{NB}per cent", f"-3.2{NB}pp", "a, b and c"),
    ],
)  # fmt: skip
def test_formats_follow_the_current_language(lang, pct, big, nok, mill, prosent, pp, joined):
    with language(lang):
        assert formats.fmt_pct(0.9174) == pct
        assert formats.fmt_int(20_000_000) == big
        assert formats.fmt_nok(20_000_000) == nok
        assert formats.fmt_mill(81_600_000) == mill
        assert formats.fmt_prosent(0.9174) == prosent
        assert formats.fmt_pp(-0.032) == pp
        assert formats.join_list(["a", "b", "c"]) == joined
        assert formats.join_list(["a"]) == "a"


def test_english_writes_nok_20_million_as_the_spec_says():
    with language("en"):
        assert f"NOK {formats.fmt_mill(20_000_000)}" == f"NOK 20{NB}million"
        assert formats.fmt_mill(1_000_000) == f"1{NB}million"
    assert formats.fmt_mill(1_000_000) == f"1{NB}million"
    assert formats.fmt_mill(2_000_000) == f"2{NB}millioner"


def test_a_locale_given_writes_its_own_words():
    assert formats.fmt_prosent(0.5, locale="en_GB") == f"50.0{NB}per cent"
    assert formats.fmt_pct(0.5, locale="nb_NO") == f"50,0{NB}%"


@pytest.mark.parametrize(
    ("lang", "units", "the", "one", "of"),
    [
        ("nb", "15 prosjekter", "de 15 prosjektene", "det ene prosjektet",
         "av de 131 prosjektene som svarte"),
        ("nn", "15 prosjekt", "dei 15 prosjekta", "det eine prosjektet",
         "av dei 131 prosjekta som svara"),
        ("en", "15 projects", "the 15 projects", "the one project",
         "of the 131 projects that answered"),
    ],
)  # fmt: skip
def test_counts_of_rows_in_words(lang, units, the, one, of):
    with language(lang):
        assert formats.units(15, "project") == units
        assert formats.the_units(15, "project") == the
        assert formats.the_units(1, "project") == one
        assert formats.denominator(131, 1, "project") == (of, True)
        assert formats.SUMMARY_FORMATS["municipalities"](1) == {
            "nb": "1 kommune", "nn": "1 kommune", "en": "1 municipality"
        }[lang]  # fmt: skip


def test_flag_words_in_each_language():
    assert flags.problem_text("unknown_county") == "Ukjent fylke"
    with language("nn"):
        assert flags.problem_text("header_not_first_row") == "Overskriftsrada er ikkje første rad"
        assert flags.action_text("excluded") == "Halde utanfor"
    with language("en"):
        assert flags.problem_text("unknown_county") == "Unknown county"
        assert flags.problem_text("not_a_code") == "not_a_code"


# --- scheme texts per language ------------------------------------------------------------------
SCHEME = """\
scheme: aktivitet
title_nb: Tilskudd til aktivitetstiltak
title_en: Grants for activity schemes
short_title_nb: Aktivitetstiltak
languages: [nb, nn, en]
unit: project
id_field: case_id
first_year: 2020
layouts:
  v1:
    headers: {Saksnummer: case_id, Fylke: county, Beløp: grant_nok, Frivillige med: volunteers}
fields:
  case_id: {type: id, required: true, label_nb: Saksnummer}
  county: {type: county, required: true, label_nb: Fylke, label_nn: Fylke, label_en: County}
  grant_nok: {type: amount, required: true, label_nb: Tildelt beløp, label_en: Amount granted}
  volunteers: {type: yesno, label_nb: Frivillige med, label_nn: Friviljuge med}
shares:
  - {field: volunteers, kind: yesno, group: frivillige, label_nb: Tiltak med frivillige,
     label_nn: Tiltak med friviljuge, label_en: Schemes with volunteers}
notes_nb: {2022: Merknad om 2022., 2023: Merknad om 2023.}
notes_en: {2022: A note on 2022.}
"""


def _scheme(tmp_path, text=SCHEME, **changes):
    data = yaml.safe_load(text)
    data.update(changes)
    path = tmp_path / "aktivitet.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_scheme_file(path)


def test_texts_per_language_fall_back_to_bokmal(tmp_path):
    scheme = _scheme(tmp_path)
    assert scheme.languages == ("nb", "nn", "en")
    assert scheme_text(scheme, "title", "en") == "Grants for activity schemes"
    assert scheme_text(scheme, "title", "nn") == "Tilskudd til aktivitetstiltak"  # fallback
    assert scheme.fields["volunteers"].label_nn == "Friviljuge med"
    with language("en"):
        assert scheme_text(scheme.fields["grant_nok"], "label") == "Amount granted"
        assert scheme_text(scheme.doc, "notes") == {
            2022: "A note on 2022.",
            2023: "Merknad om 2023.",
        }
    fallbacks = text_fallbacks(scheme, "en")
    assert "short_title_en" in fallbacks
    assert "fields.case_id.label_en" in fallbacks
    assert "fields.volunteers.label_en" in fallbacks
    assert "notes_en.2023" in fallbacks and "notes_en.2022" not in fallbacks
    assert "fields.grant_nok.label_en" not in fallbacks
    assert "title_en" not in fallbacks
    assert text_fallbacks(scheme, "nb") == []


def test_the_defaults_are_written_in_every_language(tmp_path):
    doc = _scheme(tmp_path).doc
    assert (doc.county_table.title_nb, doc.county_table.title_nn, doc.county_table.title_en) == (
        "Prosjekter per fylke", "Prosjekt per fylke", "Projects per county"
    )  # fmt: skip
    first = doc.key_figures[0]
    assert (first.label_nb, first.label_nn, first.label_en) == ("Fylker", "Fylke", "Counties")
    figures = doc.county_table.figures
    assert figures.count_label_nn == "Talet på prosjekt"
    assert figures.count_label_en == "Number of projects"
    amount_total = next(k for k in doc.key_figures if k.format == "nok")
    assert amount_total.label_en == "Amount granted, total"
    assert amount_total.label_nn == "Tildelt beløp i alt"  # the field's label falls back
    assert doc.summary[0] == "I {year} omfatter dataene {n_projects:units} i {n_counties:counties}."
    assert (
        doc.summary_en[0] == "In {year} the data cover {n_projects:units} in {n_counties:counties}."
    )
    assert doc.summary_nn[-1] == (
        "Tiltak med friviljuge: {shares[volunteers][count]:int} {shares[volunteers]:of} "
        "({shares[volunteers][share]:prosent})."
    )
    assert [s.title_en for s in doc.sections] == [
        "Counties", "Schemes with volunteers", "Amounts", "Differences between counties"
    ]  # fmt: skip
    assert doc.source_nn == "innrapporterte data" and doc.source_en == "reported data"
    # the generated defaults are not fallbacks
    assert not [k for k in text_fallbacks(_scheme(tmp_path), "en") if "sections" in k]


def _with_list(**headers):
    """The test scheme with a section listing the rows: county, amount (bokmål headers), and
    ``headers`` (``columns_nn=…``, ``columns_en=…``) beside them."""
    columns = {"county_name": "Fylke", "grant_nok": "Tildelt (kr)"}
    return {"sections": [{"title_nb": "Liste", "show": [{"list": {
        "title_nb": "Alle tiltak", "columns": columns, **headers}}]}]}  # fmt: skip


def test_a_lists_column_headers_per_language_fall_back_column_by_column(tmp_path):
    scheme = _scheme(tmp_path, **_with_list(columns_en={"county_name": "County"}))
    spec = scheme.doc.sections[0].show[0].list
    assert scheme_text(spec, "columns", "en") == {
        "county_name": "County",
        "grant_nok": "Tildelt (kr)",
    }
    assert scheme_text(spec, "columns", "nb") == {
        "county_name": "Fylke",
        "grant_nok": "Tildelt (kr)",
    }
    assert scheme_text(spec, "columns", "nn") == {
        "county_name": "Fylke",
        "grant_nok": "Tildelt (kr)",
    }
    en = text_fallbacks(scheme, "en")
    assert "sections[0].show[0].list.columns_en.grant_nok" in en
    assert "sections[0].show[0].list.columns_en.county_name" not in en
    nn = [k for k in text_fallbacks(scheme, "nn") if ".list.columns" in k]
    assert nn == [
        "sections[0].show[0].list.columns_nn.county_name",
        "sections[0].show[0].list.columns_nn.grant_nok",
    ]


def test_a_lists_header_for_a_column_it_does_not_have_is_refused(tmp_path):
    with pytest.raises(EvalkitError, match=r"columns_nn\.fylke.*'fylke'.*language nn"):
        _scheme(tmp_path, **_with_list(columns_nn={"fylke": "Fylke"}))


def test_a_translated_summary_with_other_placeholders_is_refused(tmp_path):
    with pytest.raises(EvalkitError, match=r"summary_en\[0\].*\{n_counties:int\}.*language en"):
        _scheme(
            tmp_path,
            summary=["I {year} var det {n_projects:int} prosjekter."],
            summary_en=["In {year} there were {n_counties:int} projects."],
        )
    with pytest.raises(EvalkitError, match=r"summary_nn.*1 sentence"):
        _scheme(tmp_path, summary=["A {year}.", "B."], summary_nn=["A {year}."])
    # a bokmål sentence with an `otherwise:` translated as a plain sentence
    with pytest.raises(EvalkitError, match=r"summary_nn\[0\]: its otherwise placeholders"):
        _scheme(
            tmp_path,
            summary=[{"text": "Flest i {most[n_projects]}.", "otherwise": "I alt {year}."}],
            summary_nn=["Flest i {most[n_projects]}."],
        )


def test_a_translated_text_with_other_placeholders_is_refused(tmp_path):
    data = yaml.safe_load(SCHEME)
    data["background_nb"] = "Ordningen startet i {year}."
    data["background_nn"] = "Ordninga starta i {aar}."
    with pytest.raises(EvalkitError, match=r"background_nn.*aar.*year.*language nn"):
        _scheme(tmp_path, **data)


@pytest.mark.parametrize(
    ("languages", "says"), [(["nb", "de"], "languages"), (["nb", "nb"], "each language once")]
)
def test_the_languages_of_a_scheme_are_checked(tmp_path, languages, says):
    with pytest.raises(EvalkitError, match=says):
        _scheme(tmp_path, languages=languages)


def test_an_unknown_translation_key_is_refused(tmp_path):
    with pytest.raises(EvalkitError, match="title_de"):
        _scheme(tmp_path, title_de="Zuschüsse")


def test_a_scheme_without_languages_is_bokmal_only(tmp_path):
    data = yaml.safe_load(SCHEME)
    del data["languages"]
    path = tmp_path / "aktivitet.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_scheme_file(path).languages == ("nb",)


# --- the document's language --------------------------------------------------------------------
def test_evaluate_refuses_an_unknown_language_before_reading_anything():
    from evalkit.evaluation import evaluate
    from evalkit.trends import evaluate_trends

    with pytest.raises(EvalkitError, match=r"lang='se'.*nb, nn, en"):
        evaluate("frisklivs_lms", 2023, lang="se")
    with pytest.raises(EvalkitError, match=r"lang='EN'"):
        evaluate_trends("frisklivs_lms", lang="EN")


def test_the_notebooks_take_lang_and_show_headings_from_the_catalog():
    from evalkit.config import load_scheme
    from evalkit.document.notebook import notebook_text

    line = 'lang: str = "nb"  # nb, nn or en: the document\'s language\n'
    for text in (
        (ROOT / "notebooks" / "year.py").read_text(encoding="utf-8"),
        (ROOT / "notebooks" / "trends.py").read_text(encoding="utf-8"),
        notebook_text(load_scheme("frisklivs_lms"), 2023),
    ):
        cache_line = next(x for x in text.splitlines(keepends=True) if x.startswith("cache_dir:"))
        assert cache_line + line in text
        assert "    lang=lang,\n" in text
        assert "# ## " not in text  # no heading written in a language
        assert 'doc.heading("' in text


def test_doc_heading_in_the_current_language():
    from evalkit import document as doc

    with language("nn"):
        assert doc.heading("year.heading.comparison").data == "## Samanlikning med tidlegare år"
    with language("en"):
        assert doc.heading("year.heading.quality", 3).data == "### Appendix: data quality"


def test_export_html_declares_the_notebooks_language():
    """report.html's <html lang> and the template's words follow the notebook's ``lang``
    parameter as papermill recorded it; a heading shown by doc.heading is in the contents."""
    import nbformat

    from evalkit import document as doc
    from evalkit.document.html import export_html

    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"lang": "nn"}}
    cells = []
    for key in ("year.heading.summary", "year.heading.results"):
        with language("nn"):
            shown = doc.heading(key)
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": shown.data})]
        cells.append(cell)
    nb.cells = cells
    page = export_html(nb, "Tittel")
    assert '<html lang="nn">' in page
    assert ">Innhald</h2>" in page
    assert '<a href="#Resultat">Resultat</a>' in page
    assert i18n.current_language() == "nb"  # the export's language is not left behind
    assert '<html lang="en">' in export_html(nb, "Title", lang="en")


@pytest.mark.slow
@DEMO_PDFS_USERS
def test_a_nynorsk_document_declares_nn_in_html_and_pdf(demo_pdfs):
    """A document built with lang="nn" (the notebook run by the runner, with its PDF: the
    ``demo_pdfs`` of tests/conftest.py) is nynorsk: <html lang="nn">, the PDF's /Lang nn, the
    headings and the contents from the nn catalog."""
    import pypdf

    folder = demo_pdfs / "frisklivs_lms" / "nn" / "2023"  # nynorsk beside the bokmål folders
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nn">' in page
    for heading in ("Samandrag", "Bakgrunn, føremål og metode", "Samanlikning med tidlegare år"):
        assert f">{heading}<" in page
    assert ">Innhald</h2>" in page and "Sammendrag" not in page
    reader = pypdf.PdfReader(folder / "report.pdf")
    assert reader.trailer["/Root"]["/Lang"] == "nn"


def test_a_with_block_holds_for_its_own_thread_only():
    """The runner exports documents in threads side by side: one thread's language block does
    not change another's (nor the language set for the kernel)."""
    import threading

    seen = {}
    inside, release = threading.Event(), threading.Event()

    def nynorsk():
        with language("nn"):
            inside.set()
            release.wait(5)
            seen["nn"] = t("year.heading.summary")

    worker = threading.Thread(target=nynorsk)
    worker.start()
    inside.wait(5)
    with language("en"):
        seen["en"] = t("year.heading.summary")
    seen["kernel"] = t("year.heading.summary")
    release.set()
    worker.join(5)
    assert seen == {"nn": "Samandrag", "en": "Summary", "kernel": "Sammendrag"}


def test_set_language_inside_a_block_holds_until_the_block_ends():
    try:
        with language("en"):
            i18n.set_language("nn")
            assert i18n.current_language() == "nn"
        assert i18n.current_language() == "nn"  # set for the kernel
    finally:
        i18n.set_language("nb")


@pytest.mark.parametrize(
    ("lang", "label", "source"),
    [
        ("nb", "Tabell 3", "Kilde: data 2023; beregninger: evalkit."),
        ("nn", "Tabell 3", "Kjelde: data 2023; utrekningar: evalkit."),
        ("en", "Table 3", "Source: data 2023; calculations: evalkit."),
    ],
)
def test_a_tables_caption_source_and_sheet_name_are_in_the_current_language(lang, label, source):
    import pandas as pd

    from evalkit.document.numbered import Figure, Table, source_line

    frame = pd.DataFrame({"Fylke": ["Oslo"], "Prosjekter": ["3"]})
    with language(lang):
        table = Table("x", "Prosjekter 2023", frame, frame, number=3)
        table.source = source_line("data", "2023", synthetic=False)
        sheet = table.sheet()
        figure = Figure("y", "Prosjekter", None, "alt", number=2)
        assert figure.label == {"en": "Figure 2"}.get(lang, "Figur 2")
        assert table.caption == f"{label}. Prosjekter 2023"
    assert table.source == source
    assert sheet.name == sheet.title == f"{label}. Prosjekter 2023"
    # without the line's «Kilde: »: the workbook's writer puts its own first
    assert sheet.source == source.split(": ", 1)[1]


@pytest.mark.parametrize(
    ("lang", "css"),
    [
        ("nb", '"side " counter(page) " av " counter(pages)'),
        ("nn", '"side " counter(page) " av " counter(pages)'),
        ("en", '"page " counter(page) " of " counter(pages)'),
    ],
)
def test_the_pdf_footer_is_in_the_pages_language(lang, css):
    from evalkit.document.pdf import page_of_css, print_html

    page = f'<!DOCTYPE html><html lang="{lang}"><head><title>T</title></head><body></body></html>'
    assert page_of_css(lang) == css
    assert f"@bottom-right {{ content: {css};" in print_html(page, "T")
