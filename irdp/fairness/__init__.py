"""Fairness checks: performance, calibration and classification of a risk index by group.

For binary, survival and competing-risk outcomes alike (censoring-aware at the horizon, see
:mod:`irdp.fairness.measures`), with bootstrap CIs, intersections of two grouping variables,
and disclosure control of every table (:mod:`irdp.privacy`).
"""

from irdp.fairness.performance import OVERALL, GroupPerformance, group_performance

__all__ = ["OVERALL", "GroupPerformance", "group_performance"]
