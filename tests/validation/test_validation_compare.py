"""compare(): paired differences, missing risks, levels cross-tab, decision curves, errors."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from irdp.metrics import auc, brier, delong_test
from irdp.outcomes import Binary, Survival
from irdp.validation import compare


@functools.cache
def _data():
    rng = np.random.default_rng(7)
    n = 600
    x, z = rng.normal(size=n), rng.normal(size=n)
    y = Binary(rng.random(n) < 1 / (1 + np.exp(-(x + 0.7 * z - 1))))
    full = 1 / (1 + np.exp(-(x + 0.7 * z - 1)))
    local = 1 / (1 + np.exp(-(0.8 * x - 1)))
    local[rng.choice(n, 40, replace=False)] = np.nan  # unscored workers
    return y, {"model": full, "local": local}


@functools.cache
def _result(n_jobs=1):
    y, risks = _data()
    return compare(y, risks, scoring=["c", "brier"], n_boot=60, seed=3, n_jobs=n_jobs,
                   levels=(0.1, 0.3))


def test_complete_pairs_and_counts():
    y, risks = _data()
    res = _result()
    assert (res.differences["n"] == 560).all()
    assert res.indices.loc["local", "n_missing"] == 40
    assert res.indices.loc["model", "n"] == 600
    ok = np.isfinite(risks["local"])
    assert res.differences["n_events"].iloc[0] == int(y.y[ok].sum())
    assert res.n_common == 560


def test_auc_difference_is_delong_on_complete_pairs():
    y, risks = _data()
    ok = np.flatnonzero(np.isfinite(risks["local"]))
    ref = delong_test(y.take(ok), risks["model"][ok], risks["local"][ok])
    row = _result().differences.set_index("measure").loc["c_harrell"]  # "c" is an alias
    assert row["difference"] == pytest.approx(ref.value, rel=1e-12)
    assert row["lower"] == pytest.approx(ref.lower, rel=1e-12)
    assert row["method"] == "DeLong paired"
    assert row["value_a"] == pytest.approx(auc(y.take(ok), risks["model"][ok]).value)


def test_paired_bootstrap_for_other_measures():
    y, risks = _data()
    ok = np.flatnonzero(np.isfinite(risks["local"]))
    row = _result().differences.set_index("measure").loc["brier"]
    expected = brier(y.take(ok), risks["model"][ok]).value - brier(
        y.take(ok), risks["local"][ok]).value
    assert row["difference"] == pytest.approx(expected, rel=1e-12)
    assert row["lower"] < row["difference"] < row["upper"]
    assert "paired bootstrap" in row["method"]


def test_independent_of_n_jobs():
    pd.testing.assert_frame_equal(_result(1).differences, _result(2).differences)


def test_crosstab_of_levels():
    y, risks = _data()
    tab = _result().crosstabs[("model", "local")]
    assert list(tab.columns) == ["faible", "intermédiaire", "forte"]
    assert int(tab.loc["all"].to_numpy().sum()) == 560
    ok = np.isfinite(risks["local"])
    assert int(tab.loc["events"].to_numpy().sum()) == int(y.y[ok].sum())
    # hand check of one cell: both indices put the worker in "forte" (risk >= 0.3)
    both_high = ((risks["model"][ok] >= 0.3) & (risks["local"][ok] >= 0.3)).sum()
    assert tab.loc[("all", "forte"), "forte"] == both_high


def test_reclassification_and_decision_curves():
    from matplotlib.figure import Figure

    res = _result()
    assert list(res.reclassification["measure"]) == ["nri_categorical", "nri_continuous", "idi"]
    assert set(res.decision_curves) == {"model", "local"}
    assert isinstance(res.plot_decision_curves(), Figure)
    assert "difference = a - b" in res.summary().as_text()


def test_survival_comparison():
    rng = np.random.default_rng(1)
    n = 500
    x = rng.normal(size=n)
    t = rng.exponential(1 / (0.2 * np.exp(x)))
    c = rng.uniform(1, 6, n)
    y = Survival(np.minimum(t, c), t <= c)
    r1, r2 = 1 - np.exp(-0.4 * np.exp(x)), 1 - np.exp(-0.4 * np.exp(0.5 * x))
    res = compare(y, {"a": r1, "b": r2}, horizon=2.0, scoring=["c", "oe"], n_boot=30)
    d = res.differences.set_index("measure")
    assert d.loc["c_harrell", "difference"] == pytest.approx(0.0, abs=1e-12)  # same ranking
    assert d.loc["c_harrell", "p_value"] == 1.0
    assert d.loc["oe_ratio", "lower"] < d.loc["oe_ratio", "difference"] < d.loc["oe_ratio",
                                                                              "upper"]
    assert np.isfinite(res.reclassification["lower"]).all()  # bootstrap CIs for NRI/IDI


@pytest.mark.parametrize(
    ("risks", "kwargs", "exc", "match"),
    [
        ({"a": [0.1] * 4}, {}, ValueError, "at least 2 indices"),
        ([0.1, 0.2], {}, TypeError, "dict"),
        ({"a": [0.1, 0.2, 0.3, 0.4], "b": [0.1, 2.0, 0.3, 0.4]}, {}, ValueError, r"\[0, 1\]"),
        ({"a": [0.1, 0.2, 0.3, 0.4], "b": [0.1, 0.2]}, {}, ValueError, "2 values for 4"),
        ({"a": [0.1, 0.2, 0.3, 0.4], "b": [np.nan] * 4}, {}, ValueError, "missing for every"),
        ({"a": [0.1, 0.2, 0.3, 0.4], "b": [0.2] * 4}, {"levels": (0.5,)}, ValueError,
         "2 cut-offs"),
    ],
)
def test_compare_errors(risks, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        compare(Binary([0, 1, 0, 1]), risks, n_boot=5, **kwargs)


def test_compare_refuses_misaligned_series():
    from irdp.exceptions import IndexMismatchError

    y = Binary(pd.Series([0, 1, 0, 1], index=[10, 11, 12, 13]))
    good = pd.Series([0.1, 0.6, 0.2, 0.7], index=[10, 11, 12, 13])
    bad = pd.Series([0.1, 0.6, 0.2, 0.7], index=[13, 12, 11, 10])
    with pytest.raises(IndexMismatchError, match="never aligns"):
        compare(y, {"a": good, "b": bad}, scoring=["brier"], n_boot=5, levels=None)


def test_levels_from_a_fitted_risk_levels_object():
    from irdp.models import RiskLevels

    y, risks = _data()
    lv = RiskLevels(thresholds=(0.1, 0.3)).fit(risks["model"])
    a = compare(y, risks, levels=lv, scoring=["brier"], n_boot=5, seed=1)
    b = compare(y, risks, levels=(0.1, 0.3), scoring=["brier"], n_boot=5, seed=1)
    pd.testing.assert_frame_equal(a.crosstabs[("model", "local")],
                                  b.crosstabs[("model", "local")])
    ok = np.isfinite(risks["local"])
    expected = pd.Series(lv.transform(risks["model"][ok])).value_counts()
    got = a.crosstabs[("model", "local")].loc["all"].sum(axis=1)
    assert got["forte"] == expected.get("forte", 0)


def test_bootstrap_p_value_never_below_one_over_b_plus_one():
    """Issue 12: a paired bootstrap with B = 50 reported p_value 0.0. Two very different
    indices: every replicate difference has the same sign, p = 2/(B+1)."""
    rng = np.random.default_rng(4)
    n = 400
    x = rng.normal(size=n)
    y = Binary(rng.random(n) < 1 / (1 + np.exp(-(2 * x - 1))))
    good = 1 / (1 + np.exp(-(2 * x - 1)))
    noise = np.full(n, 0.3)
    res = compare(y, {"good": good, "flat": noise}, scoring=["brier"], n_boot=50, seed=1,
                  levels=None)
    p = res.differences.set_index("measure").loc["brier", "p_value"]
    assert p == pytest.approx(2 / 51)
    assert p >= 1 / 51


def test_default_levels_derived_from_incidence_for_a_rare_outcome():
    """Issue 12: fixed levels 0.1/0.3 put nearly every worker in "faible" for a 1 %
    outcome; the default cut-offs are the incidence and 3 times it, and the result says so."""
    rng = np.random.default_rng(2)
    n = 6000
    x = rng.normal(size=n)
    p1 = 1 / (1 + np.exp(-(-4.8 + 0.9 * x)))
    y = Binary(rng.random(n) < p1)
    p2 = 1 / (1 + np.exp(-(-4.8 + 0.5 * x)))
    res = compare(y, {"a": p1, "b": p2}, scoring=["brier"], n_boot=5, seed=1)
    pi = float(y.y.mean())
    assert 0.005 < pi < 0.03
    assert res.cutoffs == pytest.approx((pi, 3 * pi), rel=0.06)  # 2 significant digits
    assert "incidence" in res.cutoffs_method
    assert "incidence" in res.summary().as_text()
    tab = res.crosstabs[("a", "b")].loc["all"]
    share_faible = tab.loc["faible"].sum() / n
    assert share_faible < 0.9  # with 0.1/0.3 it would be > 0.99
    fixed = compare(y, {"a": p1, "b": p2}, scoring=["brier"], n_boot=5, seed=1,
                    levels=(0.1, 0.3))
    assert fixed.crosstabs[("a", "b")].loc["all"].loc["faible"].sum() / n > 0.98
    assert fixed.cutoffs_method == "given"
