"""`compute.scheduler` (issue 15): the experiment file sends the resampling replicates of a
run to Dask; the tables are byte-identical to the joblib run for the same seed."""

from __future__ import annotations

import json

import pytest
import yaml

from irdp.exceptions import ExperimentConfigError
from irdp.experiment import config_hash, experiment_from_dict
from irdp.pipeline import run_experiment

PREDICTORS = ["age", "sex", "sl_days_24m", "dx_msk_24m", "rqth"]
CONFIG = {
    "name": "sched",
    "seed": 5,
    "n_jobs": 1,
    "extract": {"synthetic": {"n_workers": 8000, "n_spsti": 3, "start": "2016-01-01",
                              "end": "2024-12-31", "seed": 5}},
    "cohort": {"index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
               "extract_end": "2024-12-31", "horizon": {"months": 24}},
    "features": {"include": PREDICTORS},
    "indices": [{"name": "logistic", "kind": "logistic", "features": PREDICTORS},
                {"name": "cox", "kind": "cox", "features": PREDICTORS}],
    "validation": {"holdout": {"by": "none"}, "bootstrap": {"n_boot": 3},
                   "iecv": {"by": ["spsti"], "indices": ["cox"]},
                   "measures": ["c", "calibration_slope", "oe", "brier"],
                   "compare_n_boot": 3},
    "fairness": {"groups": ["sex"], "n_boot": 3},
    "report": {"min_count": 11, "service_groups": ["spsti_id"]},
}


def _base(**changes):
    return {**CONFIG, **changes}


@pytest.mark.parametrize(("value", "ok"), [
    (None, True), ("local", True), ("tcp://10.0.0.5:8786", True), ("tls://sched:8786", True),
    ("dask", False), ("tcp://host", False), ("localhost:8786", False), (8786, False),
])
def test_scheduler_is_validated_at_load(value, ok):
    data = _base(compute={"scheduler": value})
    if ok:
        assert experiment_from_dict(data).compute.scheduler == value
        return
    with pytest.raises(ExperimentConfigError, match=r"compute\.scheduler: must be"):
        experiment_from_dict(data)


def test_unknown_compute_key_is_refused_and_scheduler_is_out_of_the_hash():
    with pytest.raises(ExperimentConfigError, match="compute.schedular: unknown key. Did you "
                       "mean 'scheduler'"):
        experiment_from_dict(_base(compute={"schedular": "local"}))
    a = experiment_from_dict(_base())
    b = experiment_from_dict(_base(compute={"scheduler": "tcp://10.0.0.5:8786"}))
    assert a.compute.scheduler is None
    assert config_hash(a) == config_hash(b)


def test_local_cluster_run_equals_joblib_run_byte_for_byte(tmp_path):
    """Bootstrap, IECV, paired comparison and fairness bootstrap through a LocalCluster
    started once for the run give the bytes of the joblib run."""
    pytest.importorskip("distributed")
    out = tmp_path / "reports"
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(CONFIG))
    dask = tmp_path / "dask.yaml"
    dask.write_text(yaml.safe_dump(_base(compute={"scheduler": "local"})))
    a = run_experiment(plain, out=out, progress=False, run_id="joblib")
    b = run_experiment(dask, out=out, progress=False, run_id="dask")
    assert json.loads(a.provenance_path.read_text())["scheduler"] == "joblib"
    assert json.loads(b.provenance_path.read_text())["scheduler"] == "local"
    names = sorted(p.name for p in (a.run_dir / "tables").glob("*.csv"))
    resampled = {"bootstrap_optimism.csv", "iecv_cox_spsti.csv", "iecv_cox_spsti_pooled.csv",
                 "comparison_differences.csv", "fairness_measures.csv"}
    assert resampled <= set(names)
    assert names == sorted(p.name for p in (b.run_dir / "tables").glob("*.csv"))
    for name in names:
        assert (a.run_dir / "tables" / name).read_bytes() == \
            (b.run_dir / "tables" / name).read_bytes(), name


def test_stability_on_a_dask_client_equals_joblib():
    """The stability bootstrap (Riley & Collins) takes scheduler= like the other designs."""
    distributed = pytest.importorskip("distributed")
    import logging

    import numpy as np
    import pandas as pd

    from irdp.models import LogisticIndex
    from irdp.outcomes import Binary
    from irdp.validation import stability

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
    y = Binary(rng.uniform(size=400) < 1 / (1 + np.exp(-(X["a"] - 1.5))))
    kw = {"n_boot": 4, "seed": 9, "curves": False}
    a = stability(LogisticIndex(), X, y, n_jobs=1, **kw)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None, silence_logs=logging.ERROR) as client:
        b = stability(LogisticIndex(), X, y, scheduler=client, **kw)
    assert a.predictions.tobytes() == b.predictions.tobytes()
    assert a.summary().as_text() == b.summary().as_text()


def test_cli_scheduler_option_is_checked_before_anything_runs(tmp_path):
    from click.testing import CliRunner

    from irdp.cli import main

    config = tmp_path / "x.yaml"
    config.write_text("name: x\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["run", str(config), "--scheduler", "bogus", "--out",
                                    str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "Invalid value for --scheduler" in res.output
    assert not (tmp_path / "out").exists()  # nothing ran, no run folder
