"""Pooled calibration of summary packs (private; import from :mod:`irdp.plotting`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irdp.plotting._display import Display, finite
from irdp.plotting._style import ideal_square, risk_words

__all__ = ["PooledCalibrationDisplay"]


class PooledCalibrationDisplay(Display):
    """Calibration on a fixed risk grid, per SPSTI and pooled, from summary packs.

    Parameters
    ----------
    calibration : pandas.DataFrame
        ``centre, bin, n, mean_predicted, observed_risk`` of one index, one row per SPSTI
        and bin, and the pooled rows (``centre == "pooled"``), as
        :attr:`irdp.multicentre.PooledResult.calibration`. Bins withheld by disclosure
        control (missing values) are not drawn.
    label : str, optional
        Name of the index (title).
    horizon : float, optional
        Horizon in days (axis labels).
    """

    def __init__(self, calibration: pd.DataFrame, *, label: str = "",
                 horizon: float | None = None) -> None:
        self.calibration = calibration
        self.label = label
        self.horizon = horizon

    def _shown(self) -> pd.DataFrame:
        c = self.calibration
        ok = np.isfinite(finite(c["mean_predicted"])) & np.isfinite(finite(c["observed_risk"]))
        return c[ok]

    def plot(self, ax: Any = None, **kwargs: Any) -> PooledCalibrationDisplay:
        """Draw the plot and return ``self``."""
        fig, ax = (ax.figure, ax) if ax is not None else self._new_figure((5.5, 5.0))
        shown = self._shown()
        centres = shown[shown["centre"] != "pooled"]
        for i, (_, part) in enumerate(centres.groupby("centre", sort=True)):
            ax.plot(part["mean_predicted"], part["observed_risk"], color="grey", lw=0.6,
                    marker=".", alpha=0.6, label="SPSTI (published bins)" if i == 0 else None)
        pooled = shown[shown["centre"] == "pooled"]
        ax.plot(pooled["mean_predicted"], pooled["observed_risk"], color="black", lw=1.8,
                marker="o", label="pooled (weighted by n)")
        values = finite(pd.concat([shown["mean_predicted"], shown["observed_risk"]]))
        top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.05
        ideal_square(ax, top, pad=1.1)
        h = risk_words(self.horizon)
        ax.set_xlabel("Mean predicted risk in the bin" + h)
        ax.set_ylabel("Observed risk (Aalen-Johansen)" + h)
        ax.legend(loc="upper left", fontsize="small", frameon=False)
        ax.set_title(f"{self.label}: calibration across SPSTI".strip(": "))
        self.figure_, self.ax_ = fig, ax
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return [{"element": "pooled" if r["centre"] == "pooled" else "centre",
                 "series": str(r["centre"]), "x": r["mean_predicted"], "y": r["observed_risk"],
                 "n": r["n"]} for _, r in self._shown().iterrows()]
