"""Figures under the disclosure policy (issue 11, finding 3): attacks on the drawn coordinates.

The attacker reads only what a figure shows (``Display.to_frame()``, the future
``<figure>.data.json`` sidecar); the true data are kept aside to check that nothing under
the threshold can be read back.
"""

from __future__ import annotations

import numpy as np
import pytest

from irdp.exceptions import SmallGroupWarning
from irdp.metrics import net_benefit
from irdp.nonparametric import aalen_johansen
from irdp.outcomes import Binary, CompetingRisks
from irdp.plotting import (
    CalibrationDisplay,
    DecisionCurveDisplay,
    ObservedRiskDisplay,
    RocCurveDisplay,
    plot_observed_risk,
)
from irdp.plotting._disclosure import coarsen_roc, coarsen_steps

M = 11


def _finding_3_cohort(seed=20240601):
    """Three risk levels; 'faible' (n about 1,070) has only 2 inaptitudes by the horizon."""
    rng = np.random.default_rng(seed)
    sizes = {"faible": 1072, "intermédiaire": 900, "forte": 400}
    rates = {"faible": 0.0, "intermédiaire": 0.00012, "forte": 0.0006}
    time, cause, level = [], [], []
    for name, n in sizes.items():
        t_event = rng.exponential(1 / rates[name], n) if rates[name] else np.full(n, np.inf)
        t_compete = rng.exponential(1 / 0.0002, n)
        t_cens = rng.uniform(200, 1500, n)
        t = np.minimum.reduce([t_event, t_compete, t_cens])
        c = np.where(t == t_event, 1, np.where(t == t_compete, 2, 0))
        if name == "faible":  # exactly two events of interest, at distinct early days
            c[:2], t[:2] = 1, [100.0, 300.0]
        time.append(np.ceil(t))
        cause.append(c)
        level += [name] * n
    return CompetingRisks(np.concatenate(time), np.concatenate(cause)), np.array(level)


def _true_events_between(y, rows, t0, t1):
    """Events of interest in (t0, t1] among rows (the truth, kept aside)."""
    return int(np.sum((y.time[rows] > t0) & (y.time[rows] <= t1) & (y.cause[rows] == 1)))


def test_one_event_per_step_attack_recovers_nothing():
    y, level = _finding_3_cohort()
    d = ObservedRiskDisplay.from_predictions(y, level, horizon=730)
    frame = d.to_frame()
    steps = frame[frame["element"] == "step"]
    # the level whose table cell reads "<11" is not drawn at all (it was drawn with 2 steps),
    # and the figure says so
    assert "faible" not in set(steps["series"])
    legend = [t.get_text() for t in d.figure_.legends[0].get_texts()]
    assert "faible (n = 1072): fewer than 11 events, not drawn" in legend
    assert {"intermédiaire", "forte"} <= set(steps["series"])
    for series, pts in steps.groupby("series"):
        rows = level == series
        x, risk = pts["x"].to_numpy(), pts["y"].to_numpy()
        jumps = np.flatnonzero(np.diff(risk) > 0)
        assert len(jumps) >= 1, series
        # attack 1: one step = one event; counting steps gives at most events / 11
        total = _true_events_between(y, rows, 0, 730)
        assert len(jumps) <= total // M, series
        # attack 2: every drawn step holds at least 11 true events and 11 workers at risk
        for k in jumps:
            assert _true_events_between(y, rows, x[k], x[k + 1]) >= M, (series, x[k + 1])
            assert int(np.sum(y.time[rows] >= x[k + 1])) >= M
        # attack 3: dividing each jump by the smallest one: the smallest step is >= 11
        # events, so no ratio can single out fewer than 11
        smallest = min(_true_events_between(y, rows, x[k], x[k + 1]) for k in jumps)
        assert smallest >= M


def test_old_behaviour_is_what_the_attack_exploits():
    """Without coarsening, 'faible' has exactly one step per event: the attack works on it."""
    y, level = _finding_3_cohort()
    rows = level == "faible"
    aj = aalen_johansen(y.time[rows], y.cause[rows])
    j = aj.causes.index(1)
    steps_at_every_event = int(np.sum(aj.n_events[aj.times <= 730, j] > 0))
    assert steps_at_every_event == 2  # what the old figure drew, and the suppressed count
    assert len(coarsen_steps(aj.n_at_risk, aj.n_events[:, j], M)) == 0


def test_step_rule_on_random_tables():
    rng = np.random.default_rng(7)
    for _ in range(200):
        k = int(rng.integers(1, 60))
        at_risk = np.sort(rng.integers(1, 400, k))[::-1].astype(float)
        events = rng.integers(0, 6, k).astype(float)
        kept = coarsen_steps(at_risk, events, M)
        last = -1
        for i in kept:
            assert events[last + 1:i + 1].sum() >= M
            assert at_risk[i] >= M
            assert at_risk[i] - events[i] >= M
            assert (at_risk[:i + 1] >= M).all()
            last = i


def test_roc_blocks_hold_at_least_eleven_cases_and_controls():
    rng = np.random.default_rng(8)
    n = 1500
    p = rng.beta(1, 20, n)
    event = rng.random(n) < p
    y = Binary(event)
    d = RocCurveDisplay.from_predictions(y, {"index": p})
    pts = d.to_frame()
    pts = pts[pts["element"] == "curve"]
    cases = np.rint(pts["y"].to_numpy() * event.sum())
    controls = np.rint(pts["x"].to_numpy() * (~event).sum())
    assert cases[0] == 0
    assert controls[-1] == (~event).sum()
    assert (np.diff(cases) >= M).all()
    assert (np.diff(controls) >= M).all()
    # a handful of cases: no vertex can be drawn, nothing but the diagonal
    few = np.zeros(n, bool)
    few[np.argsort(-p)[:15]] = True
    with pytest.warns(SmallGroupWarning, match="ROC curve"):
        d2 = RocCurveDisplay.from_predictions(Binary(few), {"index": p})
    assert d2.to_frame().empty


def test_roc_rule_on_random_tables():
    rng = np.random.default_rng(9)
    for _ in range(200):
        k = int(rng.integers(1, 80))
        a, b = rng.integers(0, 5, k).astype(float), rng.integers(0, 8, k).astype(float)
        kept = coarsen_roc(a, b, M)
        if not len(kept):
            continue
        assert kept[-1] == k - 1
        bounds = np.r_[-1, kept]
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            assert a[lo + 1:hi + 1].sum() >= M
            assert b[lo + 1:hi + 1].sum() >= M


def test_decision_curve_hides_thresholds_with_few_flagged_or_unflagged():
    rng = np.random.default_rng(10)
    n = 600
    p = rng.beta(2, 30, n)
    y = Binary(rng.random(n) < p)
    thresholds = np.linspace(0.0005, 0.4, 60)
    dc = net_benefit(y, p, thresholds, name="index")
    d = DecisionCurveDisplay.from_curves([dc])
    drawn = d.to_frame()
    drawn = drawn[drawn["series"] == "index"]
    flagged = np.array([(p >= t).sum() for t in drawn["x"]])
    ok = ((flagged >= M) & (n - flagged >= M)) | (flagged == 0) | (flagged == n)
    assert ok.all()
    assert len(drawn) < len(thresholds)  # the extreme thresholds were hidden


def test_calibration_histogram_bins_under_threshold_are_not_drawn():
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(0.01, 0.1, 800), rng.uniform(0.5, 0.9, 5)]
    yv = (rng.random(len(p)) < p).astype(int)
    d = CalibrationDisplay.from_predictions(yv, p)
    bars = d.to_frame().query("element == 'bar'")
    assert (bars["n"] >= M).all()
    heights = [b.get_height() for b in d.hist_ax_.patches]
    assert sorted(heights) == sorted(bars["y"].tolist())
    assert "fewer than 11" in d.hist_ax_.get_title(loc="right")


def test_small_levels_are_not_drawn_and_listed(survival_data):
    y, risk = survival_data
    level = np.where(risk > 0.4, "high", "low")
    level[:5] = "tiny"
    with pytest.warns(SmallGroupWarning, match="'tiny' has 5 subjects") as caught:
        fig = plot_observed_risk(y, level, horizon=1.0, time_unit="years")
    assert caught[0].filename == __file__  # the warning points at the caller's line
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any(lbl.startswith("tiny") for lbl in labels)
    assert "tiny" not in set(fig.display_.to_frame()["series"])
