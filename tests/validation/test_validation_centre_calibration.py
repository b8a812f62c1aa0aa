"""Calibration across centres (valProbCluster: MAC2 and MIXC) and its random-effects fit.

Reference values: ``tests/reference/stability/reference.R`` (R 4.2.2, lme4 1.1.31, Matrix
1.5.3, rms 6.5.0, Hmisc 4.8.0, metafor 3.8.1) on the synthetic data of ``generate_data.py``.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

from irdp.exceptions import InsufficientDataError, SmallGroupWarning
from irdp.models.splines import rcs_basis, rcs_knots
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.validation import (
    CentreCalibrationResult,
    centre_calibration,
    centre_calibration_summary,
    pool_centre_calibration,
)
from irdp.validation._glmm import _Problem, mixed_logit_fit

REF = Path(__file__).parents[1] / "reference" / "stability"
VALUES = json.loads((REF / "values.json").read_text())


@pytest.fixture(scope="module")
def clusters() -> pd.DataFrame:
    d = pd.read_csv(REF / "clusters.csv")
    d["lp"] = np.log(d["p"] / (1 - d["p"]))
    return d


@pytest.fixture(scope="module")
def grid() -> np.ndarray:
    return pd.read_csv(REF / "grid.csv")["grid"].to_numpy()


# --------------------------------------------------------------------------- the GLMM
def _design(lp: pd.Series) -> np.ndarray:
    return np.column_stack([np.ones(len(lp)), rcs_basis(lp, rcs_knots(lp, 3))])


@pytest.mark.reference
def test_glmm_laplace_matches_glmer(clusters):
    """``glmer(y ~ rcs(lp, 3) + (1 | cluster), family = binomial)`` (Laplace).

    Tolerances: lme4 solves the inner penalised IRLS to a relative deviance tolerance, so its
    Laplace objective and its finite-difference Hessian carry noise of order 1e-6 and 1e-3;
    irdp solves the conditional modes to machine precision and differentiates the exact
    gradient. The maximised log-likelihoods agree to 1e-5 (irdp's is not lower).
    """
    ref = VALUES["glmm"]["rcs"]
    np.testing.assert_allclose(rcs_knots(clusters["lp"], 3), VALUES["glmm"]["knots"],
                               rtol=1e-12)
    fit = mixed_logit_fit(_design(clusters["lp"]), clusters["y"], clusters["cluster"])
    np.testing.assert_allclose(fit.beta, ref["fixef"], atol=5e-5)
    np.testing.assert_allclose(fit.theta, ref["theta"], atol=5e-5)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=1e-5)
    assert fit.loglik >= ref["loglik"] - 1e-7
    np.testing.assert_allclose(fit.cov_beta, ref["vcov"], rtol=5e-3)
    np.testing.assert_allclose(fit.modes, ref["ranef"], atol=5e-5)
    assert fit.converged
    assert not fit.singular


@pytest.mark.reference
@pytest.mark.parametrize(
    ("case", "kwargs", "tol_vcov"),
    [("agq20", {"n_agq": 20}, 1e-4),  # lme4's AGQ path has no PIRLS noise: tight agreement
     ("slope", {"Z": "design"}, 1e-2),  # singular: slope variance at the boundary 0
     ("weighted", {"weights": "w"}, 5e-3)],
)
def test_glmm_variants_match_glmer(clusters, case, kwargs, tol_vcov):
    """``nAGQ = 20``; ``(lp | cluster)``; prior weights ``weights = w`` (glmer)."""
    ref = VALUES["glmm"][case]
    X = np.column_stack([np.ones(len(clusters)), clusters["lp"]])
    kw = {k: (X if v == "design" else clusters[v] if isinstance(v, str) else v)
          for k, v in kwargs.items()}
    fit = mixed_logit_fit(X, clusters["y"], clusters["cluster"], **kw)
    np.testing.assert_allclose(fit.beta, ref["fixef"], atol=5e-5)
    np.testing.assert_allclose(fit.theta, ref["theta"], atol=5e-5)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=1e-5)
    np.testing.assert_allclose(fit.cov_beta, ref["vcov"], rtol=tol_vcov)
    assert fit.singular == ref["singular"]


@pytest.mark.reference
def test_glmm_singular_fit_matches_glmer():
    """No centre effect in the data: the variance is estimated at 0 by both."""
    flat = pd.read_csv(REF / "clusters_flat.csv")
    lp = np.log(flat["p"] / (1 - flat["p"]))
    ref = VALUES["glmm"]["flat"]
    fit = mixed_logit_fit(_design(lp), flat["y"], flat["cluster"])
    assert fit.singular
    assert ref["singular"]
    assert fit.theta[0] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(fit.beta, ref["fixef"], atol=1e-6)
    np.testing.assert_allclose(fit.cov_beta, ref["vcov"], rtol=1e-3)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=1e-6)


def test_glmm_matches_an_independent_statsmodels_fit(clusters):
    """Same model fitted with statsmodels' GenericLikelihoodModel: marginal likelihood by
    non-adaptive Gauss-Hermite quadrature (60 nodes), statsmodels' own optimiser and
    numerical Hessian. It approximates the exact likelihood, as irdp's adaptive quadrature
    with many nodes does. Clusters are cut to 50 workers so that non-adaptive quadrature is
    accurate (with hundreds of workers the integrand is too peaked for fixed nodes)."""
    from statsmodels.base.model import GenericLikelihoodModel

    d = clusters.groupby("cluster").head(50)
    X = np.column_stack([np.ones(len(d)), d["lp"]])
    y = d["y"].to_numpy(float)
    codes = np.unique(d["cluster"], return_inverse=True)[1]
    nodes, weights = np.polynomial.hermite.hermgauss(60)

    class RandomInterceptLogit(GenericLikelihoodModel):
        def loglike(self, params):
            beta, log_tau = params[:2], params[2]
            eta = X @ beta
            terms = []
            for x, w in zip(nodes, weights, strict=True):
                b = np.sqrt(2.0) * np.exp(log_tau) * x
                ll = y * (eta + b) - np.logaddexp(0.0, eta + b)
                terms.append(np.log(w / np.sqrt(np.pi)) + np.bincount(codes, weights=ll))
            return float(np.sum(special.logsumexp(np.array(terms), axis=0)))

    sm = RandomInterceptLogit(y, X, extra_params_names=["log_tau"]).fit(
        start_params=np.array([0.0, 1.0, np.log(0.3)]), method="bfgs", maxiter=500, gtol=1e-8,
        disp=False)
    fit = mixed_logit_fit(X, y, d["cluster"], n_agq=25)
    np.testing.assert_allclose(fit.beta, sm.params[:2], atol=2e-5)
    assert np.sqrt(fit.sigma[0, 0]) == pytest.approx(np.exp(sm.params[2]), abs=2e-5)
    assert fit.loglik == pytest.approx(sm.llf, abs=1e-6)
    se_sm = np.sqrt(np.diag(sm.cov_params())[:2])
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_beta)), se_sm, rtol=2e-3)


@pytest.mark.parametrize("q", [1, 2])
def test_glmm_gradient_is_exact(clusters, q):
    """The analytic Laplace gradient equals central finite differences."""
    X = np.column_stack([np.ones(len(clusters)), clusters["lp"]])
    codes = np.unique(clusters["cluster"], return_inverse=True)[1]
    Z = X[:, :q]
    w = clusters["w"].to_numpy(float)
    prob = _Problem(X, Z, clusters["y"].to_numpy(float), w, codes, codes.max() + 1,
                    np.zeros(len(X)), 1)
    x = np.array([0.4, 0.1, 0.9]) if q == 1 else np.array([0.4, -0.1, 0.3, 0.1, 0.9])
    _, g = prob.value_and_grad(x)
    h = 1e-5
    num = np.array([(prob.negloglik(x + h * e) - prob.negloglik(x - h * e)) / (2 * h)
                    for e in np.eye(len(x))])
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-4)


def test_glmm_refuses_bad_input():
    X = np.ones((20, 1))
    with pytest.raises(InsufficientDataError, match="at least 2 clusters"):
        mixed_logit_fit(X, np.r_[np.zeros(10), np.ones(10)], np.zeros(20))
    with pytest.raises(ValueError, match="0/1"):
        mixed_logit_fit(X, np.full(20, 2.0), np.repeat([0, 1], 10))
    with pytest.raises(ValueError, match="single random effect"):
        mixed_logit_fit(np.ones((20, 2)), np.r_[np.zeros(10), np.ones(10)],
                        np.repeat([0, 1], 10), Z=np.ones((20, 2)), n_agq=5)


# --------------------------------------------------------------------------- MAC2 and MIXC
@pytest.mark.reference
def test_mac2_matches_r(clusters, grid):
    """Per-centre ``lrm(y ~ rcs(logit(p), 3))`` on the grid and REML pooling (metafor)."""
    ref = VALUES["mac2"]
    summ = centre_calibration_summary(clusters["y"], clusters["p"], grid,
                                      groups=clusters["cluster"])
    wide = summ.pivot(index="predicted", columns="centre", values="logit_observed")
    se = summ.pivot(index="predicted", columns="centre", values="se")
    assert list(wide.columns) == ref["centres"]
    # rms::lrm stops at its default convergence tolerance: agreement to ~1e-6
    np.testing.assert_allclose(wide.to_numpy(), ref["eta"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(se.to_numpy(), ref["se"], rtol=1e-5)
    assert (summ["knots_used"] == 3).all()
    res = pool_centre_calibration(summ)
    c = res.curve
    for col in ("observed", "lower", "upper", "pi_lower", "pi_upper"):
        np.testing.assert_allclose(c[col], ref[col], rtol=1e-5, atol=1e-9, err_msg=col)
    np.testing.assert_allclose(c["tau2"], ref["tau2"], rtol=1e-4, atol=1e-6)


@pytest.mark.reference
def test_mixc_curve_matches_r(clusters, grid):
    """Fixed part of the glmer calibration model on the grid, its CI and PI."""
    ref = VALUES["glmm"]["rcs"]["curve"]
    res = centre_calibration(clusters["y"], clusters["p"], clusters["cluster"], grid=grid,
                             approach="mixc")
    c = res.curve
    np.testing.assert_allclose(c["observed"], ref["observed"], rtol=2e-5)
    for col in ("lower", "upper", "pi_lower", "pi_upper"):
        np.testing.assert_allclose(c[col], ref[col], rtol=1e-3, err_msg=col)
    assert res.tau2["mixc"] == pytest.approx(VALUES["glmm"]["rcs"]["theta"] ** 2, rel=1e-3)


def test_pooled_equals_summary_packs(clusters, grid):
    """Each centre summarised alone (as inside its SPSTI), then pooled = the pooled run."""
    pooled = centre_calibration(clusters["y"], clusters["p"], clusters["cluster"], grid=grid,
                                approach="mac2")
    packs = [centre_calibration_summary(part["y"], part["p"], grid, centre=name)
             for name, part in clusters.groupby("cluster")]
    from_packs = pool_centre_calibration(packs)
    pd.testing.assert_frame_equal(pooled.curve, from_packs.curve, rtol=1e-12)
    pd.testing.assert_frame_equal(pooled.centre_curves, from_packs.centre_curves, rtol=1e-12)


def test_summary_pack_holds_no_individual_value_and_suppresses(clusters, grid):
    small = clusters[clusters["cluster"] == "C00"].iloc[:30]  # 30 workers, < 11 events
    assert small["y"].sum() < 11
    out = centre_calibration_summary(small["y"], small["p"], grid, centre="C00")
    assert out["suppressed"].all()
    assert out["n"].isna().all()
    assert out["n_events"].isna().all()
    assert out["logit_observed"].isna().all()
    full = centre_calibration_summary(clusters["y"], clusters["p"], grid,
                                      groups=clusters["cluster"])
    assert len(full) == 10 * len(grid)
    assert set(full.columns) == {"centre", "predicted", "logit_observed", "se", "knots_used",
                                 "n", "n_events", "suppressed", "kind", "horizon"}
    counts = full.groupby("centre")[["n", "n_events"]].first()
    assert counts["n"].sum() == len(clusters)
    assert (counts["n_events"] >= 11).all()


def test_small_centres_are_left_out_with_a_warning(clusters, grid):
    d = clusters.copy()
    drop = d.index[(d["cluster"] == "C00") & (d["y"] == 1)][:15]
    d = d.drop(drop)
    with pytest.warns(SmallGroupWarning, match="1 of 10 centres"):
        res = centre_calibration(d["y"], d["p"], d["cluster"], grid=grid)
    assert res.k == 9
    row = res.centres.set_index("centre").loc["C00"]
    assert row["suppressed"]
    assert not row["included"]
    assert pd.isna(row["n"])
    assert "C00" not in set(res.centre_curves["centre"])


def test_result_api(clusters, grid):
    res = centre_calibration(clusters["y"], clusters["p"], clusters["cluster"], grid=grid)
    assert isinstance(res, CentreCalibrationResult)
    frame = res.to_frame()
    assert set(frame["approach"]) == {"mac2", "mixc"}
    assert (frame["pi_lower"] <= frame["lower"] + 1e-12).all()
    assert (frame["pi_upper"] >= frame["upper"] - 1e-12).all()
    text = res.summary().as_text()
    assert "prediction interval" in text
    assert "tau^2" in text
    assert "k=10" in repr(res)


# --------------------------------------------------------------------------- timed outcomes
def _timed_without_censoring(clusters: pd.DataFrame, rng: np.random.Generator
                             ) -> tuple[Survival, CompetingRisks]:
    """Events by the horizon 1.0 exactly where y = 1; everyone else followed past it
    (censored later or with a competing event after the horizon)."""
    n = len(clusters)
    y = clusters["y"].to_numpy()
    time = np.where(y == 1, rng.uniform(0.05, 1.0, n), rng.uniform(1.2, 4.0, n))
    surv = Survival(time, y == 1)
    cause = np.where(y == 1, 1, rng.choice([0, 2], n))
    return surv, CompetingRisks(time, cause)


def test_survival_and_competing_reduce_to_binary_without_censoring(clusters, grid):
    rng = np.random.default_rng(7)
    surv, comp = _timed_without_censoring(clusters, rng)
    binary = centre_calibration(Binary(clusters["y"]), clusters["p"], clusters["cluster"],
                                grid=grid)
    for y in (surv, comp):
        timed = centre_calibration(y, clusters["p"], clusters["cluster"], grid=grid,
                                   horizon=1.0)
        assert timed.kind != "binary"
        pd.testing.assert_frame_equal(timed.curve, binary.curve, rtol=1e-10)
        pd.testing.assert_frame_equal(timed.centre_curves, binary.centre_curves, rtol=1e-10)


def test_competing_events_before_the_horizon_are_non_events(clusters, grid):
    rng = np.random.default_rng(8)
    n = len(clusters)
    y = clusters["y"].to_numpy()
    comp_before = (y == 0) & (rng.random(n) < 0.3)
    time = np.where(y == 1, rng.uniform(0.05, 1.0, n),
                    np.where(comp_before, rng.uniform(0.05, 1.0, n), rng.uniform(1.2, 4, n)))
    cause = np.where(y == 1, 1, np.where(comp_before, 2, 0))
    timed = centre_calibration(CompetingRisks(time, cause), clusters["p"], clusters["cluster"],
                               grid=grid, horizon=1.0, approach="mac2")
    binary = centre_calibration(clusters["y"], clusters["p"], clusters["cluster"], grid=grid,
                                approach="mac2")
    pd.testing.assert_frame_equal(timed.curve, binary.curve, rtol=1e-10)


def test_censoring_uses_ipcw_within_centres(clusters, grid):
    """With censoring before the horizon the weighted fits differ from a naive complete-case
    analysis, and each centre's weights come from its own censoring distribution."""
    from irdp.metrics.classification import status_weights
    from irdp.validation.centre_calibration import _at_horizon

    rng = np.random.default_rng(9)
    n = len(clusters)
    y = clusters["y"].to_numpy()
    t_event = np.where(y == 1, rng.uniform(0.05, 1.0, n), rng.uniform(1.2, 4.0, n))
    cens = rng.exponential(3.0, n)
    surv = Survival(np.minimum(t_event, cens), t_event <= cens)
    part = np.flatnonzero(clusters["cluster"].to_numpy() == "C03")
    yb, w = _at_horizon(surv.take(part), 1.0)
    a, b = status_weights(surv.take(part), 1.0)
    np.testing.assert_array_equal(w, a + b)
    assert (w[w > 0] > 1).any()  # IPC weights, not frequency weights
    res = centre_calibration(surv, clusters["p"], clusters["cluster"], grid=grid, horizon=1.0)
    assert np.isfinite(res.curve[["observed", "lower", "upper"]].to_numpy()).all()
    assert any("censoring" in note for note in res.notes)
    naive = centre_calibration(Binary(y[w_all := surv.known_at(1.0)]), clusters["p"][w_all],
                               clusters["cluster"][w_all], grid=grid, approach="mac2")
    assert not np.allclose(naive.curve["observed"],
                           res.curve.query("approach == 'mac2'")["observed"])
    cause = np.where(surv.event, rng.choice([1, 2], n, p=[0.8, 0.2]), 0)
    cr = centre_calibration(CompetingRisks(surv.time, cause), clusters["p"],
                            clusters["cluster"], grid=grid, horizon=1.0, approach="mac2")
    assert np.isfinite(cr.curve[["observed", "pi_lower", "pi_upper"]].to_numpy()).all()


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"approach": "both2"}, ValueError, "approach must be"),
     ({"random": "slopes"}, ValueError, "random must be"),
     ({"grid": [0.2, 0.1]}, ValueError, "strictly increasing"),
     ({"grid": [0.0, 0.5]}, ValueError, r"in \(0, 1\)"),
     ({"level": 1.5}, ValueError, "level must be"),
     ({"n_grid": 1}, ValueError, "n_grid")],
)
def test_centre_calibration_refuses_bad_arguments(clusters, kwargs, error, match):
    with pytest.raises(error, match=match):
        centre_calibration(clusters["y"], clusters["p"], clusters["cluster"], **kwargs)


def test_pooling_refuses_inconsistent_summaries(clusters, grid):
    a = centre_calibration_summary(clusters["y"][:600], clusters["p"][:600], grid, centre="A")
    b = centre_calibration_summary(clusters["y"][600:], clusters["p"][600:], grid[1:],
                                   centre="B")
    with pytest.raises(ValueError, match="different risk grids"):
        pool_centre_calibration([a, b])
    with pytest.raises(InsufficientDataError, match="at least 2 centres"):
        pool_centre_calibration([a])
    with pytest.raises(ValueError, match="lack the columns"):
        pool_centre_calibration(a.drop(columns="se"))
    with pytest.raises(ValueError, match="one label per row"):
        centre_calibration(clusters["y"], clusters["p"], clusters["cluster"][:10])
    with pytest.raises(InsufficientDataError, match="at least 2 centres"), \
            pytest.warns(SmallGroupWarning):
        centre_calibration(clusters["y"], clusters["p"], clusters["cluster"], min_count=500)


# --------------------------------------------------------------------------- simulation
@pytest.mark.slow
def test_prediction_interval_follows_the_generator_centre_effect(monkeypatch):
    """irdp.synth.generate_dmst draws each SPSTI's effect on the inaptitude log-hazard from
    N(0, CENTRE_EFFECT_SD^2) (``irdp.synth._params``, default 0.25), using the same random
    draws whatever the SD. A Cox index on the true covariates, ignoring the SPSTI, is
    validated across 10 SPSTI at 3 years (IPCW). The prediction interval widens with the
    centre effect; without it MIXC's PI equals its CI (tau^2 = 0) and MAC2's is wider only
    by its t quantile on k - 2 df (t_8 / z = 1.18) and pointwise tau^2 noise."""
    from scipy.special import logit

    import irdp.synth._params as params
    from irdp.models import CoxIndex
    from irdp.synth import generate_dmst

    cols = ["msk", "mental", "chronic2", "was", "low_work_ability", "manual_job",
            "biomech_exposure"]
    ratios: dict[str, list[float]] = {"mac2": [], "mixc": []}
    for sd in (0.0, 0.25, 0.6):
        monkeypatch.setattr(params, "CENTRE_EFFECT_SD", sd)
        w = generate_dmst(40_000, n_spsti=10, seed=11).truth.workers
        exit_date = w["event_date"].fillna(pd.Timestamp("2024-12-31"))
        years = ((exit_date - w["entry_date"]).dt.days / 365.25).to_numpy()
        y = Survival(years, (w["event"] == "INAPTITUDE").to_numpy())
        X = w[cols].astype(float)
        risk = CoxIndex().fit(X, y).predict_risk(X, horizon=3.0)
        with pytest.warns(SmallGroupWarning) if sd == 0.6 else nullcontext():
            res = centre_calibration(y, risk, w["spsti_id"].to_numpy(), horizon=3.0,
                                     n_grid=30)
        for app, part in res.curve.groupby("approach"):
            ci = logit(part["upper"]) - logit(part["lower"])
            pi = logit(part["pi_upper"]) - logit(part["pi_lower"])
            ratios[app].append(float(np.mean(pi / ci)))
    for app in ("mac2", "mixc"):
        assert ratios[app][0] < ratios[app][1] < ratios[app][2], (app, ratios[app])
        assert ratios[app][2] > 2.0
    assert ratios["mixc"][0] == pytest.approx(1.0, abs=0.05)
    assert ratios["mac2"][0] < 1.5

