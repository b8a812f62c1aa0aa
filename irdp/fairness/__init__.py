"""Fairness checks: performance, calibration and classification of a risk index by group.

For binary, survival and competing-risk outcomes alike (censoring-aware at the horizon, see
:mod:`irdp.fairness.measures`), with bootstrap CIs, intersections of two grouping variables,
and disclosure control of every table (:mod:`irdp.privacy`).
"""

from irdp.fairness.calibration import GroupCalibration, group_calibration
from irdp.fairness.performance import OVERALL, GroupPerformance, group_performance
from irdp.fairness.plots import plot_forest, plot_group_calibration
from irdp.fairness.summary import (
    FairnessSummary,
    fairness_summary,
    group_classification,
    group_counts,
)

__all__ = [
    "OVERALL",
    "FairnessSummary",
    "fairness_summary",
    "group_classification",
    "group_counts",
    "GroupCalibration",
    "GroupPerformance",
    "group_calibration",
    "group_performance",
    "plot_forest",
    "plot_group_calibration",
]
