"""Definitions of the input columns of a model, for its export (private)."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["feature_definitions"]


def feature_definitions(columns: list[str]) -> list[dict[str, Any]]:
    """Definition of each input column: the data-dictionary row of the registered feature
    of that name (label, family, sources, window, type, missing rule...), or
    ``{"name": ..., "registered": False}`` for a column built elsewhere (a missing-value
    indicator ``<feature>__missing`` names the feature it indicates)."""
    from irdp.features import REGISTRY, data_dictionary

    table = data_dictionary()
    key = "name" if "name" in table.columns else table.columns[0]
    out = []
    for c in columns:
        if c in REGISTRY:
            row = table[table[key] == c].iloc[0].to_dict()
            out.append({"name": c, "registered": True,
                        **{k: (None if pd.isna(v) else v) for k, v in row.items()
                           if not isinstance(v, list | tuple) and k != key}})
        elif str(c).endswith("__missing") and str(c)[: -len("__missing")] in REGISTRY:
            out.append({"name": c, "registered": False, "indicator_of": str(c)[:-9]})
        else:
            out.append({"name": c, "registered": False})
    return out
