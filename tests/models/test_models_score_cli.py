"""``irdp score`` reproduces predict_risk exactly from the exported model alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from irdp.cli import main
from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import build_features
from irdp.io import read_extract
from irdp.models import CoxIndex, RiskLevels
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.synth import generate_dmst

FEATURES = ["age", "sex", "sl_n_5y", "sl_long_n_5y"]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("score")
    generate_dmst(6_000, n_spsti=3, seed=5, out=tmp / "extract")
    extract = read_extract(tmp / "extract")
    definition = CohortDefinition.from_yaml("experiments/cohorts/reprise_6m.yaml")
    cohort = build_cohort(extract, definition)
    X = build_features(extract, cohort, features=FEATURES)
    model = CoxIndex(categorical={"sex": "M"}, splines={"age": 3}).fit(X, cohort.survival)
    risk = model.predict_risk(X, horizon=cohort.horizon_days)
    levels = RiskLevels(method="quantiles", quantiles=(0.5, 0.9)).fit(risk)
    spec = model.export(cohort=definition, risk_levels=levels)
    path = tmp / "model.json"
    path.write_text(json.dumps(spec, allow_nan=False))
    return tmp, path, cohort, X, model, risk, levels


def test_score_cli_reproduces_predict_risk(fitted):
    tmp, path, cohort, X, model, risk, levels = fitted
    out = tmp / "scores.parquet"
    res = CliRunner().invoke(main, ["score", "--model", str(path), "--extract",
                                    str(tmp / "extract"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    scores = pd.read_parquet(out)
    assert len(scores) == len(cohort)
    assert scores["worker_id"].tolist() == cohort.table["worker_id"].tolist()
    assert scores["scored"].all()
    np.testing.assert_array_equal(scores["risk"].to_numpy(), risk)  # exactly
    np.testing.assert_array_equal(scores["linear_predictor"].to_numpy(),
                                  model.linear_predictor(X))
    assert scores["level"].tolist() == list(levels.transform(risk))


def test_export_records_feature_definitions_and_cohort(fitted):
    _, path, cohort, *_ = fitted
    spec = json.loads(path.read_text())
    names = [f["name"] for f in spec["features"]]
    assert names == FEATURES
    assert all(f["registered"] and f["description"] for f in spec["features"])
    assert spec["cohort"]["name"] == "reprise_6m"
    assert spec["horizon"] == cohort.horizon_days
    knots = spec["design"]["terms"][0]["knots"]
    assert len(knots) == 3


def test_score_refuses_unregistered_columns(fitted, tmp_path):
    tmp, path, cohort, X, *_ = fitted
    m = CoxIndex().fit(X[["sl_n_5y"]].rename(columns={"sl_n_5y": "homemade"}).astype(float),
                       cohort.survival)
    p = tmp_path / "m.json"
    p.write_text(json.dumps(m.export(cohort=cohort.definition)))
    res = CliRunner().invoke(main, ["score", "--model", str(p), "--extract",
                                    str(tmp / "extract"), "--out", str(tmp_path / "s.parquet")])
    assert res.exit_code == 2  # a user error: a message, no traceback (irdp --help)
    assert "not registered irdp features" in res.output


def test_rows_with_missing_features_are_flagged_not_scored(fitted, tmp_path):
    tmp, _, cohort, *_ = fitted
    from irdp.models.scoring import score_extract

    extract = read_extract(tmp / "extract")
    feats = ["age", "dx_msk_ever"]  # diagnoses are not coded in every SPSTI: missing
    X = build_features(extract, cohort, features=feats)
    complete = X.notna().all(axis=1).to_numpy()
    assert 0 < complete.sum() < len(X)
    y = cohort.survival.take(np.flatnonzero(complete))
    model = CoxIndex().fit(X[complete].astype(float), y)
    spec = json.loads(json.dumps(model.export(cohort=cohort.definition)))
    scores = score_extract(spec, extract)
    assert scores["scored"].to_numpy().tolist() == complete.tolist()
    assert scores.loc[~complete, "risk"].isna().all()
    assert set(scores.loc[~complete, "reason"]) == {"missing: dx_msk_ever"}
    np.testing.assert_array_equal(
        scores.loc[complete, "risk"].to_numpy(),
        model.predict_risk(X[complete].astype(float), horizon=cohort.horizon_days),
    )


def test_score_refuses_models_without_feature_design(fitted):
    from irdp.models import FixedScoreIndex
    from irdp.models.scoring import score_extract

    tmp, *_ = fitted
    X = pd.DataFrame({"WAS_1": np.arange(20) % 11})
    m = FixedScoreIndex(instrument="WAS").fit(X, Binary(np.arange(20) % 3 == 0))
    with pytest.raises(ValueError, match="no feature design"):
        score_extract(m.export(), read_extract(tmp / "extract"))


# ---- run -> score round trip, every index kind (issue 12) ----------------------------------
RAW = ["age", "sex", "sl_n_5y", "dx_msk_ever"]  # dx_msk_ever is missing in some SPSTI


@pytest.fixture(scope="module")
def run_like(tmp_path_factory):
    """What a validation run does: preprocessing learned on the development SPSTI, every
    index fitted on the preprocessed design, predictions for every row of the cohort
    (20,000 synthetic workers, 3 SPSTI; competing exits merged into one cause so that the
    confidential grid of the cause-specific model exists)."""
    from irdp.missing import ImputedRiskIndex
    from irdp.models import (
        CauseSpecificCoxIndex,
        FineGrayIndex,
        LogisticIndex,
        MissingIndicatorPreprocessing,
        PointsScore,
    )

    tmp = tmp_path_factory.mktemp("round_trip")
    generate_dmst(20_000, n_spsti=3, seed=5, out=tmp / "extract")
    extract = read_extract(tmp / "extract")
    cohort = build_cohort(extract, CohortDefinition.from_yaml(
        "experiments/cohorts/reprise_6m.yaml"))
    X = build_features(extract, cohort, features=RAW)
    assert X["dx_msk_ever"].isna().any()
    t = cohort.table
    dev = (t["spsti_id"] != sorted(t["spsti_id"].unique())[-1]).to_numpy()
    prep = MissingIndicatorPreprocessing.fit(X.loc[dev])
    assert "dx_msk_ever" in prep.indicators
    Xm = prep.transform(X)
    h = cohort.horizon_days
    cat = dict(prep.categorical)
    known = t["known_at_horizon"].astype(bool).to_numpy()
    rows = np.flatnonzero(dev)
    brows = np.flatnonzero(dev & known)
    yb = Binary(t["event_at_horizon"].iloc[brows].astype(bool).to_numpy(), horizon=h)
    time, cause = t["time"].to_numpy(float)[rows], t["cause"].to_numpy(int)[rows]
    ys = Survival(time, cause == 1)
    yc = CompetingRisks(time, np.minimum(cause, 2))  # one competing cause
    dm, db = Xm.loc[dev].reset_index(drop=True), Xm.iloc[brows].reset_index(drop=True)
    logistic = LogisticIndex(categorical=cat).fit(db, yb)
    models = {
        "logistic": (logistic, prep, Xm),
        "cox": (CoxIndex(categorical=cat).fit(dm, ys), prep, Xm),
        "fine_gray": (FineGrayIndex(categorical=cat).fit(dm, yc), prep, Xm),
        "csc": (CauseSpecificCoxIndex(categorical=cat, grid_min_events=11).fit(dm, yc), prep,
                Xm),
        "points": (PointsScore(model=LogisticIndex(categorical=cat)).fit(db, yb), prep, Xm),
        "imputed": (ImputedRiskIndex(CoxIndex(categorical={"sex": "M"}), m=2, max_iter=2,
                                     random_state=1).fit(X.loc[dev].reset_index(drop=True), ys),
                    None, X),
    }
    return tmp, cohort, h, models


@pytest.mark.parametrize("kind", ["logistic", "cox", "fine_gray", "csc", "points", "imputed"])
def test_run_to_score_round_trip_reproduces_predictions(run_like, kind, tmp_path):
    """`irdp score --model X.json --extract DIR` rebuilds cohort, features and
    preprocessing and gives the fitted model's predictions exactly, for every row."""
    tmp, cohort, h, models = run_like
    model, prep, X = models[kind]
    risk = model.predict_risk(X, horizon=None if kind in ("logistic", "points") else h)
    spec = model.export(cohort=cohort.definition, horizon=h, preprocessing=prep)
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(spec, allow_nan=False))
    out = tmp_path / "scores.parquet"
    res = CliRunner().invoke(main, ["score", "--model", str(path), "--extract",
                                    str(tmp / "extract"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    scores = pd.read_parquet(out)
    assert scores["scored"].all()
    assert scores["worker_id"].tolist() == cohort.table["worker_id"].tolist()
    np.testing.assert_array_equal(scores["risk"].to_numpy(), risk)


def test_score_refuses_a_horizon_the_export_does_not_hold(run_like, tmp_path):
    tmp, cohort, h, models = run_like
    model, prep, _ = models["cox"]
    path = tmp_path / "cox.json"
    path.write_text(json.dumps(model.export(cohort=cohort.definition, horizon=h,
                                            preprocessing=prep)))
    res = CliRunner().invoke(main, ["score", "--model", str(path), "--extract",
                                    str(tmp / "extract"), "--out", str(tmp_path / "s.parquet"),
                                    "--horizon", "100"])
    assert res.exit_code == 2
    assert "horizon=100 is not held" in res.output
    assert f"at the times {h:g} only" in res.output


def test_export_without_preprocessing_names_what_is_missing(run_like, tmp_path):
    """The old failure of a run export: columns '__missing' without their preprocessing."""
    tmp, cohort, h, models = run_like
    model, _, _ = models["logistic"]
    path = tmp_path / "logistic.json"
    path.write_text(json.dumps(model.export(cohort=cohort.definition)))
    res = CliRunner().invoke(main, ["score", "--model", str(path), "--extract",
                                    str(tmp / "extract"), "--out", str(tmp_path / "s.parquet")])
    assert res.exit_code == 2
    assert "dx_msk_ever__missing" in res.output
    assert "preprocessing=" in res.output
