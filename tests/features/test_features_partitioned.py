"""build_features_partitioned: the 117 features computed by batches of SPSTI equal those of the
whole extract, whatever the batch size; models read only the columns they need."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from irdp.cohort import CohortDefinition, build_cohort, build_cohort_partitioned
from irdp.features import REGISTRY, build_features, build_features_partitioned
from tests.synth.partitioned_dmst import AS_OF, make

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("features_part")
    ex = make(tmp / "extract").read(as_of=AS_OF)
    d = CohortDefinition.from_yaml(ROOT / "experiments" / "cohorts" / "landmark_2021_12m.yaml")
    whole = build_cohort(ex, d)
    part = build_cohort_partitioned(ex, d, out=tmp / "cohort")
    return ex, whole, part, build_features(ex, whole)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_partitioned_features_equal_in_memory(built, tmp_path, batch_size):
    ex, whole, part, X = built
    assert X.shape == (len(whole), len(REGISTRY)) == (len(whole), 117)
    table = build_features_partitioned(ex, part, out=tmp_path / "X", batch_size=batch_size)
    assert table.rows == part.table.rows
    pd.testing.assert_frame_equal(table.read(), X)


def test_read_only_the_columns_needed(built, tmp_path):
    ex, whole, part, X = built
    table = build_features_partitioned(ex, part, out=tmp_path / "X", batch_size=2)
    cols = ["age", "sl_n_24m", "company_small", "naf_division"]
    got = table.read(cols)
    pd.testing.assert_frame_equal(got, X[cols])
    arrow = table.read_arrow(["age"], partitions=["S002", "S003"])
    assert arrow.column_names == ["age"]
    assert arrow.num_rows == part.table.rows["S002"] + part.table.rows["S003"]


def test_subset_of_features_and_mismatched_cohort(built, tmp_path):
    ex, whole, part, X = built
    table = build_features_partitioned(ex, part, out=tmp_path / "X", features=["age", "rqth"])
    pd.testing.assert_frame_equal(table.read(), X[["age", "rqth"]])
    with pytest.raises(TypeError, match="PartitionedCohort"):
        build_features_partitioned(ex, whole, out=tmp_path / "Y")
    with pytest.raises(ValueError, match="partitions"):
        build_features_partitioned(ex.partition("S001"), part, out=tmp_path / "Z")
