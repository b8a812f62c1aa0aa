"""The plot functions keep returning Figures (now rendering inline), never show, and respect
the disclosure threshold."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from irdp.exceptions import SmallGroupWarning  # noqa: E402
from irdp.metrics import calibration, net_benefit  # noqa: E402
from irdp.outcomes import CompetingRisks  # noqa: E402
from irdp.plotting import (  # noqa: E402
    DisplayFigure,
    plot_calibration,
    plot_decision_curve,
    plot_observed_risk,
    plot_roc,
)


def _no_show(monkeypatch):
    import matplotlib.pyplot as plt

    def boom(*a, **k):
        raise AssertionError("show() must not be called")

    monkeypatch.setattr(plt, "show", boom)


def test_calibration_plot(monkeypatch, survival_data):
    _no_show(monkeypatch)
    y, risk = survival_data
    cal = calibration(y, risk, horizon=1.0)
    fig = plot_calibration(cal)
    assert isinstance(fig, Figure)
    assert isinstance(fig, DisplayFigure)
    assert fig._repr_png_().startswith(b"\x89PNG")  # renders inline in Jupyter
    assert any("O/E" in t.get_text() for t in fig.legends[0].get_texts())
    hist_ax = fig.axes[1]
    heights = [p.get_height() for p in hist_ax.patches]
    assert all(h >= 11 for h in heights)
    assert isinstance(cal.plot(), DisplayFigure)
    assert isinstance(cal.plot(label="x", min_count=20), Figure)


def test_calibration_plot_on_given_axis(survival_data):
    y, risk = survival_data
    cal = calibration(y, risk, horizon=1.0)
    fig0 = Figure()
    ax = fig0.subplots()
    assert plot_calibration(cal, ax=ax) is fig0


def test_small_sample_draws_nothing():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.2, 0.8, 10)
    y = np.array([0, 1] * 5)
    cal = calibration(y, p)
    with pytest.warns(SmallGroupWarning, match="disclosure threshold"):
        fig = plot_calibration(cal)
    assert len(fig.axes[0].lines) == 1  # only the diagonal


def test_roc_and_decision_curves(survival_data):
    y, risk = survival_data
    fig = plot_roc(y, {"index": risk, "noise": risk + np.random.default_rng(1).normal(
        0, 0.3, len(risk))}, horizon=1.0)
    assert len(fig.axes[0].lines) == 3
    assert isinstance(fig, DisplayFigure)
    curves = [net_benefit(y, risk, horizon=1.0, name="index"),
              net_benefit(y, np.clip(risk * 0.5, 0, 1), horizon=1.0, name="shrunk")]
    fig = plot_decision_curve(curves)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["flag nobody", "flag everybody", "index", "shrunk"]
    # thresholds where fewer than 11 subjects are flagged are blank
    line = fig.axes[0].lines[-1]
    assert np.isnan(line.get_ydata()).any()


def test_observed_risk_by_level_suppresses_small_levels(survival_data):
    y, risk = survival_data
    level = np.where(risk > 0.9, "very high", np.where(risk > 0.4, "high", "low"))
    level[:5] = "tiny"
    with pytest.warns(SmallGroupWarning, match="'tiny'"):
        fig = plot_observed_risk(y, level, horizon=1.0, time_unit="years")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any(lbl.startswith("tiny") for lbl in labels)
    cr = CompetingRisks(y.time, np.where(y.event, 1, 0))
    fig = plot_observed_risk(cr, np.where(risk > 0.4, "high", "low"), horizon=1.0)
    assert len(fig.axes[0].lines) >= 2
    with pytest.raises(TypeError, match="Survival or CompetingRisks"):
        plot_observed_risk([0, 1], ["a", "b"])


def test_decision_curve_scale_follows_a_rare_outcome():
    """With a 1 % outcome the default y-range is set by the net benefit, not a fixed -0.05."""
    from irdp.outcomes import Binary

    rng = np.random.default_rng(7)
    risk = rng.beta(1, 99, 20_000)
    y = Binary(rng.random(20_000) < risk)
    dc = net_benefit(y, risk, np.linspace(0.005, 0.1, 20), name="index")
    fig = plot_decision_curve([dc])
    low, high = fig.axes[0].get_ylim()
    top = max(dc.frame.net_benefit.max(), dc.frame.treat_all.max())
    assert top <= y.prevalence  # net benefit is bounded by the prevalence
    assert high == pytest.approx(1.1 * top, rel=1e-9)
    assert low == pytest.approx(-0.5 * top, rel=1e-9)
    assert low > -0.05
