"""Registration of irdp's displays for the results that draw themselves (private).

One explicit :func:`irdp._display_registry.register_display` call per result type: a
result's ``plot()`` (in metrics, validation, fairness, missing data) finds its display here
without importing :mod:`irdp.plotting` (see :mod:`irdp._display_registry`). Imported once by
:mod:`irdp.plotting`.
"""

from __future__ import annotations

from typing import Any

from irdp._display_registry import register_display
from irdp.fairness.calibration import GroupCalibration
from irdp.fairness.performance import GroupPerformance
from irdp.fairness.plots import GroupForest
from irdp.fairness.summary import FairnessSummary
from irdp.metrics.calibration import CalibrationResult
from irdp.metrics.utility import DecisionCurve
from irdp.missing.strategies import CompletenessSensitivity, StrategyComparison
from irdp.plotting._calibration import BootstrapCalibrationDisplay, CalibrationDisplay
from irdp.plotting._decision import DecisionCurveDisplay
from irdp.plotting._forest import FairnessForestDisplay, MetaForestDisplay
from irdp.plotting._groups import GroupCalibrationDisplay
from irdp.plotting._missing import CompletenessDisplay, StrategyComparisonDisplay
from irdp.plotting._stability import (
    CalibrationInstabilityDisplay,
    CentreCalibrationDisplay,
    ClassificationInstabilityDisplay,
    DecisionCurveInstabilityDisplay,
    MapeDisplay,
    PredictionInstabilityDisplay,
)
from irdp.validation.bootstrap import CalibrationCurveResult
from irdp.validation.centre_calibration import CentreCalibrationResult
from irdp.validation.compare import ComparisonResult
from irdp.validation.iecv import IECVResult
from irdp.validation.meta import MetaAnalysisResult
from irdp.validation.stability import StabilityResult

__all__: list[str] = []


def _comparison(result: ComparisonResult, **kwargs: Any) -> DecisionCurveDisplay:
    kwargs.setdefault("title", f"Decision curves on the {result.n_common} workers with "
                               "every risk known")
    return DecisionCurveDisplay(result.decision_curves, **kwargs)


def _group_forest(result: Any, measure: str = "oe_ratio", **kwargs: Any
                  ) -> FairnessForestDisplay:
    return FairnessForestDisplay(GroupForest.from_result(result, measure), **kwargs)


_STABILITY_DISPLAYS: dict[str, Any] = {
    "prediction": PredictionInstabilityDisplay,
    "mape": MapeDisplay,
    "classification": ClassificationInstabilityDisplay,
    "calibration": CalibrationInstabilityDisplay,
    "decision": DecisionCurveInstabilityDisplay,
}


def _stability(result: StabilityResult, kind: str = "prediction", **kwargs: Any) -> Any:
    if kind not in _STABILITY_DISPLAYS:
        raise ValueError(f"kind must be one of {sorted(_STABILITY_DISPLAYS)}; got {kind!r}.")
    return _STABILITY_DISPLAYS[kind].from_result(result, **kwargs)


register_display(CalibrationResult, CalibrationDisplay)
register_display(DecisionCurve, DecisionCurveDisplay)
register_display(ComparisonResult, _comparison)
register_display(CalibrationCurveResult, BootstrapCalibrationDisplay)
register_display(MetaAnalysisResult, MetaForestDisplay)
register_display(IECVResult, MetaForestDisplay._for_iecv)
register_display(GroupForest, FairnessForestDisplay)
register_display(GroupPerformance, _group_forest)
register_display(FairnessSummary, _group_forest)
register_display(GroupCalibration, GroupCalibrationDisplay)
register_display(CompletenessSensitivity, CompletenessDisplay)
register_display(StrategyComparison, StrategyComparisonDisplay)
register_display(StabilityResult, _stability)
register_display(CentreCalibrationResult, CentreCalibrationDisplay.from_result)
