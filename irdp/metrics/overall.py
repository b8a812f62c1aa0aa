"""Overall accuracy: Brier score (IPCW for timed outcomes) and the index of prediction accuracy.

References
----------
.. [1] Brier GW. Verification of forecasts expressed in terms of probability. Monthly
   Weather Review 1950;78:1-3.
.. [2] Graf E, Schmoor C, Sauerbrei W, Schumacher M. Assessment and comparison of
   prognostic classification schemes for survival data. Stat Med 1999;18:2529-2545.
.. [3] Gerds TA, Schumacher M. Consistent estimation of the expected Brier score in
   general survival models with right-censored event times. Biom J 2006;48:1029-1040.
.. [4] Kattan MW, Gerds TA. The index of prediction accuracy: an intuitive measure useful
   for evaluating risk prediction models. Diagn Progn Res 2018;2:7.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from irdp.exceptions import InsufficientDataError
from irdp.metrics._bootstrap import apply_bootstrap, resampling
from irdp.metrics._context import events_by_horizon
from irdp.metrics._estimate import Estimate, normal_estimate
from irdp.metrics._inputs import Outcome, prepare
from irdp.metrics._ipcw import censoring_if_weighted, censoring_model
from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import Binary, CompetingRisks

__all__ = ["brier", "ipa", "observed_risk", "brier_value", "ipa_value"]


def observed_risk(y: Outcome, horizon: float | None) -> float:
    """Marginal observed risk: prevalence, 1 - Kaplan-Meier(t) or Aalen-Johansen CIF(t)."""
    if isinstance(y, Binary):
        return float(y.y.mean())
    if isinstance(y, CompetingRisks):
        aj = aalen_johansen(y.time, y.cause)
        return float(aj.cif_at(horizon, cause=y.event_of_interest))
    return float(kaplan_meier(y.time, y.event).risk_at(horizon))


def _ipcw_status(y: Outcome, horizon: float | None, ipcw_se: str = "score"
                 ) -> tuple[np.ndarray, np.ndarray, Any]:
    """Status at the horizon and its IPCW weights (Graf 1999), with the censoring model.

    Binary: the 0/1 outcome with unit weights (no censoring model).
    """
    if isinstance(y, Binary):
        return y.y.astype(float), np.ones(len(y)), None
    time = y.time
    any_event = (y.cause != 0) if isinstance(y, CompetingRisks) else y.event
    cens = censoring_model(time, any_event, if_risk_set=ipcw_se)
    g_t = float(cens.at(horizon))
    if g_t <= 0:
        raise InsufficientDataError(
            f"the censoring survival G is 0 at the horizon {horizon:g}; IPCW weights are "
            "undefined. Choose an earlier horizon."
        )
    before = any_event & (time <= horizon)
    after = time > horizon
    g_left = cens.at_rows(left=True)
    w = np.where(before, 1.0 / np.where(before, g_left, 1.0), 0.0) + np.where(after, 1.0 / g_t, 0.0)
    outcome = (y.event & (time <= horizon)).astype(float)
    return outcome, w, cens


def _brier_terms(status: np.ndarray, weight: np.ndarray, risk: np.ndarray) -> np.ndarray:
    return (status - risk) ** 2 * weight


def _brier_parts(y: Outcome, risk: np.ndarray, horizon: float | None,
                 ipcw_se: str = "score") -> tuple[float, np.ndarray]:
    """Brier score and its influence function (IPCW with censoring term when timed)."""
    status, weight, cens = _ipcw_status(y, horizon, ipcw_se)
    r = _brier_terms(status, weight, risk)
    value = float(r.mean())
    if cens is None:
        return value, r - value
    n = len(r)
    h_idx = np.searchsorted(cens.jump_times, horizon, side="right")
    s_index = np.where(y.time > horizon, h_idx, cens.idx_left)
    corr = -censoring_if_weighted(cens, s_index, r) / n
    return value, r - value + corr


def brier_value(y: Outcome, risk: np.ndarray, horizon: float | None,
                status: tuple[np.ndarray, np.ndarray, Any] | None = None) -> float:
    """Value-only Brier score: the same computation as :func:`brier`, without the IF."""
    st, w, _ = _ipcw_status(y, horizon) if status is None else status
    return float(_brier_terms(st, w, risk).mean())


def ipa_value(y: Outcome, risk: np.ndarray, horizon: float | None,
              status: tuple[np.ndarray, np.ndarray, Any] | None = None,
              observed: float | None = None) -> float:
    """Value-only IPA: the same computation as :func:`ipa`, without the IF."""
    status = _ipcw_status(y, horizon) if status is None else status
    bs = brier_value(y, risk, horizon, status)
    obs = observed_risk(y, horizon) if observed is None else observed
    bs0 = brier_value(y, np.full(len(y), obs), horizon, status)
    return _ipa_from(bs, bs0)


def _ipa_from(bs: float, bs0: float) -> float:
    if bs0 <= 0:
        raise InsufficientDataError(
            "ipa is undefined: the Brier score of the null model is 0 (every subject has the "
            "same observed status). Check the outcome or the horizon."
        )
    return 1.0 - bs / bs0


def _null_risk(y: Outcome, horizon: float | None) -> np.ndarray:
    return np.full(len(y), observed_risk(y, horizon))


def brier(
    y: Any,
    risk: Any,
    *,
    horizon: float | None = None,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
    ipcw_se: str = "score",
) -> Estimate:
    """Brier score: mean squared difference between the observed status and the risk.

    For timed outcomes, the status at ``horizon`` is weighted by the inverse probability
    of censoring (Graf et al. 1999): events (of any cause) by the horizon get
    ``1/G(T_i-)``, subjects still event-free beyond it ``1/G(t)``, subjects censored
    before it 0. With competing risks a competing event by the horizon is a known
    non-event (status 0), as in ``riskRegression::Score``.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risk : array-like of shape (n_samples,)
        Predicted probability of the event (of interest) by the horizon, in [0, 1].
    horizon : float, optional
        Required for timed outcomes.
    level : float, default=0.95
    n_boot : int, optional
        Number of bootstrap replicates for a percentile interval (and bootstrap SE).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap.
    n_jobs : int, default=1
        Workers for the bootstrap; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask.
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.
    ipcw_se : {"score", "events_leave_first"}, default="score"
        Risk set of the censoring influence function when events and censorings share a
        time: ``riskRegression::Score``'s {T >= u} or the events-leave-first convention
        (:mod:`irdp.metrics._ipcw`; the values are the same, the SEs differ).

    Returns
    -------
    Estimate
        SE = sd(influence function)/sqrt(n), the influence function including the
        estimation of G (``riskRegression::Score(se.fit=TRUE)``, ``cens.model="km"``).

    Notes
    -----
    Takes *risks*, not survival probabilities (unlike ``sksurv.metrics.brier_score``).

    References
    ----------
    Graf et al. (1999), Stat Med 18:2529, eq. (6); Gerds & Schumacher (2006).

    Examples
    --------
    >>> from irdp.metrics import brier
    >>> round(float(brier([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.3])), 4)
    0.075
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon)
    value, infl = _brier_parts(out, r, h, ipcw_se)
    se = float(np.std(infl, ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan")
    est = normal_estimate("brier", value, se, level, method="influence function",
                          n=len(r), n_events=events_by_horizon(out, h), horizon=h)
    return apply_bootstrap(est, settings, out, (r,), lambda yb, rb: brier_value(yb, rb, h))


def _ipa_parts(y: Outcome, risk: np.ndarray, horizon: float | None, ipcw_se: str = "score"
               ) -> tuple[float, np.ndarray, float, float]:
    bs, if_bs = _brier_parts(y, risk, horizon, ipcw_se)
    bs0, if_bs0 = _brier_parts(y, _null_risk(y, horizon), horizon, ipcw_se)
    value = _ipa_from(bs, bs0)
    infl = -(if_bs / bs0 - bs * if_bs0 / bs0**2)
    return value, infl, bs, bs0


def ipa(
    y: Any,
    risk: Any,
    *,
    horizon: float | None = None,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
    ipcw_se: str = "score",
) -> Estimate:
    """Index of prediction accuracy, 1 - Brier(model)/Brier(null model).

    The null model predicts the marginal risk for everyone: the prevalence (binary), the
    Kaplan-Meier risk ``1 - S(t)`` (survival) or the Aalen-Johansen cumulative incidence
    (competing risks), estimated on the same data. For binary outcomes it equals the
    scaled Brier score and ``sklearn.metrics.d2_brier_score``.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risk : array-like of shape (n_samples,)
        Predicted probability by the horizon, in [0, 1].
    horizon : float, optional
        Required for timed outcomes.
    level : float, default=0.95
    n_boot : int, optional
        Number of bootstrap replicates for a percentile interval (and bootstrap SE).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap.
    n_jobs : int, default=1
        Workers for the bootstrap; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask.
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.
    ipcw_se : {"score", "events_leave_first"}, default="score"
        Risk set of the censoring influence function (as :func:`brier`).

    Returns
    -------
    Estimate
        SE by the delta method on the two Brier influence functions (the null-model risk
        treated as fixed); ``details`` holds both Brier scores.

    References
    ----------
    Kattan & Gerds (2018), Diagn Progn Res 2:7.

    Examples
    --------
    >>> from irdp.metrics import ipa
    >>> round(float(ipa([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.3])), 4)
    0.7
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon)
    value, infl, bs, bs0 = _ipa_parts(out, r, h, ipcw_se)
    se = float(np.std(infl, ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan")
    est = normal_estimate("ipa", value, se, level, method="delta method (influence function)",
                          n=len(r), n_events=events_by_horizon(out, h), horizon=h)
    est.details.update(brier=bs, brier_null=bs0)
    return apply_bootstrap(est, settings, out, (r,), lambda yb, rb: ipa_value(yb, rb, h))
