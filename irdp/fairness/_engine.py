"""Evaluation shared by the fairness functions: per-cell values and the stratified bootstrap.

Registry measures (:data:`irdp.metrics.METRICS`) are computed by their value-only path on
each cell's rows, sharing what they have in common; other callables are called as they are.
Replicates run on irdp's one resampling engine (:mod:`irdp._resampling`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from irdp._resampling import percentile_interval, replicate
from irdp.metrics import MetricInfo
from irdp.metrics._context import Context
from irdp.metrics._registry import DATA_ERRORS, values_in_context

Measure = MetricInfo | Callable[..., Any]


def value_of(result: Any) -> float:
    """Turn a measure's result (float or an Estimate with ``.value``) into a float."""
    if hasattr(result, "value") and not isinstance(result, MetricInfo):
        return float(result.value)
    return float(result)


def evaluate(
    y: Any,
    risk: np.ndarray,
    rows: np.ndarray,
    measures: Mapping[str, Measure],
    horizon: float | None,
    errors: list[str] | None = None,
) -> np.ndarray:
    """Values of every measure on the subjects at positions ``rows`` (nan where the data of
    the cell cannot support a measure; the reasons are appended to ``errors``)."""
    reasons: list[str] = [] if errors is None else errors
    sub_y, sub_r = y.take(rows), risk[rows]
    registered = [(k, f) for k, f in measures.items() if isinstance(f, MetricInfo)]
    if horizon is not None and sub_y.kind != "binary" and sub_y.max_time < horizon:
        # as irdp.metrics refuses a horizon beyond follow-up: nothing is extrapolated
        vals = {k: float("nan") for k, _ in registered}
        reasons.append(f"the follow-up of this group ends at {sub_y.max_time:g}, before the "
                       f"horizon {horizon:g}")
    else:
        vals = values_in_context(registered, Context(sub_y, sub_r, horizon), reasons)
    out = np.empty(len(measures))
    for j, (name, f) in enumerate(measures.items()):
        if isinstance(f, MetricInfo):
            out[j] = vals[name]
            continue
        try:
            out[j] = value_of(f(sub_y, sub_r, horizon=horizon))
        except DATA_ERRORS as err:
            out[j] = np.nan
            reasons.append(f"{name}: {type(err).__name__}: {err}")
    return out


def _cell_replicate(i: int, rng: np.random.Generator, *, y: Any, risk: np.ndarray,
                    cell_rows: Sequence[np.ndarray], reportable: np.ndarray,
                    measures: Mapping[str, Measure], horizon: float | None
                    ) -> tuple[np.ndarray, int]:
    """One stratified replicate: resample within each cell, evaluate cells and overall."""
    n_cells = len(cell_rows)
    out = np.full((n_cells + 1, len(measures)), np.nan)
    draws = [rows[rng.integers(0, len(rows), len(rows))] for rows in cell_rows]
    bad: list[str] = []
    for c in np.flatnonzero(reportable):
        out[c] = evaluate(y, risk, draws[c], measures, horizon, bad)
    out[n_cells] = evaluate(y, risk, np.concatenate(draws), measures, horizon, bad)
    return out, len(bad)


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
    scheduler: Any = None,
) -> tuple[np.ndarray, int, tuple[str, ...]]:
    """Stratified bootstrap: resample subjects within each cell, evaluate cells and overall.

    Each replicate uses its own stream spawned from ``SeedSequence(seed)``, so results do
    not depend on ``n_jobs`` or on the backend (joblib or Dask).

    Returns
    -------
    values : ndarray of shape (n_boot, n_cells + 1, n_measures)
        The last cell is the overall sample; non-reportable cells are nan.
    n_bad : int
        Number of (replicate, cell, measure) values that were undefined.
    warnings : tuple of str
        Distinct warnings raised inside replicates.
    """
    root = np.random.SeedSequence() if seed is None else seed
    run = replicate(
        _cell_replicate, int(n_boot), seed=root, n_jobs=1 if n_jobs is None else n_jobs,
        scheduler=scheduler,
        kwargs={"y": y, "risk": risk, "cell_rows": list(cell_rows), "reportable": reportable,
                "measures": measures, "horizon": horizon},
    )
    values = np.stack([v for v, _ in run.results])
    return values, int(sum(b for _, b in run.results)), run.warnings


def percentile_ci(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 (irdp's one percentile function)."""
    return percentile_interval(samples, level)
