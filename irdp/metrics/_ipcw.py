"""Inverse-probability-of-censoring weights and their influence functions (private).

Shared machinery for the IPCW measures (time-dependent AUC, Brier score, IPA,
classification at a threshold). The censoring distribution G is the reverse Kaplan-Meier
of the *validation* data (``cens.model="km"`` in riskRegression), from
:func:`irdp.nonparametric.censoring_survival`.

The influence function of ``log G(s-)`` for subject k is (Nelson-Aalen linearisation)

    IF_k(s) = - sum_{u < s} [dN^C_k(u) - 1{T_k >= u} dLambda^C(u)] / ybar(u),

with ``ybar(u)`` the proportion still at risk at ``u``. :func:`censoring_if_weighted`
returns ``sum_i psi_i IF_k(s_i)`` for every k in O(n log n), which is what the IPCW
estimators need for their standard errors (Blanche et al. 2013, Appendix; Gerds &
Schumacher 2006).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irdp.nonparametric import censoring_survival

__all__ = ["Censoring", "censoring_model", "censoring_if_weighted"]


@dataclass(frozen=True)
class Censoring:
    """Reverse Kaplan-Meier of the censoring times with its hazard increments."""

    time: np.ndarray  # observed times of the data
    censored: np.ndarray  # bool, censored rows
    jump_times: np.ndarray  # distinct censoring times
    d_lambda: np.ndarray  # censoring hazard increments at jump_times
    at_risk: np.ndarray  # number at risk at jump_times (T >= u)

    def at(self, t: np.ndarray | float, *, left: bool = False) -> np.ndarray:
        """G(t), or G(t-) with ``left=True``."""
        g = np.concatenate(([1.0], np.cumprod(1.0 - self.d_lambda)))
        side = "left" if left else "right"
        pos = np.searchsorted(self.jump_times, np.asarray(t, float), side=side)
        return g[pos]


def censoring_model(
    time: np.ndarray, any_event: np.ndarray, *, events_leave_first: bool = True
) -> Censoring:
    """Fit the censoring Kaplan-Meier (censorings are the events).

    With ``events_leave_first=False`` (``survfit(Surv(time,
    1 - status) ~ 1)``, :func:`irdp.nonparametric.censoring_survival`), subjects with an
    event at a censoring time u are still at risk of censoring at u. With ``True``
    (default; prodlim ``reverse=TRUE`` as used by riskRegression, and
    ``survival::concordance``'s ``fastkm1``), events at u leave the risk set
    before the censorings at u.
    """
    time = np.asarray(time, float)
    any_event = np.asarray(any_event, bool)
    if not events_leave_first:
        km = censoring_survival(time, any_event)
        times, n_cens, at_risk = km.times, km.n_events, km.n_at_risk
    else:
        uniq, inv = np.unique(time, return_inverse=True)
        n_all = np.bincount(inv, minlength=len(uniq)).astype(float)
        n_ev = np.bincount(inv, weights=any_event.astype(float), minlength=len(uniq))
        at_risk_all = np.cumsum(n_all[::-1])[::-1]
        n_c = n_all - n_ev
        keep = n_c > 0
        times, n_cens, at_risk = uniq[keep], n_c[keep], (at_risk_all - n_ev)[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        d_lambda = np.where(at_risk > 0, n_cens / at_risk, 0.0)
    return Censoring(time, ~any_event, np.asarray(times, float), d_lambda,
                     np.asarray(at_risk, float))


def censoring_if_weighted(cens: Censoring, s: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Return ``A_k = sum_i psi_i IF_k(s_i)`` for each subject k (see module docstring).

    ``s_i`` are the evaluation points: IF of ``log G(s_i-)`` (jumps strictly before s_i).
    Use ``np.nextafter(t, inf)`` to evaluate ``log G(t)`` instead.
    """
    n = len(cens.time)
    u = cens.jump_times
    if len(u) == 0:
        return np.zeros(n)
    # Psi(u) = sum_i psi_i 1{s_i > u} for each censoring jump time u
    order = np.argsort(s)
    s_sorted = s[order]
    psi_cum = np.concatenate(([0.0], np.cumsum(psi[order])))
    total = psi_cum[-1]
    big_psi = total - psi_cum[np.searchsorted(s_sorted, u, side="right")]
    ybar = cens.at_risk / n
    # jump part: subject k censored at T_k contributes -Psi(T_k)/ybar(T_k)
    out = np.zeros(n)
    idx = np.searchsorted(u, cens.time)
    cens_rows = cens.censored & (idx < len(u))
    cens_rows[cens_rows] &= u[idx[cens_rows]] == cens.time[cens_rows]
    out[cens_rows] = -big_psi[idx[cens_rows]] / ybar[idx[cens_rows]]
    # compensator part: + sum_{u <= T_k} Psi(u) dLambda(u) / ybar(u)
    comp = np.concatenate(([0.0], np.cumsum(big_psi * cens.d_lambda / ybar)))
    out += comp[np.searchsorted(u, cens.time, side="right")]
    return out
