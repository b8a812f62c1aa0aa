"""Discrimination: AUC with DeLong inference, concordance, time-dependent AUC.

References
----------
.. [1] DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more
   correlated receiver operating characteristic curves: a nonparametric approach.
   Biometrics 1988;44:837-845.
.. [2] Harrell FE, Califf RM, Pryor DB, Lee KL, Rosati RA. Evaluating the yield of medical
   tests. JAMA 1982;247:2543-2546.
.. [3] Uno H, Cai T, Pencina MJ, D'Agostino RB, Wei LJ. On the C-statistics for evaluating
   overall adequacy of risk prediction procedures with censored survival data. Stat Med
   2011;30:1105-1117.
.. [4] Therneau T, Atkinson E. The concordance statistic (vignette of the R package
   survival), section on the infinitesimal jackknife variance.
.. [5] Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing time-dependent
   areas under receiver operating characteristic curves for censored event times with
   competing risks. Stat Med 2013;32:5381-5397.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from irdp._stats.concordance import auc_mann_whitney, harrell_sums, time_order
from irdp.exceptions import InsufficientDataError
from irdp.metrics._bootstrap import Bootstrap, apply_bootstrap, resampling
from irdp.metrics._context import outcome_cached
from irdp.metrics._estimate import Estimate, normal_estimate
from irdp.metrics._inputs import Outcome, prepare, rank_dense, require_kind
from irdp.metrics._ipcw import censoring_if_weighted, censoring_model
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["auc", "delong_test", "concordance", "td_auc", "roc_curve",
           "concordance_value", "td_auc_value", "auc_value"]


# --------------------------------------------------------------------------- binary AUC
def _placements(event: np.ndarray, risk: np.ndarray, r_all: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """DeLong structural components V10 (cases) and V01 (controls), via mid-ranks."""
    cases, controls = risk[event], risk[~event]
    n1, n0 = len(cases), len(controls)
    r_all = stats.rankdata(risk) if r_all is None else r_all
    r_case = stats.rankdata(cases)
    r_ctrl = stats.rankdata(controls)
    v10 = (r_all[event] - r_case) / n0
    v01 = 1.0 - (r_all[~event] - r_ctrl) / n1
    return v10, v01


def _check_both_classes(event: np.ndarray, what: str) -> None:
    n1 = int(event.sum())
    if n1 == 0 or n1 == len(event):
        kind = "no event" if n1 == 0 else "no non-event"
        raise InsufficientDataError(
            f"{what} needs both events and non-events; found {kind} among {len(event)} "
            "subjects. Check the outcome coding or the subgroup."
        )


def _auc_value(event: np.ndarray, risk: np.ndarray, r_all: np.ndarray | None = None
               ) -> float:
    """Mann-Whitney AUC from mid-ranks (ties count 1/2); the one formula of the binary AUC."""
    _check_both_classes(event, "auc")
    return auc_mann_whitney(event, risk, r_all)


def _auc_binary(event: np.ndarray, risk: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
    r_all = stats.rankdata(risk)
    value = _auc_value(event, risk, r_all)
    v10, v01 = _placements(event, risk, r_all)
    var = v10.var(ddof=1) / len(v10) if len(v10) > 1 else np.nan
    var = var + (v01.var(ddof=1) / len(v01) if len(v01) > 1 else np.nan)
    return value, float(np.sqrt(var)), v10, v01


def auc(
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
) -> Estimate:
    """Area under the ROC curve with DeLong standard error and Wald interval.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
        Outcome. For a timed outcome the cumulative/dynamic AUC at ``horizon`` is returned
        (same as :func:`td_auc` with its defaults).
    risk : array-like of shape (n_samples,)
        Predicted risk or any score where higher means riskier (not restricted to [0, 1]).
    horizon : float, optional
        Required for timed outcomes.
    level : float, default=0.95
        Confidence level.
    n_boot : int, optional
        Number of bootstrap replicates: replaces the analytic interval by a percentile
        bootstrap interval (and the SE by the bootstrap SE).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap; the same seed gives the same interval.
    n_jobs : int, default=1
        Workers for the bootstrap replicates; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask (see :func:`irdp.validation.bootstrap_validate`).
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.

    Returns
    -------
    Estimate
        ``value`` = Mann-Whitney AUC (ties count 1/2), ``se`` = DeLong SE, interval
        ``AUC ± z·SE`` clipped to [0, 1] as ``pROC::ci.auc``.

    Notes
    -----
    The direction is fixed (higher risk = case), unlike ``pROC``'s ``direction="auto"``.
    Does not accept sample weights.

    References
    ----------
    DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44:837, eq. (2)-(5).

    Examples
    --------
    >>> from irdp.metrics import auc
    >>> round(float(auc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7])), 4)
    0.8889
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon, probability=False)
    if not isinstance(out, Binary):
        return _td_auc(out, r, h, 2, level, settings)
    return _auc_estimate(out, r, h, level, settings)


def _auc_estimate(out: Binary, r: np.ndarray, h: float | None, level: float,
                  settings: Bootstrap | None, name: str = "auc") -> Estimate:
    value, se, _, _ = _auc_binary(out.event, r)
    est = normal_estimate(
        name, value, se, level, method="DeLong", clip=(0.0, 1.0), n=len(r),
        n_events=out.n_events, horizon=h,
    )
    return apply_bootstrap(est, settings, out, (r,), lambda yb, rb: _auc_value(yb.event, rb))


def auc_value(y: Outcome, risk: np.ndarray, horizon: float | None) -> float:
    """Value-only AUC (no variance): the same computation as :func:`auc`."""
    if isinstance(y, Binary):
        return _auc_value(y.event, risk)
    return td_auc_value(y, risk, horizon, 2)


def delong_test(
    y: Any,
    risk_a: Any,
    risk_b: Any,
    *,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
) -> Estimate:
    """DeLong test of two correlated AUCs (same subjects, two risk scores).

    Parameters
    ----------
    y : Binary or array-like of 0/1
    risk_a, risk_b : array-like of shape (n_samples,)
        The two scores (higher = riskier).
    level : float, default=0.95
    n_boot : int, optional
        Number of bootstrap replicates: a paired percentile interval for the difference (the z
        test stays DeLong's).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap; the same seed gives the same interval.
    n_jobs : int, default=1
        Workers for the bootstrap replicates; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask (see :func:`irdp.validation.bootstrap_validate`).
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.

    Returns
    -------
    Estimate
        ``value`` = AUC(a) − AUC(b) with its DeLong SE and Wald interval; ``details`` holds
        ``auc_a``, ``auc_b``, ``z``, ``p_value`` (two-sided) and ``correlation``. Matches
        ``pROC::roc.test(method="delong", paired=TRUE)``.

    References
    ----------
    DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44:837, section 3.

    Examples
    --------
    >>> from irdp.metrics import delong_test
    >>> res = delong_test([0, 0, 1, 1, 0, 1], [.1, .4, .35, .8, .2, .7], [.3, .2, .5, .6, .1, .4])
    >>> round(res.value, 4), round(res.details["p_value"], 4)
    (-0.1111, 0.4795)
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, ra, _ = prepare(y, risk_a, probability=False, need_horizon=False, name="risk_a")
    require_kind(out, ("binary",), "delong_test")
    _, rb, _ = prepare(out, risk_b, probability=False, name="risk_b")
    _check_both_classes(out.event, "delong_test")
    auc_a, _, v10a, v01a = _auc_binary(out.event, ra)
    auc_b, _, v10b, v01b = _auc_binary(out.event, rb)
    n1, n0 = len(v10a), len(v01a)
    s10 = np.cov(np.vstack([v10a, v10b]))
    s01 = np.cov(np.vstack([v01a, v01b]))
    s = s10 / n1 + s01 / n0
    diff = float(auc_a - auc_b)
    var = float(s[0, 0] + s[1, 1] - 2 * s[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    if se > 0:
        z = diff / se
    elif diff == 0:  # identical placements (e.g. identical scores): pROC reports Z = 0
        z = 0.0
    else:
        z = float("nan")
    p = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")
    est = normal_estimate(
        "auc_difference", diff, se, level, method="DeLong paired", n=len(ra),
        n_events=out.n_events,
    )
    est.details.update(
        auc_a=auc_a, auc_b=auc_b, z=z, p_value=p,
        correlation=(float(s[0, 1] / np.sqrt(s[0, 0] * s[1, 1]))
                     if s[0, 0] * s[1, 1] > 0 else float("nan")),
    )

    def diff_fn(yb: Outcome, a: np.ndarray, b: np.ndarray) -> float:
        return _auc_value(yb.event, a) - _auc_value(yb.event, b)

    return apply_bootstrap(est, settings, out, (ra, rb), diff_fn)


# --------------------------------------------------------------------------- concordance
def _pair_weights(time: np.ndarray, event: np.ndarray, method: str, tau: float | None
                  ) -> np.ndarray:
    """Weight of the pairs whose earlier member is each subject (0 for non-events)."""
    tw = event.astype(float)
    if tau is not None:
        tw = tw * (time <= tau)
    if method == "uno" and event.sum() >= 2:  # survival falls back to "n" below 2 events
        cens = censoring_model(time, event, events_leave_first=True)
        g = cens.at_rows(left=True)
        with np.errstate(divide="ignore"):
            tw = np.where(tw > 0, tw / np.where(g > 0, g, np.nan) ** 2, 0.0)
        if np.isnan(tw).any():
            raise InsufficientDataError(
                "Uno's weights are undefined: the censoring survival G reaches 0 before some "
                "event times. Give tau below the last follow-up time."
            )
    return tw


def _concordance_sums(time: np.ndarray, event: np.ndarray, risk: np.ndarray, method: str,
                      tau: float | None, with_se: bool,
                      order: np.ndarray | None = None
                      ) -> tuple[float, float, dict[str, float]]:
    """Harrell's or Uno's C, with its infinitesimal-jackknife SE when ``with_se``.

    Conventions as ``survival::concordance``: two events at the same time are not
    comparable; an event and a censoring at the same time are (the censored one is longer).
    The counts are those of :func:`irdp._stats.concordance.harrell_sums`.
    """
    tw = _pair_weights(time, event, method, tau)
    return harrell_sums(time, event, risk, tw, with_se, order)


def _concordance_core(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, method: str, tau: float | None
) -> tuple[float, float, dict[str, float]]:
    return _concordance_sums(time, event, risk, method, tau, True)


def concordance(
    y: Any,
    risk: Any,
    *,
    horizon: float | None = None,
    method: Literal["harrell", "uno"] = "harrell",
    tau: float | None = None,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
) -> Estimate:
    """Concordance index (Harrell or Uno) with the infinitesimal-jackknife SE.

    Parameters
    ----------
    y : Survival, CompetingRisks, Binary or array-like of 0/1
        Outcome. For competing risks the *cause-specific* C is computed (other causes
        censored, Wolbers' definition is not used). For a binary outcome C equals the AUC.
    risk : array-like of shape (n_samples,)
        Any score, higher = riskier (a linear predictor, a risk at a horizon, points).
    horizon : float, optional
        If given, follow-up is censored administratively at ``horizon`` first (the McLernon
        et al. recipe, ``survSplit(cut=horizon)``).
    method : {"harrell", "uno"}, default="harrell"
        ``"uno"`` weights each comparable pair by ``1/G(T_i-)^2`` (``timewt="n/G2"``),
        with ``G`` the censoring Kaplan-Meier of these data.
    tau : float, optional
        Only pairs whose earlier time is ``<= tau`` are compared (``ymax`` of survival).
    level : float, default=0.95
    n_boot : int, optional
        Number of bootstrap replicates: replaces the analytic interval by a percentile
        bootstrap interval (and the SE by the bootstrap SE).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap; the same seed gives the same interval.
    n_jobs : int, default=1
        Workers for the bootstrap replicates; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask (see :func:`irdp.validation.bootstrap_validate`).
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.

    Returns
    -------
    Estimate
        Wald interval ``C ± z·SE`` clipped to [0, 1]; ``details`` holds the weighted counts
        of concordant, discordant and tied-risk pairs. For a binary outcome C is the AUC,
        computed as :func:`auc` (DeLong SE, as ``pROC``).

    Notes
    -----
    Conventions of ``survival::concordance(..., reverse=TRUE)``: tied risks count 1/2,
    pairs of events at the same time are not comparable, an event and a censoring at the
    same time are comparable. The SE is the infinitesimal jackknife with the censoring
    weights held fixed. Computed in O(n log n) (vectorised radix dominance counts).

    References
    ----------
    Harrell et al. (1982) JAMA 247:2543; Uno et al. (2011) Stat Med 30:1105, eq. (3);
    Therneau & Atkinson, *The concordance statistic* (survival vignette).

    Examples
    --------
    >>> from irdp.outcomes import Survival
    >>> from irdp.metrics import concordance
    >>> y = Survival([1, 2, 3, 4, 5], [1, 1, 0, 1, 0])
    >>> round(float(concordance(y, [0.9, 0.5, 0.7, 0.2, 0.1])), 4)
    0.875
    """
    if method not in ("harrell", "uno"):
        raise ValueError(f"method must be 'harrell' or 'uno'; got {method!r}.")
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon, probability=False, need_horizon=False)
    tau = _check_tau(tau)
    if isinstance(out, Binary):
        return _auc_estimate(out, r, h, level, settings, name=f"c_{method}")

    def compute(yb: Outcome, rb: np.ndarray, with_se: bool = False
                ) -> tuple[float, float, dict[str, float]]:
        sb = _as_survival(yb, h)
        return _concordance_sums(sb.time, sb.event, rb, method, tau, with_se)

    value, se, counts = compute(out, r, True)
    est = normal_estimate(
        f"c_{method}", value, se, level, method="infinitesimal jackknife", clip=(0.0, 1.0),
        n=len(r), n_events=int(_as_survival(out, h).event.sum()), horizon=h,
    )
    est.details.update(counts)
    return apply_bootstrap(est, settings, out, (r,), lambda yb, rb: compute(yb, rb)[0])


def _check_tau(tau: Any) -> float | None:
    if tau is None:
        return None
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau must be a positive finite number; got {tau!r}.")
    return tau


def concordance_value(y: Outcome, risk: np.ndarray, horizon: float | None,
                      method: str = "harrell", tau: float | None = None) -> float:
    """Value-only C (no variance): the same computation as :func:`concordance`."""
    if isinstance(y, Binary):
        return _auc_value(y.event, risk)
    sb = _as_survival(y, horizon)
    order = outcome_cached(sb, "time_order", lambda: time_order(sb.time, sb.event))
    return _concordance_sums(sb.time, sb.event, risk, method, tau, False, order)[0]


def _as_survival(out: Outcome, horizon: float | None) -> Survival:
    return outcome_cached(out, ("as_survival", horizon), lambda: _to_survival(out, horizon))


def _to_survival(out: Outcome, horizon: float | None) -> Survival:
    if isinstance(out, Binary):
        # a binary outcome: events at time 0 before every non-event (C = AUC)
        return Survival(np.where(out.event, 0.0, 1.0), out.event)
    s = out.to_survival() if isinstance(out, CompetingRisks) else out
    return s.truncate(horizon) if horizon is not None else s


# --------------------------------------------------------------------------- td-AUC
def _td_auc_core(
    y: Survival | CompetingRisks, risk: np.ndarray, horizon: float, definition: int,
    with_se: bool = True, ipcw_se: str = "score",
) -> tuple[float, float, dict[str, Any]]:
    time = y.time
    any_event = y.cause != 0 if isinstance(y, CompetingRisks) else y.event
    event = y.event
    competing = y.competing if isinstance(y, CompetingRisks) else np.zeros(len(time), bool)
    cens = censoring_model(time, any_event, if_risk_set=ipcw_se)
    g_left = cens.at_rows(left=True)
    g_t = float(cens.at(horizon))
    n = len(time)
    is_case = event & (time <= horizon)
    is_ctrl1 = time > horizon
    is_ctrl2 = competing & (time <= horizon) if definition == 2 else np.zeros(n, bool)
    if not is_case.any():
        raise InsufficientDataError(
            f"td_auc needs at least one event of interest by the horizon {horizon:g}; found none "
            f"among {n} subjects. Choose a later horizon."
        )
    if not (is_ctrl1.any() or is_ctrl2.any()):
        raise InsufficientDataError(
            f"td_auc needs at least one control (event-free beyond the horizon {horizon:g}); "
            "found none. Choose an earlier horizon."
        )
    if g_t <= 0:
        raise InsufficientDataError(
            f"the censoring survival G is 0 at the horizon {horizon:g}; IPCW weights are "
            "undefined. Choose an earlier horizon."
        )
    with np.errstate(divide="ignore"):
        inv_left = np.where(is_case | is_ctrl2, 1.0 / g_left, 0.0)
    a = np.where(is_case, inv_left, 0.0)
    b = np.where(is_ctrl1, 1.0 / g_t, 0.0) + np.where(is_ctrl2, inv_left, 0.0)
    # weighted concordance of each case with the controls and vice versa, via risk ranks
    rank = rank_dense(risk)
    m = int(rank.max()) + 1
    b_rank = np.bincount(rank, weights=b, minlength=m)
    a_rank = np.bincount(rank, weights=a, minlength=m)
    cb = np.cumsum(b_rank) - b_rank  # controls with strictly lower risk
    ca = np.cumsum(a_rank[::-1])[::-1] - a_rank  # cases with strictly higher risk
    b_below = cb[rank] + 0.5 * b_rank[rank]  # sum_j b_j c(x_i, x_j)
    a_above = ca[rank] + 0.5 * a_rank[rank]  # sum_i a_i c(x_i, x_j)
    abar, bbar = a.mean(), b.mean()
    u = np.sum(a * b_below) / n**2
    value = float(u / (abar * bbar))
    details: dict[str, Any] = {
        "n_cases": int(is_case.sum()),
        "n_controls": int(is_ctrl1.sum() + is_ctrl2.sum()),
        "definition": definition,
    }
    if not with_se:
        return value, float("nan"), details
    # influence function with G known
    if_u = (a * b_below + b * a_above) / n - 2 * u
    infl = if_u / (abar * bbar) - value * ((a - abar) / abar + (b - bbar) / bbar)
    # contribution of the estimated censoring distribution
    psi_case = a * (b_below / n - value * bbar) / (abar * bbar)
    if definition == 2:
        psi_case = psi_case + np.where(is_ctrl2, b, 0.0) * (a_above / n - value * abar) / (
            abar * bbar)
    corr = -censoring_if_weighted(cens, cens.idx_left, psi_case)
    if definition == 2:
        # controls beyond the horizon share 1/G(t): their common factor no longer cancels
        psi_c1 = np.where(is_ctrl1, b, 0.0) * (a_above / n - value * abar) / (abar * bbar)
        h_idx = np.full(n, np.searchsorted(cens.jump_times, horizon, side="right"))
        corr -= censoring_if_weighted(cens, h_idx, psi_c1)
    infl = infl + corr / n
    se = float(np.std(infl, ddof=1) / np.sqrt(n))  # as riskRegression: sd(IF)/sqrt(n)
    return value, se, details


def td_auc(
    y: Any,
    risk: Any,
    horizon: float | None = None,
    *,
    definition: Literal[1, 2] = 2,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
    ipcw_se: str = "score",
) -> Estimate:
    """Cumulative/dynamic time-dependent AUC at ``horizon`` with IPCW.

    Cases: event of interest by the horizon, weight ``1/G(T_i-)``; controls: event-free
    beyond the horizon, weight ``1/G(t)``; for competing risks ``definition=2`` (default,
    riskRegression ``Score`` and timeROC ``AUC_2``) adds subjects with a competing event by
    the horizon as controls with weight ``1/G(T_j-)``, ``definition=1`` (``AUC_1``) uses
    event-free controls only. ``G`` is the censoring Kaplan-Meier of these data.

    Parameters
    ----------
    y : Survival or CompetingRisks
    risk : array-like of shape (n_samples,)
        Marker, higher = riskier (risk by the horizon or a linear predictor).
    horizon : float
        Time at which cases and controls are defined; must lie within follow-up. Use a
        value just below an administrative cut-off (e.g. 4.99 for 5 years) to count
        subjects followed exactly to the cut-off as controls.
    definition : {1, 2}, default=2
        Control definition for competing risks (ignored for survival).
    level : float, default=0.95
    n_boot : int, optional
        Number of bootstrap replicates: replaces the analytic interval by a percentile
        bootstrap interval (and the SE by the bootstrap SE).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap; the same seed gives the same interval.
    n_jobs : int, default=1
        Workers for the bootstrap replicates; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask (see :func:`irdp.validation.bootstrap_validate`).
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``.
    ipcw_se : {"score", "events_leave_first"}, default="score"
        Risk set of the censoring influence function when events and censorings share a
        time (:mod:`irdp.metrics._ipcw`; the value is the same, the SE differs).

    Returns
    -------
    Estimate
        SE from the influence function including the estimation of G (as
        ``timeROC(iid=TRUE)`` and ``riskRegression::Score``); Wald interval clipped to
        [0, 1].

    Notes
    -----
    Does not accept a censoring model with covariates (``cens.model="cox"``).

    References
    ----------
    Blanche, Dartigues & Jacqmin-Gadda (2013), Stat Med 32:5381, eq. (4)-(6) and appendix;
    Uno et al. (2007), JASA 102:527.

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.outcomes import Survival
    >>> from irdp.metrics import td_auc
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200)
    >>> t = rng.exponential(np.exp(-x)); c = rng.exponential(2, 200)
    >>> y = Survival(np.minimum(t, c), t <= c)
    >>> est = td_auc(y, x, horizon=1.0)
    >>> 0.6 < est.value < 0.9
    True
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon, probability=False)
    require_kind(out, ("survival", "competing"), "td_auc")
    if definition not in (1, 2):
        raise ValueError(f"definition must be 1 or 2; got {definition!r}.")
    return _td_auc(out, r, h, definition, level, settings, ipcw_se)


def _td_auc(out: Survival | CompetingRisks, r: np.ndarray, h: float, definition: int,
            level: float, settings: Bootstrap | None, ipcw_se: str = "score") -> Estimate:
    value, se, details = _td_auc_core(out, r, h, definition, ipcw_se=ipcw_se)
    name = "td_auc" if out.kind == "survival" else f"td_auc_def{definition}"
    est = normal_estimate(
        name, value, se, level, method="influence function (IPCW)", clip=(0.0, 1.0),
        n=len(r), n_events=details["n_cases"], horizon=h,
    )
    est.details.update(details)
    return apply_bootstrap(
        est, settings, out, (r,), lambda yb, rb: _td_auc_core(yb, rb, h, definition, False)[0]
    )


def td_auc_value(y: Survival | CompetingRisks, risk: np.ndarray, horizon: float,
                 definition: int = 2) -> float:
    """Value-only td-AUC (no influence function): the same computation as :func:`td_auc`."""
    return _td_auc_core(y, risk, horizon, definition, False)[0]


def roc_curve(y: Any, risk: Any, *, horizon: float | None = None, definition: int = 2
              ) -> pd.DataFrame:
    """ROC curve (IPCW-weighted for timed outcomes) as a DataFrame.

    Columns ``threshold``, ``fpr``, ``tpr``; one row per distinct risk value (flag when
    ``risk >= threshold``) plus the (0, 0) corner.

    Examples
    --------
    >>> from irdp.metrics import roc_curve
    >>> roc_curve([0, 1, 1], [0.2, 0.6, 0.9])["tpr"].tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    out, r, h = prepare(y, risk, horizon=horizon, probability=False)
    if isinstance(out, Binary):
        a = out.event.astype(float)
        b = 1.0 - a
    else:
        any_event = out.cause != 0 if isinstance(out, CompetingRisks) else out.event
        cens = censoring_model(out.time, any_event)
        g_left = cens.at(out.time, left=True)
        g_t = float(cens.at(h))
        competing = out.competing if isinstance(out, CompetingRisks) else False
        a = np.where(out.event & (out.time <= h), 1.0 / g_left, 0.0)
        b = np.where(out.time > h, 1.0 / g_t, 0.0)
        if definition == 2:
            b = b + np.where(competing & (out.time <= h), 1.0 / g_left, 0.0)
    order = np.argsort(-r, kind="stable")
    rs = r[order]
    tp = np.cumsum(a[order])
    fp = np.cumsum(b[order])
    last = np.append(rs[1:] != rs[:-1], True)
    tpr = np.concatenate(([0.0], tp[last] / max(a.sum(), 1e-300)))
    fpr = np.concatenate(([0.0], fp[last] / max(b.sum(), 1e-300)))
    thr = np.concatenate(([np.inf], rs[last]))
    return pd.DataFrame({"threshold": thr, "fpr": fpr, "tpr": tpr})
