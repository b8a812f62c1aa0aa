"""Disclosure control of drawn curves (private).

A step curve drawn at every event time shows one event per step: counting the steps, or
dividing each jump by the smallest one, gives back counts under the threshold (issue 11,
finding 3). The curves are therefore coarsened before they are drawn:

- a Kaplan-Meier or Aalen-Johansen curve is drawn only at times where the risk set (before
  and after the time) and the events since the last drawn point both reach ``min_count``;
  the curve stops at the last such time;
- a ROC curve is drawn through the vertices that separate blocks of at least ``min_count``
  cases and ``min_count`` controls (consecutive risk values merged), joined by straight
  lines, as the ROC curve of the risk grouped into those blocks.

References
----------
OpenSAFELY, "Kaplan-Meier plots with disclosure control" (rounded and thresholded
step functions). Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4.
"""

from __future__ import annotations

import numpy as np

__all__ = ["coarsen_roc", "coarsen_steps"]


def coarsen_steps(n_at_risk: np.ndarray, n_events: np.ndarray, min_count: int) -> np.ndarray:
    """Indices of the event times at which a step curve may be drawn.

    Parameters
    ----------
    n_at_risk : ndarray of shape (n_times,)
        Number at risk just before each event time (increasing times).
    n_events : ndarray of shape (n_times,)
        Events of the curve's cause at each time.
    min_count : int

    Returns
    -------
    ndarray of int
        A time is kept when the events since the previous kept time (this one included)
        reach ``min_count`` and the risk set, before and after its events, does too. Times
        after the risk set falls below ``min_count`` are never kept.
    """
    kept: list[int] = []
    since = 0.0
    for i, (at_risk, events) in enumerate(zip(n_at_risk, n_events, strict=True)):
        if at_risk < min_count:
            break
        since += float(events)
        if since >= min_count and at_risk - events >= min_count:
            kept.append(i)
            since = 0.0
    return np.asarray(kept, dtype=int)


def coarsen_roc(cases: np.ndarray, controls: np.ndarray, min_count: int) -> np.ndarray:
    """Indices of the distinct risk values (by decreasing risk) kept as ROC vertices.

    Parameters
    ----------
    cases, controls : ndarray of shape (n_values,)
        Numbers of cases and of controls at each distinct risk value, highest risk first.
    min_count : int

    Returns
    -------
    ndarray of int
        Every block between consecutive kept vertices (and the last block, up to the
        (1, 1) corner) holds at least ``min_count`` cases and ``min_count`` controls. The
        last index is always kept (it is the (1, 1) corner). Empty when no interior vertex
        can be drawn.
    """
    kept: list[int] = []
    acc_cases = acc_controls = 0.0
    for i, (a, b) in enumerate(zip(cases, controls, strict=True)):
        acc_cases += float(a)
        acc_controls += float(b)
        if acc_cases >= min_count and acc_controls >= min_count:
            kept.append(i)
            acc_cases = acc_controls = 0.0
    last = len(cases) - 1
    if not kept:
        return np.asarray([], dtype=int)
    if kept[-1] != last:
        # the tail holds fewer than min_count cases or controls: merge it with the block
        # before it (the last kept vertex goes, the (1, 1) corner stays)
        kept[-1] = last
    if len(kept) < 2:
        return np.asarray([], dtype=int)
    return np.asarray(kept, dtype=int)
