"""generate_dmst_partitioned: one file per SPSTI and table, independent of the batch size, the
same SPSTI parameters as generate_dmst, every row in its worker's partition."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from irdp.cli import main
from irdp.io import TABLES
from irdp.synth import generate_dmst
from tests.synth.partitioned_dmst import AS_OF, N_SPSTI, N_WORKERS, SEED, make


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def part(tmp_path_factory):
    return make(tmp_path_factory.mktemp("part") / "b1", batch_size=1)


def test_layout_and_rows(part):
    names = [f"S{k:03d}" for k in range(1, N_SPSTI + 1)]
    assert part.partitions == names
    for t in TABLES:
        files = sorted(p.stem for p in (part.path / t).glob("*.parquet"))
        assert files == names, t
        assert [pq.read_metadata(part.path / t / f"{n}.parquet").num_rows
                for n in names] == part.rows[t].tolist()
    assert int(part.rows["worker"].sum()) == N_WORKERS
    plan = json.loads((part.path / "partitions.json").read_text())
    assert plan["seed"] == SEED
    assert sorted(plan["partitions"]) == names


def test_files_do_not_depend_on_batch_size_nor_processes(part, tmp_path):
    other = make(tmp_path / "b3", batch_size=3, n_jobs=2)
    assert _digests(other.path) == _digests(part.path)
    assert len(_digests(part.path)) == 9 * N_SPSTI


def test_spsti_parameters_are_those_of_generate_dmst(part):
    small = generate_dmst(50, n_spsti=N_SPSTI, seed=SEED)
    cols = ["spsti_id", "weight", "centre_effect", "legacy_software", "questionnaire_rate"]
    assert part.truth.spsti[cols].equals(small.truth.spsti[cols])
    assert part.truth.spsti["n_workers"].tolist() == part.rows["worker"].tolist()
    assert part.truth.coefficients.equals(small.truth.coefficients)


def test_every_row_is_in_its_workers_partition(part):
    ex = part.read(as_of=AS_OF)
    assert ex.partitions == tuple(part.partitions)
    for name in ex.partitions:
        p = ex.partition(name)
        spsti = p.fetch("SELECT DISTINCT spsti_id FROM worker")
        assert spsti == [(name,)]
        for t in ("employment", "visit", "exposure", "exit"):
            orphans = p.fetch(f"SELECT count(*) FROM {t} ANTI JOIN worker USING (worker_id)")
            assert orphans == [(0,)], (name, t)
        p.connection.close()
    # ids are unique across partitions generated apart
    assert ex.fetch("SELECT count(DISTINCT visit_id) = count(*) FROM visit") == [(True,)]


def test_truth_is_regenerated_from_the_plan(part):
    w = part.truth.workers
    assert len(w) == N_WORKERS
    assert w.groupby("spsti_id").size().tolist() == part.rows["worker"].tolist()
    d = part.truth.design
    assert d["worker"].max() == N_WORKERS - 1
    assert np.array_equal(np.sort(d["spsti"].unique()), np.arange(N_SPSTI))


def test_bad_arguments(tmp_path):
    from irdp.synth import generate_dmst_partitioned

    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        generate_dmst_partitioned(100, out=tmp_path, batch_size=0)
    with pytest.raises(TypeError, match="n_workers must be an int"):
        generate_dmst_partitioned(1e3, out=tmp_path)


def test_cli_partition(tmp_path):
    res = CliRunner().invoke(main, ["synth", "--workers", "400", "--spsti", "3", "--seed", "2",
                                    "--partition", "--quiet", "--out", str(tmp_path / "x")])
    assert res.exit_code == 0, res.output
    assert "3 SPSTI partitions" in res.output
    assert sorted(p.name for p in (tmp_path / "x" / "visit").iterdir()) == [
        "S001.parquet", "S002.parquet", "S003.parquet"]
    res = CliRunner().invoke(main, ["synth", "--workers", "400", "--jobs", "2",
                                    "--out", str(tmp_path / "y")])
    assert res.exit_code != 0
    assert "--partition" in res.output
