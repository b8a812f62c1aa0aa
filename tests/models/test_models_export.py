"""Model exports without per-event information (issue 11, finding 2).

A Cox export used to store the baseline cumulative hazard at every event day: each
increment divided by the local minimum gave the number of events that day; a cause-specific
export listed the days on which a development worker died. Exports now hold the baseline at
the published horizons only (or on a coarse grid whose every interval holds at least the
disclosure threshold of events), like riskRegression::saveCoxConfidential.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from irdp.exceptions import DisclosureError
from irdp.models import (
    CauseSpecificCoxIndex,
    CoxIndex,
    FineGrayIndex,
    LogisticIndex,
    PointsScore,
    load,
)
from irdp.outcomes import Binary, Survival
from irdp.privacy import DEFAULT_THRESHOLD
from irdp.testing import make_index_data

DATA = make_index_data(1500, seed=11)
X = DATA["X"][["age", "sex", "absence_days", "physical_job"]]
CAT = {"sex": "M"}


def _events_between(times: np.ndarray, event: np.ndarray, edges: list[float]) -> np.ndarray:
    e = np.sort(times[event])
    cum = np.searchsorted(e, np.r_[0.0, edges], side="right")
    return np.diff(cum)


def _strict(spec: dict) -> dict:
    return json.loads(json.dumps(spec, allow_nan=False))


def test_cox_export_at_the_horizon_holds_one_value_and_predicts_exactly():
    m = CoxIndex(categorical=CAT).fit(X, DATA["survival"])
    assert len(m.baselines_[""].time) > 100  # the fitted model has every event time
    spec = _strict(m.export(horizon=2.0))
    base = spec["state"]["baseline_cumhaz"][""]
    assert base["time"] == [2.0]
    assert spec["state"]["max_time"] == 2.0  # no individual follow-up time published
    m2 = load(spec)
    np.testing.assert_array_equal(m2.predict_risk(X, horizon=2.0), m.predict_risk(X, horizon=2.0))
    with pytest.raises(ValueError, match=r"horizon=1.5 is not held.*at the times 2 only"):
        m2.predict_risk(X, horizon=1.5)


def test_cox_export_without_horizon_is_a_coarse_grid_the_attack_cannot_read():
    y = DATA["survival"]
    m = CoxIndex(categorical=CAT).fit(X, y)
    base = _strict(m.export())["state"]["baseline_cumhaz"][""]
    grid = base["time"]
    counts = _events_between(y.time, y.event, grid)
    assert len(grid) >= 5
    assert counts.min() >= DEFAULT_THRESHOLD  # every interval holds >= 11 events
    # the attack of finding 2: increments / smallest increment ~ events per stored time
    inc = np.diff(np.r_[0.0, base["cumhaz"]])
    ratios = inc / inc.min()
    assert ratios.min() == 1.0
    assert counts.min() >= DEFAULT_THRESHOLD  # the smallest recoverable group is >= 11
    m2 = load(_strict(m.export()))
    for t in grid[:3]:  # exact at the grid times
        np.testing.assert_array_equal(m2.predict_risk(X, horizon=t), m.predict_risk(X, horizon=t))


def test_horizons_too_close_are_refused():
    y = DATA["survival"]
    m = CoxIndex(categorical=CAT).fit(X, y)
    t = np.sort(y.time[y.event])
    close = [float(t[200]), float(t[203])]  # 3 events in between
    with pytest.raises(DisclosureError, match="at least 11 development events"):
        m.export(horizon=close)
    early = float(t[4])  # 5 events before the first horizon
    with pytest.raises(DisclosureError, match=r"\(0, .*\]: <11"):
        m.export(horizon=early)


def test_fine_gray_and_points_exports():
    fg = FineGrayIndex(categorical=CAT).fit(X, DATA["competing"])
    spec = _strict(fg.export(horizon=2.0))
    assert spec["state"]["baseline_time"] == [2.0]
    np.testing.assert_array_equal(load(spec).predict_risk(X, horizon=2.0),
                                  fg.predict_risk(X, horizon=2.0))
    ps = PointsScore(model=CoxIndex(categorical=CAT), horizon=2.0).fit(X, DATA["survival"])
    spec = _strict(ps.export())
    table = spec["state"]["points_table"]
    assert set(table) == {"column", "category", "lower", "upper", "points"}  # no bin medians
    inner = spec["state"]["model"]["state"]["baseline_cumhaz"][""]
    assert inner["time"] == [2.0]
    np.testing.assert_array_equal(load(spec).predict_risk(X, horizon=2.0),
                                  ps.predict_risk(X, horizon=2.0))


def test_cause_specific_export_lists_no_event_day():
    y = DATA["competing"]
    m = CauseSpecificCoxIndex(categorical=CAT).fit(X, y)
    spec = _strict(m.export(horizon=2.0))
    assert spec["state"]["grid_min_events"] == DEFAULT_THRESHOLD
    for cause, v in spec["state"]["causes"].items():
        grid = v["baseline_time"]
        counts = _events_between(y.time, y.cause == int(cause), grid)
        assert counts.min() >= DEFAULT_THRESHOLD  # every cause, every interval
        assert len(grid) < (y.cause == int(cause)).sum() / DEFAULT_THRESHOLD + 1
    grid_model = m.to_grid(DEFAULT_THRESHOLD)
    np.testing.assert_array_equal(load(spec).predict_risk(X, horizon=2.0),
                                  grid_model.predict_risk(X, horizon=2.0))
    exact = m.predict_risk(X, horizon=2.0)  # the grid model stays close to the exact one
    assert np.max(np.abs(grid_model.predict_risk(X, horizon=2.0) - exact)) < 0.01


def test_development_counts_below_the_threshold_are_masked():
    rng = np.random.default_rng(0)
    Xs = pd.DataFrame({"x": rng.normal(size=60)})
    y = Binary(np.arange(60) % 7 == 0)  # 9 events
    lg = LogisticIndex().fit(Xs, y)
    dev = lg.export()["development"]
    assert dev["n"] == 60
    assert dev["n_events"] is None
    assert dev["suppressed"] == ["n_events"]
    assert lg.export(min_count=5)["development"]["n_events"] == 9  # a lowered threshold
    time = rng.exponential(1, 60)
    cox = CoxIndex().fit(Xs, Survival(time, np.arange(60) % 7 == 0))
    with pytest.raises(DisclosureError):
        cox.export(horizon=float(np.max(time)))  # 9 < 11 events before the horizon
