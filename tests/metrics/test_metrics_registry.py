"""The one registry of measures: names, aliases, "did you mean", defaults, small defects."""

from __future__ import annotations

import numpy as np
import pytest

from irdp.exceptions import (
    InsufficientDataError,
    IrdpError,
    NoComparablePairsError,
    UnknownMeasureError,
)
from irdp.metrics import (
    ALIASES,
    METRICS,
    auc,
    brier,
    calibration,
    calibration_in_the_large,
    calibration_slope,
    concordance,
    default_measures,
    delong_test,
    get_metric,
    incidence_thresholds,
    ipa,
    measure_values,
    oe_ratio,
    performance,
    td_auc,
)
from irdp.outcomes import Binary, CompetingRisks, Survival


def test_every_entry_is_complete_and_named_like_its_estimate():
    for name, info in METRICS.items():
        assert info.name == name
        assert info.kinds
        assert set(info.kinds) <= {"binary", "survival", "competing"}
        assert info.scale in ("identity", "logit", "log")
        assert info.label
        assert info.fast is not None  # a value-only path for resampling
        for alias in info.aliases:
            assert ALIASES[alias] == name
    # C statistics pooled on the logit scale, O/E on the log scale (Debray 2017)
    assert {m for m, i in METRICS.items() if i.scale == "logit"} == {
        "auc", "c_harrell", "c_uno", "td_auc", "td_auc_def1"}
    assert {m for m, i in METRICS.items() if i.scale == "log"} == {"oe_ratio"}
    assert not METRICS["ici"].has_se
    assert METRICS["auc"].has_se


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("oe", "oe_ratio"), ("O/E", "oe_ratio"), ("citl", "calibration_in_the_large"),
     ("c", "c_harrell"), ("Concordance", "c_harrell"), ("slope", "calibration_slope"),
     (" brier ", "brier"), ("td_auc", "td_auc")],
)
def test_aliases(name, canonical):
    assert get_metric(name).name == canonical


def test_unknown_name_says_did_you_mean():
    with pytest.raises(UnknownMeasureError, match="Did you mean 'calibration_slope'"):
        get_metric("calibraton_slope")
    with pytest.raises(ValueError, match="Known measures: auc"):  # a ValueError too
        get_metric("accuracy")
    assert issubclass(UnknownMeasureError, IrdpError)
    with pytest.raises(TypeError, match="must be a str"):
        get_metric(3)


def test_default_measures_by_purpose_and_kind():
    assert default_measures("binary") == ("c_harrell", "calibration_slope",
                                          "calibration_in_the_large", "oe_ratio", "brier",
                                          "ipa", "ici")
    assert "calibration_in_the_large" not in default_measures("survival")
    assert default_measures("competing", "pooling") == ("c_harrell", "oe_ratio",
                                                        "calibration_slope")
    for purpose in ("validation", "pooling", "fairness", "missing"):
        for kind in ("binary", "survival", "competing"):
            for name in default_measures(kind, purpose):
                assert METRICS[name].supports(kind)
    with pytest.raises(ValueError, match="purpose"):
        default_measures("binary", "report")


def test_measure_values_errors_to_nan_when_asked():
    y = Binary([0, 0, 0, 0])
    errors: list[str] = []
    vals = measure_values(["auc", "brier"], y, [0.1, 0.2, 0.3, 0.4], errors=errors)
    assert np.isnan(vals["auc"])
    assert vals["brier"] == pytest.approx(np.mean([0.01, 0.04, 0.09, 0.16]))
    assert "InsufficientDataError" in errors[0]
    with pytest.raises(InsufficientDataError, match="both events and non-events"):
        measure_values(["auc"], y, [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(TypeError, match="binary"):
        measure_values(["citl"], Survival([1, 2], [1, 0]), [0.1, 0.2], horizon=1.5)


# --------------------------------------------------------------------------- small defects
def test_oe_interval_is_not_zero_width_when_kaplan_meier_reaches_zero():
    """Issue 13: O/E 2.0 with CI [2.0, 2.0] when every subject has the event by the horizon
    (KM = 0, Greenwood variance 0); the events-based SE is used instead and said so."""
    y = Survival([1.0, 2.0, 2.0, 3.0, 4.0, 5.0], [1, 1, 1, 1, 1, 1])
    est = oe_ratio(y, [0.5] * 6, horizon=5.0)
    assert est.value == pytest.approx(2.0)
    assert est.lower < 2.0 < est.upper
    assert est.upper / est.value == pytest.approx(np.exp(1.959964 * np.sqrt(1 / 6)), rel=1e-6)
    assert "variance of the observed risk is 0" in est.method
    yb = Binary([1, 1, 1, 1])  # the binary analogue: prevalence 1
    eb = oe_ratio(yb, [0.5] * 4)
    assert eb.lower < eb.value < eb.upper


def test_delong_with_identical_scores_gives_z_0_p_1_as_proc():
    """Issue 13: z = p = NaN; pROC::roc.test gives Z = 0, p = 1 (delong.paired.test)."""
    y = [0, 1, 0, 1, 1, 0, 1, 0]
    s = [0.1, 0.7, 0.3, 0.6, 0.9, 0.2, 0.4, 0.5]
    res = delong_test(y, s, s)
    assert res.details["z"] == 0.0
    assert res.details["p_value"] == 1.0
    assert res.value == 0.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: auc([0, 0, 0], [0.1, 0.2, 0.3]), "both events and non-events"),
        (lambda: td_auc(Survival([1.0, 2.0, 3.0], [0, 0, 0]), [0.1, 0.2, 0.3], 2.5),
         "at least one event"),
        (lambda: calibration([1, 1, 1, 1], [0.2, 0.4, 0.6, 0.8]), "both events"),
        (lambda: calibration_in_the_large([0, 0, 0], [0.2, 0.3, 0.4]), "no event"),
        (lambda: calibration_slope(Survival([1.0, 2.0, 3.0], [0, 0, 0]), [0.1, 0.2, 0.3],
                                   horizon=2.5), "at least one event"),
        (lambda: ipa(Survival([1.0, 2.0, 3.0, 4.0], [0, 0, 0, 0]), [0.1, 0.2, 0.3, 0.4],
                     horizon=3.5), "null model is 0"),
        (lambda: oe_ratio([0, 1], [0.0, 0.0]), "every predicted risk is 0"),
        (lambda: concordance(Survival([1.0, 2.0], [0, 0]), [0.1, 0.2]), "no comparable pair"),
    ],
)
def test_data_that_cannot_support_a_measure_raise_insufficient_data(call, match):
    with pytest.raises(InsufficientDataError, match=match):
        call()


def test_no_comparable_pairs_is_insufficient_data():
    assert issubclass(NoComparablePairsError, InsufficientDataError)


def test_brier_and_ipa_rows_count_events_at_the_horizon():
    """Issue 12: the Brier and IPA rows counted every event ever (2,729 / 794) while the
    other rows counted events by the horizon; every row now counts them at the horizon."""
    rng = np.random.default_rng(3)
    n = 500
    t = rng.exponential(3, n)
    y = Survival(np.round(t, 2), rng.random(n) < 0.8)
    risk = rng.uniform(0.05, 0.6, n)
    tab = performance(y, risk, 2.0, thresholds=(0.2,)).set_index("measure")
    by_h = int((y.event & (y.time <= 2.0)).sum())
    assert by_h < y.n_events
    assert (tab["n_events"] == by_h).all(), tab["n_events"].to_dict()
    assert brier(y, risk, horizon=2.0).n_events == by_h


def test_competing_risks_count_events_of_interest_at_the_horizon():
    rng = np.random.default_rng(4)
    n = 400
    time = np.round(rng.exponential(3, n), 1)
    cause = rng.choice([0, 1, 2], n)
    y = CompetingRisks(time, cause)
    risk = rng.uniform(0.05, 0.5, n)
    tab = performance(y, risk, 2.0, thresholds=()).set_index("measure")
    assert (tab["n_events"] == int(((cause == 1) & (time <= 2.0)).sum())).all()


def test_performance_thresholds_derived_from_incidence_for_a_rare_outcome():
    """Issue 12: thresholds 0.1-0.3 are useless for a 1 %-a-year outcome; by default they
    are derived from the observed risk at the horizon, and the table says how."""
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=n)
    risk = 1 / (1 + np.exp(-(-4.6 + 0.8 * x)))
    y = Binary(rng.random(n) < risk)
    tab = performance(y, risk)
    nb = tab[tab["group"] == "D"]
    pi = float(y.y.mean())
    expected = incidence_thresholds(y).thresholds
    assert len(nb) == 4
    assert [float(m.split("@")[1]) for m in nb["measure"]] == list(expected)
    assert expected[1] == pytest.approx(pi, rel=0.05)
    assert max(expected) < 0.1
    assert "derived from the observed risk" in tab.attrs["thresholds"]
    assert nb["method"].str.contains("derived from the observed risk").all()
    given = performance(y, risk, thresholds=(0.1, 0.2))
    assert given.attrs["thresholds"] == "given"
    assert len(performance(y, risk, thresholds=())) == len(tab) - 4


def test_incidence_thresholds_timed_and_common_outcomes():
    y = Survival([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1, 0, 1, 0, 1, 0])
    t = incidence_thresholds(y, 3.5)
    assert t.incidence == pytest.approx(1 - (5 / 6) * (3 / 4))
    assert "at the horizon 3.5" in t.description
    common = incidence_thresholds([1, 1, 1, 0], multiples=(1, 3))
    assert all(0 < v < 1 for v in common.thresholds)  # odds scale: stays below 1
    with pytest.raises(InsufficientDataError, match="observed risk"):
        incidence_thresholds([0, 0, 0])
