"""read_extract on tables partitioned by SPSTI (``<table>/<spsti>.parquet``): validated in place
as one table, the same typed errors naming the file and its row, DuckDB settings applied, the
partitions opened one at a time."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from irdp.io import (
    TABLES,
    ConstraintError,
    FileFormatError,
    MissingTableError,
    read_extract,
)
from tests.synth.partitioned_dmst import AS_OF, make


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make(tmp_path_factory.mktemp("io_part") / "extract").path


@pytest.fixture
def copy(folder, tmp_path):
    dst = tmp_path / "extract"
    shutil.copytree(folder, dst)
    return dst


def _one_file_per_table(src, dst):
    dst.mkdir()
    for t in TABLES:
        files = sorted((src / t).glob("*.parquet"))
        pq.write_table(pa.concat_tables(pq.read_table(f) for f in files), dst / f"{t}.parquet")


def test_partitioned_equals_one_file_per_table(folder, tmp_path):
    _one_file_per_table(folder, tmp_path / "flat")
    part = read_extract(folder, as_of=AS_OF)
    flat = read_extract(tmp_path / "flat", as_of=AS_OF)
    assert part.partitions == ("S001", "S002", "S003", "S004")
    assert flat.partitions == ()
    for t in TABLES:
        assert part.to_arrow(t).equals(flat.to_arrow(t)), t
    files = part.metadata["files"]["visit"]
    assert sorted(files["partitions"]) == list(part.partitions)
    assert files["bytes"] == sum(p["bytes"] for p in files["partitions"].values())


def test_partition_views_hold_their_files_only(folder):
    ex = read_extract(folder, as_of=AS_OF)
    total = 0
    for name in ex.partitions:
        p = ex.partition(name)
        n = p.n_rows("visit")
        assert n == pq.read_metadata(folder / "visit" / f"{name}.parquet").num_rows
        total += n
    assert total == ex.n_rows("visit")
    both = ex.partition(["S001", "S003"])
    assert both.n_rows("worker") == (ex.partition("S001").n_rows("worker")
                                     + ex.partition("S003").n_rows("worker"))
    with pytest.raises(KeyError, match="not in this extract"):
        ex.partition("S999")


def test_settings_reach_duckdb(folder, tmp_path):
    spill = tmp_path / "spill"
    ex = read_extract(folder, as_of=AS_OF, settings={
        "memory_limit": "512MB", "temp_directory": str(spill), "threads": 1})
    got = ex.fetch("SELECT current_setting('memory_limit'), current_setting('threads'), "
                   "current_setting('temp_directory')")[0]
    assert got[0] == "488.2 MiB"  # 512 MB
    assert got[1] == 1
    assert got[2] == str(spill)
    p = ex.partition("S002")
    assert p.fetch("SELECT current_setting('threads')") == [(1,)]


def test_error_names_the_file_and_its_row(copy):
    f = copy / "visit" / "S003.parquet"
    t = pq.read_table(f)
    types = t.column("visit_type").to_pylist()
    types[6] = "NOT_A_TYPE"
    pq.write_table(t.set_column(t.schema.get_field_index("visit_type"), "visit_type",
                                pa.array(types, pa.string())), f)
    with pytest.raises(ConstraintError) as err:
        read_extract(copy, as_of=AS_OF)
    p = next(p for p in err.value.problems if p.rule == "enum")
    assert p.file == "visit/S003.parquet"
    assert p.row == 7
    assert p.column == "visit_type"
    assert p.value == "NOT_A_TYPE"
    assert "visit/S003.parquet" in str(err.value)


def test_duplicate_key_across_partitions(copy):
    a = pq.read_table(copy / "worker" / "S001.parquet")
    b = pq.read_table(copy / "worker" / "S002.parquet")
    ids = b.column("worker_id").to_pylist()
    ids[2] = a.column("worker_id")[0].as_py()
    pq.write_table(b.set_column(0, "worker_id", pa.array(ids, pa.string())),
                   copy / "worker" / "S002.parquet")
    with pytest.raises(Exception) as err:
        read_extract(copy, as_of=AS_OF)
    p = next(p for p in err.value.problems if p.rule == "primary_key")
    assert p.file == "worker/S002.parquet"
    assert p.row == 3


def test_partition_with_other_schema_is_refused(copy):
    f = copy / "exit" / "S002.parquet"
    t = pq.read_table(f)
    pq.write_table(t.set_column(1, "exit_date", pc.cast(t.column("exit_date"), pa.string())), f)
    with pytest.raises(FileFormatError, match="exit/S002.parquet has other columns"):
        read_extract(copy, as_of=AS_OF)


def test_folder_and_file_of_one_table_are_refused(copy):
    shutil.copy(copy / "exit" / "S001.parquet", copy / "exit.parquet")
    with pytest.raises(MissingTableError, match="both exit.parquet and exit/ exist"):
        read_extract(copy, as_of=AS_OF)


def test_empty_partition_file_is_refused(copy):
    (copy / "company" / "S004.parquet").write_bytes(b"")
    with pytest.raises(Exception, match="company/S004.parquet is empty"):
        read_extract(copy, as_of=AS_OF)
