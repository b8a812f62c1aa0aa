"""Scatterplot smoothers for flexible calibration curves (private).

- :func:`loess` — local polynomial regression with tricube weights over the nearest
  ``floor(span * n)`` points, evaluated directly at each point (R ``loess(y ~ p,
  degree=2, span=0.75, surface="direct")``, the ``CalibrationCurves::val.prob.ci.2`` and
  Austin & Steyerberg (2019) smoother; R's default ``surface="interpolate"`` kd-tree
  approximation differs by about 1e-3).
- :func:`lowess` — Cleveland's robust-free LOWESS (``lowess(p, y, iter=0)``, f = 2/3,
  delta = 0.01·range), the ``rms::val.prob`` smoother, via statsmodels, evaluated by
  linear interpolation like ``approx``.

References
----------
.. [1] Cleveland WS, Grosse E, Shyu WM. Local regression models. In: Chambers & Hastie,
   Statistical Models in S. 1992, chapter 8.
.. [2] Cleveland WS. Robust locally weighted regression and smoothing scatterplots.
   JASA 1979;74:829-836.
"""

from __future__ import annotations

import numpy as np

__all__ = ["loess", "lowess"]


def _bandwidth(xs: np.ndarray, x0: np.ndarray, q: int) -> np.ndarray:
    """Distance from each x0 to its q-th nearest observation (``xs`` sorted, with ties).

    The q nearest points form a window ``xs[lo:lo+q]``; the best ``lo`` is the smallest one
    with ``x0 - xs[lo] <= xs[lo+q] - x0`` (a monotone condition, found by bisection).
    """
    n = len(xs)
    lo = np.zeros(len(x0), dtype=np.int64)
    hi = np.full(len(x0), n - q, dtype=np.int64)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        ok = (x0 - xs[mid]) <= (xs[np.minimum(mid + q, n - 1)] - x0)
        active = lo < hi
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid + 1, lo)
    return np.maximum(x0 - xs[lo], xs[lo + q - 1] - x0)


def loess(
    x: np.ndarray,
    y: np.ndarray,
    x_eval: np.ndarray,
    *,
    span: float = 0.75,
    degree: int = 2,
    weights: np.ndarray | None = None,
    variance: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Local polynomial fit at ``x_eval`` and its pointwise standard error.

    ``variance`` gives the variance of each ``y`` (e.g. ``p(1-p)`` of the smoothed curve for
    binary data); the SE is then ``sqrt(sum_j l_j(x0)^2 var_j)`` with ``l`` the linear
    smoother weights. Without it the SE is NaN.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, float)
    ux, inv = np.unique(x, return_inverse=True)
    wsum = np.bincount(inv, weights=w, minlength=len(ux))
    wy = np.bincount(inv, weights=w * y, minlength=len(ux))
    wv = None
    if variance is not None:
        wv = np.bincount(inv, weights=w**2 * np.asarray(variance, float), minlength=len(ux))
    n = len(x)
    q = int(np.floor(n * span))
    q = min(max(q, degree + 1), n)
    x_eval = np.asarray(x_eval, float)
    h = _bandwidth(np.sort(x), x_eval, q)
    if span > 1:  # R enlarges the neighbourhood beyond the data (one predictor)
        h = h * span
    fit = np.empty(len(x_eval))
    se = np.full(len(x_eval), np.nan)
    for i, (x0, hi) in enumerate(zip(x_eval, h, strict=True)):
        lo_i = np.searchsorted(ux, x0 - hi, side="left")
        up_i = np.searchsorted(ux, x0 + hi, side="right")
        dx = ux[lo_i:up_i] - x0
        u = np.abs(dx) / hi if hi > 0 else np.zeros_like(dx)
        tw = np.where(u < 1, (1 - u**3) ** 3, 0.0)
        # local polynomial by its moments: A = sum tw*w*dx^(j+k), t = sum tw*wy*dx^j
        powers = [np.ones_like(dx), dx]
        for _ in range(2 * degree - 1):
            powers.append(powers[-1] * dx)
        tww = tw * wsum[lo_i:up_i]
        # elementwise products and sums (no BLAS call: fast and thread-free on 1-D data)
        mom = np.array([np.sum(tww * pw) for pw in powers])
        a = np.array([[mom[j + k] for k in range(degree + 1)] for j in range(degree + 1)])
        twy = tw * wy[lo_i:up_i]
        t = np.array([np.sum(twy * powers[j]) for j in range(degree + 1)])
        try:
            row = np.linalg.solve(a, np.eye(degree + 1)[0])  # first row of A^-1 (symmetric)
        except np.linalg.LinAlgError:
            row = np.linalg.pinv(a)[0]
        fit[i] = row @ t
        if wv is not None:
            # smoother weights per unique x: ell = tw * (row . [1, dx, dx^2, ...])
            ell = tw * sum(row[j] * powers[j] for j in range(degree + 1))
            se[i] = np.sqrt(np.sum(ell**2 * wv[lo_i:up_i]))
    return fit, se


def lowess(x: np.ndarray, y: np.ndarray, x_eval: np.ndarray, *, frac: float = 2.0 / 3.0
           ) -> np.ndarray:
    """R ``lowess(x, y, f=frac, iter=0)`` evaluated at ``x_eval`` by linear interpolation."""
    from statsmodels.nonparametric.smoothers_lowess import lowess as sm_lowess

    x = np.asarray(x, float)
    delta = 0.01 * float(np.ptp(x))
    sm = sm_lowess(np.asarray(y, float), x, frac=frac, it=0, delta=delta, return_sorted=True)
    ux, inv = np.unique(sm[:, 0], return_inverse=True)
    uy = np.bincount(inv, weights=sm[:, 1]) / np.bincount(inv)
    return np.interp(np.asarray(x_eval, float), ux, uy)
