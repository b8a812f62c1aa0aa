"""Decision-curve display (private; import from :mod:`irdp.plotting`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from irdp.metrics.utility import DecisionCurve
from irdp.plotting._display import Display, finite
from irdp.plotting._style import (
    DISCLOSURE_THRESHOLD,
    check_min_count,
    legend_outside,
    suppressed_warning,
)
from irdp.validation.compare import ComparisonResult

__all__ = ["DecisionCurveDisplay"]


def _items(curves: Any) -> list[tuple[str, DecisionCurve]]:
    if isinstance(curves, DecisionCurve):
        items = [(curves.name, curves)]
    elif isinstance(curves, Mapping):
        items = list(curves.items())
    elif isinstance(curves, Sequence) and not isinstance(curves, str):
        items = [(getattr(c, "name", str(i)), c) for i, c in enumerate(curves)]
    else:
        items = []
    if not items or not all(isinstance(c, DecisionCurve) for _, c in items):
        raise TypeError("curves must be DecisionCurve objects from irdp.metrics.net_benefit() "
                        "(one, a sequence or a mapping name -> curve).")
    return [(str(n), c) for n, c in items]


class DecisionCurveDisplay(Display):
    """Decision curves of several indices with treat-all and treat-none.

    Parameters
    ----------
    curves : DecisionCurve, sequence of them or mapping name -> DecisionCurve
        From :func:`irdp.metrics.net_benefit` (same outcome and horizon).
    min_count : int, default=11
        The net benefit is drawn only at thresholds where the flagged and the unflagged
        workers both number at least ``min_count`` (or where nobody, or everybody, is
        flagged).
    ylim : (float, float), optional
        Default: from -0.5 x to 1.1 x the largest treat-all or model net benefit. Net
        benefit is bounded by the prevalence, so a fixed floor such as -0.05 would flatten
        every curve of a rare outcome (an IRDP horizon risk is of the order of 1 %).
    time_unit : str, default="days"

    References
    ----------
    Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating prediction
    models. Med Decis Making 2006;26:565-74.
    """

    def __init__(self, curves: Any, *, min_count: int = DISCLOSURE_THRESHOLD,
                 ylim: tuple[float, float] | None = None, time_unit: str = "days",
                 title: str | None = None) -> None:
        self.curves = _items(curves)
        self.min_count = check_min_count(min_count)
        self.ylim = ylim
        self.time_unit = time_unit
        self.title = title
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_curves(cls, curves: Any, *, ax: Any = None, **kwargs: Any) -> DecisionCurveDisplay:
        """Draw decision curves from :func:`irdp.metrics.net_benefit` results."""
        return cls(curves, **kwargs).plot(ax=ax)

    @classmethod
    def from_result(cls, result: DecisionCurve | ComparisonResult, *, ax: Any = None,
                    **kwargs: Any) -> DecisionCurveDisplay:
        """Draw a DecisionCurve, or every decision curve of a ComparisonResult."""
        if isinstance(result, ComparisonResult):
            kwargs.setdefault("title", f"Decision curves on the {result.n_common} workers "
                                       "with every risk known")
            return cls(result.decision_curves, **kwargs).plot(ax=ax)
        return cls(result, **kwargs).plot(ax=ax)

    @classmethod
    def from_predictions(cls, y: Any, risks: Mapping[str, Any], thresholds: Any, *,
                         horizon: float | None = None, ax: Any = None, **kwargs: Any
                         ) -> DecisionCurveDisplay:
        """Compute :func:`irdp.metrics.net_benefit` of each index and draw the curves."""
        from irdp.metrics import net_benefit

        curves = {n: net_benefit(y, r, thresholds, horizon=horizon, name=n)
                  for n, r in risks.items()}
        return cls(curves, **kwargs).plot(ax=ax)

    def plot(self, ax: Any = None) -> DecisionCurveDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        if ax is None:
            fig, ax = self._new_figure((7.5, 4.8))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        self._rows = []
        first = self.curves[0][1]
        horizon = "" if first.horizon is None else f" by {first.horizon:g} {self.time_unit}"
        ax.set_xlabel(f"risk threshold (predicted risk{horizon} above which a worker is "
                      "flagged)")
        ax.set_ylabel("net benefit (true positives per worker, net of false positives)")
        if self.title:
            ax.set_title(self.title, fontsize="medium")
        ax.axhline(0.0, color="black", lw=1, label="flag nobody")
        if first.n < self.min_count:
            suppressed_warning(
                f"the decision-curve sample has {first.n} subjects, fewer than the disclosure "
                f"threshold {self.min_count}; no curve is drawn.")
            return self
        f = first.frame
        thr, treat_all = finite(f["threshold"]), finite(f["treat_all"])
        ax.plot(thr, treat_all, color="grey", label="flag everybody")
        self._rows += [{"element": "curve", "series": "flag everybody", "x": a, "y": b}
                       for a, b in zip(thr, treat_all, strict=True)]
        top = max(1e-4, float(np.nanmax(treat_all)))
        for name, dc in self.curves:
            top = max(top, self._draw_curve(ax, name, dc))
        ax.set_ylim(*(self.ylim or (-0.5 * top, 1.1 * top)))
        ax.set_xlim(float(np.nanmin(thr)), float(np.nanmax(thr)))
        legend_outside(ax)
        return self

    def _draw_curve(self, ax: Any, name: str, dc: DecisionCurve) -> float:
        fr = dc.frame
        thr = finite(fr["threshold"])
        n_flag = np.rint(finite(fr["share_flagged"]) * dc.n)
        m = self.min_count
        ok = ((n_flag >= m) & (dc.n - n_flag >= m)) | (n_flag == 0) | (n_flag == dc.n)
        nb = np.where(ok, finite(fr["net_benefit"]), np.nan)
        line = ax.plot(thr, nb, label=name)[0]
        self._rows += [{"element": "curve", "series": name, "x": a, "y": b}
                       for a, b in zip(thr, nb, strict=True) if np.isfinite(b)]
        if "lower" in fr and "upper" in fr:
            lo = np.where(ok, finite(fr["lower"]), np.nan)
            hi = np.where(ok, finite(fr["upper"]), np.nan)
            ax.fill_between(thr, lo, hi, alpha=0.15, color=line.get_color())
            self._rows += [{"element": "band", "series": name, "x": a, "y_lower": b,
                            "y_upper": c} for a, b, c in zip(thr, lo, hi, strict=True)
                           if np.isfinite(b)]
        return float(np.nanmax(nb)) if np.isfinite(nb).any() else 0.0

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)
