"""Every display draws, renders inline (PNG), returns what it drew, and keeps legends off data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from IPython.core.formatters import PNGFormatter
from matplotlib.figure import Figure

from irdp.fairness import group_calibration, group_performance
from irdp.metrics import calibration, net_benefit
from irdp.missing.strategies import CompletenessSensitivity, StrategyComparison
from irdp.outcomes import Survival
from irdp.plotting import (
    DRAWN_COLUMNS,
    BootstrapCalibrationDisplay,
    CalibrationDisplay,
    CompletenessDisplay,
    DecisionCurveDisplay,
    Display,
    DisplayFigure,
    FairnessForestDisplay,
    GroupCalibrationDisplay,
    MetaForestDisplay,
    ObservedRiskDisplay,
    RocCurveDisplay,
    StrategyComparisonDisplay,
)
from irdp.validation import meta_analysis
from irdp.validation.bootstrap import CalibrationCurveResult
from irdp.validation.iecv import IECVResult

PNG = b"\x89PNG\r\n\x1a\n"


def _bootstrap_curve():
    grid = np.linspace(0.002, 0.08, 30)
    return CalibrationCurveResult(
        curve=pd.DataFrame({"predicted": grid, "apparent": grid * 1.05,
                            "optimism": grid * 0.02, "corrected": grid * 1.03,
                            "n": np.full(30, 200)}),
        mean_absolute_error=0.000412, quantile90_absolute_error=0.00131)


def _completeness(spread=0.002):
    rates = [0.0, 0.25, 0.5, 0.75]
    rows = []
    for i, rate in enumerate(rates):
        for measure, base in (("auc", 0.7945), ("oe_ratio", 1.0), ("slope", 0.95)):
            v = base + spread * i / 3
            rows.append({"rate": rate, "measure": measure, "mean": v, "lower": v - 0.0005,
                         "upper": v + 0.0005, "missing_share": rate})
    summary = pd.DataFrame(rows)
    return CompletenessSensitivity(results=summary.assign(repeat=0, value=summary["mean"]),
                                   summary=summary, fields=("sl_days_24m",), mechanism="MCAR",
                                   strategy="mean")


def _strategies():
    rows = []
    for s, shift in (("complete_case", 0.05), ("indicator", 0.0), ("multiple", 0.01)):
        for m, v in (("auc", 0.75), ("oe_ratio", 1.02), ("slope", 0.9)):
            rows.append({"strategy": s, "measure": m, "value": v + shift,
                         "lower": v + shift - 0.1, "upper": v + shift + 0.1, "n_train": 2000,
                         "n_test": 900})
    return StrategyComparison(pd.DataFrame(rows))


def _meta(scale="oe"):
    est = np.array([0.6, 0.9, 1.1, 0.75, 1.3, 0.95, 0.8, 1.05])
    se = np.array([0.15, 0.1, 0.2, 0.12, 0.25, 0.1, 0.18, 0.3])
    if scale == "c":
        est, se = np.array([0.71, 0.76, 0.69, 0.8, 0.74, 0.77, 0.72, 0.79]), np.full(8, 0.03)
    return meta_analysis(est, se, scale=scale, labels=[f"S{i:03d}" for i in range(1, 9)])


def _all_displays(binary_data, competing_data):
    y, p = binary_data
    ycr, level = competing_data
    perf = group_performance(y, p, pd.DataFrame({"sex": np.resize(["F", "M"], len(p))}),
                             n_boot=20, seed=1)
    gcal = group_calibration(y, p, pd.Series(np.resize(["F", "M"], len(p)), name="sex"),
                             n_bins=4)
    return {
        "calibration": CalibrationDisplay.from_predictions(y, p, label="index"),
        "roc": RocCurveDisplay.from_predictions(y, {"index": p}),
        "decision": DecisionCurveDisplay.from_predictions(y, {"index": p},
                                                          np.linspace(0.005, 0.2, 20)),
        "observed": ObservedRiskDisplay.from_predictions(ycr, level, horizon=730),
        "meta": MetaForestDisplay.from_result(_meta(), measure="oe"),
        "fairness": FairnessForestDisplay.from_result(perf, "auc"),
        "group_calibration": GroupCalibrationDisplay.from_result(gcal),
        "bootstrap_calibration": BootstrapCalibrationDisplay.from_result(_bootstrap_curve()),
        "completeness": CompletenessDisplay.from_result(_completeness()),
        "strategies": StrategyComparisonDisplay.from_result(_strategies()),
    }


def test_every_display_draws_renders_and_reports_what_it_drew(binary_data, competing_data,
                                                             legends_outside_data):
    for name, d in _all_displays(binary_data, competing_data).items():
        assert isinstance(d, Display), name
        assert isinstance(d.figure_, Figure), name
        assert isinstance(d.figure_, DisplayFigure), name
        assert d.figure_.display_ is d, name
        assert d.ax_ in d.figure_.axes, name
        assert d._repr_png_().startswith(PNG), name
        frame = d.to_frame()
        assert list(frame.columns) == list(DRAWN_COLUMNS), name
        assert len(frame) > 0, name
        legends_outside_data(d.figure_)


def test_figures_render_inline_in_jupyter(binary_data):
    """What the plot functions and results return renders as PNG (and the display as HTML)."""
    y, p = binary_data
    d = CalibrationDisplay.from_predictions(y, p)
    assert d.figure_._repr_png_().startswith(PNG)
    assert d._repr_html_().startswith('<img src="data:image/png;base64,')
    formatter = PNGFormatter()  # what Jupyter calls on a cell's result
    assert formatter(d.figure_).startswith(PNG)
    assert formatter(d).startswith(PNG)


def test_display_draws_on_given_axes(binary_data):
    y, p = binary_data
    fig = Figure()
    ax = fig.subplots()
    d = CalibrationDisplay.from_predictions(y, p, ax=ax)
    assert d.figure_ is fig
    assert d.ax_ is ax
    assert d.hist_ax_ is None
    # the risk distribution is a strip of bars at the bottom of the same axes
    assert len(ax.patches) > 0
    fig2 = Figure()
    pair = fig2.subplots(1, 2)
    c = CompletenessDisplay.from_result(_completeness(), ax=pair)
    assert c.figure_ is fig2
    with pytest.raises(ValueError, match="sequence of 2 matplotlib Axes"):
        CompletenessDisplay(_completeness()).plot(ax=pair[0])


def test_display_not_drawn_yet_is_drawn_on_demand(binary_data, tmp_path):
    y, p = binary_data
    d = CalibrationDisplay(calibration(y, p))
    assert d.figure_ is None
    assert "not drawn" in repr(d)
    d.savefig(tmp_path / "cal.png")
    assert (tmp_path / "cal.png").read_bytes().startswith(PNG)
    assert d.figure_ is not None


def test_to_frame_is_what_is_on_the_axes(competing_data):
    """The drawn step coordinates and the frame hold the same points (no more, no less)."""
    ycr, level = competing_data
    d = ObservedRiskDisplay.from_predictions(ycr, level, horizon=730)
    frame = d.to_frame()
    steps = frame[frame["element"] == "step"]
    lines = [ln for ln in d.ax_.get_lines() if ln.get_drawstyle().startswith("steps")]
    assert len(lines) == steps["series"].nunique() == 3
    for ln in lines:
        series = ln.get_label().split(" (n = ")[0]
        rows = steps[steps["series"] == series]
        np.testing.assert_array_equal(ln.get_xdata(), rows["x"].to_numpy())
        np.testing.assert_array_equal(ln.get_ydata(), rows["y"].to_numpy())
    legend = frame[frame["element"] == "legend"]
    assert (legend["n"] >= 11).all()


def test_type_errors_name_the_expected_object(binary_data):
    y, p = binary_data
    with pytest.raises(TypeError, match="CalibrationResult"):
        CalibrationDisplay("not a result")
    with pytest.raises(TypeError, match="DecisionCurve objects"):
        DecisionCurveDisplay([1, 2])
    with pytest.raises(TypeError, match="MetaAnalysisResult"):
        MetaForestDisplay(object())
    with pytest.raises(TypeError, match="Survival or CompetingRisks"):
        ObservedRiskDisplay(y, np.zeros(len(p)))
    with pytest.raises(ValueError, match="one value per subject"):
        ObservedRiskDisplay.from_predictions(Survival([1.0, 2.0], [1, 0]), ["a"])
    with pytest.raises(TypeError, match="min_count must be an int"):
        CalibrationDisplay(calibration(y, p), min_count=11.0)
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        CalibrationDisplay(calibration(y, p), min_count=0)


def test_iecv_forest_titles_in_words(centres_frame):
    est = _meta("c")
    res = IECVResult(per_centre=pd.DataFrame(), pooled={"c": est}, scheme="leave-one-out",
                     horizon=None)
    d = MetaForestDisplay.from_iecv(res, "c")
    assert d.ax_.get_title() == "C statistic in each held-out centre"
    assert "IECV" not in d.ax_.get_title()
    assert d.ax_.get_xlabel().startswith("C statistic")
    fwd = IECVResult(per_centre=pd.DataFrame(), pooled={"oe": _meta()}, scheme="forward",
                     horizon=None)
    assert MetaForestDisplay.from_iecv(fwd, "oe").ax_.get_title() == \
        "Observed / expected ratio in each period"
    with pytest.raises(ValueError, match="was not pooled"):
        MetaForestDisplay.from_iecv(res, "brier")


def test_decision_curve_display_of_several_curves(binary_data):
    y, p = binary_data
    rng = np.random.default_rng(5)
    noisy = np.clip(p * np.exp(rng.normal(0, 0.5, len(p))), 0, 1)
    curves = {"index": net_benefit(y, p, np.linspace(0.005, 0.2, 20), name="index"),
              "noisy": net_benefit(y, noisy, np.linspace(0.005, 0.2, 20), name="noisy")}
    d = DecisionCurveDisplay.from_curves(curves)
    labels = [t.get_text() for t in d.ax_.get_legend().get_texts()]
    assert labels == ["flag nobody", "flag everybody", "index", "noisy"]
    assert set(d.to_frame()["series"]) == {"flag everybody", "index", "noisy"}
