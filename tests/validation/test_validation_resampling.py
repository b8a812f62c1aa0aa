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


# --------------------------------------------------------------------------- one engine
def test_percentile_and_p_value_helpers():
    from irdp._resampling import bootstrap_p_value, percentile_interval

    vals = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, 5.0], [4.0, np.nan]])
    lo, hi = percentile_interval(vals, 0.5)
    assert lo[0] == pytest.approx(1.75)  # type 7, as R's quantile()
    assert hi[0] == pytest.approx(3.25)
    assert np.isnan(lo[1])  # fewer than 2 finite replicates
    assert bootstrap_p_value(np.ones(99)) == pytest.approx(2 / 100)
    assert bootstrap_p_value([-1.0, 1.0]) == 1.0
    assert np.isnan(bootstrap_p_value([np.nan]))


def _warning_replicate(i, rng):
    import warnings as w

    from irdp.exceptions import IrdpWarning

    if i % 2:
        w.warn(f"odd replicate {i % 4}", IrdpWarning, stacklevel=1)
    return float(rng.random())


@pytest.mark.parametrize(("n_jobs", "backend"), [(1, None), (2, "loky"), (2, "threading")])
def test_replicate_records_warnings_whatever_the_backend(n_jobs, backend):
    """Warnings raised inside replicates come back as one set of messages, the same set
    whatever the backend, and never escape as warnings of the caller."""
    from irdp._resampling import replicate

    ref = replicate(_warning_replicate, 6, seed=3)
    ctx = parallel_config(backend=backend) if backend else parallel_config()
    with ctx:
        got = replicate(_warning_replicate, 6, seed=3, n_jobs=n_jobs)
    assert got.results == ref.results
    assert got.warnings == ref.warnings == ("IrdpWarning: odd replicate 1",
                                            "IrdpWarning: odd replicate 3")


def test_scheduler_argument_is_checked():
    from irdp._resampling import check_scheduler

    check_scheduler(None)
    check_scheduler("local")
    check_scheduler("tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="'local'"):
        check_scheduler("dask")
    with pytest.raises(TypeError, match="distributed.Client"):
        check_scheduler(3)


@pytest.fixture(scope="module")
def thread_client():
    """An in-process Dask cluster (1 worker, 2 threads), shut down after the module."""
    distributed = pytest.importorskip("distributed")
    import logging

    client = distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                                dashboard_address=None, silence_logs=logging.ERROR)
    yield client
    client.close()


def _survival_data(n=300, seed=4):
    import pandas as pd

    from irdp.outcomes import Survival

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    t = rng.exponential(1 / (0.2 * np.exp(0.7 * X["a"] - 0.4 * X["b"])))
    c = rng.uniform(1, 8, n)
    return X, Survival(np.round(np.minimum(t, c), 1), t <= c)


def _bytes(res):
    reps = res.replicates[["training", "test"]].to_numpy(dtype=float)
    return (res.table.to_numpy().tobytes(), reps.tobytes(), list(res.replicates["measure"]),
            res.warnings)


def test_local_cluster_bootstrap_equals_joblib_byte_for_byte():
    """Issue 15: a Dask LocalCluster (one worker process, started and shut down by the
    call) gives the bytes of the joblib run for the same seed (the loky backend is
    compared with the sequential one above and in the validation tests)."""
    pytest.importorskip("distributed")
    from irdp.models import CoxIndex
    from irdp.validation import bootstrap_validate

    X, y = _survival_data()
    kw = {"horizon": 3.0, "n_boot": 6, "seed": 12}
    seq = bootstrap_validate(CoxIndex(), X, y, n_jobs=1, **kw)
    dask = bootstrap_validate(CoxIndex(), X, y, n_jobs=1, scheduler="local", **kw)
    assert _bytes(dask) == _bytes(seq)
    assert list(dask.table.index) == ["c_harrell", "calibration_slope", "oe_ratio", "brier",
                                      "ipa", "ici"]


def test_dask_client_runs_every_resampling_design_identically(thread_client):
    """A distributed.Client (in-process threads) gives the joblib results for the metrics
    bootstrap, cross-validation, the fairness bootstrap and multiple imputation."""
    import pandas as pd

    from irdp import metrics
    from irdp.fairness import group_performance
    from irdp.missing import multiple_impute
    from irdp.models import CoxIndex
    from irdp.validation import cross_validate

    X, y = _survival_data()
    risk = CoxIndex().fit(X, y).predict_risk(X, horizon=3.0)
    a = metrics.brier(y, risk, horizon=3.0, n_boot=20, seed=1)
    b = metrics.brier(y, risk, horizon=3.0, n_boot=20, seed=1, n_jobs=2,
                      scheduler=thread_client)
    assert (a.lower, a.upper, a.se) == (b.lower, b.upper, b.se)
    cv1 = cross_validate(CoxIndex(), X, y, horizon=3.0, n_splits=3, seed=2, n_jobs=1,
                         scoring=["c", "oe"])
    cv2 = cross_validate(CoxIndex(), X, y, horizon=3.0, n_splits=3, seed=2,
                         scoring=["c", "oe"], scheduler=thread_client)
    assert _bytes(cv1) == _bytes(cv2)
    g = np.where(np.arange(len(risk)) % 2, "F", "M")
    f1 = group_performance(y, risk, g, horizon=3.0, n_boot=8, seed=3, measures=["auc"])
    f2 = group_performance(y, risk, g, horizon=3.0, n_boot=8, seed=3, measures=["auc"],
                           scheduler=thread_client)
    cols = ["value", "lower", "upper"]
    assert f1.table[cols].to_numpy().tobytes() == f2.table[cols].to_numpy().tobytes()
    Xm = X.copy()
    Xm.loc[Xm.index[::7], "b"] = np.nan
    m1 = multiple_impute(Xm, y, m=3, max_iter=2, seed=4)
    m2 = multiple_impute(Xm, y, m=3, max_iter=2, seed=4, scheduler=thread_client)
    for d1, d2 in zip(m1, m2, strict=True):
        pd.testing.assert_frame_equal(d1, d2, check_exact=True)
