"""O(n log n) weighted dominance counts (private).

:func:`prefix_smaller` answers, for every position ``p`` of a sequence,
``sum(weight[q] for q < p if rank[q] < rank[p])`` with a vectorised bit-by-bit radix
partition (an offline wavelet-tree count): one pass per bit of the rank, each pass a
handful of O(n) NumPy operations. It is the engine of the concordance statistics
(Harrell, Uno) and their infinitesimal-jackknife variances; ``survival::concordance``
uses a balanced binary tree in C for the same counts (Therneau, ``concordance`` vignette).
"""

from __future__ import annotations

import numpy as np

__all__ = ["prefix_smaller"]


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
        ``out[p] = sum(weight[q] for q < p if rank[q] < rank[p])``.
    """
    m = len(rank)
    if m == 0:
        return np.zeros(0)
    rank = np.asarray(rank, dtype=np.int64)
    n_bits = max(int(rank.max()).bit_length(), 1)
    # arrays carried in the current order, sorted by (rank >> (b + 1), original position)
    r_p = rank.copy()
    w_p = np.asarray(weight, dtype=float).copy()
    acc = np.zeros(m)
    perm = np.arange(m, dtype=np.int64)
    gstart = np.zeros(m, dtype=np.int64)
    gsize = np.full(m, m, dtype=np.int64)
    pos = np.arange(m, dtype=np.int64)
    for b in range(n_bits - 1, -1, -1):
        bit = ((r_p >> b) & 1).astype(bool)
        zero = ~bit
        w0 = np.where(zero, w_p, 0.0)
        cw = np.concatenate(([0.0], np.cumsum(w0)))  # cw[k] = sum of w0[:k]
        acc += np.where(bit, cw[pos] - cw[gstart], 0.0)
        cz = np.concatenate(([0], np.cumsum(zero)))  # cz[k] = zeros in [:k]
        zeros_before = cz[pos] - cz[gstart]
        n_zero = cz[gstart + gsize] - cz[gstart]
        new_pos = np.where(
            bit, gstart + n_zero + (pos - gstart - zeros_before), gstart + zeros_before
        )
        new_gstart = np.where(bit, gstart + n_zero, gstart)
        new_gsize = np.where(bit, gsize - n_zero, n_zero)
        order = np.empty(m, dtype=np.int64)
        order[new_pos] = pos
        r_p = r_p[order]
        w_p = w_p[order]
        acc = acc[order]
        perm = perm[order]
        gstart = new_gstart[order]
        gsize = new_gsize[order]
    out = np.empty(m)
    out[perm] = acc
    return out
