"""Validation designs: optimism bootstrap, cross-validation, internal-external validation,
meta-analysis across centres, model updating, comparison of indices and sample size."""

from irdp.validation._measures import MEASURES
from irdp.validation.bootstrap import (
    CalibrationCurveResult,
    ValidationResult,
    bootstrap_validate,
    shrinkage_factor,
)
from irdp.validation.compare import LEVEL_LABELS, ComparisonResult, compare
from irdp.validation.crossval import cross_validate
from irdp.validation.iecv import IECVResult, iecv
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
from irdp.validation.updating import (
    ClosedTestResult,
    apply_shrinkage,
    closed_test,
    update_model,
)

__all__ = [
    "LEVEL_LABELS",
    "MEASURES",
    "ComparisonResult",
    "compare",
    "ClosedTestResult",
    "apply_shrinkage",
    "closed_test",
    "update_model",
    "IECVResult",
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
