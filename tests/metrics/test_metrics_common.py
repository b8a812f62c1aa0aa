"""Invariances over the registry of scalar measures (irdp.metrics.METRICS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.metrics import (
    METRICS,
    Bootstrap,
    Estimate,
    auc,
    calibration,
    concordance,
    get_metric,
    net_benefit,
    td_auc,
)
from irdp.outcomes import Binary, CompetingRisks, Survival

HORIZON = 1.0


def _data(kind: str, n: int = 240, seed: int = 7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    if kind == "binary":
        p = 1 / (1 + np.exp(-(-0.5 + x)))
        return Binary((rng.random(n) < p).astype(int)), np.round(p, 3)
    t1 = rng.exponential(1 / (0.5 * np.exp(x)))
    c = rng.exponential(3.0, n)
    if kind == "survival":
        risk = 1 - np.exp(-0.5 * np.exp(x) * HORIZON)
        return Survival(np.round(np.minimum(t1, c), 2), t1 <= c), np.round(risk, 3)
    t2 = rng.exponential(1 / (0.3 * np.ones(n)))
    t = np.minimum(t1, t2)
    cause = np.where(t1 <= t2, 1, 2)
    h1, h2 = 0.5 * np.exp(x), 0.3
    risk = h1 / (h1 + h2) * (1 - np.exp(-(h1 + h2) * HORIZON))
    return (CompetingRisks(np.round(np.minimum(t, c), 2), np.where(t <= c, cause, 0)),
            np.round(risk, 3))


CASES = [(name, kind) for name, info in METRICS.items() for kind in info.kinds]


@pytest.mark.parametrize(("name", "kind"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_registry_uniform_signature_and_row_order(name, kind):
    y, risk = _data(kind)
    info = get_metric(name)
    est = info(y, risk, horizon=HORIZON, level=0.9)
    assert isinstance(est, Estimate)
    assert np.isfinite(est.value)
    assert est.level == 0.9
    assert float(est) == est.value
    assert name.split("_")[0] in repr(est) or est.name in repr(est)
    perm = np.random.default_rng(1).permutation(len(y))
    est2 = info(y.take(perm), risk[perm], horizon=HORIZON, level=0.9)
    assert est2.value == pytest.approx(est.value, rel=1e-9, abs=1e-12)
    if np.isfinite(est.se):
        assert est2.se == pytest.approx(est.se, rel=1e-7)


def test_registry_metadata():
    assert get_metric("td_auc").kinds == ("survival", "competing")
    assert get_metric("c_harrell").needs_probability is False
    with pytest.raises(ValueError, match="unknown measure"):
        get_metric("accuracy")


@pytest.mark.parametrize("form", ["list", "ndarray", "series", "frame", "shuffled_index"])
def test_input_forms(form):
    y, risk = _data("binary")
    yy = y.y.astype(int)
    if form == "list":
        a, b = yy.tolist(), risk.tolist()
    elif form == "ndarray":
        a, b = yy, risk
    elif form == "series":
        a, b = pd.Series(yy), pd.Series(risk)
    elif form == "frame":
        a, b = pd.DataFrame({"y": yy}), pd.DataFrame({"r": risk})
    else:
        idx = np.random.default_rng(3).permutation(len(yy)) + 100
        a, b = pd.Series(yy, index=idx), pd.Series(risk, index=idx)
    assert auc(a, b).value == pytest.approx(auc(yy, risk).value)


@pytest.mark.parametrize("kind", ["binary", "survival", "competing"])
def test_monotone_transform_leaves_ranking_measures_unchanged(kind):
    y, risk = _data(kind)
    transformed = np.log(risk + 1e-3) * 3 + 7
    assert concordance(y, transformed).value == pytest.approx(concordance(y, risk).value)
    if kind != "binary":
        assert td_auc(y, transformed, HORIZON).value == pytest.approx(
            td_auc(y, risk, HORIZON).value)


def test_bootstrap_independent_of_n_jobs_and_reproducible():
    y, risk = _data("survival", n=150)
    a = concordance(y, risk, n_boot=40, seed=3, n_jobs=1)
    b = concordance(y, risk, n_boot=40, seed=3, n_jobs=2)
    assert (a.lower, a.upper, a.se) == (b.lower, b.upper, b.se)
    assert a.method == "bootstrap percentile (B=40)"
    assert a.lower < a.value < a.upper


def test_old_bootstrap_spelling_still_works_with_a_deprecation_warning():
    """bootstrap=Bootstrap(...), an int or a dict give the same interval as n_boot=, seed=."""
    from irdp.exceptions import IrdpDeprecationWarning, IrdpWarning

    y, risk = _data("survival", n=150)
    new = concordance(y, risk, n_boot=40, seed=3)
    for old in (Bootstrap(40, seed=3, n_jobs=2), {"n": 40, "seed": 3}):
        with pytest.warns(IrdpDeprecationWarning, match="n_boot= and seed="):
            est = concordance(y, risk, bootstrap=old)
        assert (est.lower, est.upper, est.se) == (new.lower, new.upper, new.se)
    assert issubclass(IrdpDeprecationWarning, IrdpWarning)
    with pytest.raises(ValueError, match="once"):
        concordance(y, risk, n_boot=40, bootstrap=40)


def test_bootstrap_on_calibration_and_decision_curve():
    y, risk = _data("binary", n=200)
    cal = calibration(y, risk, n_boot=25, seed=1)
    assert cal.ici.lower <= cal.ici.value <= cal.ici.upper
    assert cal.slope.method.startswith("bootstrap")
    dc = net_benefit(y, risk, [0.2, 0.4], n_boot=25, seed=1)
    assert {"lower", "upper"} <= set(dc.frame.columns)
    assert (dc.frame.lower <= dc.frame.upper).all()


def test_estimate_is_frozen_and_readable():
    est = auc([0, 1, 0, 1, 1, 0], [0.1, 0.8, 0.3, 0.6, 0.4, 0.5])
    with pytest.raises(AttributeError):
        est.value = 1.0  # type: ignore[misc]
    assert repr(est).startswith("Estimate(auc=")
    assert est.to_dict()["measure"] == "auc"


def test_calibration_result_frame_and_curve():
    y, risk = _data("survival")
    cal = calibration(y, risk, horizon=HORIZON)
    frame = cal.to_frame()
    assert frame.measure.tolist()[:2] == ["oe_ratio", "calibration_slope"]
    curve = cal.curve
    assert list(curve.columns) == ["predicted", "observed", "lower", "upper"]
    assert (curve.lower <= curve.observed + 1e-12).all()
    assert (curve.observed <= curve.upper + 1e-12).all()
    assert "CalibrationResult(survival" in repr(cal)


def test_pandas_index_must_match_timed_outcome():
    import pandas as pd

    from irdp.exceptions import IndexMismatchError

    y, risk = _data("survival", n=60)
    idx = pd.Index(np.arange(60) * 3 + 5)
    ys = Survival(pd.Series(y.time, index=idx), pd.Series(y.event.astype(int), index=idx))
    same = concordance(ys, pd.Series(risk, index=idx))
    assert same.value == pytest.approx(concordance(y, risk).value)
    with pytest.raises(IndexMismatchError, match="never aligns silently"):
        concordance(ys, pd.Series(risk, index=idx[::-1]))


def test_estimate_repr_with_horizon():
    y, risk = _data("survival", n=120)
    assert "horizon=1" in repr(td_auc(y, risk, HORIZON))
