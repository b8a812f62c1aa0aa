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
# # 00 — A tour of irdp
#
# **irdp** validates indices of the risk of *désinsertion professionnelle* (job loss for
# health reasons), such as the IRDP (indice de repérage de la désinsertion professionnelle)
# developed by Présanse and the CHU d'Angers, on the occupational health record of the
# services de prévention et de santé au travail (SPSTI): the DMST.
#
# This tour runs the whole chain once, on a **synthetic** DMST (no real worker): a
# multi-SPSTI extract, a cohort with its outcome (an avis d'inaptitude within the horizon,
# with competing exits such as retirement), leak-free predictors, a fitted index, its
# validation, and the disclosure-controlled TRIPOD+AI report that an experiment produces.
# The next notebooks take each step in turn.
#
# Every table shown here is an aggregate that has passed disclosure control
# (`irdp.notebooks.safe_table`): a count under 11, or a count that would let one be
# recomputed, reads "masked".

# %%
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.experiment import experiment_from_dict
from irdp.features import build_features
from irdp.metrics import calibration, performance
from irdp.models import LogisticIndex
from irdp.notebooks import safe_flow, safe_table
from irdp.outcomes import Binary
from irdp.pipeline import run_experiment
from irdp.synth import generate_dmst

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
N_BOOT = 20
SEED = 20240601
OUT = "reports/notebooks/tour"

# %% [markdown]
# ## 1. A synthetic DMST
#
# `generate_dmst` simulates workers, employments, visits (VIP, SIR, pré-reprise, reprise,
# mi-carrière...), conclusions, CIM-10 diagnoses, exposures and questionnaires in several
# SPSTI that differ in case mix, baseline risk and coding habits, with a documented true
# model of the time to inaptitude.

# %%
dmst = generate_dmst(N_WORKERS, n_spsti=N_SPSTI, seed=SEED)
extract = dmst.extract
display(safe_table(pd.Series({name: extract.n_rows(name) for name in extract}, name="rows")))

# %% [markdown]
# One row per worker, employment, visit, conclusion... as a service's software would export
# them (the contract is in `docs/contract.md`).
#
# ## 2. Cohort, outcome and predictors
#
# Each worker enters at their first visit of 2018-2023 (the index date). The outcome is an
# avis d'inaptitude within 24 months; retirement, death and other job losses are competing
# events; a change of SPSTI and the end of the extract censor follow-up. Predictors only use
# records dated before the index date.

# %%
definition = CohortDefinition.from_dict({
    "name": "tour",
    "index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
    "extract_end": "2024-12-31",
    "horizon": {"months": 24},
})
cohort = build_cohort(extract, definition)
display(safe_flow(cohort.flow))
display(safe_table(cohort.summary(), known_totals=True))

# %% [markdown]
# The flow says who entered the cohort and why the others did not (TRIPOD+AI item 20a). The
# second table says how follow-up ended: over the whole follow-up and within the 24-month
# horizon. Inaptitude is rare (a few per hundred workers within two years), and more
# workers leave their job for other reasons: the competing exits that notebook 04 handles.

# %%
predictors = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m", "rqth",
              "company_size", "prev_amenagement_ever"]
X = build_features(extract, cohort, features=predictors)
numeric = X.select_dtypes("number")
display(numeric.describe(percentiles=[0.25, 0.5, 0.75]).T[["mean", "std", "25%", "50%", "75%"]]
        .assign(share_missing=numeric.isna().mean()).round(3))
display(safe_table(X["company_size"].value_counts(dropna=False).rename("workers"),
                   known_totals=True))

# %% [markdown]
# Predictors are summarised by their mean, spread and quartiles (never by a single worker's
# extreme value), and categories by their counts.
#
# ## 3. A logistic index and its performance
#
# The logistic index predicts the outcome by the horizon among workers whose status at the
# horizon is known. Missing values are not imputed silently: here we keep the complete
# cases for the tour (notebook 08 compares the strategies).

# %%
table = cohort.table
known = table["known_at_horizon"].astype(bool)
design = X[known].dropna()
print(f"{len(design)} of {int(known.sum())} workers with a known status at the horizon have "
      "every predictor recorded")
y = Binary(table.loc[design.index, "event_at_horizon"].astype(bool).to_numpy(),
           horizon=cohort.horizon_days)
design = design.reset_index(drop=True)
model = LogisticIndex(categorical={"sex": "M", "company_size": "0-9"})
model.fit(design, y)
coefs = model.summary().drop(index="(Intercept)")
display(pd.DataFrame({
    "odds ratio": np.exp(coefs["coef"]),
    "95 % CI from": np.exp(coefs["ci_lower"]),
    "to": np.exp(coefs["ci_upper"]),
    "p": ["<0.001" if p < 0.001 else f"{p:.3f}" for p in coefs["p"]],
}).round(2))

# %% [markdown]
# Each odds ratio compares workers who differ by one unit (or one category) of a predictor,
# the others being equal: for instance a long sick leave in the past five years multiplies
# the odds of inaptitude within two years by the `sl_long_n_5y` odds ratio.

# %%
risk = model.predict_risk(design)
table_perf = performance(y, risk, thresholds=(0.01, 0.03))
display(table_perf[["measure", "value", "lower", "upper"]].round(3).set_index("measure"))

# %% [markdown]
# How to read it: the **AUC** (C statistic) is the probability that a worker who becomes
# inapte had a higher predicted risk than one who does not (0.5 = chance, 1 = perfect); the
# **O/E ratio** compares the number of inaptitudes observed with the number predicted (1 =
# right on average); the **calibration slope** below 1 would mean predictions too extreme.
# These are *apparent* values, measured on the workers used to fit the model: they are
# optimistic (notebook 05 corrects them).

# %%
calibration(y, risk).plot(label="logistic index")

# %% [markdown]
# The calibration plot puts the observed risk (a smoothed curve, with its 95 % band) against
# the predicted risk: on the diagonal, a predicted 5 % means 5 of 100 such workers become
# inapte. The histogram shows where most predictions lie: below a few per cent, as expected
# for a rare outcome.
#
# ## 4. The same in one command: an experiment and its report
#
# An experiment names the extract, the cohort, the candidate indices and the validation
# design; `irdp run experiments/X.yaml` (or `run_experiment`) writes a folder with a
# self-contained HTML report following TRIPOD+AI, the tables as CSV after disclosure
# control (no count under 11), the exported models and a provenance record. The bar below
# follows its steps.

# %%
config = experiment_from_dict({
    "name": "tour",
    "seed": SEED,
    "extract": {"synthetic": {"n_workers": N_WORKERS, "n_spsti": N_SPSTI, "seed": SEED}},
    "cohort": definition.to_dict(),
    "indices": [{"name": "logistic", "kind": "logistic", "features": predictors}],
    "validation": {"holdout": {"by": "period", "cutoff": "2021-06-01"},
                   "bootstrap": {"n_boot": N_BOOT}, "iecv": {"by": ["spsti"]}},
    "fairness": {"groups": ["sex", "company_size", "spsti_id"], "n_boot": N_BOOT},
})
result = run_experiment(config, out=Path(OUT), progress=True)
print("report:", result.report_path.name, "in", result.run_dir.name)
print("tables:", ", ".join(sorted(p.stem for p in (result.run_dir / "tables").iterdir())[:8]),
      "...")

# %% [markdown]
# Open `report.html` in any browser: it needs no network. Steps that this version of irdp
# cannot run yet are listed explicitly, never filled with invented numbers:

# %%
display(result.unavailable)
