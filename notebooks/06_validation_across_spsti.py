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
# # 06 — Does the index travel? Validation across SPSTI and periods
#
# An index developed in some services will be used in others: the IRDP-M study is the first
# test of such indices across many SPSTI. Internal-external cross-validation (IECV) develops
# the index on all services but one, validates it on the one left out, and repeats for every
# service; the per-service results are pooled by a random-effects meta-analysis whose
# **prediction interval** says what to expect in a new service (Debray et al. 2017, as
# `metamisc::valmeta`). The same is done forward in time (develop on early years, validate
# on later ones). When a service's calibration is off, the model can be **updated** for it
# (intercept, recalibration, refit), the closed testing procedure choosing how far to go.

# %%
import pandas as pd
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import build_features
from irdp.models import LogisticIndex
from irdp.outcomes import Binary
from irdp.synth import generate_dmst
from irdp.validation import centre_summary, closed_test, iecv, pool_centre_summaries

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
HORIZON_MONTHS = 24
PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m", "rqth",
              "company_size", "prev_amenagement_ever"]

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
spsti = table.loc[data.index, "spsti_id"].astype(str).to_numpy()
year = pd.to_datetime(table.loc[data.index, "index_date"]).dt.year.to_numpy()
y = Binary(table.loc[data.index, "event_at_horizon"].astype(bool).to_numpy(),
           horizon=cohort.horizon_days)
data = data.reset_index(drop=True)
# company size is left out here: small services may lack a size band seen elsewhere
data = data.drop(columns=["company_size"])
model = LogisticIndex(categorical={"sex": "M"})

# %% [markdown]
# ## Leave one SPSTI out

# %%
by_spsti = iecv(model, data, y, spsti)
display(by_spsti.per_centre)
display(by_spsti.summary().as_text() if hasattr(by_spsti.summary(), "as_text")
        else by_spsti.summary())

# %%
by_spsti.plot("c")

# %% [markdown]
# The prediction interval is wider than the confidence interval of the pooled C when the
# services differ (the generator gives each SPSTI its own baseline risk and case mix).
#
# ## Forward in time

# %%
period = pd.cut(year, [2000, 2019, 2021, 2100], labels=["2018-19", "2020-21", "2022-23"])
by_period = iecv(model, data, y, period.astype(str), scheme="forward",
                 order=["2018-19", "2020-21", "2022-23"])
display(by_period.per_centre)

# %% [markdown]
# ## Sharing summaries only
#
# Each service can compute its own figures with irdp and share only a disclosure-controlled
# summary; pooling the summaries gives the same meta-analysis as pooling the data.

# %%
fitted = LogisticIndex(categorical={"sex": "M"}).fit(data, y)
risk = fitted.predict_risk(data)
summaries = [centre_summary(y.take(spsti == s), risk[spsti == s], centre=s)
             for s in sorted(set(spsti))]
display(pd.concat(summaries))
pooled = pool_centre_summaries(summaries, "c")
print(f"pooled C (AUC) {pooled.estimate:.3f} ({pooled.lower:.3f}-{pooled.upper:.3f}); "
      f"95% prediction interval {pooled.pi_lower:.3f}-{pooled.pi_upper:.3f}")

# %% [markdown]
# ## Updating the index for one service
#
# Develop on all services but the last, then let the closed testing procedure decide
# whether the last one needs an intercept update, a recalibration or a refit.

# %%
last = sorted(set(spsti))[-1]
develop = LogisticIndex(categorical={"sex": "M"})
develop.fit(data[spsti != last].reset_index(drop=True), y.take(spsti != last))
choice = closed_test(develop, data[spsti == last].reset_index(drop=True),
                     y.take(spsti == last))
print("chosen update:", choice.method)
display(choice.tests)
