"""A small synthetic extract partitioned by SPSTI, shared by the tests of the national path."""

from __future__ import annotations

from pathlib import Path

from irdp.synth import PartitionedDmst, generate_dmst_partitioned

N_WORKERS, N_SPSTI, SEED = 3_000, 4, 11
AS_OF = "2025-06-30"


def make(folder: Path, **kwargs) -> PartitionedDmst:
    """Generate the shared extract (same arguments everywhere) into ``folder``."""
    return generate_dmst_partitioned(N_WORKERS, n_spsti=N_SPSTI, seed=SEED, out=folder,
                                     **kwargs)
