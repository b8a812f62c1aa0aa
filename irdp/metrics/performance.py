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

from typing import Any

import numpy as np
import pandas as pd

from irdp.metrics._bootstrap import Resolved, resampling
from irdp.metrics._estimate import Estimate
from irdp.metrics._inputs import prepare
from irdp.metrics._registry import METRICS, MetricInfo, get_metric
from irdp.metrics.calibration import calibration
from irdp.metrics.discrimination import auc, concordance, td_auc
from irdp.metrics.overall import brier, ipa
from irdp.metrics.utility import incidence_thresholds, net_benefit
from irdp.outcomes import Binary, CompetingRisks

__all__ = ["MetricInfo", "METRICS", "get_metric", "performance"]  # registry re-exported


def performance(
    y: Any,
    risk: Any,
    horizon: float | None = None,
    *,
    thresholds: Any = None,
    level: float = 0.95,
    smoother: str | None = None,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
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
    thresholds : sequence of float, optional
        Risk thresholds for the net-benefit rows (D). Default: derived from the outcome's
        incidence at the horizon (observed risk ``pi``: ``0.5 pi, pi, 2 pi, 3 pi``,
        rounded to 2 significant digits; see :func:`incidence_thresholds`), so that a rare
        outcome gets thresholds where the decision is made; how they were derived is in
        the ``method`` column of those rows and in ``frame.attrs["thresholds"]``. An empty
        sequence leaves the D rows out.
    level : float, default=0.95
    smoother : str, optional
        Calibration smoother (see :func:`irdp.metrics.calibration`).
    n_boot : int, optional
        Percentile bootstrap intervals for every row (otherwise analytic where available).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap.
    n_jobs : int, default=1
        Workers for the bootstrap; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the bootstrap replicates on Dask.
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, measure, value, se, lower, upper, level, method, n, n_events,
        horizon``; one row per measure, named as in :data:`METRICS` (net benefit: one row
        per threshold, with the treat-all value in ``method``). ``n_events`` counts the
        events of interest by the horizon in every row.

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
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon)
    kw: dict[str, Any] = {"level": level, "bootstrap": Resolved(settings)}
    rows = _abcd_rows(out, r, h, smoother, kw)
    frame = pd.DataFrame([{"group": g, **e.to_dict()} for g, e in rows])
    how = "given"
    if thresholds is None:
        derived = incidence_thresholds(out, h)
        thresholds, how = derived.thresholds, derived.description
    if len(np.atleast_1d(thresholds)):
        frame = pd.concat([frame, _nb_rows(out, r, h, thresholds, level, settings, how)],
                          ignore_index=True)
    frame.attrs["thresholds"] = how
    return frame


def _abcd_rows(out: Any, r: np.ndarray, h: float | None, smoother: str | None,
               kw: dict[str, Any]) -> list[tuple[str, Estimate]]:
    cal = calibration(out, r, horizon=h, smoother=smoother, **kw)
    rows: list[tuple[str, Estimate]] = [("A", cal.oe)]
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
    return rows


def _nb_rows(out: Any, r: np.ndarray, h: float | None, thresholds: Any, level: float,
             settings: Any, how: str) -> pd.DataFrame:
    dc = net_benefit(out, r, thresholds, horizon=h, level=level, bootstrap=Resolved(settings))
    nb = dc.frame
    return pd.DataFrame({
        "group": "D",
        "measure": [f"net_benefit@{t:g}" for t in nb["threshold"]],
        "value": nb["net_benefit"].to_numpy(),
        "se": np.nan,
        "lower": nb["lower"].to_numpy() if "lower" in nb else np.nan,
        "upper": nb["upper"].to_numpy() if "upper" in nb else np.nan,
        "level": level,
        "method": [f"treat all: {v:.4g}; thresholds {how}" for v in nb["treat_all"]],
        "n": dc.n,
        "n_events": dc.n_events,
        "horizon": h,
    })
