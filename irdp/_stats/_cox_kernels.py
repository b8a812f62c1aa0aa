"""Compiled passes of the Cox and Fine-Gray partial likelihood (private).

:mod:`irdp._stats.cox` sorts the rows once by stratum, time descending, censored before
events; a risk set is then a contiguous block of rows. Written as NumPy array operations,
the sums of one Newton-Raphson iteration cost some fifty calls and as many temporary arrays;
at the size of a bootstrap replicate (a few thousand rows) that fixed cost, not the
arithmetic, was what an iteration took. Here each pass runs once over the rows, and one
iteration is one call (:func:`newton_terms`). Options: :mod:`irdp._stats._jit`.

References
----------
.. [1] Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox Model. Springer
   2000, sections 3.3 (Efron's approximation as sums over the tied events) and 10.2.
.. [2] Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing
   risk. JASA 1999;94:496-509 (the rows that stay in the risk sets after a competing event).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from irdp._stats._jit import FAST, JIT

__all__ = ["event_groups", "risk_set_sums", "tie_weights", "score_information",
           "risk_set_terms", "newton_terms"]


@njit(**JIT)
def event_groups(time: np.ndarray, event: np.ndarray, stratum: np.ndarray, w: np.ndarray
                 ) -> tuple[np.ndarray, ...]:
    """Tie-group bookkeeping of rows sorted by stratum, time descending, censored first.

    A tie group is a run of rows of one stratum with one time; an event group is a tie
    group holding events (they are its last rows). Returns, per event group, its last row
    ``g_end``, the first row of its stratum ``g_start``, its first event row ``g_ev_first``,
    its number of events ``g_d`` and their total weight ``g_wd``; per event row (ascending),
    its event group; per row, the last row of its stratum and the stratum's index; and the
    first row of every stratum.
    """
    n = time.shape[0]
    g_end = np.empty(n, dtype=np.int64)
    g_start = np.empty(n, dtype=np.int64)
    g_d = np.empty(n, dtype=np.int64)
    g_wd = np.empty(n)
    ev_group = np.empty(n, dtype=np.int64)
    strat_end = np.empty(n, dtype=np.int64)
    strat_id = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    n_g = 0
    n_ev = 0
    n_s = 0
    start = 0
    d = 0
    wd = 0.0
    for i in range(n):
        new_stratum = i == 0 or stratum[i] != stratum[i - 1]
        if new_stratum:
            if i > 0:
                strat_end[start:i] = i - 1
            start = i
            first[n_s] = i
            n_s += 1
        strat_id[i] = n_s - 1
        if event[i]:
            ev_group[n_ev] = n_g
            n_ev += 1
            d += 1
            wd += w[i]
        last_of_group = i == n - 1 or stratum[i + 1] != stratum[i] or time[i + 1] != time[i]
        if last_of_group:
            if d > 0:
                g_end[n_g] = i
                g_start[n_g] = start
                g_d[n_g] = d
                g_wd[n_g] = wd
                n_g += 1
            d = 0
            wd = 0.0
    if n > 0:
        strat_end[start:n] = n - 1
    return (g_end[:n_g].copy(), g_start[:n_g].copy(), g_end[:n_g] - g_d[:n_g] + 1,
            g_d[:n_g].copy(), g_wd[:n_g].copy(), ev_group[:n_ev].copy(), strat_end, strat_id,
            first[:n_s].copy())


@njit(**JIT)
def _group_sums(v: np.ndarray, g_start: np.ndarray, g_end: np.ndarray,
                g_ev_first: np.ndarray, tied: np.ndarray, S: np.ndarray, T: np.ndarray
                ) -> None:
    """``S[g]``: sum of ``v`` over rows ``g_start[g] .. g_end[g]``; ``T[k]``: over rows
    ``g_ev_first[g] .. g_end[g]`` of ``g = tied[k]`` (running sums, reset per stratum)."""
    n_t = tied.shape[0]
    s = 0.0
    base = 0.0
    stratum = -1
    pos = 0
    k = 0
    for g in range(g_end.shape[0]):
        if g_start[g] != stratum:
            stratum = g_start[g]
            pos = stratum
            s = 0.0
        is_tied = k < n_t and tied[k] == g
        if is_tied:
            first = g_ev_first[g]
            while pos < first:
                s += v[pos]
                pos += 1
            base = s
        end = g_end[g]
        while pos <= end:
            s += v[pos]
            pos += 1
        S[g] = s
        if is_tied:
            T[k] = s - base
            k += 1


@njit(**JIT)
def risk_set_sums(Xt: np.ndarray, r: np.ndarray, g_start: np.ndarray, g_end: np.ndarray,
                  g_ev_first: np.ndarray, tied: np.ndarray, need_s1: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Risk-set sums of every event group, by running sums over the sorted rows.

    Rows are sorted by stratum, time descending, censored before events; the risk set of
    event group ``g`` is rows ``g_start[g] .. g_end[g]`` (``g_start``: first row of its
    stratum) and its events are rows ``g_ev_first[g] .. g_end[g]``.

    Returns ``S0[g] = sum r``, ``S1[:, g] = sum r x`` over the risk set, and over the events
    of the groups listed in ``tied`` (ascending) ``T0 = sum r`` and ``T1 = sum r x``. With
    ``need_s1`` false, ``S1`` and ``T1`` have no rows.
    """
    p = Xt.shape[0] if need_s1 else 0
    n_g = g_end.shape[0]
    n_t = tied.shape[0]
    S0 = np.empty(n_g)
    S1 = np.empty((p, n_g))
    T0 = np.empty(n_t)
    T1 = np.empty((p, n_t))
    _group_sums(r, g_start, g_end, g_ev_first, tied, S0, T0)
    v = np.empty(r.shape[0])
    for j in range(p):
        xj = Xt[j]
        for i in range(r.shape[0]):
            v[i] = r[i] * xj[i]
        _group_sums(v, g_start, g_end, g_ev_first, tied, S1[j], T1[j])
    return S0, S1, T0, T1


@njit(**JIT)
def _linger_sums(r: np.ndarray, rows: np.ndarray, inv_g: np.ndarray, Xl: np.ndarray,
                 g_g: np.ndarray, k_g: np.ndarray, k_end: np.ndarray, S0: np.ndarray,
                 S1: np.ndarray) -> None:
    """Fine-Gray: add to ``S0``, ``S1`` (in place) the rows that stay in the risk sets after a
    competing event, weighted ``G(t_g-) / G(T_j-)`` (Fine & Gray 1999): for event group g,
    the linger rows ``k_g[g] .. k_end[g] - 1`` (later in the sort, same stratum)."""
    n_l = rows.shape[0]
    p = S1.shape[0]
    c0 = np.zeros(n_l + 1)
    rl = np.empty(n_l)
    for m in range(n_l):
        rl[m] = r[rows[m]] * inv_g[m]
        c0[m + 1] = c0[m] + rl[m]
    for g in range(S0.shape[0]):
        S0[g] += g_g[g] * (c0[k_end[g]] - c0[k_g[g]])
    c1 = np.zeros(n_l + 1)
    for j in range(p):
        xj = Xl[j]
        for m in range(n_l):
            c1[m + 1] = c1[m] + xj[m] * rl[m]
        for g in range(S0.shape[0]):
            S1[j, g] += g_g[g] * (c1[k_end[g]] - c1[k_g[g]])


@njit(**JIT)
def tie_weights(S0: np.ndarray, T0: np.ndarray, g_wd: np.ndarray, g_d: np.ndarray,
                tied: np.ndarray, r: np.ndarray, g_start: np.ndarray, g_end: np.ndarray,
                g_ev_first: np.ndarray, need_rows: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                           float, np.ndarray]:
    """Group weights of the score and information, the log term and the row weights.

    For event group ``g`` with ``d`` events of total weight ``wd``: Breslow (or one event)
    ``A = wd / S0``, ``C = A / S0`` and the log term ``wd log S0``; for the groups of
    ``tied`` (Efron), with ``mw = wd / d``, ``f_l = l / d`` and ``den_l = S0 - f_l T0``
    (l = 0..d-1): ``A = sum mw / den``, ``B = sum mw f / den``, ``C = sum mw / den^2``,
    ``D = sum mw f / den^2``, ``E = sum mw f^2 / den^2`` and the log term
    ``sum mw log den`` (``B``, ``D``, ``E`` are indexed like ``tied``).

    With ``need_rows``, also the row weights ``c_i = r_i (sum of A over the risk sets that
    hold row i) - r_i B`` (the last term for the events of a tied group only); otherwise
    ``c`` is empty.
    """
    n_g = S0.shape[0]
    n_t = tied.shape[0]
    A = np.empty(n_g)
    C = np.empty(n_g)
    B = np.empty(n_t)
    D = np.empty(n_t)
    E = np.empty(n_t)
    log_term = 0.0
    k = 0
    for g in range(n_g):
        s0 = S0[g]
        if k < n_t and tied[k] == g:
            d = g_d[g]
            mw = g_wd[g] / d
            a_s = 0.0
            b_s = 0.0
            c_s = 0.0
            d_s = 0.0
            e_s = 0.0
            t0 = T0[k]
            for m in range(d):
                f = m / d
                den = s0 - f * t0
                inv = 1.0 / den
                a = mw * inv
                cc = a * inv
                a_s += a
                b_s += a * f
                c_s += cc
                d_s += cc * f
                e_s += cc * f * f
                log_term += mw * np.log(den)
            A[g] = a_s
            C[g] = c_s
            B[k] = b_s
            D[k] = d_s
            E[k] = e_s
            k += 1
        else:
            a = g_wd[g] / s0
            A[g] = a
            C[g] = a / s0
            log_term += g_wd[g] * np.log(s0)
    if not need_rows:
        return A, B, C, D, E, log_term, np.empty(0)
    c = np.zeros(r.shape[0])
    acc = 0.0
    stratum = -1
    for g in range(n_g - 1, -1, -1):
        if g_start[g] != stratum:
            stratum = g_start[g]
            acc = 0.0
        acc += A[g]
        lo = g_end[g - 1] + 1 if g > 0 and g_start[g - 1] == stratum else stratum
        for i in range(lo, g_end[g] + 1):
            c[i] = r[i] * acc
    for k in range(n_t):
        g = tied[k]
        for i in range(g_ev_first[g], g_end[g] + 1):
            c[i] -= r[i] * B[k]
    return A, B, C, D, E, log_term, c


@njit(**JIT)
def _linger_rows(r: np.ndarray, rows: np.ndarray, inv_g: np.ndarray, A: np.ndarray,
                 g_g: np.ndarray, m_row: np.ndarray, s_row: np.ndarray, c: np.ndarray
                 ) -> None:
    """Fine-Gray: add to the row weights ``c`` (in place) those of the linger rows, the sum
    of ``A_g G(t_g-)`` over the event groups of their stratum before them, times
    ``r / G(T_j-)``."""
    pag = np.zeros(A.shape[0] + 1)
    for g in range(A.shape[0]):
        pag[g + 1] = pag[g] + A[g] * g_g[g]
    for m in range(rows.shape[0]):
        i = rows[m]
        c[i] += r[i] * inv_g[m] * (pag[m_row[m]] - pag[s_row[m]])


#: rows per block of the information matrix: two (p, BLOCK) slices stay in the L1/L2 cache
BLOCK = 1024


@njit(**FAST)
def _weighted_gram(Xt: np.ndarray, c: np.ndarray, we: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``X' (we - c)`` and the lower triangle of ``X' diag(c) X``, by blocks of rows (the
    inner loop runs over contiguous rows and is vectorised: summation order differs from
    BLAS in the last bits only)."""
    p, n = Xt.shape
    score = np.zeros(p)
    gram = np.zeros((p, p))
    cx = np.empty((p, BLOCK))
    for lo in range(0, n, BLOCK):
        hi = min(lo + BLOCK, n)
        m = hi - lo
        cb = c[lo:hi]
        ub = we[lo:hi]
        for j in range(p):
            xj = Xt[j, lo:hi]
            cxj = cx[j]
            sj = 0.0
            for i in range(m):
                sj += (ub[i] - cb[i]) * xj[i]
                cxj[i] = cb[i] * xj[i]
            score[j] += sj
        for j in range(p):
            cxj = cx[j]
            for k in range(j + 1):
                xk = Xt[k, lo:hi]
                s = 0.0
                for i in range(m):
                    s += cxj[i] * xk[i]
                gram[j, k] += s
    return score, gram


@njit(**FAST)
def _risk_set_outer(S1: np.ndarray, C: np.ndarray, tied: np.ndarray, T1: np.ndarray,
                    D: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Lower triangle of ``sum_g C_g S1_g S1_g' - sum_k (D_k (S1_g T1_k' + T1_k S1_g') -
    E_k T1_k T1_k')`` over the event groups and the tied groups ``g = tied[k]``."""
    p, n_g = S1.shape
    n_t = tied.shape[0]
    out = np.zeros((p, p))
    cs1 = np.empty(n_g)
    st = np.empty((p, n_t))  # S1 of the tied groups
    for j in range(p):
        for m in range(n_t):
            st[j, m] = S1[j, tied[m]]
    dt = np.empty(n_t)
    for j in range(p):
        sj, tj, stj = S1[j], T1[j], st[j]
        for g in range(n_g):
            cs1[g] = C[g] * sj[g]
        for m in range(n_t):
            dt[m] = D[m] * stj[m] - E[m] * tj[m]
        for k in range(j + 1):
            sk, tk, stk = S1[k], T1[k], st[k]
            a = 0.0
            for g in range(n_g):
                a += cs1[g] * sk[g]
            b = 0.0
            for m in range(n_t):
                b += D[m] * tj[m] * stk[m] + dt[m] * tk[m]
            out[j, k] = a - b
    return out


@njit(**JIT)
def score_information(Xt: np.ndarray, c: np.ndarray, we: np.ndarray, S1: np.ndarray,
                      C: np.ndarray, tied: np.ndarray, T1: np.ndarray, D: np.ndarray,
                      E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score ``X' (we - c)`` and information ``X' diag(c) X - sum_g C_g S1_g S1_g'`` minus
    the Efron cross terms ``- sum_k (D_k (S1_g T1_k' + T1_k S1_g') - E_k T1_k T1_k')`` of the
    tied groups ``g = tied[k]`` (Therneau & Grambsch 2000, section 3.3)."""
    p = Xt.shape[0]
    score, info = _weighted_gram(Xt, c, we)
    outer = _risk_set_outer(S1, C, tied, T1, D, E)
    for j in range(p):
        for k in range(j + 1):
            info[j, k] -= outer[j, k]
        for k in range(j):
            info[k, j] = info[j, k]
    return score, info


@njit(**JIT)
def risk_set_terms(Xt: np.ndarray, r: np.ndarray, g_start: np.ndarray, g_end: np.ndarray,
                   g_ev_first: np.ndarray, g_d: np.ndarray, g_wd: np.ndarray,
                   tied: np.ndarray, linger: tuple, need_s1: bool) -> tuple:
    """Every per-group quantity of the partial likelihood at risk scores ``r``.

    :func:`risk_set_sums` (plus the Fine-Gray linger rows when ``linger`` holds any), then
    :func:`tie_weights`, with the row weights of the linger rows; ``need_s1`` false gives
    the log term only (no ``S1``, ``T1`` or row weights). ``linger`` is ``(rows, inv_g, Xl,
    g_g, k_g, k_end, m_row, s_row)``, with no rows outside Fine-Gray.
    """
    rows, inv_g, Xl, g_g, k_g, k_end, m_row, s_row = linger
    S0, S1, T0, T1 = risk_set_sums(Xt, r, g_start, g_end, g_ev_first, tied, need_s1)
    if rows.shape[0]:
        _linger_sums(r, rows, inv_g, Xl, g_g, k_g, k_end, S0, S1)
    A, B, C, D, E, log_term, c = tie_weights(S0, T0, g_wd, g_d, tied, r, g_start, g_end,
                                             g_ev_first, need_s1)
    if need_s1 and rows.shape[0]:
        _linger_rows(r, rows, inv_g, A, g_g, m_row, s_row, c)
    return S0, S1, T0, T1, A, B, C, D, E, log_term, c


@njit(**JIT)
def newton_terms(Xt: np.ndarray, r: np.ndarray, we: np.ndarray, g_start: np.ndarray,
                 g_end: np.ndarray, g_ev_first: np.ndarray, g_d: np.ndarray,
                 g_wd: np.ndarray, tied: np.ndarray, linger: tuple) -> tuple:
    """What one Newton-Raphson iteration needs, in one call: the log term, the score, the
    information, and ``S0``, ``A``, ``C`` (the baseline hazards at the estimate)."""
    S0, S1, T0, T1, A, B, C, D, E, log_term, c = risk_set_terms(
        Xt, r, g_start, g_end, g_ev_first, g_d, g_wd, tied, linger, True)
    score, info = score_information(Xt, c, we, S1, C, tied, T1, D, E)
    return log_term, score, info, S0, A, C
