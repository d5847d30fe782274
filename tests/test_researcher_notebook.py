"""The researcher's notebook (issue 17): own figures and tables as numbered pieces, numbers
taken in the order shown, tables.xlsx as the document shows it, small counts hidden in every
table, every piece a cell (``evalkit notebook``), and what a reader saw fixed (contents with
page numbers in the PDF, no stray return values, Norwegian data-quality words).

The unit tests run in seconds; the end-to-end test (marked slow) writes a notebook with
``evalkit notebook frisklivs_lms``, edits it as a researcher would and builds 2023."""

from __future__ import annotations

import html as htmllib
import json
import logging
import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

from evalkit import document as doc
from evalkit.cli import main
from evalkit.document import counters, numbered, plots
from evalkit.document.html import export_html, is_plot_repr
from evalkit.errors import EvalkitError
from evalkit.evaluation import evaluate
from evalkit.flags import ACTION_WORDS, ACTIONS, PROBLEM_WORDS

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def ev():
    return evaluate("frisklivs_lms", 2023, data_dir=DEMO)


def _fresh(ev):
    """The evaluation as a new document: nothing shown, no numbers taken."""
    ev.__dict__.pop("_evalkit_numbering", None)
    counters.use(ev)
    return ev


def _show(*items) -> list[str]:
    """Show the items as a notebook does (IPython's display formatter) and return the
    captions' labels («Tabell 1», «Figur 1») in the order shown."""
    formatter = DisplayFormatter()
    labels = []
    for item in items:
        formatter.format(item)
        labels.append(item.label)
    return labels


# --- numbers in the order shown --------------------------------------------------------------
def test_numbers_follow_the_order_shown_whatever_is_dropped_moved_or_added(ev):
    ev = _fresh(ev)
    # the built-in order is fylker (table), fylker_antall, fylker_belop (figures),
    # andeler_malgruppe, andeler_tilbud (tables); drop fylker_antall, move andeler_tilbud
    # before andeler_malgruppe, add a figure of one's own after fylker_belop
    fig, ax = plt.subplots()
    ax.bar(["Agder", "Oslo"], [3, 4])
    own = doc.figure(fig, title="Min figur", alt="To stolper: Agder 3, Oslo 4.")
    made_not_shown = doc.piece(ev, "fylker_antall")
    shown = _show(
        doc.piece(ev, "fylker"),
        doc.piece(ev, "fylker_belop"),
        own,
        doc.piece(ev, "andeler_tilbud"),
        doc.piece(ev, "andeler_malgruppe"),
    )
    assert shown == ["Tabell 1", "Figur 1", "Figur 2", "Tabell 2", "Tabell 3"]
    assert made_not_shown.number is None
    # tables.xlsx: the tables shown, in their order, with their numbers
    sheets = doc.tables(ev)
    assert [s.title for s in sheets] == [
        "Tabell 1. Prosjekter, kommuner og tilskudd per fylke 2023",
        "Tabell 2. Type tilbud 2023",
        "Tabell 3. Målgruppe 2023",
    ]
    assert [s.name for s in sheets][1] == "Tabell 2. Type tilbud 2023"
    # shown again (a cell run twice): the same number, one sheet
    assert _show(doc.piece(ev, "andeler_tilbud")) == ["Tabell 2"]
    assert len(doc.tables(ev)) == 3


def test_a_text_that_refers_to_a_piece_reserves_its_number(ev, capsys):
    ev = _fresh(ev)
    assert _show(doc.piece(ev, "fylker")) == ["Tabell 1"]
    intro = doc.comparison_intro(ev)  # «Figur 1 og tabell 2 viser …»
    assert "Figur 1" in intro.data and "tabell 2" in intro.data.lower()
    assert _show(doc.key_figures(ev)) == ["Tabell 3"]  # shown in between: the next number
    assert _show(doc.comparison_table(ev), doc.comparison_figure(ev)) == ["Tabell 2", "Figur 1"]
    assert doc.numbering(ev).referred_not_shown() == []


def test_save_writes_the_tables_shown_and_names_a_reference_never_shown(ev, tmp_path, capsys):
    from openpyxl import load_workbook

    ev = _fresh(ev)
    doc.quality_summary(ev)  # refers to the data-quality table, never shown here
    frame = pd.DataFrame({"Fylke": ["Agder", "Oslo"], "Prosjekter": [10, 12]})
    _show(doc.table(frame, title="Egen tabell"), doc.piece(ev, "belop"))
    doc.save(ev, str(tmp_path))
    wb = load_workbook(tmp_path / "tables.xlsx")
    assert wb.sheetnames == ["Tabell 2. Egen tabell", "Tabell 3. Beløp 2023"]
    assert wb.worksheets[0]["A1"].value == "Tabell 2. Egen tabell"
    assert "Tabell 1" in capsys.readouterr().err  # the text's «tabell 1» is not shown


# --- a researcher's own table ------------------------------------------------------------------
def test_own_table_hides_small_counts_by_default(ev, tmp_path):
    from openpyxl import load_workbook

    from evalkit.document.excel import write_workbook

    ev = _fresh(ev)
    frame = pd.DataFrame({"county_name": ["Agder", "Oslo", "Viken", "Rogaland"], "n": [5, 1, 7, 2]})
    t = doc.table(frame, title="Prosjekter per fylke")
    # no total shown: only the counts of 1 and 2 are hidden
    assert t.display["n"].tolist() == ["5", ":", "7", ":"]
    assert list(t.display.columns) == ["Fylke", "n"]  # the YAML's label for county_name
    assert any("Tallet er skjult fordi det er 1 eller 2" in n for n in t.all_notes)
    assert t.all_notes[0].startswith("Kilde: syntetiske demodata")
    ws = load_workbook(write_workbook(tmp_path / "t.xlsx", [t.sheet()])).worksheets[0]
    assert [c.value for c in ws["B"][2:7]] == ["n", 5, ":", 7, ":"]  # numbers, «:» as text


def test_own_crosstab_with_margins_hides_what_would_give_a_small_count_away(ev):
    ev = _fresh(ev)
    rows = pd.DataFrame(
        {
            "county_name": ["Agder"] * 6 + ["Oslo"] * 11 + ["Viken"] * 3,
            "target_group": ["begge"] * 5
            + ["annet"]
            + ["begge"] * 4
            + ["annet"] * 7
            + ["annet"] * 3,
        }
    )
    ct = pd.crosstab(rows["county_name"], rows["target_group"], margins=True)
    t = doc.table(ct, title="Per fylke og målgruppe")
    shown = t.display.set_index("Fylke")
    # codes shown by their labels, pandas' «All» as «I alt»
    assert list(shown.columns) == [
        "Annet",
        "Både personer med økt risiko for sykdom og personer med kronisk eller langvarig sykdom",
        "I alt",
    ]
    assert shown.index[-1] == "I alt"
    assert shown.loc["Agder", "Annet"] == ":"  # the count of 1
    # no row or column with a published total has exactly one hidden cell: the hidden count
    # could be worked out from the total
    body = shown.iloc[:-1]
    for line in [*(body.loc[r] for r in body.index), *(shown[c] for c in shown.columns)]:
        assert (line == ":").sum() != 1, line
    # nothing published is a count of 1 or 2
    values = shown.to_numpy().ravel().tolist()
    assert "1" not in values and "2" not in values


def test_own_table_without_suppression_needs_a_reason_printed_under_it(ev):
    ev = _fresh(ev)
    frame = pd.DataFrame({"Fylke": ["Agder", "Oslo"], "Vedtak": [1, 2]})
    with pytest.raises(EvalkitError, match="reason="):
        doc.table(frame, title="Vedtak", suppress=False)
    with pytest.raises(EvalkitError, match="reason="):
        doc.table(frame, title="Vedtak", suppress=False, reason="  ")
    t = doc.table(frame, title="Vedtak", suppress=False, reason="Vedtakene er offentlige.")
    assert t.display["Vedtak"].tolist() == ["1", "2"]
    assert "Små tall er ikke skjult i denne tabellen: Vedtakene er offentlige." in t.all_notes


def test_own_table_formats_a_regression_table(ev):
    ev = _fresh(ev)
    coefs = pd.DataFrame(
        {"Coef.": [1234.5678, -0.25], "P>|t|": [0.0004, 0.0342]}, index=["Intercept", "x"]
    )
    t = doc.table(coefs, title="Regresjon")
    assert t.display.iloc[:, 0].tolist() == ["Intercept", "x"]
    assert t.display["Coef."].tolist() == [f"1{NBSP}234,57", "\u22120,25"]
    assert t.display["P>|t|"].tolist() == [f"<{NBSP}0,001", "0,034"]


# --- a researcher's own figure ------------------------------------------------------------------
def test_own_figure_without_alt_text_is_refused_with_what_to_write(ev):
    fig, ax = plt.subplots()
    for alt in (None, "", "   "):
        with pytest.raises(EvalkitError, match="alt text") as info:
            doc.figure(fig, title="Tittel", alt=alt, ev=ev)
        assert 'alt="' in str(info.value)  # an example of what to write
    with pytest.raises(EvalkitError, match="title"):
        doc.figure(fig, title=" ", alt="Noe.", ev=ev)
    with pytest.raises(EvalkitError, match="matplotlib Figure or Axes"):
        doc.figure(pd.DataFrame(), title="Tittel", alt="Noe.", ev=ev)
    plt.close(fig)


def test_own_figure_takes_axes_and_seaborn_grids(ev):
    import seaborn as sns

    ev = _fresh(ev)
    grid = sns.FacetGrid(pd.DataFrame({"county_name": ["Oslo"], "grant_nok": [1]}))
    fig, ax = plt.subplots()
    for given, drawing in ((ax, fig), (grid, grid.figure)):
        f = doc.figure(given, title=f"Figur {id(given)}", alt="Noe.")
        assert f.figure is drawing


def test_house_style_labels_numbers_and_crowded_ticks():
    labels = {"county_name": "Fylke", "grant_nok": "Tildelt beløp"}
    fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
    names = ["Vestfold og Telemark", "Troms og Finnmark", "Møre og Romsdal", "Innlandet"]
    ax.bar(names, [20_000, 5_000, 12_500, 3_000])
    fig.canvas.draw()
    before = sorted((t.get_window_extent() for t in ax.get_xticklabels()), key=lambda b: b.x0)
    assert any(a.x1 > b.x0 for a, b in zip(before, before[1:], strict=False))  # crowded
    ax.set(xlabel="county_name", ylabel="grant_nok", ylim=(0, 20_000))
    ax.set_yticks([0, 10_000, 20_000])
    plots.house_style(fig, labels)
    fig.canvas.draw()
    assert ax.get_xlabel() == "Fylke" and ax.get_ylabel() == "Tildelt beløp"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", f"10{NBSP}000", f"20{NBSP}000"]
    boxes = sorted(
        (t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()), key=lambda b: b.x0
    )
    assert all(a.x1 <= b.x0 + 1 for a, b in zip(boxes, boxes[1:], strict=False))
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "Vestfold og\nTelemark"
    # too narrow for the wrapped labels too: turned
    small, ax3 = plt.subplots(figsize=(2, 2))
    ax3.bar(names, [1, 2, 3, 4])
    plots.house_style(small)
    assert {t.get_rotation() for t in ax3.get_xticklabels()} == {45.0}
    fig2, ax2 = plt.subplots()
    ax2.plot([0, 1], [0, 0.5])
    ax2.set(yticks=[0, 0.25, 0.5], ylabel="Count")  # seaborn's word for a histogram's bars
    plots.house_style(fig2, labels)
    fig2.canvas.draw()
    assert [t.get_text() for t in ax2.get_yticklabels()] == ["0,00", "0,25", "0,50"]
    assert ax2.get_ylabel() == "Antall"
    plt.close("all")


# --- every piece a cell ---------------------------------------------------------------------
@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder: the notebooks and the demo data of frisklivs_lms."""
    (tmp_path / "notebooks").mkdir()
    for name in ("year.py", "trends.py"):
        shutil.copy(ROOT / "notebooks" / name, tmp_path / "notebooks" / name)
    demo = tmp_path / "data" / "demo"
    shutil.copytree(DEMO / "frisklivs_lms", demo / "frisklivs_lms")
    shutil.copy(DEMO / "SYNTHETIC.txt", demo / "SYNTHETIC.txt")
    (tmp_path / "data" / "raw").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_notebook_command_writes_one_cell_per_piece_and_never_overwrites(project, capsys):
    import jupytext

    from evalkit.runner.params import notebook_parameters

    assert main(["notebook", "frisklivs_lms"]) == 0
    path = project / "notebooks" / "frisklivs_lms.py"
    written = path.read_text(encoding="utf-8")
    nb = jupytext.reads(written, fmt="py:percent")
    calls = [c.source for c in nb.cells if c.cell_type == "code"]
    # one call per piece of the YAML's sections, by name, in the YAML's order
    assert 'doc.piece(ev, "fylker_belop")' in calls
    names = [n for n in doc.pieces(evaluate("frisklivs_lms", 2023)).name if n != "tittel"]
    # the section headings are calls too, by catalog key (no text of a language in the notebook)
    headings = [c for c in calls if c.startswith("doc.heading(")]
    assert headings == [
        'doc.heading("year.heading.summary")',
        'doc.heading("year.heading.background")',
        'doc.heading("year.heading.results")',
        'doc.heading("year.heading.comparison")',
        'doc.heading("year.heading.quality")',
    ]
    pieces = len(calls) - len(headings)
    assert pieces == 1 + 1 + 1 + len(names) + 1  # about, parameters, set-up, pieces, save
    # the same parameters as the generic notebook; the scheme and the latest year by default
    mine, generic = (
        notebook_parameters(path),
        notebook_parameters(project / "notebooks" / "year.py"),
    )
    assert [(p.name, p.annotation) for p in mine.values()] == [
        (p.name, p.annotation) for p in generic.values()
    ]
    assert mine["scheme"].default == "frisklivs_lms" and mine["year"].default == 2024
    # an existing notebook is never overwritten without --force
    path.write_text(written + "\n# my change\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["notebook", "frisklivs_lms"]) == 2
    err = capsys.readouterr().err
    assert "exists already" in err and "--force" in err and err.count("\n") == 1
    assert path.read_text(encoding="utf-8").endswith("# my change\n")
    assert main(["notebook", "frisklivs_lms", "--force"]) == 0
    assert path.read_text(encoding="utf-8") == written


def test_piece_names_are_plain_and_an_unknown_name_is_answered(ev):
    names = list(doc.pieces(ev).name)
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in names)
    with pytest.raises(EvalkitError, match="Did you mean 'fylker_belop'"):
        doc.piece(ev, "fylker_beløp")


# --- what a reader saw ---------------------------------------------------------------------------
def test_stray_return_values_are_left_out_of_the_document():
    import numpy as np
    import seaborn as sns

    fig, ax = plt.subplots()
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    stray = [
        ax.set_ylabel(""),
        ax.set_title("Tittel (n) 'x'"),
        ax,
        ax.plot([1, 2]),
        ax.bar([1, 2], [3, 4]),
        sns.FacetGrid(frame, col="b"),
        plt.subplots(2)[1],
        ax.set_xticks([0, 1], ["a", "b"]),
    ]
    kept = [(120, 5), frame["a"].value_counts(), 42, "Text", np.array([1, 2])]
    assert all(is_plot_repr(repr(o)) for o in stray), [repr(o) for o in stray]
    assert not any(is_plot_repr(repr(o)) for o in kept)
    nb = nbformat.v4.new_notebook()
    for value in (stray[0], kept[0]):
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": repr(value)})]
        nb.cells.append(cell)
    page = export_html(nb, "Prøve")
    assert "Text(0, 0.5" not in page and "(120, 5)" in page
    plt.close("all")


def test_a_figure_shown_as_it_is_is_numbered_and_its_cell_named(ev, caplog):
    ev = _fresh(ev)
    _show(doc.piece(ev, "fylker_belop"))
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [3, 4])
    data = numbered.plain_figure_bundle(fig)  # what the kernel shows for a figure as it is
    assert "Figur 2." in data["text/html"] and "evalkit-untitled" in data["text/html"]
    assert re.search(r"alt='[^']+'", data["text/html"])  # never empty
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("ax.bar(['a', 'b'], [3, 4])")
    cell.id = "cell-7"
    cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    nb.cells.append(cell)
    with caplog.at_level(logging.WARNING, logger="evalkit.document.html"):
        export_html(nb, "Prøve")
    said = caplog.text
    assert "cell 7" in said and "«Figur 2»" in said and "doc.figure(fig, title=" in said


def test_a_figure_shown_as_it_is_keeps_its_number_when_its_cell_runs_again(ev, monkeypatch):
    import IPython
    from matplotlib.figure import Figure as MplFigure  # drawn without pyplot

    class Kernel:  # JupyterLab sends the cell's id with each run
        def get_parent(self):
            return {"metadata": {"cellId": "a1b2-c3"}}

    class Shell:
        kernel = Kernel()
        execution_count = 5

    shell = Shell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    ev = _fresh(ev)

    def run_cell() -> list[str]:  # the cell shows two figures as they are
        bundles = [numbered.plain_figure_bundle(MplFigure()) for _ in range(2)]
        return [re.search(r"Figur (\d+)\.", b["text/html"]).group(1) for b in bundles]

    assert run_cell() == ["1", "2"]
    shell.execution_count = 6
    assert run_cell() == ["1", "2"]


def test_figure_caption_and_source_are_blocks(ev):
    ev = _fresh(ev)
    f = doc.piece(ev, "fylker_belop")
    page = f._repr_html_()
    assert re.search(r"<figcaption><div class='caption'>.*</div><div class='note'>Kilde: ", page)


def test_data_quality_codes_in_norwegian_in_the_appendix(ev, monkeypatch):
    codes = set()
    for path in (ROOT / "evalkit").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r"""problem["']?\s*[=:]\s*["']([a-z_]+)["']""", source))
        for call in re.findall(r"_cell_flags\((.*?)\n\s*\)", source, flags=re.S):
            codes |= {c for c in re.findall(r'"([a-z]+_[a-z_]+)"', call) if c not in ACTIONS}
    from evalkit.parse import INVISIBLE

    codes |= set(INVISIBLE)
    assert len(codes) >= 20, codes
    assert codes <= set(PROBLEM_WORDS), codes - set(PROBLEM_WORDS)
    assert set(ACTIONS) == set(ACTION_WORDS)
    dq = pd.DataFrame(
        {
            "row": [3, 4],
            "column": ["Fylke", "Beløp"],
            "field": ["county", "grant_nok"],
            "value": ["Sogn og Fjordane", "x"],
            "problem": ["county_not_valid_in_year", "unreadable_amount"],
            "detail": ["", ""],
            "action": ["mapped", "set_missing"],
        }
    )
    ev = _fresh(ev)
    monkeypatch.setattr(type(ev), "data_quality", property(lambda self: dq))
    t = doc.quality_table(ev)
    assert t.display["Problem"].tolist() == [
        "Fylket fantes ikke det året",
        "Beløpet kan ikke leses",
    ]
    assert t.display["Tiltak"].tolist() == ["Rettet", "Satt som manglende"]


def test_pdf_contents_have_page_numbers(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from evalkit.document import pdf

    try:
        pdf._weasyprint()
    except pdf.PdfUnavailable as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Prøve")]
    for heading in ("Sammendrag", "Bakgrunn, formål og metode", "Vedlegg: datakvalitet"):
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## {heading}\n\n" + "Tekst. " * 600))
    path = pdf.write_pdf(export_html(nb, "Prøve"), tmp_path / "report.pdf", title="Prøve")
    pages = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    assert any("Innhold" in p for p in pages)
    lines = {
        h: next(li for p in pages for li in p.splitlines() if li.startswith(h) and "." in li)
        for h in ("Bakgrunn, formål og metode", "Vedlegg: datakvalitet")
    }
    numbers = {h: int(re.search(r"(\d+)\s*$", li).group(1)) for h, li in lines.items()}
    # each heading's page, found independently: the first page whose text starts with it
    for heading, number in numbers.items():
        found = next(
            i for i, p in enumerate(pages, start=1) if i > 1 and heading in p.splitlines()[:3]
        )
        assert number == found, (heading, lines[heading])


# --- done when: the researcher's notebook, built --------------------------------------------
ALT = (
    "Histogram over tildelt beløp per prosjekt i 2023. De fleste prosjektene fikk mellom "
    "100 000 og 200 000 kroner."
)
CROSSTAB = "Prosjekter per fylke og målgruppe 2023"
REGRESSION = "Tildelt beløp og samarbeid, lineær regresjon 2023"
OWN_CELLS = f"""# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import statsmodels.formula.api as smf

fig, ax = plt.subplots(figsize=(7.5, 3.5))
sns.histplot(data=ev.tidy, x="grant_nok", ax=ax)
doc.figure(fig, title="Fordeling av tildelt beløp 2023", alt={ALT!r})

# %%
counts = pd.crosstab(ev.tidy["county_name"], ev.tidy["target_group"], margins=True)
doc.table(counts, title={CROSSTAB!r})

# %%
data = pd.DataFrame(
    {{
        "belop": ev.tidy["grant_nok"].astype("float64"),
        "samarbeid": ev.tidy["collaboration"].astype("float64"),
    }}
).dropna()
model = smf.ols("belop ~ samarbeid", data=data).fit()
doc.table(model.summary2().tables[1], title={REGRESSION!r})

# %%
fig2, ax2 = plt.subplots()
ax2.bar(["a", "b"], [3, 4])
ax2.set_ylabel("")
"""


def _cell(name: str) -> str:
    return f'# %%\ndoc.piece(ev, "{name}")\n'


def _labels_in_order(found: list[tuple[str, str]]) -> dict[str, list[int]]:
    """Each kind's numbers in the order they first appear."""
    seen: dict[str, list[int]] = {"Tabell": [], "Figur": []}
    for kind, number in found:
        if int(number) not in seen[kind]:
            seen[kind].append(int(number))
    return seen


@pytest.mark.slow
def test_researchers_notebook_built_numbers_in_order_everywhere(project, caplog):
    import jupytext
    import pypdf
    from openpyxl import load_workbook

    assert main(["notebook", "frisklivs_lms"]) == 0
    path = project / "notebooks" / "frisklivs_lms.py"
    text = path.read_text(encoding="utf-8")
    # drop a built-in figure, move a table, add one's own figure and tables and a plain figure
    assert _cell("fylker_antall") in text and _cell("andeler_tilbud") in text
    text = text.replace(_cell("fylker_antall") + "\n", "")
    text = text.replace(_cell("andeler_tilbud") + "\n", "")
    text = text.replace(_cell("belop"), _cell("belop") + "\n" + _cell("andeler_tilbud"))
    text = text.replace(_cell("fylker_belop"), _cell("fylker_belop") + "\n" + OWN_CELLS)
    path.write_text(text, encoding="utf-8")
    cells = jupytext.reads(text, fmt="py:percent").cells
    plain_cell = next(i for i, c in enumerate(cells, start=1) if "ax2.bar" in c.source)

    out = project / "out"
    with caplog.at_level(logging.WARNING, logger="evalkit.document.html"):
        assert main(["report", "frisklivs_lms", "2023", "--out", str(out), "--lang", "nb"]) == 0
    folder = out / "frisklivs_lms" / "2023"
    page = (folder / "report.html").read_text(encoding="utf-8")

    # the HTML: numbers 1 … N of each kind, in order down the page
    found = re.findall(
        r"<span class=[\"']caption-label[\"']>(Tabell|Figur) (\d+)\.</span> ([^<]+)<", page
    )
    assert len(found) > 15
    captions = [(k, int(n), htmllib.unescape(t)) for k, n, t in found]
    order = _labels_in_order([(k, n) for k, n, _ in captions])
    assert order["Tabell"] == list(range(1, len(order["Tabell"]) + 1))
    assert order["Figur"] == list(range(1, len(order["Figur"]) + 1))
    titles = [t for _, _, t in captions]
    assert "Antall prosjekter per fylke 2023" not in titles  # the dropped figure
    assert titles.index("Beløp 2023") < titles.index("Type tilbud 2023")  # the moved table
    assert (
        titles.index("Tildelt beløp per fylke 2023")
        < titles.index("Fordeling av tildelt beløp 2023")
        < titles.index(CROSSTAB)
        < titles.index(REGRESSION)
    )
    tables = [(n, t) for k, n, t in captions if k == "Tabell"]
    figures = [(n, t) for k, n, t in captions if k == "Figur"]
    # the comparison's lead-in names the numbers its figure and table got
    intro = re.search(r"Figur (\d+) viser forskjellen.*?Tabell (\d+) gir andelene", page, re.S)
    assert (int(intro.group(1)), int(intro.group(2))) == (
        next(n for n, t in figures if t.startswith("Forskjell i andeler")),
        next(n for n, t in tables if t.startswith("2023 sammenlignet")),
    )
    # the plain figure: numbered, its caption asks for a title; its cell named in the log
    assert any(t.startswith("Figur uten tittel") for _, t in figures)
    assert f"cell {plain_cell} " in caplog.text and "doc.figure(fig, title=" in caplog.text
    assert "Text(0, 0.5" not in page  # no stray return value
    # alt text as given
    alts = [htmllib.unescape(a) for a in re.findall(r"alt=\"([^\"]*)\"", page)]
    assert ALT in alts
    # the crosstab as published: no count of 1 or 2
    block = page[page.index(f"{CROSSTAB}</caption>") :]
    block = block[: block.index("</table>")]
    cells_shown = [htmllib.unescape(c) for c in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", block)]
    assert ":" in cells_shown and not {"1", "2"} & set(cells_shown)

    # the PDF: the same captions, in the same order
    reader = pypdf.PdfReader(folder / "report.pdf")
    pdf_text = "\n".join(p.extract_text() for p in reader.pages)
    in_pdf = re.findall(r"^(Tabell|Figur) (\d+)\. ", pdf_text, re.M)
    assert [(k, int(n)) for k, n in in_pdf] == [(k, n) for k, n, _ in captions]
    assert "Innhold" in pdf_text

    alts_pdf: list[str] = []

    def walk(node):
        node = node.get_object()
        if "/Alt" in node:
            alts_pdf.append(str(node["/Alt"]))
        kids = node.get("/K")
        kids = kids.get_object() if kids is not None else []
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert ALT in alts_pdf

    # tables.xlsx: the tables shown, in their order and with their numbers
    wb = load_workbook(folder / "tables.xlsx")
    numbers = [int(re.match(r"Tabell (\d+)\. ", name).group(1)) for name in wb.sheetnames]
    assert numbers == [n for n, _ in tables]
    assert [ws["A1"].value for ws in wb.worksheets] == [f"Tabell {n}. {t}" for n, t in tables]
    own = next(ws for ws in wb.worksheets if ws["A1"].value.endswith(CROSSTAB))
    values = [c.value for row in own.iter_rows(min_row=4) for c in row[1:]]
    assert ":" in values and not {1, 2} & {v for v in values if isinstance(v, int)}
    assert any(ws["A1"].value.endswith(REGRESSION) for ws in wb.worksheets)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["notebook"]["path"] == "notebooks/frisklivs_lms.py"


def test_trends_document_takes_own_tables_and_writes_the_tables_shown(tmp_path):
    from openpyxl import load_workbook

    from evalkit.document import trends as tdoc
    from evalkit.trends import evaluate_trends

    tr = evaluate_trends("samhandling", data_dir=DEMO)
    tdoc.title(tr)  # the trends document is now the current one
    frame = pd.DataFrame({"År": ["2010", "2011"], "Søknader": [40, 2]})
    own = tdoc.table(frame, title="Søknader per år")
    assert (
        own.all_notes[0].startswith("Kilde: syntetiske demodata")
        and "2010–2012" in (own.all_notes[0])
    )
    assert own.display["Søknader"].tolist() == ["40", ":"]
    tdoc.amounts_figure(tr)  # made, not shown
    assert _show(tdoc.trend_table(tr), own) == ["Tabell 1", "Tabell 2"]
    tdoc.save(tr, str(tmp_path))
    assert load_workbook(tmp_path / "tables.xlsx").sheetnames == [
        "Tabell 1. Andeler per år",  # cut at a word, not on «og»
        "Tabell 2. Søknader per år",
    ]


def test_the_appendix_shows_a_flag_repeated_over_rows_once_with_its_rows(ev, monkeypatch):
    """330 blank rounds are one line of the appendix, not 330: the same column, value,
    problem, explanation and action, its rows as runs; data_quality.csv keeps every cell."""
    from evalkit.document.year import row_ranges

    assert row_ranges([9, 2, 3, 4, 5, 7, 10, 1002]) == "2–5, 7, 9–10, 1002"  # by hand
    rows = [2, 3, 4, 6, 8, 9, 5]
    dq = pd.DataFrame(
        {
            "row": [*rows[:6], rows[6]],
            "column": ["Runde"] * 6 + ["Beløp"],
            "field": ["round"] * 6 + ["grant_nok"],
            "value": [""] * 6 + ["x"],
            "problem": ["blank_round"] * 6 + ["unreadable_amount"],
            "detail": [""] * 7,
            "action": ["mapped"] * 6 + ["set_missing"],
        }
    )
    ev = _fresh(ev)
    monkeypatch.setattr(type(ev), "data_quality", property(lambda self: dq))
    t = doc.quality_table(ev)
    assert t.display["Rad"].tolist() == ["2–4, 6, 8–9", "5"]
    assert t.display["Kolonne"].tolist() == ["Runde", "Beløp"]
    assert t.display["Problem"].tolist() == ["Runde mangler", "Beløpet kan ikke leses"]


def test_a_schemes_notebook_takes_the_generic_notebooks_parameters(tmp_path, monkeypatch):
    """One place declares the parameters of a year notebook: the notebook written by
    `evalkit notebook` has notebooks/year.py's parameters cell line for line, with its own
    scheme and year (a parameter added there reaches it without a second edit)."""
    import jupytext

    from evalkit.config import load_scheme
    from evalkit.document.notebook import notebook_text

    def parameters(text: str) -> list[str]:
        cells = jupytext.reads(text, fmt="py:percent").cells
        cell = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
        return cell.source.splitlines()

    generic = parameters((ROOT / "notebooks" / "year.py").read_text(encoding="utf-8"))
    written = parameters(notebook_text(load_scheme("samhandling"), 2011))
    assert written[0] == 'scheme: str = "samhandling"' and written[1] == "year: int = 2011"
    assert written[2:] == generic[2:] and len(generic) >= 9
    assert any(line.startswith("lang: str") for line in written)


def test_without_the_generic_notebook_the_writer_says_how_to_restore_it(tmp_path, monkeypatch):
    from evalkit import paths
    from evalkit.config import load_scheme
    from evalkit.document.notebook import notebook_text
    from evalkit.errors import EvalkitError

    (tmp_path / "notebooks").mkdir()
    monkeypatch.setattr(paths, "project_root", lambda: tmp_path)
    with pytest.raises(EvalkitError, match=r"notebooks/year\.py.*git checkout notebooks/year\.py"):
        notebook_text(load_scheme("samhandling"), 2011)
    (tmp_path / "notebooks" / "year.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    with pytest.raises(EvalkitError, match="parameters"):
        notebook_text(load_scheme("samhandling"), 2011)
