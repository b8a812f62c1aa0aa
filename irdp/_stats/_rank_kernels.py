"""Compiled rank counts of the concordance (private).

The counts of Harrell's C (:mod:`irdp._stats.concordance`) are dominance counts over rows in
a processing order: for every row, the earlier rows with a smaller (or equal) rank, counted
in a Fenwick tree (binary indexed tree) in O(n log n), as ``survival::concordance`` counts
them in a balanced tree. Options: :mod:`irdp._stats._jit`.

References
----------
.. [1] Fenwick PM. A new data structure for cumulative frequency tables. Software Pract Exper
   1994;24:327-336.
.. [2] Therneau T, Atkinson E. The concordance statistic (vignette of the R package survival).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from irdp._stats._jit import JIT

__all__ = ["prefix_smaller", "later_counts", "dense_ranks"]


@njit(**JIT)
def _below(tree: np.ndarray, rank: int) -> float:
    """Total weight of the ranks ``0 .. rank - 1`` in a Fenwick tree (positions 1 .. rank)."""
    s = 0.0
    q = rank
    while q > 0:
        s += tree[q]
        q -= q & (-q)
    return s


@njit(**JIT)
def _add(tree: np.ndarray, rank: int, w: float) -> None:
    """Add ``w`` at ``rank`` in a Fenwick tree (position rank + 1)."""
    q = rank + 1
    while q < tree.shape[0]:
        tree[q] += w
        q += q & (-q)


@njit(**JIT)
def _tree_for(rank: np.ndarray) -> np.ndarray:
    """An empty Fenwick tree over the ranks ``0 .. max(rank)`` (position 0 unused)."""
    size = 0
    for i in range(rank.shape[0]):
        size = max(size, rank[i] + 1)
    return np.zeros(size + 1)


@njit(**JIT)
def prefix_smaller(rank: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``out[p] = sum(weight[q] for q < p if rank[q] < rank[p])``, by a Fenwick tree.

    ``rank`` holds non-negative integer ranks in processing order; O(m log max rank).
    """
    m = rank.shape[0]
    out = np.zeros(m)
    tree = _tree_for(rank)
    for i in range(m):
        out[i] = _below(tree, rank[i])
        _add(tree, rank[i], weight[i])
    return out


@njit(**JIT)
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
    tree = _tree_for(rank)
    same = np.zeros(tree.shape[0])
    lt = np.empty(n)
    tie = np.empty(n)
    tot = np.empty(n)
    inserted = 0.0
    i = 0
    while i < n:
        j = i
        while j < n and time[j] == time[i] and event[j] == event[i]:
            lt[j] = _below(tree, rank[j])
            tie[j] = same[rank[j]]
            tot[j] = inserted
            j += 1
        for k in range(i, j):
            _add(tree, rank[k], 1.0)
            same[rank[k]] += 1.0
            inserted += 1.0
        i = j
    return lt, tie, tot


@njit(**JIT)
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
