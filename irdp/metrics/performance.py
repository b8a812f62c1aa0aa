"""The ABCD validation table in one call, and the registry of scalar measures.

Steyerberg & Vergouwe's ABCD: A = calibration-in-the-large (O/E, CITL), B = calibration
slope, C = concordance/discrimination, D = decision-curve net benefit; completed here by
moderate calibration (ICI, E50, E90, Emax, ECI) and overall accuracy (Brier, IPA).

References
----------
.. [1] Steyerberg EW, Vergouwe Y. Towards better clinical prediction models: seven steps for
   development and an ABCD for validation. Eur Heart J 2014;35:1925-1931.
.. [2] McLernon DJ, et al. Ann Intern Med 2023;176:105-114.
.. [3] van Geloven N, et al. BMJ 2022;377:e069249.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from irdp.metrics._estimate import Estimate
from irdp.metrics._inputs import prepare
from irdp.metrics.calibration import (
    calibration,
    calibration_in_the_large,
    calibration_slope,
    ici,
    oe_ratio,
)
from irdp.metrics.discrimination import auc, concordance, td_auc
from irdp.metrics.overall import brier, ipa
from irdp.metrics.utility import net_benefit
from irdp.outcomes import Binary, CompetingRisks

__all__ = ["MetricInfo", "METRICS", "get_metric", "performance"]

_ALL = ("binary", "survival", "competing")
_TIMED = ("survival", "competing")


@dataclass(frozen=True)
class MetricInfo:
    """Metadata of a scalar measure in :data:`METRICS`.

    Attributes
    ----------
    name : str
    func : callable
        ``func(y, risk, *, horizon=None, level=0.95, bootstrap=None, **options) -> Estimate``.
    kinds : tuple of str
        Outcome kinds supported.
    needs_horizon : bool
        Whether timed outcomes need ``horizon`` (binary outcomes never do).
    needs_probability : bool
        Whether ``risk`` must be a probability in [0, 1] (else any score).
    group : str
        ABCD group: "A", "B", "C", "D", "calibration (moderate)", "overall".
    higher_is_better : bool or None
        Direction (None when the ideal is a target value, e.g. slope 1).
    ideal : float or None
    """

    name: str
    func: Callable[..., Estimate]
    kinds: tuple[str, ...]
    needs_horizon: bool
    needs_probability: bool
    group: str
    higher_is_better: bool | None
    ideal: float | None = None

    def __call__(self, y: Any, risk: Any, **kwargs: Any) -> Estimate:
        return self.func(y, risk, **kwargs)


def _c_uno(y: Any, risk: Any, **kw: Any) -> Estimate:
    return concordance(y, risk, method="uno", **kw)


def _td_auc_def1(y: Any, risk: Any, **kw: Any) -> Estimate:
    return td_auc(y, risk, definition=1, **kw)


def _e(name: str) -> Callable[..., Estimate]:
    def f(y: Any, risk: Any, **kw: Any) -> Estimate:
        return getattr(calibration(y, risk, **kw), name)

    f.__name__ = name
    f.__doc__ = f"{name.upper()} of the flexible calibration curve (see calibration())."
    return f


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo("oe_ratio", oe_ratio, _ALL, True, True, "A", None, 1.0),
        MetricInfo("calibration_in_the_large", calibration_in_the_large, ("binary",), False,
                   True, "A", None, 0.0),
        MetricInfo("calibration_slope", calibration_slope, _ALL, True, True, "B", None, 1.0),
        MetricInfo("auc", auc, _ALL, True, False, "C", True),
        MetricInfo("c_harrell", concordance, _ALL, False, False, "C", True),
        MetricInfo("c_uno", _c_uno, _ALL, False, False, "C", True),
        MetricInfo("td_auc", td_auc, _TIMED, True, False, "C", True),
        MetricInfo("td_auc_def1", _td_auc_def1, ("competing",), True, False, "C", True),
        MetricInfo("brier", brier, _ALL, True, True, "overall", False, 0.0),
        MetricInfo("ipa", ipa, _ALL, True, True, "overall", True),
        MetricInfo("ici", ici, _ALL, True, True, "calibration (moderate)", False, 0.0),
        MetricInfo("e50", _e("e50"), _ALL, True, True, "calibration (moderate)", False, 0.0),
        MetricInfo("e90", _e("e90"), _ALL, True, True, "calibration (moderate)", False, 0.0),
        MetricInfo("emax", _e("emax"), _ALL, True, True, "calibration (moderate)", False, 0.0),
    ]
}
"""Registry of the scalar measures: name -> :class:`MetricInfo` (every one returns an
:class:`~irdp.metrics.Estimate` and accepts ``horizon``, ``level`` and ``bootstrap``)."""


def get_metric(name: str) -> MetricInfo:
    """Look a measure up in :data:`METRICS` (clear error for an unknown name)."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(
            f"unknown measure {name!r}; choose one of {sorted(METRICS)}."
        ) from None


def performance(
    y: Any,
    risk: Any,
    horizon: float | None = None,
    *,
    thresholds: Any = (0.1, 0.2, 0.3),
    level: float = 0.95,
    bootstrap: Any = None,
    smoother: str | None = None,
) -> pd.DataFrame:
    """The whole ABCD validation table as one tidy DataFrame.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risk : array-like of shape (n_samples,)
        Predicted probability of the event (of interest) by the horizon.
    horizon : float, optional
        Required for timed outcomes. Concordance is computed after administrative
        censoring at the horizon (McLernon et al.), Uno's C with ``tau=horizon``.
    thresholds : sequence of float, default=(0.1, 0.2, 0.3)
        Risk thresholds for the net-benefit rows (D).
    level : float, default=0.95
    bootstrap : int, dict or Bootstrap, optional
        Percentile intervals for every row (otherwise analytic where available).
    smoother : str, optional
        Calibration smoother (see :func:`irdp.metrics.calibration`).

    Returns
    -------
    pandas.DataFrame
        Columns ``group, measure, value, se, lower, upper, level, method, n, n_events,
        horizon``; one row per measure (net benefit: one row per threshold, with the
        treat-all value in ``method``).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.metrics import performance
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.02, 0.5, 300)
    >>> y = (rng.random(300) < p).astype(int)
    >>> tab = performance(y, p)
    >>> tab["measure"].tolist()[:4]
    ['oe_ratio', 'calibration_in_the_large', 'calibration_slope', 'intercept_joint_fit']
    """
    out, r, h = prepare(y, risk, horizon=horizon)
    kw: dict[str, Any] = {"level": level, "bootstrap": bootstrap}
    cal = calibration(out, r, horizon=h, smoother=smoother, **kw)
    rows: list[tuple[str, Estimate]] = []
    rows.append(("A", cal.oe))
    if cal.calibration_in_the_large is not None:
        rows.append(("A", cal.calibration_in_the_large))
    rows.append(("B", cal.slope))
    if cal.intercept_joint is not None:
        rows.append(("B", cal.intercept_joint))
    if isinstance(out, Binary):
        rows.append(("C", auc(out, r, **kw)))
    else:
        rows.append(("C", concordance(out, r, horizon=h, **kw)))
        rows.append(("C", concordance(out, r, horizon=h, method="uno", tau=h, **kw)))
        if isinstance(out, CompetingRisks):
            rows.append(("C", td_auc(out, r, h, definition=2, **kw)))
            rows.append(("C", td_auc(out, r, h, definition=1, **kw)))
        else:
            rows.append(("C", td_auc(out, r, h, **kw)))
    rows.append(("overall", brier(out, r, horizon=h, **kw)))
    rows.append(("overall", ipa(out, r, horizon=h, **kw)))
    for e in (cal.ici, cal.e50, cal.e90, cal.emax, cal.eci):
        rows.append(("calibration (moderate)", e))
    if cal.spiegelhalter is not None:
        rows.append(("calibration (moderate)", cal.spiegelhalter))
    frame = pd.DataFrame([{"group": g, **e.to_dict()} for g, e in rows])
    if thresholds is not None and len(np.atleast_1d(thresholds)):
        dc = net_benefit(out, r, thresholds, horizon=h, level=level, bootstrap=bootstrap)
        nb = dc.frame
        extra = pd.DataFrame({
            "group": "D",
            "measure": [f"net_benefit@{t:g}" for t in nb["threshold"]],
            "value": nb["net_benefit"].to_numpy(),
            "se": np.nan,
            "lower": nb["lower"].to_numpy() if "lower" in nb else np.nan,
            "upper": nb["upper"].to_numpy() if "upper" in nb else np.nan,
            "level": level,
            "method": [f"treat all: {v:.4g}" for v in nb["treat_all"]],
            "n": dc.n,
            "n_events": dc.n_events,
            "horizon": h,
        })
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame
