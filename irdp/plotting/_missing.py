"""Missing-data displays (private; import from :mod:`irdp.plotting`).

- :class:`CompletenessDisplay`: discrimination and calibration as fields of the DMST are
  deleted at increasing rates (:func:`irdp.missing.completeness_sensitivity`);
- :class:`StrategyComparisonDisplay`: the performance of an index under each missing-data
  strategy (:func:`irdp.missing.compare_strategies`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from irdp.missing.strategies import CompletenessSensitivity, StrategyComparison
from irdp.plotting._display import Display, finite
from irdp.plotting._style import (
    is_ratio,
    legend_outside,
    measure_label,
    padded_limits,
    plain_log_axis,
    reference_value,
)

__all__ = ["CompletenessDisplay", "StrategyComparisonDisplay"]

_STRATEGY_LABELS = {
    "complete_case": "complete cases only",
    "indicator": "missing-indicator",
    "mean": "mean imputation",
    "absent": "missing = absent",
    "single": "single imputation (chained equations)",
    "multiple": "multiple imputation (chained equations)",
}


def _check_axes(ax: Any, n: int) -> list[Any]:
    axes = list(np.ravel(ax)) if isinstance(ax, list | tuple | np.ndarray) else [ax]
    if len(axes) != n:
        raise ValueError(f"ax must be a sequence of {n} matplotlib Axes (one per panel); got "
                         f"{len(axes)}.")
    return axes


class CompletenessDisplay(Display):
    """Discrimination and calibration against the share of a field deleted.

    The AUC panel spans at least 0.2 and the calibration panel at least 0.5 around 1, so
    that a change of 0.002 looks as small as it is.

    Parameters
    ----------
    result : CompletenessSensitivity

    References
    ----------
    Van Buuren S. Flexible Imputation of Missing Data, 2nd ed. CRC Press 2018, ch. 2
    (missing-data mechanisms).
    """

    panels = (("auc",), ("oe_ratio", "calibration_slope"))

    def __init__(self, result: CompletenessSensitivity) -> None:
        if not isinstance(result, CompletenessSensitivity):
            raise TypeError(
                f"result must be a CompletenessSensitivity; got {type(result).__name__}."
            )
        self.result = result
        self.axes_: list[Any] = []
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_result(cls, result: CompletenessSensitivity, *, ax: Any = None
                    ) -> CompletenessDisplay:
        """Draw a :class:`~irdp.missing.CompletenessSensitivity`."""
        return cls(result).plot(ax=ax)

    def plot(self, ax: Any = None) -> CompletenessDisplay:
        """Draw on a pair of Axes ``ax`` (a new two-panel figure when None); return self."""
        if ax is None:
            fig, axes = self._new_figure((11.0, 4.2), ncols=2)
            axes = list(axes)
        else:
            axes = _check_axes(ax, 2)
            fig = axes[0].figure
        self.figure_, self.ax_, self.axes_ = fig, axes[0], axes
        self._rows = []
        s, r = self.result.summary, self.result
        titles = ("Discrimination", "Calibration (ideal 1)")
        for a, names, title in zip(axes, self.panels, titles, strict=True):
            values = []
            for name in names:
                sub = s[s["measure"] == name]
                x, m = finite(sub["rate"]), finite(sub["mean"])
                lo, hi = finite(sub["lower"]), finite(sub["upper"])
                a.plot(x, m, marker="o", label=measure_label(name))
                a.fill_between(x, lo, hi, alpha=0.2)
                values += [*m, *lo, *hi]
                self._rows += [{"panel": title, "element": "point", "series": name, "x": u,
                                "y": v, "y_lower": p, "y_upper": q}
                               for u, v, p, q in zip(x, m, lo, hi, strict=True)]
            if len(names) > 1:
                a.axhline(1.0, linestyle=":", color="black", linewidth=1)
                a.set_ylim(*padded_limits(values, min_span=0.5, include=[1.0],
                                          bounds=(0.0, np.inf)))
            else:
                a.set_ylim(*padded_limits(values, min_span=0.2, bounds=(0.0, 1.0)))
            a.set_ylabel(measure_label(names[0]) if len(names) == 1 else "value (ideal 1)")
            a.set_xlabel(f"share of {', '.join(r.fields)} deleted ({r.mechanism})")
            a.set_xticks(sorted(set(finite(s["rate"]))))
            a.xaxis.set_major_formatter(_percent())
            a.set_title(title, fontsize="medium")
            if len(names) > 1:
                legend_outside(a)
        fig.suptitle(f"Completeness stress test (missing values handled by: {r.strategy})")
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


class StrategyComparisonDisplay(Display):
    """Performance of an index under each missing-data strategy, one panel per measure.

    Parameters
    ----------
    result : StrategyComparison
    measures : sequence of str, optional
        Default: every measure of the result, in its order.

    References
    ----------
    Sperrin M. et al. Missing data should be handled differently for prediction than for
    description or causal explanation. J Clin Epidemiol 2020;125:183-7.
    """

    def __init__(self, result: StrategyComparison, *, measures: Any = None) -> None:
        if not isinstance(result, StrategyComparison):
            raise TypeError(f"result must be a StrategyComparison; got {type(result).__name__}.")
        self.result = result
        present = list(dict.fromkeys(result.table["measure"]))
        self.measures = present if measures is None else [m for m in measures if m in present]
        if not self.measures:
            raise ValueError(f"measures must name measures of the result; available: "
                             f"{present}.")
        self.axes_: list[Any] = []
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_result(cls, result: StrategyComparison, *, ax: Any = None, **kwargs: Any
                    ) -> StrategyComparisonDisplay:
        """Draw a :class:`~irdp.missing.StrategyComparison`."""
        return cls(result, **kwargs).plot(ax=ax)

    def plot(self, ax: Any = None) -> StrategyComparisonDisplay:
        """Draw on one Axes per measure (a new figure when None) and return self."""
        t = self.result.table
        strategies = list(dict.fromkeys(t["strategy"]))
        k = len(self.measures)
        if ax is None:
            fig, axes = self._new_figure((3.2 * k + 2.4, 0.45 * len(strategies) + 1.8),
                                         ncols=k, sharey=True, squeeze=False)
            axes = list(axes[0])
        else:
            axes = _check_axes(ax, k)
            fig = axes[0].figure
        self.figure_, self.ax_, self.axes_ = fig, axes[0], axes
        self._rows = []
        ypos = np.arange(len(strategies))[::-1].astype(float)
        for a, measure in zip(axes, self.measures, strict=True):
            sub = t[t["measure"] == measure].set_index("strategy").reindex(strategies)
            v, lo, hi = finite(sub["value"]), finite(sub["lower"]), finite(sub["upper"])
            a.hlines(ypos, lo, hi, color="C0")
            a.plot(v, ypos, "o", color="C0")
            self._rows += [{"panel": measure, "element": "point", "series": s, "x": p, "y": y,
                            "x_lower": q, "x_upper": u}
                           for s, p, y, q, u in zip(strategies, v, ypos, lo, hi, strict=True)]
            ref = reference_value(measure)
            if ref is not None:
                a.axvline(ref, color="grey", ls=":", lw=1)
            if is_ratio(measure):
                plain_log_axis(a, "x", limits=_ratio_limits(np.r_[v, lo, hi]))
            a.set_xlabel(f"{measure_label(measure)} (95 % CI)")
        axes[0].set_yticks(ypos, [_STRATEGY_LABELS.get(s, s) for s in strategies])
        axes[0].set_ylim(-0.7, len(strategies) - 0.3)
        fig.suptitle("Missing-data strategies, validated on held-out workers")
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)


def _ratio_limits(values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values) & (values > 0)]
    low = min(float(v.min()) if len(v) else 1.0, 1.0) / 1.15
    high = max(float(v.max()) if len(v) else 1.0, 1.0) * 1.15
    return min(low, 0.7), max(high, 1.4)
