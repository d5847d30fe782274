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
# Evaluation document for the ministry's samhandling grants (2010–2012), one allocation
# year. Run by `evalkit report samhandling YEAR`. Every cell calls evalkit and shows the
# result: no logic lives here.

# %% tags=["parameters"]
scheme: str = "samhandling"
year: int = 2012
compare_with: list[int] | None = None  # None = the latest earlier year with data
data_dir: str = ""  # "" = data/raw when it holds the scheme's files, else the demo data
output_dir: str = ""  # "" = write nothing (interactive use); the runner passes a folder
strict: bool = False

# %%
from IPython.display import display

from evalkit import document as doc
from evalkit.evaluation import evaluate

ev = evaluate(scheme, year, data_dir=data_dir or None, compare_with=compare_with, strict=strict)
doc.title(ev)

# %%
doc.banner(ev)

# %% [markdown]
# ## Sammendrag

# %%
doc.summary(ev)

# %%
doc.key_figures(ev)

# %%
doc.samhandling_notes(ev)

# %% [markdown]
# ## Bakgrunn, formål og metode
#
# Helse- og omsorgsdepartementet opprettet i 2010 et tilskudd til samhandlingstiltak for å få
# kommunene i gang med samhandlingsreformen: frisklivssentraler, rehabilitering nær hjemmet,
# lokalmedisinske sentre drevet av flere kommuner sammen, jordmortjenester og helsetjenester for
# barn og unge. Kommunene søker, og departementet innvilger eller avslår hver søknad. Denne
# rapporten viser hvor mange som søkte, hvor mange som fikk støtte, hvor mye det ble søkt om og
# tildelt, og hvordan det fordeler seg på fylker og kategorier.

# %%
doc.method(ev)

# %% [markdown]
# ## Resultater
# ### Søknader og tildelinger per fylke

# %%
doc.county_table(ev)

# %%
for figure in doc.county_figures(ev):
    display(figure)

# %% [markdown]
# ### Kategorier

# %%
doc.category_table(ev)

# %%
doc.shares_table(ev, "kategori", "Søknader per kategori")

# %% [markdown]
# ### Beløp

# %%
doc.amounts_table(ev)

# %%
doc.applied_granted_table(ev)

# %%
doc.applied_granted_figure(ev)

# %% [markdown]
# ### Innvilgede prosjekter, fylke for fylke

# %%
doc.funded_projects(ev)

# %% [markdown]
# ### Forskjeller mellom fylker og kategorier

# %%
doc.group_tests_table(ev)

# %% [markdown]
# ## Sammenligning med tidligere år

# %%
doc.comparison_intro(ev)

# %%
doc.comparison_figure(ev)

# %%
doc.comparison_table(ev)

# %% [markdown]
# ## Vedlegg: datakvalitet

# %%
doc.quality_summary(ev)

# %%
doc.quality_table(ev)

# %%
doc.save(ev, output_dir)
