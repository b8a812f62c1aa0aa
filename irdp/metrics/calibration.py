"""Calibration: the whole hierarchy of Van Calster et al. (2016) for binary, survival and
competing-risk outcomes.

- *mean*: observed/expected ratio (prevalence, Kaplan-Meier or Aalen-Johansen observed
  risk) and, for binary outcomes, calibration-in-the-large (offset logistic fit);
- *weak*: calibration slope (logistic on ``logit(p)``; Cox on ``cll(p)`` for survival;
  Fine-Gray on ``cll(p)`` for competing risks) and, for binary outcomes, the rms
  ``val.prob`` joint intercept (labelled as such: it is *not* calibration-in-the-large);
- *moderate*: a flexible calibration curve with pointwise confidence band and the
  E-statistics ICI (= Eavg), E50, E90, Emax and ECI; Spiegelhalter's z for binary outcomes.

References
----------
.. [1] Van Calster B, Nieboer D, Vergouwe Y, De Cock B, Pencina MJ, Steyerberg EW. A
   calibration hierarchy for risk models was defined: from utopia to empirical data.
   J Clin Epidemiol 2016;74:167-176.
.. [2] Austin PC, Steyerberg EW. The Integrated Calibration Index (ICI) and related metrics
   for quantifying the calibration of logistic regression models. Stat Med
   2019;38:4051-4065.
.. [3] Austin PC, Harrell FE, van Klaveren D. Graphical calibration curves and the
   integrated calibration index (ICI) for survival models. Stat Med 2020;39:2714-2742.
.. [4] McLernon DJ, Giardiello D, Van Calster B, et al. Assessing performance and clinical
   usefulness in prediction models with survival outcomes: practical guidance for Cox
   proportional hazards models. Ann Intern Med 2023;176:105-114.
.. [5] van Geloven N, Giardiello D, Bonneville EF, et al. Validation of prediction models in
   the presence of competing risks: a guide through modern methods. BMJ 2022;377:e069249.
.. [6] Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and
   meta-analysis of prediction model performance. BMJ 2017;356:i6460.
.. [7] Spiegelhalter DJ. Probabilistic prediction in patient management and clinical
   trials. Stat Med 1986;5:421-433.
.. [8] Van Hoorde K, Van Huffel S, Timmerman D, Bourne T, Van Calster B. A spline-based tool
   to assess and visualize the calibration of multiclass risk predictions. J Biomed
   Inform 2015;54:283-293 (ECI).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from irdp._stats import cox as cox_engine
from irdp._stats.splines import rcs_basis
from irdp._stats.splines import rcs_knots as _stats_rcs_knots
from irdp.exceptions import InsufficientDataError, UndefinedMetricWarning
from irdp.metrics._bootstrap import (
    Bootstrap,
    apply_bootstrap,
    bootstrap_values,
    interval_from_values,
    resampling,
)
from irdp.metrics._context import outcome_cached, truncated
from irdp.metrics._cox import cox_fit
from irdp.metrics._estimate import Estimate, normal_estimate, z_value
from irdp.metrics._inputs import Outcome, prepare
from irdp.metrics._logistic import logistic_fit
from irdp.metrics._smoothers import loess, lowess
from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = [
    "CalibrationResult",
    "calibration",
    "oe_ratio",
    "calibration_slope",
    "calibration_in_the_large",
    "ici",
    "rcs_knots",
    "aalen_johansen_variance",
    "oe_value",
    "citl_value",
    "slope_value",
    "curve_at_rows",
    "curve_on_grid",
    "e_values",
]

Smoother = Literal["loess", "lowess", "cox_rcs", "fine_gray_rcs"]
_EPS = 1e-12


# --------------------------------------------------------------------------- helpers
def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _cll(p: np.ndarray) -> np.ndarray:
    return np.log(-np.log1p(-p))


def rcs_knots(x: np.ndarray, nk: int = 3) -> np.ndarray:
    """Knots of ``rms::rcspline.eval(x, nk=3)`` (:func:`irdp._stats.splines.rcs_knots`)."""
    if nk != 3:
        raise ValueError(f"only 3 knots are implemented (McLernon et al.); got nk={nk}.")
    return _stats_rcs_knots(x, nk, few_values="interior")


def _rcs_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Design ``[x, spline term]`` of ``rms::rcs(x, 3)`` (norm = 2)."""
    return rcs_basis(x, knots)


def aalen_johansen_variance(y: CompetingRisks, horizon: float) -> tuple[float, float]:
    """Cumulative incidence of the event of interest at ``horizon`` and its variance.

    Delta-method (Greenwood-type) variance of the Aalen-Johansen estimator
    (Marubini & Valsecchi 1995, eq. 10.10; Choudhury 2002).
    """
    aj = aalen_johansen(y.time, y.cause)
    k = y.event_of_interest
    f_t = float(aj.cif_at(horizon, cause=k))
    keep = aj.times <= horizon
    if k not in aj.causes or not keep.any():
        return f_t, 0.0
    j = aj.causes.index(k)
    n = aj.n_at_risk[keep]
    d1 = aj.n_events[keep, j]
    d = aj.n_events[keep].sum(axis=1)
    s_left = np.concatenate(([1.0], aj.survival[:-1]))[keep]
    f_j = aj.cif[keep, j]
    diff = f_t - f_j
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(n - d > 0, diff**2 * d / (n * (n - d)), 0.0)
    t2 = s_left**2 * d1 * (n - d1) / n**3
    t3 = -2 * diff * s_left * d1 / n**2
    return f_t, float(np.sum(t1 + t2 + t3))


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class CalibrationResult:
    """The calibration hierarchy of one index on one outcome.

    Attributes
    ----------
    kind : {"binary", "survival", "competing"}
    horizon : float or None
    observed, expected : float
        Observed risk (prevalence, 1 - KM(t) or AJ CIF(t)) and mean predicted risk.
    oe : Estimate
        Observed/expected ratio, log-scale interval.
    calibration_in_the_large : Estimate or None
        Binary: intercept of ``glm(y ~ 1, offset = logit(p))`` (ideal 0).
    slope : Estimate
        Calibration slope (ideal 1): logistic on logit(p), Cox on cll(p) (survival) or
        Fine-Gray on cll(p) (competing risks).
    intercept_joint : Estimate or None
        Binary: intercept *of the joint fit* ``glm(y ~ logit(p))``, the "Intercept" printed by
        ``rms::val.prob``; not calibration-in-the-large.
    spiegelhalter : Estimate or None
        Binary: Spiegelhalter's z (``details["p_value"]``).
    ici, e50, e90, emax, eci : Estimate
        E-statistics of ``|p - p_c(p)|`` over the rows. ECI = mean squared difference
        (Van Hoorde 2015); CalibrationCurves prints 100 x ECI.
    curve : pandas.DataFrame
        ``predicted, observed, lower, upper`` on a grid of predicted risks (pointwise CI).
    smoother : str
        Description of the flexible curve and its settings.
    n, n_events : int
    histogram : pandas.DataFrame
        Counts of predicted risks in 50 bins of width 0.02 (``left, right, count``), for
        the distribution drawn under the calibration plot (small bins are suppressed
        there, see :meth:`plot`).
    """

    kind: str
    horizon: float | None
    observed: float
    expected: float
    oe: Estimate
    calibration_in_the_large: Estimate | None
    slope: Estimate
    intercept_joint: Estimate | None
    spiegelhalter: Estimate | None
    ici: Estimate
    e50: Estimate
    e90: Estimate
    emax: Estimate
    eci: Estimate
    curve: pd.DataFrame = field(repr=False)
    smoother: str = ""
    n: int = -1
    n_events: int = -1
    histogram: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def estimates(self) -> list[Estimate]:
        """All scalar results, in hierarchy order (absent ones skipped)."""
        items = [self.oe, self.calibration_in_the_large, self.slope, self.intercept_joint,
                 self.spiegelhalter, self.ici, self.e50, self.e90, self.emax, self.eci]
        return [e for e in items if e is not None]

    def to_frame(self) -> pd.DataFrame:
        """One tidy row per measure (measure, value, se, lower, upper, ...)."""
        return pd.DataFrame([e.to_dict() for e in self.estimates()])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Calibration plot; returns the figure (it renders inline in Jupyter).

        Drawn by the display registered for this result (``CalibrationDisplay``; keywords
        ``label``, ``min_count``, ``time_unit``); ``figure.display_.to_frame()`` gives the
        coordinates drawn.
        """
        from irdp._display_registry import draw

        return draw(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        def f(e: Estimate | None) -> str:
            return "nan" if e is None else f"{e.value:.3g}"

        h = "" if self.horizon is None else f", horizon={self.horizon:g}"
        return (f"CalibrationResult({self.kind}{h}, O/E={f(self.oe)}, "
                f"CITL={f(self.calibration_in_the_large)}, slope={f(self.slope)}, "
                f"ICI={f(self.ici)}, E50={f(self.e50)}, E90={f(self.e90)}, "
                f"Emax={f(self.emax)})")


# --------------------------------------------------------------------------- mean
def _observed(out: Outcome, h: float | None) -> tuple[float, float, int]:
    """Observed risk, its variance (binomial, Greenwood or Aalen-Johansen) and the events."""
    if isinstance(out, Binary):
        n_ev = int(out.y.sum())
        observed = n_ev / len(out)
        return observed, observed * (1 - observed) / len(out), n_ev
    n_ev = int(np.count_nonzero(out.event & (out.time <= h)))
    if isinstance(out, CompetingRisks):
        observed, var_obs = aalen_johansen_variance(out, h)
        return observed, var_obs, n_ev
    km = kaplan_meier(out.time, out.event)
    return float(km.risk_at(h)), float(km.variance_at(h)), n_ev


def _oe_from(observed: float, expected: float) -> float:
    if expected <= 0:
        raise InsufficientDataError(
            "oe_ratio is undefined: every predicted risk is 0 (expected risk 0)."
        )
    return observed / expected


def oe_value(y: Outcome, r: np.ndarray, h: float | None, observed: float | None = None
             ) -> float:
    """Value-only O/E: the same computation as :func:`oe_ratio`."""
    obs = _observed(y, h)[0] if observed is None else observed
    return _oe_from(obs, float(r.mean()))


def _oe(out: Outcome, r: np.ndarray, h: float | None, level: float,
        interval: str = "greenwood") -> tuple[Estimate, float]:
    if interval not in ("greenwood", "poisson"):
        raise ValueError(f"oe_interval must be 'greenwood' or 'poisson'; got {interval!r}.")
    expected = float(r.mean())
    observed, var_obs, n_ev = _observed(out, h)
    value = _oe_from(observed, expected)
    poisson = "log-scale Wald, var(log O/E) = 1/events (McLernon 2023)"
    if interval == "poisson":
        se_log = np.sqrt(1.0 / n_ev) if n_ev > 0 else np.nan
        method = poisson
    elif observed >= 1.0 or var_obs <= 0:
        # the observed risk is 1 (every subject had the event by the horizon, or the
        # Kaplan-Meier reached 0): its variance is degenerate and would give a zero-width
        # interval; the count of events still measures the precision
        se_log = np.sqrt(1.0 / n_ev) if n_ev > 0 else np.nan
        method = (poisson + "; the variance of the observed risk is 0 (observed risk "
                  f"{observed:.4g}), so the events-based variance is used")
    else:
        se_log = np.sqrt(var_obs) / observed if observed > 0 else np.nan
        what = {"binary": "binomial", "survival": "Greenwood",
                "competing": "Aalen-Johansen delta-method"}[out.kind]
        method = f"log-scale Wald, SE(log O/E) = SE(O)/O ({what} variance of O)"
    est = normal_estimate("oe_ratio", value, se_log, level, method=method,
                          transform="log", n=len(r), n_events=n_ev, horizon=h)
    est.details.update(observed=observed, expected=expected)
    return est, observed


# --------------------------------------------------------------------------- weak
def _binary_rows(y: np.ndarray, r: np.ndarray, measure: str
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    keep = (r > 0) & (r < 1)  # rms::val.prob drops p in {0, 1}
    yk, lp = y[keep].astype(float), _logit(r[keep])
    n1 = int(yk.sum())
    if n1 == 0 or n1 == len(yk):
        kind = "no event" if n1 == 0 else "no non-event"
        raise InsufficientDataError(
            f"{measure} needs both events and non-events among subjects with a risk in "
            f"(0, 1); found {kind} among {len(yk)}."
        )
    return yk, lp, n1


def citl_value(y: Binary, r: np.ndarray) -> float:
    """Value-only calibration-in-the-large: the same fit as :func:`calibration_in_the_large`."""
    yk, lp, _ = _binary_rows(y.y, r, "calibration_in_the_large")
    return float(logistic_fit(np.ones((len(yk), 1)), yk, offset=lp)[0][0])


def _citl(y: np.ndarray, r: np.ndarray, level: float) -> Estimate:
    yk, lp, n1 = _binary_rows(y, r, "calibration_in_the_large")
    b0, v0, _ = logistic_fit(np.ones((len(yk), 1)), yk, offset=lp)
    return normal_estimate("calibration_in_the_large", float(b0[0]), np.sqrt(v0[0, 0]), level,
                           method="Wald, glm(y ~ 1, offset = logit(p))", n=len(yk),
                           n_events=n1)


def _undefined(name: str, level: float, why: str, n: int, n_events: int) -> Estimate:
    warnings.warn(f"{name} is undefined: {why}; it is reported as NaN.",
                  UndefinedMetricWarning, stacklevel=4)
    return Estimate(name, float("nan"), level=level, method=f"undefined ({why})", n=n,
                    n_events=n_events)


_CONSTANT = "the predicted risks are constant"


def _binary_slope_fit(y: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``glm(y ~ logit(p))``: coefficients, covariance, n and events (None if constant)."""
    yk, lp, n1 = _binary_rows(y, r, "calibration_slope")
    if np.ptp(lp) == 0:
        raise _ConstantRisk(len(yk), n1)
    b, v, _ = logistic_fit(np.column_stack([np.ones(len(yk)), lp]), yk)
    return b, v, len(yk), n1


class _ConstantRisk(InsufficientDataError):
    """The predicted risks are constant: no slope (nor a spline curve) can be fitted."""

    def __init__(self, n: int, n_events: int) -> None:
        super().__init__(f"calibration_slope cannot be computed on these data: {_CONSTANT} "
                         f"(n={n}, events={n_events}).")
        self.n, self.n_events = n, n_events


def _binary_fits(y: np.ndarray, r: np.ndarray, level: float
                 ) -> tuple[Estimate, Estimate, Estimate, Estimate]:
    citl = _citl(y, r, level)
    try:
        b, v, n, n1 = _binary_slope_fit(y, r)
    except _ConstantRisk as err:
        slope = _undefined("calibration_slope", level, _CONSTANT, err.n, err.n_events)
        inter = Estimate("intercept_joint_fit", float("nan"), level=level,
                         method=f"undefined ({_CONSTANT})", n=err.n, n_events=err.n_events)
        return citl, slope, inter, _spiegelhalter(y, r, level)
    slope = normal_estimate("calibration_slope", float(b[1]), np.sqrt(v[1, 1]), level,
                            method="Wald, glm(y ~ logit(p))", n=n, n_events=n1)
    inter = normal_estimate("intercept_joint_fit", float(b[0]), np.sqrt(v[0, 0]), level,
                            method="Wald, intercept of glm(y ~ logit(p)) (rms val.prob "
                            "'Intercept'; not calibration-in-the-large)", n=n, n_events=n1)
    return citl, slope, inter, _spiegelhalter(y, r, level)


def _spiegelhalter(y: np.ndarray, r: np.ndarray, level: float) -> Estimate:
    num = np.sum((y - r) * (1 - 2 * r))
    den = np.sqrt(np.sum((1 - 2 * r) ** 2 * r * (1 - r)))
    z = float(num / den) if den > 0 else np.nan
    sp = Estimate("spiegelhalter_z", z, method="Spiegelhalter (1986)", level=level, n=len(r),
                  n_events=int(y.sum()))
    sp.details["p_value"] = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
    return sp


def _cox_layout(out: Survival) -> cox_engine.CoxData:
    """``out`` sorted for the Cox engine, once while ``out`` lives (the slope and the curve
    of one sample share it; a bootstrap's test data are the same outcome every replicate)."""
    return outcome_cached(out, "cox_layout_efron", lambda: cox_engine.prepare(
        np.zeros((len(out), 0)), out.time, out.event, ties="efron"))


def _timed_fit(out: Survival | CompetingRisks, design: np.ndarray, value_only: bool = False
               ) -> tuple[Any, str]:
    """Cox (survival) or Fine-Gray (competing risks) fit of ``design`` on ``out``.

    Newton-Raphson starts at perfect calibration (coefficient 1 on ``cll(risk)``, 0 on the
    spline term): the estimate is the same (within the convergence tolerance) in fewer
    iterations than from 0. ``value_only`` skips what only standard errors need.
    """
    beta0 = np.zeros(design.shape[1])
    beta0[0] = 1.0
    if isinstance(out, CompetingRisks):
        fit = cox_fit(out.time, out.event, design, competing=out.competing,
                      any_event=out.cause != 0, beta0=beta0, value_only=value_only)
        return fit, "Fine-Gray"
    return cox_fit(out.time, out.event, design, layout=_cox_layout(out), beta0=beta0,
                   value_only=value_only), "coxph"


def _timed_slope_fit(out: Survival | CompetingRisks, r: np.ndarray, h: float,
                     value_only: bool = False) -> tuple[Any, str, int]:
    t = truncated(out, h)
    n_ev = int(np.count_nonzero(t.event))
    x = _cll(np.clip(r, _EPS, 1 - _EPS))[:, None]
    if np.ptp(x) == 0:
        raise _ConstantRisk(len(r), n_ev)
    if n_ev == 0:
        raise InsufficientDataError(
            f"calibration_slope needs at least one event of interest by the horizon {h:g}; "
            f"found none among {len(r)} subjects."
        )
    fit, how = _timed_fit(t, x, value_only)
    return fit, how, n_ev


def slope_value(y: Outcome, r: np.ndarray, h: float | None) -> float:
    """Value-only calibration slope: the same fit as :func:`calibration_slope`."""
    if isinstance(y, Binary):
        return float(_binary_slope_fit(y.y, r)[0][1])
    return float(_timed_slope_fit(y, r, h, value_only=True)[0].coef[0])


def _timed_slope(out: Survival | CompetingRisks, r: np.ndarray, h: float, level: float
                 ) -> Estimate:
    try:
        fit, how, n_ev = _timed_slope_fit(out, r, h)
    except _ConstantRisk as err:
        return _undefined("calibration_slope", level, _CONSTANT, err.n, err.n_events)
    method = ("Wald, Fine-Gray on cll(risk) (van Geloven 2022)" if how == "Fine-Gray" else
              "Wald, coxph on cll(risk), Efron ties (McLernon 2023)")
    return normal_estimate("calibration_slope", float(fit.coef[0]), np.sqrt(fit.cov[0, 0]),
                           level, method=method, n=len(r), n_events=n_ev, horizon=h)


# --------------------------------------------------------------------------- moderate
def _curve_grid(r: np.ndarray, n_grid: int = 100) -> np.ndarray:
    lo, hi = np.quantile(r, [0.01, 0.99])
    if hi <= lo:
        lo, hi = r.min(), r.max()
    return np.unique(np.linspace(lo, hi, n_grid))


def _loess_points(r: np.ndarray, max_eval: int) -> np.ndarray:
    ur = np.unique(r)
    return ur if len(ur) <= max_eval else np.unique(np.quantile(r, np.linspace(0, 1, max_eval)))


def _binary_pc(y: np.ndarray, r: np.ndarray, smoother: str, span: float, max_eval: int
               ) -> np.ndarray:
    """Smoothed observed risk at every row (the curve the E-statistics are taken from)."""
    if smoother == "lowess":
        return lowess(r, y, r)
    pts = _loess_points(r, max_eval)
    fit_pts, _ = loess(r, y, pts, span=span)
    return np.interp(r, pts, fit_pts)


def _binary_curve(y: np.ndarray, r: np.ndarray, smoother: str, span: float, level: float,
                  max_eval: int) -> tuple[np.ndarray, pd.DataFrame, str]:
    grid = _curve_grid(r)
    z = z_value(level)
    pc = _binary_pc(y, r, smoother, span, max_eval)
    if smoother == "lowess":
        fit_grid = lowess(r, y, grid)
        frame = pd.DataFrame({"predicted": grid, "observed": fit_grid,
                              "lower": np.nan, "upper": np.nan})
        return pc, frame, "lowess(p, y, iter=0), f=2/3, delta=0.01*range (rms val.prob)"
    var = np.clip(pc, 0, 1) * (1 - np.clip(pc, 0, 1))
    fit_grid, se = loess(r, y, grid, span=span, variance=var)
    frame = pd.DataFrame({"predicted": grid, "observed": fit_grid,
                          "lower": np.clip(fit_grid - z * se, 0, 1),
                          "upper": np.clip(fit_grid + z * se, 0, 1)})
    n_pts = len(_loess_points(r, max_eval))
    how = "evaluated at every distinct risk" if n_pts == len(np.unique(r)) else (
        f"evaluated at {n_pts} quantiles of risk, linear interpolation in between")
    desc = (f"loess(y ~ p, degree=2, span={span:g}, surface='direct'), {how}; pointwise "
            "CI from binomial variance of the smoothed curve (CalibrationCurves style)")
    return pc, frame, desc


def _has_distinct(x: np.ndarray, k: int) -> bool:
    """Whether ``x`` holds at least ``k`` distinct values (``len(np.unique(x)) >= k``)
    in at most ``k`` O(n) passes instead of a sort."""
    if len(np.unique(x[:64])) >= k:  # the usual case, decided by the first rows
        return True
    rest = x
    for _ in range(k):
        if rest.size == 0:
            return False
        rest = rest[rest != rest[0]]
    return True


def _timed_pc(out: Survival | CompetingRisks, r: np.ndarray, h: float, observed: float,
              value_only: bool = False) -> tuple[np.ndarray, Any, np.ndarray | None, str]:
    """Smoothed observed risk at every row, with the fit and knots (None: no spline)."""
    if not _has_distinct(r, 5):
        # a 3-knot spline needs distinct risks; with (nearly) constant risks the only
        # estimable "curve" is the overall observed risk
        return np.full(len(r), observed), None, None, ""
    t = truncated(out, h)
    if not t.event.any():
        raise InsufficientDataError(
            f"the calibration curve needs at least one event of interest by the horizon "
            f"{h:g}; found none among {len(r)} subjects."
        )
    x = _cll(np.clip(r, _EPS, 1 - _EPS))
    knots = rcs_knots(x)
    design = _rcs_basis(x, knots)
    fit, how = _timed_fit(t, design, value_only)
    hz, _ = fit.cumhaz(design, h, se=False)
    return 1 - np.exp(-hz), fit, knots, how


def _timed_curve(out: Survival | CompetingRisks, r: np.ndarray, h: float, level: float,
                 observed: float) -> tuple[np.ndarray, pd.DataFrame, str]:
    pc, fit, knots, how = _timed_pc(out, r, h, observed)
    if fit is None:
        u = np.unique(r)
        frame = pd.DataFrame({"predicted": u, "observed": observed, "lower": np.nan,
                              "upper": np.nan})
        return (pc, frame, f"fewer than 5 distinct risks ({len(u)}): no spline; observed "
                "risk = overall Kaplan-Meier/Aalen-Johansen risk")
    if how == "Fine-Gray":
        desc = ("Fine-Gray (weighted subdistribution Cox) on rcs(cll(risk), 3 knots at "
                f"{np.round(knots, 4).tolist()}) (van Geloven 2022)")
    else:
        desc = ("coxph on rcs(cll(risk), 3 knots at "
                f"{np.round(knots, 4).tolist()}), Efron ties (McLernon 2023)")
    grid = _curve_grid(r)
    gx = _rcs_basis(_cll(np.clip(grid, _EPS, 1 - _EPS)), knots)
    hg, seg = fit.cumhaz(gx, h)
    z = z_value(level)
    frame = pd.DataFrame({
        "predicted": grid,
        "observed": 1 - np.exp(-hg),
        "lower": 1 - np.exp(-np.maximum(hg - z * seg, 0.0)),
        "upper": 1 - np.exp(-(hg + z * seg)),
    })
    return pc, frame, desc + "; pointwise CI: survfit log-scale (Tsiatis variance)"


def _check_smoother(out: Outcome, smoother: str | None) -> str:
    if isinstance(out, Binary):
        sm = smoother or "loess"
        if sm not in ("loess", "lowess"):
            raise ValueError(
                f"smoother for binary outcomes must be 'loess' or 'lowess'; got {sm!r}."
            )
        return sm
    expected_sm = "fine_gray_rcs" if isinstance(out, CompetingRisks) else "cox_rcs"
    if smoother not in (None, expected_sm):
        raise ValueError(
            f"smoother for {out.kind} outcomes must be {expected_sm!r}; got {smoother!r}."
        )
    return expected_sm


def _check_events(out: Outcome, n_ev: int, n: int, h: float | None) -> None:
    if isinstance(out, Binary):
        if n_ev == 0 or n_ev == n:
            raise InsufficientDataError(
                "calibration needs both events and non-events; found "
                f"{n_ev} events among {n} subjects."
            )
    elif n_ev == 0:
        raise InsufficientDataError(
            f"calibration needs at least one event of interest by the horizon {h:g}; "
            "found none. Choose a later horizon."
        )


def curve_at_rows(y: Outcome, r: np.ndarray, h: float | None, smoother: str | None = None,
                  span: float = 0.75, max_eval: int = 1000, observed: float | None = None
                  ) -> np.ndarray:
    """Value-only flexible calibration curve at every row: that of :func:`calibration`."""
    sm = _check_smoother(y, smoother)
    if isinstance(y, Binary):
        _check_events(y, int(y.y.sum()), len(r), h)
        return _binary_pc(y.y.astype(float), r, sm, span, max_eval)
    _check_events(y, int(np.count_nonzero(y.event & (y.time <= h))), len(r), h)
    obs = _observed(y, h)[0] if observed is None else observed
    return _timed_pc(y, r, h, obs, value_only=True)[0]


def curve_on_grid(y: Outcome, r: np.ndarray, h: float | None, grid: np.ndarray, *,
                  smoother: str | None = None) -> np.ndarray:
    """Smoothed observed risk at the predicted risks ``grid`` (NaN outside their range).

    Binary: ``"loess"`` (default) or ``"lowess"`` (``rms::calibrate``); timed outcomes: the
    Cox / Fine-Gray spline curve of :func:`calibration`, evaluated at the grid itself.
    """
    grid = np.asarray(grid, dtype=float)
    sm = _check_smoother(y, smoother)
    if isinstance(y, Binary):
        _check_events(y, int(y.y.sum()), len(r), h)
        yy = y.y.astype(float)
        if sm == "lowess":
            out = lowess(r, yy, grid)
        else:
            out = loess(r, yy, grid)[0]
    else:
        obs, _, n_ev = _observed(y, h)
        _check_events(y, n_ev, len(r), h)
        _, fit, knots, _ = _timed_pc(y, r, h, obs, value_only=True)
        if fit is None:
            out = np.full(len(grid), obs)
        else:
            gx = _rcs_basis(_cll(np.clip(grid, _EPS, 1 - _EPS)), knots)
            out = 1 - np.exp(-fit.cumhaz(gx, h, se=False)[0])
    return np.where((grid < r.min()) | (grid > r.max()), np.nan, out)


#: The summaries of ``d = |p - p_c(p)|`` (Austin & Steyerberg 2019; ECI: Van Hoorde 2015).
_E_SUMMARIES: dict[str, Callable[[np.ndarray], float]] = {
    "ici": lambda d: float(d.mean()),
    "e50": lambda d: float(np.median(d)),
    "e90": lambda d: float(np.quantile(d, 0.9)),
    "emax": lambda d: float(d.max()),
    "eci": lambda d: float(np.mean(d**2)),
}


def e_values(r: np.ndarray, pc: np.ndarray, names: Sequence[str] | None = None
             ) -> dict[str, float]:
    """ICI (= Eavg), E50, E90, Emax and ECI of ``|p - p_c(p)|`` (Austin & Steyerberg 2019).

    ``names``: only these summaries (a resampling loop that reports the ICI alone does not
    sort the differences for the quantiles).
    """
    d = np.abs(r - pc)
    return {k: f(d) for k, f in _E_SUMMARIES.items() if names is None or k in names}


def _e_stats(r: np.ndarray, pc: np.ndarray, level: float, h: float | None, n_ev: int
             ) -> list[Estimate]:
    return [Estimate(k, v, level=level, method="no analytic SE (use n_boot=)", n=len(r),
                     n_events=n_ev, horizon=h) for k, v in e_values(r, pc).items()]


def _calibration_core(out: Outcome, r: np.ndarray, h: float | None, level: float,
                      smoother: str | None, span: float, max_eval: int,
                      oe_interval: str = "greenwood") -> CalibrationResult:
    oe, observed = _oe(out, r, h, level, oe_interval)
    n_ev = oe.n_events
    sm = _check_smoother(out, smoother)
    _check_events(out, n_ev, len(r), h)
    if isinstance(out, Binary):
        citl, slope, inter, sp = _binary_fits(out.y, r, level)
        pc, frame, desc = _binary_curve(out.y.astype(float), r, sm, span, level, max_eval)
    else:
        citl, inter, sp = None, None, None
        slope = _timed_slope(out, r, h, level)
        pc, frame, desc = _timed_curve(out, r, h, level, observed)
    e = _e_stats(r, pc, level, h, n_ev)
    edges = np.linspace(0.0, 1.0, 51)
    counts, _ = np.histogram(r, bins=edges)
    hist = pd.DataFrame({"left": edges[:-1], "right": edges[1:], "count": counts})
    return CalibrationResult(
        kind=out.kind, horizon=h, observed=observed, expected=float(r.mean()), oe=oe,
        calibration_in_the_large=citl, slope=slope, intercept_joint=inter, spiegelhalter=sp,
        ici=e[0], e50=e[1], e90=e[2], emax=e[3], eci=e[4], curve=frame, smoother=desc,
        n=len(r), n_events=n_ev, histogram=hist,
    )


_ATTR = {"oe_ratio": "oe", "calibration_slope": "slope", "intercept_joint_fit": "intercept_joint",
         "spiegelhalter_z": "spiegelhalter"}


def _boot_calibration(res: CalibrationResult, out: Outcome, r: np.ndarray, h: float | None,
                      level: float, smoother: str | None, span: float, max_eval: int,
                      settings: Bootstrap | None, oe_interval: str) -> CalibrationResult:
    if settings is None:
        return res
    names = [e.name for e in res.estimates()]

    def stat(rows: np.ndarray) -> np.ndarray:
        rb = _calibration_core(out.take(rows), r[rows], h, level, smoother, span, max_eval,
                               oe_interval)
        return np.array([e.value for e in rb.estimates()])

    vals = bootstrap_values(stat, len(r), settings)
    lower, upper, se = interval_from_values(vals, level)
    method = f"bootstrap percentile (B={settings.n_resamples})"
    new = {}
    for i, name in enumerate(names):
        attr = _ATTR.get(name, name)
        new[attr] = getattr(res, attr).with_interval(lower[i], upper[i], method, se=se[i])
    from dataclasses import replace

    return replace(res, **new)


_RS_DOC = """n_boot : int, optional
        Number of bootstrap replicates: percentile intervals (and bootstrap SEs) instead of
        the analytic ones.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the bootstrap; the same seed gives the same intervals.
    n_jobs : int, default=1
        Workers for the bootstrap; the result does not depend on it.
    scheduler : None, "local", str or distributed.Client, optional
        Run the replicates on Dask (see :func:`irdp.validation.bootstrap_validate`).
    bootstrap : int, dict or Bootstrap, optional
        Deprecated spelling of ``n_boot``, ``seed`` and ``n_jobs``."""


def calibration(
    y: Any,
    risk: Any,
    *,
    horizon: float | None = None,
    level: float = 0.95,
    smoother: Smoother | None = None,
    span: float = 0.75,
    max_eval: int = 1000,
    oe_interval: Literal["greenwood", "poisson"] = "greenwood",
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
) -> CalibrationResult:
    """Assess calibration at every level of the hierarchy (mean, weak, moderate).

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risk : array-like of shape (n_samples,)
        Predicted probability of the event (of interest) by the horizon, in [0, 1].
    horizon : float, optional
        Required for timed outcomes. Follow-up is censored administratively at the
        horizon for the slope and the curve (McLernon et al.).
    level : float, default=0.95
    smoother : {"loess", "lowess", "cox_rcs", "fine_gray_rcs"}, optional
        Flexible curve. Binary: ``"loess"`` (default; CalibrationCurves ``val.prob.ci.2``,
        degree 2, ``span``) or ``"lowess"`` (rms ``val.prob``, f = 2/3, iter = 0).
        Survival: ``"cox_rcs"`` (Cox on a 3-knot restricted cubic spline of cll(risk)).
        Competing risks: ``"fine_gray_rcs"`` (same on the subdistribution hazard).
    span : float, default=0.75
        Loess span.
    max_eval : int, default=1000
        With more distinct risks than this, the loess curve is evaluated exactly at
        ``max_eval`` quantiles and interpolated linearly (keeps large data fast).
    oe_interval : {"greenwood", "poisson"}, default="greenwood"
        Interval of O/E, ``O/E·exp(±z·SE(log O/E))``: ``"greenwood"`` uses the variance
        of the observed risk (binomial, Greenwood or Aalen-Johansen), with close to
        nominal coverage; ``"poisson"`` uses ``1/events`` as in the McLernon et al. code,
        which over-covers when the risk is not small. When the observed risk is 1 (the
        Kaplan-Meier reaches 0 by the horizon) its variance is 0 and ``"poisson"`` is used.
    """ + _RS_DOC + """

    Returns
    -------
    CalibrationResult

    Notes
    -----
    Timed outcomes have no calibration-in-the-large intercept here (O/E plays that role,
    as in McLernon et al.). The pseudo-value curve for competing risks is not offered.
    Data without events (or, binary, without non-events) by the horizon raise
    :class:`~irdp.exceptions.InsufficientDataError`.

    References
    ----------
    Van Calster et al. (2016); Austin & Steyerberg (2019); Austin, Harrell & van Klaveren
    (2020); McLernon et al. (2023); van Geloven et al. (2022); Spiegelhalter (1986).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.metrics import calibration
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.05, 0.6, 500)
    >>> y = (rng.random(500) < p).astype(int)
    >>> cal = calibration(y, p)
    >>> bool(0.7 < cal.slope.value < 1.4), bool(abs(cal.oe.value - 1) < 0.2)
    (True, True)
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon)
    res = _calibration_core(out, r, h, level, smoother, span, max_eval, oe_interval)
    return _boot_calibration(res, out, r, h, level, smoother, span, max_eval, settings,
                             oe_interval)


# --------------------------------------------------------------------------- thin wrappers
def oe_ratio(y: Any, risk: Any, *, horizon: float | None = None, level: float = 0.95,
             oe_interval: Literal["greenwood", "poisson"] = "greenwood",
             n_boot: int | None = None, seed: Any = None, n_jobs: int = 1,
             scheduler: Any = None, bootstrap: Any = None) -> Estimate:
    """Observed/expected ratio (mean calibration) with a log-scale interval.

    Observed risk: prevalence (binary), 1 - Kaplan-Meier at the horizon (survival) or the
    Aalen-Johansen cumulative incidence (competing risks); expected: mean predicted risk.
    Interval ``O/E·exp(±z·SE)``. With ``oe_interval="greenwood"`` (default),
    SE(log O/E) = SE(O)/O from the binomial (= sqrt((1 - O/n)/O), Debray 2017), Greenwood
    or Aalen-Johansen variance; with ``"poisson"``, sqrt(1/events) as in the McLernon et
    al. (2023) code (van Geloven's competing-risk code uses a linear interval instead).
    When the observed risk is 1 its variance is 0: the events-based SE is used, never a
    zero-width interval. Resampling arguments as in :func:`calibration`.

    References
    ----------
    Debray et al. (2017), BMJ 356:i6460; McLernon et al. (2023), Ann Intern Med 176:105.

    Examples
    --------
    >>> from irdp.metrics import oe_ratio
    >>> round(float(oe_ratio([0, 1, 1, 0], [0.2, 0.6, 0.4, 0.3])), 4)
    1.3333
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon)
    est, _ = _oe(out, r, h, level, oe_interval)
    return apply_bootstrap(est, settings, out, (r,), lambda yb, rb: oe_value(yb, rb, h))


def calibration_slope(y: Any, risk: Any, *, horizon: float | None = None, level: float = 0.95,
                      n_boot: int | None = None, seed: Any = None, n_jobs: int = 1,
                      scheduler: Any = None, bootstrap: Any = None) -> Estimate:
    """Calibration slope (logistic on logit(p); Cox or Fine-Gray on cll(p) for timed outcomes).

    Resampling arguments as in :func:`calibration`.

    References
    ----------
    Cox (1958), Biometrika 45:562; McLernon et al. (2023); van Geloven et al. (2022).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.metrics import calibration_slope
    >>> rng = np.random.default_rng(2)
    >>> p = rng.uniform(0.05, 0.9, 400)
    >>> y = (rng.random(400) < p).astype(int)
    >>> bool(0.6 < calibration_slope(y, p).value < 1.4)
    True
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon)
    if isinstance(out, Binary):
        est = _binary_fits(out.y, r, level)[1]
    else:
        est = _timed_slope(out, r, h, level)
    return apply_bootstrap(est, settings, out, (r,), lambda yb, rb: slope_value(yb, rb, h))


def calibration_in_the_large(y: Any, risk: Any, *, horizon: float | None = None,
                             level: float = 0.95, n_boot: int | None = None, seed: Any = None,
                             n_jobs: int = 1, scheduler: Any = None, bootstrap: Any = None
                             ) -> Estimate:
    """Calibration-in-the-large: intercept of ``glm(y ~ 1, offset = logit(p))`` (binary only).

    Resampling arguments as in :func:`calibration`.

    References
    ----------
    Van Calster et al. (2016), J Clin Epidemiol 74:167.

    Examples
    --------
    >>> from irdp.metrics import calibration_in_the_large
    >>> round(float(calibration_in_the_large([0, 1, 1, 0], [0.5, 0.5, 0.5, 0.5])), 6)
    0.0
    """
    from irdp.metrics._inputs import require_kind

    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, _ = prepare(y, risk, horizon=horizon)
    require_kind(out, ("binary",), "calibration_in_the_large")
    est = _citl(out.y, r, level)
    return apply_bootstrap(est, settings, out, (r,), lambda yb, rb: citl_value(yb, rb))


def ici(y: Any, risk: Any, *, horizon: float | None = None, level: float = 0.95,
        smoother: Smoother | None = None, n_boot: int | None = None, seed: Any = None,
        n_jobs: int = 1, scheduler: Any = None, bootstrap: Any = None) -> Estimate:
    """Integrated calibration index (mean |p - p_c(p)|) from the flexible calibration curve.

    See :func:`calibration` for the smoothers and the resampling arguments. Without
    ``n_boot`` there is no interval.

    References
    ----------
    Austin & Steyerberg (2019), Stat Med 38:4051; Austin, Harrell & van Klaveren (2020).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.metrics import ici
    >>> rng = np.random.default_rng(3)
    >>> p = rng.uniform(0.05, 0.9, 400)
    >>> y = (rng.random(400) < p).astype(int)
    >>> bool(ici(y, p).value < 0.06)
    True
    """
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    out, r, h = prepare(y, risk, horizon=horizon)
    res = _calibration_core(out, r, h, level, smoother, 0.75, 1000, "greenwood")
    return _boot_calibration(res, out, r, h, level, smoother, 0.75, 1000, settings,
                             "greenwood").ici
