"""Restricted cubic splines exactly as Harrell's ``Hmisc::rcspline.eval`` (private core).

:func:`rcs_knots` places knots as ``rcspline.eval(x, nk=k, knots.only=TRUE)`` does: quantiles
0.05/0.275/0.5/0.725/0.95 for 5 knots (outer quantile 0.1 for 3 knots, 0.025 for 7 or more),
the 5th smallest and largest values as outer knots when fewer than 100 values, the
``fractied`` rule for a heavily tied extreme, the alternate algorithm when the quantiles are
not distinct, and the interior unique values when there are too few distinct values.
:func:`rcs_basis` evaluates the basis with the default normalisation (``norm=2``), so that
coefficients are on the scale printed by ``rms``. Every spline of irdp (model designs and
the calibration curves of :mod:`irdp.metrics`) comes from here.

References
----------
.. [1] Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015, sections 2.4.5-2.4.6.
.. [2] Stone CJ, Koo CY. Additive splines in statistics. Proc Stat Comp Sect ASA 1985:45-48.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

from irdp.exceptions import InsufficientDataError, IrdpWarning

__all__ = ["rcs_knots", "rcs_basis", "DEFAULT_KNOT_QUANTILES"]

#: Quantiles used by ``Hmisc::rcspline.eval`` for 3 to 7 knots (before the n < 100 rule).
DEFAULT_KNOT_QUANTILES = {
    k: tuple(np.linspace(_o, 1 - _o, k).round(12).tolist())
    for k, _o in ((3, 0.1), (4, 0.05), (5, 0.05), (6, 0.05), (7, 0.025))
}


def _sorted_unique(xx: np.ndarray, counts: bool = False) -> Any:
    """``np.unique(xx)`` (with ``return_counts``) of sorted values without sorting again."""
    new = np.empty(len(xx), dtype=bool)
    new[:1] = True
    np.not_equal(xx[1:], xx[:-1], out=new[1:])
    if not counts:
        return xx[new]
    starts = np.flatnonzero(new)
    return xx[starts], np.diff(np.append(starts, len(xx)))


def _quantile_sorted(xx: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``np.quantile(xx, probs)`` (R's type 7, NumPy's "linear") of sorted values, without the
    partition: the same virtual index ``(n - 1) q`` and the same interpolation as NumPy's
    ``_lerp`` (from the upper neighbour when the weight is at least 1/2), so the same bits."""
    n = len(xx)
    out = np.empty(len(probs))
    for k, q in enumerate(probs):
        v = (n - 1) * float(q)
        if v >= n - 1:  # NumPy's index -1 for both neighbours (and so weight v + 1)
            a = b = float(xx[n - 1])
            t = v + 1
        else:
            lo = int(np.floor(v))
            a, b = float(xx[lo]), float(xx[lo + 1])
            t = v - lo
        diff = b - a
        out[k] = b - diff * (1 - t) if t >= 0.5 else a + diff * t
    return out


def _tied_extremes(xx: np.ndarray, fractied: float, vals: np.ndarray, counts: np.ndarray
                   ) -> tuple[np.ndarray, list, list]:
    """Hmisc's ``fractied`` rule: a heavily tied extreme gets its own knot (``vals``,
    ``counts``: the distinct values of the sorted ``xx`` and their counts)."""
    first: list[float] = []
    last: list[float] = []
    if not 0 < fractied < 1:
        return xx, first, last
    f = counts / len(xx)
    if len(f) > 2 and f[1:-1].max() < fractied:
        if f[0] >= fractied:
            first = [float(xx[xx > xx[0]].min())]
            xx = xx[xx > first[0]]
        if f[-1] >= fractied:
            last = [float(xx[xx < vals[-1]].max())]
            xx = xx[xx < last[0]]
    return xx, first, last


def _alternate(xx: np.ndarray, nke: int, outer: float, first: list, last: list) -> np.ndarray:
    """Hmisc's alternate algorithm when the default quantiles are not distinct."""
    knots = np.quantile(xx, np.linspace(outer, 1 - outer, 2 * nke))
    if first and len(np.unique(knots)) < 3:
        mid = (first[0] + last[0]) / 2 if last else float(np.median(xx))
        knots = np.sort(np.r_[first[0], mid, last[0] if last else np.quantile(xx, 1 - outer)])
    nu = len(np.unique(knots))
    if nu < 3:
        raise InsufficientDataError(
            f"x has too many ties to place {nke} knots (fewer than 3 distinct knots); use "
            "fewer knots, treat it as categorical, or pass the knots explicitly."
        )
    warnings.warn(
        f"could not obtain {nke} knots with the default quantiles (too many ties); used "
        f"Hmisc's alternate algorithm, which gives {nu} knots.",
        IrdpWarning,
        stacklevel=4,
    )
    return knots


def rcs_knots(
    x: Any,
    n_knots: int = 5,
    *,
    fractied: float = 0.05,
    few_values: Literal["raise", "interior"] = "raise",
) -> np.ndarray:
    """Default knot locations of ``Hmisc::rcspline.eval`` / ``rms::rcs``.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Values of the continuous predictor (missing values are ignored).
    n_knots : int, default=5
        Number of knots (3 to 7 use Harrell's quantiles).
    fractied : float, default=0.05
        If the smallest (largest) value holds at least this fraction of the data, that
        extreme gets a knot at the next value and is excluded from the quantiles.
    few_values : {"raise", "interior"}, default="raise"
        When ``x`` has at most ``n_knots + 2`` distinct values: raise (a model design must
        not silently get fewer terms than asked) or, as Hmisc, use the interior distinct
        values as knots (the calibration curves).

    Returns
    -------
    numpy.ndarray
        Sorted unique knots.

    Raises
    ------
    InsufficientDataError
        Fewer than 6 values, or too few distinct values for the knots asked.

    References
    ----------
    Harrell (2015), Regression Modeling Strategies, section 2.4.6.

    Examples
    --------
    >>> from irdp.models import rcs_knots
    >>> rcs_knots(list(range(1, 201)), 5).round(3).tolist()
    [10.95, 55.725, 100.5, 145.275, 190.05]
    """
    xx = np.asarray(x, dtype=float)
    xx = np.sort(xx[~np.isnan(xx)])
    n = len(xx)
    if n_knots < 3:
        raise ValueError(f"n_knots must be >= 3; got {n_knots}.")
    if n < 6:
        raise InsufficientDataError(
            f"x must have at least 6 non-missing values to place knots; got {n}. "
            "Pass the knots explicitly."
        )
    xu, counts = _sorted_unique(xx, counts=True)
    if len(xu) - 2 <= n_knots:
        if few_values == "interior" and len(xu) >= 5:
            return xu[1:-1]
        raise InsufficientDataError(
            f"x has only {len(xu)} distinct values, too few for {n_knots} knots; use fewer "
            "knots, treat it as categorical, or pass the knots explicitly."
        )
    outer = 0.1 if n_knots == 3 else (0.025 if n_knots > 6 else 0.05)
    xx, first, last = _tied_extremes(xx, fractied, xu, counts)
    nke = n_knots - len(first) - len(last)
    if nke == 1:
        knots = np.array([np.median(xx)])
    elif len(xu) <= nke:
        knots = xu.copy()
    else:
        probs = np.linspace(0.5 if nke == 2 else outer, 1 - outer, nke)
        knots = _quantile_sorted(xx, probs)  # R's default type 7
        if len(np.unique(knots)) < min(nke, 3):
            knots = _alternate(xx, nke, outer, first, last)
        if len(xx) < 100:
            if not first:
                knots[0] = xx[4]
            if not last:
                knots[len(knots) - 1] = xx[len(xx) - 5]
    knots = np.unique(np.concatenate([first, knots, last]))
    if len(knots) < 3:
        raise InsufficientDataError(
            "fewer than 3 unique knots could be placed; pass them explicitly."
        )
    return knots


def rcs_basis(x: Any, knots: Any) -> np.ndarray:
    """Restricted cubic spline basis, ``Hmisc::rcspline.eval(x, knots, inclx=TRUE)``.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
    knots : array-like of shape (k,)
        Sorted knots, k >= 3.

    Returns
    -------
    numpy.ndarray of shape (n_samples, k - 1)
        Column 0 is ``x`` itself, columns 1..k-2 the non-linear terms with the default
        normalisation ``norm=2`` (divided by ``(t_k - t_1)^2``); linear beyond the outer knots.

    References
    ----------
    Harrell (2015), equation 2.25.

    Examples
    --------
    >>> from irdp.models import rcs_basis
    >>> rcs_basis([0.0, 5.0, 10.0], [1.0, 4.0, 9.0]).round(4).tolist()
    [[0.0, 0.0], [5.0, 0.975], [10.0, 6.0]]
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    if t.ndim != 1 or len(t) < 3 or np.any(np.diff(t) <= 0):
        raise ValueError(f"knots must be at least 3 strictly increasing values; got {t.tolist()}.")
    k = len(t)
    kd = (t[-1] - t[0]) ** (2.0 / 3.0)
    out = np.empty((len(x), k - 1))
    out[:, 0] = x

    def cube(v: np.ndarray) -> np.ndarray:
        u = np.maximum(v / kd, 0.0)
        return u * u * u  # not ** 3: NumPy's pow is ten times slower

    tail_last = cube(x - t[-1])
    tail_prev = cube(x - t[-2])
    for j in range(k - 2):
        out[:, j + 1] = cube(x - t[j]) + (
            (t[-2] - t[j]) * tail_last - (t[-1] - t[j]) * tail_prev
        ) / (t[-1] - t[-2])
    return out
