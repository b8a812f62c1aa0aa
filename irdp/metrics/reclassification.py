"""Reclassification measures NRI and IDI (secondary measures).

These compare a new index with an old one on the same subjects. They are reported as
*secondary*: the NRI depends on arbitrary categories, is not a proper scoring rule and can
reward miscalibrated models (Pepe et al. 2015; Kerr et al. 2014); prefer differences in
AUC/C, Brier/IPA, calibration and net benefit. For timed outcomes the status at the
horizon is IPCW-weighted (cases ``1/G(T-)``, non-cases ``1/G(t)``), and intervals come
from the bootstrap only.

References
----------
.. [1] Pencina MJ, D'Agostino RB Sr, D'Agostino RB Jr, Vasan RS. Evaluating the added
   predictive ability of a new marker: from area under the ROC curve to reclassification
   and beyond. Stat Med 2008;27:157-172.
.. [2] Pencina MJ, D'Agostino RB Sr, Steyerberg EW. Extensions of net reclassification
   improvement calculations to measure usefulness of new biomarkers. Stat Med
   2011;30:11-21 (continuous NRI).
.. [3] Kerr KF, Wang Z, Janes H, et al. Net reclassification indices for evaluating risk
   prediction instruments: a critical review. Epidemiology 2014;25:114-121.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from irdp.exceptions import InsufficientDataError
from irdp.metrics._bootstrap import apply_bootstrap, resampling
from irdp.metrics._estimate import Estimate, normal_estimate
from irdp.metrics._inputs import prepare
from irdp.metrics.classification import status_weights
from irdp.outcomes import Binary

__all__ = ["nri", "idi"]


def _nri_parts(a: np.ndarray, b: np.ndarray, old: np.ndarray, new: np.ndarray,
               cuts: np.ndarray | None) -> tuple[float, float, float, float]:
    if cuts is None:
        up, down = new > old, new < old
    else:
        c_old = np.searchsorted(cuts, old, side="right")
        c_new = np.searchsorted(cuts, new, side="right")
        up, down = c_new > c_old, c_new < c_old
    sa, sb = a.sum(), b.sum()
    pu_e, pd_e = a[up].sum() / sa, a[down].sum() / sa
    pu_n, pd_n = b[up].sum() / sb, b[down].sum() / sb
    return pu_e, pd_e, pu_n, pd_n


def nri(
    y: Any,
    risk_old: Any,
    risk_new: Any,
    *,
    thresholds: Any = None,
    horizon: float | None = None,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
) -> Estimate:
    """Net reclassification improvement of ``risk_new`` over ``risk_old`` (secondary).

    NRI = [P(up | event) - P(down | event)] + [P(down | non-event) - P(up | non-event)].
    With ``thresholds`` (category boundaries, e.g. the risk-level cut-offs) "up" means a
    higher category; without, any increase counts (continuous NRI).

    Returns
    -------
    Estimate
        ``details`` holds ``nri_events`` and ``nri_nonevents``. SE (binary outcomes):
        Pencina et al. (2008), eq. (11); timed outcomes: bootstrap only.

    Examples
    --------
    >>> from irdp.metrics import nri
    >>> round(nri([0, 1, 1, 0], [0.2, 0.5, 0.5, 0.4], [0.1, 0.6, 0.7, 0.5]).value, 3)
    1.0
    """
    out, ro, h = prepare(y, risk_old, horizon=horizon, name="risk_old")
    _, rn, _ = prepare(out, risk_new, horizon=h, name="risk_new")
    cuts = None if thresholds is None else np.sort(np.atleast_1d(np.asarray(thresholds, float)))

    def compute(yb: Any, o: np.ndarray, nw: np.ndarray) -> tuple[float, float, float, float]:
        a, b = status_weights(yb, h)
        if a.sum() == 0 or b.sum() == 0:
            raise InsufficientDataError("nri needs both events and non-events.")
        return _nri_parts(a, b, o, nw, cuts)

    pu_e, pd_e, pu_n, pd_n = compute(out, ro, rn)
    value = (pu_e - pd_e) + (pd_n - pu_n)
    if isinstance(out, Binary):
        n_e, n_n = out.y.sum(), len(out.y) - out.y.sum()
        var = ((pu_e + pd_e - (pu_e - pd_e) ** 2) / n_e
               + (pu_n + pd_n - (pu_n - pd_n) ** 2) / n_n)
        se = float(np.sqrt(var))
        method = "Pencina (2008) asymptotic"
    else:
        se, method = float("nan"), "no analytic SE for timed outcomes (use n_boot=)"
    est = normal_estimate("nri" if cuts is not None else "nri_continuous", value, se, level,
                          method=method, n=len(ro), n_events=out.n_events, horizon=h)
    est.details.update(nri_events=pu_e - pd_e, nri_nonevents=pd_n - pu_n)

    def fn(yb: Any, o: np.ndarray, nw: np.ndarray) -> float:
        u_e, d_e, u_n, d_n = compute(yb, o, nw)
        return (u_e - d_e) + (d_n - u_n)

    return apply_bootstrap(est, resampling(n_boot, seed, n_jobs, scheduler, bootstrap), out,
                           (ro, rn), fn)


def _idi_parts(a: np.ndarray, b: np.ndarray, old: np.ndarray, new: np.ndarray) -> float:
    diff = new - old
    return float(np.sum(a * diff) / a.sum() - np.sum(b * diff) / b.sum())


def idi(
    y: Any,
    risk_old: Any,
    risk_new: Any,
    *,
    horizon: float | None = None,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
) -> Estimate:
    """Integrated discrimination improvement (secondary measure).

    IDI = (mean new - mean old | events) - (mean new - mean old | non-events): the change
    in discrimination slope.

    Returns
    -------
    Estimate
        SE (binary outcomes) from Pencina et al. (2008), eq. (9); timed outcomes:
        bootstrap only.

    Examples
    --------
    >>> from irdp.metrics import idi
    >>> round(idi([0, 1, 1, 0], [0.2, 0.5, 0.5, 0.4], [0.1, 0.6, 0.7, 0.5]).value, 3)
    0.15
    """
    out, ro, h = prepare(y, risk_old, horizon=horizon, name="risk_old")
    _, rn, _ = prepare(out, risk_new, horizon=h, name="risk_new")

    def fn(yb: Any, o: np.ndarray, nw: np.ndarray) -> float:
        a, b = status_weights(yb, h)
        if a.sum() == 0 or b.sum() == 0:
            raise InsufficientDataError("idi needs both events and non-events.")
        return _idi_parts(a, b, o, nw)

    value = fn(out, ro, rn)
    if isinstance(out, Binary):
        d = rn - ro
        de, dn = d[out.event], d[~out.event]
        se = float(np.sqrt(de.var(ddof=1) / len(de) + dn.var(ddof=1) / len(dn)))
        method = "Pencina (2008) asymptotic"
    else:
        se, method = float("nan"), "no analytic SE for timed outcomes (use n_boot=)"
    est = normal_estimate("idi", value, se, level, method=method, n=len(ro),
                          n_events=out.n_events, horizon=h)
    return apply_bootstrap(est, resampling(n_boot, seed, n_jobs, scheduler, bootstrap), out,
                           (ro, rn), fn)
