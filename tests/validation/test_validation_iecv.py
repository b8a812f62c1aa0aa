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
    for m in ("oe_ratio", "calibration_slope"):
        pooled = res.pooled[m]
        assert pooled.i2 > 0, m
        assert pooled.pi_upper - pooled.pi_lower > pooled.upper - pooled.lower, m
    assert res.pooled["c_harrell"].k == 8
    assert set(res.per_centre["measure"]) == {"c_harrell", "oe_ratio", "calibration_slope"}
    assert (res.per_centre["n_train"] == 7 * 400).all()


def test_iecv_homogeneous_centres_show_less_heterogeneity():
    d = _centres(hetero=False)
    res = iecv(LogisticIndex(), d[["x1", "x2"]], Binary(d["y"]), d["centre"])
    assert res.pooled["oe_ratio"].tau2 < _hetero_result().pooled["oe_ratio"].tau2


def test_iecv_summary_frame_and_plot():
    from matplotlib.figure import Figure

    res = _hetero_result()
    assert list(res.to_frame().index) == ["c_harrell", "oe_ratio", "calibration_slope"]
    assert "leave-one-out" in res.summary().as_text()
    assert isinstance(res.plot("oe"), Figure)  # aliases are accepted
    title = res.plot("oe_ratio").axes[0].get_title()
    assert title == "Observed / expected ratio in each held-out centre"
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
    assert set(res.pooled) == {"c_harrell", "oe_ratio", "calibration_slope"}
    assert 0.6 < res.pooled["c_harrell"].estimate < 0.8


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
        from_summaries = pool_centre_summaries(shared, measure)  # aliases of the columns
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
    assert np.isnan(out.loc[0, "c_harrell"])
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
    assert {"c_harrell", "c_harrell_se", "oe_ratio", "oe_ratio_se", "calibration_slope",
            "calibration_slope_se"} <= set(out.columns)
    assert (out["oe_ratio_se"] > 0).all()
    # events are counted by the horizon, as every measure counts them
    for lab in ("A", "B"):
        rows = np.repeat(["A", "B"], 300) == lab
        assert out.set_index("centre").loc[lab, "n_events"] == int(
            (y.event[rows] & (y.time[rows] <= 2.0)).sum())


def test_iecv_on_the_synthetic_dmst_generator():
    """irdp.synth.generate_dmst puts a random SPSTI effect (log-hazard scale) in the
    inaptitude hazard. Leave-one-SPSTI-out validation of a Cox index on the true covariates
    detects it: I² > 0 and a prediction interval wider than the CI for O/E, and each left-out
    centre's O/E follows its true centre effect (rank correlation 0.83 with this seed)."""
    from scipy.stats import spearmanr

    from irdp.synth import generate_dmst

    sim = generate_dmst(20_000, n_spsti=8, seed=12)
    w = sim.truth.workers
    exit_date = w["event_date"].fillna(pd.Timestamp("2024-12-31"))  # administrative end
    years = ((exit_date - w["entry_date"]).dt.days / 365.25).to_numpy()
    y = Survival(years, (w["event"] == "INAPTITUDE").to_numpy())  # other exits censored
    cols = ["msk", "mental", "chronic2", "was", "low_work_ability", "manual_job",
            "biomech_exposure"]
    res = iecv(CoxIndex(), w[cols].astype(float), y, w["spsti_id"].to_numpy(), horizon=3.0)
    oe = res.pooled["oe_ratio"]
    assert oe.i2 > 0
    assert oe.tau2 > 0
    assert oe.pi_upper - oe.pi_lower > oe.upper - oe.lower
    per = res.per_centre[res.per_centre["measure"] == "oe_ratio"].set_index("centre")["value"]
    effect = sim.truth.spsti.set_index("spsti_id")["centre_effect"].reindex(per.index)
    assert spearmanr(np.log(per), effect).statistic > 0.4


def test_centre_summary_default_threshold_is_the_disclosure_threshold():
    """Issue 12: centre_summary defaulted to 10; the policy threshold is 11."""
    import inspect

    from irdp.privacy import DEFAULT_THRESHOLD

    assert inspect.signature(centre_summary).parameters["min_count"].default == DEFAULT_THRESHOLD
    rng = np.random.default_rng(5)
    risk = rng.uniform(0.05, 0.5, 200)
    y = Binary(np.r_[np.ones(10), np.zeros(190)].astype(int))  # 10 events: under 11
    assert bool(centre_summary(y, risk, centre="S")["suppressed"].iloc[0])


def test_two_periods_are_not_pooled_and_periods_are_named_by_dates():
    """Issue 12: IECV by period pooled k = 2 with HKSJ (a Brier CI of -0.0089 to 0.0234) and
    never dated its periods. Three dated periods, forward scheme: two validated periods, no
    pooled interval, the per-period results and the reason instead."""
    from irdp.validation import calendar_periods

    d = _centres(n_centres=3, n=400, seed=21)
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(np.arange(len(d)) * 2, unit="D")
    periods = calendar_periods(dates, 3)
    assert sorted(set(periods))[0] == "2019-01-01 to 2021-03-09"
    res = iecv(LogisticIndex(), d[["x1", "x2"]], Binary(d["y"]), periods, scheme="forward",
               scoring=["c", "brier"])
    assert list(pd.unique(res.per_centre["centre"])) == sorted(set(periods))[1:]
    for m in res.pooled.values():
        assert m.k == 2
        assert not m.pooled
        assert np.isnan(m.lower)
        assert np.isnan(m.upper)
        assert np.isnan(m.estimate)
        assert "at least 3" in m.note
        assert len(m.centres) == 2
        assert np.isfinite(m.centres["lower"]).all()
    assert "at least 3" in res.summary().as_text()
