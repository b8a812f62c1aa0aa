"""Fine-Gray subdistribution hazards on the Cox engine, and ``cmprsk::crr``'s robust variance.

A subject with a competing event at T_j stays in the risk set at t > T_j with weight
G(t-)/G(T_j-), G the Kaplan-Meier of the censoring times. Two conventions exist for a
censoring tied with an event, and irdp matches each reference where it is used:

- ``"crr"``: events at u are still at risk of censoring at u (``survfit(Surv(time,
  cens))``, as ``cmprsk::crr``); used by :class:`irdp.models.FineGrayIndex`;
- ``"finegray"``: events at u leave the risk set of censoring first (``survival::finegray``
  and ``mstate::crprep``, as prodlim's reverse Kaplan-Meier); used by the competing-risk
  calibration slope and curve of :mod:`irdp.metrics`.

:func:`robust_meat` is the middle of crr's sandwich variance: the score residuals eta_i of
the weighted partial likelihood plus psi_i, the influence of estimating G (Fine & Gray 1999,
section 3), assembled from the same cumulative sums as the fit in O(n p) time.

References
----------
.. [1] Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing
   risk. JASA 1999;94:496-509.
.. [2] Gray RJ. cmprsk: Subdistribution Analysis of Competing Risks. R package (``crr``).
.. [3] Geskus RB. Cause-specific cumulative incidence estimation and the Fine and Gray model
   under both left truncation and right censoring. Biometrics 2011;67:39-49 (weighted data).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from irdp._stats import cox
from irdp.nonparametric import censoring_survival

__all__ = ["prepare", "robust_meat"]


def prepare(
    X: np.ndarray,
    time: np.ndarray,
    cause: np.ndarray,
    failcode: int,
    *,
    ties: cox.Ties = "breslow",
    censoring: Literal["crr", "finegray"] = "crr",
    any_event: np.ndarray | None = None,
    center: np.ndarray | None = None,
) -> cox.CoxData:
    """Prepared Fine-Gray data for :func:`irdp._stats.cox.fit`.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    time : ndarray of shape (n,)
    cause : ndarray of shape (n,)
        0 = censored, ``failcode`` = event of interest, other values = competing events.
    failcode : int
    ties : {"breslow", "efron"}, default="breslow"
        ``crr`` uses Breslow; ``coxph`` on ``finegray`` data uses Efron.
    censoring : {"crr", "finegray"}, default="crr"
        Tie convention of the censoring Kaplan-Meier (see the module docstring).
    any_event : ndarray of shape (n,), optional
        Rows that are not censored, for the censoring Kaplan-Meier (default ``cause != 0``).
    center : ndarray of shape (p,), optional
    """
    time = np.asarray(time, dtype=float)
    cause = np.asarray(cause)
    ev1 = cause == failcode
    observed = cause != 0 if any_event is None else np.asarray(any_event, dtype=bool)
    competing = observed & ~ev1
    g = censoring_survival(time, observed.astype(int),
                           events_leave_first=censoring == "finegray")

    def left(t: np.ndarray) -> np.ndarray:
        return g.at(t, left=True)

    return cox.prepare(X, time, ev1, ties=ties, center=center, competing=competing,
                       censoring_left=left)


def robust_meat(cd: cox.CoxData, terms: dict[str, Any]) -> np.ndarray:
    """``sum_i (eta_i + psi_i)(eta_i + psi_i)'`` of ``crr`` (its ``crrvv`` routine).

    ``terms`` are the engine's quantities at the estimate (``newton(...)["terms"]``); one
    stratum, unit weights and Breslow ties, as ``crr``.
    """
    if not cd.single or np.any(cd.w != 1) or cd.ties != "breslow" and len(cd.tied):
        raise ValueError("crr's robust variance needs one stratum, unit weights and "
                         "Breslow ties.")
    n, p = cd.n, cd.p
    r, S0, S1 = terms["r"], terms["S0"], terms["S1"]
    A = cd.g_wd / S0
    xbar = S1 / S0
    lg = cd.linger
    # a_i, b_i: sums of A_g and A_g xbar_g over the risk sets holding row i
    at_rows = np.zeros(n)
    at_rows[cd.g_end] = A
    a = np.cumsum(at_rows[::-1])[::-1]
    bt = np.zeros((p, n))
    bt[:, cd.g_end] = xbar * A
    b = np.cumsum(bt[:, ::-1], axis=1)[:, ::-1]
    if lg is not None:
        gg = np.concatenate(([0.0], np.cumsum(A * lg.g_g)))
        gx = np.concatenate((np.zeros((p, 1)), np.cumsum(xbar * A * lg.g_g, axis=1)), axis=1)
        a[lg.rows] += lg.inv_g * gg[lg.m_row]
        b[:, lg.rows] += lg.inv_g * gx[:, lg.m_row]
    resid = -(r * (cd.Xt * a - b))
    resid[:, cd.ev_rows] += cd.Xt[:, cd.ev_rows] - xbar[:, cd.ev_group]
    if lg is not None:
        resid += _psi(cd, r, A, xbar)
    return resid @ resid.T


def _psi(cd: cox.CoxData, r: np.ndarray, A: np.ndarray, xbar: np.ndarray) -> np.ndarray:
    """Influence of the censoring Kaplan-Meier on the score, per row (p, n)."""
    lg = cd.linger
    n, p = cd.n, cd.p
    t = cd.time  # descending
    cens = ~cd.event & ~np.isin(np.arange(n), lg.rows)
    out = np.zeros((p, n))
    if not cens.any():
        return out
    u, n_c = np.unique(t[cens], return_counts=True)  # ascending censoring times
    neg = -t  # ascending
    last = np.searchsorted(neg, -u, side="right") - 1  # last row with time >= u
    at_risk = last + 1.0
    # competing rows with T < u: linger rows at positions > last
    rl = r[lg.rows] * lg.inv_g
    c0 = np.concatenate(([0.0], np.cumsum(rl)))
    c1 = np.concatenate((np.zeros((p, 1)), np.cumsum(lg.Xl * rl, axis=1)), axis=1)
    k = np.searchsorted(lg.rows, last, side="right")
    C0 = c0[-1] - c0[k]
    C1 = c1[:, -1:] - c1[:, k]
    # event groups with time >= u: groups whose g_end <= last
    m = np.searchsorted(cd.g_end, last, side="right")
    cg = A * lg.g_g
    q0 = np.concatenate(([0.0], np.cumsum(cg)))[m]
    q1 = np.concatenate((np.zeros((p, 1)), np.cumsum(xbar * cg, axis=1)), axis=1)[:, m]
    q = C1 * q0 - C0 * q1  # (p, U)
    comp = np.cumsum(-(n_c / at_risk**2) * q, axis=1)
    kk = np.searchsorted(u, t, side="right") - 1  # last censoring time <= T_i
    has = kk >= 0
    out[:, has] = comp[:, kk[has]]
    ci = np.flatnonzero(cens)
    out[:, ci] += q[:, kk[ci]] / at_risk[kk[ci]]
    return out
