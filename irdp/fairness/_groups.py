"""Group definitions: one or two grouping variables, missing labels kept as their own group."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irdp._validation import check_aligned

MISSING_LABEL = "(missing)"


def as_group_frame(groups: Any, n: int) -> pd.DataFrame:
    """Return the grouping variables as a DataFrame of string labels (positional index).

    A Series, a 1-D array or a DataFrame of one or two columns are accepted. Missing values
    become the label ``"(missing)"`` so that no subject is dropped silently.
    """
    if isinstance(groups, pd.Series):
        frame = groups.to_frame(name=groups.name if groups.name is not None else "group")
    elif isinstance(groups, pd.DataFrame):
        frame = groups
    elif isinstance(groups, dict):
        frame = pd.DataFrame(groups)
    else:
        arr = np.asarray(groups, dtype=object)
        if arr.ndim != 1:
            raise ValueError(
                f"groups must be 1-D, a Series or a DataFrame; got an array of shape {arr.shape}."
            )
        frame = pd.DataFrame({"group": arr})
    if frame.shape[1] == 0 or frame.shape[1] > 2:
        raise ValueError(
            f"groups must hold one grouping variable or two (their intersection); got "
            f"{frame.shape[1]} columns {list(frame.columns)}. Call once per variable or pair."
        )
    if len(frame) != n:
        raise ValueError(f"groups must have one row per subject; got {len(frame)} for {n}.")
    out = {}
    for col in frame.columns:
        s = frame[col]
        labels = s.astype(object).where(s.notna(), MISSING_LABEL).map(str)
        out[str(col)] = labels.to_numpy(dtype=object)
    return pd.DataFrame(out)


def check_inputs_aligned(y: Any, risk: Any, groups: Any) -> None:
    """Refuse pandas inputs with different indexes (irdp never aligns silently)."""
    objs, names = [], []
    index = getattr(y, "index", None)
    if isinstance(index, pd.Index):
        objs.append(pd.Series(0, index=index))
        names.append("y")
    for obj, name in ((risk, "risk"), (groups, "groups")):
        if isinstance(obj, pd.Series | pd.DataFrame):
            objs.append(obj)
            names.append(name)
    check_aligned(*objs, names=names)


def cells(frame: pd.DataFrame) -> tuple[list[tuple[str, ...]], list[np.ndarray]]:
    """Distinct label combinations (sorted) and the row positions of each."""
    keys = list(frame.itertuples(index=False, name=None))
    order: dict[tuple[str, ...], list[int]] = {}
    for i, k in enumerate(keys):
        order.setdefault(tuple(k), []).append(i)
    labels = sorted(order)
    return labels, [np.asarray(order[k], dtype=np.int64) for k in labels]
