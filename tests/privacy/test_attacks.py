"""Model-export increments (finding 2), figure steps (finding 3) and identifiers, on crafted
inputs whose true event counts are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.privacy import DisclosurePolicy
from irdp.privacy.attacks import (
    FIGURE_DATA_FORMAT,
    figure_findings,
    model_export_findings,
    step_event_counts,
)
from irdp.privacy.identifiers import find_identifiers, is_nir, nir_key_valid

POLICY = DisclosurePolicy()


def _breslow(rng: np.random.Generator, n: int = 8000, n_days: int = 300):
    """A Breslow baseline cumulative hazard at Z = 0 with known events per day."""
    times = np.sort(rng.choice(np.arange(1, 3000), size=n_days, replace=False)).astype(float)
    events = rng.choice([1, 1, 1, 1, 2, 2, 3, 5], size=n_days)
    risk_set = n - np.cumsum(np.concatenate([[0], events[:-1]])) - np.linspace(0, 2500, n_days)
    scores = risk_set * np.exp(rng.normal(0, 0.02, n_days))  # sum of exp(lp), drifting slowly
    return times, np.cumsum(events / scores), events


def _cox_export(times, cumhaz, n_events):
    return {"format": "irdp-model/1", "model": "CoxIndex", "coef": {"age": 0.03},
            "development": {"n": 8000, "n_events": int(n_events)},
            "state": {"baseline_cumhaz": {"": {"time": list(map(float, times)),
                                               "cumhaz": list(map(float, cumhaz))}}}}


def test_increments_give_the_events_of_each_day_back(rng):
    times, cumhaz, events = _breslow(rng)
    res = step_event_counts(times, cumhaz, n_events=events.sum())
    assert res.unit_confirmed
    assert (np.round(res.counts) == events).mean() > 0.97
    found = model_export_findings(_cox_export(times, cumhaz, events.sum()), "models/cox.json")
    assert len(found) == 1
    f = found[0]
    assert (f.kind, f.attack, f.files) == ("recoverable", "model-export", ("models/cox.json",))
    assert "baseline_cumhaz" in f.location
    assert f.lower == 1


def test_coarse_grid_and_horizon_exports_reveal_nothing(rng):
    times, cumhaz, events = _breslow(rng)
    # a grid where every interval holds at least 11 events (saveCoxConfidential-like)
    edges, acc = [], 0
    for i, e in enumerate(events):
        acc += e
        if acc >= 11:
            edges.append(i)
            acc = 0
    grid = _cox_export(times[edges], cumhaz[edges], events.sum())
    assert model_export_findings(grid, "models/cox.json") == []
    # only the horizons the index is used for
    horizon = _cox_export([365.0, 730.0], [float(cumhaz[40]), float(cumhaz[80])],
                          events.sum())
    assert model_export_findings(horizon, "models/cox.json") == []


def test_cause_specific_export_listing_event_days(rng):
    # a competing cause with one death per listed day (finding 2, cause 3): no n_events given
    days = np.sort(rng.choice(np.arange(1, 3000), size=40, replace=False)).astype(float)
    risk = np.linspace(9000, 6000, 40)
    export = {"state": {"causes": {"3": {"coef": [0.1], "baseline_time": days.tolist(),
                                         "baseline_cumhaz": np.cumsum(1 / risk).tolist()}}}}
    found = model_export_findings(export, "models/csc.json")
    assert [f.location.split(" ")[0] for f in found] == ["$.state.causes.3.baseline_cumhaz"]
    assert (found[0].lower, found[0].upper) == (1.0, 1.0)


def test_small_counts_stored_in_an_export():
    export = {"development": {"n": 4000, "n_events": 7}, "design": {"n_knots": 4}}
    found = model_export_findings(export, "models/logistic.json")
    assert [(f.kind, f.location) for f in found] == [("readable", "$.development.n_events")]


def _sidecar(frame: pd.DataFrame, **extra) -> dict:
    return {"format": FIGURE_DATA_FORMAT, "version": 1, "figure": "observed_by_level_cox",
            "frame": {"columns": list(frame.columns), "data": frame.to_numpy().tolist()},
            **extra}


def test_figure_steps_one_event_per_step(rng):
    # Aalen-Johansen-like curve of a group of 1072 workers with one event per step
    n = 1072
    t = np.sort(rng.choice(np.arange(1, 365), size=2, replace=False)).astype(float)
    y = np.cumsum(np.ones(2) / n)
    frame = pd.DataFrame({"series": ["faible (n=1072)"] * 3, "x": [0.0, *t],
                          "y": [0.0, *y]})
    found = figure_findings(_sidecar(frame, kind="step"), "figures/observed_by_level_cox.data.json")
    assert len(found) == 1
    assert found[0].attack == "figure-steps"
    assert (found[0].lower, found[0].upper) == (1.0, 1.0)
    # a curve drawn only where at least 11 events occurred since the last point
    coarse = pd.DataFrame({"series": ["faible (n=1072)"] * 3, "x": [0.0, 120.0, 300.0],
                           "y": [0.0, 12 / n, 25 / n]})
    assert figure_findings(_sidecar(coarse), "f.data.json") == []


def test_figure_with_numbers_at_risk_and_events():
    frame = pd.DataFrame({"series": ["a"] * 3 + ["b"] * 2, "time": [0, 30, 60, 0, 90],
                          "survival": [1.0, 0.98, 0.95, 1.0, 0.9],
                          "n_at_risk": [500, 480, 460, 200, 150],
                          "n_events": [0, 11, 14, 0, 6]})
    found = figure_findings(_sidecar(frame, steps={"series": "series", "x": "time",
                                                   "y": "survival"}), "f.data.json")
    assert [(f.kind, f.location) for f in found] == [("readable", "series 'b'")]


def test_figure_sidecar_must_hold_a_frame():
    with pytest.raises(ValueError, match="'columns' and 'data'"):
        figure_findings({"format": FIGURE_DATA_FORMAT, "frame": {"rows": []}}, "f.data.json")


# ---- identifiers ---------------------------------------------------------------------------
def _nir(body: str) -> str:
    digits = body.replace("2A", "19").replace("2B", "18")
    return f"{body}{97 - int(digits) % 97:02d}"


@pytest.mark.parametrize("body", ["1850578006084", "2900133123456", "185052A006084",
                                  "7850199123456"])
def test_nir_keys(body):
    nir = _nir(body)
    assert nir_key_valid(body, nir[-2:])
    assert is_nir(nir)
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    assert is_nir(spaced)
    wrong = nir[:-2] + f"{(int(nir[-2:]) % 97) + 1:02d}"
    assert not is_nir(wrong)


def test_find_identifiers_positions_never_values():
    nir = _nir("1850578006084")
    text = f"group,n\nA,120\n{nir},44\nB,W000123\nsha,{nir}abc\n"
    hits = find_identifiers(text, {"W000123", "W999999"})
    assert [(h.line, h.column, h.kind) for h in hits] == [(3, 1, "nir"), (4, 3, "extract")]
    assert all(nir not in repr(h) and "W000123" not in repr(h) for h in hits)
    # counts and dates are not NIRs; a 13-digit number without key only when asked
    assert find_identifiers("2024-01-31,1234567,0.0936") == []
    assert find_identifiers("1850578006084") == []
    assert [h.kind for h in find_identifiers("1850578006084", require_key=False)] == ["nir"]


def test_figure_sidecar_round_trip():
    import json

    from irdp.privacy import figure_sidecar

    n = 1072
    drawn = pd.DataFrame({"series": ["faible"] * 3, "x": [0.0, 40.0, 200.0],
                          "y": [0.0, 1 / n, 2 / n], "n": [n, n, n]})
    side = json.loads(json.dumps(figure_sidecar(drawn, figure="observed_by_level_cox",
                                                steps={"n": "n"})))
    assert side["format"] == FIGURE_DATA_FORMAT
    found = figure_findings(side, "observed_by_level_cox.data.json")
    assert [f.attack for f in found] == ["figure-steps"]
    with pytest.raises(TypeError, match="DataFrame"):
        figure_sidecar(drawn.to_dict(), figure="x")


def test_cause_specific_grid_export_with_a_rare_cause_is_not_a_false_alarm(rng):
    """A rare competing cause drives the confidential grid: every interval holds 11 to ~20 of
    its events, so jumps are close to each other; the audit reads the export's declared grid
    (checked here against the data) and finds nothing, while the same export claiming a grid
    below the threshold is attacked (demo run, models/csc.json)."""
    from irdp.models import CauseSpecificCoxIndex
    from irdp.outcomes import CompetingRisks

    n = 6000
    X = pd.DataFrame({"age": rng.normal(45, 10, n)})
    t1, t2, t3 = (rng.exponential(s, n) for s in (2000.0, 3000.0, 60000.0))
    cens = rng.uniform(0, 1500, n)
    time = np.ceil(np.minimum.reduce([t1, t2, t3, cens]))
    cause = np.select([time == np.ceil(t1), time == np.ceil(t2), time == np.ceil(t3)],
                      [1, 2, 3], 0)
    cause[np.ceil(cens) == time] = 0
    y = CompetingRisks(time, cause)
    export = CauseSpecificCoxIndex().fit(X, y).export(min_count=11)
    state = export["state"]
    assert state["grid_min_events"] == 11
    grid = np.asarray(state["causes"]["3"]["baseline_time"])
    for c in (1, 2, 3):  # what the declaration promises, on the data
        # intervals (g[k-1], g[k]]; events after the last grid time are not published
        where = np.searchsorted(grid, time[cause == c], side="left")
        per_interval = np.bincount(where[where < len(grid)], minlength=len(grid))
        assert per_interval.min() >= 11, (c, per_interval)
    assert len(grid) >= 3
    assert model_export_findings(export, "models/csc.json", POLICY) == []
    state["grid_min_events"] = 1  # a grid that does not keep 11 events per interval
    found = model_export_findings(export, "models/csc.json", POLICY)
    assert found or len(grid) < 5  # attacked like an exact baseline
