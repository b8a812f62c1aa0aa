"""Synthetic DMST extracts with a known data-generating process.

:func:`generate_dmst` returns a :class:`SyntheticDmst` (``.extract``, ``.truth``, ``.tables``);
:class:`DmstTruth` documents the hazard model and every parameter (see ``docs/data.md``).
"""

from irdp.synth.generate import (
    DmstTruth,
    PartitionedDmst,
    SyntheticDmst,
    generate_dmst,
    generate_dmst_partitioned,
    write_parquet,
)

__all__ = ["DmstTruth", "PartitionedDmst", "SyntheticDmst", "generate_dmst",
           "generate_dmst_partitioned", "write_parquet"]
