"""Batches of SPSTI in worker processes: ``build_cohort_partitioned`` and
``build_features_partitioned`` with ``n_jobs=2`` (joblib) and ``scheduler="local"`` (a Dask
LocalCluster) write the same files, byte for byte, as the sequential run."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest

from irdp.cohort import CohortDefinition, build_cohort_partitioned
from irdp.features import build_features_partitioned
from tests.synth.partitioned_dmst import AS_OF, make

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ["age", "sex", "sl_n_24m", "dx_msk_24m", "company_small", "naf_division",
            "exp_n_families", "n_visits_24m"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parallel_parts")
    ex = make(tmp / "extract").read(as_of=AS_OF)
    d = CohortDefinition.from_yaml(ROOT / "experiments" / "cohorts" / "landmark_2021_12m.yaml")
    c = build_cohort_partitioned(ex, d, out=tmp / "cohort", batch_size=2)
    X = build_features_partitioned(ex, c, out=tmp / "X", features=FEATURES, batch_size=2)
    return ex, d, c, X, tmp


def test_opener_pickles_and_opens_the_same_partition(sequential):
    ex = sequential[0]
    opener = pickle.loads(pickle.dumps(ex.opener()))
    a, b = ex.partition(["S001", "S003"]), opener(["S001", "S003"])
    for t in ("worker", "visit"):
        pd.testing.assert_frame_equal(a[t].df(), b[t].df())
    with pytest.raises(KeyError, match="S999"):
        opener("S999")


@pytest.mark.parametrize("how", [{"n_jobs": 2}, {"n_jobs": 2, "scheduler": "local"}],
                         ids=["joblib", "dask-local"])
def test_parallel_batches_write_the_same_files(sequential, tmp_path, how):
    ex, d, c, X, tmp = sequential
    c2 = build_cohort_partitioned(ex, d, out=tmp_path / "cohort", batch_size=2, **how)
    assert c2.table.rows == c.table.rows
    pd.testing.assert_frame_equal(c2.flow, c.flow)
    assert _files(tmp_path / "cohort") == _files(tmp / "cohort")
    X2 = build_features_partitioned(ex, c2, out=tmp_path / "X", features=FEATURES,
                                    batch_size=2, **how)
    assert X2.rows == X.rows
    assert _files(tmp_path / "X") == _files(tmp / "X")
    pd.testing.assert_frame_equal(X2.read(), X.read())
