"""Concordance counts and Harrell's C (private numerical core): the one implementation.

Harrell's C of :func:`irdp.metrics.concordance` (with Uno's weights and the
infinitesimal-jackknife SE there), the value-only C of every resampling loop, and the
``score()`` of every irdp risk index (:mod:`irdp.models`) are computed here, so one data set
gives one C wherever it is reported. The binary AUC (Mann-Whitney on mid-ranks) is here for
the same reason.

The counts are O(n log n): rows are put in processing order by one sort (a lexsort of the
outcome, cached per outcome, for the counts; a packed integer key for the SE's second pass),
and the earlier elements with a smaller rank are counted in a compiled Fenwick tree
(:mod:`irdp._stats._rank_kernels`);
``survival::concordance`` uses a balanced binary tree in C for the same counts.

Conventions as ``survival::concordance``: two events at the same time are not comparable;
an event and a censoring at the same time are (the censored one is longer); ties in the
score count 1/2.

References
----------
.. [1] Harrell FE, Califf RM, Pryor DB, Lee KL, Rosati RA. Evaluating the yield of medical
   tests. JAMA 1982;247:2543-2546.
.. [2] Therneau T, Atkinson E. The concordance statistic (vignette of the R package
   survival), sections on the balanced-tree counts and the infinitesimal jackknife.
.. [3] Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating
   characteristic (ROC) curve. Radiology 1982;143:29-36.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from irdp._stats import _rank_kernels
from irdp.exceptions import NoComparablePairsError

__all__ = ["prefix_smaller", "rank_dense", "time_order", "harrell_sums", "harrell_c",
           "auc_mann_whitney",
           "block_start", "run_cumsum", "tied_before", "pass_a", "pass_b"]


def rank_dense(x: np.ndarray) -> np.ndarray:
    """Dense ranks 0..m-1 (ties share a rank; ``np.unique(x, return_inverse=True)[1]``)."""
    x = np.asarray(x)
    if x.dtype.kind == "f" and np.isnan(x).any():  # NaNs rank last and equal, as np.unique
        _, inv = np.unique(x, return_inverse=True)
        return inv.astype(np.int64).reshape(-1)
    x = np.ascontiguousarray(x, dtype=float).reshape(-1)
    return _rank_kernels.dense_ranks(x, np.argsort(x))


def block_start(keys_equal_prev: np.ndarray) -> np.ndarray:
    """Position of the first element of each run (runs where keys_equal_prev is False)."""
    m = len(keys_equal_prev)
    starts = np.where(~keys_equal_prev, np.arange(m), 0)
    return np.maximum.accumulate(starts)


def run_cumsum(w: np.ndarray, new_run: np.ndarray) -> np.ndarray:
    """Exclusive cumulative sum of ``w`` within runs (new_run marks the first element)."""
    cs = np.cumsum(w) - w
    start = block_start(~new_run)
    return cs - cs[start]


def tied_before(order: np.ndarray, rank: np.ndarray, w: np.ndarray) -> np.ndarray:
    """For each element (in ``order`` positions): weight of earlier elements with equal rank."""
    m = len(order)
    r = rank[order]
    grp = np.argsort(r, kind="stable")  # by rank, then processing position
    r_g = r[grp]
    new = np.ones(m, dtype=bool)
    new[1:] = r_g[1:] != r_g[:-1]
    tied = np.empty(m)
    tied[grp] = run_cumsum(w[order][grp], new)
    return tied


def time_order(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """The processing order of :func:`pass_a`: time descending, censored first (it depends
    on the outcome only: computed once per outcome)."""
    return np.lexsort((np.asarray(event, dtype=bool), -np.asarray(time, dtype=float)))


def pass_a(time: np.ndarray, ev: np.ndarray, rank: np.ndarray, order_a: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each subject as the earlier (event) member of comparable pairs: the number of later
    subjects with a lower risk, with a tied risk, and comparable at all (unweighted).

    ``order_a``: :func:`time_order` of ``(time, ev)``.
    """
    n = len(time)
    lt_a, tied_a, comparable_a = _rank_kernels.later_counts(
        np.ascontiguousarray(time[order_a], dtype=float), ev[order_a], rank[order_a])
    conc_a = np.empty(n)
    tie_a = np.empty(n)
    tot_a = np.empty(n)
    conc_a[order_a] = lt_a
    tie_a[order_a] = tied_a
    tot_a[order_a] = comparable_a
    return conc_a, tie_a, tot_a


def pass_b(time: np.ndarray, ev: np.ndarray, rank: np.ndarray, t_rank: np.ndarray,
            tw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each subject as the later member: weighted earlier events with a higher risk, with a
    tied risk, and comparable at all (only needed for the variance)."""
    n = len(time)
    m_r = int(rank.max()) + 1
    order_b = np.argsort((t_rank * 2 + (1 - ev)) * m_r + rank)
    t_b, e_b, r_b = time[order_b], ev[order_b], rank[order_b]
    w_b = tw[order_b]
    top = int(rank.max())
    gt_b = prefix_smaller(top - r_b, w_b)  # earlier events with higher risk
    same_te_b = np.zeros(n, dtype=bool)
    same_te_b[1:] = (t_b[1:] == t_b[:-1]) & (e_b[1:] == e_b[:-1])
    cw = np.cumsum(w_b) - w_b
    start_b = block_start(same_te_b)
    total_b = np.where(e_b == 1, cw[start_b], cw)  # events at the same time are not comparable
    same_ter_b = same_te_b.copy()
    same_ter_b[1:] &= r_b[1:] == r_b[:-1]
    tied_b = tied_before(order_b, rank, tw) - np.where(
        e_b == 1, run_cumsum(w_b, ~same_ter_b), 0.0
    )
    conc_b = np.empty(n)
    tie_b = np.empty(n)
    tot_b = np.empty(n)
    conc_b[order_b] = gt_b
    tie_b[order_b] = tied_b
    tot_b[order_b] = total_b
    return conc_b, tie_b, tot_b


def harrell_sums(time: np.ndarray, event: np.ndarray, risk: np.ndarray, tw: np.ndarray,
                 with_se: bool, order: np.ndarray | None = None
                 ) -> tuple[float, float, dict[str, float]]:
    """C from pair weights ``tw`` (the weight of the pairs whose earlier member is each
    subject: the event indicator for Harrell, Uno's IPCW weights for Uno), with its
    infinitesimal-jackknife SE when ``with_se`` (else nan) and the weighted counts.

    ``order`` (:func:`time_order` of ``(time, event)``) may be given when the same outcome is
    scored again.

    Raises
    ------
    NoComparablePairsError
        No event is followed by a longer follow-up time.
    """
    rank = rank_dense(risk)
    ev = event.astype(np.int64)
    order = time_order(time, ev) if order is None else order
    conc_a, tie_a, tot_a = pass_a(time, ev, rank, order)
    c_a, t_a, d_a = tw * conc_a, tw * tie_a, tw * (tot_a - conc_a - tie_a)
    conc, disc, tied = c_a.sum(), d_a.sum(), t_a.sum()
    denom = conc + disc + tied
    if denom <= 0:
        raise NoComparablePairsError(
            "concordance has no comparable pair: no event is followed by a longer follow-up "
            f"time (events={int(event.sum())}, n={len(time)}). It is undefined for these data."
        )
    value = float((conc + 0.5 * tied) / denom)
    counts = {"concordant": float(conc), "discordant": float(disc), "tied_risk": float(tied)}
    if not with_se:
        return value, float("nan"), counts
    conc_b, tie_b, tot_b = pass_b(time, ev, rank, rank_dense(time), tw)
    d_b = tot_b - conc_b - tie_b
    d_num = c_a + conc_b + 0.5 * (t_a + tie_b)
    d_den = d_num + 0.5 * (t_a + tie_b) + d_a + d_b
    dfbeta = (d_num - value * d_den) / denom
    return value, float(np.sqrt(np.sum(dfbeta**2))), counts


def harrell_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C of ``risk`` (higher = riskier) for right-censored ``(time, event)``."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    return harrell_sums(time, event, np.asarray(risk, dtype=float), event.astype(float),
                        False)[0]


def auc_mann_whitney(event: np.ndarray, risk: np.ndarray, r_all: np.ndarray | None = None
                     ) -> float:
    """Mann-Whitney AUC from mid-ranks (ties count 1/2); the one formula of the binary AUC.

    ``r_all``: mid-ranks of ``risk`` when already computed. Both classes must be present
    (the caller checks; otherwise the ratio is not finite).
    """
    r_all = stats.rankdata(risk) if r_all is None else r_all
    n1 = float(np.count_nonzero(event))
    n0 = float(len(event)) - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((r_all[event].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def prefix_smaller(rank: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted count of earlier elements with a strictly smaller rank.

    Parameters
    ----------
    rank : ndarray of int, shape (m,)
        Non-negative integer ranks, in processing order.
    weight : ndarray of float, shape (m,)
        Weight of each element (0 for pure queries).

    Returns
    -------
    ndarray of float, shape (m,)
        ``out[p] = sum(weight[q] for q < p if rank[q] < rank[p])``, by a Fenwick tree
        (binary indexed tree) over the ranks, O(m log max rank) (Fenwick 1994).
    """
    rank = np.ascontiguousarray(rank, dtype=np.int64)
    if len(rank) and rank.min() < 0:
        raise ValueError("prefix_smaller needs non-negative ranks.")
    return _rank_kernels.prefix_smaller(rank, np.ascontiguousarray(weight, dtype=float))
