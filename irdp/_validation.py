"""Input checks shared by every public function (private module).

Messages follow one pattern: *argument* + *rule* + *what was observed* + *how to fix it*,
with counts and at most five offending labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import IndexMismatchError

__all__ = [
    "first_labels",
    "as_1d_array",
    "check_consistent_length",
    "check_risk",
    "check_horizon",
    "check_aligned",
    "check_random_state",
]


def first_labels(mask: np.ndarray, index: pd.Index | None = None, k: int = 5) -> list[Any]:
    """Return at most ``k`` labels (or positions) where ``mask`` is true."""
    pos = np.flatnonzero(mask)[:k]
    if index is not None:
        return [index[p] for p in pos]
    return [int(p) for p in pos]


def as_1d_array(values: Any, name: str, *, dtype: Any = float) -> np.ndarray:
    """Convert ``values`` to a 1-D NumPy array, refusing other shapes.

    Parameters
    ----------
    values : array-like
        List, NumPy array, pandas Series or single-column DataFrame.
    name : str
        Argument name used in error messages.
    dtype : dtype, default=float
        Target dtype.

    Returns
    -------
    numpy.ndarray
        A new 1-D array (never a view on the caller's data).
    """
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(
                f"{name} must be 1-D; got a DataFrame with {values.shape[1]} columns. "
                "Pass a single column."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        if values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype):
            try:
                values = values.astype(dtype)
            except (TypeError, ValueError) as err:
                raise TypeError(f"{name} must be numeric; got dtype {values.dtype}.") from err
        arr = values.to_numpy(dtype=dtype, na_value=np.nan) if dtype is float else values.to_numpy()
    else:
        arr = np.asarray(values)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be 1-D; got a scalar ({arr!r}).")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {arr.shape}.")
    if arr.dtype.kind in "OUS" and dtype is float:
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be numeric; got values such as {arr[:3]!r}.") from err
    return np.array(arr, dtype=dtype, copy=True)


def check_consistent_length(**arrays: Sequence[Any] | np.ndarray) -> int:
    """Check that every named array has the same length and return it."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise ValueError(f"inputs must have the same number of rows; got {detail}.")
    return next(iter(lengths.values())) if lengths else 0


def check_risk(risk: Any, name: str = "risk", *, probability: bool = True) -> np.ndarray:
    """Validate a vector of predicted risks (higher = riskier).

    Parameters
    ----------
    risk : array-like of shape (n_samples,)
        Predicted risks.
    name : str, default="risk"
        Argument name for messages.
    probability : bool, default=True
        If true, values must lie in [0, 1]; otherwise any finite score is accepted.

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
    """
    index = risk.index if isinstance(risk, pd.Series) else None
    arr = as_1d_array(risk, name)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name} must be finite for all rows; found {int(bad.sum())} missing or infinite "
            f"values (first labels: {first_labels(bad, index)}). Drop or impute them first."
        )
    if probability:
        out = (arr < 0) | (arr > 1)
        if out.any():
            raise ValueError(
                f"{name} must be a probability in [0, 1]; found {int(out.sum())} values outside "
                f"(first labels: {first_labels(out, index)}, e.g. {arr[out][:3].tolist()}). "
                "Pass absolute risks, not a linear predictor or a points total."
            )
    return arr


def check_horizon(horizon: Any, *, max_time: float | None = None, name: str = "horizon") -> float:
    """Validate a prediction horizon (positive, finite, within follow-up when ``max_time``)."""
    if horizon is None:
        raise ValueError(f"{name} is required for timed outcomes; got None.")
    try:
        h = float(horizon)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number; got {horizon!r}.") from err
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {horizon!r}.")
    if max_time is not None and h > max_time:
        raise ValueError(
            f"{name}={h:g} is beyond the last follow-up time ({max_time:g}); risks cannot be "
            "assessed there. Choose a shorter horizon."
        )
    return h


def check_aligned(*objects: Any, names: Sequence[str] | None = None) -> None:
    """Refuse pandas inputs whose indexes are not equal (no silent alignment)."""
    indexed = [
        (names[i] if names else f"argument {i}", o.index)
        for i, o in enumerate(objects)
        if isinstance(o, pd.Series | pd.DataFrame)
    ]
    for (name_a, idx_a), (name_b, idx_b) in zip(indexed, indexed[1:], strict=False):
        if not idx_a.equals(idx_b):
            raise IndexMismatchError(
                f"the pandas indexes of {name_a} and {name_b} differ (first labels "
                f"{list(idx_a[:3])} vs {list(idx_b[:3])}); irdp never aligns silently. "
                "Reindex one of them explicitly, or pass NumPy arrays."
            )


def check_random_state(seed: Any) -> np.random.Generator:
    """Turn ``seed`` (None, int, SeedSequence or Generator) into a NumPy Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
