"""McLernon et al. 2023 with default settings: the validation O/E of R (predictRisk).

R: efit1 <- coxph(Surv(ryear, rfs) ~ csize + nodes2 + nodes3 + grade3, data = rott5);
pred <- predictRisk(efit1, newdata = gbsg5, times = 5); O/E = (1 - KM(5)) / mean(pred)
(companion code 01_predsurv_minimal.R of github.com/danielegiardiello/
Prediction_performance_survival). The published O/E is 1.017390; with a Breslow baseline
irdp used to give 1.017557. Rotterdam and GBSG are real patient data: they are exported by
tests/reference/mclernon/export_data.R into a temporary folder when R is installed, never
committed; the committed synthetic fixture (times in whole months, heavy ties) runs the same
code path in CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from irdp.metrics import oe_ratio
from irdp.models import CoxIndex
from irdp.outcomes import Survival

REF = Path(__file__).resolve().parents[1] / "reference" / "mclernon"
COLS = ["csize", "nodes2", "nodes3", "grade3"]
pytestmark = pytest.mark.reference


def _validate(dev: pd.DataFrame, val: pd.DataFrame) -> tuple[CoxIndex, np.ndarray, object]:
    for d in (dev, val):
        d["grade3"] = d["grade3"].astype(str)
    model = CoxIndex(categorical={"csize": "<=20", "grade3": "1-2"}).fit(
        dev[COLS], Survival(dev["ryear"], dev["rfs"]))
    risk = model.predict_risk(val[COLS], horizon=5.0)
    # McLernon's interval: O/E exp(+-1.96 sqrt(1 / events))
    return model, risk, oe_ratio(Survival(val["ryear"], val["rfs"]), risk, horizon=5.0,
                                 oe_interval="poisson")


def test_synthetic_fixture_with_ties_matches_predictrisk():
    """Committed synthetic data (tests/reference/mclernon/reference.R)."""
    v = json.loads((REF / "values.json").read_text())
    dev, val = pd.read_csv(REF / "data_dev.csv"), pd.read_csv(REF / "data_val.csv")
    model, risk, oe = _validate(dev, val)
    np.testing.assert_allclose(model.coef_.to_numpy(), v["coef"], rtol=1e-6)
    np.testing.assert_allclose(model.se_.to_numpy(), v["se"], rtol=1e-6)
    np.testing.assert_allclose(risk, v["pred5"], rtol=1e-7)  # predictRisk, Efron-type
    np.testing.assert_allclose(model.predict_risk(val[COLS], horizon=3.0), v["pred3"],
                               rtol=1e-7)
    assert oe.value == pytest.approx(v["oe"], abs=1e-9)
    assert (oe.lower, oe.upper) == pytest.approx((v["oe_lower"], v["oe_upper"]), abs=1e-9)
    assert oe.details["observed"] == pytest.approx(v["observed"], abs=1e-12)
    # with the Breslow baseline the figure moves (what irdp did before)
    breslow = CoxIndex(categorical={"csize": "<=20", "grade3": "1-2"}, baseline="breslow")
    breslow.fit(dev[COLS], Survival(dev["ryear"], dev["rfs"]))
    other = oe_ratio(Survival(val["ryear"], val["rfs"]),
                     breslow.predict_risk(val[COLS], horizon=5.0), horizon=5.0)
    assert abs(other.value - v["oe"]) > 1e-4


@pytest.mark.skipif(shutil.which("Rscript") is None,
                    reason="R is not installed: Rotterdam/GBSG are exported from R's survival "
                           "package at test time (real patient data are never committed)")
def test_published_oe_on_rotterdam_gbsg(tmp_path):
    """O/E 1.017390 (McLernon et al. 2023, validation table) within 1e-6."""
    subprocess.run(["Rscript", str(REF / "export_data.R"), str(tmp_path)], check=True,
                   capture_output=True, timeout=300)
    v = json.loads((tmp_path / "values.json").read_text())
    dev, val = pd.read_csv(tmp_path / "rott5.csv"), pd.read_csv(tmp_path / "gbsg5.csv")
    model, risk, oe = _validate(dev, val)
    np.testing.assert_allclose(model.coef_.to_numpy(), v["coef"], rtol=1e-6)
    np.testing.assert_allclose(risk[:20], v["pred_head"], rtol=1e-7)
    assert oe.value == pytest.approx(1.017390, abs=1e-6)
    assert oe.value == pytest.approx(v["oe"], abs=1e-9)
