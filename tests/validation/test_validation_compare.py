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
    return compare(y, risks, scoring=["c", "brier"], n_boot=60, seed=3, n_jobs=n_jobs)


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
    row = _result().differences.set_index("measure").loc["c"]
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
    assert d.loc["c", "difference"] == pytest.approx(0.0, abs=1e-12)  # same ranking
    assert d.loc["oe", "lower"] < d.loc["oe", "difference"] < d.loc["oe", "upper"]
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
