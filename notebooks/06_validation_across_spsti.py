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
from irdp.notebooks import safe_table
from irdp.outcomes import Binary
from irdp.synth import generate_dmst
from irdp.validation import (
    centre_calibration,
    centre_calibration_summary,
    centre_summary,
    closed_test,
    iecv,
    pool_centre_calibration,
    pool_centre_summaries,
)

# %% tags=["parameters"]
N_WORKERS = 30_000
N_SPSTI = 8
SEED = 20240601
HORIZON_MONTHS = 24
PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "n_reprise_24m",
              "prev_amenagement_ever"]

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
model = LogisticIndex(categorical={"sex": "M"})
by_service = pd.DataFrame({"workers": pd.Series(spsti).value_counts(),
                           "inaptitudes": pd.Series(spsti[y.event]).value_counts()}
                          ).fillna(0).astype("int64").sort_index()
display(safe_table(by_service, known_totals=True))

# %% [markdown]
# The index uses predictors recorded in every service (company size is left out: a small
# service may lack a size band seen elsewhere, and the recognition of disability is missing
# in a fifth of the records, unevenly across services — notebook 08's subject). The services
# differ a lot in size: the smallest one has few inaptitudes, so its own estimates will be
# imprecise (wide intervals below).
#
# ## Leave one SPSTI out

# %%
by_spsti = iecv(model, data, y, spsti)
per_centre = by_spsti.per_centre.pivot_table(index=["centre", "n", "n_events"],
                                             columns="measure", values="value").reset_index()
display(safe_table(per_centre.set_index("centre"), count_columns=["n", "n_events"],
                   known_totals=True).round(3))
display(by_spsti.summary())

# %%
by_spsti.plot("c")

# %% [markdown]
# Each square is the C statistic of the index in one service, when the index was developed
# on all the others; the diamond pools them (random-effects meta-analysis) and the bar under
# it is the 95 % prediction interval: the range of C to expect in a new service. When the
# services differ (the generator gives each SPSTI its own baseline risk and case mix), the
# prediction interval is wider than the confidence interval of the pooled C.

# %%
by_spsti.plot("oe")

# %% [markdown]
# The observed / expected ratio (on a logarithmic axis: 0.5 and 2 are equally far from 1)
# says whether the index predicts the right number of inaptitudes in a service it has not
# seen. A service far from 1 needs its own baseline risk: the updating section below.
#
# ## Forward in time

# %%
period = pd.cut(year, [2000, 2019, 2021, 2100], labels=["2018-19", "2020-21", "2022-23"])
by_period = iecv(model, data, y, period.astype(str), scheme="forward",
                 order=["2018-19", "2020-21", "2022-23"])
per_period = by_period.per_centre.pivot_table(
    index=["centre", "n", "n_train", "n_events"], columns="measure", values="value")
display(safe_table(per_period.reset_index().set_index("centre"),
                   count_columns=["n", "n_train", "n_events"]).round(3))

# %% [markdown]
# Developed on 2018-19 and validated on 2020-21, then developed on 2018-21 and validated on
# 2022-23: how the index ages. A drop of C or an O/E drifting away from 1 in later periods
# would call for regular updating; the last period is also the one with the shortest
# follow-up, hence the fewest events.

# %% [markdown]
# ## Sharing summaries only
#
# Each service can compute its own figures with irdp and share only a disclosure-controlled
# summary; pooling the summaries gives the same meta-analysis as pooling the data.

# %%
fitted = LogisticIndex(categorical={"sex": "M"}).fit(data, y)
risk = fitted.predict_risk(data)
summaries = [centre_summary(y.take(spsti == s), risk[spsti == s], centre=s, min_count=11)
             for s in sorted(set(spsti))]
shared = pd.concat(summaries).set_index("centre")
display(safe_table(shared, count_columns=["n", "n_events"], known_totals=True).round(3))
pooled = pool_centre_summaries(summaries, "c")
interval = (f"95 % prediction interval {pooled.pi_lower:.3f} to {pooled.pi_upper:.3f}"
            if pooled.k >= 3 else "no prediction interval with fewer than 3 services")
print(f"pooled C {pooled.estimate:.3f} (95 % CI {pooled.lower:.3f} to {pooled.upper:.3f}) "
      f"over {pooled.k} services; {interval}")

# %% [markdown]
# Each row is what one service would send: counts (masked under 11), and each measure with
# its standard error, nothing about individual workers. A service whose counts are under the
# threshold shares nothing and is left out of the pooling. The pooled C is that of a model
# developed on all services (apparent), hence higher than the leave-one-out estimates above.

# %% [markdown]
# ## Calibration across services: the average curve and where a new service may fall
#
# The O/E ratio above summarises calibration in one number per service. The calibration
# *curve* of each service says more: does the index over-estimate high risks in one service
# and under-estimate low risks in another? Following Barreñada et al. (2025, the
# `valProbCluster` function of the R package CalibrationCurves), each service gets its own
# curve, and an overall curve is drawn with two bands: the **confidence interval** (how
# precisely the *average* calibration is known) and the **prediction interval** (where the
# calibration curve of a *new* service is expected to lie, 95 % of the time). Two ways of
# computing them are shown: a random-effects logistic calibration model on all workers
# (MIXC), and a meta-analysis of the services' own curves (MAC2), which needs only each
# service's summary. The index is the one developed on all services above, so these are
# apparent curves. Services with fewer than 11 inaptitudes (or 11 workers without one)
# cannot be shown and are left out.

# %%
events = pd.Series(y.event).groupby(spsti).sum()
others = pd.Series(~y.event).groupby(spsti).sum()
kept = sorted(s for s in events.index if events[s] >= 11 and others[s] >= 11)
rows = pd.Series(spsti).isin(kept).to_numpy()
print(f"{len(kept)} of {len(events)} services have enough inaptitudes to be shown")
across = centre_calibration(y.take(rows), risk[rows], spsti[rows], n_grid=40)
heterogeneity = pd.DataFrame({
    "between-service variance (logit scale)": across.tau2,
    "services pooled": across.k})
display(heterogeneity.round(4))
display(across.summary().table.round(4))

# %% [markdown]
# τ² is the variance, between services, of the calibration on the logit scale: 0 means
# that the services differ no more than chance would make them. The curve is shown at a
# few predicted risks (rows) with the observed risk of a typical service, its confidence
# interval (lower, upper) and its prediction interval (pi_lower, pi_upper).

# %%
across.plot(approach="mixc")

# %% [markdown]
# **MIXC.** The thin lines are the services' curves, the dashed line the overall curve
# (that of a typical service), the dark band its confidence interval and the light band the
# prediction interval for a new service. Points on the diagonal mean that a predicted risk
# of 5 % corresponds to 5 % of workers declared unfit. When the light band is much wider
# than the dark one, a new service should check (and possibly recalibrate) the index before
# relying on its absolute risks; the risk *ranking* may still be right (the C statistics
# above).

# %%
across.plot(approach="mac2")

# %% [markdown]
# **MAC2** pools the services' curves point by point. With few services its prediction
# interval is wide even without differences between them (a t quantile on k − 2 degrees of
# freedom): read it as an honest statement that few services say little about the next one.

# %%
grid = across.curve.loc[across.curve["approach"] == "mac2", "predicted"].to_numpy()
packs = [centre_calibration_summary(y.take(spsti == s), risk[spsti == s], grid, centre=s)
         for s in kept]
from_packs = pool_centre_calibration(packs)
display(safe_table(pd.concat(packs).groupby("centre")[["n", "n_events"]].first(),
                   count_columns=["n", "n_events"]))
same = (from_packs.curve[["observed", "pi_lower", "pi_upper"]].to_numpy()
        - across.curve.loc[across.curve["approach"] == "mac2",
                           ["observed", "pi_lower", "pi_upper"]].to_numpy())
print(f"largest difference between pooled summaries and pooled data: {abs(same).max():.1e}")

# %% [markdown]
# The MAC2 curve needs only what each service would share: its curve on a common grid of
# predicted risks with its standard errors and its counts (masked under 11), never a
# worker's row. Pooling these summaries gives the same curve as pooling the data.

# %% [markdown]
# ## Updating the index for one service
#
# Develop on all services but one, then let the closed testing procedure decide whether
# that service needs an intercept update, a recalibration or a refit. A refit re-estimates
# every coefficient from the service's own workers, so the service with the most
# inaptitudes is taken (a small service could not support it).

# %%
target = by_service["inaptitudes"].idxmax()
develop = LogisticIndex(categorical={"sex": "M"})
develop.fit(data[spsti != target].reset_index(drop=True), y.take(spsti != target))
local = y.take(spsti == target)
parameters = len(develop.coef_) + 1
print(f"{local.n_events} inaptitudes in the service for a refit of {parameters} parameters "
      f"({local.n_events / parameters:.0f} events per parameter)")
choice = closed_test(develop, data[spsti == target].reset_index(drop=True), local)
print("chosen update:", choice.method)
display(choice.tests.round(3))

# %% [markdown]
# Each line tests whether a more complex update fits the service's data significantly
# better than a simpler one (likelihood-ratio tests, Vergouwe et al. 2017). "original" means
# the index can be used as it is there; "intercept" that only its average risk must be
# adjusted; "recalibration" that its risks must also be made more or less extreme; "refit"
# that the predictors weigh differently in that service.

# %% [markdown]
# ## Summary packs: the data stay in each service
#
# The summaries above were computed here, on pooled data. In the multicentre design the IGAS
# report asks for, each SPSTI runs irdp on its own extract and sends a **summary pack**: one
# JSON file with, for each index, the measures pooled (C, O/E, calibration slope) with their
# standard errors and counts, a calibration summary on a fixed grid of predicted risk, the
# net benefit at the decision thresholds and a few case-mix figures. Its counts pass the same
# disclosure control as the reports (small cells suppressed, with complementary cells so
# that no total gives them back, proved by linear programming); the pack carries its format
# version, the irdp version and the SHA-256 of its content. On the command line this is
# `irdp summarise EXPERIMENT --spsti S001 --out S001.irdp-summary.json` in each service and
# `irdp pool *.json --out DIR` at Présanse (docs/multicentre.md); here the same functions are
# called on the index fitted above.

# %%
import json  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from irdp.exceptions import SummaryPackError  # noqa: E402
from irdp.multicentre import pool, read_pack, summary_pack  # noqa: E402

folder = Path(tempfile.mkdtemp(prefix="irdp-packs-"))
for s in sorted(set(spsti)):
    pack = summary_pack(y.take(spsti == s), {"logistic": risk[spsti == s]}, spsti=s,
                        horizon=None, experiment={"name": "notebook 06"})
    pack.write(folder / f"{s}.irdp-summary.json")
files = sorted(folder.glob("*.irdp-summary.json"))
print(f"{len(files)} packs written, e.g. {files[0].name}: "
      f"{files[0].stat().st_size:,} bytes, SHA-256 {read_pack(files[0]).content_sha256[:16]}...")
from_packs = pool(files)
display(from_packs.summary())

# %% [markdown]
# The pooling reads only the packs: no row of any service. Is it the same meta-analysis as
# the pooled-data analysis of the previous section? The per-service summaries computed on
# the pooled data are pooled by the same random-effects model and compared below.

# %%
on_data = centre_summary(y, risk, groups=spsti, min_count=11)
rows = []
for (_, measure), res in from_packs.meta.items():
    ref = pool_centre_summaries(on_data, measure)
    rows.append({"measure": measure, "from packs": res.estimate, "from the data": ref.estimate,
                 "largest difference": float(np.nanmax(np.abs(
                     np.array([res.estimate, res.lower, res.upper, res.tau2])
                     - np.array([ref.estimate, ref.lower, ref.upper, ref.tau2])))),
                 "services": res.k})
display(pd.DataFrame(rows).set_index("measure"))

# %%
from_packs.plot("logistic", "oe_ratio", reference=1.0)

# %% [markdown]
# The forest plot drawn from the packs: each service's O/E with its 95 % confidence
# interval, the pooled O/E (diamond) and the 95 % prediction interval for a new service.
# It is the figure of the pooled-data analysis, to the last decimal (the differences above
# are rounding errors, below 1e-10). What a service reveals is what the pack holds: counts
# of workers and inaptitudes in bins of predicted risk (masked under 11), estimates with
# their standard errors, and means and SDs; never a worker.
#
# A pack cannot be altered on the way: pooling recomputes its SHA-256 and refuses it.

# %%
edited = read_pack(files[0]).data
edited["indices"]["logistic"]["measures"]["oe_ratio"]["estimate"] = 1.0
(folder / "edited.json").write_text(json.dumps(edited))
try:
    pool([folder / "edited.json", *files[1:]])
except SummaryPackError as err:
    print("refused:", err)
