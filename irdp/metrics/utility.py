"""Clinical utility: decision curves (net benefit) for binary, survival and competing risks.

References
----------
.. [1] Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating
   prediction models. Med Decis Making 2006;26:565-574.
.. [2] Vickers AJ, Cronin AM, Elkin EB, Gonen M. Extensions to decision curve analysis, a
   novel method for evaluating diagnostic tests, prediction models and molecular markers.
   BMC Med Inform Decis Mak 2008;8:53 (survival outcomes, net interventions avoided).
.. [3] van Geloven N, et al. BMJ 2022;377:e069249 (competing risks: Aalen-Johansen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import InsufficientDataError
from irdp.metrics._bootstrap import bootstrap_values, interval_from_values, resampling
from irdp.metrics._inputs import Outcome, prepare
from irdp.metrics.overall import observed_risk
from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import Binary, CompetingRisks, Survival, as_outcome

__all__ = ["DecisionCurve", "IncidenceThresholds", "incidence_thresholds", "net_benefit"]


@dataclass(frozen=True)
class DecisionCurve:
    """Net benefit of one index across risk thresholds.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per threshold: ``threshold``, ``net_benefit``, ``treat_all``,
        ``treat_none``, ``net_interventions_avoided`` (per person; multiply by 100 for the
        usual "per 100 persons"), ``share_flagged``, ``observed_risk_flagged`` and, with a
        bootstrap, ``lower``/``upper`` for the net benefit.
    kind : str
    horizon : float or None
    name : str
        Label of the index (used in plots).
    n, n_events : int
    """

    frame: pd.DataFrame = field(repr=False)
    kind: str = "binary"
    horizon: float | None = None
    name: str = "model"
    n: int = -1
    n_events: int = -1

    def to_frame(self) -> pd.DataFrame:
        """The decision-curve table."""
        return self.frame.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Decision curve; returns the figure (it renders inline in Jupyter).

        Drawn by the display registered for this result (``DecisionCurveDisplay``;
        keywords ``min_count``, ``ylim``, ``time_unit``).
        """
        from irdp._display_registry import draw

        return draw(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        h = "" if self.horizon is None else f", horizon={self.horizon:g}"
        return (f"DecisionCurve({self.name!r}, {self.kind}{h}, {len(self.frame)} thresholds "
                f"from {self.frame.threshold.min():g} to {self.frame.threshold.max():g})")


@dataclass(frozen=True)
class IncidenceThresholds:
    """Risk cut-offs derived from the outcome's incidence at the horizon.

    Attributes
    ----------
    thresholds : tuple of float
        The cut-offs (risks at multiples of the incidence odds, 2 significant digits).
    incidence : float
        Observed risk by the horizon: prevalence, 1 - Kaplan-Meier or Aalen-Johansen.
    multiples : tuple of float
        Multiples of the incidence odds.
    description : str
        How they were derived, in words (for the report and the result tables).
    """

    thresholds: tuple[float, ...]
    incidence: float
    multiples: tuple[float, ...]
    description: str


def _round2(x: float) -> float:
    """Round to 2 significant digits (0.0123 -> 0.012)."""
    if x <= 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, 1 - int(np.floor(np.log10(x)))))


def incidence_thresholds(y: Any, horizon: float | None = None, *,
                         multiples: Any = (0.5, 1.0, 2.0, 3.0)) -> IncidenceThresholds:
    """Risk thresholds at multiples of the outcome's incidence at the horizon.

    A fixed grid such as 0.1-0.3 is useless for a rare outcome (with a 1 %-a-year outcome
    nearly every worker falls below 0.1). The decision to act is made around the
    incidence ``pi``: flagging at ``pi`` means acting on any worker at above-average risk,
    at ``2 pi`` and ``3 pi`` on those at two or three times the average risk, at ``pi / 2``
    casting a wider net. Multiples are taken on the odds scale, ``t = k pi / (1 - pi +
    k pi)``, which equals ``k pi`` for a rare outcome and stays below 1 for a common one.
    The default thresholds of :func:`irdp.metrics.performance` and the default level
    cut-offs of :func:`irdp.validation.compare` (``(1, 3)``) are built here.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    horizon : float, optional
        Required for timed outcomes.
    multiples : sequence of float, default=(0.5, 1, 2, 3)

    Returns
    -------
    IncidenceThresholds

    References
    ----------
    Vickers AJ, Van Calster B, Steyerberg EW. A simple, step-by-step guide to interpreting
    decision curve analysis. Diagn Progn Res 2019;3:18 (thresholds reflect the range of
    reasonable decisions, which for a rare outcome lies near its incidence).

    Examples
    --------
    >>> from irdp.metrics import incidence_thresholds
    >>> t = incidence_thresholds([0] * 95 + [1] * 5)
    >>> t.thresholds, t.incidence
    ((0.026, 0.05, 0.095, 0.14), 0.05)
    """
    base = y if isinstance(y, Binary | Survival | CompetingRisks) else as_outcome(y)
    out, _, h = prepare(base, np.zeros(len(base)), horizon=horizon)
    pi = float(observed_risk(out, h))
    mult = tuple(float(m) for m in np.atleast_1d(np.asarray(multiples, dtype=float)))
    if not mult or any(not np.isfinite(m) or m <= 0 for m in mult):
        raise ValueError(f"multiples must be positive numbers; got {multiples!r}.")
    if not 0 < pi < 1:
        raise InsufficientDataError(
            f"thresholds cannot be derived from the incidence: the observed risk by the "
            f"horizon is {pi:.4g}. Give the thresholds explicitly."
        )
    thr = tuple(sorted(dict.fromkeys(_round2(m * pi / (1 - pi + m * pi)) for m in mult)))
    when = "" if h is None or isinstance(out, Binary) else f" at the horizon {h:g}"
    desc = (f"derived from the observed risk{when} ({pi:.3g}): the risks at "
            f"{', '.join(f'{m:g}' for m in mult)} times its odds, rounded to 2 significant "
            "digits")
    return IncidenceThresholds(thr, pi, mult, desc)


def _observed_risk_in(y: Outcome, rows: np.ndarray, horizon: float | None) -> float:
    if not rows.any():
        return float("nan")
    if isinstance(y, Binary):
        return float(y.y[rows].mean())
    if isinstance(y, CompetingRisks):
        aj = aalen_johansen(y.time[rows], y.cause[rows])
        return float(aj.cif_at(horizon, cause=y.event_of_interest))
    return float(kaplan_meier(y.time[rows], y.event[rows]).risk_at(horizon))


def _nb_table(y: Outcome, r: np.ndarray, thresholds: np.ndarray, h: float | None
              ) -> pd.DataFrame:
    n = len(r)
    f_all = _observed_risk_in(y, np.ones(n, bool), h)
    rows = []
    for pt in thresholds:
        w = pt / (1 - pt)
        flag = r >= pt
        share = flag.mean()
        f_flag = _observed_risk_in(y, flag, h)
        nb = 0.0 if share == 0 else f_flag * share - (1 - f_flag) * share * w
        nb_all = f_all - (1 - f_all) * w
        rows.append((pt, nb, nb_all, 0.0, (nb - nb_all) / w, share, f_flag))
    return pd.DataFrame(rows, columns=["threshold", "net_benefit", "treat_all", "treat_none",
                                       "net_interventions_avoided", "share_flagged",
                                       "observed_risk_flagged"])


def net_benefit(
    y: Any,
    risk: Any,
    thresholds: Any = None,
    *,
    horizon: float | None = None,
    level: float = 0.95,
    n_boot: int | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    bootstrap: Any = None,
    name: str = "model",
) -> DecisionCurve:
    """Decision curve: net benefit of flagging subjects with ``risk >= threshold``.

    ``NB(p_t) = F·P - (1 - F)·P·p_t/(1 - p_t)`` with ``P`` the share flagged and ``F`` the
    observed risk among the flagged: the event proportion (binary, equivalent to
    ``TP/n - FP/n·p_t/(1-p_t)``), ``1 - KM(t)`` (survival) or the Aalen-Johansen
    cumulative incidence (competing risks). Treat-all uses the overall observed risk,
    treat-none is 0. Net interventions avoided = ``(NB - NB_all)·(1 - p_t)/p_t``.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risk : array-like of shape (n_samples,)
        Predicted risk by the horizon, in [0, 1].
    thresholds : array-like of float in (0, 1), default=0.01, 0.02, ..., 0.99
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
    name : str, default="model"

    Returns
    -------
    DecisionCurve

    Notes
    -----
    Flagging uses ``>=`` (as ``dcurves``). When nobody is flagged, NB = 0.

    References
    ----------
    Vickers & Elkin (2006); Vickers et al. (2008), BMC Med Inform Decis Mak 8:53.

    Examples
    --------
    >>> from irdp.metrics import net_benefit
    >>> dc = net_benefit([0, 1, 1, 0, 0], [0.1, 0.7, 0.4, 0.5, 0.2], [0.3])
    >>> dc.frame[["threshold", "net_benefit", "treat_all"]].round(4).values.tolist()
    [[0.3, 0.3143, 0.1429]]
    """
    out, r, h = prepare(y, risk, horizon=horizon)
    if thresholds is None:
        thr = np.round(np.arange(1, 100) / 100, 2)
    else:
        thr = np.atleast_1d(np.asarray(thresholds, dtype=float))
        bad = ~((thr > 0) & (thr < 1))
        if bad.any() or thr.size == 0:
            raise ValueError(
                "thresholds must be probabilities strictly between 0 and 1; got "
                f"{thr[bad][:5].tolist() if thr.size else 'an empty list'}."
            )
    frame = _nb_table(out, r, thr, h)
    settings = resampling(n_boot, seed, n_jobs, scheduler, bootstrap)
    if settings is not None:
        vals = bootstrap_values(
            lambda rows: _nb_table(out.take(rows), r[rows], thr, h)["net_benefit"].to_numpy(),
            len(r), settings)
        lower, upper, _ = interval_from_values(vals, level)
        frame["lower"], frame["upper"] = lower, upper
    n_ev = out.n_events if h is None or isinstance(out, Binary) else int(
        (out.event & (out.time <= h)).sum())
    return DecisionCurve(frame, out.kind, h, name, len(r), n_ev)
