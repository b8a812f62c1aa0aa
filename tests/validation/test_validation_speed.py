"""Issue 13 (speed): the shortcuts of the Cox bootstrap give the numbers of the long way.

- the Cox engine reuses a sorted outcome for another design (``with_covariates``) with the
  bits of a fresh ``prepare``, and a warm start (``beta0``) reaches the same maximum;
- the value-only calibration fits (slope, flexible curve) give the estimates of the full
  fits that also compute standard errors;
- joblib batches replicates per task: every replicate runs once, in order, and a bootstrap
  of a Cox index on loky workers equals the sequential run byte for byte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp._resampling import _batches, replicate
from irdp._stats import cox
from irdp.metrics import calibration_slope, ici
from irdp.metrics._cox import cox_fit
from irdp.metrics.calibration import curve_at_rows, slope_value
from irdp.models import CoxIndex
from irdp.outcomes import Survival
from irdp.validation import bootstrap_validate


def _survival(n=400, seed=3, digits=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t = rng.exponential(1 / (0.2 * np.exp(X @ [0.7, -0.4, 0.2])))
    c = rng.uniform(1, 8, n)
    return X, np.round(np.minimum(t, c), digits), t <= c  # rounding: tied times


def test_with_covariates_equals_a_fresh_prepare_to_the_last_bit():
    X, t, e = _survival()
    layout = cox.prepare(np.zeros((len(t), 0)), t, e, ties="efron")
    for cols in ([0], [1, 2], [0, 1, 2]):
        fresh = cox.fit(cox.prepare(X[:, cols], t, e, ties="efron"))
        reused = cox.fit(cox.with_covariates(layout, X[:, cols]))
        assert fresh.coef.tobytes() == reused.coef.tobytes()
        assert fresh.hazard_efron.tobytes() == reused.hazard_efron.tobytes()
        assert fresh.cov.tobytes() == reused.cov.tobytes()
        assert fresh.loglik == reused.loglik


def test_with_covariates_refuses_other_rows_and_fine_gray_data():
    X, t, e = _survival()
    layout = cox.prepare(np.zeros((len(t), 0)), t, e)
    with pytest.raises(ValueError, match="rows"):
        cox.with_covariates(layout, X[:10])
    off = cox.prepare(X, t, e, offset=np.ones(len(t)))
    with pytest.raises(ValueError, match="offset"):
        cox.with_covariates(off, X)


def test_warm_start_reaches_the_same_maximum():
    X, t, e = _survival(n=1500, digits=2)
    cd = cox.prepare(X, t, e)
    cold = cox.fit(cd)
    rows = np.random.default_rng(1).integers(0, len(t), len(t))
    cdb = cox.prepare(X[rows], t[rows], e[rows])
    a = cox.fit(cdb)
    b = cox.fit(cdb, beta0=cold.coef)
    np.testing.assert_allclose(b.coef, a.coef, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.hazard_efron, a.hazard_efron, rtol=1e-9)
    assert b.n_iter <= a.n_iter
    assert cox.fit(cdb, beta0=a.coef).n_iter == 1  # started at the maximum: one check step
    assert b.loglik_null == pytest.approx(a.loglik_null, rel=1e-12)
    c = cox.fit(cdb, beta0=cold.coef, null_loglik=False)
    assert np.isnan(c.loglik_null)
    assert c.coef.tobytes() == b.coef.tobytes()


def test_value_only_calibration_fit_gives_the_full_fit_estimates():
    X, t, e = _survival()
    x = X[:, :2]
    full = cox_fit(t, e, x)
    light = cox_fit(t, e, x, value_only=True)
    assert full.coef.tobytes() == light.coef.tobytes()
    assert full.d_hazard0.tobytes() == light.d_hazard0.tobytes()
    h_full, se_full = full.cumhaz(x, 2.0)
    h_light, se_light = light.cumhaz(x, 2.0)
    assert se_light is None
    assert np.all(np.isfinite(se_full))
    assert h_full.tobytes() == h_light.tobytes()
    assert full.cumhaz(x, 2.0, se=False)[1] is None


def test_value_only_slope_and_ici_equal_the_estimates_with_standard_errors():
    X, t, e = _survival(n=600)
    y = Survival(t, e)
    risk = 1 - np.exp(-0.3 * np.exp(X @ [0.6, -0.3, 0.1]))
    assert slope_value(y, risk, 3.0) == calibration_slope(y, risk, horizon=3.0).value
    pc = curve_at_rows(y, risk, 3.0)
    assert float(np.mean(np.abs(pc - risk))) == pytest.approx(
        ici(y, risk, horizon=3.0).value, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("n", "workers"), [(1, 2), (7, 1), (200, 2), (13, 8), (5, 64)])
def test_batches_cover_every_replicate_once_in_order(n, workers):
    parts = _batches(n, workers)
    assert [i for b in parts for i in b] == list(range(n))
    assert len(parts) <= max(1, min(n, 4 * workers))


def _draw(i, rng):
    return i, float(rng.standard_normal())


def test_batched_replicates_come_back_in_order_with_their_own_streams():
    seq = replicate(_draw, 23, seed=5, n_jobs=1).results
    par = replicate(_draw, 23, seed=5, n_jobs=2).results
    assert par == seq
    assert [r[0] for r in par] == list(range(23))


def test_cox_bootstrap_on_loky_workers_equals_the_sequential_run_byte_for_byte():
    X, t, e = _survival(n=300)
    Xf = pd.DataFrame(X, columns=["a", "b", "c"])
    y = Survival(t, e)
    kw = {"horizon": 3.0, "n_boot": 9, "seed": 4}
    seq = bootstrap_validate(CoxIndex(), Xf, y, n_jobs=1, **kw)
    par = bootstrap_validate(CoxIndex(), Xf, y, n_jobs=2, **kw)
    assert seq.table.to_numpy().tobytes() == par.table.to_numpy().tobytes()
    cols = ["training", "test"]
    assert (seq.replicates[cols].to_numpy().tobytes()
            == par.replicates[cols].to_numpy().tobytes())


def test_score_of_an_index_is_the_metrics_harrell_c_one_implementation():
    """models._ranking (score(), points rounding loss) uses the numerical core's Harrell C:
    the number of irdp.metrics.concordance on the same rows, ties in time and risk too."""
    from irdp._stats import concordance as core
    from irdp.metrics import auc, concordance
    from irdp.models._ranking import concordance as model_c
    from irdp.outcomes import Binary, CompetingRisks

    rng = np.random.default_rng(8)
    n = 300
    t = np.round(rng.exponential(1, n), 1)
    e = rng.random(n) < 0.6
    r = np.round(rng.random(n), 1)
    y = Survival(t, e)
    assert model_c(r, y) == concordance(y, r).value == core.harrell_c(t, e, r)
    cause = np.where(e, rng.integers(1, 3, n), 0)
    cr = CompetingRisks(t, cause)
    assert model_c(r, cr) == concordance(cr, r).value
    b = Binary(e.astype(int))
    assert model_c(r, b) == pytest.approx(auc(b, r).value, abs=1e-15)
    fitted = CoxIndex().fit(pd.DataFrame({"x": r}), y)
    assert fitted.score(pd.DataFrame({"x": r}), y) == pytest.approx(
        concordance(y, fitted.linear_predictor(pd.DataFrame({"x": r}))).value, abs=1e-15)


@pytest.mark.parametrize("events_leave_first", [True, False])
def test_censoring_model_from_one_sort_equals_the_reverse_kaplan_meier(events_leave_first):
    """The IPCW censoring model sorts the times once; G, its jumps, the numbers at risk
    and the rows' positions are those of irdp.nonparametric.censoring_survival."""
    from irdp.metrics._ipcw import censoring_model
    from irdp.nonparametric import censoring_survival

    rng = np.random.default_rng(2)
    for digits in (0, 1, 3):
        t = np.round(rng.exponential(1, 250), digits)
        e = rng.random(250) < 0.5
        km = censoring_survival(t, e, events_leave_first=events_leave_first)
        for risk_set in ("score", "events_leave_first"):
            cens = censoring_model(t, e, events_leave_first=events_leave_first,
                                   if_risk_set=risk_set)
            assert cens.jump_times.tobytes() == km.times.tobytes()
            assert cens.at_risk.tobytes() == km.n_at_risk.tobytes()
            assert cens.g[1:].tobytes() == km.survival.tobytes()
            np.testing.assert_array_equal(cens.idx_left, np.searchsorted(km.times, t, "left"))
            np.testing.assert_array_equal(cens.idx_right, np.searchsorted(km.times, t, "right"))
            at_risk_if = (t[None, :] >= cens.jump_times[:, None]).sum(axis=1)
            expected = at_risk_if if risk_set == "score" else km.n_at_risk
            np.testing.assert_array_equal(cens.if_at_risk, expected)


@pytest.mark.parametrize("top", [1, 7, 300, 40_000])  # 1 to 16 bits of rank (int16/int32 keys)
def test_prefix_smaller_counts_earlier_smaller_ranks(top):
    from irdp._stats.concordance import prefix_smaller

    rng = np.random.default_rng(top)
    for m in (1, 2, 17, 250):
        rank = rng.integers(0, top + 1, m)
        weight = rng.exponential(1, m) * (rng.random(m) < 0.7)
        brute = np.array([weight[:p][rank[:p] < rank[p]].sum() for p in range(m)])
        np.testing.assert_allclose(prefix_smaller(rank, weight), brute, rtol=1e-12, atol=1e-12)
        ones = prefix_smaller(rank, np.ones(m))
        assert ones.tolist() == [float(np.sum(rank[:p] < rank[p])) for p in range(m)]


def test_knots_from_sorted_values_without_sorting_again():
    """rcs_knots reads distinct values and their counts off the sorted sample (no second
    and third sort); the knots are those of np.unique's."""
    from irdp._stats.splines import _sorted_unique

    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 9, 60):
        x = np.sort(np.round(rng.normal(size=n), 1))
        vals, counts = np.unique(x, return_counts=True)
        np.testing.assert_array_equal(_sorted_unique(x), vals)
        got_vals, got_counts = _sorted_unique(x, counts=True)
        np.testing.assert_array_equal(got_vals, vals)
        np.testing.assert_array_equal(got_counts, counts)
