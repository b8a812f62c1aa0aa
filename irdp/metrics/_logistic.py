"""Unpenalised logistic fits used by binary calibration (private).

Newton-Raphson maximum likelihood (no L2 penalty, unlike scikit-learn's default), with an
optional offset: ``glm(y ~ 1, offset = logit(p), family = binomial)`` for
calibration-in-the-large and ``glm(y ~ logit(p), family = binomial)`` for the slope.
"""

from __future__ import annotations

import warnings

import numpy as np

from irdp.exceptions import SeparationWarning

__all__ = ["logistic_fit"]


def logistic_fit(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, float]:
    """Return coefficients, covariance and deviance of a logistic model (design ``x``)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, float)
    beta = np.zeros(x.shape[1])
    dev_old = np.inf
    converged = False
    for _ in range(max_iter):
        eta = x @ beta + off
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = mu * (1 - mu)
        info = x.T @ (x * w[:, None])
        grad = x.T @ (y - mu)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        eta = x @ beta + off
        dev = float(-2 * np.sum(y * eta - np.logaddexp(0.0, eta)))
        if abs(dev - dev_old) < 1e-10 * (abs(dev) + 1e-10):
            converged = True
            break
        dev_old = dev
    eta = x @ beta + off
    mu = 1.0 / (1.0 + np.exp(-eta))
    w = mu * (1 - mu)
    cov = np.linalg.pinv(x.T @ (x * w[:, None]))
    dev = float(-2 * np.sum(y * eta - np.logaddexp(0.0, eta)))
    if not converged or np.any(np.abs(beta) > 30):
        warnings.warn(
            "the calibration logistic model did not converge (possible separation); its "
            "estimates are unreliable.",
            SeparationWarning,
            stacklevel=3,
        )
    return beta, cov, dev
