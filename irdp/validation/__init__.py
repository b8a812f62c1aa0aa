"""Validation designs for risk indices (see docs/validation.md).

- Internal validation: :func:`bootstrap_validate` (Harrell's optimism bootstrap, as
  ``rms::validate`` and ``rms::calibrate``), :func:`cross_validate`, :func:`shrinkage_factor`
  and :func:`apply_shrinkage`.
- Transportability across SPSTI and time: :func:`iecv`, :func:`meta_analysis`,
  :func:`forest_plot`, :func:`centre_summary`, :func:`pool_centre_summaries`.
- Stability and calibration across centres: :func:`stability`, :func:`centre_calibration`
  (see docs/stability.md).
- Model updating: :func:`update_model`, :func:`closed_test`.
- Comparing indices: :func:`compare`.
- Sample size: :func:`development_sample_size`, :func:`validation_sample_size`,
  :func:`validation_sample_size_survival`, :func:`cstatistic_to_rsquared`.

Every resampling design draws one independent random stream per replicate from its seed
and runs replicates through irdp's one resampling engine (joblib by default, Dask with
``scheduler="local"`` or a scheduler address), so results depend on the seed only.
Measures are those of the registry :data:`irdp.metrics.METRICS`; :data:`MEASURES` is a
read-only view of it.
"""

from irdp.validation._measures import MEASURES
from irdp.validation.bootstrap import (
    CalibrationCurveResult,
    ValidationResult,
    bootstrap_validate,
    shrinkage_factor,
)
from irdp.validation.centre_calibration import (
    CentreCalibrationResult,
    centre_calibration,
    centre_calibration_summary,
    pool_centre_calibration,
)
from irdp.validation.compare import LEVEL_LABELS, ComparisonResult, compare
from irdp.validation.crossval import cross_validate
from irdp.validation.iecv import IECVResult, calendar_periods, iecv
from irdp.validation.meta import (
    MetaAnalysisResult,
    centre_summary,
    forest_plot,
    meta_analysis,
    pool_centre_summaries,
    scale_for_measure,
)
from irdp.validation.samplesize import (
    SampleSizeResult,
    cstatistic_to_rsquared,
    development_sample_size,
    validation_sample_size,
    validation_sample_size_survival,
)
from irdp.validation.stability import StabilityResult, stability, stability_from_predictions
from irdp.validation.updating import (
    ClosedTestResult,
    apply_shrinkage,
    closed_test,
    update_model,
)

__all__ = [
    "CentreCalibrationResult", "centre_calibration", "centre_calibration_summary",
    "pool_centre_calibration", "StabilityResult", "stability", "stability_from_predictions",
    "LEVEL_LABELS",
    "MEASURES",
    "ComparisonResult",
    "compare",
    "ClosedTestResult",
    "apply_shrinkage",
    "closed_test",
    "update_model",
    "IECVResult",
    "calendar_periods",
    "iecv",
    "CalibrationCurveResult",
    "ValidationResult",
    "bootstrap_validate",
    "cross_validate",
    "shrinkage_factor",
    "MetaAnalysisResult",
    "SampleSizeResult",
    "centre_summary",
    "cstatistic_to_rsquared",
    "development_sample_size",
    "forest_plot",
    "meta_analysis",
    "pool_centre_summaries",
    "scale_for_measure",
    "validation_sample_size",
    "validation_sample_size_survival",
]
