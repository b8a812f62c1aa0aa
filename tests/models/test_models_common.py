"""The shared protocol, run over every index of irdp.testing.all_risk_indices()."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from irdp.exceptions import IndexMismatchError, UndefinedMetricWarning
from irdp.models import CauseSpecificCoxIndex, load
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.privacy import DEFAULT_THRESHOLD
from irdp.testing import all_risk_indices, make_index_data

INDICES = all_risk_indices()
IDS = [name for name, *_ in INDICES]
DATA = make_index_data(400)


def _summary(est):
    with warnings.catch_warnings():
        # penalised fits warn that SEs are undefined; that is part of their contract
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return est.summary()


@pytest.fixture(scope="module", params=INDICES, ids=IDS)
def fitted(request):
    name, est, outcome, cols = request.param
    X, y = DATA["X"][cols], DATA[outcome]
    return name, clone(est).fit(X, y), X, y


def test_registry_names_unique():
    assert len(set(IDS)) == len(IDS) >= 10


def test_every_risk_index_is_registered_and_covered():
    """Every class of irdp deriving from RiskIndexMixin (all modules imported) is registered
    for export/load, and all_risk_indices() has examples of every registered index."""
    import importlib
    import pkgutil

    import irdp
    from irdp.models.base import RiskIndexMixin, registered_models

    for mod in pkgutil.walk_packages(irdp.__path__, "irdp."):
        if not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)
    seen, todo = set(), [RiskIndexMixin]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("irdp.") and sub not in seen:
                seen.add(sub)
                todo.append(sub)
    registry = registered_models()
    assert {c.__name__ for c in seen} <= set(registry)
    covered = {type(est).__name__ for _, est, _, _ in INDICES}
    assert covered == {n for n, c in registry.items() if issubclass(c, RiskIndexMixin)}
    assert "ImputedRiskIndex" in covered


@pytest.mark.parametrize(("name", "est", "outcome", "cols"), INDICES, ids=IDS)
def test_clone_and_params(name, est, outcome, cols):
    c = clone(est)
    assert c.get_params(deep=False).keys() == est.get_params(deep=False).keys()
    with pytest.raises(NotFittedError):
        c.predict_risk(DATA["X"][cols], horizon=DATA["horizon"])


def test_fit_predict_summary_export_load(fitted):
    name, m, X, y = fitted
    h = DATA["horizon"]
    lp = m.linear_predictor(X)
    risk = m.predict_risk(X, horizon=h)
    assert lp.shape == risk.shape == (len(X),)
    assert np.all(np.isfinite(lp))
    assert np.all((risk >= 0) & (risk <= 1))
    assert isinstance(m.coef_, pd.Series)
    assert isinstance(m.se_, pd.Series)
    assert list(m.coef_.index) == list(m.se_.index)
    s = _summary(m)
    assert list(s.columns[:6]) == ["coef", "se", "z", "p", "ci_lower", "ci_upper"]
    assert s.shape[1] == 7  # plus the exponentiated effect
    # strict JSON, keys sorted as a run writes them (the design fixes the column order)
    spec = json.loads(json.dumps(m.export(horizon=h), allow_nan=False, sort_keys=True))
    m2 = load(spec)
    published = m
    if isinstance(m, CauseSpecificCoxIndex) and m.grid_min_events is None:
        # an exact CSC model reveals every event day: its export is its confidential grid
        published = m.to_grid(DEFAULT_THRESHOLD)
        assert np.max(np.abs(published.predict_risk(X, horizon=h) - risk)) < 0.01
    np.testing.assert_array_equal(m2.predict_risk(X, horizon=h),
                                  published.predict_risk(X, horizon=h))
    np.testing.assert_array_equal(m2.linear_predictor(X), lp)
    # a fitted estimator clones to an unfitted one
    assert not hasattr(clone(m), "coef_")


def test_higher_linear_predictor_means_higher_risk(fitted):
    name, m, X, y = fitted
    lp = m.linear_predictor(X)
    risk = m.predict_risk(X, horizon=DATA["horizon"])
    order = np.argsort(lp, kind="stable")
    # risks are non-decreasing in the linear predictor (single-model, single-stratum
    # indices; CSC risk also depends on the competing cause's lp, strata on the baseline)
    if name not in ("cause_specific_cox", "cause_specific_cox_grid", "cox_strata",
                    "imputed_logistic", "imputed_cox"):  # and means of m models' risks
        assert np.all(np.diff(risk[order]) >= -1e-12)


def test_predictions_invariant_to_row_order_and_index(fitted):
    name, m, X, y = fitted
    perm = np.random.default_rng(0).permutation(len(X))
    Xp = X.iloc[perm].set_index(pd.Index(np.arange(len(X)) * 7 + 3))
    np.testing.assert_allclose(m.predict_risk(Xp, horizon=DATA["horizon"]),
                               m.predict_risk(X, horizon=DATA["horizon"])[perm], rtol=1e-12)


@pytest.mark.parametrize(("name", "est", "outcome", "cols"), INDICES, ids=IDS)
def test_length_mismatch_and_wrong_outcome(name, est, outcome, cols):
    X, y = DATA["X"][cols], DATA[outcome]
    with pytest.raises(ValueError, match="same number of rows"):
        clone(est).fit(X.iloc[:-1], y)
    with pytest.raises(TypeError, match="irdp.outcomes container"):
        clone(est).fit(X, np.zeros(len(X)))


@pytest.mark.parametrize(("name", "est", "outcome", "cols"), INDICES, ids=IDS)
def test_index_mismatch(name, est, outcome, cols):
    X = DATA["X"][cols].set_index(pd.Index(np.arange(len(DATA["X"])) + 1000))
    y0 = DATA[outcome]
    frame = y0.to_frame()
    if isinstance(y0, Binary):
        y = Binary(pd.Series(y0.y, index=np.arange(len(X))), horizon=y0.horizon)
    elif isinstance(y0, Survival):
        y = Survival(pd.Series(frame["time"].to_numpy()), pd.Series(frame["event"].to_numpy()))
    else:
        y = CompetingRisks(pd.Series(y0.time), pd.Series(y0.cause))
    with pytest.raises(IndexMismatchError):
        clone(est).fit(X, y)
