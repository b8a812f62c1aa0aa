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
# # 03 — Developing a logistic index
#
# The simplest candidate IRDP: a logistic regression of the avis d'inaptitude within the
# horizon on predictors known at the index date, reported in full (every coefficient with
# its confidence interval, TRIPOD+AI item 22), turned into absolute risks, checked for
# calibration and discrimination, and translated into a points score and the three levels
# faible / intermédiaire / forte that services use.
#
# A binary outcome at the horizon is only defined for workers whose status at the horizon
# is known: those censored earlier (change of SPSTI, end of the extract) are excluded here;
# notebook 04 uses them through survival methods instead.

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import build_features
from irdp.metrics import auc, calibration
from irdp.models import LogisticIndex, PointsScore, RiskLevels
from irdp.notebooks import safe_table
from irdp.outcomes import Binary
from irdp.plotting import plot_calibration, plot_roc
from irdp.synth import generate_dmst

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
HORIZON_MONTHS = 24
PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m", "rqth",
              "company_size", "prev_amenagement_ever"]
CUTOFFS = (0.01, 0.03)

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
print(f"{len(data)} workers, {y.n_events} avis d'inaptitude within {cohort.horizon_days} days")

# %% [markdown]
# ## The model
#
# Age enters through a restricted cubic spline (4 knots at the quantiles recommended by
# Harrell), categorical predictors with an explicit reference level. The fit reproduces R's
# `glm(family = binomial)`.

# %%
model = LogisticIndex(categorical={"sex": "M", "company_size": "0-9"}, splines={"age": 4})
model.fit(data, y)
coefs = model.summary().drop(index="(Intercept)")
display(pd.DataFrame({
    "odds ratio": np.exp(coefs["coef"]),
    "95 % CI from": np.exp(coefs["ci_lower"]),
    "to": np.exp(coefs["ci_upper"]),
    "p": ["<0.001" if p < 0.001 else f"{p:.3f}" for p in coefs["p"]],
}).round(2))

# %% [markdown]
# Odds ratios with their 95 % confidence intervals. The three `age` terms together describe
# a smooth, possibly curved, effect of age (a spline): read them together, not one by one.
# An interval that crosses 1 is compatible with no effect of that predictor once the others
# are accounted for.

# %%
risk = model.predict_risk(data)
c = auc(y, risk)
cal = calibration(y, risk)
print(f"AUC {c.value:.3f} (95 % CI {c.lower:.3f} to {c.upper:.3f}); "
      f"O/E {float(cal.oe):.2f}; calibration slope {float(cal.slope):.2f}")
plot_calibration(cal, label="logistic")

# %% [markdown]
# Discrimination: a worker who will be declared inapte has a higher predicted risk than one
# who will not in the share of pairs given by the AUC printed above. Calibration: observed and
# predicted risks agree along the diagonal, with the widest uncertainty where few workers
# are (the high risks, see the histogram).

# %%
plot_roc(y, {"logistic": risk})

# %% [markdown]
# The ROC curve shows the trade-off at every possible cut-off: flagging more workers
# (moving right) finds more future inaptitudes (up) at the cost of more false alarms. Its
# points are drawn for groups of at least 11 workers with and without the outcome, so the
# curve is a little coarser than the data.
#
# These are **apparent** figures: measured on the data used to fit the model they are
# optimistic. Notebook 05 corrects them by the bootstrap, notebook 06 checks them in SPSTI
# and periods the model has not seen.
#
# ## A points score
#
# For use without a computer, Sullivan's method turns the model into whole points per
# category; the loss of discrimination due to rounding is reported. Numeric predictors are cut
# at their quintiles, except sick-leave days: most workers have none, so its quintiles are all
# 0 and it would earn no point. It is cut where clinicians read it instead: none, up to 90
# days, 91 days or more (a long sick leave).

# %%
points = PointsScore(model=LogisticIndex(categorical={"sex": "M", "company_size": "0-9"}),
                     bins={"sl_days_24m": [1, 91]})
points.fit(data, y)
display(points.points_table_)
loss = points.rounding_loss_
print(f"C of the model {loss['c_model']:.3f}, of the points score {loss['c_points']:.3f}: "
      f"rounding to whole points costs {loss['difference']:.3f} of C")

# %% [markdown]
# Each category earns whole points; a worker's score is the sum of their points. The loss
# of discrimination from rounding is small, so the score can be used on paper.

# %% [markdown]
# ## Three risk levels
#
# The IRDP classes workers as faible, intermédiaire or forte. With fixed risk thresholds,
# each level's size and observed event rate:

# %%
levels = RiskLevels(thresholds=CUTOFFS).fit(risk)
report = levels.report(risk, y).drop(columns=["share"]).round(4)
display(safe_table(report, count_columns=["n", "n_events"], known_totals=True,
                   rates={"event_rate": ("n_events", "n")}))

# %% [markdown]
# With cut-offs at 1 % and 3 % of predicted risk, the observed rate of inaptitude rises
# from the faible to the forte level, and the mean predicted risk of each level is close to
# its observed rate (the index is calibrated on its own data). Counts under 11 are masked,
# with the event rate that would reveal them.
