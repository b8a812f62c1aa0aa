"""ImputedRiskIndex: imputation inside the model, so resampling designs refit it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from irdp.fairness.measures import weighted_auc
from irdp.missing import ImputedRiskIndex
from irdp.models import LogisticIndex
from irdp.outcomes import Binary


def _data(n=800, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = Binary(rng.random(n) < 1 / (1 + np.exp(-(-0.5 + X["a"] + X["b"]))))
    X.loc[rng.random(n) < 0.3, "b"] = np.nan
    return X, y


def test_fit_predict_and_clone():
    X, y = _data()
    model = ImputedRiskIndex(LogisticIndex(), m=3, max_iter=3, random_state=2)
    with pytest.raises(NotFittedError):
        model.predict_risk(X)
    model.fit(X, y)
    assert len(model.estimators_) == 3
    r1 = model.predict_risk(X)
    r2 = clone(model).fit(X, y).predict_risk(X)
    np.testing.assert_allclose(r1, r2)  # deterministic for a random_state
    assert weighted_auc(y, r1) > 0.75
    complete = X.dropna()
    expect = np.mean([e.predict_risk(complete) for e in model.estimators_], axis=0)
    np.testing.assert_allclose(model.predict_risk(complete), expect)


def test_imputation_beats_dropping_the_incomplete_field():
    X, y = _data(n=1500, seed=4)
    Xt, yt = _data(n=1500, seed=5)
    mi = ImputedRiskIndex(LogisticIndex(), m=3, max_iter=3, random_state=0).fit(X, y)
    drop = LogisticIndex().fit(X[["a"]], y)
    assert weighted_auc(yt, mi.predict_risk(Xt)) > weighted_auc(yt, drop.predict_risk(Xt[["a"]]))


def test_predict_errors():
    X, y = _data(n=300)
    model = ImputedRiskIndex(LogisticIndex(), m=2, max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="lacks the columns"):
        model.predict_risk(X[["a"]])
    with pytest.raises(TypeError, match="DataFrame"):
        model.predict_risk(X.to_numpy())


def test_bootstrap_validate_refits_imputation_in_each_resample():
    """Wrapped in ImputedRiskIndex, MI is cloned and refitted in every bootstrap sample."""
    from irdp.validation import bootstrap_validate

    X, y = _data(n=600, seed=8)
    calls = []

    class Counting(ImputedRiskIndex):
        def fit(self, X, y):
            calls.append(int(X.isna().sum().sum()))
            return super().fit(X, y)

    res = bootstrap_validate(Counting(LogisticIndex(), m=2, max_iter=2, random_state=0),
                             X, y, n_boot=4, seed=1, n_jobs=1)
    assert len(calls) == 5  # the apparent fit and one per bootstrap sample
    assert all(c > 0 for c in calls)  # each fit saw (and imputed) missing values itself
    table = res.to_frame()
    assert table.loc["c_harrell", "n"] == 4
    assert 0.6 < res.corrected("c") < 0.9


def test_export_round_trip_without_development_rows():
    """The export holds the m indices and, per imputation, the deployment imputation model
    (means, SDs, regression coefficients: p + p + p^2 numbers), never the imputed rows."""
    import json

    from irdp.models import load

    X, y = _data(n=500, seed=3)
    model = ImputedRiskIndex(LogisticIndex(), m=3, max_iter=3, random_state=4).fit(X, y)
    spec = json.loads(json.dumps(model.export(), allow_nan=False))
    assert spec["model"] == "ImputedRiskIndex"
    for dm in spec["state"]["deployment_models"]:
        assert len(dm["mean"]) == len(dm["sd"]) == X.shape[1]
        assert np.asarray(dm["coef"]).shape == (X.shape[1], X.shape[1])
    assert "imputed" not in json.dumps(spec)
    again = load(spec)
    np.testing.assert_array_equal(again.predict_risk(X), model.predict_risk(X))
    # new rows are completed one by one: a row's risk does not depend on the other rows
    np.testing.assert_array_equal(model.predict_risk(X.iloc[:7]), model.predict_risk(X)[:7])
    assert list(model.summary().index) == ["a", "b"]  # Rubin-pooled coefficients


def test_deployment_completion_is_the_conditional_mean():
    """With b = 2a + noise in development, a missing b is completed near 2a."""
    rng = np.random.default_rng(9)
    a = rng.normal(size=2000)
    X = pd.DataFrame({"a": a, "b": 2 * a + rng.normal(0, 0.1, 2000)})
    y = Binary(rng.random(2000) < 1 / (1 + np.exp(-X["a"])))
    model = ImputedRiskIndex(LogisticIndex(), m=2, max_iter=2, random_state=0).fit(X, y)
    new = pd.DataFrame({"a": [1.0, -0.5], "b": [np.nan, np.nan]})
    done = model._completed(new)
    for d in done:
        np.testing.assert_allclose(d["b"], [2.0, -1.0], atol=0.05)
