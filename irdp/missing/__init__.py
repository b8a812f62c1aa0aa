"""Missing and incomplete DMST data: report, multiple imputation, pooling, stress tests."""

from irdp.missing.estimator import ImputedRiskIndex
from irdp.missing.mice import (
    MultipleImputation,
    multiple_impute,
    nelson_aalen_at,
    outcome_covariates,
)
from irdp.missing.pooling import SCALES, PooledEstimate, rubin_pool
from irdp.missing.report import MissingnessReport, missingness_report
from irdp.missing.strategies import (
    STRATEGIES,
    CompletenessSensitivity,
    StrategyComparison,
    compare_strategies,
    completeness_sensitivity,
)

__all__ = [
    "STRATEGIES",
    "CompletenessSensitivity",
    "ImputedRiskIndex",
    "StrategyComparison",
    "compare_strategies",
    "completeness_sensitivity",
    "SCALES",
    "MissingnessReport",
    "MultipleImputation",
    "missingness_report",
    "PooledEstimate",
    "multiple_impute",
    "nelson_aalen_at",
    "outcome_covariates",
    "rubin_pool",
]
