"""Classification at risk thresholds (or at the boundaries of risk levels), censoring-aware.

For timed outcomes the status at the horizon is weighted by the inverse probability of
censoring (cases ``1/G(T_i-)``, event-free beyond the horizon ``1/G(t)``, competing
events by the horizon are non-events with ``1/G(T_i-)``; subjects censored before the
horizon get 0), so that sensitivity, specificity, PPV and NPV are consistent under
independent censoring (Uno et al. 2007; Blanche et al. 2013).

References
----------
.. [1] Uno H, Cai T, Tian L, Wei LJ. Evaluating prediction rules for t-year survivors with
   censored regression models. JASA 2007;102:527-537.
.. [2] Wilson EB. Probable inference, the law of succession, and statistical inference.
   JASA 1927;22:209-212 (intervals for binary outcomes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import InsufficientDataError
from irdp.metrics._bootstrap import bootstrap_values, interval_from_values, resampling
from irdp.metrics._estimate import z_value
from irdp.metrics._inputs import Outcome, prepare
from irdp.metrics._ipcw import censoring_model
from irdp.outcomes import Binary, CompetingRisks

__all__ = ["classification", "status_weights"]

_MEASURES = ["sensitivity", "specificity", "ppv", "npv", "share_flagged"]


def status_weights(y: Outcome, horizon: float | None) -> tuple[np.ndarray, np.ndarray]:
    """IPCW weights of being a case (event of interest by the horizon) and a non-case.

    Binary outcomes get 0/1 weights. Subjects censored before the horizon get 0 in both.
    """
    if isinstance(y, Binary):
        e = y.event.astype(float)
        return e, 1.0 - e
    any_event = (y.cause != 0) if isinstance(y, CompetingRisks) else y.event
    cens = censoring_model(y.time, any_event)
    g_t = float(cens.at(horizon))
    if g_t <= 0:
        raise InsufficientDataError(
            f"the censoring survival G is 0 at the horizon {horizon:g}; IPCW weights are "
            "undefined. Choose an earlier horizon."
        )
    g_left = cens.at_rows(left=True)
    before = y.time <= horizon
    a = np.where(y.event & before, 1.0 / g_left, 0.0)
    b = np.where(y.time > horizon, 1.0 / g_t, 0.0)
    if isinstance(y, CompetingRisks):
        b = b + np.where(y.competing & before, 1.0 / g_left, 0.0)
    return a, b


def _table(a: np.ndarray, b: np.ndarray, r: np.ndarray, thr: np.ndarray) -> np.ndarray:
    out = np.empty((len(thr), 5))
    sa, sb = a.sum(), b.sum()
    for i, c in enumerate(thr):
        flag = r >= c
        tp, fp = a[flag].sum(), b[flag].sum()
        fn, tn = sa - tp, sb - fp
        with np.errstate(divide="ignore", invalid="ignore"):
            out[i] = [tp / sa, tn / sb, tp / (tp + fp), tn / (tn + fn), flag.mean()]
    return out


def _wilson(k: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        den = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return centre - half, centre + half


def classification(
    y: Any,
    risk: Any,
    thresholds: Any,
    *,
    horizon: float | None = None,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
) -> pd.DataFrame:
    """Sensitivity, specificity, PPV, NPV and share flagged at each threshold.

    A subject is flagged when ``risk >= threshold``. To classify by the three IRDP risk
    levels, pass the level boundaries (e.g. ``[0.1, 0.3]``): each row then describes
    "at least this level" versus below it.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risk : array-like of shape (n_samples,)
        Any score (higher = riskier); thresholds are on the same scale.
    thresholds : float or array-like of float
    horizon : float, optional
        Required for timed outcomes.
    level : float, default=0.95
    n_boot : int, optional
        Number of bootstrap replicates for percentile intervals.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap; the same seed gives the same intervals.
    n_jobs : int, default=1
        Workers for the bootstrap; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask.
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.

    Returns
    -------
    pandas.DataFrame
        Tidy: one row per threshold and measure, columns ``threshold, measure, value,
        lower, upper, n_flagged``. Binary outcomes without bootstrap get Wilson intervals.

    Examples
    --------
    >>> from irdp.metrics import classification
    >>> t = classification([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.5], [0.45])
    >>> t.set_index("measure")["value"].round(3).to_dict()
    {'sensitivity': 0.5, 'specificity': 0.5, 'ppv': 0.5, 'npv': 0.5, 'share_flagged': 0.5}
    """
    out, r, h = prepare(y, risk, horizon=horizon, probability=False)
    thr = np.atleast_1d(np.asarray(thresholds, dtype=float))
    if thr.size == 0 or not np.isfinite(thr).all():
        raise ValueError("thresholds must be a non-empty list of finite numbers.")
    a, b = status_weights(out, h)
    if a.sum() == 0 or b.sum() == 0:
        raise InsufficientDataError(
            "classification needs both cases and non-cases at the horizon; found "
            f"{int((a > 0).sum())} cases and {int((b > 0).sum())} non-cases."
        )
    vals = _table(a, b, r, thr)
    lower = np.full_like(vals, np.nan)
    upper = np.full_like(vals, np.nan)
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    if settings is not None:

        def stat(rows: np.ndarray) -> np.ndarray:
            ab, bb = status_weights(out.take(rows), h)
            return _table(ab, bb, r[rows], thr).ravel()

        bv = bootstrap_values(stat, len(r), settings)
        lo, up, _ = interval_from_values(bv, level)
        lower, upper = lo.reshape(vals.shape), up.reshape(vals.shape)
    elif isinstance(out, Binary):
        z = z_value(level)
        for i, c in enumerate(thr):
            flag = r >= c
            tp, fp = a[flag].sum(), b[flag].sum()
            fn, tn = a.sum() - tp, b.sum() - fp
            k = np.array([tp, tn, tp, tn, flag.sum()])
            n = np.array([tp + fn, tn + fp, tp + fp, tn + fn, len(r)])
            lower[i], upper[i] = _wilson(k, n, z)
    rows = []
    for i, c in enumerate(thr):
        n_flag = int((r >= c).sum())
        for j, m in enumerate(_MEASURES):
            rows.append((float(c), m, vals[i, j], lower[i, j], upper[i, j], n_flag))
    return pd.DataFrame(rows, columns=["threshold", "measure", "value", "lower", "upper",
                                       "n_flagged"])
