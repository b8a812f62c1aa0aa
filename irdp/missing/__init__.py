"""Missing and incomplete DMST data: report, multiple imputation, pooling, stress tests."""

from irdp.missing.mice import (
    MultipleImputation,
    multiple_impute,
    nelson_aalen_at,
    outcome_covariates,
)
from irdp.missing.pooling import SCALES, PooledEstimate, rubin_pool

__all__ = [
    "SCALES",
    "MultipleImputation",
    "PooledEstimate",
    "multiple_impute",
    "nelson_aalen_at",
    "outcome_covariates",
    "rubin_pool",
]
