"""Calibration by group (private; import from :mod:`irdp.plotting`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from irdp.fairness.calibration import GroupCalibration
from irdp.plotting._display import Display, finite
from irdp.plotting._style import legend_outside

__all__ = ["GroupCalibrationDisplay"]


class GroupCalibrationDisplay(Display):
    """Binned calibration curves of every reported group on one plot, with the diagonal.

    Bins masked by disclosure control (observed risk hidden) are not drawn.

    Parameters
    ----------
    result : GroupCalibration
        From :func:`irdp.fairness.group_calibration`.
    time_unit : str, default="days"

    References
    ----------
    Van Calster B. et al. Calibration: the Achilles heel of predictive analytics. BMC Med
    2019;17:230.
    """

    def __init__(self, result: GroupCalibration, *, time_unit: str = "days") -> None:
        if not isinstance(result, GroupCalibration):
            raise TypeError(f"result must be a GroupCalibration; got {type(result).__name__}.")
        self.result = result
        self.time_unit = time_unit
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_result(cls, result: GroupCalibration, *, ax: Any = None, **kwargs: Any
                    ) -> GroupCalibrationDisplay:
        """Draw a :class:`~irdp.fairness.GroupCalibration`."""
        return cls(result, **kwargs).plot(ax=ax)

    def plot(self, ax: Any = None) -> GroupCalibrationDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        if ax is None:
            fig, ax = self._new_figure((7.2, 5.0))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        self._rows = []
        cur, names = self.result.curves, list(self.result.group_names)
        lim = 0.0
        if not cur.empty:
            for key, sub in cur.groupby(names, sort=True):
                key = key if isinstance(key, tuple) else (key,)
                label = " x ".join(map(str, key))
                x, yv = finite(sub["mean_predicted"]), finite(sub["observed"])
                keep = np.isfinite(yv) & np.isfinite(x)
                if not keep.any():
                    continue
                ax.plot(x[keep], yv[keep], marker="o", label=label)
                self._rows += [{"element": "point", "series": label, "x": a, "y": b}
                               for a, b in zip(x[keep], yv[keep], strict=True)]
                lim = max(lim, float(np.max(np.r_[x[keep], yv[keep]])))
        lim = min(1.0, max(lim * 1.05, 0.01))
        ax.plot([0, lim], [0, lim], linestyle=":", color="black", linewidth=1, label="ideal")
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        h = self.result.horizon
        at = "" if h is None else f" by {h:g} {self.time_unit}"
        ax.set_xlabel(f"mean predicted risk{at} (bins of predicted risk)")
        ax.set_ylabel(f"observed risk{at}")
        ax.set_title("Calibration by group", fontsize="medium")
        legend_outside(ax)
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)
