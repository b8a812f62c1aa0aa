"""Observed risk over time by risk level (private; import from :mod:`irdp.plotting`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import CompetingRisks, Survival
from irdp.plotting._disclosure import coarsen_steps
from irdp.plotting._display import Display
from irdp.plotting._style import (
    DISCLOSURE_THRESHOLD,
    check_min_count,
    place_legend,
    suppressed_warning,
)

__all__ = ["ObservedRiskDisplay"]


def _ordered_levels(level: np.ndarray, order: Any) -> list[Any]:
    present = list(dict.fromkeys(level.tolist()))
    if order is not None:
        return [v for v in order if v in present] + [v for v in present if v not in order]
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


class ObservedRiskDisplay(Display):
    """Observed cumulative risk over time by risk level (Kaplan-Meier or Aalen-Johansen).

    Under disclosure control, each curve is drawn only at the times where the risk set and
    the events since the last drawn point both reach ``min_count`` (steps of fewer events
    are merged into the next drawn step, and the curve stops when the risk set or the
    remaining events fall short): no step shows a single event. A level with fewer than
    ``min_count`` workers is not drawn (:class:`~irdp.exceptions.SmallGroupWarning`); a
    level whose curve has no drawable step (fewer than ``min_count`` events) is listed in
    the legend as not drawn.

    Parameters
    ----------
    y : Survival or CompetingRisks
    level : array-like of shape (n_samples,)
        Risk level of each worker (e.g. "faible", "intermédiaire", "forte"); one curve per
        level.
    horizon : float, optional
        Draw a vertical line at the horizon and stop the curves there.
    min_count : int, default=11
    time_unit : str, default="days"
        Unit of ``y.time`` (irdp's cohorts count days from the index date).
    order : sequence, optional
        Order of the levels in the legend (default: sorted; give the clinical order,
        e.g. ``["faible", "intermédiaire", "forte"]``).

    References
    ----------
    Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. JASA
    1958;53:457-81. Aalen OO, Johansen S. An empirical transition matrix for
    non-homogeneous Markov chains based on censored observations. Scand J Stat
    1978;5:141-50.
    """

    def __init__(self, y: Any, level: Any, *, horizon: float | None = None,
                 min_count: int = DISCLOSURE_THRESHOLD, time_unit: str = "days",
                 order: Any = None) -> None:
        if not isinstance(y, Survival | CompetingRisks):
            raise TypeError("y must be a Survival or CompetingRisks outcome for observed-risk "
                            f"curves over time; got {type(y).__name__}.")
        lv = np.asarray(level, dtype=object)
        if lv.ndim != 1 or len(lv) != len(y):
            raise ValueError(f"level must have one value per subject; got {len(lv)} values "
                             f"for {len(y)} subjects.")
        self.y, self.level = y, lv
        self.horizon = None if horizon is None else float(horizon)
        self.min_count = check_min_count(min_count)
        self.time_unit = time_unit
        self.order = order
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_predictions(cls, y: Any, level: Any, *, ax: Any = None, **kwargs: Any
                         ) -> ObservedRiskDisplay:
        """Draw the observed risk of each level (see the class parameters)."""
        return cls(y, level, **kwargs).plot(ax=ax)

    def _steps(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drawable (time, risk) points of one level, after disclosure control."""
        y, t_end = self.y, (self.y.max_time if self.horizon is None else self.horizon)
        if isinstance(y, CompetingRisks):
            est = aalen_johansen(y.time[rows], y.cause[rows])
            cause = y.event_of_interest
            events = (est.n_events[:, est.causes.index(cause)] if cause in est.causes
                      else np.zeros(len(est.times)))
            values = est.cif_at(est.times, cause=y.event_of_interest)
        else:
            est = kaplan_meier(y.time[rows], y.event[rows])
            events = est.n_events
            values = est.risk_at(est.times)
        within = est.times <= t_end
        kept = coarsen_steps(est.n_at_risk[within], events[within], self.min_count)
        return est.times[within][kept], values[within][kept]

    def plot(self, ax: Any = None) -> ObservedRiskDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        own = ax is None
        if own:
            fig, ax = self._new_figure((7.0, 5.2))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        self._rows = []
        competing = isinstance(self.y, CompetingRisks)
        for value in _ordered_levels(self.level, self.order):
            rows = self.level == value
            n = int(rows.sum())
            if n < self.min_count:
                suppressed_warning(
                    f"risk level {value!r} has {n} subjects, fewer than the disclosure "
                    f"threshold {self.min_count}; it is not drawn.")
                continue
            times, risk = self._steps(rows)
            if not len(times):
                # said on the figure itself, where a reader of the report sees it
                ax.plot([], [], ls="none", label=f"{value} (n = {n}): fewer than "
                        f"{self.min_count} events, not drawn")
                self._rows.append({"element": "legend", "series": str(value), "n": n})
                continue
            xs, ys = np.r_[0.0, times], np.r_[0.0, risk]
            ax.step(xs, ys, where="post", label=f"{value} (n = {n})")
            self._rows.append({"element": "legend", "series": str(value), "n": n})
            self._rows += [{"element": "step", "series": str(value), "x": a, "y": b}
                           for a, b in zip(xs, ys, strict=True)]
        if self.horizon is not None:
            ax.axvline(self.horizon, color="grey", ls=":", lw=1, label="horizon")
            ax.set_xlim(0, self.horizon * 1.02)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(f"time since the index date ({self.time_unit})")
        estimator = "Aalen-Johansen" if competing else "1 − Kaplan-Meier"
        ax.set_ylabel(f"observed cumulative risk ({estimator})")
        ax.set_title(f"steps drawn only where at least {self.min_count} events and "
                     f"{self.min_count} workers at risk", fontsize="x-small", loc="right")
        place_legend(fig, ax, own, ncols=2)
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)
