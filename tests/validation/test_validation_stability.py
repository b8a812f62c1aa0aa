"""Model stability (Riley & Collins 2023) and its displays.

Reference values: ``tests/reference/stability/reference.R`` computes the pminternal 0.1.0
definitions (``R/stability_plot.R`` of github.com/stephenrho/pminternal, commit 01f0b5e) with
base R 4.2.2 on ``predictions.csv``; the other checks recompute every quantity directly from
the published definitions, with loops and a hand-written type-7 quantile.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.metrics import roc_auc_score

from irdp.exceptions import InsufficientDataError, IrdpWarning, SmallGroupWarning
from irdp.models import CoxIndex, LogisticIndex, RiskLevels
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.plotting import (
    CalibrationInstabilityDisplay,
    CentreCalibrationDisplay,
    ClassificationInstabilityDisplay,
    DecisionCurveInstabilityDisplay,
    MapeDisplay,
    PredictionInstabilityDisplay,
)
from irdp.validation import (
    StabilityResult,
    bootstrap_validate,
    centre_calibration,
    stability,
    stability_from_predictions,
)
from irdp.validation.stability import COUNT_COLUMNS

REF = Path(__file__).parents[1] / "reference" / "stability"
VALUES = json.loads((REF / "values.json").read_text())


@pytest.fixture(scope="module")
def binary_data() -> tuple[pd.DataFrame, Binary]:
    rng = np.random.default_rng(20240601)
    n = 400
    X = pd.DataFrame({"age": rng.normal(0, 1, n), "sick": rng.binomial(1, 0.3, n),
                      "noise": rng.normal(0, 1, n)})
    eta = -1.5 + 0.8 * X["age"] + 1.0 * X["sick"]
    y = Binary((rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int))
    return X, y


@pytest.fixture(scope="module")
def binary_result(binary_data) -> StabilityResult:
    X, y = binary_data
    return stability(LogisticIndex(), X, y, n_boot=20, seed=11, n_jobs=1, levels=(0.15, 0.4))


def _quantile7(values: list[float], p: float) -> float:
    """R's quantile(type = 7), written out: x[j] + (h - j)(x[j+1] - x[j]), h = (n-1)p."""
    x = sorted(values)
    h = (len(x) - 1) * p
    j = math.floor(h)
    return x[j] if j + 1 >= len(x) else x[j] + (h - j) * (x[j + 1] - x[j])


# --------------------------------------------------------------------------- references
@pytest.mark.reference
def test_definitions_match_pminternal_in_r():
    """Per-worker percentiles, MAPE, CII and level changes equal the R computation of
    pminternal 0.1.0's definitions on a matrix with tied risks and risks on the thresholds.

    pminternal classifies with ``p > t``; irdp with ``p >= t`` (as its decision curves and
    RiskLevels): they agree for every worker without a risk exactly on the threshold.
    """
    ref = VALUES["stability"]
    pr = pd.read_csv(REF / "predictions.csv")
    p0, P = pr["p0"].to_numpy(), pr.drop(columns="p0").to_numpy().T
    y = Binary(np.r_[np.ones(20), np.zeros(20)].astype(int))
    res = stability_from_predictions(y, p0, P, levels=(0.2, 0.4), thresholds=[0.2, 0.4],
                                     curves=False, n_jobs=1)
    ind = res.individuals
    for col in ("lower", "median", "upper", "mape", "level_change"):
        np.testing.assert_allclose(ind[col], ref[col], rtol=1e-12, atol=1e-15, err_msg=col)
    assert res.mape == pytest.approx(ref["average_mape"], rel=1e-12)
    for t in ("0.2", "0.4"):
        np.testing.assert_allclose(ind[f"cii_{t}"], ref[f"cii_ge_{t}"], atol=1e-15)
        on_threshold = (np.isclose(P, float(t)).any(axis=0) | np.isclose(p0, float(t)))
        np.testing.assert_allclose(ind[f"cii_{t}"][~on_threshold],
                                   np.asarray(ref[f"cii_gt_{t}"])[~on_threshold], atol=1e-15)
        assert on_threshold.any()  # the fixture does exercise the difference
    share = res.transitions[["faible", "intermédiaire", "forte"]].to_numpy()
    np.testing.assert_allclose(share, ref["transitions"], rtol=1e-12)
    assert res.transitions["n"].tolist() == ref["n_level"]


def test_outputs_equal_a_direct_computation(binary_data, binary_result):
    """Refit by hand on the bootstrap samples of the published resampling scheme (sample b =
    first draw of the b-th stream spawned from the seed) and recompute every definition."""
    X, y = binary_data
    res = binary_result
    n, B = len(X), 20
    risk = LogisticIndex().fit(X, y).predict_risk(X)
    streams = np.random.SeedSequence(11).spawn(B)
    boot = []
    for s in streams:
        rows = np.random.default_rng(s).integers(0, n, size=n)
        m = LogisticIndex().fit(X.iloc[rows], y.take(rows))
        boot.append(m.predict_risk(X))
    np.testing.assert_allclose(res.risk, risk, rtol=1e-12)
    np.testing.assert_allclose(res.predictions, np.array(boot), rtol=1e-12)
    cut = (0.15, 0.4)

    def level(p: float) -> int:
        return int(p >= cut[0]) + int(p >= cut[1])

    for i in range(0, n, 37):
        ps = [boot[b][i] for b in range(B)]
        row = res.individuals.iloc[i]
        assert row["lower"] == pytest.approx(_quantile7(ps, 0.025), rel=1e-12)
        assert row["median"] == pytest.approx(_quantile7(ps, 0.5), rel=1e-12)
        assert row["upper"] == pytest.approx(_quantile7(ps, 0.975), rel=1e-12)
        assert row["mape"] == pytest.approx(sum(abs(p - risk[i]) for p in ps) / B, rel=1e-12)
        assert row["level_change"] == pytest.approx(
            sum(level(p) != level(risk[i]) for p in ps) / B, abs=1e-15)
        for t in cut:
            assert row[f"cii_{t:g}"] == pytest.approx(
                sum((p >= t) != (risk[i] >= t) for p in ps) / B, abs=1e-15)
    mape = np.mean([np.mean([abs(boot[b][i] - risk[i]) for b in range(B)]) for i in range(n)])
    assert res.mape == pytest.approx(mape, rel=1e-12)
    levels = np.array([level(p) for p in risk])
    for code, name in enumerate(("faible", "intermédiaire", "forte")):
        members = np.flatnonzero(levels == code)
        assert res.by_level.loc[name, "n"] == len(members)
        moved = np.array([[level(boot[b][i]) for b in range(B)] for i in members])
        for to, to_name in enumerate(("faible", "intermédiaire", "forte")):
            assert res.transitions.loc[name, to_name] == pytest.approx(np.mean(moved == to))


def test_same_bootstrap_samples_as_bootstrap_validate(binary_data, binary_result):
    """For the same seed, bootstrap_validate's replicate b is tested on the original data with
    the same model as stability's bootstrap model b: their AUCs coincide replicate by
    replicate, so one set of fits can serve both (stability_from_predictions)."""
    X, y = binary_data
    val = bootstrap_validate(
        LogisticIndex(), X, y, n_boot=20, seed=11, n_jobs=1,
        scoring={"auc": lambda yy, r, horizon=None: roc_auc_score(yy.y, r)})
    test_auc = val.replicates.sort_values("replicate")["test"].to_numpy()
    ours = [roc_auc_score(y.y, p) for p in binary_result.predictions]
    np.testing.assert_allclose(ours, test_auc, rtol=1e-12)


def test_fitted_models_predictions_and_refits_agree(binary_data, binary_result):
    X, y = binary_data
    P = binary_result.predictions
    from_pred = stability(LogisticIndex(), X, y, predictions=P, levels=(0.15, 0.4), n_jobs=1)
    direct = stability_from_predictions(y, binary_result.risk, P, levels=(0.15, 0.4), n_jobs=1)
    for other in (from_pred, direct):
        pd.testing.assert_frame_equal(other.individuals, binary_result.individuals)
        pd.testing.assert_frame_equal(other.calibration_curves,
                                      binary_result.calibration_curves)
        pd.testing.assert_frame_equal(other.decision_curves, binary_result.decision_curves)
    streams = np.random.SeedSequence(11).spawn(3)
    models = [LogisticIndex().fit(X.iloc[r], y.take(r)) for r in (
        np.random.default_rng(s).integers(0, len(X), len(X)) for s in streams)]
    from_models = stability(LogisticIndex(), X, y, models=models, levels=(0.15, 0.4), n_jobs=1)
    np.testing.assert_allclose(from_models.predictions, P[:3], rtol=1e-12)


def test_results_do_not_depend_on_n_jobs(binary_data, binary_result):
    from joblib import parallel_config

    X, y = binary_data
    with parallel_config(backend="threading"):  # loky is covered by the resampling tests
        par = stability(LogisticIndex(), X, y, n_boot=4, seed=11, n_jobs=2,
                        levels=(0.15, 0.4), curves=False)
    np.testing.assert_array_equal(par.predictions, binary_result.predictions[:4])


# --------------------------------------------------------------------------- result API
def test_result_tables(binary_result):
    res = binary_result
    assert res.n == 400
    assert res.n_failed == 0
    assert res.predictions.shape == (20, 400)
    frame = res.to_frame()
    assert set(frame["measure"]) == {"mape", "level_change", "classification_instability",
                                     "calibration_instability", "decision_instability"}
    assert frame["n"].dtype == "Int64"
    assert set(COUNT_COLUMNS) & set(frame.columns) == {"n"}
    shares = res.transitions[["faible", "intermédiaire", "forte"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    assert res.by_level["n"].sum() == res.n
    assert (res.individuals["lower"] <= res.individuals["upper"]).all()
    assert res.calibration_instability > 0
    assert res.decision_instability > 0
    band = res.calibration_band
    assert (band["lower"] <= band["upper"]).all()
    text = res.summary().as_text()
    assert "MAPE" in text
    assert "faible < 0.15" in text
    assert "B=20" in repr(res)


def test_levels_from_a_fitted_riskleveles(binary_data):
    X, y = binary_data
    risk = LogisticIndex().fit(X, y).predict_risk(X)
    lv = RiskLevels(method="quantiles", quantiles=(0.6, 0.9)).fit(risk)
    res = stability(LogisticIndex(), X, y, n_boot=5, seed=1, n_jobs=1, levels=lv,
                    curves=False)
    assert res.level_cutoffs == pytest.approx(lv.cutoffs_)
    assert res.thresholds == pytest.approx(lv.cutoffs_)
    assert res.calibration_curves.empty
    default = stability(LogisticIndex(), X, y, n_boot=5, seed=1, n_jobs=1, curves=False)
    assert default.level_cutoffs == pytest.approx(tuple(np.quantile(risk, [0.5, 0.9])))
    assert "percentiles" in default.level_method


class _Fragile(BaseEstimator):
    """A risk index that cannot be fitted on samples missing the worker with x = max(x)."""

    def __init__(self, top: float = 0.0) -> None:
        self.top = top

    def fit(self, X, y):
        X = np.asarray(X, float)
        if X[:, 0].max() < self.top:
            raise InsufficientDataError("the sample lacks the reference worker")
        self.model_ = LogisticIndex().fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
        return self

    def predict_risk(self, X, horizon=None):
        return self.model_.predict_risk(pd.DataFrame(np.asarray(X, float),
                                                     columns=["a", "b", "c"]))


def test_failed_refits_are_counted_and_reported(binary_data):
    X, y = binary_data
    est = _Fragile(top=float(X["age"].max()))
    with pytest.warns(IrdpWarning, match="could not be fitted"):
        res = stability(est, X.to_numpy(), y, n_boot=12, seed=3, n_jobs=1, curves=False,
                        levels=(0.15, 0.4))
    assert 0 < res.n_failed < 12
    assert res.predictions.shape[0] == 12 - res.n_failed
    assert "InsufficientDataError" in res.warnings[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"seed": None}, TypeError, "seed must be given"),
     ({"levels": (0.5, 0.2)}, ValueError, "0 < low < high < 1"),
     ({"levels": "high"}, TypeError, "RiskLevels or a pair"),
     ({"levels": RiskLevels()}, Exception, "unfitted"),
     ({"thresholds": [1.5]}, ValueError, "thresholds must be"),
     ({"interval": 1.0}, ValueError, "interval must be"),
     ({"n_boot": 0}, ValueError, "n_boot must be"),
     ({"predictions": np.zeros((3, 5))}, ValueError, "shape")],
)
def test_stability_refuses_bad_arguments(binary_data, kwargs, error, match):
    X, y = binary_data
    args = {"seed": 1, "n_boot": 2, "n_jobs": 1, "curves": False} | kwargs
    with pytest.raises(error, match=match):
        stability(LogisticIndex(), X, y, **args)


# --------------------------------------------------------------------------- timed outcomes
def _survival(n: int, rng: np.random.Generator, censor: bool = True
              ) -> tuple[pd.DataFrame, Survival]:
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.binomial(1, 0.4, n)})
    t = rng.exponential(1 / (0.15 * np.exp(0.7 * X["a"] + 0.5 * X["b"])))
    c = rng.uniform(1, 6, n) if censor else np.full(n, 10.0)
    return X, Survival(np.minimum(t, c), t <= c)


def test_survival_and_competing_risk_indices():
    rng = np.random.default_rng(5)
    X, y = _survival(500, rng)
    res = stability(CoxIndex(), X, y, horizon=2.0, n_boot=8, seed=2, n_jobs=1)
    assert res.kind == "survival"
    assert res.horizon == 2.0
    assert ((res.predictions >= 0) & (res.predictions <= 1)).all()
    assert res.calibration_curves["replicate"].nunique() == 9
    assert res.decision_band["n_flagged"].dtype.kind == "i"
    # the calibration-instability axes say the horizon and its unit
    ax = res.plot(kind="calibration").axes[0]
    assert ax.get_xlabel() == "Predicted risk by 2 days"
    cause = np.where(y.event, rng.choice([1, 2], len(y), p=[0.7, 0.3]), 0)
    cr = CompetingRisks(y.time, cause)
    res_cr = stability(CoxIndex(), X, cr, horizon=2.0, n_boot=4, seed=2, n_jobs=1)
    assert res_cr.kind == "competing"
    assert res_cr.n_events == int(((cause == 1) & (y.time <= 2.0)).sum())


def test_timed_outcome_without_censoring_reduces_to_binary():
    """Prediction-based measures and the decision curves (Kaplan-Meier = proportion without
    censoring) are those of the binary outcome 'event by the horizon'; the calibration
    curves use each outcome's own smoother (loess for binary, Cox on rcs(cll) for survival)."""
    rng = np.random.default_rng(6)
    X, y = _survival(400, rng, censor=False)
    h = 2.0
    res = stability(CoxIndex(), X, y, horizon=h, n_boot=6, seed=4, n_jobs=1)
    binary = Binary((y.event & (y.time <= h)).astype(int))
    res_b = stability_from_predictions(binary, res.risk, res.predictions,
                                       dca_thresholds=res.decision_band["threshold"], n_jobs=1)
    pd.testing.assert_frame_equal(res.individuals, res_b.individuals)
    pd.testing.assert_frame_equal(res.decision_curves, res_b.decision_curves, rtol=1e-12)
    pd.testing.assert_frame_equal(res.transitions, res_b.transitions)


# --------------------------------------------------------------------------- simulation
@pytest.mark.slow
def test_instability_shrinks_with_development_size():
    """On the synthetic DMST generator, a Cox index on the true covariates redeveloped on
    2,000, 6,000 and 18,000 workers: MAPE and the width of the stability interval shrink
    monotonically (about 1/sqrt(n))."""
    from irdp.synth import generate_dmst

    sim = generate_dmst(30_000, n_spsti=4, seed=21)
    w = sim.truth.workers
    exit_date = w["event_date"].fillna(pd.Timestamp("2024-12-31"))
    years = ((exit_date - w["entry_date"]).dt.days / 365.25).to_numpy()
    y_all = Survival(years, (w["event"] == "INAPTITUDE").to_numpy())
    cols = ["msk", "mental", "chronic2", "was", "low_work_ability", "manual_job",
            "biomech_exposure"]
    X_all = w[cols].astype(float).reset_index(drop=True)
    order = np.random.default_rng(2).permutation(len(w))
    mape, width = [], []
    for size in (2_000, 6_000, 18_000):
        rows = order[:size]
        X, y = X_all.iloc[rows].reset_index(drop=True), y_all.take(rows)
        res = stability(CoxIndex(), X, y, horizon=3.0, n_boot=20, seed=8, n_jobs=1,
                        curves=False)
        mape.append(res.mape)
        width.append(float((res.individuals["upper"] - res.individuals["lower"]).mean()))
    assert mape[0] > mape[1] > mape[2]
    assert width[0] > width[1] > width[2]
    assert mape[0] / mape[2] > 2.0  # sqrt(9) = 3 expected


# --------------------------------------------------------------------------- displays
def _png(display) -> bytes:
    data = display._repr_png_()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def test_prediction_instability_display_draws_groups_only(binary_result):
    d = PredictionInstabilityDisplay.from_result(binary_result).plot()
    assert d.figure_ is not None
    frame = d.to_frame()
    assert (frame["n"] >= 11).all()
    assert frame["n"].sum() == binary_result.n
    median = [ln for ln in d.ax_.lines if ln.get_label() == "median"][0]
    np.testing.assert_allclose(median.get_xdata(), frame["risk"])
    np.testing.assert_allclose(median.get_ydata(), frame["median"])
    _png(d)
    pts = PredictionInstabilityDisplay.from_result(binary_result, show_points=True,
                                                   max_points=50).plot()
    assert (pts.to_frame()["element"] == "point").sum() == 50 * 20


def test_mape_and_classification_displays(binary_result):
    m = MapeDisplay.from_result(binary_result).plot()
    groups = m.to_frame().query("element == 'group'")
    assert (groups["n"] >= 11).all()
    assert np.average(groups["mape"], weights=groups["n"]) == pytest.approx(
        binary_result.mape)
    _png(m)
    c = ClassificationInstabilityDisplay.from_result(binary_result).plot()
    assert set(c.to_frame()["threshold"]) == {0.15, 0.4}
    assert len([ln for ln in c.ax_.lines if ln.get_label().startswith("threshold")]) == 2
    _png(c)


def test_curve_displays(binary_result):
    cal = CalibrationInstabilityDisplay.from_result(binary_result).plot()
    assert cal.to_frame()["replicate"].nunique() == 21
    _png(cal)
    dca = DecisionCurveInstabilityDisplay.from_result(binary_result).plot()
    shown = dca.to_frame().query("element == 'model'")
    kept = binary_result.decision_curves.query("n_flagged >= 11")
    assert len(shown) == len(kept) < len(binary_result.decision_curves)
    _png(dca)


def test_displays_suppress_tiny_samples():
    y = Binary(np.r_[np.ones(4), np.zeros(6)].astype(int))
    rng = np.random.default_rng(0)
    risk = rng.uniform(0.1, 0.6, 10)
    res = stability_from_predictions(y, risk, np.clip(risk + rng.normal(0, .02, (5, 10)), 0, 1),
                                     levels=(0.2, 0.4), curves=False, n_jobs=1)
    with pytest.warns(SmallGroupWarning, match="nothing is drawn"):
        d = PredictionInstabilityDisplay.from_result(res).plot()
    assert d.to_frame().empty
    with pytest.raises(TypeError, match="StabilityResult"):
        MapeDisplay.from_result(object())


def test_centre_calibration_display():
    rng = np.random.default_rng(1)
    centre = np.repeat([f"S{i}" for i in range(6)], 300)
    risk = rng.uniform(0.03, 0.5, len(centre))
    lp = np.log(risk / (1 - risk)) + np.repeat(rng.normal(0, 0.3, 6), 300)
    y = (rng.random(len(centre)) < 1 / (1 + np.exp(-lp))).astype(int)
    res = centre_calibration(y, risk, centre, knots=0, n_grid=25)
    d = CentreCalibrationDisplay.from_result(res).plot()
    frame = d.to_frame()
    overall = frame.query("element == 'overall'")
    np.testing.assert_allclose(overall["observed"], res.curve.query("approach == 'mac2'")[
        "observed"])
    assert frame.query("element == 'centre'")["centre"].nunique() == 6
    _png(d)
    mixc = CentreCalibrationDisplay.from_result(res, approach="mixc", show_centres=False)
    assert (mixc.plot().to_frame()["element"] == "overall").all()
    with pytest.raises(ValueError, match="approach must be one of"):
        CentreCalibrationDisplay.from_result(res, approach="cgc")
