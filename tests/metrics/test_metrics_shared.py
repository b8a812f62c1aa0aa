"""One measure, one number: irdp.metrics, irdp.fairness, irdp.validation and irdp.missing
give identical values for each shared measure on the same rows (issue 13).

Binary, survival and competing-risk outcomes with tied times and tied risks. Equality is
exact (``==``): every package computes the measure through the registry's one
implementation, the value-only path of resampling included.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from irdp import fairness, metrics, missing, validation
from irdp.fairness import measures as fm
from irdp.metrics import METRICS, get_metric, measure_values
from irdp.outcomes import Binary, CompetingRisks, Survival

HORIZON = 2.0


@functools.cache
def _data(kind: str, n: int = 700, seed: int = 11):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    risk = np.round(1 / (1 + np.exp(-(-1.2 + 0.9 * x))), 2)  # tied risks
    if kind == "binary":
        return Binary(rng.random(n) < risk), risk, None
    t1 = rng.exponential(1 / (0.25 * np.exp(0.9 * x)))
    c = rng.uniform(0.5, 6.0, n)
    if kind == "survival":
        t = np.round(np.minimum(t1, c), 1)  # tied event and censoring times
        return Survival(t, t1 <= c), risk, HORIZON
    t2 = rng.exponential(1 / 0.15, n)
    t = np.minimum(t1, t2)
    time = np.round(np.minimum(t, c), 1)
    cause = np.where(t <= c, np.where(t1 <= t2, 1, 2), 0)
    return CompetingRisks(time, cause), risk, HORIZON


KINDS = ["binary", "survival", "competing"]
SHARED = {
    "binary": ["auc", "c_harrell", "oe_ratio", "calibration_in_the_large",
               "calibration_slope", "brier", "ipa", "ici"],
    "survival": ["auc", "c_harrell", "oe_ratio", "calibration_slope", "brier", "ipa", "ici"],
    "competing": ["auc", "c_harrell", "oe_ratio", "calibration_slope", "brier", "ipa", "ici"],
}


def _metrics_values(kind):
    y, risk, h = _data(kind)
    return {m: get_metric(m)(y, risk, horizon=h).value for m in SHARED[kind]}


@pytest.mark.parametrize("kind", KINDS)
def test_value_only_path_equals_the_estimate(kind):
    """MetricInfo.value and measure_values (shared context) give the Estimate's value."""
    y, risk, h = _data(kind)
    expected = _metrics_values(kind)
    together = measure_values(SHARED[kind], y, risk, horizon=h)
    for m in SHARED[kind]:
        assert get_metric(m).value(y, risk, horizon=h) == expected[m], m
        assert together[m] == expected[m], m


@pytest.mark.parametrize("kind", KINDS)
def test_fairness_gives_the_numbers_of_metrics(kind):
    """The fairness table of one group equals the ABCD values on the same rows, for both
    engines; the named fairness measures too (a survival slope is the Cox slope)."""
    y, risk, h = _data(kind)
    expected = _metrics_values(kind)
    names = SHARED[kind]
    for engine in ("irdp", "fairlearn"):
        res = fairness.group_performance(y, risk, np.full(len(risk), "all"), horizon=h,
                                         measures=names, n_boot=0, engine=engine)
        by = res.by_group.loc["all"]
        for m in names:
            assert by[m] == expected[m], (engine, m)
            assert res.overall[m] == expected[m], (engine, m)
    assert fm.weighted_auc(y, risk, horizon=h) == expected["auc"]
    assert fm.oe_ratio(y, risk, horizon=h) == expected["oe_ratio"]
    assert fm.calibration_slope(y, risk, horizon=h) == expected["calibration_slope"]
    assert fm.brier_ipcw(y, risk, horizon=h) == expected["brier"]
    if kind == "binary":
        assert fm.calibration_in_the_large(y, risk) == expected["calibration_in_the_large"]
    cal = fairness.group_calibration(y, risk, np.full(len(risk), "all"), horizon=h,
                                     adjust="none")
    row = cal.table.set_index("group").loc["all"]
    assert row["oe"] == expected["oe_ratio"]
    assert row["slope"] == expected["calibration_slope"]


@pytest.mark.parametrize("kind", KINDS)
def test_validation_gives_the_numbers_of_metrics(kind):
    """compare() (value-only path), centre_summary() (Estimates) and the bootstrap's
    apparent values (a fixed score refitted as itself) equal irdp.metrics."""
    y, risk, h = _data(kind)
    expected = _metrics_values(kind)
    names = SHARED[kind]
    res = validation.compare(y, {"a": risk, "b": np.sqrt(risk)}, horizon=h, scoring=names,
                             n_boot=2, seed=1, levels=None)
    for m in names:
        assert res.indices.loc["a", m] == expected[m], m
    with_se = [m for m in names if METRICS[m].has_se]
    summ = validation.centre_summary(y, risk, horizon=h, measures=with_se, centre="S1")
    for m in with_se:
        assert summ.loc[0, m] == expected[m], m
        assert summ.loc[0, f"{m}_se"] == get_metric(m)(y, risk, horizon=h).se, m
    from irdp.validation._measures import evaluate, resolve_measures

    got = evaluate(resolve_measures(names, y), y, risk, h)
    assert got == {m: expected[m] for m in names}


@pytest.mark.parametrize("kind", KINDS)
def test_missing_data_gives_the_numbers_and_ses_of_metrics(kind):
    """evaluate_with_se (Rubin pooling) uses irdp.metrics' values and SEs: DeLong for the
    binary AUC (issue 13: it used Hanley-McNeil), the influence function for the td-AUC."""
    y, risk, h = _data(kind)
    got = missing.strategies.evaluate_with_se(y, risk, h)
    for m, (value, se) in got.items():
        est = get_metric(m)(y, risk, horizon=h)
        assert value == est.value, m
        assert se == est.se, m
    if kind == "binary":
        assert got["auc"][1] == metrics.auc(y, risk).se  # DeLong, as pROC
        assert metrics.auc(y, risk).method == "DeLong"


def test_the_calibration_slope_of_a_survival_outcome_is_one_number():
    """Issue 13: 0.856 (metrics, Cox on cll) vs 0.796 (fairness, IPCW logistic) on the same
    rows. Now the fairness table, the ABCD table and the bootstrap report the Cox slope."""
    y, risk, h = _data("survival")
    abcd = metrics.performance(y, risk, h, thresholds=()).set_index("measure")
    fair = fairness.fairness_summary(y, risk, pd.DataFrame({"g": ["all"] * len(risk)}),
                                     horizon=h, n_boot=0).table
    slope = fair[(fair["group"] == "(overall)") & (fair["measure"] == "calibration_slope")]
    assert slope["value"].item() == abcd.loc["calibration_slope", "value"]
    assert fm.calibration_slope(y, risk, horizon=h) == abcd.loc["calibration_slope", "value"]


def test_registry_names_are_the_rows_of_every_table():
    """Aliases resolve to one canonical name, used as the label everywhere."""
    y, risk, _ = _data("binary")
    perf = metrics.performance(y, risk, thresholds=())
    assert set(perf["measure"]) <= set(METRICS)
    res = validation.compare(y, {"a": risk, "b": np.sqrt(risk)}, scoring=["c", "oe", "citl"],
                             n_boot=2, seed=1, levels=None)
    assert list(res.differences["measure"].unique()) == ["c_harrell", "oe_ratio",
                                                         "calibration_in_the_large"]
    assert validation.MEASURES["oe"] is METRICS["oe_ratio"]
    assert missing.SCALES["oe_ratio"] == validation.scale_for_measure("oe") == "log"
