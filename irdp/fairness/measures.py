"""Censoring-aware measures at a horizon, one definition for binary, survival and competing risks.

Every measure here reduces the outcome to an *IPCW status at the horizon* (Uno et al. 2007,
Blanche et al. 2013): a 0/1 status ``s`` and an inverse-probability-of-censoring weight
``w`` per subject, from :func:`horizon_status`. Then each measure is the usual binary
measure computed with those weights:

========================  ============================  ===============================
subject                   status ``s``                  weight ``w``
========================  ============================  ===============================
binary outcome            ``y``                         1
event of interest by h    1                             1 / G(T_i-)
event-free beyond h       0                             1 / G(h)
competing event by h      0 (a known non-event)         1 / G(T_i-)
censored at or before h   unknown                       0
========================  ============================  ===============================

``G`` is the Kaplan-Meier estimate of the censoring distribution computed on the data
passed in (censorings tied with events counted after them), so when a measure is called on a
group (``y.take(rows)``) the weights use that group's own censoring pattern — censoring may
differ between groups (e.g. SPSTI with different follow-up), and a pooled G would bias the
group estimates. With these weights ``sum(w * s) / n`` equals the Kaplan-Meier risk
``1 - S(h)`` for survival outcomes and the Aalen-Johansen cumulative incidence for competing
risks (Satten & Datta 2001), which the tests check.

The measures have the metric signature of :mod:`irdp.metrics` — ``f(y, risk, *,
horizon=None)`` — and return floats (``nan`` when undefined: no case or no control), so
that :func:`irdp.fairness.group_performance` can bootstrap them. Confidence intervals come
from the bootstrap there, or analytically in :func:`irdp.fairness.group_calibration`.

References
----------
.. [1] Uno H, Cai T, Tian L, Wei LJ. Evaluating prediction rules for t-year survivors with
   censored regression models. JASA 2007;102:527-537.
.. [2] Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing time-dependent
   areas under receiver operating characteristic curves for censored event times with
   competing risks. Stat Med 2013;32:5381-5397 (definition 2: competing events are controls).
.. [3] Satten GA, Datta S. The Kaplan-Meier estimator as an inverse-probability-of-censoring
   weighted average. Am Stat 2001;55:207-210.
.. [4] Gerds TA, Schumacher M. Consistent estimation of the expected Brier score in general
   survival models with right-censored event times. Biom J 2006;48:1029-1040.
.. [5] Cox DR. Two further applications of a model for binary regression. Biometrika
   1958;45:562-565 (calibration intercept and slope).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from irdp._validation import check_horizon, check_risk
from irdp.nonparametric import censoring_survival
from irdp.outcomes import Binary, CompetingRisks, Survival, as_outcome

__all__ = [
    "HorizonStatus",
    "horizon_status",
    "observed_risk",
    "mean_risk",
    "oe_ratio",
    "calibration_in_the_large",
    "calibration_slope",
    "weighted_auc",
    "brier_ipcw",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "positive_predictive_value",
    "at_threshold",
    "DEFAULT_MEASURES",
    "weighted_logistic",
]

_EPS = 1e-10


@dataclass(frozen=True)
class HorizonStatus:
    """IPCW status of every subject at a horizon (see the module docstring).

    Attributes
    ----------
    status : ndarray of int8, shape (n_samples,)
        1 = event of interest by the horizon, 0 = known non-event, 0 with weight 0 = unknown.
    weight : ndarray of float, shape (n_samples,)
        Inverse probability of censoring weights; 0 for subjects censored at or before it.
    n : int
        Number of subjects (the denominator of IPCW means).
    """

    status: np.ndarray
    weight: np.ndarray
    n: int

    @property
    def known(self) -> np.ndarray:
        """Subjects whose status at the horizon is known (weight > 0)."""
        return self.weight > 0

    @property
    def weighted_events(self) -> float:
        """IPCW number of events by the horizon (sum of weights of the cases)."""
        return float(np.sum(self.weight * self.status))


def horizon_status(y: Any, horizon: float | None = None) -> HorizonStatus:
    """Reduce an outcome to its IPCW status at ``horizon``.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome container (a 0/1 vector is read as :class:`~irdp.outcomes.Binary`).
    horizon : float, optional
        Required for timed outcomes; ignored (must be None or equal to ``y.horizon``) for
        binary ones.

    Returns
    -------
    HorizonStatus

    Notes
    -----
    A subject censored exactly at the horizon has an unknown status (weight 0), as in
    ``riskRegression::Score``; evaluate just below an administrative cut-off (e.g. 4.99
    for a 5-year cut-off) so that those followed to it count as controls.

    Examples
    --------
    >>> from irdp.outcomes import Survival
    >>> from irdp.fairness.measures import horizon_status
    >>> hs = horizon_status(Survival([1, 2, 3, 4], [1, 0, 1, 0]), horizon=3.5)
    >>> hs.status.tolist(), hs.weight.round(3).tolist()
    ([1, 0, 1, 0], [1.0, 0.0, 1.5, 1.5])
    """
    y = as_outcome(y)
    if not isinstance(y, Binary | Survival | CompetingRisks):
        raise TypeError(f"y must be Binary, Survival or CompetingRisks; got {type(y).__name__}.")
    key = None if isinstance(y, Binary) else check_horizon(horizon)
    # memo on the container: its arrays are read-only, so the status cannot go stale; the
    # fairness bootstrap evaluates several measures on the same resampled outcome
    cache = y.__dict__.setdefault("_horizon_status_cache", {})
    if key not in cache:
        cache[key] = _compute_status(y, key)
    return cache[key]


def _compute_status(y: Any, h: float | None) -> HorizonStatus:
    n = len(y)
    if isinstance(y, Binary):
        return HorizonStatus(_readonly(y.y.astype(np.int8)), _readonly(np.ones(n)), n)
    t = y.time
    any_event = y.cause != 0 if isinstance(y, CompetingRisks) else y.event
    g_before, g_h = _censoring_weights(t, any_event, h)
    case = y.event & (t <= h)
    competing = any_event & ~y.event & (t <= h)
    control = t > h
    w = np.zeros(n)
    with np.errstate(divide="ignore"):
        ok = g_before > 0
        w[(case | competing) & ok] = 1.0 / g_before[(case | competing) & ok]
        if g_h > 0:
            w[control] = 1.0 / g_h
    return HorizonStatus(_readonly(case.astype(np.int8)), _readonly(w), n)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _censoring_weights(
    time: np.ndarray, any_event: np.ndarray, horizon: float
) -> tuple[np.ndarray, float]:
    """G(T_i-) for every subject and G(h), censorings tied with events placed after them.

    The reverse Kaplan-Meier uses, at a time s with d_s events and c_s censorings among n_s
    at risk, the factor 1 - c_s / (n_s - d_s): subjects with an event at s were not at risk
    of being censored at s. With this convention G(t-) S(t-) = n(t) / n exactly, which gives
    the Kaplan-Meier / Aalen-Johansen identities of the module docstring even with ties.
    (:func:`irdp.nonparametric.censoring_survival` with ``events_leave_first=True``.)
    """
    g = censoring_survival(time, any_event, events_leave_first=True)
    return g.at(time, left=True), float(g.at(horizon))


def _prep(y: Any, risk: Any, horizon: float | None) -> tuple[HorizonStatus, np.ndarray]:
    hs = horizon_status(y, horizon)
    p = check_risk(risk)
    if len(p) != hs.n:
        raise ValueError(
            f"risk must have one value per subject; got {len(p)} risks for {hs.n} outcomes."
        )
    return hs, p


def observed_risk(y: Any, risk: Any = None, *, horizon: float | None = None) -> float:
    """Observed risk by the horizon: prevalence, 1 - Kaplan-Meier or Aalen-Johansen (IPCW).

    ``risk`` is accepted (and ignored) so that the function has the metric signature.
    """
    hs = horizon_status(y, horizon)
    return float(np.sum(hs.weight * hs.status) / hs.n) if hs.n else float("nan")


def mean_risk(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Mean predicted risk (the expected risk E of O/E)."""
    _, p = _prep(y, risk, horizon)
    return float(p.mean()) if len(p) else float("nan")


def oe_ratio(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Observed / expected risk: observed risk (IPCW at the horizon) over mean predicted risk.

    Returns ``nan`` when the mean predicted risk is 0.
    """
    hs, p = _prep(y, risk, horizon)
    e = p.mean() if len(p) else 0.0
    if e <= 0:
        return float("nan")
    return float(np.sum(hs.weight * hs.status) / hs.n / e)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


def weighted_logistic(
    y: np.ndarray,
    design: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Weighted logistic regression by Newton-Raphson.

    Parameters
    ----------
    y : ndarray of shape (n,)
        0/1 outcome.
    design : ndarray of shape (n, k)
        Design matrix (include a column of ones for an intercept).
    weight : ndarray of shape (n,), optional
        Case weights (IPCW weights for timed outcomes).
    offset : ndarray of shape (n,), optional
    max_iter, tol : convergence controls (on the change in coefficients).

    Returns
    -------
    coef : ndarray of shape (k,)
    cov : ndarray of shape (k, k)
        Model-based inverse information when all weights are 1 (as R's ``glm``); otherwise
        the robust sandwich covariance, the usual choice for IPCW estimating equations
        (it ignores the estimation of G, which is conservative).
    converged : bool
    """
    n, k = design.shape
    w = np.ones(n) if weight is None else weight
    off = np.zeros(n) if offset is None else offset
    beta = np.zeros(k)
    converged = False
    info = np.eye(k)
    for _ in range(max_iter):
        eta = np.clip(design @ beta + off, -30, 30)
        mu = 1.0 / (1.0 + np.exp(-eta))
        score = design.T @ (w * (y - mu))
        info = (design * (w * mu * (1 - mu))[:, None]).T @ design
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return np.full(k, np.nan), np.full((k, k), np.nan), False
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    eta = np.clip(design @ beta + off, -30, 30)
    mu = 1.0 / (1.0 + np.exp(-eta))
    info = (design * (w * mu * (1 - mu))[:, None]).T @ design
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return beta, np.full((k, k), np.nan), converged
    if weight is None or np.allclose(w, 1.0):
        return beta, inv, converged
    u = design * (w * (y - mu))[:, None]
    return beta, inv @ (u.T @ u) @ inv, converged


def _calibration_fit(
    y: Any, risk: Any, horizon: float | None, *, slope: bool
) -> tuple[float, float, bool]:
    hs, p = _prep(y, risk, horizon)
    keep = hs.known
    s, w, lp = hs.status[keep].astype(float), hs.weight[keep], _logit(p[keep])
    if s.sum() == 0 or s.sum() == len(s):
        return float("nan"), float("nan"), False
    weight = None if np.allclose(w, 1.0) else w
    if slope:
        design = np.column_stack([np.ones_like(lp), lp])
        coef, cov, ok = weighted_logistic(s, design, weight=weight)
        return float(coef[1]), float(np.sqrt(cov[1, 1])), ok
    coef, cov, ok = weighted_logistic(s, np.ones((len(s), 1)), weight=weight, offset=lp)
    return float(coef[0]), float(np.sqrt(cov[0, 0])), ok


def calibration_in_the_large(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Calibration-in-the-large: intercept of ``logit P(s=1) = a + logit(risk)`` (offset fit).

    0 is perfect; > 0 means the index under-predicts. Timed outcomes use the IPCW-weighted
    fit on subjects with known status (this is *not* the rms ``Intercept`` of a joint fit).
    """
    return _calibration_fit(y, risk, horizon, slope=False)[0]


def calibration_slope(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Calibration slope: b in ``logit P(s=1) = a + b logit(risk)`` (IPCW-weighted if timed).

    1 is perfect; < 1 means predictions too extreme (overfitting).
    """
    return _calibration_fit(y, risk, horizon, slope=True)[0]


def weighted_auc(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """AUC (binary) or IPCW cumulative/dynamic AUC at the horizon, ties in risk counted 1/2.

    For survival outcomes this is Uno's td-AUC (``timeROC(weighting="marginal")``); for
    competing risks Blanche's definition 2 (competing events are controls). Computed in
    O(n log n) by sorting. Returns ``nan`` without cases or controls.
    """
    hs, p = _prep(y, risk, horizon)
    keep = hs.known
    s, w, r = hs.status[keep], hs.weight[keep], p[keep]
    w_case, w_ctrl = w * (s == 1), w * (s == 0)
    tot_case, tot_ctrl = w_case.sum(), w_ctrl.sum()
    if tot_case <= 0 or tot_ctrl <= 0:
        return float("nan")
    uniq, inv = np.unique(r, return_inverse=True)
    case_at = np.bincount(inv, weights=w_case, minlength=len(uniq))
    ctrl_at = np.bincount(inv, weights=w_ctrl, minlength=len(uniq))
    ctrl_below = np.cumsum(ctrl_at) - ctrl_at
    num = np.sum(case_at * (ctrl_below + 0.5 * ctrl_at))
    return float(num / (tot_case * tot_ctrl))


def brier_ipcw(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Brier score (binary) or IPCW Brier score at the horizon (Graf et al. 1999, G(T-))."""
    hs, p = _prep(y, risk, horizon)
    return float(np.sum(hs.weight * (hs.status - p) ** 2) / hs.n) if hs.n else float("nan")


def selection_rate(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """Share of subjects flagged (``risk >= threshold``); needs no outcome."""
    _, p = _prep(y, risk, horizon)
    return float(np.mean(p >= threshold)) if len(p) else float("nan")


def _rate(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def true_positive_rate(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """Sensitivity at ``threshold``: IPCW share of cases by the horizon with risk >= threshold."""
    hs, p = _prep(y, risk, horizon)
    pos = p >= threshold
    wc = hs.weight * hs.status
    return _rate(np.sum(wc * pos), np.sum(wc))


def false_positive_rate(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """1 - specificity at ``threshold``: IPCW share of known non-cases flagged."""
    hs, p = _prep(y, risk, horizon)
    pos = p >= threshold
    wn = hs.weight * (1 - hs.status)
    return _rate(np.sum(wn * pos), np.sum(wn))


def positive_predictive_value(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """PPV at ``threshold``: IPCW risk of the event by the horizon among those flagged."""
    hs, p = _prep(y, risk, horizon)
    pos = p >= threshold
    return _rate(np.sum(hs.weight * hs.status * pos), np.sum(hs.weight * pos))


def at_threshold(measure: Callable[..., float], threshold: float) -> Callable[..., float]:
    """Bind a threshold measure to a cut-off, giving the plain metric signature.

    Examples
    --------
    >>> from irdp.fairness.measures import at_threshold, true_positive_rate
    >>> tpr = at_threshold(true_positive_rate, 0.3)
    >>> tpr([0, 1, 1, 0], [0.1, 0.4, 0.2, 0.5])
    0.5
    """
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1]; got {threshold!r}.")

    def bound(y: Any, risk: Any, *, horizon: float | None = None) -> float:
        return measure(y, risk, horizon=horizon, threshold=float(threshold))

    bound.__name__ = f"{measure.__name__}@{threshold:g}"
    return bound


DEFAULT_MEASURES: dict[str, Callable[..., float]] = {
    "auc": weighted_auc,
    "observed_risk": observed_risk,
    "mean_risk": mean_risk,
    "oe_ratio": oe_ratio,
    "citl": calibration_in_the_large,
    "slope": calibration_slope,
    "brier": brier_ipcw,
}
"""Measures reported by :func:`irdp.fairness.group_performance` when none are given."""
