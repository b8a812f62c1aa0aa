"""Cox / Fine-Gray fits for calibration (private): a thin delegation to the Cox engine.

Used for the survival calibration slope (Cox on ``cll(risk)``), the McLernon et al.
flexible calibration curve (Cox on a restricted cubic spline of ``cll(risk)``) and, with
``competing``, the competing-risk analogues on the subdistribution hazard (van Geloven et
al. 2022). The fit is :func:`irdp._stats.cox.fit` with Efron ties (``coxph``/``cph``
default) and the Efron-type baseline cumulative hazard (``survfit.coxph`` ``ctype=2``). For
Fine-Gray, a subject with a competing event at ``T_j`` stays in the risk set at ``s > T_j``
with weight ``G(s-)/G(T_j-)``, G the censoring Kaplan-Meier with events leaving the risk
set before censorings at a tied time (``survival::finegray``, ``mstate::crprep``).

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

from irdp._stats import cox, finegray
from irdp.exceptions import SeparationWarning

__all__ = ["CoxFit", "cox_fit"]


@dataclass(frozen=True)
class CoxFit:
    """Coefficients, their covariance and the baseline hazard of a fitted model."""

    coef: np.ndarray
    cov: np.ndarray
    center: np.ndarray
    event_times: np.ndarray
    d_hazard0: np.ndarray  # Efron baseline hazard increments (centred covariates)
    s0: np.ndarray | None  # risk-set sums at event times (centred, relative scale)
    xbar: np.ndarray | None  # risk-set weighted means at event times
    n_deaths: np.ndarray
    converged: bool
    var_terms: np.ndarray  # Efron: sum_r 1/den0^2 per event time
    mean_terms: np.ndarray | None  # Efron: sum_r mean_r/den0 per event time (None: value-only)

    def cumhaz(self, x: np.ndarray, t: float, *, se: bool = True
               ) -> tuple[np.ndarray, np.ndarray | None]:
        """Cumulative hazard at ``t`` for rows ``x`` and its standard error (Tsiatis; None
        when ``se=False`` or the fit was value-only)."""
        x = np.atleast_2d(x)
        eta = (x - self.center) @ self.coef
        keep = self.event_times <= t
        h0 = self.d_hazard0[keep].sum()
        h = h0 * np.exp(eta)
        if not se or self.mean_terms is None:
            return h, None
        # Var H(t|x) = e^{2 eta} [ sum dN/S0^2 + q' V q ], q = sum (xbar - x) dN/S0
        a = np.sum(self.var_terms[keep])
        b = self.mean_terms[keep].sum(axis=0)
        q = b[None, :] - h0 * (x - self.center)
        var = np.exp(2 * eta) * (a + np.einsum("ij,jk,ik->i", q, self.cov, q))
        return h, np.sqrt(np.maximum(var, 0.0))


def cox_fit(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    *,
    competing: np.ndarray | None = None,
    any_event: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
    layout: cox.CoxData | None = None,
    beta0: np.ndarray | None = None,
    value_only: bool = False,
) -> CoxFit:
    """Fit a Cox (or, with ``competing``, Fine-Gray) model by Newton-Raphson.

    ``layout``: the outcome ``(time, event)`` already sorted by :func:`irdp._stats.cox.prepare`
    (Efron ties, no strata, weights or offset; any design), reused instead of sorting again.
    ``beta0``: starting values of Newton-Raphson (``coxph(init=)``; default 0).
    ``value_only``: coefficients, covariance and baseline hazard only (no risk-set means,
    no Tsiatis variance terms: :meth:`CoxFit.cumhaz` then gives no SE); the same estimates.
    """
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    x = np.asarray(x, float)
    x = x[:, None] if x.ndim == 1 else x
    center = x.mean(axis=0)
    if competing is not None and np.any(competing):
        cause = np.where(event, 1, np.where(np.asarray(competing, bool), 2, 0))
        observed = any_event if any_event is not None else (event | np.asarray(competing, bool))
        cd = finegray.prepare(x, time, cause, 1, ties="efron", censoring="finegray",
                              any_event=observed, center=center)
    elif layout is not None:
        cd = cox.with_covariates(layout, x, center=center)
    else:
        cd = cox.prepare(x, time, event, ties="efron", center=center)
    res = cox.fit(cd, max_iter=max_iter, tol=tol, keep_terms=not value_only, beta0=beta0,
                  null_loglik=False, compute_cov=not value_only)
    if not res.converged or np.any(np.abs(res.coef) > 50):
        warnings.warn(
            "the calibration Cox model did not converge (possible separation); its slope and "
            "curve are unreliable.",
            SeparationWarning,
            stacklevel=3,
        )
    tm = res.terms
    rev = slice(None, None, -1)  # engine groups are in descending time
    d_hazard0 = (res.hazard_efron * np.exp(center @ res.coef))[rev]
    if value_only:
        s0 = xbar = mean_terms = None
    else:
        s0 = tm["S0"][rev]
        xbar = (tm["S1"] / tm["S0"]).T[rev]
        mean_terms = res.mean_terms[rev]
    return CoxFit(res.coef, res.cov, center, res.group_time[rev], d_hazard0, s0, xbar,
                  res.group_events[rev].astype(float), bool(res.converged),
                  res.var_terms[rev], mean_terms)
