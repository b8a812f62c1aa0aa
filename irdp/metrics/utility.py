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

from irdp.metrics._bootstrap import as_bootstrap, bootstrap_values, percentile_interval
from irdp.metrics._inputs import Outcome, prepare
from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import Binary, CompetingRisks

__all__ = ["DecisionCurve", "net_benefit"]


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
    bootstrap : int, dict or Bootstrap, optional
        Adds percentile ``lower``/``upper`` columns for the net benefit.
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
    settings = as_bootstrap(bootstrap)
    if settings is not None:
        vals = bootstrap_values(
            lambda rows: _nb_table(out.take(rows), r[rows], thr, h)["net_benefit"].to_numpy(),
            len(r), settings)
        lower, upper, _ = percentile_interval(vals, level)
        frame["lower"], frame["upper"] = lower, upper
    n_ev = out.n_events if h is None or isinstance(out, Binary) else int(
        (out.event & (out.time <= h)).sum())
    return DecisionCurve(frame, out.kind, h, name, len(r), n_ev)
