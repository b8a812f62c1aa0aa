"""The resampling engine shared by every validation design (private module).

Every replicate of a bootstrap, a repeated cross-validation or a simulation gets its own
random stream, spawned from one seed with :meth:`numpy.random.SeedSequence.spawn`
(independent streams, O'Neill 2015). A replicate draws everything it needs from its
stream only, so the result of the whole run depends on the seed and on nothing else:
not on ``n_jobs``, not on the joblib backend (loky processes, threads, a Dask or Ray
cluster reached through :func:`joblib.parallel_config`), not on the order in which
workers finish. Results are returned in replicate order.

References
----------
.. [1] O'Neill ME. PCG: a family of simple fast space-efficient statistically good
   algorithms for random number generation. Harvey Mudd College HMC-CS-2014-0905, 2014.
.. [2] NumPy documentation, "Parallel random number generation" (SeedSequence.spawn).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from joblib import Parallel, delayed

__all__ = ["as_seed_sequence", "spawn_generators", "run_replicates", "bootstrap_indices"]

T = TypeVar("T")


def as_seed_sequence(seed: Any, *, name: str = "seed") -> np.random.SeedSequence:
    """Turn ``seed`` (int or SeedSequence) into a :class:`numpy.random.SeedSequence`.

    A Generator is refused: its state cannot be split into independent streams without
    consuming it, which would make results depend on what ran before. A SeedSequence is
    copied (same entropy and spawn key, no children spawned yet), so passing the same one
    twice gives the same streams.
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(
            f"{name} must be a non-negative int or a numpy.random.SeedSequence; got "
            f"{type(seed).__name__} ({seed!r}). Pass an explicit integer so the run is "
            "reproducible."
        )
    if seed < 0:
        raise ValueError(f"{name} must be >= 0; got {seed}.")
    return np.random.SeedSequence(int(seed))


def spawn_generators(seed: Any, n: int) -> list[np.random.Generator]:
    """Return ``n`` independent generators spawned from ``seed``.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        Root seed.
    n : int
        Number of streams.

    Returns
    -------
    list of numpy.random.Generator
        The ``i``-th generator is the same whatever ``n`` is (spawning is prefix-stable).

    Examples
    --------
    >>> a = spawn_generators(1, 3)
    >>> b = spawn_generators(1, 5)
    >>> bool(a[2].random() == b[2].random())
    True
    """
    return [np.random.default_rng(s) for s in as_seed_sequence(seed).spawn(int(n))]


def _run_one(func: Callable[..., T], i: int, rng: np.random.Generator, kwargs: dict) -> T:
    return func(i, rng, **kwargs)


def run_replicates(
    func: Callable[..., T],
    n_replicates: int,
    *,
    seed: Any,
    n_jobs: int | None = -1,
    kwargs: dict[str, Any] | None = None,
    verbose: int = 0,
) -> list[T]:
    """Run ``func(i, rng, **kwargs)`` for ``i = 0 .. n_replicates - 1`` through joblib.

    Parameters
    ----------
    func : callable
        ``func(i, rng, **kwargs)``; must draw all its randomness from ``rng``. It must be
        picklable (a module-level function) for process-based backends.
    n_replicates : int
        Number of replicates.
    seed : int or numpy.random.SeedSequence
        Root seed; replicate ``i`` uses the ``i``-th spawned stream.
    n_jobs : int or None, default=-1
        Number of joblib workers (-1 = all cores; None = the joblib default, 1 unless set
        by :func:`joblib.parallel_config`). The backend is whatever joblib is configured
        with (loky by default; ``with joblib.parallel_config(backend="dask"):`` reaches a
        Dask cluster).
    kwargs : dict, optional
        Extra keyword arguments passed to every call (large arrays are memory-mapped by
        joblib for process backends).
    verbose : int, default=0
        joblib verbosity.

    Returns
    -------
    list
        One result per replicate, in replicate order.
    """
    if int(n_replicates) != n_replicates or n_replicates < 1:
        raise ValueError(
            f"the number of replicates must be a positive integer; got {n_replicates!r}."
        )
    rngs = spawn_generators(seed, int(n_replicates))
    kw = {} if kwargs is None else dict(kwargs)
    if n_jobs == 1:
        return [func(i, rng, **kw) for i, rng in enumerate(rngs)]
    parallel = Parallel(n_jobs=n_jobs, verbose=verbose)
    return list(parallel(delayed(_run_one)(func, i, rng, kw) for i, rng in enumerate(rngs)))


def bootstrap_indices(
    rng: np.random.Generator, n: int, *, strata: Sequence[Any] | np.ndarray | None = None
) -> np.ndarray:
    """Draw ``n`` row positions with replacement (within ``strata`` when given).

    Stratified resampling keeps each stratum's size, e.g. the number of events, or the
    centre sizes of a multicentre cohort.
    """
    if strata is None:
        return rng.integers(0, n, size=n)
    strata = np.asarray(strata)
    out = np.empty(n, dtype=np.int64)
    pos = 0
    for level in np.unique(strata):
        members = np.flatnonzero(strata == level)
        out[pos : pos + len(members)] = rng.choice(members, size=len(members), replace=True)
        pos += len(members)
    return out
