"""Display objects of irdp's figures, in the manner of scikit-learn's ``*Display`` classes.

Each display is built from a result (``XDisplay.from_result(result)``) or from predictions
(``XDisplay.from_predictions(y, risk, ...)``), draws with ``plot(ax=None)`` and returns
itself; ``to_frame()`` gives the coordinates actually drawn (what the disclosure audit
reads), ``figure_`` / ``ax_`` the matplotlib objects. A display, and every figure the
``plot_*`` functions and the results' ``plot()`` methods return (a :class:`DisplayFigure`),
renders inline in Jupyter. pyplot is never used and ``show()`` never called.

Statistical disclosure control (``min_count``, default 11 =
:data:`irdp.privacy.DEFAULT_THRESHOLD`): nothing is drawn for a group (a curve, a risk level,
a histogram bin) with fewer subjects; step curves are drawn only where the risk set and the
events since the last drawn step reach the threshold, and ROC curves through blocks of at
least that many cases and controls; a :class:`~irdp.exceptions.SmallGroupWarning` says what
was not drawn. Figures label their axes with units, keep legends outside the data and draw
ratios on a logarithmic axis with plain tick labels.

The computation layers (metrics, validation, fairness, missing data) never import this
package: their results' ``plot()`` methods reach the displays registered here through
:mod:`irdp._display_registry`.
"""

from irdp.plotting import _registrations  # noqa: F401 - registers the displays of results
from irdp.plotting._calibration import BootstrapCalibrationDisplay, CalibrationDisplay
from irdp.plotting._decision import DecisionCurveDisplay
from irdp.plotting._display import DRAWN_COLUMNS, Display, DisplayFigure
from irdp.plotting._forest import FairnessForestDisplay, MetaForestDisplay
from irdp.plotting._groups import GroupCalibrationDisplay
from irdp.plotting._missing import CompletenessDisplay, StrategyComparisonDisplay
from irdp.plotting._multicentre import PooledCalibrationDisplay
from irdp.plotting._observed import ObservedRiskDisplay
from irdp.plotting._plots import (
    plot_calibration,
    plot_decision_curve,
    plot_observed_risk,
    plot_roc,
)
from irdp.plotting._roc import RocCurveDisplay
from irdp.plotting._service import GroupRiskDisplay
from irdp.plotting._stability import (
    CalibrationInstabilityDisplay,
    CentreCalibrationDisplay,
    ClassificationInstabilityDisplay,
    DecisionCurveInstabilityDisplay,
    MapeDisplay,
    PredictionInstabilityDisplay,
)
from irdp.plotting._style import DISCLOSURE_THRESHOLD

__all__ = [
    "CalibrationInstabilityDisplay", "CentreCalibrationDisplay",
    "ClassificationInstabilityDisplay", "DecisionCurveInstabilityDisplay", "MapeDisplay",
    "PredictionInstabilityDisplay",
    "DISCLOSURE_THRESHOLD",
    "DRAWN_COLUMNS",
    "PooledCalibrationDisplay",
    "BootstrapCalibrationDisplay",
    "CalibrationDisplay",
    "CompletenessDisplay",
    "DecisionCurveDisplay",
    "Display",
    "DisplayFigure",
    "FairnessForestDisplay",
    "GroupCalibrationDisplay",
    "GroupRiskDisplay",
    "MetaForestDisplay",
    "ObservedRiskDisplay",
    "RocCurveDisplay",
    "StrategyComparisonDisplay",
    "plot_calibration",
    "plot_decision_curve",
    "plot_observed_risk",
    "plot_roc",
]
