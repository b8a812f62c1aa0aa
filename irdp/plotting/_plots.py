"""The plotting functions (private; import from :mod:`irdp.plotting`).

Each builds the matching display and returns the figure it drew on: a
:class:`~irdp.plotting.DisplayFigure` (a matplotlib Figure that renders inline in Jupyter,
with ``figure.display_`` giving the coordinates drawn), or ``ax``'s figure when ``ax`` is
given. Code that calls ``savefig`` or ``pyplot.close`` on what they return keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from irdp.metrics.calibration import CalibrationResult
from irdp.metrics.utility import DecisionCurve
from irdp.plotting._calibration import CalibrationDisplay
from irdp.plotting._decision import DecisionCurveDisplay
from irdp.plotting._observed import ObservedRiskDisplay
from irdp.plotting._roc import RocCurveDisplay
from irdp.plotting._style import DISCLOSURE_THRESHOLD

__all__ = ["plot_calibration", "plot_decision_curve", "plot_observed_risk", "plot_roc"]


def plot_calibration(
    result: CalibrationResult,
    ax: Any = None,
    *,
    min_count: int = DISCLOSURE_THRESHOLD,
    label: str | None = None,
    time_unit: str = "days",
) -> Any:
    """Calibration plot: flexible curve with pointwise band, diagonal, risk distribution.

    Parameters
    ----------
    result : CalibrationResult
        From :func:`irdp.metrics.calibration`.
    ax : matplotlib Axes, optional
        Draw the curve there (the distribution of risks is then drawn as a strip at the
        bottom of the same axis); otherwise a new figure with a histogram panel underneath.
    min_count : int, default=11
        Histogram bins with fewer subjects are not drawn; with fewer subjects in total
        nothing is drawn.
    label : str, optional
        Legend label of the curve (O/E, slope and ICI are appended).
    time_unit : str, default="days"
        Unit of the horizon of a timed outcome.

    Returns
    -------
    matplotlib.figure.Figure
        See :class:`CalibrationDisplay` for the display itself.

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.metrics import calibration
    >>> from irdp.plotting import plot_calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.7, 400)
    >>> fig = plot_calibration(calibration((rng.random(400) < p).astype(int), p))
    >>> type(fig).__name__
    'DisplayFigure'
    """
    display = CalibrationDisplay(result, label=label, min_count=min_count, time_unit=time_unit)
    return display.plot(ax=ax).figure_


def plot_roc(
    y: Any,
    risks: Mapping[str, Any] | Any,
    *,
    horizon: float | None = None,
    ax: Any = None,
    min_count: int = DISCLOSURE_THRESHOLD,
    time_unit: str = "days",
) -> Any:
    """ROC curves (time-dependent, IPCW, for timed outcomes) of one or several indices.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risks : array-like or mapping name -> array-like
    horizon : float, optional
        Required for timed outcomes.
    ax : matplotlib Axes, optional
    min_count : int, default=11
        Each drawn vertex separates blocks of at least ``min_count`` cases and controls.
    time_unit : str, default="days"

    Returns
    -------
    matplotlib.figure.Figure
        See :class:`RocCurveDisplay`.
    """
    return RocCurveDisplay.from_predictions(y, risks, horizon=horizon, ax=ax,
                                           min_count=min_count, time_unit=time_unit).figure_


def plot_decision_curve(
    curves: Sequence[DecisionCurve] | Mapping[str, DecisionCurve] | DecisionCurve,
    ax: Any = None,
    *,
    min_count: int = DISCLOSURE_THRESHOLD,
    ylim: tuple[float, float] | None = None,
    time_unit: str = "days",
) -> Any:
    """Decision curves of several indices with flag-everybody and flag-nobody.

    Parameters
    ----------
    curves : DecisionCurve, sequence of them or mapping name -> DecisionCurve
        From :func:`irdp.metrics.net_benefit` (same outcome and horizon).
    ax : matplotlib Axes, optional
    min_count : int, default=11
        Thresholds at which fewer subjects are flagged, or left unflagged, are not drawn.
    ylim : (float, float), optional
        Default: from -0.5 x to 1.1 x the largest treat-all or model net benefit.
    time_unit : str, default="days"

    Returns
    -------
    matplotlib.figure.Figure
        See :class:`DecisionCurveDisplay`.
    """
    display = DecisionCurveDisplay(curves, min_count=min_count, ylim=ylim, time_unit=time_unit)
    return display.plot(ax=ax).figure_


def plot_observed_risk(
    y: Any,
    level: Any,
    *,
    horizon: float | None = None,
    ax: Any = None,
    min_count: int = DISCLOSURE_THRESHOLD,
    time_unit: str = "days",
    order: Any = None,
) -> Any:
    """Observed cumulative risk over time (Kaplan-Meier or Aalen-Johansen) by risk level.

    Parameters
    ----------
    y : Survival or CompetingRisks
    level : array-like of shape (n_samples,)
        Risk level of each subject (e.g. "faible", "intermédiaire", "forte").
    horizon : float, optional
        Draw a vertical line at the horizon and stop the curves there.
    ax : matplotlib Axes, optional
    min_count : int, default=11
        Levels with fewer subjects are not drawn; steps are drawn only where the risk set
        and the events since the last drawn step both reach ``min_count``.
    time_unit : str, default="days"
    order : sequence, optional
        Order of the levels in the legend.

    Returns
    -------
    matplotlib.figure.Figure
        See :class:`ObservedRiskDisplay`.
    """
    display = ObservedRiskDisplay(y, level, horizon=horizon, min_count=min_count,
                                  time_unit=time_unit, order=order)
    return display.plot(ax=ax).figure_
