"""Censoring-aware measures at the horizon: identities with KM / Aalen-Johansen and sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from irdp.fairness.measures import (
    at_threshold,
    brier_ipcw,
    calibration_in_the_large,
    calibration_slope,
    horizon_status,
    observed_risk,
    oe_ratio,
    positive_predictive_value,
    true_positive_rate,
    weighted_auc,
)
from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import Binary, CompetingRisks, Survival


def _cr(rng, n=800):
    t = rng.exponential(5, n)
    c = rng.exponential(6, n)
    cause = rng.integers(1, 3, n)
    time = np.round(np.minimum(t, c), 1)  # rounding creates ties
    return time, np.where(t <= c, cause, 0)


def test_ipcw_observed_risk_equals_kaplan_meier(rng):
    """sum(w s)/n with G(T-) weights is 1 - KM(h) exactly (Satten & Datta 2001)."""
    time, cause = _cr(rng)
    y = Survival(time, cause > 0)
    for h in (1.0, 3.0, 6.5):
        km = 1 - float(kaplan_meier(time, cause > 0).at(h))
        assert observed_risk(y, horizon=h) == pytest.approx(km, abs=1e-12)


def test_ipcw_observed_risk_equals_aalen_johansen(rng):
    time, cause = _cr(rng)
    y = CompetingRisks(time, cause)
    for h in (1.0, 3.0, 6.5):
        aj = float(aalen_johansen(time, cause).cif_at(h, 1))
        assert observed_risk(y, horizon=h) == pytest.approx(aj, abs=1e-12)


def test_binary_auc_equals_sklearn_with_ties(rng):
    y = rng.integers(0, 2, 500)
    risk = np.round(rng.random(500), 1)  # many ties
    assert weighted_auc(Binary(y), risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)


def test_uncensored_survival_reduces_to_binary(rng):
    """Without censoring before the horizon every weight is 1: the binary measures apply."""
    time = rng.exponential(3, 400) + 0.01
    risk = rng.random(400)
    y = Survival(time, np.ones(400, dtype=bool))
    yb = Binary(time <= 2.0)
    hs = horizon_status(y, 2.0)
    assert np.all(hs.weight == 1.0)
    for f in (weighted_auc, oe_ratio, brier_ipcw):
        assert f(y, risk, horizon=2.0) == pytest.approx(f(yb, risk), abs=1e-10)
    # the calibration slope of a survival outcome is a Cox slope on cll(risk) (McLernon
    # 2023), not a logistic one: close to, but not equal to, the binary slope
    assert calibration_slope(y, risk, horizon=2.0) == pytest.approx(calibration_slope(yb, risk),
                                                                    abs=0.3)
    with pytest.raises(TypeError, match="binary"):
        calibration_in_the_large(y, risk, horizon=2.0)


def test_censored_before_horizon_has_zero_weight():
    y = Survival([1.0, 2.0, 2.0, 5.0], [0, 1, 0, 0])
    hs = horizon_status(y, 3.0)
    assert hs.weight[0] == 0
    assert hs.weight[2] == 0
    assert hs.status.tolist() == [0, 1, 0, 0]


def test_perfect_calibration_recovered_in_large_sample():
    rng = np.random.default_rng(11)
    risk = rng.uniform(0.05, 0.8, 40_000)
    y = Binary(rng.binomial(1, risk))
    assert oe_ratio(y, risk) == pytest.approx(1.0, abs=0.02)
    assert calibration_slope(y, risk) == pytest.approx(1.0, abs=0.05)
    assert calibration_in_the_large(y, risk) == pytest.approx(0.0, abs=0.03)


def test_threshold_measures_by_hand():
    y = Binary([1, 1, 0, 0, 1, 0])
    risk = np.array([0.9, 0.2, 0.8, 0.1, 0.6, 0.3])
    # flagged at 0.5: rows 0, 2, 4 -> TP = 2 of 3 events; PPV = 2 / 3
    assert true_positive_rate(y, risk, threshold=0.5) == pytest.approx(2 / 3)
    assert positive_predictive_value(y, risk, threshold=0.5) == pytest.approx(2 / 3)
    assert at_threshold(true_positive_rate, 0.7)(y, risk) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="threshold must lie"):
        at_threshold(true_positive_rate, 1.5)


def test_undefined_auc_is_nan():
    assert np.isnan(weighted_auc(Binary([0, 0, 0]), [0.1, 0.2, 0.3]))


@pytest.mark.parametrize(
    ("y", "risk", "horizon", "err", "match"),
    [
        (Binary([0, 1]), [0.1, 0.2, 0.3], None, ValueError, "same number of rows"),
        (Binary([0, 1]), [0.1, np.nan], None, ValueError, "finite"),
        (Survival([1.0, 2.0], [1, 0]), [0.1, 0.2], None, ValueError, "horizon is required"),
    ],
)
def test_measure_errors(y, risk, horizon, err, match):
    with pytest.raises(err, match=match):
        weighted_auc(y, risk, horizon=horizon)


def test_agree_with_irdp_metrics(rng):
    """The fairness measures are irdp.metrics' measures: identical values (ties, CR)."""
    from irdp import metrics

    time, cause = _cr(rng)
    risk = rng.random(len(time))
    for y in (Survival(time, cause > 0), CompetingRisks(time, cause)):
        assert weighted_auc(y, risk, horizon=3.0) == metrics.td_auc(y, risk, horizon=3.0).value
        assert brier_ipcw(y, risk, horizon=3.0) == metrics.brier(y, risk, horizon=3.0).value
        assert oe_ratio(y, risk, horizon=3.0) == metrics.oe_ratio(y, risk, horizon=3.0).value
        assert calibration_slope(y, risk, horizon=3.0) == metrics.calibration_slope(
            y, risk, horizon=3.0).value
        assert observed_risk(y, horizon=3.0) == metrics.observed_risk(y, 3.0)


def test_horizon_beyond_follow_up_is_refused_as_metrics_does(rng):
    """Issue 13: brier_ipcw(y, r, horizon=50) returned a number where metrics.brier refuses."""
    from irdp import metrics

    time, cause = _cr(rng)
    y = Survival(time, cause > 0)
    risk = rng.random(len(time))
    with pytest.raises(ValueError, match="horizon") as from_metrics:
        metrics.brier(y, risk, horizon=50)
    for f in (brier_ipcw, weighted_auc, oe_ratio, calibration_slope, true_positive_rate):
        with pytest.raises(ValueError, match="horizon") as err:
            f(y, risk, horizon=50)
        assert str(err.value) == str(from_metrics.value) or "follow-up" in str(err.value)
    with pytest.raises(ValueError, match="horizon"):
        horizon_status(y, 50)


def test_brier_needs_probabilities():
    with pytest.raises(ValueError, match="probabilit"):
        brier_ipcw(Binary([0, 1]), [0.1, 1.2])


def test_short_risk_series_is_a_length_error_not_an_index_mismatch():
    """Issue 13: a risk Series shorter than the outcome raised IndexMismatchError quoting
    identical labels."""
    import pandas as pd

    from irdp import metrics
    from irdp.exceptions import IndexMismatchError
    from irdp.fairness import group_performance

    idx = pd.RangeIndex(6)
    y = Binary(pd.Series([0, 1, 0, 1, 1, 0], index=idx))
    short = pd.Series([0.1, 0.6, 0.2, 0.7, 0.8], index=idx[:5])
    for call in (lambda: metrics.auc(y, short), lambda: weighted_auc(y, short),
                 lambda: group_performance(y, short, ["a"] * 6, n_boot=0)):
        with pytest.raises(ValueError, match="5") as err:
            call()
        assert not isinstance(err.value, IndexMismatchError)
