"""Plots of the performance measures (matplotlib; figures are returned, never shown).

Every function returns a :class:`matplotlib.figure.Figure` (the one of ``ax`` when an axis
is given), never calls ``show()`` and never touches pyplot's global state. Statistical
disclosure control: nothing is drawn for a group (a curve, a risk level, a histogram bin)
with fewer subjects than ``min_count`` (default :data:`DISCLOSURE_THRESHOLD` = 11); a
:class:`~irdp.exceptions.SmallGroupWarning` says what was suppressed.
"""

from irdp.plotting._plots import (
    DISCLOSURE_THRESHOLD,
    plot_calibration,
    plot_decision_curve,
    plot_observed_risk,
    plot_roc,
)
from irdp.plotting._stability import (
    CalibrationInstabilityDisplay,
    CentreCalibrationDisplay,
    ClassificationInstabilityDisplay,
    DecisionCurveInstabilityDisplay,
    MapeDisplay,
    PredictionInstabilityDisplay,
)

__all__ = [
    "CalibrationInstabilityDisplay", "CentreCalibrationDisplay",
    "ClassificationInstabilityDisplay", "DecisionCurveInstabilityDisplay", "MapeDisplay",
    "PredictionInstabilityDisplay",
    "DISCLOSURE_THRESHOLD",
    "plot_calibration",
    "plot_decision_curve",
    "plot_observed_risk",
    "plot_roc",
]
