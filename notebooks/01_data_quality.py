# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 — Data quality of a DMST extract
#
# The IRDP is described by its authors as "very sensitive to the quality and completeness of
# the data entered" by the services. Before any modelling, a research team needs to know, for
# each SPSTI: how many records each table holds, how complete each field is, which versions
# of the national thesauri (NAF, PCS, CIM-10, TEP, visit types) are in use, and over which
# dates. TRIPOD+AI (item 7) asks for the data preparation and quality checks, and whether
# they differ between groups.
#
# An extract is a folder of files following the contract of `docs/contract.md`;
# `irdp.io.read_extract` refuses a file that breaks it (wrong code, orphan key, visit after
# the worker's exit...) with a message naming the file, row, column and value. Here we write
# a synthetic extract to disk and read it back like a real one.

# %%
import tempfile
from pathlib import Path

from IPython.display import display

from irdp.io import read_extract
from irdp.io.quality import quality_report
from irdp.notebooks import safe_table
from irdp.synth import generate_dmst

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601

# %%
folder = Path(tempfile.mkdtemp()) / "extract"
generate_dmst(N_WORKERS, n_spsti=N_SPSTI, seed=SEED, out=folder)
extract = read_extract(folder)
print(f"contract version {extract.metadata['schema_version']}; tables: {list(extract)}")

# %% [markdown]
# ## Row counts, completeness, code systems and dates
#
# `quality_report` computes everything in DuckDB and applies disclosure control: counts
# under 11 are suppressed (shown as `[c]`, with complementary suppression) so the report can be
# shared between services.

# %%
quality = quality_report(extract)
rows = quality.row_counts.pivot(index="table", columns="spsti_id", values="n_rows")
display(safe_table(rows, row_total="ALL"))

# %% [markdown]
# Each service contributes records to every table; a smaller service has proportionally
# fewer. A table that is nearly empty in one service (for instance questionnaires) is a
# sign that the service does not record it, not that its workers are different.
#
# Completeness of a few fields that drive the index, by SPSTI. Differences between services
# are expected (software, coding habits): they are exactly what notebook 08 stresses.

# %%
completeness = quality.completeness
fields = completeness["column"].isin(["education_level", "absence_days", "absence_cause",
                                      "rqth", "measures", "icd10_code"])
display(completeness[fields].pivot_table(index=["table", "column"], columns="spsti_id",
                                         values="pct_filled", aggfunc="first").round(1))

# %% [markdown]
# Read each row as "percentage of records with the field filled in". A field filled in
# 90 % of the records of one service and 15 % of another (the level of education, for
# instance) cannot mean the same thing in both: an index using it will be miscalibrated in
# the service that rarely records it.

# %% [markdown]
# Several versions of a thesaurus can coexist in one multi-SPSTI extract: each coded field
# carries its code system and version, so the features can map them consistently.

# %%
systems = quality.code_systems.pivot_table(index=["table", "column", "system"],
                                           columns="spsti_id", values="n_rows", aggfunc="sum")
display(safe_table(systems.fillna(0).astype("int64"), row_total="ALL"))
display(quality.date_ranges)

# %% [markdown]
# Services using an older version of a thesaurus (visit types of 2013 rather than 2022, a
# former classification of occupations) are mapped to one vocabulary by the features. The
# date ranges show over which months each dated field holds data, at month precision.

# %% [markdown]
# ## Direct queries
#
# The extract is a set of DuckDB relations: any question can be asked in SQL without
# loading the tables in memory, for example the mix of visit types by service.

# %%
mix = extract.sql(
    "SELECT w.spsti_id, v.visit_type, COUNT(*) AS n FROM visit v "
    "JOIN worker w USING (worker_id) GROUP BY 1, 2 ORDER BY 1, 2"
).df()
visits = mix.pivot(index="visit_type", columns="spsti_id", values="n").fillna(0).astype("int64")
display(safe_table(visits, known_totals=True))

# %% [markdown]
# Reprise and periodic visits dominate everywhere; the services differ in how often they
# see workers at mid-career or at the end of their career, which changes who enters a
# cohort indexed on those visits (notebook 02).
#
# A query result is shown here through `irdp.notebooks.safe_table`, the same disclosure
# control as every table of an `irdp run` report: the number of visits of each service is
# published in the first table, so a single masked cell per column could be recomputed by
# subtraction, and a second one is masked with it ("masked" = fewer than 11, or hidden so
# that one cannot be recomputed).
