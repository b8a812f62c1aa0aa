"""Input preparation shared by every measure (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irdp._stats.concordance import rank_dense
from irdp._validation import check_horizon, check_risk
from irdp.exceptions import IndexMismatchError
from irdp.outcomes import Binary, CompetingRisks, Survival, as_outcome

Outcome = Binary | Survival | CompetingRisks

__all__ = ["prepare", "Outcome", "require_kind", "rank_dense"]


def prepare(
    y: Any,
    risk: Any,
    *,
    horizon: Any = None,
    probability: bool = True,
    need_horizon: bool = True,
    name: str = "risk",
) -> tuple[Outcome, np.ndarray, float | None]:
    """Validate ``(y, risk, horizon)`` and return them as (container, ndarray, float).

    Binary outcomes ignore ``horizon`` (it is taken from ``y.horizon`` for reporting);
    timed outcomes need a horizon within follow-up when ``need_horizon``.
    """
    if isinstance(y, Binary | Survival | CompetingRisks):
        out = y
    elif isinstance(y, str | bytes | dict) or y is None:
        raise TypeError(
            "y must be an outcome container (Binary, Survival, CompetingRisks from "
            f"irdp.outcomes) or a 0/1 vector; got {type(y).__name__}."
        )
    else:
        out = as_outcome(y)
    if hasattr(risk, "__len__") and not isinstance(risk, str) and len(risk) != len(out):
        raise ValueError(
            f"y and {name} must have the same number of rows; got {len(out)} outcomes and "
            f"{len(risk)} risks. Check that both come from the same subjects."
        )
    if isinstance(risk, pd.Series) and out.index is not None and not out.index.equals(risk.index):
        raise IndexMismatchError(
            f"the pandas index of {name} differs from the index of y (first labels "
            f"{list(risk.index[:3])} vs {list(out.index[:3])}); irdp never aligns silently. "
            "Reindex one of them explicitly, or pass NumPy arrays."
        )
    r = check_risk(risk, name, probability=probability)
    if len(r) != len(out):
        raise ValueError(
            f"y and {name} must have the same number of rows; got {len(out)} outcomes and "
            f"{len(r)} risks. Check that both come from the same subjects."
        )
    if len(r) == 0:
        raise ValueError("y and risk are empty; a measure needs at least one subject.")
    h: float | None
    if isinstance(out, Binary):
        h = out.horizon if horizon is None else float(horizon)
    elif need_horizon or horizon is not None:
        h = check_horizon(horizon, max_time=out.max_time)
    else:
        h = None
    return out, r, h


def require_kind(y: Outcome, kinds: tuple[str, ...], measure: str) -> None:
    """Raise TypeError if the outcome kind is not supported by ``measure``."""
    if y.kind not in kinds:
        raise TypeError(
            f"{measure} supports outcomes of kind {', '.join(kinds)}; got a {y.kind} outcome "
            f"({type(y).__name__}). Convert it (e.g. y.to_binary(horizon)) or use another measure."
        )
