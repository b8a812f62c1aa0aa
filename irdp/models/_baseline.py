"""Baseline cumulative hazards of timed indices, and their confidential export (private).

A fitted model keeps its baseline as a step function with a jump at every event time (and
the number of events there, never exported). An export stores it without per-event
information, like ``riskRegression::saveCoxConfidential``:

- at the horizons the index is used for, provided every interval (0, h1], (h1, h2], ...
  holds at least ``threshold`` development events (else :class:`DisclosureError`): the
  difference of two stored values would otherwise reveal the events between them;
- without horizons, on a coarse grid whose every interval holds at least ``threshold``
  events (events after the last full interval are not represented).

A loaded model predicts at the stored times only, and refuses any other horizon with a
message naming the times it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from irdp.exceptions import DisclosureError

__all__ = ["Baseline", "coarse_grid", "check_intervals"]


def coarse_grid(times: np.ndarray, counts: np.ndarray, threshold: int) -> np.ndarray:
    """Ends of consecutive intervals each holding at least ``threshold`` events."""
    cuts = []
    acc = 0.0
    for t, c in zip(times, counts, strict=True):
        acc += c
        if acc >= threshold:
            cuts.append(float(t))
            acc = 0.0
    return np.asarray(cuts, dtype=float)


def check_intervals(times: np.ndarray, counts: np.ndarray, horizons: list[float],
                    threshold: int, what: str) -> None:
    """Refuse horizons whose intervals hold fewer than ``threshold`` events."""
    edges = np.r_[0.0, horizons]
    cum = np.concatenate(([0.0], np.cumsum(counts)))
    at = cum[np.searchsorted(times, edges, side="right")]
    per = np.diff(at)
    bad = [(edges[i], edges[i + 1], int(per[i])) for i in range(len(per)) if per[i] < threshold]
    if bad:
        shown = ", ".join(f"({a:g}, {b:g}]: {'<' + str(threshold) if c else 0}"
                          for a, b, c in bad[:5])
        raise DisclosureError(
            f"{what}: a confidential export needs at least {threshold} development events "
            f"in every interval between stored horizons; found fewer in {shown}. Export "
            "fewer or later horizons, or merge strata/causes with few events."
        )


@dataclass
class Baseline:
    """Cumulative hazard at covariates 0 of one stratum or cause.

    ``points_only`` marks a baseline loaded from a confidential export: it is known at
    ``time`` only, not as a step function in between.
    """

    time: np.ndarray
    cumhaz: np.ndarray
    counts: np.ndarray | None = None
    points_only: bool = False

    def at(self, h: float, *, what: str = "the model") -> float:
        """H0(h): the right-continuous step function, or a stored point."""
        if self.points_only:
            hit = np.flatnonzero(np.isclose(self.time, h, rtol=1e-12, atol=0.0))
            if not len(hit):
                held = ", ".join(f"{t:g}" for t in self.time[:10]) or "none"
                raise ValueError(
                    f"horizon={h:g} is not held by {what}: a confidential export stores the "
                    f"baseline at the times {held} only. Score at one of them, or re-export "
                    "the fitted model with export(horizon=...)."
                )
            return float(self.cumhaz[hit[0]])
        pos = np.searchsorted(self.time, h, side="right") - 1
        return 0.0 if pos < 0 else float(self.cumhaz[pos])

    def export(self, horizons: list[float] | None, threshold: int, what: str) -> dict[str, Any]:
        """Values at ``horizons`` (checked) or on the coarse grid; no counts, no jump times."""
        if self.points_only:
            keep = self.time if horizons is None else np.asarray(horizons, dtype=float)
            return {"time": [float(t) for t in keep],
                    "cumhaz": [self.at(float(t), what=what) for t in keep]}
        counts = np.ones(len(self.time)) if self.counts is None else self.counts
        if horizons is None:
            grid = coarse_grid(self.time, counts, threshold)
        else:
            check_intervals(self.time, counts, horizons, threshold, what)
            grid = np.asarray(horizons, dtype=float)
        return {"time": grid.tolist(), "cumhaz": [self.at(float(t)) for t in grid]}

    @classmethod
    def from_export(cls, d: dict[str, Any]) -> Baseline:
        return cls(np.asarray(d["time"], dtype=float), np.asarray(d["cumhaz"], dtype=float),
                   None, points_only=True)

    @property
    def last_time(self) -> float:
        return float(self.time[-1]) if len(self.time) else 0.0
