"""Missing and incomplete DMST data: report, multiple imputation, pooling, stress tests."""

from irdp.missing.pooling import SCALES, PooledEstimate, rubin_pool

__all__ = ["SCALES", "PooledEstimate", "rubin_pool"]
