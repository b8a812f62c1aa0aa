"""Calibration across centres (MIXC) against a random-effects logistic calibration fitted
with statsmodels on the same data (issue 16, "Done means").

The overall MIXC curve, its confidence interval and its prediction interval are recomputed
from an independent fit: statsmodels' ``GenericLikelihoodModel`` maximising the marginal
likelihood of ``logit P(y_ij = 1) = a + b logit(p_ij) + u_j``, ``u_j ~ N(0, tau^2)``, by
non-adaptive Gauss-Hermite quadrature (60 nodes), with statsmodels' own optimiser and
numerical Hessian. Then, on the logit scale at each grid risk ``g`` with ``x = (1,
logit g)``: curve ``expit(x'beta)``, CI ``x'beta +- z sqrt(x'V x)``, PI ``x'beta +- z
sqrt(x'V x + tau^2)``. irdp fits the same model by adaptive quadrature (``n_agq=25``).
Clusters hold 50 workers so that non-adaptive quadrature is accurate.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from irdp.validation import centre_calibration


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(20240601)
    k, m = 14, 50
    cluster = np.repeat([f"S{j:03d}" for j in range(1, k + 1)], m)
    p = rng.uniform(0.15, 0.85, k * m)
    u = np.repeat(rng.normal(0.0, 0.45, k), m)
    lp = special.logit(p)
    y = (rng.random(k * m) < special.expit(0.2 + 0.8 * lp + u)).astype(int)
    return cluster, p, lp, y


def _statsmodels_fit(cluster, lp, y):
    from statsmodels.base.model import GenericLikelihoodModel

    X = np.column_stack([np.ones(len(lp)), lp])
    codes = np.unique(cluster, return_inverse=True)[1]
    nodes, weights = np.polynomial.hermite.hermgauss(60)

    class RandomInterceptLogit(GenericLikelihoodModel):
        def loglike(self, params):
            eta = X @ params[:2]
            terms = []
            for node, w in zip(nodes, weights, strict=True):
                b = np.sqrt(2.0) * np.exp(params[2]) * node
                ll = y * (eta + b) - np.logaddexp(0.0, eta + b)
                terms.append(np.log(w / np.sqrt(np.pi)) + np.bincount(codes, weights=ll))
            return float(np.sum(special.logsumexp(np.array(terms), axis=0)))

    return RandomInterceptLogit(y.astype(float), X, extra_params_names=["log_tau"]).fit(
        start_params=np.array([0.0, 1.0, np.log(0.3)]), method="bfgs", maxiter=1000,
        gtol=1e-9, disp=False)


def test_mixc_curve_and_intervals_match_a_statsmodels_fit(data):
    cluster, p, lp, y = data
    grid = np.linspace(0.2, 0.8, 13)
    # every centre is pooled (min_count lowered: the model, not disclosure, is checked)
    res = centre_calibration(y, p, cluster, approach="mixc", knots=0, n_agq=25, grid=grid,
                             min_count=5)
    assert res.k == 14
    sm = _statsmodels_fit(cluster, lp, y)
    beta, tau2 = sm.params[:2], float(np.exp(2 * sm.params[2]))
    cov = sm.cov_params()[:2, :2]
    xg = np.column_stack([np.ones(len(grid)), special.logit(grid)])
    eta = xg @ beta
    var = np.einsum("ij,jk,ik->i", xg, cov, xg)
    z = stats.norm.ppf(0.975)
    curve = res.curve.set_index("predicted").loc[grid]
    # the fits agree to the optimisers' tolerance (beta, tau: 2e-5)
    np.testing.assert_allclose(special.logit(curve["observed"]), eta, atol=5e-5)
    assert res.tau2["mixc"] == pytest.approx(tau2, abs=5e-5)
    # interval half-widths on the logit scale: statsmodels' numerical Hessian (rtol 2e-3)
    half_ci = (special.logit(curve["upper"]) - special.logit(curve["lower"])) / 2
    half_pi = (special.logit(curve["pi_upper"]) - special.logit(curve["pi_lower"])) / 2
    np.testing.assert_allclose(half_ci, z * np.sqrt(var), rtol=3e-3)
    np.testing.assert_allclose(half_pi, z * np.sqrt(var + tau2), rtol=3e-3)
    # the prediction interval is the wider one, by the between-centre variance
    assert (half_pi > half_ci).all()
