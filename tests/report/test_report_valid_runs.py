"""Valid configurations that used to crash produce a report (issue 14, "Done means").

- The demo experiment on 3,000 workers in 4 SPSTI: the cause-specific Cox model raised a
  FloatingPointError and the whole run folder was deleted.
- A contract-valid extract whose worker ids are numeric (``9000000001``...): the final
  identifier scan refused "purely numeric" identifiers after the whole run, and the folder
  was deleted.

Both at once here: the demo configuration (S004 held out) on the numeric-id extract.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from irdp.cli import main
from irdp.report import scan_identifiers
from irdp.synth import generate_dmst

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def numeric_extract(tmp_path_factory):
    """The demo's synthetic DMST at 3,000 workers in 4 SPSTI, worker ids 9000000001..."""
    folder = tmp_path_factory.mktemp("numeric")
    source = folder / "source"
    generate_dmst(3000, n_spsti=4, start="2016-01-01", end="2024-12-31", seed=20240601,
                  out=source)
    workers = pq.read_table(source / "worker.parquet", columns=["worker_id"]).column(0)
    mapping = {w: str(9_000_000_001 + k) for k, w in enumerate(sorted(workers.to_pylist()))}
    extract = folder / "extract"
    extract.mkdir()
    for path in sorted(source.glob("*.parquet")):
        table = pq.read_table(path)
        if "worker_id" in table.column_names:
            i = table.column_names.index("worker_id")
            ids = pa.array([mapping[w] for w in table.column(i).to_pylist()], pa.string())
            table = table.set_column(i, pa.field("worker_id", pa.string()), ids)
        pq.write_table(table, extract / path.name)
    return extract, sorted(mapping.values())


def test_demo_on_3000_workers_in_4_spsti_with_numeric_ids(tmp_path, numeric_extract):
    extract, ids = numeric_extract
    assert ids[0] == "9000000001"
    cfg = yaml.safe_load((ROOT / "experiments" / "demo.yaml").read_text(encoding="utf-8"))
    cfg["extract"] = {"path": str(extract)}
    cfg["validation"]["holdout"]["spsti"] = ["S004"]
    path = tmp_path / "demo3000.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "reports"),
                                       "--quiet"])
    assert "Traceback" not in result.output
    # a report; some steps may fail on so few workers, and are then listed after its path
    assert result.exit_code in (0, 1), result.output
    report = Path(result.stdout.strip().splitlines()[-1])
    run_dir = report.parent
    assert report.name == "report.html"
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert prov["complete"] is True
    assert not (run_dir / "failure.json").exists()
    if result.exit_code == 1:
        assert f"{len(prov['failures'])} step(s) failed" in result.output
    assert (result.exit_code == 1) == bool(prov["failures"])
    # the numeric worker ids were searched (not refused, not skipped) and none was found
    scan = prov["identifier_scan"]
    assert scan["searched"] >= len(ids)
    assert scan["withheld"] == []
    assert scan["warnings"] == []
    assert scan_identifiers(run_dir, ids) == []
    assert (run_dir / "models" / "logistic.json").exists()
    for table in ("performance.csv", "sample_size.csv", "service_spsti_id.csv"):
        assert (run_dir / "tables" / table).exists(), table
