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
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.fairness import fairness_summary, group_performance
from irdp.features import build_features
from irdp.models import LogisticIndex
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
groups["spsti_id"] = table.loc[data.index, "spsti_id"].astype(str).to_numpy()
groups["age_band"] = (table.loc[data.index, "age"] // 15 * 15).astype(int).astype(str).to_numpy()
y = Binary(table.loc[data.index, "event_at_horizon"].astype(bool).to_numpy(),
           horizon=cohort.horizon_days)
data = data.reset_index(drop=True)
risk = LogisticIndex(categorical={"sex": "M", "company_size": "0-9"}).fit(data, y)\
    .predict_risk(data)

# %% [markdown]
# ## One grouping in detail

# %%
by_sex = group_performance(y, risk, groups["sex"], n_boot=N_BOOT, seed=SEED)
print(by_sex.summary())
by_sex.plot("oe_ratio")

# %% [markdown]
# ## Every grouping at once

# %%
fair = fairness_summary(y, risk, groups, thresholds=THRESHOLDS, n_boot=N_BOOT, seed=SEED)
display(fair.groups)
display(fair.to_frame())

# %%
fair.plot("oe_ratio")

# %% [markdown]
# These are apparent figures (the model is evaluated on its own development data); in a
# study, run the same check on validation data, as `irdp run` does.
