"""The one resampling engine of irdp (private module).

Every resampled quantity in irdp — the bootstrap intervals of :mod:`irdp.metrics`, Harrell's
optimism bootstrap, cross-validation and IECV folds in :mod:`irdp.validation`, the stratified
bootstrap of :mod:`irdp.fairness`, the chains of multiple imputation in :mod:`irdp.missing` —
runs through :func:`run_replicates`:

- **seeded streams**: replicate ``i`` draws everything from the ``i``-th child of
  ``numpy.random.SeedSequence(seed).spawn(n)`` (independent streams, prefix-stable);
- **one executor**: joblib by default (loky processes, or threads with ``prefer="threads"``;
  replicates go to the workers in about four batches per worker, so the shared data are
  pickled once per batch, not once per replicate), Dask when a scheduler is named
  (``"local"`` starts a ``distributed.LocalCluster``, an address such as
  ``"tcp://host:8786"`` connects a ``distributed.Client``, a ``Client`` is used as is);
- **results that depend on the seed only**: results come back in replicate order; every
  replicate runs with one BLAS thread (so the floating-point summation order does not depend
  on the number of workers); warnings raised inside replicates are recorded in the replicate
  and returned to the caller as a set of messages, whatever the backend. The same seed gives
  byte-identical results with ``n_jobs=1``, joblib workers or a Dask cluster built from the
  same software on the same kind of CPU;
- **one percentile function** (:func:`percentile_interval`) and one bootstrap p-value
  (:func:`bootstrap_p_value`, never below ``1/(B+1)``).

References
----------
.. [1] O'Neill ME. PCG: a family of simple fast space-efficient statistically good
   algorithms for random number generation. Harvey Mudd College HMC-CS-2014-0905, 2014.
.. [2] NumPy documentation, "Parallel random number generation" (SeedSequence.spawn).
.. [3] Davison AC, Hinkley DV. Bootstrap Methods and their Application. Cambridge 1997,
   sections 4.4 and 5.2 (bootstrap p-values (1 + #)/(B + 1); percentile intervals).
.. [4] Hyndman RJ, Fan Y. Sample quantiles in statistical packages. Am Stat 1996;50:361-365
   (type 7, R's and NumPy's default).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "Replicates",
    "as_seed_sequence",
    "bootstrap_indices",
    "bootstrap_p_value",
    "check_n_jobs",
    "check_scheduler",
    "percentile_interval",
    "replicate",
    "run_replicates",
    "spawn_generators",
    "spawn_seeds",
]

T = TypeVar("T")

# Warnings are recorded with ``warnings.catch_warnings``, which swaps process-wide state: in
# a worker process whose tasks run in a pool thread (Dask) it is taken under this lock.
_WARNINGS_LOCK = threading.Lock()


# --------------------------------------------------------------------------- seeds
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


def spawn_seeds(seed: Any, n: int) -> list[np.random.SeedSequence]:
    """Return the ``n`` child seed sequences of ``seed`` (prefix-stable)."""
    return as_seed_sequence(seed).spawn(int(n))


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
    return [np.random.default_rng(s) for s in spawn_seeds(seed, n)]


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


# --------------------------------------------------------------------------- summaries
def percentile_interval(
    values: Any, level: float, *, min_valid: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0, ignoring non-finite replicates.

    Parameters
    ----------
    values : array-like of shape (B, ...)
        Bootstrap replicates (NaN where a replicate could not be computed).
    level : float
        Confidence level in (0, 1).
    min_valid : int, default=2
        Columns with fewer finite replicates get NaN limits.

    Returns
    -------
    lower, upper : ndarray of shape values.shape[1:]
        Quantiles ``(1 - level)/2`` and ``(1 + level)/2`` (type 7, as R's ``quantile``).
    """
    vals = np.asarray(values, dtype=float)
    if vals.ndim == 1:
        vals = vals[:, None]
        squeeze = True
    else:
        squeeze = False
    a = (1.0 - float(level)) / 2.0
    finite = np.isfinite(vals)
    valid = finite.sum(axis=0)
    # columns without finite replicates are filled (then masked) so that nanquantile does
    # not meet an all-nan slice
    filled = np.where(finite, vals, np.nan)
    filled = np.where((valid > 0)[None, ...], filled, 0.0)
    lower = np.nanquantile(filled, a, axis=0)
    upper = np.nanquantile(filled, 1.0 - a, axis=0)
    lower = np.where(valid >= min_valid, lower, np.nan)
    upper = np.where(valid >= min_valid, upper, np.nan)
    if squeeze:
        return lower.reshape(()), upper.reshape(())
    return lower, upper


def bootstrap_se(values: Any) -> np.ndarray:
    """Standard deviation of the finite replicates over axis 0 (NaN with fewer than 2)."""
    vals = np.asarray(values, dtype=float)
    finite = np.isfinite(vals)
    n = finite.sum(axis=0)
    safe = np.where(finite, vals, 0.0)
    mean = safe.sum(axis=0) / np.maximum(n, 1)
    ss = (np.where(finite, vals - mean, 0.0) ** 2).sum(axis=0)
    return np.where(n >= 2, np.sqrt(ss / np.maximum(n - 1, 1)), np.nan)


def bootstrap_p_value(differences: Any, null: float = 0.0) -> float:
    """Two-sided bootstrap p-value of ``H0: difference = null``, never below ``1/(B+1)``.

    ``p = min(1, 2 min((1 + #{d <= null}) / (B + 1), (1 + #{d >= null}) / (B + 1)))`` over
    the B finite replicates: the observed data count as one more replicate (Davison &
    Hinkley 1997, eq. 4.11), so a p-value of 0 is never reported.

    Examples
    --------
    >>> bootstrap_p_value([0.1, 0.2, 0.3, 0.15])  # every replicate above 0: p = 2/5
    0.4
    """
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    b = len(d)
    if b == 0:
        return float("nan")
    below = (1 + np.sum(d <= null)) / (b + 1)
    above = (1 + np.sum(d >= null)) / (b + 1)
    return float(min(1.0, 2.0 * min(below, above)))


# --------------------------------------------------------------------------- checks
def check_n_jobs(n_jobs: Any) -> None:
    """Refuse anything but a non-zero integer or None."""
    if n_jobs is None:
        return
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer or None; got {n_jobs!r}.")


def check_scheduler(scheduler: Any) -> None:
    """Check the ``scheduler`` argument (None, ``"local"``, an address, or a Client)."""
    if scheduler is None:
        return
    if isinstance(scheduler, str):
        s = scheduler.strip()
        if s == "local" or "://" in s:
            return
        raise ValueError(
            f"scheduler must be None (joblib), 'local' (a Dask LocalCluster on this machine) "
            f"or the address of a Dask scheduler such as 'tcp://host:8786'; got {scheduler!r}."
        )
    if type(scheduler).__name__ == "Client" and hasattr(scheduler, "submit"):
        return
    raise TypeError(
        "scheduler must be None, 'local', a Dask scheduler address (str) or a "
        f"distributed.Client; got {type(scheduler).__name__}."
    )


# --------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Replicates:
    """Results of :func:`replicate`, in replicate order, with the warnings they raised.

    Attributes
    ----------
    results : list
        One result per replicate.
    warnings : tuple of str
        Distinct ``"Category: message"`` strings of the warnings raised inside replicates,
        sorted (the same set whatever the backend).
    """

    results: list[Any]
    warnings: tuple[str, ...]


def _format(w: warnings.WarningMessage) -> str:
    return f"{w.category.__name__}: {w.message}"


_CONTROLLER: list[Any] = []


@contextmanager
def _one_blas_thread() -> Any:
    """Limit BLAS/OpenMP to one thread (the summation order then does not depend on it)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    if not _CONTROLLER:  # inspecting the loaded libraries is slow: once per process
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1):
        yield


def _call(func: Callable[..., T], i: int, seed: np.random.SeedSequence, kwargs: dict,
          caller: tuple[int, int], blas_set: bool = False) -> tuple[T, list[str]]:
    """Run replicate ``i`` and record its warnings.

    In the main thread of any process, or in a pool thread of another process (a Dask
    worker), the warnings are recorded here. In a pool thread of the caller's own process
    (joblib threads, in-process Dask workers) the caller records them for every thread.
    """
    rng = np.random.default_rng(seed)
    main = threading.current_thread() is threading.main_thread()
    same_process = os.getpid() == caller[0]
    if not main and same_process:
        return func(i, rng, **kwargs), []
    lock = nullcontext() if main else _WARNINGS_LOCK
    # the caller limits BLAS in its own process, workers of other processes do it here
    blas = nullcontext() if same_process or blas_set else _one_blas_thread()
    with lock, blas, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(i, rng, **kwargs)
    return out, [_format(w) for w in caught]


#: Tasks per joblib worker: replicates are sent in this many batches per worker, so that
#: the shared data are pickled, sent and unpickled once per batch instead of once per
#: replicate (and what a replicate caches on the outcome is reused by the next one), while
#: uneven replicates still balance across workers.
BATCHES_PER_WORKER = 4


def _batches(n: int, n_workers: int) -> list[range]:
    """Split ``range(n)`` into contiguous batches, about BATCHES_PER_WORKER per worker."""
    k = max(1, min(n, BATCHES_PER_WORKER * max(n_workers, 1)))
    bounds = np.linspace(0, n, k + 1).round().astype(int)
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def _call_batch(func: Callable[..., T], items: list[tuple[int, np.random.SeedSequence]],
                kwargs: dict, caller: tuple[int, int]) -> list[tuple[T, list[str]]]:
    """Run a batch of replicates in one task (one BLAS limit, one copy of ``kwargs``)."""
    blas = nullcontext() if os.getpid() == caller[0] else _one_blas_thread()
    with blas:
        return [_call(func, i, s, kwargs, caller, blas_set=True) for i, s in items]


def _run_joblib(func: Callable[..., T], seeds: list, kwargs: dict, n_jobs: int | None,
                prefer: str | None, caller: tuple[int, int]) -> list[tuple[T, list[str]]]:
    from joblib import Parallel, delayed, effective_n_jobs

    parallel = Parallel(n_jobs=n_jobs, prefer=prefer)
    items = list(enumerate(seeds))
    parts = _batches(len(items), effective_n_jobs(n_jobs))
    out = parallel(delayed(_call_batch)(func, items[b.start:b.stop], kwargs, caller)
                   for b in parts)
    return [pair for part in out for pair in part]


@contextmanager
def _dask_client(scheduler: Any, n_jobs: int | None) -> Any:
    """A ``distributed.Client`` for ``scheduler``; a LocalCluster is closed on exit."""
    try:
        import distributed
    except ImportError as err:  # pragma: no cover - dask is an optional extra
        raise ImportError(
            "scheduler= needs Dask: install irdp with the 'dask' extra "
            "(pip install 'irdp[dask]')."
        ) from err
    if not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler.strip() != "local":
        client = distributed.Client(scheduler.strip(), set_as_default=False)
        try:
            yield client
        finally:
            client.close()
        return
    import logging

    workers = (os.cpu_count() or 1) if n_jobs is None or n_jobs < 0 else int(n_jobs)
    cluster = distributed.LocalCluster(
        n_workers=max(workers, 1), threads_per_worker=1, processes=True,
        dashboard_address=None, silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _run_dask(func: Callable[..., T], seeds: list, kwargs: dict, n_jobs: int | None,
              scheduler: Any, caller: tuple[int, int]) -> list[tuple[T, list[str]]]:
    import uuid

    import cloudpickle

    # The data are sent once to every worker, as one pickle: Dask's own serialisation of
    # pandas objects may rebuild them with another memory layout, and BLAS then sums in
    # another order (last-bit differences). A pickle round trip keeps the layout.
    blob = cloudpickle.dumps(kwargs)
    token = uuid.uuid4().hex
    with _dask_client(scheduler, n_jobs) as client:
        [shared] = client.scatter([blob], broadcast=True)
        futures = [client.submit(_call_shared, func, i, s, shared, token, caller, pure=False)
                   for i, s in enumerate(seeds)]
        try:
            return list(client.gather(futures))
        finally:
            client.cancel(futures)
            client.run(_forget, token)
            _forget(token)


_UNPICKLED: dict[str, dict] = {}


def _forget(token: str) -> None:
    """Drop the shared data of a finished call from this process."""
    with _WARNINGS_LOCK:
        _UNPICKLED.pop(token, None)


def _call_shared(func: Callable[..., T], i: int, seed: np.random.SeedSequence, blob: bytes,
                 token: str, caller: tuple[int, int]) -> tuple[T, list[str]]:
    """A Dask task: the shared data are unpickled once per worker process and call."""
    import cloudpickle

    with _WARNINGS_LOCK:
        if token not in _UNPICKLED:
            _UNPICKLED.clear()  # one call's data at a time
            _UNPICKLED[token] = cloudpickle.loads(blob)
        kwargs = _UNPICKLED[token]
    return _call(func, i, seed, kwargs, caller)


def replicate(
    func: Callable[..., T],
    n_replicates: int,
    *,
    seed: Any,
    n_jobs: int | None = 1,
    scheduler: Any = None,
    kwargs: dict[str, Any] | None = None,
    prefer: str | None = None,
) -> Replicates:
    """Run ``func(i, rng, **kwargs)`` for ``i = 0 .. n_replicates - 1``.

    Parameters
    ----------
    func : callable
        ``func(i, rng, **kwargs)``; must draw all its randomness from ``rng`` (the ``i``-th
        stream spawned from ``seed``). Module-level functions and closures both work
        (cloudpickle carries them to worker processes).
    n_replicates : int
        Number of replicates.
    seed : int or numpy.random.SeedSequence
        Root seed.
    n_jobs : int or None, default=1
        joblib workers (-1: all cores; None: the joblib default), or the number of Dask
        workers of a ``"local"`` cluster.
    scheduler : None, "local", str or distributed.Client, default=None
        None runs on joblib. ``"local"`` starts a Dask ``LocalCluster`` (``n_jobs`` worker
        processes, one thread each) for this call and shuts it down; an address
        (``"tcp://host:8786"``) connects to a running Dask scheduler; a ``Client`` is used as
        it is.
    kwargs : dict, optional
        Keyword arguments shared by every replicate (sent once to each Dask worker).
    prefer : {"processes", "threads"} or None
        joblib hint; threads suit cheap replicates on arrays already in memory.

    Returns
    -------
    Replicates
        Results in replicate order and the set of warnings raised inside replicates.
    """
    if isinstance(n_replicates, bool) or int(n_replicates) != n_replicates or n_replicates < 1:
        raise ValueError(
            f"the number of replicates must be a positive integer; got {n_replicates!r}."
        )
    check_n_jobs(n_jobs)
    check_scheduler(scheduler)
    seeds = spawn_seeds(seed, int(n_replicates))
    kw = {} if kwargs is None else dict(kwargs)
    caller = (os.getpid(), threading.get_ident())
    # warnings of replicates running in threads of this process are recorded here
    with _one_blas_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if scheduler is not None:
            pairs = _run_dask(func, seeds, kw, n_jobs, scheduler, caller)
        elif n_jobs == 1:
            pairs = [_call(func, i, s, kw, caller) for i, s in enumerate(seeds)]
        else:
            pairs = _run_joblib(func, seeds, kw, n_jobs, prefer, caller)
    msgs = {m for _, ms in pairs for m in ms}
    for w in caught:
        if _from_replicate(w):
            msgs.add(_format(w))
        else:  # the executor's own warnings are the caller's business
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return Replicates([p[0] for p in pairs], tuple(sorted(msgs)))


def _from_replicate(w: warnings.WarningMessage) -> bool:
    """Leave out the executors' own messages (joblib, loky, Dask, tornado)."""
    name = str(w.filename).replace("\\", "/")
    return not any(f"/{pkg}/" in name for pkg in ("joblib", "distributed", "dask", "tornado"))


def run_replicates(
    func: Callable[..., T],
    n_replicates: int,
    *,
    seed: Any,
    n_jobs: int | None = -1,
    scheduler: Any = None,
    kwargs: dict[str, Any] | None = None,
    verbose: int = 0,
) -> list[T]:
    """Results of :func:`replicate` only; warnings raised in replicates are summarised.

    Kept for callers written before :func:`replicate` returned warnings: the distinct
    warnings of all replicates are re-issued once, as one
    :class:`~irdp.exceptions.IrdpWarning`. ``verbose`` is accepted and ignored.
    """
    del verbose
    out = replicate(func, n_replicates, seed=seed, n_jobs=n_jobs, scheduler=scheduler,
                    kwargs=kwargs)
    if out.warnings:
        from irdp.exceptions import IrdpWarning

        warnings.warn(
            f"{len(out.warnings)} distinct warnings were raised inside the replicates, e.g. "
            f"{out.warnings[0]!r}.",
            IrdpWarning,
            stacklevel=2,
        )
    return out.results
