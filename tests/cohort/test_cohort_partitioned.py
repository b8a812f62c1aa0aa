"""build_cohort_partitioned: one SPSTI at a time, stacked it equals build_cohort on the whole
extract (rows, outcomes and flow table), written as Parquet and read by columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from irdp.cohort import (
    CohortDefinition,
    PartitionedCohort,
    build_cohort,
    build_cohort_partitioned,
)
from tests.cohort.tiny_dmst import DEFINITION, tiny_extract
from tests.synth.partitioned_dmst import AS_OF, make

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    return make(tmp_path_factory.mktemp("cohort_part") / "extract").read(as_of=AS_OF)


@pytest.mark.parametrize(("name", "batch_size"), [("landmark_2021_12m", 1),
                                                  ("landmark_2021_12m", 3), ("reprise_6m", 2)])
def test_partitioned_cohort_equals_in_memory(extract, tmp_path, name, batch_size):
    d = CohortDefinition.from_yaml(ROOT / "experiments" / "cohorts" / f"{name}.yaml")
    whole = build_cohort(extract, d)
    part = build_cohort_partitioned(extract, d, out=tmp_path / "cohort", batch_size=batch_size)
    assert isinstance(part, PartitionedCohort)
    assert len(whole) > 100
    assert part.partitions == list(extract.partitions)
    pd.testing.assert_frame_equal(part.read(), whole.table)
    pd.testing.assert_frame_equal(part.flow, whole.flow)
    assert sorted(p.name for p in (tmp_path / "cohort").glob("*.parquet")) == [
        f"{n}.parquet" for n in extract.partitions]
    for n in extract.partitions:  # each partition's flow is its own, whatever the batch
        alone = build_cohort(extract.partition(n), d)
        pd.testing.assert_frame_equal(part.to_cohort([n]).flow, alone.flow)
    again = part.to_cohort()
    pd.testing.assert_frame_equal(again.table, whole.table)
    assert again.competing_risks.time.tolist() == whole.competing_risks.time.tolist()


def test_one_partition_and_columns(extract, tmp_path):
    d = CohortDefinition.from_yaml(ROOT / "experiments" / "cohorts" / "landmark_2021_12m.yaml")
    part = build_cohort_partitioned(extract, d, out=tmp_path / "cohort")
    s2 = part.to_cohort(["S002"])
    alone = build_cohort(extract.partition("S002"), d)
    pd.testing.assert_frame_equal(s2.table, alone.table)
    pd.testing.assert_frame_equal(s2.flow, alone.flow)
    cols = part.read(["time", "event"])
    assert list(cols.columns) == ["time", "event"]
    assert len(cols) == len(part)
    with pytest.raises(KeyError, match="not in"):
        part.read(["no_such_column"])


def test_extract_that_is_not_partitioned_is_one_partition(tmp_path):
    ex = tiny_extract()
    d = CohortDefinition.from_dict(DEFINITION)
    part = build_cohort_partitioned(ex, d, out=tmp_path / "c")
    whole = build_cohort(ex, d)
    assert part.partitions == ["ALL"]
    pd.testing.assert_frame_equal(part.read(), whole.table)
    pd.testing.assert_frame_equal(part.flow, whole.flow)


def test_definition_type(extract, tmp_path):
    with pytest.raises(TypeError, match="CohortDefinition"):
        build_cohort_partitioned(extract, {"name": "x"}, out=tmp_path)
