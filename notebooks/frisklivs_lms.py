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
# Evaluation document for the frisklivs-, lærings- og mestringstilbud grant, one funding
# year. Run by `evalkit report frisklivs_lms YEAR`; open in JupyterLab and «Run All» to work on
# it. Every cell calls evalkit and shows the result: no logic lives here.

# %% tags=["parameters"]
scheme: str = "frisklivs_lms"
year: int = 2022
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

# %% [markdown]
# ## Bakgrunn, formål og metode
#
# Helsedirektoratet fordeler hvert år tilskuddet «Etablering og utvikling av kommunale
# frisklivs-, lærings- og mestringstilbud» (kap. 762 post 60) mellom fylkene, som gir tilskudd
# til kommunale prosjekter. Fylkene rapporterer om hvert finansierte prosjekt på et eget skjema.
# Formålet med denne rapporten er å vise hva midlene er brukt til: hvilke målgrupper og tilbud
# prosjektene gjelder, hvem som samarbeider, hvilke delmål prosjektene har, og om målene er nådd.

# %%
doc.method(ev)

# %% [markdown]
# ## Resultater
# ### Fylker og prosjekter

# %%
doc.county_table(ev)

# %%
for figure in doc.county_figures(ev):
    display(figure)

# %% [markdown]
# ### Målgrupper og type tilbud

# %%
doc.shares_table(ev, "målgruppe", "Målgruppe")

# %%
doc.shares_table(ev, "tilbud", "Type tilbud")

# %% [markdown]
# ### Samarbeid og aktører

# %%
doc.shares_table(ev, "samarbeid", "Samarbeid")

# %%
doc.shares_table(ev, "aktører", "Aktører involvert i prosjektene")

# %%
doc.shares_figure(ev, "aktører", "Aktører involvert i prosjektene")

# %% [markdown]
# ### Delmål

# %%
doc.shares_table(ev, "delmål", "Prosjekter med delmålet")

# %%
doc.shares_figure(ev, "delmål", "Prosjekter med delmålet")

# %% [markdown]
# ### Måloppnåelse

# %%
doc.shares_table(ev, "måloppnåelse", "Måloppnåelse")

# %%
doc.shares_table(ev, "begrunnelse", "Grunner til at måloppnåelse ikke kan vurderes")

# %% [markdown]
# ### Tilskuddsbeløp

# %%
doc.amounts_table(ev)

# %% [markdown]
# ### Forskjeller mellom fylker

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
