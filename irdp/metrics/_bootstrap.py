"""Percentile bootstrap intervals of the measures (private), on irdp's one resampling engine.

Each replicate b draws its rows from its own generator, seeded by
``np.random.SeedSequence(seed).spawn(n_boot)[b]`` (:mod:`irdp._resampling`), so results do
not depend on ``n_jobs``, on the backend (joblib or Dask) or on the order in which
replicates run. Every measure takes the resampling settings as ``n_boot=``, ``seed=``,
``n_jobs=`` and ``scheduler=``; the older ``bootstrap=`` (an int, a dict or a
:class:`Bootstrap`) still works with an :class:`~irdp.exceptions.IrdpDeprecationWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from irdp._resampling import (
    bootstrap_se,
    check_n_jobs,
    check_scheduler,
    percentile_interval,
    replicate,
)
from irdp.exceptions import ComputationError, IrdpDeprecationWarning, IrdpWarning

__all__ = [
    "Bootstrap",
    "Resolved",
    "apply_bootstrap",
    "as_bootstrap",
    "bootstrap_values",
    "interval_from_values",
    "resampling",
]

# what makes one replicate unusable (recorded as NaN, counted and reported)
REPLICATE_ERRORS: tuple[type[BaseException], ...] = (
    ComputationError,
    np.linalg.LinAlgError,
    FloatingPointError,
    ZeroDivisionError,
)


@dataclass(frozen=True)
class Bootstrap:
    """Settings of a nonparametric (case-resampling) percentile bootstrap.

    Parameters
    ----------
    n_resamples : int, default=1000
        Number of bootstrap replicates B.
    seed : int, SeedSequence or None, default=None
        Seed of the ``SeedSequence`` spawning one stream per replicate. Give one for
        reproducible intervals (None draws fresh entropy).
    n_jobs : int, default=1
        Parallel workers (joblib threads, or Dask workers with ``scheduler="local"``).
        Results are identical for any value.
    scheduler : None, "local", str or distributed.Client, default=None
        Dask scheduler (see :func:`irdp.validation.bootstrap_validate`); None = joblib.

    Examples
    --------
    >>> from irdp.metrics import Bootstrap
    >>> Bootstrap(200, seed=1)
    Bootstrap(n_resamples=200, seed=1, n_jobs=1, scheduler=None)
    """

    n_resamples: int = 1000
    seed: Any = None
    n_jobs: int = 1
    scheduler: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.n_resamples, bool) or not isinstance(self.n_resamples, int | np.integer):
            raise TypeError(f"n_resamples must be an int; got {self.n_resamples!r}.")
        if self.n_resamples < 2:
            raise ValueError(f"n_resamples must be >= 2; got {self.n_resamples}.")
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int | np.integer):
            raise TypeError(f"n_jobs must be an int; got {self.n_jobs!r}.")
        check_n_jobs(self.n_jobs)
        check_scheduler(self.scheduler)


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
        unknown = set(bootstrap) - {"n_resamples", "n", "seed", "n_jobs", "scheduler"}
        if unknown:
            raise ValueError(
                "bootstrap settings accept n_resamples (or n), seed, n_jobs, scheduler; got "
                f"{sorted(unknown)}."
            )
        kw = dict(bootstrap)
        if "n" in kw:
            kw["n_resamples"] = kw.pop("n")
        return Bootstrap(**kw)
    raise TypeError(
        f"bootstrap must be None, an int, a dict or a Bootstrap; got {type(bootstrap).__name__}."
    )


@dataclass(frozen=True)
class Resolved:
    """Settings already resolved by an irdp caller, passed on as ``bootstrap=`` (private)."""

    settings: Bootstrap | None


def resampling(n_boot: Any = None, seed: Any = None, n_jobs: Any = 1, scheduler: Any = None,
               bootstrap: Any = None, *, stacklevel: int = 3) -> Bootstrap | None:
    """The bootstrap settings of a measure call (None: no bootstrap).

    ``n_boot=`` (with ``seed=``, ``n_jobs=``, ``scheduler=``) is the spelling used across
    irdp; ``bootstrap=`` is the older one, accepted with a deprecation warning.
    """
    if isinstance(bootstrap, Resolved):
        return bootstrap.settings
    if bootstrap is not None and bootstrap is not False:
        if n_boot is not None:
            raise ValueError(
                "give the bootstrap settings once: n_boot= (with seed=, n_jobs=, scheduler=), "
                "not also bootstrap=."
            )
        warnings.warn(
            "bootstrap= is deprecated; pass n_boot= and seed= (and n_jobs=, scheduler=) "
            "as every irdp function that resamples does.",
            IrdpDeprecationWarning,
            stacklevel=stacklevel,
        )
        return as_bootstrap(bootstrap)
    if n_boot is None:
        return None
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer):
        raise TypeError(f"n_boot must be an int (number of bootstrap replicates); got "
                        f"{type(n_boot).__name__}.")
    if n_boot < 2:
        raise ValueError(f"n_boot must be >= 2; got {n_boot}.")
    return Bootstrap(int(n_boot), seed=seed, n_jobs=int(n_jobs), scheduler=scheduler)


def _boot_replicate(i: int, rng: np.random.Generator, *, stat: Callable[[np.ndarray], Any],
                    n: int) -> tuple[np.ndarray, str]:
    rows = rng.integers(0, n, n)
    try:
        return np.atleast_1d(np.asarray(stat(rows), dtype=float)), ""
    except REPLICATE_ERRORS as err:
        return np.array([np.nan]), f"{type(err).__name__}: {err}"


def bootstrap_values(stat: Callable[[np.ndarray], Any], n: int, settings: Bootstrap
                     ) -> np.ndarray:
    """Evaluate ``stat(rows)`` on B resampled row sets; returns shape (B, k).

    A replicate that cannot be computed (e.g. no event in the resample) is NaN; how many,
    and the warnings raised inside replicates, are reported in one warning.
    """
    seed = np.random.SeedSequence() if settings.seed is None else settings.seed
    run = replicate(_boot_replicate, settings.n_resamples, seed=seed, n_jobs=settings.n_jobs,
                    scheduler=settings.scheduler, kwargs={"stat": stat, "n": n},
                    prefer="threads")
    width = max(len(o) for o, _ in run.results)
    vals = np.full((len(run.results), width), np.nan)
    for b, (o, _) in enumerate(run.results):
        vals[b, : len(o)] = o
    failed = [msg for _, msg in run.results if msg]
    if failed or run.warnings:
        parts = []
        if failed:
            parts.append(f"{len(failed)} of {len(vals)} bootstrap replicates could not be "
                         f"computed and were left out of the interval (first: {failed[0]})")
        if run.warnings:
            parts.append(f"{len(run.warnings)} distinct warnings were raised in replicates "
                         f"(e.g. {run.warnings[0]!r})")
        warnings.warn("; ".join(parts) + ".", IrdpWarning, stacklevel=3)
    return vals


def interval_from_values(values: np.ndarray, level: float
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile limits and bootstrap SE per column (failed replicates left out)."""
    lower, upper = percentile_interval(np.atleast_2d(values), level)
    return lower, upper, bootstrap_se(np.atleast_2d(values))


def apply_bootstrap(estimate: Any, settings: Bootstrap | None, y: Any,
                    risks: tuple[np.ndarray, ...], fn: Callable[..., float]) -> Any:
    """Replace the interval of ``estimate`` by a percentile bootstrap one, if requested.

    ``fn(y_b, *risks_b)`` recomputes the point value on a resample of the rows.
    """
    if settings is None:
        return estimate

    def stat(rows: np.ndarray) -> float:
        return float(fn(y.take(rows), *(r[rows] for r in risks)))

    vals = bootstrap_values(stat, len(y), settings)
    lower, upper, se = interval_from_values(vals, estimate.level)
    return estimate.with_interval(
        lower[0], upper[0], f"bootstrap percentile (B={settings.n_resamples})", se=se[0]
    )
