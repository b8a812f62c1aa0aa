"""Random-effects (mixed) logistic regression by maximum likelihood (private module).

The model of ``lme4::glmer(y ~ x + (z | cluster), family = binomial)``:

    logit P(y_i = 1 | b_j) = x_i' beta + z_i' b_j + offset_i,   b_j ~ N(0, Sigma),

with one random-effect vector ``b_j`` per cluster (an SPSTI), ``Sigma = Lambda Lambda'`` and
``Lambda`` lower triangular (lme4's relative covariance factor, parameter ``theta``: its
non-zero entries column by column). The marginal likelihood integrates ``b_j`` out cluster by
cluster with the Laplace approximation (``n_agq=1``, lme4's default) or adaptive Gauss-Hermite
quadrature (``n_agq > 1``, one random effect only, as lme4's ``nAGQ``). ``(theta, beta)`` are
estimated jointly by maximising that likelihood (L-BFGS-B, then Newton polishing with a
numerical Hessian); the covariance of ``beta`` is the ``beta`` block of the inverse Hessian
of the negative log-likelihood in ``(theta, beta)``, as ``vcov(glmer fit)`` with its default
``use.hessian = TRUE``.

Conditional modes ``u_j`` of the spherical random effects (``b_j = Lambda u_j``) are found by
Newton's method, vectorised across clusters (closed-form sums per cluster, no loop over
clusters). Prior weights multiply each row's log-likelihood (``glmer(weights = )``); with
inverse-probability-of-censoring weights this is a pseudo-likelihood and the model-based
covariance is approximate.

References
----------
.. [1] Bates D, Maechler M, Bolker B, Walker S. Fitting linear mixed-effects models using
   lme4. J Stat Softw 2015;67(1):1-48 (the Laplace deviance, section 5 of the "lmer"
   vignette and ``glmer``'s PIRLS).
.. [2] Pinheiro JC, Bates DM. Approximations to the log-likelihood function in the nonlinear
   mixed-effects model. J Comput Graph Stat 1995;4:12-35 (adaptive Gauss-Hermite quadrature).
.. [3] Liu Q, Pierce DA. A note on Gauss-Hermite quadrature. Biometrika 1994;81:624-629.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special

from irdp.exceptions import (
    ComputationError,
    ConvergenceError,
    ConvergenceWarning,
    InsufficientDataError,
)

__all__ = ["MixedLogitFit", "mixed_logit_fit"]


@dataclass(frozen=True, eq=False)
class MixedLogitFit:
    """A fitted random-effects logistic model.

    Attributes
    ----------
    beta : ndarray of shape (p,)
        Fixed effects.
    cov_beta : ndarray of shape (p, p)
        Their covariance (``beta`` block of the inverse Hessian in ``(theta, beta)``).
    sigma : ndarray of shape (q, q)
        Covariance of the random effects (``VarCorr``).
    theta : ndarray
        Non-zero entries of the relative covariance factor (lme4's ``theta``).
    modes : ndarray of shape (k, q)
        Conditional modes of the random effects ``b_j`` (``ranef``), in ``clusters`` order.
    clusters : ndarray of shape (k,)
        Cluster labels (sorted, as ``numpy.unique``).
    loglik : float
        Maximised (approximate) marginal log-likelihood (``logLik``; exact for 0/1 outcomes
        with unit weights, up to the quadrature).
    n_agq : int
        1 = Laplace approximation; > 1 = adaptive Gauss-Hermite nodes per cluster.
    converged : bool
    singular : bool
        A variance (diagonal of the factor) estimated at the boundary 0.
    n_obs : int
    """

    beta: np.ndarray
    cov_beta: np.ndarray
    sigma: np.ndarray
    theta: np.ndarray
    modes: np.ndarray
    clusters: np.ndarray
    loglik: float
    n_agq: int
    converged: bool
    singular: bool
    n_obs: int


class _Problem:
    """Data and cached conditional modes of one fit."""

    def __init__(self, X: np.ndarray, Z: np.ndarray, y: np.ndarray, w: np.ndarray,
                 codes: np.ndarray, k: int, offset: np.ndarray, n_agq: int) -> None:
        self.X, self.Z, self.y, self.w = X, Z, y, w
        self.codes, self.k, self.offset = codes, k, offset
        self.p, self.q = X.shape[1], Z.shape[1]
        self.n_theta = self.q * (self.q + 1) // 2
        self.u = np.zeros((k, self.q))
        self.n_agq = n_agq
        self.nodes, self.node_weights = np.polynomial.hermite.hermgauss(n_agq)
        self.pairs = [(a, b) for a in range(self.q) for b in range(a, self.q)]

    def lam(self, theta: np.ndarray) -> np.ndarray:
        """Lower-triangular factor from theta (column-major order of the lower triangle)."""
        lam = np.zeros((self.q, self.q))
        pos = 0
        for col in range(self.q):
            for row in range(col, self.q):
                lam[row, col] = theta[pos]
                pos += 1
        return lam

    def _cluster_loglik(self, eta: np.ndarray) -> np.ndarray:
        ll = self.w * (self.y * eta - np.logaddexp(0.0, eta))
        return np.bincount(self.codes, weights=ll, minlength=self.k)

    def _modes(self, eta_fixed: np.ndarray, zl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conditional modes u_j and the Hessians H_j = L'Z'WZL + I at them."""
        u = self.u.copy()
        q, k, codes = self.q, self.k, self.codes

        def at(uu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            eta = eta_fixed + np.einsum("ij,ij->i", zl, uu[codes])
            return eta, self._cluster_loglik(eta) - 0.5 * np.sum(uu**2, axis=1)

        eta, f = at(u)
        hess = np.empty((k, q, q))
        for _ in range(100):
            mu = special.expit(eta)
            r = self.w * (self.y - mu)
            v = self.w * mu * (1 - mu)
            grad = np.column_stack([np.bincount(codes, weights=r * zl[:, a], minlength=k)
                                    for a in range(q)]) - u
            for a, b in self.pairs:
                hess[:, a, b] = hess[:, b, a] = np.bincount(
                    codes, weights=v * zl[:, a] * zl[:, b], minlength=k)
            hess += np.eye(q)
            step = np.linalg.solve(hess, grad[..., None])[..., 0]
            scale = np.ones(k)
            for _ in range(40):  # step halving, cluster by cluster (f_j is concave)
                new_u = u + scale[:, None] * step
                new_eta, new_f = at(new_u)
                bad = new_f < f - 1e-12 * np.abs(f)
                if not bad.any():
                    break
                scale = np.where(bad, scale / 2, scale)
            u, eta, f = new_u, new_eta, new_f
            if np.max(np.abs(scale[:, None] * step)) < 1e-11:
                break
        mu = special.expit(eta)
        v = self.w * mu * (1 - mu)
        for a, b in self.pairs:
            hess[:, a, b] = hess[:, b, a] = np.bincount(
                codes, weights=v * zl[:, a] * zl[:, b], minlength=k)
        hess += np.eye(q)
        self.u = u
        return u, hess

    def negloglik(self, params: np.ndarray) -> float:
        """Minus the Laplace / AGQ marginal log-likelihood at (theta, beta)."""
        return self.value_and_grad(params, gradient=False)[0]

    def value_and_grad(self, params: np.ndarray, *, gradient: bool = True
                       ) -> tuple[float, np.ndarray | None]:
        """Minus the marginal log-likelihood and (Laplace only) its exact gradient.

        The gradient of the Laplace log-likelihood accounts for the dependence of the
        conditional modes on (theta, beta) (implicit function theorem) and for the
        log-determinant term; it is checked against finite differences in the tests.
        """
        theta, beta = params[: self.n_theta], params[self.n_theta:]
        lam = self.lam(theta)
        zl = self.Z @ lam  # row i: a_i' = z_i' Lambda, so that z_i' Lambda u = a_i . u
        eta_fixed = self.X @ beta + self.offset
        u, hess = self._modes(eta_fixed, zl)
        if self.n_agq > 1:
            total = self._agq(eta_fixed, zl, u, hess)
            return (float("inf") if not np.isfinite(total) else -total), None
        eta = eta_fixed + np.einsum("ij,ij->i", zl, u[self.codes])
        f = self._cluster_loglik(eta) - 0.5 * np.sum(u**2, axis=1)
        total = float(np.sum(f - 0.5 * np.linalg.slogdet(hess)[1]))
        if not np.isfinite(total):
            return float("inf"), None
        if not gradient:
            return -total, None
        return -total, -self._gradient(zl, u, hess, eta)

    def _agq(self, eta_fixed: np.ndarray, zl: np.ndarray, u: np.ndarray,
             hess: np.ndarray) -> float:
        sd = 1.0 / np.sqrt(hess[:, 0, 0])
        terms = np.empty((self.k, self.n_agq))
        for m, (x, wq) in enumerate(zip(self.nodes, self.node_weights, strict=True)):
            um = u[:, 0] + np.sqrt(2.0) * sd * x
            eta = eta_fixed + zl[:, 0] * um[self.codes]
            terms[:, m] = np.log(wq) + x**2 + self._cluster_loglik(eta) - 0.5 * um**2
        return float(np.sum(np.log(sd) - 0.5 * np.log(np.pi)
                            + special.logsumexp(terms, axis=1)))

    def _gradient(self, zl: np.ndarray, u: np.ndarray, hess: np.ndarray,
                  eta: np.ndarray) -> np.ndarray:
        codes, k, q = self.codes, self.k, self.q
        mu = special.expit(eta)
        r = self.w * (self.y - mu)                     # score residual
        v = self.w * mu * (1 - mu)                     # d r / d eta (minus)
        s = v * (1 - 2 * mu)                           # d v / d eta
        hinv = np.linalg.inv(hess)                     # (k, q, q)
        g_rows = np.einsum("iab,ib->ia", hinv[codes], zl)  # H_j^-1 a_i
        c = np.einsum("ia,ia->i", zl, g_rows)          # a_i' H_j^-1 a_i
        m = -0.5 * np.column_stack([np.bincount(codes, weights=s * c * zl[:, a], minlength=k)
                                    for a in range(q)])  # d(-1/2 logdet)/du_j at fixed beta
        km = np.einsum("jab,jb->ja", hinv, m)          # H_j^-1 m_j
        akm = np.einsum("ia,ia->i", zl, km[codes])     # a_i' H_j^-1 m_j
        g_beta = self.X.T @ (r - 0.5 * s * c - v * akm)
        g_theta = np.empty(self.n_theta)
        pos = 0
        for col in range(q):
            for row in range(col, q):
                d = self.Z[:, row] * u[codes, col]     # d eta_i / d theta_t at fixed u
                zr = self.Z[:, row]
                g_theta[pos] = np.sum(
                    r * d
                    - 0.5 * (s * d * c + 2 * v * zr * g_rows[:, col])
                    + r * zr * km[codes, col] - v * d * akm
                )
                pos += 1
        return np.r_[g_theta, g_beta]


def _num_grad(fun: Any, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    g = np.empty_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h[i]
        g[i] = (fun(x + e) - fun(x - e)) / (2 * h[i])
    return g


def _num_hessian(fun: Any, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    d = len(x)
    out = np.empty((d, d))
    f0 = fun(x)
    for i in range(d):
        ei = np.zeros(d)
        ei[i] = h[i]
        out[i, i] = (fun(x + ei) - 2 * f0 + fun(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(d)
            ej[j] = h[j]
            val = (fun(x + ei + ej) - fun(x + ei - ej) - fun(x - ei + ej)
                   + fun(x - ei - ej)) / (4 * h[i] * h[j])
            out[i, j] = out[j, i] = val
    return out


def _start(X: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Fixed-effect starting values from the ordinary (weighted) logistic fit."""
    from irdp.models.logistic import fit_logistic

    try:
        res = fit_logistic(X, y, w, intercept=False) if not offset.any() else None
    except (ComputationError, np.linalg.LinAlgError):
        res = None
    if res is None or not np.all(np.isfinite(res["beta"])):
        return np.zeros(X.shape[1])
    return np.asarray(res["beta"], float)


def _normalise(prob: _Problem, params: np.ndarray) -> np.ndarray:
    """Make the diagonal of Lambda non-negative (Sigma is unchanged by a column sign flip)."""
    out = params.copy()
    lam = prob.lam(out[: prob.n_theta])
    for c in range(prob.q):
        if lam[c, c] < 0:
            lam[:, c] = -lam[:, c]
    pos = 0
    for col in range(prob.q):
        for row in range(col, prob.q):
            out[pos] = lam[row, col]
            pos += 1
    return out


def _check(X: np.ndarray, y: np.ndarray, cluster: Any, Z: np.ndarray | None,
           weights: Any, offset: Any, n_agq: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(y)
    if X.ndim != 2 or X.shape[0] != n:
        raise ValueError(f"X must have shape (n_samples, p) with n_samples = {n}; got {X.shape}.")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must hold 0/1 values only.")
    Zm = np.ones((n, 1)) if Z is None else np.asarray(Z, float).reshape(n, -1)
    if Zm.shape[1] > 2:
        raise ValueError(f"at most 2 random effects are supported; got {Zm.shape[1]}.")
    if int(n_agq) != n_agq or n_agq < 1:
        raise ValueError(f"n_agq must be a positive integer; got {n_agq!r}.")
    if n_agq > 1 and Zm.shape[1] > 1:
        raise ValueError("adaptive Gauss-Hermite quadrature (n_agq > 1) needs a single random "
                         "effect (a random intercept); use n_agq=1 (Laplace) with random slopes.")
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    if w.shape != (n,) or (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite, non-negative and one per row.")
    off = np.zeros(n) if offset is None else np.asarray(offset, float)
    labels, codes = np.unique(np.asarray(cluster), return_inverse=True)
    if len(labels) < 2:
        raise InsufficientDataError(
            f"a random-effects model needs at least 2 clusters; got {len(labels)}.")
    return Zm, w, off, labels, codes.astype(np.int64), np.asarray(y, float)


def _objective(prob: _Problem) -> tuple[Any, Any]:
    """Objective and gradient (exact for the Laplace approximation, numerical for AGQ)."""
    cache: dict[bytes, tuple[float, np.ndarray | None]] = {}

    def both(x: np.ndarray) -> tuple[float, np.ndarray | None]:
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = prob.value_and_grad(x, gradient=prob.n_agq == 1)
        return cache[key]

    def fun(x: np.ndarray) -> float:
        return both(x)[0]

    def grad(x: np.ndarray) -> np.ndarray:
        g = both(x)[1]
        if g is None:
            g = _num_grad(prob.negloglik, x, 1e-6 * (1 + np.abs(x)))
        return g

    return fun, grad


def _hessian(prob: _Problem, fun: Any, grad: Any, x: np.ndarray) -> np.ndarray:
    """Hessian of the objective: central differences of the exact gradient (Laplace) or
    second differences of the objective (AGQ)."""
    h = 1e-4 * (1 + np.abs(x))
    if prob.n_agq > 1:
        return _num_hessian(fun, x, h)
    out = np.empty((len(x), len(x)))
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h[i]
        out[i] = (grad(x + e) - grad(x - e)) / (2 * h[i])
    return 0.5 * (out + out.T)


def _polish(prob: _Problem, fun: Any, grad: Any, x: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Newton steps from the quasi-Newton optimum, until the step is negligible.

    The objective is smooth and, by the symmetry Lambda -> -Lambda (column by column), even
    in each diagonal entry of the factor, so the boundary theta = 0 is no barrier.
    """
    converged = False
    for _ in range(20):
        hess = _hessian(prob, fun, grad, x)
        try:
            step = np.linalg.solve(hess, grad(x))
        except np.linalg.LinAlgError:
            break
        f_old = fun(x)
        t = 1.0
        cand = x
        while t > 1e-8:
            cand = _normalise(prob, x - t * step)
            if fun(cand) <= f_old + 1e-12 * abs(f_old):
                break
            t /= 2
        if t <= 1e-8:
            converged = bool(np.max(np.abs(step)) < 1e-5 * (1 + np.max(np.abs(x))))
            break
        x = cand
        if np.max(np.abs(t * step)) < 1e-8 * (1 + np.max(np.abs(x))):
            converged = True
            break
    return x, _hessian(prob, fun, grad, x), converged


def _off_boundary(prob: _Problem, fun: Any, x: np.ndarray) -> np.ndarray | None:
    """A better starting point when a variance sits at 0 only because it is a saddle.

    The objective is even in each diagonal entry of the factor, so its gradient vanishes at
    0 and a gradient method can stop there although the likelihood increases away from 0.
    Returns the best of a few points away from the boundary when one is better, else None.
    """
    f0 = fun(x)
    best, best_f = None, f0
    pos = 0
    for col in range(prob.q):
        for row in range(col, prob.q):
            if row == col and abs(x[pos]) < 1e-3:
                for val in (0.05, 0.1, 0.2, 0.4, 0.8):
                    cand = x.copy()
                    cand[pos] = val
                    fc = fun(cand)
                    if fc < best_f - 1e-9 * abs(f0):
                        best, best_f = cand, fc
            pos += 1
    return best


def mixed_logit_fit(
    X: Any,
    y: Any,
    cluster: Any,
    *,
    Z: Any = None,
    weights: Any = None,
    offset: Any = None,
    n_agq: int = 1,
    max_iter: int = 500,
) -> MixedLogitFit:
    """Fit ``glmer(y ~ X - 1 + (Z - 1 | cluster), family = binomial, nAGQ = n_agq)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, p)
        Fixed-effect design, including the intercept column.
    y : array-like of shape (n_samples,)
        0/1 outcome.
    cluster : array-like of shape (n_samples,)
        Cluster of each row.
    Z : array-like of shape (n_samples, q), optional
        Random-effect design (default: a random intercept, ``q = 1``); ``q <= 2``.
    weights : array-like of shape (n_samples,), optional
        Prior weights multiplying each row's log-likelihood.
    offset : array-like of shape (n_samples,), optional
    n_agq : int, default=1
        1: Laplace approximation (lme4's default); > 1: adaptive Gauss-Hermite quadrature.
    max_iter : int, default=500
        Iterations of the outer optimiser.

    Returns
    -------
    MixedLogitFit

    Raises
    ------
    InsufficientDataError
        Fewer than 2 clusters.
    ConvergenceError
        The likelihood cannot be evaluated or its Hessian is singular.
    """
    X = np.asarray(X, float)
    Zm, w, off, labels, codes, yy = _check(X, np.asarray(y, float), cluster, Z, weights,
                                           offset, n_agq)
    prob = _Problem(X, Zm, yy, w, codes, len(labels), off, int(n_agq))
    beta0 = _start(X, yy, w, off)
    theta0 = np.array([1.0 if r == c else 0.0 for c in range(prob.q) for r in range(c, prob.q)])
    x0 = np.r_[theta0, beta0]
    diag = [i for i, (r, c) in enumerate((r, c) for c in range(prob.q)
                                          for r in range(c, prob.q)) if r == c]
    bounds = [(0.0, None) if i in diag else (None, None) for i in range(prob.n_theta)]
    bounds += [(None, None)] * prob.p
    # Laplace first (exact gradient); adaptive quadrature, if asked, starts from its optimum.
    prob.n_agq = 1
    for agq in sorted({1, int(n_agq)}):
        prob.n_agq = agq
        fun, grad = _objective(prob)
        if not np.isfinite(fun(x0)):
            raise ConvergenceError(
                "the mixed logistic likelihood is not finite at the start values.")
        for _ in range(3):
            res = optimize.minimize(fun, x0, jac=grad, method="L-BFGS-B", bounds=bounds,
                                    options={"maxiter": int(max_iter), "ftol": 1e-15,
                                             "gtol": 1e-8})
            x0 = _normalise(prob, res.x)
            better = _off_boundary(prob, fun, x0)
            if better is None:
                break
            x0 = better
    x, hess, converged = _polish(prob, fun, grad, x0)
    theta, beta = x[: prob.n_theta], x[prob.n_theta:]
    lam = prob.lam(theta)
    # Variances at the boundary 0 are held fixed (their Hessian row is degenerate there):
    # the covariance of beta comes from the Hessian of the remaining parameters.
    at_zero = [i for i, (r, c) in enumerate((r, c) for c in range(prob.q)
                                            for r in range(c, prob.q))
               if r == c and abs(theta[i]) < 1e-4]
    singular = bool(at_zero)
    keep = np.array([i for i in range(len(x)) if i not in at_zero])
    try:
        sub = np.linalg.inv(hess[np.ix_(keep, keep)])
        cov_beta = sub[-prob.p:, -prob.p:]
    except np.linalg.LinAlgError as err:
        raise ConvergenceError(
            "the information matrix of the mixed logistic model is singular; the calibration "
            "model cannot be estimated (too few events per cluster or collinear terms)."
        ) from err
    if not np.all(np.isfinite(cov_beta)) or np.any(np.diag(cov_beta) <= 0):
        raise ConvergenceError(
            "the mixed logistic model has a non-positive-definite information matrix; too few "
            "events per cluster for this calibration model (use knots=0 for a linear curve)."
        )
    if not converged:
        warnings.warn(
            "the mixed logistic calibration model did not converge to the stated tolerance; "
            "its estimates may be inaccurate.", ConvergenceWarning, stacklevel=3)
    loglik = -fun(x)
    zl = Zm @ lam
    u, _ = prob._modes(X @ beta + off, zl)
    return MixedLogitFit(
        beta=beta, cov_beta=cov_beta, sigma=lam @ lam.T, theta=theta, modes=u @ lam.T,
        clusters=labels, loglik=float(loglik), n_agq=int(n_agq), converged=converged,
        singular=singular, n_obs=len(yy),
    )
