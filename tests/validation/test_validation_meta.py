"""meta_analysis against metafor (REML, knha) and hand-checked properties."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from irdp.validation import meta_analysis, scale_for_measure

matplotlib.use("Agg")

REF = Path(__file__).parents[1] / "reference" / "meta_metafor"
VALUES = json.loads((REF / "values.json").read_text())


class CheckMetafor:
    """Compare one pooled result with metafor's rma(method="REML", test="knha").

    R: ``rma(yi, vi, method="REML", test="knha", control=list(threshold=1e-10))``; the
    prediction interval on k-2 df is computed in reference.R as mu +/- qt(.975, k-2) *
    sqrt(tau2 + se^2), and metafor's own predict() (k-1 df) is checked with pi_df="k-1".
    """

    res1: object
    res_k1: object
    ref: dict

    def test_pooled_and_se(self):
        # REML solved to 1e-12 here and 1e-10 in R: agreement to 1e-7 relative.
        np.testing.assert_allclose(self.res1.mu, self.ref["mu"], rtol=1e-7)
        np.testing.assert_allclose(self.res1.se, self.ref["se"], rtol=1e-7)

    def test_tau2_i2_q(self):
        np.testing.assert_allclose(self.res1.tau2, self.ref["tau2"], rtol=1e-7)
        np.testing.assert_allclose(self.res1.i2, self.ref["i2"], rtol=1e-7)
        np.testing.assert_allclose(self.res1.q, self.ref["q"], rtol=1e-10)
        np.testing.assert_allclose(self.res1.q_pvalue, self.ref["q_pvalue"], rtol=1e-6)

    def test_prediction_intervals(self):
        tr = self.transform
        np.testing.assert_allclose(tr(self.res1.pi_lower), self.ref["pi_k2_lb"], rtol=1e-7)
        np.testing.assert_allclose(tr(self.res1.pi_upper), self.ref["pi_k2_ub"], rtol=1e-7)
        np.testing.assert_allclose(tr(self.res_k1.pi_lower), self.ref["pi_k1_lb"], rtol=1e-7)
        np.testing.assert_allclose(tr(self.res_k1.pi_upper), self.ref["pi_k1_ub"], rtol=1e-7)

    def test_confidence_interval(self):
        tr = self.transform
        np.testing.assert_allclose(tr(self.res1.lower), self.ref["ci_lb"], rtol=1e-7)
        np.testing.assert_allclose(tr(self.res1.upper), self.ref["ci_ub"], rtol=1e-7)


class TestBCG(CheckMetafor):
    """metafor's dat.bcg (Colditz et al. 1994), log risk ratios on the identity scale."""

    data = pd.read_csv(REF / "bcg.csv")
    res1 = meta_analysis(data.yi, np.sqrt(data.vi))
    res_k1 = meta_analysis(data.yi, np.sqrt(data.vi), pi_df="k-1")
    ref = VALUES["bcg"]

    @staticmethod
    def transform(x):
        return x


class TestCstatLogit(CheckMetafor):
    """Seven C statistics pooled on the logit scale (delta-method SE), as valmeta."""

    data = pd.read_csv(REF / "cstat.csv")
    res1 = meta_analysis(data.c, data.se, scale="logit", labels=data.centre)
    res_k1 = meta_analysis(data.c, data.se, scale="auc", pi_df="k-1")
    ref = VALUES["cstat_logit"]

    @staticmethod
    def transform(x):
        return np.log(x / (1 - x))


def test_homogeneous_centres_give_zero_tau2():
    # Identical estimates: no heterogeneity, tau2 truncated at 0, I2 = 0.
    res = meta_analysis([1.0, 1.0, 1.0, 1.0], [0.1, 0.2, 0.1, 0.3])
    assert res.tau2 == 0.0
    assert res.i2 == 0.0
    assert res.estimate == pytest.approx(1.0)


def test_fixed_weights_hand_checked_when_tau2_zero():
    # With tau2 = 0 the pooled value is the inverse-variance mean: (1/0.01*1 + 1/0.04*1.1)/125.
    est = np.array([1.0, 1.1])
    se = np.array([0.1, 0.2])
    res = meta_analysis(est, se, hksj=False, min_clusters=2)
    if res.tau2 == 0:
        assert res.mu == pytest.approx((100 * 1.0 + 25 * 1.1) / 125)
    assert np.isnan(res.pi_lower)  # k = 2: no k-2 df


def test_oe_on_log_scale_back_transformed():
    res = meta_analysis([0.8, 1.25], [0.08, 0.125], scale="oe", min_clusters=2)
    # symmetric on the log scale with equal log-SE: pooled O/E is exactly 1.
    assert res.estimate == pytest.approx(1.0)
    assert res.scale == "log"


def test_summary_and_frame():
    res = meta_analysis([0.7, 0.75, 0.8], [0.02, 0.03, 0.02], scale="auc", labels=["a", "b", "c"])
    text = res.summary().as_text()
    assert "Pooled (REML+HKSJ)" in text
    assert "prediction interval" in text
    assert list(res.to_frame().columns)[:3] == ["estimate", "lower", "upper"]
    assert res.centres["weight"].sum() == pytest.approx(100)


def test_forest_plot_returns_figure():
    from matplotlib.figure import Figure

    res = meta_analysis([0.9, 1.1, 1.3, 0.7], [0.1, 0.1, 0.2, 0.15], scale="oe")
    fig = res.plot(reference=1.0)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_xscale() == "log"


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"estimates": [0.7], "standard_errors": [0.1]}, ValueError, "at least 2 centres"),
        ({"estimates": [0.7, 0.8], "standard_errors": [0.1]}, ValueError, "same length"),
        ({"estimates": [0.7, np.nan], "standard_errors": [0.1, 0.1]}, ValueError, "finite"),
        ({"estimates": [0.7, 0.8], "standard_errors": [0.1, 0.0]}, ValueError, "> 0"),
        ({"estimates": [0.7, 1.2], "standard_errors": [0.1, 0.1], "scale": "logit"},
         ValueError, r"\(0, 1\)"),
        ({"estimates": [0.7, -1.0], "standard_errors": [0.1, 0.1], "scale": "log"},
         ValueError, "> 0"),
        ({"estimates": [0.7, 0.8], "standard_errors": [0.1, 0.1], "scale": "probit"},
         ValueError, "no default pooling scale"),
        ({"estimates": [0.7, 0.8], "standard_errors": [0.1, 0.1], "level": 1.5},
         ValueError, "level"),
    ],
)
def test_meta_analysis_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        meta_analysis(**kwargs)


def test_scale_for_measure():
    assert scale_for_measure("C") == "logit"
    assert scale_for_measure("slope") == "identity"
    # issue 13: the name irdp.metrics uses must work
    assert scale_for_measure("oe_ratio") == scale_for_measure("oe") == "log"
    assert scale_for_measure("td_auc") == "logit"
    with pytest.raises(ValueError, match="Did you mean 'oe_ratio'"):
        scale_for_measure("oe_ration")


def test_fewer_than_three_centres_give_no_pooled_interval():
    """Issue 12: with 2 centres, HKSJ rests on 1 df; per-centre results, and why."""
    res = meta_analysis([0.70, 0.78], [0.02, 0.03], scale="auc", labels=["S1", "S2"])
    assert not res.pooled
    assert np.isnan(res.estimate)
    assert np.isnan(res.lower)
    assert np.isnan(res.pi_upper)
    assert list(res.centres["label"]) == ["S1", "S2"]
    assert np.isfinite(res.centres[["lower", "upper"]].to_numpy()).all()
    assert "needs at least 3" in res.note
    assert "needs at least 3" in res.summary().as_text()
    assert res.to_frame().loc[0, "note"] == res.note
    assert res.method == "not pooled (k < 3)"
    three = meta_analysis([0.70, 0.78, 0.74], [0.02, 0.03, 0.02], scale="auc")
    assert three.pooled
    assert three.note == ""


def test_labels_length_checked():
    with pytest.raises(ValueError, match="labels must have 3 entries"):
        meta_analysis([0.7, 0.75, 0.8], [0.02, 0.03, 0.02], labels=["a", "b"])
