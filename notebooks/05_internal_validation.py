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
# # 05 — Internal validation: how optimistic is the apparent performance?
#
# A model always looks better on the data it was fitted to. Harrell's optimism bootstrap
# (as `rms::validate`) refits the **whole** modelling procedure in each bootstrap sample,
# measures how much better it does there than on the original data (the optimism), and
# subtracts that from the apparent performance. The optimism-corrected calibration slope is
# the uniform shrinkage factor: multiplying the coefficients by it removes the expected
# overfitting (TRIPOD+AI items 12c and 23a; PROBAST 4.8).

# %%
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import build_features
from irdp.models import LogisticIndex
from irdp.notebooks import safe_table
from irdp.outcomes import Binary
from irdp.synth import generate_dmst
from irdp.validation import (
    apply_shrinkage,
    bootstrap_validate,
    cross_validate,
    shrinkage_factor,
    stability,
)

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
HORIZON_MONTHS = 24
N_BOOT = 200
PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m", "rqth",
              "company_size", "prev_amenagement_ever"]
LEVEL_CUTOFFS = (0.02, 0.05)  # faible < 2 % <= intermédiaire < 5 % <= forte

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
y = Binary(table.loc[data.index, "event_at_horizon"].astype(bool).to_numpy(),
           horizon=cohort.horizon_days)
data = data.reset_index(drop=True)
model = LogisticIndex(categorical={"sex": "M", "company_size": "0-9"})

# %% [markdown]
# ## The optimism bootstrap
#
# The result does not depend on the number of cores: each replicate draws from its own
# random stream derived from the seed.

# %%
result = bootstrap_validate(model, data, y, n_boot=N_BOOT, seed=SEED, n_jobs=1,
                            calibration_curve=True)
columns = ["apparent", "optimism", "corrected"]
display(result.to_frame()[columns].round(3))

# %% [markdown]
# Read the last column: the C statistic and the calibration slope expected in new workers
# from the same services, once the optimism (how much better the model looks on its own
# data) is removed. A corrected slope below 1 means the apparent predictions are too
# extreme: high risks are overestimated and low risks underestimated in new workers.

# %%
result.calibration.plot()

# %% [markdown]
# The dashed curve is the apparent calibration, the blue one the optimism-corrected curve
# (as `rms::calibrate`). Where the blue curve falls below the diagonal, the index
# overestimates the risk of new workers; the title gives the mean and 90th percentile of
# that gap over the workers' predicted risks, to three significant digits.

# %%
factor = shrinkage_factor(result)
print(f"uniform shrinkage factor (optimism-corrected slope): {factor:.3f}")
fitted = LogisticIndex(categorical={"sex": "M", "company_size": "0-9"}).fit(data, y)
shrunk = apply_shrinkage(fitted, factor, data, y)
display(fitted.coef_.to_frame("original").assign(shrunk=shrunk.coef_).round(3))

# %% [markdown]
# Every log odds ratio is multiplied by the same factor (the intercept is then re-estimated
# so that the average predicted risk still equals the observed one): the shrunk model
# predicts less extreme risks, as it should for new workers.

# %% [markdown]
# ## Cross-validation gives the same kind of answer
#
# 5-fold cross-validation, repeated twice, in the same output shape.

# %%
cv = cross_validate(model, data, y, n_splits=5, n_repeats=2, seed=SEED, n_jobs=1)
display(cv.to_frame()[columns].round(3))

# %% [markdown]
# Cross-validation estimates the same corrected performance in another way (fit on four
# fifths, test on the fifth left out). Both are random: with few replicates they can differ
# by a few hundredths of C; a study uses at least 200 bootstrap replicates (`N_BOOT`), and
# the two then tell the same story.
#
# With thousands of workers and a handful of predictors the optimism is small; it grows
# quickly when the number of candidate parameters approaches the number of events
# (notebook 10 sizes the study so that the expected shrinkage stays above 0.9).

# %% [markdown]
# ## Stability: would a worker's risk, and level, be the same with another development sample?
#
# The optimism bootstrap says how good the index is *on average*. Stability (Riley & Collins
# 2023, TRIPOD+AI 12c) asks a question closer to the consultation: had the index been built
# from another sample of workers of the same size, how much would **this worker's** risk —
# and their level faible / intermédiaire / forte — change? The index is rebuilt on the same
# bootstrap samples as above (same seed), and every rebuilt index predicts the risk of every
# worker of the development data.

# %%
stable = stability(model, data, y, n_boot=N_BOOT, seed=SEED, n_jobs=1, levels=LEVEL_CUTOFFS)
print(f"{stable.n_boot - stable.n_failed} rebuilt indices; a worker's risk moves by "
      f"{100 * stable.mape:.2f} percentage points on average (MAPE)")
by_level = stable.by_level[["n", "mean_risk", "mape", "level_change"]]
display(safe_table(by_level, count_columns=["n"], known_totals=True,
                   rates={c: ("n", "n") for c in ("mean_risk", "mape", "level_change")}
                   ).round(4))

# %% [markdown]
# One row per risk level given by the index: how many workers, their mean predicted risk,
# how far the rebuilt indices' predictions are from it on average (MAPE, on the risk scale:
# 0.01 is one percentage point), and the probability that a worker of that level would be
# put in another level by a rebuilt index. Workers near a cut-off change level most often.

# %%
transitions = stable.transitions
display(safe_table(transitions, count_columns=["n"], known_totals=True,
                   rates={c: ("n", "n") for c in ("faible", "intermédiaire", "forte")}
                   ).round(3))

# %% [markdown]
# Rows: the level given by the index; columns: the share of the rebuilt indices'
# predictions for those workers that fall in each level. The diagonal is the share of
# predictions that keep the worker in the same level; a *forte* worker put in *faible* (the
# bottom-left cell) would be the worrying case.

# %%
stable.plot("prediction")

# %% [markdown]
# **Prediction instability.** x: the risk given by the index; y: the risks given by the
# rebuilt indices, as the median (line) and the band holding 95 % of them, for groups of at
# least 11 workers with similar risk. A narrow band along the diagonal means a stable index;
# the band usually widens with the risk, because few workers have high risks.

# %%
stable.plot("classification")

# %% [markdown]
# **Classification instability.** For each cut-off between levels, the probability that a
# worker ends up on the other side of it when the index is rebuilt, against the worker's
# risk. It peaks at the cut-off by construction (a worker at 2.0 % is on either side by
# chance); an unstable index keeps high values far from it.

# %%
stable.plot("calibration")

# %% [markdown]
# **Calibration instability.** The calibration curve of each rebuilt index on the
# development data (grey) and that of the index (dashed). When the grey curves spread
# widely, the calibration seen in the development data is itself fragile. With a few
# thousand workers and eight predictors the index is stable for most workers; stability
# degrades quickly with fewer workers or more predictors (notebook 10 sizes the study).
