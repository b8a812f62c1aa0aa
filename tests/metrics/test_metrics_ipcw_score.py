"""IPCW standard errors follow riskRegression::Score with tied event and censoring times.

R (tests/reference/score_ties/reference.R): Score(list(m = risk), Surv(time, status) ~ 1 or
Hist(time, status) ~ 1, times = 3 or 4, cause = 1, cens.model = "km",
metrics = c("auc", "brier"), se.fit = TRUE, null.model = TRUE). Times are whole periods
1..8 (events and censorings share times, risks are tied); 120, 16 and 150 rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from irdp.metrics import brier, td_auc
from irdp.metrics._ipcw import censoring_model
from irdp.outcomes import CompetingRisks, Survival

REF = Path(__file__).resolve().parents[1] / "reference" / "score_ties"
VALUES = json.loads((REF / "values.json").read_text())
CASES = [(nm, h) for nm in ("survival", "tiny", "competing") for h in (3, 4)]
pytestmark = pytest.mark.reference


def _data(nm: str):
    d = pd.read_csv(REF / f"{nm}.csv")
    y = CompetingRisks(d["time"], d["status"]) if nm == "competing" else Survival(
        d["time"], d["status"])
    return y, d["risk"].to_numpy()


@pytest.mark.parametrize(("nm", "h"), CASES, ids=[f"{n}_{h}" for n, h in CASES])
def test_brier_and_td_auc_se_equal_score_with_tied_times(nm, h):
    y, risk = _data(nm)
    ref = VALUES[f"{nm}_{h}"]
    b, a = brier(y, risk, horizon=h), td_auc(y, risk, horizon=h)
    # values and SEs: floating-point agreement (same estimator, same influence function)
    assert b.value == pytest.approx(ref["brier"], rel=1e-12)
    assert b.se == pytest.approx(ref["brier_se"], rel=1e-10)
    assert a.value == pytest.approx(ref["auc"], rel=1e-12)
    assert a.se == pytest.approx(ref["auc_se"], rel=1e-10)
    null = brier(y, _null(y, h), horizon=h)
    assert null.se == pytest.approx(ref["brier_null_se"], rel=1e-10)


def _null(y, h):
    from irdp.metrics.overall import observed_risk

    return [observed_risk(y, h)] * len(y)


@pytest.mark.parametrize(("nm", "h"), CASES, ids=[f"{n}_{h}" for n, h in CASES])
def test_events_leave_first_option_changes_only_the_se(nm, h):
    y, risk = _data(nm)
    for fn in (brier, td_auc):
        s, e = fn(y, risk, horizon=h), fn(y, risk, horizon=h, ipcw_se="events_leave_first")
        assert s.value == e.value
        assert s.se != pytest.approx(e.se, rel=1e-8)  # ties: the conventions differ


def test_conventions_agree_without_ties():
    import numpy as np

    rng = np.random.default_rng(1)
    t = rng.exponential(1, 200)
    c = rng.exponential(2, 200)
    y = Survival(np.minimum(t, c), t <= c)
    r = rng.uniform(0.1, 0.9, 200)
    assert brier(y, r, horizon=1.0).se == pytest.approx(
        brier(y, r, horizon=1.0, ipcw_se="events_leave_first").se, rel=1e-12)
    with pytest.raises(ValueError, match="if_risk_set must be one of"):
        censoring_model(y.time, y.event, if_risk_set="other")
