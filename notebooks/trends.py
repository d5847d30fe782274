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
# Trends over every year of one scheme (any scheme: laid out by its YAML), into outputs/<scheme>/trends/. Run by
# `evalkit build` or opened in JupyterLab. Every cell calls evalkit and shows the result.
# Your own figures and tables: tdoc.figure(fig, title="…", alt="…") and tdoc.table(frame,
# title="…"), numbered in the order shown like the others.

# %% tags=["parameters"]
scheme: str = "frisklivs_lms"
year: int = 2024  # the last year included
compare_with: list[int] | None = None  # the earlier years included; None = every year with data
data_dir: str = ""  # "" = data/raw when it holds the scheme's files, else the demo data
output_dir: str = ""  # "" = write nothing (interactive use); the runner passes a folder
scheme_file: str = ""  # "" = the scheme found by its name; else the path of its YAML
cache_dir: str = ""  # "" = clean every year here; the runner passes <out>/_cache/cleaned
lang: str = "nb"  # nb, nn or en: the document's language

# %%
from IPython.display import display

from evalkit import document as doc
from evalkit.document import trends as tdoc
from evalkit.trends import evaluate_trends

tr = evaluate_trends(
    scheme,
    scheme_file=scheme_file or None,
    data_dir=data_dir or None,
    last_year=year,
    earlier=compare_with,
    cache_dir=cache_dir or None,
    lang=lang,
)
tdoc.title(tr)

# %%
tdoc.banner(tr)

# %%
doc.heading("trends.heading.summary")

# %%
tdoc.summary(tr)

# %%
doc.heading("trends.heading.method")

# %%
tdoc.method(tr)

# %%
doc.heading("trends.heading.shares")

# %%
for figure in tdoc.trend_figures(tr):
    display(figure)

# %%
tdoc.trend_table(tr)

# %%
doc.heading("trends.heading.amounts")

# %%
tdoc.amounts_figure(tr)

# %%
tdoc.amounts_table(tr)

# %%
doc.heading("trends.heading.counties")

# %%
tdoc.county_table(tr)

# %%
for part in tdoc.regression(tr):
    display(part)

# %%
tdoc.save(tr, output_dir)
