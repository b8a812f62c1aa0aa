"""Compiled loops of the numerical core (private): risk-set sums and rank counts.

The Cox and Fine-Gray partial likelihood (:mod:`irdp._stats.cox`) and the concordance
counts (:mod:`irdp._stats.concordance`) need running sums over sorted rows. Written as
NumPy array operations each pass costs some fifty calls and as many temporary arrays; at the
size of a bootstrap replicate (a few thousand rows) that fixed cost, not the arithmetic, is
what a Newton iteration takes. These loops do each pass once over the rows with Numba
(compiled on first use and cached on disk), and are the only implementation: the callers have
no NumPy fallback.

Every function takes and returns NumPy arrays of fixed dtypes (float64, int64, bool) so that
one compiled signature serves every caller.

References
----------
.. [1] Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox Model. Springer
   2000, section 3.3 (Efron's approximation as sums over the tied events).
.. [2] Fenwick PM. A new data structure for cumulative frequency tables. Software Pract Exper
   1994;24:327-336 (the binary indexed tree of :func:`prefix_smaller`).
.. [3] Lam SK, Pitrou A, Seibert S. Numba: a LLVM-based Python JIT compiler. LLVM-HPC 2015.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["risk_set_sums", "tie_weights", "score_information", "prefix_smaller",
           "later_counts", "event_groups", "dense_ranks"]

# error_model="numpy": a division by zero gives inf or nan as in NumPy (a risk set whose sum
# underflowed is detected by the caller), never a Python exception
_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
# sums of products whose order may change (vectorised reductions); never "nnan"/"ninf": a
# diverging fit produces inf and nan that the callers detect
_FAST = {**_JIT, "fastmath": {"reassoc", "contract"}}


@njit(**_JIT)
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


@njit(**_JIT)
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


@njit(**_JIT)
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


@njit(**_JIT)
def prefix_smaller(rank: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``out[p] = sum(weight[q] for q < p if rank[q] < rank[p])``, by a Fenwick tree.

    ``rank`` holds non-negative integer ranks in processing order; O(m log max rank).
    """
    m = rank.shape[0]
    out = np.zeros(m)
    if m == 0:
        return out
    size = 0
    for i in range(m):
        if rank[i] + 1 > size:
            size = rank[i] + 1
    tree = np.zeros(size + 1)
    for i in range(m):
        q = rank[i]  # prefix over ranks 0 .. rank-1: tree positions 1 .. rank
        s = 0.0
        while q > 0:
            s += tree[q]
            q -= q & (-q)
        out[i] = s
        q = rank[i] + 1
        w = weight[i]
        while q <= size:
            tree[q] += w
            q += q & (-q)
    return out


#: rows per block of the information matrix: two (p, BLOCK) slices stay in the L1/L2 cache
BLOCK = 1024


@njit(**_FAST)
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


@njit(**_FAST)
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


@njit(**_JIT)
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


@njit(**_JIT)
def later_counts(time: np.ndarray, event: np.ndarray, rank: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each element, in processing order (time descending, censored first): the earlier
    elements outside its own (time, status) block with a smaller rank, with an equal rank,
    and in all.

    Processed in that order, the earlier elements outside the block are the subjects with a
    longer follow-up (or censored at the same time), the partners of a comparable pair of
    Harrell's C whose earlier member is the element; a block is counted before it is
    inserted in the Fenwick tree of ranks.
    """
    n = time.shape[0]
    size = 0
    for i in range(n):
        if rank[i] + 1 > size:
            size = rank[i] + 1
    tree = np.zeros(size + 1)
    same = np.zeros(size)
    lt = np.empty(n)
    tie = np.empty(n)
    tot = np.empty(n)
    inserted = 0.0
    i = 0
    while i < n:
        j = i
        while j < n and time[j] == time[i] and event[j] == event[i]:
            q = rank[j]
            s = 0.0
            while q > 0:
                s += tree[q]
                q -= q & (-q)
            lt[j] = s
            tie[j] = same[rank[j]]
            tot[j] = inserted
            j += 1
        for k in range(i, j):
            q = rank[k] + 1
            while q <= size:
                tree[q] += 1.0
                q += q & (-q)
            same[rank[k]] += 1.0
            inserted += 1.0
        i = j
    return lt, tie, tot


@njit(**_JIT)
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


@njit(**_JIT)
def dense_ranks(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Dense ranks 0..m-1 of ``x`` (equal values share a rank) from ``order = argsort(x)``."""
    m = x.shape[0]
    out = np.empty(m, dtype=np.int64)
    rank = -1
    prev = 0.0
    for k in range(m):
        i = order[k]
        if k == 0 or x[i] != prev:
            rank += 1
            prev = x[i]
        out[i] = rank
    return out


@njit(**_JIT)
def cholesky(A: np.ndarray) -> tuple[np.ndarray, bool]:
    """Lower Cholesky factor ``L`` of a symmetric matrix (``A = L L'``) and whether ``A`` is
    numerically positive definite: a pivot that is not finite, or not above ``1e-12`` times
    its diagonal element (what is left of a column that is a combination of earlier ones
    after cancellation), stops the factorisation."""
    p = A.shape[0]
    L = np.zeros((p, p))
    for j in range(p):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 1e-12 * abs(A[j, j]) or not np.isfinite(s):
            return L, False
        d = np.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, p):
            s = A[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / d
    return L, True


@njit(**_JIT)
def cholesky_solve(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x`` with ``L L' x = b`` (forward then back substitution)."""
    p = L.shape[0]
    z = np.empty(p)
    for i in range(p):
        s = b[i]
        for k in range(i):
            s -= L[i, k] * z[k]
        z[i] = s / L[i, i]
    x = np.empty(p)
    for i in range(p - 1, -1, -1):
        s = z[i]
        for k in range(i + 1, p):
            s -= L[k, i] * x[k]
        x[i] = s / L[i, i]
    return x


@njit(**_JIT)
def cholesky_inverse(L: np.ndarray) -> np.ndarray:
    """``(L L')^-1``, symmetric, from the lower Cholesky factor."""
    p = L.shape[0]
    inv = np.empty((p, p))
    e = np.zeros(p)
    for j in range(p):
        e[:] = 0.0
        e[j] = 1.0
        inv[:, j] = cholesky_solve(L, e)
    for i in range(p):
        for j in range(i):
            v = 0.5 * (inv[i, j] + inv[j, i])
            inv[i, j] = v
            inv[j, i] = v
    return inv


@njit(**_JIT)
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


@njit(**_JIT)
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


@njit(**_JIT)
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


@njit(**_JIT)
def newton_terms(Xt: np.ndarray, r: np.ndarray, we: np.ndarray, g_start: np.ndarray,
                 g_end: np.ndarray, g_ev_first: np.ndarray, g_d: np.ndarray,
                 g_wd: np.ndarray, tied: np.ndarray, linger: tuple) -> tuple:
    """What one Newton-Raphson iteration needs, in one call: the log term, the score, the
    information, and ``S0``, ``A``, ``C`` (the baseline hazards at the estimate)."""
    S0, S1, T0, T1, A, B, C, D, E, log_term, c = risk_set_terms(
        Xt, r, g_start, g_end, g_ev_first, g_d, g_wd, tied, linger, True)
    score, info = score_information(Xt, c, we, S1, C, tied, T1, D, E)
    return log_term, score, info, S0, A, C
