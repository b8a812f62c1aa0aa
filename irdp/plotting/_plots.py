"""Implementation of the irdp plots (private; import from :mod:`irdp.plotting`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from irdp.exceptions import SmallGroupWarning
from irdp.metrics._inputs import prepare
from irdp.metrics.calibration import CalibrationResult
from irdp.metrics.classification import status_weights
from irdp.metrics.discrimination import roc_curve
from irdp.metrics.utility import DecisionCurve
from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import Binary, CompetingRisks

__all__ = ["DISCLOSURE_THRESHOLD", "plot_calibration", "plot_roc", "plot_decision_curve",
           "plot_observed_risk"]

DISCLOSURE_THRESHOLD = 11
"""Smallest group drawn (French statistical-secrecy practice: no cell below 11)."""


def _axes(ax: Any, nrows: int = 1, height_ratios: Sequence[float] | None = None) -> tuple:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 6 if nrows > 1 else 5), layout="constrained")
    if nrows == 1:
        return fig, fig.subplots()
    axes = fig.subplots(nrows, 1, sharex=True, gridspec_kw={"height_ratios": height_ratios})
    return fig, axes


def _suppress(what: str, n: int, min_count: int) -> None:
    warnings.warn(
        f"{what} has {n} subjects, fewer than the disclosure threshold {min_count}; it is "
        "not drawn.",
        SmallGroupWarning,
        stacklevel=3,
    )


def plot_calibration(
    result: CalibrationResult,
    ax: Any = None,
    *,
    min_count: int = DISCLOSURE_THRESHOLD,
    label: str | None = None,
) -> Any:
    """Calibration plot: flexible curve with pointwise band, diagonal, risk distribution.

    Parameters
    ----------
    result : CalibrationResult
        From :func:`irdp.metrics.calibration`.
    ax : matplotlib Axes, optional
        Draw the curve there (the distribution of risks is then drawn as a rug-like bar
        strip at the bottom of the same axis); otherwise a new figure with a histogram
        panel underneath is created.
    min_count : int, default=11
        Histogram bins with fewer subjects are not drawn; with fewer subjects in total
        nothing is drawn.
    label : str, optional
        Legend label of the curve (O/E and slope are appended).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.metrics import calibration
    >>> from irdp.plotting import plot_calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.7, 400)
    >>> fig = plot_calibration(calibration((rng.random(400) < p).astype(int), p))
    >>> type(fig).__name__
    'Figure'
    """
    if not isinstance(result, CalibrationResult):
        raise TypeError(
            "result must be a CalibrationResult from irdp.metrics.calibration(); got "
            f"{type(result).__name__}."
        )
    if ax is None:
        fig, (ax_c, ax_h) = _axes(None, 2, (4, 1))
    else:
        fig, ax_c = _axes(ax)
        ax_h = None
    ax_c.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="ideal")
    if result.n < min_count:
        _suppress("the calibration sample", result.n, min_count)
        return fig
    cv = result.curve
    text = f"O/E {result.oe.value:.2f}, slope {result.slope.value:.2f}"
    ax_c.plot(cv.predicted, cv.observed, color="C0",
              label=f"{label + ': ' if label else ''}{text}")
    if cv[["lower", "upper"]].notna().all().all():
        ax_c.fill_between(cv.predicted, cv.lower, cv.upper, color="C0", alpha=0.2,
                          label=f"{int(round(100 * result.oe.level))}% pointwise CI")
    top = float(max(cv.predicted.max(), np.nanmax(cv.upper.to_numpy(dtype=float))
                    if cv.upper.notna().any() else cv.observed.max()))
    lim = min(1.0, max(0.05, 1.1 * top))
    ax_c.set_xlim(0, lim)
    ax_c.set_ylim(0, lim)
    ax_c.set_ylabel("observed risk" + (f" by {result.horizon:g}" if result.horizon else ""))
    ax_c.legend(loc="upper left", fontsize="small")
    hist = result.histogram
    shown = hist[hist["count"] >= min_count]
    hidden = int((hist["count"].between(1, min_count - 1)).sum())
    target = ax_h if ax_h is not None else ax_c
    scale = 1.0 if ax_h is not None else 0.1 * lim / max(shown["count"].max(), 1)
    target.bar(shown.left, shown["count"] * scale, width=shown.right - shown.left,
               align="edge", color="grey", alpha=0.6)
    if ax_h is not None:
        ax_h.set_ylabel("n")
        ax_h.set_xlabel("predicted risk")
        if hidden:
            ax_h.set_title(f"{hidden} bins with < {min_count} subjects not shown",
                           fontsize="x-small", loc="right")
    else:
        ax_c.set_xlabel("predicted risk")
    return fig


def plot_roc(
    y: Any,
    risks: Mapping[str, Any] | Any,
    *,
    horizon: float | None = None,
    ax: Any = None,
    min_count: int = DISCLOSURE_THRESHOLD,
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
        With fewer cases or controls than this, nothing is drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from irdp.metrics import auc

    curves = risks if isinstance(risks, Mapping) else {"model": risks}
    fig, ax = _axes(ax)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    out, _, h = prepare(y, next(iter(curves.values())), horizon=horizon, probability=False)
    a, b = status_weights(out, h)
    cases, controls = int((a > 0).sum()), int((b > 0).sum())
    if min(cases, controls) < min_count:
        _suppress("the smaller of cases and controls", min(cases, controls), min_count)
        return fig
    for name, r in curves.items():
        frame = roc_curve(out, r, horizon=h)
        a = auc(out, r, horizon=h)
        ax.step(frame.fpr, frame.tpr, where="post", label=f"{name} (AUC {a.value:.3f})")
    ax.set_xlabel("1 - specificity" + (f" at {h:g}" if h else ""))
    ax.set_ylabel("sensitivity")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_decision_curve(
    curves: Sequence[DecisionCurve] | Mapping[str, DecisionCurve] | DecisionCurve,
    ax: Any = None,
    *,
    min_count: int = DISCLOSURE_THRESHOLD,
    ylim: tuple[float, float] | None = None,
) -> Any:
    """Decision curves of several indices with treat-all and treat-none.

    Parameters
    ----------
    curves : DecisionCurve, sequence of them or mapping name -> DecisionCurve
        From :func:`irdp.metrics.net_benefit` (same outcome and horizon).
    ax : matplotlib Axes, optional
    min_count : int, default=11
        Thresholds at which fewer subjects are flagged are not drawn.
    ylim : (float, float), optional
        Default: from -0.5 x to 1.1 x the largest treat-all or model net benefit. Net
        benefit is bounded by the prevalence, so a fixed floor such as -0.05 would flatten
        every curve of a rare outcome (an IRDP horizon risk is of the order of 1 %).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(curves, DecisionCurve):
        items = [(curves.name, curves)]
    elif isinstance(curves, Mapping):
        items = list(curves.items())
    else:
        items = [(c.name, c) for c in curves]
    if not items or not all(isinstance(c, DecisionCurve) for _, c in items):
        raise TypeError("curves must be DecisionCurve objects from irdp.metrics.net_benefit().")
    fig, ax = _axes(ax)
    first = items[0][1]
    if first.n < min_count:
        _suppress("the decision-curve sample", first.n, min_count)
        return fig
    f = first.frame
    ax.plot(f.threshold, f.treat_all, color="grey", label="treat all")
    ax.axhline(0.0, color="black", lw=1, label="treat none")
    top = max(1e-4, float(np.nanmax(f.treat_all)))
    for name, dc in items:
        fr = dc.frame
        n_flag = fr.share_flagged * dc.n
        ok = (n_flag >= min_count) | (n_flag == 0)
        nb = np.where(ok, fr.net_benefit, np.nan)
        ax.plot(fr.threshold, nb, label=name)
        if "lower" in fr:
            ax.fill_between(fr.threshold, np.where(ok, fr.lower, np.nan),
                            np.where(ok, fr.upper, np.nan), alpha=0.15)
        top = max(top, float(np.nanmax(nb)) if np.isfinite(nb).any() else top)
    ax.set_ylim(*(ylim or (-0.5 * top, 1.1 * top)))
    ax.set_xlabel("threshold probability")
    ax.set_ylabel("net benefit")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_observed_risk(
    y: Any,
    level: Any,
    *,
    horizon: float | None = None,
    ax: Any = None,
    min_count: int = DISCLOSURE_THRESHOLD,
) -> Any:
    """Observed cumulative risk over time (Kaplan-Meier or Aalen-Johansen) by risk level.

    Parameters
    ----------
    y : Survival or CompetingRisks
    level : array-like of shape (n_samples,)
        Risk level of each subject (e.g. "low", "medium", "high"); one curve per level.
    horizon : float, optional
        Draw a vertical line at the horizon and stop the curves there.
    ax : matplotlib Axes, optional
    min_count : int, default=11
        Levels with fewer subjects are not drawn (listed in a SmallGroupWarning).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(y, Binary) or not hasattr(y, "time"):
        raise TypeError("y must be a Survival or CompetingRisks outcome for observed-risk "
                        "curves over time.")
    lv = np.asarray(level)
    if len(lv) != len(y):
        raise ValueError(f"level must have one value per subject; got {len(lv)} for {len(y)}.")
    fig, ax = _axes(ax)
    t_end = y.max_time if horizon is None else float(horizon)
    for value in sorted(set(lv.tolist()), key=str):
        rows = lv == value
        n = int(rows.sum())
        if n < min_count:
            _suppress(f"risk level {value!r}", n, min_count)
            continue
        if isinstance(y, CompetingRisks):
            est = aalen_johansen(y.time[rows], y.cause[rows])
            times = est.times[est.times <= t_end]
            risk = est.cif_at(times, cause=y.event_of_interest)
        else:
            km = kaplan_meier(y.time[rows], y.event[rows])
            times = km.times[km.times <= t_end]
            risk = km.risk_at(times)
        ax.step(np.concatenate(([0.0], times, [t_end])),
                np.concatenate(([0.0], risk, [risk[-1] if len(risk) else 0.0])),
                where="post", label=f"{value} (n={n})")
    if horizon is not None:
        ax.axvline(float(horizon), color="grey", ls=":", lw=1)
    ax.set_xlabel("time")
    ax.set_ylabel("observed cumulative risk")
    ax.legend(loc="upper left", fontsize="small")
    return fig
