"""Shared conventions of the irdp figures (private): words for measures, axes, legends.

Every figure labels its axes in words with their unit, keeps its legend outside the data
area (a legend must never hide a point), writes ratios on a logarithmic axis with plain tick
labels (0.5, 1, 2: never ``6×10⁻¹``), and gives a reader axis limits wide enough to judge the
size of a difference (an AUC axis is never a 0.002-wide zoom).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from irdp.exceptions import SmallGroupWarning
from irdp.privacy import DEFAULT_THRESHOLD

__all__ = [
    "DISCLOSURE_THRESHOLD",
    "MEASURE_LABELS",
    "check_min_count",
    "ideal_square",
    "legend_below",
    "legend_outside",
    "measure_label",
    "plain_log_axis",
    "reference_value",
    "risk_words",
    "suppressed_warning",
]

DISCLOSURE_THRESHOLD = DEFAULT_THRESHOLD
"""Smallest group drawn (:data:`irdp.privacy.DEFAULT_THRESHOLD`: no cell below 11)."""

#: Words for the measure names used by irdp's results.
MEASURE_LABELS: dict[str, str] = {
    "c": "C statistic",
    "auc": "AUC (C statistic)",
    "td_auc": "time-dependent AUC",
    "oe": "observed / expected ratio",
    "oe_ratio": "observed / expected ratio",
    "calibration_slope": "calibration slope",
    "slope": "calibration slope",
    "citl": "calibration-in-the-large",
    "calibration_in_the_large": "calibration-in-the-large",
    "brier": "Brier score",
    "ipa": "index of prediction accuracy (IPA)",
    "ici": "integrated calibration index (ICI)",
    "observed_risk": "observed risk",
    "mean_risk": "mean predicted risk",
    "net_benefit": "net benefit",
    "selection_rate": "share flagged",
    "tpr": "sensitivity (true-positive rate)",
    "fpr": "false-positive rate",
    "ppv": "positive predictive value",
    "npv": "negative predictive value",
}

_REFERENCE: dict[str, float] = {
    "c": 0.5, "auc": 0.5, "td_auc": 0.5, "oe": 1.0, "oe_ratio": 1.0,
    "calibration_slope": 1.0, "slope": 1.0, "citl": 0.0, "calibration_in_the_large": 0.0,
}

_RATIOS = frozenset({"oe", "oe_ratio"})


def _base(measure: str) -> tuple[str, str]:
    """Split ``"tpr@0.1"`` into ``("tpr", "0.1")``."""
    name, _, at = str(measure).partition("@")
    return name, at


def measure_label(measure: str) -> str:
    """Words for a measure name (``"oe"`` -> ``"observed / expected ratio"``)."""
    name, at = _base(measure)
    words = MEASURE_LABELS.get(name, name.replace("_", " "))
    return f"{words} at threshold {at}" if at else words


def reference_value(measure: str) -> float | None:
    """Value of perfect calibration or of no discrimination (None when there is none)."""
    return _REFERENCE.get(_base(measure)[0])


def is_ratio(measure: str) -> bool:
    """Whether the measure is a ratio (drawn on a logarithmic axis)."""
    return _base(measure)[0] in _RATIOS


_COARSE = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0,
           50.0, 100.0)
_FINE = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0)


def _ticks_between(low: float, high: float, max_ticks: int = 7) -> list[float]:
    inside = [v for v in _COARSE if low <= v <= high]
    if len(inside) < 3:
        inside = [v for v in _FINE if low <= v <= high]
    while len(inside) > max_ticks:
        keep = {inside[0], inside[-1], 1.0}
        inside = [v for i, v in enumerate(inside) if i % 2 == 0 or v in keep]
    return inside


def plain_log_axis(ax: Any, which: str = "x", *, limits: tuple[float, float] | None = None
                   ) -> None:
    """Logarithmic axis with plain tick labels (0.5, 1, 2), no scientific notation."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if limits is not None:
        (ax.set_xlim if which == "x" else ax.set_ylim)(*limits)
    low, high = ax.get_xlim() if which == "x" else ax.get_ylim()
    ticks = _ticks_between(low, high)
    if len(ticks) < 2:
        ticks = [float(f"{v:.2g}") for v in np.geomspace(low, high, 4)]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_locator(NullLocator())


def legend_outside(ax: Any, **kwargs: Any) -> Any:
    """A legend to the right of the axes, outside the data area (never hides a point)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    options = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0,
               "frameon": False, "fontsize": "small"}
    options.update(kwargs)
    return ax.legend(handles, labels, **options)


def legend_below(fig: Any, ax: Any, **kwargs: Any) -> Any:
    """A figure legend under the axes (for a figure a display owns; never hides a point)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    options = {"loc": "outside lower center", "frameon": False, "fontsize": "small",
               "ncols": 1}
    options.update(kwargs)
    return fig.legend(handles, labels, **options)


def place_legend(fig: Any, ax: Any, own: bool, **kwargs: Any) -> Any:
    """The legend of a display: under the axes of a figure the display owns
    (:func:`legend_below`), to the right of axes the caller passed (:func:`legend_outside`)."""
    return legend_below(fig, ax, **kwargs) if own else legend_outside(ax)


def check_min_count(min_count: Any) -> int:
    """Validate the disclosure threshold of a figure."""
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer):
        raise TypeError(f"min_count must be an int; got {type(min_count).__name__}.")
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1; got {min_count}. The disclosure threshold "
                         f"is {DEFAULT_THRESHOLD} unless an explicit policy overrides it.")
    return int(min_count)


def _caller_stacklevel() -> int:
    """Stack level of the first frame outside irdp (the user's line), for warnings."""
    import sys
    from pathlib import Path

    package = str(Path(__file__).resolve().parents[1])
    frame, level = sys._getframe(1), 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
            package):
        frame, level = frame.f_back, level + 1
    return level


def suppressed_warning(message: str) -> None:
    """Warn (:class:`~irdp.exceptions.SmallGroupWarning`) that something is not drawn.

    The warning points at the user's line, however deep in irdp it was raised.
    """
    warnings.warn(message, SmallGroupWarning, stacklevel=_caller_stacklevel())


def padded_limits(values: Sequence[float], *, min_span: float, include: Sequence[float] = (),
                  bounds: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float]:
    """Axis limits around ``values`` (and ``include``), at least ``min_span`` wide.

    So that a difference of 0.002 between two AUCs looks as small as it is.
    """
    v = np.asarray([*values, *include], dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return bounds if np.isfinite(bounds).all() else (0.0, 1.0)
    low, high = float(v.min()), float(v.max())
    pad = 0.08 * (high - low)
    low, high = low - pad, high + pad
    if high - low < min_span:
        mid = 0.5 * (low + high)
        low, high = mid - min_span / 2, mid + min_span / 2
    if low < bounds[0]:
        low, high = bounds[0], max(high, bounds[0] + min_span)
    if high > bounds[1]:
        low, high = min(low, bounds[1] - min_span), bounds[1]
    return max(low, bounds[0]), min(high, bounds[1])


def risk_words(horizon: float | None, time_unit: str = "days") -> str:
    """`` by <horizon> <unit>`` for an axis label of risks at a horizon ('' without one)."""
    return "" if horizon is None else f" by {horizon:g} {time_unit}"


def ideal_square(ax: Any, top: float, pad: float = 1.05) -> float:
    """Square risk axes from 0 to ``min(1, pad * top)`` with the dotted ideal diagonal.

    Returns the upper limit.
    """
    lim = min(1.0, pad * top)
    ax.plot([0, lim], [0, lim], color="grey", lw=0.8, ls=":", label="ideal")
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    return lim
