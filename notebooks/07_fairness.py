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
# # 07 — Fairness: does the index serve every group equally well?
#
# A risk index flags workers for preventive action. If it is miscalibrated in a group —
# predicting too little risk for women, for small companies or in one SPSTI — a single cut-off
# treats that group unequally. TRIPOD+AI (item 14) asks how fairness was assessed. irdp
# reports, for each group: size and events, discrimination, calibration (O/E,
# calibration-in-the-large, slope) and classification at the risk thresholds, with bootstrap
# CIs, censoring-aware at the horizon, and flags the groups whose calibration CI excludes
# perfect calibration. Groups too small to be reported are listed as suppressed, never
# dropped silently, and every count passes disclosure control (no count under 11).

# %%
import pandas as pd
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.fairness import fairness_summary, group_calibration, group_performance
from irdp.features import build_features
from irdp.models import LogisticIndex
from irdp.notebooks import safe_table
from irdp.outcomes import Binary
from irdp.synth import generate_dmst

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
HORIZON_MONTHS = 24
PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m", "rqth",
              "company_size", "prev_amenagement_ever"]
N_BOOT = 200
THRESHOLDS = (0.01, 0.03)

# %%
dmst = generate_dmst(N_WORKERS, n_spsti=N_SPSTI, seed=SEED)
definition = CohortDefinition.from_dict({
    "name": "first_visit",
    "index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
    "extract_end": "2024-12-31",
    "horizon": {"months": HORIZON_MONTHS},
})
cohort = build_cohort(dmst.extract, definition)
X = build_features(dmst.extract, cohort, features=PREDICTORS)
table = cohort.table
print(cohort)

# %%
known = table["known_at_horizon"].astype(bool)
data = X[known].dropna()
groups = X.loc[data.index, ["sex", "company_size"]].astype(str).reset_index(drop=True)
groups["age_band"] = pd.cut(table.loc[data.index, "age"], [0, 39, 54, 200],
                            labels=["16-39", "40-54", "55+"]).astype(str).to_numpy()
y = Binary(table.loc[data.index, "event_at_horizon"].astype(bool).to_numpy(),
           horizon=cohort.horizon_days)
data = data.reset_index(drop=True)
risk = LogisticIndex(categorical={"sex": "M", "company_size": "0-9"}).fit(data, y)\
    .predict_risk(data)

# %% [markdown]
# The groups compared are sex, the size of the employer and three age bands, each with
# enough inaptitudes for its own estimates. Services (SPSTI) are compared in notebook 06,
# where the index is validated in each service it was not developed on.
#
# ## One grouping in detail

# %%
by_sex = group_performance(y, risk, groups["sex"], n_boot=N_BOOT, seed=SEED)
display(by_sex.summary())

# %%
by_sex.plot("oe_ratio")

# %% [markdown]
# For women and for men, the ratio of observed to expected inaptitudes with its bootstrap
# 95 % interval; the dashed line is the whole sample. An interval that excludes 1 would mean
# the index systematically under- (above 1) or over-estimates (below 1) the risk of that
# group, and a single cut-off would then flag too few or too many of its workers. Here the
# ratio is exactly 1 in both groups: sex is one of the predictors, and a logistic model
# reproduces the observed number of events of each category of its predictors on the data
# it was fitted to. The informative check is on other workers (validation data).
#
# ## Every grouping at once

# %%
fair = fairness_summary(y, risk, groups, thresholds=THRESHOLDS, n_boot=N_BOOT, seed=SEED)
display(safe_table(fair.groups.set_index(["grouping", "group"]),
                   count_columns=["n", "events", "non_events"]))
display(fair.to_frame().set_index(["grouping", "group"]))

# %%
fair.plot("oe_ratio")

# %% [markdown]
# All groups on one figure. Age is not a category of the model (it enters as a number), so
# the age bands are the groups where miscalibration can show on these data. Discrimination
# (AUC) within an age band is lower than overall, as expected: age is one of the strongest
# predictors, and within a band it no longer separates workers.

# %%
group_calibration(y, risk, groups["age_band"], n_bins=5).plot()

# %% [markdown]
# The calibration curve of each age band (five bins of predicted risk per band; a bin whose
# counts fall under 11 is not drawn). Points above the diagonal are groups of workers whose
# observed risk exceeds their predicted risk.
#
# These are apparent figures (the model is evaluated on its own development data); in a
# study, run the same check on validation data, as `irdp run` does.
