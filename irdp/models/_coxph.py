"""Vectorised Cox partial likelihood (Breslow and Efron ties, strata, case weights).

Rows are sorted once by (stratum, time descending); risk-set sums are cumulative sums,
tie groups are contiguous blocks, and the information matrix is assembled as
``X' diag(r * a) X - M' diag(m) M`` so that no (n, p, p) array is ever formed: time and
memory are O(n p + n_events p^2 + n p^2 flops) per Newton step.

References
----------
Efron B. The efficiency of Cox's likelihood function for censored data. JASA
1977;72:557-565. Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox
Model. Springer 2000, sections 3.3 (ties) and 10.2 (Breslow estimator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg


@dataclass
class CoxData:
    """Sorted data and tie-group bookkeeping, computed once per fit."""

    Xt: np.ndarray           # (p, n) sorted, centred, transposed (contiguous rows)
    event: np.ndarray        # (n,) bool sorted
    w: np.ndarray            # (n,) case weights sorted
    order: np.ndarray        # original row of each sorted row
    strat_start: np.ndarray  # (n,) first sorted row of each row's stratum
    strat_end: np.ndarray    # (n,) last sorted row of each row's stratum
    g_end: np.ndarray        # (G,) last row of each event group (stratum, time)
    g_start: np.ndarray      # (G,) first row of the stratum of each event group
    g_ev_first: np.ndarray   # (G,) first event row of each event group
    g_d: np.ndarray          # (G,) number of events in group
    g_wd: np.ndarray         # (G,) weighted number of events
    g_time: np.ndarray       # (G,) time of the group
    g_stratum: np.ndarray    # (G,) stratum code
    ev_rows: np.ndarray      # sorted rows that are events, grouped by event group
    ev_group: np.ndarray     # event group of each of those rows
    t_group: np.ndarray      # Efron terms: group of each term
    t_frac: np.ndarray       # Efron terms: l / d
    sub_start: np.ndarray    # (K,) first row of each sub-block (tie group split before events)
    grp_first_sub: np.ndarray  # (G_all,) first sub-block of every tie group
    g_all: np.ndarray        # (G,) tie-group number of each event group
    g_first_all: np.ndarray  # (G,) tie-group number of the first group of its stratum
    g_ev_sub: np.ndarray     # (G,) sub-block holding the events of each event group
    buf: np.ndarray          # (p, n) work buffer reused every iteration (no page faults)


def prepare(
    X: np.ndarray, time: np.ndarray, event: np.ndarray, strata: np.ndarray, w: np.ndarray,
    ties: str, center: np.ndarray | None = None,
) -> CoxData:
    """Sort and index the data (once); ``X - center`` is stored transposed, sorted."""
    n, p = X.shape
    order = np.lexsort((event, -time, strata))  # stratum asc, time desc, censored first
    t, e, s = time[order], event[order], strata[order]
    ww = w[order]
    Xt = np.empty((p, n))
    for j in range(p):  # one column at a time: a single (p, n) allocation
        np.take(X[:, j], order, out=Xt[j])
        if center is not None:
            Xt[j] -= center[j]
    new_stratum = np.r_[True, s[1:] != s[:-1]]
    first = np.flatnonzero(new_stratum)
    strat_start = first[np.cumsum(new_stratum) - 1]
    last = np.r_[first[1:] - 1, n - 1]
    strat_end = last[np.cumsum(new_stratum) - 1]
    # tie groups: same stratum and time
    new_group = new_stratum | np.r_[True, t[1:] != t[:-1]]
    grp = np.cumsum(new_group) - 1
    grp_start = np.flatnonzero(new_group)
    n_groups = len(grp_start)
    gl = np.r_[grp_start[1:] - 1, n - 1]
    d = np.bincount(grp, weights=e.astype(float), minlength=n_groups)
    wd = np.bincount(grp, weights=ww * e, minlength=n_groups)
    has = d > 0
    gid = np.full(n_groups, -1)
    gid[has] = np.arange(has.sum())
    ev_rows = np.flatnonzero(e)
    ev_group = gid[grp[ev_rows]]
    g_d = d[has].astype(np.int64)
    g_end = gl[has]
    g_ev_first = g_end - g_d + 1  # events sort after censorings within a tie group
    if ties == "efron":
        t_group = np.repeat(np.arange(len(g_d)), g_d)
        starts = np.cumsum(g_d) - g_d
        t_frac = (np.arange(len(t_group)) - starts[t_group]) / g_d[t_group]
    else:
        t_group = np.arange(len(g_d))
        t_frac = np.zeros(len(g_d))
    # sub-blocks: every tie group, split where its events start
    sub_start = np.unique(np.concatenate([grp_start, g_ev_first]))
    grp_first_sub = np.searchsorted(sub_start, grp_start)
    g_all = grp[g_end]
    g_first_all = grp[strat_start[g_end]]
    g_ev_sub = np.searchsorted(sub_start, g_ev_first)
    return CoxData(
        Xt, e, ww, order, strat_start, strat_end, g_end, strat_start[g_end], g_ev_first, g_d,
        wd[has], t[g_end], s[g_end], ev_rows, ev_group, t_group, t_frac, sub_start,
        grp_first_sub, g_all, g_first_all, g_ev_sub, np.empty((p, n)),
    )


#: Use per-row cumulative sums when there are more than n / SEGMENT_RATIO sub-blocks.
SEGMENT_RATIO = 8


def _range(cs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sums over rows lo..hi (inclusive) from a cumulative sum along the last axis."""
    lower = np.where(lo > 0, cs[..., np.maximum(lo - 1, 0)], 0.0)
    return cs[..., hi] - lower


def _group_sums(cd: CoxData, r: np.ndarray) -> tuple[np.ndarray, ...]:
    """S0, S1 (risk sets) and T0, T1 (tied events) of every event group.

    Few distinct times: segment sums (``reduceat``) then a cumulative sum over groups.
    Many distinct times: an in-place cumulative sum over rows. Both reuse ``cd.buf``.
    """
    np.multiply(cd.Xt, r, out=cd.buf)
    if len(cd.sub_start) * SEGMENT_RATIO > len(r):
        c0 = np.cumsum(r)
        np.cumsum(cd.buf, axis=1, out=cd.buf)
        return (_range(c0, cd.g_start, cd.g_end), _range(cd.buf, cd.g_start, cd.g_end).T,
                _range(c0, cd.g_ev_first, cd.g_end), _range(cd.buf, cd.g_ev_first, cd.g_end).T)
    sub0 = np.add.reduceat(r, cd.sub_start)
    sub1 = np.add.reduceat(cd.buf, cd.sub_start, axis=1)  # (p, K)
    c0 = np.cumsum(np.add.reduceat(sub0, cd.grp_first_sub))
    c1 = np.cumsum(np.add.reduceat(sub1, cd.grp_first_sub, axis=1), axis=1)  # (p, G_all)
    lo = cd.g_first_all - 1
    S0 = c0[cd.g_all] - np.where(lo >= 0, c0[np.maximum(lo, 0)], 0.0)
    S1 = (c1[:, cd.g_all] - np.where(lo >= 0, c1[:, np.maximum(lo, 0)], 0.0)).T
    return S0, S1, sub0[cd.g_ev_sub], sub1[:, cd.g_ev_sub].T


def _terms(cd: CoxData, beta: np.ndarray, ties: str) -> dict[str, Any]:
    """Risk-set sums per event group and the per-group weights of the tie terms.

    With Efron ties, group g has d_g terms l = 0..d_g-1 with denominators
    den_gl = S0_g - (l/d_g) T0_g; every sum over terms is reduced to group level through
    A = sum 1/den, B = sum f/den, C = sum 1/den^2, D = sum f/den^2, E = sum f^2/den^2
    (times the mean event weight), so no (n_events, p) array is formed.
    """
    eta = beta @ cd.Xt
    shift = float(eta.max()) if len(eta) else 0.0
    r = cd.w * np.exp(eta - shift)
    S0, S1, T0, T1 = _group_sums(cd, r)
    G = len(S0)
    if ties == "efron":
        meanwt = cd.g_wd / cd.g_d
        g, f = cd.t_group, cd.t_frac
        den = S0[g] - f * T0[g]
        mw = meanwt[g]
        inv = 1.0 / den

        def agg(v: np.ndarray) -> np.ndarray:
            return np.bincount(g, weights=v, minlength=G)

        A, B = agg(mw * inv), agg(mw * f * inv)
        C, D, E = agg(mw * inv**2), agg(mw * f * inv**2), agg(mw * f * f * inv**2)
        log_term = float(np.sum(mw * (np.log(den) + shift)))
    else:
        T1 = np.zeros_like(S1)
        A = cd.g_wd / S0
        B = D = E = np.zeros(G)
        C = cd.g_wd / S0**2
        log_term = float(np.sum(cd.g_wd * (np.log(S0) + shift)))
    return {"eta": eta, "r": r, "S1": S1, "T1": T1, "A": A, "B": B, "C": C, "D": D, "E": E,
            "log_term": log_term}


def loglik(cd: CoxData, beta: np.ndarray, ties: str) -> float:
    """Log partial likelihood."""
    tm = _terms(cd, beta, ties)
    return float(np.sum(cd.w * cd.event * tm["eta"]) - tm["log_term"])


def derivatives(cd: CoxData, beta: np.ndarray, ties: str) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood, score vector and information matrix at ``beta``."""
    tm = _terms(cd, beta, ties)
    we = cd.w * cd.event
    ll = float(np.sum(we * tm["eta"]) - tm["log_term"])
    S1, T1 = tm["S1"], tm["T1"]
    # sum over tie terms of mw * M_t, with M_t = (S1 - f T1) / den
    mean_sum = S1.T @ tm["A"] - T1.T @ tm["B"]
    score = cd.Xt @ we - mean_sum
    # a_i = sum of A over event groups whose risk set contains row i
    at_rows = np.zeros(len(cd.w))
    at_rows[cd.g_end] = tm["A"]
    rev = np.cumsum(at_rows[::-1])[::-1]
    after = np.r_[rev[1:], 0.0]
    a = rev - after[cd.strat_end]
    coef = tm["r"] * a
    if ties == "efron":
        coef[cd.ev_rows] -= tm["r"][cd.ev_rows] * tm["B"][cd.ev_group]
    outer = (S1 * tm["C"][:, None]).T @ S1
    if ties == "efron":
        cross = (S1 * tm["D"][:, None]).T @ T1
        outer += -cross - cross.T + (T1 * tm["E"][:, None]).T @ T1
    np.multiply(cd.Xt, np.sqrt(np.maximum(coef, 0.0)), out=cd.buf)  # coef >= 0
    info = cd.buf @ cd.buf.T - outer  # a BLAS syrk on the reused buffer
    return ll, score, info


def newton(
    cd: CoxData, ties: str, *, max_iter: int = 50, tol: float = 1e-10,
    beta0: np.ndarray | None = None,
) -> dict[str, Any]:
    """Newton-Raphson with step halving, as ``survival::coxph`` (``coxph.control``)."""
    p = cd.Xt.shape[0]
    beta = np.zeros(p) if beta0 is None else beta0.copy()
    ll, score, info = derivatives(cd, beta, ties)
    ll0 = ll
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        try:
            step = linalg.solve(info, score, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            step = linalg.lstsq(info, score)[0]
        prev = ll
        for _ in range(30):
            new = derivatives(cd, beta + step, ties)
            if np.isfinite(new[0]) and new[0] >= prev - 1e-12 * abs(prev):
                break
            step = step / 2
        beta = beta + step
        ll, score, info = new
        if abs(1 - prev / ll) < tol if ll != 0 else abs(prev - ll) < tol:
            if np.max(np.abs(step)) < 1e-5 * (1 + np.max(np.abs(beta))):
                converged = True
                break
    return {"beta": beta, "info": info, "loglik": ll, "loglik0": ll0, "converged": converged,
            "n_iter": it, "score": score}


def breslow_increments(cd: CoxData, beta: np.ndarray) -> np.ndarray:
    """Breslow baseline hazard jump at each event group, for linear predictor X @ beta
    with the (centred) X stored in ``cd``: sum of event weights / sum_{risk set} w exp(eta)."""
    eta = beta @ cd.Xt
    shift = float(eta.max())
    r = cd.w * np.exp(eta - shift)
    S0 = _group_sums(cd, r)[0]
    return cd.g_wd / S0 * np.exp(-shift)


def efron_increments(cd: CoxData, beta: np.ndarray) -> np.ndarray:
    """Efron-type baseline hazard jump at each event group (``survfit(..., ctype = 2)``):
    sum over l = 0..d-1 of meanwt / (S0 - (l/d) T0), with T0 the risk of the tied events.
    Equals the Breslow jump when there are no ties."""
    eta = beta @ cd.Xt
    shift = float(eta.max())
    r = cd.w * np.exp(eta - shift)
    S0, _, T0, _ = _group_sums(cd, r)
    g = np.repeat(np.arange(len(cd.g_d)), cd.g_d)
    starts = np.cumsum(cd.g_d) - cd.g_d
    f = (np.arange(len(g)) - starts[g]) / cd.g_d[g]
    meanwt = cd.g_wd / cd.g_d
    jumps = np.bincount(g, weights=meanwt[g] / (S0[g] - f * T0[g]), minlength=len(S0))
    return jumps * np.exp(-shift)
