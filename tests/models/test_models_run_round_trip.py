"""Run -> score round trip (issue 12): every index a validation run exports is scored by
``irdp score --model <run>/models/<index>.json --extract DIR`` and reproduces the run's
predictions exactly (logistic, Cox, cause-specific Cox and the points score, as the demo)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from irdp.cli import main
from irdp.pipeline import run_experiment

PREDICTORS = ["age", "sex", "sl_days_24m", "dx_msk_24m", "rqth", "company_size", "wai_total"]
CONFIG = {
    "name": "round_trip",
    "seed": 13,
    "extract": {"synthetic": {"n_workers": 15000, "n_spsti": 3, "start": "2016-01-01",
                              "end": "2024-12-31", "seed": 7}},
    "cohort": {"index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
               "extract_end": "2024-12-31", "horizon": {"months": 24},
               "competing": ["AUTRE_PERTE_EMPLOI"]},
    "indices": [{"name": "logistic", "kind": "logistic", "features": PREDICTORS},
                {"name": "cox", "kind": "cox", "features": PREDICTORS},
                {"name": "csc", "kind": "cause_specific_cox", "features": PREDICTORS},
                {"name": "points", "kind": "points", "base": "logistic"}],
    "validation": {"holdout": {"by": "period", "cutoff": "2021-06-01"},
                   "bootstrap": {"n_boot": 0}, "iecv": {"by": ["spsti"]},
                   "measures": ["c", "oe"], "compare_n_boot": 2},
    "fairness": {"groups": ["sex"], "n_boot": 2},
    "completeness": {"fields": ["sl_days_24m"], "rates": [0.0], "n_repeats": 1},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("round_trip")
    cfg = root / "round_trip.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    import irdp.pipeline._run as run_module

    states = []
    original = run_module._step_models

    def keep_state(st):  # the run's own predictions, to compare with irdp score
        original(st)
        states.append(st)

    steps = tuple((n, keep_state if f is original else f, *rest)
                  for n, f, *rest in run_module._STEPS)
    mp = pytest.MonkeyPatch()
    mp.setattr(run_module, "_STEPS", steps)
    try:
        result = run_experiment(cfg, out=root / "reports", progress=False, n_jobs=1,
                                run_id="r")
    finally:
        mp.undo()
    assert states, "the models step did not run"
    extract = next((root / "reports" / "round_trip" / "_cache").rglob("worker.parquet")).parent
    return result, states[0], extract


@pytest.mark.parametrize("name", ["logistic", "cox", "csc", "points"])
def test_irdp_score_reproduces_the_run(run, name, tmp_path):
    result, st, extract = run
    path = result.run_dir / "models" / f"{name}.json"
    spec = json.loads(path.read_text())
    assert {"cohort", "preprocessing", "horizon"} <= set(spec)
    out = tmp_path / "scores.parquet"
    res = CliRunner().invoke(main, ["score", "--model", str(path), "--extract", str(extract),
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    scores = pd.read_parquet(out)
    assert scores["scored"].all()
    assert len(scores) == len(st.frame)
    assert scores["worker_id"].astype(str).tolist() == st.frame["worker_id"].astype(str).tolist()
    np.testing.assert_array_equal(scores["risk"].to_numpy(), st.risks[name])
