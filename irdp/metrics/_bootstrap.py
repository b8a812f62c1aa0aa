"""Percentile bootstrap shared by every measure (private).

Each replicate b draws its rows from its own generator, seeded by
``np.random.SeedSequence(seed).spawn(n_resamples)[b]``, so results do not depend on
``n_jobs`` or on the order in which replicates run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from irdp.exceptions import IrdpWarning

__all__ = ["Bootstrap", "as_bootstrap", "bootstrap_values", "percentile_interval"]


@dataclass(frozen=True)
class Bootstrap:
    """Settings of a nonparametric (case-resampling) percentile bootstrap.

    Parameters
    ----------
    n_resamples : int, default=1000
        Number of bootstrap replicates B.
    seed : int or None, default=None
        Seed of the ``SeedSequence`` spawning one stream per replicate. Give one for
        reproducible intervals.
    n_jobs : int, default=1
        Parallel workers (joblib). Results are identical for any value.

    Examples
    --------
    >>> from irdp.metrics import Bootstrap
    >>> Bootstrap(200, seed=1)
    Bootstrap(n_resamples=200, seed=1, n_jobs=1)
    """

    n_resamples: int = 1000
    seed: int | None = None
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.n_resamples, bool) or not isinstance(self.n_resamples, int | np.integer):
            raise TypeError(f"n_resamples must be an int; got {self.n_resamples!r}.")
        if self.n_resamples < 2:
            raise ValueError(f"n_resamples must be >= 2; got {self.n_resamples}.")
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int | np.integer):
            raise TypeError(f"n_jobs must be an int; got {self.n_jobs!r}.")


def as_bootstrap(bootstrap: Any) -> Bootstrap | None:
    """Accept None, an int (B), a dict of settings or a :class:`Bootstrap`."""
    if bootstrap is None or bootstrap is False:
        return None
    if isinstance(bootstrap, Bootstrap):
        return bootstrap
    if isinstance(bootstrap, bool):
        raise TypeError("bootstrap must be None, an int, a dict or a Bootstrap; got True.")
    if isinstance(bootstrap, int | np.integer):
        return Bootstrap(int(bootstrap))
    if isinstance(bootstrap, dict):
        unknown = set(bootstrap) - {"n_resamples", "n", "seed", "n_jobs"}
        if unknown:
            raise ValueError(
                "bootstrap settings accept n_resamples (or n), seed, n_jobs; got "
                f"{sorted(unknown)}."
            )
        kw = dict(bootstrap)
        if "n" in kw:
            kw["n_resamples"] = kw.pop("n")
        return Bootstrap(**kw)
    raise TypeError(
        f"bootstrap must be None, an int, a dict or a Bootstrap; got {type(bootstrap).__name__}."
    )


def _replicate(stat: Callable[[np.ndarray], Any], n: int, seed_seq: np.random.SeedSequence
               ) -> np.ndarray:
    rng = np.random.default_rng(seed_seq)
    rows = rng.integers(0, n, n)
    try:
        return np.atleast_1d(np.asarray(stat(rows), dtype=float))
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
        return np.array([np.nan])


def bootstrap_values(stat: Callable[[np.ndarray], Any], n: int, settings: Bootstrap
                     ) -> np.ndarray:
    """Evaluate ``stat(rows)`` on B resampled row sets; returns shape (B, k)."""
    children = np.random.SeedSequence(settings.seed).spawn(settings.n_resamples)
    with warnings.catch_warnings():
        # replicate-level warnings (e.g. a resample without events) are summarised below
        warnings.simplefilter("ignore", IrdpWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        if settings.n_jobs == 1:
            out = [_replicate(stat, n, c) for c in children]
        else:
            from joblib import Parallel, delayed

            out = Parallel(n_jobs=settings.n_jobs, prefer="threads")(
                delayed(_replicate)(stat, n, c) for c in children
            )
    width = max(len(o) for o in out)
    vals = np.full((len(out), width), np.nan)
    for b, o in enumerate(out):
        vals[b, : len(o)] = o
    return vals


def percentile_interval(
    values: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile limits and bootstrap SE per column, ignoring failed replicates."""
    vals = np.atleast_2d(values)
    failed = np.isnan(vals).all(axis=1).sum()
    if failed:
        warnings.warn(
            f"{int(failed)} of {len(vals)} bootstrap replicates could not be computed (e.g. no "
            "event in the resample) and were dropped from the interval.",
            IrdpWarning,
            stacklevel=3,
        )
    a = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lower = np.nanquantile(vals, a, axis=0)
        upper = np.nanquantile(vals, 1.0 - a, axis=0)
        se = np.nanstd(vals, axis=0, ddof=1)
    return lower, upper, se


def apply_bootstrap(estimate: Any, bootstrap: Any, y: Any, risks: tuple[np.ndarray, ...],
                    fn: Callable[..., float]) -> Any:
    """Replace the interval of ``estimate`` by a percentile bootstrap one, if requested.

    ``fn(y_b, *risks_b)`` recomputes the point value on a resample of the rows.
    """
    settings = as_bootstrap(bootstrap)
    if settings is None:
        return estimate

    def stat(rows: np.ndarray) -> float:
        return float(fn(y.take(rows), *(r[rows] for r in risks)))

    vals = bootstrap_values(stat, len(y), settings)
    lower, upper, se = percentile_interval(vals, estimate.level)
    return estimate.with_interval(
        lower[0], upper[0], f"bootstrap percentile (B={settings.n_resamples})", se=se[0]
    )
