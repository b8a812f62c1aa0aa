"""Fitting and predicting any candidate index through one narrow door (private module).

Validation designs take an estimator following the irdp models protocol (``fit(X, y)`` with
an outcome container, ``predict_risk(X, horizon=None)``), a scikit-learn Pipeline whose last
step follows it, or a plain scikit-learn binary classifier (``predict_proba``), refit it on
resampled rows and read its predicted risks. Nothing else about the estimator is assumed.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from irdp._validation import check_horizon
from irdp.exceptions import ComputationError, InsufficientDataError
from irdp.outcomes import Binary, CompetingRisks, Survival, as_outcome

__all__ = [
    "prepare_outcome",
    "take_rows",
    "fit_clone",
    "predict_risk",
    "n_rows",
    "FIT_ERRORS",
    "Prepared",
    "prepare_data",
    "record_warnings",
]

# Errors that make one resample unusable (recorded, not raised): valid data that cannot
# support the fit or the measure (too few events, a constant column in a resample, a
# singular or diverging fit). irdp's own input errors (ValueError, TypeError) propagate.
FIT_ERRORS: tuple[type[BaseException], ...] = (
    ComputationError,
    np.linalg.LinAlgError,
    FloatingPointError,
)


def _final_step(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _uses_outcome(estimator: Any) -> bool:
    return hasattr(_final_step(estimator), "predict_risk")


def prepare_outcome(
    y: Any, horizon: float | None, *, name: str = "y"
) -> tuple[Binary | Survival | CompetingRisks, float | None]:
    """Validate the outcome and horizon once, before any resampling."""
    yy = as_outcome(y)
    if isinstance(yy, Binary):
        if yy.n_events == 0 or yy.n_events == len(yy):
            raise InsufficientDataError(
                f"{name} must contain both events and non-events; got {yy.n_events} events out "
                f"of {len(yy)} rows. Validation measures are undefined otherwise."
            )
        return yy, None if horizon is None else float(horizon)
    h = check_horizon(horizon, max_time=yy.max_time)
    n_before = int((yy.event & (yy.time <= h)).sum())
    if n_before == 0:
        raise InsufficientDataError(
            f"{name} has no event of interest at or before horizon={h:g}; discrimination and "
            "calibration cannot be assessed. Choose a longer horizon."
        )
    return yy, h


def align_outcome(X: Any, y: Any) -> Any:
    """Check that pandas ``X`` and ``y`` share their index; drop ``y``'s index otherwise.

    Resampled rows keep their labels on both sides when X is a DataFrame; when X is an
    array the outcome's index carries no information and would make the estimators' own
    alignment check fail on every resample, so it is dropped (positions align).
    """
    from irdp._validation import check_aligned

    if y.index is None:
        return y
    if isinstance(X, pd.DataFrame | pd.Series):
        check_aligned(X, pd.Series(np.zeros(len(y)), index=y.index), names=["X", "y"])
        return y
    out = y.take(np.arange(len(y)))
    out.index = None
    return out


class Prepared:
    """Data an irdp index prepared once for repeated fits (the models protocol's optional
    ``prepare(X, y)``: arrays and a design learned on all rows, no pandas work in a refit).

    Wraps the estimator's object so that the designs can tell it from a feature matrix.
    """

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)


def prepare_data(estimator: Any, X: Any, y: Binary | Survival | CompetingRisks) -> Any:
    """``Prepared(estimator.prepare(X, y))`` when the estimator offers it, else ``X``.

    An irdp risk index that implements ``prepare`` learns its design (categorical levels,
    spline knots) once on all rows, as ``rms::validate`` does; its fits and predictions on
    the rows of a resample then take arrays only. A scikit-learn Pipeline, or an estimator
    without ``prepare``, gets the raw ``X`` and refits its whole pre-processing per resample,
    and so does an index that completes missing values itself (``_accepts_missing``, e.g.
    :class:`irdp.missing.ImputedRiskIndex`: its imputation is redone in every resample).
    """
    prepare = getattr(estimator, "prepare", None)
    if prepare is None or getattr(estimator, "steps", None) or \
            getattr(estimator, "_accepts_missing", False):
        return X
    return Prepared(prepare(X, y))


def n_rows(X: Any) -> int:
    """Number of rows of a feature matrix."""
    if isinstance(X, Prepared):
        return len(X)
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows of ``X`` by position (DataFrame, ndarray, sparse matrix or prepared data)."""
    if isinstance(X, Prepared):
        return Prepared(X.data.take(rows))
    if isinstance(X, pd.DataFrame | pd.Series):
        return X.iloc[rows]
    return X[rows]


def fit_clone(estimator: Any, X: Any, y: Binary | Survival | CompetingRisks) -> Any:
    """Fit an unfitted clone of ``estimator`` on ``(X, y)`` and return it.

    With prepared data the outcome is the one they hold (the rows of ``y``)."""
    est = clone(estimator)
    if isinstance(X, Prepared):
        return est.fit(X.data)
    if _uses_outcome(est):
        return est.fit(X, y)
    if not isinstance(y, Binary):
        raise TypeError(
            f"{type(_final_step(est)).__name__} has no predict_risk(X, horizon); only irdp "
            "risk indices can be validated on a timed outcome."
        )
    return est.fit(X, y.y.astype(int))


def predict_risk(estimator: Any, X: Any, horizon: float | None) -> np.ndarray:
    """Absolute risks by ``horizon`` from a fitted estimator, as a float array."""
    final = _final_step(estimator)
    if isinstance(X, Prepared):
        return np.asarray(estimator.predict_risk(X.data, horizon=horizon),
                          dtype=float).reshape(-1)
    if hasattr(final, "predict_risk"):
        if final is not estimator:  # Pipeline: transform with the fitted pre-processing steps
            X = estimator[:-1].transform(X)
        out = final.predict_risk(X, horizon=horizon)
    elif hasattr(estimator, "predict_proba"):
        out = estimator.predict_proba(X)[:, 1]
    else:
        raise TypeError(
            f"{type(final).__name__} has neither predict_risk(X, horizon) nor predict_proba(X); "
            "pass an irdp risk index, a Pipeline ending with one, or a binary classifier."
        )
    return np.asarray(out, dtype=float).reshape(-1)


def record_warnings(func: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Call ``func`` and return its result with the messages of the warnings it raised.

    Kept for designs that record warnings themselves; the resampling engine
    (:func:`irdp._resampling.replicate`) records the warnings of every replicate, whatever
    the backend, and is what the validation designs use.

    Replicates run in worker processes whose warning filters differ from the caller's;
    collecting the messages and re-issuing one summary warning in the caller keeps the
    behaviour identical whatever the backend. In a non-main thread (threading backend)
    nothing is caught: ``warnings.catch_warnings`` swaps process-wide state and is not
    thread-safe, so warnings then surface directly.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return func(*args, **kwargs), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    return out, [f"{w.category.__name__}: {w.message}" for w in caught]
