"""IECV, centre summaries and pooling: simulation with heterogeneous centres, errors."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from irdp.metrics import auc
from irdp.metrics.calibration import calibration_slope, oe_ratio
from irdp.models import CoxIndex, LogisticIndex
from irdp.outcomes import Binary, Survival
from irdp.validation import centre_summary, iecv, meta_analysis, pool_centre_summaries


def _centres(n_centres=8, n=400, hetero=True, seed=3):
    """Centres with their own baseline risk and predictor effect (random effects)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_centres):
        a = -1.2 + (rng.normal(0, 0.6) if hetero else 0.0)
        b = 1.0 * (np.exp(rng.normal(0, 0.35)) if hetero else 1.0)
        x = rng.normal(size=(n, 2))
        eta = a + b * x[:, 0] + 0.5 * x[:, 1]
        y = rng.random(n) < 1 / (1 + np.exp(-eta))
        rows.append(pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y.astype(int),
                                  "centre": f"S{k}"}))
    return pd.concat(rows, ignore_index=True)


@functools.cache
def _hetero_result():
    d = _centres()
    return iecv(LogisticIndex(), d[["x1", "x2"]], Binary(d["y"]), d["centre"])


def test_iecv_detects_heterogeneity():
    """Simulation: the generator puts centre-specific intercepts and slopes in; IECV sees
    it: I² > 0 and the prediction interval is wider than the confidence interval for O/E and
    slope."""
    res = _hetero_result()
    for m in ("oe", "calibration_slope"):
        pooled = res.pooled[m]
        assert pooled.i2 > 0, m
        assert pooled.pi_upper - pooled.pi_lower > pooled.upper - pooled.lower, m
    assert res.pooled["c"].k == 8
    assert set(res.per_centre["measure"]) == {"c", "oe", "calibration_slope"}
    assert (res.per_centre["n_train"] == 7 * 400).all()


def test_iecv_homogeneous_centres_show_less_heterogeneity():
    d = _centres(hetero=False)
    res = iecv(LogisticIndex(), d[["x1", "x2"]], Binary(d["y"]), d["centre"])
    assert res.pooled["oe"].tau2 < _hetero_result().pooled["oe"].tau2


def test_iecv_summary_frame_and_plot():
    from matplotlib.figure import Figure

    res = _hetero_result()
    assert list(res.to_frame().index) == ["c", "oe", "calibration_slope"]
    assert "leave-one-out" in res.summary().as_text()
    assert isinstance(res.plot("oe"), Figure)
    with pytest.raises(ValueError, match="was not pooled"):
        res.plot("brier")


def test_forward_temporal_scheme():
    d = _centres(n_centres=4)
    period = d["centre"].map({"S0": 2019, "S1": 2020, "S2": 2021, "S3": 2022})
    res = iecv(LogisticIndex(), d[["x1", "x2"]], Binary(d["y"]), period, scheme="forward",
               scoring=["c"])
    per = res.per_centre
    assert list(per["centre"]) == [2020, 2021, 2022]
    assert list(per["n_train"]) == [400, 800, 1200]


def test_iecv_survival():
    rng = np.random.default_rng(4)
    n = 900
    X = pd.DataFrame({"x": rng.normal(size=n)})
    t = rng.exponential(1 / (0.2 * np.exp(0.8 * X["x"])))
    c = rng.uniform(3, 8, n)
    y = Survival(np.minimum(t, c), t <= c)
    g = np.repeat(["A", "B", "C"], 300)
    res = iecv(CoxIndex(), X, y, g, horizon=2.0)
    assert set(res.pooled) == {"c", "oe", "calibration_slope"}
    assert 0.6 < res.pooled["c"].estimate < 0.8


def test_iecv_errors():
    d = _centres(n_centres=3, n=100)
    X, y = d[["x1", "x2"]], Binary(d["y"])
    with pytest.raises(ValueError, match="at least 2 distinct"):
        iecv(LogisticIndex(), X, y, np.repeat("A", len(d)))
    yy = d["y"].copy()
    yy[d["centre"] == "S1"] = 0
    with pytest.raises(ValueError, match="group 'S1' has no event"):
        iecv(LogisticIndex(), X, Binary(yy), d["centre"])
    with pytest.raises(ValueError, match="same number of rows"):
        iecv(LogisticIndex(), X, y, d["centre"][:-1])
    with pytest.raises(ValueError, match="scheme"):
        iecv(LogisticIndex(), X, y, d["centre"], scheme="random")
    # a horizon beyond the follow-up of one centre
    rng = np.random.default_rng(1)
    time = np.r_[rng.uniform(0.1, 10, 200), rng.uniform(0.1, 3, 100)]
    ys = Survival(time, rng.random(300) < 0.5)
    Xs = pd.DataFrame({"x": rng.normal(size=300)})
    with pytest.raises(ValueError, match="beyond the follow-up of group 'C'"):
        iecv(CoxIndex(), Xs, ys, np.repeat(["A", "B", "C"], 100), horizon=5.0)


def test_pooling_from_shared_summaries_equals_pooling_per_centre_results():
    """Each centre computes centre_summary() locally on its own rows; pooling those shared
    tables gives exactly the meta-analysis of per-centre results computed on pooled data."""
    d = _centres(n_centres=5, n=300, seed=8)
    model = LogisticIndex().fit(d[["x1", "x2"]], Binary(d["y"]))
    d["risk"] = model.predict_risk(d[["x1", "x2"]])
    # what each SPSTI shares, computed on its own data only
    shared = [
        centre_summary(Binary(part["y"].to_numpy()), part["risk"].to_numpy(), centre=name)
        for name, part in d.groupby("centre", sort=True)
    ]
    # per-centre results computed on the pooled data
    per = []
    for name, part in d.groupby("centre", sort=True):
        yb, r = Binary(part["y"].to_numpy()), part["risk"].to_numpy()
        per.append((name, auc(yb, r), oe_ratio(yb, r), calibration_slope(yb, r)))
    for j, measure in enumerate(["c", "oe", "calibration_slope"], start=1):
        from_summaries = pool_centre_summaries(shared, measure)
        direct = meta_analysis([p[j].value for p in per], [p[j].se for p in per],
                               scale={"c": "logit", "oe": "log"}.get(measure, "identity"))
        assert from_summaries.estimate == pytest.approx(direct.estimate, rel=1e-12)
        assert from_summaries.pi_upper == pytest.approx(direct.pi_upper, rel=1e-12)
    # one call with groups gives the same table as the five local calls
    together = centre_summary(Binary(d["y"]), d["risk"], groups=d["centre"])
    local = pd.concat(shared, ignore_index=True)
    pd.testing.assert_frame_equal(
        together.sort_values("centre").reset_index(drop=True), local, check_dtype=False
    )


def test_centre_summary_disclosure_control():
    rng = np.random.default_rng(2)
    risk = rng.uniform(0.05, 0.5, 60)
    y = Binary(np.r_[np.ones(6), np.zeros(54)].astype(int))  # 6 events < min_count
    out = centre_summary(y, risk, centre="tiny", min_count=10)
    assert bool(out.loc[0, "suppressed"])
    assert pd.isna(out.loc[0, "n"])
    assert pd.isna(out.loc[0, "n_events"])
    assert np.isnan(out.loc[0, "c"])
    assert not {"risk", "y", "event"} & set(out.columns)
    with pytest.raises(ValueError, match="min_count"):
        centre_summary(y, risk, min_count=0)


def test_iecv_small_groups_warn_and_n_jobs_invariance():
    from irdp.exceptions import SmallGroupWarning

    d = _centres(n_centres=4, n=60, seed=12)
    X, y = d[["x1", "x2"]], Binary(d["y"])
    with pytest.warns(SmallGroupWarning, match="fewer than 30 events"):
        a = iecv(LogisticIndex(), X, y, d["centre"], min_events=30, scoring=["c"])
    b = iecv(LogisticIndex(), X, y, d["centre"], min_events=0, scoring=["c"], n_jobs=2)
    pd.testing.assert_frame_equal(a.per_centre, b.per_centre)


def test_centre_summary_survival_with_horizon():
    rng = np.random.default_rng(3)
    n = 600
    x = rng.normal(size=n)
    t = rng.exponential(1 / (0.2 * np.exp(x)))
    c = rng.uniform(3, 6, n)
    y = Survival(np.minimum(t, c), t <= c)
    risk = 1 - np.exp(-0.4 * np.exp(x))
    out = centre_summary(y, risk, horizon=2.0, groups=np.repeat(["A", "B"], 300))
    assert list(out["centre"]) == ["A", "B"]
    assert {"c", "c_se", "oe", "oe_se", "calibration_slope", "calibration_slope_se"} <= set(
        out.columns)
    assert (out["oe_se"] > 0).all()
