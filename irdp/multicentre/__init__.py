"""Multicentre validation with the data kept in each SPSTI: summary packs and their pooling.

Each SPSTI runs :func:`summarise` (``irdp summarise EXPERIMENT --spsti S001 --out
S001.irdp-summary.json``) on its own extract: the experiment's indices are scored with their
frozen models and only what a meta-analysis needs leaves the service, as a
:class:`SummaryPack` (estimates and SEs of the pooled measures with their counts, a
calibration summary on a fixed risk grid, net benefit at the configured thresholds, case mix),
disclosure-controlled under the experiment's policy, versioned and hashed. :func:`pool`
(``irdp pool *.json --out DIR``) checks the packs (format version, SHA-256, same experiment,
each SPSTI once) and pools them without a row: random-effects meta-analysis, prediction
intervals, heterogeneity, forest plots (:meth:`PooledResult.plot`), calibration and case mix.
See docs/multicentre.md.
"""

from irdp.multicentre._local import experiment_hash, summarise
from irdp.multicentre._pack import (
    FORMAT,
    FORMAT_VERSION,
    RISK_GRID,
    SummaryPack,
    check_pack,
    content_hash,
    read_pack,
    summary_pack,
)
from irdp.multicentre._pool import PooledResult, check_compatible, pool
from irdp.multicentre._report import write_pooled_report

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "RISK_GRID",
    "PooledResult",
    "SummaryPack",
    "check_compatible",
    "check_pack",
    "content_hash",
    "experiment_hash",
    "pool",
    "read_pack",
    "summarise",
    "summary_pack",
    "write_pooled_report",
]
