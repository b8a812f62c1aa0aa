"""The figure defects of issue 12, each checked on the drawn figure.

- the prediction-interval label sat over the pooled diamond;
- the O/E axis was labelled ``6×10⁻¹`` (log axis with scientific tick labels);
- a legend hid S008's point;
- "Mean absolute error 0.000" as the title of a calibration plot;
- a time axis without unit;
- a completeness AUC axis spanning 0.7945-0.7966.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from irdp.metrics import calibration
from irdp.missing.strategies import CompletenessSensitivity
from irdp.plotting import (
    BootstrapCalibrationDisplay,
    CalibrationDisplay,
    CompletenessDisplay,
    FairnessForestDisplay,
    MetaForestDisplay,
    ObservedRiskDisplay,
    RocCurveDisplay,
)
from irdp.validation import meta_analysis
from irdp.validation.bootstrap import CalibrationCurveResult

LABELS = [f"S{i:03d}" for i in range(1, 9)]


def _oe_meta():
    est = np.array([0.62, 0.9, 1.1, 0.75, 1.3, 0.95, 0.8, 0.58])
    se = np.array([0.15, 0.1, 0.2, 0.12, 0.25, 0.1, 0.18, 0.1])
    return meta_analysis(est, se, scale="oe", labels=LABELS)


def _tick_labels(fig, ax, which="x"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    labels = ax.get_xticklabels() if which == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels if t.get_text()]


def test_prediction_interval_label_is_not_over_the_diamond():
    d = MetaForestDisplay.from_result(_oe_meta(), measure="oe")
    ax = d.ax_
    assert ax.get_legend() is None
    assert not d.figure_.legends
    labels = _tick_labels(d.figure_, ax, "y")
    assert "95 % prediction interval" in labels
    assert any(lab.startswith("pooled estimate") for lab in labels)
    frame = d.to_frame()
    diamond = frame[frame["element"] == "diamond"].iloc[0]
    interval = frame[frame["element"] == "interval"].iloc[0]
    assert abs(diamond["y"] - interval["y"]) >= 1.0  # own row, the diamond is 0.6 high
    renderer = d.figure_.canvas.get_renderer()
    pi_label = next(t for t in ax.get_yticklabels() if "prediction" in t.get_text())
    diamond_patch = next(p for p in ax.patches)
    assert not pi_label.get_window_extent(renderer).overlaps(
        diamond_patch.get_window_extent(renderer))


def test_ratio_axis_has_plain_tick_labels():
    d = MetaForestDisplay.from_result(_oe_meta(), measure="oe")
    assert d.ax_.get_xscale() == "log"
    labels = _tick_labels(d.figure_, d.ax_)
    assert len(labels) >= 3
    assert all(re.fullmatch(r"\d+(\.\d+)?", lab) for lab in labels), labels
    assert "1" in labels  # the reference value is a tick
    assert not any("10" in lab and "^" in lab for lab in labels)


def test_fairness_ratio_forest_has_plain_tick_labels():
    from irdp.fairness.plots import GroupForest

    table = pd.DataFrame({"label": ["F", "M", "(overall)"], "value": [0.61, 0.9, 0.8],
                          "lower": [0.5, 0.7, 0.7], "upper": [0.75, 1.1, 0.9],
                          "overall": [False, False, True]})
    d = FairnessForestDisplay(GroupForest("oe_ratio", table)).plot()
    labels = _tick_labels(d.figure_, d.ax_)
    assert all(re.fullmatch(r"\d+(\.\d+)?", lab) for lab in labels), labels


def test_no_legend_hides_the_last_centre():
    """S008, the last and lowest centre, was hidden by a legend in the lower right."""
    d = MetaForestDisplay.from_result(_oe_meta(), measure="oe")
    assert d.ax_.get_legend() is None
    labels = _tick_labels(d.figure_, d.ax_)  # draws the figure
    assert labels
    renderer = d.figure_.canvas.get_renderer()
    s008 = d.to_frame().set_index("series").loc["S008"]
    point = d.ax_.transData.transform((s008["x"], s008["y"]))
    assert d.ax_.get_window_extent(renderer).contains(*point)
    covering = [t.get_text() for t in d.ax_.texts
                if t.get_window_extent(renderer).contains(*point)]
    assert covering == []


def test_calibration_title_says_something_true():
    """rms::calibrate's 'Mean absolute error 0.000' for a rare outcome: 3 significant digits."""
    grid = np.linspace(0.002, 0.08, 30)
    res = CalibrationCurveResult(
        curve=pd.DataFrame({"predicted": grid, "apparent": grid, "optimism": 0 * grid,
                            "corrected": grid * 1.01, "n": np.full(30, 200)}),
        mean_absolute_error=0.000412, quantile90_absolute_error=0.00131)
    fig = res.plot()
    title = fig.axes[0].get_title()
    assert "0.000 " not in f"{title} "
    assert "0.000412" in title
    assert "0.00131" in title
    d = BootstrapCalibrationDisplay.from_result(res)
    assert d.ax_.get_title() == title


def test_calibration_legend_gives_ici_with_three_significant_digits():
    rng = np.random.default_rng(2)
    p = rng.beta(1, 60, 5000)
    cal = calibration((rng.random(5000) < p).astype(int), p)
    d = CalibrationDisplay.from_result(cal, label="index")
    texts = [t.get_text() for lg in d.figure_.legends for t in lg.get_texts()]
    entry = next(t for t in texts if t.startswith("index:"))
    assert f"ICI {float(cal.ici.value):.3g}" in entry
    assert "ICI 0.000" not in entry


def test_time_axes_have_a_unit(competing_data, survival_data):
    ycr, level = competing_data
    d = ObservedRiskDisplay.from_predictions(ycr, level, horizon=730)
    assert d.ax_.get_xlabel() == "time since the index date (days)"
    y, risk = survival_data
    d2 = ObservedRiskDisplay.from_predictions(y, np.where(risk > 0.5, "high", "low"),
                                              time_unit="years")
    assert d2.ax_.get_xlabel().endswith("(years)")
    roc = RocCurveDisplay.from_predictions(ycr, {"index": np.linspace(0, 1, len(level))},
                                           horizon=730)
    assert "730 days" in roc.ax_.get_xlabel()
    cal = calibration(ycr, np.clip(np.linspace(0.01, 0.6, len(level)), 0, 1), horizon=730)
    assert "730 days" in CalibrationDisplay.from_result(cal).ax_.get_ylabel()


@pytest.mark.parametrize("spread", [0.0021, 0.05])
def test_completeness_axes_let_a_reader_judge_the_difference(spread):
    rows = []
    for i, rate in enumerate([0.0, 0.25, 0.5, 0.75]):
        for measure, base in (("auc", 0.7945), ("oe_ratio", 1.0), ("slope", 0.97)):
            v = base + spread * i / 3
            rows.append({"rate": rate, "measure": measure, "mean": v, "lower": v - 0.0002,
                         "upper": v + 0.0002, "missing_share": rate})
    s = pd.DataFrame(rows)
    res = CompletenessSensitivity(results=s.assign(repeat=0, value=s["mean"]), summary=s,
                                  fields=("sl_days_24m",), mechanism="MCAR", strategy="mean")
    d = CompletenessDisplay.from_result(res)
    auc_ax, cal_ax = d.axes_
    low, high = auc_ax.get_ylim()
    assert high - low >= 0.2 - 1e-12
    assert low <= 0.7945
    assert high >= 0.7945 + spread
    assert 0.0 <= low
    assert high <= 1.0
    c_low, c_high = cal_ax.get_ylim()
    assert c_high - c_low >= 0.5 - 1e-12
    assert c_low < 1.0 < c_high
    assert auc_ax.get_xlabel() == "share of sl_days_24m deleted (MCAR)"
    assert [t for t in _tick_labels(d.figure_, auc_ax) if t][0] == "0%"
