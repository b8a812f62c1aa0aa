"""Questionnaires, points score and risk levels: hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.exceptions import IrdpWarning, SmallGroupWarning
from irdp.models import (
    CoxIndex,
    FixedScoreIndex,
    LogisticIndex,
    PointsScore,
    RiskLevels,
    ompsq_sf_score,
    q4_class,
    questionnaire_wide,
    wai_score,
    was_score,
)
from irdp.outcomes import Binary, Survival
from irdp.testing import make_index_data


# ---- Work Ability Index ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("items", "score", "category"),
    [
        ((0, 2, 1, 1, 1, 1, 1), 7, "poor"),          # minimum
        ((5, 6, 4, 4, 3, 4, 1), 27, "poor"),         # upper edge of poor
        ((5, 6, 4, 4, 3, 4, 2), 28, "moderate"),
        ((8, 8, 5, 5, 4, 4, 2), 36, "moderate"),
        ((8, 8, 5, 5, 4, 4, 3), 37, "good"),
        ((9, 9, 6, 5, 4, 7, 3), 43, "good"),
        ((9, 9, 6, 6, 4, 7, 3), 44, "excellent"),
        ((10, 10, 7, 6, 5, 7, 4), 49, "excellent"),  # maximum
    ],
)
def test_wai_hand_computed(items, score, category):
    X = pd.DataFrame([dict(zip([f"WAI_{i}" for i in range(1, 8)], items, strict=True))])
    out = wai_score(X)
    assert out["score"].iloc[0] == score
    assert out["category"].iloc[0] == category


def test_wai_rejects_out_of_range_and_missing():
    row = {f"WAI_{i}": 1 for i in range(1, 8)} | {"WAI_2": 2}
    with pytest.raises(ValueError, match="WAI_6 must be one of"):
        wai_score(pd.DataFrame([row | {"WAI_6": 2}]))
    with pytest.raises(ValueError, match="WAI_1 must be in"):
        wai_score(pd.DataFrame([row | {"WAI_1": 11}]))
    with pytest.raises(ValueError, match="unanswered"):
        wai_score(pd.DataFrame([row | {"WAI_3": np.nan}]))
    with pytest.warns(IrdpWarning, match="scored NaN"):
        out = wai_score(pd.DataFrame([row, row | {"WAI_3": np.nan}]), on_missing="nan")
    assert out["score"].tolist()[0] == 8
    assert np.isnan(out["score"].iloc[1])
    with pytest.raises(ValueError, match="lacks the WAI item columns"):
        wai_score(pd.DataFrame({"WAI_1": [1]}))


def test_was_categories():
    out = was_score(pd.DataFrame({"WAS_1": [0, 5, 6, 7, 8, 9, 10]}))
    assert out["category"].tolist() == ["poor", "poor", "moderate", "moderate", "good", "good",
                                        "excellent"]


def test_ompsq_reverse_items_and_cutoff():
    # all answers 10: items 3, 4, 8 reversed to 0 -> 7 * 10 = 70
    high = {f"OMPSQ_SF_{i}": 10 for i in range(1, 11)}
    # all answers 0: reversed items give 3 * 10 = 30
    low = {f"OMPSQ_SF_{i}": 0 for i in range(1, 11)}
    # exactly 50: items 1, 2, 5, 9 at 10, items 6, 7 at 5, reversed items at 10 (0 points)
    edge = low | {"OMPSQ_SF_1": 10, "OMPSQ_SF_2": 10, "OMPSQ_SF_5": 10, "OMPSQ_SF_9": 10,
                  "OMPSQ_SF_6": 5,
                  "OMPSQ_SF_7": 5, "OMPSQ_SF_3": 10, "OMPSQ_SF_4": 10, "OMPSQ_SF_8": 10}
    out = ompsq_sf_score(pd.DataFrame([high, low, edge]))
    assert out["score"].tolist() == [70.0, 30.0, 50.0]
    assert out["at_risk"].tolist() == [True, False, True]  # cut-off 50 is "at risk"


def test_q4_rules():
    X = pd.DataFrame({"Q4_1": [0, 1, 1, 2], "Q4_2": [0, 1, 1, 2], "Q4_3": [0, 0, 1, 1],
                      "Q4_4": [0, 0, 2, 0]})
    assert q4_class(X)["category"].tolist() == [
        "pas_incapacite_previsible", "incapacite_possible", "incapacite_previsible",
        "incapacite_previsible"]
    s = q4_class(X, rule="sum", thresholds=(2, 5))
    assert s["score"].tolist() == [0.0, 2.0, 5.0, 5.0]
    assert s["category"].tolist() == [
        "pas_incapacite_previsible", "incapacite_possible", "incapacite_previsible",
        "incapacite_previsible"]
    with pytest.raises(ValueError, match="Q4_1 must be one of"):
        q4_class(X.assign(Q4_1=3))


def test_questionnaire_wide_then_score():
    long = pd.DataFrame({"visit_id": ["v1"] * 4 + ["v2"] * 4, "instrument": "Q4",
                         "item": [1, 2, 3, 4] * 2, "value": [0, 0, 0, 1, 2, 0, 0, 0]})
    out = q4_class(questionnaire_wide(long))
    assert out["category"].to_dict() == {"v1": "incapacite_possible",
                                         "v2": "incapacite_previsible"}


def test_fixed_score_recalibration_matches_logistic_fit():
    d = make_index_data(400)
    m = FixedScoreIndex(instrument="WAS").fit(d["X"], d["binary"])
    ref = LogisticIndex().fit(d["X"][["WAS_1"]], d["binary"])
    np.testing.assert_allclose(m.coef_["score"], ref.coef_["WAS_1"], rtol=1e-10)
    np.testing.assert_allclose(m.predict_risk(d["X"]), ref.predict_risk(d["X"]), rtol=1e-10)
    # low work ability = high risk: linear predictor is the reversed score
    np.testing.assert_array_equal(m.linear_predictor(d["X"]), -d["X"]["WAS_1"].to_numpy())


# ---- PointsScore ---------------------------------------------------------------------------
def _points_data():
    rng = np.random.default_rng(11)
    n = 2000
    X = pd.DataFrame({"age": rng.uniform(20, 65, n), "sex": rng.choice(["F", "M"], n)})
    eta = -4 + 0.06 * (X["age"] - 20) + 0.5 * (X["sex"] == "F")
    return X, Binary(rng.random(n) < 1 / (1 + np.exp(-eta)))


def test_points_sullivan_hand_computed():
    """Points = round(beta * (value - reference value) / B) with B = 5 years of age."""
    X, y = _points_data()
    ps = PointsScore(model=LogisticIndex(categorical={"sex": "M"}),
                     bins={"age": [30, 40, 50, 60]}, points_unit=None).fit(X, y)
    b_age, b_f = ps.model_.coef_["age"], ps.model_.coef_["sex[F]"]
    tab = ps.points_table_.set_index(["column", "category"])
    med = [np.median(X["age"][(X["age"] >= lo) & (X["age"] < hi)])
           for lo, hi in [(-np.inf, 30), (30, 40), (40, 50), (50, 60), (60, np.inf)]]
    contrib = b_age * (np.array(med) - med[0])
    B = max(contrib.max(), abs(b_f)) / 10
    np.testing.assert_allclose(ps.B_, B, rtol=1e-12)
    assert tab.loc[("age", "[-inf, 30)"), "points"] == 0
    assert tab.loc[("sex", "M"), "points"] == 0
    assert tab.loc[("sex", "F"), "points"] == round(b_f / B)
    np.testing.assert_array_equal(tab.loc["age", "points"].to_numpy(),
                                  np.round(contrib / B).astype(int))
    # explicit Sullivan unit: 5 years of age = 1 point
    ps5 = PointsScore(model=LogisticIndex(categorical={"sex": "M"}),
                      bins={"age": [30, 40, 50, 60]}, points_unit=5 * b_age).fit(X, y)
    assert ps5.points_table_.query("column == 'sex' and category == 'F'")["points"].item() \
        == round(b_f / (5 * b_age))
    # risk of a total: expit(intercept + lp at reference + B * points)
    a = ps.model_.intercept_ + b_age * med[0]
    row = ps.risk_table_.iloc[3]
    np.testing.assert_allclose(row["risk"], 1 / (1 + np.exp(-(a + B * row["points"]))),
                               rtol=1e-12)
    # a worker: 45 years old woman -> age bin [40, 50) + F
    worker = pd.DataFrame({"age": [45.0], "sex": ["F"]})
    expected = tab.loc[("age", "[40, 50)"), "points"] + tab.loc[("sex", "F"), "points"]
    assert ps.predict_points(worker)[0] == expected


def test_points_rounding_loss_is_small_and_reported():
    X, y = _points_data()
    ps = PointsScore(model=LogisticIndex(categorical={"sex": "M"})).fit(X, y)
    loss = ps.rounding_loss_
    assert set(loss) == {"c_model", "c_points", "difference"}
    assert 0 <= loss["difference"] < 0.02
    assert loss["c_points"] > 0.6


def test_points_from_cox_needs_horizon():
    d = make_index_data(300)
    with pytest.raises(ValueError, match="horizon is required"):
        PointsScore(model=CoxIndex(categorical={"sex": "M"})).fit(d["X"][["age", "sex"]],
                                                                   d["survival"])


# ---- RiskLevels ------------------------------------------------------------------------------
def test_risk_levels_methods():
    risk = np.linspace(0.01, 0.5, 50)
    lv = RiskLevels(thresholds=(0.1, 0.3)).fit(risk)
    assert lv.cutoffs_ == (0.1, 0.3)
    assert list(lv.transform([0.0999, 0.1, 0.2999, 0.3])) == [
        "faible", "intermédiaire", "intermédiaire", "forte"]
    q = RiskLevels(method="quantiles", quantiles=(0.5, 0.9)).fit(risk)
    np.testing.assert_allclose(q.cutoffs_, np.quantile(risk, [0.5, 0.9]))
    # sensitivity: events are rows 40..49 -> 90 % sensitivity keeps 9 of 10 events above low
    y = Binary(np.r_[np.zeros(40), np.ones(10)])
    s = RiskLevels(method="sensitivity", sensitivity=(0.9, 0.5)).fit(risk, y)
    assert s.cutoffs_ == (risk[41], risk[45])
    lev = np.asarray(s.transform(risk))
    assert (lev[y.event] != "faible").mean() >= 0.9
    assert (lev[y.event] == "forte").mean() >= 0.5


def test_risk_levels_report_binary_and_survival():
    risk = np.r_[np.full(20, 0.02), np.full(20, 0.2), np.full(20, 0.6)]
    yb = Binary(np.r_[np.zeros(19), 1, np.zeros(15), np.ones(5), np.zeros(8), np.ones(12)])
    rep = RiskLevels(thresholds=(0.1, 0.3)).fit(risk).report(risk, yb)
    assert rep["n"].tolist() == [20, 20, 20]
    assert rep["n_events"].tolist() == [1, 5, 12]
    np.testing.assert_allclose(rep["event_rate"], [0.05, 0.25, 0.6])
    # timed outcome without censoring: KM risk at the horizon = proportion of events by then
    ys = Survival(np.r_[np.full(19, 5.0), 1.0, np.full(15, 5.0), np.full(5, 1.0),
                        np.full(8, 5.0), np.full(12, 1.0)], yb.y)
    rep2 = RiskLevels(thresholds=(0.1, 0.3)).fit(risk).report(risk, ys, horizon=2.0)
    np.testing.assert_allclose(rep2["event_rate"], [0.05, 0.25, 0.6])
    with pytest.warns(SmallGroupWarning):
        RiskLevels(thresholds=(0.1, 0.3), min_size=25).fit(risk).report(risk, yb)


def test_risk_levels_errors():
    with pytest.raises(ValueError, match="0 <= low < high <= 1"):
        RiskLevels(thresholds=(0.3, 0.1)).fit([0.1])
    with pytest.raises(ValueError, match="needs the outcome"):
        RiskLevels(method="sensitivity").fit([0.1, 0.2])
    with pytest.raises(ValueError, match="probability"):
        RiskLevels().fit([1.5])


def test_points_predictor_collapsing_to_one_bin_warns_and_round_trips():
    """A predictor whose quantiles all equal its minimum lands in one [-inf, inf) bin with 0
    points: PointsScore warns; the export (infinite bounds written as null) still scores."""
    import json

    from irdp.models import load

    rng = np.random.default_rng(4)
    n = 600
    X = pd.DataFrame({"age": rng.uniform(20, 65, n),
                      "days": np.where(rng.random(n) < 0.9, 0.0, rng.integers(1, 90, n))})
    y = Binary(rng.random(n) < 1 / (1 + np.exp(-(-3 + 0.05 * (X["age"] - 20)))))
    with pytest.warns(IrdpWarning, match=r"'days' collapses to a single bin"):
        ps = PointsScore(model=LogisticIndex()).fit(X, y)
    tab = ps.points_table_
    assert tab.loc[tab["column"] == "days", "points"].tolist() == [0]
    again = load(json.loads(json.dumps(ps.export(), allow_nan=False, sort_keys=True)))
    np.testing.assert_array_equal(again.predict_points(X), ps.predict_points(X))
    np.testing.assert_array_equal(again.predict_risk(X), ps.predict_risk(X))
