"""Forest plots (private; import from :mod:`irdp.plotting`).

- :class:`MetaForestDisplay`: random-effects meta-analysis (centres, pooled diamond,
  prediction interval), also for internal-external cross-validation;
- :class:`FairnessForestDisplay`: one measure by group with the overall value.

No legend: every row is named on the y axis (a legend in the data area hid the last
centre's point), the prediction interval has its own row under the diamond, and ratios are
drawn on a logarithmic axis with plain tick labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from irdp.fairness.plots import GroupForest
from irdp.plotting._display import Display, finite
from irdp.plotting._style import is_ratio, measure_label, plain_log_axis, reference_value
from irdp.validation.iecv import IECVResult
from irdp.validation.meta import MetaAnalysisResult

__all__ = ["FairnessForestDisplay", "MetaForestDisplay"]


def _log_limits(values: np.ndarray, reference: float | None) -> tuple[float, float]:
    v = values[np.isfinite(values) & (values > 0)]
    if reference is not None:
        v = np.r_[v, reference]
    if not len(v):
        return 0.5, 2.0
    low, high = float(v.min()), float(v.max())
    span = max(np.log(high / low), np.log(2.0))  # at least a factor 2 on the axis
    mid = 0.5 * (np.log(low) + np.log(high))
    return float(np.exp(mid - 0.55 * span)), float(np.exp(mid + 0.55 * span))


def _num(v: float) -> str:
    return f"{v:.2f}" if abs(v) >= 0.1 or v == 0 else f"{v:.2g}"


def _fmt(v: float, lo: float, hi: float) -> str:
    if not np.isfinite(v):
        return ""
    if np.isfinite(lo) and np.isfinite(hi):
        return f"{_num(v)} ({_num(lo)} to {_num(hi)})"
    return _num(v)


class MetaForestDisplay(Display):
    """Forest plot of a random-effects meta-analysis: centres, pooled diamond, PI.

    Parameters
    ----------
    result : MetaAnalysisResult
    measure : str, optional
        Name of the measure (axis label in words, reference line, log axis for ratios).
    title : str, optional
    reference : float, optional
        Vertical reference line (default: 1 for O/E and slope, 0.5 for C, none otherwise).
    unit : str, default="centre"
        What a row is ("held-out SPSTI", "period"...), for the title.

    References
    ----------
    Debray TPA et al. A guide to systematic review and meta-analysis of prediction model
    performance. BMJ 2017;356:i6460. IntHout J et al. Plea for routinely presenting
    prediction intervals in meta-analysis. BMJ Open 2016;6:e010247.
    """

    def __init__(self, result: MetaAnalysisResult, *, measure: str | None = None,
                 title: str | None = None, reference: float | None = None,
                 unit: str = "centre") -> None:
        if not isinstance(result, MetaAnalysisResult):
            raise TypeError(f"result must be a MetaAnalysisResult; got {type(result).__name__}.")
        self.result = result
        self.measure = measure
        self.title = title
        self.reference = reference if reference is not None or measure is None \
            else reference_value(measure)
        self.unit = unit
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_result(cls, result: MetaAnalysisResult, *, ax: Any = None, **kwargs: Any
                    ) -> MetaForestDisplay:
        """Draw a :class:`~irdp.validation.MetaAnalysisResult`."""
        return cls(result, **kwargs).plot(ax=ax)

    @classmethod
    def from_iecv(cls, result: IECVResult, measure: str, *, ax: Any = None, **kwargs: Any
                  ) -> MetaForestDisplay:
        """Draw one pooled measure of an internal-external cross-validation."""
        return cls._for_iecv(result, measure, **kwargs).plot(ax=ax)

    @classmethod
    def _for_iecv(cls, result: IECVResult, measure: str, **kwargs: Any) -> MetaForestDisplay:
        measure = result._key(measure)
        unit = "period" if result.scheme == "forward" else "held-out centre"
        kwargs.setdefault("unit", unit)
        kwargs.setdefault("title", f"{measure_label(measure).capitalize()} in each {unit}")
        return cls(result.pooled[measure], measure=measure, **kwargs)

    def _rows_layout(self) -> tuple[np.ndarray, float, float]:
        k = self.result.k
        ypos = np.arange(k, 0, -1) + 2.0  # centres at k+2 .. 3
        return ypos, 2.0, 1.0  # diamond at 2, prediction interval at 1

    def plot(self, ax: Any = None) -> MetaForestDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        r, c = self.result, self.result.centres
        if ax is None:
            fig, ax = self._new_figure((7.5, 1.4 + 0.38 * (r.k + 2)))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        ypos, y_pool, y_pi = self._rows_layout()
        est, lo, hi = finite(c["estimate"]), finite(c["lower"]), finite(c["upper"])
        ax.hlines(ypos, lo, hi, color="black", lw=1)
        weights = finite(c["weight"]) if "weight" in c else np.full(len(est), 100.0 / r.k)
        ax.scatter(est, ypos, s=20 + 2.0 * np.nan_to_num(weights), marker="s", color="black",
                   zorder=3)
        labels = [str(v) for v in c["label"]]
        self._rows = [{"element": "point", "series": lab, "x": e, "y": y, "x_lower": a,
                       "x_upper": b} for lab, e, y, a, b in zip(labels, est, ypos, lo, hi,
                                                               strict=True)]
        ticks, names = list(ypos), list(labels)
        if r.pooled:
            ax.fill([r.lower, r.estimate, r.upper, r.estimate],
                    [y_pool, y_pool + 0.3, y_pool, y_pool - 0.3], color="tab:blue", zorder=3)
            names.append(f"pooled estimate (I² = {r.i2:.0f} %)")
            ticks.append(y_pool)
            self._rows.append({"element": "diamond", "series": "pooled", "x": r.estimate,
                               "y": y_pool, "x_lower": r.lower, "x_upper": r.upper})
        elif self.title is None:
            self.title = f"Per-{self.unit} results (too few to pool: k = {r.k})"
        values = np.r_[est, lo, hi, r.estimate, r.lower, r.upper]
        if np.isfinite([r.pi_lower, r.pi_upper]).all():
            ax.errorbar([r.estimate], [y_pi], xerr=[[r.estimate - r.pi_lower],
                                                   [r.pi_upper - r.estimate]],
                        fmt="none", ecolor="tab:blue", elinewidth=1.5, capsize=4)
            ticks.append(y_pi)
            names.append(f"{100 * r.level:.0f} % prediction interval")
            self._rows.append({"element": "interval", "series": "prediction interval",
                               "x": r.estimate, "y": y_pi, "x_lower": r.pi_lower,
                               "x_upper": r.pi_upper})
            values = np.r_[values, r.pi_lower, r.pi_upper]
            ax.text(1.02, y_pi, f"({_num(r.pi_lower)} to {_num(r.pi_upper)})",
                    fontsize="small", transform=ax.get_yaxis_transform(), ha="left",
                    va="center")
        self._axes(ax, ticks, names, values, ypos)
        pooled_row = [(r.estimate, r.lower, r.upper, y_pool)] if r.pooled else []
        self._numbers(ax, [*zip(est, lo, hi, ypos, strict=True), *pooled_row])
        return self

    def _numbers(self, ax: Any, rows: list[tuple[float, float, float, float]]) -> None:
        """Estimates and CIs written to the right of the axes (what a reader cites)."""
        transform = ax.get_yaxis_transform()  # x in axes fraction, y in data
        ax.text(1.02, max(r[3] for r in rows) + 0.75, "estimate (95 % CI)", fontsize="small",
                transform=transform, ha="left", va="center", fontweight="bold")
        for v, lo, hi, y in rows:
            ax.text(1.02, y, _fmt(v, lo, hi), fontsize="small", transform=transform,
                    ha="left", va="center")

    def _axes(self, ax: Any, ticks: list[float], names: list[str], values: np.ndarray,
              ypos: np.ndarray) -> None:
        r = self.result
        if self.reference is not None:
            ax.axvline(self.reference, color="grey", lw=0.8, ls=":")
        ax.set_yticks(ticks, names)
        ax.set_ylim(min(ticks) - 0.7, ypos.max() + 0.7)
        if r.scale == "log" or (self.measure is not None and is_ratio(self.measure)):
            plain_log_axis(ax, "x", limits=_log_limits(values, self.reference))
        xlabel = measure_label(self.measure) if self.measure else "estimate"
        ax.set_xlabel(f"{xlabel} ({100 * r.level:.0f} % CI)")
        ax.set_title(self.title or f"Random-effects meta-analysis ({r.method})",
                     fontsize="medium")
        ax.tick_params(axis="y", length=0)

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)


class FairnessForestDisplay(Display):
    """Forest plot of one measure by group (point and CI), overall value as a dashed line.

    Suppressed groups are listed with the word "suppressed" and no point.

    Parameters
    ----------
    forest : GroupForest
        From :meth:`irdp.fairness.plots.GroupForest.from_result`.
    title : str, optional
    """

    def __init__(self, forest: GroupForest, *, title: str | None = None) -> None:
        if not isinstance(forest, GroupForest):
            raise TypeError(f"forest must be a GroupForest; got {type(forest).__name__}.")
        self.forest = forest
        self.title = title
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_result(cls, result: Any, measure: str = "oe_ratio", *, ax: Any = None,
                    **kwargs: Any) -> FairnessForestDisplay:
        """Draw ``measure`` of a GroupPerformance or FairnessSummary."""
        return cls(GroupForest.from_result(result, measure), **kwargs).plot(ax=ax)

    def plot(self, ax: Any = None) -> FairnessForestDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        t, measure = self.forest.table, self.forest.measure
        if ax is None:
            fig, ax = self._new_figure((7.0, 0.36 * len(t) + 1.6))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        ypos = np.arange(len(t))[::-1].astype(float)
        v, lo, hi = (t[c].to_numpy(dtype=float) for c in ("value", "lower", "upper"))
        ok = np.isfinite(v)
        has_ci = ok & np.isfinite(lo) & np.isfinite(hi)
        # interval as a segment: a percentile bootstrap CI need not contain its estimate
        ax.hlines(ypos[has_ci], lo[has_ci], hi[has_ci], color="C0")
        ax.plot(v[ok], ypos[ok], "o", color="C0")
        self._rows = [{"element": "point", "series": lab, "x": a, "y": y, "x_lower": b,
                       "x_upper": c} for lab, a, y, b, c, keep
                      in zip(t["label"], v, ypos, lo, hi, ok, strict=True) if keep]
        overall = np.flatnonzero(t["overall"].to_numpy(dtype=bool) & ok)
        if len(overall):
            ax.axvline(v[overall[0]], linestyle="--", color="grey", linewidth=1)
        for i in np.flatnonzero(~ok):
            ax.annotate("suppressed", (0.02, ypos[i]), xycoords=("axes fraction", "data"),
                        va="center", fontsize=8, color="grey")
        ax.set_yticks(ypos, [str(s) for s in t["label"]])
        ax.set_ylim(-0.7, len(t) - 0.3)
        if is_ratio(measure) and ok.any():
            plain_log_axis(ax, "x", limits=_log_limits(np.r_[v, lo, hi], 1.0))
        ax.set_xlabel(measure_label(measure))
        ax.set_title(self.title or f"{measure_label(measure).capitalize()} by group",
                     fontsize="medium")
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)
