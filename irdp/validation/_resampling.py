"""Import path kept for code written against the validation designs' resampling primitives.

The one resampling engine of irdp is :mod:`irdp._resampling` (seeded streams, joblib or Dask,
one percentile function); this module re-exports its primitives.
"""

from irdp._resampling import (
    Replicates,
    as_seed_sequence,
    bootstrap_indices,
    bootstrap_p_value,
    percentile_interval,
    replicate,
    run_replicates,
    spawn_generators,
    spawn_seeds,
)

__all__ = [
    "Replicates",
    "as_seed_sequence",
    "bootstrap_indices",
    "bootstrap_p_value",
    "percentile_interval",
    "replicate",
    "run_replicates",
    "spawn_generators",
    "spawn_seeds",
]
