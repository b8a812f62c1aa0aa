"""Hand-computed tiny examples, brute-force cross-checks and error cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.exceptions import IndexMismatchError, NoComparablePairsError, UndefinedMetricWarning
from irdp.metrics import (
    auc,
    brier,
    calibration,
    classification,
    concordance,
    delong_test,
    idi,
    ipa,
    net_benefit,
    nri,
    oe_ratio,
    performance,
    roc_curve,
    td_auc,
)
from irdp.outcomes import CompetingRisks, Survival

# A tiny survival data set, worked by hand in the comments below.
T6 = [1, 2, 3, 4, 5, 6]
E6 = [1, 0, 1, 1, 0, 0]
R6 = [0.9, 0.8, 0.3, 0.7, 0.2, 0.1]


def test_td_auc_by_hand():
    # censoring KM (events leave first): G = 1 before 2, 4/5 on [2, 5), 2/5 on [5, 6)
    # cases by 3.5: #1 (weight 1/G(1-) = 1), #3 (1/G(3-) = 1.25); controls #4, #5, #6.
    # case #1 beats the 3 controls, case #3 beats 2 of 3: (3 + 2 * 1.25) / (2.25 * 3)
    est = td_auc(Survival(T6, E6), R6, 3.5)
    assert est.value == pytest.approx(5.5 / 6.75, abs=1e-12)
    assert est.details["n_cases"] == 2
    assert est.details["n_controls"] == 3


def test_brier_by_hand():
    # (1-.9)^2/1 + 0 (censored) + (1-.3)^2/.8 + (.7^2 + .2^2 + .1^2)/.8, over 6
    expected = (0.01 + 0.49 / 0.8 + (0.49 + 0.04 + 0.01) / 0.8) / 6
    assert brier(Survival(T6, E6), R6, horizon=3.5).value == pytest.approx(expected, abs=1e-12)


def test_survival_net_benefit_by_hand():
    # flagged at 0.5: #1, #2, #4; KM among them at 3.5 = 2/3 -> F = 1/3, P = 1/2
    # NB = F P - (1 - F) P * 1 = -1/6; treat all: KM(3.5) = 5/6 * 3/4 -> F = 3/8 -> -1/4
    dc = net_benefit(Survival(T6, E6), R6, [0.5], horizon=3.5)
    row = dc.frame.iloc[0]
    assert row.net_benefit == pytest.approx(-1 / 6, abs=1e-12)
    assert row.treat_all == pytest.approx(-0.25, abs=1e-12)
    assert row.net_interventions_avoided == pytest.approx(-1 / 6 + 0.25, abs=1e-12)
    assert row.share_flagged == 0.5


def test_binary_net_benefit_matches_tp_fp_formula():
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, 200)
    y = (rng.random(200) < p).astype(int)
    dc = net_benefit(y, p, [0.2, 0.5])
    for pt, nb in zip(dc.frame.threshold, dc.frame.net_benefit, strict=True):
        flag = p >= pt
        tp, fp = np.sum(flag & (y == 1)), np.sum(flag & (y == 0))
        assert nb == pytest.approx(tp / 200 - fp / 200 * pt / (1 - pt), abs=1e-12)


def test_competing_net_benefit_uses_aalen_johansen():
    y = CompetingRisks([1, 2, 3, 4, 5, 6], [1, 2, 1, 0, 2, 0])
    dc = net_benefit(y, [0.6, 0.5, 0.4, 0.3, 0.2, 0.1], [0.35], horizon=3.5)
    # flagged: first three (times 1 cause 1, 2 cause 2, 3 cause 1): CIF1 = 2/3, P = 1/2
    w = 0.35 / 0.65
    assert dc.frame.net_benefit.iloc[0] == pytest.approx(2 / 3 * 0.5 - 1 / 3 * 0.5 * w)


def test_concordance_tiny_ties():
    # times 1(e), 1(e), 1(c), 2(e): pairs (#1, #3), (#2, #3), (#1, #4), (#2, #4), (#4: none)
    # events at the same time are not comparable; event vs censored at the same time is.
    y = Survival([1, 1, 1, 2], [1, 1, 0, 1])
    est = concordance(y, [0.5, 0.2, 0.2, 0.3])
    # #1 vs #3: .5 > .2 conc; #2 vs #3: tie (1/2); #1 vs #4: conc; #2 vs #4: disc
    assert est.value == pytest.approx((2 + 0.5) / 4)
    assert est.details == {"concordant": 2.0, "discordant": 1.0, "tied_risk": 1.0}


def _brute_harrell(t, e, x):
    num = den = 0.0
    for i in range(len(t)):
        if not e[i]:
            continue
        for j in range(len(t)):
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                den += 1
                num += (x[i] > x[j]) + 0.5 * (x[i] == x[j])
    return num / den


def test_concordance_matches_brute_force_with_heavy_ties(rng):
    n = 150
    t = rng.integers(1, 8, n).astype(float)
    e = rng.random(n) < 0.5
    x = rng.integers(0, 5, n).astype(float)
    assert concordance(Survival(t, e), x).value == pytest.approx(_brute_harrell(t, e, x))


def test_concordance_of_binary_equals_auc(rng):
    y = (rng.random(80) < 0.4).astype(int)
    x = np.round(rng.normal(size=80), 1)
    c = concordance(y, x)
    a = auc(y, x)
    assert c.value == pytest.approx(a.value)


def test_constant_risk():
    y = Survival([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 0, 1])
    assert concordance(y, np.full(6, 0.3)).value == 0.5
    assert auc([0, 1, 0, 1], [0.3] * 4).value == 0.5
    assert td_auc(y, np.full(6, 0.3), 3.5).value == pytest.approx(0.5)
    with pytest.warns(UndefinedMetricWarning, match="calibration_slope is undefined"):
        cal = calibration([0, 1, 0, 1, 1], [0.6] * 5)
    assert np.isnan(cal.slope.value)
    assert cal.oe.value == pytest.approx(1.0)
    with pytest.warns(UndefinedMetricWarning, match="constant"):
        tcal = calibration(y, np.full(6, 0.3), horizon=3.5)
    assert np.isnan(tcal.slope.value)
    # the "curve" collapses to the overall Kaplan-Meier risk: ICI = |0.3 - KM risk|
    assert tcal.ici.value == pytest.approx(abs(0.3 - tcal.observed))


def test_one_event():
    y = Survival([1, 2, 3, 4], [0, 1, 0, 0])
    c = concordance(y, [0.1, 0.9, 0.2, 0.3])
    assert c.value == 1.0
    a = auc([0, 0, 1, 0], [0.1, 0.2, 0.9, 0.3])
    assert a.value == 1.0
    assert np.isnan(a.se)  # DeLong needs two cases for the case variance (as pROC)


def test_all_censored():
    y = Survival([1, 2, 3], [0, 0, 0])
    with pytest.raises(NoComparablePairsError, match="no comparable pair"):
        concordance(y, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="at least one event of interest"):
        td_auc(y, [0.1, 0.2, 0.3], 1.5)


def test_roc_curve_binary():
    frame = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert frame.tpr.iloc[-1] == 1.0
    assert frame.fpr.iloc[-1] == 1.0
    area = np.trapezoid(frame.tpr, frame.fpr)
    assert area == pytest.approx(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).value)


def test_classification_binary_by_hand():
    t = classification([1, 1, 0, 0, 0], [0.9, 0.2, 0.6, 0.1, 0.3], [0.5])
    v = t.set_index("measure")["value"]
    assert v["sensitivity"] == 0.5
    assert v["specificity"] == pytest.approx(2 / 3)
    assert v["ppv"] == 0.5
    assert v["npv"] == pytest.approx(2 / 3)
    assert v["share_flagged"] == pytest.approx(0.4)
    assert (t.lower <= t.value).all()
    assert (t.value <= t.upper).all()


def test_classification_ipcw_by_hand():
    # weights (see test_td_auc_by_hand): cases #1 (1), #3 (1.25); controls #4-#6 (1.25)
    t = classification(Survival(T6, E6), R6, [0.5], horizon=3.5)
    v = t.set_index("measure")["value"]
    assert v["sensitivity"] == pytest.approx(1 / 2.25)
    assert v["specificity"] == pytest.approx(2 / 3)
    assert v["ppv"] == pytest.approx(1 / (1 + 1.25))


def test_nri_idi_secondary():
    y = [0, 1, 1, 0, 1, 0]
    old = [0.2, 0.5, 0.5, 0.4, 0.3, 0.1]
    new = [0.1, 0.6, 0.7, 0.5, 0.2, 0.1]
    r = nri(y, old, new)
    assert r.details["nri_events"] == pytest.approx(1 / 3)
    assert r.details["nri_nonevents"] == pytest.approx(0.0)
    cat = nri(y, old, new, thresholds=[0.45])
    # categories at 0.45: events keep theirs; non-event #4 moves up (0.4 -> 0.5)
    assert cat.value == pytest.approx(-1 / 3)
    d = idi(y, old, new)
    assert d.value == pytest.approx((0.1 + 0.2 - 0.1) / 3 - (-0.1 + 0.1 + 0) / 3)


def test_ipa_binary_equals_scaled_brier():
    y = np.array([0, 1, 1, 0, 0, 1, 0, 0])
    p = np.array([0.1, 0.7, 0.6, 0.2, 0.4, 0.5, 0.3, 0.2])
    bs = np.mean((p - y) ** 2)
    assert ipa(y, p).value == pytest.approx(1 - bs / (y.mean() * (1 - y.mean())))


def test_oe_binary():
    est = oe_ratio([0, 1, 1, 0], [0.2, 0.6, 0.4, 0.3])
    assert est.value == pytest.approx(2 / 1.5)
    se_log = np.sqrt((1 - 0.5) / 2)  # binomial: sqrt((1 - O/n)/O) (Debray 2017)
    assert est.lower == pytest.approx(est.value * np.exp(-1.959963984540054 * se_log))
    poisson = oe_ratio([0, 1, 1, 0], [0.2, 0.6, 0.4, 0.3], oe_interval="poisson")
    assert poisson.upper == pytest.approx(est.value * np.exp(1.959963984540054 / np.sqrt(2)))


# ----------------------------------------------------------------------------- errors
SURV = Survival([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0])
ERRORS = [
    (ValueError, "same number of rows", lambda: auc([0, 1, 1], [0.1, 0.2])),
    (ValueError, r"probability in \[0, 1\]", lambda: brier([0, 1], [0.5, 1.2])),
    (ValueError, r"probability in \[0, 1\]", lambda: calibration([0, 1], [-0.1, 0.5])),
    (ValueError, "must be finite", lambda: auc([0, 1], [0.1, np.nan])),
    (ValueError, "beyond the last follow-up", lambda: td_auc(SURV, [0.1, 0.2, 0.3, 0.4], 9)),
    (ValueError, "beyond the last follow-up", lambda: brier(SURV, [0.1] * 4, horizon=9)),
    (ValueError, "at least one event of interest", lambda: td_auc(SURV, [0.1] * 4, 0.5)),
    (ValueError, "at least one event of interest",
     lambda: calibration(SURV, [0.1] * 4, horizon=0.5)),
    (ValueError, "horizon is required", lambda: brier(SURV, [0.1] * 4)),
    (ValueError, "both events and non-events", lambda: auc([1, 1, 1], [0.1, 0.2, 0.3])),
    (ValueError, "method must be", lambda: concordance(SURV, [1, 2, 3, 4], method="x")),
    (ValueError, "level must lie", lambda: auc([0, 1, 0, 1], [0.1, 0.6, 0.3, 0.8], level=95)),
    (ValueError, "thresholds must be probabilities",
     lambda: net_benefit([0, 1], [0.2, 0.6], [0.0, 0.5])),
    (ValueError, "definition must be 1 or 2", lambda: td_auc(SURV, [1, 2, 3, 4], 2.5,
                                                            definition=3)),
    (ValueError, "smoother for binary", lambda: calibration([0, 1, 0, 1], [.2, .6, .4, .7],
                                                            smoother="cox_rcs")),
    (TypeError, "outcome container", lambda: auc("0101", [0.1, 0.2, 0.3, 0.4])),
    (TypeError, "supports outcomes of kind binary",
     lambda: delong_test(SURV, [1, 2, 3, 4], [4, 3, 2, 1])),
    (TypeError, "n_boot must be an int", lambda: auc([0, 1], [0.1, 0.9], n_boot="yes")),
    (IndexMismatchError, "never aligns silently",
     lambda: auc(pd.Series([0, 1, 0], index=[1, 2, 3]),
                 pd.Series([0.1, 0.5, 0.2], index=[3, 2, 1]))),
    (ValueError, "empty", lambda: auc(np.array([], dtype=int), [])),
]


@pytest.mark.parametrize(("exc", "match", "call"), ERRORS,
                         ids=[f"{e[0].__name__}:{e[1][:30]}" for e in ERRORS])
def test_errors(exc, match, call):
    with pytest.raises(exc, match=match):
        call()


def test_performance_survival_rows():
    rng = np.random.default_rng(11)
    x = rng.normal(size=300)
    t = rng.exponential(np.exp(-x))
    c = rng.exponential(2.0, 300)
    y = Survival(np.minimum(t, c), t <= c)
    risk = 1 - np.exp(-1.0 * np.exp(x))
    tab = performance(y, risk, 1.0, thresholds=[0.3, 0.6])
    assert list(tab.columns[:6]) == ["group", "measure", "value", "se", "lower", "upper"]
    assert {"oe_ratio", "calibration_slope", "c_harrell", "c_uno", "td_auc", "brier", "ipa",
            "ici", "net_benefit@0.3"} <= set(tab.measure)
    assert set(tab.group) == {"A", "B", "C", "D", "overall", "calibration (moderate)"}


def _brute_td_auc(y, x, h, definition):
    from irdp.metrics._ipcw import censoring_model

    any_event = y.cause != 0 if isinstance(y, CompetingRisks) else y.event
    cens = censoring_model(y.time, any_event)
    g_left, g_t = cens.at(y.time, left=True), float(cens.at(h))
    competing = y.competing if isinstance(y, CompetingRisks) else np.zeros(len(y), bool)
    cases = [(x[i], 1 / g_left[i]) for i in range(len(y)) if y.event[i] and y.time[i] <= h]
    ctrls = [(x[j], 1 / g_t) for j in range(len(y)) if y.time[j] > h]
    if definition == 2:
        ctrls += [(x[j], 1 / g_left[j]) for j in range(len(y))
                  if competing[j] and y.time[j] <= h]
    num = sum(wa * wb * ((xa > xb) + 0.5 * (xa == xb)) for xa, wa in cases for xb, wb in ctrls)
    return num / (sum(w for _, w in cases) * sum(w for _, w in ctrls))


@pytest.mark.parametrize("definition", [1, 2])
def test_td_auc_competing_definitions_brute_force(rng, definition):
    n = 120
    time = rng.integers(1, 15, n).astype(float)
    cause = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    x = np.round(rng.normal(size=n), 1)
    y = CompetingRisks(time, cause)
    est = td_auc(y, x, 6.5, definition=definition)
    assert est.value == pytest.approx(_brute_td_auc(y, x, 6.5, definition))
    assert est.name == f"td_auc_def{definition}"
    assert 0 < est.se < 0.2


def test_delong_bootstrap_interval():
    rng = np.random.default_rng(8)
    y = (rng.random(150) < 0.4).astype(int)
    a = y + rng.normal(0, 1, 150)
    b = y + rng.normal(0, 1.5, 150)
    res = delong_test(y, a, b, n_boot=60, seed=2)
    assert res.lower < res.value < res.upper
    assert res.method == "bootstrap percentile (B=60)"
    assert 0 <= res.details["p_value"] <= 1
