"""Binomial logistic GLM (private numerical core): the one logistic solver of irdp.

:func:`fit_logit` maximises the (optionally ridge-penalised) binomial log-likelihood

    l(b) = sum_i w_i [y_i eta_i - log(1 + exp(eta_i))] - (penalty / 2) sum_{j > 0} b_j^2,
    eta_i = offset_i + b_0 + z_i' b,

by Newton-Raphson (Fisher scoring, identical for the canonical link) with step halving, as
R's ``glm(family = binomial)`` (``glm.fit``'s IRLS). The intercept column is never
materialised: the information matrix is assembled by blocks, so an (n, p) design is read
without a copy. Used by :class:`irdp.models.LogisticIndex`, the recalibration of
questionnaires, the binary calibration measures (:mod:`irdp.metrics`) and model updating.

References
----------
.. [1] McCullagh P, Nelder JA. Generalized Linear Models, 2nd ed. Chapman & Hall 1989,
   section 2.5 (iteratively reweighted least squares).
.. [2] le Cessie S, van Houwelingen JC. Ridge estimators in logistic regression. Appl Stat
   1992;41:191-201.
.. [3] Albert A, Anderson JA. On the existence of maximum likelihood estimates in logistic
   regression models. Biometrika 1984;71:1-10 (separation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from irdp._stats._linalg import inverse_pd, single_threaded_blas, solve_pd, weighted_gram
from irdp.exceptions import ConvergenceError

__all__ = ["GLMResult", "fit_logit", "logit_loglik"]


@dataclass(frozen=True)
class GLMResult:
    """Estimates of :func:`fit_logit` (intercept first when fitted)."""

    coef: np.ndarray
    cov: np.ndarray | None
    loglik: float
    converged: bool
    n_iter: int
    fitted: np.ndarray
    separation: bool
    max_abs_coef: float
    share_extreme: float

    @property
    def deviance(self) -> float:
        """-2 log-likelihood (the residual deviance for 0/1 outcomes)."""
        return -2.0 * self.loglik


def logit_loglik(eta: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    """Binomial log-likelihood at linear predictor ``eta`` (stable ``log(1 + e^eta)``)."""
    v = y * eta - np.logaddexp(0.0, eta)
    return float(np.sum(v if w is None else w * v))


@dataclass(frozen=True)
class _Logit:
    """The penalised binomial log-likelihood of one data set."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    off: np.ndarray | None
    k: int
    pen: np.ndarray

    def linpred(self, b: np.ndarray) -> np.ndarray:
        n, p = self.X.shape
        eta = self.X @ b[self.k:] if p else np.zeros(n)
        if self.k:
            eta = eta + b[0]
        return eta if self.off is None else eta + self.off

    def objective(self, eta: np.ndarray, b: np.ndarray) -> float:
        return logit_loglik(eta, self.y, self.w) - 0.5 * float(np.sum(self.pen * b * b))

    def gradient(self, eta: np.ndarray, b: np.ndarray) -> np.ndarray:
        resid = self.w * (self.y - special.expit(eta))
        p = self.X.shape[1]
        grad = np.empty(p + self.k)
        if self.k:
            grad[0] = resid.sum()
        if p:
            grad[self.k:] = self.X.T @ resid
        return grad - self.pen * b

    def information(self, eta: np.ndarray) -> np.ndarray:
        n, p = self.X.shape
        k = self.k
        mu = special.expit(eta)
        v = self.w * mu * (1 - mu)
        out = np.empty((p + k, p + k))
        if p:
            out[k:, k:] = weighted_gram(self.X, v) if n * p > 50_000 else (
                self.X * v[:, None]).T @ self.X
        if k:
            out[0, 0] = v.sum()
            if p:
                out[0, 1:] = out[1:, 0] = self.X.T @ v
        return out + np.diag(self.pen)


def _newton(pb: _Logit, max_iter: int, tol: float) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray, bool, int]:
    """Newton-Raphson with step halving; returns beta, eta, information, converged, n_iter."""
    beta = np.zeros(len(pb.pen))
    eta = pb.linpred(beta)
    cur = pb.objective(eta, beta)
    info = pb.information(eta)
    converged, it = False, 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count reported
        step = solve_pd(info, pb.gradient(eta, beta))
        for _ in range(30):  # step halving while the objective decreases
            new_eta = pb.linpred(beta + step)
            new = pb.objective(new_eta, beta + step)
            if new >= cur - 1e-12 * abs(cur):
                break
            step = step / 2
        beta, eta = beta + step, new_eta
        change = abs(new - cur) / (abs(new) + 0.1)
        cur = new
        big = np.max(np.abs(step)) if len(step) else 0.0
        scale = 1 + (np.max(np.abs(beta)) if len(beta) else 0.0)
        if change < tol and big < 1e-6 * scale:
            converged = True
            if big >= 1e-10 * scale:  # else the information at beta equals the last one
                info = pb.information(eta)
            break
        info = pb.information(eta)
    return beta, eta, info, converged, it


def fit_logit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    intercept: bool = True,
    penalty: float = 0.0,
    max_iter: int = 50,
    tol: float = 1e-10,
    compute_cov: bool = True,
    names: list[str] | None = None,
) -> GLMResult:
    """Fit a logistic regression by Newton-Raphson with step halving.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design without the intercept column (p may be 0).
    y : ndarray of shape (n,)
        0/1 outcome (or proportions with ``weights`` as binomial totals).
    weights : ndarray of shape (n,), optional
        Case weights (``glm(weights=)``).
    offset : ndarray of shape (n,), optional
        Known part of the linear predictor (``glm(offset=)``).
    intercept : bool, default=True
        Estimate an intercept (first coefficient of the result).
    penalty : float, default=0.0
        Ridge penalty ``lambda``: ``(lambda / 2) ||b||^2`` on the non-intercept coefficients
        (scikit-learn's ``C = 1 / lambda``).
    max_iter : int, default=50
    tol : float, default=1e-10
        Relative change of the log-likelihood (with a small step) at convergence.
    compute_cov : bool, default=True
        Invert the information matrix; False is the value-only path (``cov`` is None).
    names : list of str, optional
        Column names used in error messages.

    Returns
    -------
    GLMResult
        ``separation`` is True when the fit shows (quasi-)complete separation: fitted
        probabilities numerically 0 or 1 with diverging coefficients, or no convergence
        with growing coefficients. The caller warns (:class:`irdp.exceptions.SeparationWarning`).

    Raises
    ------
    ConvergenceError
        The information matrix is singular at the estimate without separation (collinear
        columns).
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    k = int(intercept)
    pb = _Logit(X, np.asarray(y, dtype=float),
                np.ones(n) if weights is None else np.asarray(weights, dtype=float),
                None if offset is None else np.asarray(offset, dtype=float), k,
                np.r_[np.zeros(k), np.full(p, float(penalty))])
    with single_threaded_blas(n * p):
        beta, eta, info, converged, it = _newton(pb, max_iter, tol)
    fitted = special.expit(eta)
    loglik = logit_loglik(eta, pb.y, pb.w)
    max_abs = float(np.max(np.abs(beta))) if len(beta) else 0.0
    extreme = float(np.mean((fitted < 1e-8) | (fitted > 1 - 1e-8))) if n else 0.0
    separation = (not converged and max_abs > 10) or (extreme > 0 and max_abs > 15)
    cov = None
    if compute_cov:
        try:
            full = ((["(Intercept)"] if k else []) + list(names)) if names else None
            cov = inverse_pd(info, full, what="logistic model")
        except ConvergenceError:
            if not separation:
                raise
            cov = np.full((p + k, p + k), np.nan)
    return GLMResult(beta, cov, loglik, converged, it, fitted, separation, max_abs, extreme)
