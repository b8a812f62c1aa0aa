"""Evaluation engine shared by the fairness functions: per-cell values and stratified bootstrap."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from irdp.exceptions import IrdpError, IrdpWarning

Measure = Callable[..., Any]


def value_of(result: Any) -> float:
    """Turn a measure's result (float or an Estimate with ``.value``) into a float."""
    if hasattr(result, "value"):
        return float(result.value)
    return float(result)


def evaluate(
    y: Any,
    risk: np.ndarray,
    rows: np.ndarray,
    measures: Mapping[str, Measure],
    horizon: float | None,
) -> np.ndarray:
    """Values of every measure on the subjects at positions ``rows``."""
    sub_y, sub_r = y.take(rows), risk[rows]
    return np.array(
        [value_of(f(sub_y, sub_r, horizon=horizon)) for f in measures.values()], dtype=float
    )


def _safe_evaluate(
    y: Any,
    risk: np.ndarray,
    rows: np.ndarray,
    measures: Mapping[str, Measure],
    horizon: float | None,
) -> tuple[np.ndarray, int]:
    """Like :func:`evaluate` inside a bootstrap replicate: undefined values become nan.

    Returns the values and the number of measures that failed or warned (the caller reports
    them in one warning rather than hiding them).
    """
    out = np.full(len(measures), np.nan)
    bad = 0
    sub_y, sub_r = y.take(rows), risk[rows]
    for j, f in enumerate(measures.values()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IrdpWarning)
            try:
                out[j] = value_of(f(sub_y, sub_r, horizon=horizon))
            except (IrdpError, ValueError, ZeroDivisionError, FloatingPointError):
                bad += 1
                continue
        if any(issubclass(w.category, IrdpWarning) for w in caught):
            bad += 1
            out[j] = np.nan
        for w in caught:
            if not issubclass(w.category, IrdpWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out, bad


def _replicates(
    y: Any,
    risk: np.ndarray,
    cell_rows: Sequence[np.ndarray],
    reportable: np.ndarray,
    measures: Mapping[str, Measure],
    horizon: float | None,
    streams: Sequence[np.random.SeedSequence],
) -> tuple[np.ndarray, int]:
    """Evaluate the replicates whose streams are given (one chunk of the bootstrap)."""
    n_cells, n_meas = len(cell_rows), len(measures)
    out = np.full((len(streams), n_cells + 1, n_meas), np.nan)
    n_bad = 0
    for b, ss in enumerate(streams):
        rng = np.random.default_rng(ss)
        draws = [rows[rng.integers(0, len(rows), len(rows))] for rows in cell_rows]
        for c in np.flatnonzero(reportable):
            out[b, c], bad = _safe_evaluate(y, risk, draws[c], measures, horizon)
            n_bad += bad
        out[b, n_cells], bad = _safe_evaluate(y, risk, np.concatenate(draws), measures, horizon)
        n_bad += bad
    return out, n_bad


def bootstrap_cells(
    y: Any,
    risk: np.ndarray,
    cell_rows: Sequence[np.ndarray],
    reportable: np.ndarray,
    measures: Mapping[str, Measure],
    horizon: float | None,
    *,
    n_boot: int,
    seed: Any,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, int]:
    """Stratified bootstrap: resample subjects within each cell, evaluate cells and overall.

    Each replicate uses its own stream spawned from ``SeedSequence(seed)``, so results do
    not depend on the order of evaluation nor on ``n_jobs`` (joblib workers; chunks of
    replicates are sent to each).

    Returns
    -------
    values : ndarray of shape (n_boot, n_cells + 1, n_measures)
        The last cell is the overall sample; non-reportable cells are nan.
    n_bad : int
        Number of (replicate, cell, measure) values that were undefined.
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    streams = root.spawn(n_boot)
    if n_jobs is None or n_jobs == 1 or n_boot < 2:
        return _replicates(y, risk, cell_rows, reportable, measures, horizon, streams)
    from joblib import Parallel, delayed, effective_n_jobs

    k = max(1, min(effective_n_jobs(n_jobs), n_boot))
    chunks = [list(c) for c in np.array_split(np.arange(n_boot), k) if len(c)]
    parts = Parallel(n_jobs=k)(
        delayed(_replicates)(y, risk, cell_rows, reportable, measures, horizon,
                             [streams[i] for i in c])
        for c in chunks
    )
    return np.concatenate([p[0] for p in parts], axis=0), int(sum(p[1] for p in parts))


def percentile_ci(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0, ignoring nan replicates (nan if fewer than 2)."""
    alpha = (1.0 - level) / 2.0
    valid = np.sum(np.isfinite(samples), axis=0)
    # columns with no finite replicate are filled with 0 (then masked) so that nanquantile
    # does not meet an all-nan slice
    filled = np.where(valid[None, ...] > 0, samples, 0.0)
    lo = np.nanquantile(filled, alpha, axis=0)
    hi = np.nanquantile(filled, 1.0 - alpha, axis=0)
    lo = np.where(valid >= 2, lo, np.nan)
    hi = np.where(valid >= 2, hi, np.nan)
    return lo, hi
