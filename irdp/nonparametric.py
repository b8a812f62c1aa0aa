"""Deterministic non-parametric estimators shared by models, metrics and validation.

- :func:`kaplan_meier` — product-limit survival with Greenwood variance;
- :func:`censoring_survival` — Kaplan-Meier of the censoring distribution G (censoring
  treated as the event), the basis of every IPCW weight in irdp;
- :func:`aalen_johansen` — cumulative incidence of each cause with competing events,
  computed exactly (no random jitter of tied times, unlike lifelines).

All three return a :class:`StepFunction`-based result evaluated with ``at(t)`` (right-
continuous value) or ``at(t, left=True)`` (left limit, the value just before ``t``).

Two variances of the Aalen-Johansen cumulative incidence exist in irdp, and each is used
in one place:

- Gray's estimator, :attr:`AalenJohansen.variance` (``cmprsk::cuminc``'s ``var``, Gray
  1988), computed on first access only; it is the variance reported with a cumulative
  incidence curve (agreement with ``cuminc`` is tested);
- the delta-method (Greenwood-type) estimator of Marubini & Valsecchi (1995, eq. 10.10),
  :func:`irdp.metrics.calibration.aalen_johansen_variance`; it gives SE(O) of the
  competing-risk observed/expected ratio of :func:`irdp.metrics.oe_ratio`
  (``oe_interval="greenwood"``), the competing-risk analogue of Greenwood's variance used
  for the Kaplan-Meier O/E.

They are asymptotically equivalent and differ slightly in small samples.

References
----------
.. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.
   JASA 1958;53:457-481.
.. [2] Greenwood M. The natural duration of cancer. Reports on Public Health and Medical
   Subjects 1926;33.
.. [3] Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov
   chains based on censored observations. Scand J Stat 1978;5:141-150.
.. [4] Graf E, Schmoor C, Sauerbrei W, Schumacher M. Assessment and comparison of
   prognostic classification schemes for survival data. Stat Med 1999;18:2529-2545.
.. [5] Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a
   competing risk. Ann Stat 1988;16:1141-1154.
.. [6] Marubini E, Valsecchi MG. Analysing Survival Data from Clinical Trials and
   Observational Studies. Wiley 1995, section 10.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from irdp._validation import as_1d_array

__all__ = [
    "StepFunction",
    "KaplanMeier",
    "AalenJohansen",
    "kaplan_meier",
    "censoring_survival",
    "aalen_johansen",
]


@dataclass(frozen=True)
class StepFunction:
    """A right-continuous step function given by its jump times and values.

    ``value_at_zero`` is the value before the first jump (1 for a survival function,
    0 for a cumulative incidence).
    """

    x: np.ndarray
    y: np.ndarray
    value_at_zero: float = 1.0

    def at(self, t: Any, *, left: bool = False) -> np.ndarray:
        """Evaluate at ``t``; ``left=True`` gives the left limit f(t-)."""
        q = np.asarray(t, dtype=float)
        pos = np.searchsorted(self.x, q, side="left" if left else "right") - 1
        vals = np.concatenate(([self.value_at_zero], self.y))
        return vals[pos + 1]

    def __call__(self, t: Any) -> np.ndarray:
        return self.at(t)


@dataclass(frozen=True)
class KaplanMeier:
    """Result of :func:`kaplan_meier`.

    Attributes
    ----------
    times : ndarray
        Distinct times at which at least one event occurred.
    survival : ndarray
        S(t) just after each of those times.
    n_at_risk, n_events : ndarray
        (Weighted) numbers at risk and of events at those times.
    variance : ndarray
        Greenwood variance of S(t) (unweighted data; for weighted data it is the
        plug-in formula with weighted counts).
    """

    times: np.ndarray
    survival: np.ndarray
    n_at_risk: np.ndarray
    n_events: np.ndarray
    variance: np.ndarray
    step: StepFunction = field(repr=False)

    def at(self, t: Any, *, left: bool = False) -> np.ndarray:
        """S(t), or S(t-) with ``left=True``."""
        return self.step.at(t, left=left)

    def risk_at(self, t: Any) -> np.ndarray:
        """1 - S(t): the cumulative risk by ``t``."""
        return 1.0 - self.step.at(t)

    def variance_at(self, t: Any) -> np.ndarray:
        """Greenwood variance of S(t)."""
        return StepFunction(self.times, self.variance, 0.0).at(t)


@dataclass(frozen=True)
class AalenJohansen:
    """Result of :func:`aalen_johansen`.

    Attributes
    ----------
    times : ndarray
        Distinct times with at least one event of any cause.
    causes : tuple of int
        Causes, in the column order of ``cif``.
    cif : ndarray of shape (n_times, n_causes)
        Cumulative incidence of each cause just after each time.
    survival : ndarray
        Event-free survival (all causes) just after each time.
    n_at_risk : ndarray
    n_events : ndarray of shape (n_times, n_causes)
    weighted : bool
        Estimated from weighted data (no variance then).
    variance : ndarray of shape (n_times, n_causes) or None
        Variance of each cumulative incidence as ``cmprsk::cuminc`` computes it (Gray's
        estimator, which changes only at the times of the cause), computed on first
        access; None for weighted data. The O/E ratio of :mod:`irdp.metrics` uses the
        delta-method variance instead (see the module docstring).
    """

    times: np.ndarray
    causes: tuple[int, ...]
    cif: np.ndarray
    survival: np.ndarray
    n_at_risk: np.ndarray
    n_events: np.ndarray
    weighted: bool = False

    @cached_property
    def variance(self) -> np.ndarray | None:
        """Gray's variance of every cumulative incidence (None for weighted data)."""
        if self.weighted:
            return None
        if not self.causes:
            return np.zeros((len(self.times), 0))
        n, d_k = self.n_at_risk, self.n_events
        d_all = d_k.sum(axis=1)
        surv_left = np.concatenate(([1.0], self.survival[:-1]))
        return np.column_stack(
            [_gray_variance(n, d_k[:, j], d_all - d_k[:, j], surv_left, self.survival,
                            self.cif[:, j]) for j in range(len(self.causes))])

    def cif_at(self, t: Any, cause: int = 1, *, left: bool = False) -> np.ndarray:
        """Cumulative incidence of ``cause`` at ``t`` (0 for a cause never observed)."""
        if cause not in self.causes:
            return np.zeros(np.shape(np.asarray(t, dtype=float)))
        j = self.causes.index(cause)
        return StepFunction(self.times, self.cif[:, j], 0.0).at(t, left=left)

    def survival_at(self, t: Any, *, left: bool = False) -> np.ndarray:
        """Event-free survival (all causes) at ``t``."""
        return StepFunction(self.times, self.survival, 1.0).at(t, left=left)

    def variance_at(self, t: Any, cause: int = 1) -> np.ndarray:
        """Variance of the cumulative incidence of ``cause`` at ``t`` (``cuminc``'s ``var``
        as returned by ``timepoints``)."""
        if self.variance is None:
            raise ValueError(
                "variance is not available for weighted data; estimate it by bootstrap."
            )
        if cause not in self.causes:
            return np.zeros(np.shape(np.asarray(t, dtype=float)))
        j = self.causes.index(cause)
        return StepFunction(self.times, self.variance[:, j], 0.0).at(t)


def _counts(
    time: np.ndarray, indicator: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct times, inverse map, weighted number at risk and weighted events per time."""
    uniq, inv = np.unique(time, return_inverse=True)
    w_all = np.bincount(inv, weights=weights, minlength=len(uniq))
    at_risk = np.cumsum(w_all[::-1])[::-1]
    events = np.bincount(inv, weights=weights * indicator, minlength=len(uniq))
    return uniq, inv, at_risk, events


def _prepare(time: Any, weights: Any) -> tuple[np.ndarray, np.ndarray]:
    t = as_1d_array(time, "time")
    if weights is None:
        w = np.ones_like(t)
    else:
        w = as_1d_array(weights, "weights")
        if len(w) != len(t):
            raise ValueError(f"weights must have one value per row; got {len(w)} for {len(t)}.")
        if (w < 0).any() or not np.isfinite(w).all():
            raise ValueError("weights must be finite and >= 0.")
    if not np.isfinite(t).all():
        raise ValueError("time must be finite for all rows.")
    return t, w


def kaplan_meier(time: Any, event: Any, *, weights: Any = None) -> KaplanMeier:
    """Kaplan-Meier estimate of the survival function.

    Parameters
    ----------
    time : array-like of shape (n_samples,)
        Follow-up times.
    event : array-like of shape (n_samples,)
        1/True for an event, 0/False for censoring. At tied times, events are taken to
        occur before censorings (the usual convention of R's ``survfit``).
    weights : array-like of shape (n_samples,), optional
        Case weights (e.g. bootstrap frequencies).

    Returns
    -------
    KaplanMeier

    References
    ----------
    Kaplan & Meier (1958); Greenwood (1926).

    Examples
    --------
    >>> from irdp.nonparametric import kaplan_meier
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    >>> km.at([0.5, 2, 3.5]).round(4).tolist()
    [1.0, 0.6, 0.3]
    """
    t, w = _prepare(time, weights)
    e = as_1d_array(event, "event").astype(bool)
    if len(e) != len(t):
        raise ValueError(f"time and event must have the same length; got {len(t)} and {len(e)}.")
    uniq, _, n, d = _counts(t, e.astype(float), w)
    keep = d > 0
    uniq, n, d = uniq[keep], n[keep], d[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(n > 0, d / n, 0.0)
        surv = np.cumprod(1.0 - frac)
        term = np.where(n - d > 0, d / (n * (n - d)), np.inf)
    green = np.cumsum(term)
    var = np.zeros_like(surv)
    ok = surv > 0
    var[ok] = surv[ok] ** 2 * green[ok]
    return KaplanMeier(uniq, surv, n, d, var, StepFunction(uniq, surv, 1.0))


def censoring_survival(
    time: Any, event: Any, *, weights: Any = None, events_leave_first: bool = False
) -> KaplanMeier:
    """Kaplan-Meier estimate of the censoring survival function G(t) = P(C > t).

    Censorings are the "events"; any observed event (of any cause) counts as censoring
    of the censoring time. Two conventions exist for a censoring tied with an event:

    - ``events_leave_first=False`` (default): subjects with an event at ``u`` are still at
      risk of being censored at ``u``, as in ``survfit(Surv(time, 1 - status) ~ 1)``;
    - ``events_leave_first=True``: events at ``u`` leave the risk set before the
      censorings at ``u`` (factor ``1 - c(u) / (n(u) - d(u))``), as prodlim's
      ``reverse=TRUE`` used by ``riskRegression::Score`` and ``survival::concordance``.
      With it, G(t-) S(t-) = n(t) / n exactly, even with ties; irdp's IPCW measures use it.

    Both agree when no censoring time equals an event time.

    Parameters
    ----------
    time : array-like of shape (n_samples,)
    event : array-like of shape (n_samples,)
        Nonzero for any observed event (any cause), 0 for censored.
    weights : array-like of shape (n_samples,), optional
    events_leave_first : bool, default=False
        Tie convention, see above.

    Returns
    -------
    KaplanMeier
        ``n_at_risk`` is the number at risk of censoring under the chosen convention.

    References
    ----------
    Graf et al. (1999), Stat Med 18:2529; Gerds & Schumacher (2006), Biom J 48:1029.

    Examples
    --------
    >>> from irdp.nonparametric import censoring_survival
    >>> g = censoring_survival([1, 2, 2, 3], [1, 1, 0, 0])
    >>> float(g.at(2.0)), float(censoring_survival([1, 2, 2, 3], [1, 1, 0, 0],
    ...                                            events_leave_first=True).at(2.0))
    (0.6666666666666667, 0.5)
    """
    e = as_1d_array(event, "event")
    if not events_leave_first:
        return kaplan_meier(time, e == 0, weights=weights)
    t, w = _prepare(time, weights)
    if len(e) != len(t):
        raise ValueError(f"time and event must have the same length; got {len(t)} and {len(e)}.")
    uniq, _, n, c = _counts(t, (e == 0).astype(float), w)
    d = _counts(t, (e != 0).astype(float), w)[3]
    keep = c > 0
    uniq, n, c = uniq[keep], (n - d)[keep], c[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(n > 0, c / n, 0.0)
        surv = np.cumprod(1.0 - frac)
        term = np.where(n - c > 0, c / (n * (n - c)), np.inf)
    green = np.cumsum(term)
    var = np.zeros_like(surv)
    ok = surv > 0
    var[ok] = surv[ok] ** 2 * green[ok]
    return KaplanMeier(uniq, surv, n, c, var, StepFunction(uniq, surv, 1.0))


def aalen_johansen(time: Any, cause: Any, *, weights: Any = None) -> AalenJohansen:
    """Aalen-Johansen estimate of the cumulative incidence of each competing cause.

    CIF_k(t) = sum over event times s <= t of S(s-) * d_k(s) / n(s), where S is the
    all-cause Kaplan-Meier. Tied times are handled exactly (no jitter); it equals
    ``cmprsk::cuminc`` and the multi-state ``survival::survfit`` point estimates.

    Parameters
    ----------
    time : array-like of shape (n_samples,)
    cause : array-like of shape (n_samples,)
        0 = censored, positive integers = causes.
    weights : array-like of shape (n_samples,), optional

    Returns
    -------
    AalenJohansen

    References
    ----------
    Aalen & Johansen (1978); Putter, Fiocco & Geskus (2007), Stat Med 26:2389.

    Examples
    --------
    >>> from irdp.nonparametric import aalen_johansen
    >>> aj = aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1])
    >>> float(aj.cif_at(4.0, cause=1)), float(aj.cif_at(4.0, cause=2))
    (0.75, 0.25)
    """
    t, w = _prepare(time, weights)
    c = as_1d_array(cause, "cause").astype(np.int64)
    if len(c) != len(t):
        raise ValueError(f"time and cause must have the same length; got {len(t)} and {len(c)}.")
    if (c < 0).any():
        raise ValueError("cause must be 0 (censored) or a positive cause code.")
    causes = tuple(int(k) for k in np.unique(c) if k > 0)
    uniq, inv, n, d_all = _counts(t, (c > 0).astype(float), w)
    d_k = np.column_stack(
        [np.bincount(inv, weights=w * (c == k), minlength=len(uniq)) for k in causes]
    ) if causes else np.zeros((len(uniq), 0))
    keep = d_all > 0
    uniq, n, d_all, d_k = uniq[keep], n[keep], d_all[keep], d_k[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        haz = np.where(n > 0, d_all / n, 0.0)
        surv = np.cumprod(1.0 - haz)
        surv_left = np.concatenate(([1.0], surv[:-1]))
        inc = np.where(n[:, None] > 0, d_k / n[:, None], 0.0) * surv_left[:, None]
    cif = np.cumsum(inc, axis=0)
    return AalenJohansen(uniq, causes, cif, surv, n, d_k, weighted=weights is not None)


def _gray_variance(
    n: np.ndarray, d1: np.ndarray, d2: np.ndarray, s_left: np.ndarray, s: np.ndarray,
    F: np.ndarray,
) -> np.ndarray:
    """Variance of a cumulative incidence estimate as in ``cmprsk::cuminc`` (Fortran
    ``cinc``, Gray 1988), vectorised: three running sums updated at every event time, the
    variance read only at the times of the cause (constant in between)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(s > 0, 1.0 / s, 0.0)

        def t6(d: np.ndarray) -> np.ndarray:
            t5 = np.where(d > 1, 1 - (d - 1) / np.where(n > 1, n - 1, 1), 1.0)
            return s_left**2 * t5 * d / n**2

        # other causes (only while the survival stays positive)
        c6 = np.where((d2 > 0) & (s > 0), t6(d2), 0.0)
        c4 = F * inv_s
        # the cause itself
        e6 = np.where(d1 > 0, t6(d1), 0.0)
        e4 = 1 + inv_s * F
    v1 = np.cumsum(c4**2 * c6 + e4**2 * e6)
    v2 = np.cumsum(inv_s * c4 * c6 + inv_s * e4 * e6)
    v3 = np.cumsum(inv_s**2 * c6 + inv_s**2 * e6)
    v = v1 + F**2 * v3 - 2 * F * v2
    # carry the last value forward over times without an event of the cause
    idx = np.where(d1 > 0, np.arange(len(v)), -1)
    idx = np.maximum.accumulate(idx)
    return np.where(idx >= 0, v[np.maximum(idx, 0)], 0.0)
