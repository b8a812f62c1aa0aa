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
# # 10 — How many workers does the IRDP-M study need?
#
# Before fitting or validating an index, a protocol must justify its sample size (TRIPOD+AI
# item 10). "Ten events per variable" is a rule of thumb that fails for rare outcomes such as
# the avis d'inaptitude (about 7 per 1,000 followed workers per year). Riley et al. (BMJ
# 2020;368:m441) replaced it by criteria that target what matters: little overfitting
# (expected shrinkage of at least 0.9), a small gap between apparent and adjusted R², and a
# precise estimate of the overall risk. For validation, Riley et al. (Stat Med 2021) ask for
# precise estimates of the observed/expected ratio, of the calibration slope and of the C
# statistic.
#
# This notebook computes both with `irdp.validation`, whose numbers reproduce the R packages
# `pmsampsize` and `pmvalsampsize`, for the IRDP-M study: how many workers must be included
# to develop an index with a given number of candidate parameters, and how many a single
# SPSTI needs to check it.

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from irdp.validation import development_sample_size, validation_sample_size

# %% tags=["parameters"]
PREVALENCES = [0.005, 0.01, 0.02, 0.05]  # risk of inaptitude by the horizon
PARAMETERS = [10, 20, 40, 80]  # candidate parameters (dummies and spline terms count)
ANTICIPATED_C = 0.75  # C statistic expected from the literature (e.g. WAI: 0.78)
SHRINKAGE = 0.9
LP_SD = 1.0  # SD of the linear predictor in a validation SPSTI

# %% [markdown]
# ## Developing an index
#
# The number of workers needed grows with the number of candidate parameters and, above all,
# as the outcome gets rarer: the information is in the events, not in the workers.

# %%
rows = []
for prevalence in PREVALENCES:
    for p in PARAMETERS:
        res = development_sample_size(
            "binary", parameters=p, cstatistic=ANTICIPATED_C, prevalence=prevalence,
            shrinkage=SHRINKAGE,
        )
        rows.append({"prevalence": prevalence, "parameters": p,
                     "workers": res.sample_size, "events": round(res.events),
                     "events_per_parameter": round(res.epp, 1)})
development = pd.DataFrame(rows)
display(development.pivot(index="parameters", columns="prevalence", values="workers"))

# %% [markdown]
# Read a column as one outcome frequency: doubling the number of candidate parameters
# doubles the workers needed, and halving the frequency of inaptitude doubles them again.

# %% [markdown]
# Each cell is the minimum number of workers (the largest of Riley's three criteria). The
# criteria themselves, for one scenario, show which one binds: here criterion 1 (shrinkage),
# as is usual when the outcome is rare.

# %%
example = development_sample_size("binary", parameters=PARAMETERS[1],
                                  cstatistic=ANTICIPATED_C, prevalence=PREVALENCES[1],
                                  shrinkage=SHRINKAGE)
display(example.criteria)

# %% [markdown]
# ## Validating an index in one SPSTI
#
# To check an index in a new service, the numbers needed come from the precision wanted for
# calibration (O/E within ±10 %, slope within ±0.1) and discrimination (C within ±0.05).
# The linear predictor is assumed normal with the SD above, with a mean giving the expected
# prevalence.

# %%
rows = []
for prevalence in PREVALENCES:
    mean_lp = float(np.log(prevalence / (1 - prevalence)))
    res = validation_sample_size(prevalence=prevalence, cstatistic=ANTICIPATED_C,
                                 lp_normal=(mean_lp, LP_SD))
    rows.append({"prevalence": prevalence, "workers": res.sample_size,
                 "events": round(res.events)})
validation = pd.DataFrame(rows)
display(validation)

# %% [markdown]
# About 370-380 inaptitudes are needed whatever the frequency (the calibration criteria
# bind): the rarer the outcome, the more workers it takes to observe them.

# %% [markdown]
# ## Reading the numbers
#
# - With about 1 % of workers declared inapte within 12 months, developing an index with 20
#   candidate parameters needs tens of thousands of workers: the multicentre design of
#   IRDP-M is a necessity, not a luxury.
# - Validating in a single small SPSTI is often underpowered for calibration; pooling
#   per-SPSTI results by meta-analysis (notebook 06) is the way out.
#
# References: Riley RD et al. Calculating the sample size required for developing a clinical
# prediction model. BMJ 2020;368:m441. Riley RD et al. Minimum sample size for external
# validation of a clinical prediction model with a binary outcome. Stat Med 2021;40:4230-51.
