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
# **on the same workers** (those who answered the questionnaire), with neither index
# developed on those workers' outcomes, and reports paired differences with their
# uncertainty: AUC with DeLong's test, calibration, net benefit across thresholds, and how
# workers move between the levels faible / intermédiaire / forte.
#
# It also asks first whether the comparison is possible at all: a questionnaire answered
# by few workers gives few events, and a difference of AUC estimated on a dozen events says
# nothing.

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import build_features
from irdp.metrics import auc, calibration, delong_test, net_benefit, nri
from irdp.models import FixedScoreIndex, LogisticIndex, RiskLevels
from irdp.notebooks import safe_table
from irdp.outcomes import Binary
from irdp.plotting import plot_decision_curve
from irdp.synth import generate_dmst
from irdp.validation import validation_sample_size

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
HORIZON_MONTHS = 24
PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m", "rqth",
              "company_size", "prev_amenagement_ever"]
INSTRUMENT = "wai_total"  # WAI total score (7-49, low = poor work ability)
CUTOFFS = (0.01, 0.03)
MIN_EVENTS_PER_PARAMETER = 10  # below this, the DMST model is penalised (ridge)

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
known = table["known_at_horizon"].astype(bool) & X[PREDICTORS].notna().all(axis=1)
event = table["event_at_horizon"].astype("boolean").fillna(False).astype(bool)
answered = known & X[INSTRUMENT].notna()
# a worker who answered the WAI at any visit belongs to the comparison, never to development
wai_workers = set(table.loc[answered, "worker_id"])
develop = known & ~table["worker_id"].isin(wai_workers)
counts = pd.DataFrame({
    "index visits": [int(develop.sum()), int(answered.sum())],
    "inaptitudes": [int(event[develop].sum()), int(event[answered].sum())],
}, index=["development (no WAI answer)", "comparison (WAI answered)"])
display(safe_table(counts))

# %% [markdown]
# The WAI is collected in a few services only, so most visits have no answer. Those visits,
# of workers who never answered it, are used to develop the DMST model; the visits with an
# answer are kept for the comparison. Neither index sees the comparison workers' outcomes.
#
# ## Is the comparison possible?
#
# Riley et al. (Stat Med 2021) give the number of workers needed to validate an index
# precisely (O/E within ±10 %, calibration slope within ±0.1, C within ±0.05). For the
# outcome's frequency in the comparison workers and a C of 0.75:

# %%
prevalence = float(event[answered].mean())
needed = validation_sample_size(prevalence=prevalence, cstatistic=0.75,
                                lp_normal=(float(np.log(prevalence / (1 - prevalence))), 1.0))
n_events = int(event[answered].sum())
print(f"comparison set: {n_events} inaptitudes; a precise validation needs about "
      f"{round(needed.events)} ({needed.sample_size} workers at this frequency)")
enough = n_events >= needed.events

# %% [markdown]
# With far fewer events than that, every measure below comes with a wide interval, and a
# difference between the indices smaller than that interval is not evidence that one of
# them is better. The comparison is still shown, with its intervals, so that the reader
# can see how little it can tell.
#
# ## Two indices on the probability scale
#
# The DMST model is a logistic regression on the development visits. With fewer than
# 10 events per parameter, an unpenalised model overfits (and can fail to converge): it is
# then fitted with a ridge penalty chosen by cross-validation. The WAI score is turned
# into a risk by logistic recalibration, fitted on one half of the comparison workers and
# applied to the other half, and the other way round (2-fold cross-fitting): its risks are
# never computed from the outcomes of the workers they are evaluated on. A recalibration is
# a monotone map of the score, so the WAI's AUC is that of its score itself (low work
# ability = higher risk); the recalibrated risks serve calibration and net benefit.

# %%
X_dev = X.loc[develop, PREDICTORS].reset_index(drop=True)
y_dev = Binary(event[develop].to_numpy(), horizon=cohort.horizon_days)
categorical = {"sex": "M", "company_size": "0-9"}
n_parameters = 1 + sum(X_dev[c].nunique() - 1 if c in categorical else 1 for c in PREDICTORS)
epp = y_dev.n_events / n_parameters
model = LogisticIndex(categorical=categorical)
if epp < MIN_EVENTS_PER_PARAMETER:
    model = LogisticIndex(categorical=categorical, penalty="l2", random_state=SEED)
model.fit(X_dev, y_dev)
print(f"DMST model: {y_dev.n_events} inaptitudes for {n_parameters} parameters "
      f"({epp:.1f} events per parameter): "
      f"{'ridge-penalised' if epp < MIN_EVENTS_PER_PARAMETER else 'unpenalised'} fit")

compare = X.loc[answered].reset_index(drop=True)
y_test = Binary(event[answered].to_numpy(), horizon=cohort.horizon_days)
fold = np.arange(len(compare)) % 2
wai_risk = np.empty(len(compare))
for k in (0, 1):
    wai = FixedScoreIndex(instrument=None, score_column=INSTRUMENT, higher_is_riskier=False)
    wai.fit(compare.loc[fold != k, [INSTRUMENT]].reset_index(drop=True),
            y_test.take(fold != k))
    wai_risk[fold == k] = wai.predict_risk(compare.loc[fold == k, [INSTRUMENT]]
                                           .reset_index(drop=True))
risks = {"DMST model": model.predict_risk(compare[PREDICTORS]),
         "WAI (recalibrated)": wai_risk}

# %%
ranking = {"DMST model": risks["DMST model"],
           "WAI (recalibrated)": -compare[INSTRUMENT].to_numpy(dtype=float)}
rows = {}
for name, r in risks.items():
    c = auc(y_test, ranking[name])
    cal = calibration(y_test, r)
    rows[name] = {"AUC": c.value, "AUC from": c.lower, "to": c.upper,
                  "O/E": float(cal.oe), "calibration slope": float(cal.slope)}
display(pd.DataFrame(rows).T.round(3))
diff = delong_test(y_test, ranking["DMST model"], ranking["WAI (recalibrated)"])
print(f"difference of AUC (DMST model - WAI): {diff.value:+.3f} "
      f"(95 % CI {diff.lower:+.3f} to {diff.upper:+.3f}), "
      f"p = {diff.details['p_value']:.2f} (DeLong)")
for name, r in rows.items():
    if r["AUC"] < 0.5:
        print(f"{name}: AUC below 0.5, worse than chance on these workers; with this few "
              "events it is compatible with chance variation, not a sign of a reversed index")
if not enough:
    print(f"conclusion: too few events for a conclusive comparison ({n_events} inaptitudes, "
          f"about {round(needed.events)} needed); the figures above are shown for "
          "transparency, not to rank the indices")
elif diff.lower <= 0 <= diff.upper:
    print("conclusion: these data cannot tell which index discriminates better")
else:
    better = "DMST model" if diff.value > 0 else "WAI"
    print(f"conclusion: the {better} discriminates better on these workers")

# %% [markdown]
# How to read it. An AUC says how often an index ranks a worker who will be declared inapte
# above one who will not (0.5 is chance); the interval of the difference says whether the
# data can separate the two indices. The O/E and slope say whether each index's risks can be
# read as probabilities for these workers; with few inaptitudes they too are imprecise. The
# printed conclusion follows from the intervals, and when the events are too few the honest
# conclusion is that the comparison needs more data (more services collecting the WAI, or a
# longer follow-up), not that one index wins.

# %%
thresholds = np.round(np.linspace(0.005, 0.1, 20), 3)
curves = {name: net_benefit(y_test, r, thresholds, name=name) for name, r in risks.items()}
plot_decision_curve(curves)

# %% [markdown]
# Net benefit counts the inaptitudes an index finds, net of the false alarms weighted by
# the threshold's odds, per worker: an index is useful at a threshold where its curve lies
# above both "flag everybody" and "flag nobody". Thresholds at which fewer than 11 workers
# would be flagged, or left unflagged, are not drawn.
#
# ## Moving between risk levels

# %%
levels = RiskLevels(thresholds=CUTOFFS).fit(risks["DMST model"])
a = levels.transform(risks["DMST model"])
b = levels.transform(risks["WAI (recalibrated)"])
moves = pd.crosstab(pd.Series(b, name="WAI"), pd.Series(a, name="DMST model"),
                    margins=True, margins_name="all")
display(safe_table(moves, row_total="all", total_row="all"))
change = nri(y_test, risks["WAI (recalibrated)"], risks["DMST model"], thresholds=CUTOFFS)
print(f"net reclassification improvement of the DMST model over the WAI: {change.value:+.2f} "
      f"(95 % CI {change.lower:+.2f} to {change.upper:+.2f})")

# %% [markdown]
# The table counts the comparison workers by their level under each index (cells under 11
# are masked, with a second cell so that none can be recomputed from the totals). The net
# reclassification improvement sums, among workers later declared inapte, the share moved
# up minus the share moved down, and the reverse among the others. It depends on the
# cut-offs and, like every measure here, is imprecise with few events: it is secondary to
# the AUC, calibration and net benefit above.
