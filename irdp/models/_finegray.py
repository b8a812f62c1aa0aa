"""Vectorised Fine-Gray estimation reproducing ``cmprsk::crr`` (private module).

Rows are sorted by time. Subjects with a competing event stay in the risk set after their
event with weight G(s-)/G(T_i-), G the Kaplan-Meier of censoring (the left limit, as crr).
Every risk-set sum is a prefix or suffix sum, and the robust (sandwich) variance of crr,
including the term for the estimation of G (psi_i), is assembled from the same sums:
O(n p + p^2 n) time and O(n p) memory.

References
----------
Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing
risk. JASA 1999;94:496-509 (score residuals eta_i and psi_i, section 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg

from irdp.models.logistic import _weighted_gram
from irdp.nonparametric import kaplan_meier


@dataclass
class FGData:
    X: np.ndarray        # (n, p) sorted by time, centred
    time: np.ndarray     # sorted times
    ev1: np.ndarray      # event of interest
    comp: np.ndarray     # competing event
    cens: np.ndarray     # censored
    G_left: np.ndarray   # G(T_i-) of each row
    s: np.ndarray        # distinct event-of-interest times
    d: np.ndarray        # events at s
    Gs: np.ndarray       # G(s-)
    pos: np.ndarray      # first row with time >= s
    idx_row: np.ndarray  # per row: number of s <= T_i
    order: np.ndarray


def prepare(X: np.ndarray, time: np.ndarray, cause: np.ndarray, failcode: int) -> FGData:
    order = np.argsort(time, kind="stable")
    t = time[order]
    c = cause[order]
    ev1 = c == failcode
    cens = c == 0
    comp = ~ev1 & ~cens
    km = kaplan_meier(t, cens)
    G_left = km.at(t, left=True)
    s, d = np.unique(t[ev1], return_counts=True)
    return FGData(
        X[order], t, ev1, comp, cens, G_left, s, d.astype(float), km.at(s, left=True),
        np.searchsorted(t, s, side="left"), np.searchsorted(s, t, side="right"), order,
    )


def _prefix(v: np.ndarray) -> np.ndarray:
    """P[k] = sum of v[:k] (length n + 1)."""
    return np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(v, axis=0)], axis=0)


def _sums(fd: FGData, beta: np.ndarray) -> dict[str, Any]:
    eta = fd.X @ beta
    shift = float(eta.max())
    e = np.exp(eta - shift)
    ex = e[:, None] * fd.X
    tail0 = np.cumsum(e[::-1])[::-1]
    tail1 = np.cumsum(ex[::-1], axis=0)[::-1]
    cw = np.where(fd.comp, e / fd.G_left, 0.0)
    C0 = _prefix(cw)
    C1 = _prefix(cw[:, None] * fd.X)
    S0 = tail0[fd.pos] + fd.Gs * C0[fd.pos]
    S1 = tail1[fd.pos] + fd.Gs[:, None] * C1[fd.pos]
    return {"eta": eta, "shift": shift, "e": e, "S0": S0, "S1": S1, "xbar": S1 / S0[:, None],
            "C0": C0, "C1": C1, "cw": cw}


def loglik(fd: FGData, beta: np.ndarray) -> float:
    sm = _sums(fd, beta)
    return float(np.sum(sm["eta"][fd.ev1]) - np.sum(fd.d * (np.log(sm["S0"]) + sm["shift"])))


def _row_weights(fd: FGData, sm: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """a_i = sum_m d_m w_i(s_m)/S0_m and b_i = sum_m d_m w_i(s_m) xbar_m / S0_m."""
    c = fd.d / sm["S0"]
    Pc = _prefix(c)
    Pcx = _prefix(c[:, None] * sm["xbar"])
    cg = c * fd.Gs
    Tcg = np.concatenate([np.cumsum(cg[::-1])[::-1], [0.0]])
    Tcgx = np.concatenate([np.cumsum((cg[:, None] * sm["xbar"])[::-1], axis=0)[::-1],
                           np.zeros((1, fd.X.shape[1]))])
    k = fd.idx_row
    a = Pc[k] + np.where(fd.comp, Tcg[k] / fd.G_left, 0.0)
    b = Pcx[k] + np.where(fd.comp[:, None], Tcgx[k] / fd.G_left[:, None], 0.0)
    return a, b


def derivatives(fd: FGData, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    sm = _sums(fd, beta)
    ll = float(np.sum(sm["eta"][fd.ev1]) - np.sum(fd.d * (np.log(sm["S0"]) + sm["shift"])))
    xbar = sm["xbar"]
    score = fd.X[fd.ev1].sum(axis=0) - fd.d @ xbar
    a, _ = _row_weights(fd, sm)
    info = _weighted_gram(fd.X, sm["e"] * a) - (xbar * fd.d[:, None]).T @ xbar
    return ll, score, info


def newton(fd: FGData, *, max_iter: int = 50, tol: float = 1e-10) -> dict[str, Any]:
    p = fd.X.shape[1]
    beta = np.zeros(p)
    ll, score, info = derivatives(fd, beta)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        try:
            step = linalg.solve(info, score, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            step = linalg.lstsq(info, score)[0]
        for _ in range(30):
            new_ll = loglik(fd, beta + step)
            if np.isfinite(new_ll) and new_ll >= ll - 1e-12 * abs(ll):
                break
            step = step / 2
        beta = beta + step
        prev = ll
        ll, score, info = derivatives(fd, beta)
        if abs(prev - ll) <= tol * (abs(ll) + 0.1) and np.max(np.abs(step)) < 1e-5 * (
            1 + np.max(np.abs(beta))
        ):
            converged = True
            break
    return {"beta": beta, "info": info, "loglik": ll, "converged": converged, "n_iter": it}


def robust_meat(fd: FGData, beta: np.ndarray) -> np.ndarray:
    """sum_i (eta_i + psi_i)(eta_i + psi_i)' of crr (``crrvv``)."""
    sm = _sums(fd, beta)
    xbar, S0, e = sm["xbar"], sm["S0"], sm["e"]
    a, b = _row_weights(fd, sm)
    # eta_i: dN part for events of interest, minus the d Lambda part for every row
    resid = -(e[:, None] * (fd.X * a[:, None] - b))
    m_of_row = fd.idx_row - 1
    resid[fd.ev1] += fd.X[fd.ev1] - xbar[m_of_row[fd.ev1]]
    # psi_i: the influence of estimating G, at distinct censoring times u
    n = len(fd.time)
    if fd.cens.any():
        u, n_c = np.unique(fd.time[fd.cens], return_counts=True)
        first = np.searchsorted(fd.time, u, side="left")  # rows with T < u: [0, first)
        at_risk = n - first
        cg = fd.d / S0 * fd.Gs
        j = np.searchsorted(fd.s, u, side="left")  # s_m >= u from index j
        Q0 = np.concatenate([np.cumsum(cg[::-1])[::-1], [0.0]])[j]
        Q1 = np.concatenate([np.cumsum((cg[:, None] * xbar)[::-1], axis=0)[::-1],
                             np.zeros((1, xbar.shape[1]))])[j]
        q = sm["C1"][first] * Q0[:, None] - sm["C0"][first][:, None] * Q1
        comp_part = np.cumsum(-(n_c / at_risk**2)[:, None] * q, axis=0)
        k = np.searchsorted(u, fd.time, side="right") - 1  # last censoring time <= T_i
        psi = np.where(k[:, None] >= 0, comp_part[np.maximum(k, 0)], 0.0)
        ci = fd.cens
        psi[ci] += q[k[ci]] / at_risk[k[ci]][:, None]
        resid = resid + psi
    return resid.T @ resid


def baseline_jumps(fd: FGData, beta: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Breslow-type jumps of the baseline subdistribution hazard at Z = 0 (crr bfitj)."""
    sm = _sums(fd, beta)
    return fd.d / sm["S0"] * np.exp(-sm["shift"]) * np.exp(-center @ beta)
