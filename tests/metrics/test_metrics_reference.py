"""Agreement with R reference implementations (fixtures in tests/reference/, no R needed).

Data: tests/reference/metrics_data/generate_data.py (seeded; tied times, tied risks,
censoring, competing events). Each R script sits next to the values.json it wrote.

Tolerances: deterministic quantities (point estimates, exact variances) to 1e-6 absolute;
influence-function SEs of riskRegression to rtol 1e-3 (they differ from ours in the 6th
digit through the linearisation of the censoring Kaplan-Meier); smoother-based
quantities (ICI, E50, E90, Emax) to 1e-3 absolute.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from irdp.metrics import (
    auc,
    brier,
    calibration,
    concordance,
    delong_test,
    ipa,
    observed_risk,
    td_auc,
)
from irdp.metrics.calibration import aalen_johansen_variance, rcs_knots
from irdp.outcomes import Binary, CompetingRisks, Survival

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = REF / "metrics_data"
ABS = 1e-6


def _json(name: str) -> dict:
    with open(REF / name / "values.json", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def binary() -> pd.DataFrame:
    return pd.read_csv(DATA / "binary.csv")


@pytest.fixture(scope="module")
def surv() -> pd.DataFrame:
    return pd.read_csv(DATA / "survival.csv")


@pytest.fixture(scope="module")
def comp() -> pd.DataFrame:
    return pd.read_csv(DATA / "competing.csv")


# ----------------------------------------------------------------------------- pROC
def test_auc_delong_matches_proc(binary):
    """pROC: roc(y, p, direction="<"); var(roc, method="delong"); ci.auc(method="delong")."""
    ref = _json("auc_delong")
    est = auc(binary.y, binary.p)
    assert est.value == pytest.approx(ref["auc_p"], abs=ABS)
    assert est.se**2 == pytest.approx(ref["var_p"], abs=1e-10)
    assert [est.lower, est.upper] == pytest.approx(ref["ci_p"], abs=ABS)
    assert auc(binary.y, binary.p2).se ** 2 == pytest.approx(ref["var_p2"], abs=1e-10)


def test_delong_test_matches_proc(binary):
    """pROC: roc.test(r1, r2, method="delong", paired=TRUE)."""
    ref = _json("auc_delong")
    res = delong_test(binary.y, binary.p, binary.p2)
    assert res.details["z"] == pytest.approx(ref["test_z"], abs=ABS)
    assert res.details["p_value"] == pytest.approx(ref["test_p"], abs=ABS)
    assert res.value == pytest.approx(ref["auc_p"] - ref["auc_p2"], abs=ABS)


# ------------------------------------------------------------ survival::concordance
@pytest.mark.parametrize(
    ("key", "marker", "kwargs"),
    [
        ("harrell_lp", "lp", {}),
        ("harrell_risk", "risk5", {}),
        ("uno_lp", "lp", {"method": "uno"}),
        ("harrell_lp_h5", "lp", {"horizon": 5.0}),
        ("uno_lp_h5", "lp", {"horizon": 5.0, "method": "uno"}),
        ("harrell_lp_ymax4", "lp", {"tau": 4.0}),
    ],
)
def test_concordance_matches_survival(surv, key, marker, kwargs):
    """concordance(Surv(time, event) ~ marker, reverse=TRUE[, timewt="n/G2"][, ymax=4]),
    value and infinitesimal-jackknife variance (fit$var)."""
    ref = _json("concordance")[key]
    est = concordance(Survival(surv.time, surv.event), surv[marker], **kwargs)
    assert est.value == pytest.approx(ref["c"], abs=ABS)
    assert est.se**2 == pytest.approx(ref["var"], rel=1e-6)


def test_cause_specific_concordance_matches_survival(comp):
    """concordance(Surv(time, status == 1) ~ risk5, reverse=TRUE)."""
    ref = _json("concordance")["cs_competing"]
    est = concordance(CompetingRisks(comp.time, comp.status), comp.risk5)
    assert est.value == pytest.approx(ref["c"], abs=ABS)
    assert est.se**2 == pytest.approx(ref["var"], rel=1e-6)


# ------------------------------------------------------------ riskRegression::Score
@pytest.mark.parametrize("horizon", [4.99, 3.0])
@pytest.mark.parametrize("kind", ["survival", "competing"])
def test_score_auc_brier_ipa(surv, comp, kind, horizon):
    """Score(list(m = risk5), Surv/Hist(time, status) ~ 1, times = h, cens.model = "km",
    metrics = c("auc", "brier"), summary = "ipa", se.fit = TRUE)."""
    ref = _json("score_riskregression")[f"{kind}_{horizon:g}"]
    if kind == "survival":
        y, r = Survival(surv.time, surv.event), surv.risk5
    else:
        y, r = CompetingRisks(comp.time, comp.status), comp.risk5
    a = td_auc(y, r, horizon)
    assert a.value == pytest.approx(ref["auc"], abs=ABS)
    assert a.se == pytest.approx(ref["auc_se"], rel=1e-3)
    b = brier(y, r, horizon=horizon)
    assert b.value == pytest.approx(ref["brier"], abs=ABS)
    assert b.se == pytest.approx(ref["brier_se"], rel=1e-3)
    null = brier(y, np.full(len(y), observed_risk(y, horizon)), horizon=horizon)
    assert null.value == pytest.approx(ref["brier_null"], abs=ABS)
    assert ipa(y, r, horizon=horizon).value == pytest.approx(ref["ipa"], abs=ABS)


def test_null_model_risks(surv, comp):
    """prodlim Kaplan-Meier and Aalen-Johansen at 4.99."""
    ref = _json("score_riskregression")
    assert observed_risk(Survival(surv.time, surv.event), 4.99) == pytest.approx(
        ref["km_risk_4.99"], abs=ABS)
    assert observed_risk(CompetingRisks(comp.time, comp.status), 4.99) == pytest.approx(
        ref["aj_cif1_4.99"], abs=ABS)


# ----------------------------------------------------------------------------- binary calibration
def test_binary_calibration_matches_rms_and_glm(binary):
    """rms::val.prob (joint Intercept/Slope, S:z, S:p), glm offset CITL, glm slope."""
    ref = _json("calibration_binary")
    cal = calibration(binary.y, binary.p)
    assert cal.intercept_joint.value == pytest.approx(ref["valprob_intercept"], abs=ABS)
    assert cal.slope.value == pytest.approx(ref["slope"], abs=ABS)
    # rms's lrm.fit converges slightly less tightly than glm: 1e-6 relative to glm
    assert cal.slope.value == pytest.approx(ref["valprob_slope"], abs=1e-7)
    assert cal.slope.se == pytest.approx(ref["slope_se"], rel=1e-4)
    assert cal.intercept_joint.se == pytest.approx(ref["intercept_joint_se"], rel=1e-4)
    assert cal.calibration_in_the_large.value == pytest.approx(ref["citl"], abs=ABS)
    assert cal.calibration_in_the_large.se == pytest.approx(ref["citl_se"], rel=1e-4)
    assert cal.spiegelhalter.value == pytest.approx(ref["spiegelhalter_z"], abs=ABS)
    assert cal.spiegelhalter.details["p_value"] == pytest.approx(ref["spiegelhalter_p"], abs=ABS)


def test_binary_loess_e_statistics(binary):
    """loess(y ~ p, degree=2, span=0.75, surface="direct"); exact evaluation at every
    distinct risk, so agreement is far below the 1e-3 smoother tolerance."""
    ref = _json("calibration_binary")
    cal = calibration(binary.y, binary.p, smoother="loess")
    assert cal.ici.value == pytest.approx(ref["loess_ici"], abs=1e-8)
    assert cal.e50.value == pytest.approx(ref["loess_e50"], abs=1e-8)
    assert cal.e90.value == pytest.approx(ref["loess_e90"], abs=1e-8)
    assert cal.emax.value == pytest.approx(ref["loess_emax"], abs=1e-8)
    assert cal.eci.value == pytest.approx(ref["loess_eci"], abs=1e-8)


def test_binary_lowess_e_statistics(binary):
    """rms::val.prob Eavg, E90, Emax (lowess(p, y, iter=0) + approx)."""
    ref = _json("calibration_binary")
    cal = calibration(binary.y, binary.p, smoother="lowess")
    assert cal.ici.value == pytest.approx(ref["valprob_eavg"], abs=1e-6)
    assert cal.e90.value == pytest.approx(ref["valprob_e90"], abs=1e-6)
    assert cal.emax.value == pytest.approx(ref["valprob_emax"], abs=1e-6)


# ----------------------------------------------------------------------------- survival calibration
def test_survival_calibration_mclernon(surv):
    """McLernon et al. (2023) steps at t = 4.99: KM O/E with exp(+-z/sqrt(E)) CI, coxph
    slope on cll(risk) (data censored at t), cph(rcs(cll, 3)) curve via survest."""
    ref = _json("calibration_survival")["survival"]
    cal = calibration(Survival(surv.time, surv.event), surv.risk5, horizon=4.99,
                      oe_interval="poisson")
    assert cal.observed == pytest.approx(ref["observed"], abs=ABS)
    assert cal.oe.value == pytest.approx(ref["oe"], abs=ABS)
    assert cal.oe.lower == pytest.approx(ref["oe_lower"], abs=ABS)
    assert cal.oe.upper == pytest.approx(ref["oe_upper"], abs=ABS)
    assert cal.oe.n_events == ref["events"]
    assert cal.slope.value == pytest.approx(ref["slope"], abs=ABS)
    assert cal.slope.se == pytest.approx(ref["slope_se"], rel=1e-5)
    x = np.log(-np.log(1 - surv.risk5.to_numpy()))
    assert rcs_knots(x) == pytest.approx(ref["knots"], abs=1e-9)
    # rms survest's baseline differs from survfit.coxph's Efron estimator in the 5th digit
    for name in ("ici", "e50", "e90", "emax"):
        assert getattr(cal, name).value == pytest.approx(ref[name], abs=1e-3)


def test_competing_calibration_van_geloven(comp):
    """cmprsk::cuminc CIF and variance at 4.99; Fine-Gray (survival::finegray + weighted
    coxph) slope on cll(risk) and rcs(cll, 3) curve."""
    ref = _json("calibration_survival")["competing"]
    y = CompetingRisks(comp.time, comp.status)
    cif, var = aalen_johansen_variance(y, 4.99)
    assert cif == pytest.approx(ref["cif"], abs=ABS)
    # delta-method (Greenwood-type) variance vs cmprsk's Aalen-type variance: 0.3 %
    assert var == pytest.approx(ref["cif_var"], rel=5e-3)
    cal = calibration(y, comp.risk5, horizon=4.99)
    assert cal.oe.value == pytest.approx(ref["oe"], abs=ABS)
    assert cal.slope.value == pytest.approx(ref["slope"], abs=ABS)
    # model-based SE = coxph's naive.var (coxph's default with weights is a robust SE)
    assert cal.slope.se == pytest.approx(ref["slope_se_naive"], rel=1e-6)
    # same weighted model and Efron baseline as R: agreement far below the 1e-3 tolerance
    for name in ("ici", "e50", "e90", "emax"):
        assert getattr(cal, name).value == pytest.approx(ref[name], abs=1e-9)


def test_binary_as_plain_vector_equals_container(binary):
    a = auc(binary.y.to_numpy(), binary.p)
    b = auc(Binary(binary.y), binary.p)
    assert a == b
