"""Feature builders: a registry of documented features computed by declarative DuckDB SQL.

Features are grouped by the HAS 2019 risk-factor families (health, individual,
professional, organisational / care pathway) plus data-completeness indicators. Each one
declares its labels, source tables and thesauri, type, unit, look-back window and when it
is missing (:class:`Feature`); :func:`data_dictionary` exports them.

Typical use::

    from irdp.features import build_features, missingness_report
    X = build_features(extract, cohort)          # one row per cohort row
    report = missingness_report(X, cohort)       # per feature and per SPSTI
"""

# family modules register their groups on import
from irdp.features import (  # noqa: F401
    completeness,
    health,
    individual,
    organisational,
    professional,
)
from irdp.features.build import (
    build_features,
    build_features_partitioned,
    data_dictionary,
    data_dictionary_markdown,
    feature_sql,
    missingness_report,
    write_data_dictionary,
)
from irdp.features.registry import FAMILIES, GROUPS, REGISTRY, Feature, FeatureGroup, get_feature

# registry order = HAS family order, then registration order within a family
_items = sorted(REGISTRY.items(), key=lambda kv: list(FAMILIES).index(kv[1].family))
REGISTRY.clear()
REGISTRY.update(_items)

__all__ = [
    "FAMILIES",
    "GROUPS",
    "REGISTRY",
    "Feature",
    "FeatureGroup",
    "build_features",
    "build_features_partitioned",
    "data_dictionary",
    "data_dictionary_markdown",
    "feature_sql",
    "get_feature",
    "missingness_report",
    "write_data_dictionary",
]
