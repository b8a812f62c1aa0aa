"""Input checks of the candidate indices: every bad input gets a clear error or warning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.exceptions import (
    ConvergenceError,
    InsufficientDataError,
    SeparationWarning,
    UndefinedMetricWarning,
)
from irdp.models import CauseSpecificCoxIndex, CoxIndex, FineGrayIndex, LogisticIndex
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.testing import make_index_data

DATA = make_index_data(300)
X = DATA["X"][["age", "sex", "absence_days"]]


def _with(col, values):
    return X.assign(**{col: values})


FAILURES = [
    # (id, model, X, y, error, match)
    ("non-numeric column", LogisticIndex(), X, DATA["binary"], TypeError, "must be numeric"),
    ("all-missing column", LogisticIndex(categorical={"sex": "M"}),
     _with("absence_days", np.nan), DATA["binary"], ValueError, "entirely missing"),
    ("some missing", LogisticIndex(categorical={"sex": "M"}),
     _with("age", np.r_[np.nan, X["age"].to_numpy()[1:]]), DATA["binary"], ValueError,
     "must not contain missing values"),
    ("constant column", CoxIndex(categorical={"sex": "M"}), _with("absence_days", 3.0),
     DATA["survival"], ValueError, "constant"),
    ("unknown reference", LogisticIndex(categorical={"sex": "X"}), X, DATA["binary"],
     ValueError, "reference level"),
    ("no events (binary)", LogisticIndex(categorical={"sex": "M"}), X,
     Binary(np.zeros(len(X))), ValueError, "both events and non-events"),
    ("no events (cox)", CoxIndex(categorical={"sex": "M"}), X,
     Survival(np.ones(len(X)), np.zeros(len(X))), ValueError, "no event"),
    ("no events (fine-gray)", FineGrayIndex(categorical={"sex": "M"}), X,
     CompetingRisks(np.ones(len(X)), np.full(len(X), 2)), ValueError, "no event of interest"),
    ("bad ties", CoxIndex(ties="exact"), X, DATA["survival"], ValueError, "ties must be"),
    ("bad penalty", LogisticIndex(penalty="l3"), X, DATA["binary"], ValueError, "penalty must"),
    ("survival to logistic", LogisticIndex(), X, DATA["survival"], TypeError, "Binary"),
]


@pytest.mark.parametrize(("model", "X", "y", "error", "match"),
                         [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_fit_failures(model, X, y, error, match):
    with pytest.raises(error, match=match):
        model.fit(X, y)


def test_horizon_beyond_follow_up_and_missing_horizon():
    m = CoxIndex(categorical={"sex": "M"}).fit(X, DATA["survival"])
    with pytest.raises(ValueError, match="beyond the last follow-up"):
        m.predict_risk(X, horizon=100.0)
    with pytest.raises(ValueError, match="horizon is required"):
        m.predict_risk(X)
    fg = FineGrayIndex(categorical={"sex": "M"}).fit(X, DATA["competing"])
    with pytest.raises(ValueError, match="beyond the last follow-up"):
        fg.predict_risk(X, horizon=100.0)


def test_predict_checks_columns_and_levels():
    m = LogisticIndex(categorical={"sex": "M"}).fit(X, DATA["binary"])
    with pytest.raises(ValueError, match="lacks the columns"):
        m.predict_risk(X.drop(columns="age"))
    with pytest.raises(ValueError, match="unseen at fit"):
        m.predict_risk(X.assign(sex="U"))
    with pytest.raises(ValueError, match="different from|differs from"):
        m.predict_risk(X, horizon=5.0)


def test_logistic_separation_warns():
    x = np.r_[np.linspace(-2, -0.1, 50), np.linspace(0.1, 2, 50)]
    y = Binary((x > 0).astype(int))
    with pytest.warns(SeparationWarning, match="separation"):
        LogisticIndex().fit(pd.DataFrame({"x": x}), y)


def test_cox_monotone_likelihood_warns():
    rng = np.random.default_rng(1)
    g = np.r_[np.zeros(60), np.ones(60)]
    time = np.r_[rng.uniform(5, 10, 60), rng.uniform(0, 4, 60)]
    event = np.r_[np.zeros(60), np.ones(60)]  # every event in group 1, before any censoring
    with pytest.warns(SeparationWarning, match="separates"):
        CoxIndex(max_iter=30).fit(pd.DataFrame({"g": g}), Survival(time, event))


def test_array_input_gets_column_names():
    Z = np.column_stack([X["age"], X["absence_days"]])
    m = LogisticIndex().fit(Z, DATA["binary"])
    assert list(m.coef_.index) == ["x0", "x1"]


def test_penalised_logistic_shrinks_and_selects():
    rng = np.random.default_rng(3)
    n = 600
    Z = pd.DataFrame(rng.normal(size=(n, 8)), columns=[f"z{j}" for j in range(8)])
    eta = -0.5 + 0.8 * Z["z0"] - 0.6 * Z["z1"]  # z2..z7 are noise
    y = Binary(rng.random(n) < 1 / (1 + np.exp(-eta)))
    ml = LogisticIndex().fit(Z, y)
    ridge = LogisticIndex(penalty="l2", random_state=0).fit(Z, y)
    lasso = LogisticIndex(penalty="l1", random_state=0).fit(Z, y)
    assert np.sum(ridge.coef_ ** 2) < np.sum(ml.coef_ ** 2)  # shrinkage
    assert ridge.C_ > 0
    assert lasso.coef_.abs().sum() < ml.coef_.abs().sum()  # L1 shrinkage
    assert abs(lasso.coef_["z0"]) > 0.3
    assert ridge.se_.isna().all()
    with pytest.warns(UndefinedMetricWarning, match="not defined after penalised"):
        ridge.summary()


def test_score_is_discrimination():
    m = CoxIndex(categorical={"sex": "M"}).fit(X, DATA["survival"])
    c = m.score(X, DATA["survival"])
    assert 0.5 < c < 1
    lg = LogisticIndex(categorical={"sex": "M"}).fit(X, DATA["binary"])
    assert 0.5 < lg.score(X, DATA["binary"]) < 1


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (CoxIndex(max_iter=0), "'max_iter' parameter of CoxIndex must be an int"),
        (LogisticIndex(tol=-1.0), r"'tol' parameter of LogisticIndex.*\(0, inf\)"),
        (LogisticIndex(penalty="l2", cv=1), "'cv' parameter"),
        (LogisticIndex(l1_ratio=1.5), "'l1_ratio' parameter"),
        (FineGrayIndex(max_iter=2.5), "'max_iter' parameter"),
    ],
)
def test_bad_hyper_parameters(model, match):
    y = DATA["competing"] if isinstance(model, FineGrayIndex) else (
        DATA["survival"] if isinstance(model, CoxIndex) else DATA["binary"])
    with pytest.raises(ValueError, match=match):
        model.fit(X[["age"]], y)


def test_cox_coefficient_running_to_infinity_is_flagged():
    """A covariate equal to the event indicator: coxph warns 'Loglik converged before
    variable 2; coefficient may be infinite'; irdp gives SeparationWarning and
    converged_ = False (it used to report coef 37.9, SE NaN and converged True)."""
    y = DATA["survival"]
    Xs = X[["age"]].assign(ev=y.event.astype(float))
    with pytest.warns(SeparationWarning, match=r"\['ev'\] run to infinity"):
        m = CoxIndex().fit(Xs, y)
    assert m.converged_ is False
    assert m.coef_["ev"] > 10
    with pytest.warns(SeparationWarning, match="monotone likelihood"):
        cs = CauseSpecificCoxIndex().fit(Xs.assign(ev=(DATA["competing"].cause == 1) * 1.0),
                                         DATA["competing"])
    assert cs.converged_ is False
    assert np.all(np.isfinite(cs.predict_risk(Xs.head(20), horizon=2.0)))  # no NaN risk


@pytest.mark.parametrize("model", [CoxIndex(), LogisticIndex()])
def test_all_zero_weights_give_a_clear_error(model):
    y = DATA["survival"] if isinstance(model, CoxIndex) else DATA["binary"]
    with pytest.raises(ValueError, match="at least one positive value; all 300 weights are 0"):
        model.fit(X[["age"]], y, sample_weight=np.zeros(len(X)))


def test_zero_weight_on_every_event_is_insufficient_data():
    y = DATA["survival"]
    w = np.where(y.event, 0.0, 1.0)
    with pytest.raises(InsufficientDataError, match="no event"):
        CoxIndex().fit(X[["age"]], y, sample_weight=w)


def test_data_limits_raise_typed_errors():
    """Valid data that cannot support a fit raise ComputationError subclasses (a run records
    them as the step's failure), never a bare ValueError."""
    with pytest.raises(InsufficientDataError, match="constant"):
        CoxIndex(categorical={"sex": "M"}).fit(X.assign(absence_days=3.0), DATA["survival"])
    with pytest.raises(InsufficientDataError, match="no event of interest"):
        FineGrayIndex().fit(X[["age"]], CompetingRisks(np.ones(len(X)), np.full(len(X), 2)))
    collinear = X[["age"]].assign(age2=2 * X["age"])
    with pytest.raises(ConvergenceError, match="singular"):
        CoxIndex().fit(collinear, DATA["survival"])


def test_no_import_cycle_between_models_modules():
    """models.base no longer imports points or scoring (the old base <-> points <-> scoring
    cycle), and no two modules of irdp.models / irdp._stats import each other."""
    grimp = pytest.importorskip("grimp")
    g = grimp.build_graph("irdp", cache_dir=None)
    for other in ("irdp.models.points", "irdp.models.scoring"):
        assert g.find_shortest_chain(importer="irdp.models.base", imported=other) is None
    mods = sorted(m for m in g.modules if m.startswith(("irdp.models", "irdp._stats")))
    cycles = [(a, b) for i, a in enumerate(mods) for b in mods[i + 1:]
              if g.chain_exists(importer=a, imported=b) and g.chain_exists(importer=b, imported=a)]
    assert cycles == []
    assert g.find_shortest_chain(importer="irdp._stats.cox", imported="irdp.metrics") is None


def test_rare_cause_gives_finite_risks_and_no_confidential_grid():
    """A cause-specific model of a rare cause diverged (|coef| up to 345 in the old engine)
    until exp(lp) overflowed on held-out rows: inf x 0 baseline jumps gave NaN risks and a
    FloatingPointError (the 3,000-worker run). Diverging coefficients are now reported
    (SeparationWarning) and never produce NaN risks; the real data limit -- too few events of
    a cause to publish its hazard -- is an InsufficientDataError of the confidential grid."""
    rng = np.random.default_rng(3)
    n = 400
    Xr = pd.DataFrame(rng.integers(0, 2, (n, 8)).astype(float),
                      columns=[f"b{j}" for j in range(8)])
    time = rng.exponential(1, n)
    cause = np.where(rng.random(n) < 0.3, 1, 0)
    rare = np.flatnonzero((cause == 0) & (Xr["b0"].to_numpy() == 1))[:6]
    cause[rare] = 3  # 6 deaths, all with b0 = 1: the cause-3 coefficient of b0 diverges
    y = CompetingRisks(time, cause)
    with pytest.warns(SeparationWarning, match="cause 3"):
        m = CauseSpecificCoxIndex().fit(Xr, y)
    risk = m.predict_risk(Xr.assign(b0=50.0), horizon=1.0)  # extreme values: exp overflows
    assert np.all(np.isfinite(risk))
    assert np.all((risk >= 0) & (risk <= 1))
    with pytest.warns(SeparationWarning), pytest.raises(
            InsufficientDataError, match=r"cause 3: <11"):
        CauseSpecificCoxIndex(grid_min_events=11).fit(Xr, y)
