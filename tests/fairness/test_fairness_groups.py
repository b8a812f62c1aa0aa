"""group_performance, group_calibration, classification and summary: behaviour and safety."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
from sklearn.metrics import roc_auc_score

from irdp.exceptions import IndexMismatchError, SmallGroupWarning
from irdp.fairness import (
    OVERALL,
    fairness_summary,
    group_calibration,
    group_classification,
    group_performance,
)
from irdp.fairness.measures import DEFAULT_MEASURES, weighted_auc
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.privacy import check_disclosure

matplotlib.use("Agg")


def _binary(seed=5, n=4000, bad_group="C", shift=0.9):
    """Four groups; group ``bad_group`` has true log-odds shifted by ``shift`` (miscalibrated)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["A", "B", "C", "D"], n)
    risk = rng.uniform(0.03, 0.6, n)
    lp = np.log(risk / (1 - risk)) + np.where(g == bad_group, shift, 0.0)
    y = Binary(rng.binomial(1, 1 / (1 + np.exp(-lp))))
    return y, risk, g


def _survival(seed=6, n=5000):
    """Correct Cox-type risks at horizon 3 for all SPSTI except S3, whose hazard is doubled."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["S1", "S2", "S3", "S4"], n)
    lp = rng.normal(0, 0.8, n)
    h0 = 0.06
    t = rng.exponential(1 / (h0 * np.exp(lp) * np.where(g == "S3", 2.0, 1.0)))
    c = rng.uniform(1, 8, n)
    risk = 1 - np.exp(-h0 * np.exp(lp) * 3)
    return Survival(np.minimum(t, c), t <= c), risk, g


def test_binary_values_equal_fairlearn_metricframe():
    """irdp's own loop, the fairlearn engine and a plain MetricFrame over sklearn agree."""
    y, risk, g = _binary()
    sex = np.where(np.arange(len(g)) % 3 == 0, "F", "M")
    groups = pd.DataFrame({"spsti": g, "sex": sex})
    own = group_performance(y, risk, groups, n_boot=0, engine="irdp")
    via = group_performance(y, risk, groups, n_boot=0, engine="fairlearn")
    assert via.engine == "fairlearn"
    assert own.engine == "irdp"
    pd.testing.assert_frame_equal(own.by_group, via.by_group, rtol=1e-12)
    mf = MetricFrame(metrics={"auc": roc_auc_score, "prev": lambda a, b: float(np.mean(a))},
                     y_true=y.y, y_pred=risk, sensitive_features=groups)
    for key, row in mf.by_group.iterrows():
        assert own.by_group.loc[key, "auc"] == pytest.approx(row["auc"], abs=1e-12)
        assert own.by_group.loc[key, "observed_risk"] == pytest.approx(row["prev"], abs=1e-12)
    assert own.overall["auc"] == pytest.approx(roc_auc_score(y.y, risk), abs=1e-12)


def test_miscalibrated_group_is_flagged_binary():
    y, risk, g = _binary()
    res = group_calibration(y, risk, g)
    assert res.flagged == ["C"]
    row = res.table.set_index("group").loc["C"]
    assert row["oe_lower"] > 1
    assert "O/E" in row["reason"]


def test_miscalibrated_group_is_flagged_survival():
    y, risk, g = _survival()
    res = group_calibration(y, risk, g, horizon=3.0)
    assert res.flagged == ["S3"]
    perf = group_performance(y, risk, g, horizon=3.0, n_boot=30, seed=1,
                             measures=["oe_ratio"])
    d = perf.differences.set_index("group").loc["S3"]
    assert d["lower"] > 0  # S3's O/E exceeds the reference's, CI excludes 0


def test_competing_risks_groups_run_and_calibrate():
    rng = np.random.default_rng(9)
    n = 3000
    g = rng.choice(["F", "M"], n)
    t1 = rng.exponential(8, n)
    t2 = rng.exponential(10, n)
    c = rng.uniform(2, 10, n)
    time = np.minimum.reduce([t1, t2, c])
    cause = np.select([time == t1, time == t2], [1, 2], 0)
    # true CIF of cause 1 by 3 with constant hazards 1/8 and 1/10
    lam1, lam = 1 / 8, 1 / 8 + 1 / 10
    risk = np.full(n, lam1 / lam * (1 - np.exp(-lam * 3)))
    res = group_calibration(CompetingRisks(time, cause), risk, g, horizon=3.0)
    assert res.flagged == []
    oe = res.table.set_index("group")["oe"]
    assert oe.loc[OVERALL] == pytest.approx(1.0, abs=0.08)


def test_small_group_suppressed_not_dropped_and_warned():
    y, risk, g = _binary(n=2000)
    g = g.astype(object)
    g[:8] = "tiny"
    g[8:20] = None  # missing labels form their own group
    with pytest.warns(SmallGroupWarning, match="fewer than 50"):
        res = group_performance(y, risk, g, n_boot=5, seed=0)
    groups = res.groups.set_index("group")
    assert "tiny" in groups.index
    assert "(missing)" in groups.index
    assert groups.loc["tiny", "status"].startswith("suppressed")
    assert pd.isna(groups.loc["tiny", "n"])  # 8 < 11: the count itself is masked
    assert np.isnan(res.by_group.loc["tiny"]).all()
    assert int(groups["n"].isna().sum()) >= 2  # secondary suppression protects the total


def test_every_table_passes_disclosure_control():
    y, risk, g = _binary(n=1500)
    g = g.astype(object)
    g[:30] = "small"
    with pytest.warns(SmallGroupWarning):
        perf = group_performance(y, risk, g, n_boot=0)
    with pytest.warns(SmallGroupWarning):
        cls = group_classification(y, risk, g, thresholds=[0.2, 0.4], n_boot=0)
    with pytest.warns(SmallGroupWarning, match="reported as suppressed"):
        cal = group_calibration(y, risk, g, n_bins=10)
    for tab in (perf.groups, cls.groups):
        assert check_disclosure(tab, count_columns=["n", "events", "non_events"],
                                known_totals=True) == []
    body = cal.table[cal.table["group"] != OVERALL]
    assert check_disclosure(body, count_columns=["n", "events", "non_events"],
                            known_totals=True) == []
    assert check_disclosure(cal.curves, count_columns=["n", "events", "non_events"],
                            rates={"observed": ("events", "n")}) == []


def test_bootstrap_is_deterministic_and_intersections_have_two_levels():
    y, risk, g = _binary(n=1500)
    sex = np.where(np.arange(1500) % 2 == 0, "F", "M")
    groups = pd.DataFrame({"spsti": g, "sex": sex})
    a = group_performance(y, risk, groups, n_boot=15, seed=42)
    b = group_performance(y, risk, groups, n_boot=15, seed=42)
    c = group_performance(y, risk, groups, n_boot=15, seed=43)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table["lower"].equals(c.table["lower"])
    assert a.by_group.index.nlevels == 2
    assert len(a.by_group) == 8
    lo, v, hi = (a.table[k].to_numpy() for k in ("lower", "value", "upper"))
    ok = np.isfinite(lo)
    assert np.all(lo[ok] <= hi[ok])
    ext = a.extremes.set_index("measure")
    assert ext.loc["auc", "difference"] >= 0


def test_classification_matches_manual_rates():
    y, risk, g = _binary(n=2000)
    res = group_classification(y, risk, g, thresholds=0.3, n_boot=0)
    for grp in ("A", "B"):
        m = g == grp
        flag = risk[m] >= 0.3
        ev = y.y[m] == 1
        row = res.by_group.loc[grp]
        assert row["tpr@0.3"] == pytest.approx(flag[ev].mean())
        assert row["fpr@0.3"] == pytest.approx(flag[~ev].mean())
        assert row["ppv@0.3"] == pytest.approx(ev[flag].mean())
        assert row["selection_rate@0.3"] == pytest.approx(flag.mean())


def test_fairness_summary_and_plots_return_figures():
    y, risk, g = _survival(n=3000)
    groups = pd.DataFrame({"spsti": g, "sex": np.where(np.arange(3000) % 2, "F", "M")})
    res = fairness_summary(y, risk, groups, horizon=3.0, pairs=[("spsti", "sex")],
                           thresholds=[0.2], n_boot=10, seed=3)
    wide = res.to_frame()
    assert {"auc", "oe_ratio", "calibration_slope", "tpr@0.2", "flagged"} <= set(wide.columns)
    assert set(res.groups.loc[res.groups["flagged"].fillna(False).astype(bool), "group"]) >= {"S3"}
    fig = res.plot("oe_ratio")
    assert fig.axes
    assert len(fig.axes[0].get_yticklabels()) == len(wide)
    cal = group_calibration(y, risk, g, horizon=3.0)
    fig2 = cal.plot()
    assert len(fig2.axes[0].lines) == 5  # 4 groups + diagonal
    perf = group_performance(y, risk, g, horizon=3.0, n_boot=5, seed=0)
    assert perf.plot("auc").axes
    assert "reference group" in perf.summary().as_text()
    assert "<h4>" in cal.summary().as_html()


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"measures": weighted_auc}, TypeError, "must be a dict"),
        ({"measures": {"a": 3}}, TypeError, "callables"),
        ({"measures": ["o/e ratio"]}, ValueError, "Did you mean"),
        ({"measures": ["td_auc"]}, ValueError, "defined for survival, competing"),
        ({"engine": "metricframe"}, ValueError, "engine must be"),
        ({"reference": "nope"}, ValueError, "reference must be a group label"),
        ({"level": 1.5}, ValueError, "level must lie"),
    ],
)
def test_group_performance_errors(kwargs, err, match):
    y, risk, g = _binary(n=600)
    with pytest.raises(err, match=match):
        group_performance(y, risk, g, n_boot=0, **kwargs)


def test_index_mismatch_is_refused():
    y, risk, g = _binary(n=300)
    with pytest.raises(IndexMismatchError):
        group_performance(y, pd.Series(risk, index=np.arange(300) + 1),
                          pd.Series(g, index=np.arange(300)), n_boot=0)


def test_no_warning_for_adequate_groups():
    y, risk, g = _binary(n=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        group_performance(y, risk, g, n_boot=5, seed=1)


def test_irdp_metrics_plug_in_as_measures():
    """Metrics returning an Estimate, registry names and the fairness names all work as
    group measures and give the same values (one implementation)."""
    from irdp import metrics

    y, risk, g = _survival(n=2000)
    res = group_performance(y, risk, g, horizon=3.0, n_boot=5, seed=0,
                            measures={"td_auc": metrics.td_auc, "own": weighted_auc,
                                      "name": "td_auc"})
    by = res.by_group
    np.testing.assert_array_equal(by["td_auc"], by["own"])
    np.testing.assert_array_equal(by["td_auc"], by["name"])
    assert set(DEFAULT_MEASURES) >= {"auc", "oe_ratio", "calibration_slope", "brier"}


def test_bootstrap_does_not_depend_on_n_jobs():
    y, risk, g = _binary(n=800)
    a = group_performance(y, risk, g, n_boot=6, seed=5, n_jobs=1)
    b = group_performance(y, risk, g, n_boot=6, seed=5, n_jobs=2)
    pd.testing.assert_frame_equal(a.table, b.table)


@pytest.mark.parametrize("kind", ["survival", "competing"])
def test_timed_outcomes_through_fairlearn_sample_params(kind):
    """MetricFrame splits the follow-up time (a sample parameter) by group: same values."""
    y, risk, g = _survival(n=3000)
    if kind == "competing":
        rng = np.random.default_rng(1)
        y = CompetingRisks(y.time, np.where(y.event, rng.integers(1, 3, len(g)), 0))
    sex = np.where(np.arange(len(g)) % 2 == 0, "F", "M")
    groups = pd.DataFrame({"spsti": g, "sex": sex})
    own = group_performance(y, risk, groups, horizon=3.0, n_boot=0, engine="irdp")
    via = group_performance(y, risk, groups, horizon=3.0, n_boot=0, engine="fairlearn")
    assert via.engine == "fairlearn"
    pd.testing.assert_frame_equal(own.by_group, via.by_group, rtol=1e-12)


def test_input_forms_give_the_same_result():
    """Lists, arrays and pandas objects with a shuffled, non-default (equal) index agree."""
    y, risk, g = _binary(n=700)
    base = group_performance(y, risk, g, n_boot=0)
    idx = pd.Index(np.random.default_rng(0).permutation(700) + 1000)
    as_series = group_performance(Binary(pd.Series(y.y, index=idx)), pd.Series(risk, index=idx),
                                  pd.Series(g, index=idx, name="group"), n_boot=0)
    as_lists = group_performance(list(y.y), list(risk), list(g), n_boot=0)
    pd.testing.assert_frame_equal(base.table, as_series.table)
    pd.testing.assert_frame_equal(base.table, as_lists.table)


def test_forest_plot_draws_a_percentile_ci_that_excludes_its_estimate():
    """A percentile bootstrap CI may not contain the point estimate; the plot must not fail."""
    from types import SimpleNamespace

    from irdp.fairness import plot_forest

    table = pd.DataFrame({
        "sex": ["F", "M"], "measure": ["oe_ratio", "oe_ratio"],
        "value": [1.30, 0.90], "lower": [1.32, 0.80], "upper": [1.60, 1.05],
    })
    fig = plot_forest(SimpleNamespace(table=table, group_names=("sex",)), "oe_ratio")
    segments = fig.axes[0].collections[0].get_segments()
    assert [tuple(seg[:, 0]) for seg in segments] == [(1.32, 1.60), (0.80, 1.05)]


def test_group_calibration_with_no_reportable_group():
    """Every group below the minimum: all suppressed, an empty curve table, no crash."""
    rng = np.random.default_rng(1)
    risk = rng.uniform(0.1, 0.5, 40)
    y = Binary(rng.random(40) < risk)
    groups = np.array(["A", "B", "C", "D"] * 10)
    with pytest.warns(SmallGroupWarning):
        res = group_calibration(y, risk, groups)
    assert res.curves.empty
    assert res.flagged == []


def test_group_calibration_level_and_deprecated_alpha():
    """One spelling for confidence: level= (alpha= still works, with a deprecation)."""
    from irdp.exceptions import IrdpDeprecationWarning

    y, risk, g = _binary(n=1500)
    a = group_calibration(y, risk, g, level=0.9)
    with pytest.warns(IrdpDeprecationWarning, match="level=1 - alpha"):
        b = group_calibration(y, risk, g, alpha=0.1)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.level == pytest.approx(1 - 0.1 / 4)  # Bonferroni over the 4 reported groups
