"""The numerical core (irdp._stats) against independent implementations.

The R fixtures of tests/reference cover the GLM and Cox engine through every caller; here,
options that no R fixture exercises: the ridge penalty and the offset of the GLM, and the
offset of the Cox engine.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

from irdp._stats import cox, glm


def _logit_data(n=800, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    off = rng.normal(0, 0.3, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + X @ [0.8, -0.4, 0.2, 0.0] + off)))) * 1.0
    return X, y, off


def test_ridge_logit_equals_scikit_learn_l2():
    """sklearn's L2 loss is sum(log-loss) + ||w||^2 / (2 C): penalty = 1 / C."""
    X, y, _ = _logit_data()
    for C in (0.05, 1.0):
        ours = glm.fit_logit(X, y, penalty=1 / C, tol=1e-14, max_iter=100)
        sk = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
        np.testing.assert_allclose(ours.coef[1:], sk.coef_[0], rtol=1e-6)
        np.testing.assert_allclose(ours.coef[0], sk.intercept_[0], rtol=1e-6)


def test_logit_offset_and_weights_equal_statsmodels_glm():
    """glm(y ~ X, offset = off, weights = w, family = binomial) as statsmodels GLM."""
    X, y, off = _logit_data(seed=2)
    w = np.random.default_rng(3).integers(1, 4, len(y)).astype(float)
    ours = glm.fit_logit(X, y, offset=off, weights=w, tol=1e-14)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=off,
                 freq_weights=w).fit(tol=1e-12)
    np.testing.assert_allclose(ours.coef, ref.params, rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov)), ref.bse, rtol=1e-6)
    assert ours.loglik == pytest.approx(ref.llf, rel=1e-10)
    value_only = glm.fit_logit(X, y, offset=off, weights=w, tol=1e-14, compute_cov=False)
    assert value_only.cov is None
    np.testing.assert_array_equal(value_only.coef, ours.coef)


def test_cox_offset_is_a_known_part_of_the_linear_predictor():
    """Fitting x1 with offset b2 * x2 gives the coefficient of x1 of the joint fit."""
    rng = np.random.default_rng(4)
    n = 600
    X = rng.normal(size=(n, 2))
    t = rng.exponential(1 / np.exp(X @ [0.7, -0.5]))
    c = rng.exponential(1.5, n)
    time, event = np.ceil(np.minimum(t, c) * 20) / 20, t <= c
    joint = cox.fit(cox.prepare(X, time, event))
    part = cox.fit(cox.prepare(X[:, :1], time, event, offset=joint.coef[1] * X[:, 1]))
    assert part.coef[0] == pytest.approx(joint.coef[0], rel=1e-7)
    assert part.loglik == pytest.approx(joint.loglik, rel=1e-10)
    none = cox.fit(cox.prepare(np.zeros((n, 0)), time, event, offset=X @ joint.coef))
    assert none.loglik == pytest.approx(joint.loglik, rel=1e-12)  # p = 0: value only
