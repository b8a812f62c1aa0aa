"""The resampling engine: seeded independent streams, results independent of n_jobs/backend."""

from __future__ import annotations

import numpy as np
import pytest
from joblib import parallel_config

from irdp.validation._resampling import (
    as_seed_sequence,
    bootstrap_indices,
    run_replicates,
    spawn_generators,
)


def _replicate(i, rng, data):
    idx = rng.integers(0, len(data), size=len(data))
    return i, float(data[idx].mean()), float(rng.standard_normal())


DATA = np.arange(50, dtype=float)


def test_streams_are_prefix_stable_and_distinct():
    a = spawn_generators(7, 4)
    b = spawn_generators(7, 10)
    draws_a = [g.random() for g in a]
    draws_b = [g.random() for g in b[:4]]
    assert draws_a == draws_b
    assert len(set(draws_a)) == 4


def test_same_seed_sequence_twice_gives_same_streams():
    ss = np.random.SeedSequence(3)
    first = [g.random() for g in spawn_generators(ss, 3)]
    second = [g.random() for g in spawn_generators(ss, 3)]
    assert first == second


@pytest.mark.parametrize(
    ("backend", "n_jobs"), [("sequential", 1), ("threading", 2), ("loky", 2)]
)
def test_results_independent_of_backend_and_n_jobs(backend, n_jobs):
    reference = run_replicates(_replicate, 12, seed=11, n_jobs=1, kwargs={"data": DATA})
    with parallel_config(backend=backend):
        got = run_replicates(_replicate, 12, seed=11, n_jobs=n_jobs, kwargs={"data": DATA})
    assert got == reference
    assert [r[0] for r in got] == list(range(12))


def test_different_seeds_differ():
    a = run_replicates(_replicate, 3, seed=1, n_jobs=1, kwargs={"data": DATA})
    b = run_replicates(_replicate, 3, seed=2, n_jobs=1, kwargs={"data": DATA})
    assert a != b


@pytest.mark.parametrize(
    ("seed", "exc", "match"),
    [
        (np.random.default_rng(1), TypeError, "SeedSequence"),
        (None, TypeError, "explicit integer"),
        (1.5, TypeError, "non-negative int"),
        (-3, ValueError, ">= 0"),
    ],
)
def test_bad_seeds(seed, exc, match):
    with pytest.raises(exc, match=match):
        as_seed_sequence(seed)


def test_bad_number_of_replicates():
    with pytest.raises(ValueError, match="positive integer"):
        run_replicates(_replicate, 0, seed=1, kwargs={"data": DATA})


def test_stratified_bootstrap_keeps_stratum_sizes():
    strata = np.array([0] * 7 + [1] * 3)
    idx = bootstrap_indices(np.random.default_rng(0), 10, strata=strata)
    assert len(idx) == 10
    assert (strata[idx] == 1).sum() == 3


def test_seed_sequence_reused_gives_same_replicates():
    ss = np.random.SeedSequence(5)
    a = run_replicates(_replicate, 3, seed=ss, n_jobs=1, kwargs={"data": DATA})
    ss.spawn(2)  # the caller's own use of the sequence does not change the streams
    b = run_replicates(_replicate, 3, seed=ss, n_jobs=1, kwargs={"data": DATA})
    assert a == b
