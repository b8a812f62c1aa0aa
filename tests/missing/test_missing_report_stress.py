"""Missingness report, strategy comparison and the completeness stress test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sksurv.compare import compare_survival

from irdp.exceptions import CompleteCaseWarning
from irdp.missing import compare_strategies, completeness_sensitivity, missingness_report
from irdp.missing.report import logrank
from irdp.models import LogisticIndex
from irdp.outcomes import Binary, Survival
from irdp.privacy import check_disclosure


def _data(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.normal(0, 1, n), "sick": rng.normal(0, 1, n),
                      "rqth": rng.integers(0, 2, n).astype(float)})
    eta = -1 + 0.5 * X["age"] + 1.2 * X["sick"] + 0.7 * X["rqth"]
    y = Binary(rng.random(n) < 1 / (1 + np.exp(-eta)))
    spsti = rng.choice(["S1", "S2", "S3", "S4", "S5"], n)
    return X, y, spsti


def test_report_counts_groups_and_disclosure():
    X, y, spsti = _data()
    rng = np.random.default_rng(1)
    X.loc[(y.y == 1) & (rng.random(len(X)) < 0.4), "sick"] = np.nan  # depends on outcome
    X.loc[X.index[:5], "age"] = np.nan  # 5 < 11: must be masked
    rep = missingness_report(X, y, groups=pd.Series(spsti, name="spsti"))
    bf = rep.by_feature.set_index("feature")
    assert bf.loc["sick", "n_missing"] == int(X["sick"].isna().sum())
    assert pd.isna(bf.loc["age", "n_missing"])
    assert pd.isna(bf.loc["age", "pct_missing"])
    assert check_disclosure(rep.by_feature, count_columns=["n", "n_missing"],
                            rates={"pct_missing": ("n_missing", "n")}) == []
    for _, block in rep.by_group.groupby("feature"):
        assert check_disclosure(block.reset_index(drop=True), count_columns=["n", "n_missing"],
                                rates={"pct_missing": ("n_missing", "n")},
                                known_totals=True) == []
    assoc = rep.association.set_index("feature")
    assert assoc.loc["sick", "p_value"] < 1e-6
    assert assoc.loc["sick", "test"].startswith("chi-square")
    assert pd.isna(assoc.loc["age", "n_missing"])
    assert "Missingness by feature" in rep.summary().as_text()


def test_logrank_matches_scikit_survival():
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(5, 300), 1)
    e = rng.random(300) < 0.7
    g = rng.random(300) < 0.4
    chi2, p = logrank(t, e, g)
    ref = compare_survival(np.array(list(zip(e, t, strict=True)),
                                    dtype=[("e", bool), ("t", float)]), g)
    assert chi2 == pytest.approx(ref[0], rel=1e-10)
    assert p == pytest.approx(ref[1], rel=1e-8)


def test_report_survival_uses_logrank():
    X, _, _ = _data(n=600)
    rng = np.random.default_rng(2)
    t = rng.exponential(4, 600)
    X.loc[t < 2, "sick"] = np.nan
    rep = missingness_report(X, Survival(t, np.ones(600)), horizon=3.0)
    row = rep.association.set_index("feature").loc["sick"]
    assert row["test"] == "log-rank"
    assert row["p_value"] < 1e-6


def test_stress_test_deterministic_and_monotone_in_expectation():
    X, y, _ = _data(n=2500)
    rates = [0.0, 0.25, 0.5, 0.75, 1.0]
    kw = {"fields": ["sick"], "rates": rates, "mechanism": "MCAR", "n_repeats": 3, "seed": 7}
    a = completeness_sensitivity(LogisticIndex(), X, y, **kw)
    b = completeness_sensitivity(LogisticIndex(), X, y, **kw)
    pd.testing.assert_frame_equal(a.results, b.results)
    auc = a.summary[a.summary["measure"] == "auc"].set_index("rate")["mean"]
    assert np.all(np.diff(auc.to_numpy()) < 0)
    assert auc.loc[0.0] - auc.loc[1.0] > 0.1
    share = a.summary.groupby("rate")["missing_share"].first()
    assert share.to_numpy() == pytest.approx(rates, abs=0.03)
    fig = a.plot()
    assert len(fig.axes) == 2


def test_stress_by_spsti_and_mar():
    X, y, spsti = _data(n=1500)
    res = completeness_sensitivity(LogisticIndex(), X, y, ["sick", "rqth"], [0.0, 0.4, 0.8],
                                   "by SPSTI", spsti=spsti, strategy="indicator", n_repeats=2,
                                   seed=3)
    share = res.summary.groupby("rate")["missing_share"].first()
    assert share.to_numpy() == pytest.approx([0.0, 0.4, 0.8], abs=0.01)
    auc = res.summary[res.summary["measure"] == "auc"]["mean"].to_numpy()
    assert auc[0] > auc[-1]
    mar = completeness_sensitivity(LogisticIndex(), X, y, ["sick"], [0.0, 0.5], "MAR",
                                   driver="age", strategy="multiple", m=2, max_iter=3,
                                   n_repeats=1, seed=3)
    assert set(mar.results["measure"]) == {"auc", "oe_ratio", "calibration_in_the_large",
                                           "calibration_slope"}


def test_compare_strategies_warns_for_complete_cases():
    X, y, _ = _data(n=1500)
    rng = np.random.default_rng(4)
    X.loc[(X["age"] > 0) & (rng.random(1500) < 0.6), "sick"] = np.nan
    with pytest.warns(CompleteCaseWarning, match="drops"):
        res = compare_strategies(LogisticIndex(), X, y, m=3, max_iter=3, seed=1)
    t = res.table
    assert set(t["strategy"]) == {"complete_case", "indicator", "mean", "single", "multiple"}
    n_train = t.groupby("strategy")["n_train"].first()
    assert n_train["complete_case"] < n_train["multiple"]
    auc = t[t["measure"] == "auc"].set_index("strategy")["value"]
    assert auc["multiple"] > auc["mean"]
    assert {"auc", "oe_ratio"} <= set(res.to_frame().columns)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fields": ["nope"]}, "fields must name"),
        ({"rates": [0.2, 1.5]}, "rates must be"),
        ({"mechanism": "MNAR"}, "mechanism must be"),
        ({"mechanism": "by SPSTI"}, "needs spsti"),
    ],
)
def test_stress_errors(kwargs, match):
    X, y, _ = _data(n=200)
    args = {"fields": ["sick"], "rates": [0.0, 0.5]} | kwargs
    with pytest.raises(ValueError, match=match):
        completeness_sensitivity(LogisticIndex(), X, y, **args)


def test_stress_test_survival_with_multiple_imputation():
    """Timed outcome: Cox index, MI with event indicator and H(T), evaluation at the horizon."""
    from irdp.models import CoxIndex

    rng = np.random.default_rng(0)
    n = 1200
    X = pd.DataFrame({"age": rng.normal(0, 1, n), "sick": rng.normal(0, 1, n)})
    t = rng.exponential(1 / (0.1 * np.exp(0.5 * X["age"] + 1.0 * X["sick"])))
    c = rng.uniform(1, 8, n)
    y = Survival(np.minimum(t, c), t <= c)
    res = completeness_sensitivity(CoxIndex(), X, y, ["sick"], [0.0, 0.5, 1.0], horizon=3.0,
                                   strategy="multiple", m=2, max_iter=2, n_repeats=2, seed=1)
    auc = res.summary[res.summary["measure"] == "auc"].set_index("rate")["mean"]
    assert auc.loc[0.0] > auc.loc[0.5] > auc.loc[1.0]
    oe = res.summary[res.summary["measure"] == "oe_ratio"]["mean"]
    assert np.all(np.abs(oe - 1) < 0.15)
    with pytest.raises(ValueError, match="horizon is required"):
        completeness_sensitivity(CoxIndex(), X, y, ["sick"], [0.0])
