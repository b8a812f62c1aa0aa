"""A small Cox / Fine-Gray partial-likelihood fitter for calibration (private).

Used for the survival calibration slope (Cox on ``cll(risk)``), the McLernon et al.
flexible calibration curve (Cox on a restricted cubic spline of ``cll(risk)``) and, with
``fine_gray=True``, the competing-risk analogues on the subdistribution hazard (van
Geloven et al. 2022). Ties use Efron's approximation (``coxph``/``cph`` default); the
baseline cumulative hazard is the matching Efron-type estimator (``survfit.coxph``
``ctype=2``). For Fine-Gray, a subject with a competing event at ``T_j`` stays in the risk
set at ``s > T_j`` with weight ``G(s-)/G(T_j-)`` (Fine & Gray 1999; ``mstate::crprep``).

References
----------
.. [1] Cox DR. Regression models and life-tables. JRSS B 1972;34:187-220.
.. [2] Efron B. The efficiency of Cox's likelihood function for censored data. JASA
   1977;72:557-565.
.. [3] Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a
   competing risk. JASA 1999;94:496-509.
.. [4] Tsiatis AA. A large sample study of Cox's regression model. Ann Stat 1981;9:93-108.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from irdp.exceptions import SeparationWarning
from irdp.metrics._ipcw import censoring_model

__all__ = ["CoxFit", "cox_fit"]


@dataclass(frozen=True)
class CoxFit:
    """Coefficients, their covariance and the baseline hazard of a fitted model."""

    coef: np.ndarray
    cov: np.ndarray
    center: np.ndarray
    event_times: np.ndarray
    d_hazard0: np.ndarray  # Efron baseline hazard increments (centred covariates)
    s0: np.ndarray  # risk-set sums at event times (centred)
    xbar: np.ndarray  # risk-set weighted means at event times
    n_deaths: np.ndarray
    converged: bool
    var_terms: np.ndarray  # Efron: sum_r 1/den0^2 per event time
    mean_terms: np.ndarray  # Efron: sum_r mean_r/den0 per event time

    def cumhaz(self, x: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative hazard at ``t`` for rows ``x`` and its standard error (Tsiatis)."""
        x = np.atleast_2d(x)
        eta = (x - self.center) @ self.coef
        keep = self.event_times <= t
        h0 = self.d_hazard0[keep].sum()
        h = h0 * np.exp(eta)
        # Var H(t|x) = e^{2 eta} [ sum dN/S0^2 + q' V q ], q = sum (xbar - x) dN/S0
        a = np.sum(self.var_terms[keep])
        b = self.mean_terms[keep].sum(axis=0)
        q = b[None, :] - h0 * (x - self.center)
        var = np.exp(2 * eta) * (a + np.einsum("ij,jk,ik->i", q, self.cov, q))
        return h, np.sqrt(np.maximum(var, 0.0))


def _risk_sums(order_time: np.ndarray, ew: np.ndarray, x: np.ndarray, u: np.ndarray,
               side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of ew, ew*x, ew*x x' over rows with time >= u (side='geq') or < u ('lt')."""
    p = x.shape[1]
    s0c = np.concatenate(([0.0], np.cumsum(ew)))
    s1c = np.vstack([np.zeros(p), np.cumsum(ew[:, None] * x, axis=0)])
    xx = (x[:, :, None] * x[:, None, :]).reshape(len(x), p * p)
    s2c = np.vstack([np.zeros(p * p), np.cumsum(ew[:, None] * xx, axis=0)])
    idx = np.searchsorted(order_time, u, side="left")
    if side == "geq":
        s0 = s0c[-1] - s0c[idx]
        s1 = s1c[-1] - s1c[idx]
        s2 = s2c[-1] - s2c[idx]
    else:
        s0, s1, s2 = s0c[idx], s1c[idx], s2c[idx]
    return s0, s1, s2.reshape(len(u), p, p)


def cox_fit(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    *,
    competing: np.ndarray | None = None,
    any_event: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> CoxFit:
    """Fit a Cox (or, with ``competing``, Fine-Gray) model by Newton-Raphson."""
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    x = np.atleast_2d(np.asarray(x, float).T).T if np.ndim(x) == 1 else np.asarray(x, float)
    n, p = x.shape
    center = x.mean(axis=0)
    xc = x - center
    order = np.argsort(time, kind="stable")
    ts, xs = time[order], xc[order]
    u, d = np.unique(time[event], return_counts=True)
    fg = competing is not None and np.any(competing)
    if fg:
        cens = censoring_model(time, any_event if any_event is not None else (event | competing))
        comp_idx = np.flatnonzero(competing)
        co = comp_idx[np.argsort(time[comp_idx], kind="stable")]
        tc, xcmp = time[co], xc[co]
        g_tc = cens.at(tc, left=True)
        g_u = cens.at(u, left=True)
    # deaths' sums per event time
    ev_idx = np.flatnonzero(event)
    ev_pos = np.searchsorted(u, time[ev_idx])
    # Efron expansion: one row per (event time, r)
    rep_k = np.repeat(np.arange(len(u)), d)
    rep_r = np.arange(len(rep_k)) - np.repeat(np.cumsum(d) - d, d)
    frac = rep_r / d[rep_k]

    def pieces(beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, dict]:
        eta_s = xs @ beta
        ew = np.exp(eta_s)
        s0, s1, s2 = _risk_sums(ts, ew, xs, u, "geq")
        if fg:
            ewc = np.exp(xcmp @ beta) / g_tc
            e0, e1, e2 = _risk_sums(tc, ewc, xcmp, u, "lt")
            s0 = s0 + g_u * e0
            s1 = s1 + g_u[:, None] * e1
            s2 = s2 + g_u[:, None, None] * e2
        eta_e = xc[ev_idx] @ beta
        ewe = np.exp(eta_e)
        d0 = np.bincount(ev_pos, weights=ewe, minlength=len(u))
        d1 = np.vstack([np.bincount(ev_pos, weights=ewe * xc[ev_idx, j], minlength=len(u))
                        for j in range(p)]).T
        xe = xc[ev_idx]
        d2 = np.einsum("i,ij,ik->ijk", ewe, xe, xe)
        d2k = np.zeros((len(u), p, p))
        np.add.at(d2k, ev_pos, d2)
        den0 = s0[rep_k] - frac * d0[rep_k]
        den1 = s1[rep_k] - frac[:, None] * d1[rep_k]
        den2 = s2[rep_k] - frac[:, None, None] * d2k[rep_k]
        mean = den1 / den0[:, None]
        loglik = float(eta_e.sum() - np.log(den0).sum())
        grad = xe.sum(axis=0) - mean.sum(axis=0)
        info = (den2 / den0[:, None, None]).sum(axis=0) - np.einsum("ij,ik->jk", mean, mean)
        extra = {"den0": den0, "mean": mean, "s0": s0, "s1": s1}
        return loglik, grad, info, extra

    beta = np.zeros(p)
    loglik, grad, info, extra = pieces(beta)
    converged = False
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        new = beta + step
        ll_new, g_new, i_new, e_new = pieces(new)
        halvings = 0
        while (not np.isfinite(ll_new) or ll_new < loglik - 1e-12) and halvings < 30:
            step /= 2
            new = beta + step
            ll_new, g_new, i_new, e_new = pieces(new)
            halvings += 1
        done = abs(ll_new - loglik) <= tol * (abs(loglik) + tol)
        beta, loglik, grad, info, extra = new, ll_new, g_new, i_new, e_new
        if done:
            converged = True
            break
    if not converged or np.any(np.abs(beta) > 50):
        warnings.warn(
            "the calibration Cox model did not converge (possible separation); its slope and "
            "curve are unreliable.",
            SeparationWarning,
            stacklevel=3,
        )
    cov = np.linalg.pinv(info)
    dh = np.bincount(rep_k, weights=1.0 / extra["den0"], minlength=len(u))
    xbar = extra["s1"] / extra["s0"][:, None]
    vt = np.bincount(rep_k, weights=1.0 / extra["den0"] ** 2, minlength=len(u))
    mt = np.zeros((len(u), p))
    np.add.at(mt, rep_k, extra["mean"] / extra["den0"][:, None])
    return CoxFit(beta, cov, center, u, dh, extra["s0"], xbar, d.astype(float), converged, vt, mt)
