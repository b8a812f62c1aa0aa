"""Model updating and the closed testing procedure (hand-checked against statsmodels GLM)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from irdp.models import CoxIndex, LogisticIndex
from irdp.outcomes import Binary, Survival
from irdp.validation import apply_shrinkage, closed_test, update_model

RNG_SEED = 20240601


def _dev():
    rng = np.random.default_rng(RNG_SEED)
    X = pd.DataFrame(rng.normal(size=(3000, 3)), columns=list("abc"))
    lin = X.to_numpy() @ np.array([1.0, 0.5, 0.0])
    model = LogisticIndex().fit(X, Binary(rng.random(3000) < 1 / (1 + np.exp(1 - lin))))
    return rng, X, lin, model


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [("same", "original"), ("shift", "intercept"), ("slope", "recalibration"), ("new", "refit")],
)
def test_closed_test_picks_the_simulated_update(scenario, expected):
    rng, X, lin, model = _dev()
    eta = {
        "same": -1 + lin,
        "shift": -0.2 + lin,
        "slope": -1 + 0.5 * lin,
        "new": -1 + X.to_numpy() @ np.array([1.0, -0.5, 0.7]),
    }[scenario]
    y_new = Binary(rng.random(3000) < 1 / (1 + np.exp(-eta)))
    res = closed_test(model, X, y_new)
    assert res.method == expected
    assert res.tests["df"].iloc[0] == 4  # refit (p + 1 = 4 params) vs original (0)
    assert "Chosen" in res.summary().as_text()


def test_recalibration_matches_glm():
    """R/statsmodels: glm(y ~ lp_full) gives the intercept a and slope b; the updated model's
    risks are expit(a + b lp_full)."""
    rng, X, _, model = _dev()
    lp_full = model.intercept_ + model.linear_predictor(X)
    y_new = Binary(rng.random(3000) < 1 / (1 + np.exp(-(0.3 + 0.6 * lp_full))))
    upd = update_model(model, X, y_new, method="recalibration")
    glm = sm.GLM(y_new.y, sm.add_constant(lp_full), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(upd.coef_ / model.coef_, glm.params[1], rtol=1e-8)
    np.testing.assert_allclose(upd.predict_risk(X), glm.predict(sm.add_constant(lp_full)),
                               atol=1e-10)
    assert upd.updated_["method"] == "recalibration"
    assert model.coef_.equals(_dev()[3].coef_)  # original untouched


def test_intercept_update_matches_observed_prevalence_and_revision():
    rng, X, lin, model = _dev()
    y_new = Binary(rng.random(3000) < 1 / (1 + np.exp(-(lin - 0.3))))
    upd = update_model(model, X, y_new, method="intercept")
    # score equation of an intercept-only offset model: mean risk = prevalence
    assert upd.predict_risk(X).mean() == pytest.approx(y_new.prevalence, abs=1e-9)
    assert upd.coef_.equals(model.coef_)
    rev = update_model(model, X, y_new, method="revision", revise=["c"])
    glm = sm.GLM(y_new.y, sm.add_constant(np.column_stack([
        model.intercept_ + model.linear_predictor(X), X["c"]])),
        family=sm.families.Binomial()).fit()
    assert rev.coef_["c"] == pytest.approx(glm.params[1] * model.coef_["c"] + glm.params[2],
                                           rel=1e-7)


def _cox_data(seed, scale=1.0, rate=0.1):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(2000, 2)), columns=["a", "b"])
    t = rng.exponential(1 / (rate * np.exp(scale * (X.to_numpy() @ np.array([0.9, 0.4])))))
    c = rng.uniform(1, 10, 2000)
    return X, Survival(np.minimum(t, c), t <= c)


def test_cox_updating_and_closed_test():
    X, y = _cox_data(1)
    model = CoxIndex(ties="breslow").fit(X, y)
    X2, y2 = _cox_data(2, scale=0.5, rate=0.25)
    res = closed_test(model, X2, y2)
    assert res.method == "recalibration"
    upd = res.model
    ref = CoxIndex(ties="breslow").fit(pd.DataFrame({"lp": model.linear_predictor(X2)}), y2)
    np.testing.assert_allclose(upd.coef_ / model.coef_, ref.coef_["lp"], rtol=1e-7)
    # baseline re-estimated on the new data: Breslow, identical to the reference fit's
    np.testing.assert_allclose(upd.predict_risk(X2, horizon=3.0),
                               ref.predict_risk(pd.DataFrame({"lp": model.linear_predictor(X2)}),
                                                horizon=3.0), rtol=1e-8)


def test_apply_shrinkage():
    rng, X, lin, model = _dev()
    y = Binary(rng.random(3000) < 1 / (1 + np.exp(1 - lin)))
    shrunk = apply_shrinkage(model, 0.8, X, y)
    np.testing.assert_allclose(shrunk.coef_, 0.8 * model.coef_)
    assert shrunk.predict_risk(X).mean() == pytest.approx(y.prevalence, abs=1e-9)
    Xc, yc = _cox_data(3)
    cox = CoxIndex().fit(Xc, yc)
    sc = apply_shrinkage(cox, 0.9, Xc, yc)
    np.testing.assert_allclose(sc.coef_, 0.9 * cox.coef_)
    assert sc.shrinkage_ == 0.9


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda m, X, y: update_model(m, X, y, method="magic"), ValueError, "method must be"),
        (lambda m, X, y: update_model(m, X, y, method="revision"), ValueError, "revise="),
        (lambda m, X, y: update_model(m, X, y, method="revision", revise=["zz"]), ValueError,
         "unknown design columns"),
        (lambda m, X, y: apply_shrinkage(m, -1, X, y), ValueError, "positive"),
        (lambda m, X, y: closed_test(m, X, y, alpha=2), ValueError, "alpha"),
        (lambda m, X, y: update_model(LogisticIndex(), X, y), ValueError, "fitted"),
        (lambda m, X, y: update_model(object(), X, y), TypeError, "LogisticIndex or CoxIndex"),
    ],
)
def test_updating_errors(call, exc, match):
    rng, X, lin, model = _dev()
    y = Binary(rng.random(3000) < 0.3)
    with pytest.raises(exc, match=match):
        call(model, X, y)
