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
# # 09 — Comparing indices: fitted models versus existing questionnaires
#
# Services already use local instruments: a 4-question mid-career questionnaire, the Work
# Ability Index (WAI) and the short Örebro questionnaire (ÖMPSQ-SF). Is a model fitted on
# DMST data better? A fair comparison puts every index on the probability scale (each
# questionnaire score is mapped to a risk by logistic recalibration), evaluates all of them
# **on the same workers** (those who answered the questionnaire) and reports paired
# differences: AUC with DeLong's test, calibration, net benefit across thresholds, and how
# workers move between the levels faible / intermédiaire / forte.

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import build_features
from irdp.metrics import auc, delong_test, net_benefit, nri
from irdp.models import FixedScoreIndex, LogisticIndex, RiskLevels
from irdp.outcomes import Binary
from irdp.plotting import plot_decision_curve
from irdp.synth import generate_dmst

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
HORIZON_MONTHS = 24
PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m", "rqth",
              "company_size", "prev_amenagement_ever"]
INSTRUMENT = "wai_total"  # WAI total score (7-49, low = poor work ability)
CUTOFFS = (0.01, 0.03)

# %% [markdown]
# Questionnaires are answered at some visits (the WAI at periodic visits here), so the cohort
# is indexed at every periodic or mid-career visit, and the index uses the last answer before
# it.

# %%
dmst = generate_dmst(N_WORKERS, n_spsti=N_SPSTI, seed=SEED)
definition = CohortDefinition.from_dict({
    "name": "periodic",
    "index": {"kind": "visit", "visit_types": ["VIP_PER", "SIR_PER", "MI_CARRIERE"],
              "start": "2018-01-01", "end": "2023-12-31"},
    "extract_end": "2024-12-31",
    "horizon": {"months": HORIZON_MONTHS},
})
cohort = build_cohort(dmst.extract, definition)
X = build_features(dmst.extract, cohort, features=[*PREDICTORS, INSTRUMENT])
table = cohort.table
known = table["known_at_horizon"].astype(bool)
data = X[known].dropna()
y = Binary(table.loc[data.index, "event_at_horizon"].astype(bool).to_numpy(),
           horizon=cohort.horizon_days)
data = data.reset_index(drop=True)
print(f"{len(data)} index visits with a WAI answer, {y.n_events} events")

# %%
half = np.arange(len(data)) % 2 == 0  # develop on one half, compare on the other
model = LogisticIndex(categorical={"sex": "M", "company_size": "0-9"})
model.fit(data.loc[half, PREDICTORS].reset_index(drop=True), y.take(half))
wai = FixedScoreIndex(instrument=None, score_column=INSTRUMENT, higher_is_riskier=False)
wai.fit(data.loc[half, [INSTRUMENT]].reset_index(drop=True), y.take(half))
test = data.loc[~half].reset_index(drop=True)
y_test = y.take(~half)
risks = {"DMST model": model.predict_risk(test[PREDICTORS]),
         "WAI (recalibrated)": wai.predict_risk(test[[INSTRUMENT]])}

# %%
display(pd.DataFrame({name: {"AUC": float(auc(y_test, r))} for name, r in risks.items()}))
print(delong_test(y_test, risks["DMST model"], risks["WAI (recalibrated)"]))

# %%
thresholds = np.round(np.linspace(0.005, 0.1, 20), 3)
curves = {name: net_benefit(y_test, r, thresholds, name=name) for name, r in risks.items()}
plot_decision_curve(curves)

# %% [markdown]
# ## Moving between risk levels

# %%
levels = RiskLevels(thresholds=CUTOFFS).fit(risks["DMST model"])
a = levels.transform(risks["DMST model"])
b = levels.transform(risks["WAI (recalibrated)"])
display(pd.crosstab(pd.Series(b, name="WAI"), pd.Series(a, name="DMST model")))
print(nri(y_test, risks["WAI (recalibrated)"], risks["DMST model"], thresholds=CUTOFFS))
