"""Predicted and observed risk by group of a service (private; import from :mod:`irdp.plotting`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irdp.plotting._display import Display, finite
from irdp.plotting._style import place_legend

__all__ = ["GroupRiskDisplay"]


class GroupRiskDisplay(Display):
    """Mean predicted risk and observed risk of each group (SPSTI, sector, company size...).

    A dot plot for those who run services: for each group, the mean predicted risk of its
    workers (circle) and the observed risk by the horizon (cross; Aalen-Johansen with
    competing exits, or Kaplan-Meier). A group whose two points are far apart is one where
    the index is miscalibrated. The display draws what it is given: pass a table that has
    been through disclosure control (groups whose counts were suppressed are left out, in
    the order given: keep ordinal groups in their order).

    Parameters
    ----------
    groups : sequence of str
        Group labels, drawn top to bottom in this order.
    mean_predicted, observed : array-like of float
        Mean predicted and observed risk of each group (NaN: that point is not drawn).
    horizon : float, optional
        Horizon of the risks (axis label).
    time_unit : str, default="days"
    group_label : str, optional
        What the groups are (axis label), e.g. "Company size band".
    observed_label : str, default="observed (Aalen-Johansen)"

    References
    ----------
    Van Calster B, McLernon DJ, van Smeden M, et al. Calibration: the Achilles heel of
    predictive analytics. BMC Med 2019;17:230 (calibration in subgroups).
    """

    def __init__(self, groups: Any, mean_predicted: Any, observed: Any, *,
                 horizon: float | None = None, time_unit: str = "days",
                 group_label: str | None = None,
                 observed_label: str = "observed (Aalen-Johansen)") -> None:
        self.groups = [str(g) for g in groups]
        self.mean_predicted = finite(mean_predicted)
        self.observed = finite(observed)
        if not (len(self.groups) == len(self.mean_predicted) == len(self.observed)):
            raise ValueError("groups, mean_predicted and observed must have the same length; "
                             f"got {len(self.groups)}, {len(self.mean_predicted)} and "
                             f"{len(self.observed)}.")
        self.horizon = None if horizon is None else float(horizon)
        self.time_unit = time_unit
        self.group_label = group_label
        self.observed_label = observed_label

    @classmethod
    def from_table(cls, table: pd.DataFrame, *, group: str = "group",
                   mean_predicted: str = "mean_predicted", observed: str = "observed_risk",
                   ax: Any = None, **kwargs: Any) -> GroupRiskDisplay:
        """Draw from a (disclosure-controlled) table with one row per group."""
        return cls(table[group].astype(str).tolist(), table[mean_predicted],
                   table[observed], **kwargs).plot(ax=ax)

    def plot(self, ax: Any = None) -> GroupRiskDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        own = ax is None
        if own:
            fig, ax = self._new_figure((7.0, 0.35 * len(self.groups) + 1.8))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        ypos = np.arange(len(self.groups))[::-1]  # first group on top
        pred = np.isfinite(self.mean_predicted)
        obs = np.isfinite(self.observed)
        ax.scatter(self.mean_predicted[pred], ypos[pred], marker="o", label="mean predicted")
        ax.scatter(self.observed[obs], ypos[obs], marker="x", color="C3",
                   label=self.observed_label)
        ax.set_yticks(ypos, self.groups)
        ax.set_xlim(left=0)
        when = "" if self.horizon is None else f" by {self.horizon:g} {self.time_unit}"
        ax.set_xlabel(f"risk of inaptitude{when}")
        if self.group_label:
            ax.set_ylabel(self.group_label)
        ax.grid(axis="x", alpha=0.3)
        place_legend(fig, ax, own, ncols=2)
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for g, p, o in zip(self.groups, self.mean_predicted, self.observed, strict=True):
            if np.isfinite(p):
                rows.append({"element": "point", "series": f"{g}: mean predicted", "x": p})
            if np.isfinite(o):
                rows.append({"element": "point", "series": f"{g}: observed", "x": o})
        return rows
