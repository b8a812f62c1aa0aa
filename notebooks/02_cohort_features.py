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
# # 02 — Cohort and features: leak-free by construction
#
# Most prediction studies on routine records go wrong here: a predictor that peeks past the
# prediction date, an outcome window that is not the protocol's, workers who silently drop
# out. In irdp:
#
# - a **cohort definition** states the index date (when the prediction is made), who is
#   eligible, what counts as the outcome (an avis d'inaptitude), the competing events
#   (retirement, death, other job loss), the censoring rules (change of SPSTI, end of the
#   extract) and the horizon;
# - `build_cohort` returns one row per worker and index date with its outcome, and the
#   **flow table** of TRIPOD+AI item 20a (who was excluded at each step, and why);
# - `build_features` computes the predictors from records dated **before** the index date
#   only, from a registry that documents each one (family of the HAS 2019 risk factors,
#   source tables, thesauri, look-back window).

# %%
import pandas as pd
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import build_features, data_dictionary, missingness_report
from irdp.io import Extract
from irdp.notebooks import safe_flow, safe_table
from irdp.synth import generate_dmst

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
LANDMARK = "2021-01-01"
HORIZON_MONTHS = 12

# %%
dmst = generate_dmst(N_WORKERS, n_spsti=N_SPSTI, seed=SEED)
extract = dmst.extract

# %% [markdown]
# ## A cohort at mid-career and reprise visits
#
# Index events: every mi-carrière or reprise visit of 2018-2023 — the moments at which an
# occupational physician would look at the index. Outcome: avis d'inaptitude within the
# horizon.

# %%
definition = CohortDefinition.from_dict({
    "name": "visits",
    "index": {"kind": "visit", "visit_types": ["MI_CARRIERE", "REPRISE"],
              "start": "2018-01-01", "end": "2023-12-31"},
    "extract_end": "2024-12-31",
    "eligibility": {"age_min": 18, "age_max": 67},
    "horizon": {"months": HORIZON_MONTHS},
})
print(definition.to_yaml())
cohort = build_cohort(extract, definition)
display(safe_flow(cohort.flow))

# %% [markdown]
# The flow adds up: each step removes index events for one documented reason, and the
# candidates are the sum of those excluded and those included (small counts are masked with
# a second one, so that none can be recomputed by subtraction). A worker can enter several
# times, once per mid-career or reprise visit. The outcome summary counts how follow-up
# ended, overall and within the horizon.

# %%
display(safe_table(cohort.summary(), known_totals=True))
entries = cohort.table.assign(year=cohort.table["index_date"].dt.year)
display(safe_table(entries.pivot_table(index="year", columns="index_visit_type",
                                       values="spsti_id", aggfunc="size", fill_value=0),
                   known_totals=True))

# %% [markdown]
# Within a year of a reprise or mid-career visit, a few workers in a hundred are declared
# inapte; many more are still followed at the horizon (censored: the extract ends) or leave
# for another reason. The second table shows when the cohort's index visits happened: the
# notebooks never show individual rows of the cohort (worker, visit, dates), only counts.

# %% [markdown]
# ## The feature registry
#
# Each feature is documented once, in French and English, with its family, sources and
# look-back window; the data dictionary is generated from the registry (so code and
# documentation cannot drift).

# %%
dictionary = data_dictionary()
display(dictionary.groupby("family").size().rename("features"))
display(dictionary[["name", "family", "label_fr", "lookback", "missing"]].head(12))

# %% [markdown]
# The 12 first entries of the dictionary: the health family (sick leaves and their
# duration over 12 months, 24 months, 5 years), with the French label printed in reports
# and what a missing value means.

# %%
X = build_features(extract, cohort)
print(f"{X.shape[1]} features for {X.shape[0]} index visits")
missing = missingness_report(X, cohort)
overall = missing[missing["spsti_id"] == "ALL"].set_index("feature")
overall = overall.assign(n_recorded=overall["n"] - overall["n_missing"])
most = overall.sort_values("share_missing").tail(8)
display(safe_table(most[["n", "n_recorded", "n_missing", "share_missing"]],
                   count_columns=["n", "n_recorded", "n_missing"], row_total="n",
                   rates={"share_missing": ("n_missing", "n")}))

# %% [markdown]
# The least complete features: questionnaire scores (answered at few visits, in some
# services only) and durations that only exist for workers with an ongoing sick leave or a
# recognised disability. Missing here often means "not applicable" or "not asked", which is
# why notebook 08 compares ways of handling it rather than dropping workers.

# %% [markdown]
# ## Leak-free, checked
#
# Take a landmark date and delete every visit dated after it (with its conclusions,
# diagnoses and questionnaires). Features at the landmark must not change: they only see the
# past (and, where the dictionary says "at index included", what is known at the start of
# the index visit itself). The project's test suite checks the same property on random
# mutations of any record after any index date.

# %%
tables = {name: dmst.tables[name] for name in dmst.tables}
landmark = pd.Timestamp(LANDMARK)
visits = tables["visit"]
kept = visits[pd.to_datetime(visits["visit_date"]) <= landmark]
truncated = dict(tables, visit=kept)
for child in ("conclusion", "diagnosis", "questionnaire"):
    truncated[child] = tables[child][tables[child]["visit_id"].isin(kept["visit_id"])]
rows = pd.DataFrame({"worker_id": tables["worker"]["worker_id"], "index_date": landmark})
before = build_features(extract, rows)
after = build_features(Extract.from_frames(truncated), rows)
identical = before.compare(after).empty
print(f"{len(visits) - len(kept)} visits deleted after {LANDMARK}; features identical:",
      identical)
assert identical

# %% [markdown]
# Deleting every later visit leaves every feature unchanged: nothing the predictors use
# comes from after the prediction date, so the performance measured in the next notebooks
# is not inflated by information from the future.
