"""ROC curve display (private; import from :mod:`irdp.plotting`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from irdp.metrics._inputs import prepare
from irdp.metrics.classification import status_weights
from irdp.metrics.discrimination import roc_curve
from irdp.plotting._disclosure import coarsen_roc
from irdp.plotting._display import Display
from irdp.plotting._style import (
    DISCLOSURE_THRESHOLD,
    check_min_count,
    legend_outside,
    suppressed_warning,
)

__all__ = ["RocCurveDisplay"]


def _block_counts(risk: np.ndarray, cases: np.ndarray, controls: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Cases and controls at each distinct risk value, highest first (as roc_curve)."""
    order = np.argsort(-risk, kind="stable")
    rs = risk[order]
    last = np.append(rs[1:] != rs[:-1], True)
    ends = np.flatnonzero(last)
    a = np.cumsum(cases[order])[ends]
    b = np.cumsum(controls[order])[ends]
    return np.diff(np.r_[0.0, a]), np.diff(np.r_[0.0, b])


class RocCurveDisplay(Display):
    """ROC curves (time-dependent and IPCW-weighted for timed outcomes) of several indices.

    Each curve is drawn through vertices that separate blocks of at least ``min_count``
    cases and ``min_count`` controls (consecutive risks merged, straight lines between
    them): no drawn point reveals fewer than ``min_count`` workers. The AUC in the legend
    is computed on the full data.

    Parameters
    ----------
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risks : mapping name -> array-like of shape (n_samples,)
    horizon : float, optional
        Required for timed outcomes.
    min_count : int, default=11
    time_unit : str, default="days"

    References
    ----------
    Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing time-dependent
    areas under receiver operating characteristic curves for censored event times with
    competing risks. Stat Med 2013;32:5381-97.
    """

    def __init__(self, y: Any, risks: Mapping[str, Any], *, horizon: float | None = None,
                 min_count: int = DISCLOSURE_THRESHOLD, time_unit: str = "days") -> None:
        if not isinstance(risks, Mapping) or not risks:
            raise TypeError("risks must be a non-empty mapping name -> risk vector.")
        self.y = y
        self.risks = dict(risks)
        self.horizon = horizon
        self.min_count = check_min_count(min_count)
        self.time_unit = time_unit
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_predictions(cls, y: Any, risks: Mapping[str, Any] | Any, *,
                         horizon: float | None = None, ax: Any = None,
                         min_count: int = DISCLOSURE_THRESHOLD, time_unit: str = "days"
                         ) -> RocCurveDisplay:
        """Draw the ROC curve of one risk vector or of a mapping name -> risks."""
        curves = risks if isinstance(risks, Mapping) else {"model": risks}
        return cls(y, curves, horizon=horizon, min_count=min_count,
                   time_unit=time_unit).plot(ax=ax)

    def plot(self, ax: Any = None) -> RocCurveDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        from irdp.metrics import auc

        if ax is None:
            fig, ax = self._new_figure((7.2, 5.0))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        self._rows = []
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="no discrimination")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        at = "" if self.horizon is None else f" at {self.horizon:g} {self.time_unit}"
        ax.set_xlabel("1 − specificity (false-positive rate)" + at)
        ax.set_ylabel("sensitivity (true-positive rate)" + at)
        for name, r in self.risks.items():
            out, risk, h = prepare(self.y, r, horizon=self.horizon, probability=False)
            a, b = status_weights(out, h)
            cases, controls = _block_counts(risk, (a > 0).astype(float), (b > 0).astype(float))
            kept = coarsen_roc(cases, controls, self.min_count)
            if not len(kept):
                suppressed_warning(
                    f"the ROC curve of {name!r} is not drawn: it has fewer than "
                    f"{2 * self.min_count} cases or controls, so no point can be drawn "
                    f"without showing a group under the disclosure threshold {self.min_count}.")
                continue
            frame = roc_curve(out, risk, horizon=h)
            rows = np.r_[0, kept + 1]  # row 0 of roc_curve is the (0, 0) corner
            fpr, tpr = frame["fpr"].to_numpy()[rows], frame["tpr"].to_numpy()[rows]
            value = auc(out, risk, horizon=h).value
            ax.plot(fpr, tpr, marker="o", ms=3, label=f"{name} (AUC {value:.3f})")
            self._rows += [{"element": "curve", "series": name, "x": u, "y": v}
                           for u, v in zip(fpr, tpr, strict=True)]
        legend_outside(ax)
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)
