"""Measures of the fairness checks: the measures of :mod:`irdp.metrics`, grouped.

Fairness is a group-by over the one registry of measures (:data:`irdp.metrics.METRICS`), as
fairlearn's ``MetricFrame`` takes any metric: the AUC of a group is ``irdp.metrics.auc`` on
that group's rows, its O/E ``irdp.metrics.oe_ratio``, its calibration slope
``irdp.metrics.calibration_slope`` (logistic on logit(risk) for a binary outcome, Cox on
cll(risk) for a survival outcome, Fine-Gray for competing risks), so the same measure gives
the same number in the ABCD table and in the fairness table. Every computation happens
within the group: the censoring distribution of a timed outcome is estimated on the
group's own rows (censoring may differ between SPSTI).

The functions below keep the names of earlier irdp versions and return floats (``nan`` when
a group's data cannot support the measure, e.g. no case or no control), computed by the
registry's value-only path. The classification measures at a threshold (selection rate,
TPR, FPR, PPV) use the IPCW status at the horizon of :func:`irdp.metrics.classification`:

========================  ============================  ===============================
subject                   status ``s``                  weight ``w``
========================  ============================  ===============================
binary outcome            ``y``                         1
event of interest by h    1                             1 / G(T_i-)
event-free beyond h       0                             1 / G(h)
competing event by h      0 (a known non-event)         1 / G(T_i-)
censored at or before h   unknown                       0
========================  ============================  ===============================

With these weights ``sum(w * s) / n`` equals the Kaplan-Meier risk ``1 - S(h)`` (survival)
and the Aalen-Johansen cumulative incidence (competing risks) (Satten & Datta 2001).

References
----------
.. [1] Uno H, Cai T, Tian L, Wei LJ. Evaluating prediction rules for t-year survivors with
   censored regression models. JASA 2007;102:527-537.
.. [2] Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing time-dependent
   areas under receiver operating characteristic curves for censored event times with
   competing risks. Stat Med 2013;32:5381-5397 (definition 2: competing events are controls).
.. [3] Satten GA, Datta S. The Kaplan-Meier estimator as an inverse-probability-of-censoring
   weighted average. Am Stat 2001;55:207-210.
.. [4] Weerts H, Dudik M, Edgar R, et al. Fairlearn: Assessing and improving fairness of AI
   systems. JMLR 2023;24(257):1-8 (``MetricFrame``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from irdp._validation import check_horizon, check_risk
from irdp.metrics import METRICS, MetricInfo, default_measures, get_metric
from irdp.metrics import observed_risk as _observed_risk
from irdp.metrics._registry import DATA_ERRORS
from irdp.metrics.classification import status_weights
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
]


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


def _outcome_and_horizon(y: Any, horizon: float | None) -> tuple[Any, float | None]:
    y = as_outcome(y)
    if not isinstance(y, Binary | Survival | CompetingRisks):
        raise TypeError(f"y must be Binary, Survival or CompetingRisks; got {type(y).__name__}.")
    if isinstance(y, Binary):
        return y, None
    return y, check_horizon(horizon, max_time=y.max_time)


def horizon_status(y: Any, horizon: float | None = None) -> HorizonStatus:
    """Reduce an outcome to its IPCW status at ``horizon``.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome container (a 0/1 vector is read as :class:`~irdp.outcomes.Binary`).
    horizon : float, optional
        Required for timed outcomes and within their follow-up; ignored for binary ones.

    Returns
    -------
    HorizonStatus

    Notes
    -----
    The weights are those of :func:`irdp.metrics.classification` (one implementation). A
    subject censored exactly at the horizon has an unknown status (weight 0), as in
    ``riskRegression::Score``; evaluate just below an administrative cut-off (e.g. 4.99 for a
    5-year cut-off) so that those followed to it count as controls.

    Examples
    --------
    >>> from irdp.outcomes import Survival
    >>> from irdp.fairness.measures import horizon_status
    >>> hs = horizon_status(Survival([1, 2, 3, 4], [1, 0, 1, 0]), horizon=3.5)
    >>> hs.status.tolist(), hs.weight.round(3).tolist()
    ([1, 0, 1, 0], [1.0, 0.0, 1.5, 1.5])
    """
    y, h = _outcome_and_horizon(y, horizon)
    a, b = status_weights(y, h)
    status = (a > 0).astype(np.int8)
    weight = a + b
    status.flags.writeable = False
    weight.flags.writeable = False
    return HorizonStatus(status, weight, len(y))


def status_counts(y: Any, horizon: float | None) -> tuple[int, int]:
    """Events of interest by the horizon and known non-events (event-free beyond it, or a
    competing event by it); for a binary outcome events and non-events."""
    if isinstance(y, Binary):
        ev = int(y.n_events)
        return ev, len(y) - ev
    by_h = y.time <= horizon
    events = int(np.count_nonzero(y.event & by_h))
    competing = y.competing & by_h if isinstance(y, CompetingRisks) else False
    return events, int(np.count_nonzero((y.time > horizon) | competing))


def _registry_value(name: str, y: Any, risk: Any, horizon: float | None) -> float:
    """Value of a registry measure; nan when these data cannot support it."""
    try:
        return get_metric(name).value(y, risk, horizon=horizon)
    except DATA_ERRORS:
        return float("nan")


def observed_risk(y: Any, risk: Any = None, *, horizon: float | None = None) -> float:
    """Observed risk by the horizon: prevalence, 1 - Kaplan-Meier or Aalen-Johansen.

    ``risk`` is accepted (and ignored) so that the function has the metric signature; the
    value is :func:`irdp.metrics.observed_risk`.
    """
    y, h = _outcome_and_horizon(y, horizon)
    return float(_observed_risk(y, h))


def mean_risk(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Mean predicted risk (the expected risk E of O/E; registry measure ``mean_risk``)."""
    return _registry_value("mean_risk", y, risk, horizon)


def oe_ratio(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Observed / expected risk: :func:`irdp.metrics.oe_ratio` (nan if undefined)."""
    return _registry_value("oe_ratio", y, risk, horizon)


def calibration_in_the_large(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Calibration-in-the-large of a binary outcome: :func:`irdp.metrics.calibration_in_the_large`.

    Timed outcomes have no calibration-in-the-large here (use :func:`oe_ratio`, as McLernon
    et al. 2023 do): a ``TypeError`` says so.
    """
    return _registry_value("calibration_in_the_large", y, risk, horizon)


def calibration_slope(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Calibration slope: :func:`irdp.metrics.calibration_slope` (logistic on logit(risk);
    Cox on cll(risk) for survival, Fine-Gray for competing risks; nan if undefined)."""
    return _registry_value("calibration_slope", y, risk, horizon)


def weighted_auc(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """AUC (binary) or IPCW cumulative/dynamic AUC at the horizon: :func:`irdp.metrics.auc`.

    For survival outcomes Uno's td-AUC, for competing risks Blanche's definition 2
    (competing events are controls); nan without cases or controls.
    """
    return _registry_value("auc", y, risk, horizon)


def brier_ipcw(y: Any, risk: Any, *, horizon: float | None = None) -> float:
    """Brier score, IPCW at the horizon for timed outcomes: :func:`irdp.metrics.brier`."""
    return _registry_value("brier", y, risk, horizon)


def _status(y: Any, risk: Any, horizon: float | None) -> tuple[np.ndarray, np.ndarray,
                                                               np.ndarray]:
    y, h = _outcome_and_horizon(y, horizon)
    p = check_risk(risk)
    if len(p) != len(y):
        raise ValueError(
            f"risk must have one value per subject; got {len(p)} risks for {len(y)} outcomes."
        )
    a, b = status_weights(y, h)
    return a, b, p


def _rate(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def selection_rate(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """Share of subjects flagged (``risk >= threshold``); needs no outcome."""
    _, _, p = _status(y, risk, horizon)
    return float(np.mean(p >= threshold)) if len(p) else float("nan")


def true_positive_rate(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """Sensitivity at ``threshold``: IPCW share of cases by the horizon with risk >= threshold."""
    a, _, p = _status(y, risk, horizon)
    return _rate(a[p >= threshold].sum(), a.sum())


def false_positive_rate(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """1 - specificity at ``threshold``: IPCW share of known non-cases flagged."""
    _, b, p = _status(y, risk, horizon)
    return _rate(b[p >= threshold].sum(), b.sum())


def positive_predictive_value(
    y: Any, risk: Any, *, horizon: float | None = None, threshold: float = 0.5
) -> float:
    """PPV at ``threshold``: IPCW risk of the event by the horizon among those flagged."""
    a, b, p = _status(y, risk, horizon)
    flag = p >= threshold
    tp, fp = a[flag].sum(), b[flag].sum()
    return _rate(tp, tp + fp)


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


DEFAULT_MEASURES: Mapping[str, MetricInfo] = MappingProxyType(
    {name: METRICS[name] for name in dict.fromkeys(
        default_measures("binary", "fairness") + default_measures("survival", "fairness"))}
)
"""The registry entries of the default fairness measures (read-only). For a given outcome
:func:`irdp.fairness.group_performance` uses those defined for its kind
(:func:`irdp.metrics.default_measures` with ``purpose="fairness"``)."""
