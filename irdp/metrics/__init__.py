"""Performance measures for binary, survival and competing-risk outcomes.

Every measure is a function ``f(y, risk, *, horizon=None, level=0.95, n_boot=None, seed=None,
...)`` of an outcome container (:class:`~irdp.outcomes.Binary`,
:class:`~irdp.outcomes.Survival`, :class:`~irdp.outcomes.CompetingRisks`, or a plain 0/1
vector) and a vector of predicted risks (higher = riskier). Scalar measures return a
frozen :class:`Estimate`; :data:`METRICS` is the one registry of them (name, aliases,
outcome kinds, SE availability, pooling scale, a value-only fast path), looked up with
:func:`get_metric` by :mod:`irdp.validation`, :mod:`irdp.fairness`, :mod:`irdp.missing`,
the pipeline and the experiment file.
"""

from irdp.metrics._bootstrap import Bootstrap
from irdp.metrics._estimate import Estimate
from irdp.metrics._registry import (
    ALIASES,
    METRICS,
    MetricInfo,
    default_measures,
    get_metric,
    measure_values,
)
from irdp.metrics.calibration import (
    CalibrationResult,
    calibration,
    calibration_in_the_large,
    calibration_slope,
    ici,
    oe_ratio,
)
from irdp.metrics.classification import classification
from irdp.metrics.discrimination import auc, concordance, delong_test, roc_curve, td_auc
from irdp.metrics.overall import brier, ipa, observed_risk
from irdp.metrics.performance import performance
from irdp.metrics.reclassification import idi, nri
from irdp.metrics.utility import (
    DecisionCurve,
    IncidenceThresholds,
    incidence_thresholds,
    net_benefit,
)

__all__ = [
    "ALIASES",
    "METRICS",
    "Bootstrap",
    "CalibrationResult",
    "DecisionCurve",
    "Estimate",
    "IncidenceThresholds",
    "MetricInfo",
    "auc",
    "brier",
    "calibration",
    "calibration_in_the_large",
    "calibration_slope",
    "classification",
    "concordance",
    "default_measures",
    "delong_test",
    "get_metric",
    "ici",
    "idi",
    "incidence_thresholds",
    "ipa",
    "measure_values",
    "net_benefit",
    "nri",
    "observed_risk",
    "oe_ratio",
    "performance",
    "roc_curve",
    "td_auc",
]
