"""Agreement with R reference values committed in tests/reference/<topic>/values.json.

Each fixture directory holds the seeded data generator, the data CSV, the R script that
wrote values.json, and values.json itself (with R and package versions). R is not needed
to run these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from irdp.models import (
    CauseSpecificCoxIndex,
    CoxIndex,
    FineGrayIndex,
    LogisticIndex,
    rcs_basis,
    rcs_knots,
)
from irdp.outcomes import Binary, CompetingRisks, Survival

REF = Path(__file__).resolve().parents[1] / "reference"
pytestmark = pytest.mark.reference


def _load(topic: str, data: str) -> tuple[pd.DataFrame, dict]:
    d = pd.read_csv(REF / topic / data)
    v = json.loads((REF / topic / "values.json").read_text())
    return d, v


# ---- survival::coxph ----------------------------------------------------------------------
COX_CASES = {
    # key in values.json: (ties, strata, weights)
    "efron": ("efron", None, False),
    "breslow": ("breslow", None, False),
    "efron_strata": ("efron", ["s"], False),
    "breslow_strata": ("breslow", ["s"], False),
    "efron_weights": ("efron", None, True),
}


@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_matches_coxph(case):
    """R: coxph(Surv(time, event) ~ x1 + x2 + x3 [+ strata(s)], ties=, [weights = w],
    control = coxph.control(eps = 1e-12)); survfit(fit, newdata = 0, ctype = 1 and 2)$cumhaz.
    The default baseline follows ties, as survfit.coxph (ctype = 2 for Efron fits)."""
    d, v = _load("cox", "data_cox.csv")
    ref = v[case]
    ties, strata, weighted = COX_CASES[case]
    cols = ["x1", "x2", "x3"] + (strata or [])
    y = Survival(d["time"], d["event"])
    w = d["w"].to_numpy(float) if weighted else None
    m = CoxIndex(ties=ties, strata=strata).fit(d[cols], y, sample_weight=w)
    # coefficients and model-based SEs: 1e-6 relative (both fits converged to 1e-12)
    np.testing.assert_allclose(m.coef_.to_numpy(), ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(m.se_.to_numpy(), ref["se"], rtol=1e-6)
    np.testing.assert_allclose(m.log_likelihood_, ref["loglik"][1], rtol=1e-9)
    np.testing.assert_allclose(m.log_likelihood_null_, ref["loglik"][0], rtol=1e-9)
    default = "basehaz_efron" if ties == "efron" else "basehaz"
    for kind, key in ((None, default), ("breslow", "basehaz"), ("efron", "basehaz_efron")):
        mk = m if kind is None else CoxIndex(ties=ties, strata=strata, baseline=kind).fit(
            d[cols], y, sample_weight=w)
        # baseline cumulative hazard at covariates 0, every stratum: 1e-6 relative
        for b in ref[key]:
            ours = [mk.baseline_cumulative_hazard_at(t, b["stratum"]) for t in b["time"]]
            np.testing.assert_allclose(ours, b["cumhaz"], rtol=1e-6, atol=1e-12)


# ---- glm(family = binomial) -----------------------------------------------------------------
def test_logistic_matches_glm():
    """R: glm(y ~ age + sex + job + absence, family = binomial) with sex ref "M", job ref
    "employe", epsilon = 1e-14."""
    d, v = _load("logistic", "data_logistic.csv")
    m = LogisticIndex(categorical={"sex": "M", "job": "employe"}).fit(
        d[["age", "sex", "job", "absence"]], Binary(d["y"])
    )
    s = m.summary()
    # R orders the job dummies cadre, ouvrier (alphabetical), as we do; 1e-6 relative
    assert list(s.index) == ["(Intercept)", "age", "sex[F]", "job[cadre]", "job[ouvrier]",
                             "absence"]
    np.testing.assert_allclose(s["coef"].to_numpy(), v["plain"]["coef"], rtol=1e-6)
    np.testing.assert_allclose(s["se"].to_numpy(), v["plain"]["se"], rtol=1e-6)
    np.testing.assert_allclose(m.log_likelihood_, v["plain"]["loglik"], rtol=1e-9)


def test_logistic_weighted_matches_glm():
    """R: the same glm with weights = w (integer case weights)."""
    d, v = _load("logistic", "data_logistic.csv")
    m = LogisticIndex(categorical={"sex": "M", "job": "employe"}).fit(
        d[["age", "sex", "job", "absence"]], Binary(d["y"]), sample_weight=d["w"].to_numpy(float)
    )
    s = m.summary()
    np.testing.assert_allclose(s["coef"].to_numpy(), v["weights"]["coef"], rtol=1e-6)
    np.testing.assert_allclose(s["se"].to_numpy(), v["weights"]["se"], rtol=1e-6)


def test_logistic_spline_matches_rms_rcs():
    """R: glm(y ~ rcs(age, 4) + sex, family = binomial); knots = attr(rcs(age, 4), "parms")."""
    d, v = _load("logistic", "data_logistic.csv")
    m = LogisticIndex(categorical={"sex": "M"}, splines={"age": 4}).fit(
        d[["age", "sex"]], Binary(d["y"])
    )
    np.testing.assert_allclose(m.design_.terms[0]["knots"], v["spline_knots"], rtol=1e-12)
    s = m.summary()
    np.testing.assert_allclose(s["coef"].to_numpy(), v["spline"]["coef"], rtol=1e-6)
    np.testing.assert_allclose(s["se"].to_numpy(), v["spline"]["se"], rtol=1e-6)


# ---- Hmisc::rcspline.eval ---------------------------------------------------------------------
@pytest.mark.parametrize("var", ["big", "small", "tied"])
@pytest.mark.parametrize("k", [3, 4, 5, 6, 7])
def test_rcs_matches_rcspline_eval(var, k):
    """R: rcspline.eval(x, nk = k, knots.only = TRUE) and rcspline.eval(x, knots, inclx = TRUE)."""
    d, v = _load("rcs", "data_rcs.csv")
    x = d[var].dropna().to_numpy()
    ref = v[f"{var}_{k}"]
    knots = rcs_knots(x, k)
    np.testing.assert_allclose(knots, ref["knots"], rtol=1e-12)  # quantiles: exact
    np.testing.assert_allclose(rcs_basis(x, knots), np.asarray(ref["basis"]), rtol=1e-10,
                               atol=1e-12)


# ---- cmprsk::crr ------------------------------------------------------------------------------
def test_finegray_matches_crr():
    """R: crr(time, cause, cbind(x1, x2), failcode = 1, cencode = 0, gtol = 1e-12);
    predict(fit, rbind(c(0, 0), c(1, 1), c(-1, 0)))."""
    d, v = _load("finegray", "data_fg.csv")
    m = FineGrayIndex().fit(d[["x1", "x2"]], CompetingRisks(d["time"], d["cause"]))
    # issue tolerance for Fine-Gray: 1e-4 relative (we reach ~1e-9: same estimator, same ties)
    np.testing.assert_allclose(m.coef_.to_numpy(), v["coef"], rtol=1e-4)
    np.testing.assert_allclose(m.se_.to_numpy(), v["se"], rtol=1e-4)  # robust sandwich SE
    np.testing.assert_allclose(m.log_likelihood_, v["loglik"], rtol=1e-8)
    nd = pd.DataFrame(np.asarray(v["newdata"]), columns=["x1", "x2"])
    ours = np.column_stack([m.predict_risk(nd, t) for t in v["pred_times"]]).T
    np.testing.assert_allclose(ours, np.asarray(v["pred_cif"]), rtol=1e-4, atol=1e-10)


# ---- riskRegression::CSC + predictRisk ----------------------------------------------------
@pytest.mark.parametrize(("product_limit", "key"), [(True, "risk"), (False, "risk_exponential")])
def test_csc_matches_riskregression(product_limit, key):
    """R: fit <- CSC(Hist(time, cause) ~ x1 + x2, data, cause = 1);
    predictRisk(fit, newdata, times = c(0.5, 1, 2, 3), cause = 1, product.limit = TRUE/FALSE).
    No tied times in these data, so Efron = Breslow baseline hazards."""
    d, v = _load("csc", "data_csc.csv")
    m = CauseSpecificCoxIndex(product_limit=product_limit).fit(
        d[["x1", "x2"]], CompetingRisks(d["time"], d["cause"])
    )
    np.testing.assert_allclose(m.coef_by_cause_[1].to_numpy(), v["coef1"], rtol=1e-6)
    np.testing.assert_allclose(m.coef_by_cause_[2].to_numpy(), v["coef2"], rtol=1e-6)
    nd = pd.DataFrame(np.asarray(v["newdata"]), columns=["x1", "x2"])
    ours = np.column_stack([m.predict_risk(nd, t) for t in v["times"]])
    np.testing.assert_allclose(ours, np.asarray(v[key]), rtol=1e-6)  # absolute risks


def test_csc_with_tied_times_matches_riskregression():
    """R: the same CSC/predictRisk on the tied data of the Fine-Gray fixture; riskRegression
    then uses Efron's tie-corrected baseline hazards (our default follows ``ties``)."""
    _, v = _load("csc", "data_csc.csv")
    d = pd.read_csv(REF / "finegray" / "data_fg.csv")
    m = CauseSpecificCoxIndex().fit(d[["x1", "x2"]], CompetingRisks(d["time"], d["cause"]))
    nd = pd.DataFrame(np.asarray(v["newdata"]), columns=["x1", "x2"])
    ours = np.column_stack([m.predict_risk(nd, t) for t in v["times"]])
    np.testing.assert_allclose(ours, np.asarray(v["risk_tied"]), rtol=1e-6)
    breslow = CauseSpecificCoxIndex(baseline="breslow").fit(
        d[["x1", "x2"]], CompetingRisks(d["time"], d["cause"]))
    assert not np.allclose(breslow.predict_risk(nd, 3.0), ours[:, -1], rtol=1e-3)


# ---- cmprsk::cuminc (Aalen-Johansen point estimate and Gray's variance) ------------------------
@pytest.mark.parametrize("cause", [1, 2])
def test_aalen_johansen_matches_cuminc(cause):
    """R: tp <- timepoints(cuminc(time, cause, cencode = 0), c(0.5, 1, 2, 3, 4));
    tp$est and tp$var (data with tied times)."""
    from irdp.nonparametric import aalen_johansen

    d, v = _load("finegray", "data_fg.csv")
    aj = aalen_johansen(d["time"], d["cause"])
    times = v["cuminc_times"]
    np.testing.assert_allclose(aj.cif_at(times, cause), v[f"cuminc_est{cause}"], rtol=1e-10)
    np.testing.assert_allclose(aj.variance_at(times, cause), v[f"cuminc_var{cause}"],
                               rtol=1e-10)


def test_aalen_johansen_variance_refused_for_weights():
    from irdp.nonparametric import aalen_johansen

    aj = aalen_johansen([1, 2, 3], [1, 2, 0], weights=[1, 2, 1])
    with pytest.raises(ValueError, match="not available for weighted data"):
        aj.variance_at(2.0)


# ---- heavy ties: R's default baseline (survfit.coxph ctype follows ties; predictRisk) ---
TIES_CASES = {
    # key: (data, ties, weights, strata)
    "ties/efron": ("ties", "efron", False, None),
    "ties/breslow": ("ties", "breslow", False, None),
    "ties/efron_weights": ("ties", "efron", True, None),
    "ties/efron_strata": ("ties", "efron", False, ["s"]),
    "tiny/efron": ("tiny", "efron", False, None),
    "tiny/breslow": ("tiny", "breslow", False, None),
}


@pytest.mark.parametrize("case", list(TIES_CASES))
def test_cox_predictions_with_heavy_ties_match_survfit(case):
    """R: fit <- coxph(Surv(time, event) ~ x + g [+ strata(s)], ties =, [weights = w]);
    summary(survfit(fit, newdata = nd[i, ]), times = 1:5)$surv (default ctype: 2 for Efron,
    1 for Breslow) and riskRegression::predictRisk(fit, nd, times = 1:5). Times are whole
    periods 1..6 (80 rows, 54 events; 12 rows, 10 events), events and censorings tied."""
    data, ties, weighted, strata = TIES_CASES[case]
    key = case.split("/")[1]
    d = pd.read_csv(REF / "cox_ties" / f"data_{data}.csv")
    v = json.loads((REF / "cox_ties" / "values.json").read_text())
    ref = v[data][key]
    cols = ["x", "g"] + (strata or [])
    m = CoxIndex(ties=ties, strata=strata).fit(
        d[cols], Survival(d["time"], d["event"]),
        sample_weight=d["w"].to_numpy(float) if weighted else None)
    np.testing.assert_allclose(m.coef_.to_numpy(), ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(m.se_.to_numpy(), ref["se"], rtol=1e-6)
    nd = pd.DataFrame(v["newdata"])[cols]
    surv = m.predict_survival_function(nd, times=v["times"])
    np.testing.assert_allclose(surv, np.asarray(ref["surv"]), rtol=1e-6, atol=1e-12)
    if "risk" in ref:
        risk = np.column_stack([m.predict_risk(nd, t) for t in v["times"]])
        np.testing.assert_allclose(risk, np.asarray(ref["risk"]), rtol=1e-6, atol=1e-12)
    if ties == "efron":  # the Breslow baseline stays available, and differs here
        b = CoxIndex(ties=ties, strata=strata, baseline="breslow").fit(
            d[cols], Survival(d["time"], d["event"]),
            sample_weight=d["w"].to_numpy(float) if weighted else None)
        assert np.max(np.abs(b.predict_survival_function(nd, times=[3.0]) - surv[:, [2]])) > 0.01
