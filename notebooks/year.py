# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -papermill,tags
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python (evalkit)
#     language: python
#     name: evalkit
# ---

# %%
# Evaluation document for one year of any grant scheme, laid out by the scheme's YAML
# (sections, tables, figures, summary, notes). Run by `evalkit report SCHEME YEAR` for every
# scheme without a notebook of its own (notebooks/<scheme>.py); open in JupyterLab and
# «Run All» to work on it. Every cell calls evalkit and shows the result: no logic lives here.
# To edit the document piece by piece, `evalkit notebook SCHEME` writes notebooks/<scheme>.py
# with one cell per piece; your own figures and tables go in with doc.figure(fig, title="…",
# alt="…") and doc.table(frame, title="…"), numbered in the order shown.

# %% tags=["parameters"]
scheme: str = "frisklivs_lms"
year: int = 2022
compare_with: list[int] | None = None  # None = the latest earlier year with data
data_dir: str = ""  # "" = data/raw when it holds the scheme's files, else the demo data
output_dir: str = ""  # "" = write nothing (interactive use); the runner passes a folder
strict: bool = False
scheme_file: str = ""  # "" = the scheme found by its name; else the path of its YAML
cache_dir: str = ""  # "" = clean every year here; the runner passes <out>/_cache/cleaned
lang: str = "nb"  # nb, nn or en: the document's language

# %%
from IPython.display import display

from evalkit import document as doc
from evalkit.evaluation import evaluate

ev = evaluate(
    scheme,
    year,
    scheme_file=scheme_file or None,
    data_dir=data_dir or None,
    compare_with=compare_with,
    strict=strict,
    cache_dir=cache_dir or None,
    lang=lang,
)
doc.title(ev)

# %%
doc.banner(ev)

# %%
doc.heading("year.heading.summary")

# %%
doc.summary(ev)

# %%
doc.key_figures(ev)

# %%
doc.notes(ev)

# %%
doc.heading("year.heading.background")

# %%
doc.background(ev)

# %%
doc.method(ev)

# %%
doc.heading("year.heading.results")

# %%
for part in doc.results(ev):
    display(part)

# %%
doc.heading("year.heading.comparison")

# %%
doc.comparison_intro(ev)

# %%
doc.comparison_figure(ev)

# %%
doc.comparison_table(ev)

# %%
doc.heading("year.heading.quality")

# %%
doc.quality_summary(ev)

# %%
doc.quality_table(ev)

# %%
doc.save(ev, output_dir)
